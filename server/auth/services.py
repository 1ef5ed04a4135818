"""Sign-in, sessions, TOTP and user administration."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Iterable
from typing import Protocol

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.models import AuthSession, LoginAttempt, User
from server.auth.permissions import ROLES, Actor
from server.base import utcnow
from server.db import Database
from server.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, TooManyAttempts, UnknownReference
from server.locations.models import Location
from server.settings import Settings, get_settings

MIN_PASSWORD = 8


@functools.lru_cache(maxsize=1)
def _hasher() -> tuple[PasswordHasher, str]:
    settings = get_settings()
    hasher = PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)
    # Unknown users are checked against this hash so a wrong username costs as long as a wrong password.
    return hasher, hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher, dummy = _hasher()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for(user: User | SignedIn, *, device_id: str | None = None, language: str | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=frozenset(user.roles or ()),
        warehouse_ids=frozenset(user.warehouse_ids or ()),
        device_id=device_id,
        language=language or user.language,
    )


# Users ------------------------------------------------------------------------------------------


def _check_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidInput(
            f"Unknown role(s): {', '.join(unknown)}. Roles are {', '.join(ROLES)}.",
            f"未知角色：{', '.join(unknown)}。可用角色：{', '.join(ROLES)}。",
            code="unknown_role",
        )
    if not roles:
        raise InvalidInput("A user needs at least one role.", "用户至少需要一个角色。", code="no_role")
    return roles


def _warehouse_ids(session: Session, codes: Iterable[str]) -> list[int]:
    ids = []
    for code in codes:
        wh = session.scalar(select(Location.id).where(Location.code == code, Location.kind == "warehouse"))
        if wh is None:
            raise UnknownReference(f"Unknown warehouse {code}.", f"未知的仓库 {code}。", code="unknown_warehouse", warehouse=code)
        ids.append(wh)
    return ids


def _check_password(password: str, *, allow_weak: bool) -> None:
    if not allow_weak and len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"The password must have at least {MIN_PASSWORD} characters.",
            f"密码至少需要 {MIN_PASSWORD} 个字符。",
            code="weak_password",
        )


def create_user(
    session: Session, actor: Actor, *, username: str, password: str, roles: Iterable[str], display_name: str = "",
    warehouses: Iterable[str] = (), language: str = "zh-CN", allow_weak: bool = False,
) -> User:
    actor.require("users.manage")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"User {username} already exists.", f"用户 {username} 已存在。", code="duplicate_user", username=username)
    _check_password(password, allow_weak=allow_weak)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        roles=_check_roles(roles),
        warehouse_ids=_warehouse_ids(session, warehouses),
        language=language,
    )
    session.add(user)
    session.flush()
    record(session, actor, "user.create", "user", username, roles=user.roles, warehouses=list(warehouses))
    return user


def get_user(session: Session, username: str, actor: Actor | None = None) -> User:
    """One user; with an actor, only for those who manage users."""
    if actor is not None:
        actor.require("users.manage")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username}.", f"没有用户 {username}。", username=username)
    return user


def update_user(
    session: Session, actor: Actor, username: str, *, roles: list[str] | None = None, warehouses: list[str] | None = None,
    display_name: str | None = None, active: bool | None = None, password: str | None = None, language: str | None = None,
) -> User:
    actor.require("users.manage")
    user = get_user(session, username)
    changes: dict[str, object] = {}
    if roles is not None:
        user.roles = _check_roles(roles)
        changes["roles"] = user.roles
    if warehouses is not None:
        user.warehouse_ids = _warehouse_ids(session, warehouses)
        changes["warehouses"] = warehouses
    if display_name is not None:
        user.display_name = display_name
        changes["display_name"] = display_name
    if language is not None:
        user.language = language
        changes["language"] = language
    if active is not None:
        if not active and user.id == actor.user_id:
            raise InvalidInput("You cannot deactivate yourself.", "不能停用自己的账号。", code="self_deactivate")
        user.active = active
        changes["active"] = active
    if password is not None:
        _check_password(password, allow_weak=False)
        user.password_hash = hash_password(password)
        changes["password"] = "changed"
    if password is not None or active is False:
        revoke_sessions(session, user.id)
    if changes:
        user.version += 1
        user.updated_at = utcnow()
        session.flush()
        record(session, actor, "user.update", "user", username, changes=changes)
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    actor.require("users.manage")
    return list(session.scalars(select(User).order_by(User.username)))


def warehouse_codes(session: Session, ids: Iterable[int]) -> list[str]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.scalars(select(Location.code).where(Location.id.in_(ids)).order_by(Location.code)))


# Sign-in ----------------------------------------------------------------------------------------


def _recent_failures(session: Session, *, username: str, ip: str, since: dt.datetime) -> tuple[int, int]:
    by_user = session.scalar(
        select(func.count()).where(LoginAttempt.username == username, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    ) or 0
    by_ip = session.scalar(
        select(func.count()).where(LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    ) or 0
    return by_user, by_ip


def login(
    db: Database, settings: Settings, *, username: str, password: str, totp: str | None, ip: str, device_id: str | None
) -> tuple[str, AuthSession, User]:
    """Check the password (and TOTP code), then open a session. Failures are counted, and too many lock sign-in for a while."""
    now = utcnow()
    since = now - dt.timedelta(seconds=settings.login_window_seconds)
    with db.read() as session:
        by_user, by_ip = _recent_failures(session, username=username, ip=ip, since=since)
    if by_user >= settings.login_max_failures or by_ip >= settings.login_max_failures * 4:
        minutes = max(1, settings.login_window_seconds // 60)
        raise TooManyAttempts(
            f"Too many failed sign-ins; wait {minutes} minute(s) and try again.",
            f"登录失败次数过多，请 {minutes} 分钟后再试。",
            retry_after=settings.login_window_seconds,
        )

    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
    password_ok = verify_password(user.password_hash if user else None, password)
    failure: NotAuthenticated | None = None
    if user is None or not password_ok or not user.active:
        failure = NotAuthenticated("Wrong username or password.", "用户名或密码错误。", code="bad_credentials")
    elif user.totp_enabled:
        if not totp:
            failure = NotAuthenticated(
                "Enter the 6-digit code from your authenticator app.", "请输入身份验证器中的 6 位验证码。", code="totp_required"
            )
        elif not pyotp.TOTP(user.totp_secret or "").verify(totp, valid_window=1):
            failure = NotAuthenticated("The verification code is wrong.", "验证码错误。", code="bad_totp")

    with db.write() as session:
        # A right password awaiting its TOTP code is not a failure to count against the user.
        counted_ok = failure is None or failure.code == "totp_required"
        session.add(LoginAttempt(username=username[:64], ip=ip[:64], success=counted_ok, at=now))
        if failure is None:
            assert user is not None
            token = secrets.token_urlsafe(32)
            auth_session = AuthSession(
                token_hash=token_hash(token),
                csrf_token=secrets.token_urlsafe(24),
                user_id=user.id,
                device_id=device_id,
                created_at=now,
                expires_at=now + dt.timedelta(hours=settings.session_hours),
            )
            session.add(auth_session)
            session.flush()
            record(session, actor_for(user, device_id=device_id), "auth.login", "user", user.username, ip=ip)
    if failure is not None:
        raise failure
    return token, auth_session, user


class SignedIn(Protocol):
    """Who a live session belongs to, as `resolve_token` finds it: enough for `actor_for` and the CSRF check."""

    id: int
    username: str
    roles: list[str]
    warehouse_ids: list[int]
    language: str
    csrf_token: str
    device_id: str | None


_USERS, _SESSIONS = User.__table__, AuthSession.__table__
# Every authenticated request runs this: plain columns through Core, no ORM objects to build.
_SIGNED_IN = (
    select(_USERS.c.id, _USERS.c.username, _USERS.c.roles, _USERS.c.warehouse_ids, _USERS.c.language, _USERS.c.active,
           _SESSIONS.c.csrf_token, _SESSIONS.c.device_id)
    .select_from(_SESSIONS.join(_USERS, _USERS.c.id == _SESSIONS.c.user_id))
    .where(_SESSIONS.c.token_hash == bindparam("token_hash"), _SESSIONS.c.revoked_at.is_(None),
           _SESSIONS.c.expires_at > bindparam("now", type_=_SESSIONS.c.expires_at.type))
)


def resolve_token(session: Session, token: str) -> SignedIn | None:
    """The user and session of a token that is neither revoked nor expired, of a user still active; else None."""
    row = session.connection().execute(_SIGNED_IN, {"token_hash": token_hash(token), "now": utcnow()}).first()
    if row is None or not row.active:
        return None
    return row  # type: ignore[return-value]


def logout(session: Session, actor: Actor, token: str) -> None:
    session.execute(update(AuthSession).where(AuthSession.token_hash == token_hash(token)).values(revoked_at=utcnow()))
    record(session, actor, "auth.logout", "user", actor.username)


def revoke_sessions(session: Session, user_id: int) -> None:
    session.execute(
        update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)).values(revoked_at=utcnow())
    )


# TOTP -------------------------------------------------------------------------------------------


def totp_setup(session: Session, actor: Actor) -> tuple[str, str]:
    """Start (or restart) enrolment: a new secret, not yet required until confirmed with a code."""
    user = session.get_one(User, actor.user_id)
    if user.totp_enabled:
        raise Conflict("Two-step verification is already on; turn it off first.", "两步验证已开启，请先关闭。", code="totp_enabled")
    user.totp_secret = pyotp.random_base32()
    session.flush()
    record(session, actor, "auth.totp_setup", "user", user.username)
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name="Cangku")
    return user.totp_secret, uri


def totp_enable(session: Session, actor: Actor, code: str) -> None:
    user = session.get_one(User, actor.user_id)
    if not user.totp_secret:
        raise Conflict("Start the set-up first.", "请先开始设置两步验证。", code="totp_not_setup")
    if not pyotp.TOTP(user.totp_secret).verify(code, valid_window=1):
        raise InvalidInput("The verification code is wrong.", "验证码错误。", code="bad_totp")
    user.totp_enabled = True
    session.flush()
    record(session, actor, "auth.totp_enable", "user", user.username)


def totp_disable(session: Session, actor: Actor, code: str) -> None:
    user = session.get_one(User, actor.user_id)
    if not user.totp_enabled or not pyotp.TOTP(user.totp_secret or "").verify(code, valid_window=1):
        raise InvalidInput("The verification code is wrong.", "验证码错误。", code="bad_totp")
    user.totp_enabled = False
    user.totp_secret = None
    session.flush()
    record(session, actor, "auth.totp_disable", "user", user.username)
