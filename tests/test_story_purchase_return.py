"""Sending goods back to the supplier (采购退货), end to end through the HTTP API, on SQLite and PostgreSQL.

Goods rejected at inspection wait in quarantine; goods accepted are in stock, some of them billed. A purchase return
sends both back at the cost they were received at: goods received not invoiced is cleared of them, the billed part
gets a debit note that settles the bill, and the order shows what went back and what may still be billed. The books
stay whole: trial balance, inventory = valuation, payables ageing = the payables account, `cangku check` clean.
"""

from __future__ import annotations

import datetime as dt

from server.dates import local_today
from tests.helpers import post_move
from tests.stories import Api, books_are_sound, supplier_and_dock


def _received_order(purchaser: Api, approver: Api, warehouse: Api, *, supplier: str = "SUP1", qty: str = "20", price: str = "50",
                    accepted: str = "17", rejected: str = "3") -> tuple[str, str]:
    """An approved order for PEN, received in full: `accepted` put away into B2, `rejected` in quarantine (QC)."""
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": supplier, "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": qty, "unit_price": price}]},
                        expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    po = approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    assert po["status"] == "approved"
    grn = warehouse.post("/api/v1/receipts", {"po": po["number"]}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines", {"sku": "PEN", "qty": qty}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn['number']}/complete")
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines/1/inspect", {"accepted": accepted, "rejected": rejected, "note": "笔尖损坏 broken tips"})
    task = warehouse.get("/api/v1/putaway-tasks", receipt=grn["number"])["items"][0]
    warehouse.post(f"/api/v1/putaway-tasks/{task['id']}/confirm", {"location": "B2"})
    return po["number"], grn["number"]


def test_goods_sent_back_leave_at_their_received_cost_and_the_billed_part_gets_a_debit_note(client, world, as_role):
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    supplier_and_dock(admin)
    # 86 pens already in stock at 62.91 yuan each; 20 more are bought at 50: 17 accepted, 3 rejected.
    assert post_move(client, warehouse.headers, "PEN", 86, "SUPPLIER", "B1", unit_cost="62.91").status_code == 201
    number, _grn = _received_order(purchaser, approver, warehouse)
    assert finance.get("/api/v1/finance/valuation/PEN")["value"] == "6410.26"
    # 12 of the 17 are billed: 600 + 78 VAT.
    bill = finance.post("/api/v1/bills", {"po": number, "supplier_ref": "INV-88", "lines": [{"line": 1, "qty": "12", "unit_price": "50"}]}, expect=201)
    assert finance.post(f"/api/v1/bills/{bill['number']}/post", {})["status"] == "posted"
    assert finance.account("220202") == "-5810.26"  # the opening stock's 5,410.26 and the 5 accepted not billed and 3 rejected

    # Asking too much back is refused, saying how much may go: 3 rejected in quarantine, 17 accepted in stock.
    too_many = client.post("/api/v1/purchase-returns", headers=purchaser.headers,
                           json={"po": number, "lines": [{"line": 1, "qty": "4", "location": "QC", "reason": "坏"}]})
    assert too_many.status_code == 409 and too_many.json()["error"] == "over_return", too_many.text
    assert "3" in too_many.json()["message"]
    elsewhere = client.post("/api/v1/purchase-returns", headers=purchaser.headers, json={"po": number, "lines": [{"line": 1, "qty": "1", "location": "W2-B1"}]})
    assert elsewhere.status_code == 422 and elsewhere.json()["error"] == "wrong_warehouse", elsewhere.text
    warehouse.post("/api/v1/purchase-returns", {"po": number, "lines": [{"line": 1, "qty": "1", "location": "QC"}]}, expect=403)  # purchasers agree returns
    assert purchaser.get("/api/v1/purchase-returns", po=number)["total"] == 0

    # 1. The purchaser agrees the return with the supplier: the 3 rejected and 8 from stock.
    rma = purchaser.post("/api/v1/purchase-returns", {"po": number, "supplier_ref": "RA-5", "note": "退回供应商",
                                                      "lines": [{"line": 1, "qty": "3", "location": "QC", "reason": "笔尖损坏"},
                                                                {"line": 1, "qty": "8", "location": "B2", "reason": "客户投诉 complaints"}]}, expect=201)
    assert rma["status"] == "open" and rma["actions"] == ["cancel"] and rma["value"] is None
    assert [(line["location"], line["rejected"], line["qty"]) for line in rma["lines"]] == [("QC", True, "3"), ("B2", False, "8")]
    # While it is open, the same goods cannot be promised again.
    again = client.post("/api/v1/purchase-returns", headers=purchaser.headers, json={"po": number, "lines": [{"line": 1, "qty": "1", "location": "QC"}]})
    assert again.status_code == 409 and again.json()["error"] == "over_return"
    purchaser.post(f"/api/v1/purchase-returns/{rma['number']}/ship", {"version": rma["version"]}, expect=403)  # the warehouse ships

    # 2. The warehouse hands the goods over: 11 pens leave at 50 each, whatever the average; 3 of the 8 were billed.
    assert warehouse.get(f"/api/v1/purchase-returns/{rma['number']}")["actions"] == ["ship"]
    shipped = warehouse.post(f"/api/v1/purchase-returns/{rma['number']}/ship", {"version": rma["version"]})
    assert shipped["status"] == "shipped" and shipped["value"] is None  # warehouse staff see no costs
    seen = finance.get(f"/api/v1/purchase-returns/{rma['number']}")
    assert seen["value"] == "550" and [(line["value"], line["debited"]) for line in seen["lines"]] == [("150", "0"), ("400", "3")]
    assert warehouse.stock("PEN", "QC") == ("0", "0") and warehouse.stock("PEN", "B2") == ("9", "0")
    valuation = finance.get("/api/v1/finance/valuation/PEN")
    assert (valuation["qty"], valuation["value"]) == ("95", "5860.26")
    assert finance.journal("move", str(seen["lines"][1]["move"])) == [("220202", "400", "0"), ("1405", "0", "400")]

    # The debit note takes back the 3 billed pens at the billed price with their VAT, and settles the bill.
    note = finance.get(f"/api/v1/bills/{seen['debit_note']}")
    assert (note["kind"], note["credits"], note["status"], note["total"], note["supplier_ref"]) == ("debit_note", bill["number"], "paid", "169.5", "RA-5")
    assert sorted(finance.journal("bill", note["number"])) == sorted([("2202", "169.5", "0"), ("220202", "0", "150"), ("22210101", "0", "19.5")])
    bill = finance.get(f"/api/v1/bills/{bill['number']}")
    assert (bill["status"], bill["credited"], bill["open"]) == ("posted", "169.5", "508.5")
    # Goods received not invoiced holds only the opening stock again; the order shows what went back and nothing to bill.
    assert finance.account("220202") == "-5410.26"
    line = purchaser.get(f"/api/v1/purchase-orders/{number}")["lines"][0]
    assert (line["received"], line["accepted"], line["rejected"], line["returned"], line["billed"], line["to_bill"]) == ("20", "17", "3", "11", "9", "0")
    assert [r["number"] for r in purchaser.get("/api/v1/purchase-returns", po=number)["items"]] == [rma["number"]]
    warehouse.post(f"/api/v1/purchase-returns/{rma['number']}/ship", {"version": shipped["version"]}, expect=409)  # not twice

    # The payables ageing shows the bill less the debit note, and equals the payables account.
    rows = finance.get("/api/v1/reports/ap_ageing", format="json", group_by="document", partner="SUP1")["rows"]
    assert [(r["document"], r["total_open"]) for r in rows] == [(bill["number"], "508.5")]
    assert finance.account("2202") == "-508.5"
    # A debit note is not paid; the bill's rest is.
    finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": "1",
                                      "allocations": [{"document": note["number"], "amount": "1"}]}, expect=422)
    finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": "508.5",
                                      "allocations": [{"document": bill["number"], "amount": "508.5"}]}, expect=201)
    assert finance.get(f"/api/v1/bills/{bill['number']}")["status"] == "paid"

    # 3. One more billed pen goes back after the bill was paid: its debit note stays on the supplier's account, unapplied.
    late = purchaser.post("/api/v1/purchase-returns", {"po": number, "lines": [{"line": 1, "qty": "1", "location": "B2"}]}, expect=201)
    late = warehouse.post(f"/api/v1/purchase-returns/{late['number']}/ship", {"version": late["version"]})
    credit = finance.get(f"/api/v1/bills/{late['debit_note']}")
    assert (credit["status"], credit["total"], credit["open"]) == ("posted", "56.5", "56.5")
    rows = finance.get("/api/v1/reports/ap_ageing", format="json", group_by="document", partner="SUP1")["rows"]
    assert [(r["document"], r["kind"], r["unapplied"]) for r in rows] == [(credit["number"], "debit_note", "56.5")]
    assert finance.account("2202") == "56.5"  # the supplier owes it back
    books_are_sound(finance, world)
    assert finance.account("1405") == finance.get("/api/v1/finance/valuation/PEN")["value"]


def test_a_return_agreed_but_not_shipped_can_be_cancelled_and_frees_its_goods(client, world, as_role):
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    supplier_and_dock(admin)
    number, _grn = _received_order(purchaser, approver, warehouse, qty="5", accepted="5", rejected="0")
    rma = purchaser.post("/api/v1/purchase-returns", {"po": number, "lines": [{"line": 1, "qty": "5", "location": "B2"}]}, expect=201)
    # The goods were moved on before the return shipped: it is refused with what is there, and nothing is written.
    assert post_move(client, warehouse.headers, "PEN", 2, "B2", "B3").status_code == 201
    short = client.post(f"/api/v1/purchase-returns/{rma['number']}/ship", headers=warehouse.headers, json={"version": rma["version"]})
    assert short.status_code == 409 and short.json()["error"] == "insufficient_stock", short.text
    assert purchaser.get(f"/api/v1/purchase-returns/{rma['number']}")["status"] == "open"
    assert purchaser.get(f"/api/v1/purchase-orders/{number}")["lines"][0]["returned"] == "0"
    cancelled = purchaser.post(f"/api/v1/purchase-returns/{rma['number']}/cancel", {"version": rma["version"]})
    assert cancelled["status"] == "cancelled" and cancelled["actions"] == []
    # Its goods may go back on another return; with nothing billed there is no debit note.
    other = purchaser.post("/api/v1/purchase-returns", {"po": number, "lines": [{"line": 1, "qty": "3", "location": "B2"}]}, expect=201)
    other = warehouse.post(f"/api/v1/purchase-returns/{other['number']}/ship", {"version": other["version"]})
    assert other["debit_note"] is None
    assert finance.account("220202") == "-100"  # the 2 kept, not yet billed
    assert purchaser.get(f"/api/v1/purchase-orders/{number}")["lines"][0]["to_bill"] == "2"
    books_are_sound(finance, world)


def test_a_dollar_purchase_goes_back_at_the_rate_it_arrived_at_and_its_debit_note_at_the_bills(client, world, as_role):
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    supplier_and_dock(admin)
    admin.post("/api/v1/partners", {"code": "SUPUS", "kind": "supplier", "name_zh": "美国供应商", "name_en": "US Supplier", "currency": "USD"},
               expect=201)
    today = local_today()
    finance.put("/api/v1/exchange-rates", {"currency": "USD", "on": (today - dt.timedelta(days=1)).isoformat(), "rate": "7.1"})
    number, _grn = _received_order(purchaser, approver, warehouse, supplier="SUPUS", qty="10", price="8", accepted="10", rejected="0")
    finance.put("/api/v1/exchange-rates", {"currency": "USD", "on": today.isoformat(), "rate": "7.2"})
    bill = finance.post("/api/v1/bills", {"po": number, "lines": [{"line": 1, "qty": "10", "unit_price": "8"}]}, expect=201)
    finance.post(f"/api/v1/bills/{bill['number']}/post", {})
    # 4 pens at 8 dollars go back: 227.20 yuan out of stock (at 7.1), a debit note of 36.16 dollars at the bill's 7.2.
    rma = purchaser.post("/api/v1/purchase-returns", {"po": number, "lines": [{"line": 1, "qty": "4", "location": "B2"}]}, expect=201)
    assert rma["currency"] == "USD"
    warehouse.post(f"/api/v1/purchase-returns/{rma['number']}/ship", {"version": rma["version"]})
    seen = finance.get(f"/api/v1/purchase-returns/{rma['number']}")
    assert seen["value"] == "227.2"
    note = finance.get(f"/api/v1/bills/{seen['debit_note']}")
    assert (note["currency"], note["exchange_rate"], note["total"], note["total_cny"]) == ("USD", "7.2", "36.16", "260.35")
    assert sorted(finance.journal("bill", note["number"])) == sorted([
        ("2202", "260.35", "0"), ("220202", "0", "227.2"), ("22210101", "0", "29.95"), ("6603", "0", "3.2")])
    assert finance.account("220202") == "0"
    rows = finance.get("/api/v1/reports/ap_ageing", format="json", group_by="document", partner="SUPUS")["rows"]
    assert [(r["document"], r["currency"], r["open_currency"], r["total_open"]) for r in rows] == [(bill["number"], "USD", "54.24", "390.53")]
    assert finance.account("2202") == "-390.53"
    books_are_sound(finance, world)


def test_a_debit_note_left_over_settles_the_suppliers_next_bill(client, world, as_role):
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    supplier_and_dock(admin)
    # Order A: 5 pens billed and paid; 2 go back afterwards, so their debit note of 113 has nothing to settle.
    first, _grn = _received_order(purchaser, approver, warehouse, qty="5", accepted="5", rejected="0")
    bill_a = finance.post("/api/v1/bills", {"po": first, "lines": [{"line": 1, "qty": "5", "unit_price": "50"}]}, expect=201)
    finance.post(f"/api/v1/bills/{bill_a['number']}/post", {})
    finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": "282.5",
                                      "allocations": [{"document": bill_a["number"], "amount": "282.5"}]}, expect=201)
    rma = purchaser.post("/api/v1/purchase-returns", {"po": first, "lines": [{"line": 1, "qty": "2", "location": "B2"}]}, expect=201)
    note = warehouse.post(f"/api/v1/purchase-returns/{rma['number']}/ship", {"version": rma["version"]})["debit_note"]
    assert finance.get(f"/api/v1/bills/{note}")["open"] == "113"
    # Order B: 4 pens billed, 226.
    second, _grn = _received_order(purchaser, approver, warehouse, qty="4", accepted="4", rejected="0")
    bill_b = finance.post("/api/v1/bills", {"po": second, "lines": [{"line": 1, "qty": "4", "unit_price": "50"}]}, expect=201)
    finance.post(f"/api/v1/bills/{bill_b['number']}/post", {})

    # More than the note has left, a bill of another kind, or by someone who does not handle payments: refused.
    over = client.post(f"/api/v1/bills/{note}/apply", headers=finance.headers, json={"bill": bill_b["number"], "amount": "200"})
    assert over.status_code == 409 and over.json()["error"] == "over_allocation", over.text
    assert client.post(f"/api/v1/bills/{note}/apply", headers=finance.headers, json={"bill": "BILL-404"}).status_code == 422
    assert client.post(f"/api/v1/bills/{note}/apply", headers=warehouse.headers, json={"bill": bill_b["number"]}).status_code == 403
    # Applied in full: the next bill is 113 less, the note used up; the payables ageing still equals the account.
    applied = finance.post(f"/api/v1/bills/{note}/apply", {"bill": bill_b["number"]})
    assert (applied["status"], applied["open"]) == ("paid", "0")
    assert (finance.get(f"/api/v1/bills/{bill_b['number']}")["credited"], finance.get(f"/api/v1/bills/{bill_b['number']}")["open"]) == ("113", "113")
    assert client.post(f"/api/v1/bills/{note}/apply", headers=finance.headers, json={"bill": bill_b["number"]}).status_code == 409
    rows = finance.get("/api/v1/reports/ap_ageing", format="json", group_by="document", partner="SUP1")["rows"]
    assert [(r["document"], r["total_open"], r["unapplied"]) for r in rows] == [(bill_b["number"], "113", "0")]
    assert finance.account("2202") == "-113"
    books_are_sound(finance, world)
