"""A server killed (SIGKILL) in the middle of a phone's big push loses nothing and applies nothing twice.

The server runs as its own process (`cangku serve`) on a file SQLite database or on PostgreSQL. A phone
pushes 400 operations in one request; once the first ones have committed, the server is killed without
warning. It is started again, the phone is restarted from its state file and sends its whole outbox
again: the operations committed before the crash answer with their stored results, the others are
applied now, each exactly once, in seq order, and the ledger holds.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.check import check_ledger
from server.inventory.models import Move
from server.testing import ServedProcess
from sync.client import SyncClient
from sync.models import SyncClient as ClientRow
from sync.models import SyncOp
from tests.helpers import PASSWORD, add_user

OPS = 400
KILL_AFTER = 50  # committed results before the kill


def the_days_work(client: SyncClient) -> None:
    """Receipts, transfers and shipments; a few shipments from the quarantine bin are refused, a few from an empty bin
    are physical facts beyond the book."""
    ops: list[tuple[str, dict[str, Any]]] = []
    for i in range(OPS):
        if i % 50 == 49:
            ops.append(("stock.move", {"sku": "PEN", "qty": "2", "from": "B3", "to": "CUSTOMER"}))  # the book says B3 is empty
        elif i % 4 == 0:
            ops.append(("stock.move", {"sku": "PEN", "qty": "5", "from": "SUPPLIER", "to": "B1", "unit_cost": "1.25"}))
        elif i % 4 == 1:
            ops.append(("stock.move", {"sku": "PEN", "qty": "3", "from": "B1", "to": "B2"}))
        elif i % 4 == 2:
            ops.append(("stock.move", {"sku": "PEN", "qty": "2", "from": "B2", "to": "CUSTOMER"}))
        else:
            ops.append(("stock.move", {"sku": "RICE", "qty": "0.5", "from": "QC", "to": "CUSTOMER"}))  # nothing in quarantine
    client.queue_many(ops)


@pytest.fixture
def server(backends, backend, tmp_path):  # type: ignore[no-untyped-def]
    from tests.conftest import build_world

    db = build_world(backends.fresh(backend))
    add_user(db, "picker", ["warehouse"])
    # The same port after the restart, so the phone finds it again.
    process = ServedProcess(tmp_path, "--host", "127.0.0.1", "--no-scheduler",
                            env={"CANGKU_DATABASE_URL": db.url, "CANGKU_DATA_DIR": str(tmp_path)})
    process.db = db  # type: ignore[attr-defined]
    process.wait_healthy(timeout=60)
    yield process
    process.stop()
    if backend == "sqlite":
        db.dispose()


def committed(db) -> int:  # type: ignore[no-untyped-def]
    with db.lookup() as session:
        return session.scalar(select(func.count(SyncOp.id))) or 0


def test_a_server_killed_in_the_middle_of_a_push_applies_every_op_exactly_once(server, tmp_path):
    db = server.db
    state = tmp_path / "phone.json"
    phone = SyncClient.connect(server.url, "picker", PASSWORD, state_path=state, batch_size=500, timeout=120)
    the_days_work(phone)
    queued = [op.op_id for op in phone.outbox]
    payloads = {op.op_id: op.payload for op in phone.outbox}
    assert [op.seq for op in phone.outbox] == list(range(1, OPS + 1))

    outcome: dict[str, Any] = {}

    def push() -> None:
        try:
            outcome["report"] = phone.push(limit=OPS)
        except Exception as exc:  # noqa: BLE001 - examined below
            outcome["error"] = exc

    pushing = threading.Thread(target=push)
    pushing.start()
    deadline = time.monotonic() + 120
    while committed(db) <= KILL_AFTER:
        assert pushing.is_alive() and time.monotonic() < deadline, ("the push ended before the kill", outcome)
        time.sleep(0.005)
    server.kill()
    pushing.join(timeout=60)
    before_restart = committed(db)
    print(f"killed after {before_restart} of {OPS} ops")

    assert isinstance(outcome.get("error"), httpx.TransportError), outcome  # the answer never came
    assert KILL_AFTER < before_restart < OPS, before_restart  # killed in the middle
    assert [op.op_id for op in phone.outbox] == queued  # a push without an answer takes nothing out of the outbox
    with db.read() as session:
        report = check_ledger(session)
        assert report.ok, report.problems  # what committed before the crash is whole
        stored_before = {op.op_id: op.result for op in session.scalars(select(SyncOp))}
        assert session.scalar(select(ClientRow.last_seq)) == before_restart

    server.start()
    server.wait_healthy(timeout=60)
    phone.http.close()
    phone = SyncClient(httpx.Client(base_url=server.url, timeout=120), state_path=state, token=phone.token, batch_size=500)
    assert [op.op_id for op in phone.outbox] == queued  # the restarted phone still has everything
    reports = phone.push_all()
    assert len(reports) == 1 and reports[0].sent == OPS and reports[0].last_seq == OPS and phone.outbox == []

    # Every op has exactly one result; those committed before the crash kept theirs.
    assert set(phone.results) == set(queued)
    for op_id, result in stored_before.items():
        assert phone.results[op_id] == result
    statuses = [phone.results[op_id]["status"] for op_id in queued]
    assert set(statuses) <= {"applied", "applied_with_exception", "rejected"}
    from_quarantine = sum(1 for op_id in queued if payloads[op_id]["from"] == "QC")
    assert statuses.count("rejected") == from_quarantine > 0  # nothing was ever put in quarantine
    assert "applied_with_exception" in statuses

    with db.read() as session:
        report = check_ledger(session)
        assert report.ok, report.problems
        per_op = dict(session.execute(select(Move.op_id, func.count()).group_by(Move.op_id)).all())
        log = session.execute(select(SyncOp.seq, SyncOp.op_id, SyncOp.status).order_by(SyncOp.seq)).all()
        assert session.scalar(select(ClientRow.last_seq)) == OPS
    assert [(seq, op_id) for seq, op_id, _ in log] == list(enumerate(queued, start=1))  # in seq order, each once
    for op_id, status in zip(queued, statuses, strict=True):
        applied = status != "rejected"
        assert per_op.get(op_id, 0) == (1 if applied else 0), (op_id, status)
        assert per_op.get(f"{op_id}:gain", 0) == (1 if status == "applied_with_exception" else 0), (op_id, status)
    assert all(n == 1 for n in per_op.values())

    # And the phone's picture of the warehouse is the server's.
    phone.pull(["wh:WH1"], limit=100)
    rows = phone.http.get("/api/v1/stock/balances", headers=phone.headers(), params={"warehouse": "WH1", "include_zero": "true"}).json()["items"]
    assert {(r["sku"], r["location"], r["lot"]): Decimal(r["qty"]) for r in rows} == {
        key: Decimal(data["qty"]) for key, data in phone.balances("wh:WH1").items()
    }


def test_a_phone_that_stops_waiting_and_resends_while_the_server_still_works_gets_each_op_applied_once(server, tmp_path):
    """The first push's answer is given up on (a timeout) while the server goes on applying it; the same ops are sent
    again at once, and the two requests work through the same ops side by side."""
    db = server.db
    phone = SyncClient.connect(server.url, "picker", PASSWORD, state_path=tmp_path / "phone.json", batch_size=500)
    the_days_work(phone)
    queued = [op.op_id for op in phone.outbox]
    impatient = httpx.Client(base_url=server.url, timeout=httpx.Timeout(60, read=0.3))
    patient, phone.http = phone.http, impatient
    with pytest.raises(httpx.ReadTimeout):
        phone.push(limit=OPS)
    phone.http = patient
    impatient.close()
    at_resend = committed(db)
    print(f"resent with {at_resend} of {OPS} ops committed")
    assert at_resend < OPS  # the first request is still at work
    reports = phone.push_all()
    assert reports[-1].last_seq == OPS and phone.outbox == [] and set(phone.results) == set(queued)
    with db.read() as session:
        report = check_ledger(session)
        assert report.ok, report.problems
        per_op = dict(session.execute(select(Move.op_id, func.count()).group_by(Move.op_id)).all())
        stored = {op.op_id: (op.seq, op.result) for op in session.scalars(select(SyncOp))}
    assert all(n == 1 for n in per_op.values())
    assert {op_id: seq for op_id, (seq, _) in stored.items()} == {op_id: seq for seq, op_id in enumerate(queued, start=1)}
    for op_id in queued:
        assert phone.results[op_id] == stored[op_id][1]
        assert per_op.get(op_id, 0) == (0 if phone.results[op_id]["status"] == "rejected" else 1)
