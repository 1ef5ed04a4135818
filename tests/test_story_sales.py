"""Quote to cash, end to end through the HTTP API, on SQLite and PostgreSQL.

A quote becomes an order that is over the customer's credit limit: refused, then released by
finance with a reason. Confirming reserves milk first-expiry-first; a wave routes the picker by bin
code and refuses the wrong lot; the goods are packed under SSCCs, shipped, invoiced, half paid,
and one pen comes back and is restocked, with a credit note. Every balance, reservation, status
and journal line is checked on the way, and the books at the end.
"""

from __future__ import annotations

from labels.gs1 import with_check_digit
from server.dates import local_today
from tests.helpers import post_move
from tests.stories import Api, books_are_sound

YEAR = local_today().year


def test_quote_to_cash(client, world, as_role):
    admin, sales, finance = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("finance"))
    warehouse = Api(client, as_role("warehouse"))

    # Set-up: shipping and returns areas, a customer with a credit limit and a price list, stock in three bins.
    admin.post("/api/v1/locations", {"code": "WH1-OUT", "kind": "zone", "parent": "WH1", "name_zh": "发货区", "name_en": "Shipping"}, expect=201)
    admin.post("/api/v1/locations", {"code": "WH1-RET", "kind": "zone", "parent": "WH1", "quarantine": True, "name_zh": "退货区", "name_en": "Returns"},
               expect=201)
    sales.post("/api/v1/price-lists", {"code": "RETAIL", "kind": "sales", "prices": [{"sku": "MILK", "price": "150"}]}, expect=201)
    sales.post("/api/v1/partners", {"code": "CUS1", "kind": "customer", "name_zh": "华联超市", "name_en": "Hualian Supermarket",
                                    "credit_limit": "1000", "payment_terms_days": 15, "price_list": "RETAIL"}, expect=201)
    for code, expiry in (("E1", "2027-01-31"), ("E2", "2026-12-20")):
        warehouse.post("/api/v1/lots", {"sku": "MILK", "code": code, "expiry": expiry}, expect=201)
    for sku, qty, bin_, lot, cost in (("MILK", 10, "B2", "E1", "100"), ("MILK", 4, "B3", "E2", "100"), ("PEN", 50, "B1", None, "2")):
        extra = {"lot": lot} if lot else {}
        assert post_move(client, warehouse.headers, sku, qty, "SUPPLIER", bin_, unit_cost=cost, **extra).status_code == 201

    # 1. Quote: milk at the list price, pens at an agreed price; accepted, it becomes a draft order.
    quote = sales.post("/api/v1/quotes", {"customer": "CUS1", "warehouse": "WH1", "lines": [
        {"sku": "MILK", "qty": "6"}, {"sku": "PEN", "qty": "20", "unit_price": "5"}]}, expect=201)
    assert quote["number"] == f"QT-{YEAR}-00001" and (quote["subtotal"], quote["tax"], quote["total"]) == ("1000", "130", "1130")
    assert [(line["sku"], line["unit_price"]) for line in quote["lines"]] == [("MILK", "150"), ("PEN", "5")]
    quote = sales.post(f"/api/v1/quotes/{quote['number']}/send", {"version": quote["version"]})
    assert quote["status"] == "sent"
    order = sales.post(f"/api/v1/quotes/{quote['number']}/accept", {"version": quote["version"]})
    number = order["number"]
    assert number == f"SO-{YEAR}-00001" and order["status"] == "draft" and order["total"] == "1130"
    assert sales.get(f"/api/v1/quotes/{quote['number']}")["status"] == "accepted"

    # 2. Over the credit limit (1,130 > 1,000): refused with the figures; the salesperson cannot release it; finance does.
    response = client.post(f"/api/v1/sales-orders/{number}/confirm", headers=sales.headers, json={})
    assert response.status_code == 409, response.text
    refusal = response.json()
    assert refusal["error"] == "credit_limit_exceeded"
    assert (refusal["details"]["limit"], refusal["details"]["exposure"]) == ("1000", "1130")
    assert sales.get(f"/api/v1/sales-orders/{number}")["status"] == "draft"
    assert warehouse.stock("MILK", "B3", "E2") == ("4", "0")  # nothing was reserved
    sales.post(f"/api/v1/sales-orders/{number}/credit-release", {"version": order["version"], "reason": "x"}, expect=403)
    released = finance.post(f"/api/v1/sales-orders/{number}/credit-release", {"version": order["version"], "reason": "老客户，月底回款 regular customer"})
    assert released["credit_released_by"] and released["credit_release_reason"].startswith("老客户")
    order = sales.post(f"/api/v1/sales-orders/{number}/confirm", {"version": released["version"]})
    assert order["status"] == "confirmed"
    # Reserved first-expiry-first: the 4 boxes of E2 (20 Dec) before 2 of E1 (31 Jan).
    assert [(line["sku"], line["reserved"]) for line in order["lines"]] == [("MILK", "6"), ("PEN", "20")]
    assert warehouse.stock("MILK", "B3", "E2") == ("4", "4") and warehouse.stock("MILK", "B2", "E1") == ("10", "2")
    assert warehouse.stock("PEN", "B1") == ("50", "20")
    credit = finance.get("/api/v1/customers/CUS1/credit")
    assert (credit["open_orders"], credit["exposure"], credit["available_credit"]) == ("1130", "1130", "-130")

    # 3. A wave: the route runs by bin code, each task naming the lot to take.
    wave = warehouse.post("/api/v1/waves", {"warehouse": "WH1", "orders": [number]}, expect=201)
    assert wave["number"] == f"WAVE-{YEAR}-00001"
    route = [(t["seq"], t["location"], t["sku"], t["lot"], t["qty"]) for t in wave["tasks"]]
    assert route == [(1, "B1", "PEN", None, "20"), (2, "B2", "MILK", "E1", "2"), (3, "B3", "MILK", "E2", "4")]
    assert sales.get(f"/api/v1/sales-orders/{number}")["status"] == "picking"
    tasks = {t["location"]: t["id"] for t in wave["tasks"]}
    wrong = client.post(f"/api/v1/pick-tasks/{tasks['B2']}/confirm", headers=warehouse.headers, json={"qty": "2", "location": "B2", "lot": "E2"})
    assert wrong.status_code == 422 and wrong.json()["error"] == "wrong_lot", wrong.text
    for location, qty, lot in (("B1", "20", None), ("B2", "2", "E1"), ("B3", "4", "E2")):
        picked = warehouse.post(f"/api/v1/pick-tasks/{tasks[location]}/confirm", {"qty": qty, "location": location, **({"lot": lot} if lot else {})})
        assert picked["status"] == "done" and picked["picked"] == qty
    warehouse.post(f"/api/v1/pick-tasks/{tasks['B1']}/confirm", {"qty": "20"}, expect=409)  # the same task twice
    assert warehouse.get(f"/api/v1/waves/{wave['number']}")["status"] == "done"
    # Picked goods sit in the shipping area, still reserved for the order; the bins are down.
    assert warehouse.stock("PEN", "B1") == ("30", "0") and warehouse.stock("PEN", "WH1-OUT") == ("20", "20")
    assert warehouse.stock("MILK", "WH1-OUT", "E1") == ("2", "2") and warehouse.stock("MILK", "WH1-OUT", "E2") == ("4", "4")
    assert warehouse.stock("MILK", "B3", "E2") == ("0", "0") and warehouse.stock("MILK", "B2", "E1") == ("8", "0")

    # 4. Pack: two packages, each with its own valid SSCC.
    order = warehouse.post(f"/api/v1/sales-orders/{number}/pack", {"packages": [
        {"lines": [{"line": 1, "qty": "6"}], "weight_kg": "7.2"}, {"lines": [{"line": 2, "qty": "20"}]}]})
    assert order["status"] == "packed"
    ssccs = [p["sscc"] for p in order["packages"]]
    assert len(set(ssccs)) == 2 and all(len(s) == 18 and s.isdigit() and with_check_digit(s[:17]) == s for s in ssccs)
    assert [[(c["sku"], c["qty"]) for c in p["contents"]] for p in order["packages"]] == [[("MILK", "6")], [("PEN", "20")]]

    # 5. Ship: the shipping area empties into CUSTOMER at average cost; cost of goods sold 640.
    order = warehouse.post(f"/api/v1/sales-orders/{number}/ship")
    assert order["status"] == "shipped" and [line["shipped"] for line in order["lines"]] == ["6", "20"]
    assert [line["reserved"] for line in order["lines"]] == ["0", "0"]
    assert warehouse.stock("PEN", "WH1-OUT") == ("0", "0") and warehouse.stock("MILK", "WH1-OUT", "E2") == ("0", "0")
    moves = warehouse.get("/api/v1/stock/moves", location="CUSTOMER")["items"]
    shipped = [m for m in moves if m["ref_id"] == number]
    assert sorted((m["sku"], m["qty"]) for m in shipped) == [("MILK", "2"), ("MILK", "4"), ("PEN", "20")]
    cogs = sorted(finance.journal("move", str(m["id"]))[0] for m in shipped)
    assert cogs == [("6401", "200", "0"), ("6401", "40", "0"), ("6401", "400", "0")]

    # 6. Invoice: receivable against revenue and output VAT.
    invoice = finance.post(f"/api/v1/sales-orders/{number}/invoice", {"invoice_date": "2026-11-26"}, expect=201)
    inv = invoice["number"]
    assert inv == f"INV-{YEAR}-00001" and invoice["status"] == "posted" and invoice["total"] == "1130" and invoice["due_date"] == "2026-12-11"
    assert finance.journal("invoice", inv) == [("1122", "1130", "0"), ("6001", "0", "1000"), ("22210102", "0", "130")]
    assert sales.get(f"/api/v1/sales-orders/{number}")["status"] == "invoiced"
    finance.post(f"/api/v1/sales-orders/{number}/invoice", {}, expect=409)  # nothing left to invoice

    # 7. The customer pays 500 of it.
    receipt = finance.post("/api/v1/payments", {"kind": "customer", "partner": "CUS1", "amount": "500",
                                                "allocations": [{"document": inv, "amount": "500"}]}, expect=201)
    assert receipt["number"] == f"REC-{YEAR}-00001"
    assert finance.journal("payment", receipt["number"]) == [("1002", "500", "0"), ("1122", "0", "500")]
    invoice = finance.get(f"/api/v1/invoices/{inv}")
    assert (invoice["status"], invoice["paid"], invoice["open"]) == ("partially_paid", "500", "630")

    # 8. One pen comes back: into the returns area at the cost it left with, a credit note, then back on the shelf.
    rma = sales.post("/api/v1/returns", {"order": number, "lines": [{"line": 2, "qty": "1", "reason": "笔芯漏墨 leaking"}]}, expect=201)
    assert rma["number"] == f"RMA-{YEAR}-00001" and rma["status"] == "open"
    sales.post("/api/v1/returns", {"order": number, "lines": [{"line": 2, "qty": "20"}]}, expect=409)  # more than shipped and not returned
    rma = warehouse.post(f"/api/v1/returns/{rma['number']}/receive")
    assert rma["status"] == "received" and rma["credit_note"] == f"CN-{YEAR}-00001"
    assert warehouse.stock("PEN", "WH1-RET") == ("1", "0")
    returned = [m for m in warehouse.get("/api/v1/stock/moves", location="WH1-RET")["items"] if m["ref_type"] == "return"]
    assert finance.journal("move", str(returned[0]["id"])) == [("1405", "2", "0"), ("6401", "0", "2")]
    note = finance.get(f"/api/v1/invoices/{rma['credit_note']}")
    assert (note["kind"], note["total"], note["credits"]) == ("credit_note", "5.65", inv)
    assert finance.journal("invoice", note["number"]) == [("1122", "0", "5.65"), ("6001", "5", "0"), ("22210102", "0.65", "0")]
    invoice = finance.get(f"/api/v1/invoices/{inv}")
    assert (invoice["credited"], invoice["open"]) == ("5.65", "624.35")
    rma = warehouse.post(f"/api/v1/returns/{rma['number']}/lines/1/dispose", {"disposition": "restock", "location": "B1"})
    assert rma["status"] == "done" and rma["lines"][0]["disposition"] == "restock"
    assert warehouse.stock("PEN", "B1") == ("31", "0") and warehouse.stock("PEN", "WH1-RET") == ("0", "0")
    order = sales.get(f"/api/v1/sales-orders/{number}")
    assert [(line["shipped"], line["invoiced"], line["returned"]) for line in order["lines"]] == [("6", "6", "0"), ("20", "19", "1")]

    # The books: receivable 1,130 − 500 − 5.65; cost of sales 640 − 2; inventory = valuation.
    assert finance.account("1122") == "624.35"
    assert finance.account("6401") == "638"
    assert finance.account("6001") == "-995" and finance.account("22210102") == "-129.35"
    assert finance.get("/api/v1/customers/CUS1/credit")["open_receivables"] == "624.35"
    books_are_sound(finance, world)
