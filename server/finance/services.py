"""The chart of accounts, the journal that stock moves post to, and the trial balance.

Moves value stock at moving-average cost (移动加权平均). Only moves that cross the company's
books post a journal entry: stock arriving from a supplier, going to a customer, counted in or
out, scrapped, sent into or back from transit, brought in as opening stock (against the opening balance equity
account 4190, never a gain or loss). Transfers between the company's own bins do not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.base import MONEY_SCALE, utcnow
from server.dates import day_range
from server.errors import NotFound
from server.finance.models import Account, JournalEntry, JournalLine

if TYPE_CHECKING:
    from server.auth.permissions import Actor

BANK, AR, INVENTORY, AP, GRNI, VAT_IN, VAT_OUT, REVENUE, COGS, PRICE_VARIANCE, EXCHANGE = (
    "1002", "1122", "1405", "2202", "220202", "22210101", "22210102", "6001", "6401", "6402", "6603",
)
CHART = [
    ("1002", "银行存款", "Bank", "asset"),
    ("1122", "应收账款", "Accounts receivable", "asset"),
    ("1402", "在途物资", "Goods in transit", "asset"),
    ("1405", "库存商品", "Inventory", "asset"),
    ("1901", "待处理财产损溢", "Inventory gains and losses (pending)", "asset"),
    ("2202", "应付账款", "Accounts payable", "liability"),
    ("220202", "应付账款-暂估", "Goods received not invoiced", "liability"),
    ("22210101", "应交税费-进项税额", "VAT input", "liability"),
    ("22210102", "应交税费-销项税额", "VAT output", "liability"),
    ("4190", "期初余额调整", "Opening balance equity", "equity"),
    ("6001", "主营业务收入", "Sales revenue", "income"),
    ("6401", "主营业务成本", "Cost of goods sold", "expense"),
    ("6402", "其他业务成本-采购价差", "Purchase price variance", "expense"),
    ("6603", "财务费用-汇兑损益", "Exchange gains and losses", "expense"),
    ("6711", "营业外支出-报废", "Scrap losses", "expense"),
]
# The account on the other side of Inventory when stock crosses to or from each virtual location.
COUNTERPART = {"SUPPLIER": "220202", "CUSTOMER": "6401", "ADJUSTMENT": "1901", "SCRAP": "6711", "TRANSIT": "1402", "OPENING": "4190"}
CENT = Decimal(1).scaleb(-MONEY_SCALE)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def post_journal(
    session: Session, actor: Actor, *, source_type: str, source_id: str, memo: str, lines: list[tuple[str, Decimal, Decimal]],
    item_id: int | None = None,
) -> int | None:
    """A balanced journal entry for a business document; zero lines are dropped, a negative side flips."""
    from server.inventory import ledger_sql

    clean: list[tuple[str, Decimal, Decimal]] = []
    for code, debit, credit in lines:
        amount = money(debit) - money(credit)
        if amount:
            clean.append((code, amount, Decimal(0)) if amount > 0 else (code, Decimal(0), -amount))
    if not clean:
        return None
    debits, credits = sum(d for _, d, _ in clean), sum(c for _, _, c in clean)
    if debits != credits:
        raise AssertionError(f"unbalanced journal entry for {source_type} {source_id}: {debits} != {credits}")
    ledger = ledger_sql.for_session(session)
    return ledger.post_entry(
        ledger.cursor(session), stamp=ledger.time(utcnow()), source_type=source_type, source_id=source_id,
        memo=memo, user_id=actor.user_id, lines=clean, item_id=item_id,
    )


def ensure_chart_of_accounts(session: Session) -> None:
    present = set(session.scalars(select(Account.code)))
    for code, zh, en, kind in CHART:
        if code not in present:
            session.add(Account(code=code, name_zh=zh, name_en=en, kind=kind))
    session.flush()


@dataclasses.dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name_zh: str
    name_en: str
    kind: str
    debit: Decimal
    credit: Decimal


def trial_balance(
    session: Session, actor: Actor, *, date_from: dt.date | None = None, date_to: dt.date | None = None,
) -> tuple[list[TrialBalanceRow], Decimal, Decimal]:
    """Debit and credit totals per account, of the entries made on local days `date_from` through `date_to` (either
    open: all of them by default); the two grand totals are equal when the books balance."""
    actor.require("finance.read")
    start, end = day_range(date_from, date_to)
    query = (
        select(
            Account.code, Account.name_zh, Account.name_en, Account.kind,
            func.coalesce(func.sum(JournalLine.debit), 0), func.coalesce(func.sum(JournalLine.credit), 0),
        )
        .join(JournalLine, JournalLine.account_id == Account.id)
    )
    if start or end:
        query = query.join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        if start:
            query = query.where(JournalEntry.at >= start)
        if end:
            query = query.where(JournalEntry.at < end)
    rows = session.execute(
        query.group_by(Account.id, Account.code, Account.name_zh, Account.name_en, Account.kind).order_by(Account.code)
    ).all()
    out = [TrialBalanceRow(code, zh, en, kind, Decimal(d), Decimal(c)) for code, zh, en, kind, d, c in rows]
    return out, sum((r.debit for r in out), Decimal(0)), sum((r.credit for r in out), Decimal(0))


def account_balance(session: Session, code: str) -> Decimal:
    """Debits minus credits on one account."""
    total = session.scalar(
        select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
        .join(Account, JournalLine.account_id == Account.id)
        .where(Account.code == code)
    )
    return Decimal(total or 0)


def unbalanced_entries(session: Session, limit: int = 50) -> list[tuple[int, Decimal, Decimal]]:
    return [
        (entry_id, Decimal(d), Decimal(c))
        for entry_id, d, c in session.execute(
            select(JournalLine.entry_id, func.sum(JournalLine.debit), func.sum(JournalLine.credit))
            .group_by(JournalLine.entry_id)
            .having(func.sum(JournalLine.debit) != func.sum(JournalLine.credit))
            .limit(limit)
        ).all()
    ]


def journal_of(
    session: Session, actor: Actor, *, source_type: str, source_id: str
) -> list[tuple[JournalEntry, list[tuple[str, Decimal, Decimal]]]]:
    actor.require("finance.read")
    entries = list(
        session.scalars(
            select(JournalEntry).where(JournalEntry.source_type == source_type, JournalEntry.source_id == source_id).order_by(JournalEntry.id)
        )
    )
    out = []
    for entry in entries:
        lines = session.execute(
            select(Account.code, JournalLine.debit, JournalLine.credit)
            .join(Account, JournalLine.account_id == Account.id)
            .where(JournalLine.entry_id == entry.id)
            .order_by(JournalLine.id)
        ).all()
        out.append((entry, [(code, d, c) for code, d, c in lines]))
    return out


@dataclasses.dataclass(frozen=True)
class EntryLine:
    account: str
    name_zh: str
    name_en: str
    debit: Decimal
    credit: Decimal


def _lines_of(session: Session, entry_ids: list[int]) -> dict[int, list[EntryLine]]:
    lines: dict[int, list[EntryLine]] = {i: [] for i in entry_ids}
    for entry_id, code, zh, en, debit, credit in session.execute(
        select(JournalLine.entry_id, Account.code, Account.name_zh, Account.name_en, JournalLine.debit, JournalLine.credit)
        .join(Account, JournalLine.account_id == Account.id)
        .where(JournalLine.entry_id.in_(entry_ids))
        .order_by(JournalLine.entry_id, JournalLine.id)
    ):
        lines[entry_id].append(EntryLine(code, zh, en, debit, credit))
    return lines


def journal_entries(
    session: Session, actor: Actor, *, date_from: dt.date | None = None, date_to: dt.date | None = None, account: str | None = None,
    source_type: str | None = None, source_id: str | None = None, limit: int = 50, offset: int = 0,
) -> tuple[list[tuple[JournalEntry, list[EntryLine]]], int]:
    """The journal, newest first: entries made on local days `date_from` through `date_to`, with a line on `account`,
    or from a source document (`source_type`, `source_id`); each with all its lines."""
    actor.require("finance.read")
    start, end = day_range(date_from, date_to)
    query = select(JournalEntry)
    if account:
        account_id = session.scalar(select(Account.id).where(Account.code == account))
        if account_id is None:
            raise NotFound(f"No account {account}.", f"没有科目 {account}。", code="unknown_account", field="account")
        query = query.where(JournalEntry.id.in_(select(JournalLine.entry_id).where(JournalLine.account_id == account_id)))
    if start:
        query = query.where(JournalEntry.at >= start)
    if end:
        query = query.where(JournalEntry.at < end)
    if source_type:
        query = query.where(JournalEntry.source_type == source_type)
    if source_id:
        query = query.where(JournalEntry.source_id == source_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = list(session.scalars(query.order_by(JournalEntry.id.desc()).limit(limit).offset(offset)))
    lines = _lines_of(session, [e.id for e in entries])
    return [(e, lines[e.id]) for e in entries], total
