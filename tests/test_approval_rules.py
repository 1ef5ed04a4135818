"""Approval rules for purchase orders, requisitions and transfer orders: by amount band, item category and warehouse, the
first matching rule by priority names the roles that approve, in order; no rule matching, no approval. An edit while
approval is pending starts it again. Bad rules are refused with a reason. Through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.base import UTCDateTime
from server.migrate import upgrade
from server.wiring import open_database
from tests.helpers import add_user, post_move, sign_in
from tests.stories import Api, supplier_and_dock

RULES = "/api/v1/approval-rules"


@pytest.fixture
def people(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """An administrator; a storekeeper of WH1 (asks for goods and transfers); two approvers; a director; a purchaser. PEN was
    last bought at 10 a piece (its average cost is 2), RICE never bought but held at an average cost of 4 a kilo; PHONE
    is an electronic (category ELEC)."""
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    team = {"keeper": (["warehouse"], ["WH1"]), "ann": (["approver"], []), "bob": (["approver"], []), "dora": (["director"], []),
            "buyer": (["purchaser"], [])}
    for username, (roles, warehouses) in team.items():
        add_user(db, username, roles, warehouses)
    apis = {username: Api(client, sign_in(client, username)) for username in team}
    for sku, qty, cost in (("PEN", "100", "2"), ("RICE", "50", "4")):
        assert post_move(client, as_role("warehouse"), sku, qty, "SUPPLIER", "B1", unit_cost=cost).status_code == 201
    apis["buyer"].post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "5", "unit_price": "10"}]},
                       expect=201)
    admin.post("/api/v1/categories", {"code": "ELEC", "name_zh": "电子产品", "name_en": "Electronics"}, expect=201)
    admin.patch("/api/v1/items/PHONE", {"category": "ELEC"})
    return {"admin": admin, **apis}


def _rules(admin: Api, kind: str, rules: list[dict]) -> list[dict]:
    return admin.put(RULES, {"kind": kind, "rules": rules})


def _ask(api: Api, *lines: tuple[str, str], warehouse: str = "WH1") -> dict:
    return api.post("/api/v1/requisitions", {"warehouse": warehouse, "lines": [{"sku": sku, "qty": qty} for sku, qty in lines]}, expect=201)


def _transfer(api: Api, qty: str, source: str = "WH1", target: str = "WH2", note: str = "") -> dict:
    order = api.post("/api/v1/transfers", {"from_warehouse": source, "to_warehouse": target, "lines": [{"sku": "PEN", "qty": qty}], "note": note},
                     expect=201)
    return api.post(f"/api/v1/transfers/{order['number']}/submit", {"version": order["version"]})


def _awaiting(api: Api, path: str) -> list[str]:
    return [doc["number"] for doc in api.get(f"/api/v1/{path}", awaiting_me="true")["items"]]


def test_a_requisition_over_its_band_waits_for_the_approver_and_one_under_it_goes_straight_through(people):
    admin, keeper, ann = people["admin"], people["keeper"], people["ann"]
    rules = _rules(admin, "requisition", [{"above": "1000", "levels": ["approver"]}])
    assert [(r["kind"], r["priority"], r["above"], r["up_to"], r["levels"]) for r in rules] == [("requisition", 1, "1000", None, ["approver"])]


    def valued(req: dict) -> str:
        return admin.get(f"/api/v1/requisitions/{req['number']}")["estimated_value"]  # type: ignore[no-any-return]

    small = _ask(keeper, ("PEN", "50"))  # at the last purchase price, 10: 500
    assert (small["status"], small["approval_roles"], valued(small)) == ("open", [], "500")
    big = _ask(keeper, ("PEN", "200"))  # 2,000
    assert (big["status"], big["approval_roles"], valued(big)) == ("pending", ["approver"], "2000")
    never_bought = _ask(keeper, ("RICE", "300"))  # at its average cost, 4: 1,200
    assert (never_bought["status"], valued(never_bought)) == ("pending", "1200")
    assert big["estimated_value"] is None  # no prices for the storekeeper
    assert ann.get(f"/api/v1/requisitions/{big['number']}")["estimated_value"] == "2000"  # the approver sees what it is judged by
    assert _awaiting(ann, "requisitions") == [big["number"], never_bought["number"]]
    assert [n["ref_id"] for n in ann.get("/api/v1/notifications")["items"] if n["kind"] == "approval.pending"] == [never_bought["number"], big["number"]]

    approved = ann.post(f"/api/v1/requisitions/{big['number']}/approve", {"version": big["version"], "comment": "ok"})
    assert approved["status"] == "open" and [(a["level"], a["role"], a["user"]) for a in approved["approvals"]] == [(1, "approver", "ann")]


def test_a_category_rule_catches_a_requisition_with_one_item_of_that_category(people):
    admin, keeper, ann, dora = people["admin"], people["keeper"], people["ann"], people["dora"]
    _rules(admin, "requisition", [
        {"above": "0", "up_to": None, "levels": ["approver", "director"], "category": "ELEC"},
        {"above": "5000", "up_to": None, "levels": ["approver"]},
    ])
    assert admin.get(RULES, kind="requisition")[0]["category"] == "ELEC"
    assert _ask(keeper, ("PEN", "1"))["status"] == "open"  # no electronics, under 5,000
    mixed = _ask(keeper, ("PEN", "1"), ("PHONE", "1"))
    assert (mixed["status"], mixed["approval_roles"]) == ("pending", ["approver", "director"])
    assert _awaiting(dora, "requisitions") == []  # level 1 is an approver's
    signed = ann.post(f"/api/v1/requisitions/{mixed['number']}/approve", {"version": mixed["version"]})
    assert (signed["status"], signed["version"]) == ("pending", mixed["version"] + 1)  # one level of two
    assert _awaiting(ann, "requisitions") == [] and _awaiting(dora, "requisitions") == [mixed["number"]]
    assert [n["ref_id"] for n in dora.get("/api/v1/notifications")["items"] if n["kind"] == "approval.pending"] == [mixed["number"]]
    done = dora.post(f"/api/v1/requisitions/{mixed['number']}/approve", {"version": signed["version"]})
    assert done["status"] == "open" and [(a["level"], a["role"], a["user"]) for a in done["approvals"]] == [(1, "approver", "ann"), (2, "director", "dora")]


def test_a_warehouse_rule_applies_to_its_warehouse_only(people):
    admin, keeper, dora = people["admin"], people["keeper"], people["dora"]
    _rules(admin, "requisition", [{"above": "0", "levels": ["director"], "warehouse": "WH2"}])
    assert _ask(people["buyer"], ("PEN", "1"), warehouse="WH2")["status"] == "open"  # a purchaser's request asks no one
    assert _ask(keeper, ("PEN", "500"))["status"] == "open"  # WH1: no rule
    _rules(admin, "transfer_order", [{"above": "0", "levels": ["director"], "warehouse": "WH2"}, {"above": "100", "levels": ["approver"]}])
    to_wh2 = _transfer(keeper, "1")  # into WH2: its rule, whatever the amount
    assert (to_wh2["status"], to_wh2["approval_roles"]) == ("pending", ["director"])
    assert _awaiting(dora, "transfers") == [to_wh2["number"]] and _awaiting(people["ann"], "transfers") == []
    approved = dora.post(f"/api/v1/transfers/{to_wh2['number']}/approve", {"version": to_wh2["version"]})
    assert (approved["status"], approved["approved_by"]) == ("approved", "dora")


def test_a_transfer_over_its_band_waits_for_approval_and_cannot_ship_until_approved(people):
    admin, keeper, ann = people["admin"], people["keeper"], people["ann"]
    _rules(admin, "transfer_order", [{"above": "100", "levels": ["approver"]}])
    small = _transfer(keeper, "6")  # at the average cost, 2: 12
    assert (small["status"], small["approval_roles"], small["approved_by"]) == ("approved", [], None)
    big = _transfer(keeper, "60", note="门店开业")  # 120
    number = big["number"]
    assert (big["status"], big["approval_roles"], big["value"]) == ("pending", ["approver"], None)  # no costs for the storekeeper
    assert admin.get(f"/api/v1/transfers/{number}")["value"] == "120"
    ship = {"version": big["version"], "lines": [{"line": 1, "qty": "60", "location": "B1"}]}
    assert keeper.post(f"/api/v1/transfers/{number}/ship", ship, expect=409)["error"] == "wrong_state"
    assert keeper.get(f"/api/v1/transfers/{number}")["actions"] == ["edit", "cancel"]
    assert ann.get(f"/api/v1/transfers/{number}")["actions"][:2] == ["approve", "reject"]
    [note] = [n for n in ann.get("/api/v1/notifications")["items"] if n["kind"] == "approval.pending"]
    assert (note["ref_type"], note["ref_id"], note["title_en"]) == ("transfer", number, f"Transfer order {number} awaits approval")
    assert "WH1 → WH2" in note["body_en"] and "PEN × 60" in note["body_zh"]
    assert ann.post(f"/api/v1/transfers/{number}/reject", {"version": big["version"]}, expect=422)["error"] == "comment_required"
    approved = ann.post(f"/api/v1/transfers/{number}/approve", {"version": big["version"], "comment": "同意"})
    assert approved["status"] == "approved" and [(a["user"], a["decision"], a["comment"]) for a in approved["approvals"]] == [("ann", "approved", "同意")]
    assert [n["ref_id"] for n in keeper.get("/api/v1/notifications")["items"] if n["kind"] == "transfer.decided"] == [number]
    shipped = keeper.post(f"/api/v1/transfers/{number}/ship", {**ship, "version": approved["version"]})
    assert shipped["status"] == "shipped"
    assert keeper.post(f"/api/v1/transfers/{small['number']}/ship", {"version": small["version"], "lines": [
        {"line": 1, "qty": "6", "location": "B1"}]})["status"] == "shipped"


def test_editing_after_one_level_signed_restarts_the_approval(people):
    admin, keeper, ann, bob = people["admin"], people["keeper"], people["ann"], people["bob"]
    _rules(admin, "requisition", [{"above": "0", "levels": ["approver", "approver"]}])
    req = _ask(keeper, ("PEN", "10"))
    number = req["number"]
    signed = ann.post(f"/api/v1/requisitions/{number}/approve", {"version": req["version"]})
    assert signed["status"] == "pending" and _awaiting(bob, "requisitions") == [number] and _awaiting(ann, "requisitions") == []
    edited = keeper.patch(f"/api/v1/requisitions/{number}", {"version": signed["version"], "lines": [{"sku": "PEN", "qty": "12"}]})
    assert (edited["status"], edited["version"], [line["qty"] for line in edited["lines"]]) == ("pending", signed["version"] + 1, ["12"])
    assert [(a["user"], a["void"]) for a in edited["approvals"]] == [("ann", True)]
    stale = bob.post(f"/api/v1/requisitions/{number}/approve", {"version": signed["version"]}, expect=409)
    assert stale["error"] == "stale_version"
    assert _awaiting(ann, "requisitions") == [number]  # level 1 again, and ann may sign it again
    again = ann.post(f"/api/v1/requisitions/{number}/approve", {"version": edited["version"]})
    done = bob.post(f"/api/v1/requisitions/{number}/approve", {"version": again["version"]})
    assert done["status"] == "open" and [(a["user"], a["level"], a["version"], a["void"]) for a in done["approvals"]] == [
        ("ann", 1, signed["version"] - 1, True), ("ann", 1, edited["version"], False), ("bob", 2, again["version"], False)]
    # Once open, what was approved stays: its quantities no longer change.
    frozen = keeper.patch(f"/api/v1/requisitions/{number}", {"version": done["version"], "lines": [{"sku": "PEN", "qty": "99"}]}, expect=409)
    assert (frozen["error"], frozen["details"]["fields"]) == ("frozen_field", ["lines"])
    assert keeper.patch(f"/api/v1/requisitions/{number}", {"version": done["version"], "note": "急"})["note"] == "急"

    # An edit that takes it below every band needs no approval any more: it opens.
    _rules(admin, "requisition", [{"above": "100", "levels": ["approver"]}])
    big = _ask(keeper, ("PEN", "20"))  # 200
    assert big["status"] == "pending"
    smaller = keeper.patch(f"/api/v1/requisitions/{big['number']}", {"version": big["version"], "lines": [{"sku": "PEN", "qty": "5"}]})
    assert (smaller["status"], smaller["approval_roles"]) == ("open", [])

    # A transfer order too: a change while pending voids the level signed.
    _rules(admin, "transfer_order", [{"above": "0", "levels": ["approver", "director"]}])
    order = _transfer(keeper, "5")
    order = ann.post(f"/api/v1/transfers/{order['number']}/approve", {"version": order["version"]})
    assert order["status"] == "pending" and _awaiting(people["dora"], "transfers") == [order["number"]]
    order = keeper.patch(f"/api/v1/transfers/{order['number']}", {"version": order["version"], "note": "改为下周"})
    assert order["status"] == "pending" and [a["void"] for a in order["approvals"]] == [True]
    assert _awaiting(people["dora"], "transfers") == [] and _awaiting(bob, "transfers") == [order["number"]]


def test_bad_rules_are_refused_with_a_reason_and_change_nothing(people, client, db):
    admin = people["admin"]
    before = {kind: admin.get(RULES, kind=kind) for kind in ("purchase_order", "requisition", "transfer_order")}
    cases = [
        ("requisition", [{"above": "0", "up_to": "1000", "levels": ["approver"], "category": "ELEC"},
                         {"above": "500", "levels": ["director"], "category": "ELEC"}], "overlapping_bands", "rules[1]"),
        ("purchase_order", [{"above": "0", "up_to": "500", "levels": ["approver"]}, {"above": "600", "levels": ["director"]}], "bad_bands", "rules[1].above"),
        ("purchase_order", [{"above": "0", "up_to": "500", "levels": ["approver"]}], "bad_bands", "rules[0].up_to"),
        ("requisition", [{"above": "500", "up_to": "100", "levels": ["approver"]}], "bad_bands", "rules[0].up_to"),
        ("requisition", [{"above": "0", "levels": ["approver"], "category": "NOPE"}], "unknown_category", "rules[0].category"),
        ("transfer_order", [{"above": "0", "levels": ["approver"], "warehouse": "NOWH"}], "unknown_reference", "rules[0].warehouse"),
        ("transfer_order", [{"above": "0", "levels": ["approver"], "warehouse": "B1"}], "unknown_reference", "rules[0].warehouse"),
        ("transfer_order", [{"above": "0", "levels": ["boss"]}], "role_cannot_approve", "rules[0].levels"),
        ("requisition", [{"above": "0", "levels": ["approver", "warehouse"]}], "role_cannot_approve", "rules[0].levels"),
        ("requisition", [{"above": "0", "levels": ["approver"]}, {"above": "0", "levels": ["director"], "category": "ELEC"}], "unreachable_rule",
         "rules[1]"),
    ]
    for kind, rules, error, field in cases:
        refused = client.put(RULES, headers=admin.headers, json={"kind": kind, "rules": rules})
        assert refused.status_code == 422, (rules, refused.text)
        body = refused.json()
        assert (body["error"], body["details"].get("field")) == (error, field), body
        assert body["details"]["message_en"] and body["details"]["message_zh"]
    assert client.put(RULES, headers=admin.headers, json={"kind": "sales_order", "rules": []}).status_code == 400
    refused = client.put(RULES, headers=people["ann"].headers, json={"kind": "requisition", "rules": []})
    assert refused.status_code == 403
    assert {kind: admin.get(RULES, kind=kind) for kind in before} == before
    # The same rules the other way round are fine: the category's first, then every document.
    _rules(admin, "requisition", [{"above": "0", "levels": ["director"], "category": "ELEC"}, {"above": "0", "levels": ["approver"]}])
    with db.read() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "approval_rules.replace"))
    assert entry.target_id == "requisition" and entry.details["rules"] == [["0", None, ["director"], "ELEC", None], ["0", None, ["approver"], None, None]]
    # No rules at all: no requisition needs approval.
    assert _rules(admin, "requisition", []) == []
    assert _ask(people["keeper"], ("PHONE", "1"))["status"] == "open"


def test_purchase_orders_keep_their_bands_and_may_have_a_category_rule_too(people):
    admin, buyer, ann, dora = people["admin"], people["buyer"], people["ann"], people["dora"]
    assert [(r["kind"], r["priority"], r["above"], r["up_to"], r["levels"]) for r in admin.get(RULES)] == [
        ("purchase_order", 1, "0", "10000", ["approver"]), ("purchase_order", 2, "10000", "100000", ["approver", "approver"]),
        ("purchase_order", 3, "100000", None, ["approver", "approver", "director"])]
    po = buyer.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "10", "unit_price": "10"}]},
                    expect=201)
    assert buyer.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})["approval_roles"] == ["approver"]

    _rules(admin, "purchase_order", [{"above": "0", "levels": ["director"], "category": "ELEC"}, {"above": "1000", "levels": ["approver"]}])
    small = buyer.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1", "unit_price": "10"}]},
                       expect=201)
    small = buyer.post(f"/api/v1/purchase-orders/{small['number']}/submit", {"version": small["version"]})
    assert (small["status"], small["approval_roles"]) == ("approved", [])  # below the first band: released
    phones = buyer.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [
        {"sku": "PHONE", "qty": "1", "unit_price": "5"}]}, expect=201)
    phones = buyer.post(f"/api/v1/purchase-orders/{phones['number']}/submit", {"version": phones["version"]})
    assert (phones["status"], phones["approval_roles"]) == ("pending", ["director"])
    assert ann.post(f"/api/v1/purchase-orders/{phones['number']}/approve", {"version": phones["version"]}, expect=403)["error"] == "wrong_approver_role"
    assert dora.post(f"/api/v1/purchase-orders/{phones['number']}/approve", {"version": phones["version"]})["status"] == "approved"


def test_an_approver_decides_on_a_transfer_order_offline_through_push(people, client):
    admin, keeper, ann = people["admin"], people["keeper"], people["ann"]
    _rules(admin, "transfer_order", [{"above": "0", "levels": ["approver"]}])
    first, second = (_transfer(keeper, "2") for _ in range(2))
    body = {"client_id": "phone-ann-0001", "device_time": dt.datetime.now(dt.UTC).isoformat(), "schema_version": 1, "ops": [
        {"op_id": f"op-{uuid.uuid4()}", "seq": 1, "type": "transfer.approve", "payload": {"transfer": first["number"], "version": first["version"]}},
        {"op_id": f"op-{uuid.uuid4()}", "seq": 2, "type": "transfer.reject", "payload": {"transfer": second["number"], "version": second["version"]}},
        {"op_id": f"op-{uuid.uuid4()}", "seq": 3, "type": "transfer.reject",
         "payload": {"transfer": second["number"], "version": second["version"], "comment": "库存不足"}},
    ]}
    results = client.post("/api/v1/sync/push", headers=ann.headers, json=body).json()["results"]
    assert [(r["status"], r["details"].get("error") or r["details"].get("status")) for r in results] == [
        ("applied", "approved"), ("rejected", "comment_required"), ("applied", "rejected")]


@pytest.fixture
def scratch(backend, tmp_path, backends):  # type: ignore[no-untyped-def]
    with backends.scratch(backend, tmp_path, "rules") as url:
        database = open_database(url)
        yield database
        database.dispose()


def test_the_purchase_order_bands_become_purchase_order_rules_and_waiting_documents_wait_for_one_approver(scratch):
    upgrade(scratch.engine, "0028")
    now = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    rules = sa.table("approval_rules", sa.column("doc_type"), sa.column("above"), sa.column("up_to"), sa.column("levels", sa.JSON()),
                     sa.column("active"))
    locations = sa.table("locations", *(sa.column(c) for c in ("id", "code", "name_zh", "name_en", "kind", "quarantine", "active", "version")),
                         sa.column("created_at", UTCDateTime()), sa.column("updated_at", UTCDateTime()))
    requisitions = sa.table("requisitions", *(sa.column(c) for c in ("id", "number", "status", "version", "note", "warehouse_id", "source")),
                            sa.column("created_at", UTCDateTime()), sa.column("updated_at", UTCDateTime()))
    with scratch.engine.begin() as connection:
        connection.execute(rules.insert(), [
            {"doc_type": "po", "above": 5000, "up_to": None, "levels": ["director"], "active": True},
            {"doc_type": "po", "above": 0, "up_to": 5000, "levels": ["approver"], "active": True},
            {"doc_type": "po", "above": 0, "up_to": None, "levels": ["approver"], "active": False},
        ])
        connection.execute(locations.insert(), [{"id": 1, "code": "WH1", "name_zh": "", "name_en": "", "kind": "warehouse", "quarantine": False,
                                                 "active": True, "version": 1, "created_at": now, "updated_at": now}])
        connection.execute(requisitions.insert(), [
            {"id": n, "number": f"REQ-{n}", "status": status, "version": 1, "note": "", "warehouse_id": 1, "source": "manual", "created_at": now,
             "updated_at": now} for n, status in ((1, "pending"), (2, "open"))])
    upgrade(scratch.engine, "0029")
    with scratch.engine.connect() as connection:
        migrated = connection.execute(sa.text("SELECT doc_type, above, priority, active FROM approval_rules ORDER BY priority, id")).all()
        waiting = connection.execute(sa.text("SELECT number, approval_roles FROM requisitions ORDER BY id")).all()
    assert [(kind, float(above), priority, bool(active)) for kind, above, priority, active in migrated] == [
        ("purchase_order", 0.0, 0, False), ("purchase_order", 0.0, 1, True), ("purchase_order", 5000.0, 2, True)]
    assert [(number, roles if isinstance(roles, list) else json.loads(roles)) for number, roles in waiting] == [
        ("REQ-1", ["approver"]), ("REQ-2", [])]
