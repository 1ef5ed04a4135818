"""Report endpoints: GET /api/v1/reports lists them; GET /api/v1/reports/{name} runs one.

Each report gets its own route, built from its declaration, so its filters are real, documented,
validated query parameters. `format=json|csv|xlsx` picks the output (JSON by default);
`lang=zh|en|both` the column titles of CSV and XLSX (by default the Accept-Language's).
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Annotated, Any, Literal

from litestar import Request, Response, Router
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import OpenAPIMediaType, Operation, Schema
from litestar.params import FromPath, QueryParameter

from server.api import get, handle_http_exception, language_of
from server.auth.permissions import Actor
from server.db import Database
from server.errors import NotFound
from server.reports import render, worker
from server.reports.framework import Filter, Report, build_params, filters_of
from server.reports.registry import REPORTS
from server.reports.schemas import ReportInfo, ReportList, ReportOut, ReportParamOut
from server.reports.worker import render_in_worker, rendered_response

PATH = "/api/v1/reports"
Format = Annotated[Literal["json", "csv", "xlsx"], QueryParameter(description="Output: json (default), csv or xlsx / 输出格式")]
Lang = Annotated[
    Literal["zh", "en", "both"] | None,
    QueryParameter(description="Column titles in CSV/XLSX: zh, en or both (default: from Accept-Language) / 表头语言"),
]


@dataclasses.dataclass
class ReportOperation(Operation):
    """The 200 answer of a report route is JSON, CSV or XLSX: say so in the schema."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        content = getattr(ok, "content", None)
        if content is not None:
            content["text/csv"] = OpenAPIMediaType(schema=Schema(type="string", description="UTF-8 with BOM; a header row of titles"))  # type: ignore[arg-type]
            content[render.MEDIA_TYPES["xlsx"]] = OpenAPIMediaType(schema=Schema(type="string", format="binary"))  # type: ignore[arg-type]


def _query_annotation(spec: Filter) -> Any:
    description = f"{spec.title_en} / {spec.title_zh}"
    return Annotated[spec.annotation, QueryParameter(name=spec.query, description=description, **spec.constraints)]


def _route_for(report: Report[Any]) -> HTTPRouteHandler:
    filters = filters_of(report.params)

    async def run_report(db: Database, actor: Actor, format: str, lang: str | None, **values: Any) -> Response[Any]:  # noqa: A002
        """One report's rows, as JSON, CSV or XLSX (run and rendered in a report worker process)."""
        params = build_params(report, values)
        return rendered_response(await render_in_worker(worker.report, db.url, report.name, actor, params, format, lang or actor.language))

    # Litestar reads what to parse, validate and document from the handler's signature: this one's is
    # the shared parameters followed by the report's filters, each with its type and constraints.
    fixed = [
        ("db", NamedDependency[Database], inspect.Parameter.empty),
        ("actor", NamedDependency[Actor], inspect.Parameter.empty),
        ("format", Format, "json"),
        ("lang", Lang, None),
    ]
    parameters = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=hint, default=default) for name, hint, default in fixed]
    parameters += [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, annotation=_query_annotation(f), default=inspect.Parameter.empty if f.required else f.default
        )
        for f in filters
    ]
    run_report.__signature__ = inspect.Signature(parameters, return_annotation=Response[ReportOut])  # type: ignore[attr-defined]
    run_report.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": Response[ReportOut]}
    run_report.__name__ = run_report.__qualname__ = f"report_{report.name}"
    return get(
        f"/{report.name}",
        name=f"report-{report.name}",
        operation_class=ReportOperation,
        summary=f"{report.title_en} / {report.title_zh}",
        description=_describe(report),
    )(run_report)


def _describe(report: Report[Any]) -> str:
    lines = [f"Needs permission `{report.permission}`. Columns:", ""]
    for c in report.columns:
        note = f" (needs `{c.permission}`)" if c.permission else ""
        lines.append(f"- `{c.key}` {c.title_en} / {c.title_zh}: {c.type}{note}")
    return "\n".join(lines)


def _info(report: Report[Any], actor: Actor) -> ReportInfo:
    return ReportInfo(
        name=report.name,
        title_zh=report.title_zh,
        title_en=report.title_en,
        permission=report.permission,
        path=f"{PATH}/{report.name}",
        formats=["json", "csv", "xlsx"],
        params=[
            ReportParamOut(
                name=f.query, type=f.kind, required=f.required, default=f.default if isinstance(f.default, (str, int)) else None,
                title_zh=f.title_zh, title_en=f.title_en, choices=f.choices,
                minimum=f.constraints.get("ge"), maximum=f.constraints.get("le"),
            )
            for f in filters_of(report.params)
        ],
        columns=render.columns_out(report.visible_columns(actor)),
    )


@get("/", summary="Reports you may run / 可用报表")
def list_reports(actor: NamedDependency[Actor]) -> ReportList:
    """The reports you may run, with their filters and the columns you may see."""
    actor.require("reports.read")
    return ReportList(items=[_info(r, actor) for r in REPORTS.values() if actor.can(r.permission)])


@get("/{name:str}", include_in_schema=False)
def unknown_report(name: FromPath[str]) -> None:
    """A report name that does not exist: the answer names the reports, or the query to ask for a file format."""
    stem, _, suffix = name.rpartition(".")
    if stem in REPORTS and suffix in render.MEDIA_TYPES:
        raise NotFound(
            f"Ask for {PATH}/{stem}?format={suffix} (the format is a query parameter).",
            f"请使用 {PATH}/{stem}?format={suffix}（格式是查询参数）。",
            code="unknown_report",
            report=name,
        )
    raise NotFound(
        f"No report named {name}; the reports are: {', '.join(REPORTS)}.",
        f"没有名为 {name} 的报表；可用报表：{', '.join(REPORTS)}。",
        code="unknown_report",
        report=name,
        reports=list(REPORTS),
    )


# Query parameter names by field name, where they differ (`from_` is asked for as `from`).
_QUERY_NAMES = {f.name: f.query for r in REPORTS.values() for f in filters_of(r.params) if f.name != f.query}


def bad_parameter(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """A filter of the wrong type or out of range: the usual error body, with the parameter named in the message."""
    problems = [p for p in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(p, dict) and p.get("key")]
    if not problems:
        return handle_http_exception(request, exc)
    named = [f"{_QUERY_NAMES.get(p['key'], p['key'])}: {p.get('message', '')}" for p in problems]
    en = "Bad report parameter: " + "; ".join(named)
    zh = "报表参数有误：" + "；".join(named)
    details = {"errors": problems, "message_zh": zh, "message_en": en}
    return Response({"error": "invalid_request", "message": zh if language_of(request) == "zh" else en, "details": details}, status_code=400)


# Litestar deep-copies a router into each app that registers it.
reports_router = Router(
    path=PATH,
    route_handlers=[list_reports, unknown_report, *(_route_for(r) for r in REPORTS.values())],
    tags=["reports"],
    exception_handlers={ValidationException: bad_parameter},
)
