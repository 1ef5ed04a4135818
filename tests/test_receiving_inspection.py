"""Receiving and inspection through the API and the sync push, on SQLite and PostgreSQL: scans of one item and lot make
one receipt line and one put-away task; "receiving done" inspects every line at once, rejected goods go to quarantine
with their reason, only accepted goods are put away and billed, and goods received not invoiced clears to the cent."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from server.audit.models import AuditEntry
from tests.stories import Api, books_are_sound, supplier_and_dock

CLIENT = "phone-receiving"


def _approved(client, as_role, lines: list[dict]) -> str:  # type: ignore[no-untyped-def]
    supplier_and_dock(Api(client, as_role("admin")))
    purchaser = Api(client, as_role("purchaser"))
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": lines}, expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    return po["number"]


def _push(client, headers, ops: list[tuple[str, dict]], first_seq: int = 1) -> list[dict]:  # type: ignore[no-untyped-def]
    body = {"client_id": CLIENT, "device_time": dt.datetime.now(dt.UTC).isoformat(), "schema_version": 1,
            "ops": [{"op_id": str(uuid.uuid4()), "seq": first_seq + n, "type": kind, "payload": payload} for n, (kind, payload) in enumerate(ops)]}
    response = client.post("/api/v1/sync/push", headers=headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def _lines(receipt: dict) -> list[tuple]:
    return [(line["line"], line["sku"], line["lot"], line["qty"]) for line in receipt["lines"]]


def _tasks(api: Api, grn: str) -> list[tuple]:
    return [(t["sku"], t["lot"], t["qty"], t["status"]) for t in api.get(f"/api/v1/receipts/{grn}")["putaway"]]


def test_scans_of_one_item_and_lot_grow_one_receipt_line_and_become_one_putaway_task(client, world, as_role):
    number = _approved(client, as_role, [{"sku": "MILK", "qty": "20", "unit_price": "2.5"}, {"sku": "PEN", "qty": "24", "unit_price": "1"}])
    worker = Api(client, as_role("warehouse"))
    grn = worker.post("/api/v1/receipts", {"po": number}, expect=201)["number"]
    first = worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "MILK", "qty": "1", "lot": "LA", "expiry": "2027-06-30"}, expect=201)
    again = worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "MILK", "qty": "6", "lot": "LA", "expiry": "2027-06-30"}, expect=201)
    assert (first["line"], again["line"], again["qty"]) == (1, 1, "7")
    worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "MILK", "qty": "2", "lot": "LB"}, expect=201)
    worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PEN", "qty": "12"}, expect=201)
    # The phone names the order, not the receipt: its scans add to the same lines.
    results = _push(client, worker.headers, [("receive.line", {"po": number, "sku": "MILK", "qty": "3", "lot": "LA"}),
                                             ("receive.line", {"po": number, "sku": "PEN", "qty": "1"})])
    assert [(r["status"], r["details"]["receipt"], r["details"]["line"]) for r in results] == [("applied", grn, 1), ("applied", grn, 3)]
    receipt = worker.get(f"/api/v1/receipts/{grn}")
    assert _lines(receipt) == [(1, "MILK", "LA", "10"), (2, "MILK", "LB", "2"), (3, "PEN", None, "13")]
    assert worker.stock("MILK", "WH1-DOCK", "LA") == ("10", "0")
    assert worker.get(f"/api/v1/purchase-orders/{number}")["lines"][0]["received"] == "12"

    done = worker.post(f"/api/v1/receipts/{grn}/complete", {"version": receipt["version"], "lines": [
        {"line": 1, "accepted": "10"}, {"line": 2, "accepted": "2"}, {"line": 3, "accepted": "13"}]})
    assert done["status"] == "putaway"
    assert _tasks(worker, grn) == [("MILK", "LA", "10", "open"), ("MILK", "LB", "2", "open"), ("PEN", None, "13", "open")]


def test_receiving_done_sends_rejected_goods_to_quarantine_with_the_reason_and_puts_away_only_what_was_accepted(client, world, as_role, db):
    number = _approved(client, as_role, [{"sku": "MILK", "qty": "12", "unit_price": "3"}, {"sku": "PEN", "qty": "12", "unit_price": "1"}])
    worker, purchaser = Api(client, as_role("warehouse")), Api(client, as_role("purchaser"))
    results = _push(client, worker.headers, [("receive.line", {"po": number, "sku": "MILK", "qty": "6", "lot": "LA"}),
                                             ("receive.line", {"po": number, "sku": "MILK", "qty": "6", "lot": "LA"}),
                                             ("receive.line", {"po": number, "sku": "PEN", "qty": "12"})])
    grn = results[0]["details"]["receipt"]
    receipt = worker.get(f"/api/v1/receipts/{grn}")
    assert _lines(receipt) == [(1, "MILK", "LA", "12"), (2, "PEN", None, "12")]

    # Receiving done from the phone: four boxes of milk crushed, the pens fine.
    [answer] = _push(client, worker.headers, [("receipt.complete", {"receipt": grn, "version": receipt["version"], "lines": [
        {"line": 1, "accepted": "8", "rejected": "4", "reason": "纸箱压坏 crushed cartons"}, {"line": 2, "accepted": "12"}]})], first_seq=4)
    assert answer["status"] == "applied" and answer["details"]["status"] == "putaway", answer
    receipt = worker.get(f"/api/v1/receipts/{grn}")
    assert [(line["accepted"], line["rejected"], line["qc_status"], line["qc_note"]) for line in receipt["lines"]] == [
        ("8", "4", "partial", "纸箱压坏 crushed cartons"), ("12", "0", "accepted", "")]
    assert worker.stock("MILK", "QC", "LA") == ("4", "0") and worker.stock("MILK", "WH1-DOCK", "LA") == ("8", "0")
    [to_quarantine] = worker.get("/api/v1/stock/moves", location="QC")["items"]
    assert (to_quarantine["from"], to_quarantine["qty"]) == ("WH1-DOCK", "4") and "纸箱压坏 crushed cartons" in to_quarantine["reason"]
    assert _tasks(worker, grn) == [("MILK", "LA", "8", "open"), ("PEN", None, "12", "open")]
    with db.read() as session:
        audit = [(row.action, row.details) for row in session.scalars(select(AuditEntry).where(AuditEntry.target_id == grn).order_by(AuditEntry.id))]
    decided = [(d["line"], d["accepted"], d["rejected"], d["note"]) for action, d in audit if action == "receipt.inspect"]
    assert decided == [(1, "8", "4", "纸箱压坏 crushed cartons"), (2, "12", "0", "")]
    assert [d["inspected"] for action, d in audit if action == "receipt.complete"] == [True]
    # Rejected goods count as received but not accepted: four more may come, and only what was accepted is billable.
    line = purchaser.get(f"/api/v1/purchase-orders/{number}")["lines"][0]
    assert (line["received"], line["accepted"], line["rejected"], line["may_receive"]) == ("12", "8", "4", "4.6")

    # Further scans of the order open a new receipt.
    [later] = _push(client, worker.headers, [("receive.line", {"po": number, "sku": "MILK", "qty": "4", "lot": "LC"})], first_seq=5)
    assert later["status"] == "applied" and later["details"]["receipt"] != grn
    assert worker.get(f"/api/v1/receipts/{grn}")["status"] == "putaway"


def test_only_accepted_goods_can_be_billed_and_goods_received_not_invoiced_clears_to_the_cent(client, world, as_role):
    number = _approved(client, as_role, [{"sku": "MILK", "qty": "48", "unit_price": "1.235"}])
    worker, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    grn = worker.post("/api/v1/receipts", {"po": number}, expect=201)["number"]
    for qty in ["1"] * 40 + ["6", "1", "1"]:  # forty boxes one by one, a carton of six, two more
        worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "MILK", "qty": qty, "lot": "LA", "expiry": "2027-06-30"}, expect=201)
    receipt = worker.get(f"/api/v1/receipts/{grn}")
    assert _lines(receipt) == [(1, "MILK", "LA", "48")]
    # 48 × 1.235 = 59.28: the line is worth that, not 43 scans each rounded up to 1.24.
    assert finance.account("220202") == "-59.28" and finance.account("1405") == "59.28"
    worker.post(f"/api/v1/receipts/{grn}/complete", {"version": receipt["version"], "lines": [
        {"line": 1, "accepted": "43", "rejected": "5", "reason": "过期 expired"}]})

    bill = finance.post("/api/v1/bills", {"po": number, "supplier_ref": "INV-1", "lines": [{"line": 1, "qty": "48", "unit_price": "1.235"}]},
                        expect=201)
    refused = client.post(f"/api/v1/bills/{bill['number']}/post", headers=finance.headers, json={})
    assert refused.status_code == 409 and refused.json()["error"] == "bill_mismatch"
    issues = finance.get(f"/api/v1/bills/{bill['number']}")["match_issues"]
    assert [(i["kind"], i["billed"], i["expected"]) for i in issues] == [("qty", "48", "43")]
    current = finance.get(f"/api/v1/bills/{bill['number']}")
    finance.patch(f"/api/v1/bills/{bill['number']}", {"version": current["version"], "lines": [{"line": 1, "qty": "43", "unit_price": "1.235"}]})
    posted = finance.post(f"/api/v1/bills/{bill['number']}/post", {})
    assert (posted["status"], posted["subtotal"], posted["tax"], posted["total"]) == ("posted", "53.11", "6.9", "60.01")
    assert finance.journal("bill", bill["number"]) == [("220202", "53.11", "0"), ("22210101", "6.9", "0"), ("2202", "0", "60.01")]
    # What is left owed for goods received: the five rejected boxes (5 × 1.235), until they go back to the supplier.
    assert finance.account("220202") == "-6.17"
    assert finance.get(f"/api/v1/purchase-orders/{number}")["lines"][0]["billed"] == "43"
    assert finance.account("1405") == finance.get("/api/v1/finance/valuation/MILK")["value"] == "59.28"
    books_are_sound(finance, world)


def test_receiving_done_refuses_bad_input_with_a_message_in_both_languages_and_writes_nothing(client, world, as_role, db):
    number = _approved(client, as_role, [{"sku": "MILK", "qty": "10", "unit_price": "2"}, {"sku": "PEN", "qty": "10", "unit_price": "1"}])
    worker = Api(client, as_role("warehouse"))
    grn = worker.post("/api/v1/receipts", {"po": number}, expect=201)["number"]
    worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "MILK", "qty": "5", "lot": "LA"}, expect=201)
    worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PEN", "qty": "5"}, expect=201)
    version = worker.get(f"/api/v1/receipts/{grn}")["version"]
    both = [{"line": 1, "accepted": "5"}, {"line": 2, "accepted": "5"}]

    def refused(body: dict, status: int, error: str, headers: dict | None = None) -> dict:
        response = client.post(f"/api/v1/receipts/{grn}/complete", headers=headers or worker.headers, json=body)
        assert response.status_code == status and response.json()["error"] == error, response.text
        return response.json()

    missing = refused({"version": version, "lines": both[:1]}, 422, "undecided_lines")
    assert "2" in missing["details"]["message_en"] and "第 2 行" in missing["details"]["message_zh"]
    refused({"version": version, "lines": [*both, {"line": 3, "accepted": "1"}]}, 422, "unknown_line")
    refused({"version": version, "lines": [*both, both[0]]}, 422, "duplicate_line")
    no_reason = refused({"version": version, "lines": [{"line": 1, "accepted": "4", "rejected": "1"}, both[1]]}, 422, "reason_required")
    assert "原因" in no_reason["details"]["message_zh"] and "why" in no_reason["details"]["message_en"]
    refused({"version": version, "lines": [{"line": 1, "accepted": "4", "rejected": "2", "reason": "x"}, both[1]]}, 422, "inspection_mismatch")
    refused({"version": version, "lines": [{"line": 1, "accepted": "-1", "rejected": "6", "reason": "x"}, both[1]]}, 422, "invalid")
    refused({"version": version - 1, "lines": both}, 409, "stale_version")
    refused({"version": version, "lines": both}, 403, "forbidden", headers=as_role("sales"))
    [answer] = _push(client, worker.headers, [("receipt.complete", {"receipt": grn, "version": version, "lines": both[:1]})])
    assert answer["status"] == "rejected" and answer["details"]["error"] == "undecided_lines"

    receipt = worker.get(f"/api/v1/receipts/{grn}")
    assert (receipt["status"], receipt["version"], receipt["putaway"]) == ("open", version, [])
    assert [line["qc_status"] for line in receipt["lines"]] == ["pending", "pending"]
    assert worker.stock("MILK", "QC", "LA") == ("0", "0")
    with db.read() as session:
        assert not session.scalars(select(AuditEntry).where(AuditEntry.action.in_(["receipt.complete", "receipt.inspect"]))).all()
    # Corrected, it goes through; twice is refused, the receipt is no longer being received.
    assert worker.post(f"/api/v1/receipts/{grn}/complete", {"version": version, "lines": both})["status"] == "putaway"
    refused({"version": version, "lines": both}, 409, "wrong_state")
