"""Supplier bills: matched three ways against the order and what was accepted, then posted to the books."""

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
from server.catalog.models import Item
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.lines import (
    PRICE_PLACES,
    DocumentUnit,
    at_line,
    base_price,
    document_unit,
    line_amounts,
    line_price,
    line_qty,
    line_vat,
    replace_lines,
)
from server.documents.services import check_signed_version, next_number, touch
from server.errors import Conflict, InvalidInput, NotFound, UnknownReference
from server.finance.currency import document_rate, in_yuan
from server.finance.opening import already_open, book_opening, opening_terms
from server.finance.payments import apply_note
from server.finance.periods import require_open
from server.finance.services import AP, EXCHANGE, GRNI, PRICE_VARIANCE, VAT_IN, money, post_journal
from server.partners.models import Partner
from server.partners.services import partner_reference
from server.purchasing.models import Bill, BillLine, PurchaseOrder
from server.purchasing.services.common import _notify, _skus, get_bill, get_po
from server.purchasing.services.orders import _save
from server.schemas import fmt

BILL_PRICE_TOLERANCE = Decimal("0.01")  # a bill's unit price may differ from the order's by 1 %


@dataclasses.dataclass(frozen=True)
class BillLineIn:
    line: int  # the purchase order's line number
    qty: object  # in `unit`, as unit_price
    unit_price: object
    vat_rate: object | None = None
    unit: str | None = None  # by default the order line's (cartons); the item's own unit bills part of a carton


def _bill_lines(session: Session, po: PurchaseOrder, lines: Sequence[BillLineIn]) -> list[BillLine]:
    if not lines:
        raise InvalidInput("A bill needs at least one line.", "发票至少需要一行。", code="no_lines")
    by_no = {line.line_no: line for line in po.lines}
    out = []
    for n, entry in enumerate(lines, 1):
        po_line = by_no.get(entry.line)
        if po_line is None:
            raise InvalidInput(f"Purchase order {po.number} has no line {entry.line}.", f"采购订单 {po.number} 没有第 {entry.line} 行。", code="unknown_line",
                               field=f"lines[{n - 1}].line")
        item = session.get_one(Item, po_line.item_id)
        with at_line(n - 1):
            unit = document_unit(session, item, entry.unit) if entry.unit else DocumentUnit(po_line.uom, po_line.uom_factor)
            qty = line_qty(entry.qty, item, unit)
            price = line_price(entry.unit_price)
            rate = line_vat(entry.vat_rate, item) if entry.vat_rate is not None else po_line.vat_rate
        net, tax = line_amounts(qty, price / unit.factor, rate)
        out.append(BillLine(line_no=n, po_line_id=po_line.id, item_id=item.id, qty=qty, uom=unit.name, uom_factor=unit.factor,
                            unit_price=price, vat_rate=rate, net=net, tax=tax))
    return out


def _bill_totals(bill: Bill) -> None:
    bill.subtotal = sum((line.net for line in bill.lines), Decimal(0))
    bill.tax = sum((line.tax for line in bill.lines), Decimal(0))
    bill.total = bill.subtotal + bill.tax
    bill.total_cny = in_yuan(bill.total, bill.exchange_rate)


def create_bill(
    session: Session, actor: Actor, *, po: str, lines: Sequence[BillLineIn], supplier_ref: str = "", bill_date: dt.date | None = None,
    due_date: dt.date | None = None, note: str = "", exchange_rate: object | None = None,
) -> Bill:
    """A draft bill in the order's currency, booked at the rate stated on it or else that of its day."""
    actor.require("purchase.bill")
    order = get_po(session, po)
    if order.status in ("draft", "pending", "rejected", "cancelled"):
        raise Conflict(f"Purchase order {po} is not approved; it cannot be billed.", f"采购订单 {po} 未审批，不能登记发票。", code="wrong_state")
    supplier = session.get_one(Partner, order.supplier_id)
    on = bill_date or local_today()
    require_open(session, on, "a supplier bill", "供应商发票")
    bill = Bill(
        number=next_number(session, "BILL"), status="draft", supplier_id=supplier.id, po_id=order.id, supplier_ref=supplier_ref,
        bill_date=on, due_date=due_date or on + dt.timedelta(days=supplier.payment_terms_days), note=note, created_by=actor.user_id,
        currency=order.currency, exchange_rate=document_rate(session, order.currency, on, exchange_rate),
    )
    bill.lines = _bill_lines(session, order, lines)
    _bill_totals(bill)
    session.add(bill)
    session.flush()
    record(session, actor, "bill.create", "bill", bill.number, po=po, total=fmt(bill.total), supplier_ref=supplier_ref)
    return bill


def update_bill(
    session: Session, actor: Actor, number: str, *, version: int | None, lines: Sequence[BillLineIn] | None = None,
    supplier_ref: str | None = None, due_date: dt.date | None = None, note: str | None = None, exchange_rate: object | None = None,
) -> Bill:
    actor.require("purchase.bill")
    bill = get_bill(session, number, lock=True)
    check_signed_version(bill, version, "Bill", "供应商发票")
    fields = {f for f, v in (("lines", lines), ("supplier_ref", supplier_ref), ("due_date", due_date), ("note", note), ("exchange_rate", exchange_rate))
              if v is not None}
    flows.BILL.require_editable(number, bill.status, fields)
    if lines is not None:
        po = session.get_one(PurchaseOrder, bill.po_id)
        replace_lines(bill.lines, _bill_lines(session, po, lines),
                      ("po_line_id", "item_id", "qty", "uom", "uom_factor", "unit_price", "vat_rate", "net", "tax"))
    if exchange_rate is not None:
        bill.exchange_rate = document_rate(session, bill.currency, bill.bill_date, exchange_rate)
    if lines is not None or exchange_rate is not None:
        _bill_totals(bill)
    for field in ("supplier_ref", "due_date", "note"):
        if field in fields:
            setattr(bill, field, locals()[field])
    if fields:
        touch(bill)
        session.flush()
        record(session, actor, "bill.update", "bill", number, fields=sorted(fields), total=fmt(bill.total))
    return bill


def match_bill(session: Session, bill: Bill) -> list[dict[str, Any]]:
    """Three-way match: each line's quantity against what was accepted and not yet billed, its price and VAT rate against the order."""
    po = session.get_one(PurchaseOrder, bill.po_id)
    by_id = {line.id: line for line in po.lines}
    skus = _skus(session, {line.item_id for line in bill.lines})
    billing: dict[int, Decimal] = {}
    issues = []
    for line in bill.lines:
        po_line = by_id[line.po_line_id]
        sku = skus[line.item_id]
        billing[po_line.id] = billing.get(po_line.id, Decimal(0)) + line.qty
        open_qty = po_line.accepted_qty - po_line.returned_qty - po_line.billed_qty
        if billing[po_line.id] > open_qty:
            issues.append({
                "line": line.line_no, "sku": sku, "kind": "qty", "billed": fmt(billing[po_line.id]), "expected": fmt(open_qty),
                "message_en": f"Line {line.line_no} ({sku}) bills {fmt(billing[po_line.id])}, but only {fmt(open_qty)} was received, accepted and not yet billed.",
                "message_zh": f"第 {line.line_no} 行（{sku}）开票 {fmt(billing[po_line.id])}，但已收货合格且未开票的只有 {fmt(open_qty)}。",
            })
        ordered = (base_price(po_line) * line.uom_factor).quantize(PRICE_PLACES)  # net of the order's discounts, per the bill line's unit
        if abs(line.unit_price - ordered) > ordered * BILL_PRICE_TOLERANCE:
            issues.append({
                "line": line.line_no, "sku": sku, "kind": "price", "billed": fmt(line.unit_price), "expected": fmt(ordered),
                "message_en": f"Line {line.line_no} ({sku}) is billed at {fmt(line.unit_price)}; the order says {fmt(ordered)} "
                f"(tolerance {fmt(BILL_PRICE_TOLERANCE * 100)} %).",
                "message_zh": f"第 {line.line_no} 行（{sku}）开票单价 {fmt(line.unit_price)}，订单单价 {fmt(ordered)}（容差 {fmt(BILL_PRICE_TOLERANCE * 100)}%）。",
            })
        if line.vat_rate != po_line.vat_rate:
            issues.append({
                "line": line.line_no, "sku": sku, "kind": "vat_rate", "billed": fmt(line.vat_rate), "expected": fmt(po_line.vat_rate),
                "message_en": f"Line {line.line_no} ({sku}) carries VAT {fmt(line.vat_rate)} %; the order says {fmt(po_line.vat_rate)} %.",
                "message_zh": f"第 {line.line_no} 行（{sku}）税率 {fmt(line.vat_rate)}%，订单税率 {fmt(po_line.vat_rate)}%。",
            })
    return issues


def post_bill(session: Session, actor: Actor, number: str, *, version: int | None = None) -> Bill:
    """Match and post. A mismatch blocks the bill (kept, with the reasons) instead of posting it; fix its lines and post again.

    Posting clears goods-received-not-invoiced at the order's price (in yuan at the rate the goods were received at),
    books any price difference as a variance, the input VAT, and the payable to the supplier, in yuan at the bill's
    rate; between the rate the goods came in at and the bill's, the difference is an exchange gain or loss."""
    actor.require("purchase.bill")
    bill = get_bill(session, number, lock=True)
    check_signed_version(bill, version, "Bill", "供应商发票")
    flows.BILL.check(number, bill.status, "post")
    require_open(session, bill.bill_date, "a supplier bill", "供应商发票")
    po = session.get_one(PurchaseOrder, bill.po_id, with_for_update=True)
    issues = match_bill(session, bill)
    if issues:
        transition(bill, "block")
        bill.match_issues = issues
        session.flush()
        record(session, actor, "bill.block", "bill", number, issues=issues)
        _notify(
            session, roles=["finance"], kind="bill.blocked", title_zh=f"发票匹配不符：{number}", title_en=f"Bill blocked by a mismatch: {number}",
            body_zh="；".join(i["message_zh"] for i in issues), body_en="; ".join(i["message_en"] for i in issues), ref_type="bill", ref_id=number,
        )
        return bill
    by_id = {line.id: line for line in po.lines}
    rate = bill.exchange_rate
    journal: list[tuple[str, Decimal, Decimal]] = []
    booked = Decimal(0)  # the debits so far
    for line in bill.lines:
        po_line = by_id[line.po_line_id]
        cleared = money(line.qty * base_price(po_line) * po_line.received_rate)
        at_bill_rate = in_yuan(line.qty * base_price(po_line), rate)
        net = in_yuan(line.net, rate)
        journal += [(GRNI, cleared, Decimal(0)), (PRICE_VARIANCE, net - at_bill_rate, Decimal(0))]
        booked += cleared + net - at_bill_rate
        po_line.billed_qty += line.qty
    tax = in_yuan(bill.tax, rate)
    # The rest is the exchange difference (and, in yuan at rate 1, nothing: the same figures as the document's).
    journal += [(VAT_IN, tax, Decimal(0)), (EXCHANGE, bill.total_cny - booked - tax, Decimal(0)), (AP, Decimal(0), bill.total_cny)]
    post_journal(session, actor, source_type="bill", source_id=number, memo=f"{number} {bill.supplier_ref}".strip(), lines=journal)
    transition(bill, "post")
    bill.match_issues = []
    bill.posted_at = utcnow()
    touch(po)
    _save(session, actor, po)
    record(session, actor, "bill.post", "bill", number, total=fmt(bill.total), po=po.number)
    return bill


def cancel_bill(session: Session, actor: Actor, number: str) -> Bill:
    actor.require("purchase.bill")
    bill = get_bill(session, number, lock=True)
    transition(bill, "cancel")
    record(session, actor, "bill.cancel", "bill", number)
    return bill


def open_payable(
    session: Session, actor: Actor, *, supplier: str, reference: str, amount: object, bill_date: dt.date, due_date: dt.date | None = None,
    currency: str | None = None, exchange_rate: object | None = None,
) -> Bill:
    """What was owed to a supplier when the books began (期初应付): a posted bill of kind opening, with no order, under the
    supplier's bill number; aged, paid and settled like any bill."""
    actor.require("masterdata.import")
    partner = partner_reference(session, supplier, "supplier")
    already_open(session.scalar(select(Bill.number).where(Bill.kind == "opening", Bill.supplier_id == partner.id, Bill.supplier_ref == reference)),
                 partner, reference)
    bill = Bill(number=next_number(session, "OAP"), status="draft", kind="opening", supplier_id=partner.id, po_id=None, supplier_ref=reference,
                bill_date=bill_date, created_by=actor.user_id,
                **opening_terms(session, partner, amount=amount, on=bill_date, due=due_date, currency=currency, exchange_rate=exchange_rate))
    book_opening(session, actor, bill, control=AP, memo=f"{bill.number} 期初应付 opening payable {reference}".strip())
    record(session, actor, "bill.opening", "bill", bill.number, supplier=supplier, reference=reference, total=fmt(bill.total), currency=bill.currency)
    return bill


def apply_debit_note(session: Session, actor: Actor, number: str, *, bill: str, amount: object | None = None) -> Bill:
    """What is left of a debit note settles another open bill of its supplier (all it can, or `amount`)."""
    actor.require("payments.write")
    note = get_bill(session, number, lock=True)
    try:
        target = get_bill(session, bill, lock=True)
    except NotFound:
        raise UnknownReference(f"No bill {bill}.", f"没有供应商发票 {bill}。", field="bill") from None
    apply_note(session, actor, note, target, amount, partner_field="supplier_id", control=AP)
    return note
