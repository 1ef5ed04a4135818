"""Purchasing documents and their lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.base import Base, FixedDecimal, Money, Qty, Rate, UnitCost, UTCDateTime, utcnow
from server.documents.models import Discounted, PricedLine


class ReorderRule(Base):
    """When available + on order of an item in a warehouse falls below `min_qty`, request `reorder_qty` from the supplier."""

    __tablename__ = "reorder_rules"
    __table_args__ = (UniqueConstraint("item_id", "warehouse_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    min_qty: Mapped[Decimal] = mapped_column(Qty())
    reorder_qty: Mapped[Decimal] = mapped_column(Qty())
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class _Document:
    """Columns every document header has."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Requisition(_Document, Base):
    __tablename__ = "requisitions"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    source: Mapped[str] = mapped_column(String(16), default="manual")
    needed_by: Mapped[dt.date | None] = mapped_column(Date)
    po_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"))
    approval_roles: Mapped[list[str]] = mapped_column(JSON, default=list)  # the levels the approval rules asked for, in order

    lines: Mapped[list[RequisitionLine]] = relationship(cascade="all, delete-orphan", order_by="RequisitionLine.line_no")


class RequisitionLine(Base):
    __tablename__ = "requisition_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(Qty())


class PurchaseOrder(_Document, Base):
    __tablename__ = "purchase_orders"

    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    exchange_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal(1))  # yuan per unit on the order's day
    expected_date: Mapped[dt.date | None] = mapped_column(Date)
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    total_cny: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # what the approval bands judge
    discount: Mapped[Decimal] = mapped_column(FixedDecimal(2), default=Decimal(0))  # per cent off every line (整单折扣)
    approval_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The expected date when the order went out to the supplier (approved): what the supplier promised, which on-time
    # delivery is judged by; moving the expected date later does not move it.
    promised_date: Mapped[dt.date | None] = mapped_column(Date)

    lines: Mapped[list[PurchaseOrderLine]] = relationship(cascade="all, delete-orphan", order_by="PurchaseOrderLine.line_no")


class PurchaseOrderLine(Discounted, Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (UniqueConstraint("po_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())
    vat_rate: Mapped[Decimal] = mapped_column(FixedDecimal(2), default=Decimal(13))
    received_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    rejected_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    accepted_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    billed_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # net of debit notes
    returned_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # accepted goods sent back to the supplier
    returned_rejected_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # rejected goods sent back from quarantine
    # The rate the goods received so far were valued at, averaged over the receipts by quantity: bills clear the goods
    # received not invoiced at it.
    received_rate: Mapped[Decimal] = mapped_column(FixedDecimal(10), default=Decimal(1))
    requisition_line_id: Mapped[int | None] = mapped_column(ForeignKey("requisition_lines.id"))


class Receipt(_Document, Base):
    """Goods arriving against a purchase order, received to the warehouse's dock, then inspected."""

    __tablename__ = "receipts"

    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    dock_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    exchange_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal(1))  # the order's currency in yuan on arrival

    lines: Mapped[list[ReceiptLine]] = relationship(cascade="all, delete-orphan", order_by="ReceiptLine.line_no")


class ReceiptLine(Base):
    __tablename__ = "receipt_lines"
    __table_args__ = (UniqueConstraint("receipt_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    serials: Mapped[list[str]] = mapped_column(JSON, default=list)
    qty: Mapped[Decimal] = mapped_column(Qty())
    accepted_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    rejected_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    qc_status: Mapped[str] = mapped_column(String(16), default="pending")
    qc_note: Mapped[str] = mapped_column(String(500), default="")
    move_id: Mapped[int] = mapped_column(ForeignKey("moves.id"))
    op_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class PutawayTask(Base):
    """Accepted goods to carry from the dock to a bin; the suggested bin is where the worker is sent first."""

    __tablename__ = "putaway_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_line_id: Mapped[int] = mapped_column(ForeignKey("receipt_lines.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    serials: Mapped[list[str]] = mapped_column(JSON, default=list)
    qty: Mapped[Decimal] = mapped_column(Qty())
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    suggested_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    move_id: Mapped[int | None] = mapped_column(ForeignKey("moves.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Bill(_Document, Base):
    """A supplier's invoice (kind bill), matched against its purchase order and what was received before it is posted;
    a debit note (kind debit_note, 红字发票): what a purchase return takes back of the bills of its order; or what was
    owed to the supplier when the books began (kind opening, 期初应付), with no order."""

    __tablename__ = "bills"

    kind: Mapped[str] = mapped_column(String(16), default="bill")
    credits_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"))  # a debit note: the bill it is against
    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    po_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"), index=True)  # none: an opening balance
    supplier_ref: Mapped[str] = mapped_column(String(64), default="")
    bill_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    subtotal: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credited: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # settled by debit notes
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    exchange_rate: Mapped[Decimal] = mapped_column(Rate(), default=Decimal(1))  # a debit note: its bill's
    total_cny: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # the payable booked (a debit note: taken back)
    paid_cny: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # of it, settled by payments (a debit note: used)
    credited_cny: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # of it, settled by debit notes
    match_issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[BillLine]] = relationship(cascade="all, delete-orphan", order_by="BillLine.line_no")


class BillLine(PricedLine, Base):
    __tablename__ = "bill_lines"
    __table_args__ = (UniqueConstraint("bill_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"), index=True)


class PurchaseReturn(_Document, Base):
    """A purchase return (采购退货单): goods of an order sent back to its supplier, from quarantine or from stock, at the
    cost they were received at; billed goods get a debit note."""

    __tablename__ = "purchase_returns"

    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    supplier_ref: Mapped[str] = mapped_column(String(64), default="")  # the supplier's return authorisation, if it gave one
    debit_note_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"))
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[PurchaseReturnLine]] = relationship(cascade="all, delete-orphan", order_by="PurchaseReturnLine.line_no")


class PurchaseReturnLine(Base):
    __tablename__ = "purchase_return_lines"
    __table_args__ = (UniqueConstraint("return_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("purchase_returns.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))  # where the goods are taken from
    rejected: Mapped[bool] = mapped_column(Boolean, default=False)  # from quarantine: goods rejected at inspection
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    serials: Mapped[list[str]] = mapped_column(JSON, default=list)
    qty: Mapped[Decimal] = mapped_column(Qty())
    reason: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # in yuan, at the cost received at (once shipped)
    debited_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))  # of it, already billed: on the debit note
    move_id: Mapped[int | None] = mapped_column(ForeignKey("moves.id"))
