"""Starting a stocktake: its scope of locations and items, and the book frozen into its lines."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, func, insert, literal, select, text
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.catalog.services import unknown_sku
from server.counts.models import Stocktake, StocktakeLine, StocktakeLocation
from server.counts.services.common import _save, _serial_refused
from server.documents.services import next_number
from server.errors import Conflict, Forbidden, InvalidInput, UnknownReference
from server.inventory.models import Balance, Move
from server.locations.models import Location
from server.locations.services import unknown_location


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
