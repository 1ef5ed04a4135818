"""Lot and serial traceability (追溯): where a lot or a serial number came from, where it went, and every move in between.

Counterparties are locations, so the ledger alone answers both directions: a move from a virtual location (SUPPLIER,
CUSTOMER, OPENING, ADJUSTMENT, ...) into stock brought the goods in, a move from stock to one took them out, and the
document each move names (a receipt, a sales order, a customer return, a purchase return, a stocktake) says with whom.
Everyone signed in may trace, as everyone may read the ledger; no cost or price is part of the answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal

import msgspec
from sqlalchemy import BindParameter, Executable, bindparam, null, select
from sqlalchemy.orm import Session, aliased

from server.auth.models import User
from server.catalog.models import Item, Lot, Serial
from server.catalog.services import get_item, get_lot
from server.errors import InvalidInput, NotFound
from server.inventory.models import Balance, Move, MoveSerial
from server.locations.models import Location
from server.partners.models import Partner
from server.purchasing.models import PurchaseOrder, PurchaseReturn, Receipt
from server.sales.models import Return, SalesOrder
from server.schemas import DecimalStr, Out, fmt

# What brought goods in or took them out: the document kind where the move names one, else the outside location.
FlowKind = Literal[
    "receipt", "opening", "return", "count", "adjustment", "supplier", "customer", "shipment", "purchase_return", "scrap", "transit", "other"
]
Direction = Literal["in", "out", "within", "through"]  # through: from one outside location straight to another


class TracePartner(Out):
    code: str
    name_zh: str
    name_en: str


class TraceFlow(Out):
    """One way goods came in or went out: all the moves of one document (a receipt, the shipments of a sales order, a customer
    return, a purchase return, a stocktake), or a single move that names no document."""

    kind: FlowKind
    qty: DecimalStr
    at: dt.datetime  # the first of its moves
    ref_type: str | None = None  # the document, as the ledger names it (receipt, so, return, purchase_return, stocktake)
    document: str | None = None
    order: str | None = None  # behind the document: a receipt's or purchase return's purchase order, a customer return's sales order
    partner: TracePartner | None = None  # the supplier or customer of the document
    warehouse: str | None = None  # where the goods came in or went out
    reason: str = ""  # of a move that names no document


class TraceMove(Out):
    id: int
    created_at: dt.datetime
    qty: DecimalStr
    from_: str = msgspec.field(name="from")
    to: str
    direction: Direction
    ref_type: str | None = None
    ref_id: str | None = None
    reason: str = ""
    user: str | None = None
    reverses: int | None = None


class TraceStock(Out):
    location: str
    warehouse: str | None
    qty: DecimalStr
    reserved: DecimalStr
    quarantine: bool


class LotTrace(Out):
    """A lot: what it is, where it is now, where it came from, where it went, and every move of it in time order."""

    sku: str
    name_zh: str
    name_en: str
    unit: str
    lot: str
    expiry: dt.date | None
    produced_on: dt.date | None
    on_hand: DecimalStr  # in stock now, every warehouse
    qty_in: DecimalStr  # the sum of came_from
    qty_out: DecimalStr  # the sum of went_to
    stock: list[TraceStock]
    came_from: list[TraceFlow]
    went_to: list[TraceFlow]
    moves: list[TraceMove]


class SerialTrace(Out):
    """One serial-numbered unit: its item and lot, where it is now, where it came from, where it went, and its moves."""

    serial: str
    sku: str
    name_zh: str
    name_en: str
    lot: str | None
    expiry: dt.date | None
    location: str | None  # where it is now: a bin, or the outside location it left to (CUSTOMER, SUPPLIER, SCRAP, ...)
    warehouse: str | None
    in_stock: bool
    came_from: list[TraceFlow]
    went_to: list[TraceFlow]
    moves: list[TraceMove]


# The kind of a flow, by the outside location and the document the move names.
DOCUMENT_FLOWS: dict[tuple[str, str], FlowKind] = {
    ("SUPPLIER", "receipt"): "receipt",
    ("SUPPLIER", "purchase_return"): "purchase_return",
    ("CUSTOMER", "so"): "shipment",
    ("CUSTOMER", "return"): "return",
    ("ADJUSTMENT", "stocktake"): "count",
}
PLAIN_FLOWS: dict[str, FlowKind] = {
    "SUPPLIER": "supplier", "CUSTOMER": "customer", "OPENING": "opening", "ADJUSTMENT": "adjustment", "SCRAP": "scrap", "TRANSIT": "transit",
}
DOCUMENTS = frozenset({"receipt", "so", "return", "purchase_return", "stocktake"})


def flow_kind(outside: str, ref_type: str | None) -> FlowKind:
    """What a move to or from the outside location `outside` was, given the document it names."""
    if ref_type and (outside, ref_type) in DOCUMENT_FLOWS:
        return DOCUMENT_FLOWS[(outside, ref_type)]
    return PLAIN_FLOWS.get(outside, "other")


def direction(source_internal: bool, target_internal: bool) -> Direction:
    if source_internal and target_internal:
        return "within"
    if target_internal:
        return "in"
    if source_internal:
        return "out"
    return "through"


# Reading ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Place:
    code: str
    internal: bool
    warehouse: str | None


@dataclasses.dataclass(frozen=True)
class _Document:
    order: str | None
    partner: TracePartner | None


@dataclasses.dataclass(frozen=True)
class _Move:
    id: int
    created_at: dt.datetime
    qty: Decimal
    source: _Place
    target: _Place
    ref_type: str | None
    ref_id: str | None
    reason: str
    user: str | None
    reverses: int | None


_SOURCE, _TARGET = aliased(Location), aliased(Location)
_MOVES = (
    select(Move.id, Move.created_at, Move.qty, Move.ref_type, Move.ref_id, Move.reason, Move.reverses_id, User.username,
           _SOURCE.code.label("source"), _SOURCE.kind.label("source_kind"), _SOURCE.warehouse_id.label("source_warehouse"),
           _TARGET.code.label("target"), _TARGET.kind.label("target_kind"), _TARGET.warehouse_id.label("target_warehouse"))
    .join(_SOURCE, _SOURCE.id == Move.from_location_id)
    .join(_TARGET, _TARGET.id == Move.to_location_id)
    .outerjoin(User, User.id == Move.user_id)
    .order_by(Move.created_at, Move.id)
)
_LOT_MOVES = _MOVES.where(Move.item_id == bindparam("item_id"), Move.lot_id == bindparam("lot_id"))
_SERIAL_MOVES = _MOVES.join(MoveSerial, MoveSerial.move_id == Move.id).where(MoveSerial.serial_id == bindparam("serial_id"))
_WAREHOUSES = select(Location.id, Location.code).where(Location.id.in_(bindparam("ids", expanding=True)))
_LOT_STOCK = (
    select(Location.code, Location.warehouse_id, Location.quarantine, Balance.qty, Balance.reserved)
    .join(Location, Location.id == Balance.location_id)
    .where(Balance.item_id == bindparam("item_id"), Balance.lot_key == bindparam("lot_id"), Balance.internal.is_(True), Balance.qty != 0)
    .order_by(Location.code)
)

# The documents behind moves, each kind read in one query: its number, the order behind it and its partner.
_BY_NUMBER: BindParameter[Any] = bindparam("numbers", expanding=True)
_PARTNER = (Partner.code, Partner.name_zh, Partner.name_en)
_DOCUMENT_QUERIES: dict[str, Executable] = {
    "receipt": select(Receipt.number, PurchaseOrder.number, *_PARTNER)
    .join(PurchaseOrder, PurchaseOrder.id == Receipt.po_id).join(Partner, Partner.id == PurchaseOrder.supplier_id)
    .where(Receipt.number.in_(_BY_NUMBER)),
    "purchase_return": select(PurchaseReturn.number, PurchaseOrder.number, *_PARTNER)
    .join(PurchaseOrder, PurchaseOrder.id == PurchaseReturn.po_id).join(Partner, Partner.id == PurchaseReturn.supplier_id)
    .where(PurchaseReturn.number.in_(_BY_NUMBER)),
    "so": select(SalesOrder.number, null(), *_PARTNER)
    .join(Partner, Partner.id == SalesOrder.customer_id)
    .where(SalesOrder.number.in_(_BY_NUMBER)),
    "return": select(Return.number, SalesOrder.number, *_PARTNER)
    .join(SalesOrder, SalesOrder.id == Return.so_id).join(Partner, Partner.id == Return.customer_id)
    .where(Return.number.in_(_BY_NUMBER)),
}


def _moves(session: Session, query: Executable, params: dict[str, int]) -> list[_Move]:
    rows = session.execute(query, params).all()
    codes = _warehouse_codes(session, {w for r in rows for w in (r.source_warehouse, r.target_warehouse)})
    return [
        _Move(
            id=r.id, created_at=r.created_at, qty=r.qty, ref_type=r.ref_type, ref_id=r.ref_id, reason=r.reason, user=r.username,
            reverses=r.reverses_id,
            source=_Place(r.source, r.source_kind != "virtual", codes.get(r.source_warehouse)),
            target=_Place(r.target, r.target_kind != "virtual", codes.get(r.target_warehouse)),
        )
        for r in rows
    ]


def _warehouse_codes(session: Session, ids: Iterable[int | None]) -> dict[int | None, str]:
    wanted = sorted({i for i in ids if i is not None})
    return dict(session.execute(_WAREHOUSES, {"ids": wanted}).all()) if wanted else {}


def _documents(session: Session, moves: Sequence[_Move]) -> dict[tuple[str, str], _Document]:
    wanted: dict[str, set[str]] = {}
    for m in moves:
        if m.ref_type in _DOCUMENT_QUERIES and m.ref_id:
            wanted.setdefault(m.ref_type, set()).add(m.ref_id)
    found: dict[tuple[str, str], _Document] = {}
    for kind, numbers in wanted.items():
        for number, order, code, name_zh, name_en in session.execute(_DOCUMENT_QUERIES[kind], {"numbers": sorted(numbers)}):
            found[(kind, number)] = _Document(order, TracePartner(code=code, name_zh=name_zh, name_en=name_en))
    return found


@dataclasses.dataclass
class _Flow:
    kind: FlowKind
    at: dt.datetime
    ref_type: str | None
    document: str | None
    order: str | None
    partner: TracePartner | None
    warehouse: str | None
    reason: str
    qty: Decimal = Decimal(0)

    def out(self) -> TraceFlow:
        return TraceFlow(
            kind=self.kind, qty=fmt(self.qty), at=self.at, ref_type=self.ref_type, document=self.document, order=self.order,
            partner=self.partner, warehouse=self.warehouse, reason=self.reason,
        )


def _flows(moves: Sequence[_Move], documents: dict[tuple[str, str], _Document], unit: Decimal | None) -> tuple[list[TraceFlow], list[TraceFlow]]:
    """The moves across the company's edge, one flow per document (per move when it names none), in time order: those
    that came in, and those that went out. `unit`: count each move as this quantity (a serial's moves carry one unit)."""
    came: dict[tuple[Any, ...], _Flow] = {}
    went: dict[tuple[Any, ...], _Flow] = {}
    for m in moves:
        for flows, outside, inside in ((came, m.source, m.target), (went, m.target, m.source)):
            if outside.internal:
                continue
            kind = flow_kind(outside.code, m.ref_type)
            document = m.ref_id if m.ref_type in DOCUMENTS else None
            key = (kind, m.ref_type, document) if document else (kind, m.id)
            flow = flows.get(key)
            if flow is None:
                known = documents.get((m.ref_type, document)) if m.ref_type and document else None
                flow = flows[key] = _Flow(
                    kind=kind, at=m.created_at, ref_type=m.ref_type if document else None, document=document,
                    order=known.order if known else None, partner=known.partner if known else None,
                    warehouse=inside.warehouse, reason="" if document else m.reason,
                )
            flow.qty += m.qty if unit is None else unit
    return [f.out() for f in came.values()], [f.out() for f in went.values()]


def _moves_out(moves: Sequence[_Move], unit: Decimal | None) -> list[TraceMove]:
    return [
        TraceMove(
            id=m.id, created_at=m.created_at, qty=fmt(m.qty if unit is None else unit), from_=m.source.code, to=m.target.code,
            direction=direction(m.source.internal, m.target.internal), ref_type=m.ref_type, ref_id=m.ref_id, reason=m.reason,
            user=m.user, reverses=m.reverses,
        )
        for m in moves
    ]


def _total(flows: Iterable[TraceFlow]) -> str:
    return fmt(sum((Decimal(f.qty) for f in flows), Decimal(0)))


# The questions ------------------------------------------------------------------------------------


def trace_lot(session: Session, sku: str, code: str) -> LotTrace:
    """Lot `code` of item `sku`: its expiry, where it is now, the receipts, opening stock and customer returns that brought
    it in, the shipments, purchase returns, scrapping and count losses that took it out, and every move of it in time order."""
    lot = get_lot(session, sku, code)
    item = session.get_one(Item, lot.item_id)
    moves = _moves(session, _LOT_MOVES, {"item_id": item.id, "lot_id": lot.id})
    came_from, went_to = _flows(moves, _documents(session, moves), None)
    balances = session.execute(_LOT_STOCK, {"item_id": item.id, "lot_id": lot.id}).all()
    codes = _warehouse_codes(session, (b.warehouse_id for b in balances))
    stock = [
        TraceStock(location=b.code, warehouse=codes.get(b.warehouse_id), qty=fmt(b.qty), reserved=fmt(b.reserved), quarantine=b.quarantine)
        for b in balances
    ]
    return LotTrace(
        sku=item.sku, name_zh=item.name_zh, name_en=item.name_en, unit=item.unit, lot=lot.code, expiry=lot.expiry,
        produced_on=lot.produced_on, on_hand=fmt(sum((b.qty for b in balances), Decimal(0))), qty_in=_total(came_from),
        qty_out=_total(went_to), stock=stock, came_from=came_from, went_to=went_to, moves=_moves_out(moves, None),
    )


def trace_serial(session: Session, serial: str, sku: str | None = None) -> SerialTrace:
    """Serial number `serial` (of item `sku` when several items have one so numbered): its item and lot, where it is now,
    the receipt and supplier it came from, the customers it went to and came back from, and every move that carried it."""
    item_row = get_item(session, sku) if sku else None
    query = select(Serial, Item).join(Item, Item.id == Serial.item_id).where(Serial.serial == serial).order_by(Item.sku)
    if item_row is not None:
        query = query.where(Serial.item_id == item_row.id)
    found = session.execute(query).all()
    if not found:
        if sku:
            raise NotFound(f"Item {sku} has no serial number {serial}.", f"商品 {sku} 没有序列号 {serial}。", sku=sku, serial=serial)
        raise NotFound(f"No item has serial number {serial}.", f"没有序列号为 {serial} 的商品。", serial=serial)
    if len(found) > 1:
        skus = [i.sku for _, i in found]
        raise InvalidInput(
            f"Serial number {serial} belongs to several items ({', '.join(skus)}): say which item.",
            f"序列号 {serial} 属于多个商品（{'、'.join(skus)}），请指定商品。",
            code="ambiguous_serial", field="sku", serial=serial, skus=skus,
        )
    unit, item = found[0]
    lot = session.get(Lot, unit.lot_id) if unit.lot_id is not None else None
    place = session.get(Location, unit.location_id) if unit.location_id is not None else None
    warehouse = _warehouse_codes(session, [place.warehouse_id]).get(place.warehouse_id) if place is not None else None
    moves = _moves(session, _SERIAL_MOVES, {"serial_id": unit.id})
    came_from, went_to = _flows(moves, _documents(session, moves), Decimal(1))
    return SerialTrace(
        serial=unit.serial, sku=item.sku, name_zh=item.name_zh, name_en=item.name_en, lot=lot.code if lot else None,
        expiry=lot.expiry if lot else None, location=place.code if place else None, warehouse=warehouse,
        in_stock=place is not None and place.internal, came_from=came_from, went_to=went_to, moves=_moves_out(moves, Decimal(1)),
    )
