"""Group commit for SQLite: the writes of one process that arrive together share one transaction and one fsync.

SQLite writes one transaction at a time, and with synchronous=FULL each commit waits for the disk. Writers that queue
behind each other's commits would each wait for a disk flush of their own. Here they take turns on one connection
instead: the first of a group opens the transaction (BEGIN IMMEDIATE); each write runs in a savepoint of it, so one that
fails takes back only its own changes; the write that finds nobody waiting for a turn after it (or the group full)
commits for everyone. Every writer leaves only once the commit that holds its changes is on disk, and with its error if
that commit fails: nobody is told "done" before the data is durable, and a write that failed is never reported done.

A transaction the database ended by itself (a full disk, an I/O error: SQLite then rolls the whole transaction back)
fails every write of the group that was waiting for the commit, with the same error. The group's first write makes no
savepoint (writes that come one at a time cost what a plain transaction costs): its failure rolls the transaction back,
which then holds nothing else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator

from sqlalchemy import Connection, Engine

MAX_GROUP = 64  # writes that share one commit at most: a writer never waits behind more than this many others' work


@dataclasses.dataclass(eq=False)
class _Group:
    """The writes that will be made durable by one commit."""

    pending: int = 0  # writes done in this transaction, waiting for its commit
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    error: BaseException | None = None


@dataclasses.dataclass(frozen=True)
class GroupStats:
    commits: int
    writes: int


class GroupCommit:
    """Turns on one write connection (from `engine`, whose BEGIN is BEGIN IMMEDIATE), and the commits of groups of them."""

    def __init__(self, engine: Engine, *, max_group: int = MAX_GROUP) -> None:
        self.engine = engine
        self.max_group = max_group
        self._turn = threading.Lock()
        self._counter = threading.Lock()
        self._waiting = 0  # writers waiting for a turn
        self._holder: int | None = None  # the thread whose turn it is
        self._connection: Connection | None = None
        self._group: _Group | None = None
        self.commits = 0
        self.writes = 0

    @property
    def stats(self) -> GroupStats:
        return GroupStats(self.commits, self.writes)

    @property
    def waiting(self) -> int:
        """Writers waiting for a turn now."""
        return self._waiting

    @contextlib.contextmanager
    def turn(self) -> Iterator[tuple[Connection, bool]]:
        """The connection, in the group's transaction, for one write, and whether the write is the group's first. The first
        needs no savepoint: if it fails, rolling the transaction back takes only its own changes (and costs no savepoint
        on the way when writes come one at a time); every later one makes its own. On leaving, the write is durable — or
        this raises why it is not."""
        if self._holder == threading.get_ident():
            raise RuntimeError("a write began inside another write of the same thread: it would wait for itself")
        with self._counter:
            self._waiting += 1
        self._turn.acquire()
        with self._counter:
            self._waiting -= 1
        self._holder = threading.get_ident()
        try:
            first = self._group is None
            group = self._begin()
            connection = self._connection
            assert connection is not None
        except BaseException:
            self._release()
            raise
        try:
            yield connection, first
        except BaseException as failure:
            self._end_turn(group, failure)
            raise
        self._end_turn(group, None)
        group.done.wait()
        if group.error is not None:
            raise group.error

    def _begin(self) -> _Group:
        if self._group is None:
            if self._connection is None:
                self._connection = self.engine.connect()
            self._connection.begin()
            self._group = _Group()
        return self._group

    def _end_turn(self, group: _Group, failure: BaseException | None) -> None:
        """After one write: count it in, or see whether its failure ended the whole transaction; commit when nobody is
        waiting for a turn (or the group is full); then hand the turn on."""
        try:
            if failure is None:
                group.pending += 1
                self.writes += 1
            elif not self._in_transaction():  # rolled back whole: by the group's first write, or by the database itself
                if group.pending:
                    self._fail(group, failure)
                else:
                    self._reset(group)
                return
            with self._counter:
                others = self._waiting
            if others == 0 or group.pending >= self.max_group:
                self._commit(group)
        finally:
            self._release()

    def _in_transaction(self) -> bool:
        connection = self._connection
        if connection is None or connection.closed or connection.invalidated:
            return False
        return bool(connection.connection.driver_connection.in_transaction)  # type: ignore[union-attr]

    def _commit(self, group: _Group) -> None:
        assert self._connection is not None
        try:
            self._connection.commit()
            self.commits += 1
        except BaseException as error:
            self._fail(group, error)
            return
        self._group = None
        group.done.set()

    def _fail(self, group: _Group, error: BaseException) -> None:
        """The transaction is gone (or its commit failed): every write waiting for it fails with the error; the next write
        starts on a fresh connection."""
        group.error = error
        self._group = None
        self._discard_connection()
        group.done.set()

    def _reset(self, group: _Group) -> None:
        """The transaction held no other write: the next write starts a new one, on the same connection if it is sound."""
        self._group = None
        group.done.set()
        connection = self._connection
        try:
            if connection is not None and connection.in_transaction():
                connection.rollback()
        except Exception:  # noqa: BLE001 - a connection that cannot even roll back is replaced
            self._discard_connection()

    def _discard_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()
            with contextlib.suppress(Exception):
                connection.close()

    def _release(self) -> None:
        self._holder = None
        self._turn.release()

    def close(self) -> None:
        """Close the connection (between groups: a group is committed or failed before its last turn ends)."""
        with self._turn:
            self._discard_connection()
