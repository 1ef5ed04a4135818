"""Printed documents as PDF: a purchase order, a goods received note, a picking list, a delivery note, an invoice.

Each answers to whoever may read the document as JSON, shows what that person may see of it (no prices without
`prices.read`), and is printed in one language: `lang=zh|en`, by default the Accept-Language's, as reports are.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from server.api import get
from server.auth.permissions import Actor
from server.db import Database
from server.printing import documents
from server.printing.sheets import Letterhead
from server.reports.statement import StatementParams
from server.reports.worker import Rendered, render_in_worker

Lang = Annotated[
    Literal["zh", "en"] | None, QueryParameter(description="The document's language: zh or en (default: from Accept-Language) / 打印语言"),
]


async def _printed(request: Request[Any, Any, Any], db: Database, actor: Actor, kind: str, number: str, lang: str | None) -> Response[Any]:
    """The document drawn in a report worker, answered to be shown in the browser's PDF viewer under its own name."""
    company = Letterhead.of(request.app.state.settings)
    rendered = await render_in_worker(documents.print_document, db.url, kind, number, actor, lang or actor.language, company)
    return _inline(rendered)


def _inline(rendered: Rendered) -> Response[Any]:
    name = (rendered.file_name or "document.pdf").replace('"', "")
    headers = {"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"}
    if rendered.spool is None:
        return Response(rendered.content, media_type=rendered.media_type, headers=headers)
    return Stream(rendered.chunks(), media_type=rendered.media_type, headers=headers)


class DocumentController(Controller):
    path = "/api/v1"
    tags = ["printing"]

    @get("/purchase-orders/{number:str}/pdf", summary="Print a purchase order / 打印采购订单", media_type=documents.PDF)
    async def purchase_order_pdf(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                                 number: FromPath[str], lang: Lang = None) -> Response[bytes]:
        """A purchase order as a PDF to send to the supplier: the company's letterhead, the supplier, the lines, and — for
        those who may see prices — the prices, totals and the total in words (人民币大写)."""
        return await _printed(request, db, actor, "purchase_order", number, lang)

    @get("/receipts/{number:str}/pdf", summary="Print a goods received note / 打印入库单", media_type=documents.PDF)
    async def receipt_pdf(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                          number: FromPath[str], lang: Lang = None) -> Response[bytes]:
        """A receipt as a goods received note (入库单): what arrived, lot by lot, and what inspection accepted; valued at the
        order's prices only for those who may see prices."""
        return await _printed(request, db, actor, "receipt", number, lang)

    @get("/waves/{number:str}/pdf", summary="Print a picking list / 打印拣货单", media_type=documents.PDF)
    async def wave_pdf(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                       number: FromPath[str], lang: Lang = None) -> Response[bytes]:
        """A pick wave as a picking list (拣货单): its tasks in route order, bin by bin, with a column to write what was taken."""
        return await _printed(request, db, actor, "wave", number, lang)

    @get("/sales-orders/{number:str}/delivery-note.pdf", summary="Print a delivery note / 打印送货单", media_type=documents.PDF)
    async def delivery_note_pdf(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                                number: FromPath[str], lang: Lang = None) -> Response[bytes]:
        """A shipped sales order as a delivery note (送货单) for the customer to sign: what was shipped, its lots and packages;
        valued only for those who may see prices. An order not shipped yet has none (409 `not_shipped`)."""
        return await _printed(request, db, actor, "delivery_note", number, lang)

    @get("/invoices/{number:str}/pdf", summary="Print an invoice / 打印发票", media_type=documents.PDF)
    async def invoice_pdf(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                          number: FromPath[str], lang: Lang = None) -> Response[bytes]:
        """An invoice or credit note (红字发票, its amounts negative) as a PDF, with VAT and the total in words; for those who
        may see prices."""
        actor.require("prices.read")
        return await _printed(request, db, actor, "invoice", number, lang)

    @get("/partners/{code:str}/statement.pdf", summary="Print a statement / 打印对账单", media_type=documents.PDF)
    async def statement_pdf(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], code: FromPath[str],
        side: Annotated[Literal["customer", "supplier"] | None, QueryParameter(description="customer or supplier, for a partner that is both / 客户或供应商")] = None,
        date_from: Annotated[dt.date | None, QueryParameter(name="from", description="From (inclusive; the 1st of this month by default) / 起始日期")] = None,
        date_to: Annotated[dt.date | None, QueryParameter(name="to", description="To (inclusive; today by default) / 截止日期")] = None,
        currency: Annotated[str | None, QueryParameter(pattern=r"^[A-Z]{3}$", description="Currency (the partner's by default) / 币种")] = None,
        lang: Lang = None,
    ) -> Response[bytes]:
        """A customer's or supplier's statement (对账单) for a period as a PDF to send them: brought forward, each invoice, bill,
        note and payment with the running balance, carried forward in words, and a slip to confirm it; for finance."""
        actor.require("finance.read")
        params = StatementParams(partner=code, from_=date_from, to=date_to, currency=currency)
        params.check()
        company = Letterhead.of(request.app.state.settings)
        rendered = await render_in_worker(documents.print_statement, db.url, side or "", params, actor, lang or actor.language, company)
        return _inline(rendered)
