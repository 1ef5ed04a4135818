"""Receipts: counting goods in at the dock, inspection (accepted to put-away, rejected to quarantine), and put-away into bins."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.catalog.schemas import LotCreate
from server.catalog.services import create_lot, find_lot, item_for_move, lot_for_move
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.lines import base_price
from server.documents.services import check_signed_version, next_number, touch
from server.errors import Conflict, InvalidInput, NotFound, UnknownReference
from server.finance.currency import rate_on
from server.finance.services import money
from server.inventory import services as ledger
from server.inventory.models import Balance
from server.locations.models import Location
from server.locations.services import location_for_move
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine, PutawayTask, Receipt, ReceiptLine
from server.purchasing.services.common import _require_warehouse, _warehouse, get_po, get_receipt
from server.purchasing.services.orders import _save
from server.quantities import as_decimal, positive_qty
from server.schemas import fmt

OVER_RECEIPT_TOLERANCE = Decimal("0.05")  # may receive up to 5 % more than ordered
RECEIVED_RATE_UNIT = Decimal(1).scaleb(-10)  # the order line's received_rate column


def create_receipt(session: Session, actor: Actor, *, po: str, dock: str | None = None, note: str = "") -> Receipt:
    """Start receiving against an approved purchase order, into the warehouse's dock (`<WAREHOUSE>-DOCK` by default)."""
    actor.require("purchase.receive")
    order = get_po(session, po, lock=True)
    flows.PURCHASE_ORDER.check(po, order.status, "receive")
    wh = session.get_one(Location, order.warehouse_id)
    _require_warehouse(actor, wh)
    dock_code = dock or f"{wh.code}-DOCK"
    dock_row = session.scalar(select(Location).where(Location.code == dock_code))
    if dock_row is None or dock_row.warehouse_id != wh.id or not dock_row.internal:
        raise UnknownReference(
            f"No receiving dock {dock_code} in warehouse {wh.code}; name the location to receive into.",
            f"仓库 {wh.code} 没有收货区 {dock_code}，请指定收货库位。",
            code="unknown_dock",
            location=dock_code,
        )
    # Goods are valued in yuan at the rate of the day they arrive (the order's currency; the rate of a day before the
    # order's, at the latest, exists: the order needed one).
    rate = rate_on(session, order.currency, local_today())
    receipt = Receipt(number=next_number(session, "GRN"), status="open", po_id=order.id, warehouse_id=wh.id, dock_id=dock_row.id, note=note,
                      exchange_rate=rate, created_by=actor.user_id)
    session.add(receipt)
    session.flush()
    record(session, actor, "receipt.create", "receipt", receipt.number, po=po, dock=dock_code)
    return receipt


def open_receipt_for(session: Session, actor: Actor, po: str) -> Receipt:
    """The receipt being counted in against an order (still open), or a new one: a phone receiving offline knows the
    order it scanned, not a receipt number the server has yet to give."""
    actor.require("purchase.receive")
    order = get_po(session, po, lock=True)  # one at a time per order: two phones starting together share one receipt
    found = session.scalar(select(Receipt).where(Receipt.po_id == order.id, Receipt.status == "open").order_by(Receipt.id).limit(1))
    return found if found is not None else create_receipt(session, actor, po=po)


@dataclasses.dataclass(frozen=True)
class ReceiveIn:
    """One scanned or typed receipt line."""

    sku: str
    qty: object
    po_line: int | None = None
    lot: str | None = None
    expiry: dt.date | None = None
    serials: Sequence[str] = ()
    op_id: str | None = None


def receive_line(
    session: Session, actor: Actor, number: str, *, sku: str, qty: object, po_line: int | None = None, lot: str | None = None,
    expiry: dt.date | None = None, serials: Sequence[str] = (), op_id: str | None = None,
) -> ReceiptLine:
    """Goods counted in at the dock: a move from SUPPLIER at the order's price, within the over-receipt tolerance."""
    return receive_lines(session, actor, number, [ReceiveIn(sku, qty, po_line, lot, expiry, tuple(serials), op_id)])[0]


def receive_lines(session: Session, actor: Actor, number: str, lines: Sequence[ReceiveIn]) -> list[ReceiptLine]:
    """Several receipt lines in one transaction, all or nothing: the order gets one new version, not one per line.

    Goods of an order line, item and lot already on the receipt add to that receipt line (one line however many scans
    counted them), so inspection decides, and put-away carries, each item and lot once."""
    actor.require("purchase.receive")
    if not lines:
        raise InvalidInput("Nothing to receive.", "没有要收货的内容。", code="no_lines")
    receipt = get_receipt(session, number, lock=True)
    flows.RECEIPT.check(number, receipt.status, "receive")
    po = session.get_one(PurchaseOrder, receipt.po_id, with_for_update=True)
    flows.PURCHASE_ORDER.check(po.number, po.status, "receive")
    by_item: dict[int, list[PurchaseOrderLine]] = {}
    for po_line in po.lines:
        by_item.setdefault(po_line.item_id, []).append(po_line)
    dock = session.get_one(Location, receipt.dock_id)
    # Received quantities accumulate on the order lines in memory and are written once, at the end.
    with session.no_autoflush:
        rows = _receive_each(session, actor, number, receipt, po, lines, by_item, dock)
    transition(po, "receive")
    _save(session, actor, po)
    transition(receipt, "receive")
    session.flush()
    return rows


def _receive_each(
    session: Session, actor: Actor, number: str, receipt: Receipt, po: PurchaseOrder, lines: Sequence[ReceiveIn],
    by_item: dict[int, list[PurchaseOrderLine]], dock: Location,
) -> list[ReceiptLine]:
    items: dict[str, Item] = {}
    mover = actor.granted("stock.move")
    on_receipt = {(r.po_line_id, r.item_id, r.lot_id): r for r in receipt.lines}
    next_no = max((r.line_no for r in receipt.lines), default=0) + 1
    rows = []
    for entry in lines:
        item = items.get(entry.sku) or items.setdefault(entry.sku, item_for_move(session, entry.sku))
        line = _order_line(po, by_item.get(item.id, []), item, entry)
        quantity = positive_qty(entry.qty, decimals=item.unit_decimals, unit=item.unit)
        _within_tolerance(line, item, quantity)
        if entry.lot and item.tracking == "lot":
            _receive_lot(session, actor, item, entry.lot, entry.expiry)
        lot = lot_for_move(session, item, entry.lot)
        row = on_receipt.get((line.id, item.id, lot.id if lot else None))
        before = row.qty if row is not None else Decimal(0)
        price = (base_price(line) * receipt.exchange_rate).quantize(ledger.COST_UNIT)  # in yuan, a base unit net of discounts
        move = ledger.move(
            session, mover, sku=item.sku, qty=quantity, source="SUPPLIER", target=dock.code, lot=entry.lot, serials=entry.serials,
            unit_cost=scan_cost(before, quantity, price), reason=f"receipt {number}", ref_type="receipt", ref_id=number,
            op_id=entry.op_id,
        )
        line.received_rate = received_rate(line, quantity, receipt.exchange_rate)
        line.received_qty += quantity
        if row is None:
            row = ReceiptLine(
                line_no=next_no, po_line_id=line.id, item_id=item.id, lot_id=move.lot_id, serials=list(entry.serials), qty=quantity,
                move_id=move.id, op_id=entry.op_id,
            )
            receipt.lines.append(row)
            on_receipt[(line.id, item.id, move.lot_id)] = row
            next_no += 1
        else:
            row.qty += quantity
            row.serials = [*row.serials, *entry.serials]
            row.move_id = move.id  # the line names the move that last counted goods onto it
        rows.append(row)
        record(
            session, actor, "receipt.line", "receipt", number, sku=item.sku, qty=fmt(quantity), lot=entry.lot, po_line=line.line_no,
            line=row.line_no, line_qty=fmt(row.qty), move=move.id,
        )
    return rows


def received_rate(line: PurchaseOrderLine, qty: Decimal, rate: Decimal) -> Decimal:
    """The order line's rate once `qty` more arrived at `rate`: the receipts' rates averaged by quantity."""
    if line.received_rate == rate or not line.received_qty:
        return rate
    average = (line.received_rate * line.received_qty + rate * qty) / (line.received_qty + qty)
    return average.quantize(RECEIVED_RATE_UNIT)


def scan_cost(before: Decimal, qty: Decimal, price: Decimal) -> Decimal:
    """The unit cost one scan is valued at, so that a receipt line is worth its whole quantity at the order's price rounded
    once to the cent (what the bill clears from goods received not invoiced), however many scans counted it."""
    value = money((before + qty) * price) - money(before * price)
    cost = (value / qty).quantize(ledger.COST_UNIT)
    return cost if money(qty * cost) == value else price


def _order_line(po: PurchaseOrder, candidates: list[PurchaseOrderLine], item: Item, entry: ReceiveIn) -> PurchaseOrderLine:
    """The order line goods are received against: the one named, else the first of the item's lines with room left."""
    if entry.po_line is not None:
        candidates = [c for c in candidates if c.line_no == entry.po_line]
    if not candidates:
        at_en, at_zh = (f" at line {entry.po_line}", f"（第 {entry.po_line} 行）") if entry.po_line else ("", "")
        raise InvalidInput(
            f"Purchase order {po.number} has no line for {item.sku}{at_en}.", f"采购订单 {po.number} 没有 {item.sku} 的订单行{at_zh}。",
            code="not_on_order", sku=item.sku,
        )
    return next((c for c in candidates if c.received_qty - c.rejected_qty < c.qty), candidates[-1])


def receive_allowance(line: PurchaseOrderLine) -> Decimal:
    """How much more of a line may still be received: up to the over-receipt tolerance, rejected goods not counting."""
    return line.qty * (1 + OVER_RECEIPT_TOLERANCE) - (line.received_qty - line.rejected_qty)


def _within_tolerance(line: PurchaseOrderLine, item: Item, quantity: Decimal) -> None:
    limit = line.qty * (1 + OVER_RECEIPT_TOLERANCE)
    after = line.received_qty - line.rejected_qty + quantity
    if quantity > receive_allowance(line):
        raise Conflict(
            f"Receiving {fmt(quantity)} of {item.sku} would bring line {line.line_no} to {fmt(after)} of {fmt(line.qty)} ordered; "
            f"at most {fmt(limit)} may be received ({fmt(OVER_RECEIPT_TOLERANCE * 100)} % over).",
            f"收货 {fmt(quantity)} 将使第 {line.line_no} 行 {item.sku} 达到 {fmt(after)}（订购 {fmt(line.qty)}），"
            f"最多可收 {fmt(limit)}（允许超收 {fmt(OVER_RECEIPT_TOLERANCE * 100)}%）。",
            code="over_receipt", sku=item.sku, ordered=fmt(line.qty), received=fmt(line.received_qty - line.rejected_qty), allowed=fmt(limit),
        )


def _receive_lot(session: Session, actor: Actor, item: Item, code: str, expiry: dt.date | None) -> None:
    """A lot arriving for the first time is created with its expiry; a known lot must not change its expiry."""
    existing = find_lot(session, item, code)
    if existing is None:
        create_lot(session, actor.granted("lots.write"), LotCreate(sku=item.sku, code=code, expiry=expiry))
    elif expiry is not None and existing.expiry is not None and existing.expiry != expiry:
        raise Conflict(
            f"Lot {code} of {item.sku} expires on {existing.expiry}, not {expiry}.",
            f"{item.sku} 批次 {code} 的有效期是 {existing.expiry}，不是 {expiry}。",
            code="expiry_mismatch",
        )


@dataclasses.dataclass(frozen=True)
class Decision:
    """Inspection of one receipt line when receiving is done: how much is accepted, how much rejected and why."""

    line: int
    accepted: object
    rejected: object = 0
    reason: str = ""
    rejected_serials: Sequence[str] = ()


def complete_receipt(
    session: Session, actor: Actor, number: str, *, version: int | None = None, decisions: Sequence[Decision] = (),
    quarantine: str | None = None,
) -> Receipt:
    """Receiving is finished; further goods for the order start a new receipt.

    Without decisions the receipt waits for inspection line by line. With a decision for every line it is inspected at
    once: rejected goods move from the dock to the warehouse's quarantine with the reason, accepted goods get one put-away
    task per line, and the order counts them as accepted (only accepted goods can be billed)."""
    actor.require("purchase.receive")
    receipt = get_receipt(session, number, lock=True)
    if not receipt.lines:
        raise Conflict(f"Receipt {number} has no lines yet.", f"收货单 {number} 还没有收货行。", code="no_lines")
    flows.RECEIPT.check(number, receipt.status, "complete")
    check_signed_version(receipt, version, "Receipt", "收货单")
    if decisions:
        _check_decisions(receipt, decisions)
    transition(receipt, "complete")
    record(session, actor, "receipt.complete", "receipt", number, lines=len(receipt.lines), inspected=bool(decisions))
    for decision in decisions:
        inspect_line(
            session, actor, number, decision.line, accepted=decision.accepted, rejected=decision.rejected, note=decision.reason,
            quarantine=quarantine, rejected_serials=decision.rejected_serials,
        )
    return receipt


def _check_decisions(receipt: Receipt, decisions: Sequence[Decision]) -> None:
    """One decision for each line of the receipt (a reason for every rejection is inspect_line's rule, on every path)."""
    numbers = [d.line for d in decisions]
    known = {line.line_no for line in receipt.lines}
    unknown = sorted(set(numbers) - known)
    if unknown:
        raise InvalidInput(
            f"Receipt {receipt.number} has no line {', '.join(map(str, unknown))}.",
            f"收货单 {receipt.number} 没有第 {'、'.join(map(str, unknown))} 行。",
            code="unknown_line", lines=unknown,
        )
    twice = sorted(n for n, times in Counter(numbers).items() if times > 1)
    if twice:
        raise InvalidInput(
            f"Line {', '.join(map(str, twice))} is decided twice.", f"第 {'、'.join(map(str, twice))} 行重复填写。",
            code="duplicate_line", lines=twice,
        )
    missing = sorted(known - set(numbers))
    if missing:
        raise InvalidInput(
            f"Say what is accepted and rejected on every line; line {', '.join(map(str, missing))} is missing.",
            f"请为每一行填写合格数与不合格数；缺少第 {'、'.join(map(str, missing))} 行。",
            code="undecided_lines", lines=missing,
        )


def inspect_line(
    session: Session, actor: Actor, number: str, line_no: int, *, accepted: object, rejected: object = 0, note: str = "",
    quarantine: str | None = None, rejected_serials: Sequence[str] = (),
) -> ReceiptLine:
    """Quality inspection of one receipt line: accepted goods get a put-away task, rejected goods go to quarantine."""
    actor.require("purchase.receive")
    receipt = get_receipt(session, number, lock=True)
    flows.RECEIPT.check(number, receipt.status, "inspect")
    line = next((r for r in receipt.lines if r.line_no == line_no), None)
    if line is None:
        raise NotFound(f"Receipt {number} has no line {line_no}.", f"收货单 {number} 没有第 {line_no} 行。")
    if line.qc_status != "pending":
        raise Conflict(f"Line {line_no} of receipt {number} was already inspected.", f"收货单 {number} 第 {line_no} 行已质检。", code="already_inspected")
    item = session.get_one(Item, line.item_id)
    ok = as_decimal(accepted, "accepted")
    bad = as_decimal(rejected, "rejected")
    if ok < 0 or bad < 0 or ok + bad != line.qty:
        raise InvalidInput(
            f"Accepted and rejected must be non-negative and add up to the {fmt(line.qty)} received (got {fmt(ok)} + {fmt(bad)}).",
            f"合格数与不合格数不能为负，且合计须等于收货数 {fmt(line.qty)}（收到 {fmt(ok)} + {fmt(bad)}）。",
            code="inspection_mismatch",
        )
    if bad > 0 and not note.strip():  # whoever sorts out the quarantine later reads why
        raise InvalidInput(
            f"Line {line_no}: say why goods are rejected.", f"第 {line_no} 行：请填写不合格原因。",
            code="reason_required", line=line_no, field="note",
        )
    serials_bad = tuple(rejected_serials)
    if item.tracking == "serial":
        if len(serials_bad) != bad or not set(serials_bad) <= set(line.serials):
            raise InvalidInput(
                "List the serial number of each rejected unit, from this receipt line.",
                "请逐件列出本收货行中不合格商品的序列号。",
                code="serials_mismatch",
            )
    serials_ok = tuple(s for s in line.serials if s not in serials_bad)
    lot_code = session.scalar(select(Lot.code).where(Lot.id == line.lot_id)) if line.lot_id else None
    dock = session.get_one(Location, receipt.dock_id)
    mover = actor.granted("stock.move")
    if bad > 0:
        target = _quarantine(session, receipt, quarantine)
        ledger.move(
            session, mover, sku=item.sku, qty=bad, source=dock.code, target=target.code, lot=lot_code, serials=serials_bad,
            reason=f"rejected by inspection: {note}"[:200], ref_type="receipt", ref_id=number,
        )
    if ok > 0:
        session.add(
            PutawayTask(
                receipt_line_id=line.id, item_id=item.id, lot_id=line.lot_id, serials=list(serials_ok), qty=ok, from_location_id=dock.id,
                suggested_location_id=suggest_bin(session, item.id, receipt.warehouse_id, exclude={dock.id}),
            )
        )
    line.accepted_qty, line.rejected_qty, line.qc_note = ok, bad, note
    line.qc_status = "accepted" if bad == 0 else ("rejected" if ok == 0 else "partial")
    po = session.get_one(PurchaseOrder, receipt.po_id, with_for_update=True)
    po_line = next(pl for pl in po.lines if pl.id == line.po_line_id)
    po_line.accepted_qty += ok
    po_line.rejected_qty += bad
    if all(pl.accepted_qty >= pl.qty for pl in po.lines) and flows.PURCHASE_ORDER.allows(po.status, "complete"):
        transition(po, "complete")
    else:
        touch(po)
    _save(session, actor, po)
    touch(receipt)
    session.flush()
    if all(r.qc_status != "pending" for r in receipt.lines):
        transition(receipt, "put_away", new_version=False)  # inspecting the line made it a new version
        _maybe_finish(session, receipt)
    record(session, actor, "receipt.inspect", "receipt", number, line=line_no, accepted=fmt(ok), rejected=fmt(bad), note=note)
    return line


def _quarantine(session: Session, receipt: Receipt, code: str | None) -> Location:
    row: Location | None
    if code:
        row = location_for_move(session, code, "quarantine")
        if not row.quarantine or row.warehouse_id != receipt.warehouse_id:
            raise InvalidInput(f"{code} is not a quarantine location of this warehouse.", f"{code} 不是本仓库的隔离库位。", code="not_quarantine")
        return row
    row = session.scalar(
        select(Location).where(Location.warehouse_id == receipt.warehouse_id, Location.quarantine.is_(True), Location.active.is_(True)).order_by(Location.code).limit(1)
    )
    if row is None:
        raise Conflict(
            "This warehouse has no quarantine location for rejected goods; create one first.",
            "本仓库没有存放不合格品的隔离库位，请先创建。",
            code="no_quarantine",
        )
    return row


def suggest_bin(session: Session, item_id: int, warehouse_id: int, *, exclude: set[int] = frozenset()) -> int | None:  # type: ignore[assignment]
    """Where to put an item away: the bin of this warehouse already holding most of it, else the first empty bin by code."""
    usable = (Location.warehouse_id == warehouse_id) & (Location.kind == "bin") & Location.active.is_(True) & Location.quarantine.is_(False)
    if exclude:
        usable = usable & Location.id.not_in(exclude)
    holding = session.scalar(
        select(Location.id).join(Balance, Balance.location_id == Location.id)
        .where(usable, Balance.item_id == item_id, Balance.qty > 0)
        .group_by(Location.id, Location.code).order_by(func.sum(Balance.qty).desc(), Location.code).limit(1)
    )
    if holding is not None:
        return holding
    occupied = select(Balance.location_id).where(Balance.qty > 0)
    empty = session.scalar(select(Location.id).where(usable, Location.id.not_in(occupied)).order_by(Location.code).limit(1))
    return empty if empty is not None else session.scalar(select(Location.id).where(usable).order_by(Location.code).limit(1))


def putaway_tasks(session: Session, *, warehouse: str | None = None, status: str | None = "open", receipt: str | None = None) -> list[PutawayTask]:
    query = select(PutawayTask).order_by(PutawayTask.id)
    if status:
        query = query.where(PutawayTask.status == status)
    if warehouse:
        wh = _warehouse(session, warehouse)
        query = query.join(Location, PutawayTask.from_location_id == Location.id).where(Location.warehouse_id == wh.id)
    if receipt:
        rec = get_receipt(session, receipt)
        query = query.join(ReceiptLine, PutawayTask.receipt_line_id == ReceiptLine.id).where(ReceiptLine.receipt_id == rec.id)
    return list(session.scalars(query))


def confirm_putaway(session: Session, actor: Actor, task_id: int, *, location: str, op_id: str | None = None) -> PutawayTask:
    """The worker scanned the bin: the goods move from the dock into it (any bin of the warehouse, not only the suggested one)."""
    actor.require("purchase.receive")
    task = session.get(PutawayTask, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"No put-away task {task_id}.", f"没有上架任务 {task_id}。")
    flows.PUTAWAY_TASK.check(f"#{task_id}", task.status, "put_away")
    dock = session.get_one(Location, task.from_location_id)
    target = location_for_move(session, location, "location")
    if target.warehouse_id != dock.warehouse_id or not target.internal:
        raise InvalidInput(f"{location} is not a location of this warehouse.", f"{location} 不是本仓库的库位。", code="wrong_warehouse")
    item = session.get_one(Item, task.item_id)
    lot_code = session.scalar(select(Lot.code).where(Lot.id == task.lot_id)) if task.lot_id else None
    line = session.get_one(ReceiptLine, task.receipt_line_id)
    receipt = session.get_one(Receipt, line.receipt_id, with_for_update=True)
    move = ledger.move(
        session, actor.granted("stock.move"), sku=item.sku, qty=task.qty, source=dock.code, target=target.code, lot=lot_code, serials=task.serials,
        reason=f"put-away {receipt.number}", ref_type="receipt", ref_id=receipt.number, op_id=op_id,
    )
    task.to_location_id, task.move_id, task.done_by, task.done_at = target.id, move.id, actor.user_id, utcnow()
    transition(task, "put_away")
    session.flush()
    _maybe_finish(session, receipt)
    record(session, actor, "putaway.confirm", "putaway_task", task_id, receipt=receipt.number, location=location, qty=fmt(task.qty))
    return task


def _maybe_finish(session: Session, receipt: Receipt) -> None:
    if receipt.status != "putaway":
        return
    open_tasks = session.scalar(
        select(func.count()).select_from(PutawayTask).join(ReceiptLine, PutawayTask.receipt_line_id == ReceiptLine.id)
        .where(ReceiptLine.receipt_id == receipt.id, PutawayTask.status == "open")
    )
    if not open_tasks:
        transition(receipt, "close")
