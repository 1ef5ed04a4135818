"""Purchase plans (采购计划) and their lines: what to buy for a warehouse, from its forecast, stock and orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.base import Base, FixedDecimal, Qty, UTCDateTime, utcnow


class PurchasePlan(Base):
    """A warehouse's plan: draft (the purchaser reviews it), then converted into requisitions, or discarded."""

    __tablename__ = "purchase_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))  # week or month: the forecast's periods
    horizon: Mapped[int] = mapped_column(Integer)  # periods an order is to last after it arrives (the review period)
    service_level: Mapped[Decimal] = mapped_column(FixedDecimal(2))  # per cent: the chance of not running out
    as_of: Mapped[dt.date] = mapped_column(Date)  # the local day it was computed for
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    converted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[PurchasePlanLine]] = relationship(cascade="all, delete-orphan", order_by="PurchasePlanLine.line_no")


class PurchasePlanLine(Base):
    """One item of a plan: the figures its proposal was worked out from, the proposal, and what the purchaser made of it."""

    __tablename__ = "purchase_plan_lines"
    __table_args__ = (UniqueConstraint("plan_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("purchase_plans.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    method: Mapped[str] = mapped_column(String(24))  # how it was forecast (server.purchasing.forecast.METHODS)
    method_reason: Mapped[str | None] = mapped_column(String(24))  # why the average, or why no forecast
    history_periods: Mapped[int] = mapped_column(Integer, default=0)  # periods of history the forecast rests on
    error: Mapped[Decimal | None] = mapped_column(FixedDecimal(2))  # the forecast's one-step error per period (safety stock's σ)
    mae: Mapped[Decimal | None] = mapped_column(FixedDecimal(2))
    mape: Mapped[Decimal | None] = mapped_column(FixedDecimal(2))
    lead_time_days: Mapped[int] = mapped_column(Integer)
    lead_time_source: Mapped[str] = mapped_column(String(16))  # item, history or default
    forecast_qty: Mapped[Decimal] = mapped_column(Qty())  # demand forecast over lead time + review period
    open_demand: Mapped[Decimal] = mapped_column(Qty())  # confirmed sales orders still to ship
    held: Mapped[Decimal] = mapped_column(Qty())  # of them, held by reservations
    available: Mapped[Decimal] = mapped_column(Qty())  # on hand less reserved
    on_order: Mapped[Decimal] = mapped_column(Qty())  # open requisitions and purchase orders not yet received
    safety_stock: Mapped[Decimal] = mapped_column(Qty())
    need: Mapped[Decimal] = mapped_column(Qty())  # before rounding; 0 when nothing is needed
    pack_qty: Mapped[Decimal | None] = mapped_column(Qty())  # bought in whole packs of this many
    proposed_qty: Mapped[Decimal] = mapped_column(Qty())  # the need (at least the minimum order) rounded up to the unit or pack
    min_order_qty: Mapped[Decimal | None] = mapped_column(Qty())  # the item's minimum order quantity when the plan was made
    raised_to_moq: Mapped[bool] = mapped_column(Boolean, default=False)  # the need was below it, so the proposal was raised to it
    qty: Mapped[Decimal] = mapped_column(Qty())  # what the purchaser will buy (the proposal until changed)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    selected: Mapped[bool] = mapped_column(Boolean, default=True)
    requisition_id: Mapped[int | None] = mapped_column(ForeignKey("requisitions.id"))
