"""Moves and reservations as the API shows them: codes instead of ids, looked up in bulk, not per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from server.auth.models import User
from server.auth.permissions import Actor
from server.auth.visibility import visible
from server.catalog.models import Item, Lot, Serial
from server.inventory.models import Move, MoveSerial, Reservation
from server.inventory.schemas import MoveOut, ReservationOut
from server.inventory.services import DOCUMENT_MOVES, PostedMove, orders_of, reversals_of
from server.locations.models import Location
from server.schemas import fmt


def move_out(session: Session, actor: Actor, moves: Sequence[Move | PostedMove]) -> list[MoveOut]:
    """Moves with SKU, location, lot and user codes. A move just posted carries them; others take one query for the codes
    (two when an item is serial-tracked) and one for their reversals. Unit cost and value only for those who may see costs."""
    if not moves:
        return []
    may_reverse = actor.can("stock.reverse")
    posted = [(m, m.codes) for m in moves if isinstance(m, PostedMove) and m.codes is not None]
    if len(posted) == len(moves):  # new moves: none is reversed yet
        return visible(actor, [_out(m, codes, list(codes.serials), None, may_reverse) for m, codes in posted])
    codes = _codes(session, [m.id for m in moves])
    reversed_by = reversals_of(session, [m.id for m in moves])
    serials: dict[int, list[str]] = {}
    tracked = [m.id for m in moves if codes[m.id].tracking == "serial"]
    if tracked:
        for move_id, serial in session.execute(_SERIALS, {"moves": tracked}):
            serials.setdefault(move_id, []).append(serial)
    return visible(actor, [_out(m, codes[m.id], serials.get(m.id, []), reversed_by.get(m.id), may_reverse) for m in moves])


class _Codes(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def lot(self) -> str | None: ...
    @property
    def username(self) -> str | None: ...


def _out(m: Move | PostedMove, codes: _Codes, serials: list[str], reversed_by: int | None, may_reverse: bool) -> MoveOut:
    reversible = may_reverse and m.ref_type not in DOCUMENT_MOVES and m.reverses_id is None and reversed_by is None
    return MoveOut(
        id=m.id, sku=codes.sku, qty=fmt(m.qty) or "0", from_=codes.source, to=codes.target, lot=codes.lot, serials=serials,
        unit_cost=fmt(m.unit_cost) or "0", value=fmt(m.value) or "0", reason=m.reason, ref_type=m.ref_type, ref_id=m.ref_id,
        reverses=m.reverses_id, reversed_by=reversed_by, actions=["reverse"] if reversible else [], user=codes.username,
        device_id=m.device_id, created_at=m.created_at,
    )


# Built once: the codes of a page of moves, and the serials of its serial-tracked ones.
_SOURCE, _TARGET = aliased(Location), aliased(Location)
_CODES = (
    select(Move.id, Item.sku, Item.tracking, _SOURCE.code.label("source"), _TARGET.code.label("target"), Lot.code.label("lot"),
           User.username)
    .join(Item, Item.id == Move.item_id)
    .join(_SOURCE, _SOURCE.id == Move.from_location_id)
    .join(_TARGET, _TARGET.id == Move.to_location_id)
    .outerjoin(Lot, Lot.id == Move.lot_id)
    .outerjoin(User, User.id == Move.user_id)
    .where(Move.id.in_(bindparam("moves", expanding=True)))
)
_SERIALS = (
    select(MoveSerial.move_id, Serial.serial)
    .join(Serial, Serial.id == MoveSerial.serial_id)
    .where(MoveSerial.move_id.in_(bindparam("moves", expanding=True)))
    .order_by(Serial.serial)
)


def _codes(session: Session, move_ids: list[int]) -> dict[int, Any]:
    return {row.id: row for row in session.execute(_CODES, {"moves": move_ids})}


def reservation_out(session: Session, row: Reservation) -> ReservationOut:
    return reservations_out(session, [row])[0]


def reservations_out(session: Session, rows: Sequence[Reservation]) -> list[ReservationOut]:
    """Reservations with SKU and location codes and, for an order line's, the order's number: read in bulk."""
    if not rows:
        return []
    skus = dict(session.execute(select(Item.id, Item.sku).where(Item.id.in_({r.item_id for r in rows}))).all())
    codes = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_({r.location_id for r in rows}))).all())
    orders = orders_of(session, rows)
    return [
        ReservationOut(
            id=r.id, sku=skus.get(r.item_id, ""), location=codes.get(r.location_id, ""), qty=fmt(r.qty) or "0", open=r.open,
            ref_type=r.ref_type, ref_id=r.ref_id, created_at=r.created_at, order=orders.get(r.id),
        )
        for r in rows
    ]
