"""Notification responses (REST and websocket share the same shape)."""

from __future__ import annotations

import datetime as dt

from server.schemas import Out


class NotificationOut(Out):
    id: int
    kind: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    ref_type: str | None
    ref_id: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Out):
    items: list[NotificationOut]
    total: int
    unread: int


class ReadAllOut(Out):
    marked: int
    unread: int
