"""Response shapes for accounts, the trial balance, journal entries and stock valuation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from server.schemas import Code, DecimalStr, Out, Struct


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


class JournalEntryOut(Out):
    id: int
    at: dt.datetime
    source_type: str
    source_id: str
    memo: str
    lines: list[JournalLineOut]


class ValuationOut(Out):
    sku: str
    qty: DecimalStr
    value: DecimalStr
    average_cost: DecimalStr


class AllocationIn(Struct):
    document: Code
    amount: Decimal


class PaymentCreate(Struct):
    kind: Literal["supplier", "customer"]
    partner: Code
    amount: Decimal
    paid_on: dt.date | None = None
    method: Annotated[str, msgspec.Meta(max_length=32)] = "bank"
    reference: Annotated[str, msgspec.Meta(max_length=100)] = ""
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
    paid_on: dt.date
    method: str
    reference: str
    allocations: list[AllocationOut]
    created_at: dt.datetime


class PaymentPage(Out):
    items: list[PaymentOut]
    total: int
