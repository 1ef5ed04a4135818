"""The stock ledger: every stock change is a move between two locations, and balances follow in the same transaction.

Internal locations never go below zero: taking stock is one conditional UPDATE that only
succeeds while enough is available, so concurrent takers cannot both win the last unit.
Virtual locations (SUPPLIER, CUSTOMER, ADJUSTMENT, SCRAP, TRANSIT) go negative by nature.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any, TypedDict

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import COST_SCALE, utcnow
from server.catalog.models import Item, Lot, Serial
from server.catalog.services import inactive_item, item_for_move, lot_for_move, unknown_sku
from server.dates import day_range
from server.errors import Conflict, Forbidden, InsufficientStock, InvalidInput, NotFound
from server.finance.services import COUNTERPART, INVENTORY, money
from server.inventory import ledger_sql
from server.inventory.models import Balance, Move, MoveSerial, Reservation, Valuation
from server.locations.models import Location
from server.locations.services import inactive_location, location_for_move, unknown_location
from server.monitoring.metrics import MOVE_POSTED
from server.quantities import optional_non_negative, positive_qty
from server.schemas import fmt
from server.sorting import looked_up, sorted_by
from server.work import note_change, note_stock_left, publish_after_commit
from server.work import occurred_at as work_occurred_at

COST_UNIT = Decimal(1).scaleb(-COST_SCALE)


@dataclasses.dataclass(frozen=True, slots=True)
class ItemRef:
    """What the ledger needs of an item."""

    id: int
    sku: str
    unit: str
    unit_decimals: int
    tracking: str
    active: bool

    @classmethod
    def of(cls, row: Item) -> ItemRef:
        return cls(row.id, row.sku, row.unit, row.unit_decimals, row.tracking, row.active)


@dataclasses.dataclass(frozen=True, slots=True)
class LocationRef:
    """What the ledger needs of a location."""

    id: int
    code: str
    kind: str
    warehouse_id: int | None
    active: bool
    quarantine: bool

    @property
    def internal(self) -> bool:
        return self.kind != "virtual"

    @classmethod
    def of(cls, row: Location) -> LocationRef:
        return cls(row.id, row.code, row.kind, row.warehouse_id, row.active, row.quarantine)


@dataclasses.dataclass(frozen=True)
class MoveSpec:
    """One move as the ledger sees it: resolved rows, a validated quantity in base units."""

    item: ItemRef
    qty: Decimal
    source: LocationRef
    target: LocationRef
    lot: Lot | None = None
    serials: tuple[str, ...] = ()
    reason: str = ""
    unit_cost: Decimal | None = None
    # What goods crossing the company's books are worth when a document knows it rather than the moving average: leaving, a
    # purchase return at the cost the goods were received at (never more than the stock is worth; the last units take the
    # rest); entering, goods from transit at what left the other warehouse.
    value: Decimal | None = None
    ref_type: str | None = None
    ref_id: str | None = None
    op_id: str | None = None
    reverses_id: int | None = None
    reservation_id: int | None = None


def prepare_move(
    session: Session,
    actor: Actor,
    *,
    sku: str,
    qty: object,
    source: str,
    target: str,
    lot: str | None = None,
    serials: Sequence[str] = (),
    reason: str = "",
    unit_cost: object | None = None,
    ref_type: str | None = None,
    ref_id: str | None = None,
    op_id: str | None = None,
    reservation_id: int | None = None,
) -> MoveSpec:
    """Resolve codes to rows and check everything that does not depend on stock levels.

    With `reservation_id`, the move is a pick against that reservation: the reserved stock it takes
    stops being reserved, so reserved stock can be picked by the order that holds it."""
    actor.require("stock.move")
    item, from_loc, to_loc = _resolve(session, sku, source, target)
    quantity = positive_qty(qty, decimals=item.unit_decimals, unit=item.unit)
    if from_loc.id == to_loc.id:
        raise InvalidInput(
            f"From and to are the same location ({source}).",
            f"来源和目标是同一个库位（{source}）。",
            code="same_location",
            location=source,
        )
    for loc in (from_loc, to_loc):
        _require_warehouse(actor, loc)
    lot_row = lot_for_move(session, item, lot)
    serial_tuple = tuple(serials)
    if item.tracking == "serial":
        if quantity != quantity.to_integral_value() or len(serial_tuple) != int(quantity):
            raise InvalidInput(
                f"Item {sku} is serial-numbered: give one serial per unit ({fmt(quantity)} units, {len(serial_tuple)} serials).",
                f"商品 {sku} 按序列号管理：每件一个序列号（数量 {fmt(quantity)}，序列号 {len(serial_tuple)} 个）。",
                code="serials_mismatch",
                sku=sku,
            )
        if len(set(serial_tuple)) != len(serial_tuple):
            raise InvalidInput("A serial number is listed twice.", "序列号重复。", code="duplicate_serial")
    elif serial_tuple:
        raise InvalidInput(
            f"Item {sku} is not serial-numbered; leave serials empty.",
            f"商品 {sku} 不按序列号管理，请不要填写序列号。",
            code="serials_not_tracked",
            sku=sku,
        )
    cost = optional_non_negative(unit_cost, "unit_cost", scale=6)
    return MoveSpec(
        item=item, qty=quantity, source=from_loc, target=to_loc, lot=lot_row, serials=serial_tuple,
        reason=reason, unit_cost=cost, ref_type=ref_type, ref_id=ref_id, op_id=op_id, reservation_id=reservation_id,
    )


def _require_warehouse(actor: Actor, location: Location | LocationRef) -> None:
    """Users limited to some warehouses touch stock only there (virtual locations belong to none)."""
    if not actor.may_use_warehouse(location.warehouse_id):
        raise Forbidden(
            f"You may not change stock in location {location.code}'s warehouse.",
            f"您无权更改库位 {location.code} 所属仓库的库存。",
            code="warehouse_not_allowed",
            location=location.code,
        )


def _resolve(session: Session, sku: str, source: str, target: str) -> tuple[ItemRef, LocationRef, LocationRef]:
    """The item and both locations of a move, in one round trip."""
    ledger = ledger_sql.for_session(session)
    row = ledger.resolve(ledger.cursor(session), sku, source, target)
    if row is None:
        raise unknown_sku(sku)
    item = ItemRef(row[0], row[1], row[2], row[3], row[4], bool(row[5]))
    if not item.active:
        raise inactive_item(sku)
    locations = []
    for values, code, field in ((row[6:12], source, "from"), (row[12:18], target, "to")):
        if values[0] is None:
            raise unknown_location(code, field)
        location = LocationRef(values[0], values[1], values[2], values[3], bool(values[4]), bool(values[5]))
        if not location.active:
            raise inactive_location(code)
        locations.append(location)
    return item, locations[0], locations[1]


MAX_BACKDATE = dt.timedelta(days=30)


def occurred_at(session: Session, now: dt.datetime) -> dt.datetime:
    """When a move happened: now, or for an operation a device made offline its clock-corrected time (set by the sync
    push), so a stocktake carries forward what moved before the count even if it was sent after. Never in the future,
    never more than 30 days back."""
    when = work_occurred_at(session)
    if when is None or when > now or now - when > MAX_BACKDATE:
        return now
    return when


def post_move(session: Session, actor: Actor, spec: MoveSpec) -> PostedMove:
    """Post one move: the move row, both balances, the serials and the audit entry, all or nothing."""
    lot_key = spec.lot.id if spec.lot else 0
    serial_rows = _checked_serials(session, spec) if spec.serials else []
    if spec.reservation_id is not None:
        _consume_reservation(session, spec, lot_key)
    ledger = ledger_sql.for_session(session)
    cursor = ledger.cursor(session)
    now = utcnow()
    stamp = ledger.time(now)
    # Lock order: internal balances by location id (two opposite transfers cannot deadlock), then the
    # virtual one — a per-item hot row shared by every receipt or shipment, so it is held the shortest.
    for location in sorted((spec.source, spec.target), key=lambda loc: (not loc.internal, loc.id)):
        if location is spec.target:
            ledger.add(cursor, spec.item.id, location.id, spec.lot.id if spec.lot else None, location.internal, spec.qty, stamp)
        elif not location.internal:
            ledger.add(cursor, spec.item.id, location.id, spec.lot.id if spec.lot else None, False, -spec.qty, stamp)
        elif not ledger.take(cursor, spec.item.id, location.id, lot_key, spec.qty, stamp):
            row = session.execute(
                select(Balance.qty, Balance.reserved).where(
                    Balance.item_id == spec.item.id, Balance.location_id == location.id, Balance.lot_key == lot_key
                )
            ).first()
            on_hand, reserved = (row.qty, row.reserved) if row else (Decimal(0), Decimal(0))
            raise insufficient(location, spec.item, spec.lot, on_hand, reserved, spec.qty)
    unit_cost, value = _valuate(ledger, cursor, spec)
    values: _MoveColumns = {
        "item_id": spec.item.id,
        "lot_id": spec.lot.id if spec.lot else None,
        "qty": spec.qty,
        "from_location_id": spec.source.id,
        "to_location_id": spec.target.id,
        "unit_cost": unit_cost,
        "value": value,
        "reason": spec.reason,
        "ref_type": spec.ref_type,
        "ref_id": spec.ref_id,
        "reverses_id": spec.reverses_id,
        "user_id": actor.user_id,
        "device_id": actor.device_id,
        "op_id": spec.op_id,
        "created_at": occurred_at(session, now),
    }
    move_id = ledger.insert_move(cursor, values, stamp if values["created_at"] is now else ledger.time(values["created_at"]))
    if value and spec.source.internal != spec.target.internal:
        # Stock crossed the company's books: Inventory against the outside location's account.
        outside = spec.target if spec.source.internal else spec.source
        counterpart = COUNTERPART[outside.code]
        debit, credit = (INVENTORY, counterpart) if spec.target.internal else (counterpart, INVENTORY)
        ledger.post_entry(
            cursor, stamp=stamp, source_type="move", source_id=str(move_id), user_id=actor.user_id, item_id=spec.item.id,
            memo=f"{spec.item.sku} {fmt(spec.qty)} {spec.source.code}→{spec.target.code}",
            lines=[(debit, value, Decimal(0)), (credit, Decimal(0), value)],
        )
    if serial_rows:
        _link_serials(session, spec, move_id, serial_rows)
    source, target = spec.source, spec.target
    if source.internal and source.warehouse_id and (target.quarantine or target.warehouse_id != source.warehouse_id):
        note_stock_left(session, spec.item.id, source.warehouse_id)
    for location in (source, target):
        if location.internal:
            note_change(session, "balance", (spec.item.id, location.id, lot_key))
    publish_after_commit(session, MOVE_POSTED)  # counted by the metrics once committed, never if rolled back
    record(
        session, actor, "stock.move", "move", move_id, at=now,
        sku=spec.item.sku, qty=fmt(spec.qty), source=spec.source.code, target=spec.target.code,
        lot=spec.lot.code if spec.lot else None, reason=spec.reason, reverses=spec.reverses_id,
    )
    codes = PostedCodes(spec.item.sku, spec.item.tracking, spec.source.code, spec.target.code, spec.lot.code if spec.lot else None,
                        tuple(sorted(spec.serials)), actor.username if actor.user_id is not None else None)
    return PostedMove(id=move_id, **values, codes=codes)


def _valuate(ledger: ledger_sql.LedgerSQL, cursor: object, spec: MoveSpec) -> tuple[Decimal, Decimal]:
    """Unit cost and value of a move at moving-average cost, updating the item's valuation when stock
    enters or leaves the company's internal locations."""
    entering, leaving = spec.target.internal and not spec.source.internal, spec.source.internal and not spec.target.internal
    if not spec.source.internal and not spec.target.internal:
        return spec.unit_cost or Decimal(0), Decimal(0)
    on_hand, worth = ledger.valuation(cursor, spec.item.id, lock=entering or leaving)
    average = (worth / on_hand).quantize(COST_UNIT) if on_hand > 0 else Decimal(0)
    if entering and spec.value is not None:  # goods back from transit: worth what left the other warehouse
        value, cost = spec.value, (spec.value / spec.qty).quantize(COST_UNIT)
        ledger.add_valuation(cursor, spec.item.id, spec.qty, value)
        return cost, value
    if entering:
        cost = spec.unit_cost if spec.unit_cost is not None else average
        value = money(spec.qty * cost)
        ledger.add_valuation(cursor, spec.item.id, spec.qty, value)
        return cost, value
    if leaving:
        # The last units take whatever value is left, so rounding never strands a cent.
        if spec.qty >= on_hand:
            value = worth
        elif spec.value is not None:
            value = min(spec.value, worth)
        else:
            value = money(spec.qty * worth / on_hand)
        ledger.remove_valuation(cursor, spec.item.id, spec.qty, value)
        return (average if spec.value is None else (value / spec.qty).quantize(COST_UNIT)), value
    return average, Decimal(0)  # between the company's own locations: worth the same before and after


class _MoveColumns(TypedDict):
    """A new move's columns but its id (PostedMove's fields)."""

    item_id: int
    lot_id: int | None
    qty: Decimal
    from_location_id: int
    to_location_id: int
    unit_cost: Decimal
    value: Decimal
    reason: str
    ref_type: str | None
    ref_id: str | None
    reverses_id: int | None
    user_id: int | None
    device_id: str | None
    op_id: str | None
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class PostedCodes:
    """What a person reads of a move just posted, as the posting service resolved it: the answer needs no query."""

    sku: str
    tracking: str
    source: str
    target: str
    lot: str | None
    serials: tuple[str, ...]
    username: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class PostedMove:
    """A move as written to the ledger (the row's columns), returned by the posting services, with the codes it was posted
    with."""

    id: int
    item_id: int
    lot_id: int | None
    qty: Decimal
    from_location_id: int
    to_location_id: int
    unit_cost: Decimal
    value: Decimal
    reason: str
    ref_type: str | None
    ref_id: str | None
    reverses_id: int | None
    user_id: int | None
    device_id: str | None
    op_id: str | None
    created_at: dt.datetime
    codes: PostedCodes | None = None


def move(session: Session, actor: Actor, **fields: object) -> PostedMove:
    """Validate and post one move: the service behind `POST /stock/moves` and the `stock.move` operation."""
    return post_move(session, actor, prepare_move(session, actor, **fields))  # type: ignore[arg-type]


def insufficient(location: Location | LocationRef, item: Item | ItemRef, lot: Lot | None, on_hand: Decimal, reserved: Decimal, requested: Decimal) -> InsufficientStock:
    available = on_hand - reserved
    what_en = f"{item.sku}" + (f" lot {lot.code}" if lot else "")
    what_zh = f"{item.sku}" + (f" 批次 {lot.code}" if lot else "")
    held_en = f"holds {fmt(on_hand)} {item.unit}"
    held_zh = f"现有 {fmt(on_hand)} {item.unit}"
    if reserved:
        held_en += f" ({fmt(reserved)} reserved, {fmt(available)} available)"
        held_zh += f"（已预留 {fmt(reserved)}，可用 {fmt(available)}）"
    return InsufficientStock(
        f"Location {location.code} {held_en} of {what_en}; {fmt(requested)} requested.",
        f"库位 {location.code} 的 {what_zh} {held_zh}，需要 {fmt(requested)}。",
        location=location.code,
        sku=item.sku,
        lot=lot.code if lot else None,
        on_hand=fmt(on_hand),
        reserved=fmt(reserved),
        available=fmt(available),
        requested=fmt(requested),
    )


def _checked_serials(session: Session, spec: MoveSpec) -> list[Serial]:
    """The serial rows this move carries (new ones for goods arriving from outside), checked to be where the move says."""
    rows = {
        s.serial: s
        for s in session.scalars(
            select(Serial).where(Serial.item_id == spec.item.id, Serial.serial.in_(spec.serials)).with_for_update()
        )
    }
    checked = []
    for number in spec.serials:
        serial = rows.get(number)
        if spec.source.internal:
            if serial is None or serial.location_id != spec.source.id:
                where = _serial_place(session, serial)
                raise Conflict(
                    f"Serial {number} of {spec.item.sku} is not in {spec.source.code}{where[0]}.",
                    f"{spec.item.sku} 的序列号 {number} 不在 {spec.source.code}{where[1]}。",
                    code="serial_not_here",
                    serial=number,
                )
        elif serial is not None and serial.location_id is not None and _is_internal(session, serial.location_id):
            where = _serial_place(session, serial)
            raise Conflict(
                f"Serial {number} of {spec.item.sku} is already in stock{where[0]}.",
                f"{spec.item.sku} 的序列号 {number} 已在库{where[1]}。",
                code="serial_in_stock",
                serial=number,
            )
        if serial is None:
            serial = Serial(item_id=spec.item.id, serial=number, lot_id=spec.lot.id if spec.lot else None)
            session.add(serial)
        checked.append(serial)
    session.flush()
    return checked


def _link_serials(session: Session, spec: MoveSpec, move_id: int, serials: list[Serial]) -> None:
    for serial in serials:
        serial.location_id = spec.target.id
        session.execute(insert(MoveSerial).values(move_id=move_id, serial_id=serial.id))
    session.flush()


def _is_internal(session: Session, location_id: int) -> bool:
    return session.scalar(select(Location.kind).where(Location.id == location_id)) != "virtual"


def _serial_place(session: Session, serial: Serial | None) -> tuple[str, str]:
    if serial is None or serial.location_id is None:
        return (" (it is not known here)", "（系统中没有该序列号）")
    code = session.scalar(select(Location.code).where(Location.id == serial.location_id))
    return (f" (it is in {code})", f"（它在 {code}）")


# Reversal ---------------------------------------------------------------------------------------

# Moves a document posted and keeps count of (received, shipped, returned quantities): not reversed on their own.
DOCUMENT_MOVES = frozenset({"receipt", "so", "return", "purchase_return", "transfer"})


def reverse_move(session: Session, actor: Actor, move_id: int, *, reason: str = "", op_id: str | None = None) -> PostedMove:
    """Correct a mistake by posting the opposite move; the original stays in the ledger."""
    actor.require("stock.reverse")
    original = get_move(session, move_id)
    if original.ref_type in DOCUMENT_MOVES:
        raise Conflict(
            f"Move {move_id} belongs to {original.ref_type} {original.ref_id}; correct it through that document "
            "(a return, a cancellation), so the document and the stock stay in step.",
            f"移动 {move_id} 属于单据 {original.ref_id}，请通过该单据更正（退货、取消），使单据与库存保持一致。",
            code="document_move",
            document=original.ref_id,
        )
    if original.reverses_id is not None:
        raise Conflict(
            f"Move {move_id} is itself a reversal; post a new move instead.",
            f"移动 {move_id} 本身是冲销，请另行登记新的移动。",
            code="reversal_of_reversal",
        )
    already = session.scalar(select(Move.id).where(Move.reverses_id == move_id))
    if already is not None:
        raise Conflict(
            f"Move {move_id} was already reversed by move {already}.",
            f"移动 {move_id} 已被移动 {already} 冲销。",
            code="already_reversed",
            reversal=already,
        )
    item = ItemRef.of(session.get_one(Item, original.item_id))
    source = LocationRef.of(session.get_one(Location, original.to_location_id))
    target = LocationRef.of(session.get_one(Location, original.from_location_id))
    for loc in (source, target):
        _require_warehouse(actor, loc)
    serials = tuple(
        session.scalars(select(Serial.serial).join(MoveSerial, MoveSerial.serial_id == Serial.id).where(MoveSerial.move_id == move_id))
    )
    spec = MoveSpec(
        item=item,
        qty=original.qty,
        source=source,
        target=target,
        lot=session.get(Lot, original.lot_id) if original.lot_id else None,
        serials=serials,
        reason=reason or f"reversal of move {move_id}",
        unit_cost=original.unit_cost,
        ref_type=original.ref_type,
        ref_id=original.ref_id,
        op_id=op_id,
        reverses_id=move_id,
    )
    return post_move(session, actor, spec)


# Reservations -----------------------------------------------------------------------------------


def reserve(
    session: Session, actor: Actor, *, sku: str, location: str, qty: object, lot: str | None = None,
    ref_type: str | None = None, ref_id: str | None = None,
) -> Reservation:
    """Hold available stock for a document line; it stays on hand but is no longer available."""
    actor.require("stock.reserve")
    item = item_for_move(session, sku)
    quantity = positive_qty(qty, decimals=item.unit_decimals, unit=item.unit)
    loc = location_for_move(session, location, "from")
    _require_warehouse(actor, loc)
    if not loc.internal or loc.quarantine:
        raise InvalidInput(
            f"Stock can only be reserved in an available internal location, not {loc.code}.",
            f"只能在可用的内部库位预留库存，{loc.code} 不行。",
            code="not_reservable",
        )
    lot_row = lot_for_move(session, item, lot)
    lot_key = lot_row.id if lot_row else 0
    key = and_(Balance.item_id == item.id, Balance.location_id == loc.id, Balance.lot_key == lot_key)
    result = session.execute(
        update(Balance)
        .where(key, Balance.qty - Balance.reserved >= quantity)
        .values(reserved=Balance.reserved + quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        row = session.execute(select(Balance.qty, Balance.reserved).where(key)).first()
        on_hand, reserved = (row.qty, row.reserved) if row else (Decimal(0), Decimal(0))
        raise insufficient(loc, item, lot_row, on_hand, reserved, quantity)
    if loc.warehouse_id:
        note_stock_left(session, item.id, loc.warehouse_id)
    note_change(session, "balance", (item.id, loc.id, lot_key))
    reservation = Reservation(
        item_id=item.id, location_id=loc.id, lot_key=lot_key, qty=quantity,
        ref_type=ref_type, ref_id=ref_id, user_id=actor.user_id,
    )
    session.add(reservation)
    session.flush()
    record(session, actor, "stock.reserve", "reservation", reservation.id, sku=sku, location=location, qty=fmt(quantity), lot=lot)
    return reservation


def release(session: Session, actor: Actor, reservation_id: int) -> Reservation:
    actor.require("stock.reserve")
    reservation = session.get(Reservation, reservation_id, with_for_update=True)
    if reservation is None:
        raise NotFound(f"No reservation {reservation_id}.", f"没有预留 {reservation_id}。")
    if not reservation.open:
        raise Conflict(f"Reservation {reservation_id} is already closed.", f"预留 {reservation_id} 已关闭。", code="reservation_closed")
    _unreserve(session, reservation.item_id, reservation.location_id, reservation.lot_key, reservation.qty)
    released = reservation.qty
    reservation.qty = Decimal(0)
    reservation.open = False
    reservation.closed_at = utcnow()
    session.flush()
    record(session, actor, "stock.release", "reservation", reservation.id, qty=fmt(released))
    return reservation


def _unreserve(session: Session, item_id: int, location_id: int, lot_key: int, qty: Decimal) -> None:
    note_change(session, "balance", (item_id, location_id, lot_key))
    session.execute(
        update(Balance)
        .where(Balance.item_id == item_id, Balance.location_id == location_id, Balance.lot_key == lot_key)
        .values(reserved=Balance.reserved - qty, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _consume_reservation(session: Session, spec: MoveSpec, lot_key: int) -> None:
    """A pick against a reservation: the reserved quantity it takes stops being reserved."""
    reservation = session.get(Reservation, spec.reservation_id, with_for_update=True)
    if (
        reservation is None
        or not reservation.open
        or (reservation.item_id, reservation.location_id, reservation.lot_key) != (spec.item.id, spec.source.id, lot_key)
    ):
        raise Conflict(
            f"Reservation {spec.reservation_id} does not hold this stock.",
            f"预留 {spec.reservation_id} 与该库存不符。",
            code="reservation_mismatch",
        )
    used = min(reservation.qty, spec.qty)
    _unreserve(session, reservation.item_id, reservation.location_id, lot_key, used)
    reservation.qty -= used
    if reservation.qty == 0:
        reservation.open = False
        reservation.closed_at = utcnow()
    session.flush()


# Queries ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BalanceRow:
    sku: str
    location: str
    warehouse: str | None
    lot: str | None
    expiry: object
    qty: Decimal
    reserved: Decimal
    available: Decimal
    quarantine: bool


_WAREHOUSE = Location.__table__.alias("warehouse")
_BALANCE_COLUMNS = (
    Item.sku, Location.code, _WAREHOUSE.c.code, Lot.code, Lot.expiry,
    Balance.qty, Balance.reserved, Balance.internal, Location.quarantine,
)


def balance_sort() -> dict[str, Any]:
    """What the balance list may be sorted by, named as its answer's fields."""
    return {
        "sku": Item.sku, "location": Location.code, "warehouse": _WAREHOUSE.c.code, "lot": Lot.code, "expiry": Lot.expiry, "qty": Balance.qty,
        "reserved": Balance.reserved,
        "available": case((or_(Location.quarantine.is_(True), Balance.internal.is_(False)), 0), else_=Balance.qty - Balance.reserved),
        "quarantine": Location.quarantine,
    }


def balances(
    session: Session, *, sku: str | None = None, location: str | None = None, warehouse: str | None = None,
    include_zero: bool = False, include_virtual: bool = False, limit: int = 500, offset: int = 0, sort: str | None = None,
) -> tuple[list[BalanceRow], int]:
    """Balances by item, location and lot, or as `sort` asks; filters are codes. An unknown code is a 404, not an empty list."""
    query = (
        select(*_BALANCE_COLUMNS)
        .select_from(Balance)
        .join(Item, Balance.item_id == Item.id)
        .join(Location, Balance.location_id == Location.id)
        .outerjoin(_WAREHOUSE, Location.warehouse_id == _WAREHOUSE.c.id)
        .outerjoin(Lot, Balance.lot_id == Lot.id)
    )
    if sku:
        query = query.where(Item.sku == sku)
    if location:
        query = query.where(Location.code == location)
    if warehouse:
        query = query.where(_WAREHOUSE.c.code == warehouse, _WAREHOUSE.c.kind == "warehouse")
    if not include_virtual and not location:
        query = query.where(Balance.internal.is_(True))
    if not include_zero:
        query = query.where(Balance.qty != 0)
    ordered = sorted_by(query, sort, balance_sort(), default=(Item.sku, Location.code, Balance.lot_key), tiebreak=Balance.id)
    rows = session.execute(ordered.limit(limit).offset(offset)).all()
    if not rows:
        _check_filters_exist(session, sku=sku, location=location, warehouse=warehouse)
    # A first page that is not full is the whole answer; count only when there may be more.
    if offset == 0 and len(rows) < limit:
        total = len(rows)
    else:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    out = []
    for item_sku, loc_code, wh_code, lot_code, expiry, qty, reserved, internal, quarantine in rows:
        available = Decimal(0) if (quarantine or not internal) else qty - reserved
        out.append(BalanceRow(item_sku, loc_code, wh_code, lot_code, expiry, qty, reserved, available, quarantine))
    return out, total


def _check_filters_exist(session: Session, *, sku: str | None, location: str | None, warehouse: str | None) -> None:
    if sku and session.scalar(select(Item.id).where(Item.sku == sku)) is None:
        raise NotFound(f"No item with SKU {sku}.", f"没有 SKU 为 {sku} 的商品。", sku=sku)
    if location and session.scalar(select(Location.id).where(Location.code == location)) is None:
        raise NotFound(f"No location with code {location}.", f"没有编码为 {location} 的库位。", location=location)
    if warehouse and session.scalar(select(Location.id).where(Location.code == warehouse, Location.kind == "warehouse")) is None:
        raise NotFound(f"No warehouse with code {warehouse}.", f"没有编码为 {warehouse} 的仓库。", warehouse=warehouse)


def valuation_of(session: Session, actor: Actor, sku: str) -> tuple[Decimal, Decimal, Decimal]:
    """The company's quantity of an item, its value, and the moving-average cost."""
    from server.catalog.services import get_item

    actor.require("costs.read")
    item = get_item(session, sku)
    row = session.get(Valuation, item.id)
    qty, value = (row.qty, row.value) if row else (Decimal(0), Decimal(0))
    return qty, value, (value / qty).quantize(COST_UNIT) if qty > 0 else Decimal(0)


def get_move(session: Session, move_id: int) -> Move:
    move = session.get(Move, move_id)
    if move is None:
        raise NotFound(f"No move {move_id}.", f"没有移动记录 {move_id}。", move=move_id)
    return move


def move_sort() -> dict[str, Any]:
    """What the ledger may be sorted by, named as its answer's fields (unit cost and value only for those who may see costs)."""
    return {
        "id": Move.id, "created_at": Move.created_at, "sku": looked_up(Item.sku, Item.id == Move.item_id), "qty": Move.qty,
        "from": looked_up(Location.code, Location.id == Move.from_location_id), "to": looked_up(Location.code, Location.id == Move.to_location_id),
        "lot": looked_up(Lot.code, Lot.id == Move.lot_id), "unit_cost": Move.unit_cost, "value": Move.value, "reason": Move.reason,
        "ref_type": Move.ref_type, "ref_id": Move.ref_id,
    }


def moves_of(
    session: Session, *, sku: str | None, location: str | None, limit: int, offset: int, warehouse: str | None = None,
    date_from: dt.date | None = None, date_to: dt.date | None = None, ref: str | None = None, sort: str | None = None,
    hidden: Collection[str] = (),
) -> tuple[list[Move], int]:
    """The ledger, newest first or as `sort` asks (not by the fields in `hidden`): moves of an item, touching a location or a
    warehouse (either end), in a range of local days, or caused by a document (`ref`: its number, or `type:number`)."""
    _check_filters_exist(session, sku=sku, location=location, warehouse=warehouse)
    query = select(Move)
    if sku:
        query = query.where(Move.item_id == select(Item.id).where(Item.sku == sku).scalar_subquery())
    if location:
        loc_id = select(Location.id).where(Location.code == location).scalar_subquery()
        query = query.where((Move.from_location_id == loc_id) | (Move.to_location_id == loc_id))
    if warehouse:
        inside = select(Location.id).where(
            Location.warehouse_id == select(Location.id).where(Location.code == warehouse, Location.kind == "warehouse").scalar_subquery()
        )
        query = query.where(Move.from_location_id.in_(inside) | Move.to_location_id.in_(inside))
    start, end = day_range(date_from, date_to)
    if start:
        query = query.where(Move.created_at >= start)
    if end:
        query = query.where(Move.created_at < end)
    if ref:
        kind, _, number = ref.partition(":") if ":" in ref else ("", "", ref)
        query = query.where(Move.ref_id == number)
        if kind:
            query = query.where(Move.ref_type == kind)
    ordered = sorted_by(query, sort, move_sort(), default=(Move.id.desc(),), tiebreak=Move.id, hidden=hidden)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(ordered.limit(limit).offset(offset))), total


def reversals_of(session: Session, move_ids: Sequence[int]) -> dict[int, int]:
    """For each of these moves that was reversed, the move that reversed it."""
    if not move_ids:
        return {}
    return dict(session.execute(select(Move.reverses_id, Move.id).where(Move.reverses_id.in_(list(move_ids)))).all())  # type: ignore[arg-type]


# Reservations a sales order holds name its line (ref_id is the line's id), before and after picking.
ORDER_LINE_REFS = ("so_line", "so_staged")


def orders_of(session: Session, rows: Sequence[Reservation]) -> dict[int, str]:
    """The sales order number behind each reservation held for an order line."""
    from sqlalchemy import String, cast

    from server.sales.models import SalesOrder, SalesOrderLine

    line_ids = {r.ref_id for r in rows if r.ref_type in ORDER_LINE_REFS and r.ref_id}
    if not line_ids:
        return {}
    numbers = dict(session.execute(
        select(cast(SalesOrderLine.id, String), SalesOrder.number)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.so_id)
        .where(cast(SalesOrderLine.id, String).in_(line_ids))
    ).all())
    return {r.id: numbers[r.ref_id] for r in rows if r.ref_type in ORDER_LINE_REFS and r.ref_id in numbers}


def reservation_sort() -> dict[str, Any]:
    """What the reservation list may be sorted by, named as its answer's fields."""
    return {
        "id": Reservation.id, "created_at": Reservation.created_at, "sku": looked_up(Item.sku, Item.id == Reservation.item_id),
        "location": looked_up(Location.code, Location.id == Reservation.location_id), "qty": Reservation.qty, "open": Reservation.open,
        "ref_type": Reservation.ref_type, "ref_id": Reservation.ref_id,
    }


def reservations_of(
    session: Session, *, sku: str | None = None, warehouse: str | None = None, ref: str | None = None, open_only: bool = True,
    limit: int = 50, offset: int = 0, sort: str | None = None,
) -> tuple[list[Reservation], int]:
    """Reservations, newest first or as `sort` asks: of an item, in a warehouse, or held for a document (`ref`: its number; a
    sales order's number finds those of its lines)."""
    from sqlalchemy import String, cast

    from server.sales.models import SalesOrder, SalesOrderLine

    _check_filters_exist(session, sku=sku, location=None, warehouse=warehouse)
    query = select(Reservation)
    if sku:
        query = query.where(Reservation.item_id == select(Item.id).where(Item.sku == sku).scalar_subquery())
    if warehouse:
        wh = select(Location.id).where(Location.code == warehouse, Location.kind == "warehouse").scalar_subquery()
        query = query.where(Reservation.location_id.in_(select(Location.id).where(Location.warehouse_id == wh)))
    if ref:
        order_lines = select(cast(SalesOrderLine.id, String)).join(SalesOrder, SalesOrder.id == SalesOrderLine.so_id).where(
            SalesOrder.number == ref
        )
        query = query.where((Reservation.ref_id == ref) | (Reservation.ref_type.in_(ORDER_LINE_REFS) & Reservation.ref_id.in_(order_lines)))
    if open_only:
        query = query.where(Reservation.open.is_(True))
    ordered = sorted_by(query, sort, reservation_sort(), default=(Reservation.id.desc(),), tiebreak=Reservation.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(ordered.limit(limit).offset(offset))), total
