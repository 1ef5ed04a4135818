"""Opening receivables and payables (期初应收应付): what customers owed and what was owed to suppliers when the books began.

Each is a posted document of kind opening (an invoice or a bill with no order), in its own currency at the rate of its
day or the one stated, booked against opening-balance equity (4190): receivables Dr 1122 / Cr 4190, payables Dr 4190 /
Cr 2202. From then on it is aged, paid and settled like any invoice or bill.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.base import utcnow
from server.documents.flows import transition
from server.errors import Conflict
from server.finance.currency import document_rate, in_yuan, known_currency
from server.finance.payments import positive_amount
from server.finance.services import AR, COUNTERPART, post_journal
from server.partners.models import Partner

OPENING = COUNTERPART["OPENING"]  # 4190 opening-balance equity


def opening_terms(session: Session, partner: Partner, *, amount: object, on: dt.date, due: dt.date | None, currency: str | None,
                  exchange_rate: object | None) -> dict[str, Any]:
    """The figures of an opening document: its amount, currency (the partner's unless another is named), rate and due date
    (its day plus the partner's terms unless given)."""
    total = positive_amount(amount)
    code = known_currency(session, currency or partner.currency)
    return {
        "subtotal": total, "tax": Decimal(0), "total": total, "currency": code, "exchange_rate": document_rate(session, code, on, exchange_rate),
        "due_date": due or on + dt.timedelta(days=partner.payment_terms_days),
    }


def already_open(number: str | None, partner: Partner, reference: str) -> None:
    """An opening document is imported once: the same partner's document again is refused, naming the one already in."""
    if number is not None:
        raise Conflict(f"{partner.code}'s document {reference} is already in the books as {number}.",
                       f"{partner.code} 的单据 {reference} 已作为 {number} 入账。", code="opening_exists", document=number)


def book_opening(session: Session, actor: Actor, doc: Any, *, control: str, memo: str) -> None:
    """Post an opening document: its amount in yuan against opening-balance equity, receivable (`control` AR) or payable."""
    doc.total_cny = in_yuan(doc.total, doc.exchange_rate)
    session.add(doc)
    session.flush()
    amount = doc.total_cny
    lines = [(AR, amount, Decimal(0)), (OPENING, Decimal(0), amount)] if control == AR else [(OPENING, amount, Decimal(0)), (control, Decimal(0), amount)]
    post_journal(session, actor, source_type=doc.__tablename__[:-1], source_id=doc.number, memo=memo, lines=lines)
    transition(doc, "post")
    doc.posted_at = utcnow()
