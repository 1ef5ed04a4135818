"""Concurrent writers: takers of the last units (exactly as many succeed as there are units, on SQLite and PostgreSQL),
opposite transfers, and writers of different items that never wait on one another."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from server.auth.permissions import SYSTEM
from server.catalog.schemas import ItemCreate
from server.catalog.services import create_item
from server.check import check_ledger
from server.inventory.services import move
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
