"""What the end-to-end story tests share: calling the API as someone, and checking the books after each step."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar.testing import TestClient

from server.check import check_ledger
from server.db import Database
from tests.helpers import balance


class Api:
    """A signed-in user's view of the API: each call asserts the status it expects and returns the JSON."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def get(self, path: str, expect: int = 200, **params: Any) -> Any:
        response = self.client.get(path, headers=self.headers, params=params)
        assert response.status_code == expect, response.text
        return response.json()

    def post(self, path: str, body: Any = None, expect: int = 200) -> Any:
        response = self.client.post(path, headers=self.headers, json=body if body is not None else {})
        assert response.status_code == expect, response.text
        return response.json()

    def patch(self, path: str, body: Any, expect: int = 200) -> Any:
        response = self.client.patch(path, headers=self.headers, json=body)
        assert response.status_code == expect, response.text
        return response.json()

    def put(self, path: str, body: Any, expect: int = 200) -> Any:
        response = self.client.put(path, headers=self.headers, json=body)
        assert response.status_code == expect, response.text
        return response.json()

    def stock(self, sku: str, location: str, lot: str | None = None) -> tuple[str, str]:
        row = balance(self.client, self.headers, sku, location, lot)
        return row["qty"], row["reserved"]

    def journal(self, source_type: str, source_id: str) -> list[tuple[str, str, str]]:
        entries = self.get("/api/v1/finance/journal", source_type=source_type, source_id=source_id)
        return [(line["account"], line["debit"], line["credit"]) for entry in entries for line in entry["lines"]]

    def account(self, code: str) -> str:
        for line in self.get("/api/v1/finance/trial-balance")["lines"]:
            if line["code"] == code:
                return line["balance"]
        return "0"


def books_are_sound(finance: Api, db: Database) -> None:
    """`cangku check` passes, the trial balance balances, the inventory account equals the stock valuation, and the
    receivables and payables ageing add up to their control accounts (1122, 2202)."""
    trial = finance.get("/api/v1/finance/trial-balance")
    assert trial["balanced"] is True and trial["total_debit"] == trial["total_credit"], trial
    for report, account, sign in (("ar_ageing", "1122", 1), ("ap_ageing", "2202", -1)):
        aged = finance.get(f"/api/v1/reports/{report}", format="json")["totals"].get("balance") or "0"
        assert Decimal(aged) == sign * Decimal(finance.account(account)), (report, aged, finance.account(account))
    with db.read() as session:
        report = check_ledger(session)
    assert report.ok, report.problems


def supplier_and_dock(admin: Api) -> None:
    """A supplier SUP1 (30-day terms) and WH1's receiving dock."""
    admin.post("/api/v1/locations", {"code": "WH1-DOCK", "kind": "zone", "parent": "WH1", "name_zh": "收货区", "name_en": "Dock"}, expect=201)
    admin.post("/api/v1/partners", {"code": "SUP1", "kind": "supplier", "name_zh": "供应商一", "name_en": "Supplier One"}, expect=201)


def customer_and_areas(admin: Api, credit_limit: str | None = None) -> None:
    """A customer CUS1 and WH1's shipping (WH1-OUT) and returns (WH1-RET) areas."""
    admin.post("/api/v1/locations", {"code": "WH1-OUT", "kind": "zone", "parent": "WH1", "name_zh": "发货区", "name_en": "Shipping"}, expect=201)
    admin.post("/api/v1/locations", {"code": "WH1-RET", "kind": "zone", "parent": "WH1", "quarantine": True, "name_zh": "退货区", "name_en": "Returns"},
               expect=201)
    admin.post("/api/v1/partners", {"code": "CUS1", "kind": "customer", "name_zh": "客户一", "name_en": "Customer One",
                                    "credit_limit": credit_limit}, expect=201)
