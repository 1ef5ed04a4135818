"""Financial statements from the journal: the balance sheet (资产负债表) at a month's end and the income statement (利润表) of a month.

Both read journal entries by the instant they were posted (`JournalEntry.at`), grouped into the
calendar months of the report's time zone (the company's unless given), so a month's figures are
what the journal held for it — the trial balance of those entries, arranged by account kind.

- Balance sheet, as at the end of the month: each asset account's balance (debit − credit), each
  liability and equity account's (credit − debit). The books are never closed into an equity account,
  so the income and expense accounts' balances are the profit not yet carried over: shown in equity
  as the profit of the year to the month's end (本年利润) and that of the years before (以前年度未分配利润).
  Total assets then equal total liabilities and equity, to the cent, whenever every entry balances.
- Income statement, for the month and for the year to the month's end: each income account's credit −
  debit and each expense account's debit − credit; net profit = total income − total expenses, the
  same figure as the balance sheet's profit of the year to date for the same month.

Each can be compared with the previous month or the same month a year before: the comparison
figure and the change (this − comparison) sit beside each line.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.errors import InvalidInput
from server.finance.models import Account, JournalEntry, JournalLine
from server.reports.framework import Column, Params, Report, Row, param

ZERO = Decimal(0)
MONTH_PATTERN = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])$"
Compare = Literal["none", "previous_month", "same_month_last_year"]

# How each kind's balance reads on a statement: +1 debit − credit, −1 credit − debit.
SIGN = {"asset": 1, "expense": 1, "liability": -1, "equity": -1, "income": -1}
KIND_TITLES = {
    "asset": ("资产", "Assets"),
    "liability": ("负债", "Liabilities"),
    "equity": ("所有者权益", "Equity"),
    "income": ("收入", "Income"),
    "expense": ("费用", "Expenses"),
}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1)


def previous_month(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


def comparison_month(first: dt.date, compare: Compare) -> dt.date | None:
    """The first day of the month a month is compared with, or None for no comparison."""
    if compare == "previous_month":
        return previous_month(first)
    if compare == "same_month_last_year":
        return first.replace(year=first.year - 1)
    return None


class MonthParams(Params, kw_only=True):
    """A calendar month of the report's time zone (this month by default) and the month it is compared with."""

    month: Annotated[str, param("月份（YYYY-MM，默认本月）", "Month (YYYY-MM, this month by default)", max_length=7,
                                pattern=MONTH_PATTERN)] = ""
    compare: Annotated[Compare, param("比较期间", "Compare with")] = "previous_month"

    def first_day(self) -> dt.date:
        if not self.month:
            return month_start(self.today())
        return dt.date(int(self.month[:4]), int(self.month[5:7]), 1)

    def compared(self) -> dt.date | None:
        return comparison_month(self.first_day(), self.compare)

    def check(self) -> None:
        super().check()
        if self.month and not 1901 <= int(self.month[:4]) <= 9998:
            raise InvalidInput(
                f"month {self.month} is out of range (1901 to 9998).", f"月份 {self.month} 超出范围（1901 至 9998 年）。",
                code="invalid_parameter", parameter="month",
            )


def _comparing(params: MonthParams) -> bool:
    return params.compare != "none"


class Ledger:
    """Each account's debit − credit over spans of the journal, read once per boundary."""

    def __init__(self, session: Session, params: Params) -> None:
        self.session, self.params = session, params
        self._before: dict[dt.date, dict[int, Decimal]] = {}

    def before(self, day: dt.date) -> dict[int, Decimal]:
        """Debit − credit per account id of the entries posted before local day `day` begins."""
        if day not in self._before:
            query = (
                select(JournalLine.account_id, func.sum(JournalLine.debit - JournalLine.credit))
                .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                .where(JournalEntry.at < self.params.start_of(day))
                .group_by(JournalLine.account_id)
            )
            self._before[day] = {account: Decimal(total or 0) for account, total in self.session.execute(query)}
        return self._before[day]

    def between(self, first: dt.date, end: dt.date) -> dict[int, Decimal]:
        """Debit − credit per account id of the entries posted on local days from `first` up to (not including) `end`."""
        until, since = self.before(end), self.before(first)
        return {account: until.get(account, ZERO) - since.get(account, ZERO) for account in set(until) | set(since)}


def _accounts(session: Session, kinds: tuple[str, ...]) -> list[Account]:
    return list(session.scalars(select(Account).where(Account.kind.in_(kinds)).order_by(Account.code)))


def _line(kind: str | None, line: str, code: str | None, zh: str, en: str, figures: dict[str, Decimal | None]) -> Row:
    return {"line": line, "kind": kind, "code": code, "name_zh": zh, "name_en": en} | figures


def _with_change(value: Decimal, compared: Decimal | None) -> dict[str, Decimal | None]:
    return {"amount": value, "compare_amount": compared, "change": None if compared is None else value - compared}


# Balance sheet -------------------------------------------------------------------------------------


class BalanceSheetParams(MonthParams, kw_only=True):
    pass


class MonthEnd(NamedTuple):
    balances: dict[int, Decimal]  # debit − credit per account id
    year_profit: Decimal  # of the month's year, to the month's end
    earlier_profit: Decimal  # of the years before


def balance_sheet(session: Session, actor: Actor, params: BalanceSheetParams) -> list[Row]:
    ledger = Ledger(session, params)
    first, other = params.first_day(), params.compared()
    accounts = _accounts(session, ("asset", "liability", "equity", "income", "expense"))
    results = {a.id for a in accounts if a.kind in ("income", "expense")}

    def profit(sums: dict[int, Decimal]) -> Decimal:
        """Income − expenses: minus the debit − credit of the income and expense accounts."""
        return -sum((value for account, value in sums.items() if account in results), ZERO)

    def at_end(month: dt.date) -> MonthEnd:
        end, year = next_month(month), month.replace(month=1)
        return MonthEnd(ledger.before(end), profit(ledger.between(year, end)), profit(ledger.before(year)))

    now = at_end(first)
    then = at_end(other) if other else None
    rows: list[Row] = []
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for kind in ("asset", "liability", "equity"):
        sign = SIGN[kind]
        lines: list[tuple[str, str | None, str, str, Decimal, Decimal]] = []
        for a in (a for a in accounts if a.kind == kind):
            amount, compared = sign * now.balances.get(a.id, ZERO), sign * (then.balances if then else {}).get(a.id, ZERO)
            if a.active or amount or compared:  # a retired account shows only while something is on it
                lines.append(("account", a.code, a.name_zh, a.name_en, amount, compared))
        if kind == "equity":
            lines.append(("profit", None, "本年利润", "Profit for the year to date", now.year_profit, then.year_profit if then else ZERO))
            lines.append(("profit", None, "以前年度未分配利润", "Retained profit of earlier years", now.earlier_profit,
                          then.earlier_profit if then else ZERO))
        for line, code, zh, en, amount, compared in lines:
            rows.append(_line(kind, line, code, zh, en, _with_change(amount, compared if then else None)))
        total = (sum((line[4] for line in lines), ZERO), sum((line[5] for line in lines), ZERO))
        title_zh, title_en = KIND_TITLES[kind]
        rows.append(_line(kind, "subtotal", None, f"{title_zh}合计", f"Total {title_en.lower()}", _with_change(total[0], total[1] if then else None)))
        totals[kind] = total
    claims = (totals["liability"][0] + totals["equity"][0], totals["liability"][1] + totals["equity"][1])
    rows.append(_line(None, "total", None, "负债和所有者权益总计", "Total liabilities and equity", _with_change(claims[0], claims[1] if then else None)))
    return rows


STATEMENT_COLUMNS = (
    Column("line", "行类型", "Line"),
    Column("kind", "类别", "Kind"),
    Column("code", "科目编码", "Account"),
    Column("name_zh", "项目（中文）", "Line item (Chinese)"),
    Column("name_en", "项目（英文）", "Line item (English)"),
)

BALANCE_SHEET = Report(
    name="balance_sheet",
    title_zh="资产负债表",
    title_en="Balance sheet",
    permission="finance.read",
    params=BalanceSheetParams,
    columns=(
        *STATEMENT_COLUMNS,
        # Subtotals are lines of the statement: a column total would count them twice.
        Column("amount", "期末余额", "At the month's end", "money"),
        Column("compare_amount", "比较期末余额", "At the comparison month's end", "money", when=_comparing),
        Column("change", "增减", "Change", "money", when=_comparing),
    ),
    rows=balance_sheet,
)


# Income statement ----------------------------------------------------------------------------------


class IncomeStatementParams(MonthParams, kw_only=True):
    pass


INCOME_FIGURES = ("month", "compare_month", "change", "year_to_date", "compare_year_to_date")


def income_statement(session: Session, actor: Actor, params: IncomeStatementParams) -> list[Row]:
    ledger = Ledger(session, params)
    first, other = params.first_day(), params.compared()

    def of(month: dt.date) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
        end = next_month(month)
        return ledger.between(month, end), ledger.between(month.replace(month=1), end)

    now = of(first)
    then = of(other) if other else None
    accounts = _accounts(session, ("income", "expense"))

    def figures(account: Account) -> dict[str, Decimal | None]:
        sign = SIGN[account.kind]
        month, ytd = sign * now[0].get(account.id, ZERO), sign * now[1].get(account.id, ZERO)
        if then is None:
            return {"month": month, "compare_month": None, "change": None, "year_to_date": ytd, "compare_year_to_date": None}
        compared, compared_ytd = sign * then[0].get(account.id, ZERO), sign * then[1].get(account.id, ZERO)
        return {"month": month, "compare_month": compared, "change": month - compared, "year_to_date": ytd, "compare_year_to_date": compared_ytd}

    rows: list[Row] = []
    totals: dict[str, dict[str, Decimal]] = {}
    for kind in ("income", "expense"):
        section = dict.fromkeys(INCOME_FIGURES, ZERO)
        for account in (a for a in accounts if a.kind == kind):
            shown = figures(account)
            if not account.active and not any(shown.values()):
                continue
            rows.append(_line(kind, "account", account.code, account.name_zh, account.name_en, shown))
            for key in INCOME_FIGURES:
                section[key] += shown[key] or ZERO
        title_zh, title_en = KIND_TITLES[kind]
        rows.append(_line(kind, "subtotal", None, f"{title_zh}合计", f"Total {title_en.lower()}", _compared(section, then is not None)))
        totals[kind] = section
    profit = {key: totals["income"][key] - totals["expense"][key] for key in INCOME_FIGURES}
    rows.append(_line(None, "total", None, "净利润", "Net profit", _compared(profit, then is not None)))
    return rows


def _compared(figures: dict[str, Decimal], comparing: bool) -> dict[str, Decimal | None]:
    """A subtotal's figures, the comparison's left empty when there is none."""
    return {key: value if comparing or not key.startswith(("compare_", "change")) else None for key, value in figures.items()}


INCOME_STATEMENT = Report(
    name="income_statement",
    title_zh="利润表",
    title_en="Income statement",
    permission="finance.read",
    params=IncomeStatementParams,
    columns=(
        *STATEMENT_COLUMNS,
        Column("month", "本月金额", "This month", "money"),
        Column("compare_month", "比较期金额", "Comparison month", "money", when=_comparing),
        Column("change", "增减", "Change", "money", when=_comparing),
        Column("year_to_date", "本年累计", "Year to date", "money"),
        Column("compare_year_to_date", "比较期本年累计", "Comparison year to date", "money", when=_comparing),
    ),
    rows=income_statement,
)
