"""Sales forecasts (GET /api/v1/forecasts) and purchase plans (/api/v1/purchase-plans): made for a warehouse, reviewed line
by line, converted into requisitions or discarded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api import get, patch, post, run_idempotent
from server.auth.models import User
from server.auth.permissions import Actor
from server.catalog.models import Item
from server.db import Database
from server.partners.models import Partner
from server.purchasing import plans
from server.purchasing.plan_models import PurchasePlan
from server.purchasing.plan_schemas import (
    ForecastOut,
    Period,
    PeriodQty,
    PlanCreate,
    PlanDecision,
    PlanLineOut,
    PlanOut,
    PlanPage,
    PlanSummaryOut,
    PlanUpdate,
)
from server.schemas import Limit, Offset, fmt

DocNumber = FromPath[str]


def _f(value: Decimal) -> str:
    return fmt(value) or "0"


def forecast_out(found: plans.ItemForecast) -> ForecastOut:
    item, made = found.item, found.forecast
    return ForecastOut(
        sku=item.sku, name_zh=item.name_zh, name_en=item.name_en, unit=item.unit, warehouse=found.warehouse.code, period=found.period,  # type: ignore[arg-type]
        method=made.method, method_reason=made.reason,
        history=[PeriodQty(start=start, qty=_f(qty)) for start, qty in zip(found.history_starts, found.history, strict=True)],
        forecast=[PeriodQty(start=start, qty=_f(qty)) for start, qty in zip(found.forecast_starts, made.values, strict=True)],
        error=fmt(made.error), mae=fmt(made.mae), mape=fmt(made.mape), season=made.season,
    )


def _username(session: Session, user_id: int | None) -> str | None:
    return session.scalar(select(User.username).where(User.id == user_id)) if user_id else None


def plan_out(session: Session, actor: Actor, plan: PurchasePlan) -> PlanOut:
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_({line.item_id for line in plan.lines})))}
    suppliers = {line.supplier_id for line in plan.lines if line.supplier_id is not None}
    codes = dict(session.execute(select(Partner.id, Partner.code).where(Partner.id.in_(suppliers))).all()) if suppliers else {}
    requisitions = plans.requisitions_of(session, plan)
    warehouse = plans.warehouse_code(session, plan)
    return PlanOut(
        number=plan.number, status=plan.status, warehouse=warehouse, period=plan.period, horizon=plan.horizon,  # type: ignore[arg-type]
        service_level=_f(plan.service_level), as_of=plan.as_of, note=plan.note, version=plan.version, created_by=_username(session, plan.created_by),
        created_at=plan.created_at, converted_at=plan.converted_at, lines_to_buy=plans.lines_to_buy(plan), requisitions=sorted(set(requisitions.values())),
        lines=[
            PlanLineOut(
                line=line.line_no, sku=items[line.item_id].sku, name_zh=items[line.item_id].name_zh, name_en=items[line.item_id].name_en,
                unit=items[line.item_id].unit, method=line.method, method_reason=line.method_reason, history_periods=line.history_periods,
                error=fmt(line.error), mae=fmt(line.mae), mape=fmt(line.mape), lead_time_days=line.lead_time_days, lead_time_source=line.lead_time_source,
                forecast=_f(line.forecast_qty), open_demand=_f(line.open_demand), held=_f(line.held), available=_f(line.available),
                on_order=_f(line.on_order), safety_stock=_f(line.safety_stock), need=_f(line.need), pack_qty=fmt(line.pack_qty),
                proposed_qty=_f(line.proposed_qty), qty=_f(line.qty), supplier=codes.get(line.supplier_id) if line.supplier_id else None,
                selected=line.selected, requisition=requisitions.get(line.requisition_id) if line.requisition_id else None,
                min_order_qty=fmt(line.min_order_qty), raised_to_moq=line.raised_to_moq,
            )
            for line in plan.lines
        ],
        actions=plans.plan_actions(actor, plan),
    )


def summary_out(session: Session, plan: PurchasePlan) -> PlanSummaryOut:
    return PlanSummaryOut(
        number=plan.number, status=plan.status, warehouse=plans.warehouse_code(session, plan), period=plan.period, horizon=plan.horizon,  # type: ignore[arg-type]
        as_of=plan.as_of, note=plan.note, version=plan.version, created_by=_username(session, plan.created_by), created_at=plan.created_at,
        lines=len(plan.lines), lines_to_buy=plans.lines_to_buy(plan), requisitions=sorted(set(plans.requisitions_of(session, plan).values())),
    )


class ForecastController(Controller):
    path = "/api/v1/forecasts"
    tags = ["purchasing"]

    @get("/", summary="An item's sales forecast / 商品销售预测")
    def get_forecast(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor],
        sku: str = Parameter(min_length=1, max_length=64, description="The item's SKU / 商品 SKU"),
        warehouse: str = Parameter(min_length=1, max_length=64, description="The warehouse's code / 仓库编码"),
        period: Period = Parameter(default="week", description="week or month / 按周或按月"),
        horizon: int | None = Parameter(default=None, ge=1, le=104, description="Periods to forecast (12 weeks, 6 months by default) / 预测期数"),
    ) -> ForecastOut:
        """An item's net sales from a warehouse per week or month (shipments to customers less their returns) and the forecast of
        the periods to come, with the method used: Holt-Winters (two years of history or more), Holt's trend or simple
        exponential smoothing (the lowest AICc), or the average of a short or sparse history (labelled so), or none without
        sales; and its accuracy on the last periods held back (MAE, MAPE) when the history is long enough."""
        with db.read() as session:
            return forecast_out(plans.item_forecast(session, actor, sku=sku, warehouse=warehouse, period=period, horizon=horizon))


class PurchasePlanController(Controller):
    path = "/api/v1/purchase-plans"
    tags = ["purchasing"]

    @get("/", summary="Purchase plans / 采购计划列表")
    def list_purchase_plans(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: str | None = Parameter(default=None, max_length=24),
        warehouse: str | None = Parameter(default=None, max_length=64), limit: Limit = 50, offset: Offset = 0,
    ) -> PlanPage:
        """Purchase plans, newest first, narrowed by state (draft, converted, discarded) and warehouse."""
        with db.read() as session:
            rows, total = plans.list_plans(session, actor, status=status, warehouse=warehouse, limit=limit, offset=offset)
            return PlanPage(items=[summary_out(session, plan) for plan in rows], total=total)

    @get("/{number:str}", summary="One purchase plan / 单个采购计划")
    def get_purchase_plan(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> PlanOut:
        """One plan with every line: the figures its proposal was worked out from, the proposal and what will be bought."""
        with db.read() as session:
            return plan_out(session, actor, plans.read_plan(session, actor, number))

    @post("/", summary="Make a purchase plan / 生成采购计划")
    def create_purchase_plan(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[PlanCreate]
    ) -> Response[PlanOut]:
        """Works out, for each item of the warehouse, the demand forecast over its lead time and the horizon, its safety stock,
        available stock, open sales and what is on order, and proposes what to buy and from whom; saved as a draft for the
        purchaser to review. (The forecasts are fitted before anything is written.)"""
        with db.read() as session:
            draft = plans.compute_plan(session, actor, warehouse=data.warehouse, period=data.period, horizon=data.horizon,
                                       service_level=data.service_level, skus=data.skus, note=data.note)
        return run_idempotent(db, actor, request, data, lambda s: plan_out(s, actor, plans.create_plan(s, actor, draft)), PlanOut)

    @patch("/{number:str}", summary="Change a draft plan's lines / 修改采购计划")
    def update_purchase_plan(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[PlanUpdate]) -> PlanOut:
        """Changes the lines named (what to buy, from which supplier, whether to buy it at all) and the note of a draft plan, on
        the version the purchaser saw."""
        changes = [
            plans.LineChange(line=c.line, qty=c.qty, supplier=c.supplier if isinstance(c.supplier, str) else None,
                             clear_supplier=c.supplier is None, selected=c.selected)
            for c in data.lines
        ]
        return db.run_write(lambda s: plan_out(s, actor, plans.update_plan(s, actor, number, version=data.version, changes=changes, note=data.note)))

    @post("/{number:str}/convert", status_code=200, summary="Convert into requisitions / 转为请购单")
    def convert_purchase_plan(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[PlanDecision]) -> PlanOut:
        """Makes one requisition (source "plan") per supplier of the selected lines with a quantity — the lines without a
        supplier together in one — and links each line to its requisition. A plan is converted once."""
        return db.run_write(lambda s: plan_out(s, actor, plans.convert_plan(s, actor, number, version=data.version)))

    @post("/{number:str}/discard", status_code=200, summary="Discard / 作废采购计划")
    def discard_purchase_plan(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[PlanDecision]) -> PlanOut:
        """Discards a draft plan: nothing is bought from it; it stays for the record."""
        return db.run_write(lambda s: plan_out(s, actor, plans.discard_plan(s, actor, number, version=data.version, reason=data.reason)))

