"""`/ready` for load balancers and orchestrators, `/metrics` for Prometheus (`/health`, liveness, is in server.app)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.openapi.datastructures import ResponseSpec
from prometheus_client import CONTENT_TYPE_LATEST

from server.api import get, language_of
from server.errors import Forbidden
from server.monitoring.metrics import exposition, may_scrape
from server.monitoring.readiness import Probe, Readiness
from server.settings import Settings

NO_STORE = {"Cache-Control": "no-store"}
METRICS_MEDIA_TYPE = CONTENT_TYPE_LATEST.split("; charset=")[0]  # Litestar adds the charset to a text/ type itself


@get(
    ["/ready", "/api/v1/ready"], tags=["system"], summary="Readiness / 就绪检查", opt={"exclude_from_auth": True}, security=[{}],
    description="200 when the database answers, Redis answers (if configured) and the schema is at this code's revision; "
    "503 naming the failed checks otherwise. / 数据库可用、Redis 可用（如已配置）且数据库结构为本版本时返回 200，否则返回 503 并列出未通过的检查。",
    responses={503: ResponseSpec(data_container=Readiness, description="Not ready: see `failed` / 未就绪：见 failed")},
)
async def ready(request: Request[Any, Any, Any]) -> Response[Readiness]:
    """Whether this server can take work: the database and Redis (if configured) answer and the schema is at this code's revision."""
    probe: Probe = request.app.state.readiness
    result = await probe.run(language_of(request))
    return Response(result, status_code=503 if result.failed else 200, headers=NO_STORE)


@get("/metrics", include_in_schema=False, opt={"exclude_from_auth": True}, media_type=METRICS_MEDIA_TYPE)
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The server's metrics in Prometheus' text format, for the networks or the token the settings allow."""
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization", "")
    bearer = header[7:].strip() if header.lower().startswith("bearer ") else None
    client = request.scope.get("client")
    if not may_scrape(settings, client[0] if client else None, request.scope["headers"], bearer):
        raise Forbidden(
            "Metrics are served to the networks in CANGKU_METRICS_ALLOW (directly, not through a proxy) "
            "or with the token in CANGKU_METRICS_TOKEN.",
            "监控指标仅提供给 CANGKU_METRICS_ALLOW 中的网络（直连，不经代理）或携带 CANGKU_METRICS_TOKEN 令牌的请求。",
            code="metrics_forbidden",
        )
    return Response(exposition(settings), media_type=METRICS_MEDIA_TYPE, headers=NO_STORE)
