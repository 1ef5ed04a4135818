"""Reading the audit log, and a document's history from it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter, PathParameter

from server.api import get
from server.audit import history, services
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
    # The entry's place in the hash chain, and the SHA-256 linking it to the entry before (see server/audit/chain.py);
    # `cangku check` verifies the chain. Null for a moment after the write on PostgreSQL, until the entry is sealed in.
    seq: int | None
    hash: str | None


class AuditPage(Out):
    items: list[AuditEntryOut]
    total: int


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get("/", summary="The audit log / 审计日志")
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
        """The audit log, newest first, narrowed by action or target; for those allowed to read it."""
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


DocumentKindName = Annotated[str, PathParameter(description=f"the kind of document: {', '.join(history.KINDS)} / 单据类型")]


class HistoryEntryOut(Out):
    at: dt.datetime
    user: str
    action: str  # as recorded: so.confirm
    said_zh: str  # the action as a person reads it: 确认
    said_en: str  # confirm
    details: dict[str, Any] | None  # what the entry recorded; null for those who may not read the audit log (it may hold amounts)


class HistoryPage(Out):
    items: list[HistoryEntryOut]
    total: int


class HistoryController(Controller):
    path = "/api/v1/history"
    tags = ["audit"]

    @get("/{kind:str}/{number:str}", summary="Who did what to a document, and when / 单据历史")
    def document_history(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], kind: DocumentKindName, number: FromPath[str],
        limit: Limit = 100, offset: Offset = 0,
    ) -> HistoryPage:
        """Who did what to one document and when, oldest first, each action also in words a person reads; the recorded details only for
        those who may read the audit log."""
        with db.read() as session:
            rows, total = history.document_history(session, actor, kind, number, limit=limit, offset=offset)
        return HistoryPage(
            items=[
                HistoryEntryOut(at=r.at, user=r.username, action=r.action, said_zh=zh, said_en=en, details=history.details_for(actor, r))
                for r in rows for zh, en in [history.said(r.action)]
            ],
            total=total,
        )
