"""Moves and reservations as the API shows them: codes instead of ids, one query per kind of code, not per row."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import User
from server.catalog.models import Item, Lot, Serial
from server.inventory.models import Move, MoveSerial, Reservation
from server.inventory.schemas import MoveOut, ReservationOut
from server.inventory.services import PostedMove
from server.locations.models import Location
from server.schemas import fmt


def move_out(session: Session, moves: Sequence[Move | PostedMove]) -> list[MoveOut]:
    """Moves with SKU, location, lot and user codes looked up in bulk."""
    if not moves:
        return []
    skus = dict(session.execute(select(Item.id, Item.sku).where(Item.id.in_({m.item_id for m in moves}))).all())
    loc_ids = {m.from_location_id for m in moves} | {m.to_location_id for m in moves}
    codes = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(loc_ids))).all())
    lot_ids = {m.lot_id for m in moves if m.lot_id}
    lots = dict(session.execute(select(Lot.id, Lot.code).where(Lot.id.in_(lot_ids))).all()) if lot_ids else {}
    user_ids = {m.user_id for m in moves if m.user_id}
    users = dict(session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()) if user_ids else {}
    serials: dict[int, list[str]] = {}
    for move_id, serial in session.execute(
        select(MoveSerial.move_id, Serial.serial)
        .join(Serial, Serial.id == MoveSerial.serial_id)
        .where(MoveSerial.move_id.in_([m.id for m in moves]))
        .order_by(Serial.serial)
    ):
        serials.setdefault(move_id, []).append(serial)
    return [
        MoveOut(
            id=m.id,
            sku=skus[m.item_id],
            qty=fmt(m.qty) or "0",
            from_=codes[m.from_location_id],
            to=codes[m.to_location_id],
            lot=lots.get(m.lot_id) if m.lot_id else None,
            serials=serials.get(m.id, []),
            unit_cost=fmt(m.unit_cost) or "0",
            value=fmt(m.value) or "0",
            reason=m.reason,
            ref_type=m.ref_type,
            ref_id=m.ref_id,
            reverses=m.reverses_id,
            user=users.get(m.user_id) if m.user_id else None,
            device_id=m.device_id,
            created_at=m.created_at,
        )
        for m in moves
    ]


def reservation_out(session: Session, row: Reservation) -> ReservationOut:
    sku = session.scalar(select(Item.sku).where(Item.id == row.item_id)) or ""
    code = session.scalar(select(Location.code).where(Location.id == row.location_id)) or ""
    return ReservationOut(id=row.id, sku=sku, location=code, qty=fmt(row.qty) or "0", open=row.open, ref_type=row.ref_type, ref_id=row.ref_id)
