"""How the application is put together: the steps that finish every write, and the database opened with them.

Every write transaction runs these steps, in this order, just before it commits (`Database.write` → `Work.finish`):

1. **reorder check** — the reorder rules of the item stocks the transaction took from; a rule may raise a requisition,
   whose audit entries, notifications and feed changes join the same transaction.
2. **change feed** — the state of everything the transaction changed, under its next version (sync/feed.py: the clock on
   SQLite; on PostgreSQL a sequence, no lock another writer waits for), and the live stock messages for after the commit.
3. **outbox** — the events of the transaction's audited business actions (server/outbox/events.py), in one insert; the
   dispatcher delivers them once committed, so a rolled-back transaction sends none.
4. **audit log** — the transaction's audit entries. Last, so an entry a step records is in it. On SQLite they are linked
   into the hash chain here (one writer at a time); on PostgreSQL they go in unsealed and the server's sealer links them
   just after (server/audit/sealer.py), so no writer waits for another's place in the chain.
"""

from __future__ import annotations

from server.audit.services import chain_entries
from server.db import POOL_SIZE, Database
from server.outbox.events import write_events
from server.purchasing.reorder import check_stock_left
from server.work import CommitStep, Work
from sync import feed, live


def _change_feed(work: Work) -> None:
    feed.flush_changes(work, publish=live.publish_changes)


COMMIT_STEPS = (
    CommitStep("reorder check", check_stock_left),
    CommitStep("change feed", _change_feed),
    CommitStep("outbox", write_events),
    CommitStep("audit chain", chain_entries),
)


def open_database(url: str, *, pool_size: int = POOL_SIZE) -> Database:
    """The application's database: writes are finished by COMMIT_STEPS."""
    return Database(url, commit_steps=COMMIT_STEPS, pool_size=pool_size)
