"""After-sales service tickets (售后服务单): a customer's complaint about one unit (a serial) or some of a lot they were sold,
and what was done about it, step by step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.base import Base, Qty, UTCDateTime, utcnow
from server.purchasing.models import _Document


class ServiceTicket(_Document, Base):
    """What the customer reported about goods they were sold, the sale it goes back to (order, line, invoice, ship day),
    the warranty it had, and the documents that resolve it: the customer return that brings the faulty goods back, the
    replacement order that ships new ones, the credit note that refunds them."""

    __tablename__ = "service_tickets"

    customer_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    serial: Mapped[str | None] = mapped_column(String(64), index=True)  # a serial-numbered unit; else some of a lot
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    qty: Mapped[Decimal] = mapped_column(Qty(), default=Decimal(1))  # in the item's own unit; a serial is one
    so_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)  # the order it went out on
    so_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))  # the invoice that billed it, if any yet
    shipped_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reported_on: Mapped[dt.date] = mapped_column(Date)  # the warranty is judged on this day
    warranty_days: Mapped[int] = mapped_column(Integer)
    problem: Mapped[str] = mapped_column(String(500), default="")
    resolution: Mapped[str | None] = mapped_column(String(16))  # repair | replacement | refund, once chosen
    resolution_note: Mapped[str] = mapped_column(String(500), default="")
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"))
    replacement_so_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    refunded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    log: Mapped[list[ServiceTicketEntry]] = relationship(cascade="all, delete-orphan", order_by="ServiceTicketEntry.id")


class ServiceTicketEntry(Base):
    """One line of a ticket's log: an action taken on it, or a note someone wrote, with who and when."""

    __tablename__ = "service_ticket_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("service_tickets.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))  # create, start, return, replace, refund, resolve, reopen, close, cancel, note, update
    text: Mapped[str] = mapped_column(String(500), default="")
    document: Mapped[str | None] = mapped_column(String(32))  # the return, replacement order or credit note it made or linked
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
