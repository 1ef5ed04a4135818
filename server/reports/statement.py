"""Customer and supplier statements (对账单): a partner's account over a period, in one currency.

The balance brought forward (everything posted before the period), then each document in the period in date order —
invoices or bills and opening balances add to it, credit or debit notes and payments take from it — with the running
balance, and the balance carried forward. A customer's balance is what the customer owes; a supplier's is what is owed
to the supplier. Each line also shows what is still open on it now: an invoice not yet settled, a payment not yet
allocated, a credit note not yet used — what the two sides reconcile.

Only posted documents count (drafts and cancelled ones never); documents in other currencies are on the statement
for that currency.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.errors import InvalidInput
from server.finance.currency import known_currency
from server.finance.models import Payment
from server.partners.models import Partner
from server.purchasing.models import Bill
from server.reports.documents import find_partner
from server.reports.framework import Column, Params, Report, Row, param
from server.sales.models import Invoice

ZERO = Decimal(0)
POSTED = ("posted", "partially_paid", "paid")
OPENING = "期初余额 / Balance brought forward"
CLOSING = "期末余额 / Balance carried forward"


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    """One document on the statement: it adds to the balance (`charge`) or takes from it (`settle`)."""

    date: dt.date
    number: str
    kind: str  # invoice, opening, credit_note, payment; bill, debit_note
    reference: str
    due_date: dt.date | None
    charge: Decimal
    settle: Decimal
    open_now: Decimal  # what of it is still unsettled (a payment: not yet allocated)


@dataclasses.dataclass(frozen=True)
class Statement:
    partner: Partner
    side: str  # customer | supplier
    currency: str
    date_from: dt.date
    date_to: dt.date
    opening: Decimal
    lines: list[tuple[Line, Decimal]]  # each with the balance after it
    closing: Decimal

    @property
    def charged(self) -> Decimal:
        return sum((line.charge for line, _ in self.lines), ZERO)

    @property
    def settled(self) -> Decimal:
        return sum((line.settle for line, _ in self.lines), ZERO)


def _customer_lines(session: Session, partner: Partner, currency: str, up_to: dt.date) -> Iterator[Line]:
    invoices = select(Invoice).where(Invoice.customer_id == partner.id, Invoice.currency == currency, Invoice.status.in_(POSTED),
                                     Invoice.invoice_date <= up_to)
    for doc in session.scalars(invoices):
        if doc.kind == "credit_note":
            yield Line(doc.invoice_date, doc.number, doc.kind, doc.note, None, ZERO, doc.total, doc.total - doc.paid)
        else:
            yield Line(doc.invoice_date, doc.number, doc.kind, doc.note, doc.due_date, doc.total, ZERO, doc.total - doc.paid - doc.credited)
    yield from _payments(session, partner, "customer", currency, up_to)


def _supplier_lines(session: Session, partner: Partner, currency: str, up_to: dt.date) -> Iterator[Line]:
    bills = select(Bill).where(Bill.supplier_id == partner.id, Bill.currency == currency, Bill.status.in_(POSTED), Bill.bill_date <= up_to)
    for doc in session.scalars(bills):
        if doc.kind == "debit_note":
            yield Line(doc.bill_date, doc.number, doc.kind, doc.supplier_ref, None, ZERO, doc.total, doc.total - doc.paid)
        else:
            yield Line(doc.bill_date, doc.number, doc.kind, doc.supplier_ref, doc.due_date, doc.total, ZERO, doc.total - doc.paid - doc.credited)
    yield from _payments(session, partner, "supplier", currency, up_to)


def _payments(session: Session, partner: Partner, kind: str, currency: str, up_to: dt.date) -> Iterator[Line]:
    query = select(Payment).where(Payment.partner_id == partner.id, Payment.kind == kind, Payment.currency == currency, Payment.paid_on <= up_to)
    for payment in session.scalars(query):
        yield Line(payment.paid_on, payment.number, "payment", payment.reference, None, ZERO, payment.amount, payment.unallocated)


ORDER = {"opening": 0, "invoice": 1, "bill": 1, "credit_note": 2, "debit_note": 2, "payment": 3}


def statement(session: Session, partner: Partner, side: str, *, date_from: dt.date, date_to: dt.date, currency: str | None = None) -> Statement:
    """The partner's statement for the days `date_from` through `date_to`, in `currency` (the partner's unless given)."""
    code = currency or partner.currency
    found = _customer_lines(session, partner, code, date_to) if side == "customer" else _supplier_lines(session, partner, code, date_to)
    every = sorted(found, key=lambda line: (line.date, ORDER.get(line.kind, 9), line.number))
    opening = sum((line.charge - line.settle for line in every if line.date < date_from), ZERO)
    balance, lines = opening, []
    for line in every:
        if line.date >= date_from:
            balance += line.charge - line.settle
            lines.append((line, balance))
    return Statement(partner, side, code, date_from, date_to, opening, lines, balance)


class StatementParams(Params, kw_only=True):
    partner: Annotated[str, param("往来单位编码", "Partner code", min_length=1, max_length=64)]
    from_: Annotated[dt.date | None, param("起始日期（含；默认本月 1 日）", "From date (inclusive; the 1st of this month by default)")] = (
        msgspec.field(default=None, name="from"))
    to: Annotated[dt.date | None, param("截止日期（含；默认今天）", "To date (inclusive; today by default)")] = None
    currency: Annotated[str, param("币种（默认往来单位的币种）", "Currency (the partner's by default)", min_length=3, max_length=3,
                                   pattern=r"^[A-Z]{3}$")] | None = None

    def period(self) -> tuple[dt.date, dt.date]:
        to = self.to or self.today()
        return (self.from_ or to.replace(day=1)), to

    def check(self) -> None:
        super().check()
        start, end = self.period()
        if start > end:
            raise InvalidInput(
                f"The period is empty: from {start.isoformat()} is after to {end.isoformat()}.",
                f"期间无效：起始日期 {start.isoformat()} 晚于截止日期 {end.isoformat()}。",
                code="invalid_parameter", parameter="from",
            )


def partner_statement(session: Session, params: StatementParams, side: str = "") -> Statement:
    """The statement a report or a printed statement asks for: the partner must be a `side` (customer or supplier; left
    out, the side the partner is, a customer for one who is both)."""
    partner = find_partner(session, params.partner, "partner")
    side = side or ("supplier" if partner.kind == "supplier" else "customer")
    if partner.kind not in (side, "both"):
        zh_side = "客户" if side == "customer" else "供应商"
        raise InvalidInput(f"{partner.code} is not a {side}.", f"{partner.code} 不是{zh_side}。", code="invalid_parameter", parameter="partner")
    if params.currency:
        known_currency(session, params.currency, "currency")
    start, end = params.period()
    return statement(session, partner, side, date_from=start, date_to=end, currency=params.currency)


def _rows(side: str):  # type: ignore[no-untyped-def]
    def rows(session: Session, actor: Actor, params: StatementParams) -> Iterator[Row]:
        found = partner_statement(session, params, side)
        yield {"date": found.date_from, "document": OPENING, "currency": found.currency, "balance": found.opening}
        for line, balance in found.lines:
            yield {"date": line.date, "document": line.number, "kind": line.kind, "reference": line.reference, "due_date": line.due_date,
                   "currency": found.currency, "charge": line.charge or None, "settle": line.settle or None, "balance": balance,
                   "open": line.open_now}
        yield {"date": found.date_to, "document": CLOSING, "currency": found.currency, "balance": found.closing}

    return rows


def _columns(charge_zh: str, charge_en: str, settle_zh: str, settle_en: str) -> tuple[Column, ...]:
    return (
        Column("date", "日期", "Date", "date"),
        Column("document", "单据号", "Document"),
        Column("kind", "单据类型", "Kind"),
        Column("reference", "参考号", "Reference"),
        Column("due_date", "到期日", "Due date", "date"),
        Column("currency", "币种", "Currency"),
        Column("charge", charge_zh, charge_en, "money", total=True),
        Column("settle", settle_zh, settle_en, "money", total=True),
        Column("balance", "余额", "Balance", "money"),
        Column("open", "尚未结清", "Still open", "money"),
    )


CUSTOMER_STATEMENT = Report(
    name="customer_statement",
    title_zh="客户对账单",
    title_en="Customer statement",
    permission="finance.read",
    params=StatementParams,
    columns=_columns("应收增加", "Invoiced", "收款及冲红", "Received and credited"),
    rows=_rows("customer"),
)

SUPPLIER_STATEMENT = Report(
    name="supplier_statement",
    title_zh="供应商对账单",
    title_en="Supplier statement",
    permission="finance.read",
    params=StatementParams,
    columns=_columns("应付增加", "Billed", "付款及冲红", "Paid and debited"),
    rows=_rows("supplier"),
)
