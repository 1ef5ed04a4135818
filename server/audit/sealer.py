"""The audit chain's sealer (PostgreSQL): links the entries writers committed unsealed into the hash chain, just after.

Writers insert their entries with seq, prev_hash and hash NULL and take no lock for it (services.chain_entries), so no
writer waits for another on the chain. Sealing takes the chain head's row lock, which nothing else takes, in one short
transaction: it reads the committed unsealed entries in id order, links them one after another from the head exactly as
SQLite links them at commit (chain.link over chain.content_digest of the content as stored), and writes them and the new
head together. Sealers in several processes at once are safe: the second waits for the head, then finds the next entries
or none. The database lets an unsealed entry take its seq, prev_hash and hash once, and changes nothing else (migration
0016).

Who seals: each server process, in a background thread every SEAL_EVERY (`sealing`, from the app's lifespan); any other
process seals what it wrote as each of its transactions ends (services.py); `cangku check` seals what is pending before
it verifies, and reports entries left unsealed for longer than UNSEALED_TOO_LONG, which means no sealer runs. SQLite
chains at commit (one writer at a time), so there is never anything to seal there.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import anyio.to_thread
from litestar import Litestar
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from server.audit.chain import GENESIS, AuditChainBroken, content_digest, link
from server.audit.models import AuditChainHead, AuditEntry
from server.db import Database

log = logging.getLogger("cangku.audit")

BATCH = 5000  # entries sealed in one transaction at most
SEAL_EVERY = 0.2  # seconds between a server process's sealings
RETRY_EVERY = 2.0  # seconds between attempts while sealing fails (the database is down, the head was deleted)
UNSEALED_TOO_LONG = dt.timedelta(seconds=10)  # an entry unsealed for longer: no sealer runs (`cangku check` says so)

# Links each entry of the batch in one statement; `AND seq IS NULL`, so an entry is never sealed twice.
_SEAL_SQL = (
    "UPDATE audit_log AS e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "
    "FROM unnest(%s::integer[], %s::bigint[], %s::text[], %s::text[]) AS v(id, seq, prev_hash, hash) "
    "WHERE e.id = v.id AND e.seq IS NULL"
)


def _engine_of(bind: Engine | Connection | Session) -> Engine:
    target = bind.get_bind() if isinstance(bind, Session) else bind
    return target.engine


def seal(bind: Engine | Connection | Session, *, batch: int = BATCH) -> int:
    """Seal up to `batch` committed unsealed entries into the chain; returns how many. It runs in a transaction of its own,
    on a connection of its own from `bind`'s engine (a session's or connection's own transaction is left as it is).

    Raises AuditChainBroken if the chain head is missing while the log has sealed entries (someone deleted it); an empty
    chain starts from GENESIS. Nothing to do on SQLite, which chains at commit."""
    engine = _engine_of(bind)
    if engine.dialect.name != "postgresql":
        return 0
    # Read committed whatever the engine's default: after waiting for the head, the entries another sealer has just
    # sealed must be seen as sealed.
    with engine.connect().execution_options(isolation_level="READ COMMITTED") as connection, connection.begin():
        return _seal_batch(connection, batch)


def seal_all(bind: Engine | Connection | Session) -> int:
    """Seal every entry committed unsealed, a batch per transaction; returns how many."""
    total = 0
    while True:
        sealed = seal(bind)
        total += sealed
        if sealed < BATCH:
            return total


def _seal_batch(connection: Connection, batch: int) -> int:
    E, H = AuditEntry, AuditChainHead  # noqa: N806
    # Most calls find nothing: they end here, without the head's lock (a row lock writes, and would cost a transaction id).
    if connection.execute(select(E.id).where(E.seq.is_(None)).limit(1)).first() is None:
        return 0
    head = connection.execute(select(H.seq, H.hash).where(H.id == 1).with_for_update()).first()
    if head is None:
        if connection.execute(select(E.id).where(E.seq.is_not(None)).limit(1)).first() is not None:
            raise AuditChainBroken("the audit log has entries but its chain head is missing; run `cangku check`")
        connection.execute(insert(H).values(id=1, seq=0, prev_hash=GENESIS, hash=GENESIS).on_conflict_do_nothing(index_elements=["id"]))
        head = connection.execute(select(H.seq, H.hash).where(H.id == 1).with_for_update()).one()
    rows = connection.execute(
        select(E.id, E.at, E.user_id, E.username, E.device_id, E.action, E.target_type, E.target_id, E.details)
        .where(E.seq.is_(None)).order_by(E.id).limit(batch)
    ).all()
    if not rows:
        return 0
    seq, prev = head
    ids, seqs, prevs, hashes = [], [], [], []
    for row in rows:
        seq += 1
        # The content as stored, read as verify_chain reads it: what is sealed is what the check will hash.
        hashed = link(seq, prev, content_digest(row.at, row.user_id, row.username, row.device_id, row.action, row.target_type,
                                                row.target_id, row.details))
        ids.append(row.id)
        seqs.append(seq)
        prevs.append(prev)
        hashes.append(hashed)
        prev = hashed
    updated = connection.exec_driver_sql(_SEAL_SQL, (ids, seqs, prevs, hashes)).rowcount
    if updated != len(rows):  # only sealers write these columns, one at a time: another cannot have sealed them meanwhile
        raise RuntimeError(f"sealing {len(rows)} audit entries updated {updated}: the audit log changed under the chain's lock")
    connection.execute(update(H).where(H.id == 1).values(seq=seq, prev_hash=prevs[-1], hash=prev))
    return len(rows)


# In the background -------------------------------------------------------------------------------------------------


class Sealer:
    """A daemon thread sealing one database's new entries every `every` seconds; on stop it seals what is left."""

    def __init__(self, engine: Engine, *, every: float = SEAL_EVERY) -> None:
        self.engine = engine
        self.every = every
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cangku-audit-sealer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        failing = False
        while not self._stopping.wait(RETRY_EVERY if failing else self.every):
            failing = self._seal(failing)
        self._seal(failing)  # what the last transactions before the stop committed

    def _seal(self, failing: bool) -> bool:
        """Seal all that is pending; whether it failed (logged once until it works again)."""
        try:
            seal_all(self.engine)
        except Exception:  # noqa: BLE001 - e.g. the database is down: try again; entries wait unsealed, nothing is lost
            if not failing:
                log.exception("sealing audit entries into the chain failed; trying again every %s s", RETRY_EVERY)
            return True
        if failing:
            log.info("sealing audit entries into the chain works again")
        return False


# One sealer per database per process, however many apps serve it (a test client and a live server run the same app).
_background: dict[URL, tuple[Sealer, int]] = {}
_background_lock = threading.Lock()


def sealed_in_background(bind: Engine | Connection | Session) -> bool:
    """Whether this process runs a sealer for the database `bind` is on."""
    return _engine_of(bind).url in _background


def start_sealing(db: Database, *, every: float = SEAL_EVERY) -> None:
    """Run a sealer for `db` in this process until `stop_sealing` (PostgreSQL; nothing on SQLite). Meanwhile the process's
    writes to that database leave their sealing to it."""
    if db.dialect != "postgresql":
        return
    with _background_lock:
        sealer, users = _background.get(db.engine.url, (None, 0))
        if sealer is None:
            sealer = Sealer(db.engine, every=every)
            sealer.start()
        _background[db.engine.url] = (sealer, users + 1)


def stop_sealing(db: Database) -> None:
    """Undo one `start_sealing`; the last one stops the sealer once it has sealed what is pending."""
    with _background_lock:
        if db.engine.url not in _background:
            return
        sealer, users = _background.pop(db.engine.url)
        if users > 1:
            _background[db.engine.url] = (sealer, users - 1)
            return
    sealer.stop()


@contextmanager
def sealing_in_background(db: Database, *, every: float = SEAL_EVERY) -> Iterator[None]:
    start_sealing(db, every=every)
    try:
        yield
    finally:
        stop_sealing(db)


@asynccontextmanager
async def sealing(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan: a sealer for its database while it runs."""
    database: Database = app.state.db
    start_sealing(database)
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(stop_sealing, database)  # waits for the last sealing: off the event loop
