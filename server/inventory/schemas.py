"""Request and response shapes for moves, balances and reservations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from server.purchasing.schemas import ApprovalOut
from server.schemas import Code, DecimalStr, Out, Price, Quantity, ScanText, Struct, Text, line

Reason = Annotated[str, line(200)]


class MoveCreate(Struct):
    sku: Code
    qty: Quantity
    from_: Code = msgspec.field(name="from")
    to: Code
    lot: Code | None = None
    serials: Annotated[list[ScanText], msgspec.Meta(max_length=10000)] = []
    reason: Reason = ""
    unit_cost: Price | None = None
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
    # Null for those who may not see costs (server.auth.visibility).
    unit_cost: DecimalStr | None = None
    value: DecimalStr | None = None  # at moving-average cost; non-zero where stock enters or leaves the company's books
    reason: str = ""
    ref_type: str | None = None  # the document that caused the move (receipt, so, return, ...)
    ref_id: str | None = None
    reverses: int | None = None
    reversed_by: int | None = None  # the move that reversed this one, if any
    actions: list[str] = []  # what this user may do to it now: "reverse"
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
    qty: Quantity
    lot: Code | None = None
    ref_type: Annotated[str, line(32)] | None = None
    ref_id: Annotated[str, line(64)] | None = None


class ReservationOut(Out):
    id: int
    sku: str
    location: str
    qty: DecimalStr
    open: bool
    ref_type: str | None
    ref_id: str | None
    created_at: dt.datetime | None = None
    order: str | None = None  # the sales order, when held for one of its lines


class ReservationPage(Out):
    items: list[ReservationOut]
    total: int


class TransferLineCreate(Struct):
    sku: Code
    qty: Quantity


class TransferCreate(Struct):
    from_warehouse: Code
    to_warehouse: Code
    lines: Annotated[list[TransferLineCreate], msgspec.Meta(min_length=1, max_length=1000)]
    needed_by: dt.date | None = None
    note: Text = ""


class TransferUpdate(Struct):
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    note: Text | None = None
    needed_by: dt.date | None = None
    lines: Annotated[list[TransferLineCreate], msgspec.Meta(min_length=1, max_length=1000)] | None = None  # all of them, as they are to be


class TransferDecision(Struct):
    version: Annotated[int, msgspec.Meta(ge=1)]
    comment: Text = ""


class TransferShipLine(Struct):
    line: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    qty: Quantity
    location: Code
    lot: Code | None = None
    serials: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []


class TransferShip(Struct):
    version: Annotated[int, msgspec.Meta(ge=1)]
    lines: Annotated[list[TransferShipLine], msgspec.Meta(min_length=1, max_length=1000)]


class TransferReceiveLine(Struct):
    line: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    qty: Quantity
    location: Code
    note: Annotated[str, line(200)] = ""


class TransferReceive(Struct):
    version: Annotated[int, msgspec.Meta(ge=1)]
    lines: Annotated[list[TransferReceiveLine], msgspec.Meta(min_length=1, max_length=1000)]


class TransferLineOut(Out):
    line: int
    sku: str
    name_zh: str
    name_en: str
    unit: str
    lot: str | None
    serials: list[str]
    qty: DecimalStr
    shipped: DecimalStr
    received: DecimalStr
    short: DecimalStr  # shipped and not arrived
    from_location: str | None
    to_location: str | None
    difference_note: str
    value: DecimalStr | None  # in yuan, what left the sending warehouse (costs.read)


class TransferOut(Out):
    number: str
    status: str
    from_warehouse: str
    to_warehouse: str
    needed_by: dt.date | None
    note: str
    version: int
    created_by: str | None
    approved_by: str | None
    created_at: dt.datetime
    shipped_at: dt.datetime | None
    received_at: dt.datetime | None
    lines: list[TransferLineOut]
    actions: list[str] = msgspec.field(default_factory=list)
    approval_roles: list[str] = msgspec.field(default_factory=list)  # the levels the approval rules asked for, in order
    approvals: list[ApprovalOut] = msgspec.field(default_factory=list)  # the approvers' decisions, level by level (void ones too)
    value: DecimalStr | None = None  # its goods at average cost, in yuan: what the approval rules judge it by (costs.read)


class TransferPage(Out):
    items: list[TransferOut]
    total: int
