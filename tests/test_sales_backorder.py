"""Shipping an order picked short: refused until someone decides what becomes of the rest — kept on a backorder (a new
order, confirmed and reserved as far as stock allows) or cancelled — and then the invoice bills what left, to the cent."""

from __future__ import annotations

from decimal import Decimal

from tests.helpers import post_move
from tests.stories import Api, books_are_sound, customer_and_areas
from tests.test_sync import op, push


def _picking(client, as_role, pens: str = "4") -> tuple[Api, Api, Api, dict, dict]:  # type: ignore[no-untyped-def]
    """An order of 6 pens (B1) and 4 kg of rice (B2), in a wave: `pens` of the 6 picked, the rice not picked at all."""
    admin, sales, worker, finance = (Api(client, as_role(r)) for r in ("admin", "sales", "warehouse", "finance"))
    customer_and_areas(admin)
    post_move(client, worker.headers, "PEN", 6, "SUPPLIER", "B1", unit_cost="1")
    post_move(client, worker.headers, "RICE", 10, "SUPPLIER", "B2", unit_cost="4")
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [
        {"sku": "PEN", "qty": "6", "unit_price": "10", "vat_rate": "13"}, {"sku": "RICE", "qty": "4", "unit_price": "5", "vat_rate": "9"}]}, expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    tasks = {t["sku"]: t for t in wave["tasks"]}
    short = {"short_reason": "货架上只有这些 that is all on the shelf"} if pens != "6" else {}
    worker.post(f"/api/v1/pick-tasks/{tasks['PEN']['id']}/confirm", {"qty": pens, "location": "B1", **short})
    return sales, worker, finance, order, {"wave": wave["number"], "rice_task": tasks["RICE"]["id"]}


def _audit(api: Api, action: str, number: str) -> list[dict]:
    return [e["details"] for e in api.get("/api/v1/audit", action=action, target_type="so", target_id=number)["items"]]


def test_shipping_an_order_with_a_line_not_picked_is_refused_naming_what_is_short_and_moves_nothing(client, world, as_role):
    sales, worker, finance, order, _ = _picking(client, as_role, pens="6")
    number = order["number"]
    response = client.post(f"/api/v1/sales-orders/{number}/ship", headers=worker.headers)  # no body, as before
    assert response.status_code == 409, response.text
    refused = response.json()
    assert refused["error"] == "short_shipment"
    assert refused["details"]["lines"] == [{"line": 2, "sku": "RICE", "ordered": "4", "picked": "0", "packed": "0", "short": "4"}]
    assert "RICE" in refused["message"] and "backorder" in refused["message"]
    in_chinese = client.post(f"/api/v1/sales-orders/{number}/ship", headers={**worker.headers, "Accept-Language": "zh-CN"}, json={})
    assert in_chinese.status_code == 409 and "欠货单" in in_chinese.json()["message"] and "缺 4" in in_chinese.json()["message"]
    order = sales.get(f"/api/v1/sales-orders/{number}")
    assert order["status"] == "picking" and [line["shipped"] for line in order["lines"]] == ["0", "0"]
    assert worker.stock("PEN", "WH1-OUT") == ("6", "6") and worker.stock("RICE", "B2") == ("10", "4")
    assert [m for m in worker.get("/api/v1/stock/moves", location="CUSTOMER")["items"] if m["ref_id"] == number] == []


def test_a_fully_picked_order_ships_as_before_without_a_decision(client, world, as_role):
    admin, sales, worker = (Api(client, as_role(r)) for r in ("admin", "sales", "warehouse"))
    customer_and_areas(admin)
    post_move(client, worker.headers, "PEN", 3, "SUPPLIER", "B1", unit_cost="1")
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "3", "unit_price": "2"}]},
                       expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    worker.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": "3"})
    response = client.post(f"/api/v1/sales-orders/{order['number']}/ship", headers=worker.headers)
    assert response.status_code == 200, response.text
    shipped = response.json()
    assert shipped["status"] == "shipped" and shipped["backorders"] == [] and shipped["backorder_of"] is None
    assert (shipped["lines"][0]["shipped"], shipped["lines"][0]["backordered"], shipped["lines"][0]["cancelled"]) == ("3", "0", "0")


def test_shipping_short_with_a_backorder_ships_what_was_picked_and_keeps_the_rest_on_a_confirmed_order(client, world, as_role, db):
    sales, worker, finance, order, picking = _picking(client, as_role, pens="4")
    number = order["number"]
    # The 2 pens the picker did not find in B1 were released; another order takes them before this one ships.
    other = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "2", "unit_price": "10"}]},
                       expect=201)
    other = sales.post(f"/api/v1/sales-orders/{other['number']}/confirm", {"version": other["version"]})

    shipped = worker.post(f"/api/v1/sales-orders/{number}/ship", {"remainder": "backorder"})
    assert shipped["status"] == "shipped" and len(shipped["backorders"]) == 1
    assert [(line["sku"], line["qty"], line["shipped"], line["backordered"], line["cancelled"], line["reserved"]) for line in shipped["lines"]] == [
        ("PEN", "6", "4", "2", "0", "0"), ("RICE", "4", "0", "4", "0", "0")]
    backorder = sales.get(f"/api/v1/sales-orders/{shipped['backorders'][0]}")
    assert backorder["backorder_of"] == number and backorder["backorders"] == []
    assert (backorder["status"], backorder["customer"], backorder["warehouse"]) == ("confirmed", "CUS1", "WH1")
    # The rice left in B2 is reserved again for the backorder; the pens went to the other order first.
    assert [(line["line"], line["sku"], line["qty"], line["unit_price"], line["vat_rate"], line["reserved"]) for line in backorder["lines"]] == [
        (1, "PEN", "2", "10", "13", "0"), (2, "RICE", "4", "5", "9", "4")]
    assert backorder["total"] == "44.4"  # 20 + 2.6 VAT, 20 + 1.8 VAT
    assert worker.stock("PEN", "WH1-OUT") == ("0", "0") and worker.stock("PEN", "B1") == ("2", "2")
    assert worker.stock("RICE", "B2") == ("10", "4")
    wave = worker.get(f"/api/v1/waves/{picking['wave']}")
    assert wave["status"] == "done" and {t["sku"]: t["status"] for t in wave["tasks"]} == {"PEN": "short", "RICE": "cancelled"}
    assert _audit(finance, "so.backorder", number) == [{"backorder": backorder["number"], "reason": "", "lines": {"1": "2", "2": "4"}}]
    assert _audit(finance, "so.confirm", backorder["number"])[0]["credit_checked_on"] == number

    invoice = finance.post(f"/api/v1/sales-orders/{number}/invoice", {}, expect=201)
    assert [(line["sku"], line["qty"]) for line in invoice["lines"]] == [("PEN", "4")]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == ("40", "5.2", "45.2")
    assert finance.journal("invoice", invoice["number"]) == [("1122", "45.2", "0"), ("6001", "0", "40"), ("22210102", "0", "5.2")]
    assert sales.get(f"/api/v1/sales-orders/{number}")["status"] == "invoiced"
    # What the customer still has on order is the backorder and the other order, not the original's rest a second time.
    credit = finance.get("/api/v1/customers/CUS1/credit")
    assert Decimal(credit["open_orders"]) == Decimal(backorder["total"]) + Decimal(other["total"])
    assert finance.account("6401") == "4"  # the cost of the 4 pens that left
    books_are_sound(finance, db)


def test_a_backorder_reserves_what_came_in_since_before_it_is_picked_and_can_ship_short_again(client, world, as_role, db):
    sales, worker, finance, order, _ = _picking(client, as_role, pens="4")
    sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "2", "unit_price": "10"}]}, expect=201)
    other = sales.get("/api/v1/sales-orders", status="draft")["items"][0]
    sales.post(f"/api/v1/sales-orders/{other['number']}/confirm", {"version": other["version"]})
    backorder = worker.post(f"/api/v1/sales-orders/{order['number']}/ship", {"remainder": "backorder"})["backorders"][0]
    post_move(client, worker.headers, "PEN", 1, "SUPPLIER", "B3", unit_cost="1")

    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [backorder]}, expect=201)
    assert [(t["location"], t["sku"], t["qty"]) for t in wave["tasks"]] == [("B2", "RICE", "4"), ("B3", "PEN", "1")]
    for task in wave["tasks"]:
        worker.post(f"/api/v1/pick-tasks/{task['id']}/confirm", {"qty": task["qty"]})
    refused = client.post(f"/api/v1/sales-orders/{backorder}/ship", headers=worker.headers, json={})
    assert refused.status_code == 409 and refused.json()["details"]["lines"] == [
        {"line": 1, "sku": "PEN", "ordered": "2", "picked": "1", "packed": "0", "short": "1"}]
    shipped = worker.post(f"/api/v1/sales-orders/{backorder}/ship", {"remainder": "cancel", "reason": "客户不再需要 no longer needed"})
    assert [(line["sku"], line["shipped"], line["cancelled"]) for line in shipped["lines"]] == [("PEN", "1", "1"), ("RICE", "4", "0")]
    assert shipped["backorder_of"] == order["number"] and shipped["backorders"] == []
    assert worker.stock("PEN", "B3") == ("0", "0") and worker.stock("RICE", "B2") == ("6", "0")
    invoice = finance.post(f"/api/v1/sales-orders/{backorder}/invoice", {}, expect=201)
    assert [(line["sku"], line["qty"]) for line in invoice["lines"]] == [("PEN", "1"), ("RICE", "4")] and invoice["total"] == "33.1"  # 11.3 + 21.8
    books_are_sound(finance, db)


def test_shipping_short_and_cancelling_the_rest_releases_its_reservation_and_bills_only_what_left(client, world, as_role, db):
    sales, worker, finance, order, picking = _picking(client, as_role, pens="6")
    number = order["number"]
    shipped = worker.post(f"/api/v1/sales-orders/{number}/ship", {"remainder": "cancel", "reason": "客户只要笔 the customer takes the pens only"})
    assert shipped["status"] == "shipped" and shipped["backorders"] == []
    assert [(line["sku"], line["shipped"], line["cancelled"], line["backordered"], line["reserved"]) for line in shipped["lines"]] == [
        ("PEN", "6", "0", "0", "0"), ("RICE", "0", "4", "0", "0")]
    assert worker.stock("RICE", "B2") == ("10", "0") and worker.stock("PEN", "WH1-OUT") == ("0", "0")
    assert _audit(finance, "so.cancel_rest", number) == [{"reason": "客户只要笔 the customer takes the pens only", "lines": {"2": "4"}}]
    late = client.post(f"/api/v1/pick-tasks/{picking['rice_task']}/confirm", headers=worker.headers, json={"qty": "4"})
    assert late.status_code == 409 and late.json()["error"] == "pick_cancelled"

    invoice = finance.post(f"/api/v1/sales-orders/{number}/invoice", {}, expect=201)
    assert [(line["sku"], line["qty"]) for line in invoice["lines"]] == [("PEN", "6")] and invoice["total"] == "67.8"
    assert finance.journal("invoice", invoice["number"]) == [("1122", "67.8", "0"), ("6001", "0", "60"), ("22210102", "0", "7.8")]
    assert finance.get("/api/v1/customers/CUS1/credit")["open_orders"] == "0"
    assert finance.account("6401") == "6"
    books_are_sound(finance, db)


def test_a_phone_shipping_short_without_a_decision_is_refused_with_the_short_lines_and_ships_once_it_decides(client, world, as_role):
    sales, worker, finance, order, _ = _picking(client, as_role, pens="6")
    number = order["number"]
    undecided = push(client, worker.headers, [op(1, "so.ship", {"order": number})])["results"][0]
    assert undecided["status"] == "conflict" and undecided["details"]["error"] == "short_shipment"
    assert undecided["details"]["lines"] == [{"line": 2, "sku": "RICE", "ordered": "4", "picked": "0", "packed": "0", "short": "4"}]
    assert "RICE" in undecided["message"] and "RICE" in undecided["details"]["message_zh"]
    assert sales.get(f"/api/v1/sales-orders/{number}")["status"] == "picking"
    decided = push(client, worker.headers, [op(2, "so.ship", {"order": number, "remainder": "backorder"})])["results"][0]
    assert decided["status"] == "applied" and decided["details"]["status"] == "shipped"
    backorder = sales.get(f"/api/v1/sales-orders/{decided['details']['backorders'][0]}")
    assert backorder["backorder_of"] == number and [(line["sku"], line["qty"], line["reserved"]) for line in backorder["lines"]] == [("RICE", "4", "4")]
    wrong = push(client, worker.headers, [op(3, "so.ship", {"order": backorder["number"], "remainder": "later"})])["results"][0]
    assert wrong["status"] == "rejected" and wrong["details"]["error"] == "invalid_payload"
