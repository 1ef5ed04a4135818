"""Appending to the audit log: one entry per write, in the same transaction as the write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from psycopg.types.json import Json
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.base import utcnow
from server.inventory.ledger_sql import driver_cursor

# Every write appends here, so it is one prepared INSERT on the driver's cursor.
_INSERT = (
    "INSERT INTO audit_log (at, user_id, username, device_id, action, target_type, target_id, details) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
_SQL = {"sqlite": _INSERT.format(p="?"), "postgresql": _INSERT.format(p="%s")}


def record(
    session: Session, actor: Actor, action: str, target_type: str, target_id: object, *, at: dt.datetime | None = None, **details: Any
) -> None:
    dialect = session.get_bind().dialect.name
    now = at or utcnow()
    if dialect == "sqlite":
        stamp: Any = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        payload: Any = msgspec.json.encode(details).decode()
    else:
        stamp, payload = now, Json(msgspec.to_builtins(details))
    driver_cursor(session).execute(
        _SQL[dialect],
        (stamp, actor.user_id, actor.username, actor.device_id, action, target_type, str(target_id), payload),
    )
