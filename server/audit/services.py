"""Appending to the audit log: one entry per write, committed with the write, chained at commit (see chain.py)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from server.audit.chain import GENESIS, AuditChainBroken, content_digest, link
from server.audit.models import AuditEntry
from server.auth.permissions import Actor
from server.base import utcnow
from server.inventory.ledger_sql import driver_cursor

log = logging.getLogger("cangku")

_PENDING = "cangku_audit_pending"
_COMMITTING = "cangku_audit_committing"  # the chain's commit hook has run: entries recorded after it are appended at once
_COLUMNS = "at, user_id, username, device_id, action, target_type, target_id, details, seq, prev_hash, hash"

# PostgreSQL: one statement per entry takes the head's row lock, advances it and inserts the entry linked to it
# (the same link as chain.link, computed from the head as it is after any concurrent append committed).
APPEND_SQL = f"""
WITH head AS (
    UPDATE audit_chain SET seq = seq + 1, prev_hash = hash,
        hash = encode(sha256(convert_to((seq + 1)::text || ':' || hash || ':' || %s, 'UTF8')), 'hex')
    WHERE id = 1
    RETURNING seq, prev_hash, hash
)
INSERT INTO audit_log ({_COLUMNS})
SELECT %s, %s, %s, %s, %s, %s, %s, %s::json, seq, prev_hash, hash FROM head
"""
# An empty log starts its chain at the genesis value; a log with entries but no head is refused (someone deleted it).
_START_PG = (
    "INSERT INTO audit_chain (id, seq, prev_hash, hash) SELECT 1, 0, %s, %s WHERE NOT EXISTS (SELECT 1 FROM audit_log) "
    "ON CONFLICT (id) DO NOTHING"
)
_INSERT_SQLITE = f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_HEAD_SQLITE = (
    "INSERT INTO audit_chain (id, seq, prev_hash, hash) VALUES (1, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, prev_hash = excluded.prev_hash, hash = excluded.hash"
)
# Checked here because the row is written at commit, where a too-long value would fail the whole transaction.
_LIMITS = {"username": 64, "device_id": 64, "action": 64, "target_type": 32, "target_id": 64}


class _Entry(NamedTuple):
    at: dt.datetime
    user_id: int | None
    username: str
    device_id: str | None
    action: str
    target_type: str
    target_id: str
    details: str  # JSON text, as stored
    digest: str


def record(
    session: Session, actor: Actor, action: str, target_type: str, target_id: object, *, at: dt.datetime | None = None, **details: Any
) -> None:
    """Record a write. The entry is inserted when the transaction commits (rolled back with it, or with its savepoint),
    so the chain's lock is held only for the last moments of the transaction."""
    now = (at or utcnow()).astimezone(dt.UTC)
    target = str(target_id)
    for name, value in (("username", actor.username), ("device_id", actor.device_id), ("action", action),
                        ("target_type", target_type), ("target_id", target)):
        if value is not None and len(value) > _LIMITS[name]:
            raise ValueError(f"audit {name} longer than {_LIMITS[name]} characters: {value[:80]!r}")
    payload = msgspec.json.encode(details)
    digest = content_digest(now, actor.user_id, actor.username, actor.device_id, action, target_type, target, msgspec.json.decode(payload))
    entry = _Entry(now, actor.user_id, actor.username, actor.device_id, action, target_type, target, payload.decode(), digest)
    if not _hooked:
        _hook_into_commits()
    if session.info.get(_COMMITTING):  # recorded by a commit hook that ran after the chain's
        _append(session, [entry])
        return
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        session.connection()  # begins the transaction the entry belongs to
        transaction = session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, entry))


def _append(session: Session, entries: list[_Entry]) -> None:
    """Add the entries to the chain, in order, inside the session's transaction."""
    cursor = driver_cursor(session)
    if session.get_bind().dialect.name == "postgresql":
        rows = [(e.digest, e.at, e.user_id, e.username, e.device_id, e.action, e.target_type, e.target_id, e.details) for e in entries]
        for attempt in range(2):
            if len(rows) == 1:
                cursor.execute(APPEND_SQL, rows[0])
            else:
                cursor.executemany(APPEND_SQL, rows)
            if cursor.rowcount == len(rows):
                return
            if cursor.rowcount or attempt:
                break
            cursor.execute(_START_PG, (GENESIS, GENESIS))
        raise AuditChainBroken("the audit log has entries but its chain head is missing; run `cangku check`")
    # SQLite: the transaction already holds the database's write lock (BEGIN IMMEDIATE), so read, link, write.
    cursor.execute("SELECT seq, hash FROM audit_chain WHERE id = 1")
    head = cursor.fetchall()
    if head:
        seq, prev = head[0]
    else:
        cursor.execute("SELECT 1 FROM audit_log LIMIT 1")
        if cursor.fetchall():
            raise AuditChainBroken("the audit log has entries but its chain head is missing; run `cangku check`")
        seq, prev = 0, GENESIS
    rows = []
    for e in entries:
        seq += 1
        hashed = link(seq, prev, e.digest)
        rows.append((e.at.strftime("%Y-%m-%d %H:%M:%S.%f"), e.user_id, e.username, e.device_id, e.action, e.target_type, e.target_id,
                     e.details, seq, prev, hashed))
        prev = hashed
    cursor.executemany(_INSERT_SQLITE, rows)
    cursor.execute(_HEAD_SQLITE, (seq, rows[-1][9], prev))


# The pending entries follow the session's transactions --------------------------------------------------------------

_hooked = False
_hooking = threading.Lock()


def _hook_into_commits() -> None:
    """Listen for commits from the first entry on. Commit listeners run in the order they were registered, and the
    chain's must run after the ones that record entries (reorder rules raising requisitions) or take a lock of their
    own (the change feed's version clock): then the chain's lock is the last a transaction takes, always after the
    clock's, so the two cannot deadlock and the chain's is held the shortest time."""
    global _hooked
    with _hooking:
        if not _hooked:
            import server.purchasing.reorder  # noqa: F401 - registers its commit hook before ours
            import sync.feed  # noqa: F401 - likewise

            event.listen(Session, "before_commit", _chain_pending_entries)
            _hooked = True


def _chain_pending_entries(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: its entries now belong to the enclosing transaction
        return
    session.info[_COMMITTING] = True
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.flush()  # the transaction's own writes first, so the chain's lock is held as briefly as possible
        _append(session, [entry for _, entry in pending])


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending and previous_transaction.nested:
        session.info[_PENDING] = [(tx, e) for tx, e in pending if not _within(tx, previous_transaction)]


@event.listens_for(Session, "after_commit")
def _nothing_left_behind(session: Session) -> None:
    if session.info.get(_PENDING) and not session.in_nested_transaction():
        # Only when the outermost transaction is committed with a savepoint still open (every `with` block closes its own).
        log.error("audit entries recorded in a savepoint left open at commit were not written: %r", session.info.pop(_PENDING))


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_COMMITTING, None)


def list_entries(
    session: Session, actor: Actor, *, action: str | None, target_type: str | None, target_id: str | None, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """The log, newest first, for those allowed to read it."""
    actor.require("audit.read")
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))), total
