"""Request and response shapes for orders from online shops (电商订单)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from server.catalog.schemas import VatRate
from server.partners.schemas import Currency
from server.purchasing.schemas import UnitName
from server.sales.schemas import SOOut
from server.schemas import Code, Out, Percent, Price, Quantity, ScanText, Struct, Text, line


class ShopLine(Struct):
    """A line as the shop sold it: `qty` and `unit_price` (what the buyer paid a unit, before `discount` per cent) count in
    `unit` (the item's own unit by default, or one of its packs)."""

    sku: Code
    qty: Quantity
    unit_price: Price
    unit: UnitName | None = None
    discount: Percent | None = None
    vat_rate: VatRate | None = None


class Buyer(Struct):
    name: Annotated[str, line(100)] = ""
    phone: Annotated[str, line(40)] = ""
    address: Annotated[str, line(300)] = ""


class ShopOrderIn(Struct):
    """An order from an online shop. `shop` names the shop (one code per store, e.g. TMALL-01) and `order_id` is the shop's
    own order number: the pair is the order's identity, so sending the same order again — after a timeout, say — answers the
    order already taken and creates nothing. `customer` is the customer the shop's orders are booked to (a partner code),
    `warehouse` the one that ships them."""

    shop: Code
    order_id: ScanText
    customer: Code
    warehouse: Code
    lines: Annotated[list[ShopLine], msgspec.Meta(min_length=1, max_length=1000)]
    ordered_at: Annotated[dt.datetime, msgspec.Meta(tz=True)] | None = None  # with its time zone: "2026-12-04T09:30:00+08:00"
    buyer: Buyer | None = None
    note: Text = ""
    currency: Currency | None = None  # by default the customer's
    discount: Percent | None = None  # per cent off every line


class HeldOut(Out):
    """Why a shop order was kept as a draft instead of confirmed (short of stock, over the credit limit…): a person sees to it."""

    code: str
    message_en: str
    message_zh: str


class ShopOrderOut(Out):
    created: bool  # false: the shop had sent this order before; this is the order taken then
    order: SOOut
    held: HeldOut | None = None
