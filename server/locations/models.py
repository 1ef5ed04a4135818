"""Location rows: internal (warehouse, zone, bin) and virtual (SUPPLIER, CUSTOMER, ...)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.base import Base, UTCDateTime, utcnow

KINDS = ("warehouse", "zone", "bin", "virtual")
VIRTUAL_CODES = ("SUPPLIER", "CUSTOMER", "ADJUSTMENT", "SCRAP", "TRANSIT", "OPENING")


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (CheckConstraint("kind IN ('warehouse','zone','bin','virtual')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    quarantine: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def internal(self) -> bool:
        return self.kind != "virtual"
