"""Request and response shapes for purchasing documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from server.catalog.schemas import VatRate
from server.partners.schemas import Currency
from server.schemas import Amount, Code, DecimalStr, ExchangeRateValue, Out, Percent, Price, Quantity, Struct, Text, line, lines, plain_as

Lines = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
Comment = Annotated[str, lines(500)]
Version = Annotated[int, msgspec.Meta(ge=1)]


UnitName = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class LineCreate(Struct):
    """A line of an order or quote: `qty` and `unit_price` count in `unit` (the item's own unit by default, or one of its
    packs, e.g. a carton of 12), less `discount` per cent."""

    sku: Code
    qty: Quantity
    unit_price: Price | None = None
    vat_rate: VatRate | None = None
    unit: UnitName | None = None
    discount: Percent | None = None


class RequisitionLineCreate(Struct):
    sku: Code
    qty: Quantity


class RequisitionCreate(Struct):
    warehouse: Code
    lines: Annotated[list[RequisitionLineCreate], msgspec.Meta(min_length=1, max_length=1000)]
    supplier: Code | None = None
    needed_by: dt.date | None = None
    note: Text = ""


class RequisitionUpdate(Struct):
    """Change a requisition: anything while it waits for approval (which then starts again), else what ordering it needs."""

    version: Version
    lines: Annotated[list[RequisitionLineCreate], msgspec.Meta(min_length=1, max_length=1000)] | None = None
    supplier: Code | None = None
    needed_by: dt.date | None = None
    note: Text | None = None


class RequisitionOrder(Struct):
    """Turn one requisition into a purchase order: from its own supplier, or the one named here."""

    version: Version | None = None
    supplier: Code | None = None


class ApprovalOut(Out):
    level: int
    role: str
    user: str
    decision: str
    version: int
    comment: str
    void: bool
    at: dt.datetime


class RequisitionLineOut(Out):
    line: int
    sku: str
    name_zh: str
    name_en: str
    unit: str
    qty: DecimalStr


class RequisitionOut(Out):
    number: str
    status: str
    source: str
    warehouse: str
    supplier: str | None
    needed_by: dt.date | None
    note: str
    po: str | None
    version: int
    lines: list[RequisitionLineOut]
    created_at: dt.datetime
    requested_by: str  # the username of whoever raised it ("system" for the reorder check run by no one)
    approvals: list[ApprovalOut]  # the approvers' decisions on a requisition that waited for them, level by level
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)
    approval_roles: list[str] = msgspec.field(default_factory=list)  # the levels the approval rules asked for, in order
    # What the approval rules judge it by, in yuan: each line at the item's last purchase price, else its average cost (prices.read)
    estimated_value: DecimalStr | None = None


class RequisitionPage(Out):
    items: list[RequisitionOut]
    total: int


class POCreate(Struct):
    supplier: Code
    warehouse: Code
    lines: Annotated[list[LineCreate], msgspec.Meta(max_length=5000)] = []
    requisitions: Annotated[list[Code], msgspec.Meta(max_length=200)] = []
    expected_date: dt.date | None = None
    note: Text = ""
    currency: Currency | None = None  # by default the supplier's
    discount: Percent | None = None  # per cent off every line (整单折扣)


class POUpdate(Struct):
    version: Version
    lines: Annotated[list[LineCreate], msgspec.Meta(min_length=1, max_length=5000)] | None = None
    expected_date: dt.date | None = None
    note: Text | None = None
    discount: Percent | None = None


class Signed(Struct):
    """An action on the version of the document the user saw."""

    version: Version
    comment: Comment = ""


class Reason(Struct):
    version: Version | None = None
    reason: Comment = ""


class POLineOut(Out):
    line: int
    sku: str
    name_zh: str
    name_en: str
    qty: DecimalStr  # in the item's own unit, as every quantity below
    unit_price: DecimalStr | None  # per `unit`, before discounts
    vat_rate: DecimalStr
    net: DecimalStr | None
    received: DecimalStr
    rejected: DecimalStr
    accepted: DecimalStr
    billed: DecimalStr  # net of debit notes
    may_receive: DecimalStr  # how much more may still be received (the over-receipt tolerance included)
    to_bill: DecimalStr  # accepted, not sent back and not yet billed: what a bill for this line may carry now
    returned: DecimalStr = "0"  # sent back to the supplier (rejected and accepted goods)
    may_return_rejected: DecimalStr = "0"  # rejected at inspection, not yet sent back nor on an open return
    may_return_accepted: DecimalStr = "0"  # accepted, not yet sent back nor on an open return
    base_unit: str = ""  # the item's own unit
    unit: str = ""  # the unit the line is ordered in: the item's own or a pack of it
    unit_factor: DecimalStr = "1"  # base units in one `unit`
    unit_qty: DecimalStr = "0"  # qty counted in `unit`
    discount: DecimalStr | None = None  # the line's own, per cent
    net_price: DecimalStr | None = None  # per `unit`, net of the line's and the order's discounts (what a bill should charge)


class POOut(Out):
    number: str
    status: str
    supplier: str
    warehouse: str
    currency: str
    exchange_rate: DecimalStr  # yuan per unit of the currency, on the order's day
    expected_date: dt.date | None
    note: str
    version: int
    subtotal: DecimalStr | None
    tax: DecimalStr | None
    total: DecimalStr | None
    total_cny: DecimalStr | None  # the total in yuan at the order's rate: what the approval rules judge
    approval_roles: list[str]
    approvals: list[ApprovalOut]
    lines: list[POLineOut]
    created_by: str | None
    created_at: dt.datetime
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)
    discount: DecimalStr | None = None  # per cent off every line
    promised_date: dt.date | None = None  # the expected date when the order went out (approved): on time is judged by it


class POPage(Out):
    items: list[POOut]
    total: int


class ChangeOut(Out):
    line: int | None
    field: str
    before: Any
    after: Any
    said_en: str = ""  # the change as a person reads it ("line 2 (PEN) quantity 10 → 12")
    said_zh: str = ""


class POVersionOut(Out):
    number: str
    version: int
    snapshot: dict[str, Any]
    changes_since_previous: list[ChangeOut]


class ReceiptCreate(Struct):
    po: Code
    dock: Code | None = None
    note: Text = ""


class ReceiveLine(Struct):
    sku: Code
    qty: Quantity
    line: Lines | None = None
    lot: Code | None = None
    expiry: dt.date | None = None
    serials: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []


class ReceiveBatch(Struct):
    lines: Annotated[list[ReceiveLine], msgspec.Meta(min_length=1, max_length=10_000)]


class Inspection(Struct):
    accepted: Quantity
    rejected: Quantity = plain_as(Quantity, Decimal(0))
    note: Comment = ""
    quarantine: Code | None = None
    rejected_serials: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []


class LineDecision(Struct):
    """What inspection decided for one receipt line: accepted + rejected is what the line received."""

    line: Lines
    accepted: Quantity
    rejected: Quantity = plain_as(Quantity, Decimal(0))
    reason: Comment = ""  # required when something is rejected
    rejected_serials: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []


class ReceiptComplete(Struct):
    """Receiving done: with `lines` (every line of the receipt) it is inspected at once; without, it waits for inspection."""

    version: Version | None = None
    lines: Annotated[list[LineDecision], msgspec.Meta(max_length=10_000)] = []
    quarantine: Code | None = None  # where rejected goods go; the warehouse's first quarantine location by default


class ReceiptLineOut(Out):
    line: int
    po_line: int
    sku: str
    lot: str | None
    expiry: dt.date | None
    serials: list[str]
    qty: DecimalStr
    accepted: DecimalStr
    rejected: DecimalStr
    qc_status: str
    qc_note: str
    move: int


class PutawayOut(Out):
    id: int
    receipt: str
    sku: str
    name_zh: str
    name_en: str
    lot: str | None
    serials: list[str]
    qty: DecimalStr
    from_: str = msgspec.field(name="from")
    suggested: str | None
    to: str | None
    status: str
    version: int
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors): confirm


class PutawayPage(Out):
    items: list[PutawayOut]
    total: int


class PutawayConfirm(Struct):
    location: Code


class ReceiptOut(Out):
    number: str
    status: str
    actions: list[str]  # what this user may do now: complete (receiving done), inspect (the lines awaiting inspection)
    po: str
    warehouse: str
    dock: str
    note: str
    version: int
    lines: list[ReceiptLineOut]
    putaway: list[PutawayOut]
    created_at: dt.datetime


class ReceiptPage(Out):
    items: list[ReceiptOut]
    total: int


class BillLineCreate(Struct):
    """A billed line of the order: `qty` and `unit_price` count in `unit`, by default the order line's."""

    line: Lines
    qty: Quantity
    unit_price: Price
    vat_rate: VatRate | None = None
    unit: UnitName | None = None


class BillCreate(Struct):
    po: Code
    lines: Annotated[list[BillLineCreate], msgspec.Meta(min_length=1, max_length=5000)]
    supplier_ref: Annotated[str, line(64)] = ""
    bill_date: dt.date | None = None
    due_date: dt.date | None = None
    exchange_rate: ExchangeRateValue | None = None  # the rate the bill is booked at; by default that of its day
    note: Text = ""


class BillUpdate(Struct):
    version: Version
    lines: Annotated[list[BillLineCreate], msgspec.Meta(min_length=1, max_length=5000)] | None = None
    supplier_ref: Annotated[str, line(64)] | None = None
    exchange_rate: ExchangeRateValue | None = None
    due_date: dt.date | None = None
    note: Text | None = None


class BillPost(Struct):
    version: Version | None = None


class MatchIssue(Out):
    line: int
    sku: str
    kind: str
    billed: str
    expected: str
    message_en: str
    message_zh: str


class BillLineOut(Out):
    line: int
    po_line: int
    sku: str
    qty: DecimalStr  # in the item's own unit
    unit_price: DecimalStr | None  # per `unit`
    vat_rate: DecimalStr
    net: DecimalStr | None
    tax: DecimalStr | None
    unit: str = ""
    unit_factor: DecimalStr = "1"
    unit_qty: DecimalStr = "0"


class BillOut(Out):
    number: str
    status: str
    kind: str  # bill; debit_note (红字发票: what a purchase return takes back); opening (期初应付: owed when the books began)
    credits: str | None  # a debit note: the bill it is against
    supplier: str
    po: str
    supplier_ref: str
    bill_date: dt.date
    due_date: dt.date
    currency: str
    exchange_rate: DecimalStr  # yuan per unit, as the bill is booked
    subtotal: DecimalStr | None
    tax: DecimalStr | None
    total: DecimalStr | None
    total_cny: DecimalStr | None  # the payable booked in yuan
    paid: DecimalStr | None
    credited: DecimalStr | None  # settled by debit notes
    open: DecimalStr | None
    match_issues: list[MatchIssue]
    note: str
    version: int
    lines: list[BillLineOut]
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)


class BillPage(Out):
    items: list[BillOut]
    total: int


ApprovalKind = Literal["purchase_order", "requisition", "transfer_order"]
RoleName = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]


class ApprovalRuleIn(Struct):
    """Documents whose amount in yuan is in (above, up_to] — and, when named, with an item of `category` on a line, of
    `warehouse` — need one approval per role in `levels`, in order."""

    above: Amount
    up_to: Amount | None = None  # none: no upper limit
    levels: Annotated[list[RoleName], msgspec.Meta(min_length=1, max_length=5)] = []
    category: Code | None = None
    warehouse: Code | None = None


class ApprovalRules(Struct):
    """A kind's rules, the first tried first: the first a document matches decides; none matching, it needs no approval."""

    rules: Annotated[list[ApprovalRuleIn], msgspec.Meta(max_length=50)]
    kind: ApprovalKind = "purchase_order"


class ApprovalRuleOut(Out):
    above: DecimalStr
    up_to: DecimalStr | None
    levels: list[str]
    kind: str = "purchase_order"
    priority: int = 0  # 1 is tried first
    category: str | None = None
    warehouse: str | None = None


class ReorderRuleIn(Struct):
    sku: Code
    warehouse: Code
    min_qty: Quantity
    reorder_qty: Quantity
    supplier: Code
    active: bool = True


class ReorderRuleOut(Out):
    sku: str
    warehouse: str
    min_qty: DecimalStr
    reorder_qty: DecimalStr
    supplier: str | None
    active: bool
    available: DecimalStr
    on_order: DecimalStr


class ReorderCheckOut(Out):
    requisitions: list[str]


class PurchaseReturnLineCreate(Struct):
    line: Lines  # the purchase order's line
    qty: Quantity
    location: Code  # where the goods are: a quarantine location (rejected goods) or one holding stock
    lot: Code | None = None
    serials: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []
    reason: Annotated[str, line(200)] = ""


class PurchaseReturnCreate(Struct):
    po: Code
    lines: Annotated[list[PurchaseReturnLineCreate], msgspec.Meta(min_length=1, max_length=1000)]
    supplier_ref: Annotated[str, line(64)] = ""
    note: Text = ""


class PurchaseReturnUpdate(Struct):
    version: Version | None = None
    supplier_ref: Annotated[str, line(64)] | None = None
    note: Text | None = None


class PurchaseReturnLineOut(Out):
    line: int
    po_line: int
    sku: str
    name_zh: str
    name_en: str
    location: str
    rejected: bool  # rejected goods from quarantine
    lot: str | None
    serials: list[str]
    qty: DecimalStr
    reason: str
    value: DecimalStr | None  # in yuan, at the cost received at, once shipped
    debited: DecimalStr  # of it, already billed: on the debit note
    move: int | None


class PurchaseReturnOut(Out):
    number: str
    status: str
    po: str
    supplier: str
    warehouse: str
    supplier_ref: str
    currency: str
    debit_note: str | None
    note: str
    version: int
    created_by: str | None
    created_at: dt.datetime
    shipped_at: dt.datetime | None
    lines: list[PurchaseReturnLineOut]
    value: DecimalStr | None  # in yuan, once shipped
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)


class PurchaseReturnPage(Out):
    items: list[PurchaseReturnOut]
    total: int


class ApplyDebitNote(Struct):
    """Apply what is left of a debit note to another open bill of its supplier: all it can, or `amount`."""

    bill: Code
    amount: Amount | None = None
