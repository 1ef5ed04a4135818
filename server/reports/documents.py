"""Document reports: purchases by supplier and item, sales order lines shipped and invoiced, gross profit by item or customer.

What each figure means:

- Purchase summary: the lines of purchase orders placed (approved, being received, received or
  closed) whose order date — the day the order was entered, in the report's time zone — falls in
  the period. Each line counts whole, with everything that has happened to it up to now: ordered,
  received, accepted and rejected at inspection, billed on posted bills. Amounts are net of VAT:
  ordered at the order's price, billed at the bills' prices. Open is what is still expected:
  ordered − accepted, never below zero, and nothing once the order is closed (no more will come).
- Sales detail: one row per sales order line that has shipped (an invoice only ever bills what
  shipped), for orders shipped in the period; an order ships once. Quantities and amounts are
  the line's to date: invoiced = posted invoices less posted credit notes, so net, VAT and total
  are exactly what the customer was charged for it; cost is the stock value shipped less the
  value of what came back (`SalesOrderLine.cost`); gross profit = net − cost (minus the cost
  until the line is invoiced: the row shows why, invoiced 0).
- Gross profit: for the period, revenue is the net of posted invoices dated in it less the net
  of posted credit notes dated in it (account 6001); cost of goods sold is the value of the stock
  moves of sales orders and returns that crossed to or from CUSTOMER in it — shipments, goods
  coming back, and reversals of either (account 6401, where every shipment goes through an
  order). Moves are dated and carry the value they were posted at, so a period's figure never
  changes afterwards and matches the books; `SalesOrderLine.cost` is a running total with no date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal, cast

import msgspec
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.auth.visibility import COSTS
from server.catalog.models import Item
from server.documents.lines import PRICE_PLACES, base_price
from server.errors import InvalidInput, UnknownReference
from server.finance.currency import in_yuan
from server.inventory.models import Move
from server.locations.models import Location
from server.partners.models import Partner
from server.purchasing.models import Bill, BillLine, PurchaseOrder, PurchaseOrderLine
from server.reports.framework import Column, Params, Report, Row, param
from server.reports.stock import SkuFilter, find_item
from server.sales.models import Invoice, InvoiceLine, Return, SalesOrder, SalesOrderLine

ZERO = Decimal(0)
PERCENT = Decimal("0.01")

# Orders placed with the supplier: approved and after. Drafts, orders awaiting approval, rejected
# and cancelled orders were never sent.
PLACED_PO_STATES = ("approved", "partially_received", "received", "closed")
# Bills and invoices that are in the books (posted, whether paid or not).
POSTED_BILL_STATES = ("posted", "partially_paid", "paid")
POSTED_INVOICE_STATES = ("posted", "partially_paid", "paid")

PartnerFilter = Annotated[str, param("往来单位编码", "Partner code", min_length=1, max_length=64)] | None


def find_partner(session: Session, code: str, parameter: str) -> Partner:
    partner = session.scalar(select(Partner).where(Partner.code == code))
    if partner is None:
        raise UnknownReference(
            f"No partner with code {code}.", f"没有编码为 {code} 的往来单位。", code="unknown_partner", parameter=parameter, partner=code
        )
    return partner


def item_fields(sku: str, name_zh: str, name_en: str, unit: str) -> Row:
    return {"sku": sku, "name_zh": name_zh, "name_en": name_en, "unit": unit}


def margin(profit: Decimal, revenue: Decimal) -> Decimal | None:
    """Gross profit as a percentage of revenue, to two places; none without revenue."""
    if revenue == 0:
        return None
    return (profit * 100 / revenue).quantize(PERCENT, rounding=ROUND_HALF_UP)


def _item_columns(when: Any = None) -> tuple[Column, ...]:
    return (
        Column("sku", "SKU", "SKU", when=when),
        Column("name_zh", "品名（中文）", "Name (Chinese)", when=when),
        Column("name_en", "品名（英文）", "Name (English)", when=when),
        Column("unit", "单位", "Unit", when=when),
    )


def _partner_columns(key: str, zh: str, en: str, when: Any = None) -> tuple[Column, ...]:
    return (
        Column(key, f"{zh}编码", f"{en} code", when=when),
        Column(f"{key}_name_zh", f"{zh}名称（中文）", f"{en} name (Chinese)", when=when),
        Column(f"{key}_name_en", f"{zh}名称（英文）", f"{en} name (English)", when=when),
    )


# A period of local calendar days -------------------------------------------------------------------


class PeriodParams(Params, kw_only=True):
    from_: Annotated[dt.date | None, param("起始日期（含）", "From date (inclusive)")] = msgspec.field(default=None, name="from")
    to: Annotated[dt.date | None, param("截止日期（含）", "To date (inclusive)")] = None

    def check(self) -> None:
        super().check()
        if self.from_ and self.to and self.from_ > self.to:
            raise InvalidInput(
                f"The period is empty: from {self.from_.isoformat()} is after to {self.to.isoformat()}.",
                f"期间无效：起始日期 {self.from_.isoformat()} 晚于截止日期 {self.to.isoformat()}。",
                code="invalid_parameter",
                parameter="from",
            )

    def instants(self, column: Any) -> list[Any]:
        """Conditions keeping a stored (UTC) time within the period's local days."""
        conditions = []
        if self.from_:
            conditions.append(column >= self.start_of(self.from_))
        if self.to:
            conditions.append(column < self.start_of(self.to + dt.timedelta(days=1)))
        return conditions

    def days(self, column: Any) -> list[Any]:
        """Conditions keeping a calendar date (an invoice date) within the period."""
        conditions = []
        if self.from_:
            conditions.append(column >= self.from_)
        if self.to:
            conditions.append(column <= self.to)
        return conditions


# Purchase summary ----------------------------------------------------------------------------------


class PurchaseSummaryParams(PeriodParams, kw_only=True):
    supplier: PartnerFilter = None
    sku: SkuFilter = None
    group_by: Annotated[Literal["supplier_item", "supplier", "item"], param("汇总到", "Group by")] = "supplier_item"


QTY_FIGURES = ("ordered_qty", "received_qty", "accepted_qty", "rejected_qty", "billed_qty", "open_qty")
AMOUNT_FIGURES = ("ordered_amount", "billed_amount", "open_amount")


def purchase_summary(session: Session, actor: Actor, params: PurchaseSummaryParams) -> list[Row]:
    scope = [PurchaseOrder.status.in_(PLACED_PO_STATES), *params.instants(PurchaseOrder.created_at)]
    if params.supplier:
        scope.append(PurchaseOrder.supplier_id == find_partner(session, params.supplier, "supplier").id)
    if params.sku:
        scope.append(PurchaseOrderLine.item_id == find_item(session, params.sku).id)
    in_scope = select(PurchaseOrderLine.id).join(PurchaseOrder, PurchaseOrderLine.po_id == PurchaseOrder.id).where(*scope)
    billed: dict[int, Decimal] = {}  # in yuan, at each bill's rate
    for po_line_id, rate, net in session.execute(
        select(BillLine.po_line_id, Bill.exchange_rate, func.sum(BillLine.net))
        .join(Bill, BillLine.bill_id == Bill.id)
        .where(Bill.status.in_(POSTED_BILL_STATES), BillLine.po_line_id.in_(in_scope))
        .group_by(BillLine.po_line_id, Bill.exchange_rate)
    ):
        billed[po_line_id] = billed.get(po_line_id, ZERO) + in_yuan(net, rate)
    query = (
        select(
            PurchaseOrderLine, PurchaseOrder.status, PurchaseOrder.exchange_rate, PurchaseOrder.supplier_id, Partner.code, Partner.name_zh,
            Partner.name_en,
            Item.sku, Item.name_zh, Item.name_en, Item.unit,
        )
        .join(PurchaseOrder, PurchaseOrderLine.po_id == PurchaseOrder.id)
        .join(Partner, PurchaseOrder.supplier_id == Partner.id)
        .join(Item, PurchaseOrderLine.item_id == Item.id)
        .where(*scope)
    )
    groups: dict[tuple[Any, ...], Row] = {}
    for line, status, rate, supplier_id, code, s_zh, s_en, sku, i_zh, i_en, unit in session.execute(query):
        key: tuple[Any, ...] = {"supplier": (supplier_id,), "item": (line.item_id,)}.get(params.group_by, (supplier_id, line.item_id))
        row = groups.get(key)
        if row is None:
            row = groups[key] = (
                {"supplier": code, "supplier_name_zh": s_zh, "supplier_name_en": s_en} | item_fields(sku, i_zh, i_en, unit)
                | dict.fromkeys(QTY_FIGURES + AMOUNT_FIGURES, ZERO)
            )
        open_qty = ZERO if status == "closed" else max(line.qty - line.accepted_qty, ZERO)
        row["ordered_qty"] += line.qty
        row["received_qty"] += line.received_qty
        row["accepted_qty"] += line.accepted_qty
        row["rejected_qty"] += line.rejected_qty
        row["billed_qty"] += line.billed_qty
        row["open_qty"] += open_qty
        row["ordered_amount"] += in_yuan(line.qty * base_price(line), rate)  # in yuan, at the order's rate
        row["billed_amount"] += billed.get(line.id, ZERO)
        row["open_amount"] += in_yuan(open_qty * base_price(line), rate)
    by_supplier, by_item = params.group_by != "item", params.group_by != "supplier"
    return sorted(groups.values(), key=lambda r: (r["supplier"] if by_supplier else "", r["sku"] if by_item else ""))


def _with_supplier(p: PurchaseSummaryParams) -> bool:
    return p.group_by != "item"


def _with_item(p: PurchaseSummaryParams) -> bool:
    return p.group_by != "supplier"


PURCHASE_SUMMARY = Report(
    name="purchase_summary",
    title_zh="采购汇总表",
    title_en="Purchase summary",
    permission="prices.read",
    params=PurchaseSummaryParams,
    columns=(
        *_partner_columns("supplier", "供应商", "Supplier", when=_with_supplier),
        *_item_columns(when=_with_item),
        # Quantities of different items do not add up to anything: shown per item only.
        Column("ordered_qty", "订购数量", "Ordered", "qty", total=True, when=_with_item),
        Column("received_qty", "收货数量", "Received", "qty", total=True, when=_with_item),
        Column("accepted_qty", "合格数量", "Accepted", "qty", total=True, when=_with_item),
        Column("rejected_qty", "不合格数量", "Rejected", "qty", total=True, when=_with_item),
        Column("billed_qty", "已开票数量", "Billed", "qty", total=True, when=_with_item),
        Column("open_qty", "未到货数量", "Open", "qty", total=True, when=_with_item),
        Column("ordered_amount", "订购金额（不含税）", "Ordered amount (net)", "money", total=True),
        Column("billed_amount", "已开票金额（不含税）", "Billed amount (net)", "money", total=True),
        Column("open_amount", "未到货金额（不含税）", "Open amount (net)", "money", total=True),
    ),
    rows=purchase_summary,
)


# Sales detail --------------------------------------------------------------------------------------


class SalesDetailParams(PeriodParams, kw_only=True):
    customer: PartnerFilter = None
    sku: SkuFilter = None


def invoiced_by_line(session: Session, line_ids: Any) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """(qty, net, VAT) invoiced per sales order line: posted invoices less posted credit notes; the amounts in yuan, at
    each invoice's rate."""
    out: dict[int, tuple[Decimal, Decimal, Decimal]] = {}
    query = (
        select(InvoiceLine.so_line_id, Invoice.kind, Invoice.exchange_rate, func.sum(InvoiceLine.qty), func.sum(InvoiceLine.net),
               func.sum(InvoiceLine.tax))
        .join(Invoice, InvoiceLine.invoice_id == Invoice.id)
        .where(Invoice.status.in_(POSTED_INVOICE_STATES), InvoiceLine.so_line_id.in_(line_ids))
        .group_by(InvoiceLine.so_line_id, Invoice.kind, Invoice.exchange_rate)
    )
    for line_id, kind, rate, qty, net, tax in session.execute(query):
        sign = -1 if kind == "credit_note" else 1
        qty0, net0, tax0 = out.get(line_id, (ZERO, ZERO, ZERO))
        out[line_id] = (qty0 + sign * qty, net0 + sign * in_yuan(net, rate), tax0 + sign * in_yuan(tax, rate))
    return out


def sales_detail(session: Session, actor: Actor, params: SalesDetailParams) -> Iterable[Row]:
    scope = [SalesOrderLine.shipped_qty > 0, SalesOrder.shipped_at.is_not(None), *params.instants(SalesOrder.shipped_at)]
    if params.customer:
        scope.append(SalesOrder.customer_id == find_partner(session, params.customer, "customer").id)
    if params.sku:
        scope.append(SalesOrderLine.item_id == find_item(session, params.sku).id)
    invoiced = invoiced_by_line(session, select(SalesOrderLine.id).join(SalesOrder, SalesOrderLine.so_id == SalesOrder.id).where(*scope))
    query = (
        select(SalesOrderLine, SalesOrder.number, SalesOrder.shipped_at, SalesOrder.currency, Partner.code, Partner.name_zh, Partner.name_en,
               Item.sku, Item.name_zh, Item.name_en, Item.unit)
        .join(SalesOrder, SalesOrderLine.so_id == SalesOrder.id)
        .join(Partner, SalesOrder.customer_id == Partner.id)
        .join(Item, SalesOrderLine.item_id == Item.id)
        .where(*scope)
        .order_by(SalesOrder.shipped_at, SalesOrder.number, SalesOrderLine.line_no)
    )
    for line, number, shipped_at, currency, code, c_zh, c_en, sku, i_zh, i_en, unit in session.execute(query):
        qty, net, vat = invoiced.get(line.id, (ZERO, ZERO, ZERO))
        yield {
            # shipped_at IS NOT NULL in the query
            "shipped_on": cast(dt.datetime, shipped_at).astimezone(params.zone).date(), "order": number, "line": line.line_no,
            "customer": code, "customer_name_zh": c_zh, "customer_name_en": c_en, **item_fields(sku, i_zh, i_en, unit),
            "qty_shipped": line.shipped_qty, "qty_returned": line.returned_qty, "qty_invoiced": qty, "currency": currency,
            "unit_price": base_price(line).quantize(PRICE_PLACES),  # a base unit's, net of discounts
            "net": net, "vat": vat, "total": net + vat, "cost": line.cost, "gross_profit": net - line.cost,
        }


SALES_DETAIL = Report(
    name="sales_detail",
    title_zh="销售明细表",
    title_en="Sales detail",
    permission="prices.read",
    params=SalesDetailParams,
    columns=(
        Column("shipped_on", "发货日期", "Shipped on", "date"),
        Column("order", "销售订单", "Sales order"),
        Column("line", "行号", "Line", "int"),
        *_partner_columns("customer", "客户", "Customer"),
        *_item_columns(),
        Column("qty_shipped", "发货数量", "Shipped", "qty", total=True),
        Column("qty_returned", "退货数量", "Returned", "qty", total=True),
        Column("qty_invoiced", "开票数量（扣红字）", "Invoiced (less credit notes)", "qty", total=True),
        Column("currency", "币种", "Currency"),
        Column("unit_price", "单价（不含税，原币）", "Unit price (net, in the order's currency)", "cost"),
        Column("net", "金额（不含税）", "Net", "money", total=True),
        Column("vat", "税额", "VAT", "money", total=True),
        Column("total", "价税合计", "Total", "money", total=True),
        Column("cost", "销售成本", "Cost", "money", total=True, permission=COSTS),
        Column("gross_profit", "毛利", "Gross profit", "money", total=True, permission=COSTS),
    ),
    rows=sales_detail,
)


# Gross profit --------------------------------------------------------------------------------------


class GrossProfitParams(PeriodParams, kw_only=True):
    group_by: Annotated[Literal["item", "customer"], param("汇总到", "Group by")] = "item"
    customer: PartnerFilter = None
    sku: SkuFilter = None


def gross_profit(session: Session, actor: Actor, params: GrossProfitParams) -> list[Row]:
    by_item = params.group_by == "item"
    customer_id = find_partner(session, params.customer, "customer").id if params.customer else None
    item_id = find_item(session, params.sku).id if params.sku else None
    revenue: dict[int | None, Decimal] = {}
    qty: dict[int | None, Decimal] = {}
    query = (
        select(InvoiceLine.item_id, Invoice.customer_id, Invoice.kind, Invoice.exchange_rate, func.sum(InvoiceLine.qty), func.sum(InvoiceLine.net))
        .join(Invoice, InvoiceLine.invoice_id == Invoice.id)
        .where(Invoice.status.in_(POSTED_INVOICE_STATES), *params.days(Invoice.invoice_date))
        .group_by(InvoiceLine.item_id, Invoice.customer_id, Invoice.kind, Invoice.exchange_rate)
    )
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    if item_id is not None:
        query = query.where(InvoiceLine.item_id == item_id)
    for item, customer, kind, rate, invoiced_qty, net in session.execute(query):
        key: int | None = item if by_item else customer  # None below: a move naming no order or return on record
        sign = -1 if kind == "credit_note" else 1
        revenue[key] = revenue.get(key, ZERO) + sign * in_yuan(net, rate)  # in yuan, at the invoice's rate, as the cost is
        qty[key] = qty.get(key, ZERO) + sign * invoiced_qty

    customer_location = session.scalar(select(Location.id).where(Location.code == "CUSTOMER"))
    cogs: dict[int | None, Decimal] = {}
    moves = (
        select(Move.item_id, SalesOrder.customer_id, Return.customer_id, Move.to_location_id, func.sum(Move.value))
        .outerjoin(SalesOrder, and_(Move.ref_type == "so", SalesOrder.number == Move.ref_id))
        .outerjoin(Return, and_(Move.ref_type == "return", Return.number == Move.ref_id))
        .where(
            Move.ref_type.in_(("so", "return")),
            or_(Move.to_location_id == customer_location, Move.from_location_id == customer_location),
            *params.instants(Move.created_at),
        )
        .group_by(Move.item_id, SalesOrder.customer_id, Return.customer_id, Move.to_location_id)
    )
    if customer_id is not None:
        moves = moves.where(or_(SalesOrder.customer_id == customer_id, Return.customer_id == customer_id))
    if item_id is not None:
        moves = moves.where(Move.item_id == item_id)
    for item, so_customer, return_customer, target, value in session.execute(moves):
        key = item if by_item else (so_customer or return_customer)
        cogs[key] = cogs.get(key, ZERO) + (value if target == customer_location else -value)

    keys = set(revenue) | set(cogs)
    known = [key for key in keys if key is not None]
    if by_item:
        items = select(Item.id, Item.sku, Item.name_zh, Item.name_en, Item.unit).where(Item.id.in_(known))
        names: dict[int | None, Row] = {i: item_fields(sku, zh, en, unit) for i, sku, zh, en, unit in session.execute(items)}
    else:
        partners = select(Partner.id, Partner.code, Partner.name_zh, Partner.name_en).where(Partner.id.in_(known))
        names = {p: {"customer": code, "customer_name_zh": zh, "customer_name_en": en} for p, code, zh, en in session.execute(partners)}
    nobody = {"customer": None, "customer_name_zh": None, "customer_name_en": None}  # a move naming no order or return on record
    rows = []
    for key in keys:
        sold, cost = revenue.get(key, ZERO), cogs.get(key, ZERO)
        figures = {"qty": qty.get(key, ZERO), "revenue": sold, "cogs": cost, "gross_profit": sold - cost, "margin": margin(sold - cost, sold)}
        rows.append(names.get(key, nobody) | figures)
    return sorted(rows, key=lambda r: r["sku"] if by_item else r["customer"] or "")


def _by_item(p: GrossProfitParams) -> bool:
    return p.group_by == "item"


def _by_customer(p: GrossProfitParams) -> bool:
    return p.group_by == "customer"


GROSS_PROFIT = Report(
    name="gross_profit",
    title_zh="毛利分析表",
    title_en="Gross profit",
    permission=COSTS,
    params=GrossProfitParams,
    columns=(
        *_item_columns(when=_by_item),
        *_partner_columns("customer", "客户", "Customer", when=_by_customer),
        Column("qty", "销售数量（扣红字）", "Quantity sold (less credit notes)", "qty", total=True, when=_by_item),
        Column("revenue", "销售收入", "Revenue", "money", total=True),
        Column("cogs", "销售成本", "Cost of goods sold", "money", total=True),
        Column("gross_profit", "毛利", "Gross profit", "money", total=True),
        Column("margin", "毛利率 %", "Margin %", "qty"),
    ),
    rows=gross_profit,
)
