"""Transfer orders (调拨单): goods one warehouse asks another for, as a document.

Asked for (draft, submitted), approved by someone who may approve transfers (not the one who asked), shipped by the
sending warehouse — each line from a location there into TRANSIT, at the moving-average cost, so the goods sit in
goods in transit (1402) — and received by the other, into a location there at what they left at. Less arriving than
was shipped is a difference: recorded on the line with its reason, written off from transit as a loss pending
approval (1901), like a stocktake loss.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.catalog.services import item_for_move
from server.documents import flows
from server.documents.flows import transition
from server.documents.services import check_signed_version, get_document, next_number, page, touch
from server.errors import Conflict, Forbidden, InvalidInput
from server.finance.services import COUNTERPART, money, post_journal
from server.inventory import services as ledger
from server.inventory.models import TransferLine, TransferOrder
from server.locations.models import Location
from server.locations.services import get_warehouse, location_for_move
from server.quantities import as_decimal, positive_qty
from server.schemas import fmt
from server.sorting import looked_up

TRANSIT_ACCOUNT, LOSSES = COUNTERPART["TRANSIT"], COUNTERPART["ADJUSTMENT"]


@dataclasses.dataclass(frozen=True)
class TransferLineIn:
    sku: str
    qty: object


@dataclasses.dataclass(frozen=True)
class ShipIn:
    line: int
    qty: object
    location: str  # where in the sending warehouse the goods are taken from
    lot: str | None = None
    serials: Sequence[str] = ()


@dataclasses.dataclass(frozen=True)
class ReceiveIn:
    line: int
    qty: object  # what arrived (0: nothing of the line did)
    location: str  # where in the receiving warehouse it goes
    note: str = ""  # why less arrived than was shipped
    serials: Sequence[str] = ()  # of a serial-numbered line, the shipped serials that arrived (none named: the first `qty`)


def get_transfer(session: Session, number: str, *, lock: bool = False) -> TransferOrder:
    return get_document(session, TransferOrder, number, "transfer order", "调拨单", lock=lock)


def _in_warehouse(session: Session, code: str, warehouse: Location, field: str) -> Location:
    place = location_for_move(session, code, field)
    if place.warehouse_id != warehouse.id or not place.internal:
        raise InvalidInput(f"{code} is not a location of warehouse {warehouse.code}.", f"{code} 不是仓库 {warehouse.code} 的库位。",
                           code="wrong_warehouse", field=field)
    return place


def create_transfer(
    session: Session, actor: Actor, *, from_warehouse: str, to_warehouse: str, lines: Sequence[TransferLineIn], needed_by: dt.date | None = None,
    note: str = "",
) -> TransferOrder:
    """A draft transfer order: what `to_warehouse` asks `from_warehouse` for."""
    actor.require("transfers.request")
    source, target = get_warehouse(session, from_warehouse, "from_warehouse"), get_warehouse(session, to_warehouse, "to_warehouse")
    if source.id == target.id:
        raise InvalidInput("A transfer goes between two different warehouses.", "调拨须在两个不同的仓库之间进行。", code="same_location",
                           field="to_warehouse")
    if not lines:
        raise InvalidInput("A transfer order needs at least one line.", "调拨单至少需要一行。", code="no_lines")
    order = TransferOrder(number=next_number(session, "TO"), status="draft", from_warehouse_id=source.id, to_warehouse_id=target.id,
                          needed_by=needed_by, note=note, created_by=actor.user_id)
    for n, entry in enumerate(lines, 1):
        item = item_for_move(session, entry.sku)
        qty = positive_qty(entry.qty, decimals=item.unit_decimals, unit=item.unit)
        order.lines.append(TransferLine(line_no=n, item_id=item.id, qty=qty))
    session.add(order)
    session.flush()
    record(session, actor, "transfer.create", "transfer", order.number, from_=from_warehouse, to=to_warehouse, lines=len(lines))
    return order


def decide(session: Session, actor: Actor, number: str, action: str, *, version: int | None = None, comment: str = "") -> TransferOrder:
    """submit, approve, reject, revise or cancel: approving or rejecting is for someone other than who asked."""
    _, permission = flows.TRANSFER.doors[action]
    actor.require(permission)
    order = get_transfer(session, number, lock=True)
    check_signed_version(order, version, "Transfer order", "调拨单")
    if action in ("approve", "reject") and order.created_by is not None and order.created_by == actor.user_id:
        raise Forbidden("Someone else approves the transfer you asked for.", "自己申请的调拨须由他人审批。", code="own_document")
    transition(order, action)
    if action == "approve":
        order.approved_by = actor.user_id
    record(session, actor, f"transfer.{action}", "transfer", number, comment=comment or None)
    return order


def submit_transfer(session: Session, actor: Actor, number: str, *, version: int | None = None) -> TransferOrder:
    return decide(session, actor, number, "submit", version=version)


def approve_transfer(session: Session, actor: Actor, number: str, *, version: int | None = None, comment: str = "") -> TransferOrder:
    return decide(session, actor, number, "approve", version=version, comment=comment)


def reject_transfer(session: Session, actor: Actor, number: str, *, version: int | None = None, comment: str = "") -> TransferOrder:
    return decide(session, actor, number, "reject", version=version, comment=comment)


def revise_transfer(session: Session, actor: Actor, number: str, *, version: int | None = None) -> TransferOrder:
    return decide(session, actor, number, "revise", version=version)


def cancel_transfer(session: Session, actor: Actor, number: str, *, version: int | None = None, comment: str = "") -> TransferOrder:
    return decide(session, actor, number, "cancel", version=version, comment=comment)


def ship_transfer(session: Session, actor: Actor, number: str, lines: Sequence[ShipIn], *, version: int | None = None) -> TransferOrder:
    """The sending warehouse ships: each line from a location there into TRANSIT, no more than was asked for."""
    actor.require("stock.move")
    order = get_transfer(session, number, lock=True)
    check_signed_version(order, version, "Transfer order", "调拨单")
    flows.TRANSFER.check(number, order.status, "ship")
    source = session.get_one(Location, order.from_warehouse_id)
    ledger._require_warehouse(actor, source)
    by_no = {line.line_no: line for line in order.lines}
    if not lines:
        raise InvalidInput("Say what is shipped.", "请填写发出的数量。", code="no_lines")
    for n, entry in enumerate(lines):
        line = by_no.get(entry.line)
        if line is None:
            raise InvalidInput(f"Transfer order {number} has no line {entry.line}.", f"调拨单 {number} 没有第 {entry.line} 行。", code="unknown_line",
                               field=f"lines[{n}].line")
        item = session.get_one(Item, line.item_id)
        qty = positive_qty(entry.qty, decimals=item.unit_decimals, unit=item.unit)
        if line.shipped_qty + qty > line.qty:
            raise Conflict(f"Line {entry.line} ({item.sku}): {fmt(line.qty)} was asked for; {fmt(line.shipped_qty + qty)} cannot be shipped.",
                           f"第 {entry.line} 行（{item.sku}）申请 {fmt(line.qty)}，不能发出 {fmt(line.shipped_qty + qty)}。", code="over_shipment",
                           field=f"lines[{n}].qty")
        place = _in_warehouse(session, entry.location, source, f"lines[{n}].location")
        move = ledger.move(session, actor, sku=item.sku, qty=qty, source=place.code, target="TRANSIT", lot=entry.lot, serials=entry.serials,
                           reason=f"transfer {number} to {session.get_one(Location, order.to_warehouse_id).code}", ref_type="transfer", ref_id=number)
        if line.shipped_qty and line.lot_id != move.lot_id:
            raise Conflict(f"Line {entry.line} ships one lot; make another line for lot {entry.lot}.", f"第 {entry.line} 行只能发一个批次。",
                           code="lot_mismatch", field=f"lines[{n}].lot")
        line.shipped_qty += qty
        line.value += move.value
        line.lot_id, line.from_location_id = move.lot_id, place.id
        line.serials = [*line.serials, *entry.serials]
    transition(order, "ship")
    order.shipped_at = utcnow()
    session.flush()
    record(session, actor, "transfer.ship", "transfer", number, lines=len(lines))
    return order


def receive_transfer(session: Session, actor: Actor, number: str, lines: Sequence[ReceiveIn], *, version: int | None = None,
                     op_id: str | None = None) -> TransferOrder:
    """The receiving warehouse takes the goods in: each shipped line into a location there at what it left at. A line not
    named arrived in full into the first location named; less than shipped is a difference, with its reason. The
    `transfer.receive` operation of a phone calls it as the route does, with its op id on the moves."""
    actor.require("stock.move")
    order = get_transfer(session, number, lock=True)
    # The state first: a transfer someone else received meanwhile is refused as received, not as a newer version.
    flows.TRANSFER.check(number, order.status, "receive")
    check_signed_version(order, version, "Transfer order", "调拨单")
    target = session.get_one(Location, order.to_warehouse_id)
    ledger._require_warehouse(actor, target)
    by_no = {entry.line: (n, entry) for n, entry in enumerate(lines)}
    unknown = sorted(set(by_no) - {line.line_no for line in order.lines})
    if unknown:
        raise InvalidInput(f"Transfer order {number} has no line {unknown[0]}.", f"调拨单 {number} 没有第 {unknown[0]} 行。", code="unknown_line")
    if not lines:
        raise InvalidInput("Say where the goods go.", "请填写入库库位。", code="location_required", field="lines")
    losses: list[tuple[str, Decimal, Decimal]] = []
    for line in order.lines:
        if not line.shipped_qty:
            continue
        n, entry = by_no.get(line.line_no, (0, ReceiveIn(line.line_no, line.shipped_qty, lines[0].location)))
        item = session.get_one(Item, line.item_id)
        qty = as_decimal(entry.qty, f"lines[{n}].qty")
        if qty < 0 or qty > line.shipped_qty or qty != qty.quantize(Decimal(1).scaleb(-item.unit_decimals)):
            raise InvalidInput(f"Line {line.line_no} ({item.sku}): between 0 and the {fmt(line.shipped_qty)} shipped can arrive, not {fmt(qty)}.",
                               f"第 {line.line_no} 行（{item.sku}）：到货数量应在 0 到发出的 {fmt(line.shipped_qty)} 之间，不能是 {fmt(qty)}。",
                               code="over_receipt", field=f"lines[{n}].qty")
        short = line.shipped_qty - qty
        if short and not entry.note.strip():
            raise InvalidInput(f"Line {line.line_no} ({item.sku}): {fmt(short)} did not arrive; say why.",
                               f"第 {line.line_no} 行（{item.sku}）少到 {fmt(short)}，请说明原因。", code="reason_required", field=f"lines[{n}].note")
        place = _in_warehouse(session, entry.location, target, f"lines[{n}].location")
        lot = session.scalar(select(Lot.code).where(Lot.id == line.lot_id)) if line.lot_id else None
        value = line.value if not short else money(line.value * qty / line.shipped_qty)
        arrived, missing = _arrived_serials(line, entry, qty, item.sku, n)
        if qty:
            spec = ledger.prepare_move(session, actor, sku=item.sku, qty=qty, source="TRANSIT", target=place.code, lot=lot, serials=arrived,
                                       reason=f"transfer {number} received", ref_type="transfer", ref_id=number, op_id=op_id)
            ledger.post_move(session, actor, dataclasses.replace(spec, value=value))
        if short:
            # What never arrived leaves transit as a loss to be looked into, as a stocktake loss is.
            ledger.move(session, actor, sku=item.sku, qty=short, source="TRANSIT", target="ADJUSTMENT", lot=lot,
                        serials=missing, reason=f"transfer {number}: {entry.note}"[:200],
                        ref_type="transfer", ref_id=number, op_id=op_id)
            losses.append((item.sku, short, line.value - value))
        line.received_qty, line.to_location_id, line.difference_note = qty, place.id, entry.note.strip() if short else ""
    for sku, short, lost in losses:
        post_journal(session, actor, source_type="transfer", source_id=number, memo=f"{number} {sku} {fmt(short)} short",
                     lines=[(LOSSES, lost, Decimal(0)), (TRANSIT_ACCOUNT, Decimal(0), lost)])
    transition(order, "receive")
    order.received_at = utcnow()
    session.flush()
    record(session, actor, "transfer.receive", "transfer", number, short=[[sku, fmt(qty)] for sku, qty, _ in losses] or None)
    return order


def _arrived_serials(line: TransferLine, entry: ReceiveIn, qty: Decimal, sku: str, n: int) -> tuple[list[str], list[str]]:
    """Of a serial-numbered line's shipped serials, those that arrived and those that did not: the ones named (each
    shipped on the line, once, as many as arrived), or else the first `qty` of them."""
    shipped = list(line.serials or [])
    if not entry.serials:
        return shipped[: int(qty)], shipped[int(qty):]
    named = list(entry.serials)
    strangers = [serial for serial in named if serial not in shipped]
    if strangers:
        raise InvalidInput(f"Line {line.line_no} ({sku}): serial {strangers[0]} was not shipped on this transfer.",
                           f"第 {line.line_no} 行（{sku}）：序列号 {strangers[0]} 不在本调拨单发出的序列号中。", code="serial_not_here",
                           field=f"lines[{n}].serials", serial=strangers[0])
    if len(set(named)) != len(named) or len(named) != qty:
        raise InvalidInput(f"Line {line.line_no} ({sku}): name each serial that arrived once ({fmt(qty)} arrived, {len(named)} serials named).",
                           f"第 {line.line_no} 行（{sku}）：到货的序列号每个写一次（到货 {fmt(qty)}，序列号 {len(named)} 个）。",
                           code="serials_mismatch", field=f"lines[{n}].serials")
    return named, [serial for serial in shipped if serial not in set(named)]


def transfer_sort() -> dict[str, object]:
    return {
        "number": TransferOrder.number, "status": TransferOrder.status, "created_at": TransferOrder.created_at,
        "from_warehouse": looked_up(Location.code, Location.id == TransferOrder.from_warehouse_id),
        "to_warehouse": looked_up(Location.code, Location.id == TransferOrder.to_warehouse_id), "needed_by": TransferOrder.needed_by,
    }


def list_transfers(session: Session, *, status: str | None, warehouse: str | None, limit: int, offset: int,
                   sort: str | None = None, to_warehouse: str | None = None) -> tuple[list[TransferOrder], int]:
    """Transfer orders, newest first or as `sort` asks: of a state, to or from a warehouse, or coming to one."""
    query = select(TransferOrder)
    if status:
        query = query.where(TransferOrder.status == status)
    if warehouse:
        wh = get_warehouse(session, warehouse)
        query = query.where((TransferOrder.from_warehouse_id == wh.id) | (TransferOrder.to_warehouse_id == wh.id))
    if to_warehouse:
        query = query.where(TransferOrder.to_warehouse_id == get_warehouse(session, to_warehouse, "to_warehouse").id)
    return page(session, query, TransferOrder, limit, offset, sort=sort, fields=transfer_sort())


def touch_note(session: Session, actor: Actor, number: str, *, version: int | None, note: str | None = None,
               needed_by: dt.date | None = None) -> TransferOrder:
    actor.require("transfers.request")
    order = get_transfer(session, number, lock=True)
    check_signed_version(order, version, "Transfer order", "调拨单")
    fields = {f for f, v in (("note", note), ("needed_by", needed_by)) if v is not None}
    flows.TRANSFER.require_editable(number, order.status, fields)
    if note is not None:
        order.note = note
    if needed_by is not None:
        order.needed_by = needed_by
    if fields:
        touch(order)
        record(session, actor, "transfer.update", "transfer", number, fields=sorted(fields))
    return order
