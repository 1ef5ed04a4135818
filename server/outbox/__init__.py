"""Events out: the transactional outbox, and its delivery to webhooks and RabbitMQ."""
