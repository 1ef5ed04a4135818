"""`create_app()`: wires the database, authentication, error handling, every domain's routes and the PWA."""

from __future__ import annotations

import mimetypes
from importlib.metadata import version
from pathlib import Path
from typing import Any

from litestar import Controller, Litestar, Response
from litestar._openapi.plugin import OpenAPIPlugin  # the plugin Litestar makes of openapi_config
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, OpenAPI, SecurityScheme
from litestar.static_files import create_static_files_router

from server.api import EXCEPTION_HANDLERS, TokenAuthentication, get, operation_ids, provide_actor, provide_db
from server.audit.routes import AuditController, HistoryController
from server.audit.sealer import sealing
from server.auth.routes import AuthController, UserController
from server.bodies import DecimalSchemas, JsonRequest, refuse_control_characters
from server.catalog.routes import CategoryController, ItemController, LotController
from server.counts.routes import CountController
from server.db import Database
from server.finance.routes import CurrencyController, FinanceController, PaymentController, PeriodController
from server.imports.routes import ImportController
from server.inventory.routes import StockController
from server.inventory.trace_routes import TraceController
from server.inventory.transfer_routes import TransferController
from server.jobs.routes import JobController
from server.jobs.scheduler import scheduling
from server.locations.routes import LocationController
from server.mail.routes import EmailController
from server.monitoring.logs import adopt_server_loggers, configure_logging
from server.monitoring.metrics import count_committed, process_ended
from server.monitoring.middleware import RequestMonitor
from server.monitoring.readiness import Probe
from server.monitoring.routes import metrics, ready
from server.notifications.live import WhileLive, channels_plugin, publishing_commits
from server.notifications.routes import NotificationController, notification_socket
from server.outbox.dispatcher import dispatching
from server.outbox.routes import WebhookController
from server.partners.routes import PartnerController, PriceListController
from server.printing.document_routes import DocumentController
from server.printing.routes import LabelController, PrinterController
from server.purchasing.plan_routes import ForecastController, PurchasePlanController
from server.purchasing.routes import (
    ApprovalRuleController,
    BillController,
    PurchaseOrderController,
    PurchaseReturnController,
    PutawayController,
    ReceiptController,
    ReorderController,
    RequisitionController,
)
from server.reports.routes import reports_router
from server.reports.scorecard_routes import SupplierScoreController
from server.reports.tables import export_table
from server.sales.contract_routes import SalesContractController
from server.sales.routes import (
    CreditController,
    InvoiceController,
    PickController,
    QuoteController,
    ReturnController,
    SalesOrderController,
    WaveController,
)
from server.sales.shop_routes import ShopOrderController
from server.sales.ticket_routes import ServiceTicketController
from server.scan.routes import ScanController
from server.schemas import Out, Struct
from server.security_headers import security_headers
from server.settings import Settings, get_settings
from server.shell import ServiceWorker
from server.wiring import open_database
from sync.discrepancies import DiscrepancyController
from sync.live import sync_socket
from sync.routes import SyncController

VERSION = version("cangku")
PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".js")


SERVICE_WORKER = ServiceWorker()


@get("/sw.js", include_in_schema=False, opt={"exclude_from_auth": True})
def service_worker() -> Response[bytes]:
    """The app's service worker with its shell and version filled in (server/shell.py); never kept by a cache unchecked."""
    version, text = SERVICE_WORKER(PWA_DIR)
    return Response(text, media_type="text/javascript", headers={"Cache-Control": "no-cache", "ETag": f'"{version}"'})


def _handler_names(handler: Any) -> list[str]:
    """The names of a route handler, or of the handlers of a controller or router."""
    if isinstance(handler, type) and issubclass(handler, Controller):
        return [member.handler_name for member in vars(handler).values() if isinstance(member, HTTPRouteHandler)]
    if isinstance(handler, HTTPRouteHandler):
        return [handler.handler_name]
    return [name for route in getattr(handler, "routes", ()) for member in getattr(route, "route_handlers", ()) for name in [member.handler_name]]


class Health(Out):
    status: str
    version: str
    database: str


@get(["/health", "/api/v1/health"], tags=["system"], summary="Liveness / 存活检查", opt={"exclude_from_auth": True}, security=[{}])
async def health(db: NamedDependency[Database]) -> Health:
    """Answers while the server runs, with its version and its kind of database; it does not query the database (/ready does)."""
    return Health(status="ok", version=VERSION, database=db.dialect)


def create_app(settings: Settings | None = None, db: Database | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings)
    database = db or open_database(settings.effective_database_url)
    if count_committed not in database.commit_listeners:  # the moves counter: counted once per database, however many apps
        database.commit_listeners.append(count_committed)
    handlers: list[Any] = [
        health,
        ready,
        metrics,
        AuthController,
        UserController,
        CategoryController,
        ItemController,
        LotController,
        LocationController,
        PartnerController,
        StockController,
        TraceController,
        TransferController,
        CountController,
        ScanController,
        LabelController,
        PrinterController,
        DocumentController,
        EmailController,
        NotificationController,
        notification_socket,
        JobController,
        AuditController,
        HistoryController,
        FinanceController,
        CurrencyController,
        PeriodController,
        PaymentController,
        PriceListController,
        RequisitionController,
        ReorderController,
        ApprovalRuleController,
        PurchaseOrderController,
        PurchaseReturnController,
        ReceiptController,
        PutawayController,
        BillController,
        QuoteController,
        SalesOrderController,
        SalesContractController,
        ServiceTicketController,
        CreditController,
        WaveController,
        PickController,
        InvoiceController,
        ReturnController,
        SyncController,
        sync_socket,
        DiscrepancyController,
        reports_router,
        SupplierScoreController,
        ForecastController,
        PurchasePlanController,
        export_table,
        ImportController,
        WebhookController,
        ShopOrderController,
    ]
    if PWA_DIR.is_dir():
        handlers.append(service_worker)
        handlers.append(
            create_static_files_router(path="/", directories=[PWA_DIR], html_mode=True, name="pwa", opt={"exclude_from_auth": True})
        )

    channels, close_channels = channels_plugin(settings)

    async def on_shutdown(app: Litestar) -> None:
        process_ended(settings)
        if close_channels is not None:
            await close_channels()
        if db is None:
            database.dispose()

    app = Litestar(
        route_handlers=handlers,
        dependencies={"db": Provide(provide_db, sync_to_thread=False), "actor": Provide(provide_actor, sync_to_thread=False)},
        middleware=[DefineMiddleware(TokenAuthentication, exclude=["^/schema"])],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=OpenAPIConfig(
            title="Cangku 仓库 API",
            version=VERSION,
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", description="POST /api/v1/auth/login")}
            ),
            security=[{"BearerToken": []}],
            use_handler_docstrings=True,  # a handler's docstring is its operation's description
            operation_id_creator=operation_ids([name for handler in handlers for name in _handler_names(handler)]),
        ),
        # JSON bodies: size limited here (a route may allow more), depth and type checked by JsonRequest before and as it parses.
        request_max_body_size=settings.max_json_bytes,
        request_class=JsonRequest,
        before_request=refuse_control_characters,
        on_startup=[adopt_server_loggers],
        # PostgreSQL: seals the audit entries writers commit unsealed (server/audit/sealer.py); the outbox's dispatcher.
        lifespan=[sealing, dispatching],
        on_shutdown=[on_shutdown],
        before_send=[security_headers(settings)],
        logging_config=None,  # configure_logging above: JSON lines or text, with request ids
        # Commits publish live events and the scheduler runs only while the channels are up.
        plugins=[channels, WhileLive(publishing_commits, scheduling), DecimalSchemas()],
        debug=False,
    )
    app.state.db = database
    app.state.settings = settings
    app.state.readiness = Probe(database, settings)
    # Outside the app's exception handling, so every answer is seen: 404s, refused sign-ins, static files.
    app.asgi_handler = RequestMonitor(app.asgi_handler, settings)
    _declare_closed_request_bodies(app)
    return app


# The schema of the routes above: every app of a process has the same routes, so it is built (which takes longer than
# making the app) by the first and shared with the rest.
_SCHEMA: dict[str, OpenAPI] = {}


def _declare_closed_request_bodies(app: Litestar) -> None:
    """Request bodies refuse unknown fields; say so in the schema (additionalProperties: false)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    if "api" in _SCHEMA:
        plugin._openapi = _SCHEMA["api"]
        return
    names = set()
    pending: list[type] = [Struct]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    for name, component in (app.openapi_schema.components.schemas or {}).items():
        if name in names:
            component.additional_properties = False
    _SCHEMA["api"] = app.openapi_schema
