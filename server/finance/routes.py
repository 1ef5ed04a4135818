"""Finance endpoints: the trial balance, the journal of a source document, stock valuation."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from server.api import ERRORS
from server.auth.permissions import Actor
from server.db import Database
from server.finance import services
from server.finance.schemas import JournalEntryOut, JournalLineOut, TrialBalance, TrialBalanceLine, ValuationOut
from server.inventory.services import valuation_of
from server.schemas import fmt


class FinanceController(Controller):
    path = "/api/v1/finance"
    tags = ["finance"]

    @get("/trial-balance", sync_to_thread=True, responses=ERRORS, summary="Trial balance / 试算平衡表")
    def trial_balance(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> TrialBalance:
        with db.read() as session:
            rows, debit, credit = services.trial_balance(session, actor)
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

    @get("/journal", sync_to_thread=True, responses=ERRORS, summary="Journal entries of a document / 单据的会计分录")
    def journal(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        source_type: str = Parameter(min_length=1, max_length=32),
        source_id: str = Parameter(min_length=1, max_length=64),
    ) -> list[JournalEntryOut]:
        with db.read() as session:
            entries = services.journal_of(session, actor, source_type=source_type, source_id=source_id)
        return [
            JournalEntryOut(
                id=e.id, at=e.at, source_type=e.source_type, source_id=e.source_id, memo=e.memo,
                lines=[JournalLineOut(account=code, debit=fmt(d) or "0", credit=fmt(c) or "0") for code, d, c in lines],
            )
            for e, lines in entries
        ]

    @get("/valuation/{sku:str}", sync_to_thread=True, responses=ERRORS, summary="Stock valuation of an item / 商品库存估值")
    def valuation(self, db: NamedDependency[Database], actor: NamedDependency[Actor], sku: FromPath[str]) -> ValuationOut:
        with db.read() as session:
            qty, value, average = valuation_of(session, actor, sku)
        return ValuationOut(sku=sku, qty=fmt(qty) or "0", value=fmt(value) or "0", average_cost=fmt(average) or "0")
