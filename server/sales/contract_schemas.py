"""Request and response shapes for sales contracts (销售合同)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from server.partners.schemas import Currency
from server.purchasing.schemas import Comment, UnitName, Version
from server.schemas import Code, DecimalStr, Out, Price, Quantity, Struct, Text


class ContractLineCreate(Struct):
    """An item agreed on: `unit_price` per `unit` (the item's own unit by default, or one of its packs), and `qty` in that
    unit, or none for an agreement on price only."""

    sku: Code
    unit_price: Price
    qty: Quantity | None = None
    unit: UnitName | None = None


ContractLines = Annotated[list[ContractLineCreate], msgspec.Meta(min_length=1, max_length=1000)]


class ContractCreate(Struct):
    customer: Code
    valid_from: dt.date
    valid_to: dt.date
    lines: ContractLines
    currency: Currency | None = None  # by default the customer's
    note: Text = ""


class ContractUpdate(Struct):
    """Changes to a draft contract: only the fields given change (`lines` replaces them all)."""

    version: Version
    customer: Code | None = None
    currency: Currency | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    lines: ContractLines | None = None
    note: Text | None = None


class ContractDecision(Struct):
    version: Version | None = None
    reason: Comment = ""


class ContractLineOut(Out):
    """An agreed item, with what the orders drawing the contract took of it. Quantities in the item's own unit
    (`base_unit`); `unit_price` per `unit`."""

    line: int
    sku: str
    name_zh: str
    name_en: str
    base_unit: str
    unit: str
    unit_factor: DecimalStr  # base units in one `unit`
    unit_price: DecimalStr
    qty: DecimalStr | None  # agreed; null: on price only
    unit_qty: DecimalStr | None  # agreed, counted in `unit`
    drawn: DecimalStr  # by confirmed (and later) orders, less what they cancelled
    remaining: DecimalStr | None  # agreed less drawn, never below 0; null on price only
    over: DecimalStr  # drawn beyond what was agreed
    pending: DecimalStr  # on draft orders naming the contract, not drawn yet


class ContractDrawOut(Out):
    line: int  # the contract's line
    sku: str
    qty: DecimalStr  # in the item's own unit


class ContractOrderOut(Out):
    """An order naming the contract: what it draws (`counts`: confirmed or later) or would draw (a draft)."""

    number: str
    status: str
    counts: bool
    created_at: dt.datetime
    draws: list[ContractDrawOut]
    warnings: int = 0  # how many warnings it was confirmed with


class ContractOut(Out):
    number: str
    status: str
    customer: str
    customer_name_zh: str
    customer_name_en: str
    currency: str
    valid_from: dt.date
    valid_to: dt.date
    note: str
    version: int
    created_at: dt.datetime
    created_by: str | None
    expired: bool  # in force by its state, but past its last day: no order draws it any more
    lines: list[ContractLineOut]
    orders: list[ContractOrderOut]
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)


class ContractPage(Out):
    items: list[ContractOut]
    total: int
