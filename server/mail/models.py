"""What was sent by e-mail, to whom, by whom and when — and the attempts the mail server did not take."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.base import Base, UTCDateTime, utcnow


class DocumentEmail(Base):
    """One e-mail of a document (a purchase order, an invoice, a delivery note, a partner's statement) with its PDF attached."""

    __tablename__ = "document_emails"
    __table_args__ = (
        CheckConstraint("outcome IN ('sent','failed')", name="outcome"),
        Index("ix_document_emails_document", "kind", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # purchase_order, invoice, delivery_note, statement
    number: Mapped[str] = mapped_column(String(64))  # the document's number; a statement's partner code
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    period_from: Mapped[dt.date | None] = mapped_column(Date)  # a statement's period
    period_to: Mapped[dt.date | None] = mapped_column(Date)
    to_addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    cc_addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")  # what the sender wrote above the standard text
    language: Mapped[str] = mapped_column(String(2))
    attachment: Mapped[str] = mapped_column(String(200))  # the PDF's file name
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    outcome: Mapped[str] = mapped_column(String(8))  # sent | failed
    error: Mapped[str] = mapped_column(String(500), default="")  # why the mail server did not take it; recipients it refused
    # A request repeated with the same Idempotency-Key answers the e-mail sent the first time, and sends nothing again.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
