"""Payments to suppliers and from customers, allocated to bills and invoices, with their journal entries.

A supplier payment debits accounts payable and credits the bank; a customer payment debits the
bank and credits accounts receivable. The part of a payment not allocated to a document stays
on the partner's account (an advance) and can be allocated later.

A payment is in one currency, booked in yuan at the rate of its day or the one the bank applied. It settles
documents in its own currency only; settling one, the yuan it carries at its rate and the yuan the document
was booked at differ by the realised exchange gain or loss (6603), booked when the allocation is made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.services import next_number, touch
from server.errors import Conflict, InvalidInput, NotFound, UnknownReference
from server.finance.currency import document_rate, in_yuan, known_currency
from server.finance.models import Payment, PaymentAllocation
from server.finance.periods import require_open
from server.finance.services import AP, AR, BANK, EXCHANGE, post_journal
from server.partners.services import partner_reference
from server.quantities import as_decimal
from server.schemas import fmt
from server.sorting import looked_up, sorted_by


@dataclasses.dataclass(frozen=True)
class PayableKind:
    """A document type a payment can settle: its table, state machine and which partner kind it belongs to."""

    model: Any
    flow: flows.Flow
    partner_kind: str
    partner_field: str


def payable_kinds() -> dict[str, PayableKind]:
    from server.purchasing.models import Bill

    kinds = {"bill": PayableKind(Bill, flows.BILL, "supplier", "supplier_id")}
    try:
        from server.sales.models import Invoice
    except ImportError:
        return kinds
    kinds["invoice"] = PayableKind(Invoice, flows.INVOICE, "customer", "customer_id")
    return kinds


@dataclasses.dataclass(frozen=True)
class AllocationIn:
    document: str  # a bill or invoice number
    amount: object


def positive_amount(value: object, field: str = "amount") -> Decimal:
    number = as_decimal(value, field)
    if number <= 0 or number != number.quantize(Decimal("0.01")):
        raise InvalidInput(
            f"{field} must be a positive amount in yuan and fen (got {value}).", f"{field} 必须是正数，最多两位小数（收到 {value}）。", field=field
        )
    return number


def _document(session: Session, kind: str, number: str) -> tuple[str, Any, PayableKind]:
    for name, spec in payable_kinds().items():
        if spec.partner_kind != kind:
            continue
        row = session.scalar(select(spec.model).where(spec.model.number == number).with_for_update())
        if row is not None:
            return name, row, spec
    raise UnknownReference(f"No open {'bill' if kind == 'supplier' else 'invoice'} {number}.", f"没有待结算单据 {number}。", document=number)


def _currency_of(doc: Any) -> str:
    return str(doc.currency)


def record_payment(
    session: Session, actor: Actor, *, kind: str, partner: str, amount: object, paid_on: dt.date | None = None, method: str = "bank",
    reference: str = "", allocations: Sequence[AllocationIn] = (), currency: str | None = None, exchange_rate: object | None = None,
) -> Payment:
    """A payment made (kind supplier) or received (kind customer), settling the documents it is allocated to; in the
    currency named, else that of the first document it settles, else the partner's."""
    actor.require("payments.write")
    if kind not in ("supplier", "customer"):
        raise InvalidInput("kind is supplier or customer.", "kind 必须是 supplier 或 customer。")
    partner_row = partner_reference(session, partner, kind)
    total = positive_amount(amount)
    if currency is None:
        currency = _currency_of(_document(session, kind, allocations[0].document)[1]) if allocations else partner_row.currency
    currency = known_currency(session, currency)
    day = paid_on or local_today()
    require_open(session, day, "a payment", "收付款")
    rate = document_rate(session, currency, day, exchange_rate)
    in_cny = in_yuan(total, rate)
    payment = Payment(
        number=next_number(session, "PAY" if kind == "supplier" else "REC"), kind=kind, partner_id=partner_row.id, amount=total,
        unallocated=total, paid_on=day, method=method, reference=reference, created_by=actor.user_id, currency=currency,
        exchange_rate=rate, amount_cny=in_cny, unallocated_cny=in_cny,
    )
    session.add(payment)
    session.flush()
    lines = [(AP, in_cny, Decimal(0)), (BANK, Decimal(0), in_cny)] if kind == "supplier" else [(BANK, in_cny, Decimal(0)), (AR, Decimal(0), in_cny)]
    post_journal(session, actor, source_type="payment", source_id=payment.number, memo=f"{payment.number} {partner} {reference}".strip(), lines=lines)
    for allocation in allocations:
        _allocate(session, actor, payment, allocation, partner_row.id)
    record(session, actor, "payment.record", "payment", payment.number, kind=kind, partner=partner, amount=fmt(total),
           allocations=[[a.document, str(a.amount)] for a in allocations])
    return payment


def allocate(session: Session, actor: Actor, number: str, allocations: Sequence[AllocationIn]) -> Payment:
    """Apply the unallocated part of an earlier payment to documents."""
    actor.require("payments.write")
    payment = session.scalar(select(Payment).where(Payment.number == number).with_for_update())
    if payment is None:
        raise NotFound(f"No payment {number}.", f"没有收付款 {number}。")
    for allocation in allocations:
        _allocate(session, actor, payment, allocation, payment.partner_id)
    payment.version += 1
    record(session, actor, "payment.allocate", "payment", number, allocations=[[a.document, str(a.amount)] for a in allocations])
    return payment


def _allocate(session: Session, actor: Actor, payment: Payment, allocation: AllocationIn, partner_id: int) -> None:
    amount = positive_amount(allocation.amount, "allocation")
    doc_type, doc, spec = _document(session, payment.kind, allocation.document)
    if doc.kind not in ("invoice", "bill", "opening"):
        raise InvalidInput(f"{doc.number} is a credit or debit note; payments settle invoices and bills.", f"{doc.number} 是红字发票，收付款只能核销发票。",
                           code="not_payable")
    if getattr(doc, spec.partner_field) != partner_id:
        raise InvalidInput(f"{doc.number} belongs to another partner.", f"{doc.number} 属于其他往来单位。", code="partner_mismatch")
    if _currency_of(doc) != payment.currency:
        raise InvalidInput(
            f"{doc.number} is in {_currency_of(doc)}; payment {payment.number} is in {payment.currency} and can settle only documents in it.",
            f"{doc.number} 的币种是 {_currency_of(doc)}；收付款 {payment.number} 的币种是 {payment.currency}，只能核销同币种单据。",
            code="currency_mismatch", field="currency",
        )
    if doc.status not in ("posted", "partially_paid"):
        spec.flow.check(doc.number, doc.status, "pay")
    open_amount = doc.total - doc.paid - doc.credited
    if amount > open_amount:
        raise Conflict(
            f"{doc.number} has {fmt(open_amount)} left to pay; {fmt(amount)} cannot be allocated to it.",
            f"{doc.number} 尚余 {fmt(open_amount)} 未结，不能分配 {fmt(amount)}。",
            code="over_allocation", open=fmt(open_amount),
        )
    if amount > payment.unallocated:
        raise Conflict(
            f"Payment {payment.number} has {fmt(payment.unallocated)} left to allocate, not {fmt(amount)}.",
            f"收付款 {payment.number} 尚余 {fmt(payment.unallocated)} 可分配，不足 {fmt(amount)}。",
            code="over_allocation", unallocated=fmt(payment.unallocated),
        )
    # In yuan: what this part of the payment was booked at, and what it settles of the document as booked (the last
    # part of either takes what is left, so no fen stays behind on a settled document or a used-up payment).
    paid_cny = payment.unallocated_cny if amount == payment.unallocated else in_yuan(amount, payment.exchange_rate)
    payment.unallocated_cny -= paid_cny
    left_cny = doc.total_cny - doc.paid_cny - doc.credited_cny
    settles_cny = left_cny if amount == open_amount else in_yuan(amount, doc.exchange_rate)
    doc.paid_cny += settles_cny
    doc.paid += amount
    settled = doc.paid + doc.credited
    transition(doc, "pay" if settled < doc.total else "close")
    payment.unallocated -= amount
    session.add(PaymentAllocation(payment_id=payment.id, doc_type=doc_type, doc_id=doc.id, amount=amount))
    session.flush()
    difference = paid_cny - settles_cny  # paid more yuan than booked: a loss on a payable, a gain on a receivable
    if difference:
        post_journal(session, actor, source_type="payment", source_id=payment.number, memo=f"{payment.number} {doc.number} exchange difference",
                     lines=_exchange_difference(AP if payment.kind == "supplier" else AR, difference))


def _exchange_difference(control: str, difference: Decimal) -> list[tuple[str, Decimal, Decimal]]:
    """The entry that makes a receivable (AR) or payable (AP) account agree with what is open on its documents once `difference`
    more yuan settled them than they were booked at: a loss on a payable, a gain on a receivable."""
    if control == AP:
        return [(EXCHANGE, difference, Decimal(0)), (AP, Decimal(0), difference)]
    return [(AR, difference, Decimal(0)), (EXCHANGE, Decimal(0), difference)]


def settle_with_note(session: Session, actor: Actor, note: Any, documents: Sequence[Any], *, control: str, up_to: Decimal | None = None) -> None:
    """A credit note (against receivables, `control` AR) or debit note (against payables, AP) settles `documents`, oldest first,
    as far as it reaches (and no more than `up_to`); what it cannot settle stays on the partner's account, unapplied."""
    for doc in documents:
        settle = min(note.total - note.paid, doc.total - doc.paid - doc.credited, up_to if up_to is not None else note.total)
        if settle <= 0:
            continue
        _note_in_yuan(session, actor, note, doc, settle, control)
        doc.credited += settle
        note.paid += settle
        if up_to is not None:
            up_to -= settle
        if doc.paid + doc.credited >= doc.total:
            transition(doc, "close")
        else:
            touch(doc)
    if note.paid > 0:
        transition(note, "close" if note.paid == note.total else "pay")


def apply_note(session: Session, actor: Actor, note: Any, doc: Any, amount: object | None, *, partner_field: str, control: str) -> None:
    """What is left of a credit or debit note settles an open document of the same partner and currency: all it can, or
    `amount` of it. The note's unapplied rest is how a partner's later invoice or bill gets what an earlier return gave back."""
    actor.require("payments.write")
    if note.kind not in ("credit_note", "debit_note"):
        raise InvalidInput(f"{note.number} is not a credit or debit note.", f"{note.number} 不是红字发票。", code="not_a_note")
    if note.status not in ("posted", "partially_paid") or note.total - note.paid <= 0:
        raise Conflict(f"{note.number} has nothing left to apply.", f"{note.number} 已无余额可核销。", code="nothing_to_apply")
    if doc.kind == note.kind or doc.kind not in ("invoice", "bill", "opening"):
        raise InvalidInput(f"{doc.number} is not an invoice or bill a note can settle.", f"{doc.number} 不是可核销的发票。", code="not_payable",
                           field="document")
    if getattr(doc, partner_field) != getattr(note, partner_field):
        raise InvalidInput(f"{doc.number} belongs to another partner.", f"{doc.number} 属于其他往来单位。", code="partner_mismatch", field="document")
    if doc.currency != note.currency:
        raise InvalidInput(f"{doc.number} is in {doc.currency}; {note.number} is in {note.currency}.",
                           f"{doc.number} 的币种是 {doc.currency}，{note.number} 的币种是 {note.currency}。", code="currency_mismatch", field="document")
    if doc.status not in ("posted", "partially_paid"):
        raise Conflict(f"{doc.number} is settled already.", f"{doc.number} 已结清。", code="wrong_state", field="document")
    open_amount = doc.total - doc.paid - doc.credited
    wanted = min(note.total - note.paid, open_amount) if amount is None else positive_amount(amount)
    if wanted > note.total - note.paid or wanted > open_amount:
        raise Conflict(
            f"{fmt(wanted)} is more than {note.number} has left ({fmt(note.total - note.paid)}) or {doc.number} has open ({fmt(open_amount)}).",
            f"{fmt(wanted)} 超过 {note.number} 的余额（{fmt(note.total - note.paid)}）或 {doc.number} 的未结金额（{fmt(open_amount)}）。",
            code="over_allocation", field="amount",
        )
    settle_with_note(session, actor, note, [doc], control=control, up_to=wanted)
    if control == AR:
        record(session, actor, "invoice.apply", "invoice", note.number, document=doc.number, amount=fmt(wanted))
    else:
        record(session, actor, "bill.apply", "bill", note.number, document=doc.number, amount=fmt(wanted))


def _note_in_yuan(session: Session, actor: Actor, note: Any, doc: Any, settle: Decimal, control: str) -> None:
    """The yuan a note settles of a document: of each as booked (the last part of either takes what is left). Booked at
    different rates, or rounded differently, the two differ: that is an exchange difference on the control account."""
    used = note.total_cny - note.paid_cny if settle == note.total - note.paid else in_yuan(settle, note.exchange_rate)
    cleared = (doc.total_cny - doc.paid_cny - doc.credited_cny if settle == doc.total - doc.paid - doc.credited
               else in_yuan(settle, doc.exchange_rate))
    note.paid_cny += used
    doc.credited_cny += cleared
    if used != cleared:
        post_journal(session, actor, source_type=note.__tablename__[:-1], source_id=note.number, memo=f"{note.number} {doc.number} exchange difference",
                     lines=_exchange_difference(control, used - cleared))


def get_payment(session: Session, number: str) -> Payment:
    row = session.scalar(select(Payment).where(Payment.number == number))
    if row is None:
        raise NotFound(f"No payment {number}.", f"没有收付款 {number}。")
    return row


def allocations_of(session: Session, payment: Payment) -> list[tuple[str, Decimal]]:
    out = []
    kinds = payable_kinds()
    for alloc in session.scalars(select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id).order_by(PaymentAllocation.id)):
        model = kinds[alloc.doc_type].model
        out.append((session.scalar(select(model.number).where(model.id == alloc.doc_id)) or "", alloc.amount))
    return out


def payment_sort() -> dict[str, Any]:
    """What the payment list may be sorted by, named as its answer's fields."""
    from server.partners.models import Partner

    return {
        "number": Payment.number, "kind": Payment.kind, "partner": looked_up(Partner.code, Partner.id == Payment.partner_id), "amount": Payment.amount,
        "unallocated": Payment.unallocated, "paid_on": Payment.paid_on, "method": Payment.method, "reference": Payment.reference,
        "created_at": Payment.created_at,
    }


def list_payments(
    session: Session, *, kind: str | None, partner: str | None, limit: int, offset: int, date_from: dt.date | None = None,
    date_to: dt.date | None = None, sort: str | None = None,
) -> tuple[list[Payment], int]:
    """Payments, newest first or as `sort` asks: of a kind, of a partner, paid on days `date_from` through `date_to`."""
    query = select(Payment)
    if date_from:
        query = query.where(Payment.paid_on >= date_from)
    if date_to:
        query = query.where(Payment.paid_on <= date_to)
    if kind:
        query = query.where(Payment.kind == kind)
    if partner:
        from server.partners.models import Partner

        query = query.where(Payment.partner_id == select(Partner.id).where(Partner.code == partner).scalar_subquery())
    ordered = sorted_by(query, sort, payment_sort(), default=(Payment.id.desc(),), tiebreak=Payment.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(ordered.limit(limit).offset(offset))), total
