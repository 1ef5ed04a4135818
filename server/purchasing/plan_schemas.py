"""Request and response shapes of sales forecasts and purchase plans."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from server.purchasing.schemas import Comment, Version
from server.schemas import Code, DecimalStr, Out, Percent, Quantity, Struct, Text

Period = Literal["week", "month"]
Horizon = Annotated[int, msgspec.Meta(ge=1, le=104)]


class PeriodQty(Out):
    start: dt.date  # the period's first day (a Monday, or the 1st of a month)
    qty: DecimalStr


class ForecastOut(Out):
    """An item's net sales from a warehouse per period (shipments to customers less their returns), from its first sale
    in the window on, and the forecast of the periods to come (the current one first)."""

    sku: str
    name_zh: str
    name_en: str
    unit: str
    warehouse: str
    period: Period
    method: str  # holt_winters, holt, smoothing, average or none
    method_reason: str | None  # why the average (short_history, sparse_history, fit_failed), or why none (no_history)
    history: list[PeriodQty]
    forecast: list[PeriodQty]
    error: DecimalStr | None  # the spread of the one-step errors per period (what safety stock is made of)
    mae: DecimalStr | None  # on the last periods held back: mean absolute error
    mape: DecimalStr | None  # mean absolute percentage error, on the held-back periods that sold
    season: int | None  # periods in the season of a seasonal model


class PlanCreate(Struct):
    """A plan for a warehouse: every item sold from it (or wanted by its orders, or with a reorder rule or point), or the SKUs
    named. `horizon`: how many periods an order is to last once it arrives (4 weeks, 1 month by default); `service_level`:
    the chance in per cent of not running out before the goods come (95 by default)."""

    warehouse: Code
    period: Period = "week"
    horizon: Horizon | None = None
    service_level: Percent | None = None
    skus: Annotated[list[Code], msgspec.Meta(max_length=1000)] = []
    note: Text = ""


class PlanLineChange(Struct):
    """A line as the purchaser wants it: fields left out stay; `supplier: null` leaves it for the requisition's approver."""

    line: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    qty: Quantity | None = None
    supplier: Code | None | msgspec.UnsetType = msgspec.UNSET
    selected: bool | None = None


class PlanUpdate(Struct):
    version: Version
    lines: Annotated[list[PlanLineChange], msgspec.Meta(max_length=5000)] = []
    note: Text | None = None


class PlanDecision(Struct):
    """Convert or discard the version of the plan the purchaser saw."""

    version: Version | None = None
    reason: Comment = ""


class PlanLineOut(Out):
    line: int
    sku: str
    name_zh: str
    name_en: str
    unit: str
    method: str
    method_reason: str | None
    history_periods: int
    error: DecimalStr | None  # the forecast's one-step error per period: what safety stock is made of
    mae: DecimalStr | None
    mape: DecimalStr | None
    lead_time_days: int
    lead_time_source: str  # item, history (its latest orders) or default
    forecast: DecimalStr  # demand forecast over the lead time and the horizon
    open_demand: DecimalStr  # confirmed sales orders still to ship
    held: DecimalStr  # of them, held by reservations (in neither available nor the need twice)
    available: DecimalStr
    on_order: DecimalStr
    safety_stock: DecimalStr
    need: DecimalStr  # max(forecast, open orders) − held + safety − available − on order, never below 0
    pack_qty: DecimalStr | None  # bought in whole packs of this many
    proposed_qty: DecimalStr  # the need, at least the minimum order quantity, rounded up to the pack or unit
    qty: DecimalStr  # what will be bought
    supplier: str | None
    selected: bool
    requisition: str | None  # once converted
    min_order_qty: DecimalStr | None = None  # the item's minimum order quantity when the plan was made
    raised_to_moq: bool = False  # the need was below it: the proposal was raised to it


class PlanOut(Out):
    number: str
    status: str  # draft, converted or discarded
    warehouse: str
    period: Period
    horizon: int
    service_level: DecimalStr
    as_of: dt.date
    note: str
    version: int
    created_by: str | None
    created_at: dt.datetime
    converted_at: dt.datetime | None
    lines_to_buy: int
    requisitions: list[str]
    lines: list[PlanLineOut]
    actions: list[str] = msgspec.field(default_factory=list)


class PlanSummaryOut(Out):
    number: str
    status: str
    warehouse: str
    period: Period
    horizon: int
    as_of: dt.date
    note: str
    version: int
    created_by: str | None
    created_at: dt.datetime
    lines: int
    lines_to_buy: int
    requisitions: list[str]


class PlanPage(Out):
    items: list[PlanSummaryOut]
    total: int
