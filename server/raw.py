"""Hand-written SQL on the driver's cursor: one way to write it and one place that converts its values.

The statements every write runs — posting a move, the change feed, the offline op log, the reorder look-up, the audit
chain — are a handful of tiny statements; building and compiling them through SQLAlchemy costs more than running them.
They are written once, with `{p}` for each placeholder (and `{returning_id}`, `{for_update}` where the two databases
differ), and made for each dialect by `statements`. Values go in and come out through the same `Dialect`, converted the
way the mapped column types store them (on SQLite, quantities as integers scaled by 10^4, costs by 10^6, money by 10^2,
times as naive UTC text), so a figure read back is the `Decimal` that was written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
from psycopg.types.json import Json
from sqlalchemy.orm import Session

from server.base import COST_SCALE, MONEY_SCALE, QTY_SCALE, check_storable, storable_limit

_QTY_LIMIT, _COST_LIMIT, _MONEY_LIMIT = (storable_limit(scale) for scale in (QTY_SCALE, COST_SCALE, MONEY_SCALE))


class Dialect:
    """How one database takes hand-written statements and their values."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sqlite = name == "sqlite"
        self._parts = {
            "p": "?" if self.sqlite else "%s",
            # SQLite answers with lastrowid; an unfinished RETURNING statement would linger until commit.
            "returning_id": "" if self.sqlite else " RETURNING id",
            # SQLite needs no row lock: a write transaction holds the database's write lock (BEGIN IMMEDIATE).
            "for_update": "" if self.sqlite else " FOR UPDATE",
        }

    def sql(self, template: str) -> str:
        return template.format(**self._parts)

    def marks(self, count: int, width: int) -> str:
        """`count` rows of `width` placeholders, for `VALUES` lists and `IN` tuples: "(?, ?), (?, ?)"."""
        row = "(" + ", ".join([self._parts["p"]] * width) + ")"
        return ", ".join([row] * count)

    # Figures too large for their columns are refused here, as the mapped columns refuse them (server.base).
    def qty(self, value: Decimal) -> Any:
        check_storable(value, _QTY_LIMIT)
        return int(value.scaleb(QTY_SCALE)) if self.sqlite else value

    def cost(self, value: Decimal) -> Any:
        check_storable(value, _COST_LIMIT)
        return int(value.quantize(Decimal(1).scaleb(-COST_SCALE)).scaleb(COST_SCALE)) if self.sqlite else value

    def money(self, value: Decimal) -> Any:
        check_storable(value, _MONEY_LIMIT)
        return int(value.scaleb(MONEY_SCALE)) if self.sqlite else value

    def qty_out(self, value: Any) -> Decimal:
        return Decimal(int(value)).scaleb(-QTY_SCALE) if self.sqlite else Decimal(value)

    def money_out(self, value: Any) -> Decimal:
        return Decimal(int(value)).scaleb(-MONEY_SCALE) if self.sqlite else Decimal(value)

    def time(self, value: dt.datetime) -> Any:
        # SQLAlchemy's SQLite DateTime storage format, naive UTC.
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value

    def flag(self, value: bool) -> Any:
        return int(value) if self.sqlite else value

    def json(self, value: Any) -> Any:
        """A JSON column's value: text on SQLite, adapted by psycopg on PostgreSQL."""
        if value is None:
            return None
        return msgspec.json.encode(value).decode() if self.sqlite else Json(msgspec.to_builtins(value))


DIALECTS = {name: Dialect(name) for name in ("sqlite", "postgresql")}


def dialect_of(session: Session) -> Dialect:
    return DIALECTS[session.get_bind().dialect.name]


def statements(**templates: str) -> dict[str, dict[str, str]]:
    """Named statements as each dialect runs them (`[dialect][name]`), made once when the module that owns them is imported."""
    return {dialect.name: {name: dialect.sql(template) for name, template in templates.items()} for dialect in DIALECTS.values()}


def driver_cursor(session: Session) -> Any:
    """A cursor of the driver connection in the session's current transaction (kept for that transaction)."""
    transaction = session.get_transaction()
    cached = getattr(session, "raw_cursor", None)  # a unit of work keeps it (server.work.Work)
    if cached is not None and transaction is not None and cached[0] is transaction:
        if session.in_nested_transaction():
            # SQLAlchemy emits a SAVEPOINT when the session next uses its connection; statements on this
            # cursor bypass the session, so make it emit it now, or a rollback to it would not undo them.
            session.connection()
        return cached[1]
    cursor = session.connection().connection.cursor()
    if hasattr(session, "raw_cursor"):
        session.raw_cursor = (session.get_transaction(), cursor)
    return cursor
