"""Partner rows: a supplier, a customer, or both."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.base import Base, FixedDecimal, Qty, UnitCost, UTCDateTime, utcnow


class Partner(Base):
    __tablename__ = "partners"
    __table_args__ = (CheckConstraint("kind IN ('supplier','customer','both')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    tax_id: Mapped[str] = mapped_column(String(50), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    credit_limit: Mapped[Decimal | None] = mapped_column(FixedDecimal(2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    price_list_id: Mapped[int | None] = mapped_column(ForeignKey("price_lists.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    contacts: Mapped[list[PartnerContact]] = relationship(cascade="all, delete-orphan", order_by="PartnerContact.id")


class PartnerContact(Base):
    """A person at a partner: who to call about orders, deliveries or payments."""

    __tablename__ = "partner_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(200), default="")


class PriceList(Base):
    """Prices a customer pays (sales) or a supplier charges (purchase), before VAT."""

    __tablename__ = "price_lists"
    __table_args__ = (CheckConstraint("kind IN ('sales','purchase')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    version: Mapped[int] = mapped_column(Integer, default=1)


class PriceListItem(Base):
    """The unit price of an item from a minimum quantity on (quantity breaks)."""

    __tablename__ = "price_list_items"
    __table_args__ = (UniqueConstraint("price_list_id", "item_id", "min_qty"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    min_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    price: Mapped[Decimal] = mapped_column(UnitCost())
