"""The messages of the sync protocol (see sync/PROTOCOL.md), as msgspec types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from server.schemas import Out, Struct, line

SCHEMA_VERSION = 1
OpId = Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]
ClientId = Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]
Seq = Annotated[int, msgspec.Meta(ge=1, le=2**53)]
Status = Literal["applied", "applied_with_exception", "rejected", "conflict"]


class Op(Struct):
    """One intent of a user, recorded on the device: applied at most once, in `seq` order per client."""

    op_id: OpId
    seq: Seq
    type: Annotated[str, line(32)]
    payload: dict[str, Any]
    device_time: dt.datetime | None = None


class PushRequest(Struct):
    client_id: ClientId
    device_time: dt.datetime
    schema_version: int
    ops: Annotated[list[Op], msgspec.Meta(max_length=500)]


class OpResult(Out):
    op_id: str
    seq: int
    status: Status
    message: str | None = None
    details: dict[str, Any] | None = None


class PushResponse(Out):
    results: list[OpResult]
    cursor: str
    last_seq: int  # the client's last applied seq
    resend_from: int | None = None  # a gap: resend from this seq on (ops after the gap got no result)
    clock_offset_ms: int = 0  # server time − device time, applied to the ops' device times


class Change(Out):
    scope: str
    kind: str
    key: str
    # The thing's fields as a JSON object (null: it is gone), passed on from the feed as stored.
    data: Annotated[msgspec.Raw | None, msgspec.Meta(description="The thing's fields (a JSON object); null: it is gone")]


class PullResponse(Out):
    changes: list[Change]
    cursor: str
    has_more: bool
    reset_required: bool = False
    reset_scopes: list[str] = msgspec.field(default_factory=list)  # with reset_required: the scopes to drop and start again
