"""Moves (immutable), balances (their projection, same transaction), reservations, move serials, and transfer orders
between warehouses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.base import Base, Money, Qty, UnitCost, UTCDateTime, utcnow


class Move(Base):
    __tablename__ = "moves"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("from_location_id <> to_location_id", name="from_not_to"),
        Index("ix_moves_item_created", "item_id", "id"),
        Index("ix_moves_from", "from_location_id", "item_id"),
        Index("ix_moves_to", "to_location_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    qty: Mapped[Decimal] = mapped_column(Qty())
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))
    # What the move is worth at moving-average cost; non-zero where stock enters or leaves the company's books.
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    reason: Mapped[str] = mapped_column(String(200), default="")
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[str | None] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("moves.id"), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(64))
    op_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MoveSerial(Base):
    __tablename__ = "move_serials"

    move_id: Mapped[int] = mapped_column(ForeignKey("moves.id"), primary_key=True)
    serial_id: Mapped[int] = mapped_column(ForeignKey("serials.id"), primary_key=True, index=True)


class Balance(Base):
    """On hand and reserved per (item, location, lot). `lot_key` is the lot id or 0, so the key is never NULL."""

    __tablename__ = "balances"
    __table_args__ = (
        UniqueConstraint("item_id", "location_id", "lot_key"),
        CheckConstraint("NOT internal OR qty >= 0", name="internal_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        Index("ix_balances_location", "location_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_key: Mapped[int] = mapped_column(Integer, default=0)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    internal: Mapped[bool] = mapped_column(Boolean)
    qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reservation(Base):
    """Stock held for a document line; open reservations sum to the balance's `reserved`."""

    __tablename__ = "reservations"
    __table_args__ = (CheckConstraint("qty >= 0", name="qty_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_key: Mapped[int] = mapped_column(Integer, default=0)
    qty: Mapped[Decimal] = mapped_column(Qty())  # still held; 0 once fully picked or released
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[str | None] = mapped_column(String(64))
    open: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Valuation(Base):
    """The company's own stock of an item (all internal locations) and what it is worth: value / qty is the moving average."""

    __tablename__ = "valuations"
    __table_args__ = (CheckConstraint("qty >= 0", name="qty_not_negative"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))


class TransferOrder(Base):
    """A transfer order (调拨单): goods asked for by one warehouse from another, approved, shipped into TRANSIT and received
    at the other end, where any difference is recorded."""

    __tablename__ = "transfer_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    needed_by: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approval_roles: Mapped[list[str]] = mapped_column(JSON, default=list)  # the levels the approval rules asked for, in order

    lines: Mapped[list[TransferLine]] = relationship(cascade="all, delete-orphan", order_by="TransferLine.line_no")


class TransferLine(Base):
    __tablename__ = "transfer_lines"
    __table_args__ = (UniqueConstraint("transfer_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer_orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    serials: Mapped[list[str]] = mapped_column(JSON, default=list)
    qty: Mapped[Decimal] = mapped_column(Qty())  # asked for
    shipped_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    received_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))  # in yuan, what left the sending warehouse
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    difference_note: Mapped[str] = mapped_column(String(200), default="")  # why less arrived than was shipped
