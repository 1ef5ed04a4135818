"""Writing events into the outbox, in the transaction that caused them.

Every business action records an audit entry; the commit step `write_events` turns the transaction's entries of
published actions (catalog.EVENTS) into outbox rows, with one statement, just before the audit log takes them. So an
event exists exactly when its transaction committed: a transaction rolled back — or a savepoint rolled back, whose
entries are dropped — leaves none. The dispatcher delivers them (dispatcher.py).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from server.outbox.catalog import EVENTS
from server.raw import Dialect, dialect_of, driver_cursor, statements
from server.work import Work, publish_after_commit

_SQL = statements(
    insert="INSERT INTO outbox_events (event_id, type, aggregate_type, aggregate_id, occurred_at, actor, data, fanned_out) "
           "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
)
# PostgreSQL: the events of one aggregate are numbered in the order their transactions commit. Two transactions writing
# about one aggregate without sharing a locked row (moves of one item in two bins) would otherwise take their ids in one
# order and commit in the other; each takes, before its ids, a lock per aggregate and holds it until it ends, so those
# two take turns and transactions about other aggregates do not wait. A transaction about more aggregates than
# PostgreSQL's lock table is sized for per transaction (a receipt of thousands of items) takes the one lock all the
# others share instead, and has its turn alone. Locks are taken shared one first, then in a fixed order, so no two wait
# for each other. (SQLite has one writer at a time.)
_MANY_AGGREGATES = 64
_SHARE_ALL = "SELECT pg_advisory_xact_lock_shared(7244, 0)"
_LOCK_ALL = "SELECT pg_advisory_xact_lock(7244, 0)"
_LOCK_EACH = ("SELECT pg_advisory_xact_lock(7243, key) FROM "
              "(SELECT DISTINCT hashtext(a) AS key FROM unnest(%s::text[]) AS a ORDER BY key) AS ordered")
# Said on every event's data: wakes the dispatcher of this process once the transaction has committed.
EVENTS_WRITTEN = "outbox.events_written"


# Stock events are about their item, so that an item's moves (and its falling under the reorder point) go in order.
_ABOUT_ITEMS = frozenset({"stock.move", "stock.below_reorder_point"})


def _about(action: str, target_id: str, details: str) -> tuple[str, str, str]:
    """What the event is about, and its data: a stock event is about its item (a move's data says which move it was),
    anything else about the record it was recorded on."""
    if action in _ABOUT_ITEMS:
        data = msgspec.json.decode(details)
        if data.get("sku"):
            if action == "stock.move":
                data = {"move": int(target_id), **data}
            return "item", str(data["sku"]), msgspec.json.encode(data).decode()
    return EVENTS[action].type.partition(".")[0], target_id, details


def rows_for(entries: list[Any], dialect: Dialect) -> list[tuple[Any, ...]]:
    """The outbox rows of audit entries (server.audit.services._Entry) of published actions."""
    rows = []
    for entry in entries:
        if entry.action not in EVENTS:
            continue
        aggregate_type, aggregate_id, data = _about(entry.action, entry.target_id, entry.details)
        rows.append((
            str(uuid.uuid4()), EVENTS[entry.action].type, aggregate_type, aggregate_id[:64], dialect.time(entry.at),
            entry.username or "", data, dialect.flag(False),
        ))
    return rows


def write_events(work: Work) -> None:
    """The commit step: the transaction's events into the outbox (one insert), before the audit log takes its entries."""
    if not work.audit_entries:
        return
    dialect = dialect_of(work)
    rows = rows_for([entry for _, entry in work.audit_entries], dialect)
    if not rows:
        return
    cursor = driver_cursor(work)
    if not dialect.sqlite:
        _take_turn(cursor, {f"{row[2]}:{row[3]}" for row in rows})
    sql = _SQL[dialect.name]["insert"]
    if len(rows) == 1:
        cursor.execute(sql, rows[0])
    else:
        cursor.executemany(sql, rows)
    publish_after_commit(work, EVENTS_WRITTEN)


def _take_turn(cursor: Any, aggregates: set[str]) -> None:
    """PostgreSQL: the locks that put this transaction's events after those of any transaction before it about the same
    aggregates (see _MANY_AGGREGATES)."""
    if len(aggregates) > _MANY_AGGREGATES:
        cursor.execute(_LOCK_ALL)
        return
    cursor.execute(_SHARE_ALL)
    cursor.execute(_LOCK_EACH, (sorted(aggregates),))
