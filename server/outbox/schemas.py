"""Requests and responses of webhooks, their deliveries and the event catalog."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from server.schemas import Out, Struct, line

WebhookUrl = Annotated[str, line(2000, min_length=1)]
Pattern = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^(\*|[a-z_]+\.(\*|[a-z_]+))$")]
Patterns = Annotated[list[Pattern], msgspec.Meta(min_length=1, max_length=200)]


class WebhookCreate(Struct):
    url: WebhookUrl
    event_types: Patterns  # exact types ("sales_order.confirmed"), a topic ("sales_order.*"), or "*" for all
    description: Annotated[str, line(200)] = ""


class WebhookUpdate(Struct):
    url: WebhookUrl | None = None
    event_types: Patterns | None = None
    description: Annotated[str, line(200)] | None = None
    active: bool | None = None
    version: int | None = None  # the version the change was made on: refused if someone changed it since


class ReplayRequest(Struct):
    """Send again: the dead deliveries (`dead`), or every event since a moment (`since`), delivered before or not."""

    dead: bool = False
    since: dt.datetime | None = None


class WebhookOut(Out):
    id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    created_at: dt.datetime
    version: int
    pending: int = 0  # deliveries waiting (or being retried)
    dead: int = 0  # deliveries given up on: replay them once the endpoint works
    delivered: int = 0
    last_delivered_at: dt.datetime | None = None
    last_error: str | None = None


class WebhookSecretOut(Out):
    """A webhook with its signing secret: answered only when it is made and when its secret is rotated."""

    webhook: WebhookOut
    secret: str


class WebhookList(Out):
    items: list[WebhookOut]


class DeliveryOut(Out):
    id: int
    event_id: str
    sequence: int  # the event's place in the outbox
    type: str
    aggregate_type: str
    aggregate_id: str
    occurred_at: dt.datetime
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: dt.datetime | None
    replays: int


class DeliveryPage(Out):
    items: list[DeliveryOut]
    total: int


class ReplayOut(Out):
    replayed: int


class EventTypeOut(Out):
    type: str
    topic: str
    topic_zh: str
    topic_en: str
    zh: str
    en: str


class EventTypeList(Out):
    items: list[EventTypeOut]
