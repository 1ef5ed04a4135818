"""Users, roles, sessions, TOTP and login rate limiting."""
