"""Quotes: drafting, sending, cancelling, and accepting one as a draft sales order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.dates import local_today
from server.documents.flows import transition
from server.documents.lines import LineIn, line_discount
from server.documents.services import check_signed_version, next_number
from server.errors import Conflict
from server.finance.currency import known_currency, rate_on
from server.partners.services import partner_reference
from server.purchasing.services.common import _warehouse
from server.sales.models import Quote, QuoteLine, SalesOrder, SalesOrderLine
from server.sales.services.common import _sales_lines, _totals, get_quote
from server.schemas import fmt


def create_quote(
    session: Session, actor: Actor, *, customer: str, warehouse: str, lines: Sequence[LineIn], valid_until: dt.date | None = None, note: str = "",
    currency: str | None = None, discount: object | None = None,
) -> Quote:
    """A draft quote, in the customer's currency unless another is asked for."""
    actor.require("sales.write")
    customer_row = partner_reference(session, customer, "customer")
    wh = _warehouse(session, warehouse)
    quote = Quote(
        currency=known_currency(session, currency or customer_row.currency),
        number=next_number(session, "QT"), status="draft", customer_id=customer_row.id, warehouse_id=wh.id, created_by=actor.user_id,
        valid_until=valid_until or local_today() + dt.timedelta(days=30), note=note, discount=line_discount(discount),
    )
    quote.lines = _sales_lines(session, customer_row, lines, QuoteLine, quote.currency)
    _totals(quote)
    session.add(quote)
    session.flush()
    record(session, actor, "quote.create", "quote", quote.number, customer=customer, total=fmt(quote.total))
    return quote


def send_quote(session: Session, actor: Actor, number: str, *, version: int | None = None) -> Quote:
    actor.require("sales.write")
    quote = get_quote(session, number, lock=True)
    check_signed_version(quote, version, "Quote", "报价单")
    transition(quote, "send")
    record(session, actor, "quote.send", "quote", number)
    return quote


def cancel_quote(session: Session, actor: Actor, number: str) -> Quote:
    actor.require("sales.write")
    quote = get_quote(session, number, lock=True)
    transition(quote, "cancel")
    record(session, actor, "quote.cancel", "quote", number)
    return quote


def accept_quote(session: Session, actor: Actor, number: str, *, version: int | None = None) -> SalesOrder:
    """The customer said yes: the quote becomes a draft sales order at the quoted prices."""
    actor.require("sales.write")
    quote = get_quote(session, number, lock=True)
    check_signed_version(quote, version, "Quote", "报价单")
    if quote.valid_until and quote.valid_until < local_today():
        raise Conflict(f"Quote {number} expired on {quote.valid_until}.", f"报价单 {number} 已于 {quote.valid_until} 过期。", code="quote_expired")
    transition(quote, "accept")
    so = SalesOrder(
        number=next_number(session, "SO"), status="draft", customer_id=quote.customer_id, warehouse_id=quote.warehouse_id,
        quote_id=quote.id, note=quote.note, created_by=actor.user_id, currency=quote.currency,
        exchange_rate=rate_on(session, quote.currency, local_today()), discount=quote.discount,
    )
    so.lines = [
        SalesOrderLine(line_no=q.line_no, item_id=q.item_id, qty=q.qty, uom=q.uom, uom_factor=q.uom_factor, unit_price=q.unit_price, discount=q.discount,
                       vat_rate=q.vat_rate)
        for q in quote.lines
    ]
    _totals(so)
    session.add(so)
    session.flush()
    quote.so_id = so.id
    record(session, actor, "quote.accept", "quote", number, so=so.number)
    record(session, actor, "so.create", "so", so.number, quote=number, total=fmt(so.total))
    return so
