"""Rows of the sync protocol: the clients (one per app install), the op log, the change feed and its clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.base import Base, Qty, UTCDateTime, utcnow


class SyncClient(Base):
    """An install of the app on a device, pushing operations numbered 1, 2, 3, ... (`seq`)."""

    __tablename__ = "sync_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(String(64))
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    clock_offset_ms: Mapped[int] = mapped_column(BigInteger, default=0)  # server time − device time, at the last push
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_push_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SyncOp(Base):
    """An operation a client pushed and the result it got: a repeat of the same op id gets this result again."""

    __tablename__ = "sync_ops"
    __table_args__ = (Index("ix_sync_ops_client_seq", "client_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    op_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("sync_clients.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    device_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    applied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncClock(Base):
    """One row: the version of the last transaction that wrote to the change feed.

    A transaction takes the next version just before it commits, under this row's lock, so versions
    follow commit order and a cursor never passes a change that commits late."""

    __tablename__ = "sync_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncChange(Base):
    """The state of one thing (a balance, a task, a document) as a committed transaction left it, for one scope."""

    __tablename__ = "sync_changes"
    __table_args__ = (Index("ix_sync_changes_scope_version", "scope", "version", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, index=True)
    scope: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    key: Mapped[str] = mapped_column(String(128))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # None: the thing is gone



class Discrepancy(Base):
    """A physical fact that contradicted the book: someone took more from a bin than the book said was there.

    The book is raised to what was taken (so the bin never goes negative) and the bin is sent for a recount."""

    __tablename__ = "discrepancies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    book_available: Mapped[Any] = mapped_column(Qty())
    taken: Mapped[Any] = mapped_column(Qty())
    shortfall: Mapped[Any] = mapped_column(Qty())
    op_id: Mapped[str | None] = mapped_column(String(64))
    op_type: Mapped[str] = mapped_column(String(32))
    adjustment_move_id: Mapped[int | None] = mapped_column(ForeignKey("moves.id"))
    count_number: Mapped[str | None] = mapped_column(String(32))  # the recount it opened (or joined)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
