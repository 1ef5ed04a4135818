"""Lot and serial traceability (追溯) through the HTTP API, on SQLite and PostgreSQL.

Supplier SUP1 delivers ten boxes of milk lot M7 and two phones; three boxes go to customer A, two boxes and a phone to
customer B; B sends one box back, which is restocked; a stocktake finds a box missing. The lot's trace names the
supplier's receipt it came from, the customers it went to, the box that came back and the one the count wrote off, with
every move in order; the phone's trace names its supplier, its receipt and its customer.
"""

from __future__ import annotations

from typing import Any

import pytest

from server.inventory.trace import direction, flow_kind
from tests.helpers import post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock


def sell(sales: Api, warehouse: Api, customer: str, lines: list[dict[str, Any]]) -> str:
    """An order of `customer` for `lines` ({sku, qty, serials}), confirmed, picked, packed in one package and shipped; at
    60 a unit, above what any of the items cost."""
    order = sales.post("/api/v1/sales-orders", {"customer": customer, "warehouse": "WH1", "lines": [
        {"sku": line["sku"], "qty": line["qty"], "unit_price": "60"} for line in lines]}, expect=201)
    number = order["number"]
    sales.post(f"/api/v1/sales-orders/{number}/confirm", {"version": order["version"]})
    wave = warehouse.post("/api/v1/waves", {"warehouse": "WH1", "orders": [number]}, expect=201)
    serials = {line["sku"]: line.get("serials", []) for line in lines}
    for task in wave["tasks"]:
        body = {"qty": task["qty"], "location": task["location"], "serials": serials[task["sku"]]}
        warehouse.post(f"/api/v1/pick-tasks/{task['id']}/confirm", body | ({"lot": task["lot"]} if task["lot"] else {}))
    warehouse.post(f"/api/v1/sales-orders/{number}/pack", {"packages": [
        {"lines": [{"line": index, "qty": line["qty"]} for index, line in enumerate(lines, start=1)]}]})
    assert warehouse.post(f"/api/v1/sales-orders/{number}/ship")["status"] == "shipped"
    return number


def milk_story(client, as_role) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The story of lot M7 and phones SN-1, SN-2, through the API as the people who do each step."""
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, sales = Api(client, as_role("warehouse")), Api(client, as_role("sales"))
    supplier_and_dock(admin)
    customer_and_areas(admin)
    admin.post("/api/v1/partners", {"code": "CUS2", "kind": "customer", "name_zh": "客户二", "name_en": "Customer Two"}, expect=201)

    # SUP1 delivers against an approved order: ten boxes of lot M7 and two phones, all accepted and put away into B1.
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [
        {"sku": "MILK", "qty": "10", "unit_price": "10"}, {"sku": "PHONE", "qty": "2", "unit_price": "50"}]}, expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    po = approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    assert po["status"] == "approved"
    grn = warehouse.post("/api/v1/receipts", {"po": po["number"]}, expect=201)["number"]
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "MILK", "qty": "10", "lot": "M7", "expiry": "2027-06-30"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PHONE", "qty": "2", "serials": ["SN-1", "SN-2"]}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn}/complete")
    warehouse.post(f"/api/v1/receipts/{grn}/lines/1/inspect", {"accepted": "10"})
    warehouse.post(f"/api/v1/receipts/{grn}/lines/2/inspect", {"accepted": "2"})
    for task in warehouse.get("/api/v1/putaway-tasks", receipt=grn)["items"]:
        warehouse.post(f"/api/v1/putaway-tasks/{task['id']}/confirm", {"location": "B1"})

    # Three boxes to customer A; two boxes and phone SN-1 to customer B.
    to_a = sell(sales, warehouse, "CUS1", [{"sku": "MILK", "qty": "3"}])
    to_b = sell(sales, warehouse, "CUS2", [{"sku": "MILK", "qty": "2"}, {"sku": "PHONE", "qty": "1", "serials": ["SN-1"]}])

    # B sends one box back; it is restocked into B1.
    rma = sales.post("/api/v1/returns", {"order": to_b, "lines": [{"line": 1, "qty": "1", "lot": "M7", "reason": "dented"}]}, expect=201)["number"]
    warehouse.post(f"/api/v1/returns/{rma}/receive")
    warehouse.post(f"/api/v1/returns/{rma}/lines/1/dispose", {"disposition": "restock", "location": "B1"})

    # A count of the milk in B1 finds five boxes where the book says six.
    count = admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B1"], "skus": ["MILK"]}, expect=201)["number"]
    warehouse.post(f"/api/v1/counts/{count}/lines", {"lines": [{"location": "B1", "sku": "MILK", "lot": "M7", "qty": "5"}]})
    admin.post(f"/api/v1/counts/{count}/post", {"version": admin.get(f"/api/v1/counts/{count}")["version"]})
    return {"po": po["number"], "grn": grn, "to_a": to_a, "to_b": to_b, "rma": rma, "count": count}


@pytest.fixture
def story(client, world, as_role) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return milk_story(client, as_role)


def flows(trace: dict[str, Any], side: str) -> list[tuple[Any, ...]]:
    return [(f["kind"], f["document"], f["order"], f["partner"] and f["partner"]["code"], f["warehouse"], f["qty"]) for f in trace[side]]


def test_a_lot_is_traced_from_its_supplier_to_its_customers_and_back(client, as_role, story):
    trace = Api(client, as_role("viewer")).get("/api/v1/trace/lots/MILK/M7")
    assert (trace["sku"], trace["name_en"], trace["lot"], trace["expiry"]) == ("MILK", "Milk", "M7", "2027-06-30")
    assert flows(trace, "came_from") == [
        ("receipt", story["grn"], story["po"], "SUP1", "WH1", "10"),
        ("return", story["rma"], story["to_b"], "CUS2", "WH1", "1"),
    ]
    assert trace["came_from"][0]["partner"] == {"code": "SUP1", "name_zh": "供应商一", "name_en": "Supplier One"}
    assert flows(trace, "went_to") == [
        ("shipment", story["to_a"], None, "CUS1", "WH1", "3"),
        ("shipment", story["to_b"], None, "CUS2", "WH1", "2"),
        ("count", story["count"], None, None, "WH1", "1"),
    ]
    # What came in less what went out is what is on hand: five boxes, all in B1.
    assert (trace["qty_in"], trace["qty_out"], trace["on_hand"]) == ("11", "6", "5")
    assert [(s["location"], s["warehouse"], s["qty"], s["reserved"]) for s in trace["stock"]] == [("B1", "WH1", "5", "0")]
    assert [(m["qty"], m["from"], m["to"], m["direction"], m["ref_type"], m["ref_id"]) for m in trace["moves"]] == [
        ("10", "SUPPLIER", "WH1-DOCK", "in", "receipt", story["grn"]),
        ("10", "WH1-DOCK", "B1", "within", "receipt", story["grn"]),
        ("3", "B1", "WH1-OUT", "within", "so", story["to_a"]),
        ("3", "WH1-OUT", "CUSTOMER", "out", "so", story["to_a"]),
        ("2", "B1", "WH1-OUT", "within", "so", story["to_b"]),
        ("2", "WH1-OUT", "CUSTOMER", "out", "so", story["to_b"]),
        ("1", "CUSTOMER", "WH1-RET", "in", "return", story["rma"]),
        ("1", "WH1-RET", "B1", "within", "return", story["rma"]),
        ("1", "B1", "ADJUSTMENT", "out", "stocktake", story["count"]),
    ]
    assert all(m["user"] for m in trace["moves"])
    assert [m["created_at"] for m in trace["moves"]] == sorted(m["created_at"] for m in trace["moves"])
    assert "unit_cost" not in trace["moves"][0] and "value" not in trace["moves"][0]  # no cost in a trace, whoever asks


def test_a_serial_names_its_supplier_its_receipt_and_its_customer(client, as_role, story):
    viewer = Api(client, as_role("viewer"))
    sold = viewer.get("/api/v1/trace/serials/SN-1")
    assert (sold["serial"], sold["sku"], sold["location"], sold["warehouse"], sold["in_stock"]) == ("SN-1", "PHONE", "CUSTOMER", None, False)
    assert flows(sold, "came_from") == [("receipt", story["grn"], story["po"], "SUP1", "WH1", "1")]
    assert flows(sold, "went_to") == [("shipment", story["to_b"], None, "CUS2", "WH1", "1")]
    assert [(m["from"], m["to"], m["qty"]) for m in sold["moves"]] == [
        ("SUPPLIER", "WH1-DOCK", "1"), ("WH1-DOCK", "B1", "1"), ("B1", "WH1-OUT", "1"), ("WH1-OUT", "CUSTOMER", "1")]
    kept = viewer.get("/api/v1/trace/serials/SN-2", sku="PHONE")
    assert (kept["location"], kept["warehouse"], kept["in_stock"], kept["went_to"]) == ("B1", "WH1", True, [])


def test_a_lot_with_opening_stock_and_plain_moves_shows_each_move_as_its_own_way_in_or_out(client, world, worker):
    for qty, source, target, reason in ((8, "OPENING", "B2", ""), (2, "B2", "SCRAP", "crushed"), (1, "ADJUSTMENT", "B2", "found")):
        assert post_move(client, worker, "MILK", qty, source, target, lot="L2", reason=reason).status_code == 201
    trace = Api(client, worker).get("/api/v1/trace/lots/MILK/L2")
    assert [(f["kind"], f["document"], f["qty"], f["reason"]) for f in trace["came_from"]] == [("opening", None, "8", ""), ("adjustment", None, "1", "found")]
    assert [(f["kind"], f["qty"], f["reason"]) for f in trace["went_to"]] == [("scrap", "2", "crushed")]
    assert trace["on_hand"] == "7"


def test_an_unknown_lot_or_serial_is_a_404_that_says_what_is_missing(client, world, worker):
    api = Api(client, worker)
    missing = api.get("/api/v1/trace/lots/MILK/NOPE", expect=404)
    assert missing["error"] == "not_found" and "NOPE" in missing["details"]["message_en"] and "批次" in missing["details"]["message_zh"]
    assert api.get("/api/v1/trace/lots/NOSUCH/L1", expect=404)["details"]["sku"] == "NOSUCH"
    assert "SN-404" in api.get("/api/v1/trace/serials/SN-404", expect=404)["message"]
    response = client.get("/api/v1/trace/serials/SN-404", headers={**worker, "Accept-Language": "zh-CN"})
    assert response.status_code == 404 and response.json()["message"] == "没有序列号为 SN-404 的商品。"


def test_a_serial_number_two_items_share_is_traced_once_the_item_is_named(client, world, admin):
    api = Api(client, admin)
    api.post("/api/v1/items", {"sku": "TABLET", "name_zh": "平板", "name_en": "Tablet", "tracking": "serial"}, expect=201)
    for sku in ("PHONE", "TABLET"):
        assert post_move(client, admin, sku, 1, "SUPPLIER", "B3", serials=["X-1"]).status_code == 201
    refused = api.get("/api/v1/trace/serials/X-1", expect=422)
    assert refused["error"] == "ambiguous_serial" and refused["details"]["skus"] == ["PHONE", "TABLET"]
    assert api.get("/api/v1/trace/serials/X-1", sku="TABLET")["sku"] == "TABLET"
    assert api.get("/api/v1/trace/serials/X-1", expect=404, sku="PEN")["details"]["serial"] == "X-1"


def test_someone_limited_to_another_warehouse_traces_the_lot_as_everyone_does(client, as_role, story):
    """Reading the ledger is open to everyone signed in, in every warehouse; so is the trace, which reads only the ledger."""
    everyone = Api(client, as_role("admin")).get("/api/v1/trace/lots/MILK/M7")
    assert Api(client, as_role("warehouse", ("WH2",))).get("/api/v1/trace/lots/MILK/M7") == everyone


def test_a_move_is_named_by_the_outside_location_and_the_document_it_names():
    assert flow_kind("SUPPLIER", "receipt") == "receipt" and flow_kind("SUPPLIER", None) == "supplier"
    assert flow_kind("CUSTOMER", "so") == "shipment" and flow_kind("CUSTOMER", "return") == "return"
    assert flow_kind("SCRAP", "return") == "scrap" and flow_kind("ADJUSTMENT", "stocktake") == "count"
    assert flow_kind("SUPPLIER", "purchase_return") == "purchase_return" and flow_kind("ELSEWHERE", None) == "other"
    assert [direction(True, True), direction(False, True), direction(True, False), direction(False, False)] == ["within", "in", "out", "through"]
