"""Property-based: phones that go offline, queue stock moves, lose answers, restart and come back keep the sync promises.

Three devices of two warehouse users (one user has two phones) queue receipts, transfers and shipments
offline, push with answers lost on the way back, pull with small pages, restart from their state
files, while a clerk posts moves straight through REST and picker2 is sent to another warehouse and
back (a pull of WH1 then answers reset_required, and the phone drops that slice). After every step: the ledger holds
(`check_ledger`), each op was applied at most once and has one result that never changes, each
client's op log is seqs 1..last_seq in the order the device queued them, and a device that has just
pulled sees exactly the server's balances of its warehouse (no committed change skipped by a cursor).
After everyone is online and has pushed and pulled, every device sees the server's balances, and so does
a new phone that pulls everything one change per page.

Plain scenarios of the client follow: a restart, reset_required, a stale state file, a damaged outbox,
and following the websocket's pokes (through the test client and through `websockets` on a live server).
"""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from litestar.testing import TestClient
from sqlalchemy import func, select

from server.app import create_app
from server.check import check_ledger
from server.inventory.models import Move
from server.settings import Settings
from sync.client import SyncClient
from sync.models import SyncClient as ClientRow
from sync.models import SyncOp
from tests.helpers import PASSWORD, add_user

SCOPE = "wh:WH1"
BINS = ["B1", "B2", "B3", "QC"]
STOCK = [("PEN", None), ("MILK", "L1"), ("RICE", None)]
DEVICES = [("picker1", "phone-a"), ("picker2", "phone-b"), ("picker1", "phone-c")]  # picker1 carries two phones


def quantities(sku: str) -> st.SearchStrategy[Decimal]:
    if sku == "RICE":
        return st.decimals(min_value=Decimal("0.001"), max_value=Decimal("12"), places=3)
    return st.integers(min_value=1, max_value=8).map(Decimal)


class Link:
    """A device's network: it can be down (nothing is sent) or lose the next answer (sent and applied, never heard back)."""

    def __init__(self, http: TestClient) -> None:
        self.http = http
        self.online = True
        self.lose_next = False
        self.lost: list[dict[str, Any]] = []  # answers that never reached the device

    def _deliver(self, response: httpx.Response) -> httpx.Response:
        if self.lose_next:
            self.lose_next = False
            self.lost.append(response.json())
            raise httpx.ReadError("the answer was lost on the way back")
        return response

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        if not self.online:
            raise httpx.ConnectError("offline")
        return self._deliver(self.http.post(url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        if not self.online:
            raise httpx.ConnectError("offline")
        return self._deliver(self.http.get(url, **kwargs))


def server_balances(http: TestClient, headers: dict[str, str]) -> dict[tuple[str, str, str | None], tuple[Decimal, Decimal, Decimal]]:
    response = http.get("/api/v1/stock/balances", headers=headers, params={"warehouse": "WH1", "include_zero": "true", "limit": 500})
    assert response.status_code == 200, response.text
    return {(r["sku"], r["location"], r["lot"]): (Decimal(r["qty"]), Decimal(r["reserved"]), Decimal(r["available"])) for r in response.json()["items"]}


def device_balances(client: SyncClient) -> dict[tuple[str, str, str | None], tuple[Decimal, Decimal, Decimal]]:
    return {k: (Decimal(d["qty"]), Decimal(d["reserved"]), Decimal(d["available"])) for k, d in client.balances(SCOPE).items()}


def sync_machine(make_world, tmp_path: Path):  # type: ignore[no-untyped-def]
    examples = itertools.count()

    class Devices(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = make_world()
            self.http = TestClient(create_app(Settings(data_dir=tmp_path, database_url=None), self.db))
            self.http.__enter__()
            add_user(self.db, "picker1", ["warehouse"])
            add_user(self.db, "picker2", ["warehouse"], ["WH1"])
            add_user(self.db, "clerk", ["warehouse"])
            self.clerk = self._sign_in("clerk")
            home = tmp_path / f"example-{next(examples)}"
            self.links: list[Link] = []
            self.paths: list[Path] = []
            self.tokens: list[str] = []
            self.clients: list[SyncClient] = []
            for username, name in DEVICES:
                link = Link(self.http)
                client = SyncClient(link, client_id=f"{name}-{uuid.uuid4().hex[:8]}", state_path=home / f"{name}.json")
                client.login(username, PASSWORD)
                self.http.cookies.clear()  # the devices speak Bearer
                self.links.append(link)
                self.paths.append(home / f"{name}.json")
                self.tokens.append(client.token)  # type: ignore[arg-type]
                self.clients.append(client)
            self.queued: list[list[str]] = [[] for _ in DEVICES]  # per device: op ids in the order the user acted
            self.results: dict[str, dict[str, Any]] = {}  # op id -> the first result any answer carried
            self.rest_posted = 0  # moves the clerk posted
            self.picker2_in_wh1 = True

        def teardown(self) -> None:
            try:
                self.settle()
                # A new phone pulling everything one change per page sees the same: no page boundary loses a change.
                newcomer = SyncClient(self.http, token=self.tokens[1])
                newcomer.pull([SCOPE], limit=1)
                assert device_balances(newcomer) == server_balances(self.http, self.clerk)
            finally:
                self.http.__exit__(None, None, None)

        def _sign_in(self, username: str) -> dict[str, str]:
            response = self.http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.text
            self.http.cookies.clear()
            return {"Authorization": f"Bearer {response.json()['token']}"}

        def _note(self, results: list[dict[str, Any]]) -> None:
            for result in results:
                event(f"result: {result['status']}" + (" (repeat)" if result["op_id"] in self.results else ""))
                first = self.results.setdefault(result["op_id"], result)
                assert result == first, ("a resent op got another result", first, result)

        def _queue(self, device: int, sku: str, lot: str | None, qty: Decimal, source: str, target: str) -> None:
            op = self.clients[device].move(sku, qty, source, target, **({"lot": lot} if lot else {}), **({"unit_cost": "2.5"} if source == "SUPPLIER" else {}))
            self.queued[device].append(op.op_id)

        # -- what the users do ------------------------------------------------------------------------

        @rule(device=st.integers(0, len(DEVICES) - 1), stock=st.sampled_from(STOCK), bin=st.sampled_from(BINS), data=st.data())
        def receive(self, device: int, stock: tuple[str, str | None], bin: str, data: st.DataObject) -> None:
            self._queue(device, stock[0], stock[1], data.draw(quantities(stock[0])), "SUPPLIER", bin)

        @rule(device=st.integers(0, len(DEVICES) - 1), stock=st.sampled_from(STOCK), source=st.sampled_from(BINS),
              to_bin=st.sampled_from(BINS), data=st.data())
        def transfer(self, device: int, stock: tuple[str, str | None], source: str, to_bin: str, data: st.DataObject) -> None:
            if source != to_bin:
                self._queue(device, stock[0], stock[1], data.draw(quantities(stock[0])), source, to_bin)

        @rule(device=st.integers(0, len(DEVICES) - 1), stock=st.sampled_from(STOCK), bin=st.sampled_from(BINS), data=st.data())
        def ship(self, device: int, stock: tuple[str, str | None], bin: str, data: st.DataObject) -> None:
            self._queue(device, stock[0], stock[1], data.draw(quantities(stock[0])), bin, "CUSTOMER")

        @rule(stock=st.sampled_from(STOCK), source=st.sampled_from(["SUPPLIER", *BINS]), destination=st.sampled_from([*BINS, "CUSTOMER"]),
              lose=st.booleans(), data=st.data())
        def clerk_posts(self, stock: tuple[str, str | None], source: str, destination: str, lose: bool, data: st.DataObject) -> None:
            """A direct REST write while the phones work; a lost answer is retried with the same key."""
            if source == destination:
                return
            body = {"sku": stock[0], "qty": str(data.draw(quantities(stock[0]))), "from": source, "to": destination, **({"lot": stock[1]} if stock[1] else {})}
            headers = {**self.clerk, "Idempotency-Key": f"rest-{uuid.uuid4()}"}
            first = self.http.post("/api/v1/stock/moves", json=body, headers=headers)
            assert first.status_code in (201, 409), first.text
            if lose:
                again = self.http.post("/api/v1/stock/moves", json=body, headers=headers)
                # The same answer; an error names its own request (request_id), which is a new one for the retry.
                answers = [answer.json() for answer in (first, again)]
                if first.status_code >= 400:
                    assert all(answer.pop("request_id") for answer in answers)
                assert (again.status_code, answers[1]) == (first.status_code, answers[0])
            if first.status_code == 201:
                self.rest_posted += 1
            else:
                assert first.json()["error"] == "insufficient_stock", first.text

        # -- the network and the devices ----------------------------------------------------------------

        @initialize(online=st.lists(st.booleans(), min_size=len(DEVICES), max_size=len(DEVICES)))
        def start_in_the_aisles(self, online: list[bool]) -> None:
            """Some phones start out of reach of the network."""
            for link, up in zip(self.links, online, strict=True):
                link.online = up

        @rule(device=st.integers(0, len(DEVICES) - 1), online=st.booleans())
        def network(self, device: int, online: bool) -> None:
            self.links[device].online = online

        @rule(device=st.integers(0, len(DEVICES) - 1), lose=st.booleans(), limit=st.sampled_from([1, 3, 100]))
        def push(self, device: int, lose: bool, limit: int) -> None:
            client, link = self.clients[device], self.links[device]
            before = [(op.op_id, op.seq) for op in client.outbox]
            link.lose_next = lose
            try:
                report = client.push(limit=limit)
            except httpx.TransportError:
                assert not link.online or lose
                link.lose_next = False
                assert [(op.op_id, op.seq) for op in client.outbox] == before  # nothing forgotten, nothing renumbered
                if lose and link.lost:
                    self._note(link.lost.pop()["results"])
                return
            assert link.online and not lose
            self._note(report.results)
            assert report.resend_from is None and report.renumbered_from is None, report
            answered = {r["op_id"] for r in report.results}
            assert [op for op, _ in before if op not in answered] == [op.op_id for op in client.outbox]
            assert all(client.results[op_id] == self.results[op_id] for op_id in answered)

        @rule(device=st.integers(0, len(DEVICES) - 1), limit=st.sampled_from([1, 2, 1000]))
        def pull(self, device: int, limit: int) -> None:
            client = self.clients[device]
            try:
                report = client.pull([SCOPE], limit=limit)
            except httpx.TransportError:
                assert not self.links[device].online
                return
            if not self._may_see(device):
                assert report.refused == [SCOPE] and client.balances(SCOPE) == {} and SCOPE not in client.cursors
                return
            assert report.refused == [] and report.reset == []
            # Nothing commits while this machine pulls: the view is the server's state, nothing skipped.
            assert device_balances(client) == server_balances(self.http, self.clerk)

        @rule(warehouses=st.sampled_from([("WH2",), ("WH1", "WH2"), ("WH1",)]))
        def reassign(self, warehouses: tuple[str, ...]) -> None:
            """picker2 is sent to another warehouse (and back): a pull of WH1 then answers reset_required."""
            self._assign_picker2(list(warehouses))

        def _assign_picker2(self, warehouses: list[str]) -> None:
            from server.auth.permissions import SYSTEM
            from server.auth.services import update_user

            with self.db.write() as session:
                update_user(session, SYSTEM, "picker2", warehouses=warehouses)
            self.picker2_in_wh1 = "WH1" in warehouses

        def _may_see(self, device: int) -> bool:
            return DEVICES[device][0] != "picker2" or self.picker2_in_wh1

        @rule(device=st.integers(0, len(DEVICES) - 1))
        def restart(self, device: int) -> None:
            """The app is killed and started again: everything comes back from its state file."""
            old = self.clients[device]
            new = SyncClient(self.links[device], state_path=self.paths[device], token=self.tokens[device])
            assert (new.client_id, new.next_seq, new.cursors, new.results) == (old.client_id, old.next_seq, old.cursors, old.results)
            assert [op.wire() for op in new.outbox] == [op.wire() for op in old.outbox] and new.view == old.view
            self.clients[device] = new

        @precondition(lambda self: any(c.outbox for c in self.clients) or not all(link.online for link in self.links) or not self.picker2_in_wh1)
        @rule()
        def settle(self) -> None:
            """Everyone back in WH1 and online, every outbox pushed, every device pulled: all see the server's balances."""
            if not self.picker2_in_wh1:
                self._assign_picker2(["WH1"])
            for link in self.links:
                link.online = True
            for client in self.clients:
                for report in client.push_all():
                    self._note(report.results)
                assert client.outbox == []
            expected = server_balances(self.http, self.clerk)
            for client in self.clients:
                client.pull([SCOPE])
                assert device_balances(client) == expected
            for device, op_ids in enumerate(self.queued):
                assert set(op_ids) <= set(self.clients[device].results)  # every op ends with its result

        # -- what must always hold -------------------------------------------------------------------------

        @invariant()
        def ledger_holds(self) -> None:
            with self.db.read() as session:
                report = check_ledger(session)
                assert report.ok, report.problems

        @invariant()
        def each_op_applied_at_most_once_with_one_stable_result(self) -> None:
            with self.db.read() as session:
                per_op = dict(session.execute(select(Move.op_id, func.count()).group_by(Move.op_id)).all())
                assert None not in per_op  # every move here came from an op or an idempotent REST call
                assert all(n == 1 for n in per_op.values()), {k: n for k, n in per_op.items() if n != 1}
                stored = {op.op_id: op for op in session.scalars(select(SyncOp))}
            assert {op.status for op in stored.values()} <= {"applied", "applied_with_exception", "rejected"}
            applied = {op_id for op_id, op in stored.items() if op.status in ("applied", "applied_with_exception")}
            # A shipment beyond the book is a physical fact: the shortfall is booked first, by a move of its own.
            gains = {f"{op_id}:gain" for op_id, op in stored.items() if op.status == "applied_with_exception"}
            assert {k for k in per_op if not k.startswith("rest-")} == applied | gains  # rejected ops moved nothing
            assert len(per_op) == len(applied) + len(gains) + self.rest_posted
            for op_id, first in self.results.items():
                assert stored[op_id].result == first  # what the device was told is what the server keeps
            for client in self.clients:
                for op_id, result in client.results.items():
                    assert result == self.results[op_id]

        @invariant()
        def each_clients_log_is_its_queue_in_order(self) -> None:
            with self.db.read() as session:
                rows = {row.client_id: row for row in session.scalars(select(ClientRow))}
                ops = session.execute(select(ClientRow.client_id, SyncOp.seq, SyncOp.op_id).join(ClientRow, SyncOp.client_id == ClientRow.id)).all()
            for device, client in enumerate(self.clients):
                row = rows.get(client.client_id)
                if row is None:
                    continue
                logged = sorted((seq, op_id) for cid, seq, op_id in ops if cid == client.client_id)
                assert [seq for seq, _ in logged] == list(range(1, row.last_seq + 1))
                assert [op_id for _, op_id in logged] == self.queued[device][: row.last_seq]

    return Devices


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_offline_phones_and_lost_answers_keep_the_sync_promises(backends, backend, tmp_path):
    from tests.conftest import build_world

    def make_world():  # type: ignore[no-untyped-def]
        return build_world(backends.fresh(backend))

    run_state_machine_as_test(
        sync_machine(make_world, tmp_path),
        settings=settings(max_examples=15, stateful_step_count=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )


# Plain scenarios of the client ------------------------------------------------------------------------


@pytest.fixture
def picker(client, world) -> str:  # type: ignore[no-untyped-def]
    add_user(world, "picker", ["warehouse"])
    return "picker"


def phone(client: TestClient, tmp_path: Path, **options: Any) -> SyncClient:
    sync = SyncClient(client, state_path=tmp_path / "phone.json", **options)
    if sync.token is None:
        sync.login("picker", PASSWORD)
    client.cookies.clear()
    return sync


def test_a_restarted_phone_keeps_its_outbox_numbering_and_cursor(client, picker, tmp_path):
    first = phone(client, tmp_path)
    first.move("PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    first.move("PEN", 2, "B1", "B2")
    first.push(limit=1)
    first.pull([SCOPE])
    again = SyncClient(client, state_path=tmp_path / "phone.json", token=first.token)
    assert again.client_id == first.client_id and again.next_seq == 3 and [op.seq for op in again.outbox] == [2]
    assert again.cursors == first.cursors and again.balances(SCOPE)[("PEN", "B1", None)]["qty"] == "5"
    again.move("PEN", 1, "B2", "CUSTOMER")
    assert [r.last_seq for r in again.push_all()] == [3]
    again.pull([SCOPE])
    assert {k[1]: v["qty"] for k, v in again.balances(SCOPE).items()} == {"B1": "3", "B2": "1"}


def test_a_scope_taken_away_is_dropped_and_refused(client, picker, world, tmp_path):
    from server.auth.permissions import SYSTEM
    from server.auth.services import update_user

    sync = phone(client, tmp_path)
    sync.move("PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    sync.move("PEN", 5, "SUPPLIER", "W2-B1", unit_cost="1")
    sync.push_all()
    report = sync.pull([SCOPE, "wh:WH2"])
    assert report.changes == 2 and set(sync.cursors) == {SCOPE, "wh:WH2"}
    with world.write() as session:
        update_user(session, SYSTEM, "picker", warehouses=["WH2"])  # moved to the other warehouse
    report = sync.pull([SCOPE, "wh:WH2"])
    assert report.reset == [SCOPE] and report.refused == [SCOPE]  # the answer named the scope taken away
    assert sync.balances(SCOPE) == {} and SCOPE not in sync.cursors
    assert report.changes == 0  # the other warehouse goes on from its cursor, not from the start
    assert {k[1]: v["qty"] for k, v in sync.balances("wh:WH2").items()} == {"W2-B1": "5"}


def test_a_phone_restored_from_an_old_state_file_renumbers_after_the_servers_seq(client, picker, tmp_path):
    sync = phone(client, tmp_path)
    old_state = (tmp_path / "phone.json").read_text()  # a backup taken before anything was queued
    sync.move("PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    sync.push_all()
    (tmp_path / "phone.json").write_text(old_state)
    restored = SyncClient(client, state_path=tmp_path / "phone.json", token=sync.token)
    op = restored.move("PEN", 1, "B1", "CUSTOMER")
    assert op.seq == 1  # the server already holds seq 1 of this client
    first = restored.push()
    assert first.renumbered_from == 2 and restored.outbox[0].seq == 2 and op.op_id not in restored.results
    restored.push_all()
    assert restored.results[op.op_id]["status"] == "applied" and restored.results[op.op_id]["seq"] == 2
    restored.pull([SCOPE])
    assert restored.balances(SCOPE)[("PEN", "B1", None)]["qty"] == "4"


def test_a_phone_restored_from_an_old_state_file_sends_each_later_op_once_even_those_the_server_took_under_old_numbers(
        client, picker, tmp_path):
    sync = phone(client, tmp_path)
    old_state = (tmp_path / "phone.json").read_text()  # a backup taken before anything was queued
    for _ in range(2):
        sync.move("PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    sync.push_all()  # the server holds seqs 1 and 2 of this client
    (tmp_path / "phone.json").write_text(old_state)
    restored = SyncClient(client, state_path=tmp_path / "phone.json", token=sync.token)
    ops = [restored.move("PEN", 1, "B1", "B2") for _ in range(4)]
    assert [op.seq for op in ops] == [1, 2, 3, 4]  # two of them are numbers the server has seen, two are new to it
    restored.push_all()
    assert not restored.outbox and [restored.results[op.op_id]["status"] for op in ops] == ["applied"] * 4
    restored.push_all()
    assert not restored.outbox  # nothing comes back as lost: each op is kept under the number the server took it at
    restored.pull([SCOPE])
    assert {k[1]: v["qty"] for k, v in restored.balances(SCOPE).items()} == {"B1": "6", "B2": "4"}


def test_ops_lost_from_a_damaged_outbox_leave_a_gap_the_phone_closes(client, picker, tmp_path):
    sync = phone(client, tmp_path)
    sync.move("PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    kept = sync.move("PEN", 2, "SUPPLIER", "B2", unit_cost="1")
    del sync.outbox[0]  # seq 1 is gone for good
    report = sync.push()
    assert report.resend_from == 1 and report.renumbered_from == 1 and report.results == []
    sync.push_all()
    assert list(sync.results) == [kept.op_id] and sync.results[kept.op_id]["seq"] == 1 and sync.results[kept.op_id]["status"] == "applied"


@pytest.mark.parametrize("transport", ["test client", "websockets"])
def test_a_following_phone_is_poked_and_pulls_what_others_commit(request, client, picker, world, tmp_path, transport):
    from tests.helpers import post_move, sign_in

    clerk = (add_user(world, "clerk", ["warehouse"]), sign_in(client, "clerk"))[1]
    assert post_move(client, clerk, "PEN", 5, "SUPPLIER", "B1", unit_cost="1").status_code == 201
    if transport == "websockets":
        live = request.getfixturevalue("live_server")
        sync = SyncClient.connect(live.url, "picker", PASSWORD)
    else:
        sync = phone(client, tmp_path)
    updates = sync.follow([SCOPE], timeout=10)
    try:
        assert next(updates).changes == 1  # subscribed: what happened before is pulled at once
        assert post_move(client, clerk, "PEN", 2, "B1", "B2").status_code == 201
        assert next(updates).changes == 2  # poked, pulled
        assert {k[1]: v["qty"] for k, v in sync.balances(SCOPE).items()} == {"B1": "3", "B2": "2"}
    finally:
        updates.close()
