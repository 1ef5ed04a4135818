"""Sales endpoints: quotes, sales orders, credit, waves and picking, packing, shipping, invoices, returns."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.orm import Session

from server.api import get, patch, post, run_idempotent
from server.auth.permissions import Actor
from server.db import Database
from server.partners.services import get_partner
from server.purchasing.services import LineIn
from server.sales import services
from server.sales.models import Invoice, Quote, Return, SalesOrder
from server.sales.schemas import (
    ApplyCreditNote,
    CreditOverride,
    CustomerPriceOut,
    Disposition,
    ExposureOut,
    InvoiceCreate,
    InvoiceOut,
    InvoicePage,
    PackBody,
    PickConfirm,
    PickTaskOut,
    QuoteCreate,
    QuoteOut,
    QuotePage,
    ReturnCreate,
    ReturnOut,
    ReturnPage,
    ShipBody,
    SOCreate,
    SOOut,
    SOPage,
    SOUpdate,
    VersionBody,
    WaveCreate,
    WaveOut,
    WavePage,
)
from server.sales.views import customer_price_out, exposure_out, invoice_out, quote_out, return_out, so_out, wave_out
from server.schemas import Limit, Offset, RowId, Sort
from server.sorting import unseen

DocNumber = FromPath[str]
Status = str | None


def _lines(data: Any) -> list[LineIn]:
    return [LineIn(sku=line.sku, qty=line.qty, unit_price=line.unit_price, vat_rate=line.vat_rate, unit=line.unit, discount=line.discount) for line in data]


def _require_prices(actor: Actor) -> None:
    actor.require("prices.read")


class QuoteController(Controller):
    path = "/api/v1/quotes"
    tags = ["sales"]

    @get("/", summary="Quotes / 报价单列表")
    def list_quotes(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: Status = Parameter(default=None, max_length=24),
        customer: str | None = Parameter(default=None, max_length=64), limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> QuotePage:
        """Quotes, newest first or as `sort` asks; for those who may see prices."""
        _require_prices(actor)
        with db.read() as session:
            rows, total = services.list_documents(
                session, Quote, status=status, customer=customer, limit=limit, offset=offset, sort=sort, hidden=unseen(actor, QuoteOut)
            )
            return QuotePage(items=[quote_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One quote / 单个报价单")
    def get_quote(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> QuoteOut:
        """One quote with its lines; for those who may see prices."""
        _require_prices(actor)
        with db.read() as session:
            return quote_out(session, actor, services.get_quote(session, number))

    @post("/", summary="Make a quote / 新建报价单")
    def create_quote(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[QuoteCreate]
    ) -> Response[QuoteOut]:
        """Makes a draft quote for a customer; a line without a price takes the customer's list price."""

        def action(session: Session) -> QuoteOut:
            quote = services.create_quote(
                session, actor, customer=data.customer, warehouse=data.warehouse, lines=_lines(data.lines), valid_until=data.valid_until, note=data.note,
                currency=data.currency, discount=data.discount,
            )
            return quote_out(session, actor, quote)

        return run_idempotent(db, actor, request, data, action, QuoteOut)

    @post("/{number:str}/send", status_code=200, summary="Mark as sent / 标记已发送")
    def send(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[VersionBody]) -> QuoteOut:
        """Marks a draft quote as sent to the customer."""
        return db.run_write(lambda s: quote_out(s, actor, services.send_quote(s, actor, number, version=data.version)))

    @post("/{number:str}/accept", status_code=200, summary="Accepted: make the sales order / 接受并生成销售订单")
    def accept(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[VersionBody]) -> SOOut:
        """The customer said yes: the quote becomes a draft sales order at the quoted prices."""
        return db.run_write(lambda s: so_out(s, actor, services.accept_quote(s, actor, number, version=data.version)))

    @post("/{number:str}/cancel", status_code=200, summary="Cancel / 取消")
    def cancel(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> QuoteOut:
        """Cancels a quote that is a draft or was sent."""
        return db.run_write(lambda s: quote_out(s, actor, services.cancel_quote(s, actor, number)))


class SalesOrderController(Controller):
    path = "/api/v1/sales-orders"
    tags = ["sales"]

    @get("/", summary="Sales orders / 销售订单列表")
    def list_orders(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: Status = Parameter(default=None, max_length=24),
        customer: str | None = Parameter(default=None, max_length=64), warehouse: str | None = Parameter(default=None, max_length=64),
        shop: str | None = Parameter(default=None, max_length=64), limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> SOPage:
        """Sales orders, newest first or as `sort` asks, narrowed by state, customer, warehouse, or the online shop they came from."""
        with db.read() as session:
            rows, total = services.list_documents(
                session, SalesOrder, status=status, customer=customer, warehouse=warehouse, shop=shop, limit=limit, offset=offset, sort=sort,
                hidden=unseen(actor, SOOut),
            )
            return SOPage(items=[so_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One sales order / 单个销售订单")
    def get_order(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> SOOut:
        """One sales order with its lines and packages, its backorders, and what you may do with it now; prices only for those who may see
        them."""
        with db.read() as session:
            return so_out(session, actor, services.get_so(session, number))

    @post("/", summary="Take an order / 新建销售订单")
    def create_order(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[SOCreate]
    ) -> Response[SOOut]:
        """Takes a customer's order as a draft; a line without a price takes the customer's list price."""

        def action(session: Session) -> SOOut:
            so = services.create_so(session, actor, customer=data.customer, warehouse=data.warehouse, lines=_lines(data.lines), ship_to=data.ship_to,
                                    note=data.note, currency=data.currency, discount=data.discount, contract=data.contract)
            return so_out(session, actor, so)

        return run_idempotent(db, actor, request, data, action, SOOut)

    @patch("/{number:str}", summary="Change a draft order / 修改销售订单")
    def update_order(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[SOUpdate]) -> SOOut:
        """Changes a draft order, or the note and ship-to address of a confirmed one."""
        return db.run_write(lambda s: so_out(s, actor, services.update_so(
            s, actor, number, version=data.version, lines=_lines(data.lines) if data.lines is not None else None, ship_to=data.ship_to, note=data.note,
            discount=data.discount, contract=data.contract,
        )))

    @post("/{number:str}/confirm", status_code=200, summary="Confirm: credit check and reservation / 确认（信用检查并预留）")
    def confirm(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[VersionBody]) -> SOOut:
        """Confirms an order within the customer's credit limit (or once released over it) and reserves every line, earliest expiry first;
        if a line cannot be reserved, nothing is."""
        return db.run_write(lambda s: so_out(s, actor, services.confirm_so(s, actor, number, version=data.version)))

    @post("/{number:str}/credit-release", status_code=200, summary="Release over the credit limit / 超信用额度放行")
    def credit_release(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[CreditOverride]) -> SOOut:
        """Releases an order held over the customer's credit limit, for its current amount, with a reason on record."""
        return db.run_write(lambda s: so_out(s, actor, services.override_credit(s, actor, number, version=data.version, reason=data.reason)))

    @post("/{number:str}/cancel", status_code=200, summary="Cancel and release the stock / 取消并释放预留")
    def cancel(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[VersionBody]) -> SOOut:
        """Cancels an order before picking starts; its reservations are released."""
        return db.run_write(lambda s: so_out(s, actor, services.cancel_so(s, actor, number, version=data.version, reason=data.reason)))

    @post("/{number:str}/pack", status_code=200, summary="Pack into packages with SSCC / 装箱（SSCC）")
    def pack(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[PackBody]) -> SOOut:
        """Puts picked goods into packages, each labelled with a new SSCC."""
        packages = [services.PackageIn(lines=[(line.line, line.qty) for line in p.lines], weight_kg=p.weight_kg) for p in data.packages]

        def action(session: Session) -> SOOut:
            services.pack(session, actor, number, packages)
            return so_out(session, actor, services.get_so(session, number))

        return db.run_write(action)

    @post(
        "/{number:str}/ship", status_code=200, summary="Ship what was picked / 发货",
        description="An order picked short ships only with `remainder`: `backorder` (the rest on a new order) or `cancel`; without it, "
                    "409 `short_shipment` lists the short lines. / 未拣足的订单须指定 remainder：backorder（其余转欠货单）或 cancel（取消其余）。",
    )
    def ship(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber,
        data: JSONBody[ShipBody | None] = None,
    ) -> Response[SOOut]:
        """Ships everything picked: the goods leave the shipping area for the customer at moving-average cost. An order picked short ships
        only with a decision on the rest."""
        decision = data or ShipBody()

        def action(session: Session) -> SOOut:
            so = services.ship(session, actor, number, remainder=decision.remainder, reason=decision.reason, op_id=request.headers.get("idempotency-key"))
            return so_out(session, actor, so)

        return run_idempotent(db, actor, request, data, action, SOOut, status_code=200)

    @post("/{number:str}/invoice", summary="Invoice what was shipped / 开具发票")
    def invoice(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber,
        data: JSONBody[InvoiceCreate],
    ) -> Response[InvoiceOut]:
        """Invoices what was shipped and not yet invoiced; the invoice is posted at once unless `post` is false."""
        return run_idempotent(
            db, actor, request, data,
            lambda s: invoice_out(s, actor, services.create_invoice(s, actor, number, invoice_date=data.invoice_date, post=data.post)), InvoiceOut,
        )


class CreditController(Controller):
    path = "/api/v1/customers"
    tags = ["sales"]

    @get("/{code:str}/credit", summary="A customer's credit exposure / 客户信用占用")
    def customer_credit(self, db: NamedDependency[Database], actor: NamedDependency[Actor], code: FromPath[str]) -> ExposureOut:
        """What a customer owes and has on order, against their credit limit; for those who may see prices."""
        _require_prices(actor)
        with db.read() as session:
            return exposure_out(session, actor, get_partner(session, code, kind="customer"))

    @get(
        "/{code:str}/price", summary="A customer's list price for an item / 客户价目表价格",
        description="What a quote or order line takes when no unit price is given: the price list's price for the quantity, or null. "
                    "/ 报价或订单行未填单价时采用的价格：客户价目表中该数量的价格，没有则为 null。",
    )
    def customer_price(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], code: FromPath[str], sku: str = Parameter(max_length=64),
        qty: str = Parameter(default="1", max_length=32), unit: str | None = Parameter(default=None, max_length=32),
        currency: str | None = Parameter(default=None, max_length=3), contract: str | None = Parameter(default=None, max_length=64),
    ) -> CustomerPriceOut:
        """The price a quote or order line for a customer takes when none is typed, per the line's unit (`qty` counts in it), and
        the item's VAT rate; with `contract` (a sales contract of the customer's in force), the price it agreed for the item first."""
        with db.read() as session:
            return customer_price_out(code, sku, services.customer_price(session, actor, code, sku, qty, unit, currency, contract))


class WaveController(Controller):
    path = "/api/v1/waves"
    tags = ["sales"]

    @post("/", summary="Group orders into a pick wave / 创建拣货波次")
    def create_wave(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[WaveCreate]
    ) -> Response[WaveOut]:
        """Groups confirmed orders of a warehouse into one pick walk: a task per reservation, in bin order."""
        return run_idempotent(
            db, actor, request, data, lambda s: wave_out(s, actor, services.create_wave(s, actor, warehouse=data.warehouse, orders=data.orders)), WaveOut
        )

    @get("/", summary="Pick waves (a picker's work) / 拣货波次列表")
    def list_waves(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], warehouse: str | None = Parameter(default=None, max_length=64),
        status: FromQuery[Literal["open", "done"] | None] = "open", limit: Limit = 50,
    ) -> WavePage:
        """Pick waves (the open ones by default) in the warehouses you work in, oldest first: a picker's work."""
        with db.read() as session:
            return WavePage(items=[wave_out(session, actor, w) for w in services.list_waves(session, actor, warehouse=warehouse, status=status, limit=limit)])

    @get("/{number:str}", summary="A wave and its route / 波次及拣货路线")
    def get_wave(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> WaveOut:
        """A wave with its pick tasks in route order."""
        with db.read() as session:
            return wave_out(session, actor, services.get_wave(session, number))


class PickController(Controller):
    path = "/api/v1/pick-tasks"
    tags = ["sales"]

    @post("/{task_id:int}/confirm", status_code=200, summary="Confirm a pick / 确认拣货")
    def confirm(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], task_id: RowId,
        data: JSONBody[PickConfirm],
    ) -> Response[PickTaskOut]:
        """Confirms a pick: the goods move from the bin to the shipping area, still reserved for the order. Less than asked is a short pick,
        and the rest is released."""

        def action(session: Session) -> PickTaskOut:
            task = services.confirm_pick(
                session, actor, task_id, qty=data.qty, location=data.location, lot=data.lot, serials=data.serials, short_reason=data.short_reason,
                op_id=request.headers.get("idempotency-key"),
            )
            from server.sales.models import Wave

            wave = session.get_one(Wave, task.wave_id)
            return next(t for t in wave_out(session, actor, wave).tasks if t.id == task.id)

        return run_idempotent(db, actor, request, data, action, PickTaskOut, status_code=200)


class InvoiceController(Controller):
    path = "/api/v1/invoices"
    tags = ["sales"]

    @get("/", summary="Invoices and credit notes / 销售发票列表")
    def list_invoices(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: Status = Parameter(default=None, max_length=24),
        customer: str | None = Parameter(default=None, max_length=64), kind: FromQuery[Literal["invoice", "credit_note", "opening"] | None] = None,
        order: str | None = Parameter(default=None, max_length=64), limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> InvoicePage:
        """Invoices and credit notes, newest first or as `sort` asks; for those who may see prices."""
        _require_prices(actor)
        with db.read() as session:
            rows, total = services.list_documents(
                session, Invoice, status=status, customer=customer, kind=kind, order=order, limit=limit, offset=offset, sort=sort,
                hidden=unseen(actor, InvoiceOut),
            )
            return InvoicePage(items=[invoice_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One invoice / 单张发票")
    def get_invoice(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> InvoiceOut:
        """One invoice or credit note with its lines; for those who may see prices."""
        _require_prices(actor)
        with db.read() as session:
            return invoice_out(session, actor, services.get_invoice(session, number))

    @post("/{number:str}/cancel", status_code=200, summary="Cancel a draft invoice / 取消草稿发票")
    def cancel_invoice(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> InvoiceOut:
        """Cancels a draft invoice; its quantities can be invoiced again."""
        return db.run_write(lambda s: invoice_out(s, actor, services.cancel_invoice(s, actor, number)))

    @post("/{number:str}/apply", status_code=200, summary="Apply a credit note to an invoice / 红字发票核销")
    def apply_credit_note(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber,
                          data: JSONBody[ApplyCreditNote]) -> InvoiceOut:
        """What is left of a credit note (a return credited after its invoice was paid) settles another open invoice of the
        same customer and currency."""
        return db.run_write(lambda s: invoice_out(s, actor, services.apply_credit_note(s, actor, number, invoice=data.invoice, amount=data.amount)))

    @post("/{number:str}/post", status_code=200, summary="Post a draft invoice / 发票过账")
    def post_invoice(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> InvoiceOut:
        """Posts a draft invoice: the receivable against revenue and output VAT (a credit note the other way round)."""
        return db.run_write(lambda s: invoice_out(s, actor, services.post_invoice(s, actor, number)))


class ReturnController(Controller):
    path = "/api/v1/returns"
    tags = ["sales"]

    @get("/", summary="Customer returns / 退货单列表")
    def list_returns(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: Status = Parameter(default=None, max_length=24),
        customer: str | None = Parameter(default=None, max_length=64), order: str | None = Parameter(default=None, max_length=64),
        limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> ReturnPage:
        """Customer returns, newest first or as `sort` asks, narrowed by state, customer or sales order."""
        with db.read() as session:
            rows, total = services.list_documents(
                session, Return, status=status, customer=customer, order=order, limit=limit, offset=offset, sort=sort,
                hidden=unseen(actor, ReturnOut),
            )
            return ReturnPage(items=[return_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One return / 单个退货单")
    def get_return(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> ReturnOut:
        """One customer return with its lines."""
        with db.read() as session:
            return return_out(session, actor, services.get_return(session, number))

    @post("/", summary="Open a return (RMA) / 新建退货单")
    def create_return(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[ReturnCreate]
    ) -> Response[ReturnOut]:
        """Opens a return (RMA) for goods of a shipped order, no more than was shipped and not yet returned."""
        lines = [services.ReturnLineIn(line=line.line, qty=line.qty, lot=line.lot, serials=line.serials, reason=line.reason) for line in data.lines]
        return run_idempotent(
            db, actor, request, data,
            lambda s: return_out(s, actor, services.create_return(s, actor, so=data.order, lines=lines, note=data.note)), ReturnOut,
        )

    @post("/{number:str}/receive", status_code=200, summary="Receive the returned goods / 退货收货")
    def receive(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> ReturnOut:
        """The returned goods are back: they go into the returns area, not available, and what had been invoiced gets a credit note."""
        return db.run_write(lambda s: return_out(s, actor, services.receive_return(s, actor, number)))

    @post("/{number:str}/lines/{line:int}/dispose", status_code=200, summary="Restock or scrap / 重新入库或报废")
    def dispose(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, line: RowId, data: JSONBody[Disposition]
    ) -> ReturnOut:
        """Restocks a returned line into a bin of the warehouse, or scraps it."""
        return db.run_write(
            lambda s: return_out(s, actor, services.dispose_return(s, actor, number, line, disposition=data.disposition, location=data.location))
        )

