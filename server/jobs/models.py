"""Job runs: one row per (job, slot). Inserting it is how a process claims the slot, so the unique key makes runs exactly-once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.base import Base, UTCDateTime, utcnow

STATUSES = ("running", "succeeded", "failed")
TRIGGERS = ("schedule", "manual")


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "slot"),
        CheckConstraint("status IN ('running','succeeded','failed')", name="status"),
        CheckConstraint("trigger IN ('schedule','manual')", name="trigger"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    slot: Mapped[str] = mapped_column(String(16))
    # "running" is only ever seen inside the claiming transaction: a run commits as succeeded, or rolls back and is recorded failed.
    status: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who ran it by hand; None: the scheduler
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
