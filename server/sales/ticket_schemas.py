"""Request and response shapes for after-sales service tickets (售后服务单)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from server.purchasing.schemas import Comment, Version
from server.schemas import Code, DecimalStr, Out, Quantity, Struct, lines

Resolution = Literal["repair", "replacement", "refund"]
Problem = Annotated[str, lines(500, min_length=1)]
WarrantyDays = Annotated[int, msgspec.Meta(ge=0, le=36_500)]
Assignee = Annotated[str, msgspec.Meta(max_length=64, pattern=r"^([A-Za-z0-9][A-Za-z0-9._@\-]*)?$")]  # "" leaves it to nobody


class TicketCreate(Struct):
    """A customer's report about goods they were sold: a serial number (`sku` only when several items have one so numbered),
    or `sku` and `lot` with `qty` (1 unless given) and, when they had the lot on several orders, the `order`; goods tracked
    by neither: `sku`, the delivery note's number as `order`, and `qty`."""

    customer: Code
    problem: Problem
    serial: Code | None = None
    sku: Code | None = None
    lot: Code | None = None
    qty: Quantity | None = None
    order: Code | None = None
    resolution: Resolution | None = None  # what is in view, if known already
    warranty_days: WarrantyDays | None = None  # by default the setting (CANGKU_WARRANTY_DAYS)
    assigned_to: Assignee | None = None  # a username
    note: Comment = ""


class TicketUpdate(Struct):
    """Changes while its state allows (see flows.SERVICE_TICKET): only the fields given change."""

    version: Version
    problem: Problem | None = None
    resolution: Resolution | None = None
    warranty_days: WarrantyDays | None = None
    assigned_to: Assignee | None = None
    note: Comment | None = None


class TicketStep(Struct):
    """A step on a ticket, taken on the version the person saw; `note` (or `reason`, as a cancel or reopen asks) goes on its log."""

    version: Version | None = None
    note: Comment = ""
    reason: Comment = ""


class TicketResolve(Struct):
    version: Version | None = None
    resolution: Resolution | None = None  # by default the one the ticket has
    note: Comment = ""  # what was done


class TicketNote(Struct):
    text: Problem


class LinkedOut(Out):
    """A document the ticket made or linked: its number and state."""

    number: str
    status: str


class TicketEntryOut(Out):
    at: dt.datetime
    user: str | None
    action: str  # create, update, start, return, replace, refund, resolve, reopen, close, cancel, note
    text: str
    document: str | None  # the return, replacement order or credit note the step made or linked


class TicketOut(Out):
    number: str
    status: str
    version: int
    customer: str
    customer_name_zh: str
    customer_name_en: str
    sku: str
    name_zh: str
    name_en: str
    unit: str
    serial: str | None
    lot: str | None
    qty: DecimalStr
    order: str  # the sales order the goods went out on
    order_line: int
    invoice: str | None  # the invoice that billed them, if any yet
    shipped_at: dt.datetime
    shipped_on: dt.date
    reported_on: dt.date
    warranty_days: int
    warranty_until: dt.date
    in_warranty: bool  # on the day it was reported
    problem: str
    resolution: Resolution | None
    resolution_note: str
    note: str
    assigned_to: str | None
    created_by: str | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    refunded_at: dt.datetime | None
    customer_return: LinkedOut | None  # the return that brings the goods back
    replacement: LinkedOut | None  # the sales order that ships new ones
    credit_note: LinkedOut | None  # the refund
    log: list[TicketEntryOut]
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)


class TicketPage(Out):
    items: list[TicketOut]
    total: int


class SoldOut(Out):
    """Goods out with a customer, as the ticket form fills itself in from a scanned serial number (or a lot): the item, the
    customer, the order and invoice, the day it shipped, and its warranty as of today."""

    sku: str
    name_zh: str
    name_en: str
    unit: str
    tracking: str
    serial: str | None
    lot: str | None
    qty: DecimalStr  # still with the customer
    customer: str
    customer_name_zh: str
    customer_name_en: str
    order: str
    order_line: int
    invoice: str | None
    shipped_at: dt.datetime
    shipped_on: dt.date
    warranty_days: int
    warranty_until: dt.date
    in_warranty: bool
    open_ticket: str | None  # a ticket about this serial not closed yet
