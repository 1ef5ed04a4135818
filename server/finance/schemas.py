"""Response shapes for accounts, the trial balance, journal entries and stock valuation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from server.partners.schemas import Currency
from server.schemas import Amount, Code, DecimalStr, ExchangeRateValue, Out, Struct, line


class TrialBalanceLine(Out):
    code: str
    name_zh: str
    name_en: str
    kind: str
    debit: DecimalStr
    credit: DecimalStr
    balance: DecimalStr  # debit - credit


class TrialBalance(Out):
    lines: list[TrialBalanceLine]
    total_debit: DecimalStr
    total_credit: DecimalStr
    balanced: bool


class JournalLineOut(Out):
    account: str
    debit: DecimalStr
    credit: DecimalStr
    name_zh: str = ""
    name_en: str = ""


class JournalEntryOut(Out):
    id: int
    at: dt.datetime
    source_type: str
    source_id: str
    memo: str
    lines: list[JournalLineOut]
    debit: DecimalStr = "0"  # the entry's debits and credits, equal in a balanced entry
    credit: DecimalStr = "0"


class JournalPage(Out):
    items: list[JournalEntryOut]
    total: int


class ValuationOut(Out):
    sku: str
    qty: DecimalStr
    value: DecimalStr | None
    average_cost: DecimalStr | None


class AllocationIn(Struct):
    document: Code
    amount: Amount




class PaymentCreate(Struct):
    kind: Literal["supplier", "customer"]
    partner: Code
    amount: Amount  # in `currency`
    currency: Currency | None = None  # by default that of the documents it settles, else the partner's
    exchange_rate: ExchangeRateValue | None = None  # the bank's rate; by default that of the day paid
    paid_on: dt.date | None = None
    method: Annotated[str, line(32)] = "bank"
    reference: Annotated[str, line(100)] = ""
    allocations: Annotated[list[AllocationIn], msgspec.Meta(max_length=500)] = []


class Allocate(Struct):
    allocations: Annotated[list[AllocationIn], msgspec.Meta(min_length=1, max_length=500)]


class AllocationOut(Out):
    document: str
    amount: DecimalStr


class PaymentOut(Out):
    number: str
    kind: str
    partner: str
    amount: DecimalStr
    unallocated: DecimalStr
    currency: str
    exchange_rate: DecimalStr
    amount_cny: DecimalStr
    paid_on: dt.date
    method: str
    reference: str
    allocations: list[AllocationOut]
    created_at: dt.datetime


class PaymentPage(Out):
    items: list[PaymentOut]
    total: int


class PeriodOut(Out):
    month: str  # YYYY-MM
    closed: bool
    closed_at: dt.datetime | None
    closed_by: str | None
    reopened_at: dt.datetime | None
    reopen_reason: str


class CheckItemOut(Out):
    code: str
    blocking: bool  # the month cannot close while it is not ok
    ok: bool
    count: int
    message_en: str
    message_zh: str
    documents: list[str]


class ChecklistOut(Out):
    month: str
    closed: bool
    can_close: bool
    items: list[CheckItemOut]


class Reopen(Struct):
    reason: Annotated[str, line(500)]


class CurrencyOut(Out):
    code: str
    name_zh: str
    name_en: str
    company: bool  # the books are kept in it


class RateIn(Struct):
    currency: Currency
    on: dt.date
    rate: ExchangeRateValue


class RateOut(Out):
    currency: str
    on: dt.date
    rate: DecimalStr


class RatePage(Out):
    items: list[RateOut]
    total: int
