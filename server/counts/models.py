"""Stocktakes: the document, the locations it covers, and one line per (location, item, lot) counted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.base import Base, Qty, UTCDateTime, utcnow


class Stocktake(Base):
    """A count of a warehouse, or of some of its locations and/or items.

    Book quantities are frozen into the lines when it starts; `start_move_id` is the last move those
    frozen quantities include, so every later move in scope is known to have happened during the count."""

    __tablename__ = "stocktakes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(String(500), default="")
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    # What was asked for, as codes: {"locations": [...], "skus": [...]} (empty lists: the whole warehouse, every item).
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    item_ids: Mapped[list[int] | None] = mapped_column(JSON)  # None: every item
    start_move_id: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StocktakeLocation(Base):
    """One internal location a stocktake covers (a zone in scope brings every location under it)."""

    __tablename__ = "stocktake_locations"

    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True, index=True)


class StocktakeLine(Base):
    """What the book said at the start (`book_qty`) and what was counted, per (location, item, lot).

    `status`: open (not counted yet), counted, recount (sent back by the reviewer). `moved_qty` and
    `variance` are fixed when the stocktake is posted; until then they are worked out on reading."""

    __tablename__ = "stocktake_lines"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "location_id", "item_id", "lot_key"),
        UniqueConstraint("stocktake_id", "line_no"),
        CheckConstraint("counted_qty >= 0", name="counted_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    lot_key: Mapped[int] = mapped_column(Integer, default=0)
    on_book: Mapped[bool] = mapped_column(Boolean, default=True)  # False: found during the count, not on the book
    book_qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(0))
    status: Mapped[str] = mapped_column(String(16), default="open")
    counted_qty: Mapped[Decimal | None] = mapped_column(Qty())
    counted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    moved_qty: Mapped[Decimal | None] = mapped_column(Qty())
    variance: Mapped[Decimal | None] = mapped_column(Qty())
    move_id: Mapped[int | None] = mapped_column(ForeignKey("moves.id"))
