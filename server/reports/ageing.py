"""Receivables and payables ageing: what customers owe and what is owed to suppliers, by days past due.

Open is what is still to be settled on a posted document as it stands now: an invoice's total less
what was paid and what credit notes settled (kind invoice or opening, posted or partially paid); a bill's total
less what was paid and what debit notes settled (kind bill or opening, posted or partially paid). Each open document falls in one bucket by its days
past due on the `as_of` date: not yet due (due on or after it), 1–30, 31–60, 61–90, over 90 days.

Money received or paid but not yet allocated to a document (an advance), and what a credit or debit note
could not settle (it came after the invoice or bill was paid), stay on the partner's account: they show as
unapplied, and balance = open − unapplied is what the partner owes (AR) or is owed (AP), so the
balances add up to the receivable and payable accounts (1122, 2202) exactly.

Figures are in yuan, as the books hold them: a document in another currency at the rate it was booked at,
less what was settled of it (so the balances add up to the accounts); each row also shows its currency and
what is open in it. Grouped by partner, a partner with documents in two currencies has a row for each.

`as_of` is the day the days past due are counted to (by default today in the company's time zone);
amounts are those of now — payment allocations carry no date of their own to go back in time with.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.dates import local_today
from server.finance.models import Payment
from server.partners.models import Partner
from server.purchasing.models import Bill
from server.reports.documents import PartnerFilter, find_partner
from server.reports.framework import Column, Params, Report, Row, param
from server.sales.models import Invoice

ZERO = Decimal(0)
OPEN_STATES = ("posted", "partially_paid")
# (column key, title zh, title en, last day past due in the bucket)
BUCKETS: tuple[tuple[str, str, str, int | None], ...] = (
    ("not_due", "未到期", "Not yet due", 0),
    ("d1_30", "逾期 1–30 天", "1–30 days", 30),
    ("d31_60", "逾期 31–60 天", "31–60 days", 60),
    ("d61_90", "逾期 61–90 天", "61–90 days", 90),
    ("over_90", "逾期 90 天以上", "Over 90 days", None),
)


def bucket(days_past_due: int) -> str:
    """The bucket of a document `days_past_due` days after its due date (zero or less: not yet due)."""
    for key, _zh, _en, last in BUCKETS:
        if last is None or days_past_due <= last:
            return key
    raise AssertionError("the last bucket has no end")


class AgeingParams(Params, kw_only=True):
    as_of: Annotated[dt.date | None, param("账龄计算日（默认今天）", "Age as of (default today)")] = None
    group_by: Annotated[Literal["partner", "document"], param("汇总到", "Group by")] = "partner"
    partner: PartnerFilter = None


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One document on a partner's account: open (aged by its due date) or unapplied (no due date)."""

    partner_id: int
    number: str
    kind: str
    date: dt.date
    due_date: dt.date | None
    open: Decimal = ZERO  # in yuan
    unapplied: Decimal = ZERO  # in yuan
    currency: str = "CNY"
    in_currency: Decimal = ZERO  # open less unapplied, in the document's currency


def _ageing(entries: Callable[[Session, int | None], Iterator[Entry]]) -> Callable[[Session, Actor, AgeingParams], list[Row]]:
    def rows(session: Session, actor: Actor, params: AgeingParams) -> list[Row]:
        as_of = params.as_of or local_today()
        partner_id = find_partner(session, params.partner, "partner").id if params.partner else None
        found = list(entries(session, partner_id))
        partners = {
            p: {"partner": code, "partner_name_zh": zh, "partner_name_en": en}
            for p, code, zh, en in session.execute(
                select(Partner.id, Partner.code, Partner.name_zh, Partner.name_en).where(Partner.id.in_({e.partner_id for e in found}))
            )
        }
        lines: dict[Any, Row] = {}
        for e in sorted(found, key=lambda e: (partners[e.partner_id]["partner"], e.currency != "CNY", e.currency, e.date, e.number)):
            key = (e.partner_id, e.currency) if params.group_by == "partner" else e.number
            line = lines.get(key)
            if line is None:
                line = lines[key] = partners[e.partner_id] | {"currency": e.currency} | dict.fromkeys(
                    [b[0] for b in BUCKETS] + ["total_open", "unapplied", "balance", "open_currency"], ZERO)
                if params.group_by == "document":
                    line |= {"document": e.number, "kind": e.kind, "date": e.date, "due_date": e.due_date, "days_past_due": None}
            if e.due_date is not None:
                days = (as_of - e.due_date).days
                line[bucket(days)] += e.open
                line["total_open"] += e.open
                if params.group_by == "document":
                    line["days_past_due"] = max(days, 0)
            line["unapplied"] += e.unapplied
            line["balance"] += e.open - e.unapplied
            line["open_currency"] += e.in_currency
        return list(lines.values())

    return rows


def receivables(session: Session, partner_id: int | None) -> Iterator[Entry]:
    invoices = select(Invoice).where(Invoice.kind.in_(("invoice", "opening")), Invoice.status.in_(OPEN_STATES),
                                     (Invoice.total - Invoice.paid - Invoice.credited != 0) | (Invoice.total_cny - Invoice.paid_cny - Invoice.credited_cny != 0))
    credits = select(Invoice).where(Invoice.kind == "credit_note", Invoice.status.in_(OPEN_STATES),
                                    (Invoice.total - Invoice.paid != 0) | (Invoice.total_cny - Invoice.paid_cny != 0))
    advances = select(Payment).where(Payment.kind == "customer", Payment.unallocated != 0)
    if partner_id is not None:
        invoices, credits = invoices.where(Invoice.customer_id == partner_id), credits.where(Invoice.customer_id == partner_id)
        advances = advances.where(Payment.partner_id == partner_id)
    for inv in session.scalars(invoices):
        yield Entry(inv.customer_id, inv.number, inv.kind, inv.invoice_date, inv.due_date, open=inv.total_cny - inv.paid_cny - inv.credited_cny,
                    currency=inv.currency, in_currency=inv.total - inv.paid - inv.credited)
    for note in session.scalars(credits):
        yield Entry(note.customer_id, note.number, "credit_note", note.invoice_date, None, unapplied=note.total_cny - note.paid_cny,
                    currency=note.currency, in_currency=-(note.total - note.paid))
    for payment in session.scalars(advances):
        yield Entry(payment.partner_id, payment.number, "payment", payment.paid_on, None, unapplied=payment.unallocated_cny, currency=payment.currency,
                    in_currency=-payment.unallocated)


def payables(session: Session, partner_id: int | None) -> Iterator[Entry]:
    bills = select(Bill).where(Bill.kind.in_(("bill", "opening")), Bill.status.in_(OPEN_STATES),
                               (Bill.total - Bill.paid - Bill.credited != 0) | (Bill.total_cny - Bill.paid_cny - Bill.credited_cny != 0))
    debits = select(Bill).where(Bill.kind == "debit_note", Bill.status.in_(OPEN_STATES),
                                (Bill.total - Bill.paid != 0) | (Bill.total_cny - Bill.paid_cny != 0))
    advances = select(Payment).where(Payment.kind == "supplier", Payment.unallocated != 0)
    if partner_id is not None:
        bills, debits = bills.where(Bill.supplier_id == partner_id), debits.where(Bill.supplier_id == partner_id)
        advances = advances.where(Payment.partner_id == partner_id)
    for bill in session.scalars(bills):
        yield Entry(bill.supplier_id, bill.number, bill.kind, bill.bill_date, bill.due_date, open=bill.total_cny - bill.paid_cny - bill.credited_cny,
                    currency=bill.currency, in_currency=bill.total - bill.paid - bill.credited)
    for note in session.scalars(debits):
        yield Entry(note.supplier_id, note.number, "debit_note", note.bill_date, None, unapplied=note.total_cny - note.paid_cny,
                    currency=note.currency, in_currency=-(note.total - note.paid))
    for payment in session.scalars(advances):
        yield Entry(payment.partner_id, payment.number, "payment", payment.paid_on, None, unapplied=payment.unallocated_cny, currency=payment.currency,
                    in_currency=-payment.unallocated)


def _by_document(p: AgeingParams) -> bool:
    return p.group_by == "document"


def _columns(partner_zh: str, partner_en: str, unapplied_zh: str, unapplied_en: str) -> tuple[Column, ...]:
    return (
        Column("partner", f"{partner_zh}编码", f"{partner_en} code"),
        Column("partner_name_zh", f"{partner_zh}名称（中文）", f"{partner_en} name (Chinese)"),
        Column("partner_name_en", f"{partner_zh}名称（英文）", f"{partner_en} name (English)"),
        Column("currency", "币种", "Currency"),
        Column("document", "单据号", "Document", when=_by_document),
        Column("kind", "单据类型", "Kind", when=_by_document),
        Column("date", "单据日期", "Date", "date", when=_by_document),
        Column("due_date", "到期日", "Due date", "date", when=_by_document),
        Column("days_past_due", "逾期天数", "Days past due", "int", when=_by_document),
        *(Column(key, zh, en, "money", total=True) for key, zh, en, _last in BUCKETS),
        Column("total_open", "未结金额合计", "Total open", "money", total=True),
        Column("unapplied", unapplied_zh, unapplied_en, "money", total=True),
        Column("balance", "余额", "Balance", "money", total=True),
        Column("open_currency", "原币余额", "Balance in currency", "money"),
    )


AR_AGEING = Report(
    name="ar_ageing",
    title_zh="应收账龄分析表",
    title_en="Receivables ageing",
    permission="finance.read",
    params=AgeingParams,
    columns=_columns("客户", "Customer", "未核销收款及红字发票", "Unapplied receipts and credit notes"),
    rows=_ageing(receivables),
)

AP_AGEING = Report(
    name="ap_ageing",
    title_zh="应付账龄分析表",
    title_en="Payables ageing",
    permission="finance.read",
    params=AgeingParams,
    columns=_columns("供应商", "Supplier", "未核销付款及红字发票", "Unapplied payments and debit notes"),
    rows=_ageing(payables),
)
