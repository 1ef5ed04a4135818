"""Notifications: who receives one, that they appear only once the write commits, one's own list, and the live websocket."""

from __future__ import annotations

import time
import uuid

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient
from sqlalchemy import func, select, update

from server.app import create_app
from server.auth.models import User
from server.db import Database
from server.notifications.live import LiveEvent, redis_publisher
from server.notifications.models import Notification
from server.notifications.services import notify
from server.settings import Settings
from server.wiring import open_database
from tests.conftest import REDIS_URL, require_redis
from tests.helpers import PASSWORD, add_user, sign_in

WS = "/api/v1/notifications/ws"


def user_id(db: Database, username: str) -> int:
    with db.read() as session:
        return session.scalar(select(User.id).where(User.username == username))  # type: ignore[return-value]


def warehouse_id(db: Database, code: str) -> int:
    from server.locations.models import Location

    with db.read() as session:
        return session.scalar(select(Location.id).where(Location.code == code))  # type: ignore[return-value]


def tell(db: Database, username: str, title: str) -> None:
    with db.write() as session:
        notify(session, users=[user_id(db, username)], kind="test", title_zh=f"通知 {title}", title_en=title, body_en="body")


def titles_of(db: Database, username: str) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Notification.title_en).where(Notification.user_id == user_id(db, username)).order_by(Notification.id)))


# Who receives a notification ---------------------------------------------------------------------


def test_a_warehouse_notification_reaches_its_staff_and_no_one_else(db, world):
    add_user(db, "wh1_staff", ["warehouse"], ["WH1"])
    add_user(db, "wh2_staff", ["warehouse"], ["WH2"])
    add_user(db, "roaming", ["warehouse"])  # no warehouse limit: every warehouse
    add_user(db, "buyer", ["purchaser"], ["WH1"])
    add_user(db, "seller", ["sales"])
    add_user(db, "left", ["warehouse"], ["WH1"])
    with db.write() as session:
        session.execute(update(User).where(User.username == "left").values(active=False))
    with db.write() as session:
        rows = notify(session, roles=["warehouse", "purchaser"], warehouse_id=warehouse_id(db, "WH1"), kind="test",
                      title_zh="WH1 的通知", title_en="For WH1")
    with db.read() as session:
        names = {session.get(User, r.user_id).username for r in rows}  # type: ignore[union-attr]
    assert names == {"wh1_staff", "roaming", "buyer"}


def test_notifications_go_out_after_the_commit_and_not_after_a_rollback(db, world):
    add_user(db, "wang", ["warehouse"])
    published: list[list[object]] = []
    db.commit_listeners.append(published.append)
    with db.write() as session:
        notify(session, users=[user_id(db, "wang")], kind="test", title_zh="已提交", title_en="committed")
        assert published == []  # not before the commit
    assert [[e.data["title_en"] for e in events] for events in published] == [["committed"]]  # type: ignore[attr-defined]
    assert isinstance(published[0][0], LiveEvent) and published[0][0].channel == f"user:{user_id(db, 'wang')}"

    published.clear()
    with pytest.raises(RuntimeError), db.write() as session:
        notify(session, users=[user_id(db, "wang")], kind="test", title_zh="回滚", title_en="rolled back")
        raise RuntimeError("the business action failed after notifying")
    assert published == []
    assert titles_of(db, "wang") == ["committed"]


# One's own notifications -------------------------------------------------------------------------


def test_users_see_and_mark_only_their_own_notifications(client, db, world):
    add_user(db, "wang", ["warehouse"])
    add_user(db, "li", ["sales"])
    wang, li = sign_in(client, "wang"), sign_in(client, "li")
    for title in ("first", "second", "third"):
        tell(db, "wang", title)
    tell(db, "li", "for li")

    page = client.get("/api/v1/notifications", headers=wang).json()
    assert [n["title_en"] for n in page["items"]] == ["third", "second", "first"]  # newest first
    assert page["total"] == 3 and page["unread"] == 3
    assert page["items"][0]["title_zh"] == "通知 third" and page["items"][0]["read_at"] is None
    assert [n["title_en"] for n in client.get("/api/v1/notifications", headers=li).json()["items"]] == ["for li"]

    first_id = page["items"][2]["id"]
    refused = client.post(f"/api/v1/notifications/{first_id}/read", headers=li)
    assert refused.status_code == 404 and refused.json()["error"] == "not_found"
    read = client.post(f"/api/v1/notifications/{first_id}/read", headers=wang)
    assert read.status_code == 200 and read.json()["read_at"] is not None

    unread = client.get("/api/v1/notifications", headers=wang, params={"unread": "true"}).json()
    assert [n["title_en"] for n in unread["items"]] == ["third", "second"] and unread["unread"] == 2
    assert client.get("/api/v1/notifications", headers=wang, params={"limit": 1, "offset": 1}).json()["items"][0]["title_en"] == "second"

    assert client.post("/api/v1/notifications/read-all", headers=wang).json() == {"marked": 2, "unread": 0}
    assert client.get("/api/v1/notifications", headers=wang).json()["unread"] == 0
    assert client.get("/api/v1/notifications", headers=li).json()["unread"] == 1  # li's untouched


# The live websocket ------------------------------------------------------------------------------


def test_the_websocket_brings_the_signed_in_users_notifications_and_no_one_elses(client, db, world):
    add_user(db, "wang", ["warehouse"])
    add_user(db, "li", ["warehouse"])
    tell(db, "wang", "while away")
    with client.websocket_connect(WS, headers=sign_in(client, "wang")) as socket:
        assert socket.receive_json(timeout=10) == {"type": "ready", "unread": 1}
        tell(db, "li", "for li")  # published first: had it reached wang's socket, it would arrive first
        tell(db, "wang", "for wang")
        message = socket.receive_json(timeout=10)
        assert message["type"] == "notification"
        assert message["title_en"] == "for wang" and message["title_zh"] == "通知 for wang" and message["body_en"] == "body"
        assert message["id"] and message["created_at"] and message["read_at"] is None

        # Reading it elsewhere updates this screen's badge.
        assert client.post(f"/api/v1/notifications/{message['id']}/read", headers=sign_in(client, "wang")).status_code == 200
        assert socket.receive_json(timeout=10) == {"type": "read", "ids": [message["id"]], "all": False, "unread": 1}


def test_a_rolled_back_notification_never_reaches_the_websocket(client, db, world):
    add_user(db, "wang", ["warehouse"])
    with client.websocket_connect(WS, headers=sign_in(client, "wang")) as socket:
        socket.receive_json(timeout=10)
        with pytest.raises(RuntimeError), db.write() as session:
            notify(session, users=[user_id(db, "wang")], kind="test", title_zh="回滚", title_en="rolled back")
            raise RuntimeError("rolled back")
        tell(db, "wang", "committed")
        assert socket.receive_json(timeout=10)["title_en"] == "committed"


def test_a_browser_opens_the_websocket_with_its_session_cookie_from_our_own_pages_only(client, db, world):
    add_user(db, "wang", ["warehouse"])
    assert client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}).status_code == 200
    with client.websocket_connect(WS, headers={"Origin": "http://testserver.local", "Host": "testserver.local"}) as socket:
        assert socket.receive_json(timeout=10)["type"] == "ready"
        tell(db, "wang", "by cookie")
        assert socket.receive_json(timeout=10)["title_en"] == "by cookie"
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(WS, headers={"Origin": "https://evil.example"}) as socket:
        socket.receive_json(timeout=10)
    assert refused.value.code == 4403


def test_signing_out_closes_the_open_websocket(client, db, world, monkeypatch):
    import server.notifications.routes as routes

    monkeypatch.setattr(routes, "SESSION_RECHECK_SECONDS", 0.2)
    add_user(db, "wang", ["warehouse"])
    headers = sign_in(client, "wang")
    with client.websocket_connect(WS, headers=headers) as socket:
        socket.receive_json(timeout=10)
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json(timeout=10)
    assert closed.value.code == 4401


def test_the_websocket_refuses_anyone_not_signed_in(client, db, world):
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(WS) as socket:
        socket.receive_json(timeout=10)
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(WS, headers={"Authorization": "Bearer wrong"}) as socket:
        socket.receive_json(timeout=10)


# Between server processes, through Redis ---------------------------------------------------------


def wait_until_subscribed(settings: Settings, channel: str) -> None:
    """Redis confirms a subscription asynchronously; publish only once it is in place."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + 10
    while dict(client.pubsub_numsub(f"{settings.redis_prefix}:{channel}")).get(f"{settings.redis_prefix}:{channel}".encode(), 0) < 1:
        assert time.monotonic() < deadline, f"nobody subscribed to {channel}"
        time.sleep(0.02)
    client.close()


def test_a_notification_committed_on_one_server_reaches_a_websocket_on_another(db, world, tmp_path):
    require_redis()
    # Two processes' worth of app: own Database objects on the one database, one Redis; a fresh prefix keeps parallel runs apart.
    settings = Settings(data_dir=tmp_path, database_url=None, redis_url=REDIS_URL, redis_prefix=f"cangku-test-{uuid.uuid4().hex}")
    other_db, cli_db = open_database(db.url), open_database(db.url)
    cli_db.commit_listeners.append(redis_publisher(settings))  # type: ignore[arg-type]  # what `cangku jobs run` does
    add_user(db, "wang", ["warehouse"])
    try:
        with TestClient(create_app(settings, db)) as server_a, TestClient(create_app(settings, other_db)) as server_b:
            with server_b.websocket_connect(WS, headers=sign_in(server_b, "wang")) as socket:
                assert socket.receive_json(timeout=10)["type"] == "ready"
                wait_until_subscribed(settings, f"user:{user_id(db, 'wang')}")
                tell(db, "wang", "from server A")  # committed on server A's database: server A publishes it
                message = socket.receive_json(timeout=10)
                assert message["type"] == "notification" and message["title_en"] == "from server A"
                tell(cli_db, "wang", "from the command line")  # no app at all: published straight to Redis
                assert socket.receive_json(timeout=10)["title_en"] == "from the command line"
            assert server_a.get("/api/v1/notifications", headers=sign_in(server_a, "wang")).json()["unread"] == 2
    finally:
        other_db.dispose()
        cli_db.dispose()
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 2
