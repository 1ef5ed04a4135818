"""Buying in cartons and selling in pieces, with discounts, end to end through the HTTP API on SQLite and PostgreSQL.

A line counts in the item's own unit or in one of its packs (PEN: pcs, or a carton of 12); its quantity and price are
per that unit, while the ledger counts pieces. A line's discount and the document's discount (整单折扣) both come off
the price; amounts are rounded once, to the cent, per line. The goods come in at the discounted price, the bill is
matched against it, and a sale below the item's average cost is flagged on the draft and needs an administrator to
confirm.
"""

from __future__ import annotations

from tests.helpers import post_move
from tests.stories import Api, books_are_sound, customer_and_areas, supplier_and_dock


def test_a_purchase_in_cartons_with_discounts_is_received_in_pieces_at_the_discounted_price(client, world, as_role):
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    supplier_and_dock(admin)

    # 10 cartons at 100 a carton, 5 % off the line and 2 % off the whole order: 93.10 a carton, 931.00 net, 121.03 VAT.
    po = purchaser.post("/api/v1/purchase-orders", {
        "supplier": "SUP1", "warehouse": "WH1", "discount": "2",
        "lines": [{"sku": "PEN", "qty": "10", "unit": "carton", "unit_price": "100", "discount": "5"}],
    }, expect=201)
    line = po["lines"][0]
    assert (line["qty"], line["base_unit"], line["unit"], line["unit_factor"], line["unit_qty"], line["unit_price"], line["discount"]) == (
        "120", "pcs", "carton", "12", "10", "100", "5")
    assert (po["discount"], line["net"], po["subtotal"], po["tax"], po["total"]) == ("2", "931", "931", "121.03", "1052.03")
    # The document discount changes while the order is a draft, and every line follows it.
    po = purchaser.patch(f"/api/v1/purchase-orders/{po['number']}", {"version": po["version"], "discount": "0"})
    assert (po["subtotal"], po["lines"][0]["net"]) == ("950", "950")
    po = purchaser.patch(f"/api/v1/purchase-orders/{po['number']}", {"version": po["version"], "discount": "2"})
    assert po["subtotal"] == "931"
    number = po["number"]
    po = purchaser.post(f"/api/v1/purchase-orders/{number}/submit", {"version": po["version"]})
    if po["status"] == "pending":
        po = approver.post(f"/api/v1/purchase-orders/{number}/approve", {"version": po["version"]})
    assert po["status"] == "approved"

    # The warehouse counts pieces: 120 come in, valued at 93.10 / 12 a piece, 931.00 in all.
    grn = warehouse.post("/api/v1/receipts", {"po": number}, expect=201)
    received = warehouse.post(f"/api/v1/receipts/{grn['number']}/lines", {"sku": "PEN", "qty": "120"}, expect=201)
    assert finance.journal("move", str(received["move"])) == [("1405", "931", "0"), ("220202", "0", "931")]
    warehouse.post(f"/api/v1/receipts/{grn['number']}/complete")
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines/1/inspect", {"accepted": "120"})

    # The supplier bills cartons at the discounted price: it matches, and clears exactly what was received.
    bill = finance.post("/api/v1/bills", {"po": number, "lines": [{"line": 1, "qty": "10", "unit_price": "93.1"}]}, expect=201)
    billed = bill["lines"][0]
    assert (billed["qty"], billed["unit"], billed["unit_qty"], billed["unit_price"], billed["net"], bill["total"]) == (
        "120", "carton", "10", "93.1", "931", "1052.03")
    assert finance.post(f"/api/v1/bills/{bill['number']}/post", {})["status"] == "posted"
    assert sorted(finance.journal("bill", bill["number"])) == sorted([("220202", "931", "0"), ("22210101", "121.03", "0"), ("2202", "0", "1052.03")])
    assert finance.account("220202") == "0"
    books_are_sound(finance, world)
    assert finance.account("1405") == finance.get("/api/v1/finance/valuation/PEN")["value"] == "931"


def test_a_unit_the_item_does_not_have_or_a_discount_of_100_percent_is_refused_naming_the_line(client, world, as_role):
    admin, purchaser, sales = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("sales"))
    supplier_and_dock(admin)
    customer_and_areas(admin)
    for body, error, field in (
        ({"sku": "PEN", "qty": "1", "unit": "pallet", "unit_price": "1"}, "unknown_unit", "lines[0].unit"),
        ({"sku": "PEN", "qty": "1", "unit_price": "1", "discount": "100"}, "bad_discount", "lines[0].discount"),
        ({"sku": "PEN", "qty": "0.1", "unit": "carton", "unit_price": "1"}, "invalid", "lines[0].qty"),  # 1.2 pens
    ):
        for path, party in (("/api/v1/purchase-orders", {"supplier": "SUP1"}), ("/api/v1/sales-orders", {"customer": "CUS1"})):
            who = purchaser if "purchase" in path else sales
            response = client.post(path, headers=who.headers, json={**party, "warehouse": "WH1", "lines": [body]})
            assert response.status_code == 422, response.text
            assert (response.json()["error"], response.json()["details"]["field"]) == (error, field)
    assert "carton" in client.post("/api/v1/sales-orders", headers=sales.headers, json={
        "customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1", "unit": "box", "unit_price": "1"}]}).json()["message"]
    assert purchaser.get("/api/v1/purchase-orders")["total"] == 0 and sales.get("/api/v1/sales-orders")["total"] == 0
    # Half a carton of pens is six pens: allowed.
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1",
                                                "lines": [{"sku": "PEN", "qty": "0.5", "unit": "carton", "unit_price": "24"}]}, expect=201)
    assert (order["lines"][0]["qty"], order["lines"][0]["net"]) == ("6", "12")


def test_selling_below_cost_is_flagged_and_only_an_administrator_may_confirm_it(client, world, as_role):
    admin, sales, finance = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("finance"))
    worker = Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    assert post_move(client, worker.headers, "PEN", 100, "SUPPLIER", "B1", unit_cost="7.5").status_code == 201

    # 2 cartons at 120 less 10 % (9 a pen), and 6 pens at 7: the second line sells below the 7.50 a pen cost.
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [
        {"sku": "PEN", "qty": "2", "unit": "carton", "unit_price": "120", "discount": "10"},
        {"sku": "PEN", "qty": "6", "unit_price": "7"},
    ]}, expect=201)
    assert [(line["unit"], line["unit_qty"], line["net"], line["below_cost"]) for line in order["lines"]] == [
        ("carton", "2", "216", False), ("pcs", "6", "42", True)]
    # 5 % off the whole order: 205.20 + 39.90 net; VAT per line, 26.68 + 5.19.
    order = sales.patch(f"/api/v1/sales-orders/{order['number']}", {"version": order["version"], "discount": "5"})
    assert (order["discount"], order["subtotal"], order["tax"], order["total"]) == ("5", "245.1", "31.87", "276.97")

    refused = client.post(f"/api/v1/sales-orders/{order['number']}/confirm", headers=sales.headers, json={"version": order["version"]})
    assert refused.status_code == 403 and refused.json()["error"] == "below_cost", refused.text
    assert refused.json()["details"]["lines"] == [2] and "line 2 (PEN)" in refused.json()["message"]
    assert sales.get(f"/api/v1/sales-orders/{order['number']}")["status"] == "draft"
    assert worker.stock("PEN", "B1") == ("100", "0")  # nothing reserved

    order = admin.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    assert order["status"] == "confirmed" and order["below_cost_confirmed_by"]
    assert worker.stock("PEN", "B1") == ("100", "30")
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    for task in wave["tasks"]:
        worker.post(f"/api/v1/pick-tasks/{task['id']}/confirm", {"qty": task["qty"]})
    worker.post(f"/api/v1/sales-orders/{order['number']}/ship")

    # The invoice keeps the order's units, at the net price per unit: 120 × 0.9 × 0.95 = 102.60 a carton, 6.65 a pen.
    invoice = finance.post(f"/api/v1/sales-orders/{order['number']}/invoice", {}, expect=201)
    assert [(line["unit"], line["unit_qty"], line["unit_price"], line["net"], line["tax"]) for line in invoice["lines"]] == [
        ("carton", "2", "102.6", "205.2", "26.68"), ("pcs", "6", "6.65", "39.9", "5.19")]
    assert sorted(finance.journal("invoice", invoice["number"])) == sorted([("1122", "276.97", "0"), ("6001", "0", "245.1"), ("22210102", "0", "31.87")])
    assert finance.account("6401") == "225"
    books_are_sound(finance, world)


def test_a_quote_in_cartons_becomes_an_order_with_the_same_units_and_discounts(client, world, as_role):
    admin, sales = Api(client, as_role("admin")), Api(client, as_role("sales"))
    customer_and_areas(admin)
    quote = sales.post("/api/v1/quotes", {"customer": "CUS1", "warehouse": "WH1", "discount": "3", "lines": [
        {"sku": "PEN", "qty": "5", "unit": "carton", "unit_price": "110", "discount": "4"}]}, expect=201)
    assert (quote["discount"], quote["subtotal"]) == ("3", "512.16")  # 5 × 110 × 0.96 × 0.97
    sales.post(f"/api/v1/quotes/{quote['number']}/send", {"version": quote["version"]})
    order = sales.post(f"/api/v1/quotes/{quote['number']}/accept", {})
    line = order["lines"][0]
    assert (order["discount"], order["subtotal"], line["qty"], line["unit"], line["unit_qty"], line["discount"]) == (
        "3", "512.16", "60", "carton", "5", "4")


def _shipped(sales: Api, worker: Api, lines: list[dict[str, str]], discount: str = "0") -> str:
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "discount": discount, "lines": lines}, expect=201)
    order = sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    for task in wave["tasks"]:
        worker.post(f"/api/v1/pick-tasks/{task['id']}/confirm", {"qty": task["qty"]})
    worker.post(f"/api/v1/sales-orders/{order['number']}/ship")
    return str(order["number"])


def test_a_carton_returned_after_payment_is_credited_at_its_discounted_price_and_settles_the_next_invoice(client, world, as_role):
    admin, sales, finance = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("finance"))
    worker = Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    assert post_move(client, worker.headers, "PEN", 100, "SUPPLIER", "B1", unit_cost="5").status_code == 201

    # 3 cartons at 120 less 10 %, and 5 % off the order: 102.60 a carton, 307.80 net, 40.01 VAT. Paid in full.
    first = _shipped(sales, worker, [{"sku": "PEN", "qty": "3", "unit": "carton", "unit_price": "120", "discount": "10"}], discount="5")
    invoice = finance.post(f"/api/v1/sales-orders/{first}/invoice", {}, expect=201)
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == ("307.8", "40.01", "347.81")
    finance.post("/api/v1/payments", {"kind": "customer", "partner": "CUS1", "amount": "347.81",
                                      "allocations": [{"document": invoice["number"], "amount": "347.81"}]}, expect=201)

    # One carton comes back: the credit note is one carton at 102.60 plus 13.34 VAT, and nothing is left open to settle.
    rma = sales.post("/api/v1/returns", {"order": first, "lines": [{"line": 1, "qty": "12", "reason": "wrong colour"}]}, expect=201)
    rma = worker.post(f"/api/v1/returns/{rma['number']}/receive")
    note = finance.get(f"/api/v1/invoices/{rma['credit_note']}")
    assert [(line["unit"], line["unit_qty"], line["unit_price"], line["net"], line["tax"]) for line in note["lines"]] == [
        ("carton", "1", "102.6", "102.6", "13.34")]
    assert (note["kind"], note["total"], note["open"]) == ("credit_note", "115.94", "115.94")

    # What is left of the credit settles part of the next order's invoice (30 pens at 9: 305.10); the rest stays open.
    second = _shipped(sales, worker, [{"sku": "PEN", "qty": "30", "unit_price": "9"}])
    later = finance.post(f"/api/v1/sales-orders/{second}/invoice", {}, expect=201)
    assert later["total"] == "305.1"
    applied = finance.post(f"/api/v1/invoices/{note['number']}/apply", {"invoice": later["number"]})
    assert applied["open"] == "0"
    later = finance.get(f"/api/v1/invoices/{later['number']}")
    assert (later["credited"], later["open"], later["status"]) == ("115.94", "189.16", "posted")
    rows = finance.get("/api/v1/reports/ar_ageing", format="json", group_by="document", partner="CUS1")["rows"]
    assert [(r["document"], r["total_open"]) for r in rows] == [(later["number"], "189.16")]
    assert finance.account("1122") == "189.16"
    books_are_sound(finance, world)


def test_part_of_a_carton_received_is_billed_in_pieces_at_the_cartons_price(client, world, as_role):
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    supplier_and_dock(admin)
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "discount": "2",
                                                    "lines": [{"sku": "PEN", "qty": "2", "unit": "carton", "unit_price": "100", "discount": "5"}]}, expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    if po["status"] == "pending":
        po = approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    grn = warehouse.post("/api/v1/receipts", {"po": po["number"]}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines", {"sku": "PEN", "qty": "5"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn['number']}/complete")
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines/1/inspect", {"accepted": "5"})
    assert finance.account("220202") == "-38.79"  # 5 × 93.10 / 12

    # Five pens are not a whole number of cartons: in cartons the bill is refused, naming the quantity; in pieces it is taken.
    refused = client.post("/api/v1/bills", headers=finance.headers, json={"po": po["number"], "lines": [{"line": 1, "qty": "0.4167", "unit_price": "93.1"}]})
    assert refused.status_code == 422 and refused.json()["details"]["field"] == "lines[0].qty", refused.text
    bill = finance.post("/api/v1/bills", {"po": po["number"], "lines": [{"line": 1, "qty": "5", "unit": "pcs", "unit_price": "7.758333"}]}, expect=201)
    line = bill["lines"][0]
    assert (line["qty"], line["unit"], line["unit_qty"], line["net"], bill["total"]) == ("5", "pcs", "5", "38.79", "43.83")
    assert finance.post(f"/api/v1/bills/{bill['number']}/post", {})["status"] == "posted"
    assert finance.account("220202") == "0" and finance.account("2202") == "-43.83"
    books_are_sound(finance, world)
