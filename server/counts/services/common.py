"""What the stocktake modules share: who may do what, the lookup by number, the moves since the start, the version snapshot."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Subquery, and_, func, or_, select, type_coerce, union_all
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.base import Qty
from server.counts.models import Stocktake, StocktakeLine
from server.documents.services import save_version
from server.errors import Forbidden, InvalidInput, NotFound
from server.inventory.models import Move
from server.locations.models import Location

ZERO = Decimal(0)


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


# Writing ------------------------------------------------------------------------------------------


def _serial_refused(sku: str) -> InvalidInput:
    return InvalidInput(
        f"Item {sku} is serial-numbered; a stocktake counts quantities, not serials.",
        f"商品 {sku} 按序列号管理；盘点单按数量盘点，不盘序列号。",
        code="serial_not_counted", sku=sku,
    )


def _save(session: Session, actor: Actor, count: Stocktake, action: str, **extra: Any) -> None:
    """Keep a snapshot of this version's header; the lines themselves carry who counted what, and when."""
    session.flush()
    save_version(
        session, actor, "count", count.id, count.version,
        {"header": {"status": count.status, "note": count.note, "action": action, **extra}},
    )
