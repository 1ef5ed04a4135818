"""HTTP plumbing every domain's routes share: the route decorators, authentication, the acting user, idempotency, error
responses."""

from __future__ import annotations

import enum
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio.to_thread
import litestar
import msgspec
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, ValidationException, WebSocketException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import AnyCallable, Method
from litestar.types.callable_types import OperationIDCreator
from litestar.types.internal_types import PathParameterDefinition
from litestar.utils import is_async_callable
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from server.audit.models import IdempotencyKey
from server.auth.permissions import Actor
from server.auth.services import actor_for
from server.auth.signed_in import SIGNED_IN
from server.db import Database
from server.errors import ERROR_CODES, CangkuError, Forbidden, InvalidInput, NotAuthenticated
from server.monitoring.context import current_request_id, note_error
from server.schemas import Out

log = logging.getLogger("cangku")

SESSION_COOKIE = "cangku_session"
CSRF_COOKIE = "cangku_csrf"
CSRF_HEADER = "x-csrf-token"
DEVICE_HEADER = "x-device-id"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

T = TypeVar("T")


def language_of(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    accept = request.headers.get("accept-language", "")
    return "zh" if accept.lower().startswith("zh") else "en"


class TokenAuthentication(AbstractAuthenticationMiddleware):
    """Bearer token or session cookie; cookie sessions must echo their CSRF token on writes."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        try:
            return await self._authenticate(connection)
        except NotAuthenticated as exc:
            if connection.scope["type"] == ScopeType.WEBSOCKET:
                # A socket cannot carry an error body: close with 4401 so the client knows to sign in again.
                raise WebSocketException(detail=exc.en, code=4401) from None
            raise

    async def _authenticate(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        from_cookie = False
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        else:
            token = connection.cookies.get(SESSION_COOKIE, "")
            from_cookie = True
        if not token:
            raise NotAuthenticated("Sign in first.", "请先登录。")
        db: Database = connection.app.state.db
        found = SIGNED_IN.cached(token) or await anyio.to_thread.run_sync(SIGNED_IN.look_up, db, token)
        if found is None:
            raise NotAuthenticated("Your session has expired; sign in again.", "登录已过期，请重新登录。", code="session_expired")
        if from_cookie and connection.scope.get("method", "GET") not in SAFE_METHODS:
            if connection.headers.get(CSRF_HEADER) != found.csrf_token:
                raise Forbidden(
                    "Missing or wrong CSRF token; reload the page.", "缺少或错误的 CSRF 令牌，请刷新页面。", code="csrf_failed"
                )
        device = connection.headers.get(DEVICE_HEADER) or found.device_id
        actor = actor_for(found, device_id=(device or None) and device[:64], language=language_of(connection))
        return AuthenticationResult(user=actor, auth=token)


def provide_actor(request: Request[Actor, str, Any]) -> Actor:
    return request.user


def provide_db(request: Request[Any, Any, Any]) -> Database:
    db: Database = request.app.state.db
    return db


# Idempotency ------------------------------------------------------------------------------------


def run_idempotent(
    db: Database,
    actor: Actor,
    request: Request[Any, Any, Any],
    body: msgspec.Struct | None,
    action: Callable[[Session], T],
    out_type: type[T],
    status_code: int = 201,
) -> Response[T]:
    """Run a posting action once per Idempotency-Key: a repeat gets the first response and posts nothing."""
    key = request.headers.get("idempotency-key")
    if not key:
        return Response(db.run_write(action), status_code=status_code)
    if len(key) > 200:
        raise InvalidInput("The Idempotency-Key is too long (200 characters at most).", "Idempotency-Key 过长（最多 200 个字符）。")
    fingerprint = hashlib.sha256(request.url.path.encode() + b"\n" + msgspec.json.encode(body)).hexdigest()

    def stored(session: Session) -> Response[T] | None:
        row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == actor.user_id, IdempotencyKey.key == key))
        if row is None:
            return None
        if row.request_hash != fingerprint:
            raise InvalidInput(
                "This Idempotency-Key was already used for a different request.",
                "该 Idempotency-Key 已用于另一个请求。",
                code="idempotency_key_reused",
            )
        return Response(msgspec.json.decode(row.response_body or b"null", type=out_type), status_code=row.status_code or 200)

    def once(session: Session) -> Response[T]:
        previous = stored(session)
        if previous is not None:
            return previous
        result = action(session)
        session.add(
            IdempotencyKey(
                user_id=actor.user_id, key=key, method=request.method, path=request.url.path[:500],
                request_hash=fingerprint, status_code=status_code, response_body=msgspec.json.encode(result).decode(),
            )
        )
        session.flush()
        return Response(result, status_code=status_code)

    try:
        return db.run_write(once)
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its response.
        with db.read() as session:
            previous = stored(session)
        if previous is None:
            raise
        return previous


# Errors -----------------------------------------------------------------------------------------


ErrorCode = enum.StrEnum("ErrorCode", [(code, code) for code in ERROR_CODES])  # type: ignore[misc]  # made from the one list


class ErrorBody(Out):
    """Every error response: a stable code (one of ErrorCode), a message for a person, and details for programs."""

    error: ErrorCode
    message: str
    details: dict[str, Any]
    request_id: str | None = None  # also the X-Request-Id response header and the server's log lines: quote it when reporting


_ERROR_MEANINGS = {
    400: "The request could not be read (malformed JSON, wrong types, out-of-range parameters)",
    401: "Not signed in, or the session expired",
    403: "Signed in, but not allowed to do this",
    404: "No such record",
    409: "Conflicts with the current state (not enough stock, a duplicate, a stale version)",
    413: "The request body is too large",
    422: "Understood, but refused by a business rule (unknown SKU, bad quantity, ...)",
    429: "Too many attempts; wait and retry",
    503: "The database is unavailable; nothing was written, retry shortly",
    507: "The server's disk is full; nothing was written",
}
ERRORS = {status: ResponseSpec(data_container=ErrorBody, description=text) for status, text in _ERROR_MEANINGS.items()}


def _error(code: str, message: str, status: int, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    note_error(code)
    body = {"error": code, "message": message, "details": details or {}, "request_id": current_request_id()}
    return Response(body, status_code=status, headers=headers)


def handle_cangku_error(request: Request[Any, Any, Any], exc: CangkuError) -> Response[dict[str, Any]]:
    headers = None
    if exc.status_code == 429 and "retry_after" in exc.details:
        headers = {"Retry-After": str(exc.details["retry_after"])}
    details = msgspec.to_builtins(exc.details)
    details["message_zh"], details["message_en"] = exc.zh, exc.en
    return _error(exc.code, exc.message(language_of(request)), exc.status_code, details, headers)


_HTTP_CODES = {
    400: ("invalid_request", "The request is not valid.", "请求无效。"),
    401: ("not_authenticated", "Sign in first.", "请先登录。"),
    403: ("forbidden", "You are not allowed to do this.", "您无权执行此操作。"),
    404: ("not_found", "Nothing is here.", "未找到。"),
    405: ("method_not_allowed", "This method is not allowed here.", "不允许此方法。"),
    413: ("too_large", "The request is too large.", "请求过大。"),
    415: ("unsupported_media_type", "Send JSON.", "请发送 JSON。"),
}


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code, en, zh = _HTTP_CODES.get(status, ("http_error", exc.detail or "Request failed.", exc.detail or "请求失败。"))
    details: dict[str, Any] = {}
    if isinstance(exc, ValidationException):
        code = "invalid_request"
        problems = exc.extra if isinstance(exc.extra, list) else []
        details["errors"] = msgspec.to_builtins(problems)
        reason = "; ".join(str(p.get("message", p)) if isinstance(p, dict) else str(p) for p in problems) or exc.detail
        if "JSON" in (exc.detail or "") or "decode" in (exc.detail or "").lower():
            reason = f"the body is not valid JSON ({exc.detail})"
        en = f"The request is not valid: {reason}"
        zh = f"请求无效：{reason}"
    elif exc.detail:
        en = exc.detail
    return _error(code, zh if language_of(request) == "zh" else en, status, details, exc.headers)


def handle_integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[dict[str, Any]]:
    log.info("integrity error: %s", exc.orig)
    zh, en = "数据冲突：同样的记录已存在或被引用。", "This conflicts with existing data (a duplicate or a record in use)."
    return _error("conflict", zh if language_of(request) == "zh" else en, 409)


# What SQLite and PostgreSQL say when the disk under the database is full.
DISK_FULL = ("database or disk is full", "no space left on device", "could not extend file", "disk full")


def handle_operational_error(request: Request[Any, Any, Any], exc: OperationalError) -> Response[dict[str, Any]]:
    """The database is unreachable or restarting: nothing was written; the client may retry."""
    if any(text in str(exc.orig).lower() for text in DISK_FULL):
        log.error("disk full on %s %s: %s", request.method, request.url.path, exc.orig)
        zh, en = ("服务器磁盘已满，未写入任何内容。请管理员释放磁盘空间后重试。",
                  "The server's disk is full; nothing was written. Ask an administrator to free disk space, then try again.")
        return _error("disk_full", zh if language_of(request) == "zh" else en, 507)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
    zh, en = "数据库暂时不可用，未写入任何内容，请稍后重试。", "The database is unavailable right now; nothing was written. Try again shortly."
    return _error("database_unavailable", zh if language_of(request) == "zh" else en, 503, headers={"Retry-After": "2"})


def handle_data_error(request: Request[Any, Any, Any], exc: DataError) -> Response[dict[str, Any]]:
    zh, en = "数值超出允许范围。", "A value is out of the allowed range."
    return _error("invalid", zh if language_of(request) == "zh" else en, 422)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    zh, en = "服务器内部错误，已记录。", "Internal error; it has been logged."
    return _error("internal_error", zh if language_of(request) == "zh" else en, 500)


EXCEPTION_HANDLERS: dict[type[Exception], Callable[..., Response[Any]]] = {
    CangkuError: handle_cangku_error,
    HTTPException: handle_http_exception,
    IntegrityError: handle_integrity_error,
    DataError: handle_data_error,
    OperationalError: handle_operational_error,
    Exception: handle_unexpected,
}


# Route decorators -------------------------------------------------------------------------------------------------


RouteDecorator = Callable[[AnyCallable], HTTPRouteHandler]


def _route(method: Callable[..., HTTPRouteHandler], path: str | Sequence[str] | None, options: dict[str, Any]) -> RouteDecorator:
    """Litestar's decorator for one HTTP method, with the defaults every route shares; an option given explicitly wins."""

    def decorate(fn: AnyCallable) -> HTTPRouteHandler:
        defaults: dict[str, Any] = {"responses": ERRORS}
        if not is_async_callable(fn):
            # Sync handlers wait on the database: a worker thread keeps the event loop serving other requests meanwhile.
            defaults["sync_to_thread"] = True
        return method(path, **(defaults | options))(fn)

    return decorate


def get(path: str | Sequence[str] | None = None, **options: Any) -> RouteDecorator:
    """A GET route: a sync handler runs on a worker thread, and the schema documents the error responses (ERRORS)."""
    return _route(litestar.get, path, options)


def post(path: str | Sequence[str] | None = None, **options: Any) -> RouteDecorator:
    """A POST route, with the same defaults as `get`."""
    return _route(litestar.post, path, options)


def put(path: str | Sequence[str] | None = None, **options: Any) -> RouteDecorator:
    """A PUT route, with the same defaults as `get`."""
    return _route(litestar.put, path, options)


def patch(path: str | Sequence[str] | None = None, **options: Any) -> RouteDecorator:
    """A PATCH route, with the same defaults as `get`."""
    return _route(litestar.patch, path, options)


def delete(path: str | Sequence[str] | None = None, **options: Any) -> RouteDecorator:
    """A DELETE route, with the same defaults as `get`."""
    return _route(litestar.delete, path, options)


# Operation ids ------------------------------------------------------------------------------------------------------


def operation_ids(handler_names: Sequence[str]) -> OperationIDCreator:
    """Readable operation ids for the API schema: the handler's name in camelCase (`post_move` → `postMove`). A bare verb
    (`approve`) and a name several handlers share (`cancel`) take their controller's resource (`approvePurchaseOrder`); the
    probes answering at the root as well as under /api/v1 are told apart there (`healthAtRoot`)."""
    shared = {name for name, handlers in Counter(handler_names).items() if handlers > 1}

    def create(handler: HTTPRouteHandler, method: Method, path: list[str | PathParameterDefinition]) -> str:
        name = handler.handler_name
        head, *rest = name.split("_")
        camel = head + "".join(part[:1].upper() + part[1:] for part in rest)
        fn = getattr(handler.fn, "func", handler.fn)  # a sync handler is wrapped to run in a thread
        owner, _, _ = getattr(fn, "__qualname__", "").rpartition(".")  # the controller class it was declared in
        if (not rest or name in shared) and owner:
            camel += owner.removesuffix("Controller")
        if path and path[0] != "api":
            camel += "AtRoot"
        return camel

    return create
