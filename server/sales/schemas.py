"""Request and response shapes for sales documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from server.purchasing.schemas import Comment, LineCreate, Lines, Version
from server.schemas import Code, DecimalStr, Out, Struct, Text


class QuoteCreate(Struct):
    customer: Code
    warehouse: Code
    lines: Annotated[list[LineCreate], msgspec.Meta(min_length=1, max_length=5000)]
    valid_until: dt.date | None = None
    note: Text = ""


class SOCreate(Struct):
    customer: Code
    warehouse: Code
    lines: Annotated[list[LineCreate], msgspec.Meta(min_length=1, max_length=5000)]
    ship_to: Text = ""
    note: Text = ""


class SOUpdate(Struct):
    version: Version
    lines: Annotated[list[LineCreate], msgspec.Meta(min_length=1, max_length=5000)] | None = None
    ship_to: Text | None = None
    note: Text | None = None


class VersionBody(Struct):
    version: Version | None = None
    reason: Comment = ""


class CreditOverride(Struct):
    version: Version
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class SalesLineOut(Out):
    line: int
    sku: str
    name_zh: str
    name_en: str
    qty: DecimalStr
    unit_price: DecimalStr
    vat_rate: DecimalStr
    net: DecimalStr
    reserved: DecimalStr
    picked: DecimalStr
    short: DecimalStr
    packed: DecimalStr
    shipped: DecimalStr
    invoiced: DecimalStr
    returned: DecimalStr


class QuoteOut(Out):
    number: str
    status: str
    customer: str
    warehouse: str
    valid_until: dt.date | None
    note: str
    version: int
    subtotal: DecimalStr
    tax: DecimalStr
    total: DecimalStr
    sales_order: str | None
    lines: list[SalesLineOut]


class PackageContentOut(Out):
    line: int
    sku: str
    qty: DecimalStr


class PackageOut(Out):
    sscc: str
    weight_kg: DecimalStr | None
    contents: list[PackageContentOut]


class SOOut(Out):
    number: str
    status: str
    customer: str
    warehouse: str
    ship_to: str
    note: str
    version: int
    subtotal: DecimalStr
    tax: DecimalStr
    total: DecimalStr
    credit_released_by: str | None
    credit_release_reason: str
    lines: list[SalesLineOut]
    packages: list[PackageOut]
    created_at: dt.datetime


class QuotePage(Out):
    items: list[QuoteOut]
    total: int


class SOPage(Out):
    items: list[SOOut]
    total: int


class ExposureOut(Out):
    customer: str
    credit_limit: DecimalStr | None
    open_receivables: DecimalStr
    open_orders: DecimalStr
    exposure: DecimalStr
    available_credit: DecimalStr | None


class WaveCreate(Struct):
    warehouse: Code
    orders: Annotated[list[Code], msgspec.Meta(min_length=1, max_length=500)]


class PickTaskOut(Out):
    id: int
    seq: int
    order: str
    order_line: int
    sku: str
    name_zh: str
    name_en: str
    location: str
    lot: str | None
    expiry: dt.date | None
    qty: DecimalStr
    picked: DecimalStr
    status: str
    short_reason: str
    version: int


class WaveOut(Out):
    number: str
    warehouse: str
    status: str
    version: int
    tasks: list[PickTaskOut]


class WavePage(Out):
    items: list[WaveOut]


class PickConfirm(Struct):
    qty: Decimal
    location: Code | None = None
    lot: Code | None = None
    serials: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []
    short_reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class PackageLineIn(Struct):
    line: Lines
    qty: Decimal


class PackageIn(Struct):
    lines: Annotated[list[PackageLineIn], msgspec.Meta(min_length=1, max_length=500)]
    weight_kg: Decimal | None = None


class PackBody(Struct):
    packages: Annotated[list[PackageIn], msgspec.Meta(min_length=1, max_length=500)]


class InvoiceCreate(Struct):
    invoice_date: dt.date | None = None
    post: bool = True


class InvoiceLineOut(Out):
    line: int
    order_line: int
    sku: str
    qty: DecimalStr
    unit_price: DecimalStr
    vat_rate: DecimalStr
    net: DecimalStr
    tax: DecimalStr


class InvoiceOut(Out):
    number: str
    kind: Literal["invoice", "credit_note"]
    status: str
    customer: str
    order: str
    credits: str | None
    invoice_date: dt.date
    due_date: dt.date
    subtotal: DecimalStr
    tax: DecimalStr
    total: DecimalStr
    paid: DecimalStr
    credited: DecimalStr
    open: DecimalStr
    version: int
    lines: list[InvoiceLineOut]


class InvoicePage(Out):
    items: list[InvoiceOut]
    total: int


class ReturnLineCreate(Struct):
    line: Lines
    qty: Decimal
    lot: Code | None = None
    serials: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class ReturnCreate(Struct):
    order: Code
    lines: Annotated[list[ReturnLineCreate], msgspec.Meta(min_length=1, max_length=1000)]
    note: Text = ""


class Disposition(Struct):
    disposition: Literal["restock", "scrap"]
    location: Code | None = None


class ReturnLineOut(Out):
    line: int
    order_line: int
    sku: str
    lot: str | None
    qty: DecimalStr
    reason: str
    disposition: str
    unit_cost: DecimalStr | None


class ReturnOut(Out):
    number: str
    status: str
    order: str
    customer: str
    location: str
    credit_note: str | None
    version: int
    lines: list[ReturnLineOut]


class ReturnPage(Out):
    items: list[ReturnOut]
    total: int
