"""Item category, item, barcode (a pack unit of an item), lot and serial rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.base import Base, FixedDecimal, Qty, UTCDateTime, utcnow

TRACKING = ("none", "lot", "serial")


class Category(Base):
    """A group of items (饮料, 文具): reports filter by it and add up each one's figures."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("tracking IN ('none','lot','serial')", name="tracking"),
        CheckConstraint("unit_decimals >= 0 AND unit_decimals <= 4", name="unit_decimals"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(16), default="pcs")
    unit_decimals: Mapped[int] = mapped_column(Integer, default=0)
    tracking: Mapped[str] = mapped_column(String(8), default="none")
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    reorder_point: Mapped[Decimal | None] = mapped_column(Qty())
    reorder_qty: Mapped[Decimal | None] = mapped_column(Qty())
    max_stock: Mapped[Decimal | None] = mapped_column(Qty())  # more on hand in a warehouse is overstock (库存上限)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)  # from ordering to the goods arriving (采购提前期); purchase plans
    min_order_qty: Mapped[Decimal | None] = mapped_column(Qty())  # the least a supplier sells at once (最小起订量); purchase plans
    vat_rate: Mapped[Decimal] = mapped_column(FixedDecimal(2), default=Decimal(13))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[Category | None] = relationship()
    barcodes: Mapped[list[Barcode]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Barcode.qty, Barcode.code"
    )


class Barcode(Base):
    """One scannable code of an item and the quantity of base units it stands for (1 each, 12 a carton)."""

    __tablename__ = "barcodes"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    pack: Mapped[str] = mapped_column(String(32), default="each")
    qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(1))

    item: Mapped[Item] = relationship(back_populates="barcodes")


class Lot(Base):
    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("item_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    expiry: Mapped[dt.date | None] = mapped_column(Date)
    produced_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[Item] = relationship()


class Serial(Base):
    """A serial-numbered unit and the location it is in now (kept by the moves that carry it)."""

    __tablename__ = "serials"
    __table_args__ = (UniqueConstraint("item_id", "serial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    serial: Mapped[str] = mapped_column(String(64), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
