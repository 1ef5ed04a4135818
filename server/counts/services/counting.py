"""Counting: recording counted quantities, the last count of a line standing, found goods as new lines."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.catalog.services import unknown_sku
from server.counts.models import Stocktake, StocktakeLine, StocktakeLocation
from server.counts.services.common import ZERO, _require_warehouse, _save, _serial_refused, get_count
from server.documents import flows
from server.documents.flows import transition
from server.errors import InvalidInput, UnknownReference
from server.locations.models import Location
from server.locations.services import unknown_location
from server.quantities import optional_non_negative
from server.schemas import fmt


@dataclasses.dataclass(frozen=True)
class CountIn:
    """One counted quantity as a scanner sends it: where, what, which lot, how many (base units)."""

    location: str
    sku: str
    qty: object
    lot: str | None = None


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
