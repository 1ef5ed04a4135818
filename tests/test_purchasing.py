"""Purchase order rules one at a time: who may approve, approval levels, numbering, frozen fields, rejection and revision."""

from __future__ import annotations

from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.dates import local_today
from tests.stories import Api, supplier_and_dock

YEAR = local_today().year


def _po(api: Api, price: str, qty: str = "10", sku: str = "PEN") -> dict:
    return api.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": sku, "qty": qty, "unit_price": price}]},
                    expect=201)


def test_an_approver_cannot_approve_their_own_purchase_order(client, world, as_role):
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    po = _po(admin, "10")
    po = admin.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    response = client.post(f"/api/v1/purchase-orders/{po['number']}/approve", headers=admin.headers, json={"version": po["version"]})
    assert response.status_code == 403 and response.json()["error"] == "own_document", response.text
    assert "someone else" in response.json()["details"]["message_en"] and "他人" in response.json()["details"]["message_zh"]
    approved = Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    assert approved["status"] == "approved"


def test_an_approver_of_another_warehouse_neither_sees_nor_decides_an_order(client, world, as_role):
    purchaser = Api(client, as_role("purchaser"))
    supplier_and_dock(Api(client, as_role("admin")))
    elsewhere, here = Api(client, as_role("approver", ("WH2",))), Api(client, as_role("approver", ("WH1",)))
    po = _po(purchaser, "10")
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    assert elsewhere.get("/api/v1/purchase-orders", awaiting_me="true")["items"] == []
    assert [p["number"] for p in here.get("/api/v1/purchase-orders", awaiting_me="true")["items"]] == [po["number"]]
    for action, body in (("approve", {"version": po["version"]}), ("reject", {"version": po["version"], "comment": "too dear"})):
        refused = elsewhere.post(f"/api/v1/purchase-orders/{po['number']}/{action}", body, expect=403)
        assert refused["error"] == "warehouse_not_allowed"
    assert purchaser.get(f"/api/v1/purchase-orders/{po['number']}")["status"] == "pending"  # nothing written
    assert here.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})["status"] == "approved"


def test_a_large_order_needs_two_approvers_and_a_director(client, world, as_role):
    purchaser = Api(client, as_role("purchaser"))
    supplier_and_dock(Api(client, as_role("admin")))
    po = _po(purchaser, "1000", qty="100")  # 100,000 + 13 % VAT = 113,000
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    assert po["approval_roles"] == ["approver", "approver", "director"]
    first, second, director = Api(client, as_role("approver")), Api(client, as_role("approver", ("WH1",))), Api(client, as_role("director"))
    # The director cannot take level 1's place... nor can anyone skip a level.
    response = client.post(f"/api/v1/purchase-orders/{po['number']}/approve", headers=director.headers, json={"version": po["version"]})
    assert response.status_code == 403 and response.json()["error"] == "wrong_approver_role"
    po = first.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    po = second.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    response = client.post(f"/api/v1/purchase-orders/{po['number']}/approve", headers=Api(client, as_role("approver", ("WH2",))).headers,
                           json={"version": po["version"]})
    assert response.status_code == 403 and response.json()["details"]["role"] == "director"
    po = director.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    assert po["status"] == "approved" and [a["role"] for a in po["approvals"]] == ["approver", "approver", "director"]


def test_an_order_under_the_first_threshold_needs_one_approval_and_rules_can_change(client, world, as_role):
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    supplier_and_dock(admin)
    assert [r["levels"] for r in admin.get("/api/v1/approval-rules")] == [["approver"], ["approver", "approver"], ["approver", "approver", "director"]]
    bad = client.put("/api/v1/approval-rules", headers=admin.headers, json={"rules": [
        {"above": "0", "up_to": "500", "levels": ["approver"]}, {"above": "600", "up_to": None, "levels": ["director"]}]})
    assert bad.status_code == 422 and bad.json()["error"] == "bad_bands"
    admin.put("/api/v1/approval-rules", {"rules": [{"above": "0", "up_to": "500", "levels": []}] and [
        {"above": "0", "up_to": "500", "levels": ["approver"]}, {"above": "500", "up_to": None, "levels": ["director"]}]})
    po = _po(purchaser, "100")  # 1,130
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    assert po["approval_roles"] == ["director"]


def test_numbers_have_no_gaps_when_a_document_is_refused(client, world, as_role):
    purchaser = Api(client, as_role("purchaser"))
    supplier_and_dock(Api(client, as_role("admin")))
    first = _po(purchaser, "1")
    refused = client.post("/api/v1/purchase-orders", headers=purchaser.headers,
                          json={"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "NO-SUCH", "qty": "1"}]})
    assert refused.status_code == 422
    second = _po(purchaser, "1")
    assert (first["number"], second["number"]) == (f"PO-{YEAR}-00001", f"PO-{YEAR}-00002")


def test_an_approved_order_freezes_its_lines_and_keeps_its_history(client, world, as_role, db):
    purchaser = Api(client, as_role("purchaser"))
    supplier_and_dock(Api(client, as_role("admin")))
    po = _po(purchaser, "10")
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    po = Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    response = client.patch(f"/api/v1/purchase-orders/{po['number']}", headers=purchaser.headers,
                            json={"version": po["version"], "lines": [{"sku": "PEN", "qty": "11", "unit_price": "10"}]})
    assert response.status_code == 409 and response.json()["error"] == "frozen_field", response.text
    assert response.json()["details"]["fields"] == ["lines"]
    noted = purchaser.patch(f"/api/v1/purchase-orders/{po['number']}", {"version": po["version"], "note": "请周五前送达"})
    assert noted["note"] == "请周五前送达" and noted["version"] == po["version"] + 1
    with db.read() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == po["number"]).order_by(AuditEntry.id)))
    assert actions == ["po.create", "po.submit", "po.approve", "po.update"]
    assert purchaser.get(f"/api/v1/purchase-orders/{po['number']}/versions/{noted['version']}")["snapshot"]["header"]["note"] == "请周五前送达"


def test_a_rejected_order_is_revised_and_resubmitted(client, world, as_role):
    purchaser, approver = Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    supplier_and_dock(Api(client, as_role("admin")))
    po = _po(purchaser, "10")
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    approver.post(f"/api/v1/purchase-orders/{po['number']}/reject", {"version": po["version"], "comment": ""}, expect=422)
    po = approver.post(f"/api/v1/purchase-orders/{po['number']}/reject", {"version": po["version"], "comment": "价格太高 too expensive"})
    assert po["status"] == "rejected" and po["approvals"][-1]["decision"] == "rejected"
    purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]}, expect=409)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/revise", {"version": po["version"]})
    po = purchaser.patch(f"/api/v1/purchase-orders/{po['number']}", {"version": po["version"], "lines": [{"sku": "PEN", "qty": "10", "unit_price": "8"}]})
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    po = approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    assert po["status"] == "approved" and po["total"] == "90.4"


def test_cancelling_an_order_reopens_its_requisition(client, world, as_role):
    purchaser, worker = Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    supplier_and_dock(Api(client, as_role("admin")))
    req = worker.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "100"}], "note": "季度备货"}, expect=201)
    assert req["status"] == "pending"  # a storekeeper asks; an approver agrees before anyone orders
    req = Api(client, as_role("approver")).post(f"/api/v1/requisitions/{req['number']}/approve", {"version": req["version"]})
    assert req["status"] == "open"
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "requisitions": [req["number"]]}, expect=201)
    assert po["lines"][0]["qty"] == "100" and po["lines"][0]["unit_price"] == "0"  # no price known yet: the purchaser fills it in
    purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "requisitions": [req["number"]]}, expect=409)
    purchaser.post(f"/api/v1/purchase-orders/{po['number']}/cancel", {"reason": "换供应商"})
    assert purchaser.get(f"/api/v1/requisitions/{req['number']}")["status"] == "open"


def test_receiving_needs_an_approved_order_and_a_known_item(client, world, as_role, db):
    purchaser, worker = Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    supplier_and_dock(Api(client, as_role("admin")))
    po = _po(purchaser, "10")
    worker.post("/api/v1/receipts", {"po": po["number"]}, expect=409)  # still a draft
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    grn = worker.post("/api/v1/receipts", {"po": po["number"]}, expect=201)
    with db.read() as session:
        moves_before = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "stock.move"))
    response = client.post(f"/api/v1/receipts/{grn['number']}/lines", headers=worker.headers, json={"sku": "MILK", "qty": "1", "lot": "L1"})
    assert response.status_code == 422 and response.json()["error"] == "not_on_order"
    worker.post(f"/api/v1/receipts/{grn['number']}/complete", expect=409)  # nothing received yet
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "stock.move")) == moves_before


def test_the_next_approver_is_notified_and_the_purchaser_hears_the_outcome(client, world, as_role):
    purchaser, first, second = Api(client, as_role("purchaser")), Api(client, as_role("approver")), Api(client, as_role("approver", ("WH1",)))
    sales = Api(client, as_role("sales"))
    supplier_and_dock(Api(client, as_role("admin")))
    po = _po(purchaser, "2000")  # 22,600: two approvers
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})

    def pending(api: Api) -> list[str]:
        return [n["ref_id"] for n in api.get("/api/v1/notifications", unread="true")["items"] if n["kind"] == "approval.pending"]

    assert pending(first) == [po["number"]] and pending(second) == [po["number"]] and pending(sales) == []
    po = first.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    # Level 2 is announced again, but not to the approver who already signed.
    assert pending(first) == [po["number"]] and pending(second) == [po["number"], po["number"]]
    second.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    outcome = [(n["kind"], n["ref_id"]) for n in purchaser.get("/api/v1/notifications")["items"]]
    assert outcome == [("po.approved", po["number"])]


def test_a_shortage_notifies_the_purchasers(client, world, as_role):
    purchaser, worker = Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    supplier_and_dock(Api(client, as_role("admin")))
    purchaser.put("/api/v1/reorder-rules", {"sku": "PEN", "warehouse": "WH1", "min_qty": "10", "reorder_qty": "50", "supplier": "SUP1"})
    from tests.helpers import post_move

    post_move(client, worker.headers, "PEN", 12, "SUPPLIER", "B1", unit_cost="1")
    assert purchaser.get("/api/v1/notifications")["items"] == []
    post_move(client, worker.headers, "PEN", 5, "B1", "CUSTOMER")
    notes = purchaser.get("/api/v1/notifications")["items"]
    assert [(n["kind"], n["title_en"]) for n in notes] == [("stock.low", "Low stock: PEN in WH1")]
    assert "REQ-" in notes[0]["body_en"] and "再订货点" in notes[0]["body_zh"]
    assert worker.get("/api/v1/notifications")["items"] == []


def test_serial_numbered_goods_are_received_inspected_and_put_away_by_serial(client, world, as_role):
    purchaser, worker = Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    supplier_and_dock(Api(client, as_role("admin")))
    po = _po(purchaser, "800", qty="3", sku="PHONE")
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    grn = worker.post("/api/v1/receipts", {"po": po["number"]}, expect=201)["number"]
    worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PHONE", "qty": "2", "serials": ["IMEI-1"]}, expect=422)  # one serial per unit
    worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PHONE", "qty": "2", "serials": ["IMEI-1", "IMEI-2"]}, expect=201)
    worker.post(f"/api/v1/receipts/{grn}/complete")
    assert worker.post(f"/api/v1/receipts/{grn}/lines/1/inspect", {"accepted": "1", "rejected": "1", "note": "screen cracked", "rejected_serials": ["IMEI-9"]},
                expect=422)["error"] == "serials_mismatch"
    receipt = worker.post(f"/api/v1/receipts/{grn}/lines/1/inspect", {"accepted": "1", "rejected": "1", "note": "screen cracked", "rejected_serials": ["IMEI-2"]})
    task = receipt["putaway"][0]
    assert (task["serials"], task["suggested"]) == (["IMEI-1"], "B1")  # the first empty bin by code
    worker.post(f"/api/v1/putaway-tasks/{task['id']}/confirm", {"location": "B3"})
    assert worker.get("/api/v1/scan/IMEI-1")["serial_location"] == "B3"
    assert worker.get("/api/v1/scan/IMEI-2")["serial_location"] == "QC"
    assert purchaser.get(f"/api/v1/purchase-orders/{po['number']}")["status"] == "partially_received"


def test_a_reorder_rule_that_cannot_order_does_not_block_the_move_that_set_it_off(client, world, as_role):
    admin, purchaser, worker = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    supplier_and_dock(admin)
    purchaser.put("/api/v1/reorder-rules", {"sku": "PEN", "warehouse": "WH1", "min_qty": "10", "reorder_qty": "50", "supplier": "SUP1"})
    from tests.helpers import post_move

    post_move(client, worker.headers, "PEN", 12, "SUPPLIER", "B1", unit_cost="1")
    admin.patch("/api/v1/partners/SUP1", {"active": False})
    assert post_move(client, worker.headers, "PEN", 5, "B1", "CUSTOMER").status_code == 201
    assert worker.stock("PEN", "B1") == ("7", "0")
    assert purchaser.get("/api/v1/requisitions")["total"] == 0


def test_an_items_own_reorder_point_asks_for_more_in_a_warehouse_without_a_rule_of_its_own(client, world, as_role):
    from tests.helpers import post_move

    admin, purchaser, worker = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    supplier_and_dock(admin)
    admin.patch("/api/v1/items/PEN", {"reorder_point": "10", "reorder_qty": "60"})
    # WH2's own rule, switched off, says: never reorder pens there.
    purchaser.put("/api/v1/reorder-rules", {"sku": "PEN", "warehouse": "WH2", "min_qty": "5", "reorder_qty": "5", "supplier": "SUP1", "active": False})
    post_move(client, worker.headers, "PEN", 12, "SUPPLIER", "B1", unit_cost="1")
    post_move(client, worker.headers, "PEN", 3, "SUPPLIER", "W2-B1", unit_cost="1")
    assert purchaser.get("/api/v1/requisitions")["total"] == 0  # 12 in WH1 is above the point

    # A shipment takes WH1 under the item's point: one requisition for the item's quantity, no supplier chosen yet.
    assert post_move(client, worker.headers, "PEN", 5, "B1", "CUSTOMER").status_code == 201
    reqs = purchaser.get("/api/v1/requisitions")["items"]
    assert [(r["warehouse"], r["source"], r["supplier"], [(line["sku"], line["qty"]) for line in r["lines"]]) for r in reqs] == [
        ("WH1", "reorder", None, [("PEN", "60")])]
    # Not twice for the same shortage, by the next shipment or the daily check; and not in WH2, whose rule is off.
    assert post_move(client, worker.headers, "PEN", 1, "B1", "CUSTOMER").status_code == 201
    assert post_move(client, worker.headers, "PEN", 2, "W2-B1", "CUSTOMER").status_code == 201
    assert purchaser.post("/api/v1/reorder-rules/check") == {"requisitions": []}
    assert purchaser.get("/api/v1/requisitions")["total"] == 1
    notices = purchaser.get("/api/v1/notifications")["items"]
    assert any(n["kind"] == "stock.low" and "PEN" in n["title_en"] for n in notices)


def test_the_stock_alerts_show_what_is_under_its_minimum_and_what_is_over_its_maximum(client, world, as_role):
    from tests.helpers import post_move

    admin, purchaser, worker = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    supplier_and_dock(admin)
    admin.patch("/api/v1/items/PEN", {"reorder_point": "10", "reorder_qty": "60", "max_stock": "100"})
    # A maximum below the reorder point makes no sense, and is refused.
    assert client.patch("/api/v1/items/RICE", headers=admin.headers, json={"reorder_point": "10", "max_stock": "5"}).status_code == 422
    assert admin.get("/api/v1/items/RICE")["max_stock"] is None
    purchaser.put("/api/v1/reorder-rules", {"sku": "MILK", "warehouse": "WH1", "min_qty": "30", "reorder_qty": "30", "supplier": "SUP1", "active": False})
    post_move(client, worker.headers, "PEN", 120, "SUPPLIER", "B1", unit_cost="1")  # WH1: 20 over the maximum
    post_move(client, worker.headers, "PEN", 4, "SUPPLIER", "W2-B1", unit_cost="1")  # WH2: 6 short, until its requisition

    rows = purchaser.get("/api/v1/reports/stock_alerts", format="json")["rows"]
    figures = [(r["warehouse"], r["sku"], r["on_hand"], r["on_order"], r["min"], r["max"], r["shortfall"], r["excess"]) for r in rows]
    # Stock coming in asks for nothing: WH2 is short until the daily check (or the next shipment) requests the rest.
    assert figures == [("WH1", "PEN", "120", "0", "10", "100", None, "20"), ("WH2", "PEN", "4", "0", "10", "100", "6", None)]
    purchaser.post("/api/v1/reorder-rules/check")
    rows = purchaser.get("/api/v1/reports/stock_alerts", format="json", warehouse="WH2")["rows"]
    assert rows == []  # the requisition for 60 covers the shortfall
