"""Supplier scorecard (供应商评估): on-time delivery, quantity accuracy, quality and price variance per supplier and period.

What each figure means (periods are local calendar days in the report's time zone):

- On time (准时交货率): the receipt lines that arrived in the period — a receipt line arrives with the stock move that
  last counted goods onto it — and whose order had a promised date, arrived on or before that date. The promised date is
  the order's expected date when it went out to the supplier (was approved); moving the expected date later does not
  move it, so a late delivery stays late. An order without one (approved before the promise was kept) is judged by its
  expected date. Lines of orders with neither count as deliveries but not for this figure (nothing was promised). Days
  late: the mean, over the late lines, of the days between the promised date and the arrival.
- Quantity accuracy (数量准确率): the lines of orders that are finished (received in full, or closed as nothing more will
  come), in the period of the order's last delivery. Each line scores 1 − |delivered − ordered| ÷ ordered, never below 0,
  where delivered is what was received less what inspection rejected (rejected goods are the supplier's to replace, so a
  replacement is no over-delivery): short and over deliveries both count against. The figure is the mean over the lines.
- Rejects (不合格率): rejected ÷ received of each inspected receipt line of the period (lines still waiting for inspection
  are left out), the mean over the lines. Quantities of different items do not add up (pieces and kilograms), so each line
  counts once, as an inspection lot does.
- Price variance (价格差异): the lines of posted supplier bills dated in the period: billed net − the order's net price
  (its discounts taken off) × the quantity billed, both in yuan at the bill's rate — what posting the bill booked to the
  price variance account. Positive: billed above the order. As a percentage of the ordered amount. Prices: shown only to
  those who may see prices.
- Score (综合评分, 0–100): the weighted mean of the parts the period has figures for — on time 35 %, quality 30 %,
  quantity accuracy 20 %, price 15 % — where quality is 100 − the reject percentage and price is 100 − the percentage
  billed above the order (billing below the order costs nothing), never below 0. A part without figures (no bills yet)
  leaves the score to the others; no figures at all, no score. The counts beside each figure say how much it rests on:
  a score from one delivery is a thin one.

Figures are exact decimals; the percentages and the score are rounded (to 0.1) only where a row is made of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.auth.visibility import PRICES
from server.base import utcnow
from server.catalog.models import Item
from server.dates import company_zone
from server.documents.lines import base_price
from server.errors import InvalidInput, UnknownReference
from server.finance.currency import in_yuan
from server.finance.services import money
from server.inventory.models import Move
from server.partners.models import Partner, PriceList, PriceListItem
from server.purchasing.models import Bill, BillLine, PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine
from server.reports.documents import PLACED_PO_STATES, POSTED_BILL_STATES, PeriodParams, find_partner
from server.reports.framework import Column, Report, Row, param
from server.reports.stock import SkuFilter, find_item

ZERO = Decimal(0)
HUNDRED = Decimal(100)
SHOWN = Decimal("0.1")  # the places percentages and scores are shown to
PERMISSION = "suppliers.evaluate"

# How much each part weighs in the score (per cent; they add up to 100).
WEIGHTS: dict[str, Decimal] = {"on_time": Decimal(35), "quality": Decimal(30), "quantity": Decimal(20), "price": Decimal(15)}
FINISHED_PO_STATES = ("received", "closed")

Period = Literal["month", "quarter", "year", "range"]
SupplierFilter = Annotated[str, param("供应商编码", "Supplier code", min_length=1, max_length=64)] | None


# Pure parts ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Tally:
    """What one supplier did in one period: the counts and sums the figures are made of."""

    orders: set[int] = dataclasses.field(default_factory=set)  # orders delivered against
    receipts: set[int] = dataclasses.field(default_factory=set)  # deliveries
    last_delivery: dt.date | None = None
    received_lines: int = 0
    dated_lines: int = 0  # of them, of orders with a promised date
    on_time_lines: int = 0
    days_late: int = 0  # summed over the late lines
    finished_lines: int = 0  # lines of finished orders
    exact_lines: int = 0  # of them, delivered exactly as ordered
    accuracy: Decimal = ZERO  # summed over the finished lines
    inspected_lines: int = 0
    rejected_lines: int = 0  # of them, with something rejected
    rejected_share: Decimal = ZERO  # rejected ÷ received, summed over the inspected lines
    billed_lines: int = 0
    ordered_amount: Decimal = ZERO  # in yuan: what the billed quantities come to at the order's price
    billed_amount: Decimal = ZERO  # in yuan: what they were billed at

    def arrived(self, receipt: int, order: int, day: dt.date, promised: dt.date | None) -> None:
        self.orders.add(order)
        self.receipts.add(receipt)
        self.last_delivery = max(day, self.last_delivery or day)
        self.received_lines += 1
        if promised is not None:
            self.dated_lines += 1
            if day <= promised:
                self.on_time_lines += 1
            else:
                self.days_late += (day - promised).days

    def inspected(self, received: Decimal, rejected: Decimal) -> None:
        self.inspected_lines += 1
        if rejected > 0:
            self.rejected_lines += 1
            self.rejected_share += rejected / received

    def finished(self, ordered: Decimal, delivered: Decimal) -> None:
        self.finished_lines += 1
        if delivered == ordered:
            self.exact_lines += 1
        self.accuracy += max(ZERO, 1 - abs(delivered - ordered) / ordered)

    def billed(self, ordered: Decimal, billed: Decimal) -> None:
        self.billed_lines += 1
        self.ordered_amount += ordered
        self.billed_amount += billed

    # The figures, as exact fractions (0 to 1); none without anything to judge.

    @property
    def on_time(self) -> Decimal | None:
        return Decimal(self.on_time_lines) / self.dated_lines if self.dated_lines else None

    @property
    def average_days_late(self) -> Decimal | None:
        late = self.dated_lines - self.on_time_lines
        return Decimal(self.days_late) / late if late else None

    @property
    def quantity_accuracy(self) -> Decimal | None:
        return self.accuracy / self.finished_lines if self.finished_lines else None

    @property
    def reject_rate(self) -> Decimal | None:
        return self.rejected_share / self.inspected_lines if self.inspected_lines else None

    @property
    def price_variance(self) -> Decimal:
        return self.billed_amount - self.ordered_amount

    @property
    def price_variance_rate(self) -> Decimal | None:
        return self.price_variance / self.ordered_amount if self.billed_lines and self.ordered_amount else None

    def parts(self) -> dict[str, Decimal | None]:
        """Each part of the score, 0 to 100, unrounded."""
        on_time, accuracy, rejects, variance = self.on_time, self.quantity_accuracy, self.reject_rate, self.price_variance_rate
        return {
            "on_time": None if on_time is None else on_time * HUNDRED,
            "quality": None if rejects is None else (1 - rejects) * HUNDRED,
            "quantity": None if accuracy is None else accuracy * HUNDRED,
            "price": None if variance is None else max(ZERO, HUNDRED - max(ZERO, variance) * HUNDRED),
        }

    @property
    def score(self) -> Decimal | None:
        return weighted_score(self.parts())


def weighted_score(parts: dict[str, Decimal | None]) -> Decimal | None:
    """The weighted mean of the parts that have a figure (their weights only); none when none has."""
    present = {name: value for name, value in parts.items() if value is not None}
    if not present:
        return None
    weight = sum((WEIGHTS[name] for name in present), ZERO)
    return sum((WEIGHTS[name] * value for name, value in present.items()), ZERO) / weight


def shown(value: Decimal | None, scale: Decimal = HUNDRED) -> Decimal | None:
    """A figure as a row shows it: times `scale` (a fraction as a percentage), to one decimal place."""
    return None if value is None else (value * scale).quantize(SHOWN, rounding=ROUND_HALF_UP)


def period_of(day: dt.date, period: str, first: dt.date, last: dt.date) -> tuple[dt.date, str]:
    """The first day of the period `day` falls in, and the period's name: 2026-03, 2026-Q1, 2026, or the whole range."""
    if period == "month":
        return day.replace(day=1), f"{day.year}-{day.month:02d}"
    if period == "quarter":
        quarter = (day.month - 1) // 3
        return dt.date(day.year, quarter * 3 + 1, 1), f"{day.year}-Q{quarter + 1}"
    if period == "year":
        return dt.date(day.year, 1, 1), str(day.year)
    return first, f"{first.isoformat()}~{last.isoformat()}"


def months_back(last: dt.date, months: int) -> dt.date:
    """The first day of the month `months` before `last`'s: 11 back from a day in May 2026 is 2025-06-01."""
    index = last.year * 12 + last.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def year_before(last: dt.date) -> dt.date:
    """The first day of the year of days that ends on `last` (2026-05-15 → 2025-05-16)."""
    try:
        back = last.replace(year=last.year - 1)
    except ValueError:  # 29 February
        back = dt.date(last.year - 1, 2, 28)
    return back + dt.timedelta(days=1)


# Reading the documents -----------------------------------------------------------------------------

Key = tuple[int, dt.date]  # supplier id, first day of the period


def tally(
    session: Session, *, first: dt.date, last: dt.date, zone: ZoneInfo, period: str = "range",
    suppliers: Collection[int] | None = None, items: Collection[int] | None = None,
) -> dict[Key, tuple[str, Tally]]:
    """What each supplier did in each period between the local days `first` and `last`: receipt lines arrived, orders
    finished and bill lines posted, each in the period of its day (see the module's notes), for the suppliers and items
    asked about (all without)."""
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    out: dict[Key, tuple[str, Tally]] = {}

    def of(supplier: int, day: dt.date) -> Tally:
        begins, name = period_of(day, period, first, last)
        found = out.get((supplier, begins))
        if found is None:
            found = out[(supplier, begins)] = (name, Tally())
        return found[1]

    def only(supplier_column: Any, item_column: Any) -> list[Any]:
        conditions = []
        if suppliers is not None:
            conditions.append(supplier_column.in_(suppliers))
        if items is not None:
            conditions.append(item_column.in_(items))
        return conditions

    arrivals = (
        select(ReceiptLine.receipt_id, ReceiptLine.qty, ReceiptLine.rejected_qty, ReceiptLine.qc_status, Receipt.po_id, PurchaseOrder.supplier_id,
               func.coalesce(PurchaseOrder.promised_date, PurchaseOrder.expected_date), Move.created_at)
        .join(Receipt, ReceiptLine.receipt_id == Receipt.id)
        .join(PurchaseOrder, Receipt.po_id == PurchaseOrder.id)
        .join(Move, Move.id == ReceiptLine.move_id)
        .where(Receipt.status != "cancelled", Move.created_at >= start, Move.created_at < end,
               *only(PurchaseOrder.supplier_id, ReceiptLine.item_id))
        .order_by(ReceiptLine.id)
    )
    for receipt, qty, rejected, qc_status, order, supplier, promised, at in session.execute(arrivals):
        day = at.astimezone(zone).date()
        line = of(supplier, day)
        line.arrived(receipt, order, day, promised)
        if qc_status != "pending":
            line.inspected(qty, rejected)

    # Each order's last delivery: when it was finished, as far as the supplier is concerned.
    delivered = (
        select(Receipt.po_id.label("po_id"), func.max(Move.created_at).label("at"))
        .join(ReceiptLine, ReceiptLine.receipt_id == Receipt.id)
        .join(Move, Move.id == ReceiptLine.move_id)
        .where(Receipt.status != "cancelled")
        .group_by(Receipt.po_id)
        .subquery()
    )
    finished = (
        select(PurchaseOrderLine.qty, PurchaseOrderLine.received_qty, PurchaseOrderLine.rejected_qty, PurchaseOrder.supplier_id, delivered.c.at)
        .join(PurchaseOrder, PurchaseOrderLine.po_id == PurchaseOrder.id)
        .join(delivered, delivered.c.po_id == PurchaseOrder.id)
        .where(PurchaseOrder.status.in_(FINISHED_PO_STATES), delivered.c.at >= start, delivered.c.at < end,
               *only(PurchaseOrder.supplier_id, PurchaseOrderLine.item_id))
        .order_by(PurchaseOrderLine.id)
    )
    for ordered, received, rejected, supplier, at in session.execute(finished):
        of(supplier, _utc(at).astimezone(zone).date()).finished(ordered, received - rejected)

    bills = (
        select(BillLine.qty, BillLine.net, Bill.exchange_rate, Bill.bill_date, Bill.supplier_id, PurchaseOrderLine)
        .join(Bill, BillLine.bill_id == Bill.id)
        .join(PurchaseOrderLine, BillLine.po_line_id == PurchaseOrderLine.id)
        .where(Bill.kind == "bill", Bill.status.in_(POSTED_BILL_STATES), Bill.bill_date >= first, Bill.bill_date <= last,
               *only(Bill.supplier_id, BillLine.item_id))
        .order_by(BillLine.id)
    )
    for qty, net, rate, on, supplier, po_line in session.execute(bills):
        # As posting the bill booked it: the order's price at the bill's rate against the bill's net at the same rate.
        of(supplier, on).billed(in_yuan(qty * base_price(po_line), rate), in_yuan(net, rate))
    return out


def _utc(value: dt.datetime | str) -> dt.datetime:
    """A time read through an aggregate: SQLite hands back its text, naive; PostgreSQL an aware time."""
    at = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


# The report ----------------------------------------------------------------------------------------


class ScorecardParams(PeriodParams, kw_only=True):
    """By default the twelve calendar months up to today (this one included)."""

    period: Annotated[Period, param("期间", "Period")] = "month"
    supplier: SupplierFilter = None
    sku: SkuFilter = None

    def span(self) -> tuple[dt.date, dt.date]:
        last = self.to or self.today()
        return self.from_ or months_back(last, 11), last

    def check(self) -> None:
        super().check()
        first, last = self.span()
        if first > last:
            raise InvalidInput(
                f"The period is empty: from {first.isoformat()} is after {last.isoformat()}.",
                f"期间无效：起始日期 {first.isoformat()} 晚于 {last.isoformat()}。",
                code="invalid_parameter",
                parameter="from",
            )


def figures(tally: Tally, prices: bool) -> Row:
    """A supplier's period as a row (or an answer) shows it: the counts, the figures rounded, and the price figures only
    for those who may see prices."""
    row: Row = {
        "orders": len(tally.orders), "deliveries": len(tally.receipts), "received_lines": tally.received_lines,
        "dated_lines": tally.dated_lines, "on_time_lines": tally.on_time_lines, "on_time_pct": shown(tally.on_time),
        "average_days_late": shown(tally.average_days_late, Decimal(1)),
        "finished_lines": tally.finished_lines, "exact_lines": tally.exact_lines, "quantity_accuracy_pct": shown(tally.quantity_accuracy),
        "inspected_lines": tally.inspected_lines, "rejected_lines": tally.rejected_lines, "reject_pct": shown(tally.reject_rate),
        "billed_lines": tally.billed_lines, "score": shown(tally.score, Decimal(1)),
    }
    if prices:
        row |= {"ordered_amount": money(tally.ordered_amount), "billed_amount": money(tally.billed_amount),
                "price_variance": money(tally.price_variance), "price_variance_pct": shown(tally.price_variance_rate)}
    return row


def supplier_scorecard(session: Session, actor: Actor, params: ScorecardParams) -> list[Row]:
    first, last = params.span()
    suppliers = [find_partner(session, params.supplier, "supplier").id] if params.supplier else None
    items = [find_item(session, params.sku).id] if params.sku else None
    tallies = tally(session, first=first, last=last, zone=params.zone, period=params.period, suppliers=suppliers, items=items)
    names = {p: (code, zh, en) for p, code, zh, en in session.execute(
        select(Partner.id, Partner.code, Partner.name_zh, Partner.name_en).where(Partner.id.in_({s for s, _ in tallies})))}
    prices = actor.can(PRICES)
    rows = []
    for (supplier, begins), (name, figures_of) in sorted(tallies.items(), key=lambda kv: (names[kv[0][0]][0], kv[0][1])):
        code, zh, en = names[supplier]
        rows.append({"supplier": code, "supplier_name_zh": zh, "supplier_name_en": en, "period": name, "period_start": begins}
                    | figures(figures_of, prices))
    return rows


SUPPLIER_SCORECARD = Report(
    name="supplier_scorecard",
    title_zh="供应商评估",
    title_en="Supplier scorecard",
    permission=PERMISSION,
    params=ScorecardParams,
    columns=(
        Column("supplier", "供应商编码", "Supplier code"),
        Column("supplier_name_zh", "供应商名称（中文）", "Supplier name (Chinese)"),
        Column("supplier_name_en", "供应商名称（英文）", "Supplier name (English)"),
        Column("period", "期间", "Period"),
        Column("period_start", "期间开始", "Period starts", "date"),
        Column("score", "综合评分", "Score", "qty"),
        Column("orders", "订单数", "Orders", "int", total=True),
        Column("deliveries", "到货次数", "Deliveries", "int", total=True),
        Column("received_lines", "到货行数", "Lines received", "int", total=True),
        Column("dated_lines", "有承诺交期的行数", "Lines with a promised date", "int", total=True),
        Column("on_time_lines", "准时行数", "Lines on time", "int", total=True),
        Column("on_time_pct", "准时交货率 %", "On time %", "qty"),
        Column("average_days_late", "平均延迟天数", "Average days late", "qty"),
        Column("finished_lines", "已完结订单行数", "Lines of finished orders", "int", total=True),
        Column("exact_lines", "数量相符行数", "Lines delivered exactly", "int", total=True),
        Column("quantity_accuracy_pct", "数量准确率 %", "Quantity accuracy %", "qty"),
        Column("inspected_lines", "已检验行数", "Lines inspected", "int", total=True),
        Column("rejected_lines", "有不合格的行数", "Lines with rejects", "int", total=True),
        Column("reject_pct", "不合格率 %", "Rejected %", "qty"),
        Column("billed_lines", "已开票行数", "Lines billed", "int", total=True),
        Column("ordered_amount", "订单价金额", "At the order's price", "money", total=True, permission=PRICES),
        Column("billed_amount", "开票金额", "Billed", "money", total=True, permission=PRICES),
        Column("price_variance", "价格差异", "Price variance", "money", total=True, permission=PRICES),
        Column("price_variance_pct", "价格差异 %", "Price variance %", "qty", permission=PRICES),
    ),
    rows=supplier_scorecard,
)


# Scores for choosing a supplier --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SupplierScore:
    supplier: Partner
    tally: Tally


@dataclasses.dataclass(frozen=True)
class Scores:
    skus: list[str]
    first: dt.date
    last: dt.date
    suppliers: list[SupplierScore]


def supplier_scores(
    session: Session, actor: Actor, skus: Iterable[str] = (), *, suppliers: Iterable[str] = (), today: dt.date | None = None,
) -> Scores:
    """Each candidate supplier's record over the year of days up to today, best first: the suppliers named, whatever they
    supply; else for items, the active suppliers that were ordered them (or list them on their purchase price list); else
    every active supplier. A supplier's score covers all it delivered, not only these items: more deliveries, a steadier
    figure."""
    actor.require(PERMISSION)
    wanted = list(dict.fromkeys(skus))
    items = [_item_id(session, sku) for sku in wanted]
    named = [find_partner(session, code, "supplier").id for code in dict.fromkeys(suppliers)]
    last = today or utcnow().astimezone(company_zone()).date()
    first = year_before(last)
    candidates = select(Partner).where(Partner.kind.in_(("supplier", "both")))
    if named:
        candidates = candidates.where(Partner.id.in_(named))
    else:
        candidates = candidates.where(Partner.active.is_(True))
    if items and not named:
        ordered = (select(PurchaseOrder.supplier_id).join(PurchaseOrderLine, PurchaseOrderLine.po_id == PurchaseOrder.id)
                   .where(PurchaseOrder.status.in_(PLACED_PO_STATES), PurchaseOrderLine.item_id.in_(items)))
        listed = (select(Partner.id).join(PriceList, Partner.price_list_id == PriceList.id)
                  .join(PriceListItem, PriceListItem.price_list_id == PriceList.id)
                  .where(PriceList.kind == "purchase", PriceListItem.item_id.in_(items)))
        candidates = candidates.where(Partner.id.in_(ordered.union(listed)))
    partners = list(session.scalars(candidates.order_by(Partner.code)))
    tallies = tally(session, first=first, last=last, zone=company_zone(), suppliers=[p.id for p in partners]) if partners else {}
    found = [SupplierScore(p, tallies[(p.id, first)][1] if (p.id, first) in tallies else Tally()) for p in partners]
    found.sort(key=lambda s: (s.tally.score is None, -(s.tally.score or ZERO), -len(s.tally.receipts), s.supplier.code))
    return Scores(skus=wanted, first=first, last=last, suppliers=found)


def _item_id(session: Session, sku: str) -> int:
    found = session.scalar(select(Item.id).where(Item.sku == sku))
    if found is None:
        raise UnknownReference(f"No item with SKU {sku}.", f"没有 SKU 为 {sku} 的商品。", code="unknown_sku", parameter="item", sku=sku)
    return found
