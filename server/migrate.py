"""Schema migrations with Alembic, driven from code so every command (serve, demo, check, tests) shares them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from server.db import Database
from server.finance.services import ensure_chart_of_accounts
from server.locations.services import ensure_virtual_locations
from server.purchasing.services import ensure_approval_rules

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def prepare(db: Database) -> None:
    """Bring the schema to head and make sure the fixed virtual locations, the chart of accounts and the approval rules exist."""
    upgrade(db.engine)
    with db.write() as session:
        ensure_virtual_locations(session)
        ensure_chart_of_accounts(session)
        ensure_approval_rules(session)
