"""A transfer order received on a phone: the `transfer.receive` operation, pushed through the sync protocol, books what
the receive route books (it calls the same service), is applied once however often it is resent, and refuses bad input
with a reason while writing nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.inventory.models import Move
from tests.helpers import post_move
from tests.stories import Api, books_are_sound
from tests.test_sync import op, push

WRITTEN_OFF = "一盒压坏 one box crushed"


def stocked(client, as_role) -> dict[str, Api]:  # type: ignore[no-untyped-def]
    """20 pens in B1 at 5, 6 boxes of milk of lot L1 in B2 at 3, phones S1–S3 in B3 at 100; who asks, approves and looks."""
    worker = as_role("warehouse")
    for sku, qty, bin_, extra in [("PEN", 20, "B1", {}), ("MILK", 6, "B2", {"lot": "L1"}),
                                  ("PHONE", 3, "B3", {"serials": ["S1", "S2", "S3"]})]:
        cost = {"PEN": "5", "MILK": "3", "PHONE": "100"}[sku]
        assert post_move(client, worker, sku, qty, "SUPPLIER", bin_, unit_cost=cost, **extra).status_code == 201
    return {"warehouse": Api(client, worker), "approver": Api(client, as_role("approver")), "finance": Api(client, as_role("finance"))}


def shipped(people: dict[str, Api], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """A transfer WH1 → WH2 of `lines` ({sku, qty, location, lot?, serials?}), asked for, approved and shipped into transit."""
    warehouse, approver = people["warehouse"], people["approver"]
    order = warehouse.post("/api/v1/transfers", {"from_warehouse": "WH1", "to_warehouse": "WH2",
                                                 "lines": [{"sku": line["sku"], "qty": line["qty"]} for line in lines]}, expect=201)
    number = order["number"]
    order = warehouse.post(f"/api/v1/transfers/{number}/submit", {"version": order["version"]})
    order = approver.post(f"/api/v1/transfers/{number}/approve", {"version": order["version"]})
    return warehouse.post(f"/api/v1/transfers/{number}/ship", {"version": order["version"], "lines": [
        {"line": n, "qty": line["qty"], "location": line["location"], **{k: line[k] for k in ("lot", "serials") if k in line}}
        for n, line in enumerate(lines, 1)]})


def ledger_of(finance: Api, number: str) -> list[tuple[Any, ...]]:
    """The transfer's moves and journal lines, without what names the transfer itself."""
    moves = finance.get("/api/v1/stock/moves", ref=number, limit=100)["items"]
    return sorted((m["sku"], m["qty"], m["from"], m["to"], m["lot"], tuple(m["serials"]), m["value"]) for m in moves) + sorted(
        finance.journal("transfer", number))


PEN_AND_MILK = [{"sku": "PEN", "qty": "4", "location": "B1"}, {"sku": "MILK", "qty": "2", "location": "B2", "lot": "L1"}]


def test_a_transfer_received_by_a_pushed_operation_books_what_the_receive_route_books(client, world, as_role, db):
    people = stocked(client, as_role)
    by_route, by_phone = shipped(people, PEN_AND_MILK), shipped(people, PEN_AND_MILK)
    lines = [{"line": 1, "qty": "3", "location": "W2-B1", "note": WRITTEN_OFF}, {"line": 2, "qty": "2", "location": "W2-B1"}]
    people["warehouse"].post(f"/api/v1/transfers/{by_route['number']}/receive", {"version": by_route["version"], "lines": lines})

    answer = push(client, people["warehouse"].headers, [op(1, "transfer.receive", {"transfer": by_phone["number"], "version": by_phone["version"],
                                                                                     "lines": lines}, op_id="phone-receives-transfer-1")])
    [result] = answer["results"]
    assert result["status"] == "applied", result
    assert result["details"] == {"transfer": by_phone["number"], "status": "received", "version": by_phone["version"] + 1}

    finance = people["finance"]
    assert ledger_of(finance, by_phone["number"]) == ledger_of(finance, by_route["number"])
    order = finance.get(f"/api/v1/transfers/{by_phone['number']}")
    assert [(line["received"], line["short"], line["to_location"], line["difference_note"]) for line in order["lines"]] == [
        ("3", "1", "W2-B1", WRITTEN_OFF), ("2", "0", "W2-B1", "")]
    assert people["warehouse"].stock("PEN", "W2-B1") == ("6", "0") and people["warehouse"].stock("MILK", "W2-B1", "L1") == ("4", "0")
    with db.read() as session:  # the phone's moves carry the operation that made them
        assert set(session.scalars(select(Move.op_id).where(Move.ref_id == by_phone["number"], Move.reason.not_like("%to WH2")))) == {
            "phone-receives-transfer-1"}
    books_are_sound(finance, db)


def test_a_resent_receive_changes_nothing_and_a_second_phone_is_told_the_transfer_is_received(client, world, as_role):
    people = stocked(client, as_role)
    order = shipped(people, PEN_AND_MILK)
    receive = op(1, "transfer.receive", {"transfer": order["number"], "version": order["version"], "lines": [{"line": 1, "qty": "4", "location": "W2-B1"}]})
    first = push(client, people["warehouse"].headers, [receive])
    again = push(client, people["warehouse"].headers, [receive])  # the answer was lost; the phone sends it again
    assert first["results"][0]["status"] == "applied" and again["results"] == first["results"] and again["last_seq"] == 1
    # The line not named arrived in full into the first line's bin, as on the route.
    assert people["warehouse"].stock("PEN", "W2-B1") == ("4", "0") and people["warehouse"].stock("MILK", "W2-B1", "L1") == ("2", "0")
    assert len(people["finance"].get("/api/v1/stock/moves", ref=order["number"])["items"]) == 4  # two shipped, two received

    other = as_role("warehouse", ("WH2",))
    late = push(client, other, [op(1, "transfer.receive", {"transfer": order["number"], "version": order["version"],
                                                           "lines": [{"line": 1, "qty": "4", "location": "W2-B1"}]})], client_id="phone-0002-efgh")
    [result] = late["results"]
    assert (result["status"], result["details"]["error"], result["details"]["state"]) == ("conflict", "wrong_state", "received")
    assert order["number"] in result["details"]["message_en"] and "received" in result["details"]["message_en"]
    assert people["warehouse"].stock("PEN", "W2-B1") == ("4", "0")


def test_a_bad_receive_is_refused_with_its_reason_and_writes_nothing(client, world, as_role):
    people = stocked(client, as_role)
    order = shipped(people, PEN_AND_MILK)
    number, version = order["number"], order["version"]

    def receive(**changed: Any) -> dict[str, Any]:
        return {"transfer": number, "version": version, "lines": [{"line": 1, "qty": "4", "location": "W2-B1"}], **changed}

    refused = [
        (receive(lines=[]), "rejected", "invalid_payload"),
        (receive(lines=[{"line": 1, "qty": "-1", "location": "W2-B1"}]), "rejected", "invalid"),
        (receive(lines=[{"line": 1, "qty": "4"}]), "rejected", "invalid_payload"),
        ({"transfer": number, "lines": [{"line": 1, "qty": "4", "location": "W2-B1"}]}, "rejected", "invalid_payload"),
        (receive(lines=[{"line": 1, "qty": "5", "location": "W2-B1"}]), "rejected", "over_receipt"),
        (receive(lines=[{"line": 1, "qty": "3", "location": "W2-B1"}]), "rejected", "reason_required"),
        (receive(lines=[{"line": 1, "qty": "4", "location": "B1"}]), "rejected", "wrong_warehouse"),
        (receive(lines=[{"line": 1, "qty": "4", "location": "NOWHERE"}]), "rejected", "unknown_location"),
        (receive(lines=[{"line": 9, "qty": "4", "location": "W2-B1"}]), "rejected", "unknown_line"),
        (receive(transfer="TO-2099-99999"), "rejected", "not_found"),
        (receive(version=version - 1), "conflict", "stale_version"),
    ]
    answer = push(client, people["warehouse"].headers, [op(n, "transfer.receive", payload) for n, (payload, _, _) in enumerate(refused, 1)])
    assert [(r["status"], r["details"]["error"]) for r in answer["results"]] == [(status, error) for _, status, error in refused]
    assert all(r["details"]["message_zh"] and r["details"]["message_en"] for r in answer["results"])
    assert answer["last_seq"] == len(refused)  # nothing behind a refusal is blocked

    # Someone who may not move stock, and a worker of the sending warehouse only, are refused too.
    for headers, error in [(as_role("sales"), "forbidden"), (as_role("warehouse", ("WH1",)), "warehouse_not_allowed")]:
        [result] = push(client, headers, [op(1, "transfer.receive", receive())], client_id=f"phone-{error}")["results"]
        assert (result["status"], result["details"]["error"]) == ("rejected", error)

    finance = people["finance"]
    assert finance.get(f"/api/v1/transfers/{number}")["status"] == "shipped"
    assert len(finance.get("/api/v1/stock/moves", ref=number)["items"]) == 2  # the shipment's only
    assert finance.get("/api/v1/stock/moves", warehouse="WH2")["items"] == [] and finance.account("1901") == "0"
    # The same refusals as the route's, in HTTP.
    response = client.post(f"/api/v1/transfers/{number}/receive", headers=people["warehouse"].headers,
                           json={"version": version, "lines": [{"line": 1, "qty": "3", "location": "W2-B1"}]})
    assert response.status_code == 422 and response.json()["error"] == "reason_required"


def test_the_serials_scanned_as_they_arrive_are_the_ones_received_and_the_rest_is_written_off(client, world, as_role):
    people = stocked(client, as_role)
    order = shipped(people, [{"sku": "PHONE", "qty": "3", "location": "B3", "serials": ["S1", "S2", "S3"]}])

    def receive(serials: list[str], qty: str = "2") -> dict[str, Any]:
        return {"transfer": order["number"], "version": order["version"],
                "lines": [{"line": 1, "qty": qty, "location": "W2-B1", "note": "one missing", "serials": serials}]}

    answer = push(client, people["warehouse"].headers, [
        op(1, "transfer.receive", receive(["S1", "S9"])), op(2, "transfer.receive", receive(["S1", "S1"])), op(3, "transfer.receive", receive(["S1", "S3"]))])
    assert [(r["status"], (r["details"] or {}).get("error")) for r in answer["results"]] == [
        ("rejected", "serial_not_here"), ("rejected", "serials_mismatch"), ("applied", None)]
    moves = people["finance"].get("/api/v1/stock/moves", ref=order["number"], sku="PHONE")["items"]
    assert {(m["to"], tuple(sorted(m["serials"]))) for m in moves if m["from"] == "TRANSIT"} == {("W2-B1", ("S1", "S3")), ("ADJUSTMENT", ("S2",))}
    assert people["warehouse"].stock("PHONE", "W2-B1") == ("2", "0")


def test_the_transfers_coming_to_a_warehouse_are_listed_for_its_phones(client, world, as_role):
    people = stocked(client, as_role)
    coming = shipped(people, [{"sku": "PEN", "qty": "2", "location": "B1"}])
    warehouse = people["warehouse"]
    going = warehouse.post("/api/v1/transfers", {"from_warehouse": "WH2", "to_warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1"}]}, expect=201)
    assert [t["number"] for t in warehouse.get("/api/v1/transfers", to_warehouse="WH2")["items"]] == [coming["number"]]
    assert [t["number"] for t in warehouse.get("/api/v1/transfers", to_warehouse="WH1")["items"]] == [going["number"]]
    assert warehouse.get("/api/v1/transfers", to_warehouse="WH2", status="received")["items"] == []
    assert warehouse.get("/api/v1/transfers", to_warehouse="NOPE", expect=422)["details"]["field"] == "to_warehouse"
