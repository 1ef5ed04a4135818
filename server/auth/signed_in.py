"""Who a token belongs to, remembered for a few seconds: every request is authenticated, and most of them by a token this
process checked a moment ago.

An entry is kept `KEEP_SECONDS` and never past its session's expiry. Any commit in this process that writes to the
users, their sessions or their devices (sign-out, a revoked session or device, a role, warehouse or password changed, a
user deactivated) forgets every entry as it commits, and a look-up begun before is not kept; a change committed by
another process (another server worker, a `cangku` command) is seen within `KEEP_SECONDS`. So is one a look-up read in
the instant the commit was being written to disk.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.sql.dml import Delete, Update

from server.auth.services import SignedIn, resolve_token, token_hash
from server.base import utcnow
from server.db import Database

KEEP_SECONDS = 5.0
MAX_ENTRIES = 20_000
# What a signed-in request's identity is read from: changing or deleting a row of these may end or change it. (Revoking a
# device ends its sessions in auth_sessions; a device's last-seen time, written every minute, changes no one's identity,
# and neither does an insert: a new session or user is no entry here yet.)
AUTH_TABLES = frozenset({"users", "auth_sessions"})
_CHANGED = "cangku_auth_changed"


class SignedInCache:
    """The live sessions of the tokens this process checked lately, keyed by the token's hash."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[SignedIn, float]] = {}
        self._lock = threading.Lock()
        self.generation = 0  # moves on at every forgetting: a look-up begun before it is not kept

    def get(self, key: str) -> SignedIn | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        found, kept_at = entry
        if time.monotonic() - kept_at > KEEP_SECONDS or found.expires_at <= utcnow():
            self._entries.pop(key, None)
            return None
        return found

    def put(self, key: str, found: SignedIn, generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (found, time.monotonic())

    def forget(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def cached(self, token: str) -> SignedIn | None:
        """The live session of `token` if this process checked it lately (no query: call it on the event loop)."""
        return self.get(token_hash(token))

    def look_up(self, db: Database, token: str) -> SignedIn | None:
        """The live session of `token` read from the database (a query: call it in a worker thread), kept for next time."""
        generation = self.generation
        with db.lookup() as session:
            found = resolve_token(session, token)
        if found is not None:
            self.put(token_hash(token), found, generation)
        return found


SIGNED_IN = SignedInCache()


@event.listens_for(Engine, "after_execute")
def _note_auth_write(conn: Any, clause: Any, multiparams: Any, params: Any, execution_options: Any, result: Any) -> None:
    if isinstance(clause, Update | Delete) and getattr(clause.table, "name", None) in AUTH_TABLES:
        conn.info[_CHANGED] = True


@event.listens_for(Engine, "commit")
def _forget_on_commit(conn: Any) -> None:
    if conn.info.pop(_CHANGED, False):
        SIGNED_IN.forget()


@event.listens_for(Engine, "rollback")
def _nothing_changed(conn: Any) -> None:
    conn.info.pop(_CHANGED, None)
