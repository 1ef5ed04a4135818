"""How the application is put together: the steps that finish every write, and the database opened with them.

Every write transaction runs these steps, in this order, just before it commits (`Database.write` → `Work.finish`):

1. **reorder check** — the reorder rules of the item stocks the transaction took from; a rule may raise a requisition,
   whose audit entries, notifications and feed changes join the same transaction.
2. **change feed** — the state of everything the transaction changed, under the next version of the feed's clock
   (its row lock orders versions as commits), and the live stock messages for after the commit.
3. **audit chain** — the transaction's audit entries linked into the hash chain. Last: the chain's lock is the last a
   transaction takes, always after the clock's (the two cannot deadlock), and is held the shortest time.
"""

from __future__ import annotations

from server.audit.services import chain_entries
from server.db import POOL_SIZE, Database
from server.purchasing.reorder import check_stock_left
from server.work import CommitStep, Work
from sync import feed, live


def _change_feed(work: Work) -> None:
    feed.flush_changes(work, publish=live.publish_changes)


COMMIT_STEPS = (
    CommitStep("reorder check", check_stock_left),
    CommitStep("change feed", _change_feed),
    CommitStep("audit chain", chain_entries),
)


def open_database(url: str, *, pool_size: int = POOL_SIZE) -> Database:
    """The application's database: writes are finished by COMMIT_STEPS."""
    return Database(url, commit_steps=COMMIT_STEPS, pool_size=pool_size)
