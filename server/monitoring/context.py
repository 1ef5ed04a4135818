"""What the server knows about the request it is serving: its id, who asks, the error code it answered, its SQL count.

One `RequestContext` per request lives in a context variable set by `RequestMonitor`. Sync route
handlers run in worker threads, which get a copy of the context: the copy holds the same object, so
the queries counted there and the error code noted there are the request's.
"""

from __future__ import annotations

import contextvars
import dataclasses
import re
import uuid
from typing import Any

from sqlalchemy import Engine, event

# An id from a proxy or a client is kept when it is a sensible token (a UUID, a trace id); anything else is replaced.
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}$")


@dataclasses.dataclass(slots=True)
class RequestContext:
    request_id: str
    method: str
    path: str
    scope: dict[str, Any] = dataclasses.field(repr=False)
    queries: int = 0
    error: str | None = None  # the code of the error response, when there was one

    @property
    def user(self) -> str | None:
        """The signed-in user's name, once the authentication middleware has put them on the scope."""
        actor = self.scope.get("user")
        return getattr(actor, "username", None)


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("cangku_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def enter(context: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(context)


def leave(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def request_id_from(header: str | None) -> str:
    """The incoming X-Request-Id when it is well formed, else a new one."""
    if header and REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    context = _current.get()
    return context.request_id if context else None


def note_error(code: str) -> None:
    """The request is being answered with error `code` (its log line says so)."""
    context = _current.get()
    if context is not None:
        context.error = code


@event.listens_for(Engine, "before_cursor_execute")
def _count_query(conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: bool) -> None:
    # Statements that go through SQLAlchemy; the ledger's hand-written statements on the driver cursor are not seen.
    request = _current.get()
    if request is not None:
        request.queries += 1
