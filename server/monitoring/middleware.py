"""`RequestMonitor`: every request gets an id, a log line, a place in the latency histogram; every socket is counted.

It wraps the app's whole ASGI handler (routing and the app-level exception handling included), not a
route: Litestar runs route middleware only for a request that matched a route, and sees an error raised
by the authentication middleware as an exception, not as the 401 it becomes. Here every answer passes:
404s, 405s, refused sign-ins, the static files.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from server.monitoring.context import RequestContext, enter, leave, request_id_from
from server.monitoring.logs import REQUEST_LOGGER
from server.monitoring.metrics import HTTP_REQUESTS, WEBSOCKETS, status_class
from server.settings import Settings

log = logging.getLogger(REQUEST_LOGGER)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PROBES = frozenset({"/health", "/ready", "/metrics", "/api/v1/health", "/api/v1/ready"})  # polled every few seconds: DEBUG when fine


class RequestMonitor:
    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.slow_seconds = settings.slow_request_ms / 1000

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Any, receive: Any, send: Any) -> None:
        # The path as asked: routing rewrites scope["path"] for mounted apps (the static files).
        request = RequestContext(request_id_from(_header(scope, b"x-request-id")), scope["method"], scope["path"], scope)
        echo = (b"x-request-id", request.request_id.encode())
        status = 500

        async def answer(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echo]
            await send(message)

        token = enter(request)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, answer)
        finally:
            self._finished(request, scope, status, time.perf_counter() - started)
            leave(token)

    def _finished(self, request: RequestContext, scope: Any, status: int, elapsed: float) -> None:
        route = route_of(scope)
        method = request.method if request.method in METHODS else "other"
        HTTP_REQUESTS.labels(route, method, status_class(status)).observe(elapsed)
        slow = elapsed >= self.slow_seconds
        if status >= 500:
            level = logging.ERROR
        elif slow:
            level = logging.WARNING
        elif request.path in PROBES and status < 400:
            level = logging.DEBUG
        else:
            level = logging.INFO
        if log.isEnabledFor(level):
            duration_ms = round(elapsed * 1000, 1)
            message = f"{request.method} {request.path} {status} {duration_ms} ms" + (" (slow)" if slow else "")
            log.log(level, message, extra={"status": status, "duration_ms": duration_ms, "queries": request.queries, "route": route})

    async def _websocket(self, scope: Any, receive: Any, send: Any) -> None:
        request = RequestContext(request_id_from(_header(scope, b"x-request-id")), "WS", scope["path"], scope)
        counted: str | None = None

        async def answer(message: Any) -> None:
            nonlocal counted
            if message["type"] == "websocket.accept" and counted is None:
                counted = route_of(scope)
                WEBSOCKETS.labels(counted).inc()
            await send(message)

        token = enter(request)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, answer)
        finally:
            if counted is not None:
                WEBSOCKETS.labels(counted).dec()
            log.info(
                "websocket %s %s after %.1f s", request.path, "closed" if counted else "refused", time.perf_counter() - started,
                extra={"route": route_of(scope), "queries": request.queries},
            )
            leave(token)


def route_of(scope: Any) -> str:
    """The route template (`/api/v1/items/{sku:str}`), never the raw path: one time series per route, not per item."""
    handler = scope.get("route_handler")
    if handler is None:
        return "unmatched"  # no route (or not for this method)
    if getattr(handler, "is_mount", False):
        return "static"  # the PWA's files, whatever their name
    return scope.get("path_template") or "unmatched"


def _header(scope: Any, name: bytes) -> str | None:
    key: bytes
    value: bytes
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None
