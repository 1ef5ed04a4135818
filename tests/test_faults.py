"""When parts fail: a server process killed under sync load, Redis restarted, PostgreSQL gone and back, SQLite's disk
full. What Cangku promises must still hold: no operation lost or doubled, live pokes resume and pulls cover what was
missed, requests fail fast with a clear answer and recover, and nothing is half-written."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.check import check_ledger
from server.db import Database
from server.inventory.models import Move
from server.settings import Settings
from server.testing import free_port
from server.wiring import open_database
from sync.client import SyncClient
from tests.conftest import REDIS_URL, fill_disk, require_redis, small_disk, unavailable
from tests.helpers import PASSWORD, add_user
from tests.test_sync_live import server_process

WS = "/api/v1/sync/ws"


def on_hand(db: Database, sku: str, location: str) -> Decimal:
    """What the ledger holds of `sku` in `location`, all lots together (the service's balance look-up)."""
    from server.inventory.services import balances

    with db.read() as session:
        rows, _ = balances(session, sku=sku, location=location)
    return sum((row.qty for row in rows), Decimal(0))


class Balancer:
    """What a load balancer does for a client: requests go round the servers; one that does not answer is taken out
    and the request goes to the next (the client cannot tell whether the first one applied it)."""

    def __init__(self, urls: list[str]) -> None:
        self.clients = [httpx.Client(base_url=url, timeout=30) for url in urls]
        self.down: set[int] = set()
        self.turn = 0
        self.failovers = 0

    def _send(self, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
        for _ in range(2 * len(self.clients)):
            index = self.turn % len(self.clients)
            self.turn += 1
            if index in self.down:
                continue
            try:
                return self.clients[index].request(method, path, **kwargs)
            except httpx.TransportError:
                self.down.add(index)
                self.failovers += 1
        raise httpx.ConnectError("no server answers")

    def get(self, path: str, **kwargs):  # type: ignore[no-untyped-def]
        return self._send("GET", path, **kwargs)

    def post(self, path: str, **kwargs):  # type: ignore[no-untyped-def]
        return self._send("POST", path, **kwargs)

    def close(self) -> None:
        for client in self.clients:
            client.close()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_killing_one_of_two_servers_under_sync_load_loses_and_doubles_no_operation(db, world, tmp_path):
    require_redis()
    settings = Settings(data_dir=tmp_path, database_url=None, redis_url=REDIS_URL, redis_prefix=f"cangku-test-{uuid.uuid4().hex}")
    phones, ops_each = 6, 30
    for n in range(phones):
        add_user(db, f"picker{n}", ["warehouse"])
    a, b = server_process(db.url, settings, tmp_path), server_process(db.url, settings, tmp_path)
    balancers: list[Balancer] = []
    try:
        a.wait_healthy(timeout=60)
        b.wait_healthy(timeout=60)
        started = threading.Barrier(phones + 1)
        errors: list[BaseException] = []
        clients: list[SyncClient] = []

        def phone(n: int) -> None:
            try:
                balancer = Balancer([a.url, b.url])
                balancers.append(balancer)
                client = SyncClient(balancer, batch_size=3)
                client.login(f"picker{n}", PASSWORD)
                clients.append(client)
                for _ in range(ops_each):
                    client.move("PEN", 1, "SUPPLIER", "B1", unit_cost="1")
                started.wait(timeout=60)
                while client.pending():
                    try:
                        client.push()
                    except httpx.TransportError:
                        time.sleep(0.05)  # both out of reach for a moment: the outbox keeps them
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=phone, args=(n,)) for n in range(phones)]
        for thread in threads:
            thread.start()
        started.wait(timeout=60)
        time.sleep(0.3)  # the load is running
        a.process.kill()  # no goodbye: SIGKILL in the middle of pushes
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        assert all(not t.is_alive() for t in threads)
        assert sum(bal.failovers for bal in balancers) >= 1  # some phone really was talking to the killed one
        for client in clients:
            assert len(client.results) == ops_each and {r["status"] for r in client.results.values()} == {"applied"}
        with db.read() as session:
            op_ids = [op_id for (op_id,) in session.execute(select(Move.op_id).where(Move.op_id.is_not(None)))]
            assert len(op_ids) == len(set(op_ids)) == phones * ops_each  # each applied once: none lost, none doubled
            assert check_ledger(session).ok
        assert on_hand(db, "PEN", "B1") == phones * ops_each
    finally:
        for balancer in balancers:
            balancer.close()
        a.stop()
        b.stop()


class RedisServer:
    """A Redis of the test's own (the shared one is left alone), which the test can stop and start again."""

    def __init__(self, tmp_path: Path) -> None:
        if shutil.which("redis-server") is None:
            unavailable("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                         "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def listen(port: int, token: str, messages: list[dict], stop: threading.Event) -> None:
    """A phone's websocket to one server, reconnecting as the app does, keeping what it hears."""
    from websockets.sync.client import connect

    while not stop.is_set():
        try:
            with connect(f"ws://127.0.0.1:{port}{WS}", additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=5) as socket_:
                socket_.send(json.dumps({"type": "subscribe", "scopes": ["wh:WH1"]}))
                while not stop.is_set():
                    try:
                        messages.append(json.loads(socket_.recv(timeout=0.5)))
                    except TimeoutError:
                        continue
        except Exception:  # noqa: BLE001 - closed or refused: try again, like the app
            messages.append({"type": "closed"})
            time.sleep(0.5)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_after_redis_restarts_pokes_resume_and_a_pull_covers_what_was_missed(db, world, tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    settings = Settings(data_dir=tmp_path, database_url=None, redis_url=redis.url, redis_prefix="cangku")
    add_user(db, "wang", ["warehouse"])
    a, b = server_process(db.url, settings, tmp_path), server_process(db.url, settings, tmp_path)
    stop = threading.Event()
    try:
        a.wait_healthy(timeout=60)
        b.wait_healthy(timeout=60)
        token = httpx.post(f"{a.url}/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        messages: list[dict] = []
        listener = threading.Thread(target=listen, args=(b.port, token, messages, stop), daemon=True)
        listener.start()

        def move(qty: int) -> httpx.Response:
            return httpx.post(f"{a.url}/api/v1/stock/moves", headers=headers, timeout=30,
                              json={"sku": "PEN", "qty": str(qty), "from": "SUPPLIER", "to": "B1", "unit_cost": "1"})

        def poked_since(count: int, seconds: float = 15) -> bool:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if any(m.get("type") == "poke" for m in messages[count:]):
                    return True
                time.sleep(0.1)
            return False

        deadline = time.monotonic() + 15
        while not any(m.get("type") == "subscribed" for m in messages):
            assert time.monotonic() < deadline, messages
            time.sleep(0.05)
        before = httpx.get(f"{b.url}/api/v1/sync/pull", headers=headers, params={"scope": "wh:WH1"}).json()["cursor"]
        seen = len(messages)
        assert move(1).status_code == 201
        assert poked_since(seen)

        redis.stop()
        missed = move(2)  # Redis is down: the move is still taken, only its poke cannot go out
        assert missed.status_code == 201, missed.text
        redis.start()
        time.sleep(1)
        # Pokes resume: a move after the restart reaches the phone (on its old socket or one it opened again).
        for _ in range(20):
            seen = len(messages)
            assert move(3).status_code == 201
            if poked_since(seen, 3):
                break
        else:
            raise AssertionError(f"no poke after Redis came back: {messages[-5:]}")
        # And the pull from before the outage brings everything, the move whose poke was lost included.
        page = httpx.get(f"{b.url}/api/v1/sync/pull", headers=headers, params={"scope": "wh:WH1", "cursor": before}).json()
        assert page["changes"] and Decimal(page["changes"][-1]["data"]["qty"]) == on_hand(db, "PEN", "B1")
        assert on_hand(db, "PEN", "B1") >= 6
    finally:
        stop.set()
        a.stop()
        b.stop()
        redis.stop()


class Outage:
    """A TCP relay standing in for the network to PostgreSQL: `cut()` drops every connection and refuses new ones
    (as a stopped server does), `restore()` lets them through again."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.pairs: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        if self.listener is not None:
            try:
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close() alone would not
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        with self.lock:
            for end in self.pairs:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                    end.close()
                except OSError:
                    pass
            self.pairs = []


@pytest.mark.parametrize("backend", ["postgresql"])
def test_while_postgresql_is_gone_requests_fail_fast_with_503_and_work_again_when_it_returns(db, world, tmp_path):
    from sqlalchemy.engine import make_url

    url = make_url(db.url)
    outage = Outage(url.port or 5432)
    add_user(db, "wang", ["warehouse"])
    server = server_process(url.set(host="127.0.0.1", port=outage.port).render_as_string(hide_password=False),
                           Settings(data_dir=tmp_path, database_url=None), tmp_path)
    try:
        server.wait_healthy(timeout=60)
        http = httpx.Client(base_url=server.url, timeout=30)
        token = http.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
        body = {"sku": "PEN", "qty": "5", "from": "SUPPLIER", "to": "B1", "unit_cost": "1"}
        assert http.post("/api/v1/stock/moves", headers=headers, json=body).status_code == 201

        outage.cut()
        for attempt in range(3):
            started = time.monotonic()
            answer = http.post("/api/v1/stock/moves", headers=headers, json={**body, "qty": "7"})
            took = time.monotonic() - started
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"] == "database_unavailable" and "nothing was written" in answer.json()["message"]
            assert took < 10, f"attempt {attempt} took {took:.1f} s"  # fails fast, does not hang the phone
            assert answer.headers.get("retry-after")
        assert http.get("/api/v1/stock/balances", headers=headers, params={"sku": "PEN"}).status_code == 503

        outage.restore()
        deadline = time.monotonic() + 20
        while (answer := http.post("/api/v1/stock/moves", headers=headers, json={**body, "qty": "2"})).status_code == 503:
            assert time.monotonic() < deadline, "the server did not recover"
            time.sleep(0.5)
        assert answer.status_code == 201, answer.text
        http.close()
    finally:
        server.stop()
        outage.cut()
    assert on_hand(db, "PEN", "B1") == 7  # 5 before, 2 after; the 7s tried during the outage wrote nothing
    with db.read() as session:
        assert check_ledger(session).ok


def test_a_full_disk_gives_sqlite_users_a_clear_error_and_the_database_stays_sound(tmp_path):
    from litestar.testing import TestClient

    from server.app import create_app
    from tests.helpers import post_move, sign_in

    with small_disk(tmp_path / "disk") as disk:
        settings = Settings(data_dir=disk, database_url=f"sqlite:///{disk / 'cangku.db'}")
        db = open_database(settings.database_url)
        try:
            from server.migrate import prepare
            from tests.conftest import build_world

            prepare(db)
            build_world(db)
            add_user(db, "wang", ["warehouse"])
            with TestClient(create_app(settings, db)) as client:
                headers = {**sign_in(client, "wang"), "Accept-Language": "en"}
                assert post_move(client, headers, "PEN", 5, "SUPPLIER", "B1", unit_cost="1").status_code == 201
                filler = disk / "filler"
                fill_disk(filler)
                statuses = []
                for _ in range(200):
                    answer = post_move(client, headers, "PEN", 1, "B1", "B2")
                    statuses.append(answer.status_code)
                    if answer.status_code != 201:
                        break
                assert answer.status_code == 507, answer.text
                assert answer.json()["error"] == "disk_full" and "disk" in answer.json()["message"]
                moved = statuses.count(201)
                filler.unlink()
                assert post_move(client, headers, "PEN", 1, "B1", "B2").status_code == 201  # space again: work goes on
        finally:
            db.dispose()
        reopened = open_database(settings.database_url)
        try:
            with reopened.read() as session:
                assert check_ledger(session).ok
            assert on_hand(reopened, "PEN", "B2") == moved + 1 and on_hand(reopened, "PEN", "B1") == 5 - moved - 1
        finally:
            reopened.dispose()
