"""Appending to the audit log: one entry per write, in the same transaction as the write."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import insert
from sqlalchemy.orm import Session

from server.audit.models import AuditEntry
from server.auth.permissions import Actor
from server.base import utcnow


def record(session: Session, actor: Actor, action: str, target_type: str, target_id: object, **details: Any) -> None:
    session.execute(
        insert(AuditEntry).values(
            at=utcnow(),
            user_id=actor.user_id,
            username=actor.username,
            device_id=actor.device_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            details=msgspec.to_builtins(details),
        )
    )
