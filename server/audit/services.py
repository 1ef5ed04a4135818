"""Appending to the audit log: one entry per write, committed with the write. SQLite chains the entries at commit; PostgreSQL
commits them unsealed and the sealer links them into the chain just after (see chain.py and sealer.py)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from server.audit.chain import GENESIS, AuditChainBroken, content_digest, link
from server.audit.models import AuditEntry
from server.audit.sealer import seal_all, sealed_in_background
from server.auth.permissions import Actor
from server.base import utcnow
from server.raw import driver_cursor, statements
from server.work import Work, work_of

log = logging.getLogger("cangku")

_CONTENT = "at, user_id, username, device_id, action, target_type, target_id, details"

# The log's statements, on the driver's cursor (see server.raw). `append` is PostgreSQL's, `insert` and `head` SQLite's.
_SQL = statements(
    # An entry goes in unsealed (seq, prev_hash and hash NULL), taking no lock and writing nothing but itself: writers never
    # wait for one another here. Refused (no row) when the chain has entries but no head: someone deleted it. A chain with
    # neither starts from the genesis value when first sealed. (The second test runs only without a head.)
    append="INSERT INTO audit_log (" + _CONTENT + ") SELECT {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}::json "
           "WHERE EXISTS (SELECT 1 FROM audit_chain WHERE id = 1) OR NOT EXISTS (SELECT 1 FROM audit_log WHERE seq IS NOT NULL)",
    insert="INSERT INTO audit_log (" + _CONTENT + ", seq, prev_hash, hash) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
    head="INSERT INTO audit_chain (id, seq, prev_hash, hash) VALUES (1, {p}, {p}, {p}) "
         "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, prev_hash = excluded.prev_hash, hash = excluded.hash",
)
APPEND_SQL = _SQL["postgresql"]["append"]
# Checked here because the row is written at commit, where a too-long value would fail the whole transaction.
_LIMITS = {"username": 64, "device_id": 64, "action": 64, "target_type": 32, "target_id": 64}
# In the session's info: its transaction wrote unsealed entries ("written"), and then committed ("committed").
_UNSEALED = "cangku.audit_unsealed"


class _Entry(NamedTuple):
    at: dt.datetime
    user_id: int | None
    username: str
    device_id: str | None
    action: str
    target_type: str
    target_id: str
    details: str  # JSON text, as stored


def record(
    session: Session, actor: Actor, action: str, target_type: str, target_id: object, *, at: dt.datetime | None = None, **details: Any
) -> None:
    """Record a write. The entry is inserted when the transaction commits (rolled back with it, or with its savepoint)."""
    now = (at or utcnow()).astimezone(dt.UTC)
    target = str(target_id)
    for name, value in (("username", actor.username), ("device_id", actor.device_id), ("action", action),
                        ("target_type", target_type), ("target_id", target)):
        if value is not None and len(value) > _LIMITS[name]:
            raise ValueError(f"audit {name} longer than {_LIMITS[name]} characters: {value[:80]!r}")
    entry = _Entry(now, actor.user_id, actor.username, actor.device_id, action, target_type, target, msgspec.json.encode(details).decode())
    work = work_of(session)
    if work.sealed:  # recorded by a commit step that ran after the chain's
        _append(work, [entry])
        return
    work.audit_entries.append((work.current_transaction(), entry))


def _append(session: Session, entries: list[_Entry]) -> None:
    """Add the entries to the log, in order, inside the session's transaction: unsealed on PostgreSQL, chained on SQLite."""
    cursor = driver_cursor(session)
    if session.get_bind().dialect.name == "postgresql":
        rows = [(e.at, e.user_id, e.username, e.device_id, e.action, e.target_type, e.target_id, e.details) for e in entries]
        if len(rows) == 1:
            cursor.execute(APPEND_SQL, rows[0])
        else:
            cursor.executemany(APPEND_SQL, rows)
        if cursor.rowcount != len(rows):
            raise AuditChainBroken("the audit log has entries but its chain head is missing; run `cangku check`")
        session.info[_UNSEALED] = "written"
        return
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
        digest = content_digest(e.at, e.user_id, e.username, e.device_id, e.action, e.target_type, e.target_id, msgspec.json.decode(e.details))
        hashed = link(seq, prev, digest)
        linked.append((e.at.strftime("%Y-%m-%d %H:%M:%S.%f"), e.user_id, e.username, e.device_id, e.action, e.target_type, e.target_id,
                     e.details, seq, prev, hashed))
        prev = hashed
    cursor.executemany(_SQL["sqlite"]["insert"], linked)
    cursor.execute(_SQL["sqlite"]["head"], (seq, linked[-1][9], prev))


def chain_entries(work: Work) -> None:
    """The commit step that writes the transaction's entries. It runs last of the steps, so an entry a later step would
    record is appended at once. On SQLite it links them into the chain under the database's write lock; on PostgreSQL they
    go in unsealed, taking no lock: the chain's lock is the sealer's alone (sealer.py)."""
    work.sealed = True
    pending, work.audit_entries = work.audit_entries, []
    if pending:
        work.flush()  # the transaction's own writes first: on SQLite the chain is read as late as possible
        _append(work, [entry for _, entry in pending])


# Sealing what a transaction wrote once it has committed, in a process that runs no sealer in the background ---------------
# The server seals in the background (sealer.sealing); a `cangku` command, a job run from cron or a script seals its own
# entries as each transaction ends, in a short transaction of its own, so none waits for a server that may not run.


@event.listens_for(Work, "after_commit")
def _committed(work: Work) -> None:
    if work.info.get(_UNSEALED) == "written" and work.get_nested_transaction() is None:
        work.info[_UNSEALED] = "committed"


@event.listens_for(Work, "after_transaction_end")
def _seal_what_was_committed(work: Work, transaction: SessionTransaction) -> None:
    # After the transaction has given its connection back: sealing takes one of its own.
    if transaction.parent is not None or work.info.pop(_UNSEALED, None) != "committed":
        return
    bind = work.get_bind()
    if sealed_in_background(bind):
        return
    try:
        seal_all(bind)
    except Exception as exc:  # noqa: BLE001 - the write has committed; its entries wait for the next sealing
        log.warning("audit entries committed but not sealed into the chain yet (%s); the next sealing, or `cangku check`, seals them", exc)


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
