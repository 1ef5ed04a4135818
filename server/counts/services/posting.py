"""Posting the counted differences as adjustment moves, or cancelling the stocktake."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TypedDict, cast

from sqlalchemy import func, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import Qty, utcnow
from server.catalog.models import Item, Lot
from server.counts.models import Stocktake, StocktakeLine, StocktakeLocation
from server.counts.services.common import ZERO, _moved_since_start, _require_reviewer, _require_warehouse, _save, get_count
from server.documents import flows
from server.documents.flows import transition
from server.errors import Conflict, InsufficientStock, check_version
from server.inventory.models import Move, Valuation
from server.inventory.services import ItemRef, LocationRef, MoveSpec, post_move
from server.locations.models import Location


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
