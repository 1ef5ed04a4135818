"""Cangku (仓库): the server — settings, database, domain modules, HTTP API and CLI."""
