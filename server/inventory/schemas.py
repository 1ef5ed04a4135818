"""Request and response shapes for moves, balances and reservations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import msgspec

from server.schemas import Code, DecimalStr, Out, ScanText, Struct

Reason = Annotated[str, msgspec.Meta(max_length=200)]


class MoveCreate(Struct):
    sku: Code
    qty: Decimal
    from_: Code = msgspec.field(name="from")
    to: Code
    lot: Code | None = None
    serials: Annotated[list[ScanText], msgspec.Meta(max_length=10000)] = []
    reason: Reason = ""
    unit_cost: Decimal | None = None
    reservation: Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)] | None = None  # pick against this reservation


class MoveReverse(Struct):
    reason: Reason = ""


class MoveOut(Out):
    id: int
    sku: str
    qty: DecimalStr
    from_: str = msgspec.field(name="from")
    to: str
    lot: str | None = None
    serials: list[str] = []
    unit_cost: DecimalStr = "0"
    value: DecimalStr = "0"  # at moving-average cost; non-zero where stock enters or leaves the company's books
    reason: str = ""
    ref_type: str | None = None  # the document that caused the move (receipt, so, return, ...)
    ref_id: str | None = None
    reverses: int | None = None
    user: str | None = None
    device_id: str | None = None
    created_at: dt.datetime | None = None


class MovePage(Out):
    items: list[MoveOut]
    total: int


class BalanceOut(Out):
    sku: str
    location: str
    warehouse: str | None
    lot: str | None
    expiry: dt.date | None
    qty: DecimalStr
    reserved: DecimalStr
    available: DecimalStr
    quarantine: bool


class BalancePage(Out):
    items: list[BalanceOut]
    total: int


class ReservationCreate(Struct):
    sku: Code
    location: Code
    qty: Decimal
    lot: Code | None = None
    ref_type: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    ref_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class ReservationOut(Out):
    id: int
    sku: str
    location: str
    qty: DecimalStr
    open: bool
    ref_type: str | None
    ref_id: str | None
