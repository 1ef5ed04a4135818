"""Live sync: the websocket pokes a device's scopes and sends stock updates for what it watches, only after commit,
in one process (memory channels) and between processes (Redis), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient
from sqlalchemy import update

from server.app import create_app
from server.auth.models import User
from server.auth.permissions import SYSTEM
from server.inventory.services import move
from server.notifications.live import LiveEvent, redis_publisher
from server.settings import Settings
from server.testing import ServedProcess
from server.wiring import open_database
from tests.conftest import REDIS_URL, require_redis
from tests.helpers import PASSWORD, add_user, post_move, sign_in
from tests.test_notifications import wait_until_subscribed, warehouse_id

WS = "/api/v1/sync/ws"


def version_of(cursor: str) -> int:
    return int(cursor.partition(".")[0])


def pull(client, headers, scope: str = "wh:WH1", cursor: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/sync/pull", headers=headers, params={"scope": scope, **({"cursor": cursor} if cursor else {})})
    assert response.status_code == 200, response.text
    return response.json()


def subscribe(socket, scopes: list[str], **watch: list[str]) -> dict:  # type: ignore[no-untyped-def]
    socket.send_json({"type": "subscribe", "scopes": scopes, **watch})
    while True:
        message = socket.receive_json(timeout=10)
        if message["type"] == "subscribed":
            return message


def moved(client, headers, sku: str, qty: object, source: str, target: str, **extra: object) -> None:  # type: ignore[no-untyped-def]
    response = post_move(client, headers, sku, qty, source, target, **extra)
    assert response.status_code == 201, response.text


# In one process ----------------------------------------------------------------------------------


def test_a_move_pokes_the_scope_with_a_cursor_up_to_which_a_pull_brings_it(client, worker, world):
    moved(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    with client.websocket_connect(WS, headers=worker) as socket:
        ready = socket.receive_json(timeout=10)
        assert ready["type"] == "ready" and version_of(ready["cursor"]) >= 1
        mine = pull(client, worker)["cursor"]  # what the device had before
        assert subscribe(socket, ["wh:WH1"]) == {"type": "subscribed", "scopes": ["wh:WH1"], "items": [], "locations": [],
                                                 "cursor": ready["cursor"]}
        moved(client, worker, "PEN", 2, "B1", "B2")
        poke = socket.receive_json(timeout=10)
        assert poke == {"type": "poke", "scope": "wh:WH1", "cursor": poke["cursor"]}
        assert version_of(poke["cursor"]) > version_of(mine)
        page = pull(client, worker, cursor=mine)
        assert sorted((c["data"]["location"], c["data"]["qty"]) for c in page["changes"]) == [("B1", "3"), ("B2", "2")]
        assert version_of(page["cursor"]) >= version_of(poke["cursor"])  # the device is now up to the poke
        # The poke's cursor sits just before its own changes: pulled from, it brings exactly them.
        assert [c["data"]["location"] for c in pull(client, worker, cursor=poke["cursor"])["changes"]] == ["B1", "B2"]


def test_stock_messages_come_for_watched_items_and_locations_only(client, worker, world):
    moved(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    with client.websocket_connect(WS, headers=worker) as socket:
        socket.receive_json(timeout=10)
        subscribe(socket, ["wh:WH1"], items=["PEN"])
        moved(client, worker, "RICE", 3, "SUPPLIER", "B2", unit_cost="1")  # not watched: a poke only
        moved(client, worker, "PEN", 2, "B1", "B3")
        rice, pen, *stock = [socket.receive_json(timeout=10) for _ in range(4)]
        assert rice["type"] == "poke" and pen["type"] == "poke" and version_of(pen["cursor"]) == version_of(rice["cursor"]) + 1
        assert stock == [
            {"type": "stock", "scope": "wh:WH1", "sku": "PEN", "location": "B1", "lot": None, "qty": "3", "reserved": "0", "available": "3",
             "cursor": pen["cursor"]},
            {"type": "stock", "scope": "wh:WH1", "sku": "PEN", "location": "B3", "lot": None, "qty": "2", "reserved": "0", "available": "2",
             "cursor": pen["cursor"]},
        ]

        # Watching a bin instead: whatever changes in it, and nothing else; re-subscribing replaces the watch.
        subscribe(socket, ["wh:WH1"], locations=["B2"])
        moved(client, worker, "PEN", 1, "B1", "B2")
        assert socket.receive_json(timeout=10)["type"] == "poke"
        stock_b2 = socket.receive_json(timeout=10)
        assert (stock_b2["type"], stock_b2["sku"], stock_b2["location"], stock_b2["qty"]) == ("stock", "PEN", "B2", "1")

        # No items or locations: pokes only; another warehouse's commits do not reach this scope.
        subscribe(socket, ["wh:WH1"])
        moved(client, worker, "PEN", 1, "SUPPLIER", "W2-B1", unit_cost="1")
        moved(client, worker, "PEN", 1, "B1", "B2")
        poke = socket.receive_json(timeout=10)
        assert poke["scope"] == "wh:WH1" and [c["data"]["location"] for c in pull(client, worker, cursor=poke["cursor"])["changes"]] == ["B1", "B2"]
        moved(client, worker, "PEN", 1, "B1", "B3")
        assert socket.receive_json(timeout=10)["type"] == "poke"  # not a stock message for the previous move


def test_a_salesperson_watching_an_item_sees_its_warehouse_stock_change_live(client, worker, world, as_role):
    """Scope `stock:WH1`: one message per item and warehouse, all bins together, for a salesperson's stock lookup."""
    sales = as_role("sales")
    moved(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    moved(client, worker, "PEN", 4, "SUPPLIER", "QC", unit_cost="1")
    with client.websocket_connect(WS, headers=sales) as socket:
        socket.receive_json(timeout=10)
        subscribe(socket, ["stock:WH1"], items=["PEN"])
        moved(client, worker, "PEN", 2, "B1", "CUSTOMER")
        poke, stock = socket.receive_json(timeout=10), socket.receive_json(timeout=10)
        assert poke == {"type": "poke", "scope": "stock:WH1", "cursor": poke["cursor"]}
        assert stock == {"type": "stock", "scope": "stock:WH1", "sku": "PEN", "warehouse": "WH1", "qty": "7", "reserved": "0",
                         "available": "3", "cursor": poke["cursor"]}


def test_sockets_of_one_process_share_one_subscription_per_scope_and_each_gets_the_poke(client, worker, world):
    from sync.live import hub_of

    hub = hub_of(client.app)
    with client.websocket_connect(WS, headers=worker) as first, client.websocket_connect(WS, headers=worker) as second:
        for socket in (first, second):
            socket.receive_json(timeout=10)
            subscribe(socket, ["wh:WH1"])
        assert len(hub.sockets["wh:WH1"]) == 2 and len(hub._subscribers) == 1
        moved(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
        assert first.receive_json(timeout=10)["cursor"] == second.receive_json(timeout=10)["cursor"]
        subscribe(first, ["wh:WH2"])  # moves on: the other socket keeps the scope
        moved(client, worker, "PEN", 1, "B1", "B2")
        assert second.receive_json(timeout=10)["type"] == "poke"
        assert set(hub.sockets) == {"wh:WH1", "wh:WH2"}
    deadline = time.monotonic() + 10
    while hub.sockets and time.monotonic() < deadline:  # both closed: the process listens to neither scope
        time.sleep(0.05)
    assert hub.sockets == {} and hub._subscribers == {}


def test_a_pushed_operation_pokes_too(client, worker, world):
    with client.websocket_connect(WS, headers=worker) as socket:
        socket.receive_json(timeout=10)
        subscribe(socket, ["wh:WH1"], items=["PEN"])
        op = {"op_id": f"op-{uuid.uuid4()}", "seq": 1, "type": "stock.move",
              "payload": {"sku": "PEN", "qty": "4", "from": "SUPPLIER", "to": "B1", "unit_cost": "1"}}
        answer = client.post("/api/v1/sync/push", headers=worker, json={
            "client_id": "phone-live-0001", "device_time": dt.datetime.now(dt.UTC).isoformat(), "schema_version": 1, "ops": [op]}).json()
        assert answer["results"][0]["status"] == "applied"
        poke = socket.receive_json(timeout=10)
        assert poke["type"] == "poke" and version_of(answer["cursor"]) >= version_of(poke["cursor"])
        assert socket.receive_json(timeout=10)["qty"] == "4"


def test_only_committed_transactions_publish(db, world):
    published: list[list[object]] = []
    db.commit_listeners.append(published.append)
    with pytest.raises(RuntimeError), db.write() as session:
        move(session, SYSTEM, sku="PEN", qty=9, source="SUPPLIER", target="B1", unit_cost=1)
        raise RuntimeError("the business action failed after moving")
    assert published == []
    with db.write() as session:
        move(session, SYSTEM, sku="PEN", qty=2, source="SUPPLIER", target="B1", unit_cost=1)
        session.flush()
        assert published == []  # not before the commit
    [events] = published
    by_channel = {e.channel: e.data for e in events if isinstance(e, LiveEvent) and e.channel.startswith("sync:")}
    assert sorted(by_channel) == ["sync:stock:WH1", "sync:wh:WH1"]  # the bin's balance, and the item's stock in the warehouse
    assert by_channel["sync:wh:WH1"] == {"scope": "wh:WH1", "cursor": by_channel["sync:wh:WH1"]["cursor"], "stock": [
        {"sku": "PEN", "location": "B1", "lot": None, "qty": "2", "reserved": "0", "available": "2"}]}
    assert by_channel["sync:stock:WH1"] == {"scope": "stock:WH1", "cursor": by_channel["sync:wh:WH1"]["cursor"], "stock": [
        {"sku": "PEN", "warehouse": "WH1", "qty": "2", "reserved": "0", "available": "2"}]}


def test_a_rolled_back_move_never_reaches_the_websocket(client, worker, db, world):
    with client.websocket_connect(WS, headers=worker) as socket:
        socket.receive_json(timeout=10)
        subscribe(socket, ["wh:WH1"], items=["PEN"])
        with pytest.raises(RuntimeError), db.write() as session:
            move(session, SYSTEM, sku="PEN", qty=9, source="SUPPLIER", target="B1", unit_cost=1)
            raise RuntimeError("rolled back")
        moved(client, worker, "PEN", 2, "SUPPLIER", "B1", unit_cost="1")
        poke, stock = socket.receive_json(timeout=10), socket.receive_json(timeout=10)
        assert poke["type"] == "poke" and stock["qty"] == "2"  # the rolled-back 9 never showed


def test_a_scope_the_user_may_not_see_is_refused_and_not_subscribed(client, world, as_role):
    limited = as_role("warehouse", ("WH2",))
    anywhere = as_role("warehouse")
    with client.websocket_connect(WS, headers=limited) as socket:
        socket.receive_json(timeout=10)
        socket.send_json({"type": "subscribe", "scopes": ["wh:WH1", "wh:WH2", "everything"], "items": ["PEN"]})
        refused, malformed, subscribed = (socket.receive_json(timeout=10) for _ in range(3))
        assert refused["type"] == "error" and refused["error"] == "scope_not_allowed" and refused["scope"] == "wh:WH1" and refused["message"]
        assert malformed["error"] == "unknown_scope" and malformed["scope"] == "everything"
        assert subscribed["scopes"] == ["wh:WH2"]
        moved(client, anywhere, "PEN", 1, "SUPPLIER", "B1", unit_cost="1")  # WH1: published first, must not arrive
        moved(client, anywhere, "PEN", 1, "SUPPLIER", "W2-B1", unit_cost="1")
        poke = socket.receive_json(timeout=10)
        assert poke["scope"] == "wh:WH2"
        assert socket.receive_json(timeout=10)["location"] == "W2-B1"

        # A message that is not a subscription is answered, and the socket stays open.
        socket.send_text("hello")
        assert socket.receive_json(timeout=10)["error"] == "invalid_request"
        socket.send_json({"type": "subscribe", "scopes": ["wh:WH2"], "colour": "blue"})
        assert socket.receive_json(timeout=10)["error"] == "invalid_request"
        assert subscribe(socket, [])["scopes"] == []


def test_the_websocket_refuses_anyone_not_signed_in(client, world):
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(WS, headers=headers) as socket:
            socket.receive_json(timeout=10)
        assert refused.value.code == 4401


def test_a_browser_uses_its_session_cookie_from_our_own_pages_only(client, db, world):
    add_user(db, "wang", ["warehouse"])
    assert client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}).status_code == 200
    with client.websocket_connect(WS, headers={"Origin": "http://testserver.local", "Host": "testserver.local"}) as socket:
        assert socket.receive_json(timeout=10)["type"] == "ready"
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(WS, headers={"Origin": "https://evil.example"}) as socket:
        socket.receive_json(timeout=10)
    assert refused.value.code == 4403


def test_the_open_socket_follows_the_users_session_and_warehouses(client, db, world, monkeypatch):
    import sync.live

    monkeypatch.setattr(sync.live, "SESSION_RECHECK_SECONDS", 0.2)
    add_user(db, "wang", ["warehouse"], ["WH1", "WH2"])
    headers = sign_in(client, "wang")
    with client.websocket_connect(WS, headers=headers) as socket:
        socket.receive_json(timeout=10)
        assert subscribe(socket, ["wh:WH1", "wh:WH2"])["scopes"] == ["wh:WH1", "wh:WH2"]
        with db.write() as session:  # moved to WH2 only
            session.execute(update(User).where(User.username == "wang").values(warehouse_ids=[warehouse_id(db, "WH2")]))
        assert socket.receive_json(timeout=10) == {"type": "reset_required", "scopes": ["wh:WH1"]}
        moved(client, sign_in(client, "wang"), "PEN", 1, "SUPPLIER", "W2-B1", unit_cost="1")
        assert socket.receive_json(timeout=10)["scope"] == "wh:WH2"  # still subscribed to what is left
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                socket.receive_json(timeout=10)
    assert closed.value.code == 4401


# Between server processes, through Redis ---------------------------------------------------------


def test_a_move_on_one_server_pokes_a_websocket_on_another(db, world, tmp_path):
    require_redis()
    # Two processes' worth of app: own Database objects on the one database, one Redis; a fresh prefix keeps parallel runs apart.
    settings = Settings(data_dir=tmp_path, database_url=None, redis_url=REDIS_URL, redis_prefix=f"cangku-test-{uuid.uuid4().hex}")
    other_db, cli_db = open_database(db.url), open_database(db.url)
    cli_db.commit_listeners.append(redis_publisher(settings))  # type: ignore[arg-type]  # what `cangku jobs run` does
    add_user(db, "wang", ["warehouse"])
    try:
        with TestClient(create_app(settings, db)) as server_a, TestClient(create_app(settings, other_db)) as server_b:
            headers = sign_in(server_a, "wang")
            with server_b.websocket_connect(WS, headers=headers) as socket:
                assert socket.receive_json(timeout=10)["type"] == "ready"
                subscribe(socket, ["wh:WH1"], items=["PEN"])
                wait_until_subscribed(settings, "sync:wh:WH1")
                moved(server_a, headers, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")  # committed on server A: A publishes it
                poke, stock = socket.receive_json(timeout=10), socket.receive_json(timeout=10)
                assert poke["type"] == "poke" and poke["scope"] == "wh:WH1"
                assert (stock["type"], stock["location"], stock["qty"]) == ("stock", "B1", "5")
                assert [c["data"]["qty"] for c in pull(server_b, headers, cursor=poke["cursor"])["changes"]] == ["5"]
                with cli_db.write() as session:  # no app at all: published straight to Redis
                    move(session, SYSTEM, sku="PEN", qty=1, source="B1", target="CUSTOMER")
                assert socket.receive_json(timeout=10)["type"] == "poke"
                assert socket.receive_json(timeout=10)["qty"] == "4"
    finally:
        other_db.dispose()
        cli_db.dispose()


def server_process(database_url: str, settings: Settings, data_dir: Path) -> ServedProcess:
    """`cangku serve` on the test database in a process of its own, with the test's Redis settings."""
    return ServedProcess(data_dir, "--database-url", database_url,
                         env={"CANGKU_REDIS_URL": settings.redis_url or "", "CANGKU_REDIS_PREFIX": settings.redis_prefix,
                              "CANGKU_DATA_DIR": str(data_dir), "CANGKU_SCHEDULER": "false", "CANGKU_DATABASE_URL": None})


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_server_processes_on_one_postgresql_share_pokes_through_redis(db, world, tmp_path):
    import httpx
    from websockets.sync.client import connect

    require_redis()
    settings = Settings(data_dir=tmp_path, database_url=None, redis_url=REDIS_URL, redis_prefix=f"cangku-test-{uuid.uuid4().hex}")
    add_user(db, "wang", ["warehouse"])
    a = server_process(db.url, settings, tmp_path)
    try:
        a.wait_healthy(timeout=60)  # one at a time: each migrates (a no-op) on start
        b = server_process(db.url, settings, tmp_path)
        try:
            b.wait_healthy(timeout=60)
            token = httpx.post(f"{a.url}/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            with connect(f"ws://127.0.0.1:{b.port}{WS}", additional_headers=headers, open_timeout=10) as socket:
                import json

                assert json.loads(socket.recv(timeout=10))["type"] == "ready"
                socket.send(json.dumps({"type": "subscribe", "scopes": ["wh:WH1"], "items": ["PEN"]}))
                assert json.loads(socket.recv(timeout=10))["type"] == "subscribed"
                wait_until_subscribed(settings, "sync:wh:WH1")
                response = httpx.post(f"{a.url}/api/v1/stock/moves", headers=headers,
                                      json={"sku": "PEN", "qty": "7", "from": "SUPPLIER", "to": "B1", "unit_cost": "1"})
                assert response.status_code == 201, response.text
                poke, stock = json.loads(socket.recv(timeout=10)), json.loads(socket.recv(timeout=10))
                assert poke["type"] == "poke" and poke["scope"] == "wh:WH1"
                assert (stock["type"], stock["sku"], stock["location"], stock["qty"]) == ("stock", "PEN", "B1", "7")
                page = httpx.get(f"{b.url}/api/v1/sync/pull", headers=headers, params={"scope": "wh:WH1", "cursor": poke["cursor"]}).json()
                assert [c["data"]["qty"] for c in page["changes"]] == ["7"]
        finally:
            b.stop()
    finally:
        a.stop()


def test_a_backlog_of_events_reaches_a_slow_socket_as_one_poke_per_scope_and_the_newest_stock():
    """A socket that cannot keep up (a phone on a weak signal, a busy server) is sent the state, not every step to it."""
    import json

    import anyio

    from sync.live import Watch, _Socket

    class SlowSocket:  # what the server writes to the phone
        def __init__(self) -> None:
            self.sent: list[dict] = []

        async def send_text(self, text: str) -> None:
            self.sent.append(json.loads(text))

    async def main() -> list[dict]:
        socket = SlowSocket()
        live = _Socket(socket, None)  # type: ignore[arg-type]
        await live.subscribe(Watch(scopes=("wh:WH1", "wh:WH2"), items=frozenset({"PEN", "MILK"})))
        for n in range(1, 51):  # fifty commits come in before the socket gets a turn
            balance = {"sku": "PEN", "location": "B1", "warehouse": "WH1", "lot": None, "qty": str(n)}
            other = {"sku": "MILK", "location": "B2", "warehouse": "WH1", "lot": "L1", "qty": "1"}
            live.offer({"scope": "wh:WH1", "cursor": f"{n}.0", "stock": [balance] + ([other] if n == 3 else [])})
        live.offer({"scope": "wh:WH2", "cursor": "51.0", "stock": []})
        live.offer({"scope": "wh:WH3", "cursor": "52.0", "stock": []})  # not subscribed
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(live.forward)
            await anyio.sleep(0.1)
            tasks.cancel_scope.cancel()
        return socket.sent

    sent = anyio.run(main, backend="asyncio")
    assert [(m["type"], m["scope"], m["cursor"]) for m in sent if m["type"] == "poke"] == [("poke", "wh:WH1", "50.0"), ("poke", "wh:WH2", "51.0")]
    stock = sorted((m["sku"], m["qty"], m["cursor"]) for m in sent if m["type"] == "stock")
    assert stock == [("MILK", "1", "3.0"), ("PEN", "50", "50.0")]  # the newest of each balance, with its own cursor


def test_a_busy_warehouse_pokes_each_socket_a_few_times_a_second_not_once_per_commit():
    import time as clock

    import anyio
    import msgspec

    from sync.live import POKE_INTERVAL, Watch, _Socket

    class Phone:
        def __init__(self) -> None:
            self.pokes: list[tuple[float, str]] = []

        async def send_text(self, text: str) -> None:
            self.pokes.append((clock.monotonic(), msgspec.json.decode(text)["cursor"]))

    async def main() -> tuple[list[tuple[float, str]], float]:
        phone = Phone()
        live = _Socket(phone, None)  # type: ignore[arg-type]
        await live.subscribe(Watch(scopes=("wh:WH1",)))
        started = clock.monotonic()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(live.forward)
            for n in range(1, 61):  # sixty commits in about 1.2 s
                live.offer({"scope": "wh:WH1", "cursor": f"{n}.0"})
                await anyio.sleep(0.02)
            await anyio.sleep(POKE_INTERVAL * 2)
            tasks.cancel_scope.cancel()
        return phone.pokes, started

    pokes, started = anyio.run(main, backend="asyncio")
    assert pokes[0][1] == "1.0" and pokes[0][0] - started < 0.1  # the first one at once
    assert pokes[-1][1] == "60.0"  # and the last state arrives
    assert len(pokes) <= 1.3 / POKE_INTERVAL + 2, pokes  # not sixty
    assert all(b[0] - a[0] >= POKE_INTERVAL * 0.9 for a, b in zip(pokes, pokes[1:], strict=False))
