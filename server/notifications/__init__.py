"""Notifications: rows per user, written in the caller's transaction and pushed live once it commits."""
