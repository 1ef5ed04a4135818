"""Property-based: random receipts, transfers, picks, adjustments, reversals and retried requests keep the ledger's invariants.

Invariants (DESIGN.md): 1. every item's balances sum to zero over all locations; 2. each balance
equals its moves in minus out; 3. no internal location below zero; 4. every client operation
is applied at most once, whatever the retries; 5. every journal entry balances and the inventory
account equals the stock valuation (receipts carry random unit costs).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from litestar.testing import TestClient
from sqlalchemy import func, select

from server.app import create_app
from server.check import check_ledger
from server.inventory.models import Move
from server.settings import Settings

BINS = ["B1", "B2", "W2-B1", "QC"]
STOCK = [("PEN", None), ("MILK", "L1"), ("MILK", "L2"), ("RICE", None)]


def quantities(sku: str) -> st.SearchStrategy[Decimal]:
    if sku == "RICE":
        return st.decimals(min_value=Decimal("0.001"), max_value=Decimal("30"), places=3)
    return st.integers(min_value=1, max_value=20).map(Decimal)


def ledger_machine(make_world, tmp_path):  # type: ignore[no-untyped-def]
    class Ledger(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = make_world()
            app = create_app(Settings(data_dir=tmp_path, database_url=None), self.db)
            self.client = TestClient(app)
            self.client.__enter__()
            from tests.helpers import add_user, sign_in

            add_user(self.db, "picker", ["warehouse"])
            self.headers = sign_in(self.client, "picker")
            self.expected: dict[tuple[str, str, str | None], Decimal] = {}
            self.applied: list[dict] = []  # successful operations: key, body, response
            self.reversed: set[int] = set()

        def teardown(self) -> None:
            self.client.__exit__(None, None, None)

        # -- the operations ---------------------------------------------------------------------

        def post(self, path: str, body: dict) -> tuple[int, dict, str]:
            key = str(uuid.uuid4())
            response = self.client.post(path, json=body, headers={**self.headers, "Idempotency-Key": key})
            return response.status_code, response.json(), key

        def have(self, sku: str, location: str, lot: str | None) -> Decimal:
            return self.expected.get((sku, location, lot), Decimal(0))

        def apply(self, sku: str, lot: str | None, qty: Decimal, source: str, target: str, path: str, body: dict) -> None:
            status, response, key = self.post(path, body)
            internal_source = source not in ("SUPPLIER", "CUSTOMER", "ADJUSTMENT", "SCRAP")
            if internal_source and self.have(sku, source, lot) < qty:
                assert status == 409 and response["error"] == "insufficient_stock", response
                return
            assert status == 201, response
            self.expected[(sku, source, lot)] = self.have(sku, source, lot) - qty
            self.expected[(sku, target, lot)] = self.have(sku, target, lot) + qty
            self.applied.append({"key": key, "path": path, "body": body, "response": response})

        def move(self, sku: str, lot: str | None, qty: Decimal, source: str, target: str, cost: Decimal | None = None) -> None:
            body = {"sku": sku, "qty": str(qty), "from": source, "to": target, **({"lot": lot} if lot else {})}
            if cost is not None:
                body["unit_cost"] = str(cost)
            self.apply(sku, lot, qty, source, target, "/api/v1/stock/moves", body)

        @rule(stock=st.sampled_from(STOCK), bin=st.sampled_from(BINS), data=st.data())
        def receive(self, stock, bin, data) -> None:  # type: ignore[no-untyped-def]
            cost = data.draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999"), places=4))
            self.move(stock[0], stock[1], data.draw(quantities(stock[0])), "SUPPLIER", bin, cost)

        @rule(stock=st.sampled_from(STOCK), from_bin=st.sampled_from(BINS), to_bin=st.sampled_from(BINS), data=st.data())
        def transfer(self, stock, from_bin, to_bin, data) -> None:  # type: ignore[no-untyped-def]
            if from_bin != to_bin:
                self.move(stock[0], stock[1], data.draw(quantities(stock[0])), from_bin, to_bin)

        @rule(stock=st.sampled_from(STOCK), bin=st.sampled_from(BINS), data=st.data())
        def pick(self, stock, bin, data) -> None:  # type: ignore[no-untyped-def]
            self.move(stock[0], stock[1], data.draw(quantities(stock[0])), bin, "CUSTOMER")

        @rule(stock=st.sampled_from(STOCK), bin=st.sampled_from(BINS), gain=st.booleans(), data=st.data())
        def adjust(self, stock, bin, gain, data) -> None:  # type: ignore[no-untyped-def]
            qty = data.draw(quantities(stock[0]))
            if gain:
                self.move(stock[0], stock[1], qty, "ADJUSTMENT", bin)
            else:
                self.move(stock[0], stock[1], qty, bin, "SCRAP")

        @precondition(lambda self: any(op["path"] == "/api/v1/stock/moves" for op in self.applied))
        @rule(data=st.data())
        def reverse(self, data) -> None:  # type: ignore[no-untyped-def]
            originals = [op for op in self.applied if op["path"] == "/api/v1/stock/moves"]
            op = data.draw(st.sampled_from(originals))
            move = op["response"]
            path = f"/api/v1/stock/moves/{move['id']}/reverse"
            if move["id"] in self.reversed:
                status, response, _ = self.post(path, {})
                assert status == 409 and response["error"] == "already_reversed", response
                return
            before = len(self.applied)
            qty = Decimal(move["qty"])
            self.apply(move["sku"], move["lot"], qty, move["to"], move["from"], path, {})
            if len(self.applied) > before:
                self.reversed.add(move["id"])
                assert self.applied[-1]["response"]["reverses"] == move["id"]

        @precondition(lambda self: bool(self.applied))
        @rule(data=st.data())
        def retry(self, data) -> None:  # type: ignore[no-untyped-def]
            """A phone that lost the answer sends the same request again with the same key."""
            op = data.draw(st.sampled_from(self.applied))
            response = self.client.post(op["path"], json=op["body"], headers={**self.headers, "Idempotency-Key": op["key"]})
            assert response.status_code == 201 and response.json() == op["response"]

        # -- the invariants ---------------------------------------------------------------------

        @invariant()
        def ledger_invariants_hold(self) -> None:
            with self.db.read() as session:
                report = check_ledger(session)
                assert report.ok, report.problems
                # 4: exactly one move per applied operation, however often it was retried.
                assert session.scalar(select(func.count(Move.id))) == len(self.applied)

        @invariant()
        def balances_match_the_model(self) -> None:
            rows = self.client.get("/api/v1/stock/balances", headers=self.headers, params={"include_zero": "true"}).json()["items"]
            actual = {(r["sku"], r["location"], r["lot"]): Decimal(r["qty"]) for r in rows}
            expected = {k: v for k, v in self.expected.items() if k[1] in BINS}
            for key in set(actual) | set(expected):
                assert actual.get(key, Decimal(0)) == expected.get(key, Decimal(0)), key
                assert actual.get(key, Decimal(0)) >= 0

    return Ledger


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_random_warehouse_days_keep_the_ledger_invariants(backends, backend, tmp_path):
    from tests.conftest import build_world

    def make_world():  # type: ignore[no-untyped-def]
        return build_world(backends.fresh(backend))

    machine = ledger_machine(make_world, tmp_path)
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=20, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )
