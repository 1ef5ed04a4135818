"""Transfer orders (调拨单): goods one warehouse asks another for, as a document.

Asked for (draft, submitted), approved level by level by those the approval rules name for its value at average cost
(not the one who asked; none named, it is approved as it is submitted), shipped by the sending warehouse — each line from a location there into TRANSIT, at the moving-average cost, so the goods sit in
goods in transit (1402) — and received by the other, into a location there at what they left at. Less arriving than
was shipped is a difference: recorded on the line with its reason, written off from transit as a loss pending
approval (1901), like a stocktake loss. Until it is shipped its lines may change; a change once submitted is approved
afresh, as the rules say for what it now asks for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.documents import approvals, flows
from server.documents.flows import transition
from server.documents.lines import item_qty_lines, replace_lines
from server.documents.models import Approval
from server.documents.services import check_signed_version, get_document, next_number, page, touch
from server.errors import Conflict, InvalidInput
from server.finance.services import COUNTERPART, money, post_journal
from server.inventory import services as ledger
from server.inventory.models import TransferLine, TransferOrder
from server.locations.models import Location
from server.locations.services import get_warehouse, location_for_move
from server.quantities import as_decimal, positive_qty
from server.schemas import fmt
from server.sorting import looked_up, sorted_by

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
    order = TransferOrder(number=next_number(session, "TO"), status="draft", from_warehouse_id=source.id, to_warehouse_id=target.id,
                          needed_by=needed_by, note=note, created_by=actor.user_id, lines=_transfer_lines(session, lines))
    session.add(order)
    session.flush()
    record(session, actor, "transfer.create", "transfer", order.number, from_=from_warehouse, to=to_warehouse, lines=len(lines))
    return order


def _transfer_lines(session: Session, lines: Sequence[TransferLineIn]) -> list[TransferLine]:
    return item_qty_lines(session, lines, TransferLine,
                          InvalidInput("A transfer order needs at least one line.", "调拨单至少需要一行。", code="no_lines"))


def transfer_value(session: Session, order: TransferOrder) -> Decimal:
    """What a transfer order's goods are worth in yuan at their average cost (an item the company holds none of: nothing)."""
    costs = approvals.average_costs(session, {line.item_id for line in order.lines})
    return sum((money(line.qty * costs.get(line.item_id, Decimal(0))) for line in order.lines), Decimal(0))


def transfer_facts(session: Session, order: TransferOrder) -> approvals.Facts:
    """What the approval rules judge a transfer order by: its value at average cost, both its warehouses and its items."""
    return approvals.Facts(transfer_value(session, order), frozenset({order.from_warehouse_id, order.to_warehouse_id}),
                           frozenset(line.item_id for line in order.lines))


def _warehouses(session: Session, order: TransferOrder) -> list[Location]:
    return [session.get_one(Location, order.from_warehouse_id), session.get_one(Location, order.to_warehouse_id)]


def may_decide(session: Session, actor: Actor, order: TransferOrder) -> bool:
    """Whether the level a pending transfer order waits at is `actor`'s to sign: its role, one of its two warehouses, not the
    one who asked for it nor one who signed an earlier level."""
    return approvals.may_approve_next(session, actor, "transfer_order", order, [order.from_warehouse_id, order.to_warehouse_id])


def approvals_on(session: Session, order: TransferOrder) -> list[tuple[Approval, str]]:
    """Every decision taken on a transfer order (void ones too), oldest first, with who took it."""
    from server.auth.models import User

    return [(a, user) for a, user in session.execute(
        select(Approval, User.username).join(User, Approval.user_id == User.id)
        .where(Approval.doc_type == "transfer", Approval.doc_id == order.id).order_by(Approval.id)
    )]


def _submit(session: Session, actor: Actor, order: TransferOrder) -> None:
    """Sent for approval: the first approval rule it matches names the levels; none matching, it is approved at once."""
    order.approval_roles = approvals.levels_for(session, "transfer_order", transfer_facts(session, order))
    transition(order, "submit" if order.approval_roles else "release")


def decide(session: Session, actor: Actor, number: str, action: str, *, version: int | None = None, comment: str = "") -> TransferOrder:
    """submit, approve (one level; the last approves it), reject (saying why), revise or cancel: approving or rejecting is for
    someone other than who asked, of the role the level waits for."""
    _, permission = flows.TRANSFER.doors[action]
    actor.require(permission)
    if action == "reject":
        approvals.require_comment("transfer_order", comment)
    order = get_transfer(session, number, lock=True)
    if action in ("approve", "reject"):
        flows.TRANSFER.check(number, order.status, action)
    check_signed_version(order, version, "Transfer order", "调拨单")
    details: dict[str, Any] = {}
    if action == "submit":
        flows.TRANSFER.check(number, order.status, action)
        _submit(session, actor, order)
        details = {"levels": order.approval_roles}
    elif action == "approve":
        level = approvals.sign(session, actor, "transfer_order", order, version=version or order.version, comment=comment,
                               warehouses=_warehouses(session, order))
        transition(order, "approve" if level == len(order.approval_roles) else "sign")
        details = {"level": level, "of": len(order.approval_roles)}
    elif action == "reject":
        level = approvals.refuse(session, actor, "transfer_order", order, version=version or order.version, comment=comment,
                                 warehouses=_warehouses(session, order))
        transition(order, "reject")
        details = {"level": level}
    else:
        transition(order, action)
        approvals.void(session, "transfer_order", order.id)
    if order.status == "approved" and action in ("approve", "submit"):
        order.approved_by = actor.user_id if action == "approve" else None
    session.flush()
    record(session, actor, f"transfer.{action}", "transfer", number, comment=comment or None, **details)
    if order.status == "pending":
        _notify_next_approver(session, order)
    elif action in ("approve", "reject") and order.created_by is not None:
        _notify_creator(session, actor, order, comment)
    return order


def _notify_next_approver(session: Session, order: TransferOrder) -> None:
    source, target = (w.code for w in _warehouses(session, order))
    skus = dict(session.execute(select(Item.id, Item.sku).where(Item.id.in_({line.item_id for line in order.lines}))).all())
    goods = [f"{skus[line.item_id]} × {fmt(line.qty)}" for line in order.lines]
    approvals.tell_next_approvers(
        session, "transfer_order", order, warehouse_ids=[order.from_warehouse_id, order.to_warehouse_id], with_admins=True,
        title_zh=f"调拨单 {order.number} 待审批", title_en=f"Transfer order {order.number} awaits approval",
        body_zh=f"{source} → {target}：{'、'.join(goods)}", body_en=f"{source} → {target}: {', '.join(goods)}",
    )


def _notify_creator(session: Session, actor: Actor, order: TransferOrder, comment: str) -> None:
    from server.notifications.services import notify

    said_zh, said_en = ("已批准", "approved") if order.status == "approved" else ("被驳回", "rejected")
    notify(
        session, users=[order.created_by] if order.created_by else [], kind="transfer.decided",
        title_zh=f"调拨单 {order.number} {said_zh}", title_en=f"Transfer order {order.number} {said_en}",
        body_zh=f"{actor.username}：{comment}" if comment else actor.username, body_en=f"{actor.username}: {comment}" if comment else actor.username,
        ref_type="transfer", ref_id=order.number,
    )


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
                   sort: str | None = None, to_warehouse: str | None = None, awaiting: Actor | None = None) -> tuple[list[TransferOrder], int]:
    """Transfer orders, newest first or as `sort` asks: of a state, to or from a warehouse, or coming to one; with `awaiting`,
    only the pending ones waiting at a level that user may sign (oldest first without a sort)."""
    query = select(TransferOrder)
    if status:
        query = query.where(TransferOrder.status == status)
    if warehouse:
        wh = get_warehouse(session, warehouse)
        query = query.where((TransferOrder.from_warehouse_id == wh.id) | (TransferOrder.to_warehouse_id == wh.id))
    if to_warehouse:
        query = query.where(TransferOrder.to_warehouse_id == get_warehouse(session, to_warehouse, "to_warehouse").id)
    if awaiting is not None:
        if not awaiting.can("transfers.approve"):
            return [], 0
        ordered = sorted_by(query.where(TransferOrder.status == "pending"), sort, transfer_sort(), default=(TransferOrder.id,),
                            tiebreak=TransferOrder.id)
        rows = [order for order in session.scalars(ordered) if may_decide(session, awaiting, order)]
        return rows[offset : offset + limit], len(rows)
    return page(session, query, TransferOrder, limit, offset, sort=sort, fields=transfer_sort())


def update_transfer(
    session: Session, actor: Actor, number: str, *, version: int | None, note: str | None = None, needed_by: dt.date | None = None,
    lines: Sequence[TransferLineIn] | None = None,
) -> TransferOrder:
    """Change a transfer order where its state allows: the note; as a draft, the date needed by; until it is shipped, its
    lines (added, removed, quantities changed). A change while it waits for approval, or a change of the lines once it is
    approved, voids the approvals given, and the rules decide afresh who approves what it now asks for."""
    actor.require("transfers.request")
    order = get_transfer(session, number, lock=True)
    check_signed_version(order, version, "Transfer order", "调拨单")
    fields = {f for f, v in (("note", note), ("needed_by", needed_by), ("lines", lines)) if v is not None}
    flows.TRANSFER.require_editable(number, order.status, fields)
    if note is not None:
        order.note = note
    if needed_by is not None:
        order.needed_by = needed_by
    if lines is not None:
        replace_lines(order.lines, _transfer_lines(session, lines), ("item_id", "qty"))
    if not fields:
        return order
    session.flush()
    was, voided = order.status, 0
    if was == "pending" or (was == "approved" and lines is not None):
        voided = approvals.void(session, "transfer_order", order.id)
        order.approval_roles = approvals.levels_for(session, "transfer_order", transfer_facts(session, order))
        order.approved_by = None
    if was == "pending" and not order.approval_roles:
        transition(order, "release")
    elif was == "approved" and order.approval_roles and lines is not None:
        transition(order, "edit")
    else:
        touch(order)
    session.flush()
    record(session, actor, "transfer.update", "transfer", number, fields=sorted(fields), version=order.version, voided_approvals=voided or None,
           levels=order.approval_roles if order.status == "pending" else None)
    if order.status == "pending" and (voided or was != "pending"):
        _notify_next_approver(session, order)
    return order
