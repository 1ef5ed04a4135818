"""Analysis reports: stock turnover and days of inventory, sales by customer, salesperson or item, and collections.

- Stock turnover (库存周转率): per item over a period of local days, the cost of goods sold — the
  value of the moves to CUSTOMER less that of the moves back from it (customer returns, reversed
  shipments), what account 6401 holds for the item — over the average inventory: the mean of the
  item's value in the company's locations at the end of each day of the period (what the valuation
  held then, as the stock value report reads it). Turnover = cost of goods sold / average inventory;
  days of inventory = days in the period / turnover, i.e. how many days the average stock would last at
  the period's pace. The same by quantity: units sold (less units back) over the average units on hand.
  Values are costs: shown only to those who may read costs.
  By item category too: a category's turnover is its cost of goods sold over its average inventory.
- Sales analysis (销售分析): revenue, cost and gross profit of the period as the gross profit report
  reads them — net of posted invoices less credit notes dated in the period (in yuan), and the value of
  the orders' and returns' moves to and from CUSTOMER in the period — grouped by customer, by
  salesperson (the user who entered the sales order), by item (with a subtotal per item category if
  asked) or by item category.
- Collection analysis (回款分析): per customer, what was invoiced in the period (posted invoices dated in
  it, VAT included, in yuan) and credited (credit notes dated in it), what was collected (customer
  payments received in it), the average days from an invoice's date to the day of the payment settling it
  (weighted by the amount settled, over the period's payments), and what is open now and of that overdue
  on the period's last day (amounts as of now, as in the receivables ageing: an allocation has no date).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.permissions import Actor
from server.auth.visibility import COSTS, PRICES
from server.catalog.models import Item
from server.errors import InvalidInput
from server.finance.currency import in_yuan
from server.finance.models import Payment, PaymentAllocation
from server.finance.services import money
from server.inventory.models import Move
from server.locations.models import Location
from server.partners.models import Partner
from server.reports.documents import POSTED_INVOICE_STATES, PartnerFilter, PeriodParams, find_partner, margin
from server.reports.framework import Column, Report, Row, param
from server.reports.movement import DaysParams, _legs, day_of
from server.reports.stock import (
    BY_CATEGORY,
    ITEM_COLUMNS,
    CategoryFilter,
    SkuFilter,
    SubtotalsFlag,
    category_columns,
    category_fields,
    category_names,
    find_category,
    find_item,
)
from server.sales.models import Invoice, InvoiceLine, Return, SalesOrder

ZERO = Decimal(0)
HUNDREDTH, TENTH = Decimal("0.01"), Decimal("0.1")


def ratio(numerator: Decimal, denominator: Decimal, places: Decimal = HUNDREDTH) -> Decimal | None:
    """numerator / denominator rounded half up; none when the denominator is zero."""
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(places, rounding=ROUND_HALF_UP)


# Stock turnover ------------------------------------------------------------------------------------


class TurnoverParams(DaysParams, kw_only=True):
    sku: SkuFilter = None
    category: CategoryFilter = None
    subtotals: SubtotalsFlag = False


def in_category(session: Session, code: str | None, item: Any) -> tuple[ColumnElement[bool], ...]:
    """A condition keeping the rows whose `item` (an item id column) is in the category of that code; none without one."""
    if not code:
        return ()
    return (item.in_(select(Item.id).where(Item.category_id == find_category(session, code).id)),)


def turnover_figures(sold: Decimal, daily: list[Decimal]) -> tuple[Decimal, Decimal | None, Decimal | None]:
    """(average held, turnover, days of inventory) of what was sold in a period over what was held at each day's end."""
    days = len(daily)
    held = sum(daily, ZERO)
    average = held / days
    # days / (sold / average) = the sum of the daily figures / sold: exact, without the rounded turnover in it.
    return average, ratio(sold, average), ratio(held, sold, TENTH) if sold > 0 else None


def stock_turnover(session: Session, actor: Actor, params: TurnoverParams) -> list[Row]:
    item_id = find_item(session, params.sku).id if params.sku else None
    starts = params.day_starts()
    days = len(starts) - 1
    only = ((Move.item_id == item_id,) if item_id is not None else ()) + in_category(session, params.category, Move.item_id)
    opening: dict[int, tuple[Decimal, Decimal]] = {}
    before = _legs(Move.created_at < starts[0], *only)
    for item, qty, value in session.execute(select(before.c.item_id, func.sum(before.c.qty), func.sum(before.c.value)).group_by(before.c.item_id)):
        opening[item] = (qty or ZERO, value or ZERO)
    legs = _legs(Move.created_at >= starts[0], Move.created_at < starts[-1], *only)
    dated = select(day_of(legs.c.created_at, starts).label("day"), legs.c.item_id, legs.c.qty, legs.c.value).subquery()
    changes: dict[int, dict[int, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for day, item, qty, value in session.execute(
        select(dated.c.day, dated.c.item_id, func.sum(dated.c.qty), func.sum(dated.c.value)).group_by(dated.c.day, dated.c.item_id)
    ):
        changes[item][day] = (qty, value)

    customer = session.scalar(select(Location.id).where(Location.code == "CUSTOMER"))
    out = Move.to_location_id == customer
    sold: dict[int, tuple[Decimal, Decimal]] = {}
    for item, qty, value in session.execute(
        select(Move.item_id, func.sum(case((out, Move.qty), else_=-Move.qty)), func.sum(case((out, Move.value), else_=-Move.value)))
        .where(or_(out, Move.from_location_id == customer), Move.created_at >= starts[0], Move.created_at < starts[-1], *only)
        .group_by(Move.item_id)
    ):
        sold[item] = (qty, value)

    items = {i for i, (q, v) in opening.items() if q or v} | set(changes) | set(sold)
    names = {i: (sku, zh, en, unit) for i, sku, zh, en, unit in session.execute(
        select(Item.id, Item.sku, Item.name_zh, Item.name_en, Item.unit).where(Item.id.in_(items)))}
    categories = category_names(session)
    category_of = dict(session.execute(select(Item.id, Item.category_id).where(Item.id.in_(items))).all())
    costs = actor.can(COSTS)
    rows = []
    for item in items:
        qty, value = opening.get(item, (ZERO, ZERO))
        opening_value = value
        daily_qty, daily_value = [], []
        for day in range(days):
            q, v = changes[item].get(day, (ZERO, ZERO)) if item in changes else (ZERO, ZERO)
            qty, value = qty + q, value + v
            daily_qty.append(qty)
            daily_value.append(value)
        units, cogs = sold.get(item, (ZERO, ZERO))
        average_qty, qty_turnover, qty_days = turnover_figures(units, daily_qty)
        sku, zh, en, unit = names[item]
        row: Row = category_fields(categories, category_of.get(item)) | {
            "sku": sku, "name_zh": zh, "name_en": en, "unit": unit, "qty_sold": units, "average_qty": average_qty.quantize(HUNDREDTH, ROUND_HALF_UP),
            "qty_turnover": qty_turnover, "qty_days": qty_days,
        }
        if costs:
            average_value, turnover, days_of_inventory = turnover_figures(cogs, daily_value)
            row |= {"cogs": cogs, "opening_value": opening_value, "closing_value": value, "average_value": money(average_value),
                    "turnover": turnover, "days": days_of_inventory}
        rows.append(row)
    return sorted(rows, key=lambda r: r["sku"])


def category_turnover(params: TurnoverParams, line: Row) -> Row:
    """A category's turnover and days of inventory by cost, from its subtotal's cost of goods sold and average value.
    (Units of different items do not add up: there are none by units.)"""
    cogs, average = line.get("cogs"), line.get("average_value")
    if cogs is None or average is None:
        return {}
    held = average * (len(params.day_starts()) - 1)
    return {"turnover": ratio(cogs, average), "days": ratio(held, cogs, TENTH) if cogs > 0 else None}


STOCK_TURNOVER = Report(
    name="stock_turnover",
    title_zh="库存周转率",
    title_en="Stock turnover",
    permission="reports.read",
    params=TurnoverParams,
    columns=(
        *category_columns(),
        *ITEM_COLUMNS,
        Column("qty_sold", "销售数量（扣退货）", "Units sold (less returns)", "qty"),
        Column("average_qty", "平均库存数量", "Average units on hand", "qty"),
        Column("qty_turnover", "周转次数（按数量）", "Turnover (by units)", "qty"),
        Column("qty_days", "周转天数（按数量）", "Days of inventory (by units)", "qty"),
        Column("cogs", "销售成本", "Cost of goods sold", "money", total=True, permission=COSTS),
        Column("opening_value", "期初库存金额", "Opening value", "money", total=True, permission=COSTS),
        Column("closing_value", "期末库存金额", "Closing value", "money", total=True, permission=COSTS),
        Column("average_value", "平均库存金额", "Average inventory value", "money", total=True, permission=COSTS),
        Column("turnover", "库存周转率（按成本）", "Turnover (by cost)", "qty", permission=COSTS),
        Column("days", "周转天数（按成本）", "Days of inventory (by cost)", "qty", permission=COSTS),
    ),
    rows=stock_turnover,
    subtotals=dataclasses.replace(BY_CATEGORY, derive=category_turnover),
)


# Sales analysis ------------------------------------------------------------------------------------


class SalesAnalysisParams(PeriodParams, kw_only=True):
    group_by: Annotated[Literal["customer", "salesperson", "item", "category"], param("汇总到", "Group by")] = "customer"
    customer: PartnerFilter = None
    sku: SkuFilter = None
    category: CategoryFilter = None
    subtotals: SubtotalsFlag = False

    def check(self) -> None:
        super().check()
        if self.subtotals and self.group_by != "item":
            raise InvalidInput(
                "Subtotals by item category need the report grouped by item (or group it by category instead).",
                "按商品分类小计需要按商品汇总（或直接按商品分类汇总）。",
                code="invalid_parameter",
                parameter="subtotals",
            )


def sales_analysis(session: Session, actor: Actor, params: SalesAnalysisParams) -> list[Row]:
    customer_id = find_partner(session, params.customer, "customer").id if params.customer else None
    item_id = find_item(session, params.sku).id if params.sku else None
    categories = category_names(session)
    category_of: dict[int, int | None] = dict(session.execute(select(Item.id, Item.category_id).where(Item.category_id.is_not(None))).all())

    def key(item: int, customer: int | None, seller: int | None) -> int | None:
        if params.group_by == "category":
            return category_of.get(item)
        return {"item": item, "customer": customer, "salesperson": seller}[params.group_by]

    figures: dict[int | None, dict[str, Decimal]] = defaultdict(lambda: {"qty": ZERO, "revenue": ZERO, "cogs": ZERO})
    invoiced = (
        select(InvoiceLine.item_id, Invoice.customer_id, SalesOrder.created_by, Invoice.kind, Invoice.exchange_rate, func.sum(InvoiceLine.qty),
               func.sum(InvoiceLine.net))
        .join(Invoice, InvoiceLine.invoice_id == Invoice.id)
        .outerjoin(SalesOrder, SalesOrder.id == Invoice.so_id)
        .where(Invoice.status.in_(POSTED_INVOICE_STATES), *params.days(Invoice.invoice_date))
        .group_by(InvoiceLine.item_id, Invoice.customer_id, SalesOrder.created_by, Invoice.kind, Invoice.exchange_rate)
    )
    if customer_id is not None:
        invoiced = invoiced.where(Invoice.customer_id == customer_id)
    if item_id is not None:
        invoiced = invoiced.where(InvoiceLine.item_id == item_id)
    invoiced = invoiced.where(*in_category(session, params.category, InvoiceLine.item_id))
    for item, customer, seller, kind, rate, qty, net in session.execute(invoiced):
        sign = -1 if kind == "credit_note" else 1
        line = figures[key(item, customer, seller)]
        line["qty"] += sign * qty
        line["revenue"] += sign * in_yuan(net, rate)

    customer_location = session.scalar(select(Location.id).where(Location.code == "CUSTOMER"))
    returned_from = select(SalesOrder.id, SalesOrder.created_by, SalesOrder.customer_id).subquery("returned_from")
    moves = (
        select(Move.item_id, func.coalesce(SalesOrder.customer_id, Return.customer_id), func.coalesce(SalesOrder.created_by, returned_from.c.created_by),
               Move.to_location_id, func.sum(Move.value))
        .outerjoin(SalesOrder, and_(Move.ref_type == "so", SalesOrder.number == Move.ref_id))
        .outerjoin(Return, and_(Move.ref_type == "return", Return.number == Move.ref_id))
        .outerjoin(returned_from, returned_from.c.id == Return.so_id)
        .where(
            Move.ref_type.in_(("so", "return")),
            or_(Move.to_location_id == customer_location, Move.from_location_id == customer_location),
            *params.instants(Move.created_at),
        )
        .group_by(Move.item_id, func.coalesce(SalesOrder.customer_id, Return.customer_id),
                  func.coalesce(SalesOrder.created_by, returned_from.c.created_by), Move.to_location_id)
    )
    if customer_id is not None:
        moves = moves.where(or_(SalesOrder.customer_id == customer_id, Return.customer_id == customer_id))
    if item_id is not None:
        moves = moves.where(Move.item_id == item_id)
    moves = moves.where(*in_category(session, params.category, Move.item_id))
    for item, customer, seller, target, value in session.execute(moves):
        figures[key(item, customer, seller)]["cogs"] += value if target == customer_location else -value

    known = [k for k in figures if k is not None]
    names: dict[int | None, Row]
    if params.group_by == "item":
        names = {i: {"sku": sku, "name_zh": zh, "name_en": en, "unit": unit} | category_fields(categories, category_of.get(i))
                 for i, sku, zh, en, unit in session.execute(select(Item.id, Item.sku, Item.name_zh, Item.name_en, Item.unit).where(Item.id.in_(known)))}
    elif params.group_by == "category":
        names = {c: category_fields(categories, c) for c in [*known, None]}
    elif params.group_by == "customer":
        names = {p: {"customer": code, "customer_name_zh": zh, "customer_name_en": en}
                 for p, code, zh, en in session.execute(select(Partner.id, Partner.code, Partner.name_zh, Partner.name_en).where(Partner.id.in_(known)))}
    else:
        names = {u: {"salesperson": username, "salesperson_name": name or username}
                 for u, username, name in session.execute(select(User.id, User.username, User.display_name).where(User.id.in_(known)))}
    costs = actor.can(COSTS)
    rows = []
    for k, line in figures.items():
        row: Row = dict(names.get(k, {})) | {"qty": line["qty"], "revenue": line["revenue"]}
        if costs:
            profit = line["revenue"] - line["cogs"]
            row |= {"cogs": line["cogs"], "gross_profit": profit, "margin": margin(profit, line["revenue"])}
        rows.append(row)
    order = {"item": "sku", "customer": "customer", "salesperson": "salesperson", "category": "category"}[params.group_by]
    return sorted(rows, key=lambda r: (r.get(order) is None, r.get(order) or ""))


def _grouped(by: str) -> Any:
    return lambda p: p.group_by == by


def _by_category(p: SalesAnalysisParams) -> bool:
    return p.group_by == "category" or p.subtotals


def category_margin(params: SalesAnalysisParams, line: Row) -> Row:
    """A category's margin, from its subtotal's revenue and gross profit."""
    profit, revenue = line.get("gross_profit"), line.get("revenue")
    return {"margin": margin(profit, revenue)} if profit is not None and revenue is not None else {}


SALES_ANALYSIS = Report(
    name="sales_analysis",
    title_zh="销售分析",
    title_en="Sales analysis",
    permission=PRICES,
    params=SalesAnalysisParams,
    columns=(
        Column("customer", "客户编码", "Customer code", when=_grouped("customer")),
        Column("customer_name_zh", "客户名称（中文）", "Customer name (Chinese)", when=_grouped("customer")),
        Column("customer_name_en", "客户名称（英文）", "Customer name (English)", when=_grouped("customer")),
        Column("salesperson", "业务员", "Salesperson", when=_grouped("salesperson")),
        Column("salesperson_name", "业务员姓名", "Salesperson's name", when=_grouped("salesperson")),
        *category_columns(when=_by_category),
        Column("category_name_zh", "分类名称（中文）", "Category name (Chinese)", when=_grouped("category")),
        Column("category_name_en", "分类名称（英文）", "Category name (English)", when=_grouped("category")),
        *(Column(c.key, c.title_zh, c.title_en, when=_grouped("item")) for c in ITEM_COLUMNS),
        # Units of different items do not add up: a quantity only per item.
        Column("qty", "销售数量（扣红字）", "Quantity sold (less credit notes)", "qty", total=True, when=_grouped("item")),
        Column("revenue", "销售收入（不含税）", "Net revenue", "money", total=True),
        Column("cogs", "销售成本", "Cost of goods sold", "money", total=True, permission=COSTS),
        Column("gross_profit", "毛利", "Gross profit", "money", total=True, permission=COSTS),
        Column("margin", "毛利率 %", "Margin %", "qty", permission=COSTS),
    ),
    rows=sales_analysis,
    subtotals=dataclasses.replace(BY_CATEGORY, derive=category_margin),
)


# Collection analysis -------------------------------------------------------------------------------


class CollectionParams(PeriodParams, kw_only=True):
    customer: PartnerFilter = None


COLLECTION_FIGURES = ("invoiced", "credited", "collected", "open", "overdue")


def collection_analysis(session: Session, actor: Actor, params: CollectionParams) -> list[Row]:
    customer_id = find_partner(session, params.customer, "customer").id if params.customer else None
    as_of = params.to or params.today()
    figures: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(COLLECTION_FIGURES, ZERO))
    weighted: dict[int, tuple[Decimal, Decimal]] = {}  # customer -> (yuan settled × days, yuan settled)

    def mine(column: Any) -> list[Any]:
        return [] if customer_id is None else [column == customer_id]

    for customer, kind, total in session.execute(
        select(Invoice.customer_id, Invoice.kind, func.sum(Invoice.total_cny))
        .where(Invoice.kind.in_(("invoice", "credit_note")), Invoice.status.in_(POSTED_INVOICE_STATES), *params.days(Invoice.invoice_date),
               *mine(Invoice.customer_id))
        .group_by(Invoice.customer_id, Invoice.kind)
    ):
        figures[customer]["invoiced" if kind == "invoice" else "credited"] += total
    for customer, total in session.execute(
        select(Payment.partner_id, func.sum(Payment.amount_cny))
        .where(Payment.kind == "customer", *params.days(Payment.paid_on), *mine(Payment.partner_id))
        .group_by(Payment.partner_id)
    ):
        figures[customer]["collected"] += total
    for customer, paid_on, invoiced_on, amount, rate in session.execute(
        select(Payment.partner_id, Payment.paid_on, Invoice.invoice_date, PaymentAllocation.amount, Payment.exchange_rate)
        .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
        .join(Invoice, and_(PaymentAllocation.doc_type == "invoice", Invoice.id == PaymentAllocation.doc_id))
        .where(Payment.kind == "customer", Invoice.kind.in_(("invoice", "opening")), *params.days(Payment.paid_on), *mine(Payment.partner_id))
    ):
        settled = in_yuan(amount, rate)
        days, weight = weighted.get(customer, (ZERO, ZERO))
        weighted[customer] = (days + settled * (paid_on - invoiced_on).days, weight + settled)
    for customer, due, open_ in session.execute(
        select(Invoice.customer_id, Invoice.due_date, Invoice.total_cny - Invoice.paid_cny - Invoice.credited_cny)
        .where(Invoice.kind.in_(("invoice", "opening")), Invoice.status.in_(("posted", "partially_paid")), *mine(Invoice.customer_id))
    ):
        if open_:
            figures[customer]["open"] += open_
            if due < as_of:
                figures[customer]["overdue"] += open_

    partners = {p: (code, zh, en) for p, code, zh, en in session.execute(
        select(Partner.id, Partner.code, Partner.name_zh, Partner.name_en).where(Partner.id.in_(list(figures))))}
    rows = []
    for customer, line in figures.items():
        if not any(line.values()):
            continue
        code, zh, en = partners[customer]
        days, weight = weighted.get(customer, (ZERO, ZERO))
        rows.append({"customer": code, "customer_name_zh": zh, "customer_name_en": en, **line,
                     "average_days": ratio(days, weight, TENTH)})
    return sorted(rows, key=lambda r: r["customer"])


COLLECTION_ANALYSIS = Report(
    name="collection_analysis",
    title_zh="回款分析",
    title_en="Collection analysis",
    permission="finance.read",
    params=CollectionParams,
    columns=(
        Column("customer", "客户编码", "Customer code"),
        Column("customer_name_zh", "客户名称（中文）", "Customer name (Chinese)"),
        Column("customer_name_en", "客户名称（英文）", "Customer name (English)"),
        Column("invoiced", "本期开票（含税）", "Invoiced (with VAT)", "money", total=True),
        Column("credited", "本期红字发票", "Credit notes", "money", total=True),
        Column("collected", "本期回款", "Collected", "money", total=True),
        Column("average_days", "平均回款天数", "Average days to collect", "qty"),
        Column("open", "当前未收", "Open now", "money", total=True),
        Column("overdue", "其中逾期", "Of it overdue", "money", total=True),
    ),
    rows=collection_analysis,
)
