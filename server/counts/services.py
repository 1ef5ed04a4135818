"""Stocktakes: freeze the book, count blind, review the variances, post the differences as adjustment moves.

The rules this module chose:

- **Frozen book.** Starting a count copies the book quantity of every (location, item, lot) in scope
  into its lines and remembers the last move those quantities include (`start_move_id`). On
  PostgreSQL the start waits for the moves in flight to commit and holds new ones back for its own
  few statements, so no move is both in the frozen book and "after the start", or in neither.
- **Moves during the count are carried forward.** A line's variance is
  counted − (frozen book + net moves of that location/item/lot after the start and up to the moment
  it was counted). A pick between the start and the count is neither a loss nor counted twice; a
  pick after the count does not make the count wrong.
- **Blind counts.** While a stocktake is counting, a user with the warehouse role who may not see
  costs sees what to count and what was counted, never the book quantity, the moves since the start,
  the expected quantity or the variance. Once posted or cancelled, everyone sees them. Values (at
  moving-average cost) are shown only to roles that may see costs.
- **Uncounted lines** are left alone when posting: "not counted" is not "counted zero". Posting with
  `zero_uncounted` counts them as 0 at the moment of posting (the bins were emptied, or the counter
  is sure they are empty).
- **Who.** Starting and recording counts need `stock.move`. Sending lines back for recount, posting
  and cancelling need `stock.count_post` (today: admin): it writes the differences to the books.
- Serial-numbered items are not counted by quantity here: their stock is a set of serials.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any, TypedDict, cast

from sqlalchemy import ColumnElement, Subquery, and_, func, insert, literal, or_, select, text, type_coerce, union_all, update
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.models import User
from server.auth.permissions import Actor
from server.base import Qty, utcnow
from server.catalog.models import Item, Lot
from server.catalog.services import unknown_sku
from server.counts.models import Stocktake, StocktakeLine, StocktakeLocation
from server.documents import flows
from server.documents.flows import transition
from server.documents.services import next_number, save_version
from server.errors import Conflict, Forbidden, InsufficientStock, InvalidInput, NotFound, UnknownReference, check_version
from server.finance.services import money
from server.inventory.models import Balance, Move, Valuation
from server.inventory.services import COST_UNIT, ItemRef, LocationRef, MoveSpec, post_move
from server.locations.models import Location
from server.locations.services import unknown_location
from server.quantities import optional_non_negative
from server.schemas import fmt
from server.sorting import looked_up, sorted_by

LINE_STATES = ("open", "counted", "recount")
ZERO = Decimal(0)


@dataclasses.dataclass(frozen=True)
class CountIn:
    """One counted quantity as a scanner sends it: where, what, which lot, how many (base units)."""

    location: str
    sku: str
    qty: object
    lot: str | None = None


# Who may do what ----------------------------------------------------------------------------------


def hides_book(actor: Actor, count: Stocktake) -> bool:
    """Blind count: the counters do not see what the book says until the count is over."""
    return count.status == "counting" and "warehouse" in actor.roles and not actor.can("costs.read")


def _require_reviewer(actor: Actor) -> None:
    """Recount, post and cancel: the differences go to the books."""
    actor.require("stock.count_post")


def _require_warehouse(session: Session, actor: Actor, count: Stocktake) -> None:
    if not actor.may_use_warehouse(count.warehouse_id):
        code = session.scalar(select(Location.code).where(Location.id == count.warehouse_id))
        raise Forbidden(f"You may not count in warehouse {code}.", f"您无权在仓库 {code} 盘点。", code="warehouse_not_allowed")


# Reading ------------------------------------------------------------------------------------------


def get_count(session: Session, number: str, *, lock: bool = False) -> Stocktake:
    query = select(Stocktake).where(Stocktake.number == number)
    if lock:
        query = query.with_for_update()
    count = session.scalar(query)
    if count is None:
        raise NotFound(f"No stocktake {number}.", f"没有盘点单 {number}。", number=number)
    return count


def count_sort() -> dict[str, Any]:
    """What the stocktake list may be sorted by, named as its answer's fields."""
    return {
        "number": Stocktake.number, "status": Stocktake.status, "warehouse": looked_up(Location.code, Location.id == Stocktake.warehouse_id),
        "started_at": Stocktake.started_at, "posted_at": Stocktake.posted_at,
    }


def list_counts(
    session: Session, *, status: str | None = None, warehouse: str | None = None, limit: int = 50, offset: int = 0, sort: str | None = None
) -> tuple[list[Stocktake], int]:
    query = select(Stocktake)
    if status:
        query = query.where(Stocktake.status == status)
    if warehouse:
        wh = session.scalar(select(Location.id).where(Location.code == warehouse, Location.kind == "warehouse"))
        if wh is None:
            raise NotFound(f"No warehouse with code {warehouse}.", f"没有编码为 {warehouse} 的仓库。", warehouse=warehouse)
        query = query.where(Stocktake.warehouse_id == wh)
    ordered = sorted_by(query, sort, count_sort(), default=(Stocktake.id.desc(),), tiebreak=Stocktake.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(ordered.limit(limit).offset(offset))), total


def tallies(session: Session, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Lines per state of each stocktake: {id: {"open": n, "counted": n, "recount": n}}."""
    out: dict[int, dict[str, int]] = {i: dict.fromkeys(LINE_STATES, 0) for i in ids}
    if ids:
        for count_id, status, n in session.execute(
            select(StocktakeLine.stocktake_id, StocktakeLine.status, func.count())
            .where(StocktakeLine.stocktake_id.in_(ids))
            .group_by(StocktakeLine.stocktake_id, StocktakeLine.status)
        ):
            out[count_id][status] = n
    return out


def _moved_since_start(count: Stocktake) -> Subquery:
    """Per line: the net quantity moved into its location/item/lot after the start and up to when it was
    counted (up to now while it is not counted). One statement for the whole stocktake: the moves after
    the start (an id range) joined to the lines on their unique key."""
    after_start = and_(Move.id > count.start_move_id, func.coalesce(Move.ref_id, "") != count.number)
    legs = union_all(
        select(
            Move.to_location_id.label("location_id"), Move.item_id.label("item_id"), func.coalesce(Move.lot_id, 0).label("lot_key"),
            Move.qty.label("qty"), Move.created_at.label("at"),
        ).where(after_start),
        select(Move.from_location_id, Move.item_id, func.coalesce(Move.lot_id, 0), -Move.qty, Move.created_at).where(after_start),
    ).subquery("legs")
    return (
        select(StocktakeLine.id.label("line_id"), type_coerce(func.sum(legs.c.qty), Qty()).label("moved"))
        .join(
            legs,
            and_(
                legs.c.location_id == StocktakeLine.location_id, legs.c.item_id == StocktakeLine.item_id,
                legs.c.lot_key == StocktakeLine.lot_key, or_(StocktakeLine.counted_at.is_(None), legs.c.at <= StocktakeLine.counted_at),
            ),
        )
        .where(StocktakeLine.stocktake_id == count.id)
        .group_by(StocktakeLine.id)
        .subquery("moved")
    )


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


# Starting -----------------------------------------------------------------------------------------


def start_count(
    session: Session, actor: Actor, *, warehouse: str, locations: Sequence[str] = (), skus: Sequence[str] = (), note: str = ""
) -> Stocktake:
    """Freeze the book quantities of a warehouse — or of some locations (each with everything under it)
    and/or some items — into a new stocktake's lines, ready to be counted."""
    actor.require("stock.move")
    wh = session.scalar(select(Location).where(Location.code == warehouse))
    if wh is None or wh.kind != "warehouse":
        raise UnknownReference(f"No warehouse {warehouse}.", f"没有仓库 {warehouse}。", code="unknown_warehouse", warehouse=warehouse)
    if not actor.may_use_warehouse(wh.id):
        raise Forbidden(f"You may not count in warehouse {warehouse}.", f"您无权在仓库 {warehouse} 盘点。", code="warehouse_not_allowed")
    location_ids = _scope_locations(session, wh, locations)
    item_ids = _scope_items(session, skus)
    _hold_moves(session)
    now = utcnow()
    count = Stocktake(
        number=next_number(session, "CNT"), status="counting", warehouse_id=wh.id, note=note,
        scope={"locations": list(dict.fromkeys(locations)), "skus": list(dict.fromkeys(skus))}, item_ids=item_ids,
        start_move_id=session.scalar(select(func.coalesce(func.max(Move.id), 0))) or 0,
        started_at=now, created_by=actor.user_id, created_at=now, updated_at=now,
    )
    session.add(count)
    session.flush()
    session.execute(insert(StocktakeLocation), [{"stocktake_id": count.id, "location_id": i} for i in location_ids])
    _refuse_overlap(session, count)
    frozen = _freeze(session, count)
    _save(session, actor, count, "start")
    record(
        session, actor, "count.start", "stocktake", count.number, at=now, warehouse=warehouse, locations=count.scope["locations"],
        skus=count.scope["skus"], lines=frozen, start_move=count.start_move_id,
    )
    return count


def _scope_locations(session: Session, wh: Location, codes: Sequence[str]) -> list[int]:
    """The warehouse's locations the count covers: all of them, or the named ones with everything under each."""
    rows = session.execute(select(Location.id, Location.code, Location.parent_id).where(Location.warehouse_id == wh.id)).all()
    if not codes:
        return [row.id for row in rows]
    by_code = {row.code: row.id for row in rows}
    children: dict[int, list[int]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row.id)
    chosen: set[int] = set()
    for code in codes:
        root = by_code.get(code)
        if root is None:
            if session.scalar(select(Location.id).where(Location.code == code)) is None:
                raise unknown_location(code, "to")
            raise InvalidInput(
                f"Location {code} is not in warehouse {wh.code}.", f"库位 {code} 不在仓库 {wh.code} 中。",
                code="outside_warehouse", location=code,
            )
        pending = [root]
        while pending:
            current = pending.pop()
            if current not in chosen:
                chosen.add(current)
                pending.extend(children.get(current, ()))
    return sorted(chosen)


def _scope_items(session: Session, skus: Sequence[str]) -> list[int] | None:
    if not skus:
        return None
    found = {row.sku: row for row in session.execute(select(Item.id, Item.sku, Item.tracking).where(Item.sku.in_(set(skus))))}
    for sku in skus:
        row = found.get(sku)
        if row is None:
            raise unknown_sku(sku)
        if row.tracking == "serial":
            raise _serial_refused(sku)
    return sorted({found[sku].id for sku in skus})


def _serial_refused(sku: str) -> InvalidInput:
    return InvalidInput(
        f"Item {sku} is serial-numbered; a stocktake counts quantities, not serials.",
        f"商品 {sku} 按序列号管理；盘点单按数量盘点，不盘序列号。",
        code="serial_not_counted", sku=sku,
    )


def _hold_moves(session: Session) -> None:
    """Let the moves in flight commit and hold new ones back until this transaction ends, so the frozen
    book and `start_move_id` agree. (On SQLite the write transaction already holds every writer back.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE moves IN SHARE ROW EXCLUSIVE MODE"))


def _refuse_overlap(session: Session, count: Stocktake) -> None:
    """Two open stocktakes must not count the same item in the same location."""
    mine = select(StocktakeLocation.location_id).where(StocktakeLocation.stocktake_id == count.id)
    sharing = select(StocktakeLocation.stocktake_id).where(StocktakeLocation.location_id.in_(mine))
    others = session.execute(
        select(Stocktake.number, Stocktake.item_ids)
        .where(Stocktake.status == "counting", Stocktake.id != count.id, Stocktake.id.in_(sharing))
        .order_by(Stocktake.id)
    ).all()
    for number, items in others:
        if items is None or count.item_ids is None or set(items) & set(count.item_ids):
            raise Conflict(
                f"Stocktake {number} is still counting some of these locations and items; post or cancel it first.",
                f"盘点单 {number} 仍在盘点其中部分库位和商品，请先过账或取消。",
                code="count_overlap", other=number,
            )


def _freeze(session: Session, count: Stocktake) -> int:
    """Copy the book into the lines in one statement, numbered in walking order (location, item, lot)."""
    conditions = [Balance.qty != 0, Item.tracking != "serial"]
    if count.item_ids is not None:
        conditions.append(Balance.item_id.in_(count.item_ids))
    source = (
        select(
            literal(count.id), func.row_number().over(order_by=(Location.code, Item.sku, func.coalesce(Lot.code, ""))),
            Balance.location_id, Balance.item_id, Balance.lot_id, Balance.lot_key, literal(True), Balance.qty, literal("open"),
        )
        .join(StocktakeLocation, and_(StocktakeLocation.location_id == Balance.location_id, StocktakeLocation.stocktake_id == count.id))
        .join(Location, Location.id == Balance.location_id)
        .join(Item, Item.id == Balance.item_id)
        .outerjoin(Lot, Lot.id == Balance.lot_id)
        .where(*conditions)
    )
    columns = ["stocktake_id", "line_no", "location_id", "item_id", "lot_id", "lot_key", "on_book", "book_qty", "status"]
    result = session.execute(insert(StocktakeLine).from_select(columns, source))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _save(session: Session, actor: Actor, count: Stocktake, action: str, **extra: Any) -> None:
    """Keep a snapshot of this version's header; the lines themselves carry who counted what, and when."""
    session.flush()
    save_version(
        session, actor, "count", count.id, count.version,
        {"header": {"status": count.status, "note": count.note, "action": action, **extra}},
    )


# Counting -----------------------------------------------------------------------------------------


def record_counts(
    session: Session, actor: Actor, number: str, counts: Sequence[CountIn], *, counted_at: dt.datetime | None = None
) -> list[int]:
    """Record a batch of counted quantities; returns the line numbers, in the batch's order.

    A line counted again keeps only its last count (and who counted it, when). Something found that is
    not on the book becomes a new line with a book quantity of 0. `counted_at` is for counts made
    offline (the device time, already corrected by the sync layer); it defaults to now."""
    actor.require("stock.move")
    if not counts:
        raise InvalidInput("No counts to record.", "没有要录入的盘点数。", code="no_lines")
    count = get_count(session, number, lock=True)
    _require_warehouse(session, actor, count)
    flows.COUNT.check(number, count.status, "count")
    now = utcnow()
    at = now if counted_at is None else max(count.started_at, min(counted_at, now))
    keys = _resolve_counts(session, count, counts)
    latest: dict[tuple[int, int, int], tuple[Decimal, int | None]] = {}
    for key, qty, lot_id in keys:
        latest[key] = (qty, lot_id)
    existing = {
        (row.location_id, row.item_id, row.lot_key): (row.id, row.line_no)
        for row in session.execute(
            select(StocktakeLine.id, StocktakeLine.line_no, StocktakeLine.location_id, StocktakeLine.item_id, StocktakeLine.lot_key).where(
                StocktakeLine.stocktake_id == count.id,
                StocktakeLine.location_id.in_({k[0] for k in latest}),
                StocktakeLine.item_id.in_({k[1] for k in latest}),
            )
        )
    }
    next_no = (session.scalar(select(func.max(StocktakeLine.line_no)).where(StocktakeLine.stocktake_id == count.id)) or 0) + 1
    changes, found = [], []
    line_nos: dict[tuple[int, int, int], int] = {}
    for key, (qty, lot_id) in latest.items():
        values = {"counted_qty": qty, "counted_by": actor.user_id, "counted_at": at, "status": "counted"}
        if key in existing:
            line_id, line_nos[key] = existing[key]
            changes.append({"id": line_id, **values})
        else:
            line_nos[key] = next_no
            found.append({
                "stocktake_id": count.id, "line_no": next_no, "location_id": key[0], "item_id": key[1], "lot_id": lot_id, "lot_key": key[2],
                "on_book": False, "book_qty": ZERO, **values,
            })
            next_no += 1
    if changes:
        session.execute(update(StocktakeLine), changes)
    if found:
        session.execute(insert(StocktakeLine), found)
    transition(count, "count")
    _save(session, actor, count, "count", lines=len(latest), found=len(found))
    record(
        session, actor, "count.record", "stocktake", number, at=now, counted_at=at.isoformat(), found=len(found),
        counts=[[entry.location, entry.sku, entry.lot, fmt(qty)] for entry, (_, qty, _) in zip(counts, keys, strict=True)],
    )
    return [line_nos[key] for key, _, _ in keys]


def _resolve_counts(
    session: Session, count: Stocktake, counts: Sequence[CountIn]
) -> list[tuple[tuple[int, int, int], Decimal, int | None]]:
    """Each count as ((location id, item id, lot key), quantity, lot id), checked; a few queries for the whole batch."""
    items = {
        row.sku: row
        for row in session.execute(
            select(Item.id, Item.sku, Item.unit, Item.unit_decimals, Item.tracking).where(Item.sku.in_({c.sku for c in counts}))
        )
    }
    locations = dict(session.execute(select(Location.code, Location.id).where(Location.code.in_({c.location for c in counts}))).all())
    in_scope = set(
        session.scalars(
            select(StocktakeLocation.location_id).where(
                StocktakeLocation.stocktake_id == count.id, StocktakeLocation.location_id.in_(set(locations.values()))
            )
        )
    )
    lot_items = {items[c.sku].id for c in counts if c.lot and c.sku in items}
    lots = {
        (row.item_id, row.code): row.id
        for row in session.execute(
            select(Lot.id, Lot.item_id, Lot.code).where(Lot.item_id.in_(lot_items), Lot.code.in_({c.lot for c in counts if c.lot}))
        )
    } if lot_items else {}
    wanted_items = set(count.item_ids) if count.item_ids is not None else None
    out = []
    for entry in counts:
        item = items.get(entry.sku)
        if item is None:
            raise unknown_sku(entry.sku)
        location_id = locations.get(entry.location)
        if location_id is None:
            raise unknown_location(entry.location, "to")
        if location_id not in in_scope:
            raise InvalidInput(
                f"Location {entry.location} is not part of stocktake {count.number}.",
                f"库位 {entry.location} 不在盘点单 {count.number} 的范围内。",
                code="outside_count", location=entry.location,
            )
        if wanted_items is not None and item.id not in wanted_items:
            raise InvalidInput(
                f"Item {entry.sku} is not part of stocktake {count.number}.",
                f"商品 {entry.sku} 不在盘点单 {count.number} 的范围内。",
                code="outside_count", sku=entry.sku,
            )
        if item.tracking == "serial":
            raise _serial_refused(entry.sku)
        qty = optional_non_negative(entry.qty, "qty", scale=item.unit_decimals)
        if qty is None:
            raise InvalidInput("Say how many were counted.", "请填写盘点数量。", code="qty_required")
        lot_id = _lot_of(item, entry.lot, lots)
        out.append(((location_id, item.id, lot_id or 0), qty, lot_id))
    return out


def _lot_of(item: Any, code: str | None, lots: dict[tuple[int, str], int]) -> int | None:
    if item.tracking != "lot":
        if code:
            raise InvalidInput(
                f"Item {item.sku} is not tracked by lot; leave the lot empty.", f"商品 {item.sku} 不按批次管理，请不要填写批次。",
                code="lot_not_tracked", sku=item.sku,
            )
        return None
    if not code:
        raise InvalidInput(
            f"Item {item.sku} is tracked by lot: say which lot was counted.", f"商品 {item.sku} 按批次管理，请指定盘点的批次。",
            code="lot_required", sku=item.sku,
        )
    lot_id = lots.get((item.id, code))
    if lot_id is None:
        raise UnknownReference(
            f"Item {item.sku} has no lot {code}; register the lot first.", f"商品 {item.sku} 没有批次 {code}，请先登记该批次。",
            code="unknown_lot", sku=item.sku, lot=code,
        )
    return lot_id


# Review -------------------------------------------------------------------------------------------


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


# Posting ------------------------------------------------------------------------------------------


class _Settled(TypedDict):
    """A counted line's figures as posted (the bulk update of its row)."""

    id: int
    moved_qty: Decimal
    variance: Decimal
    move_id: int | None


@dataclasses.dataclass(frozen=True)
class _Fix:
    line_id: int
    line_no: int
    item_id: int
    location_id: int
    lot_id: int | None
    variance: Decimal


def post_count(session: Session, actor: Actor, number: str, *, version: int | None = None, zero_uncounted: bool = False) -> Stocktake:
    """Post every counted difference as one adjustment move, in one transaction: a gain ADJUSTMENT → bin at
    the moving-average cost, a loss bin → ADJUSTMENT; the ledger posts their journal entries (1405 / 1901)."""
    _require_reviewer(actor)
    count = get_count(session, number, lock=True)
    _require_warehouse(session, actor, count)
    flows.COUNT.check(number, count.status, "post")
    check_version("Stocktake", "盘点单", number, count.version, version)
    waiting = list(
        session.scalars(
            select(StocktakeLine.line_no)
            .where(StocktakeLine.stocktake_id == count.id, StocktakeLine.status == "recount")
            .order_by(StocktakeLine.line_no)
            .limit(20)
        )
    )
    if waiting:
        shown = ", ".join(str(n) for n in waiting)
        raise Conflict(
            f"Stocktake {number} has lines waiting for a recount (lines {shown}); count them again first.",
            f"盘点单 {number} 有待复盘的行（第 {shown} 行），请先复盘。",
            code="recount_pending", lines=waiting,
        )
    now = utcnow()
    zeroed = 0
    if zero_uncounted:
        zeroed = int(session.execute(
            update(StocktakeLine)
            .where(StocktakeLine.stocktake_id == count.id, StocktakeLine.status == "open")
            .values(counted_qty=ZERO, counted_by=actor.user_id, counted_at=now, status="counted")
            .execution_options(synchronize_session=False)
        ).rowcount or 0)  # type: ignore[attr-defined]
    moved = _moved_since_start(count)
    moved_qty = type_coerce(func.coalesce(moved.c.moved, 0), Qty())
    settled: list[_Settled] = []
    fixes: list[_Fix] = []
    for line_id, line_no, item_id, location_id, lot_id, book, counted, net in session.execute(
        select(
            StocktakeLine.id, StocktakeLine.line_no, StocktakeLine.item_id, StocktakeLine.location_id, StocktakeLine.lot_id,
            StocktakeLine.book_qty, StocktakeLine.counted_qty, moved_qty,
        )
        .outerjoin(moved, moved.c.line_id == StocktakeLine.id)
        .where(StocktakeLine.stocktake_id == count.id, StocktakeLine.status == "counted")
        .order_by(StocktakeLine.line_no)
    ):
        variance = cast(Decimal, counted) - (book + net)  # a counted line has its counted_qty
        settled.append({"id": line_id, "moved_qty": net, "variance": variance, "move_id": None})
        if variance:
            fixes.append(_Fix(line_id, line_no, item_id, location_id, lot_id, variance))
    move_ids = _post_adjustments(session, actor, count, fixes)
    for row in settled:
        row["move_id"] = move_ids.get(row["id"])
    if settled:
        session.execute(update(StocktakeLine), settled)
    transition(count, "post")
    count.posted_at, count.posted_by = now, actor.user_id
    gains = sum(1 for f in fixes if f.variance > 0)
    _save(session, actor, count, "post", moves=len(fixes))
    record(
        session, actor, "count.post", "stocktake", number, at=now, lines=len(settled), moves=len(fixes), gains=gains,
        losses=len(fixes) - gains, zeroed_uncounted=zeroed,
    )
    return count


def _post_adjustments(session: Session, actor: Actor, count: Stocktake, fixes: list[_Fix]) -> dict[int, int]:
    """One ledger move per difference: gains first (at the average cost, which they leave unchanged), then
    losses. What the moves need of items, locations and lots is read once for the whole stocktake."""
    if not fixes:
        return {}
    items = {
        row.id: ItemRef(row.id, row.sku, row.unit, row.unit_decimals, row.tracking, row.active)
        for row in session.execute(
            select(Item.id, Item.sku, Item.unit, Item.unit_decimals, Item.tracking, Item.active)
            .where(Item.id.in_(select(StocktakeLine.item_id).where(StocktakeLine.stocktake_id == count.id)))
        )
    }
    places = {
        row.id: LocationRef(row.id, row.code, row.kind, row.warehouse_id, row.active, row.quarantine)
        for row in session.execute(
            select(Location.id, Location.code, Location.kind, Location.warehouse_id, Location.active, Location.quarantine).where(
                or_(
                    Location.id.in_(select(StocktakeLocation.location_id).where(StocktakeLocation.stocktake_id == count.id)),
                    Location.code == "ADJUSTMENT",
                )
            )
        )
    }
    adjustment = next(loc for loc in places.values() if loc.code == "ADJUSTMENT")
    lot_ids = {f.lot_id for f in fixes if f.lot_id}
    lots = {
        lot.id: lot
        for lot in session.scalars(
            select(Lot).where(Lot.id.in_(select(StocktakeLine.lot_id).where(StocktakeLine.stocktake_id == count.id, StocktakeLine.lot_id.is_not(None))))
        )
    } if lot_ids else {}
    costs = _gain_costs(session, {f.item_id for f in fixes if f.variance > 0})
    session.flush()  # the ledger writes on the driver's cursor: everything the ORM holds goes first
    reason = f"stocktake {count.number}"
    posted: dict[int, int] = {}
    for fix in sorted(fixes, key=lambda f: (f.variance < 0, f.line_no)):
        bin_ = places[fix.location_id]
        gain = fix.variance > 0
        spec = MoveSpec(
            item=items[fix.item_id], qty=abs(fix.variance), source=adjustment if gain else bin_, target=bin_ if gain else adjustment,
            lot=lots.get(fix.lot_id) if fix.lot_id else None, reason=reason, unit_cost=costs.get(fix.item_id) if gain else None,
            ref_type="stocktake", ref_id=count.number,
        )
        try:
            posted[fix.line_id] = post_move(session, actor, spec).id
        except InsufficientStock as exc:
            raise InsufficientStock(
                f"Stocktake {count.number} line {fix.line_no}: {exc.en} (stock left after the count; recount the line).",
                f"盘点单 {count.number} 第 {fix.line_no} 行：{exc.zh}（盘点后库存已被取走，请复盘该行）。",
                **{**exc.details, "line": fix.line_no},
            ) from None
    return posted


def _gain_costs(session: Session, item_ids: set[int]) -> dict[int, Decimal]:
    """The unit cost a gain is valued at, for items the company holds none of (otherwise the ledger uses
    the moving average): the last cost the item moved at, so a found item is not valued at nothing."""
    if not item_ids:
        return {}
    held = set(session.scalars(select(Valuation.item_id).where(Valuation.item_id.in_(item_ids), Valuation.qty > 0)))
    costs = {}
    for item_id in sorted(item_ids - held):
        last = session.scalar(
            select(Move.unit_cost).where(Move.item_id == item_id, Move.unit_cost > 0).order_by(Move.id.desc()).limit(1)
        )
        if last is not None:
            costs[item_id] = last
    return costs


# Cancelling ---------------------------------------------------------------------------------------


def cancel_count(session: Session, actor: Actor, number: str, *, reason: str = "", version: int | None = None) -> Stocktake:
    """Abandon a stocktake: nothing is posted, the counts stay on it for the record."""
    _require_reviewer(actor)
    count = get_count(session, number, lock=True)
    _require_warehouse(session, actor, count)
    flows.COUNT.check(number, count.status, "cancel")
    check_version("Stocktake", "盘点单", number, count.version, version)
    transition(count, "cancel")
    _save(session, actor, count, "cancel")
    record(session, actor, "count.cancel", "stocktake", number, reason=reason)
    return count
