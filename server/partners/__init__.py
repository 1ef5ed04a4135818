"""Business partners: suppliers and customers."""
