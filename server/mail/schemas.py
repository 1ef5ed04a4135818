"""What a person asks to send, what the desk offers them before they do, and the record of what was sent."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from server.schemas import Out, Struct

# Addresses and the subject are checked by server.mail.letters (a 422 naming the field), not by a pattern here: a refusal
# says which address is wrong, and why.
AddressText = Annotated[str, msgspec.Meta(max_length=400)]
Addresses = Annotated[list[AddressText], msgspec.Meta(max_length=100)]


class EmailRequest(Struct):
    """Send a document's PDF by e-mail. Left out, `to` is the partner's e-mail address (or its contacts'), the subject the
    document's name and number, the language the one you read in."""

    to: Addresses | None = None
    cc: Addresses = []
    subject: Annotated[str, msgspec.Meta(max_length=400)] | None = None
    message: Annotated[str, msgspec.Meta(max_length=8000)] = ""
    language: Literal["zh", "en"] | None = None


class ContactAddressOut(Out):
    name: str  # the contact's name, or the partner's for its own address
    role: str
    address: str  # as it goes into To or Cc: "张三 <zhang@example.com>"


class EmailDraftOut(Out):
    """The e-mail a document would be sent with, for the person to change before sending."""

    kind: str
    number: str
    configured: bool  # whether this server sends e-mail at all (CANGKU_SMTP_HOST)
    sender: str  # the From address, when configured
    to: list[str]
    cc: list[str]
    subject: str
    language: str
    contacts: list[ContactAddressOut]  # the partner's addresses on file, to choose from


class DocumentEmailOut(Out):
    id: int
    kind: str
    number: str
    to: list[str]
    cc: list[str]
    subject: str
    message: str
    language: str
    attachment: str
    sent_by: str | None
    sent_at: dt.datetime
    message_id: str
    outcome: str  # sent | failed
    error: str
    period_from: dt.date | None = None
    period_to: dt.date | None = None


class DocumentEmailList(Out):
    items: list[DocumentEmailOut]
    total: int
