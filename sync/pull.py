"""Serving the change feed: the scopes a user may pull, and pages of changes after a cursor."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.errors import InvalidInput
from server.locations.models import Location
from sync.feed import Cursor, changes_after
from sync.messages import Change, PullResponse


def allowed(session: Session, actor: Actor, scope: str) -> bool:
    """`wh:<warehouse code>`: the balances of a warehouse the user works in."""
    kind, _, code = scope.partition(":")
    if kind != "wh" or not code:
        raise InvalidInput(f"Unknown scope {scope!r}; scopes look like wh:<warehouse code>.", f"未知范围 {scope!r}；范围形如 wh:<仓库编码>。",
                           code="unknown_scope")
    warehouse = session.scalar(select(Location.id).where(Location.code == code, Location.kind == "warehouse"))
    return warehouse is not None and actor.may_use_warehouse(warehouse)


def pull(session: Session, actor: Actor, scopes: Sequence[str], cursor_text: str | None, limit: int) -> PullResponse:
    """Changes after the cursor; a scope the user may no longer see means the device must start again (reset_required)."""
    if not scopes:
        raise InvalidInput("Say which scopes to pull (scope=wh:<warehouse code>).", "请指定同步范围（scope=wh:<仓库编码>）。", code="no_scope")
    cursor = Cursor.parse(cursor_text)
    if not all(allowed(session, actor, scope) for scope in scopes):
        return PullResponse(changes=[], cursor=str(cursor), has_more=False, reset_required=True)
    page = changes_after(session, list(scopes), cursor, limit)
    return PullResponse(
        changes=[Change(scope=c.scope, kind=c.kind, key=c.key, data=c.data) for c in page.changes],
        cursor=str(page.cursor),
        has_more=page.has_more,
    )
