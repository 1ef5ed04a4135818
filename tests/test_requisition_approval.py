"""A requisition raised by someone who may only ask (a storekeeper) waits for an approver before a purchaser orders it; a
purchaser's is open at once. Approving signs the version seen, by someone else than the requester, in the requisition's
warehouse; a rejection says why and ends it. Through the API and through sync push, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.documents.models import Approval
from server.notifications.models import Notification
from server.purchasing.models import Requisition
from tests.helpers import add_user, sign_in
from tests.stories import Api, supplier_and_dock

PENS = {"warehouse": "WH1", "supplier": "SUP1", "lines": [{"sku": "PEN", "qty": "30"}, {"sku": "RICE", "qty": "2.5"}]}


@pytest.fixture
def people(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """One person per job, by name: a storekeeper of WH1, an approver, an approver of WH2 only, a purchaser, a salesperson,
    and a foreman of WH1 who both asks for goods and approves purchases (but does not order them)."""
    supplier_and_dock(Api(client, as_role("admin")))
    team = {"keeper": (["warehouse"], ["WH1"]), "boss": (["approver"], []), "far": (["approver"], ["WH2"]), "buyer": (["purchaser"], []),
            "seller": (["sales"], []), "foreman": (["warehouse", "approver"], ["WH1"])}
    for username, (roles, warehouses) in team.items():
        add_user(db, username, roles, warehouses)
    return {username: Api(client, sign_in(client, username)) for username in team}


def _raise(api: Api, body: dict | None = None) -> dict:
    return api.post("/api/v1/requisitions", body or PENS, expect=201)


def _awaiting(api: Api, **params: str) -> list[str]:
    return [r["number"] for r in api.get("/api/v1/requisitions", awaiting_me="true", **params)["items"]]


def _notes(api: Api, kind: str) -> list[dict]:
    return [n for n in api.get("/api/v1/notifications")["items"] if n["kind"] == kind]


def _footprint(db, number: str) -> tuple:  # type: ignore[no-untyped-def]
    """Everything a decision writes: the requisition's state and version, its audit entries, decisions and notifications."""
    with db.read() as session:
        req = session.scalar(select(Requisition).where(Requisition.number == number))
        return (
            req.status, req.version,
            list(session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == number).order_by(AuditEntry.id))),
            session.scalar(select(func.count()).select_from(Approval).where(Approval.doc_type == "requisition", Approval.doc_id == req.id)),
            session.scalar(select(func.count()).select_from(Notification).where(Notification.ref_id == number)),
        )


def test_a_storekeepers_requisition_waits_for_an_approver_and_then_the_purchaser_orders_it(client, people):
    keeper, boss, buyer = people["keeper"], people["boss"], people["buyer"]
    req = _raise(keeper)
    number = req["number"]
    assert (req["status"], req["version"], req["requested_by"], req["approvals"]) == ("pending", 1, "keeper", [])
    assert req["actions"] == ["cancel"]  # the storekeeper may still take it back, not decide on it
    assert buyer.get(f"/api/v1/requisitions/{number}")["actions"] == ["cancel"]  # nothing to order yet
    refusal = buyer.post(f"/api/v1/requisitions/{number}/order", {"version": 1}, expect=409)
    assert (refusal["error"], refusal["details"]["state"]) == ("wrong_state", "pending")
    buyer.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "requisitions": [number]}, expect=409)

    assert _awaiting(boss) == [number] and _awaiting(keeper) == [] and _awaiting(buyer) == []
    assert boss.get(f"/api/v1/requisitions/{number}")["actions"] == ["approve", "reject"]
    approved = boss.post(f"/api/v1/requisitions/{number}/approve", {"version": 1, "comment": "同意 fine"})
    assert (approved["status"], approved["version"], approved["actions"]) == ("open", 2, [])
    [decision] = approved["approvals"]
    assert (decision["user"], decision["decision"], decision["level"], decision["role"], decision["version"], decision["comment"],
            decision["void"]) == ("boss", "approved", 1, "approver", 1, "同意 fine", False)
    assert _awaiting(boss) == []
    boss.post(f"/api/v1/requisitions/{number}/approve", {"version": 2}, expect=409)  # decided already

    assert buyer.get(f"/api/v1/requisitions/{number}")["actions"] == ["order", "cancel"]
    po = buyer.post(f"/api/v1/requisitions/{number}/order", {"version": 2}, expect=201)
    assert [(line["sku"], line["qty"]) for line in po["lines"]] == [("PEN", "30"), ("RICE", "2.5")]
    ordered = buyer.get(f"/api/v1/requisitions/{number}")
    assert (ordered["status"], ordered["po"], ordered["requested_by"], len(ordered["approvals"])) == ("ordered", po["number"], "keeper", 1)

    history = keeper.get(f"/api/v1/history/requisition/{number}")["items"]
    assert [(e["user"], e["action"], e["said_en"], e["said_zh"]) for e in history] == [
        ("keeper", "requisition.create", "create", "创建"),
        ("boss", "requisition.approve", "approve", "审批通过"),
        ("buyer", "requisition.order", "turn into a purchase order", "转采购订单"),
    ]


def test_a_rejection_needs_a_reason_and_ends_the_requisition(client, people, db):
    keeper, boss, buyer = people["keeper"], people["boss"], people["buyer"]
    number = _raise(keeper)["number"]
    before = _footprint(db, number)
    for comment in ("", "   "):
        refusal = boss.post(f"/api/v1/requisitions/{number}/reject", {"version": 1, "comment": comment}, expect=422)
        assert refusal["error"] == "comment_required" and refusal["details"]["message_zh"] == "请填写驳回原因。"
    assert _footprint(db, number) == before

    rejected = boss.post(f"/api/v1/requisitions/{number}/reject", {"version": 1, "comment": "上月刚买过 bought last month"})
    assert (rejected["status"], rejected["version"], rejected["actions"]) == ("rejected", 2, [])
    assert [(a["user"], a["decision"], a["comment"]) for a in rejected["approvals"]] == [("boss", "rejected", "上月刚买过 bought last month")]
    assert keeper.get(f"/api/v1/requisitions/{number}")["actions"] == []
    for api, door, body in [(buyer, "order", {"version": 2}), (keeper, "cancel", {}), (boss, "approve", {"version": 2}),
                            (boss, "reject", {"version": 2, "comment": "again"})]:
        assert api.post(f"/api/v1/requisitions/{number}/{door}", body, expect=409)["error"] == "wrong_state", door
    assert _awaiting(boss) == []
    assert [e["action"] for e in keeper.get(f"/api/v1/history/requisition/{number}")["items"]] == ["requisition.create", "requisition.reject"]
    assert keeper.get(f"/api/v1/history/requisition/{number}")["items"][1]["said_zh"] == "驳回"


def test_the_requester_may_not_decide_on_their_own_requisition(client, people, db):
    foreman, boss = people["foreman"], people["boss"]
    req = _raise(foreman)  # asks and approves, but does not order: it waits like anyone's
    number = req["number"]
    assert (req["status"], req["actions"]) == ("pending", ["cancel"])
    assert _awaiting(foreman) == []
    before = _footprint(db, number)
    for door, body in [("approve", {"version": 1}), ("reject", {"version": 1, "comment": "never mind"})]:
        refusal = foreman.post(f"/api/v1/requisitions/{number}/{door}", body, expect=403)
        assert refusal["error"] == "own_document", refusal
        assert "someone else" in refusal["details"]["message_en"] and "他人" in refusal["details"]["message_zh"]
    assert _footprint(db, number) == before
    # The foreman decides on the storekeeper's, though.
    other = _raise(people["keeper"])["number"]
    assert _awaiting(foreman) == [other] and foreman.get(f"/api/v1/requisitions/{other}")["actions"] == ["approve", "reject", "cancel"]
    assert foreman.post(f"/api/v1/requisitions/{other}/approve", {"version": 1})["approvals"][0]["user"] == "foreman"
    assert boss.post(f"/api/v1/requisitions/{number}/approve", {"version": 1})["status"] == "open"


def test_an_approver_decides_only_in_the_warehouses_they_may_work_in(client, people, db):
    far, boss = people["far"], people["boss"]
    number = _raise(people["keeper"])["number"]
    assert _awaiting(far) == [] and far.get(f"/api/v1/requisitions/{number}")["actions"] == []
    before = _footprint(db, number)
    assert far.post(f"/api/v1/requisitions/{number}/approve", {"version": 1}, expect=403)["error"] == "warehouse_not_allowed"
    assert _footprint(db, number) == before
    there = _raise(people["buyer"], {"warehouse": "WH2", "lines": [{"sku": "PEN", "qty": "1"}]})
    assert there["status"] == "open" and _awaiting(far) == []  # a purchaser's needs no approval
    assert _awaiting(boss) == [number]


def test_a_stale_or_unknown_version_is_refused_and_nothing_is_written(client, people, db):
    boss = people["boss"]
    number = _raise(people["keeper"])["number"]
    before = _footprint(db, number)
    refusal = boss.post(f"/api/v1/requisitions/{number}/approve", {"version": 2}, expect=409)
    assert (refusal["error"], refusal["details"]["current_version"]) == ("stale_version", 1)
    assert boss.post(f"/api/v1/requisitions/{number}/reject", {"version": 3, "comment": "no"}, expect=409)["error"] == "stale_version"
    boss.post(f"/api/v1/requisitions/{number}/approve", {}, expect=400)  # the version seen is required
    assert people["seller"].post(f"/api/v1/requisitions/{number}/approve", {"version": 1}, expect=403)["error"] == "forbidden"
    boss.post("/api/v1/requisitions/REQ-1999-99999/approve", {"version": 1}, expect=404)
    assert _footprint(db, number) == before
    assert boss.post(f"/api/v1/requisitions/{number}/approve", {"version": 1})["version"] == 2


def test_a_purchasers_requisition_is_open_at_once(client, people, as_role):
    buyer, boss = people["buyer"], people["boss"]
    req = _raise(buyer)
    assert (req["status"], req["requested_by"], req["approvals"], req["actions"]) == ("open", "buyer", [], ["order", "cancel"])
    admins = Api(client, as_role("admin"))
    assert _raise(admins)["status"] == "open"  # an administrator may order, so asks no one
    assert _awaiting(boss) == [] and _notes(boss, "approval.pending") == []
    assert boss.post(f"/api/v1/requisitions/{req['number']}/approve", {"version": 1}, expect=409)["error"] == "wrong_state"
    # A pending one may still be taken back by whoever asks for goods.
    pending = _raise(people["keeper"])
    assert people["keeper"].post(f"/api/v1/requisitions/{pending['number']}/cancel", {"reason": "调拨解决"})["status"] == "cancelled"
    assert _awaiting(boss) == []


def test_the_approvers_are_told_and_the_requester_hears_the_decision(client, people, as_role):
    keeper, boss, far, foreman = people["keeper"], people["boss"], people["far"], people["foreman"]
    admins = Api(client, as_role("admin"))
    first = _raise(keeper)["number"]
    for api in (boss, foreman, admins):
        [note] = _notes(api, "approval.pending")
        assert (note["ref_type"], note["ref_id"]) == ("requisition", first)
        assert (note["title_zh"], note["title_en"]) == (f"请购单 {first} 待审批", f"Requisition {first} awaits approval")
        assert "WH1" in note["body_en"] and "PEN × 30" in note["body_en"] and "RICE × 2.5" in note["body_zh"]
    for api in (keeper, far, people["buyer"], people["seller"]):
        assert _notes(api, "approval.pending") == []
    own = _raise(foreman)["number"]
    assert [n["ref_id"] for n in _notes(foreman, "approval.pending")] == [first]  # not told of their own
    assert [n["ref_id"] for n in _notes(boss, "approval.pending")] == [own, first]

    boss.post(f"/api/v1/requisitions/{first}/approve", {"version": 1})
    [told] = _notes(keeper, "requisition.decided")
    assert (told["ref_type"], told["ref_id"], told["title_en"], told["title_zh"]) == ("requisition", first, f"Requisition {first} approved",
                                                                                       f"请购单 {first} 已批准")
    boss.post(f"/api/v1/requisitions/{own}/reject", {"version": 1, "comment": "库存够用 enough in stock"})
    [told] = _notes(foreman, "requisition.decided")
    assert (told["ref_id"], told["title_en"]) == (own, f"Requisition {own} rejected")
    assert "enough in stock" in told["body_en"] and "库存够用" in told["body_zh"]
    assert _notes(boss, "requisition.decided") == []


def _op(seq: int, type_: str, payload: dict) -> dict:
    return {"op_id": f"op-{uuid.uuid4()}", "seq": seq, "type": type_, "payload": payload}


def _push(client, api: Api, client_id: str, ops: list[dict]) -> list[dict]:  # type: ignore[no-untyped-def]
    body = {"client_id": client_id, "device_time": dt.datetime.now(dt.UTC).isoformat(), "schema_version": 1, "ops": ops}
    response = client.post("/api/v1/sync/push", headers=api.headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_an_approver_decides_on_requisitions_offline_through_push(client, people, db):
    boss, foreman, keeper = people["boss"], people["foreman"], people["keeper"]
    first, second, third = (_raise(keeper)["number"] for _ in range(3))
    own = _raise(foreman)["number"]
    untouched = {n: _footprint(db, n) for n in (second, own)}
    results = _push(client, boss, "phone-boss-0001", [
        _op(1, "requisition.approve", {"requisition": first, "version": 1, "comment": "ok"}),
        _op(2, "requisition.reject", {"requisition": second, "version": 1}),  # no reason given
        _op(3, "requisition.approve", {"requisition": third, "version": 2}),  # not the version on the server
        _op(4, "requisition.reject", {"requisition": third, "version": 1, "comment": "不需要 not needed"}),
    ])
    assert [(r["seq"], r["status"]) for r in results] == [(1, "applied"), (2, "rejected"), (3, "conflict"), (4, "applied")]
    assert results[0]["details"] == {"requisition": first, "status": "open", "version": 2}
    assert results[1]["details"]["error"] == "comment_required"
    assert results[2]["details"]["error"] == "stale_version"
    assert results[3]["details"] == {"requisition": third, "status": "rejected", "version": 2}
    [own_refused] = _push(client, foreman, "phone-foreman-01", [_op(1, "requisition.approve", {"requisition": own, "version": 1})])
    assert (own_refused["status"], own_refused["details"]["error"]) == ("rejected", "own_document")
    assert {n: _footprint(db, n) for n in (second, own)} == untouched
    assert [(a["user"], a["decision"]) for a in keeper.get(f"/api/v1/requisitions/{first}")["approvals"]] == [("boss", "approved")]
    assert [n["ref_id"] for n in _notes(keeper, "requisition.decided")] == [third, first]
    assert _awaiting(boss) == [second, own]
