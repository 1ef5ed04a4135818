"""Sending a document's PDF by e-mail — a purchase order to its supplier, an invoice or credit note to its customer, a
shipped order's delivery note to its customer, a statement to its partner — and the record of each e-mail: what went to whom, by whom, when, and whether the mail server
took it.

One business action, in steps: the permission that lets the sender print the document as the partner reads it (with its
prices), the addresses and subject checked as typed, the mail server set up, the document read (it must be one that goes
out: an approved order, a posted invoice, a shipped order's delivery note), its PDF drawn in a report worker exactly as the person would download it, the
e-mail handed to the mail server outside any transaction, then one write: the record and its audit entry. An attempt the
mail server refused is recorded too (outcome `failed`, with its reason), and answered 502 `email_not_sent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Callable
from email.headerregistry import Address
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.models import User
from server.auth.permissions import Actor
from server.base import utcnow
from server.db import Database
from server.documents.flows import STATE_NAMES
from server.errors import Conflict, InvalidInput, NotFound
from server.mail import letters
from server.mail.models import DocumentEmail
from server.mail.schemas import ContactAddressOut, DocumentEmailOut, EmailDraftOut, EmailRequest
from server.mail.smtp import MailServer, NotConfigured, NotSent
from server.partners.models import Partner
from server.printing import documents
from server.printing.sheets import Letterhead
from server.purchasing.services import get_po
from server.reports.documents import find_partner
from server.reports.statement import StatementParams, partner_statement
from server.reports.worker import Rendered, render_in_worker
from server.sales.services import get_invoice, get_so
from server.settings import Settings

# The states in which a document goes out: a purchase order once approved (sending one before would go round its
# approval), an invoice once posted (a draft is not issued yet, a cancelled one never was).
PO_SENT_IN = ("approved", "partially_received", "received", "closed")
INVOICE_SENT_IN = ("posted", "partially_paid", "paid")
DELIVERY_SENT_IN = ("shipped", "invoiced", "closed")  # a delivery note exists once its order has shipped
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class EmailKind:
    permission: str  # what lets the sender print it as the partner reads it
    target_type: str  # the audit entries' target: the document's own history (po, invoice) or the partner's


# The kinds of documents sent by e-mail, by the names the printed documents go by (server.printing.documents.BUILDERS).
KINDS: dict[str, EmailKind] = {
    "purchase_order": EmailKind("prices.read", "po"),
    "invoice": EmailKind("prices.read", "invoice"),
    "delivery_note": EmailKind("prices.read", "so"),
    "statement": EmailKind("finance.read", "partner"),
}


def email_kind(kind: str) -> EmailKind:
    found = KINDS.get(kind)
    if found is None:
        names = ", ".join(KINDS)
        raise NotFound(f"Documents of kind {kind!r} are not sent by e-mail; these are: {names}.",
                       f"“{kind}”类单据不能通过电子邮件发送；可发送的单据类型为：{names}。", code="unknown_kind", kinds=list(KINDS))
    return found


@dataclasses.dataclass(frozen=True)
class Addressed:
    """A document that goes out by e-mail, and the partner it goes to."""

    kind: str
    number: str  # the document's number; a statement's partner code
    partner: Partner
    title_zh: str
    title_en: str
    reference: str  # its number, or a statement's partner and period
    side: str = ""  # a statement's: customer or supplier
    period: tuple[dt.date, dt.date] | None = None
    currency: str = ""

    @property
    def statement(self) -> bool:
        return self.kind == "statement"


def _refuse_state(name_en: str, name_zh: str, number: str, state: str, when_en: str, when_zh: str) -> Conflict:
    zh, en = STATE_NAMES.get(state, (state, state))
    return Conflict(f"{name_en} {number} is {en}: {when_en}", f"{name_zh} {number} 当前状态为“{zh}”：{when_zh}", code="wrong_state",
                    number=number, status=state)


def addressed(session: Session, kind: str, number: str, statement: StatementParams | None = None, side: str = "") -> Addressed:
    """The document of `kind` and `number` as it goes out, or 404 when there is none, 409 when it is not one to send yet."""
    if kind == "purchase_order":
        po = get_po(session, number)
        if po.status not in PO_SENT_IN:
            raise _refuse_state("Purchase order", "采购订单", po.number, po.status, "it is sent to the supplier once approved.",
                                "审批通过后才能发送给供应商。")
        return Addressed(kind, po.number, session.get_one(Partner, po.supplier_id), "采购订单", "Purchase order", po.number)
    if kind == "invoice":
        invoice = get_invoice(session, number)
        if invoice.status not in INVOICE_SENT_IN:
            raise _refuse_state("Invoice", "发票", invoice.number, invoice.status, "an invoice is sent once posted.", "发票过账后才能发送。")
        zh, en = ("红字发票（贷项通知单）", "Credit note") if invoice.kind == "credit_note" else ("销售发票", "Invoice")
        return Addressed(kind, invoice.number, session.get_one(Partner, invoice.customer_id), zh, en, invoice.number)
    if kind == "delivery_note":
        order = get_so(session, number)
        if order.shipped_at is None or order.status not in DELIVERY_SENT_IN:
            raise _refuse_state("Sales order", "销售订单", order.number, order.status, "its delivery note is sent once it has shipped.",
                                "发货后才能发送送货单。")
        return Addressed(kind, order.number, session.get_one(Partner, order.customer_id), "送货单", "Delivery note", order.number)
    params = statement or StatementParams(partner=number)
    params.check()
    found = partner_statement(session, params, side)
    customer = found.side == "customer"
    period = f"{found.date_from.isoformat()} – {found.date_to.isoformat()}"
    return Addressed(kind, found.partner.code, found.partner, "客户对账单" if customer else "供应商对账单",
                     "Customer statement" if customer else "Supplier statement", f"{found.partner.code} {period}", found.side,
                     (found.date_from, found.date_to), found.currency)


def _parsed(text: str) -> Address | None:
    try:
        return letters.address(text, "to") if text.strip() else None
    except InvalidInput:
        return None  # an address typed wrongly on the partner is not offered


def _on_file(partner: Partner) -> list[ContactAddressOut]:
    """The partner's addresses on file that are addresses, each once: its own first, then its contacts' (with their names)."""
    found: dict[str, ContactAddressOut] = {}
    own = _parsed(partner.email)
    if own is not None:
        found[own.addr_spec.lower()] = ContactAddressOut(name=partner.name_zh or partner.name_en, role="", address=str(own))
    for contact in partner.contacts:
        parsed = _parsed(contact.email)
        if parsed is not None and parsed.addr_spec.lower() not in found:
            named = parsed if parsed.display_name else Address(display_name=contact.name, addr_spec=parsed.addr_spec)
            found[parsed.addr_spec.lower()] = ContactAddressOut(name=contact.name, role=contact.role, address=str(named))
    return list(found.values())


def default_recipients(partner: Partner) -> list[str]:
    """Whom a document goes to unless told: the partner's own e-mail address, or, when it has none, its contacts'."""
    own = _parsed(partner.email)
    if own is not None:
        return [str(own)]
    return [c.address for c in _on_file(partner)][: letters.MAX_RECIPIENTS]


def _signed(session: Session, actor: Actor) -> str:
    name = session.scalar(select(User.display_name).where(User.id == actor.user_id)) if actor.user_id else None
    return name or actor.username


def letter_for(session: Session, actor: Actor, document: Addressed, lang: str, company: Letterhead) -> letters.Letter:
    return letters.Letter(lang=lang, title_zh=document.title_zh, title_en=document.title_en, reference=document.reference,
                          company=company.name(lang), signed=_signed(session, actor), statement=document.statement)


def draft(session: Session, actor: Actor, settings: Settings, document: Addressed, lang: str) -> EmailDraftOut:
    """What the e-mail would be, before the person changes it: recipients, subject, language, and the addresses on file."""
    try:
        sender = str(MailServer.of(settings).sender)
    except NotConfigured:
        sender = ""
    letter = letter_for(session, actor, document, lang, Letterhead.of(settings))
    return EmailDraftOut(kind=document.kind, number=document.number, configured=bool(sender), sender=sender,
                         to=default_recipients(document.partner), cc=[], subject=letter.subject(), language=lang,
                         contacts=_on_file(document.partner))


# Sending ---------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Asked:
    """A request to send, checked: every address and the subject as typed, before anything is looked up or sent."""

    to: list[Address] | None  # None: the partner's addresses on file
    cc: list[Address]
    subject: str | None
    message: str
    language: str | None


def checked(request: EmailRequest) -> Asked:
    """The request's addresses, subject and message checked (422 naming the field); nothing is read or written yet."""
    to = [letters.address(text, "to") for text in request.to] if request.to is not None else None
    cc = [letters.address(text, "cc") for text in request.cc]
    if to is not None:
        to, cc = letters.recipients(to, cc)
    subject = letters.subject(request.subject) if request.subject is not None else None
    return Asked(to, cc, subject, letters.message_text(request.message), request.language)


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """An e-mail about to go: everything the record keeps of it."""

    document: Addressed
    to: list[Address]
    cc: list[Address]
    subject: str
    message: str
    language: str
    body: str


def outgoing(session: Session, actor: Actor, settings: Settings, asked: Asked, document: Addressed, lang: str) -> Outgoing:
    """The e-mail as it will go: what was asked, the rest from the document (the partner's addresses, its name as subject)."""
    letter = letter_for(session, actor, document, lang, Letterhead.of(settings))
    if asked.to is None:
        to, cc = letters.recipients([letters.address(text, "to") for text in default_recipients(document.partner)], asked.cc)
    else:
        to, cc = asked.to, asked.cc
    subject = asked.subject or letters.subject(letter.subject()[: letters.MAX_SUBJECT])
    return Outgoing(document, to, cc, subject, asked.message, lang, letter.body(asked.message))


def record_email(session: Session, actor: Actor, mail: Outgoing, *, attachment: str, message_id: str, error: str,
                 sent: bool, key: str | None) -> DocumentEmail:
    """The e-mail's record on its document, and its audit entry (on the document's history; a statement's, on its partner)."""
    document = mail.document
    row = DocumentEmail(
        kind=document.kind, number=document.number, partner_id=document.partner.id,
        period_from=document.period[0] if document.period else None, period_to=document.period[1] if document.period else None,
        to_addresses=[str(a) for a in mail.to], cc_addresses=[str(a) for a in mail.cc], subject=mail.subject, message=mail.message,
        language=mail.language, attachment=attachment[:200], sent_by=actor.user_id, sent_at=utcnow(), message_id=message_id[:255],
        outcome="sent" if sent else "failed", error=error[:500], idempotency_key=key,
    )
    session.add(row)
    session.flush()
    statement: dict[str, Any] = {}
    if document.period:
        statement = {"side": document.side, "period_from": document.period[0].isoformat(), "period_to": document.period[1].isoformat(),
                     "currency": document.currency}
    record(session, actor, "document.email" if sent else "document.email_failed", KINDS[document.kind].target_type, document.number,
           kind=document.kind, to=row.to_addresses, cc=row.cc_addresses, subject=row.subject, language=row.language,
           attachment=row.attachment, message_id=row.message_id, outcome=row.outcome, error=row.error, **statement)
    return row


def email_out(session: Session, row: DocumentEmail) -> DocumentEmailOut:
    user = session.scalar(select(User.username).where(User.id == row.sent_by)) if row.sent_by else None
    return DocumentEmailOut(
        id=row.id, kind=row.kind, number=row.number, to=list(row.to_addresses or []), cc=list(row.cc_addresses or []), subject=row.subject,
        message=row.message, language=row.language, attachment=row.attachment, sent_by=user, sent_at=row.sent_at,
        message_id=row.message_id, outcome=row.outcome, error=row.error, period_from=row.period_from, period_to=row.period_to,
    )


def already_sent(session: Session, actor: Actor, key: str, kind: str, number: str) -> DocumentEmailOut | None:
    """The e-mail this user sent with this Idempotency-Key, if any (a repeated request sends nothing again)."""
    if len(key) > 200:
        raise InvalidInput("The Idempotency-Key is too long (200 characters at most).", "Idempotency-Key 过长（最多 200 个字符）。")
    row = session.scalar(select(DocumentEmail).where(DocumentEmail.sent_by == actor.user_id, DocumentEmail.idempotency_key == key))
    if row is None:
        return None
    if (row.kind, row.number) != (kind, number):
        raise InvalidInput("This Idempotency-Key was already used for a different request.", "该 Idempotency-Key 已用于另一个请求。",
                           code="idempotency_key_reused")
    return email_out(session, row)


def emails_of(session: Session, kind: str, number: str, limit: int, offset: int) -> tuple[list[DocumentEmail], int]:
    """The e-mails of a document (a statement's: of its partner, every period), newest first."""
    if kind == "purchase_order":
        number = get_po(session, number).number
    elif kind == "invoice":
        number = get_invoice(session, number).number
    elif kind == "delivery_note":
        number = get_so(session, number).number
    else:
        number = find_partner(session, number, "partner").code
    on_it = (DocumentEmail.kind == kind, DocumentEmail.number == number)
    total = session.scalar(select(func.count()).select_from(DocumentEmail).where(*on_it)) or 0
    rows = session.scalars(select(DocumentEmail).where(*on_it).order_by(DocumentEmail.sent_at.desc(), DocumentEmail.id.desc())
                           .limit(limit).offset(offset))
    return list(rows), total


async def _read(db: Database, action: Callable[[Session], T]) -> T:
    """A read in one snapshot, off the event loop."""

    def run() -> T:
        with db.read() as session:
            return action(session)

    return await asyncio.to_thread(run)


def _pdf(rendered: Rendered) -> bytes:
    """The PDF's bytes, from the answer or from the spool file a big one comes in (removed once read)."""
    if rendered.spool is None:
        return rendered.content
    try:
        with open(rendered.spool, "rb") as spool:
            return spool.read()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(rendered.spool)


async def email_document(db: Database, settings: Settings, actor: Actor, kind: str, number: str, request: EmailRequest, *,
                         statement: StatementParams | None = None, side: str = "", key: str | None = None) -> tuple[DocumentEmailOut, bool]:
    """Send the document's PDF by e-mail and record it: the record, and whether it is new (False: the Idempotency-Key's
    e-mail, sent before, not sent again). Raises NotSent (502) after recording an attempt the mail server refused."""
    actor.require(email_kind(kind).permission)
    asked = checked(request)
    server = MailServer.of(settings)
    if key is not None:
        before = await _read(db, lambda s: already_sent(s, actor, key, kind, number))
        if before is not None:
            return before, False
    lang = asked.language or actor.language
    mail = await _read(db, lambda s: outgoing(s, actor, settings, asked, addressed(s, kind, number, statement, side), lang))
    document, company = mail.document, Letterhead.of(settings)
    if document.statement:
        params = statement or StatementParams(partner=number)
        rendered = await render_in_worker(documents.print_statement, db.url, document.side, params, actor, lang, company)
    else:
        rendered = await render_in_worker(documents.print_document, db.url, kind, document.number, actor, lang, company)
    file_name = rendered.file_name or f"{document.number}.pdf"
    pdf = await asyncio.to_thread(_pdf, rendered)
    message = letters.compose(sender=server.sender, to=mail.to, cc=mail.cc, subject=mail.subject, body=mail.body, pdf=pdf, file_name=file_name,
                              at=utcnow())
    message_id = str(message["Message-ID"])

    def written(sent: bool, error: str) -> Callable[[Session], DocumentEmailOut]:
        def write(session: Session) -> DocumentEmailOut:
            row = record_email(session, actor, mail, attachment=file_name, message_id=message_id, error=error, sent=sent, key=key if sent else None)
            return email_out(session, row)

        return write

    try:
        refused = await asyncio.to_thread(server.send, message)
    except NotSent as failure:
        await asyncio.to_thread(db.run_write, written(False, failure.reason))
        raise
    error = "; ".join(f"{address}: {reason}" for address, reason in refused.items())
    return await asyncio.to_thread(db.run_write, written(True, error)), True
