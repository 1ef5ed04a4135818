"""Sales order rules one at a time: reservations, short picks, cancellation, expired lots, credit releases, returns to scrap."""

from __future__ import annotations

from tests.helpers import post_move
from tests.stories import Api, customer_and_areas


def _order(api: Api, lines: list[tuple[str, str]], price: str = "10") -> dict:
    return api.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1",
                                             "lines": [{"sku": sku, "qty": qty, "unit_price": price} for sku, qty in lines]}, expect=201)


def _confirmed(api: Api, lines: list[tuple[str, str]]) -> dict:
    order = _order(api, lines)
    return api.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})


def test_an_order_for_more_than_is_available_is_refused_and_reserves_nothing(client, world, as_role):
    admin, sales, worker = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    post_move(client, worker.headers, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    post_move(client, worker.headers, "RICE", 10, "SUPPLIER", "B2", unit_cost="4")
    order = _order(sales, [("RICE", "3"), ("PEN", "8")])
    response = client.post(f"/api/v1/sales-orders/{order['number']}/confirm", headers=sales.headers, json={})
    assert response.status_code == 409 and response.json()["error"] == "insufficient_stock", response.text
    assert response.json()["details"]["available"] == "5" and "PEN" in response.json()["message"]
    assert worker.stock("RICE", "B2") == ("10", "0") and worker.stock("PEN", "B1") == ("5", "0")
    assert sales.get(f"/api/v1/sales-orders/{order['number']}")["status"] == "draft"


def test_a_line_needs_a_price_when_the_customer_has_no_price_list(client, world, as_role):
    admin, sales = Api(client, as_role("admin")), Api(client, as_role("sales"))
    customer_and_areas(admin)
    response = client.post("/api/v1/sales-orders", headers=sales.headers, json={"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1"}]})
    assert response.status_code == 422 and response.json()["error"] == "price_required"


def test_cancelling_a_confirmed_order_releases_its_stock(client, world, as_role):
    admin, sales, worker = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    post_move(client, worker.headers, "PEN", 20, "SUPPLIER", "B1", unit_cost="1")
    order = _confirmed(sales, [("PEN", "8")])
    assert worker.stock("PEN", "B1") == ("20", "8")
    cancelled = sales.post(f"/api/v1/sales-orders/{order['number']}/cancel", {"version": order["version"], "reason": "客户取消"})
    assert cancelled["status"] == "cancelled" and cancelled["lines"][0]["reserved"] == "0"
    assert worker.stock("PEN", "B1") == ("20", "0")


def test_a_short_pick_takes_what_is_there_and_releases_the_rest(client, world, as_role):
    admin, sales, worker = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    post_move(client, worker.headers, "PEN", 10, "SUPPLIER", "B1", unit_cost="1")
    order = _confirmed(sales, [("PEN", "10")])
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    task = wave["tasks"][0]["id"]
    worker.post(f"/api/v1/pick-tasks/{task}/confirm", {"qty": "7"}, expect=422)  # short without a reason
    picked = worker.post(f"/api/v1/pick-tasks/{task}/confirm", {"qty": "7", "short_reason": "货架只有7支 only 7 on the shelf"})
    assert picked["status"] == "short" and picked["picked"] == "7"
    assert worker.stock("PEN", "B1") == ("3", "0") and worker.stock("PEN", "WH1-OUT") == ("7", "7")
    order = sales.get(f"/api/v1/sales-orders/{order['number']}")
    assert (order["lines"][0]["picked"], order["lines"][0]["short"], order["lines"][0]["reserved"]) == ("7", "3", "7")
    order = worker.post(f"/api/v1/sales-orders/{order['number']}/ship", {"remainder": "cancel"})  # short: the 3 missing are not sent later
    assert order["status"] == "shipped" and order["lines"][0]["shipped"] == "7" and order["lines"][0]["cancelled"] == "3"
    invoice = Api(client, as_role("finance")).post(f"/api/v1/sales-orders/{order['number']}/invoice", {}, expect=201)
    assert invoice["lines"][0]["qty"] == "7" and invoice["total"] == "79.1"
    assert sales.get(f"/api/v1/sales-orders/{order['number']}")["status"] == "invoiced"


def test_expired_lots_are_never_reserved(client, world, as_role):
    admin, sales, worker = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    worker.post("/api/v1/lots", {"sku": "MILK", "code": "OLD", "expiry": "2020-01-01"}, expect=201)
    worker.post("/api/v1/lots", {"sku": "MILK", "code": "NEW", "expiry": "2099-01-01"}, expect=201)
    post_move(client, worker.headers, "MILK", 5, "SUPPLIER", "B1", lot="OLD", unit_cost="1")
    post_move(client, worker.headers, "MILK", 5, "SUPPLIER", "B2", lot="NEW", unit_cost="1")
    _confirmed(sales, [("MILK", "4")])
    assert worker.stock("MILK", "B1", "OLD") == ("5", "0") and worker.stock("MILK", "B2", "NEW") == ("5", "4")
    order = _order(sales, [("MILK", "2")])
    response = client.post(f"/api/v1/sales-orders/{order['number']}/confirm", headers=sales.headers, json={})
    assert response.status_code == 409 and response.json()["details"]["available"] == "1"


def test_changing_a_released_order_needs_a_new_credit_release(client, world, as_role):
    admin, sales, finance = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("finance"))
    customer_and_areas(admin, credit_limit="50")
    post_move(client, Api(client, as_role("warehouse")).headers, "PEN", 20, "SUPPLIER", "B1", unit_cost="1")
    order = _order(sales, [("PEN", "5")])  # 56.50 > 50
    order = finance.post(f"/api/v1/sales-orders/{order['number']}/credit-release", {"version": order["version"], "reason": "预付款已到"})
    order = sales.patch(f"/api/v1/sales-orders/{order['number']}", {"version": order["version"], "lines": [{"sku": "PEN", "qty": "9", "unit_price": "10"}]})
    assert order["credit_released_by"] is None
    response = client.post(f"/api/v1/sales-orders/{order['number']}/confirm", headers=sales.headers, json={"version": order["version"]})
    assert response.status_code == 409 and response.json()["error"] == "credit_limit_exceeded"


def test_a_returned_item_can_be_scrapped_at_the_cost_it_shipped_at(client, world, as_role):
    admin, sales, worker, finance = (Api(client, as_role(r)) for r in ("admin", "sales", "warehouse", "finance"))
    customer_and_areas(admin)
    post_move(client, worker.headers, "PEN", 4, "SUPPLIER", "B1", unit_cost="3")
    order = _confirmed(sales, [("PEN", "4")])
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    worker.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": "4"})
    worker.post(f"/api/v1/sales-orders/{order['number']}/ship")
    rma = sales.post("/api/v1/returns", {"order": order["number"], "lines": [{"line": 1, "qty": "2", "reason": "损坏 broken"}]}, expect=201)
    rma = worker.post(f"/api/v1/returns/{rma['number']}/receive")
    assert rma["credit_note"] is None  # nothing was invoiced yet, so nothing to credit
    worker.post(f"/api/v1/returns/{rma['number']}/lines/1/dispose", {"disposition": "restock", "location": "WH1-RET"}, expect=422)
    rma = worker.post(f"/api/v1/returns/{rma['number']}/lines/1/dispose", {"disposition": "scrap"})
    assert rma["status"] == "done"
    scrapped = [m for m in worker.get("/api/v1/stock/moves", location="SCRAP")["items"] if m["ref_id"] == rma["number"]]
    assert finance.journal("move", str(scrapped[0]["id"])) == [("6711", "6", "0"), ("1405", "0", "6")]
    assert finance.account("6401") == "6"  # 12 shipped at cost, 6 came back


def _shipped(client, as_role, qty: str, cost: str = "2.2") -> tuple[Api, Api, Api, dict]:  # type: ignore[no-untyped-def]
    admin, sales, worker = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    post_move(client, worker.headers, "PEN", qty, "SUPPLIER", "B1", unit_cost=cost)
    order = _confirmed(sales, [("PEN", qty)])
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    worker.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": qty})
    return sales, worker, Api(client, as_role("finance")), worker.post(f"/api/v1/sales-orders/{order['number']}/ship")


def test_returned_goods_are_not_invoiced_again_and_each_return_comes_back_at_its_shipping_cost(client, world, as_role):
    sales, worker, finance, order = _shipped(client, as_role, "3")
    number = order["number"]
    finance.post(f"/api/v1/sales-orders/{number}/invoice", {}, expect=201)
    for _ in range(2):
        rma = sales.post("/api/v1/returns", {"order": number, "lines": [{"line": 1, "qty": "1"}]}, expect=201)
        worker.post(f"/api/v1/returns/{rma['number']}/receive")
    back = [m for m in finance.get("/api/v1/stock/moves", location="WH1-RET")["items"] if m["from"] == "CUSTOMER"]
    assert sorted(m["value"] for m in back) == ["2.2", "2.2"]
    finance.post(f"/api/v1/sales-orders/{number}/invoice", {}, expect=409)  # the customer kept one, and it is invoiced
    assert finance.account("6401") == "2.2"


def test_a_cancelled_draft_invoice_can_be_issued_again_and_returns_wait_for_drafts(client, world, as_role):
    sales, worker, finance, order = _shipped(client, as_role, "2")
    number = order["number"]
    draft = finance.post(f"/api/v1/sales-orders/{number}/invoice", {"post": False}, expect=201)
    assert draft["status"] == "draft" and finance.journal("invoice", draft["number"]) == []
    refused = client.post("/api/v1/returns", headers=sales.headers, json={"order": number, "lines": [{"line": 1, "qty": "1"}]})
    assert refused.status_code == 409 and refused.json()["error"] == "draft_invoice"
    cancelled = finance.post(f"/api/v1/invoices/{draft['number']}/cancel")
    assert cancelled["status"] == "cancelled" and sales.get(f"/api/v1/sales-orders/{number}")["status"] == "shipped"
    rma = sales.post("/api/v1/returns", {"order": number, "lines": [{"line": 1, "qty": "1"}]}, expect=201)
    rma = worker.post(f"/api/v1/returns/{rma['number']}/receive")
    assert rma["credit_note"] is None  # nothing posted to credit
    again = finance.post(f"/api/v1/sales-orders/{number}/invoice", {}, expect=201)
    assert again["lines"][0]["qty"] == "1" and again["status"] == "posted"  # two shipped, one returned
    finance.post(f"/api/v1/invoices/{again['number']}/cancel", expect=409)  # a posted invoice is corrected by a credit note


def test_a_move_a_document_posted_is_corrected_through_the_document_not_reversed(client, world, as_role):
    sales, worker, finance, order = _shipped(client, as_role, "1")
    shipped = [m for m in worker.get("/api/v1/stock/moves", location="CUSTOMER")["items"] if m["ref_id"] == order["number"]]
    response = client.post(f"/api/v1/stock/moves/{shipped[0]['id']}/reverse", headers=worker.headers, json={})
    assert response.status_code == 409 and response.json()["error"] == "document_move", response.text
