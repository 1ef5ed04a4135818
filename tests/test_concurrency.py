"""Concurrent writers: takers of the last units (exactly as many succeed as there are units, on SQLite and PostgreSQL),
opposite transfers, writers of different items that never wait on one another, and writers of one item whose events
are numbered in the order they commit."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, text

from server.auth.permissions import SYSTEM
from server.catalog.schemas import ItemCreate
from server.catalog.services import create_item
from server.check import check_ledger
from server.inventory.services import move
from server.outbox.models import OutboxEvent
from sync.feed import Cursor, changes_after
from tests.helpers import balance, post_move


def test_twenty_concurrent_requests_for_one_each_from_a_bin_of_ten(live_server, client, worker, world):
    assert post_move(client, worker, "PEN", 10, "SUPPLIER", "B1").status_code == 201
    body = {"sku": "PEN", "qty": "1", "from": "B1", "to": "CUSTOMER"}
    start = threading.Barrier(20)

    def take_one(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_server.url, headers=worker, timeout=60) as http:
            start.wait()  # all twenty leave the gate together
            return http.post("/api/v1/stock/moves", json=body)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(take_one, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 10, statuses
    refused = [r.json() for r in responses if r.status_code != 201]
    assert len(refused) == 10 and all(r["error"] == "insufficient_stock" for r in refused)
    row = balance(client, worker, "PEN", "B1")
    assert row["qty"] == "0" and row["available"] == "0"
    assert balance(client, worker, "PEN", "CUSTOMER")["qty"] == "10"
    with world.read() as session:
        assert check_ledger(session).ok


def test_opposite_transfers_at_the_same_time_neither_deadlock_nor_lose_stock(world):
    with world.write() as session:
        move(session, SYSTEM, sku="PEN", qty=Decimal(100), source="SUPPLIER", target="B1")
        move(session, SYSTEM, sku="PEN", qty=Decimal(100), source="SUPPLIER", target="B2")
    errors: list[BaseException] = []

    def shuttle(source: str, target: str) -> None:
        try:
            for _ in range(25):
                world.run_write(lambda s: move(s, SYSTEM, sku="PEN", qty=Decimal(1), source=source, target=target))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=shuttle, args=pair) for pair in [("B1", "B2"), ("B2", "B1")] * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with world.read() as session:
        report = check_ledger(session)
        assert report.ok, report.problems
        from server.inventory.services import balances

        rows, _ = balances(session, sku="PEN")
    assert sorted((r.location, r.qty) for r in rows) == [("B1", Decimal(100)), ("B2", Decimal(100))]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_sixteen_clients_taking_stock_of_sixteen_items_do_not_wait_on_one_another(world):
    """Each holds its whole transaction open — the move, its change-feed version, its audit entry — until all sixteen
    are there: none waits on a lock another holds (no row every write touches). Then all commit, and the feed and the
    books are whole."""
    skus = [f"PART-{n:02d}" for n in range(16)]
    with world.write() as session:
        for sku in skus:
            create_item(session, SYSTEM, ItemCreate(sku=sku, name_en=sku, name_zh=sku))
            move(session, SYSTEM, sku=sku, qty=Decimal(5), source="SUPPLIER", target="B1", unit_cost=Decimal(2))
    all_open = threading.Barrier(len(skus), timeout=30)
    errors: list[BaseException] = []

    def take(sku: str) -> None:
        try:
            with world.write() as session:
                move(session, SYSTEM, sku=sku, qty=Decimal(1), source="B1", target="CUSTOMER")
                session.finish()  # everything the commit writes, written: the feed's version and the audit entry
                all_open.wait()  # broken (BrokenBarrierError) if one of the sixteen is stuck behind another's lock
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(sku,)) for sku in skus]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and not any(thread.is_alive() for thread in threads)
    with world.read() as session:
        report = check_ledger(session)
        assert report.ok, report.problems
        page = changes_after(session, ["wh:WH1"], Cursor(), 1000)
    shown = {json.loads(c.data)["sku"]: json.loads(c.data)["qty"] for c in page.changes if c.kind == "balance"}
    assert shown == {sku: "4" for sku in skus} | {k: v for k, v in shown.items() if k not in skus}
    assert len({c.version for c in page.changes if c.kind == "balance" and json.loads(c.data)["qty"] == "4"}) == 16


def _someone_waits_for_an_events_turn(world) -> bool:  # type: ignore[no-untyped-def]
    """Whether a transaction is waiting, within 30 s, for a lock the outbox takes before numbering its events."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with world.read() as session:
            if session.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).scalar():
                return True
        time.sleep(0.05)
    return False


def _hold_open(world, sku: str, source: str, written: threading.Event, may_end: threading.Event) -> None:  # type: ignore[no-untyped-def]
    with world.write() as session:
        move(session, SYSTEM, sku=sku, qty=Decimal(1), source=source, target="CUSTOMER")
        session.finish()  # its event written and numbered; the transaction still open
        written.set()
        assert may_end.wait(60)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_moves_of_one_item_from_two_bins_have_their_events_in_the_order_they_commit(world):
    """The two moves share no row, so nothing else makes the second wait: it reaches its commit while the first, its
    event numbered, is still open, and waits for the first to end — a consumer reading the events in order never sees
    the second before the first."""
    with world.write() as session:
        for bin_ in ("B1", "B2"):
            move(session, SYSTEM, sku="PEN", qty=Decimal(5), source="SUPPLIER", target=bin_, unit_cost=Decimal(2))
    written, may_end, second_done = threading.Event(), threading.Event(), threading.Event()
    first = threading.Thread(target=_hold_open, args=(world, "PEN", "B1", written, may_end))
    first.start()
    assert written.wait(30)

    def second() -> None:
        with world.write() as session:
            move(session, SYSTEM, sku="PEN", qty=Decimal(1), source="B2", target="CUSTOMER")
        second_done.set()

    later = threading.Thread(target=second)
    later.start()
    try:
        assert _someone_waits_for_an_events_turn(world) and not second_done.is_set()
    finally:
        may_end.set()
        first.join(60)
        later.join(60)
    assert second_done.is_set()
    with world.read() as session:
        moved = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "stock.moved", OutboxEvent.aggregate_id == "PEN")
                                .order_by(OutboxEvent.id)).all()
    sources = [json.loads(event.data)["source"] for event in moved][-2:]
    assert sources == ["B1", "B2"]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_posting_about_a_hundred_items_takes_its_turn_alone_and_writes_every_event(world):
    """More items than PostgreSQL's lock table gives one transaction: the posting takes the one lock all others share,
    so it waits for a transaction open about another item, and then writes its hundred events."""
    skus = [f"BULK-{n:03d}" for n in range(100)]
    with world.write() as session:
        for sku in skus:
            create_item(session, SYSTEM, ItemCreate(sku=sku, name_en=sku, name_zh=sku))
        move(session, SYSTEM, sku="PEN", qty=Decimal(5), source="SUPPLIER", target="B1", unit_cost=Decimal(2))
    written, may_end, posted = threading.Event(), threading.Event(), threading.Event()
    other = threading.Thread(target=_hold_open, args=(world, "PEN", "B1", written, may_end))
    other.start()
    assert written.wait(30)

    def post_all() -> None:
        with world.write() as session:
            for sku in skus:
                move(session, SYSTEM, sku=sku, qty=Decimal(3), source="SUPPLIER", target="B1", unit_cost=Decimal(2))
        posted.set()

    posting = threading.Thread(target=post_all)
    posting.start()
    try:
        assert _someone_waits_for_an_events_turn(world) and not posted.is_set()
    finally:
        may_end.set()
        other.join(60)
        posting.join(60)
    assert posted.is_set()
    with world.read() as session:
        about = set(session.scalars(select(OutboxEvent.aggregate_id).where(OutboxEvent.type == "stock.moved")))
    assert set(skus) <= about
