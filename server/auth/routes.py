"""Sign-in, sign-out, TOTP enrolment and user administration endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.orm import Session

from server.api import CSRF_COOKIE, DEVICE_HEADER, SESSION_COOKIE, get, patch, post, run_idempotent
from server.auth import services
from server.auth.client_address import request_address
from server.auth.models import User
from server.auth.permissions import ROLE_NAMES, ROLES, Actor, permissions_of
from server.auth.schemas import (
    AccountRules,
    LanguageChoice,
    LoginRequest,
    LoginResponse,
    Ok,
    RoleOut,
    TotpConfirm,
    TotpSetup,
    UserCreate,
    UserOut,
    UserUpdate,
)
from server.dates import company_zone
from server.db import Database


def user_out(session: Session, user: User, locked: dict[str, dt.datetime] | None = None) -> UserOut:
    """A user as the API shows it; `locked` (from services.locked_until) is looked up when not given."""
    if locked is None:
        locked = services.locked_until(session, [user.username])
    return UserOut(
        id=user.id, username=user.username, display_name=user.display_name, roles=list(user.roles),
        permissions=permissions_of(user.roles or ()), warehouses=services.warehouse_codes(session, user.warehouse_ids or ()), language=user.language or None,
        totp_enabled=user.totp_enabled, active=user.active, version=user.version, sign_in_locked_until=locked.get(user.username),
        timezone=company_zone().key,
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", status_code=200, summary="Sign in / 登录", opt={"exclude_from_auth": True}, security=[{}])
    def sign_in(self, request: Request[Any, Any, Any], db: NamedDependency[Database], data: JSONBody[LoginRequest]) -> Response[LoginResponse]:
        """Checks the password, and the two-step code once enabled, and opens a session: the token comes in the answer and, for a browser,
        in the session and CSRF cookies. Repeated failures lock sign-in for a while."""
        settings = request.app.state.settings
        ip = request_address(request, settings)
        device = data.device_id or request.headers.get(DEVICE_HEADER)
        token, auth_session, user = services.login(
            db, settings, username=data.username, password=data.password, totp=data.totp, ip=ip, device_id=device
        )
        with db.read() as session:
            body = LoginResponse(token=token, csrf_token=auth_session.csrf_token, user=user_out(session, user, {}))
        max_age = settings.session_hours * 3600
        return Response(
            body,
            cookies=[
                Cookie(key=SESSION_COOKIE, value=token, httponly=True, samesite="strict", max_age=max_age, path="/"),
                Cookie(key=CSRF_COOKIE, value=auth_session.csrf_token, httponly=False, samesite="strict", max_age=max_age, path="/"),
            ],
        )

    @post("/logout", status_code=200, summary="Sign out / 退出登录")
    def sign_out(self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor]) -> Response[Ok]:
        """Ends this session and clears its cookies."""
        db.run_write(lambda s: services.logout(s, actor, request.auth))
        response = Response(Ok())
        response.delete_cookie(SESSION_COOKIE)
        response.delete_cookie(CSRF_COOKIE)
        return response

    @get("/me", summary="Who am I / 当前用户")
    def who_am_i(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> UserOut:
        """The signed-in user: roles, permissions, warehouses, language and the company's time zone."""
        with db.read() as session:
            return user_out(session, session.get_one(User, actor.user_id))

    @get("/account-rules", summary="Roles and password rules of an account / 账号的角色和密码规则")
    def account_rules(self, actor: NamedDependency[Actor]) -> AccountRules:
        """The roles an account may be given and the shortest password allowed, for the forms that create and change users."""
        actor.require("users.manage")
        return AccountRules(
            roles=[RoleOut(role=role, name_zh=ROLE_NAMES[role][0], name_en=ROLE_NAMES[role][1]) for role in ROLES],
            password_min_length=services.MIN_PASSWORD,
        )

    @patch("/me", summary="Choose my language / 选择我的语言")
    def choose_language(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[LanguageChoice]) -> UserOut:
        """Sets the signed-in user's language; their other devices start in it."""
        return db.run_write(lambda session: user_out(session, services.choose_language(session, actor, data.language)))

    @post("/totp/setup", status_code=200, summary="Start two-step verification / 开始设置两步验证")
    def totp_setup(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> TotpSetup:
        """Starts (or restarts) two-step verification: a new secret and its URI for an authenticator app, not required until confirmed with
        a code."""
        secret, uri = db.run_write(lambda s: services.totp_setup(s, actor))
        return TotpSetup(secret=secret, uri=uri)

    @post("/totp/enable", status_code=200, summary="Confirm two-step verification / 确认两步验证")
    def totp_enable(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[TotpConfirm]) -> Ok:
        """Confirms two-step verification with a code from the authenticator app; from then on signing in asks for one."""
        db.run_write(lambda s: services.totp_enable(s, actor, data.code))
        return Ok()

    @post("/totp/disable", status_code=200, summary="Turn off two-step verification / 关闭两步验证")
    def totp_disable(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[TotpConfirm]) -> Ok:
        """Turns two-step verification off, given a current code."""
        db.run_write(lambda s: services.totp_disable(s, actor, data.code))
        return Ok()


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/", summary="List users / 用户列表")
    def list_users(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> list[UserOut]:
        """Every user, by username, with whether failed attempts have locked their sign-in; for those who manage users."""
        with db.read() as session:
            users = services.list_users(session, actor)
            locked = services.locked_until(session)
            return [user_out(session, u, locked) for u in users]

    @get("/{username:str}", summary="One user / 单个用户")
    def get_user(self, db: NamedDependency[Database], actor: NamedDependency[Actor], username: FromPath[str]) -> UserOut:
        """One user, for those who manage users."""
        with db.read() as session:
            return user_out(session, services.get_user(session, username, actor))

    @post("/", summary="Create a user / 新建用户")
    def create_user(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[UserCreate]
    ) -> Response[UserOut]:
        """Creates a user with their roles, warehouses, language and first password."""

        def action(session: Session) -> UserOut:
            user = services.create_user(
                session, actor, username=data.username, password=data.password, roles=data.roles,
                display_name=data.display_name, warehouses=data.warehouses, language=data.language,
            )
            return user_out(session, user)

        return run_idempotent(db, actor, request, data, action, UserOut)

    @patch("/{username:str}", summary="Change a user / 修改用户")
    def update_user(self, db: NamedDependency[Database], actor: NamedDependency[Actor], username: FromPath[str], data: JSONBody[UserUpdate]) -> UserOut:
        """Changes a user's roles, warehouses, name, language or password, or deactivates them; fields left out stay as they are."""

        def action(session: Session) -> UserOut:
            user = services.update_user(
                session, actor, username, roles=data.roles, warehouses=data.warehouses, display_name=data.display_name,
                active=data.active, password=data.password, language=data.language, version=data.version,
            )
            return user_out(session, user)

        return db.run_write(action)

    @post("/{username:str}/unlock", status_code=200,
          summary="Unlock sign-in after failed attempts / 解除登录锁定")
    def unlock(self, db: NamedDependency[Database], actor: NamedDependency[Actor], username: FromPath[str]) -> UserOut:
        """Clears the lock failed attempts put on an account's sign-in, at every address, so its owner can sign in again at once."""
        return db.run_write(lambda session: user_out(session, services.unlock_sign_in(session, actor, username)))
