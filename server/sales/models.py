"""Sales documents and their lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.base import Base, FixedDecimal, Money, Qty, Rate, UnitCost, UTCDateTime, utcnow
from server.documents.models import CountedIn, Discounted, PricedLine
from server.purchasing.models import _Document


class Quote(_Document, Base):
    __tablename__ = "quotes"

    customer_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(FixedDecimal(2), default=Decimal(0))  # per cent off every line (整单折扣)
    so_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"))

    lines: Mapped[list[QuoteLine]] = relationship(cascade="all, delete-orphan", order_by="QuoteLine.line_no")


class QuoteLine(Discounted, Base):
    __tablename__ = "quote_lines"
    __table_args__ = (UniqueConstraint("quote_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    qty: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    vat_rate: Mapped[Decimal] = mapped_column(FixedDecimal(2))


class SalesOrder(_Document, Base):
    __tablename__ = "sales_orders"
    __table_args__ = (UniqueConstraint("shop", "shop_order_id"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quote_id: Mapped[int | None] = mapped_column(Integer)
    ship_to: Mapped[str] = mapped_column(String(500), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    exchange_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal(1))  # yuan per unit on the order's day
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(FixedDecimal(2), default=Decimal(0))  # per cent off every line (整单折扣)
    below_cost_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who confirmed it with lines below cost
    credit_override_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    credit_override_reason: Mapped[str] = mapped_column(String(500), default="")
    credit_override_amount: Mapped[Decimal | None] = mapped_column(Money())
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    backorder_of: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"), index=True)  # the order whose rest this one delivers
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("sales_contracts.id"), index=True)  # the sales contract it draws down
    # What its contract warned of when it was confirmed (more than remained, below the agreed price, after the contract ended),
    # and who confirmed it so: kept as they stood then, since later orders change what remains.
    contract_warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    contract_exceeded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # An order from an online shop (server/sales/services/shop_orders.py): the shop, its order id (one order each, however
    # often the shop sends it), when the buyer ordered, and a digest of what the shop sent (a resend that differs is refused).
    shop: Mapped[str | None] = mapped_column(String(64))
    shop_order_id: Mapped[str | None] = mapped_column(String(64))
    shop_ordered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    shop_digest: Mapped[str | None] = mapped_column(String(64))

    lines: Mapped[list[SalesOrderLine]] = relationship(cascade="all, delete-orphan", order_by="SalesOrderLine.line_no")


class SalesOrderLine(Discounted, Base):
    __tablename__ = "sales_order_lines"
    __table_args__ = (UniqueConstraint("so_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    so_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    vat_rate: Mapped[Decimal] = mapped_column(FixedDecimal(2))
    picked_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    short_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    packed_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    shipped_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    invoiced_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    returned_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    backordered_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # not picked when it shipped: on the backorder now
    cancelled_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # not picked when it shipped: no longer delivered
    cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # value of the stock shipped (for gross profit)


class Wave(Base):
    """Pick tasks of several orders in one walk through the warehouse, in bin-code order."""

    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PickTask(Base):
    __tablename__ = "pick_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    so_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    qty: Mapped[Decimal] = mapped_column(Qty())
    picked_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    serials: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    short_reason: Mapped[str] = mapped_column(String(200), default="")
    move_id: Mapped[int | None] = mapped_column(ForeignKey("moves.id"))
    staged_reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Package(Base):
    """A packed carton or pallet, identified by its SSCC (GS1 AI 00)."""

    __tablename__ = "packages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sscc: Mapped[str] = mapped_column(String(18), unique=True)
    so_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    weight_kg: Mapped[Decimal | None] = mapped_column(Qty())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contents: Mapped[list[PackageLine]] = relationship(cascade="all, delete-orphan", order_by="PackageLine.id")


class PackageLine(Base):
    __tablename__ = "package_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), index=True)
    so_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"))
    qty: Mapped[Decimal] = mapped_column(Qty())


class Invoice(_Document, Base):
    """A sales invoice (kind invoice), a credit note against one (kind credit_note), or what a customer owed when the books
    began (kind opening, 期初应收), with no order."""

    __tablename__ = "invoices"

    kind: Mapped[str] = mapped_column(String(16), default="invoice")
    customer_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    so_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"), index=True)  # none: an opening balance
    credits_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    invoice_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credited: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    exchange_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal(1))  # a credit note: its invoice's
    total_cny: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # the receivable booked (a credit note: taken back)
    paid_cny: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # of it, settled by payments (a credit note: used)
    credited_cny: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # of it, settled by credit notes
    posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[InvoiceLine]] = relationship(cascade="all, delete-orphan", order_by="InvoiceLine.line_no")


class InvoiceLine(PricedLine, Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    so_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)


class Return(_Document, Base):
    """A customer return (RMA): received into the returns location, then restocked or scrapped line by line."""

    __tablename__ = "returns"

    so_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))

    lines: Mapped[list[ReturnLine]] = relationship(cascade="all, delete-orphan", order_by="ReturnLine.line_no")


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (UniqueConstraint("return_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    so_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    serials: Mapped[list[str]] = mapped_column(JSON, default=list)
    qty: Mapped[Decimal] = mapped_column(Qty())
    reason: Mapped[str] = mapped_column(String(200), default="")
    disposition: Mapped[str] = mapped_column(String(16), default="pending")  # pending, restock, scrap
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))
    receive_move_id: Mapped[int | None] = mapped_column(ForeignKey("moves.id"))
    dispose_move_id: Mapped[int | None] = mapped_column(ForeignKey("moves.id"))


class SalesContract(_Document, Base):
    """A framework agreement with a customer (销售合同): prices, and optionally quantities, of items for a period, in one
    currency. Sales orders naming it draw it down; what they drew is answered from them, never stored here."""

    __tablename__ = "sales_contracts"

    customer_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)

    lines: Mapped[list[SalesContractLine]] = relationship(cascade="all, delete-orphan", order_by="SalesContractLine.line_no")


class SalesContractLine(CountedIn, Base):
    """An item agreed on: its price per `uom` and, unless the agreement is on price only, the quantity (in base units)."""

    __tablename__ = "sales_contract_lines"
    __table_args__ = (UniqueConstraint("contract_id", "line_no"), UniqueConstraint("contract_id", "item_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("sales_contracts.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    qty: Mapped[Decimal | None] = mapped_column(Qty())  # none: a price-only agreement
