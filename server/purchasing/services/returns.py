"""Purchase returns (采购退货): goods of an order sent back to its supplier, at the cost they were received at.

A return is agreed first (open: what goes back, from where, and why), then shipped: the goods move from quarantine
(rejected at inspection) or from stock (accepted) to SUPPLIER, valued at the order's price in yuan at the rate they
arrived at, which takes them off goods received not invoiced. Goods already billed get a debit note (红字发票)
against the order's bills at the billed price, which settles what is still open on them; the rest stays on the
supplier's account. The order's lines count what went back, and what may still be billed shrinks with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.lines import PRICE_PLACES, base_price, line_amounts
from server.documents.services import check_signed_version, get_document, next_number, touch
from server.errors import Conflict, InvalidInput
from server.finance.currency import in_yuan, rate_on
from server.finance.payments import settle_with_note
from server.finance.services import AP, EXCHANGE, GRNI, PRICE_VARIANCE, VAT_IN, money, post_journal
from server.inventory import services as ledger
from server.locations.models import Location
from server.locations.services import location_for_move
from server.purchasing.models import Bill, BillLine, PurchaseOrder, PurchaseOrderLine, PurchaseReturn, PurchaseReturnLine
from server.purchasing.services.bills import _bill_totals
from server.purchasing.services.common import _require_warehouse, get_po
from server.purchasing.services.orders import _save
from server.schemas import fmt

BILLED_STATES = ("posted", "partially_paid", "paid")


@dataclasses.dataclass(frozen=True)
class PurchaseReturnLineIn:
    line: int  # the purchase order's line number
    qty: object
    location: str  # where the goods are now: a quarantine location (rejected goods) or a location holding stock
    lot: str | None = None
    serials: Sequence[str] = ()
    reason: str = ""


def get_purchase_return(session: Session, number: str, *, lock: bool = False) -> PurchaseReturn:
    return get_document(session, PurchaseReturn, number, "purchase return", "采购退货单", lock=lock)


def returnable(line: PurchaseOrderLine, *, rejected: bool) -> Decimal:
    """What of an order line may still go back: of the goods rejected at inspection, or of those accepted."""
    if rejected:
        return line.rejected_qty - line.returned_rejected_qty
    return line.accepted_qty - line.returned_qty


def still_returnable(session: Session, line: PurchaseOrderLine, *, rejected: bool) -> Decimal:
    """What of an order line may still go back on a new return: what is `returnable` less what open returns already mean to
    send back of it."""
    if returnable(line, rejected=rejected) <= 0:  # nothing received of it, or all gone back: no need to look
        return Decimal(0)
    agreed = Decimal(session.scalar(
        select(func.coalesce(func.sum(PurchaseReturnLine.qty), 0)).join(PurchaseReturn, PurchaseReturnLine.return_id == PurchaseReturn.id)
        .where(PurchaseReturnLine.po_line_id == line.id, PurchaseReturnLine.rejected.is_(rejected), PurchaseReturn.status == "open")
    ) or 0)
    return returnable(line, rejected=rejected) - agreed


def create_purchase_return(
    session: Session, actor: Actor, *, po: str, lines: Sequence[PurchaseReturnLineIn], supplier_ref: str = "", note: str = "",
) -> PurchaseReturn:
    """A purchase return agreed with the supplier: each line no more than was rejected (from quarantine) or accepted (from
    stock) and not yet sent back or about to be."""
    actor.require("purchase.write")
    order = get_po(session, po, lock=True)
    if not any(line.received_qty > 0 for line in order.lines):
        raise Conflict(f"Nothing of purchase order {po} was received; nothing can go back.", f"采购订单 {po} 尚未收货，无法退货。",
                       code="nothing_received")
    if not lines:
        raise InvalidInput("A purchase return needs at least one line.", "采购退货单至少需要一行。", code="no_lines")
    warehouse = session.get_one(Location, order.warehouse_id)
    _require_warehouse(actor, warehouse)
    by_no = {line.line_no: line for line in order.lines}
    mover = actor.granted("stock.move")
    taking: dict[tuple[int, bool], Decimal] = {}
    rma = PurchaseReturn(number=next_number(session, "PRT"), status="open", po_id=order.id, supplier_id=order.supplier_id,
                         warehouse_id=warehouse.id, supplier_ref=supplier_ref, note=note, created_by=actor.user_id)
    for n, entry in enumerate(lines, 1):
        po_line = by_no.get(entry.line)
        if po_line is None:
            raise InvalidInput(f"Purchase order {po} has no line {entry.line}.", f"采购订单 {po} 没有第 {entry.line} 行。", code="unknown_line",
                               field=f"lines[{n - 1}].line")
        item = session.get_one(Item, po_line.item_id)
        place = location_for_move(session, entry.location, f"lines[{n - 1}].location")
        if place.warehouse_id != warehouse.id or not place.internal:
            raise InvalidInput(f"{entry.location} is not a location of warehouse {warehouse.code}, where order {po} was received.",
                               f"{entry.location} 不是订单 {po} 收货仓库 {warehouse.code} 的库位。", code="wrong_warehouse",
                               field=f"lines[{n - 1}].location")
        # Everything a move needs but the stock itself, checked now: the goods are taken when the return ships.
        spec = ledger.prepare_move(session, mover, sku=item.sku, qty=entry.qty, source=place.code, target="SUPPLIER", lot=entry.lot,
                                   serials=entry.serials)
        qty = spec.qty
        key = (po_line.id, place.quarantine)
        taking[key] = taking.get(key, Decimal(0)) + qty
        left = still_returnable(session, po_line, rejected=place.quarantine)
        if taking[key] > left:
            zh_pool, en_pool = ("不合格品", "rejected at inspection") if place.quarantine else ("合格品", "accepted into stock")
            raise Conflict(
                f"Line {entry.line} ({item.sku}): {fmt(max(left, Decimal(0))) or '0'} {en_pool} may still go back; {fmt(taking[key])} cannot.",
                f"第 {entry.line} 行（{item.sku}）：{zh_pool}尚可退 {fmt(max(left, Decimal(0))) or '0'}，不能退 {fmt(taking[key])}。",
                code="over_return", line=entry.line, returnable=fmt(max(left, Decimal(0))) or "0",
            )
        rma.lines.append(PurchaseReturnLine(
            line_no=n, po_line_id=po_line.id, item_id=item.id, location_id=place.id, rejected=place.quarantine,
            lot_id=spec.lot.id if spec.lot else None, serials=list(spec.serials), qty=qty, reason=entry.reason,
        ))
    session.add(rma)
    session.flush()
    record(session, actor, "purchase_return.create", "purchase_return", rma.number, po=po, lines=len(lines), supplier_ref=supplier_ref)
    return rma


def update_purchase_return(
    session: Session, actor: Actor, number: str, *, version: int | None, supplier_ref: str | None = None, note: str | None = None,
) -> PurchaseReturn:
    actor.require("purchase.write")
    rma = get_purchase_return(session, number, lock=True)
    check_signed_version(rma, version, "Purchase return", "采购退货单")
    fields = {f for f, v in (("supplier_ref", supplier_ref), ("note", note)) if v is not None}
    flows.PURCHASE_RETURN.require_editable(number, rma.status, fields)
    if supplier_ref is not None:
        rma.supplier_ref = supplier_ref
    if note is not None:
        rma.note = note
    if fields:
        touch(rma)
        session.flush()
        record(session, actor, "purchase_return.update", "purchase_return", number, fields=sorted(fields))
    return rma


def cancel_purchase_return(session: Session, actor: Actor, number: str, *, version: int | None = None) -> PurchaseReturn:
    actor.require("purchase.write")
    rma = get_purchase_return(session, number, lock=True)
    check_signed_version(rma, version, "Purchase return", "采购退货单")
    transition(rma, "cancel")
    record(session, actor, "purchase_return.cancel", "purchase_return", number)
    return rma


def ship_purchase_return(session: Session, actor: Actor, number: str, *, version: int | None = None) -> PurchaseReturn:
    """The goods leave for the supplier: each line moves to SUPPLIER at the cost it was received at; what of it was already
    billed goes on a debit note."""
    actor.require("purchase.receive")
    rma = get_purchase_return(session, number, lock=True)
    check_signed_version(rma, version, "Purchase return", "采购退货单")
    flows.PURCHASE_RETURN.check(number, rma.status, "ship")
    po = session.get_one(PurchaseOrder, rma.po_id, with_for_update=True)
    _require_warehouse(actor, session.get_one(Location, rma.warehouse_id))
    by_id = {line.id: line for line in po.lines}
    mover = actor.granted("stock.move")
    debits: list[tuple[PurchaseOrderLine, Decimal]] = []
    for line in rma.lines:
        po_line = by_id[line.po_line_id]
        if line.qty > returnable(po_line, rejected=line.rejected):  # open returns are checked together when made; this is the last word
            raise Conflict(
                f"Line {line.line_no}: only {fmt(returnable(po_line, rejected=line.rejected)) or '0'} of order line {po_line.line_no} may still go back.",
                f"第 {line.line_no} 行：订单第 {po_line.line_no} 行尚可退 {fmt(returnable(po_line, rejected=line.rejected)) or '0'}。",
                code="over_return", line=line.line_no,
            )
        billed = Decimal(0) if line.rejected else max(line.qty - (po_line.accepted_qty - po_line.returned_qty - po_line.billed_qty), Decimal(0))
        line.value = _received_value(po_line, line.qty - billed) + _received_value(po_line, billed)
        line.move_id = _send_back(session, mover, rma, line, po_line)
        line.debited_qty = billed
        if line.rejected:
            po_line.returned_rejected_qty += line.qty
        else:
            po_line.returned_qty += line.qty
            po_line.billed_qty -= billed
        if billed:
            debits.append((po_line, billed))
    if debits:
        rma.debit_note_id = _debit_note(session, actor, rma, po, debits).id
    transition(rma, "ship")
    rma.shipped_at = utcnow()
    touch(po)
    _save(session, actor, po)
    session.flush()
    record(session, actor, "purchase_return.ship", "purchase_return", number, po=po.number,
           value=fmt(sum((line.value for line in rma.lines), Decimal(0))))
    return rma


def _received_value(po_line: PurchaseOrderLine, qty: Decimal) -> Decimal:
    """What `qty` of an order line came in at, in yuan: the value a bill clears from goods received not invoiced for it."""
    return money(qty * base_price(po_line) * po_line.received_rate)


def _send_back(session: Session, mover: Actor, rma: PurchaseReturn, line: PurchaseReturnLine, po_line: PurchaseOrderLine) -> int:
    """The move to SUPPLIER, worth the line's received value. Stock worth less than that (the average fell since, or these
    are the last units) leaves at what it is worth, and the difference is a purchase price variance."""
    item = session.get_one(Item, line.item_id)
    lot = session.scalar(select(Lot.code).where(Lot.id == line.lot_id)) if line.lot_id else None
    source = session.get_one(Location, line.location_id)
    spec = ledger.prepare_move(
        session, mover, sku=item.sku, qty=line.qty, source=source.code, target="SUPPLIER", lot=lot, serials=line.serials,
        reason=f"purchase return {rma.number}: {line.reason}"[:200], ref_type="purchase_return", ref_id=rma.number,
    )
    move = ledger.post_move(session, mover, dataclasses.replace(spec, value=line.value))
    if move.value != line.value:
        post_journal(session, mover, source_type="purchase_return", source_id=rma.number, memo=f"{rma.number} {item.sku} cost difference",
                     lines=[(GRNI, line.value - move.value, Decimal(0)), (PRICE_VARIANCE, Decimal(0), line.value - move.value)])
    return move.id


def _billed_price(session: Session, po_line: PurchaseOrderLine) -> tuple[Decimal, Decimal]:
    """The price of a base unit and the VAT rate an order line was last billed at (the order's, if no bill carries them)."""
    found = session.execute(
        select(BillLine.unit_price, BillLine.uom_factor, BillLine.vat_rate).join(Bill, BillLine.bill_id == Bill.id)
        .where(BillLine.po_line_id == po_line.id, Bill.kind == "bill", Bill.status.in_(BILLED_STATES)).order_by(Bill.id.desc()).limit(1)
    ).first()
    return (found.unit_price / found.uom_factor, found.vat_rate) if found else (base_price(po_line), po_line.vat_rate)


def _debit_note(session: Session, actor: Actor, rma: PurchaseReturn, po: PurchaseOrder, debits: list[tuple[PurchaseOrderLine, Decimal]]) -> Bill:
    """A debit note for the billed goods sent back, at the price they were billed at and the rate of the bill it is against,
    posted at once as the opposite of a bill: it settles the order's open bills, oldest first."""
    bills = list(session.scalars(
        select(Bill).where(Bill.po_id == po.id, Bill.kind == "bill", Bill.status.in_(BILLED_STATES)).order_by(Bill.id).with_for_update()
    ))
    original = next((b for b in bills if b.total - b.paid - b.credited > 0), bills[-1] if bills else None)
    today = local_today()
    note = Bill(
        number=next_number(session, "DN"), status="draft", kind="debit_note", supplier_id=po.supplier_id, po_id=po.id,
        credits_id=original.id if original else None, supplier_ref=rma.supplier_ref, bill_date=today, due_date=today,
        note=f"purchase return {rma.number}", created_by=actor.user_id, currency=po.currency,
        exchange_rate=original.exchange_rate if original else rate_on(session, po.currency, today),
    )
    for n, (po_line, qty) in enumerate(debits, 1):
        price, vat = _billed_price(session, po_line)
        net, tax = line_amounts(qty, price, vat)
        note.lines.append(BillLine(line_no=n, po_line_id=po_line.id, item_id=po_line.item_id, qty=qty, uom=po_line.uom, uom_factor=po_line.uom_factor,
                                   unit_price=(price * po_line.uom_factor).quantize(PRICE_PLACES), vat_rate=vat, net=net, tax=tax))
    _bill_totals(note)
    session.add(note)
    session.flush()
    # The bill's entry turned round: goods received not invoiced back at what the goods came in at, the price and exchange
    # differences, the input VAT, and the payable reduced.
    rate = note.exchange_rate
    journal: list[tuple[str, Decimal, Decimal]] = []
    booked = Decimal(0)
    by_id = {po_line.id: po_line for po_line, _qty in debits}
    for line in note.lines:
        po_line = by_id[line.po_line_id]
        cleared = _received_value(po_line, line.qty)
        at_note_rate = in_yuan(line.qty * base_price(po_line), rate)
        net = in_yuan(line.net, rate)
        journal += [(GRNI, Decimal(0), cleared), (PRICE_VARIANCE, Decimal(0), net - at_note_rate)]
        booked += cleared + net - at_note_rate
    tax = in_yuan(note.tax, rate)
    journal += [(VAT_IN, Decimal(0), tax), (EXCHANGE, Decimal(0), note.total_cny - booked - tax), (AP, note.total_cny, Decimal(0))]
    post_journal(session, actor, source_type="bill", source_id=note.number, memo=f"{note.number} {rma.number}", lines=journal)
    transition(note, "post")
    note.posted_at = utcnow()
    settle_with_note(session, actor, note, bills, control=AP)
    record(session, actor, "bill.debit_note", "bill", note.number, purchase_return=rma.number, total=fmt(note.total))
    return note
