"""Finance endpoints: the trial balance, the journal (of a source document, or filtered and paged), stock valuation, payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from sqlalchemy.orm import Session

from server.api import get, post, put, run_idempotent
from server.auth.permissions import Actor
from server.auth.visibility import visible
from server.db import Database
from server.finance import currency as fx
from server.finance import payments, periods, services
from server.finance.schemas import (
    Allocate,
    AllocationOut,
    CheckItemOut,
    ChecklistOut,
    CurrencyOut,
    JournalEntryOut,
    JournalLineOut,
    JournalPage,
    PaymentCreate,
    PaymentOut,
    PaymentPage,
    PeriodOut,
    RateIn,
    RateOut,
    RatePage,
    Reopen,
    TrialBalance,
    TrialBalanceLine,
    ValuationOut,
)
from server.inventory.services import valuation_of
from server.schemas import Limit, Offset, Sort, fmt


class FinanceController(Controller):
    path = "/api/v1/finance"
    tags = ["finance"]

    @get("/trial-balance", summary="Trial balance / 试算平衡表")
    def trial_balance(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], date_from: dt.date | None = Parameter(default=None),
        date_to: dt.date | None = Parameter(default=None),
    ) -> TrialBalance:
        """Debit and credit totals per account, of the entries made from `date_from` through `date_to` (all of them by default), and whether
        the books balance."""
        with db.read() as session:
            rows, debit, credit = services.trial_balance(session, actor, date_from=date_from, date_to=date_to)
        return TrialBalance(
            lines=[
                TrialBalanceLine(
                    code=r.code, name_zh=r.name_zh, name_en=r.name_en, kind=r.kind,
                    debit=fmt(r.debit) or "0", credit=fmt(r.credit) or "0", balance=fmt(r.debit - r.credit) or "0",
                )
                for r in rows
            ],
            total_debit=fmt(debit) or "0",
            total_credit=fmt(credit) or "0",
            balanced=debit == credit,
        )

    @get("/journal", summary="Journal entries of a document / 单据的会计分录")
    def journal(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        source_type: str = Parameter(min_length=1, max_length=32),
        source_id: str = Parameter(min_length=1, max_length=64),
    ) -> list[JournalEntryOut]:
        """The journal entries one document made (`source_type` and `source_id`), each with its lines."""
        with db.read() as session:
            entries = services.journal_of(session, actor, source_type=source_type, source_id=source_id)
        return [
            JournalEntryOut(
                id=e.id, at=e.at, source_type=e.source_type, source_id=e.source_id, memo=e.memo,
                lines=[JournalLineOut(account=code, debit=fmt(d) or "0", credit=fmt(c) or "0") for code, d, c in lines],
                debit=fmt(sum((d for _, d, _ in lines), Decimal(0))) or "0", credit=fmt(sum((c for _, _, c in lines), Decimal(0))) or "0",
            )
            for e, lines in entries
        ]

    @get("/journal-entries", summary="The journal, filtered and paged / 会计分录列表")
    def journal_entries(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        date_from: dt.date | None = Parameter(default=None),
        date_to: dt.date | None = Parameter(default=None),
        account: str | None = Parameter(default=None, max_length=32),
        source_type: str | None = Parameter(default=None, max_length=32),
        source_id: str | None = Parameter(default=None, max_length=64),
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> JournalPage:
        """The journal, newest first: entries made on days in a range, with a line on an account, or from a document; each with all its
        lines."""
        with db.read() as session:
            entries, total = services.journal_entries(
                session, actor, date_from=date_from, date_to=date_to, account=account, source_type=source_type, source_id=source_id,
                limit=limit, offset=offset,
            )
        return JournalPage(
            items=[
                JournalEntryOut(
                    id=e.id, at=e.at, source_type=e.source_type, source_id=e.source_id, memo=e.memo,
                    lines=[
                        JournalLineOut(account=x.account, name_zh=x.name_zh, name_en=x.name_en, debit=fmt(x.debit) or "0", credit=fmt(x.credit) or "0")
                        for x in lines
                    ],
                    debit=fmt(sum((x.debit for x in lines), Decimal(0))) or "0", credit=fmt(sum((x.credit for x in lines), Decimal(0))) or "0",
                )
                for e, lines in entries
            ],
            total=total,
        )

    @get("/valuation/{sku:str}", summary="Stock valuation of an item / 商品库存估值")
    def valuation(self, db: NamedDependency[Database], actor: NamedDependency[Actor], sku: FromPath[str]) -> ValuationOut:
        """The company's quantity of an item, its value and its moving-average cost; the amounts only for those who may see costs."""
        with db.read() as session:
            qty, value, average = valuation_of(session, actor, sku)
        return visible(actor, ValuationOut(sku=sku, qty=fmt(qty) or "0", value=fmt(value) or "0", average_cost=fmt(average) or "0"))


def payment_out(session: Session, row: Any) -> PaymentOut:
    from server.partners.models import Partner

    partner = session.get_one(Partner, row.partner_id)
    return PaymentOut(
        number=row.number, kind=row.kind, partner=partner.code, amount=fmt(row.amount) or "0", unallocated=fmt(row.unallocated) or "0",
        currency=row.currency, exchange_rate=fmt(row.exchange_rate), amount_cny=fmt(row.amount_cny) or "0",
        paid_on=row.paid_on, method=row.method, reference=row.reference, created_at=row.created_at,
        allocations=[AllocationOut(document=doc, amount=fmt(amount) or "0") for doc, amount in payments.allocations_of(session, row)],
    )


class PaymentController(Controller):
    path = "/api/v1/payments"
    tags = ["finance"]

    @get("/", summary="Payments made and received / 收付款列表")
    def list_payments(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], kind: FromQuery[Literal["supplier", "customer"] | None] = None,
        partner: str | None = Parameter(default=None, max_length=64), date_from: dt.date | None = Parameter(default=None),
        date_to: dt.date | None = Parameter(default=None), limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> PaymentPage:
        """Payments made to suppliers and received from customers, newest first or as `sort` asks, with the documents each settled."""
        actor.require("finance.read")
        with db.read() as session:
            rows, total = payments.list_payments(
                session, kind=kind, partner=partner, limit=limit, offset=offset, date_from=date_from, date_to=date_to, sort=sort
            )
            return PaymentPage(items=[payment_out(session, r) for r in rows], total=total)

    @get("/{number:str}", summary="One payment / 单笔收付款")
    def get_payment(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: FromPath[str]) -> PaymentOut:
        """One payment, with the documents it was allocated to and what is left unallocated."""
        actor.require("finance.read")
        with db.read() as session:
            return payment_out(session, payments.get_payment(session, number))

    @post("/", summary="Record a payment / 登记收付款")
    def record_payment(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[PaymentCreate]
    ) -> Response[PaymentOut]:
        """Records a payment made to a supplier or received from a customer, allocated to the bills or invoices it settles."""

        def action(session: Session) -> PaymentOut:
            row = payments.record_payment(
                session, actor, kind=data.kind, partner=data.partner, amount=data.amount, paid_on=data.paid_on, method=data.method,
                reference=data.reference, allocations=[payments.AllocationIn(a.document, a.amount) for a in data.allocations],
                currency=data.currency, exchange_rate=data.exchange_rate,
            )
            return payment_out(session, row)

        return run_idempotent(db, actor, request, data, action, PaymentOut)

    @post("/{number:str}/allocate", status_code=200, summary="Allocate the rest of a payment / 分配余款")
    def allocate(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: FromPath[str], data: JSONBody[Allocate]) -> PaymentOut:
        """Applies what is left of an earlier payment to bills or invoices."""
        return db.run_write(
            lambda s: payment_out(s, payments.allocate(s, actor, number, [payments.AllocationIn(a.document, a.amount) for a in data.allocations]))
        )


class CurrencyController(Controller):
    path = "/api/v1"
    tags = ["finance"]

    @get("/currencies", summary="Currencies / 币种")
    def currencies(self, db: NamedDependency[Database]) -> list[CurrencyOut]:
        """The currencies documents may be written in, the company's own (in which the books are kept) first."""
        with db.read() as session:
            return [CurrencyOut(code=c.code, name_zh=c.name_zh, name_en=c.name_en, company=c.code == fx.COMPANY_CURRENCY)
                    for c in fx.currencies(session)]

    @get("/exchange-rates", summary="Exchange rates / 汇率")
    def rates(
        self, db: NamedDependency[Database], currency: Annotated[str | None, QueryParameter(max_length=3)] = None, limit: Limit = 100,
        offset: Offset = 0,
    ) -> RatePage:
        """Rates in yuan per unit, the latest day first; each holds from its day until the next day with a rate."""
        with db.read() as session:
            rows, total = fx.list_rates(session, currency=currency, limit=limit, offset=offset)
        return RatePage(items=[RateOut(currency=r.currency, on=r.on, rate=fmt(r.rate)) for r in rows], total=total)

    @put("/exchange-rates", summary="Enter a day's rate / 录入汇率")
    def set_rate(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[RateIn]) -> RateOut:
        """The rate of a currency from a day on; entered again for the same day, it replaces that day's. Documents already made
        keep the rate they were made at."""
        row = db.run_write(lambda s: fx.set_rate(s, actor, currency=data.currency, on=data.on, rate=data.rate))
        return RateOut(currency=row.currency, on=row.day, rate=fmt(row.rate))


def _username(session: Session, user_id: int | None) -> str | None:
    from sqlalchemy import select

    from server.auth.models import User

    return session.scalar(select(User.username).where(User.id == user_id)) if user_id else None


def period_out(session: Session, p: Any) -> PeriodOut:
    """A month as the API shows it, from its row or its state in `periods.months` (the same attributes)."""
    return PeriodOut(month=p.month.isoformat()[:7], closed=p.closed, closed_at=p.closed_at, closed_by=_username(session, p.closed_by),
                     reopened_at=p.reopened_at, reopen_reason=p.reopen_reason)


class PeriodController(Controller):
    path = "/api/v1/periods"
    tags = ["finance"]

    @get("/", summary="Months of the books, open or closed / 会计期间")
    def list_periods(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> list[PeriodOut]:
        """The last twelve months, the latest first, each open or closed (with who closed it, and why it was last reopened)."""
        actor.require("finance.read")
        with db.read() as session:
            return [period_out(session, m) for m in periods.months(session)]

    @get("/{month:str}/checklist", summary="A month's close checklist / 结账检查")
    def checklist(self, db: NamedDependency[Database], actor: NamedDependency[Actor], month: FromPath[str]) -> ChecklistOut:
        """What stands between a month (YYYY-MM) and its close: documents dated in it not yet posted, receipts and stocktakes not
        finished, the books' check (each blocking), and goods received long ago and not yet billed (a warning)."""
        first = periods.parse_month(month)
        with db.read() as session:
            items = periods.checklist(session, actor, first)
            closed = periods.is_closed(session, first)
        return ChecklistOut(
            month=first.isoformat()[:7], closed=closed, can_close=not closed and all(i.ok for i in items if i.blocking),
            items=[CheckItemOut(code=i.code, blocking=i.blocking, ok=i.ok, count=i.count, message_en=i.message_en, message_zh=i.message_zh,
                                documents=i.documents) for i in items],
        )

    @post("/{month:str}/close", status_code=200, summary="Close a month / 月末结账")
    def close(self, db: NamedDependency[Database], actor: NamedDependency[Actor], month: FromPath[str]) -> PeriodOut:
        """Closes a month that has ended and whose checklist has nothing blocking: nothing dated in it posts any more."""
        first = periods.parse_month(month)

        return db.run_write(lambda s: period_out(s, periods.close_period(s, actor, first)))

    @post("/{month:str}/reopen", status_code=200, summary="Reopen a closed month / 反结账")
    def reopen(self, db: NamedDependency[Database], actor: NamedDependency[Actor], month: FromPath[str], data: JSONBody[Reopen]) -> PeriodOut:
        """Reopens a closed month, for a director, with the reason on record."""
        first = periods.parse_month(month)

        return db.run_write(lambda s: period_out(s, periods.reopen_period(s, actor, first, data.reason)))
