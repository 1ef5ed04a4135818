"""Database access: URL normalisation, engines with the right pragmas, and transactions.

SQLite is opened in WAL mode with synchronous=FULL so an acknowledged scan survives a power
cut; write transactions start with BEGIN IMMEDIATE so concurrent writers queue on the lock
instead of failing half-way. PostgreSQL is reached through psycopg 3.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

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


def make_engine(url: str, *, pool_size: int = 10, **options: object) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 60},
            pool_size=pool_size,
            max_overflow=40,
            pool_reset_on_return=None,  # sessions always end their transaction; a second rollback is wasted time
        )
        _configure_sqlite(engine)
        return engine
    # No pre-ping (a round trip per transaction): a connection found dead is invalidated with the
    # whole pool, and the request that found it answers 503 "try again".
    return create_engine(url, pool_size=pool_size, max_overflow=40, pool_reset_on_return=None, **options)


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
    """An engine plus session factories for reading and for writing."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        # Called with the events a transaction queued (publish_after_commit) once it has committed.
        self.commit_listeners: list[Callable[[list[Any]], None]] = []
        self._read = sessionmaker(self.engine, expire_on_commit=False, info={"database": self})
        self._write = sessionmaker(self.engine.execution_options(cangku_write=True), expire_on_commit=False, info={"database": self})
        # Single-statement look-ups need no snapshot; on PostgreSQL, BEGIN and ROLLBACK would
        # triple their round trips. (SQLite reads are in-process: a plain read session.)
        # Their own pool of autocommit connections: switching a pooled connection in and out of
        # autocommit on every checkout costs round trips of its own.
        self._lookup_engine = (
            make_engine(url, pool_size=pool_size, isolation_level="AUTOCOMMIT") if self.engine.dialect.name == "postgresql" else None
        )
        self._lookup = sessionmaker(self._lookup_engine, expire_on_commit=False) if self._lookup_engine else self._read

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        # Closing (not rolling back) ends the transaction and leaves loaded objects readable.
        with self._read() as session:
            yield session

    @contextlib.contextmanager
    def lookup(self) -> Iterator[Session]:
        """For reads that are one statement (or need no consistent snapshot across statements)."""
        with self._lookup() as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One business action: committed when the block ends, rolled back on any error."""
        with self._write() as session, session.begin():
            yield session

    def run_write(self, action: Callable[[Session], T], *, attempts: int = 5) -> T:
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
        self.engine.dispose()
        if self._lookup_engine is not None:
            self._lookup_engine.dispose()


# After commit --------------------------------------------------------------------------------------

_QUEUED = "cangku_after_commit"


def publish_after_commit(session: Session, event: object) -> None:
    """Hand `event` to the database's commit listeners once this transaction commits; never if it rolls back."""
    session.info.setdefault(_QUEUED, []).append((session.get_nested_transaction() or session.get_transaction(), event))


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(session: Session) -> None:
    queued = session.info.get(_QUEUED)
    if not queued:
        return
    released = session.get_nested_transaction()
    if released is not None:  # a savepoint was released: its events now wait for the enclosing transaction
        session.info[_QUEUED] = [(released.parent if tx is released else tx, e) for tx, e in queued]
        return
    del session.info[_QUEUED]
    database = session.info.get("database")
    for listener in list(database.commit_listeners if database else ()):
        try:
            listener([e for _, e in queued])
        except Exception:  # noqa: BLE001 - the data is committed; a listener's failure must not look like the write's
            log.exception("after-commit listener %r failed", listener)


@event.listens_for(Session, "after_soft_rollback")
def _discard_rolled_back(session: Session, previous_transaction: Any) -> None:
    queued = session.info.get(_QUEUED)
    if queued and previous_transaction.nested:
        session.info[_QUEUED] = [(tx, e) for tx, e in queued if tx is not previous_transaction]


@event.listens_for(Session, "after_transaction_end")
def _discard_uncommitted(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction ended: whatever is still queued did not commit
        session.info.pop(_QUEUED, None)
