"""Appending to the audit log: one entry per write, in the same transaction as the write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from psycopg.types.json import Json
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.models import AuditEntry
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


def list_entries(
    session: Session, actor: Actor, *, action: str | None, target_type: str | None, target_id: str | None, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """The log, newest first, for those allowed to read it."""
    actor.require("audit.read")
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))), total
