"""Rows every document type shares: number sequences, version snapshots and approvals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.base import Base, FixedDecimal, Money, Qty, UnitCost, UTCDateTime, utcnow


class DocumentSequence(Base):
    """The last number handed out per prefix and year; taken under a row lock, so numbers have no gaps."""

    __tablename__ = "document_sequences"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class DocumentVersion(Base):
    """What a document looked like at each version, so a stale approval can be told what changed."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("doc_type", "doc_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(16))
    doc_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApprovalRule(Base):
    """Documents of a kind (`doc_type`: purchase_order, requisition, transfer_order) whose amount in yuan falls in
    (above, up_to] — and, when named, with an item of `category` on a line, in or out of `warehouse` — need one approval
    per listed role, in order. A kind's active rules are tried by `priority`; the first that matches decides."""

    __tablename__ = "approval_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(16), default="purchase_order")
    above: Mapped[Any] = mapped_column(Money(), default=0)
    up_to: Mapped[Any] = mapped_column(Money(), nullable=True)
    levels: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # 1 is tried first
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))


class Approval(Base):
    """One approver's decision on one version of a document. An edit voids the approvals given before it."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_doc", "doc_type", "doc_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(16))
    doc_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(String(500), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    void: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CountedIn:
    """The unit a line is bought or sold in (the item's own, or a pack such as a carton) and how many of the item's base units
    one of it holds. The line's `qty` stays in base units, as the ledger counts; its `unit_price` is per this unit."""

    uom: Mapped[str] = mapped_column(String(32), default="")  # empty: the item's own unit
    uom_factor: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(1))


class Discounted(CountedIn):
    """An order or quote line: its unit, its own discount and its document's (in per cent, both taken off the price)."""

    discount: Mapped[Decimal] = mapped_column(FixedDecimal(2), default=Decimal(0))
    doc_discount: Mapped[Decimal] = mapped_column(FixedDecimal(2), default=Decimal(0))  # the document's, kept on each line


class PricedLine(CountedIn):
    """Columns of an invoice-like line (a supplier bill's or a sales invoice's): item, quantity, price, VAT, amounts."""

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    qty: Mapped[Decimal] = mapped_column(Qty())
    unit_price: Mapped[Decimal] = mapped_column(UnitCost())  # per `uom`, net of any discount
    vat_rate: Mapped[Decimal] = mapped_column(FixedDecimal(2))
    net: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money())
