"""Currencies and the day's exchange rates: documents are written in a partner's currency, the books kept in yuan.

A rate is yuan per unit of a currency, entered (or imported) for a day; it holds from that day until the next day that
has a rate of its own. A document takes the rate of its day when it is made (an order, a receipt, a bill, a payment) and
keeps it: amounts in yuan are that document's amounts at its rate, rounded to the fen. A bill or a payment may instead
state the rate it was actually settled at (the supplier's invoice, the bank's slip).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import RATE_SCALE
from server.errors import InvalidInput
from server.finance.models import Currency, ExchangeRate
from server.finance.services import money
from server.quantities import as_decimal
from server.schemas import fmt

COMPANY_CURRENCY = "CNY"
ONE = Decimal(1)
RATE_UNIT = ONE.scaleb(-RATE_SCALE)
CURRENCIES = [
    ("CNY", "人民币", "Chinese yuan"),
    ("USD", "美元", "US dollar"),
    ("EUR", "欧元", "Euro"),
    ("HKD", "港币", "Hong Kong dollar"),
    ("JPY", "日元", "Japanese yen"),
    ("GBP", "英镑", "Pound sterling"),
    ("KRW", "韩元", "South Korean won"),
    ("SGD", "新加坡元", "Singapore dollar"),
]


def ensure_currencies(session: Session) -> None:
    present = set(session.scalars(select(Currency.code)))
    for code, zh, en in CURRENCIES:
        if code not in present:
            session.add(Currency(code=code, name_zh=zh, name_en=en))
    session.flush()


def currencies(session: Session) -> list[Currency]:
    """The company's currency first, then the others by code."""
    rows = list(session.scalars(select(Currency).where(Currency.active.is_(True)).order_by(Currency.code)))
    return sorted(rows, key=lambda c: (c.code != COMPANY_CURRENCY, c.code))


def known_currency(session: Session, code: str, field: str = "currency") -> str:
    if session.get(Currency, code) is None:
        raise InvalidInput(f"{code} is not a currency Cangku knows; finance can add it.", f"{code} 不是已知币种，可由财务添加。",
                           code="unknown_currency", field=field)
    return code


def rate_on(session: Session, currency: str, day: dt.date, field: str = "currency") -> Decimal:
    """Yuan per unit of `currency` on `day`: the rate of the latest day on or before it that has one."""
    if currency == COMPANY_CURRENCY:
        return ONE
    rate = session.scalar(
        select(ExchangeRate.rate).where(ExchangeRate.currency == currency, ExchangeRate.day <= day).order_by(ExchangeRate.day.desc()).limit(1)
    )
    if rate is None:
        raise InvalidInput(
            f"There is no exchange rate for {currency} on or before {day.isoformat()}; finance enters it under Finance › Exchange rates.",
            f"没有 {currency} 在 {day.isoformat()} 或之前的汇率；请财务在“财务 › 汇率”中录入。",
            code="no_exchange_rate", field=field, currency=currency, on=day.isoformat(),
        )
    return rate


def stated_rate(value: object, field: str = "exchange_rate") -> Decimal:
    """A rate someone typed: a positive number of yuan per unit, to at most six places."""
    rate = as_decimal(value, field)
    if rate <= 0 or rate != rate.quantize(RATE_UNIT):
        raise InvalidInput(f"{field} must be a positive number of yuan per unit, with at most {RATE_SCALE} decimals (got {value}).",
                           f"{field} 必须是正数（每单位外币折合人民币），最多 {RATE_SCALE} 位小数（收到 {value}）。", field=field)
    return rate


def document_rate(session: Session, currency: str, day: dt.date, stated: object | None) -> Decimal:
    """The rate a document is booked at: the one stated on it, else that of its day (the company's currency: 1)."""
    if currency == COMPANY_CURRENCY:
        if stated is not None and stated_rate(stated) != ONE:
            raise InvalidInput("A document in yuan has the rate 1.", "人民币单据的汇率为 1。", code="rate_of_company_currency",
                               field="exchange_rate")
        return ONE
    return stated_rate(stated) if stated is not None else rate_on(session, currency, day)


def in_yuan(amount: Decimal, rate: Decimal) -> Decimal:
    return money(amount * rate)


def set_rate(session: Session, actor: Actor, *, currency: str, on: dt.date, rate: object, source: str = "entered") -> ExchangeRate:
    """The rate of `currency` from `on`: entered again for the same day, it replaces that day's rate (documents already
    made keep the rate they were made at)."""
    actor.require("finance.rates")
    known_currency(session, currency)
    if currency == COMPANY_CURRENCY:
        raise InvalidInput(f"{COMPANY_CURRENCY} is the company's currency; its rate is always 1.", f"{COMPANY_CURRENCY} 是记账本位币，汇率恒为 1。",
                           code="rate_of_company_currency", field="currency")
    value = stated_rate(rate, "rate")
    row = session.scalar(select(ExchangeRate).where(ExchangeRate.currency == currency, ExchangeRate.day == on).with_for_update())
    before = row.rate if row is not None else None
    if row is None:
        row = ExchangeRate(currency=currency, day=on, rate=value, source=source, entered_by=actor.user_id)
        session.add(row)
    else:
        row.rate, row.source, row.entered_by = value, source, actor.user_id
    session.flush()
    record(session, actor, "exchange_rate.set", "exchange_rate", f"{currency} {on.isoformat()}", rate=fmt(value),
           before=fmt(before) if before is not None else None, source=source)
    return row


@dataclasses.dataclass(frozen=True)
class RateRow:
    currency: str
    on: dt.date
    rate: Decimal


def list_rates(session: Session, *, currency: str | None = None, limit: int = 100, offset: int = 0) -> tuple[list[RateRow], int]:
    """Rates, the latest day first (then by currency)."""
    query = select(ExchangeRate.currency, ExchangeRate.day, ExchangeRate.rate)
    if currency:
        query = query.where(ExchangeRate.currency == currency)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(ExchangeRate.day.desc(), ExchangeRate.currency).limit(limit).offset(offset)).all()
    return [RateRow(c, on, r) for c, on, r in rows], total
