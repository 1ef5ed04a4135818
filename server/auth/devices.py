"""Devices a user syncs from: registered on their first sync, seen on each one, revocable by an administrator.

A device is named by the `X-Device-Id` header (or the session's device, see server/api.py), else by the
push's `client_id`; a session signed in without a device name takes the client id it first syncs with.
Revoking one refuses its later pushes and pulls, ends the sessions signed in from it (their REST calls
too) and refuses signing in from it again; nothing it sent before is touched: its moves and its op log
stay as they were applied.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from server.audit.services import record
from server.auth.models import AuthSession, Device, User
from server.auth.permissions import Actor
from server.base import utcnow
from server.db import Database
from server.errors import Forbidden, NotFound
from server.schemas import Out

# last_seen_at is rewritten at most this often, so a busy device does not add a write to every sync.
SEEN_EVERY = dt.timedelta(minutes=1)


class DeviceOut(Out):
    id: int
    user: str
    device_id: str
    name: str
    registered_at: dt.datetime
    last_seen_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked_by: str | None  # the administrator's username


class DevicePage(Out):
    items: list[DeviceOut]
    total: int


def device_of(actor: Actor, client_id: str | None) -> str | None:
    """The name of the device a request comes from: its X-Device-Id (or its session's), else the sync client id."""
    return actor.device_id or client_id or None


def check_in(db: Database, actor: Actor, client_id: str | None) -> None:
    """Register the device a sync comes from (the first time), note when it was last seen; refuse a revoked one.

    Read first: a known device seen within the last minute costs no write transaction."""
    name = device_of(actor, client_id)
    if actor.user_id is None or name is None:
        return
    now = utcnow()
    # A session signed in without a device name that syncs naming itself only by its client id is bound to that
    # device (once: then it has a name). A device named by its X-Device-Id header names the request, not the session.
    unbound = actor.device_id is None and actor.unnamed_session_id is not None
    with db.lookup() as session:
        known = session.execute(
            select(Device.revoked_at, Device.last_seen_at).where(Device.user_id == actor.user_id, Device.device_id == name)
        ).first()
    if known is not None:
        if known.revoked_at is not None:
            if unbound:
                db.run_write(lambda session: _bind_session(session, actor, name, known.revoked_at))
            raise revoked(name, known.revoked_at)
        if not unbound and known.last_seen_at is not None and now - known.last_seen_at < SEEN_EVERY:
            return
    db.run_write(lambda session: _see(session, actor, name, now))


def _bind_session(session: Session, actor: Actor, name: str, revoked_at: dt.datetime | None) -> None:
    """Name the acting session's device, when it was signed in without one; a revoked device's session ends with it."""
    if actor.device_id is not None or actor.unnamed_session_id is None:
        return
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == actor.unnamed_session_id, AuthSession.user_id == actor.user_id, AuthSession.device_id.is_(None))
        .values(device_id=name, revoked_at=revoked_at)
    )


def _see(session: Session, actor: Actor, name: str, now: dt.datetime) -> Device:
    query = select(Device).where(Device.user_id == actor.user_id, Device.device_id == name).with_for_update()
    device = session.scalar(query)
    if device is None:
        try:
            with session.begin_nested():
                device = Device(user_id=actor.user_id, device_id=name, registered_at=now, last_seen_at=now)
                session.add(device)
                session.flush()
        except IntegrityError:  # the same device's other request registered it first
            device = session.scalars(query).one()
        else:
            _bind_session(session, actor, name, None)
            record(session, actor, "device.register", "device", device.id, device_id=name)
            return device
    if device.revoked_at is not None:
        raise revoked(name, device.revoked_at)
    _bind_session(session, actor, name, None)
    device.last_seen_at = now
    return device


def revoked(name: str, at: dt.datetime) -> Forbidden:
    when = at.strftime("%Y-%m-%d %H:%M UTC")
    return Forbidden(
        f"This device ({name}) was revoked by an administrator on {when}: it can no longer sync. What it sent before is kept; "
        "the operations still on it stay there until an administrator restores the device.",
        f"此设备（{name}）已于 {when} 被管理员停用，不能再同步。之前上传的内容均已保留；设备上尚未上传的操作会一直保留，直到管理员恢复此设备。",
        code="device_revoked", device=name,
    )


# Administration ---------------------------------------------------------------------------------

_REVOKER = aliased(User)


def list_devices(session: Session, actor: Actor, *, username: str | None, limit: int, offset: int) -> DevicePage:
    """Administrators see every device (`username` narrows it to one user's); everyone else sees their own."""
    query = select(Device, User.username, _REVOKER.username).join(User, User.id == Device.user_id).outerjoin(
        _REVOKER, _REVOKER.id == Device.revoked_by
    )
    if actor.can("users.manage"):
        if username:
            query = query.where(User.username == username)
    else:
        if username and username != actor.username:
            raise Forbidden("You may only see your own devices.", "您只能查看自己的设备。", username=username)
        query = query.where(Device.user_id == actor.user_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Device.id).limit(limit).offset(offset)).all()
    return DevicePage(items=[_out(device, user, by) for device, user, by in rows], total=total)


def revoke(session: Session, actor: Actor, device_row: int) -> DeviceOut:
    """Refuse the device's later syncs and end the sessions signed in from it; a repeat changes nothing."""
    actor.require("users.manage")
    device = _get(session, device_row)
    if device.revoked_at is None:
        device.revoked_at, device.revoked_by = utcnow(), actor.user_id
        ended = session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == device.user_id, AuthSession.device_id == device.device_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=device.revoked_at)
        ).rowcount  # type: ignore[attr-defined]  # Session.execute() is typed as Result; an UPDATE gives a CursorResult
        session.flush()
        record(session, actor, "device.revoke", "device", device.id, user_id=device.user_id, device_id=device.device_id,
               sessions_ended=ended)
    return _describe(session, device)


def restore(session: Session, actor: Actor, device_row: int) -> DeviceOut:
    """Let a revoked device sync again (its user signs in again: revoking ended its sessions)."""
    actor.require("users.manage")
    device = _get(session, device_row)
    if device.revoked_at is not None:
        device.revoked_at, device.revoked_by = None, None
        session.flush()
        record(session, actor, "device.restore", "device", device.id, user_id=device.user_id, device_id=device.device_id)
    return _describe(session, device)


def _get(session: Session, device_row: int) -> Device:
    device = session.get(Device, device_row, with_for_update=True)
    if device is None:
        raise NotFound(f"There is no device {device_row}.", f"设备 {device_row} 不存在。", code="unknown_device", device=device_row)
    return device


def _describe(session: Session, device: Device) -> DeviceOut:
    user = session.scalar(select(User.username).where(User.id == device.user_id)) or ""
    by = session.scalar(select(User.username).where(User.id == device.revoked_by)) if device.revoked_by else None
    return _out(device, user, by)


def _out(device: Device, user: str, revoked_by: str | None) -> DeviceOut:
    return DeviceOut(
        id=device.id, user=user, device_id=device.device_id, name=device.name, registered_at=device.registered_at,
        last_seen_at=device.last_seen_at, revoked_at=device.revoked_at, revoked_by=revoked_by,
    )
