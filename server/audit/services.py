"""Appending to the audit log: one entry per write, committed with the write, chained at commit (see chain.py)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.chain import GENESIS, AuditChainBroken, content_digest, link
from server.audit.models import AuditEntry
from server.auth.permissions import Actor
from server.base import utcnow
from server.raw import driver_cursor, statements
from server.work import Work, work_of

log = logging.getLogger("cangku")

_COLUMNS = "at, user_id, username, device_id, action, target_type, target_id, details, seq, prev_hash, hash"

# The chain's statements, on the driver's cursor (see server.raw). `append` and `start` are PostgreSQL's, `insert` and
# `head` SQLite's.
_SQL = statements(
    # One statement per entry takes the head's row lock, advances it and inserts the entry linked to it (the same link as
    # chain.link, computed from the head as it is after any concurrent append committed).
    append="""
WITH head AS (
    UPDATE audit_chain SET seq = seq + 1, prev_hash = hash,
        hash = encode(sha256(convert_to((seq + 1)::text || ':' || hash || ':' || {p}, 'UTF8')), 'hex')
    WHERE id = 1
    RETURNING seq, prev_hash, hash
)
INSERT INTO audit_log (""" + _COLUMNS + """)
SELECT {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}::json, seq, prev_hash, hash FROM head
""",
    # An empty log starts its chain at the genesis value; a log with entries but no head is refused (someone deleted it).
    start="INSERT INTO audit_chain (id, seq, prev_hash, hash) SELECT 1, 0, {p}, {p} WHERE NOT EXISTS (SELECT 1 FROM audit_log) "
          "ON CONFLICT (id) DO NOTHING",
    insert="INSERT INTO audit_log (" + _COLUMNS + ") VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
    head="INSERT INTO audit_chain (id, seq, prev_hash, hash) VALUES (1, {p}, {p}, {p}) "
         "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, prev_hash = excluded.prev_hash, hash = excluded.hash",
)
APPEND_SQL = _SQL["postgresql"]["append"]
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
    work = work_of(session)
    if work.sealed:  # recorded by a commit step that ran after the chain's
        _append(work, [entry])
        return
    work.audit_entries.append((work.current_transaction(), entry))


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
            cursor.execute(_SQL["postgresql"]["start"], (GENESIS, GENESIS))
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
    linked = []
    for e in entries:
        seq += 1
        hashed = link(seq, prev, e.digest)
        linked.append((e.at.strftime("%Y-%m-%d %H:%M:%S.%f"), e.user_id, e.username, e.device_id, e.action, e.target_type, e.target_id,
                     e.details, seq, prev, hashed))
        prev = hashed
    cursor.executemany(_SQL["sqlite"]["insert"], linked)
    cursor.execute(_SQL["sqlite"]["head"], (seq, linked[-1][9], prev))


def chain_entries(work: Work) -> None:
    """The commit step that links the transaction's entries into the chain. It runs last of the steps: then the chain's lock
    is the last a transaction takes (after the change feed's clock, so the two cannot deadlock) and is held the shortest time;
    an entry a later step would record is appended at once."""
    work.sealed = True
    pending, work.audit_entries = work.audit_entries, []
    if pending:
        work.flush()  # the transaction's own writes first, so the chain's lock is held as briefly as possible
        _append(work, [entry for _, entry in pending])


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
