"""Job requests and responses."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from server.schemas import Out, Struct, line


class JobRunRequest(Struct):
    # Default: the slot the current moment falls in. Daily jobs: "2026-11-26"; weekly: "2026-W48".
    slot: Annotated[str, line(16, min_length=1)] | None = None
    force: bool = False  # run a slot that already succeeded again


class JobRunOut(Out):
    id: int | None
    job: str
    slot: str
    status: str
    trigger: str
    attempts: int
    username: str | None  # who ran it by hand; null: the scheduler
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    summary: dict[str, Any]


class JobOut(Out):
    name: str
    title_zh: str
    title_en: str
    schedule: str
    at: str
    weekday: int | None
    schedule_zh: str
    schedule_en: str
    current_slot: str
    due_at: dt.datetime
    last_runs: list[JobRunOut]


class JobList(Out):
    items: list[JobOut]
