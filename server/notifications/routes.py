"""Notification endpoints: one's own list, marking read, and the websocket that pushes new ones."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from litestar import Controller, WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.types import ReceiveMessage

from server.api import get, post
from server.auth.permissions import Actor
from server.auth.services import resolve_token
from server.db import Database
from server.notifications import services
from server.notifications.live import user_channel
from server.notifications.schemas import NotificationOut, NotificationPage, ReadAllOut
from server.schemas import Limit, Offset, RowId

# An open socket re-checks its session this often, so a sign-out or an expiry closes it.
SESSION_RECHECK_SECONDS = 60.0
CLOSE_SESSION_ENDED = 4401
CLOSE_CROSS_SITE = 4403


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]

    @get("/", summary="My notifications / 我的通知")
    def list_notifications(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], unread: FromQuery[bool] = False, limit: Limit = 50, offset: Offset = 0
    ) -> NotificationPage:
        """Your notifications, newest first (only the unread ones with `unread`), with how many are unread."""
        with db.read() as session:
            rows, total, unread_count = services.list_notifications(session, actor, unread_only=unread, limit=limit, offset=offset)
        return NotificationPage(items=[services.notification_out(r) for r in rows], total=total, unread=unread_count)

    @post("/{notification_id:int}/read", status_code=200, summary="Mark one read / 标记为已读")
    def mark_read(self, db: NamedDependency[Database], actor: NamedDependency[Actor], notification_id: RowId) -> NotificationOut:
        """Marks one of your notifications read; marking it again is harmless."""
        return db.run_write(lambda s: services.notification_out(services.mark_read(s, actor, notification_id)))

    @post("/read-all", status_code=200, summary="Mark all read / 全部标记为已读")
    def mark_all_read(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> ReadAllOut:
        """Marks all your unread notifications read, and says how many there were."""
        return ReadAllOut(marked=db.run_write(lambda s: services.mark_all_read(s, actor)), unread=0)


@websocket("/api/v1/notifications/ws")
async def notification_socket(socket: WebSocket[Actor, str, Any], channels: NamedDependency[ChannelsPlugin]) -> None:
    """Streams the signed-in user's notifications as they commit.

    Messages (JSON text): `{"type": "ready", "unread": n}` once subscribed, then
    `{"type": "notification", ...NotificationOut}` and `{"type": "read", "ids": [...] | null, "all": bool, "unread": n}`.
    Authenticated like any request (bearer header, or the session cookie a browser sends).
    """
    actor, token = socket.user, socket.auth
    db: Database = socket.app.state.db
    if "authorization" not in socket.headers and not _same_origin(socket):
        # A cookie is sent by any page that opens the socket; only our own pages may use it.
        await socket.close(code=CLOSE_CROSS_SITE, reason="cross-site websocket refused")
        return
    await socket.accept()

    async def send(event: bytes) -> None:
        await socket.send_text(event.decode())

    async with channels.start_subscription(user_channel(actor.user_id or 0)) as subscriber:
        unread = await anyio.to_thread.run_sync(_unread, db, actor.user_id)
        await socket.send_json({"type": "ready", "unread": unread})
        async with subscriber.run_in_background(send, join=False):
            while True:
                message: ReceiveMessage | None = None
                with anyio.move_on_after(SESSION_RECHECK_SECONDS):
                    message = await socket.receive()
                if message is None:
                    if not await anyio.to_thread.run_sync(_session_alive, db, token):
                        await socket.close(code=CLOSE_SESSION_ENDED, reason="session ended")
                        return
                    continue
                if message["type"] == "websocket.disconnect":
                    return


def _same_origin(socket: WebSocket[Any, Any, Any]) -> bool:
    origin = socket.headers.get("origin")
    if not origin:  # not a browser: no ambient cookie to abuse
        return True
    return urlsplit(origin).netloc.lower() == socket.headers.get("host", "").lower()


def _unread(db: Database, user_id: int | None) -> int:
    with db.lookup() as session:
        return services.unread_count(session, user_id)


def _session_alive(db: Database, token: str) -> bool:
    with db.lookup() as session:
        return resolve_token(session, token) is not None
