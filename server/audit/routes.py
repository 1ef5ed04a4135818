"""Reading the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from server.api import ERRORS
from server.audit import services
from server.auth.permissions import Actor
from server.db import Database
from server.schemas import Limit, Offset, Out


class AuditEntryOut(Out):
    id: int
    at: dt.datetime
    username: str
    device_id: str | None
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    seq: int  # the entry's place in the hash chain
    hash: str  # SHA-256 linking it to the entry before (see server/audit/chain.py); `cangku check` verifies the chain


class AuditPage(Out):
    items: list[AuditEntryOut]
    total: int


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get("/", sync_to_thread=True, responses=ERRORS, summary="The audit log / 审计日志")
    def list_entries(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        action: str | None = Parameter(default=None, max_length=64),
        target_type: str | None = Parameter(default=None, max_length=32),
        target_id: str | None = Parameter(default=None, max_length=64),
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> AuditPage:
        with db.read() as session:
            rows, total = services.list_entries(
                session, actor, action=action, target_type=target_type, target_id=target_id, limit=limit, offset=offset
            )
        items = [
            AuditEntryOut(
                id=r.id, at=r.at, username=r.username, device_id=r.device_id, action=r.action,
                target_type=r.target_type, target_id=r.target_id, details=r.details or {},
                seq=r.seq, hash=r.hash,
            )
            for r in rows
        ]
        return AuditPage(items=items, total=total)
