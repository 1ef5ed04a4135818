"""Returns: what the customer sends back, received into the returns area with a credit note, then restocked or scrapped."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.catalog.models import Item, Lot
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.lines import base_price, unit_price_of
from server.documents.services import next_number, touch
from server.errors import Conflict, InvalidInput, NotFound, UnknownReference
from server.finance.currency import rate_on
from server.finance.payments import settle_with_note
from server.finance.services import AR, money
from server.inventory import services as ledger
from server.locations.models import Location
from server.quantities import positive_qty
from server.sales.models import Invoice, InvoiceLine, Return, ReturnLine, SalesOrder, SalesOrderLine
from server.sales.services.common import _area, get_return, get_so
from server.sales.services.invoices import _invoice_totals, post_invoice
from server.schemas import fmt


@dataclasses.dataclass(frozen=True)
class ReturnLineIn:
    line: int  # the order's line number
    qty: object
    lot: str | None = None
    serials: Sequence[str] = ()
    reason: str = ""


def create_return(session: Session, actor: Actor, *, so: str, lines: Sequence[ReturnLineIn], note: str = "") -> Return:
    """An RMA: what the customer sends back from a shipped order, no more than was shipped and not yet returned."""
    actor.require("sales.write")
    order = get_so(session, so, lock=True)
    if order.status not in ("shipped", "invoiced", "closed"):
        raise Conflict(f"Sales order {so} has not shipped; nothing can come back.", f"销售订单 {so} 尚未发货，无法退货。", code="wrong_state")
    if not lines:
        raise InvalidInput("A return needs at least one line.", "退货单至少需要一行。", code="no_lines")
    draft = session.scalar(select(Invoice.number).where(Invoice.so_id == order.id, Invoice.status == "draft").limit(1))
    if draft is not None:
        raise Conflict(
            f"Invoice {draft} of {so} is still a draft: post or cancel it before taking goods back.",
            f"{so} 的发票 {draft} 仍是草稿，请先过账或取消后再办理退货。",
            code="draft_invoice",
            invoice=draft,
        )
    warehouse = session.get_one(Location, order.warehouse_id)
    area = _area(session, warehouse, "RET", "returns", "退货区")
    rma = Return(number=next_number(session, "RMA"), status="open", so_id=order.id, customer_id=order.customer_id, warehouse_id=warehouse.id,
                 location_id=area.id, note=note, created_by=actor.user_id)
    by_no = {line.line_no: line for line in order.lines}
    for n, entry in enumerate(lines, 1):
        line = by_no.get(entry.line)
        if line is None:
            raise InvalidInput(f"Sales order {so} has no line {entry.line}.", f"销售订单 {so} 没有第 {entry.line} 行。", code="unknown_line")
        item = session.get_one(Item, line.item_id)
        qty = positive_qty(entry.qty, decimals=item.unit_decimals, unit=item.unit)
        if line.returned_qty + qty > line.shipped_qty:
            raise Conflict(
                f"Line {entry.line} ({item.sku}): {fmt(line.shipped_qty - line.returned_qty)} shipped and not returned; {fmt(qty)} cannot come back.",
                f"第 {entry.line} 行（{item.sku}）已发货未退 {fmt(line.shipped_qty - line.returned_qty)}，不能退 {fmt(qty)}。",
                code="over_return",
            )
        lot = session.scalar(select(Lot).where(Lot.item_id == item.id, Lot.code == entry.lot)) if entry.lot else None
        if entry.lot and lot is None:
            raise UnknownReference(f"Item {item.sku} has no lot {entry.lot}.", f"商品 {item.sku} 没有批次 {entry.lot}。", code="unknown_lot")
        line.returned_qty += qty
        rma.lines.append(ReturnLine(line_no=n, so_line_id=line.id, item_id=item.id, lot_id=lot.id if lot else None, serials=list(entry.serials),
                                    qty=qty, reason=entry.reason))
    session.add(rma)
    session.flush()
    record(session, actor, "return.create", "return", rma.number, so=so, lines=len(lines))
    return rma


def receive_return(session: Session, actor: Actor, number: str) -> Return:
    """The goods are back: into the returns area (not available), and a credit note for what had been invoiced."""
    actor.require("sales.fulfil")
    rma = get_return(session, number, lock=True)
    transition(rma, "receive")
    area = session.get_one(Location, rma.location_id)
    mover = actor.granted("stock.move")
    credit: list[tuple[SalesOrderLine, Decimal]] = []
    for line in rma.lines:
        item = session.get_one(Item, line.item_id)
        lot_code = session.scalar(select(Lot.code).where(Lot.id == line.lot_id)) if line.lot_id else None
        so_line = session.get_one(SalesOrderLine, line.so_line_id, with_for_update=True)
        line.unit_cost = _cost_still_out(session, so_line)
        move = ledger.move(
            session, mover, sku=item.sku, qty=line.qty, source="CUSTOMER", target=area.code, lot=lot_code, serials=line.serials,
            unit_cost=line.unit_cost, reason=f"return {number}: {line.reason}"[:200], ref_type="return", ref_id=number,
        )
        line.receive_move_id = move.id
        so_line.cost -= move.value
        invoiced_back = min(line.qty, so_line.invoiced_qty)
        if invoiced_back > 0:
            credit.append((so_line, invoiced_back))
    if credit:
        rma.credit_note_id = _credit_note(session, actor, rma, credit).id
    session.flush()
    record(session, actor, "return.receive", "return", number)
    return rma


def _cost_still_out(session: Session, so_line: SalesOrderLine) -> Decimal:
    """The unit cost of what is still with the customer: a return reverses the cost of goods sold at the cost it shipped at."""
    back = session.scalar(
        select(func.coalesce(func.sum(ReturnLine.qty), 0)).where(ReturnLine.so_line_id == so_line.id, ReturnLine.receive_move_id.is_not(None))
    )
    out = so_line.shipped_qty - Decimal(back or 0)
    return (so_line.cost / out).quantize(Decimal("0.000001")) if out > 0 else Decimal(0)


def _credit_note(session: Session, actor: Actor, rma: Return, lines: list[tuple[SalesOrderLine, Decimal]]) -> Invoice:
    so = session.get_one(SalesOrder, rma.so_id)
    open_invoices = list(session.scalars(
        select(Invoice).where(Invoice.so_id == so.id, Invoice.kind == "invoice", Invoice.status.in_(("posted", "partially_paid", "paid")))
        .order_by(Invoice.id).with_for_update()
    ))
    original = next((i for i in open_invoices if i.total - i.paid - i.credited > 0), open_invoices[-1] if open_invoices else None)
    # In the order's currency, at the rate its invoice was booked at: the credit takes back what the invoice charged.
    note = Invoice(
        number=next_number(session, "CN"), status="draft", kind="credit_note", customer_id=so.customer_id, so_id=so.id,
        credits_id=original.id if original else None, invoice_date=local_today(), due_date=local_today(), note=f"return {rma.number}",
        created_by=actor.user_id, currency=so.currency,
        exchange_rate=original.exchange_rate if original else rate_on(session, so.currency, local_today()),
    )
    for n, (so_line, qty) in enumerate(lines, 1):
        net = money(qty * base_price(so_line))
        note.lines.append(InvoiceLine(line_no=n, so_line_id=so_line.id, item_id=so_line.item_id, qty=qty, uom=so_line.uom, uom_factor=so_line.uom_factor,
                                      unit_price=unit_price_of(so_line),
                                      vat_rate=so_line.vat_rate, net=net, tax=money(net * so_line.vat_rate / 100)))
        so_line.invoiced_qty -= qty
    _invoice_totals(note)
    session.add(note)
    session.flush()
    post_invoice(session, actor.granted("sales.invoice"), note.number)
    # The credit settles the order's open invoices, oldest first; what it cannot settle stays on the customer's account.
    settle_with_note(session, actor, note, open_invoices, control=AR)
    record(session, actor, "invoice.credit_note", "invoice", note.number, return_=rma.number, total=fmt(note.total))
    return note


def dispose_return(session: Session, actor: Actor, number: str, line_no: int, *, disposition: str, location: str | None = None) -> Return:
    """Each returned line is restocked (to a bin of the warehouse) or scrapped."""
    actor.require("sales.fulfil")
    rma = get_return(session, number, lock=True)
    flows.RETURN.check(number, rma.status, "close")
    line = next((r for r in rma.lines if r.line_no == line_no), None)
    if line is None:
        raise NotFound(f"Return {number} has no line {line_no}.", f"退货单 {number} 没有第 {line_no} 行。")
    if line.disposition != "pending":
        raise Conflict(f"Line {line_no} of {number} was already {line.disposition}.", f"{number} 第 {line_no} 行已处理。", code="already_disposed")
    if disposition not in ("restock", "scrap"):
        raise InvalidInput("Disposition is restock or scrap.", "处理方式为 restock（重新入库）或 scrap（报废）。")
    area = session.get_one(Location, rma.location_id)
    if disposition == "restock":
        if not location:
            raise InvalidInput("Say which bin the goods go back to.", "请指定重新入库的库位。", code="location_required")
        target = session.scalar(select(Location).where(Location.code == location))
        if target is None or target.warehouse_id != rma.warehouse_id or target.quarantine or not target.internal:
            raise InvalidInput(f"{location} is not an available location of this warehouse.", f"{location} 不是本仓库的可用库位。", code="wrong_location")
        target_code = target.code
    else:
        target_code = "SCRAP"
    item = session.get_one(Item, line.item_id)
    lot_code = session.scalar(select(Lot.code).where(Lot.id == line.lot_id)) if line.lot_id else None
    move = ledger.move(
        session, actor.granted("stock.move"), sku=item.sku, qty=line.qty, source=area.code, target=target_code, lot=lot_code, serials=line.serials,
        reason=f"return {number} {disposition}", ref_type="return", ref_id=number,
    )
    line.disposition, line.dispose_move_id = disposition, move.id
    if all(r.disposition != "pending" for r in rma.lines):
        transition(rma, "close")
    else:
        touch(rma)
    session.flush()
    record(session, actor, "return.dispose", "return", number, line=line_no, disposition=disposition, location=target_code)
    return rma
