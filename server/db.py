"""Database access: URL normalisation, engines with the right pragmas, and transactions.

SQLite is opened in WAL mode with synchronous=FULL so an acknowledged scan survives a power
cut; write transactions start with BEGIN IMMEDIATE so concurrent writers queue on the lock
instead of failing half-way. PostgreSQL is reached through psycopg 3.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import sessionmaker

from server.group_commit import GroupCommit
from server.work import CommitStep, Work

T = TypeVar("T")
log = logging.getLogger("cangku")

_RETRYABLE_PGCODES = {"40001", "40P01"}  # serialization failure, deadlock detected


def normalize_url(url: str) -> str:
    """Accept plain `sqlite:///path` and `postgresql://...` URLs; pick the driver here."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+pysqlite").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://user@host:port/db")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# One pool per process, read and write alike. A request holds one connection at a time, and at most the server's worker
# threads (40) hold one each; more only queue for a connection. PostgreSQL's max_connections must cover every process's
# pool in full: workers × (POOL_SIZE + MAX_OVERFLOW), plus `cangku` commands and the scheduler (see the README).
POOL_SIZE = 10
MAX_OVERFLOW = 10


def make_engine(url: str, *, pool_size: int = POOL_SIZE, max_overflow: int = MAX_OVERFLOW, **options: object) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 60},
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_reset_on_return=None,  # sessions always end their transaction; a second rollback is wasted time
        )
        _configure_sqlite(engine)
        return engine
    # No pre-ping (a round trip per transaction): a connection found dead is invalidated with the
    # whole pool, and the request that found it answers 503 "try again".
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_reset_on_return=None, **options)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get("cangku_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """An engine plus session factories for reading and for writing.

    A write is a unit of work (`server.work.Work`) finished by `commit_steps`, in their order, just before it commits;
    the application composes them (`server.wiring`)."""

    def __init__(self, url: str, *, commit_steps: Sequence[CommitStep], pool_size: int = POOL_SIZE,
                 max_overflow: int = MAX_OVERFLOW) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self.commit_steps = tuple(commit_steps)
        # Called with the events a transaction queued (publish_after_commit) once it has committed.
        self.commit_listeners: list[Callable[[list[Any]], None]] = []
        self._read = sessionmaker(self.engine, class_=Work, expire_on_commit=False)
        writer = self.engine.execution_options(cangku_write=True)
        self._write = sessionmaker(writer, class_=Work, expire_on_commit=False, commit_steps=self.commit_steps)
        # SQLite: the writes of this process that arrive together share a transaction and its fsync, each in a savepoint.
        self.group_commit = GroupCommit(writer) if self.engine.dialect.name == "sqlite" else None
        self._write_in_group = sessionmaker(class_=Work, expire_on_commit=False, commit_steps=self.commit_steps,
                                            join_transaction_mode="create_savepoint")
        # The group's first write: its session leaves the commit to the group, and rolls the transaction back if it fails.
        self._write_first_in_group = sessionmaker(class_=Work, expire_on_commit=False, commit_steps=self.commit_steps,
                                                  join_transaction_mode="rollback_only")
        # Single-statement look-ups need no snapshot; on PostgreSQL, BEGIN and ROLLBACK would triple their round trips.
        # The same pool: psycopg switches a connection in and out of autocommit without a round trip. (SQLite reads are
        # in-process: a plain read session.)
        self._lookup = (
            sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"), class_=Work, expire_on_commit=False)
            if self.engine.dialect.name == "postgresql" else self._read
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def read(self) -> Iterator[Work]:
        # Closing (not rolling back) ends the transaction and leaves loaded objects readable.
        with self._read() as session:
            yield session

    @contextlib.contextmanager
    def lookup(self) -> Iterator[Work]:
        """For reads that are one statement (or need no consistent snapshot across statements)."""
        with self._lookup() as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Work]:
        """One business action: finished by the commit steps and committed when the block ends, rolled back on any error;
        then what it queued for after the commit is delivered. On SQLite the commit may be shared with other writes
        (server.group_commit); the block ends only once its data is durable either way."""
        if self.group_commit is None:
            with self._write() as work:
                with work.begin():
                    yield work
                    work.finish()
                self._deliver(work.committed_events())
            return
        with self.group_commit.turn() as (connection, first):
            with (self._write_first_in_group if first else self._write_in_group)(bind=connection) as work:
                with work.begin():  # a savepoint of the group's transaction, but for its first write
                    yield work
                    work.finish()
                events = work.committed_events()
        self._deliver(events)  # the group's commit is on disk

    def _deliver(self, events: list[Any]) -> None:
        if not events:
            return
        for listener in list(self.commit_listeners):
            try:
                listener(events)
            except Exception:  # noqa: BLE001 - the data is committed; a listener's failure must not look like the write's
                log.exception("after-commit listener %r failed", listener)

    def run_write(self, action: Callable[[Work], T], *, attempts: int = 5) -> T:
        """Run `action` in a write transaction, retrying the deadlocks PostgreSQL may report."""
        for attempt in range(attempts):
            try:
                with self.write() as session:
                    return action(session)
            except (OperationalError, DBAPIError) as exc:
                pgcode = getattr(getattr(exc, "orig", None), "sqlstate", None)
                if pgcode in _RETRYABLE_PGCODES and attempt < attempts - 1:
                    time.sleep(0.01 * (attempt + 1))
                    continue
                raise
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        if self.group_commit is not None:
            self.group_commit.close()
        self.engine.dispose()
