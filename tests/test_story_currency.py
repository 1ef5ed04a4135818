"""Buying in US dollars, end to end through the HTTP API, on SQLite and PostgreSQL.

Finance keeps the day's exchange rates. A purchase order in USD carries the rate of its day and is approved by its
value in yuan; the goods received are valued in yuan at the rate of the day they arrive, so the item's moving-average
cost stays a cost in yuan; the supplier's bill books the payable at the bill's rate, and the difference from the rate
the goods were received at is an exchange difference (6603); the payment, at the bank's rate, realises the rest. The
payables ageing shows the bill in dollars and in yuan, and in yuan it equals the payables account.
"""

from __future__ import annotations

import datetime as dt

from server.dates import local_today
from tests.helpers import post_move
from tests.stories import Api, books_are_sound, customer_and_areas, supplier_and_dock


def test_a_purchase_in_dollars_is_booked_in_yuan_at_each_days_rate(client, world, as_role):
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    approver_2 = Api(client, as_role("approver", ("WH1",)))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    today = local_today()
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    supplier_and_dock(admin)
    admin.post("/api/v1/partners", {"code": "SUPUS", "kind": "supplier", "name_zh": "美国供应商", "name_en": "US Supplier", "currency": "USD"},
               expect=201)
    # 86 pens already in stock at 62.91 yuan each.
    assert post_move(client, warehouse.headers, "PEN", 86, "SUPPLIER", "B1", unit_cost="62.91").status_code == 201
    assert finance.get("/api/v1/finance/valuation/PEN")["value"] == "5410.26"

    # No rate for dollars yet: an order in USD is refused, with what to do, and nothing is written.
    refused = client.post("/api/v1/purchase-orders", headers=purchaser.headers,
                          json={"supplier": "SUPUS", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "200", "unit_price": "8"}]})
    assert refused.status_code == 422 and refused.json()["error"] == "no_exchange_rate", refused.text
    assert "USD" in refused.json()["message"]
    assert purchaser.get("/api/v1/purchase-orders")["total"] == 0
    # Finance enters yesterday's rate; a purchaser may read rates but not set them; a rate must be positive.
    codes = [c["code"] for c in finance.get("/api/v1/currencies")]
    assert codes[0] == "CNY" and "USD" in codes
    purchaser.put("/api/v1/exchange-rates", {"currency": "USD", "on": yesterday, "rate": "7.3"}, expect=403)
    finance.put("/api/v1/exchange-rates", {"currency": "USD", "on": yesterday, "rate": "-1"}, expect=422)
    assert finance.put("/api/v1/exchange-rates", {"currency": "USD", "on": yesterday, "rate": "7.1"}) == {
        "currency": "USD", "on": yesterday, "rate": "7.1"}

    # 1. The order is in the supplier's currency at today's rate (yesterday's is the latest), and its value in yuan,
    #    12,836.80, needs two approvals; its 1,808 dollars alone would have needed one.
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUPUS", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "200", "unit_price": "8"}]},
                        expect=201)
    number = po["number"]
    assert (po["currency"], po["exchange_rate"], po["subtotal"], po["tax"], po["total"], po["total_cny"]) == (
        "USD", "7.1", "1600", "208", "1808", "12836.8")
    po = purchaser.post(f"/api/v1/purchase-orders/{number}/submit", {"version": po["version"]})
    assert po["approval_roles"] == ["approver", "approver"]
    po = approver.post(f"/api/v1/purchase-orders/{number}/approve", {"version": po["version"]})
    po = approver_2.post(f"/api/v1/purchase-orders/{number}/approve", {"version": po["version"]})
    assert po["status"] == "approved"

    # 2. The 200 pens arrive today and are valued at 8 dollars × 7.1 = 56.80 yuan each.
    grn = warehouse.post("/api/v1/receipts", {"po": number}, expect=201)
    line = warehouse.post(f"/api/v1/receipts/{grn['number']}/lines", {"sku": "PEN", "qty": "200"}, expect=201)
    assert finance.journal("move", str(line["move"])) == [("1405", "11360", "0"), ("220202", "0", "11360")]
    valuation = finance.get("/api/v1/finance/valuation/PEN")
    assert (valuation["qty"], valuation["value"]) == ("286", "16770.26")  # not 5,410.26 + 1,600
    warehouse.post(f"/api/v1/receipts/{grn['number']}/complete")
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines/1/inspect", {"accepted": "200"})

    # 3. The dollar rises to 7.2 today; the bill is booked at it: the payable in yuan is 13,017.60, and the 160 between
    #    the goods at 7.1 and the bill at 7.2 is an exchange loss.
    finance.put("/api/v1/exchange-rates", {"currency": "USD", "on": today.isoformat(), "rate": "7.2"})
    assert [r["rate"] for r in finance.get("/api/v1/exchange-rates", currency="USD")["items"]] == ["7.2", "7.1"]
    bill = finance.post("/api/v1/bills", {"po": number, "supplier_ref": "US-INV-7", "lines": [{"line": 1, "qty": "200", "unit_price": "8"}]},
                        expect=201)
    assert (bill["currency"], bill["exchange_rate"], bill["total"], bill["total_cny"]) == ("USD", "7.2", "1808", "13017.6")
    # The supplier's invoice states 7.25: entered so, the draft is booked at it; corrected back, at 7.2 again.
    stated = finance.patch(f"/api/v1/bills/{bill['number']}", {"version": bill["version"], "exchange_rate": "7.25"})
    assert (stated["exchange_rate"], stated["total_cny"]) == ("7.25", "13108")
    bill = finance.patch(f"/api/v1/bills/{bill['number']}", {"version": stated["version"], "exchange_rate": "7.2"})
    assert bill["total_cny"] == "13017.6"
    posted = finance.post(f"/api/v1/bills/{bill['number']}/post", {})
    assert posted["status"] == "posted"
    assert sorted(finance.journal("bill", bill["number"])) == sorted([
        ("220202", "11360", "0"), ("22210101", "1497.6", "0"), ("6603", "160", "0"), ("2202", "0", "13017.6")])
    assert finance.account("220202") == "-5410.26"  # only the opening stock's accrual is left

    # The payables ageing shows the bill in dollars and in yuan; in yuan it is the payables account.
    rows = finance.get("/api/v1/reports/ap_ageing", format="json", group_by="document", partner="SUPUS")["rows"]
    assert [(r["document"], r["currency"], r["open_currency"], r["total_open"]) for r in rows] == [(bill["number"], "USD", "1808", "13017.6")]
    assert finance.account("2202") == "-13017.6"

    # 4. Paid in full at the bank's rate of 7.25: 13,108 yuan leave the bank; the 90.40 over the bill's yuan is realised.
    #    A payment in yuan cannot settle a bill in dollars.
    finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUPUS", "amount": "1808", "currency": "CNY",
                                      "allocations": [{"document": bill["number"], "amount": "1808"}]}, expect=422)
    payment = finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUPUS", "amount": "1808", "exchange_rate": "7.25",
                                                "reference": "TT USD", "allocations": [{"document": bill["number"], "amount": "1808"}]}, expect=201)
    assert (payment["currency"], payment["exchange_rate"], payment["amount"], payment["amount_cny"]) == ("USD", "7.25", "1808", "13108")
    assert sorted(finance.journal("payment", payment["number"])) == sorted([
        ("2202", "13108", "0"), ("1002", "0", "13108"), ("6603", "90.4", "0"), ("2202", "0", "90.4")])
    assert finance.get(f"/api/v1/bills/{bill['number']}")["status"] == "paid"
    assert finance.account("2202") == "0" and finance.account("6603") == "250.4" and finance.account("1002") == "-13108"
    assert finance.get("/api/v1/reports/ap_ageing", format="json", partner="SUPUS")["rows"] == []
    books_are_sound(finance, world)
    assert finance.account("1405") == finance.get("/api/v1/finance/valuation/PEN")["value"]


def test_a_sale_in_dollars_is_judged_against_credit_and_booked_in_yuan(client, world, as_role):
    admin, sales, finance = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("finance"))
    worker = Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    admin.post("/api/v1/partners", {"code": "CUSUS", "kind": "customer", "name_zh": "美国客户", "name_en": "US Customer", "currency": "USD",
                                    "credit_limit": "1500"}, expect=201)
    finance.put("/api/v1/exchange-rates", {"currency": "USD", "on": local_today().isoformat(), "rate": "7.2"})
    assert post_move(client, worker.headers, "PEN", 10, "SUPPLIER", "B1", unit_cost="50").status_code == 201

    # 10 pens at 20 dollars with 13 % VAT: 226 dollars, 1,627.20 yuan. Under a limit of 1,500 as dollars, over it as yuan.
    order = sales.post("/api/v1/sales-orders", {"customer": "CUSUS", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "10", "unit_price": "20"}]},
                       expect=201)
    assert (order["currency"], order["exchange_rate"], order["total"], order["total_cny"]) == ("USD", "7.2", "226", "1627.2")
    refused = client.post(f"/api/v1/sales-orders/{order['number']}/confirm", headers=sales.headers, json={"version": order["version"]})
    assert refused.status_code == 409 and refused.json()["error"] == "credit_limit_exceeded", refused.text
    admin.patch("/api/v1/partners/CUSUS", {"credit_limit": "5000"})
    order = sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    worker.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": "10"})
    worker.post(f"/api/v1/sales-orders/{order['number']}/ship")

    # The invoice is in dollars; the books in yuan: revenue 1,440, VAT 187.20; the cost of the pens, 500, stays in yuan.
    invoice = finance.post(f"/api/v1/sales-orders/{order['number']}/invoice", {}, expect=201)
    assert (invoice["currency"], invoice["exchange_rate"], invoice["total"], invoice["total_cny"]) == ("USD", "7.2", "226", "1627.2")
    assert sorted(finance.journal("invoice", invoice["number"])) == sorted([("1122", "1627.2", "0"), ("6001", "0", "1440"), ("22210102", "0", "187.2")])
    assert finance.account("6401") == "500"
    rows = finance.get("/api/v1/reports/ar_ageing", format="json", group_by="document", partner="CUSUS")["rows"]
    assert [(r["document"], r["currency"], r["open_currency"], r["total_open"]) for r in rows] == [(invoice["number"], "USD", "226", "1627.2")]

    # The customer pays 226 dollars that the bank changes at 7.0: 1,582 yuan, and a realised loss of 45.20.
    receipt = finance.post("/api/v1/payments", {"kind": "customer", "partner": "CUSUS", "amount": "226", "exchange_rate": "7",
                                                "allocations": [{"document": invoice["number"], "amount": "226"}]}, expect=201)
    assert (receipt["currency"], receipt["amount_cny"]) == ("USD", "1582")
    assert sorted(finance.journal("payment", receipt["number"])) == sorted([
        ("1002", "1582", "0"), ("1122", "0", "1582"), ("6603", "45.2", "0"), ("1122", "0", "45.2")])
    assert finance.account("1122") == "0" and finance.get(f"/api/v1/invoices/{invoice['number']}")["status"] == "paid"
    assert finance.get("/api/v1/reports/ar_ageing", format="json", partner="CUSUS")["rows"] == []
    books_are_sound(finance, world)


def test_a_price_list_in_yuan_does_not_price_an_order_in_dollars(client, world, as_role):
    admin, sales, finance = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("finance"))
    purchaser, worker = Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    supplier_and_dock(admin)
    finance.put("/api/v1/exchange-rates", {"currency": "USD", "on": local_today().isoformat(), "rate": "7.2"})
    sales.post("/api/v1/price-lists", {"code": "RETAIL", "kind": "sales", "prices": [{"sku": "PEN", "price": "15"}]}, expect=201)
    admin.patch("/api/v1/partners/CUS1", {"price_list": "RETAIL"})

    # In yuan, the list prices the line, per the line's unit: a carton of 12 pens is 180.
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1", "unit": "carton"}]},
                       expect=201)
    assert (order["currency"], order["lines"][0]["unit_price"]) == ("CNY", "180")
    assert sales.get("/api/v1/customers/CUS1/price", sku="PEN", qty="2", unit="carton")["unit_price"] == "180"
    # In dollars, the yuan list says nothing: the line needs a price, and the refusal says why.
    refused = client.post("/api/v1/sales-orders", headers=sales.headers, json={
        "customer": "CUS1", "warehouse": "WH1", "currency": "USD", "lines": [{"sku": "PEN", "qty": "1"}]})
    assert refused.status_code == 422 and refused.json()["error"] == "price_required", refused.text
    assert "USD" in refused.json()["message"] and refused.json()["details"]["field"] == "lines[0].unit_price"
    assert sales.get("/api/v1/customers/CUS1/price", sku="PEN", qty="1", currency="USD")["unit_price"] is None
    assert sales.get("/api/v1/sales-orders")["total"] == 1

    # A purchase order in dollars with no price typed takes the average cost in yuan turned into dollars (72 / 7.2), not 72.
    assert post_move(client, worker.headers, "PEN", 10, "SUPPLIER", "B1", unit_cost="72").status_code == 201
    admin.post("/api/v1/partners", {"code": "SUPUS", "kind": "supplier", "name_en": "US Supplier", "currency": "USD"}, expect=201)
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUPUS", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "5"}]}, expect=201)
    assert (po["currency"], po["lines"][0]["unit_price"]) == ("USD", "10")
    # In yuan, an order from a supplier never bought from takes the average cost as it is.
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "5"}]}, expect=201)
    assert (po["currency"], po["lines"][0]["unit_price"]) == ("CNY", "72")
