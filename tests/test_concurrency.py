"""Concurrent takers of the last units: exactly as many succeed as there are units, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx

from server.auth.permissions import SYSTEM
from server.check import check_ledger
from server.inventory.services import move
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
