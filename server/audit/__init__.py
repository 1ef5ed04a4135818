"""The append-only audit log of every write, and request idempotency keys."""
