"""Schema migrations with Alembic, driven from code so every command (serve, demo, check, tests) shares them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from server.db import Database
from server.errors import CangkuError
from server.finance.currency import ensure_currencies
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


def current_revision(bind: Engine | Connection) -> str | None:
    """The database's revision (None: no Cangku schema); on a Connection, as its transaction sees it."""
    if isinstance(bind, Connection):
        return MigrationContext.configure(bind).get_current_revision()
    with bind.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class SchemaMismatch(CangkuError):
    """The database's schema is not the one this code was written for."""

    status_code = 503
    code = "schema_mismatch"


@dataclasses.dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against this code: `current` (its revision, None when empty) and `head` (ours)."""

    current: str | None
    head: str
    known: bool  # this code has a migration named `current`

    @property
    def at_head(self) -> bool:
        return self.current == self.head

    @property
    def ahead(self) -> bool:
        """Migrated by a newer Cangku: a revision this code has never heard of."""
        return self.current is not None and not self.known

    @property
    def behind(self) -> bool:
        return not self.at_head and not self.ahead

    def mismatch(self) -> SchemaMismatch | None:
        """None at head; otherwise the error that says what to run, naming both revisions."""
        if self.at_head:
            return None
        if self.ahead:
            return SchemaMismatch(
                f"The database schema is at revision {self.current}, which this version of Cangku does not know "
                f"(its newest is {self.head}): a newer Cangku has migrated it. Upgrade Cangku.",
                f"数据库结构版本为 {self.current}，本版本仓库不认识（本版本最新为 {self.head}）：数据库已被更新版本的仓库迁移。请升级仓库。",
                current=self.current, head=self.head,
            )
        if self.current is None:
            return SchemaMismatch(
                f"The database has no Cangku schema yet (revision: none; this version needs {self.head}): run `cangku migrate` first.",
                f"数据库中还没有仓库的表结构（版本：无；本版本需要 {self.head}）：请先运行 `cangku migrate`。",
                current=None, head=self.head,
            )
        return SchemaMismatch(
            f"The database schema is at revision {self.current}, behind this version of Cangku ({self.head}): run `cangku migrate` first.",
            f"数据库结构版本为 {self.current}，落后于本版本仓库（{self.head}）：请先运行 `cangku migrate`。",
            current=self.current, head=self.head,
        )


def schema_state(bind: Engine | Connection) -> SchemaState:
    current = current_revision(bind)
    scripts = ScriptDirectory.from_config(alembic_config())
    known = True
    if current is not None:
        try:
            known = scripts.get_revision(current) is not None
        except CommandError:
            known = False
    return SchemaState(current=current, head=scripts.get_current_head() or "", known=known)


def require_current_schema(engine: Engine) -> None:
    """Refuse (SchemaMismatch) a database behind or ahead of this code; change nothing."""
    mismatch = schema_state(engine).mismatch()
    if mismatch is not None:
        raise mismatch


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def prepare(db: Database) -> None:
    """Bring the schema to head and make sure the fixed virtual locations, the chart of accounts and the approval rules exist.
    A database migrated by a newer Cangku is refused (SchemaMismatch): this code cannot bring it anywhere."""
    state = schema_state(db.engine)
    if state.ahead:
        raise state.mismatch()  # type: ignore[misc]
    upgrade(db.engine)
    with db.write() as session:
        ensure_fixed_data(session)


def ensure_fixed_data(session: Session) -> None:
    """What every company has from the start: the virtual locations, the chart of accounts, the currencies and the
    approval rules (each added only where missing)."""
    ensure_virtual_locations(session)
    ensure_chart_of_accounts(session)
    ensure_currencies(session)
    ensure_approval_rules(session)
