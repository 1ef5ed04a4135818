"""Sign-in, sign-out, TOTP enrolment and user administration endpoints."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.orm import Session

from server.api import CSRF_COOKIE, DEVICE_HEADER, ERRORS, SESSION_COOKIE, run_idempotent
from server.auth import services
from server.auth.models import User
from server.auth.permissions import Actor
from server.auth.schemas import LoginRequest, LoginResponse, Ok, TotpConfirm, TotpSetup, UserCreate, UserOut, UserUpdate
from server.db import Database


def user_out(session: Session, user: User) -> UserOut:
    return UserOut(
        id=user.id, username=user.username, display_name=user.display_name, roles=list(user.roles),
        warehouses=services.warehouse_codes(session, user.warehouse_ids or ()), language=user.language,
        totp_enabled=user.totp_enabled, active=user.active,
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", sync_to_thread=True, responses=ERRORS, status_code=200, summary="Sign in / 登录", opt={"exclude_from_auth": True}, security=[{}])
    def login(self, request: Request[Any, Any, Any], db: NamedDependency[Database], data: JSONBody[LoginRequest]) -> Response[LoginResponse]:
        settings = request.app.state.settings
        ip = request.client.host if request.client else ""
        device = data.device_id or request.headers.get(DEVICE_HEADER)
        token, auth_session, user = services.login(
            db, settings, username=data.username, password=data.password, totp=data.totp, ip=ip, device_id=device
        )
        with db.read() as session:
            body = LoginResponse(token=token, csrf_token=auth_session.csrf_token, user=user_out(session, user))
        max_age = settings.session_hours * 3600
        return Response(
            body,
            cookies=[
                Cookie(key=SESSION_COOKIE, value=token, httponly=True, samesite="strict", max_age=max_age, path="/"),
                Cookie(key=CSRF_COOKIE, value=auth_session.csrf_token, httponly=False, samesite="strict", max_age=max_age, path="/"),
            ],
        )

    @post("/logout", sync_to_thread=True, responses=ERRORS, status_code=200, summary="Sign out / 退出登录")
    def logout(self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor]) -> Response[Ok]:
        db.run_write(lambda s: services.logout(s, actor, request.auth))
        response = Response(Ok())
        response.delete_cookie(SESSION_COOKIE)
        response.delete_cookie(CSRF_COOKIE)
        return response

    @get("/me", sync_to_thread=True, responses=ERRORS, summary="Who am I / 当前用户")
    def me(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> UserOut:
        with db.read() as session:
            return user_out(session, session.get_one(User, actor.user_id))

    @post("/totp/setup", sync_to_thread=True, responses=ERRORS, status_code=200, summary="Start two-step verification / 开始设置两步验证")
    def totp_setup(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> TotpSetup:
        secret, uri = db.run_write(lambda s: services.totp_setup(s, actor))
        return TotpSetup(secret=secret, uri=uri)

    @post("/totp/enable", sync_to_thread=True, responses=ERRORS, status_code=200, summary="Confirm two-step verification / 确认两步验证")
    def totp_enable(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[TotpConfirm]) -> Ok:
        db.run_write(lambda s: services.totp_enable(s, actor, data.code))
        return Ok()

    @post("/totp/disable", sync_to_thread=True, responses=ERRORS, status_code=200, summary="Turn off two-step verification / 关闭两步验证")
    def totp_disable(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[TotpConfirm]) -> Ok:
        db.run_write(lambda s: services.totp_disable(s, actor, data.code))
        return Ok()


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/", sync_to_thread=True, responses=ERRORS, summary="List users / 用户列表")
    def list_users(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> list[UserOut]:
        with db.read() as session:
            return [user_out(session, u) for u in services.list_users(session, actor)]

    @get("/{username:str}", sync_to_thread=True, responses=ERRORS, summary="One user / 单个用户")
    def get_user(self, db: NamedDependency[Database], actor: NamedDependency[Actor], username: FromPath[str]) -> UserOut:
        with db.read() as session:
            return user_out(session, services.get_user(session, username, actor))

    @post("/", sync_to_thread=True, responses=ERRORS, summary="Create a user / 新建用户")
    def create_user(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[UserCreate]
    ) -> Response[UserOut]:
        def action(session: Session) -> UserOut:
            user = services.create_user(
                session, actor, username=data.username, password=data.password, roles=data.roles,
                display_name=data.display_name, warehouses=data.warehouses, language=data.language,
            )
            return user_out(session, user)

        return run_idempotent(db, actor, request, data, action, UserOut)

    @patch("/{username:str}", sync_to_thread=True, responses=ERRORS, summary="Change a user / 修改用户")
    def update_user(self, db: NamedDependency[Database], actor: NamedDependency[Actor], username: FromPath[str], data: JSONBody[UserUpdate]) -> UserOut:
        def action(session: Session) -> UserOut:
            user = services.update_user(
                session, actor, username, roles=data.roles, warehouses=data.warehouses, display_name=data.display_name,
                active=data.active, password=data.password, language=data.language,
            )
            return user_out(session, user)

        return db.run_write(action)
