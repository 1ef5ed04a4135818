"""Purchase plans (采购计划): what to buy for a warehouse, worked out per item from its sales forecast, stock, open orders,
lead time and safety stock; the purchaser reviews it and converts it into requisitions, one per supplier.

Per item of the warehouse (sold from it in the history window, wanted by its open sales orders, or with a reorder rule
or point), with L its lead time in days and the plan's horizon the periods an order is to last once it arrives:

- forecast F: the forecast demand (server.purchasing.forecast) over the days from today until `horizon` periods after
  the goods would arrive (today + L), each period's forecast spread evenly over its days; rounded to the item's unit.
- open orders C: what confirmed sales orders of the warehouse still have to ship; H of it is held by their reservations.
  The orders already taken are part of the demand the forecast foresees: they consume it, so the demand is max(F, C).
- available A: on hand less reserved in the warehouse's available locations (reorder.available_in); on order O: open
  requisitions and purchase orders not yet received (reorder.on_order).
- safety stock S = z × σ × √(days covered ÷ days in a period), rounded up to the unit: σ the forecast's one-step error
  per period, z the standard normal quantile of the plan's service level (95 % → 1.6449). A formula, not a setting: it
  grows with how wrong the forecast has been and how long the stock must last. No forecast, no safety stock.
- need = max(F, C) − H + S − A − O (the held part of the orders is in neither A nor the need twice), never below 0;
  proposed: the need, raised to the item's minimum order quantity (最小起订量, `min_order_qty`) when it is below it (the
  line says so), rounded up to whole packs of the item's smallest pack of more than one unit (a carton), if it has one,
  else to its unit. Nothing needed, nothing proposed: the minimum only applies to an item that needs ordering at all.
- lead time: the item's own (`lead_time_days`), else the mean days from approval to arrival of its latest orders for the
  warehouse, else DEFAULT_LEAD_TIME_DAYS. Supplier: its reorder rule's there, else the one it was last ordered from.

Computing reads only (fitting a few hundred models takes seconds: it must not hold the write lock meanwhile); saving the
plan is the short write. A draft's lines may be changed (quantity, supplier, selected); converting makes one requisition
(source `plan`) per supplier of the selected lines with a quantity — those without a supplier together in one, for the
purchaser to choose — and links each line to its requisition. A converted or discarded plan changes no more. A user
limited to some warehouses sees, makes and changes only their plans, and sees only their forecasts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from statistics import NormalDist

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item
from server.catalog.services import find_item, unknown_sku
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.lines import LineIn
from server.documents.services import check_signed_version, next_number, page, touch
from server.errors import InvalidInput, NotFound
from server.locations.models import Location
from server.locations.services import get_warehouse
from server.partners.models import Partner
from server.partners.services import partner_reference
from server.purchasing import demand
from server.purchasing.forecast import (
    LOOKBACK,
    PERIOD_DAYS,
    PERIODS,
    Forecast,
    add_periods,
    demand_between,
    forecast,
    period_start,
    period_starts,
    unit_places,
)
from server.purchasing.plan_models import PurchasePlan, PurchasePlanLine
from server.purchasing.reorder import available_in, on_order
from server.purchasing.services import create_requisition
from server.purchasing.services.common import _require_warehouse
from server.quantities import decimal_places
from server.schemas import fmt

ZERO = Decimal(0)
READ = "purchase.plan"
WRITE = "purchase.write"
DEFAULT_LEAD_TIME_DAYS = 14
DEFAULT_SERVICE_LEVEL = Decimal(95)
DEFAULT_HORIZON: dict[str, int] = {"week": 4, "month": 1}
MAX_HORIZON: dict[str, int] = {"week": 52, "month": 12}  # a plan: periods an order lasts; a forecast: periods shown
MAX_FORECAST: dict[str, int] = {"week": 104, "month": 36}
DEFAULT_FORECAST: dict[str, int] = {"week": 12, "month": 6}

def _check(plan: PurchasePlan, action: str) -> None:
    """Refuse (409 `wrong_state`, naming the plan's state) what the plan's state does not allow."""
    flows.PURCHASE_PLAN.check(plan.number, plan.status, action)


def plan_actions(actor: Actor, plan: PurchasePlan) -> list[str]:
    """What `actor` may do to the plan now (the desk offers exactly these)."""
    if plan.status != "draft" or not actor.can(WRITE):
        return []
    return ["convert", "edit", "discard"]


# Pure arithmetic ------------------------------------------------------------------------------------------------------


def z_value(service_level: Decimal) -> Decimal:
    """The standard normal quantile of a service level in per cent (95 → 1.6449), to four places."""
    return Decimal(repr(round(NormalDist().inv_cdf(float(service_level) / 100), 4)))


def safety_stock(error: Decimal | None, service_level: Decimal, days: int, period: str, decimals: int) -> Decimal:
    """z × σ × √(days ÷ days in a period), rounded up to the unit; none without a forecast error."""
    if error is None or error <= 0 or days <= 0:
        return ZERO
    raw = z_value(service_level) * error * (Decimal(days) / PERIOD_DAYS[period]).sqrt()
    return max(raw, ZERO).quantize(unit_places(decimals), rounding=ROUND_CEILING)


@dataclasses.dataclass(frozen=True)
class Need:
    need: Decimal  # what is short, never below 0
    proposed: Decimal  # at least the minimum order, rounded up to the unit or the pack
    raised_to_moq: bool = False  # the need was below the minimum order quantity


def quantity_needed(*, forecast_qty: Decimal, open_demand: Decimal, held: Decimal, available: Decimal, on_order: Decimal,
                    safety: Decimal, pack: Decimal | None, decimals: int, moq: Decimal | None = None) -> Need:
    """max(F, C) − H + S − A − O, never below 0; when above 0, at least the minimum order quantity; rounded up to whole
    packs (or to the unit)."""
    short = max(forecast_qty, open_demand) - held + safety - available - on_order
    if short <= 0:
        return Need(ZERO, ZERO)
    raised = moq is not None and short < moq
    wanted = moq if raised and moq is not None else short
    if pack is not None and pack > 0:
        return Need(short, (wanted / pack).to_integral_value(rounding=ROUND_CEILING) * pack, raised)
    return Need(short, wanted.quantize(unit_places(decimals), rounding=ROUND_CEILING), raised)


def months_later(day: dt.date, n: int) -> dt.date:
    months = day.year * 12 + day.month - 1 + n
    year, month = divmod(months, 12)
    last = (dt.date(year + (month == 11), (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last))


def covered_until(today: dt.date, lead_days: int, period: str, horizon: int) -> dt.date:
    """The first day the order no longer has to cover: `horizon` periods after the goods would arrive."""
    arrival = today + dt.timedelta(days=lead_days)
    return arrival + dt.timedelta(weeks=horizon) if period == "week" else months_later(arrival, horizon)


# Checks of what a request asks for --------------------------------------------------------------------------------------


def _period(period: str) -> str:
    if period not in PERIODS:
        raise InvalidInput(f"The period is week or month (got {period!r}).", f"周期只能是 week 或 month（收到 {period!r}）。",
                           code="invalid_parameter", field="period")
    return period


def _horizon(value: int | None, period: str, *, default: dict[str, int], most: dict[str, int]) -> int:
    horizon = default[period] if value is None else value
    if not 1 <= horizon <= most[period]:
        unit_en, unit_zh = ("weeks", "周") if period == "week" else ("months", "个月")
        raise InvalidInput(f"The horizon is 1 to {most[period]} {unit_en} (got {horizon}).", f"期数须为 1 至 {most[period]} {unit_zh}（收到 {horizon}）。",
                           code="invalid_parameter", field="horizon")
    return horizon


def _service_level(value: Decimal | None) -> Decimal:
    level = DEFAULT_SERVICE_LEVEL if value is None else value
    if not Decimal(50) <= level <= Decimal("99.9"):
        raise InvalidInput(f"The service level is a percentage from 50 to 99.9 (got {fmt(level)}).", f"服务水平须为 50 至 99.9 之间的百分数（收到 {fmt(level)}）。",
                           code="invalid_parameter", field="service_level")
    return level.quantize(Decimal("0.01"))


def _warehouse(session: Session, actor: Actor, code: str) -> Location:
    wh = get_warehouse(session, code)
    _require_warehouse(actor, wh)
    return wh


def _item(session: Session, sku: str) -> Item:
    item = find_item(session, sku)
    if item is None:
        raise unknown_sku(sku)
    return item


# One item's forecast (GET /api/v1/forecasts) --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ItemForecast:
    item: Item
    warehouse: Location
    period: str
    history_starts: list[dt.date]  # the start of each history period (from the first sale on)
    history: list[Decimal]
    forecast_starts: list[dt.date]
    forecast: Forecast


def history_window(today: dt.date, period: str) -> list[dt.date]:
    """The starts of the LOOKBACK whole periods before the current one, and the current one's start (their end)."""
    current = period_start(today, period)
    return period_starts(add_periods(current, period, -LOOKBACK[period]), period, LOOKBACK[period])


def item_forecast(session: Session, actor: Actor, *, sku: str, warehouse: str, period: str = "week", horizon: int | None = None,
                  today: dt.date | None = None) -> ItemForecast:
    """An item's net sales from a warehouse per period and the forecast of the next `horizon` periods (the current one first)."""
    actor.require(READ)
    period = _period(period)
    steps = _horizon(horizon, period, default=DEFAULT_FORECAST, most=MAX_FORECAST)
    wh = _warehouse(session, actor, warehouse)
    item = _item(session, sku)
    starts = history_window(today or local_today(), period)
    history = demand.sales_history(session, wh.id, starts, [item.id]).get(item.id, [ZERO] * (len(starts) - 1))
    made = forecast(history, period, steps, item.unit_decimals)
    shown = len(history) - made.points if made.points else len(history)
    return ItemForecast(item, wh, period, starts[shown:-1], history[shown:], period_starts(starts[-1], period, len(made.values))[:-1], made)


# Computing a plan (reads only) ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LineDraft:
    item_id: int
    sku: str
    forecast: Forecast
    lead_time_days: int
    lead_time_source: str
    forecast_qty: Decimal
    open_demand: Decimal
    held: Decimal
    available: Decimal
    on_order: Decimal
    safety_stock: Decimal
    pack_qty: Decimal | None
    need: Need
    supplier_id: int | None
    min_order_qty: Decimal | None = None


@dataclasses.dataclass(frozen=True)
class PlanDraft:
    warehouse_id: int
    warehouse: str
    period: str
    horizon: int
    service_level: Decimal
    as_of: dt.date
    note: str
    lines: list[LineDraft]


def compute_plan(
    session: Session, actor: Actor, *, warehouse: str, period: str = "week", horizon: int | None = None, service_level: Decimal | None = None,
    skus: Sequence[str] = (), note: str = "", today: dt.date | None = None,
) -> PlanDraft:
    """What a plan for the warehouse proposes today, line by line (nothing is written: `create_plan` saves it)."""
    actor.require(WRITE)
    period = _period(period)
    review = _horizon(horizon, period, default=DEFAULT_HORIZON, most=MAX_HORIZON)
    level = _service_level(service_level)
    wh = _warehouse(session, actor, warehouse)
    only = [_item(session, sku).id for sku in dict.fromkeys(skus)] or None
    day = today or local_today()
    starts = history_window(day, period)
    history = demand.sales_history(session, wh.id, starts, only)
    selling = demand.open_sales(session, wh.id, only)
    if only is None:
        items = demand.planned_items(session, wh.id, [i for i, h in history.items() if any(h)], selling)
    else:  # the items asked about, whatever they sold
        items = list(session.scalars(select(Item).where(Item.id.in_(only), Item.active.is_(True)).order_by(Item.sku)))
    ids = [i.id for i in items]
    observed = demand.observed_lead_times(session, wh.id, ids)
    suppliers = demand.preferred_suppliers(session, wh.id, ids)
    packs = demand.smallest_packs(session, ids)
    current = starts[-1]
    lines = []
    for item in items:
        if item.lead_time_days is not None:
            lead, source = item.lead_time_days, "item"
        elif item.id in observed:
            lead, source = observed[item.id], "history"
        else:
            lead, source = DEFAULT_LEAD_TIME_DAYS, "default"
        until = covered_until(day, lead, period, review)
        steps = 1
        while add_periods(current, period, steps) < until:
            steps += 1
        made = forecast(history.get(item.id, [ZERO] * (len(starts) - 1)), period, steps, item.unit_decimals)
        places = unit_places(item.unit_decimals)
        expected = demand_between(made.values, period_starts(current, period, steps), day, until).quantize(places, rounding=ROUND_HALF_UP)
        owed, held = selling.get(item.id, (ZERO, ZERO))
        safety = safety_stock(made.error, level, (until - day).days, period, item.unit_decimals)
        stock, coming, pack = available_in(session, item.id, wh.id), on_order(session, item.id, wh.id), packs.get(item.id)
        need = quantity_needed(forecast_qty=expected, open_demand=owed, held=held, available=stock, on_order=coming, safety=safety,
                               pack=pack, decimals=item.unit_decimals, moq=item.min_order_qty)
        lines.append(LineDraft(item.id, item.sku, made, lead, source, expected, owed, held, stock, coming, safety, pack, need, suppliers.get(item.id),
                               item.min_order_qty))
    lines.sort(key=lambda line: (line.need.proposed == 0, line.sku))  # what to buy first
    return PlanDraft(wh.id, wh.code, period, review, level, day, note, lines)


# The plan's actions (writes) ------------------------------------------------------------------------------------------


def create_plan(session: Session, actor: Actor, draft: PlanDraft) -> PurchasePlan:
    """Save a computed plan as a draft: each line proposed, selected when it proposes anything."""
    actor.require(WRITE)
    wh = _warehouse(session, actor, draft.warehouse)
    plan = PurchasePlan(
        number=next_number(session, "PP", on=draft.as_of), status="draft", warehouse_id=wh.id, period=draft.period, horizon=draft.horizon,
        service_level=draft.service_level, as_of=draft.as_of, note=draft.note, created_by=actor.user_id,
    )
    for n, line in enumerate(draft.lines, 1):
        made = line.forecast
        plan.lines.append(PurchasePlanLine(
            line_no=n, item_id=line.item_id, method=made.method, method_reason=made.reason, history_periods=made.points, error=made.error, mae=made.mae,
            mape=made.mape, lead_time_days=line.lead_time_days, lead_time_source=line.lead_time_source, forecast_qty=line.forecast_qty,
            open_demand=line.open_demand, held=line.held, available=line.available, on_order=line.on_order, safety_stock=line.safety_stock,
            need=line.need.need, pack_qty=line.pack_qty, proposed_qty=line.need.proposed, qty=line.need.proposed, supplier_id=line.supplier_id,
            selected=line.need.proposed > 0, min_order_qty=line.min_order_qty, raised_to_moq=line.need.raised_to_moq,
        ))
    session.add(plan)
    session.flush()
    record(session, actor, "purchase_plan.create", "purchase_plan", plan.number, warehouse=wh.code, period=plan.period, horizon=plan.horizon,
           service_level=fmt(plan.service_level), lines=len(plan.lines), to_buy=sum(1 for line in plan.lines if line.selected))
    return plan


def get_plan(session: Session, number: str, *, lock: bool = False) -> PurchasePlan:
    query = select(PurchasePlan).where(PurchasePlan.number == number)
    plan = session.scalar(query.with_for_update() if lock else query)
    if plan is None:
        raise NotFound(f"No purchase plan {number}.", f"没有采购计划 {number}。", number=number)
    return plan


def read_plan(session: Session, actor: Actor, number: str) -> PurchasePlan:
    """One plan; a plan of a warehouse the user does not work in is refused (403 `warehouse_not_allowed`)."""
    actor.require(READ)
    plan = get_plan(session, number)
    _require_warehouse(actor, session.get_one(Location, plan.warehouse_id))
    return plan


def list_plans(session: Session, actor: Actor, *, status: str | None = None, warehouse: str | None = None, limit: int = 50,
               offset: int = 0) -> tuple[list[PurchasePlan], int]:
    """Plans of the warehouses the user works in, newest first, narrowed by state and warehouse."""
    actor.require(READ)
    query = select(PurchasePlan)
    if actor.warehouse_ids:  # a user limited to some warehouses sees only their plans
        query = query.where(PurchasePlan.warehouse_id.in_(actor.warehouse_ids))
    if status:
        query = query.where(PurchasePlan.status == status)
    if warehouse:
        query = query.join(Location, PurchasePlan.warehouse_id == Location.id).where(Location.code == warehouse)
    return page(session, query, PurchasePlan, limit, offset)


@dataclasses.dataclass(frozen=True)
class LineChange:
    line: int
    qty: Decimal | None = None
    supplier: str | None = None
    clear_supplier: bool = False
    selected: bool | None = None


def _locked_draft(session: Session, actor: Actor, number: str, version: int | None, action: str) -> PurchasePlan:
    actor.require(WRITE)
    plan = get_plan(session, number, lock=True)
    _require_warehouse(actor, session.get_one(Location, plan.warehouse_id))
    _check(plan, action)
    check_signed_version(plan, version, "Purchase plan", "采购计划")
    return plan


def update_plan(session: Session, actor: Actor, number: str, *, version: int | None, changes: Sequence[LineChange],
                note: str | None = None) -> PurchasePlan:
    """A draft's lines as the purchaser decides: the quantity to buy, the supplier, whether to buy at all; and its note."""
    plan = _locked_draft(session, actor, number, version, "edit")
    by_no = {line.line_no: line for line in plan.lines}
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_({line.item_id for line in plan.lines})))}
    changed: list[dict[str, object]] = []
    seen: set[int] = set()
    for change in changes:
        line = by_no.get(change.line)
        if line is None:
            raise InvalidInput(f"Purchase plan {number} has no line {change.line}.", f"采购计划 {number} 没有第 {change.line} 行。",
                               code="unknown_line", line=change.line)
        if change.line in seen:
            raise InvalidInput(f"Line {change.line} is changed twice.", f"第 {change.line} 行重复修改。", code="duplicate_line", line=change.line)
        seen.add(change.line)
        item = items[line.item_id]
        said: dict[str, object] = {}
        if change.qty is not None:
            if decimal_places(change.qty) > item.unit_decimals:
                raise InvalidInput(
                    f"Line {change.line} ({item.sku}): {item.unit} takes {item.unit_decimals} decimal places (got {fmt(change.qty)}).",
                    f"第 {change.line} 行（{item.sku}）：{item.unit} 最多 {item.unit_decimals} 位小数（收到 {fmt(change.qty)}）。",
                    code="invalid", line=change.line, field="qty",
                )
            if change.qty != line.qty:
                line.qty, said["qty"] = change.qty, fmt(change.qty)
        if change.clear_supplier and line.supplier_id is not None:
            line.supplier_id, said["supplier"] = None, None
        elif change.supplier is not None:
            try:
                supplier = partner_reference(session, change.supplier, "supplier")
            except InvalidInput as error:
                error.details.setdefault("field", "supplier")
                error.details.setdefault("line", change.line)
                raise
            if supplier.id != line.supplier_id:
                line.supplier_id, said["supplier"] = supplier.id, supplier.code
        if change.selected is not None and change.selected != line.selected:
            line.selected, said["selected"] = change.selected, change.selected
        if said:
            changed.append({"line": change.line, "sku": item.sku, **said})
    if note is not None and note != plan.note:
        plan.note = note
    touch(plan)
    session.flush()
    record(session, actor, "purchase_plan.update", "purchase_plan", number, lines=changed, note=note)
    return plan


def convert_plan(session: Session, actor: Actor, number: str, *, version: int | None = None) -> PurchasePlan:
    """The selected lines with a quantity become requisitions for the plan's warehouse, one per supplier (those without one
    together); each line is linked to its requisition, and the plan is converted."""
    plan = _locked_draft(session, actor, number, version, "convert")
    chosen = [line for line in plan.lines if line.selected and line.qty > 0]
    if not chosen:
        raise InvalidInput(f"Purchase plan {number} has no selected line with a quantity to buy.", f"采购计划 {number} 没有选中且数量大于零的行。",
                           code="no_lines")
    wh = session.get_one(Location, plan.warehouse_id)
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_({line.item_id for line in chosen})))}
    codes = dict(session.execute(select(Partner.id, Partner.code).where(Partner.id.in_({line.supplier_id for line in chosen if line.supplier_id}))).all())
    groups: dict[int | None, list[PurchasePlanLine]] = {}
    for line in chosen:
        groups.setdefault(line.supplier_id, []).append(line)
    made = []
    for supplier_id in sorted(groups, key=lambda s: (s is None, codes.get(s, "") if s is not None else "")):
        lines = groups[supplier_id]
        req = create_requisition(
            session, actor, warehouse=wh.code, supplier=codes[supplier_id] if supplier_id is not None else None, source="plan",
            lines=[LineIn(sku=items[line.item_id].sku, qty=line.qty) for line in lines],
            needed_by=local_today() + dt.timedelta(days=max(line.lead_time_days for line in lines)),
            note=f"采购计划 Purchase plan {plan.number}",
        )
        for line in lines:
            line.requisition_id = req.id
        made.append(req.number)
    transition(plan, "convert")
    plan.converted_at = utcnow()
    session.flush()
    record(session, actor, "purchase_plan.convert", "purchase_plan", number, requisitions=made, lines=len(chosen))
    return plan


def discard_plan(session: Session, actor: Actor, number: str, *, version: int | None = None, reason: str = "") -> PurchasePlan:
    """A draft not to be bought from: it stays, discarded, for the record."""
    plan = _locked_draft(session, actor, number, version, "discard")
    transition(plan, "discard")
    session.flush()
    record(session, actor, "purchase_plan.discard", "purchase_plan", number, reason=reason)
    return plan


def requisitions_of(session: Session, plan: PurchasePlan) -> dict[int, str]:
    """The numbers of the requisitions the plan's lines went into, by id."""
    from server.purchasing.models import Requisition

    ids = {line.requisition_id for line in plan.lines if line.requisition_id is not None}
    return dict(session.execute(select(Requisition.id, Requisition.number).where(Requisition.id.in_(ids))).all()) if ids else {}


def warehouse_code(session: Session, plan: PurchasePlan) -> str:
    return session.get_one(Location, plan.warehouse_id).code


def lines_to_buy(plan: PurchasePlan) -> int:
    return sum(1 for line in plan.lines if line.selected and line.qty > 0)

