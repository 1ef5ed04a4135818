"""Sign-in and its throttling, sessions, TOTP and user administration."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import secrets
from collections.abc import Iterable
from typing import Protocol, cast

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.devices import revoked
from server.auth.models import AuthSession, Device, LoginAttempt, SignInThrottle, User
from server.auth.permissions import ROLES, SYSTEM, Actor
from server.base import utcnow
from server.db import Database
from server.errors import (
    CangkuError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
    UnknownReference,
    check_version,
)
from server.locations.models import Location
from server.settings import Settings, get_settings

MIN_PASSWORD = 10


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
        language=language or user.language or "zh-CN",
        unnamed_session_id=None if getattr(user, "device_id", None) else getattr(user, "session_id", None),
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
            field="roles",
        )
    if not roles:
        raise InvalidInput("A user needs at least one role.", "用户至少需要一个角色。", code="no_role", field="roles")
    return roles


def _warehouse_ids(session: Session, codes: Iterable[str]) -> list[int]:
    ids = []
    for code in codes:
        wh = session.scalar(select(Location.id).where(Location.code == code, Location.kind == "warehouse"))
        if wh is None:
            raise UnknownReference(
                f"Unknown warehouse {code}.", f"未知的仓库 {code}。", code="unknown_warehouse", warehouse=code, field="warehouses"
            )
        ids.append(wh)
    return ids


@functools.lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn's list of the 30,000 passwords seen most often in leaks, kept up by its maintainers.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str) -> None:
    """At least MIN_PASSWORD characters, and none of the passwords most often seen in leaks."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"The password must have at least {MIN_PASSWORD} characters.",
            f"密码至少需要 {MIN_PASSWORD} 个字符。",
            code="weak_password",
            field="password",
            min_length=MIN_PASSWORD,
        )
    if password.lower() in _common_passwords() or "".join(password.lower().split()) in _common_passwords():
        raise InvalidInput(
            "This password is one of the most common ones and is guessed first; choose another.",
            "该密码属于最常见的密码，最先被猜中，请另选一个。",
            code="common_password",
            field="password",
        )


def create_user(
    session: Session, actor: Actor, *, username: str, password: str, roles: Iterable[str], display_name: str = "",
    warehouses: Iterable[str] = (), language: str | None = None,
) -> User:
    actor.require("users.manage")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(
            f"User {username} already exists.", f"用户 {username} 已存在。", code="duplicate_user", username=username, field="username"
        )
    check_password(password)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        roles=_check_roles(roles),
        warehouse_ids=_warehouse_ids(session, warehouses),
        language=language or "",
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
    version: int | None = None,
) -> User:
    actor.require("users.manage")
    user = get_user(session, username)
    check_version("User", "用户", username, user.version, version)
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
            raise InvalidInput("You cannot deactivate yourself.", "不能停用自己的账号。", code="self_deactivate", field="active")
        user.active = active
        changes["active"] = active
    if password is not None:
        check_password(password)
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


def choose_language(session: Session, actor: Actor, language: str) -> User:
    """The signed-in user's own choice of language ("zh-CN" or "en"): their other devices start in it."""
    user = session.get_one(User, actor.user_id, with_for_update=True)
    if user.language != language:
        user.language = language
        user.version += 1
        user.updated_at = utcnow()
        session.flush()
        record(session, actor, "user.language", "user", user.username, language=language)
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
#
# Failures are counted per (account, client address): a stranger guessing from elsewhere slows himself down, never
# the account's owner at her own desk. From `login_max_failures` failures in a row on, that pair is refused for
# `login_window_seconds`, twice as long after each further failure (at most MAX_DELAY); a correct password from the
# throttled address waits too, since that is what keeps a guesser from trying. A success or an administrator's
# unlock clears the count. Each address also has a limit over all accounts (`login_address_max_failures` within
# the window), which never refuses an account that has signed in from that address before.

MAX_DELAY = dt.timedelta(hours=24)


def throttle_delay(settings: Settings, failures: int) -> dt.timedelta | None:
    """How long a pair of account and address is refused after its `failures`-th failure in a row (None: not yet)."""
    beyond = failures - settings.login_max_failures
    if beyond < 0:
        return None
    factor: int = 2 ** min(beyond, 32)  # beyond >= 0: an int (typeshed cannot tell int ** int from a float)
    return min(dt.timedelta(seconds=settings.login_window_seconds) * factor, MAX_DELAY)


def _how_long(wait: dt.timedelta) -> tuple[int, str, str]:
    """Whole seconds to wait, and the same in words (en, zh), rounded up."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 120:
        return seconds, f"{seconds} seconds", f"{seconds} 秒"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return seconds, f"{minutes} minutes", f"{minutes} 分钟"
    hours = math.ceil(minutes / 60)
    return seconds, f"{hours} hours", f"{hours} 小时"


def _account_throttled(wait: dt.timedelta) -> TooManyAttempts:
    seconds, en, zh = _how_long(wait)
    return TooManyAttempts(
        f"Too many failed sign-ins to this account from your address; wait {en} and try again, "
        "or ask an administrator to unlock the account.",
        f"此账号从您的地址登录失败次数过多，请等待 {zh}后再试，或请管理员解锁该账号。",
        retry_after=seconds,
    )


def _address_throttled(wait: dt.timedelta) -> TooManyAttempts:
    seconds, en, zh = _how_long(wait)
    return TooManyAttempts(
        f"Too many failed sign-ins from your address; wait {en} and try again.",
        f"您的地址登录失败次数过多，请等待 {zh}后再试。",
        retry_after=seconds,
    )


def _address_released_at(session: Session, settings: Settings, address: str, now: dt.datetime) -> dt.datetime | None:
    """While the address is at its limit: when enough of its failures leave the window to let it try again."""
    window = dt.timedelta(seconds=settings.login_window_seconds)
    limit = max(1, settings.login_address_max_failures)
    oldest_counted = session.scalar(
        select(LoginAttempt.at)
        .where(LoginAttempt.ip == address, LoginAttempt.success.is_(False), LoginAttempt.at >= now - window)
        .order_by(LoginAttempt.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    return None if oldest_counted is None else oldest_counted + window


def _pair(session: Session, username: str, address: str) -> SignInThrottle:
    """The throttle row of (account, address), locked for this transaction; made on first use."""
    query = select(SignInThrottle).where(SignInThrottle.username == username, SignInThrottle.address == address).with_for_update()
    pair = session.scalar(query)
    if pair is None:
        try:
            with session.begin_nested():
                pair = SignInThrottle(username=username, address=address, failures=0)
                session.add(pair)
                session.flush()
        except IntegrityError:  # a concurrent attempt of the same pair made it first
            pair = session.scalars(query).one()
    return pair


def _count_failure(session: Session, settings: Settings, username: str, address: str, device_id: str | None, now: dt.datetime) -> None:
    pair = _pair(session, username, address)
    window = dt.timedelta(seconds=settings.login_window_seconds)
    if pair.failures < settings.login_max_failures and pair.last_failure_at is not None and now - pair.last_failure_at > window:
        pair.failures = 0  # a mistyped password now and then never adds up to a lock
    pair.failures += 1
    pair.last_failure_at = now
    delay = throttle_delay(settings, pair.failures)
    if delay is not None:
        pair.locked_until = now + delay
        record(session, SYSTEM, "auth.sign_in_throttled", "user", username, address=address, failures=pair.failures,
               seconds=int(delay.total_seconds()), until=pair.locked_until.isoformat(), device=device_id)
    limit = settings.login_address_max_failures
    failures_from_address = session.scalar(
        select(func.count()).where(LoginAttempt.ip == address, LoginAttempt.success.is_(False), LoginAttempt.at >= now - window)
    ) or 0
    if failures_from_address == limit:  # this failure (already added) is the one that reaches the limit
        record(session, SYSTEM, "auth.address_throttled", "address", address, failures=failures_from_address,
               seconds=settings.login_window_seconds, last_username=username)


def _count_success(session: Session, username: str, address: str, now: dt.datetime) -> None:
    pair = _pair(session, username, address)
    pair.failures, pair.locked_until, pair.last_success_at = 0, None, now


def login(
    db: Database, settings: Settings, *, username: str, password: str, totp: str | None, ip: str, device_id: str | None
) -> tuple[str, AuthSession, User]:
    """Check the password (and TOTP code), then open a session. Failures are counted per account and address (above)."""
    now = utcnow()
    name, address = username[:64], ip[:64]
    with db.read() as session:
        pair = session.scalar(select(SignInThrottle).where(SignInThrottle.username == name, SignInThrottle.address == address))
        if pair is not None and pair.locked_until is not None and pair.locked_until > now:
            raise _account_throttled(pair.locked_until - now)
        if pair is None or pair.last_success_at is None:
            released_at = _address_released_at(session, settings, address, now)
            if released_at is not None:
                raise _address_throttled(released_at - now)
        user = session.scalar(select(User).where(User.username == username))
    password_ok = verify_password(user.password_hash if user else None, password)

    with db.write() as session:
        failure: CangkuError | None = None
        if user is None or not password_ok or not user.active:
            failure = NotAuthenticated("Wrong username or password.", "用户名或密码错误。", code="bad_credentials")
        elif user.totp_enabled:
            if not totp:
                failure = NotAuthenticated(
                    "Enter the 6-digit code from your authenticator app.", "请输入身份验证器中的 6 位验证码。", code="totp_required"
                )
            else:
                user = session.get_one(User, user.id, with_for_update=True, populate_existing=True)
                failure = _spend_totp(user, totp, now, NotAuthenticated)
        if failure is None and device_id:
            failure = _revoked_device(session, user.id, device_id)  # type: ignore[union-attr]
        # A right password awaiting its TOTP code (or from a revoked device) is no guess: it is not counted against the pair.
        counted_ok = failure is None or failure.code in ("totp_required", "device_revoked")
        session.add(LoginAttempt(username=name, ip=address, success=counted_ok, at=now))
        session.flush()
        if not counted_ok:
            _count_failure(session, settings, name, address, device_id, now)
        elif failure is None:
            assert user is not None
            _count_success(session, name, address, now)
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
            record(session, actor_for(user, device_id=device_id), "auth.login", "user", user.username, ip=address)
    if failure is not None:
        raise failure
    return token, auth_session, cast(User, user)  # no failure: the user was found


def _revoked_device(session: Session, user_id: int, device_id: str) -> CangkuError | None:
    """Signing in from a device an administrator revoked is refused: revoking it ended its sessions for good."""
    revoked_at = session.scalar(select(Device.revoked_at).where(Device.user_id == user_id, Device.device_id == device_id[:64]))
    return None if revoked_at is None else revoked(device_id, revoked_at)


def unlock_sign_in(session: Session, actor: Actor, username: str) -> User:
    """Clear an account's sign-in throttle at every address, so its owner can sign in again at once."""
    actor.require("users.manage")
    user = get_user(session, username)
    now = utcnow()
    locked = list(session.scalars(
        select(SignInThrottle.address).where(SignInThrottle.username == username, SignInThrottle.locked_until > now)
    ))
    cleared = session.execute(
        update(SignInThrottle).where(SignInThrottle.username == username, SignInThrottle.failures > 0)
        .values(failures=0, locked_until=None)
    ).rowcount  # type: ignore[attr-defined]  # Session.execute() is typed as Result; an UPDATE gives a CursorResult
    if cleared:
        record(session, actor, "user.unlock", "user", username, addresses=locked)
    return user


def locked_until(session: Session, usernames: Iterable[str] | None = None) -> dict[str, dt.datetime]:
    """The accounts refused sign-in from some address right now, with when the last of those refusals ends."""
    query = (
        select(SignInThrottle.username, func.max(SignInThrottle.locked_until))
        .where(SignInThrottle.locked_until > utcnow())
        .group_by(SignInThrottle.username)
    )
    if usernames is not None:
        query = query.where(SignInThrottle.username.in_(list(usernames)))
    return {username: cast(dt.datetime, until) for username, until in session.execute(query)}  # locked_until > now: never NULL


class SignedIn(Protocol):
    """Who a live session belongs to, as `resolve_token` finds it: enough for `actor_for` and the CSRF check."""

    id: int
    username: str
    roles: list[str]
    warehouse_ids: list[int]
    language: str
    csrf_token: str
    device_id: str | None
    session_id: int
    expires_at: dt.datetime


_USERS, _SESSIONS = User.__table__, AuthSession.__table__
# Every authenticated request runs this: plain columns through Core, no ORM objects to build.
_SIGNED_IN = (
    select(_USERS.c.id, _USERS.c.username, _USERS.c.roles, _USERS.c.warehouse_ids, _USERS.c.language, _USERS.c.active,
           _SESSIONS.c.csrf_token, _SESSIONS.c.device_id, _SESSIONS.c.id.label("session_id"), _SESSIONS.c.expires_at)
    .select_from(_SESSIONS.join(_USERS, _USERS.c.id == _SESSIONS.c.user_id))
    .where(_SESSIONS.c.token_hash == bindparam("token_hash"), _SESSIONS.c.revoked_at.is_(None),
           _SESSIONS.c.expires_at > bindparam("now", type_=_SESSIONS.c.expires_at.type))
)


def resolve_token(session: Session, token: str) -> SignedIn | None:
    """The user and session of a token that is neither revoked nor expired, of a user still active; else None."""
    row = session.connection().execute(_SIGNED_IN, {"token_hash": token_hash(token), "now": utcnow()}).first()
    if row is None or not row.active:
        return None
    return row


def logout(session: Session, actor: Actor, token: str) -> None:
    session.execute(update(AuthSession).where(AuthSession.token_hash == token_hash(token)).values(revoked_at=utcnow()))
    record(session, actor, "auth.logout", "user", actor.username)


def revoke_sessions(session: Session, user_id: int) -> None:
    session.execute(
        update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)).values(revoked_at=utcnow())
    )


# TOTP -------------------------------------------------------------------------------------------
#
# A code is good for its own 30-second step and is used up by its first use: the step of the last code accepted is
# kept per user, and a code of that step or an earlier one is refused. Only a device clock running one step ahead
# is forgiven; a code of the previous step is an old code.


def totp_step(secret: str, code: str, at: dt.datetime) -> int | None:
    """The time step `code` is the code of, the current one or the next; None when it is neither."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at)
    for step in (current, current + 1):
        if pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            return step
    return None


def _spend_totp(user: User, code: str, at: dt.datetime, error: type[CangkuError]) -> CangkuError | None:
    """Accept `code` once, noting its step on the user (locked by the caller); else the error saying why not."""
    step = totp_step(user.totp_secret or "", code, at)
    if step is None:
        return error("The verification code is wrong.", "验证码错误。", code="bad_totp")
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return error(
            "This verification code was already used; wait for the next one.", "该验证码已使用过，请等待下一个验证码。", code="totp_used"
        )
    user.totp_last_step = step
    return None


def totp_setup(session: Session, actor: Actor) -> tuple[str, str]:
    """Start (or restart) enrolment: a new secret, not yet required until confirmed with a code."""
    user = session.get_one(User, actor.user_id, with_for_update=True)
    if user.totp_enabled:
        raise Conflict("Two-step verification is already on; turn it off first.", "两步验证已开启，请先关闭。", code="totp_enabled")
    user.totp_secret, user.totp_last_step = pyotp.random_base32(), None  # no code of the new secret was used yet
    session.flush()
    record(session, actor, "auth.totp_setup", "user", user.username)
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name="Cangku")
    return user.totp_secret, uri


def totp_enable(session: Session, actor: Actor, code: str) -> None:
    user = session.get_one(User, actor.user_id, with_for_update=True)
    if not user.totp_secret:
        raise Conflict("Start the set-up first.", "请先开始设置两步验证。", code="totp_not_setup")
    refused = _spend_totp(user, code, utcnow(), InvalidInput)
    if refused is not None:
        raise refused
    user.totp_enabled = True
    session.flush()
    record(session, actor, "auth.totp_enable", "user", user.username)


def totp_disable(session: Session, actor: Actor, code: str) -> None:
    user = session.get_one(User, actor.user_id, with_for_update=True)
    if not user.totp_enabled:
        raise InvalidInput("The verification code is wrong.", "验证码错误。", code="bad_totp")
    refused = _spend_totp(user, code, utcnow(), InvalidInput)
    if refused is not None:
        raise refused
    user.totp_enabled = False
    user.totp_secret = None
    session.flush()
    record(session, actor, "auth.totp_disable", "user", user.username)
