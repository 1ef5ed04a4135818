"""The desk's lists sorted by a column: every paged list takes `sort=field` or `sort=-field`, pages through that order without
repeating or skipping a row, refuses a field it does not have (naming those it has, in English and Chinese), and never sorts
by a cost or a price the caller may not see. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from server.dates import local_today
from tests.helpers import post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock

# Each list the desk pages through, the query that shows all its rows, and the fields it may be sorted by (the desk's contract).
LISTS: dict[str, tuple[dict[str, str], list[str]]] = {
    "/api/v1/items": ({}, ["sku", "name_zh", "name_en", "unit", "tracking", "shelf_life_days", "reorder_point", "active", "updated_at", "category"]),
    "/api/v1/partners": ({}, ["code", "kind", "name_zh", "name_en", "contact", "phone", "payment_terms_days", "credit_limit", "currency", "active"]),
    "/api/v1/stock/balances": ({}, ["sku", "location", "warehouse", "lot", "expiry", "qty", "reserved", "available", "quarantine"]),
    "/api/v1/requisitions": ({}, ["number", "status", "source", "warehouse", "supplier", "needed_by", "po", "created_at"]),
    "/api/v1/purchase-orders": ({}, ["number", "status", "supplier", "warehouse", "currency", "expected_date", "total", "created_at"]),
    "/api/v1/receipts": ({}, ["number", "status", "po", "warehouse", "dock", "created_at"]),
    "/api/v1/bills": ({}, ["number", "status", "supplier", "po", "supplier_ref", "bill_date", "due_date", "total", "paid", "open", "kind"]),
    "/api/v1/quotes": ({}, ["number", "status", "customer", "warehouse", "valid_until", "total", "sales_order"]),
    "/api/v1/sales-orders": ({}, ["number", "status", "customer", "warehouse", "total", "created_at"]),
    "/api/v1/sales-contracts": ({}, ["number", "status", "customer", "currency", "valid_from", "valid_to", "created_at"]),
    "/api/v1/invoices": ({}, ["number", "status", "customer", "kind", "order", "invoice_date", "due_date", "total", "paid", "open"]),
    "/api/v1/returns": ({}, ["number", "status", "customer", "order", "warehouse", "credit_note"]),
    "/api/v1/service-tickets": ({}, ["number", "status", "customer", "sku", "serial", "lot", "order", "resolution", "reported_on", "created_at"]),
    "/api/v1/payments": ({}, ["number", "kind", "partner", "amount", "unallocated", "paid_on", "method", "reference", "created_at"]),
    "/api/v1/counts": ({}, ["number", "status", "warehouse", "started_at", "posted_at"]),
    "/api/v1/stock/moves": ({}, ["id", "created_at", "sku", "qty", "from", "to", "lot", "unit_cost", "value", "reason", "ref_type", "ref_id"]),
    "/api/v1/stock/reservations": ({"include_closed": "true"}, ["id", "created_at", "sku", "location", "qty", "open", "ref_type", "ref_id"]),
}
NUMBERS = {"id", "qty", "reserved", "available", "total", "paid", "open", "amount", "unallocated", "unit_cost", "value", "credit_limit",
           "payment_terms_days", "reorder_point", "shelf_life_days"}
INSTANTS = {"created_at", "updated_at", "started_at", "posted_at"}


def day(offset: int) -> str:
    return (local_today() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def books(client, world, as_role) -> Api:  # type: ignore[no-untyped-def]
    """A few of every document, so that each list has rows to order: two suppliers and two customers, stock in three bins,
    requisitions, orders to suppliers (two received and billed, one at the dock, one a draft), quotes (one accepted), sales contracts (two in
    force), sales orders (three shipped, two of them invoiced, and returns of each of them, one still reserving stock), payments both ways and
    three stocktakes (one posted)."""
    admin, approver = Api(client, as_role("admin")), Api(client, as_role("approver"))
    supplier_and_dock(admin)
    customer_and_areas(admin, credit_limit="100000")
    admin.post("/api/v1/partners", {"code": "SUP2", "kind": "supplier", "name_zh": "供应商二", "name_en": "Supplier Two", "payment_terms_days": 60},
               expect=201)
    admin.post("/api/v1/partners", {"code": "CUS2", "kind": "customer", "name_zh": "客户二", "name_en": "Customer Two", "payment_terms_days": 10},
               expect=201)
    for sku, qty, bin_, cost, extra in (("PEN", 100, "B1", "2", {}), ("RICE", 50, "B2", "4", {}), ("MILK", 10, "B3", "50", {"lot": "L1"}),
                                        ("PEN", 5, "W2-B1", "2.5", {})):
        assert post_move(client, admin.headers, sku, qty, "SUPPLIER", bin_, unit_cost=cost, **extra).status_code == 201

    for supplier, needed_by in (("SUP1", day(7)), (None, None), ("SUP2", day(3))):
        admin.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "10"}], "supplier": supplier, "needed_by": needed_by},
                   expect=201)

    for supplier, lines, expected in (("SUP1", [("PEN", "100", "2"), ("MILK", "10", "50")], day(5)), ("SUP2", [("RICE", "20", "4")], None)):
        po = admin.post("/api/v1/purchase-orders", {"supplier": supplier, "warehouse": "WH1", "expected_date": expected, "lines": [
            {"sku": sku, "qty": qty, "unit_price": price} for sku, qty, price in lines]}, expect=201)
        po = admin.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
        po = approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
        grn = admin.post("/api/v1/receipts", {"po": po["number"]}, expect=201)["number"]
        for sku, qty, _ in lines:
            admin.post(f"/api/v1/receipts/{grn}/lines", {"sku": sku, "qty": qty, **({"lot": "L2", "expiry": day(90)} if sku == "MILK" else {})},
                       expect=201)
        admin.post(f"/api/v1/receipts/{grn}/complete")
        for n, (_, qty, _) in enumerate(lines, 1):
            admin.post(f"/api/v1/receipts/{grn}/lines/{n}/inspect", {"accepted": qty})
        for n, (_, qty, price) in enumerate(lines, 1):
            bill = admin.post("/api/v1/bills", {"po": po["number"], "supplier_ref": f"S-{supplier}-{n}", "bill_date": day(-n),
                                                "lines": [{"line": n, "qty": qty, "unit_price": price}]}, expect=201)
            admin.post(f"/api/v1/bills/{bill['number']}/post", {})
    waiting = admin.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "5", "unit_price": "2"}]},
                         expect=201)
    waiting = admin.post(f"/api/v1/purchase-orders/{waiting['number']}/submit", {"version": waiting["version"]})
    approver.post(f"/api/v1/purchase-orders/{waiting['number']}/approve", {"version": waiting["version"]})
    admin.post("/api/v1/receipts", {"po": waiting["number"]}, expect=201)  # the truck is at the dock: nothing received yet
    admin.post("/api/v1/purchase-orders", {"supplier": "SUP2", "warehouse": "WH1", "lines": [{"sku": "RICE", "qty": "1", "unit_price": "4"}]},
               expect=201)
    admin.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP2", "amount": "30", "method": "cash"}, expect=201)
    admin.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": "120", "paid_on": day(-4), "reference": "TT-9"}, expect=201)

    quotes = [admin.post("/api/v1/quotes", {"customer": customer, "warehouse": "WH1", "valid_until": valid, "lines": [
        {"sku": "PEN", "qty": qty, "unit_price": "5"}]}, expect=201) for customer, qty, valid in (("CUS2", "3", day(30)), ("CUS1", "9", None),
                                                                                                   ("CUS1", "1", day(10)))]
    admin.post(f"/api/v1/quotes/{quotes[1]['number']}/accept", {"version": quotes[1]["version"]})
    for customer, start, end in (("CUS2", day(-30), day(60)), ("CUS1", day(-5), day(5)), ("CUS1", day(0), day(365))):
        contract = admin.post("/api/v1/sales-contracts", {"customer": customer, "valid_from": start, "valid_to": end,
                                                          "lines": [{"sku": "PEN", "unit_price": "5", "qty": "100"}]}, expect=201)
        if customer == "CUS1":
            admin.post(f"/api/v1/sales-contracts/{contract['number']}/activate", {"version": contract["version"]})
    orders = []
    for customer, sku, qty, price in (("CUS1", "PEN", "20", "5"), ("CUS2", "RICE", "5", "10"), ("CUS1", "MILK", "2", "150"), ("CUS2", "PEN", "4", "6")):
        so = admin.post("/api/v1/sales-orders", {"customer": customer, "warehouse": "WH1", "lines": [
            {"sku": sku, "qty": qty, "unit_price": price}]}, expect=201)
        orders.append(admin.post(f"/api/v1/sales-orders/{so['number']}/confirm", {"version": so["version"]})["number"])
    wave = admin.post("/api/v1/waves", {"warehouse": "WH1", "orders": orders[:3]}, expect=201)
    for task in wave["tasks"]:
        assert admin.post(f"/api/v1/pick-tasks/{task['id']}/confirm", {"qty": task["qty"]})["status"] == "done"
    for number in orders[:3]:
        assert admin.post(f"/api/v1/sales-orders/{number}/ship")["status"] == "shipped"
    invoices = [admin.post(f"/api/v1/sales-orders/{number}/invoice", {"invoice_date": on}, expect=201)["number"]
                for number, on in ((orders[0], day(-2)), (orders[1], day(-9)))]
    admin.post("/api/v1/payments", {"kind": "customer", "partner": "CUS1", "amount": "50",
                                    "allocations": [{"document": invoices[0], "amount": "50"}]}, expect=201)
    rma = admin.post("/api/v1/returns", {"order": orders[0], "lines": [{"line": 1, "qty": "1"}]}, expect=201)
    admin.post(f"/api/v1/returns/{rma['number']}/receive")
    for number in (orders[2], orders[1]):
        admin.post("/api/v1/returns", {"order": number, "lines": [{"line": 1, "qty": "1"}]}, expect=201)
    for qty, problem, resolution in (("1", "dented", "refund"), ("1", "sour", None), ("2", "leaking", "repair")):  # after-sales: the milk
        ticket = admin.post("/api/v1/service-tickets", {"customer": "CUS1", "sku": "MILK", "lot": "L1", "qty": qty, "problem": problem,
                                                        "resolution": resolution}, expect=201)
        if resolution is None:
            admin.post(f"/api/v1/service-tickets/{ticket['number']}/start", {"version": ticket["version"]})

    posted = admin.post("/api/v1/counts", {"warehouse": "WH2"}, expect=201)
    admin.post(f"/api/v1/counts/{posted['number']}/post", {"version": posted["version"]})
    admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B3"]}, expect=201)
    admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B2"], "note": "rice bin"}, expect=201)
    return admin


@pytest.fixture
def shop(client, world, as_role) -> Api:  # type: ignore[no-untyped-def]
    """Less: stock that came in at three costs, and two draft orders each way with different totals."""
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    customer_and_areas(admin)
    for sku, qty, bin_, cost in (("PEN", 10, "B1", "2"), ("RICE", 5, "B2", "4"), ("PEN", 3, "B3", "1.5")):
        assert post_move(client, admin.headers, sku, qty, "SUPPLIER", bin_, unit_cost=cost).status_code == 201
    for qty in ("3", "30"):
        admin.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": qty, "unit_price": "2"}]},
                   expect=201)
        admin.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "RICE", "qty": qty, "unit_price": "9"}]},
                   expect=201)
    return admin


def _value(field: str, value: Any) -> Any:
    """A field's value as the database orders it: numbers as numbers, instants as instants, text, dates and yes/no as given."""
    if value is None or isinstance(value, bool):
        return value
    if field in NUMBERS:
        return Decimal(str(value))
    if field in INSTANTS:
        return dt.datetime.fromisoformat(value)
    return value


def _in_order(field: str, descending: bool, rows: list[dict[str, Any]]) -> bool:
    """Sorted by the field in that direction, rows without a value last."""
    values = [_value(field, row[field]) for row in rows]
    present = [v for v in values if v is not None]
    nulls_last = values == present + [None] * (len(values) - len(present))
    return nulls_last and present == sorted(present, reverse=descending)


def _all(api: Api, path: str, params: dict[str, str], **more: str) -> list[dict[str, Any]]:
    answer = api.get(path, **params, **more, limit="500")
    assert answer["total"] == len(answer["items"]), (path, answer["total"])
    return answer["items"]


def _refusal(client, headers: dict[str, str], path: str, sort: str, **params: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers, params={**params, "sort": sort})
    assert response.status_code == 400, (path, sort, response.text)
    return response.json()


def test_a_list_sorted_by_a_column_pages_in_that_order_on_every_desk_list(client, books):
    problems = []
    for path, (params, fields) in LISTS.items():
        unsorted = _all(books, path, params)
        assert len(unsorted) >= 3, (path, len(unsorted))
        for field in fields:
            for sort in (field, f"-{field}"):
                rows = _all(books, path, params, sort=sort)
                if sorted(map(repr, rows)) != sorted(map(repr, unsorted)):
                    problems.append(f"{path}?sort={sort}: not the same rows as unsorted")
                if not _in_order(field, sort.startswith("-"), rows):
                    problems.append(f"{path}?sort={sort}: out of order {[row[field] for row in rows]}")
        # Paging two at a time under a sort neither repeats nor skips a row: the pages put together are the whole list.
        for sort in (fields[1], f"-{fields[2]}"):
            whole = _all(books, path, params, sort=sort)
            pages = [books.get(path, **params, sort=sort, limit="2", offset=str(offset)) for offset in range(0, len(whole), 2)]
            if [row for page in pages for row in page["items"]] != whole or {page["total"] for page in pages} != {len(whole)}:
                problems.append(f"{path}?sort={sort}: pages of two differ from the whole list")
    assert not problems, "\n".join(problems)


def test_without_a_sort_the_lists_keep_their_usual_order(client, shop):
    assert [row["sku"] for row in _all(shop, "/api/v1/items", {})] == ["MILK", "PEN", "PHONE", "RICE"]
    assert [row["code"] for row in _all(shop, "/api/v1/partners", {})] == ["CUS1", "SUP1"]
    assert [(row["sku"], row["location"]) for row in _all(shop, "/api/v1/stock/balances", {})] == [("PEN", "B1"), ("PEN", "B3"), ("RICE", "B2")]
    for path, key in (("/api/v1/purchase-orders", "number"), ("/api/v1/sales-orders", "number"), ("/api/v1/stock/moves", "id")):
        keys = [row[key] for row in _all(shop, path, {})]
        assert len(keys) > 1 and keys == sorted(keys, reverse=True), path  # newest first


def test_sorting_by_a_field_the_list_does_not_have_is_refused_with_the_fields_it_has(client, world, as_role):
    admin = as_role("admin")
    for path, (params, fields) in LISTS.items():
        refusal = _refusal(client, admin, path, "colour", **params)
        assert refusal["error"] == "invalid_sort" and refusal["details"]["allowed"] == fields, (path, refusal)
        assert '"colour"' in refusal["message"] and ", ".join(fields) in refusal["message"]
        assert "“colour”" in refusal["details"]["message_zh"] and ", ".join(fields) in refusal["details"]["message_zh"]
    # In Chinese for a Chinese reader; a descending sort on a missing field is named without its "-".
    chinese = _refusal(client, {**admin, "Accept-Language": "zh-CN"}, "/api/v1/sales-orders", "-weight")
    assert chinese["message"].startswith("此列表不能按“weight”排序") and "number, status, customer" in chinese["message"]
    # A field of another list is no field of this one; what is not a field name at all is refused before the list is read.
    assert _refusal(client, admin, "/api/v1/receipts", "total")["details"]["allowed"] == LISTS["/api/v1/receipts"][1]
    for malformed in ("Number", "number;drop", "--number", "", "x" * 41):
        response = client.get("/api/v1/items", headers=admin, params={"sort": malformed})
        assert response.status_code == 400, (malformed, response.text)


def test_a_role_that_may_not_see_costs_cannot_sort_by_them(client, shop, as_role):
    # Warehouse staff see neither costs nor prices: the ledger is not theirs to sort by unit cost or value, nor orders by total.
    worker = as_role("warehouse")
    for path, sort, hidden in (("/api/v1/stock/moves", "value", {"unit_cost", "value"}), ("/api/v1/stock/moves", "-unit_cost", {"unit_cost", "value"}),
                               ("/api/v1/purchase-orders", "-total", {"total"}), ("/api/v1/sales-orders", "total", {"total"})):
        refusal = _refusal(client, worker, path, sort)
        allowed = refusal["details"]["allowed"]
        assert refusal["error"] == "invalid_sort" and allowed == [f for f in LISTS[path][1] if f not in hidden], (path, allowed)
        assert not hidden & set(refusal["message"].split(": ", 1)[1].split(" (")[0].split(", "))
    assert Api(client, worker).get("/api/v1/stock/moves", sort="-qty")["items"]  # what they may see, they may sort by
    # A salesperson sees prices but not costs: orders by total, yes; the ledger by value, no.
    seller = Api(client, as_role("sales"))
    totals = [Decimal(row["total"]) for row in seller.get("/api/v1/sales-orders", sort="-total")["items"]]
    assert len(totals) == 2 and totals == sorted(totals, reverse=True)
    assert _refusal(client, seller.headers, "/api/v1/stock/moves", "value")["error"] == "invalid_sort"
    # Those who may see costs sort the ledger by them.
    purchaser = Api(client, as_role("purchaser"))
    values = [Decimal(row["value"]) for row in purchaser.get("/api/v1/stock/moves", sort="value")["items"]]
    assert values == [Decimal("4.5"), Decimal(20), Decimal(20)]
