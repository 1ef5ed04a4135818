"""The outbox: business events written with the change that caused them, the endpoints they go to, and each delivery.

An event row is inserted by the transaction it tells of (server/outbox/events.py), so it exists exactly when that
transaction committed. The dispatcher (dispatcher.py) fans each new event out into one delivery per endpoint that wants
it and delivers those at least once, in order per aggregate, retrying with backoff until they succeed or are dead.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.base import Base, UTCDateTime, utcnow

DELIVERY_STATES = ("pending", "delivered", "dead")
SINKS = ("webhook", "amqp")


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    # Written by every business transaction, so kept lean: besides the key, one index, of the events not fanned out yet
    # (a handful of entries at any time: a write touches one small page of it). The event id is a random UUID, unique
    # without an index to say so.
    __table_args__ = (
        Index("ix_outbox_events_new", "id", sqlite_where=text("fanned_out = 0"), postgresql_where=text("NOT fanned_out")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the order events were written in: consumers may sort by it
    event_id: Mapped[str] = mapped_column(String(36))  # what consumers deduplicate by
    type: Mapped[str] = mapped_column(String(64))  # "sales_order.confirmed"
    aggregate_type: Mapped[str] = mapped_column(String(32))  # what it is about: ("sales_order", "SO-2026-0001")
    aggregate_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64), default="")  # the user (or "system") whose action it was
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON text, as delivered
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)  # its deliveries exist (the dispatcher's first step)


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The event types it receives: exact types, "sales_order.*", or "*" for all.
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))  # signs each request; shown once, when made or rotated
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Delivery(Base):
    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending','delivered','dead')", name="status"),
        CheckConstraint("sink IN ('webhook','amqp')", name="sink"),
        # The dispatcher's look-ups: what is pending, per endpoint, in event order; an aggregate's earlier deliveries.
        Index("ix_outbox_deliveries_pending", "status", "sink", "webhook_id", "event_id"),
        Index("ix_outbox_deliveries_aggregate", "sink", "webhook_id", "aggregate", "status"),
        Index("ix_outbox_deliveries_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"))
    sink: Mapped[str] = mapped_column(String(16))
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    aggregate: Mapped[str] = mapped_column(String(100))  # "sales_order:SO-2026-0001": deliveries of one go in order
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answer_code: Mapped[int | None] = mapped_column(Integer)  # the HTTP status of the endpoint's last answer, if it answered
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replays: Mapped[int] = mapped_column(Integer, default=0)  # how many times an administrator sent it again


class DispatcherLease(Base):
    """Which server process dispatches: one at a time, so an aggregate's events leave in order. A process that stops
    renewing its lease (killed, say) loses it when it runs out, and another takes over."""

    __tablename__ = "outbox_dispatcher"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
