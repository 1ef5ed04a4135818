"""GET /api/v1/suppliers/scores: each candidate supplier's scorecard over the last year, for choosing one on a requisition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import Parameter

from server.api import get
from server.auth.permissions import Actor
from server.auth.visibility import PRICES
from server.db import Database
from server.errors import InvalidInput
from server.reports.scorecard import Scores, SupplierScore, shown, supplier_scores
from server.schemas import DecimalStr, Limit, Out, fmt

MAX_CODES = 50


class SupplierScoreOut(Out):
    """One supplier's record: its score (0–100) and the figures and counts it rests on. Percentages to one decimal place."""

    supplier: str
    name_zh: str
    name_en: str
    score: DecimalStr | None  # none: nothing delivered, inspected or billed in the year
    orders: int
    deliveries: int
    received_lines: int
    dated_lines: int
    on_time_pct: DecimalStr | None
    finished_lines: int
    quantity_accuracy_pct: DecimalStr | None
    inspected_lines: int
    reject_pct: DecimalStr | None
    billed_lines: int
    price_variance_pct: DecimalStr | None  # null for those who may not see prices
    last_delivery: dt.date | None


class SupplierScoresOut(Out):
    items: list[str]  # the SKUs asked about
    from_: dt.date = msgspec.field(name="from")
    to: dt.date
    suppliers: list[SupplierScoreOut]
    total: int  # candidates in all (the list holds the best `limit` of them)


def _score_out(found: SupplierScore, prices: bool) -> SupplierScoreOut:
    p, t = found.supplier, found.tally
    return SupplierScoreOut(
        supplier=p.code, name_zh=p.name_zh, name_en=p.name_en, score=fmt(shown(t.score, Decimal(1))),
        orders=len(t.orders), deliveries=len(t.receipts), received_lines=t.received_lines, dated_lines=t.dated_lines,
        on_time_pct=fmt(shown(t.on_time)), finished_lines=t.finished_lines, quantity_accuracy_pct=fmt(shown(t.quantity_accuracy)),
        inspected_lines=t.inspected_lines, reject_pct=fmt(shown(t.reject_rate)), billed_lines=t.billed_lines,
        price_variance_pct=fmt(shown(t.price_variance_rate)) if prices else None, last_delivery=t.last_delivery,
    )


def scores_out(scores: Scores, actor: Actor, limit: int) -> SupplierScoresOut:
    prices = actor.can(PRICES)
    return SupplierScoresOut(items=scores.skus, from_=scores.first, to=scores.last,
                             suppliers=[_score_out(s, prices) for s in scores.suppliers[:limit]], total=len(scores.suppliers))


def _codes(text: str | None, parameter: str) -> list[str]:
    """The codes of a comma-separated query parameter (`item=PEN,RICE`)."""
    codes = [code.strip() for code in (text or "").split(",") if code.strip()]
    if len(codes) > MAX_CODES:
        raise InvalidInput(
            f"Ask about at most {MAX_CODES} at once in {parameter} (got {len(codes)}).", f"{parameter} 一次最多查询 {MAX_CODES} 个（收到 {len(codes)} 个）。",
            code="invalid_parameter", parameter=parameter,
        )
    return codes


class SupplierScoreController(Controller):
    path = "/api/v1/suppliers"
    tags = ["reports"]

    @get("/scores", summary="Supplier scores for choosing a supplier / 供应商评分（选择供应商参考）")
    def list_supplier_scores(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor],
        item: str | None = Parameter(default=None, max_length=2000, description="SKUs, comma-separated / 商品 SKU，逗号分隔"),
        supplier: str | None = Parameter(default=None, max_length=2000, description="Supplier codes, comma-separated / 供应商编码，逗号分隔"),
        limit: Limit = 50,
    ) -> SupplierScoresOut:
        """The suppliers named, or else those that were ordered these items (or list them on their purchase price list), or
        else every active supplier, each with its score over the last year of days and what it rests on (deliveries, on time,
        quantity accuracy, rejects, price variance), best first. See the supplier scorecard report for what each figure means."""
        with db.read() as session:
            found = supplier_scores(session, actor, _codes(item, "item"), suppliers=_codes(supplier, "supplier"))
            return scores_out(found, actor, limit)
