"""Sending notifications (`notify`) and reading one's own.

`notify` writes in the caller's transaction and queues one live message per recipient; the
messages leave only when that transaction commits, so nobody is told about a write that was
rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.permissions import Actor
from server.base import utcnow
from server.errors import NotFound
from server.notifications.live import send_after_commit, user_channel
from server.notifications.models import Notification
from server.notifications.schemas import NotificationOut

TITLE_MAX = 200


def recipients(
    session: Session, *, users: Iterable[int] | None = None, roles: Iterable[str] | None = None, warehouse_id: int | None = None
) -> list[User]:
    """Active users named in `users` or holding any of `roles`; with `warehouse_id`, only those allowed in that warehouse."""
    wanted_ids = set(users or ())
    wanted_roles = set(roles or ())
    if not wanted_ids and not wanted_roles:
        return []
    found = []
    for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
        if user.id not in wanted_ids and not wanted_roles & set(user.roles or ()):
            continue
        if warehouse_id is not None and user.warehouse_ids and warehouse_id not in user.warehouse_ids:
            continue
        found.append(user)
    return found


def notify(
    session: Session,
    *,
    users: Iterable[int] | None = None,
    roles: Iterable[str] | None = None,
    warehouse_id: int | None = None,
    kind: str,
    title_zh: str,
    title_en: str,
    body_zh: str = "",
    body_en: str = "",
    ref_type: str | None = None,
    ref_id: object | None = None,
) -> list[Notification]:
    """Notify the recipients (see `recipients`) in the caller's transaction; they are pushed live after it commits."""
    now = utcnow()
    rows = [
        Notification(
            user_id=user.id, kind=kind, title_zh=_clip(title_zh), title_en=_clip(title_en), body_zh=body_zh, body_en=body_en,
            ref_type=ref_type, ref_id=None if ref_id is None else str(ref_id), created_at=now,
        )
        for user in recipients(session, users=users, roles=roles, warehouse_id=warehouse_id)
    ]
    if not rows:
        return rows
    session.add_all(rows)
    session.flush()
    for row in rows:
        send_after_commit(session, user_channel(row.user_id), {"type": "notification", **msgspec.to_builtins(notification_out(row))})
    return rows


def _clip(text: str) -> str:
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def notification_out(row: Notification) -> NotificationOut:
    return NotificationOut(
        id=row.id, kind=row.kind, title_zh=row.title_zh, title_en=row.title_en, body_zh=row.body_zh, body_en=row.body_en,
        ref_type=row.ref_type, ref_id=row.ref_id, created_at=row.created_at, read_at=row.read_at,
    )


# One's own notifications ---------------------------------------------------------------------------


def unread_count(session: Session, user_id: int | None) -> int:
    query = select(func.count()).select_from(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return session.scalar(query) or 0


def list_notifications(
    session: Session, actor: Actor, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> tuple[list[Notification], int, int]:
    """The actor's notifications, newest first, with how many match and how many are unread."""
    query = select(Notification).where(Notification.user_id == actor.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(Notification.id.desc()).limit(limit).offset(offset)))
    unread = total if unread_only else unread_count(session, actor.user_id)
    return rows, total, unread


def mark_read(session: Session, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (again is harmless); someone else's is not found."""
    row = session.scalar(select(Notification).where(Notification.id == notification_id, Notification.user_id == actor.user_id))
    if row is None:
        raise NotFound(f"You have no notification {notification_id}.", f"您没有编号为 {notification_id} 的通知。", notification_id=notification_id)
    if row.read_at is None:
        row.read_at = utcnow()
        session.flush()
        _tell_other_screens(session, actor, [row.id])
    return row


def mark_all_read(session: Session, actor: Actor) -> int:
    """Mark all the actor's unread notifications read; returns how many were unread."""
    result = session.execute(
        update(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None)).values(read_at=utcnow())
    )
    marked = result.rowcount or 0  # type: ignore[attr-defined]
    if marked:
        _tell_other_screens(session, actor, None)
    return marked


def _tell_other_screens(session: Session, actor: Actor, ids: list[int] | None) -> None:
    """The user's other open screens update their badge too (`ids` None: all of them were read)."""
    if actor.user_id is not None:
        data: dict[str, Any] = {"type": "read", "ids": ids, "all": ids is None, "unread": unread_count(session, actor.user_id)}
        send_after_commit(session, user_channel(actor.user_id), data)
