"""Movement reports: the stock's value at the end of each day, and the items that moved most in a period.

Both read the ledger — the moves and the values they were posted at — not today's balances, so a
past day's figures never change afterwards.

- Stock value by day: an item's value at the end of a day is the value of the moves that brought it
  into the company's locations less the value of those that took it out, up to then — what the
  valuation held at that moment. For one warehouse, that value is split over the item's (location,
  lot) positions of the day in proportion to quantity, to the cent, exactly as the stock balance
  splits today's value; so the last day (today) equals the stock balance's total for the same
  scope. Days after today have not happened: their figures are empty.
- Top movers: per item, what crossed the edge of the scope in the period — out (shipments, scrap,
  count losses, returns to suppliers, transfers to another warehouse) and in. A move between two
  of the scope's own locations is neither, and is not counted among the moves. Reversed moves and
  their reversals count nowhere: a mistake put right is not movement (as for slow-moving stock).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from sqlalchemy import ColumnElement, Integer, Subquery, and_, case, func, literal_column, not_, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from server.auth.permissions import Actor
from server.auth.visibility import COSTS
from server.catalog.models import Item
from server.errors import InvalidInput
from server.finance.services import money
from server.inventory.models import Move
from server.locations.models import Location
from server.reports.framework import Column, Params, Report, Row, param
from server.reports.stock import ITEM_COLUMNS, WarehouseFilter, allocate, find_warehouse

ZERO = Decimal(0)
DEFAULT_DAYS = 30
MAX_DAYS = 366


class DaysParams(Params, kw_only=True):
    """A period of whole local days in the report's time zone: by default the 30 days ending today, at most 366."""

    from_: Annotated[dt.date | None, param("起始日期（含）", "From date (inclusive)")] = msgspec.field(default=None, name="from")
    to: Annotated[dt.date | None, param("截止日期（含）", "To date (inclusive)")] = None

    def period(self) -> tuple[dt.date, dt.date]:
        """The first and last day: `to` defaults to today, `from` to the 30th day back from `to`."""
        last = self.to or self.today()
        return self.from_ or last - dt.timedelta(days=DEFAULT_DAYS - 1), last

    def day_starts(self) -> list[dt.datetime]:
        """When each day of the period begins, then when the last one ends: instants in UTC."""
        first, last = self.period()
        return [self.start_of(first + dt.timedelta(days=i)) for i in range((last - first).days + 2)]

    def check(self) -> None:
        super().check()
        first, last = self.period()
        if first > last:
            raise InvalidInput(
                f"The period is empty: from {first.isoformat()} is after to {last.isoformat()}.",
                f"期间无效：起始日期 {first.isoformat()} 晚于截止日期 {last.isoformat()}。",
                code="invalid_parameter",
                parameter="from",
            )
        days = (last - first).days + 1
        if days > MAX_DAYS:
            raise InvalidInput(
                f"The period from {first.isoformat()} to {last.isoformat()} is {days} days; this report covers at most {MAX_DAYS}.",
                f"期间 {first.isoformat()} 至 {last.isoformat()} 共 {days} 天，本报表最多涵盖 {MAX_DAYS} 天。",
                code="invalid_parameter",
                parameter="from",
            )


def day_of(instant: ColumnElement[Any], starts: Sequence[dt.datetime]) -> ColumnElement[int]:
    """The index of the day an instant falls on, given when each day starts and when the last one ends.

    Local days are not UTC days and SQLite knows no time zones, so the days are told apart by their
    starting instants: a CASE that halves the days at each step, about log2(days) comparisons a row
    on any database (a join to a calendar would compare every row with every day)."""

    def within(lo: int, hi: int) -> ColumnElement[int]:
        if hi - lo == 1:
            return literal_column(str(lo), Integer)
        mid = (lo + hi) // 2
        return case((instant < starts[mid], within(lo, mid)), else_=within(mid, hi))

    return within(0, len(starts) - 1)


# Stock value by day --------------------------------------------------------------------------------


class StockValueParams(DaysParams, kw_only=True):
    warehouse: WarehouseFilter = None


def _legs(*conditions: Any) -> Subquery:
    """Each move as its effect on the company's locations: plus at an internal target, minus at an
    internal source (a move between two of them is both, and its value is 0)."""
    into = (
        select(Move.item_id, Move.to_location_id.label("location_id"), Move.lot_id, Move.qty.label("qty"), Move.value.label("value"),
               Move.created_at)
        .join(Location, Location.id == Move.to_location_id)
        .where(Location.kind != "virtual", *conditions)
    )
    out_of = (
        select(Move.item_id, Move.from_location_id, Move.lot_id, -Move.qty, -Move.value, Move.created_at)
        .join(Location, Location.id == Move.from_location_id)
        .where(Location.kind != "virtual", *conditions)
    )
    return union_all(into, out_of).subquery("legs")


def _company_by_day(session: Session, starts: list[dt.datetime]) -> list[tuple[Decimal, Decimal]]:
    """(quantity, value) of all the company's stock at the end of each day: the valuation's total then."""
    opening = _legs(Move.created_at < starts[0])
    qty, value = session.execute(select(func.sum(opening.c.qty), func.sum(opening.c.value))).one()
    qty, value = qty or ZERO, value or ZERO
    legs = _legs(Move.created_at >= starts[0], Move.created_at < starts[-1])
    dated = select(day_of(legs.c.created_at, starts).label("day"), legs.c.qty, legs.c.value).subquery()
    changes = {
        day: (q, v) for day, q, v in session.execute(select(dated.c.day, func.sum(dated.c.qty), func.sum(dated.c.value)).group_by(dated.c.day))
    }
    out = []
    for day in range(len(starts) - 1):
        q, v = changes.get(day, (ZERO, ZERO))
        qty, value = qty + q, value + v
        out.append((qty, value))
    return out


def _warehouse_by_day(session: Session, starts: list[dt.datetime], warehouse_id: int) -> list[tuple[Decimal, Decimal]]:
    """(quantity, value) of the stock in one warehouse at the end of each day. Each item's value is split
    over all its positions of the day, in and out of the warehouse, the way the stock balance splits it."""
    # Locations in the stock balance's order (the database's order of codes), which decides who gets an odd cent.
    places = session.execute(select(Location.id, Location.warehouse_id).where(Location.kind != "virtual").order_by(Location.code)).all()
    rank = {location_id: i for i, (location_id, _) in enumerate(places)}
    inside = {location_id for location_id, warehouse in places if warehouse == warehouse_id}
    entered = aliased(Move)
    ever_inside = (
        select(entered.item_id)
        .join(Location, Location.id == entered.to_location_id)
        .where(Location.warehouse_id == warehouse_id, entered.created_at < starts[-1])
    )

    positions: dict[int, dict[tuple[int, int], Decimal]] = defaultdict(lambda: defaultdict(Decimal))  # item -> (location, lot) -> qty
    worth: dict[int, Decimal] = defaultdict(Decimal)  # item -> the company's value of it

    def apply(item: int, location: int, lot: int | None, qty: Decimal, value: Decimal) -> None:
        positions[item][(location, lot or 0)] += qty
        worth[item] += value

    def held_inside(item: int) -> tuple[Decimal, Decimal]:
        lines = [(rank[location], lot, qty, location) for (location, lot), qty in positions[item].items() if qty != 0]
        here = [qty for _, _, qty, location in lines if location in inside]
        if not here:
            return ZERO, ZERO
        qty_inside = sum(here, ZERO)
        if len(here) == len(lines):  # all of it is here: the whole value, as the split would give (none if it nets to nothing)
            return qty_inside, worth[item] if qty_inside != 0 else ZERO
        lines.sort()
        parts = allocate(worth[item], [qty for _, _, qty, _ in lines])
        return qty_inside, sum((part for (_, _, _, location), part in zip(lines, parts, strict=True) if location in inside), ZERO)

    opening = _legs(Move.created_at < starts[0], Move.item_id.in_(ever_inside))
    position = (opening.c.item_id, opening.c.location_id, opening.c.lot_id)
    for item, location, lot, qty, value in session.execute(
        select(*position, func.sum(opening.c.qty), func.sum(opening.c.value)).group_by(*position)
    ):
        apply(item, location, lot, qty, value)
    legs = _legs(Move.created_at >= starts[0], Move.created_at < starts[-1], Move.item_id.in_(ever_inside))
    dated = select(day_of(legs.c.created_at, starts).label("day"), legs.c.item_id, legs.c.location_id, legs.c.lot_id, legs.c.qty,
                   legs.c.value).subquery()
    position_on_day = (dated.c.day, dated.c.item_id, dated.c.location_id, dated.c.lot_id)
    changes: dict[int, list[tuple[int, int, int | None, Decimal, Decimal]]] = defaultdict(list)
    for day, item, location, lot, qty, value in session.execute(
        select(*position_on_day, func.sum(dated.c.qty), func.sum(dated.c.value)).group_by(*position_on_day)
    ):
        changes[day].append((item, location, lot, qty, value))

    # Only the items that moved on a day are split again.
    held = {item: held_inside(item) for item in positions}
    qty_inside, value_inside = sum((q for q, _ in held.values()), ZERO), sum((v for _, v in held.values()), ZERO)
    out = []
    for day in range(len(starts) - 1):
        for item, location, lot, qty, value in changes.get(day, []):
            apply(item, location, lot, qty, value)
        for item in {item for item, *_ in changes.get(day, [])}:
            before, now = held.get(item, (ZERO, ZERO)), held_inside(item)
            held[item] = now
            qty_inside += now[0] - before[0]
            value_inside += now[1] - before[1]
        out.append((qty_inside, value_inside))
    return out


def stock_value(session: Session, actor: Actor, params: StockValueParams) -> list[Row]:
    warehouse_id = find_warehouse(session, params.warehouse).id if params.warehouse else None
    first, _ = params.period()
    starts = params.day_starts()
    figures = _company_by_day(session, starts) if warehouse_id is None else _warehouse_by_day(session, starts, warehouse_id)
    today = params.today()
    rows = []
    for index, (qty, value) in enumerate(figures):
        day = first + dt.timedelta(days=index)
        rows.append({"day": day, "qty": qty, "value": value} if day <= today else {"day": day, "qty": None, "value": None})
    return rows


STOCK_VALUE = Report(
    name="stock_value",
    title_zh="每日库存金额",
    title_en="Stock value by day",
    permission=COSTS,
    params=StockValueParams,
    columns=(
        Column("day", "日期", "Day", "date"),
        # A stock level at the end of each day: summing the days would mean nothing, so there are no totals.
        Column("qty", "日末现存量", "On hand at day end", "qty"),
        Column("value", "日末库存金额", "Value at day end", "money"),
    ),
    rows=stock_value,
)


# Top movers ----------------------------------------------------------------------------------------


class TopMoversParams(DaysParams, kw_only=True):
    warehouse: WarehouseFilter = None
    limit: Annotated[int, param("显示商品数", "Number of items", ge=1, le=100)] = 10


def top_movers(session: Session, actor: Actor, params: TopMoversParams) -> list[Row]:
    """The items with the most units out of the scope (all the company's locations, or one warehouse's) in the period."""
    warehouse_id = find_warehouse(session, params.warehouse).id if params.warehouse else None
    first, last = params.period()
    source, target = aliased(Location), aliased(Location)

    def inside(location: Any) -> ColumnElement[bool]:
        internal = location.kind != "virtual"
        return internal if warehouse_id is None else and_(internal, location.warehouse_id == warehouse_id)

    leaving = and_(inside(source), not_(inside(target)))
    entering = and_(inside(target), not_(inside(source)))
    reversed_ids = select(Move.reverses_id).where(Move.reverses_id.is_not(None))
    counted = (
        Move.created_at >= params.start_of(first),
        Move.created_at < params.start_of(last + dt.timedelta(days=1)),
        Move.reverses_id.is_(None),
        Move.id.not_in(reversed_ids),
    )

    def crossing(*conditions: Any) -> Any:
        return (
            select(Move.item_id)
            .join(source, Move.from_location_id == source.id)
            .join(target, Move.to_location_id == target.id)
            .where(*counted, *conditions)
        )

    moved = (
        crossing(or_(leaving, entering))
        .add_columns(
            func.sum(case((leaving, Move.qty), else_=0)).label("qty_out"),
            func.sum(case((entering, Move.qty), else_=0)).label("qty_in"),
            func.count(Move.id).label("moves"),
            func.sum(case((leaving, Move.value), else_=0)).label("value_out"),
        )
        .group_by(Move.item_id)
        .subquery()
    )
    query = (
        select(Item.id, Item.sku, Item.name_zh, Item.name_en, Item.unit, moved.c.qty_out, moved.c.qty_in, moved.c.moves, moved.c.value_out)
        .join(moved, moved.c.item_id == Item.id)
        .order_by(moved.c.qty_out.desc(), Item.sku)
        .limit(params.limit)
    )
    rows: dict[int, Row] = {}
    for item, sku, name_zh, name_en, unit, qty_out, qty_in, moves, value_out in session.execute(query):
        rows[item] = {
            "sku": sku, "name_zh": name_zh, "name_en": name_en, "unit": unit,
            "qty_out": qty_out, "qty_in": qty_in, "moves": moves, "value_out": value_out if actor.can(COSTS) else None,
        }
    if rows and actor.can(COSTS):
        # Stock sent straight to another of the company's warehouses stays in the books, so the ledger gave the
        # move no value: it is worth its quantity at the cost it moved at, as in the stock ledger.
        for item, qty, unit_cost in session.execute(
            crossing(leaving, Move.value == 0, Move.item_id.in_(list(rows))).add_columns(Move.qty, Move.unit_cost)
        ):
            rows[item]["value_out"] += money(qty * unit_cost)
    return list(rows.values())


TOP_MOVERS = Report(
    name="top_movers",
    title_zh="商品收发排行",
    title_en="Top movers",
    permission="reports.read",
    params=TopMoversParams,
    columns=(
        *ITEM_COLUMNS,
        Column("qty_out", "发出数量", "Out", "qty", total=True),
        Column("qty_in", "收入数量", "In", "qty", total=True),
        Column("moves", "收发次数", "Moves in and out", "int", total=True),
        Column("value_out", "发出金额", "Value out", "money", total=True, permission=COSTS),
    ),
    rows=top_movers,
)
