"""The unit of work: one business transaction, what travels with it, and the steps that finish it.

Every write runs in a `Work` — the session services are handed. Besides the database session it
carries the context of the operation (`occurred_at`: when an offline device says the goods moved)
and what the transaction leaves for its end: the things whose state the change feed must record,
the item stocks whose reorder rules must be checked, the audit entries to chain, and the events to
publish once it has committed. Services add to these through the functions below; they never
finish a transaction themselves.

`Database.write` finishes a transaction by running its commit steps, in the order the application
composed them (see `server.wiring.COMMIT_STEPS`), then commits, then hands the queued events to the
commit listeners. A transaction rolled back — or a savepoint rolled back — takes its audit entries
and events with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction


@dataclasses.dataclass(frozen=True)
class CommitStep:
    """A named step run just before a transaction commits, in its place in the order."""

    name: str
    run: Callable[[Work], None]


class UnfinishedWork(RuntimeError):
    """A transaction is committing with work no commit step took care of (a change the feed would never show)."""


class Work(Session):
    """A session for one business transaction, with what the transaction carries to its end."""

    def __init__(self, *args: Any, commit_steps: Sequence[CommitStep] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commit_steps: tuple[CommitStep, ...] = tuple(commit_steps)
        self._reset()

    def _reset(self) -> None:
        # The operation's context.
        self.occurred_at: dt.datetime | None = None
        # Left for the commit steps.
        self.changes: dict[str, set[Any]] = {}  # kind -> keys whose state the change feed records
        self.stock_left: set[tuple[int, int]] = set()  # (item, warehouse) whose reorder rule is checked
        self.audit_entries: list[tuple[SessionTransaction, Any]] = []
        self.sealed = False  # the audit step has run: entries recorded after it are appended at once
        # Left for after the commit: queued (with the transaction or savepoint that queued them), then ready once committed.
        self.events: list[tuple[SessionTransaction, object]] = []
        self.ready: list[object] = []
        # The driver cursor of the current transaction (statements on the hot paths go straight to it).
        self.raw_cursor: tuple[SessionTransaction, Any] | None = None

    def current_transaction(self) -> SessionTransaction:
        """The innermost transaction (a savepoint, if one is open), begun if none is."""
        transaction = self.get_nested_transaction() or self.get_transaction()
        if transaction is None:
            self.connection()
            transaction = self.get_transaction()
        assert transaction is not None
        return transaction

    def finish(self) -> None:
        """Run the commit steps in their order; then nothing may be left that a step should have taken."""
        self.flush()  # what is still unflushed notes its changes as it is written
        for step in self.commit_steps:
            step.run(self)
        left = [name for name, pending in (("change feed", self.changes), ("reorder check", self.stock_left),
                                           ("audit chain", self.audit_entries)) if pending]
        if left:
            raise UnfinishedWork(f"a transaction is committing with work no commit step took: {', '.join(left)}")

    def committed_events(self) -> list[object]:
        """The events of the transactions that committed (taken: each is delivered once)."""
        events, self.ready = self.ready, []
        return events


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _drop_inside(pending: list[tuple[SessionTransaction, Any]], rolled_back: SessionTransaction) -> list[tuple[SessionTransaction, Any]]:
    return [(tx, item) for tx, item in pending if not _within(tx, rolled_back)]


# Keeping the work in step with its savepoints and transactions (bookkeeping only; the business steps are COMMIT_STEPS).


@event.listens_for(Work, "after_soft_rollback")
def _savepoint_rolled_back(work: Work, previous_transaction: SessionTransaction) -> None:
    # A savepoint rolled back takes its audit entries and events; things noted for the feed or the reorder check stay
    # (recording the state of a thing that did not change is harmless).
    if previous_transaction.nested:
        work.audit_entries = _drop_inside(work.audit_entries, previous_transaction)
        work.events = _drop_inside(work.events, previous_transaction)


@event.listens_for(Work, "after_commit")
def _committed(work: Work) -> None:
    if work.get_nested_transaction() is None:  # the transaction itself, not a savepoint released: its events are ready
        work.ready.extend(event for _, event in work.events)
        work.events = []


@event.listens_for(Work, "after_transaction_end")
def _transaction_ended(work: Work, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: what it left behind does not carry over
        ready = work.ready
        work._reset()
        work.ready = ready


# What services leave for the end of their transaction ----------------------------------------------------------------


def work_of(session: Session) -> Work:
    if not isinstance(session, Work):
        raise TypeError("business writes go through Database.write, whose sessions are units of work")
    return session


def note_change(session: Session, kind: str, key: Any) -> None:
    """Something of `kind` (a balance, a task, a document) changed; the change feed records its state at commit."""
    work_of(session).changes.setdefault(kind, set()).add(key)


def note_changes(session: Session, kind: str, keys: Iterable[Any]) -> None:
    work_of(session).changes.setdefault(kind, set()).update(keys)


def note_stock_left(session: Session, item_id: int, warehouse_id: int) -> None:
    """Available stock of an item in a warehouse went down: its reorder rule is checked before the transaction commits."""
    work_of(session).stock_left.add((item_id, warehouse_id))


def publish_after_commit(session: Session, event: object) -> None:
    """Hand `event` to the database's commit listeners once this transaction commits; never if it (or the savepoint it
    was queued in) rolls back."""
    work = work_of(session)
    work.events.append((work.current_transaction(), event))


def occurred_at(session: Session) -> dt.datetime | None:
    """When the operation says its goods moved (an offline device's corrected clock), if it says."""
    return session.occurred_at if isinstance(session, Work) else None
