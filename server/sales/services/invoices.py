"""Invoices and credit notes: invoicing what shipped, posting to the books, cancelling a draft."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.lines import base_price, unit_price_of
from server.documents.services import next_number, touch
from server.errors import Conflict, NotFound, UnknownReference
from server.finance.currency import in_yuan, rate_on
from server.finance.opening import already_open, book_opening, opening_terms
from server.finance.payments import apply_note
from server.finance.periods import require_open
from server.finance.services import AR, REVENUE, VAT_OUT, money, post_journal
from server.partners.models import Partner
from server.partners.services import partner_reference
from server.sales.models import Invoice, InvoiceLine, SalesOrder
from server.sales.services.common import get_invoice, get_so
from server.schemas import fmt


def create_invoice(session: Session, actor: Actor, number: str, *, invoice_date: dt.date | None = None, post: bool = True) -> Invoice:
    """Invoice what was shipped and not yet invoiced on an order, in its currency at the rate of the invoice's day;
    posted at once unless `post` is false."""
    actor.require("sales.invoice")
    so = get_so(session, number, lock=True)
    if so.status not in ("shipped", "invoiced"):
        flows.SALES_ORDER.check(number, so.status, "invoice")
    customer = session.get_one(Partner, so.customer_id)
    on = invoice_date or local_today()
    require_open(session, on, "an invoice", "销售发票")
    invoice = Invoice(
        number=next_number(session, "INV"), status="draft", kind="invoice", customer_id=customer.id, so_id=so.id, invoice_date=on,
        due_date=on + dt.timedelta(days=customer.payment_terms_days), created_by=actor.user_id, currency=so.currency,
        exchange_rate=rate_on(session, so.currency, on),
    )
    n = 0
    for line in so.lines:
        qty = line.shipped_qty - line.returned_qty - line.invoiced_qty  # what the customer kept and was not billed for
        if qty <= 0:
            continue
        n += 1
        net = money(qty * base_price(line))
        invoice.lines.append(InvoiceLine(
            line_no=n, so_line_id=line.id, item_id=line.item_id, qty=qty, uom=line.uom, uom_factor=line.uom_factor, unit_price=unit_price_of(line),
            vat_rate=line.vat_rate,
            net=net, tax=money(net * line.vat_rate / 100),
        ))
        line.invoiced_qty += qty
    if not invoice.lines:
        raise Conflict(f"Everything shipped on {number} is already invoiced.", f"{number} 已发货的商品均已开票。", code="nothing_to_invoice")
    _invoice_totals(invoice)
    session.add(invoice)
    if all(line.invoiced_qty >= line.shipped_qty - line.returned_qty for line in so.lines) and so.status == "shipped":
        transition(so, "invoice")
    else:
        touch(so)
    session.flush()
    record(session, actor, "invoice.create", "invoice", invoice.number, so=number, total=fmt(invoice.total))
    if post:
        post_invoice(session, actor, invoice.number)
    return invoice


def _invoice_totals(invoice: Invoice) -> None:
    invoice.subtotal = sum((line.net for line in invoice.lines), Decimal(0))
    invoice.tax = sum((line.tax for line in invoice.lines), Decimal(0))
    invoice.total = invoice.subtotal + invoice.tax
    invoice.total_cny = in_yuan(invoice.total, invoice.exchange_rate)


def post_invoice(session: Session, actor: Actor, number: str) -> Invoice:
    """Receivable against revenue and output VAT (a credit note the other way round), in yuan at the invoice's rate."""
    actor.require("sales.invoice")
    invoice = get_invoice(session, number, lock=True)
    require_open(session, invoice.invoice_date, "an invoice", "销售发票")
    transition(invoice, "post")
    tax = in_yuan(invoice.tax, invoice.exchange_rate)
    lines = [(AR, invoice.total_cny, Decimal(0)), (REVENUE, Decimal(0), invoice.total_cny - tax), (VAT_OUT, Decimal(0), tax)]
    if invoice.kind == "credit_note":
        lines = [(code, credit, debit) for code, debit, credit in lines]
    post_journal(session, actor, source_type="invoice", source_id=number, memo=number, lines=lines)
    invoice.posted_at = utcnow()
    record(session, actor, "invoice.post", "invoice", number, total=fmt(invoice.total), kind=invoice.kind)
    return invoice


def cancel_invoice(session: Session, actor: Actor, number: str) -> Invoice:
    """A draft invoice that should not go out: cancelled, and its quantities can be invoiced again."""
    actor.require("sales.invoice")
    invoice = get_invoice(session, number, lock=True)
    transition(invoice, "cancel")
    so = get_so(session, session.scalar(select(SalesOrder.number).where(SalesOrder.id == invoice.so_id)) or "", lock=True)
    lines = {line.id: line for line in so.lines}
    for line in invoice.lines:
        lines[line.so_line_id].invoiced_qty -= line.qty
    if so.status == "invoiced":
        transition(so, "uninvoice")
    else:
        touch(so)
    record(session, actor, "invoice.cancel", "invoice", number)
    return invoice


def open_receivable(
    session: Session, actor: Actor, *, customer: str, reference: str, amount: object, invoice_date: dt.date, due_date: dt.date | None = None,
    currency: str | None = None, exchange_rate: object | None = None,
) -> Invoice:
    """What a customer owed when the books began (期初应收): a posted invoice of kind opening, with no order, its original
    number kept in its note; aged, paid and settled like any invoice."""
    actor.require("masterdata.import")
    partner = partner_reference(session, customer, "customer")
    already_open(session.scalar(select(Invoice.number).where(Invoice.kind == "opening", Invoice.customer_id == partner.id, Invoice.note == reference)),
                 partner, reference)
    invoice = Invoice(number=next_number(session, "OAR"), status="draft", kind="opening", customer_id=partner.id, so_id=None, invoice_date=invoice_date,
                      note=reference, created_by=actor.user_id,
                      **opening_terms(session, partner, amount=amount, on=invoice_date, due=due_date, currency=currency, exchange_rate=exchange_rate))
    book_opening(session, actor, invoice, control=AR, memo=f"{invoice.number} 期初应收 opening receivable {reference}".strip())
    record(session, actor, "invoice.opening", "invoice", invoice.number, customer=customer, reference=reference, total=fmt(invoice.total),
           currency=invoice.currency)
    return invoice


def apply_credit_note(session: Session, actor: Actor, number: str, *, invoice: str, amount: object | None = None) -> Invoice:
    """What is left of a credit note settles another open invoice of its customer (all it can, or `amount`)."""
    actor.require("payments.write")
    note = get_invoice(session, number, lock=True)
    try:
        target = get_invoice(session, invoice, lock=True)
    except NotFound:
        raise UnknownReference(f"No invoice {invoice}.", f"没有发票 {invoice}。", field="invoice") from None
    apply_note(session, actor, note, target, amount, partner_field="customer_id", control=AR)
    return note
