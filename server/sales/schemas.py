"""Request and response shapes for sales documents."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from server.partners.schemas import Currency
from server.purchasing.schemas import Comment, LineCreate, Lines, Version
from server.schemas import Amount, Code, DecimalStr, Out, Percent, Quantity, Struct, Text, Weight, line, lines


class QuoteCreate(Struct):
    customer: Code
    warehouse: Code
    lines: Annotated[list[LineCreate], msgspec.Meta(min_length=1, max_length=5000)]
    valid_until: dt.date | None = None
    note: Text = ""
    currency: Currency | None = None  # by default the customer's
    discount: Percent | None = None  # per cent off every line (整单折扣)


class SOCreate(Struct):
    customer: Code
    warehouse: Code
    lines: Annotated[list[LineCreate], msgspec.Meta(min_length=1, max_length=5000)]
    ship_to: Text = ""
    note: Text = ""
    currency: Currency | None = None  # by default the customer's (or the contract's)
    discount: Percent | None = None  # per cent off every line (整单折扣)
    contract: Code | None = None  # the sales contract (销售合同) it draws down: the customer's, in force today


class SOUpdate(Struct):
    version: Version
    lines: Annotated[list[LineCreate], msgspec.Meta(min_length=1, max_length=5000)] | None = None
    ship_to: Text | None = None
    note: Text | None = None
    discount: Percent | None = None
    contract: Annotated[str, msgspec.Meta(max_length=64, pattern=r"^([A-Za-z0-9][A-Za-z0-9._\-]*)?$")] | None = None  # a draft's contract; "" for none


class VersionBody(Struct):
    version: Version | None = None
    reason: Comment = ""


class CreditOverride(Struct):
    version: Version
    reason: Annotated[str, lines(500, min_length=1)]


class SalesLineOut(Out):
    line: int
    sku: str
    name_zh: str
    name_en: str
    qty: DecimalStr  # in the item's own unit, as every quantity below
    unit_price: DecimalStr | None  # per `unit`, before discounts
    vat_rate: DecimalStr
    net: DecimalStr | None
    reserved: DecimalStr
    picked: DecimalStr
    short: DecimalStr
    packed: DecimalStr
    shipped: DecimalStr
    invoiced: DecimalStr
    returned: DecimalStr
    backordered: DecimalStr = "0"  # not picked when the order shipped, and kept on its backorder
    cancelled: DecimalStr = "0"  # not picked when the order shipped, and cancelled
    returnable: DecimalStr = "0"  # shipped and not yet returned: what a return may still take back
    base_unit: str = ""  # the item's own unit
    unit: str = ""  # the unit the line is sold in: the item's own or a pack of it
    unit_factor: DecimalStr = "1"  # base units in one `unit`
    unit_qty: DecimalStr = "0"  # qty counted in `unit`
    discount: DecimalStr | None = None  # the line's own, per cent
    below_cost: bool = False  # its price, net of discounts, is below the item's average cost


class QuoteOut(Out):
    number: str
    status: str
    customer: str
    warehouse: str
    valid_until: dt.date | None
    note: str
    version: int
    currency: str
    subtotal: DecimalStr | None
    tax: DecimalStr | None
    total: DecimalStr | None
    sales_order: str | None
    lines: list[SalesLineOut]
    discount: DecimalStr | None = None  # per cent off every line
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)


class PackageContentOut(Out):
    line: int
    sku: str
    qty: DecimalStr


class PackageOut(Out):
    sscc: str
    weight_kg: DecimalStr | None
    contents: list[PackageContentOut]


class ContractWarningOut(Out):
    """What an order breaks of its sales contract: `over_quantity` (more than the contract has left), `below_contract_price`
    (a line's net price under the agreed one), `outside_validity` (dated outside the contract's dates). Quantities in the
    item's own unit, prices per the line's `unit`."""

    kind: Literal["over_quantity", "below_contract_price", "outside_validity"]
    contract: str
    message_en: str
    message_zh: str
    line: int | None = None
    sku: str | None = None
    unit: str | None = None
    agreed: DecimalStr | None = None
    drawn: DecimalStr | None = None  # by other orders
    remaining: DecimalStr | None = None  # before this order
    ordered: DecimalStr | None = None
    price: DecimalStr | None = None
    contract_price: DecimalStr | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class SOOut(Out):
    number: str
    status: str
    customer: str
    warehouse: str
    ship_to: str
    note: str
    version: int
    currency: str
    exchange_rate: DecimalStr  # yuan per unit
    subtotal: DecimalStr | None
    tax: DecimalStr | None
    total: DecimalStr | None
    total_cny: DecimalStr | None  # in yuan at the rate
    credit_released_by: str | None
    credit_release_reason: str
    lines: list[SalesLineOut]
    packages: list[PackageOut]
    created_at: dt.datetime
    backorder_of: str | None = None  # the order whose rest this one delivers
    backorders: list[str] = []  # the orders delivering what this one shipped short of
    discount: DecimalStr | None = None  # per cent off every line
    below_cost_confirmed_by: str | None = None  # who confirmed it although lines sell below cost
    credit_hold: bool = False  # a draft over its customer's credit limit, not released: confirming it waits for a release
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)
    contract: str | None = None  # the sales contract it draws down
    # What it breaks of its contract: a draft's as confirming it now would, a confirmed order's as they were when it was confirmed
    # (a price warning only for those who may see prices).
    contract_warnings: list[ContractWarningOut] = msgspec.field(default_factory=list)
    contract_exceeded_by: str | None = None  # who confirmed it despite its contract's warnings
    shop: str | None = None  # an online shop's order (POST /api/v1/shop-orders): the shop and its own order id
    shop_order_id: str | None = None


class QuotePage(Out):
    items: list[QuoteOut]
    total: int


class SOPage(Out):
    items: list[SOOut]
    total: int


class ExposureOut(Out):
    customer: str
    credit_limit: DecimalStr | None
    open_receivables: DecimalStr | None
    open_orders: DecimalStr | None
    exposure: DecimalStr | None
    available_credit: DecimalStr | None


class CustomerPriceOut(Out):
    """What a customer's price list asks for an item at a quantity (null when it lists none), and the item's VAT rate."""

    customer: str
    sku: str
    qty: DecimalStr  # in base units
    price_list: str | None
    unit_price: DecimalStr | None  # per `unit`
    vat_rate: DecimalStr
    unit: str = ""
    contract: str | None = None  # the sales contract whose agreed price it is (then price_list is null)


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
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors): confirm
    done_by: str | None = None  # who picked it
    done_at: dt.datetime | None = None


class WaveOut(Out):
    number: str
    warehouse: str
    status: str
    version: int
    tasks: list[PickTaskOut]
    orders: list[str] = []  # the orders picked in this wave, in the order they were named
    created_at: dt.datetime | None = None
    tasks_open: int = 0  # progress: tasks still to pick, picked in full, picked short, cancelled (their order shipped without them)
    tasks_done: int = 0
    tasks_short: int = 0
    tasks_cancelled: int = 0


class WavePage(Out):
    items: list[WaveOut]


class PickConfirm(Struct):
    qty: Quantity
    location: Code | None = None
    lot: Code | None = None
    serials: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []
    short_reason: Annotated[str, line(200)] = ""


class PackageLineIn(Struct):
    line: Lines
    qty: Quantity


class PackageIn(Struct):
    lines: Annotated[list[PackageLineIn], msgspec.Meta(min_length=1, max_length=500)]
    weight_kg: Weight | None = None


class PackBody(Struct):
    packages: Annotated[list[PackageIn], msgspec.Meta(min_length=1, max_length=500)]


class ShipBody(Struct):
    """What becomes of what was ordered and not picked: kept to deliver on a backorder, or cancelled (with a reason)."""

    remainder: Literal["backorder", "cancel"] | None = None
    reason: Comment = ""


class InvoiceCreate(Struct):
    invoice_date: dt.date | None = None
    post: bool = True


class InvoiceLineOut(Out):
    line: int
    order_line: int
    sku: str
    qty: DecimalStr  # in the item's own unit
    unit_price: DecimalStr | None  # per `unit`, net of discounts
    vat_rate: DecimalStr
    net: DecimalStr | None
    tax: DecimalStr | None
    unit: str = ""
    unit_factor: DecimalStr = "1"
    unit_qty: DecimalStr = "0"


class InvoiceOut(Out):
    number: str
    kind: Literal["invoice", "credit_note", "opening"]  # opening: owed when the books began (期初应收)
    status: str
    customer: str
    order: str
    credits: str | None
    invoice_date: dt.date
    due_date: dt.date
    currency: str
    exchange_rate: DecimalStr  # yuan per unit
    subtotal: DecimalStr | None
    tax: DecimalStr | None
    total: DecimalStr | None
    total_cny: DecimalStr | None  # in yuan at the rate
    paid: DecimalStr | None
    credited: DecimalStr | None
    open: DecimalStr | None
    version: int
    lines: list[InvoiceLineOut]
    note: str = ""  # an opening invoice: its number in the books it came from
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)


class InvoicePage(Out):
    items: list[InvoiceOut]
    total: int


class ReturnLineCreate(Struct):
    line: Lines
    qty: Quantity
    lot: Code | None = None
    serials: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []
    reason: Annotated[str, line(200)] = ""


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
    warehouse: str = ""  # where the goods come back to (its bins are where they may be restocked)
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)


class ReturnPage(Out):
    items: list[ReturnOut]
    total: int


class ApplyCreditNote(Struct):
    """Apply what is left of a credit note to another open invoice of its customer: all it can, or `amount`."""

    invoice: Code
    amount: Amount | None = None
