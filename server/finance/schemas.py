"""Response shapes for accounts, the trial balance, journal entries and stock valuation."""

from __future__ import annotations

import datetime as dt

from server.schemas import DecimalStr, Out


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
