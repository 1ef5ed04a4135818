"""Stock reports: balances, valuation by item and category, one item's ledger, slow-moving stock and expiring lots.

Values are the moving-average value the books hold (the Valuation table), split over an item's
balances in proportion to quantity, to the cent, so that however the lines are grouped or
filtered they add up to the inventory account exactly when nothing is left out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import ROUND_FLOOR, Decimal
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from server.auth.permissions import Actor
from server.auth.visibility import COSTS
from server.base import utcnow
from server.catalog.models import Category, Item, Lot
from server.errors import InvalidInput, UnknownReference
from server.finance.services import CENT, money
from server.inventory.models import Balance, Move, Valuation
from server.inventory.services import COST_UNIT
from server.locations.models import Location
from server.reports.framework import Column, Params, Report, Row, Subtotals, param

ZERO = Decimal(0)

ITEM_COLUMNS = (
    Column("sku", "SKU", "SKU"),
    Column("name_zh", "品名（中文）", "Name (Chinese)"),
    Column("name_en", "品名（英文）", "Name (English)"),
    Column("unit", "单位", "Unit"),
)


# Filters and look-ups ------------------------------------------------------------------------------


# msgspec wants a constraint on the str itself, so the None goes outside.
WarehouseFilter = Annotated[str, param("仓库编码", "Warehouse code", min_length=1, max_length=64)] | None
LocationFilter = Annotated[str, param("库位编码（含下级库位）", "Location code (with the locations under it)", min_length=1, max_length=64)] | None
SkuFilter = Annotated[str, param("商品 SKU", "Item SKU", min_length=1, max_length=64)] | None
CategoryFilter = Annotated[str, param("商品分类编码", "Item category code", min_length=1, max_length=64)] | None
SubtotalsFlag = Annotated[bool, param("按商品分类小计", "Subtotals by item category")]


# Item categories: a filter, a column and a subtotal row per category -----------------------------------

NO_CATEGORY = ("未分类", "No category")


def find_category(session: Session, code: str) -> Category:
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise UnknownReference(
            f"No item category with code {code}.", f"没有编码为 {code} 的商品分类。", code="unknown_category", parameter="category", category=code
        )
    return category


def category_names(session: Session) -> dict[int, tuple[str, str, str]]:
    """Every category's code and names, by id (a short list: a company has tens of them)."""
    return {cid: (code, zh, en) for cid, code, zh, en in session.execute(select(Category.id, Category.code, Category.name_zh, Category.name_en))}


def category_fields(names: dict[int, tuple[str, str, str]], category_id: int | None) -> Row:
    """What a report row carries of its item's category: the code (a column) and the names (its subtotal's text)."""
    code, zh, en = names[category_id] if category_id is not None and category_id in names else (None, *NO_CATEGORY)
    return {"category": code, "category_name_zh": zh, "category_name_en": en}


def category_subtotal(first: Row) -> Row:
    """A category's subtotal row names the category where its items' rows name the item."""
    return {"name_zh": first.get("category_name_zh"), "name_en": first.get("category_name_en")}


def _subtotals_asked(params: Any) -> bool:
    return bool(params.subtotals)


BY_CATEGORY = Subtotals(key="category", label=category_subtotal, when=_subtotals_asked)


def category_columns(when: Any = _subtotals_asked) -> tuple[Column, ...]:
    """The line column (小计 on a subtotal row), shown with the subtotals, and the item's category, shown as `when` says (with
    the subtotals unless told otherwise; None: always)."""
    return (Column("line", "行类型", "Line", when=_subtotals_asked), Column("category", "商品分类", "Category", when=when))


def find_item(session: Session, sku: str) -> Item:
    item = session.scalar(select(Item).where(Item.sku == sku))
    if item is None:
        raise UnknownReference(f"No item with SKU {sku}.", f"没有 SKU 为 {sku} 的商品。", code="unknown_sku", parameter="sku", sku=sku)
    return item


def find_warehouse(session: Session, code: str) -> Location:
    location = session.scalar(select(Location).where(Location.code == code))
    if location is None or location.kind != "warehouse":
        raise UnknownReference(
            f"No warehouse with code {code}.", f"没有编码为 {code} 的仓库。", code="unknown_warehouse", parameter="warehouse", warehouse=code
        )
    return location


def find_location(session: Session, code: str) -> Location:
    location = session.scalar(select(Location).where(Location.code == code))
    if location is None:
        raise UnknownReference(
            f"No location with code {code}.", f"没有编码为 {code} 的库位。", code="unknown_location", parameter="location", location=code
        )
    return location


def subtree(session: Session, root: Location) -> set[int]:
    """The ids of a location and every location under it (a warehouse's zones and bins, a zone's bins)."""
    if root.kind == "virtual":
        return {root.id}
    children: dict[int | None, list[int]] = defaultdict(list)
    for location_id, parent_id in session.execute(select(Location.id, Location.parent_id).where(Location.warehouse_id == root.warehouse_id)):
        children[parent_id].append(location_id)
    found, pending = {root.id}, [root.id]
    while pending:
        for child in children[pending.pop()]:
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split an amount over weights in proportion, to the cent, the parts adding up to it exactly:
    each part is rounded down and the cents left go to the largest remainders (then the earliest)."""
    whole = sum(weights, ZERO)
    if not weights or whole == 0:
        return [ZERO for _ in weights]
    with decimal.localcontext(prec=60):  # exact products; the quotients' rounding is far below a cent
        exact = [total * w / whole for w in weights]
        parts = [e.quantize(CENT, rounding=ROUND_FLOOR) for e in exact]
        left = int((total - sum(parts, ZERO)) / CENT)
        for i in sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))[:left]:
            parts[i] += CENT
    return parts


@dataclasses.dataclass(frozen=True, slots=True)
class Holding:
    """One internal balance (item, location, lot), described, with its share of the item's value."""

    item_id: int
    sku: str
    name_zh: str
    name_en: str
    unit: str
    category_id: int | None
    location_id: int
    location: str
    warehouse_id: int | None
    warehouse: str | None
    lot_id: int | None
    lot: str | None
    expiry: dt.date | None
    qty: Decimal
    reserved: Decimal
    available: Decimal
    unit_cost: Decimal | None  # None: the actor may not see costs
    value: Decimal | None


_WAREHOUSE = aliased(Location)


def holdings(
    session: Session, actor: Actor, *, item_id: int | None = None, lot_items_only: bool = False, category_id: int | None = None
) -> list[Holding]:
    """Every non-zero internal balance, in (SKU, location, lot) order, valued when the actor may see costs; of one item or
    of the items of one category if asked (all of an item's balances either way, so its value splits as it always does)."""
    query = (
        select(
            Balance.item_id, Item.sku, Item.name_zh, Item.name_en, Item.unit, Item.category_id,
            Balance.location_id, Location.code, Location.warehouse_id, _WAREHOUSE.code, Location.quarantine,
            Balance.lot_id, Lot.code, Lot.expiry, Balance.qty, Balance.reserved,
        )
        .join(Item, Balance.item_id == Item.id)
        .join(Location, Balance.location_id == Location.id)
        .outerjoin(_WAREHOUSE, Location.warehouse_id == _WAREHOUSE.id)
        .outerjoin(Lot, Balance.lot_id == Lot.id)
        .where(Balance.internal.is_(True), Balance.qty != 0)
        .order_by(Item.sku, Balance.item_id, Location.code, Balance.lot_key)
    )
    valuations = select(Valuation.item_id, Valuation.qty, Valuation.value)
    if item_id is not None:
        query = query.where(Balance.item_id == item_id)
        valuations = valuations.where(Valuation.item_id == item_id)
    if category_id is not None:
        query = query.where(Item.category_id == category_id)
        valuations = valuations.where(Valuation.item_id.in_(select(Item.id).where(Item.category_id == category_id)))
    if lot_items_only:
        with_lots = select(Balance.item_id).where(Balance.lot_id.is_not(None), Balance.internal.is_(True))
        query = query.where(Balance.item_id.in_(with_lots))
        valuations = valuations.where(Valuation.item_id.in_(with_lots))
    rows = session.execute(query).all()
    values: dict[int, Decimal] = {}
    costs: dict[int, Decimal] = {}
    if actor.can(COSTS):
        by_item: dict[int, list[int]] = defaultdict(list)
        for index, row in enumerate(rows):
            by_item[row[0]].append(index)
        book = {item: (qty, value) for item, qty, value in session.execute(valuations)}
        for item, indexes in by_item.items():
            on_hand = sum((rows[i][14] for i in indexes), ZERO)
            book_qty, book_value = book.get(item, (ZERO, ZERO))
            # The balances and the valuation move together; should they ever disagree, value what is on hand at the average.
            worth = book_value if on_hand == book_qty else money(on_hand * book_value / book_qty) if book_qty > 0 else ZERO
            costs[item] = (book_value / book_qty).quantize(COST_UNIT) if book_qty > 0 else ZERO
            for index, part in zip(indexes, allocate(worth, [rows[i][14] for i in indexes]), strict=True):
                values[index] = part
    out = []
    for index, (item, sku, name_zh, name_en, unit, category, loc_id, loc, wh_id, wh, quarantine, lot_id, lot, expiry, qty, reserved) in enumerate(rows):
        out.append(
            Holding(
                item, sku, name_zh, name_en, unit, category, loc_id, loc, wh_id, wh, lot_id, lot, expiry, qty, reserved,
                ZERO if quarantine else qty - reserved, costs.get(item), values.get(index),
            )
        )
    return out


def _item_fields(h: Holding) -> Row:
    return {"sku": h.sku, "name_zh": h.name_zh, "name_en": h.name_en, "unit": h.unit}


def _scope(session: Session, warehouse: str | None, location: str | None = None) -> Callable[[Holding], bool]:
    """Which holdings a warehouse and a location filter keep (the location with everything under it)."""
    warehouse_id = find_warehouse(session, warehouse).id if warehouse else None
    location_ids = None
    if location:
        root = find_location(session, location)
        if root.kind == "virtual":
            raise InvalidInput(
                f"{location} is a virtual location, not a place that holds the company's stock.",
                f"{location} 是虚拟库位，不存放本公司库存。",
                code="virtual_location",
                parameter="location",
            )
        location_ids = subtree(session, root)
    return lambda h: (warehouse_id is None or h.warehouse_id == warehouse_id) and (location_ids is None or h.location_id in location_ids)


# Stock balance -----------------------------------------------------------------------------------


class StockBalanceParams(Params, kw_only=True):
    warehouse: WarehouseFilter = None
    location: LocationFilter = None
    sku: SkuFilter = None
    category: CategoryFilter = None
    group_by: Annotated[Literal["warehouse", "location", "lot"], param("汇总到", "Group by")] = "location"
    subtotals: SubtotalsFlag = False


def stock_balance(session: Session, actor: Actor, params: StockBalanceParams) -> list[Row]:
    item_id = find_item(session, params.sku).id if params.sku else None
    category_id = find_category(session, params.category).id if params.category else None
    keep = _scope(session, params.warehouse, params.location)
    names = category_names(session)
    lines: dict[tuple[Any, ...], Row] = {}
    for h in holdings(session, actor, item_id=item_id, category_id=category_id):
        if not keep(h):
            continue
        key: tuple[Any, ...] = {"warehouse": (h.item_id, h.warehouse_id), "location": (h.item_id, h.location_id)}.get(
            params.group_by, (h.item_id, h.location_id, h.lot_id)
        )
        line = lines.get(key)
        if line is None:
            line = lines[key] = _item_fields(h) | category_fields(names, h.category_id) | {
                "warehouse": h.warehouse, "location": h.location, "lot": h.lot, "expiry": h.expiry,
                "qty": ZERO, "reserved": ZERO, "available": ZERO, "unit_cost": h.unit_cost, "value": None if h.value is None else ZERO,
            }
        line["qty"] += h.qty
        line["reserved"] += h.reserved
        line["available"] += h.available
        if h.value is not None:
            line["value"] += h.value
    return sorted(lines.values(), key=lambda r: (r["sku"], r["warehouse"] or "", r["location"], r["lot"] or ""))


STOCK_BALANCE = Report(
    name="stock_balance",
    title_zh="库存余额表",
    title_en="Stock balance",
    permission="reports.read",
    params=StockBalanceParams,
    columns=(
        *category_columns(),
        *ITEM_COLUMNS,
        Column("warehouse", "仓库", "Warehouse"),
        Column("location", "库位", "Location", when=lambda p: p.group_by != "warehouse"),
        Column("lot", "批次", "Lot", when=lambda p: p.group_by == "lot"),
        Column("expiry", "有效期至", "Expiry", "date", when=lambda p: p.group_by == "lot"),
        Column("qty", "现存量", "On hand", "qty", total=True),
        Column("reserved", "已预留", "Reserved", "qty", total=True),
        Column("available", "可用量", "Available", "qty", total=True),
        Column("unit_cost", "平均单位成本", "Average unit cost", "cost", permission=COSTS),
        Column("value", "库存金额", "Value", "money", total=True, permission=COSTS),
    ),
    rows=stock_balance,
    subtotals=BY_CATEGORY,
)


# Stock valuation ---------------------------------------------------------------------------------


class StockValuationParams(Params, kw_only=True):
    warehouse: WarehouseFilter = None
    category: CategoryFilter = None
    subtotals: SubtotalsFlag = True


def stock_valuation(session: Session, actor: Actor, params: StockValuationParams) -> list[Row]:
    """存货估值: what each item on hand is worth (in all the company's locations, or in one warehouse), at the moving
    average the books hold, by category with each category's subtotal."""
    category_id = find_category(session, params.category).id if params.category else None
    keep = _scope(session, params.warehouse)
    names = category_names(session)
    items: dict[int, Row] = {}
    for h in holdings(session, actor, category_id=category_id):
        if not keep(h):
            continue
        line = items.get(h.item_id)
        if line is None:
            line = items[h.item_id] = _item_fields(h) | category_fields(names, h.category_id) | {
                "qty": ZERO, "unit_cost": h.unit_cost, "value": ZERO}
        line["qty"] += h.qty
        line["value"] += h.value or ZERO
    return sorted(items.values(), key=lambda r: r["sku"])


STOCK_VALUATION = Report(
    name="stock_valuation",
    title_zh="存货估值表",
    title_en="Stock valuation",
    permission=COSTS,
    params=StockValuationParams,
    columns=(
        *category_columns(when=None),
        *ITEM_COLUMNS,
        Column("qty", "现存量", "On hand", "qty", total=True),
        Column("unit_cost", "平均单位成本", "Average unit cost", "cost"),
        Column("value", "库存金额", "Value", "money", total=True),
    ),
    rows=stock_valuation,
    subtotals=BY_CATEGORY,
)


# Stock ledger ------------------------------------------------------------------------------------


class StockLedgerParams(Params, kw_only=True):
    sku: Annotated[str, param("商品 SKU", "Item SKU", min_length=1, max_length=64)]
    from_: Annotated[dt.date | None, param("起始日期（含）", "From date (inclusive)")] = msgspec.field(default=None, name="from")
    to: Annotated[dt.date | None, param("截止日期（含）", "To date (inclusive)")] = None
    location: LocationFilter = None

    def check(self) -> None:
        super().check()
        if self.from_ and self.to and self.from_ > self.to:
            raise InvalidInput(
                f"The period is empty: from {self.from_.isoformat()} is after to {self.to.isoformat()}.",
                f"期间无效：起始日期 {self.from_.isoformat()} 晚于截止日期 {self.to.isoformat()}。",
                code="invalid_parameter",
                parameter="from",
            )


OPENING = "期初结存 / Opening balance"


def stock_ledger(session: Session, actor: Actor, params: StockLedgerParams) -> Iterator[Row]:
    """The item's moves in ledger order, each with its effect on the scope — the location and everything
    under it, or all the company's internal locations — and the scope's running balance."""
    item = find_item(session, params.sku)
    source, target = aliased(Location), aliased(Location)
    from_inside: ColumnElement[bool]
    to_inside: ColumnElement[bool]
    if params.location:
        ids = subtree(session, find_location(session, params.location))
        from_inside, to_inside = Move.from_location_id.in_(ids), Move.to_location_id.in_(ids)

        def inside(location_id: int, kind: str) -> bool:
            return location_id in ids
    else:
        from_inside, to_inside = source.kind != "virtual", target.kind != "virtual"

        def inside(location_id: int, kind: str) -> bool:
            return kind != "virtual"

    def moves(*conditions: Any) -> Any:
        return (
            select(Move.id, Move.created_at, Move.qty, Move.unit_cost, Move.value, Move.reason, Move.from_location_id, source.code,
                   source.kind, Move.to_location_id, target.code, target.kind, Lot.code)
            .join(source, Move.from_location_id == source.id)
            .join(target, Move.to_location_id == target.id)
            .outerjoin(Lot, Move.lot_id == Lot.id)
            .where(Move.item_id == item.id, *conditions)
        )

    balance = ZERO
    period = []
    if params.from_:
        start = params.start_of(params.from_)
        period.append(Move.created_at >= start)

        def total(*conditions: Any) -> Decimal:
            query = moves(Move.created_at < start, *conditions).with_only_columns(func.coalesce(func.sum(Move.qty), 0))
            return Decimal(session.scalar(query) or 0)

        balance = total(to_inside, ~from_inside) - total(from_inside, ~to_inside)
        yield {"reason": OPENING, "balance": balance}
    if params.to:
        period.append(Move.created_at < params.start_of(params.to + dt.timedelta(days=1)))
    for move_id, at, qty, unit_cost, value, reason, src_id, src, src_kind, dst_id, dst, dst_kind, lot in session.execute(
        moves(or_(from_inside, to_inside), *period).order_by(Move.id)
    ):
        src_in, dst_in = inside(src_id, src_kind), inside(dst_id, dst_kind)
        qty_in = qty if dst_in and not src_in else None
        qty_out = qty if src_in and not dst_in else None
        balance += (qty_in or ZERO) - (qty_out or ZERO)
        yield {
            "at": at, "move": move_id, "from": src, "to": dst, "lot": lot, "reason": reason,
            "qty": qty, "qty_in": qty_in, "qty_out": qty_out, "balance": balance,
            # A move that crossed the books carries the value it was posted at; any other is worth qty at its cost.
            "unit_cost": unit_cost, "value": value if value else money(qty * unit_cost),
        }


STOCK_LEDGER = Report(
    name="stock_ledger",
    title_zh="库存明细账",
    title_en="Stock ledger",
    permission="reports.read",
    params=StockLedgerParams,
    columns=(
        Column("at", "时间", "Time", "datetime"),
        Column("move", "移动号", "Move", "int"),
        Column("from", "来源", "From"),
        Column("to", "目标", "To"),
        Column("lot", "批次", "Lot"),
        Column("reason", "摘要", "Reason"),
        Column("qty", "移动数量", "Quantity moved", "qty"),
        Column("qty_in", "收入", "In", "qty", total=True),
        Column("qty_out", "发出", "Out", "qty", total=True),
        Column("balance", "结存", "Balance", "qty"),
        Column("unit_cost", "单位成本", "Unit cost", "cost", permission=COSTS),
        Column("value", "金额", "Value", "money", permission=COSTS),
    ),
    rows=stock_ledger,
)


# Slow-moving stock -------------------------------------------------------------------------------

# Where stock goes when it is used up: sold, scrapped, or sent on to another warehouse.
CONSUMED_AT = ("CUSTOMER", "SCRAP", "TRANSIT")


class SlowMovingParams(Params, kw_only=True):
    days: Annotated[int, param("无出库天数", "Days without an outbound move", ge=1, le=3650)] = 90
    warehouse: WarehouseFilter = None


def slow_moving(session: Session, actor: Actor, params: SlowMovingParams) -> list[Row]:
    """Items on hand whose last outbound move (to a customer, to scrap, to another warehouse) is older
    than the given days, or that never went out. Reversed moves and reversals do not count."""
    warehouse_id = find_warehouse(session, params.warehouse).id if params.warehouse else None
    now = utcnow()
    items: dict[int, Row] = {}
    for h in holdings(session, actor):
        if warehouse_id is not None and h.warehouse_id != warehouse_id:
            continue
        line = items.get(h.item_id)
        if line is None:
            line = items[h.item_id] = _item_fields(h) | {"qty": ZERO, "unit_cost": h.unit_cost, "value": None if h.value is None else ZERO}
        line["qty"] += h.qty
        if h.value is not None:
            line["value"] += h.value
    source, target = aliased(Location), aliased(Location)
    reversed_ids = select(Move.reverses_id).where(Move.reverses_id.is_not(None))
    query = (
        select(Move.item_id, func.max(Move.created_at))
        .join(source, Move.from_location_id == source.id)
        .join(target, Move.to_location_id == target.id)
        .where(
            source.kind != "virtual",
            or_(
                and_(target.kind == "virtual", target.code.in_(CONSUMED_AT)),
                and_(target.kind != "virtual", target.warehouse_id != source.warehouse_id),
            ),
            Move.reverses_id.is_(None),
            Move.id.not_in(reversed_ids),
        )
        .group_by(Move.item_id)
    )
    if warehouse_id is not None:
        query = query.where(source.warehouse_id == warehouse_id)
    last_out = dict(session.execute(query).all())
    cutoff = now - dt.timedelta(days=params.days)
    out = []
    for item_id, line in items.items():
        last = last_out.get(item_id)
        if last is None or last < cutoff:
            out.append(line | {"last_outbound": last, "days_idle": (now - last).days if last else None})
    return sorted(out, key=lambda r: (r["last_outbound"] is not None, r["last_outbound"] or now, r["sku"]))


SLOW_MOVING = Report(
    name="slow_moving",
    title_zh="呆滞库存表",
    title_en="Slow-moving stock",
    permission="reports.read",
    params=SlowMovingParams,
    columns=(
        *ITEM_COLUMNS,
        Column("qty", "现存量", "On hand", "qty", total=True),
        Column("last_outbound", "最后出库时间", "Last outbound", "datetime"),
        Column("days_idle", "未出库天数", "Days idle", "int"),
        Column("unit_cost", "平均单位成本", "Average unit cost", "cost", permission=COSTS),
        Column("value", "库存金额", "Value", "money", total=True, permission=COSTS),
    ),
    rows=slow_moving,
)


# Expiring lots -----------------------------------------------------------------------------------


class ExpiringParams(Params, kw_only=True):
    days: Annotated[int, param("到期天数", "Expiring within days", ge=0, le=3650)] = 30
    warehouse: WarehouseFilter = None
    sku: SkuFilter = None


def expiring(session: Session, actor: Actor, params: ExpiringParams) -> list[Row]:
    """Lots in the company's locations that have expired or expire within the days given, first to expire first (FEFO)."""
    item_id = find_item(session, params.sku).id if params.sku else None
    keep = _scope(session, params.warehouse)
    today = params.today()
    horizon = today + dt.timedelta(days=params.days)
    out = [
        _item_fields(h) | {
            "expiry": h.expiry, "days_left": (h.expiry - today).days, "lot": h.lot, "warehouse": h.warehouse,
            "location": h.location, "qty": h.qty, "unit_cost": h.unit_cost, "value": h.value,
        }
        for h in holdings(session, actor, item_id=item_id, lot_items_only=True)
        if h.expiry is not None and h.expiry <= horizon and keep(h)
    ]
    return sorted(out, key=lambda r: (r["expiry"], r["sku"], r["lot"] or "", r["warehouse"] or "", r["location"]))


EXPIRING = Report(
    name="expiring",
    title_zh="临期批次表",
    title_en="Expiring lots",
    permission="reports.read",
    params=ExpiringParams,
    columns=(
        Column("expiry", "有效期至", "Expiry", "date"),
        Column("days_left", "剩余天数", "Days left", "int"),
        *ITEM_COLUMNS,
        Column("lot", "批次", "Lot"),
        Column("warehouse", "仓库", "Warehouse"),
        Column("location", "库位", "Location"),
        Column("qty", "数量", "Quantity", "qty", total=True),
        Column("unit_cost", "平均单位成本", "Average unit cost", "cost", permission=COSTS),
        Column("value", "库存金额", "Value", "money", total=True, permission=COSTS),
    ),
    rows=expiring,
)


# Stock alerts ------------------------------------------------------------------------------------


class StockAlertParams(Params, kw_only=True):
    warehouse: WarehouseFilter = None
    sku: SkuFilter = None


def stock_alerts(session: Session, actor: Actor, params: StockAlertParams) -> list[Row]:
    """库存预警: each item in each warehouse that is under its minimum (available + on order below the warehouse's reorder
    rule, or where it has none the item's own reorder point: the shortfall) or over its maximum stock (on hand above the
    item's maximum: the excess). Lots about to expire and stock that does not move have reports of their own."""
    from server.purchasing.models import ReorderRule
    from server.purchasing.reorder import on_order

    warehouses = select(Location.id, Location.code).where(Location.kind == "warehouse", Location.active.is_(True))
    if params.warehouse:
        warehouses = warehouses.where(Location.id == find_warehouse(session, params.warehouse).id)
    codes: dict[int, str] = {wid: code for wid, code in session.execute(warehouses.order_by(Location.code))}
    rules = {(r.item_id, r.warehouse_id): r for r in session.scalars(select(ReorderRule))}
    limited = select(Item).where(Item.active.is_(True)).where(
        or_(Item.reorder_point.is_not(None), Item.max_stock.is_not(None), Item.id.in_(select(ReorderRule.item_id).where(ReorderRule.active)))
    )
    if params.sku:
        limited = limited.where(Item.id == find_item(session, params.sku).id)
    items = list(session.scalars(limited.order_by(Item.sku)))
    stock: dict[tuple[int, int | None], tuple[Decimal, Decimal]] = {}  # (item, warehouse) -> (on hand, available) outside quarantine
    if items:
        for item_id, warehouse_id, on_hand, available in session.execute(
            select(Balance.item_id, Location.warehouse_id, func.sum(Balance.qty), func.sum(Balance.qty - Balance.reserved))
            .join(Location, Balance.location_id == Location.id)
            .where(Balance.item_id.in_([i.id for i in items]), Location.quarantine.is_(False), Location.warehouse_id.in_(list(codes)))
            .group_by(Balance.item_id, Location.warehouse_id)
        ):
            stock[(item_id, warehouse_id)] = (Decimal(on_hand), Decimal(available))
    out = []
    for item in items:
        for warehouse_id, code in codes.items():
            rule = rules.get((item.id, warehouse_id))
            low = (rule.min_qty if rule.active else None) if rule is not None else item.reorder_point
            on_hand, available = stock.get((item.id, warehouse_id), (ZERO, ZERO))
            coming = on_order(session, item.id, warehouse_id) if low is not None else ZERO
            shortfall = low - available - coming if low is not None and available + coming < low else None
            excess = on_hand - item.max_stock if item.max_stock is not None and on_hand > item.max_stock else None
            if shortfall is None and excess is None:
                continue
            out.append({
                "warehouse": code, "sku": item.sku, "name_zh": item.name_zh, "name_en": item.name_en, "unit": item.unit,
                "on_hand": on_hand, "available": available, "on_order": coming, "min": low, "max": item.max_stock,
                "shortfall": shortfall, "excess": excess,
            })
    return out


STOCK_ALERTS = Report(
    name="stock_alerts",
    title_zh="库存预警表",
    title_en="Stock alerts",
    permission="reports.read",
    params=StockAlertParams,
    columns=(
        Column("warehouse", "仓库", "Warehouse"),
        *ITEM_COLUMNS,
        Column("on_hand", "现存量", "On hand", "qty"),
        Column("available", "可用量", "Available", "qty"),
        Column("on_order", "在途及请购", "On order or requested", "qty"),
        Column("min", "最低库存（再订货点）", "Minimum (reorder point)", "qty"),
        Column("max", "库存上限", "Maximum", "qty"),
        Column("shortfall", "低于最低库存", "Short of the minimum", "qty"),
        Column("excess", "超出上限", "Over the maximum", "qty"),
    ),
    rows=stock_alerts,
)
