"""Requisition to payment, end to end through the HTTP API, on SQLite and PostgreSQL.

A reorder rule raises a requisition when milk runs low; the purchaser orders it; two approvers
approve (one of them first refused for signing a version that has since changed); the warehouse
receives part of it, inspection rejects one lot into quarantine, the rest is put away; the supplier's
bill is blocked for a price that does not match the order, corrected and posted; finance pays it.
Every balance, document status and journal line is checked on the way, and the books at the end.
"""

from __future__ import annotations

import datetime as dt

from server.dates import local_today
from tests.helpers import post_move
from tests.stories import Api, books_are_sound

YEAR = local_today().year


def test_requisition_to_payment(client, world, as_role):
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    approver_a, approver_b = Api(client, as_role("approver")), Api(client, as_role("approver", ("WH1",)))
    warehouse, finance, sales = Api(client, as_role("warehouse")), Api(client, as_role("finance")), Api(client, as_role("sales"))

    # Set-up: a receiving dock, a supplier with a contact and a price list, a reorder rule for milk in WH1.
    admin.post("/api/v1/locations", {"code": "WH1-DOCK", "kind": "bin", "parent": "WH1", "name_zh": "收货区", "name_en": "Dock"}, expect=201)
    purchaser.post(
        "/api/v1/price-lists", {"code": "SUP1-2026", "kind": "purchase", "prices": [{"sku": "MILK", "price": "120"}]}, expect=201
    )
    supplier = purchaser.post(
        "/api/v1/partners",
        {"code": "SUP1", "kind": "supplier", "name_zh": "光明乳业", "name_en": "Bright Dairy", "tax_id": "91310000132206000X",
         "payment_terms_days": 30, "price_list": "SUP1-2026",
         "contacts": [{"name": "王经理", "role": "销售", "phone": "021-5555 0101"}]},
        expect=201,
    )
    assert supplier["price_list"] == "SUP1-2026" and supplier["contacts"][0]["name"] == "王经理"
    rule = purchaser.put(
        "/api/v1/reorder-rules", {"sku": "MILK", "warehouse": "WH1", "min_qty": "20", "reorder_qty": "100", "supplier": "SUP1"}
    )
    assert rule["available"] == "0" and rule["on_order"] == "0"
    # Opening stock posted before the rule counts as covered: 30 boxes of lot L1 at 100.
    assert post_move(client, warehouse.headers, "MILK", 30, "SUPPLIER", "B1", lot="L1", unit_cost="100").status_code == 201
    assert purchaser.get("/api/v1/requisitions")["total"] == 0

    # 1. A shipment takes milk under the reorder point: one requisition, raised before the shipment commits.
    assert post_move(client, warehouse.headers, "MILK", 15, "B1", "CUSTOMER", lot="L1").status_code == 201
    reqs = purchaser.get("/api/v1/requisitions")
    assert reqs["total"] == 1
    req = reqs["items"][0]
    assert req["number"] == f"REQ-{YEAR}-00001" and req["status"] == "open" and req["source"] == "reorder"
    assert req["supplier"] == "SUP1" and req["warehouse"] == "WH1" and req["lines"] == [{"line": 1, "sku": "MILK", "name_zh": "牛奶", "name_en": "Milk", "unit": "box", "qty": "100"}]
    # The same shortage is never requested twice: another shipment, and the daily check, raise nothing.
    assert post_move(client, warehouse.headers, "MILK", 1, "B1", "CUSTOMER", lot="L1").status_code == 201
    assert purchaser.post("/api/v1/reorder-rules/check") == {"requisitions": []}
    assert purchaser.get("/api/v1/requisitions")["total"] == 1
    assert purchaser.get("/api/v1/reorder-rules")[0] | {} == {
        "sku": "MILK", "warehouse": "WH1", "min_qty": "20", "reorder_qty": "100", "supplier": "SUP1", "active": True,
        "available": "14", "on_order": "100",
    }

    # 2. The purchaser turns it into an order: the supplier's list price, 13 % VAT, two approval levels for 13,560.
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "requisitions": [req["number"]]}, expect=201)
    number = po["number"]
    assert number == f"PO-{YEAR}-00001" and po["status"] == "draft" and po["version"] == 1
    assert [(line["sku"], line["qty"], line["unit_price"], line["vat_rate"]) for line in po["lines"]] == [("MILK", "100", "120", "13")]
    assert (po["subtotal"], po["tax"], po["total"]) == ("12000", "1560", "13560")
    assert purchaser.get(f"/api/v1/requisitions/{req['number']}")["status"] == "ordered"
    po = purchaser.post(f"/api/v1/purchase-orders/{number}/submit", {"version": 1})
    assert po["status"] == "pending" and po["approval_roles"] == ["approver", "approver"] and po["version"] == 2
    # Nobody else may approve: a salesperson is refused, and so is the purchaser.
    sales.post(f"/api/v1/purchase-orders/{number}/approve", {"version": 2}, expect=403)
    purchaser.post(f"/api/v1/purchase-orders/{number}/approve", {"version": 2}, expect=403)
    assert [p["number"] for p in approver_a.get("/api/v1/purchase-orders", awaiting_me="true")["items"]] == [number]

    # 3. Approver A signs version 2 (level 1 of 2); approver B opens version 3.
    po = approver_a.post(f"/api/v1/purchase-orders/{number}/approve", {"version": 2, "comment": "价格合理"})
    assert po["status"] == "pending" and po["version"] == 3
    assert [(a["level"], a["decision"], a["version"], a["void"]) for a in po["approvals"]] == [(1, "approved", 2, False)]
    approver_a.post(f"/api/v1/purchase-orders/{number}/approve", {"version": 3}, expect=409)  # one person, one level
    # The supplier agrees a lower price; the purchaser changes the pending order, which voids the approval given.
    po = purchaser.patch(f"/api/v1/purchase-orders/{number}", {"version": 3, "lines": [{"sku": "MILK", "qty": "100", "unit_price": "118"}]})
    assert po["version"] == 4 and po["total"] == "13334" and [a["void"] for a in po["approvals"]] == [True]
    # Approver B still has version 3 on screen: refused, and told what changed.
    response = client.post(f"/api/v1/purchase-orders/{number}/approve", headers=approver_b.headers, json={"version": 3})
    assert response.status_code == 409, response.text
    refusal = response.json()
    assert refusal["error"] == "stale_version"
    assert "118" in refusal["message"] and "120" in refusal["message"]
    changes = {(c["line"], c["field"]): (c["before"], c["after"]) for c in refusal["details"]["changes"]}
    assert changes[(1, "unit_price")] == ("120", "118") and changes[(None, "total")] == ("13560", "13334")
    assert approver_b.get(f"/api/v1/purchase-orders/{number}")["status"] == "pending"
    # Both approve the current version, in turn.
    po = approver_b.post(f"/api/v1/purchase-orders/{number}/approve", {"version": 4})
    assert po["status"] == "pending" and po["version"] == 5
    po = approver_a.post(f"/api/v1/purchase-orders/{number}/approve", {"version": 5, "comment": "同意"})
    assert po["status"] == "approved" and po["version"] == 6
    name_a, name_b = approver_a.get("/api/v1/auth/me")["username"], approver_b.get("/api/v1/auth/me")["username"]
    assert [(a["level"], a["user"], a["version"]) for a in po["approvals"] if not a["void"]] == [(1, name_b, 4), (2, name_a, 5)]
    history = purchaser.get(f"/api/v1/purchase-orders/{number}/versions/4")
    assert {(c["line"], c["field"]) for c in history["changes_since_previous"]} >= {(1, "unit_price"), (None, "total")}

    # 4. Partial receipt at the dock: 60 boxes of lot L3 and 20 of lot L4; 30 more would be over the 5 % tolerance.
    grn = warehouse.post("/api/v1/receipts", {"po": number}, expect=201)
    assert grn["number"] == f"GRN-{YEAR}-00001" and grn["dock"] == "WH1-DOCK" and grn["status"] == "open"
    grn_no = grn["number"]
    line1 = warehouse.post(f"/api/v1/receipts/{grn_no}/lines", {"sku": "MILK", "qty": "60", "lot": "L3", "expiry": "2027-03-01"}, expect=201)
    line2 = warehouse.post(f"/api/v1/receipts/{grn_no}/lines", {"sku": "MILK", "qty": "20", "lot": "L4", "expiry": "2027-02-01"}, expect=201)
    assert (line1["line"], line1["lot"], line1["expiry"], line1["qc_status"]) == (1, "L3", "2027-03-01", "pending")
    over = client.post(f"/api/v1/receipts/{grn_no}/lines", headers=warehouse.headers, json={"sku": "MILK", "qty": "30", "lot": "L4"})
    assert over.status_code == 409 and over.json()["error"] == "over_receipt", over.text
    assert warehouse.stock("MILK", "WH1-DOCK", "L3") == ("60", "0") and warehouse.stock("MILK", "WH1-DOCK", "L4") == ("20", "0")
    assert finance.journal("move", str(line1["move"])) == [("1405", "7080", "0"), ("220202", "0", "7080")]
    assert finance.journal("move", str(line2["move"])) == [("1405", "2360", "0"), ("220202", "0", "2360")]
    po = purchaser.get(f"/api/v1/purchase-orders/{number}")
    assert po["status"] == "partially_received" and po["lines"][0]["received"] == "80"
    # Warehouse staff see the order without prices.
    seen = warehouse.get(f"/api/v1/purchase-orders/{number}")
    assert seen["total"] is None and seen["lines"][0]["unit_price"] is None and seen["lines"][0]["received"] == "80"

    # 5. Inspection: lot L3 accepted, lot L4 rejected into the quarantine bin.
    warehouse.post(f"/api/v1/receipts/{grn_no}/lines/1/inspect", {"accepted": "60"}, expect=409)  # not finished receiving
    assert warehouse.post(f"/api/v1/receipts/{grn_no}/complete")["status"] == "inspecting"
    warehouse.post(f"/api/v1/receipts/{grn_no}/lines/1/inspect", {"accepted": "50", "rejected": "5"}, expect=422)  # must add up
    grn = warehouse.post(f"/api/v1/receipts/{grn_no}/lines/1/inspect", {"accepted": "60"})
    assert grn["status"] == "inspecting"
    grn = warehouse.post(f"/api/v1/receipts/{grn_no}/lines/2/inspect", {"accepted": "0", "rejected": "20", "note": "包装破损 damaged cartons"})
    assert grn["status"] == "putaway"
    assert [(line["qc_status"], line["accepted"], line["rejected"]) for line in grn["lines"]] == [("accepted", "60", "0"), ("rejected", "0", "20")]
    assert warehouse.stock("MILK", "QC", "L4") == ("20", "0") and warehouse.stock("MILK", "WH1-DOCK", "L4") == ("0", "0")
    po = purchaser.get(f"/api/v1/purchase-orders/{number}")
    assert (po["lines"][0]["received"], po["lines"][0]["accepted"], po["lines"][0]["rejected"]) == ("80", "60", "20")
    assert po["status"] == "partially_received"

    # 6. Put-away: the task suggests B1 (where milk already is); the worker scans B1.
    tasks = warehouse.get("/api/v1/putaway-tasks", receipt=grn_no)["items"]
    assert [(t["sku"], t["lot"], t["qty"], t["from"], t["suggested"], t["status"]) for t in tasks] == [("MILK", "L3", "60", "WH1-DOCK", "B1", "open")]
    done = warehouse.post(f"/api/v1/putaway-tasks/{tasks[0]['id']}/confirm", {"location": "B1"})
    assert done["status"] == "done" and done["to"] == "B1"
    assert warehouse.stock("MILK", "B1", "L3") == ("60", "0") and warehouse.stock("MILK", "WH1-DOCK", "L3") == ("0", "0")
    assert warehouse.get(f"/api/v1/receipts/{grn_no}")["status"] == "done"
    warehouse.post(f"/api/v1/putaway-tasks/{tasks[0]['id']}/confirm", {"location": "B1"}, expect=409)  # not twice
    books_are_sound(finance, world)

    # 7. The bill charges the old price: blocked for finance with the reason, nothing posted.
    bill = finance.post("/api/v1/bills", {"po": number, "supplier_ref": "INV-88001", "bill_date": "2026-11-20",
                                          "lines": [{"line": 1, "qty": "60", "unit_price": "120"}]}, expect=201)
    bill_no = bill["number"]
    assert bill_no == f"BILL-{YEAR}-00001" and bill["status"] == "draft" and bill["due_date"] == "2026-12-20"
    assert (bill["subtotal"], bill["tax"], bill["total"]) == ("7200", "936", "8136")
    response = client.post(f"/api/v1/bills/{bill_no}/post", headers=finance.headers, json={})
    assert response.status_code == 409 and response.json()["error"] == "bill_mismatch", response.text
    blocked = finance.get(f"/api/v1/bills/{bill_no}")
    assert blocked["status"] == "blocked"
    assert [(i["line"], i["kind"], i["billed"], i["expected"]) for i in blocked["match_issues"]] == [(1, "price", "120", "118")]
    assert finance.journal("bill", bill_no) == []
    # Billing the rejected lot too would be a quantity mismatch.
    finance.patch(f"/api/v1/bills/{bill_no}", {"version": blocked["version"], "lines": [{"line": 1, "qty": "80", "unit_price": "118"}]})
    assert client.post(f"/api/v1/bills/{bill_no}/post", headers=finance.headers, json={}).status_code == 409
    assert [i["kind"] for i in finance.get(f"/api/v1/bills/{bill_no}")["match_issues"]] == ["qty"]
    # Corrected to the agreed price and the accepted quantity: it posts.
    current = finance.get(f"/api/v1/bills/{bill_no}")
    fixed = finance.patch(f"/api/v1/bills/{bill_no}", {"version": current["version"], "lines": [{"line": 1, "qty": "60", "unit_price": "118"}]})
    assert (fixed["subtotal"], fixed["tax"], fixed["total"]) == ("7080", "920.4", "8000.4")
    posted = finance.post(f"/api/v1/bills/{bill_no}/post", {})
    assert posted["status"] == "posted" and posted["match_issues"] == [] and posted["open"] == "8000.4"
    assert finance.journal("bill", bill_no) == [("220202", "7080", "0"), ("22210101", "920.4", "0"), ("2202", "0", "8000.4")]
    assert purchaser.get(f"/api/v1/purchase-orders/{number}")["lines"][0]["billed"] == "60"
    finance.patch(f"/api/v1/bills/{bill_no}", {"version": posted["version"], "lines": [{"line": 1, "qty": "1", "unit_price": "1"}]}, expect=409)

    # 8. Payment in full: the bill is paid, the payable cleared against the bank.
    payment = finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": "8000.40", "reference": "电汇 TT-1",
                                                "allocations": [{"document": bill_no, "amount": "8000.40"}]}, expect=201)
    assert payment["number"] == f"PAY-{YEAR}-00001" and payment["unallocated"] == "0"
    assert payment["allocations"] == [{"document": bill_no, "amount": "8000.4"}]
    assert finance.journal("payment", payment["number"]) == [("2202", "8000.4", "0"), ("1002", "0", "8000.4")]
    paid = finance.get(f"/api/v1/bills/{bill_no}")
    assert paid["status"] == "paid" and paid["paid"] == "8000.4" and paid["open"] == "0"
    finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": "1",
                                      "allocations": [{"document": bill_no, "amount": "1"}]}, expect=409)

    # The books: AP settled, GRNI still owes the rejected lot (until it goes back), inventory = valuation.
    assert finance.account("2202") == "0"
    assert finance.account("220202") == "-5360"  # the opening 3,000 and the rejected lot's 2,360
    assert finance.account("1002") == "-8000.4"
    books_are_sound(finance, world)
    valuation = finance.get("/api/v1/finance/valuation/MILK")
    assert valuation["qty"] == "94"  # 14 of L1 and 60 of L3 in B1, 20 of L4 in quarantine
    assert finance.account("1405") == valuation["value"]
    assert dt.date.fromisoformat(paid["due_date"]) == dt.date(2026, 12, 20)

