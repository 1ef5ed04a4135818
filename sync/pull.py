"""Serving the change feed: the scopes a user may pull, and pages of changes after a cursor."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.auth.visibility import feed_hidden, redact_data
from server.errors import InvalidInput
from server.locations.models import Location
from server.monitoring.metrics import SYNC_PULL_LAG
from sync.feed import Cursor, changes_after, head, reached
from sync.messages import Change, PullResponse

SCOPES_EN = "scopes are catalog, wh:<warehouse code>, stock:<warehouse code> or tasks:<warehouse code>"
SCOPES_ZH = "范围为 catalog、wh:<仓库编码>、stock:<仓库编码> 或 tasks:<仓库编码>"


def allowed(session: Session, actor: Actor, scope: str) -> bool:
    """`catalog`: items, barcodes, locations and lots, which every user may read. `wh:<warehouse code>`: the balances of
    each bin of a warehouse the user works in; `stock:<warehouse code>`: its stock per item, all locations together;
    `tasks:<warehouse code>`: its open pick and put-away tasks."""
    if scope == "catalog":
        return True
    kind, _, code = scope.partition(":")
    if kind not in ("wh", "stock", "tasks") or not code:
        raise InvalidInput(f"Unknown scope {scope!r}; {SCOPES_EN}.", f"未知范围 {scope!r}；{SCOPES_ZH}。", code="unknown_scope", scope=scope)
    warehouse = session.scalar(select(Location.id).where(Location.code == code, Location.kind == "warehouse"))
    return warehouse is not None and actor.may_use_warehouse(warehouse)


def pull(session: Session, actor: Actor, scopes: Sequence[str], cursor_text: str | None, limit: int) -> PullResponse:
    """Changes after the cursor; a scope the user may no longer see, or a cursor the feed never reached, means the device
    must start again (reset_required)."""
    if not scopes:
        raise InvalidInput(f"Say which scopes to pull; {SCOPES_EN}.", f"请指定同步范围；{SCOPES_ZH}。", code="no_scope")
    cursor = Cursor.parse(cursor_text)
    refused = [scope for scope in scopes if not allowed(session, actor, scope)]
    now = head(session)
    if not reached(cursor, now):
        # A cursor this feed never gave out (the database was restored from a backup since, or is behind the device):
        # what the device holds of every scope asked may be gone from the book, so all of them start again.
        return PullResponse(changes=[], cursor="", has_more=False, reset_required=True, reset_scopes=list(dict.fromkeys(scopes)))
    if refused:
        return PullResponse(changes=[], cursor=str(cursor), has_more=False, reset_required=True, reset_scopes=refused)
    page = changes_after(session, list(scopes), cursor, limit, now)
    SYNC_PULL_LAG.observe(max(0, page.head - cursor.version))
    hide = feed_hidden(actor)  # empty for nearly everyone: the stored JSON then goes out untouched
    return PullResponse(
        changes=[Change(scope=row.scope, kind=row.kind, key=row.key, data=None if row.data is None else _data(row.kind, row.data, hide))
                 for row in page.changes],
        cursor=str(page.cursor),
        has_more=page.has_more,
    )


def _data(kind: str, text: str, hide: dict[str, tuple[str, ...]]) -> msgspec.Raw:
    """A change's data as stored, or with the cost and price fields this user may not see set to null."""
    fields = hide.get(kind)
    if not fields:
        return msgspec.Raw(text)
    return msgspec.Raw(msgspec.json.encode(redact_data(msgspec.json.decode(text), fields)))
