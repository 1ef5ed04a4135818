"""Appending to the audit log: one entry per write, in the same transaction as the write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from psycopg.types.json import Json
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.base import utcnow

# Every write appends here, so it is one prepared INSERT on the driver's cursor.
_INSERT = (
    "INSERT INTO audit_log (at, user_id, username, device_id, action, target_type, target_id, details) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
_SQL = {"sqlite": _INSERT.format(p="?"), "postgresql": _INSERT.format(p="%s")}


def record(session: Session, actor: Actor, action: str, target_type: str, target_id: object, **details: Any) -> None:
    dialect = session.get_bind().dialect.name
    now = utcnow()
    if dialect == "sqlite":
        at: Any = now.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        payload: Any = msgspec.json.encode(details).decode()
    else:
        at, payload = now, Json(msgspec.to_builtins(details))
    cursor = session.connection().connection.cursor()
    cursor.execute(
        _SQL[dialect],
        (at, actor.user_id, actor.username, actor.device_id, action, target_type, str(target_id), payload),
    )
