"""Review: the count sheet as each reader may see it, the variances and their value, sending lines back for recount."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, func, select, type_coerce, update
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.models import User
from server.auth.permissions import Actor
from server.base import Qty
from server.catalog.models import Item, Lot
from server.counts.models import Stocktake, StocktakeLine
from server.counts.services.common import ZERO, _moved_since_start, _require_reviewer, _require_warehouse, _save, get_count, hides_book
from server.documents import flows
from server.documents.flows import transition
from server.errors import Forbidden, InvalidInput
from server.finance.services import money
from server.inventory.models import Move, Valuation
from server.inventory.services import COST_UNIT
from server.locations.models import Location
from server.quantities import optional_non_negative
from server.schemas import fmt


@dataclasses.dataclass(frozen=True)
class LineRow:
    """A count line as people read it: codes, and the book side only when the reader may see it."""

    line: int
    location: str
    sku: str
    name_zh: str
    name_en: str
    unit: str
    lot: str | None
    status: str
    on_book: bool
    book_qty: Decimal | None
    counted_qty: Decimal | None
    counted_by: str | None
    counted_at: dt.datetime | None
    moved_qty: Decimal | None
    expected_qty: Decimal | None
    variance: Decimal | None
    value: Decimal | None
    move: int | None


def _average(qty: Decimal | None, value: Decimal | None) -> Decimal:
    return (value / qty).quantize(COST_UNIT) if qty and value is not None and qty > 0 else ZERO


def count_lines(
    session: Session, actor: Actor, count: Stocktake, *, status: str | None = None, variance_only: bool = False,
    lines: Collection[int] | None = None, limit: int = 100, offset: int = 0,
) -> tuple[list[LineRow], int]:
    """A page of the count sheet in line order; with `variance_only`, the lines counted differently from the book;
    with `lines`, those line numbers."""
    blind, costs = hides_book(actor, count), actor.can("costs.read")
    if variance_only and blind:
        raise Forbidden(
            f"Stocktake {count.number} is a blind count: variances are shown once it is posted.",
            f"盘点单 {count.number} 为盲盘：过账后才显示差异。",
            code="blind_count",
        )
    posted = count.status == "posted"
    if posted:
        moved_col: ColumnElement[Any] = func.coalesce(StocktakeLine.moved_qty, 0)
        query = select(StocktakeLine)
    else:
        moved = _moved_since_start(count)
        moved_col = func.coalesce(moved.c.moved, 0)
        query = select(StocktakeLine).outerjoin(moved, moved.c.line_id == StocktakeLine.id)
    query = query.where(StocktakeLine.stocktake_id == count.id)
    if status:
        query = query.where(StocktakeLine.status == status)
    if lines is not None:
        query = query.where(StocktakeLine.line_no.in_(lines))
    if variance_only:
        query = query.where(StocktakeLine.counted_qty.is_not(None), StocktakeLine.counted_qty - StocktakeLine.book_qty - moved_col != 0)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.add_columns(
            type_coerce(moved_col, Qty()), Location.code, Item.sku, Item.name_zh, Item.name_en, Item.unit, Lot.code, User.username,
            Valuation.qty, Valuation.value, Move.value,
        )
        .join(Location, Location.id == StocktakeLine.location_id)
        .join(Item, Item.id == StocktakeLine.item_id)
        .outerjoin(Lot, Lot.id == StocktakeLine.lot_id)
        .outerjoin(User, User.id == StocktakeLine.counted_by)
        .outerjoin(Valuation, Valuation.item_id == StocktakeLine.item_id)
        .outerjoin(Move, Move.id == StocktakeLine.move_id)
        .order_by(StocktakeLine.line_no)
        .limit(limit)
        .offset(offset)
    ).all()
    out = []
    for line, moved_qty, location, sku, name_zh, name_en, unit, lot, username, valued_qty, valued, move_value in rows:
        expected = line.book_qty + moved_qty
        variance = line.counted_qty - expected if line.counted_qty is not None else None
        value = None
        if costs and variance is not None:
            if line.move_id is not None and move_value is not None:
                value = move_value if variance > 0 else -move_value
            else:
                value = money(variance * _average(valued_qty, valued))
        out.append(LineRow(
            line=line.line_no, location=location, sku=sku, name_zh=name_zh, name_en=name_en, unit=unit, lot=lot, status=line.status,
            on_book=line.on_book, book_qty=None if blind else line.book_qty, counted_qty=line.counted_qty, counted_by=username,
            counted_at=line.counted_at, moved_qty=None if blind else moved_qty, expected_qty=None if blind else expected,
            variance=None if blind else variance, value=None if blind else value, move=line.move_id,
        ))
    return out, total


@dataclasses.dataclass(frozen=True)
class Variances:
    lines: int
    gain_value: Decimal
    loss_value: Decimal


def _counted_variances(session: Session, count: Stocktake) -> list[tuple[int, int, int, Decimal, Decimal]]:
    """(line id, line no, item id, variance, value at moving-average cost) of every counted line that differs from the book."""
    moved = _moved_since_start(count)
    variance = StocktakeLine.counted_qty - StocktakeLine.book_qty - func.coalesce(moved.c.moved, 0)
    rows = session.execute(
        select(StocktakeLine.id, StocktakeLine.line_no, StocktakeLine.item_id, type_coerce(variance, Qty()), Valuation.qty, Valuation.value)
        .outerjoin(moved, moved.c.line_id == StocktakeLine.id)
        .outerjoin(Valuation, Valuation.item_id == StocktakeLine.item_id)
        .where(StocktakeLine.stocktake_id == count.id, StocktakeLine.status == "counted", variance != 0)
        .order_by(StocktakeLine.line_no)
    ).all()
    return [(i, n, item, v, money(v * _average(q, worth))) for i, n, item, v, q, worth in rows]


def variances(session: Session, count: Stocktake) -> Variances:
    """How many counted lines differ from the book, and what the gains and losses are worth."""
    if count.status == "posted":
        rows = cast(Sequence[tuple[Decimal, Decimal | None]], session.execute(  # variance != 0: never NULL
            select(StocktakeLine.variance, Move.value)
            .outerjoin(Move, Move.id == StocktakeLine.move_id)
            .where(StocktakeLine.stocktake_id == count.id, StocktakeLine.variance != 0)
        ).all())
        # A posted line's value is its adjustment move's, which is never negative: a loss is the value that went out.
        return Variances(len(rows), sum((v for q, v in rows if q > 0 and v), ZERO), sum((v for q, v in rows if q < 0 and v), ZERO))
    found = _counted_variances(session, count)
    return Variances(len(found), sum((v for *_, q, v in found if q > 0), ZERO), -sum((v for *_, q, v in found if q < 0), ZERO))


def request_recount(
    session: Session, actor: Actor, number: str, *, lines: Sequence[int] = (), min_qty: object | None = None,
    min_value: object | None = None, comment: str = "",
) -> list[int]:
    """Send counted lines back to be counted again: the ones named, and those whose variance is at least
    `min_qty` (in base units) or worth at least `min_value` (at moving-average cost). Returns their numbers."""
    _require_reviewer(actor)
    count = get_count(session, number, lock=True)
    _require_warehouse(session, actor, count)
    flows.COUNT.check(number, count.status, "recount")
    at_least_qty = optional_non_negative(min_qty, "min_qty")
    at_least_value = optional_non_negative(min_value, "min_value", scale=2)
    if not lines and at_least_qty is None and at_least_value is None:
        raise InvalidInput(
            "Name the lines to recount, or a variance (min_qty, min_value) above which lines are recounted.",
            "请指定要复盘的行，或差异阈值（min_qty、min_value）。",
            code="nothing_to_recount",
        )
    chosen: dict[int, int] = {}
    if lines:
        named = {
            row.line_no: (row.id, row.status)
            for row in session.execute(
                select(StocktakeLine.id, StocktakeLine.line_no, StocktakeLine.status).where(
                    StocktakeLine.stocktake_id == count.id, StocktakeLine.line_no.in_(set(lines))
                )
            )
        }
        for line_no in lines:
            if line_no not in named:
                raise InvalidInput(f"Stocktake {number} has no line {line_no}.", f"盘点单 {number} 没有第 {line_no} 行。", code="unknown_line", line=line_no)
            line_id, status = named[line_no]
            if status == "open":
                raise InvalidInput(
                    f"Line {line_no} of stocktake {number} has not been counted yet.", f"盘点单 {number} 第 {line_no} 行尚未盘点。",
                    code="not_counted", line=line_no,
                )
            chosen[line_no] = line_id
    if at_least_qty is not None or at_least_value is not None:
        for line_id, line_no, _item, variance, value in _counted_variances(session, count):
            if (at_least_qty is not None and abs(variance) >= at_least_qty) or (at_least_value is not None and abs(value) >= at_least_value):
                chosen[line_no] = line_id
    if chosen:
        session.execute(update(StocktakeLine), [{"id": line_id, "status": "recount"} for line_id in chosen.values()])
    flagged = sorted(chosen)
    transition(count, "recount")
    _save(session, actor, count, "recount", lines=len(flagged))
    record(
        session, actor, "count.recount", "stocktake", number, lines=flagged, min_qty=fmt(at_least_qty), min_value=fmt(at_least_value),
        comment=comment,
    )
    return flagged
