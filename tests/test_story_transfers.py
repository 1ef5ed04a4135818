"""Transfer orders between warehouses (调拨单), through the HTTP API on SQLite and PostgreSQL.

WH2 asks WH1 for pens; an approver approves; WH1 ships them into transit (1402 goods in transit, at their cost); WH2
receives one fewer than was shipped and says why, which is written off from transit as a loss pending approval (1901).
Stock and the books agree at every step.
"""

from __future__ import annotations

from tests.helpers import post_move
from tests.stories import Api, books_are_sound


def test_a_transfer_is_asked_for_approved_shipped_into_transit_and_received_with_its_difference(client, world, as_role):
    warehouse, approver, finance = Api(client, as_role("warehouse")), Api(client, as_role("approver")), Api(client, as_role("finance"))
    assert post_move(client, warehouse.headers, "PEN", 10, "SUPPLIER", "B1", unit_cost="5").status_code == 201

    order = warehouse.post("/api/v1/transfers", {"from_warehouse": "WH1", "to_warehouse": "WH2", "lines": [{"sku": "PEN", "qty": "6"}],
                                                 "note": "门店补货"}, expect=201)
    number = order["number"]
    assert (order["status"], order["from_warehouse"], order["to_warehouse"], order["actions"]) == ("draft", "WH1", "WH2", ["submit", "edit", "cancel"])
    same = client.post("/api/v1/transfers", headers=warehouse.headers, json={"from_warehouse": "WH1", "to_warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1"}]})
    assert same.status_code == 422 and same.json()["error"] == "same_location"
    order = warehouse.post(f"/api/v1/transfers/{number}/submit", {"version": order["version"]})
    warehouse.post(f"/api/v1/transfers/{number}/approve", {"version": order["version"]}, expect=403)  # the storekeeper does not approve
    order = approver.post(f"/api/v1/transfers/{number}/approve", {"version": order["version"], "comment": "同意"})
    assert order["status"] == "approved" and order["approved_by"]

    # Shipped from B1: more than was asked for is refused; the 6 leave stock for transit at 5 each.
    over = client.post(f"/api/v1/transfers/{number}/ship", headers=warehouse.headers,
                       json={"version": order["version"], "lines": [{"line": 1, "qty": "7", "location": "B1"}]})
    assert over.status_code == 409 and over.json()["error"] == "over_shipment", over.text
    elsewhere = client.post(f"/api/v1/transfers/{number}/ship", headers=warehouse.headers,
                            json={"version": order["version"], "lines": [{"line": 1, "qty": "6", "location": "W2-B1"}]})
    assert elsewhere.status_code == 422 and elsewhere.json()["error"] == "wrong_warehouse"
    order = warehouse.post(f"/api/v1/transfers/{number}/ship", {"version": order["version"], "lines": [{"line": 1, "qty": "6", "location": "B1"}]})
    assert order["status"] == "shipped" and order["lines"][0]["shipped"] == "6" and order["lines"][0]["value"] is None  # no costs for the storekeeper
    assert warehouse.stock("PEN", "B1") == ("4", "0")
    assert finance.account("1402") == "30" and finance.account("1405") == "20"
    assert finance.get(f"/api/v1/transfers/{number}")["lines"][0]["value"] == "30"

    # Received at WH2: 5 of the 6. Less than shipped needs a reason; then the missing one is a loss pending approval.
    unexplained = client.post(f"/api/v1/transfers/{number}/receive", headers=warehouse.headers,
                              json={"version": order["version"], "lines": [{"line": 1, "qty": "5", "location": "W2-B1"}]})
    assert unexplained.status_code == 422 and unexplained.json()["error"] == "reason_required"
    too_many = client.post(f"/api/v1/transfers/{number}/receive", headers=warehouse.headers,
                           json={"version": order["version"], "lines": [{"line": 1, "qty": "7", "location": "W2-B1"}]})
    assert too_many.status_code == 422 and too_many.json()["error"] == "over_receipt"
    order = warehouse.post(f"/api/v1/transfers/{number}/receive", {"version": order["version"], "lines": [
        {"line": 1, "qty": "5", "location": "W2-B1", "note": "一盒压坏 one box crushed"}]})
    line = order["lines"][0]
    assert order["status"] == "received" and (line["received"], line["short"], line["difference_note"], line["to_location"]) == (
        "5", "1", "一盒压坏 one box crushed", "W2-B1")
    assert warehouse.stock("PEN", "W2-B1") == ("5", "0")
    assert finance.account("1402") == "0" and finance.account("1405") == "45" and finance.account("1901") == "5"
    valuation = finance.get("/api/v1/finance/valuation/PEN")
    assert (valuation["qty"], valuation["value"]) == ("9", "45")
    assert [t["number"] for t in warehouse.get("/api/v1/transfers", warehouse="WH2")["items"]] == [number]
    books_are_sound(finance, world)


def test_a_transfer_not_shipped_can_be_cancelled_and_a_rejected_one_revised(client, world, as_role):
    warehouse, approver = Api(client, as_role("warehouse")), Api(client, as_role("approver"))
    order = warehouse.post("/api/v1/transfers", {"from_warehouse": "WH1", "to_warehouse": "WH2", "lines": [{"sku": "PEN", "qty": "2"}]}, expect=201)
    order = warehouse.post(f"/api/v1/transfers/{order['number']}/submit", {"version": order["version"]})
    order = approver.post(f"/api/v1/transfers/{order['number']}/reject", {"version": order["version"], "comment": "库存不足"})
    assert order["status"] == "rejected"
    order = warehouse.post(f"/api/v1/transfers/{order['number']}/revise", {"version": order["version"]})
    assert order["status"] == "draft"
    order = warehouse.post(f"/api/v1/transfers/{order['number']}/cancel", {"version": order["version"]})
    assert order["status"] == "cancelled" and order["actions"] == []


def test_a_transfers_lines_change_until_it_ships_and_a_change_after_approval_is_approved_afresh(client, world, as_role):
    warehouse, approver = Api(client, as_role("warehouse")), Api(client, as_role("approver"))
    assert post_move(client, warehouse.headers, "PEN", 10, "SUPPLIER", "B1", unit_cost="5").status_code == 201
    order = warehouse.post("/api/v1/transfers", {"from_warehouse": "WH1", "to_warehouse": "WH2", "lines": [{"sku": "PEN", "qty": "6"}]}, expect=201)
    number, path = order["number"], f"/api/v1/transfers/{order['number']}"

    # A draft: a line added, a quantity changed; a change made on an older version is refused, saying so.
    draft = warehouse.patch(path, {"version": order["version"], "lines": [{"sku": "PEN", "qty": "4"}, {"sku": "RICE", "qty": "2"}]})
    assert (draft["status"], draft["version"]) == ("draft", order["version"] + 1)
    assert [(line["line"], line["sku"], line["qty"]) for line in draft["lines"]] == [(1, "PEN", "4"), (2, "RICE", "2")]
    stale = client.patch(path, headers=warehouse.headers, json={"version": order["version"], "lines": [{"sku": "PEN", "qty": "1"}]})
    assert stale.status_code == 409 and stale.json()["error"] == "stale_version", stale.text
    assert [line["qty"] for line in warehouse.get(path)["lines"]] == ["4", "2"]
    unknown = client.patch(path, headers=warehouse.headers, json={"version": draft["version"], "lines": [{"sku": "NOPE", "qty": "1"}]})
    assert unknown.status_code in (404, 422) and unknown.json()["details"]["field"] == "lines[0].sku", unknown.text

    # Waiting for approval: a change keeps it waiting, as a new version.
    pending = warehouse.post(f"{path}/submit", {"version": draft["version"]})
    assert pending["status"] == "pending" and "edit" in pending["actions"]
    pending = warehouse.patch(path, {"version": pending["version"], "lines": [{"sku": "PEN", "qty": "5"}, {"sku": "RICE", "qty": "2"}]})
    assert pending["status"] == "pending" and [line["qty"] for line in pending["lines"]] == ["5", "2"]
    refused = client.post(f"{path}/approve", headers=approver.headers, json={"version": pending["version"] - 1})
    assert refused.status_code == 409 and refused.json()["error"] == "stale_version"
    approved = approver.post(f"{path}/approve", {"version": pending["version"], "comment": "同意"})
    assert approved["status"] == "approved" and approved["approved_by"]

    # Approved, not yet shipped: the rice taken off. The approval given is void and it waits for approval again.
    changed = warehouse.patch(path, {"version": approved["version"], "lines": [{"sku": "PEN", "qty": "5"}]})
    assert (changed["status"], changed["approved_by"]) == ("pending", None)
    assert [(line["sku"], line["qty"]) for line in changed["lines"]] == [("PEN", "5")]
    assert [(a["decision"], a["void"]) for a in changed["approvals"]] == [("approved", True)]
    assert "approve" in approver.get(path)["actions"]
    asked = [n for n in approver.get("/api/v1/notifications")["items"] if n["kind"] == "approval.pending" and n["ref_id"] == number]
    assert len(asked) >= 2, asked  # asked when submitted, and again after the change
    again = approver.post(f"{path}/approve", {"version": changed["version"], "comment": "可以"})
    assert again["status"] == "approved" and [a["void"] for a in again["approvals"]] == [True, False]

    # Shipped: the lines can no longer change.
    shipped = warehouse.post(f"{path}/ship", {"version": again["version"], "lines": [{"line": 1, "qty": "5", "location": "B1"}]})
    assert shipped["status"] == "shipped" and "edit" not in shipped["actions"]
    late = client.patch(path, headers=warehouse.headers, json={"version": shipped["version"], "lines": [{"sku": "PEN", "qty": "6"}]})
    assert late.status_code == 409, late.text
    body = late.json()
    assert body["error"] == "frozen_field" and body["details"]["fields"] == ["lines"]
    assert "shipped" in body["message"] and "lines" in body["message"], body
    assert [(line["qty"], line["shipped"]) for line in warehouse.get(path)["lines"]] == [("5", "5")]
