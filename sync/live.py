"""Live push for sync: pokes and stock updates on a websocket, sent once the change feed's transaction has committed.

A transaction that wrote to the change feed queues, per scope it touched, one event on the scope's channel
(`sync:wh:SH`) with its version and the balances it left; the events go out through the notifications'
machinery (`publish_after_commit`, Litestar Channels: in memory, or through Redis between processes), so a
rolled-back transaction publishes nothing. The socket `/api/v1/sync/ws` turns each event into a poke for the
scopes a device subscribed to and stock messages for the items and locations it watches.

A poke is a hint, not data: a lost one costs only latency, as devices also pull on reconnect and on a timer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal, cast

import anyio
import anyio.to_thread
import msgspec
from litestar import Litestar, WebSocket, websocket
from litestar.channels import ChannelsPlugin, Subscriber
from litestar.types import ReceiveMessage, WebSocketReceiveEvent
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.auth.services import actor_for, resolve_token
from server.auth.visibility import redact_data, stock_hidden
from server.db import Database
from server.errors import CangkuError
from server.notifications.live import send_after_commit
from server.notifications.routes import CLOSE_CROSS_SITE, CLOSE_SESSION_ENDED, _same_origin
from server.notifications.routes import SESSION_RECHECK_SECONDS as _NOTIFICATIONS_RECHECK

# An open socket re-checks its session (and the scopes it may see) this often.
SESSION_RECHECK_SECONDS = _NOTIFICATIONS_RECHECK
log = logging.getLogger("cangku.sync")

# A socket gets messages at most this often (seconds); what comes in between is sent together.
POKE_INTERVAL = 0.25
# A commit that changed more balances of a scope than this pokes only: the devices pull the rest.
STOCK_PER_EVENT = 200
MAX_SCOPES = 20
MAX_WATCHED = 1000  # items, and locations, one socket may watch
MAX_MESSAGE_CHARS = 65_536


def scope_channel(scope: str) -> str:
    """The channel a scope's events go out on (Redis adds the installation's prefix)."""
    return f"sync:{scope}"


def cursor_at(version: int) -> str:
    """The feed's cursor at a version: every change up to that version is pulled by a client whose cursor is older."""
    return f"{version}.0"


# Publishing (called by the feed, just before the commit) --------------------------------------------


def publish_changes(session: Session, version: int, rows: Iterable[dict[str, Any]]) -> None:
    """Queue, per scope in `rows`, the event of this version; it is published only if the transaction commits."""
    stock: dict[str, list[dict[str, Any]] | None] = {}
    for row in rows:
        scope = row["scope"]
        listed = stock.setdefault(scope, [])
        if row["kind"] not in ("balance", "stock") or row["data"] is None or listed is None:
            continue
        if len(listed) >= STOCK_PER_EVENT:
            stock[scope] = None  # too many to push: the poke says pull
            continue
        listed.append(row["data"])
    cursor = cursor_at(version)
    for scope, balances in stock.items():
        send_after_commit(session, scope_channel(scope), {"scope": scope, "cursor": cursor, "stock": balances or []})


# The websocket -------------------------------------------------------------------------------------


class Subscribe(msgspec.Struct, forbid_unknown_fields=True):
    type: Literal["subscribe"]
    scopes: Annotated[list[Annotated[str, msgspec.Meta(max_length=100)]], msgspec.Meta(max_length=MAX_SCOPES)]
    items: Annotated[list[Annotated[str, msgspec.Meta(max_length=100)]], msgspec.Meta(max_length=MAX_WATCHED)] | None = None
    locations: Annotated[list[Annotated[str, msgspec.Meta(max_length=100)]], msgspec.Meta(max_length=MAX_WATCHED)] | None = None


@dataclasses.dataclass(frozen=True)
class Watch:
    """What one socket receives: pokes for `scopes`; stock messages for balances of `items` or in `locations`."""

    scopes: tuple[str, ...] = ()
    items: frozenset[str] = frozenset()
    locations: frozenset[str] = frozenset()

    def wants(self, balance: dict[str, Any]) -> bool:
        return balance.get("sku") in self.items or balance.get("location") in self.locations


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder()


class Hub:
    """The sync sockets of one server process and the scope channels they listen to.

    Each scope's channel is subscribed once, however many sockets want it; each event is decoded once and handed to
    those sockets, which only note it (`_Socket.offer`). A busy warehouse then costs each socket a few sends a
    second, not a wake-up per commit."""

    def __init__(self, channels: ChannelsPlugin) -> None:
        self.channels = channels
        self.sockets: dict[str, set[_Socket]] = {}
        self._subscribers: dict[str, Subscriber] = {}
        self._pumps: set[asyncio.Task[None]] = set()
        self._changing = anyio.Lock()

    async def join(self, live: _Socket, scopes: Iterable[str]) -> None:
        """`live` gets the events of `scopes` from now on (the channels are subscribed when this returns)."""
        async with self._changing:
            for scope in scopes:
                self.sockets.setdefault(scope, set()).add(live)
                if scope not in self._subscribers:
                    subscriber = await self.channels.subscribe([scope_channel(scope)])
                    self._subscribers[scope] = subscriber
                    pump = asyncio.get_running_loop().create_task(self._pump(subscriber))
                    self._pumps.add(pump)
                    pump.add_done_callback(self._pumps.discard)

    async def leave(self, live: _Socket, scopes: Iterable[str]) -> None:
        async with self._changing:
            for scope in scopes:
                listening = self.sockets.get(scope)
                if listening is None:
                    continue
                listening.discard(live)
                if not listening:  # the last socket of the scope: this process stops listening to it
                    del self.sockets[scope]
                    await self.channels.unsubscribe(self._subscribers.pop(scope), [scope_channel(scope)])

    async def _pump(self, subscriber: Subscriber) -> None:
        async for raw in subscriber.iter_events():  # ends when the subscriber is unsubscribed
            try:
                event = _DECODER.decode(raw)
                for live in tuple(self.sockets.get(event["scope"], ())):
                    live.offer(event)
            except Exception:  # noqa: BLE001 - one malformed event must not end the scope's stream for every socket
                log.exception("sync event not delivered")


def hub_of(app: Litestar) -> Hub:
    """The app's hub, made on first use (one per app, so one per server process)."""
    hub = app.state.get("sync_hub")
    if hub is None:
        hub = app.state["sync_hub"] = Hub(app.plugins.get(ChannelsPlugin))
    return hub


class _Socket:
    """One open sync socket: what it watches, and what it has still to be sent."""

    def __init__(self, socket: WebSocket[Actor, str, Any], hub: Hub | None, actor: Actor | None = None) -> None:
        self.socket = socket
        self.hub = hub
        self.watch = Watch()
        # The stock fields this socket's user may not see (server.auth.visibility); re-read when the session is re-checked.
        self.hide: tuple[str, ...] = stock_hidden(actor) if actor is not None else ()
        self._sending = anyio.Lock()  # the sending task and the receiving loop both send
        # What came since the last send: the newest cursor per scope, the newest stock message per balance.
        self._pokes: dict[str, str] = {}
        self._stock: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._pending = asyncio.Event()

    async def send(self, message: dict[str, Any]) -> None:
        async with self._sending:
            await self.socket.send_text(_ENCODER.encode(message).decode())

    async def subscribe(self, watch: Watch) -> None:
        """Replace the subscription. The new scopes are listened to before the old ones are left: an event may come
        twice, never not at all."""
        old = self.watch.scopes
        self.watch = watch
        if self.hub is not None:
            await self.hub.join(self, watch.scopes)
            await self.hub.leave(self, [s for s in old if s not in watch.scopes])

    async def close(self) -> None:
        if self.hub is not None:
            await self.hub.leave(self, self.watch.scopes)
        self.watch = Watch()

    def offer(self, event: dict[str, Any]) -> None:
        """Note an event of one of the socket's scopes; the sending task sends it (with whatever else came meanwhile)."""
        scope, cursor = event["scope"], event["cursor"]
        if scope not in self.watch.scopes:
            return
        self._pokes.pop(scope, None)
        self._pokes[scope] = cursor
        watch = self.watch
        if watch.items or watch.locations:
            for balance in self._stock_of(event):
                if watch.wants(balance):
                    key = (scope, balance.get("sku"), balance.get("warehouse"), balance.get("location"), balance.get("lot"))
                    self._stock.pop(key, None)
                    self._stock[key] = {"type": "stock", "scope": scope, **balance, "cursor": cursor}
        self._pending.set()

    def _stock_of(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The event's balances as this socket's user may see them. The event is shared by every socket of the scope, so
        each variant (at most one per set of hidden fields) is made once per event, not once per socket."""
        stock = event.get("stock") or []
        if not self.hide or not stock:
            return stock
        variants = event.setdefault("_shown", {})
        if self.hide not in variants:
            variants[self.hide] = [redact_data(balance, self.hide) for balance in stock]
        return variants[self.hide]  # type: ignore[no-any-return]

    async def forward(self) -> None:
        """Send what was offered: at once when the socket was quiet, else at most every POKE_INTERVAL, what came in
        the meantime as one poke per scope (its last cursor) and the newest stock message per balance — the same
        state in fewer messages. A socket that sends slowly (a weak signal) just gets more folded into each send."""
        sent_at = -POKE_INTERVAL
        while True:
            await self._pending.wait()
            wait = sent_at + POKE_INTERVAL - time.monotonic()
            if wait > 0:  # sent a moment ago: what comes meanwhile goes with this one
                await anyio.sleep(wait)
            self._pending.clear()
            pokes, self._pokes = self._pokes, {}
            stock, self._stock = self._stock, {}
            for scope, cursor in pokes.items():
                await self.send({"type": "poke", "scope": scope, "cursor": cursor})
            for message in stock.values():
                await self.send(message)
            sent_at = time.monotonic()


@websocket("/api/v1/sync/ws")
async def sync_socket(socket: WebSocket[Actor, str, Any]) -> None:
    """Pokes and stock updates for the scopes a device subscribes to (see sync/PROTOCOL.md, "Websocket").

    Authenticated like the notifications socket (bearer header, or the session cookie from our own pages)."""
    actor, token = socket.user, socket.auth
    db: Database = socket.app.state.db
    if "authorization" not in socket.headers and not _same_origin(socket):
        await socket.close(code=CLOSE_CROSS_SITE, reason="cross-site websocket refused")
        return
    await socket.accept()
    live = _Socket(socket, hub_of(socket.app), actor)
    try:
        async with anyio.create_task_group() as tasks:
            await live.send({"type": "ready", "cursor": cursor_at(await anyio.to_thread.run_sync(_clock, db))})
            tasks.start_soon(_forwarding, live)
            await _serve(live, db, actor, token)
            tasks.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            await live.close()


async def _forwarding(live: _Socket) -> None:
    try:
        await live.forward()
    except Exception:  # noqa: BLE001 - the socket went away; the receiving loop sees the disconnect and cleans up
        return


async def _serve(live: _Socket, db: Database, actor: Actor, token: str) -> None:
    while True:
        message: ReceiveMessage | None = None
        with anyio.move_on_after(SESSION_RECHECK_SECONDS):
            message = await live.socket.receive()
        if message is None:
            fresh = await anyio.to_thread.run_sync(_recheck, db, actor, token)
            if fresh is None:
                await live.socket.close(code=CLOSE_SESSION_ENDED, reason="session ended")
                return
            actor = fresh
            live.hide = stock_hidden(actor)
            if live.watch.scopes:
                kept, _ = await anyio.to_thread.run_sync(_check_scopes, db, actor, live.watch.scopes)
                lost = [s for s in live.watch.scopes if s not in kept]
                if lost:  # moved to another warehouse, role changed: as a pull would answer, the device starts those slices again
                    await live.subscribe(dataclasses.replace(live.watch, scopes=tuple(kept)))
                    await live.send({"type": "reset_required", "scopes": lost})
            continue
        if message["type"] == "websocket.disconnect":
            return
        received = cast(WebSocketReceiveEvent, message)  # an accepted socket's other events are all websocket.receive
        await _handle(live, db, actor, received.get("text") or received.get("bytes") or "")


async def _handle(live: _Socket, db: Database, actor: Actor, text: str | bytes) -> None:
    if len(text) > MAX_MESSAGE_CHARS:
        await live.send(_error(actor, "invalid_request", "The message is too long.", "消息过长。"))
        return
    try:
        request = msgspec.json.decode(text, type=Subscribe)
    except msgspec.ValidationError as exc:
        await live.send(_error(actor, "invalid_request", f"Not a subscribe message: {exc}.", f"不是订阅消息：{exc}。"))
        return
    except msgspec.DecodeError:
        await live.send(_error(actor, "invalid_request", "The message is not JSON.", "消息不是 JSON。"))
        return
    scopes = list(dict.fromkeys(request.scopes))
    kept, refused = await anyio.to_thread.run_sync(_check_scopes, db, actor, scopes)
    for scope, error in refused:
        await live.send({"type": "error", "scope": scope, "error": error.code, "message": error.message(actor.language)})
    await live.subscribe(Watch(tuple(kept), frozenset(request.items or ()), frozenset(request.locations or ())))
    # Commits after this cursor are poked: a device that pulls once now is up to date.
    cursor = cursor_at(await anyio.to_thread.run_sync(_clock, db))
    await live.send({"type": "subscribed", "scopes": kept, "items": sorted(live.watch.items), "locations": sorted(live.watch.locations),
                     "cursor": cursor})


def _error(actor: Actor, code: str, en: str, zh: str) -> dict[str, Any]:
    return {"type": "error", "error": code, "message": zh if actor.language.startswith("zh") else en}


def _clock(db: Database) -> int:
    from sync.feed import head  # the feed publishes through this module

    with db.lookup() as session:
        return head(session).version


def _check_scopes(db: Database, actor: Actor, scopes: Sequence[str]) -> tuple[list[str], list[tuple[str, CangkuError]]]:
    """The scopes the user may see, and why each other one is refused."""
    from sync.pull import allowed  # sync.pull reads the feed, which publishes through this module

    kept: list[str] = []
    refused: list[tuple[str, CangkuError]] = []
    with db.lookup() as session:
        for scope in scopes:
            try:
                if allowed(session, actor, scope):
                    kept.append(scope)
                else:
                    refused.append((scope, CangkuError(f"You may not see scope {scope}.", f"您无权查看范围 {scope}。", code="scope_not_allowed")))
            except CangkuError as exc:  # malformed: unknown_scope
                refused.append((scope, exc))
    return kept, refused


def _recheck(db: Database, actor: Actor, token: str) -> Actor | None:
    """The socket's user as they are now (roles, warehouses), or None once the session has ended."""
    with db.lookup() as session:
        found = resolve_token(session, token)
        if found is None:
            return None
        return actor_for(found, device_id=actor.device_id, language=actor.language)
