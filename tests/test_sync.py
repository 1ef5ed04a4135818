"""The sync protocol over HTTP: push applies each operation once in seq order with one result each; pull serves every
committed change after a cursor, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid

import pytest

from server.auth.permissions import SYSTEM
from server.inventory.services import move
from sync.feed import Cursor, changes_after
from tests.helpers import post_move
from tests.stories import Api, supplier_and_dock

CLIENT = "phone-0001-abcd"


def op(seq: int, type_: str, payload: dict, op_id: str | None = None) -> dict:
    return {"op_id": op_id or f"op-{uuid.uuid4()}", "seq": seq, "type": type_, "payload": payload}


def push(client, headers, ops, client_id: str = CLIENT, expect: int = 200, **extra):  # type: ignore[no-untyped-def]
    body = {"client_id": client_id, "device_time": dt.datetime.now(dt.UTC).isoformat(), "schema_version": 1, "ops": ops, **extra}
    response = client.post("/api/v1/sync/push", headers=headers, json=body)
    assert response.status_code == expect, response.text
    return response.json()


def receive(qty: str, location: str = "B1", sku: str = "PEN") -> dict:
    return {"sku": sku, "qty": qty, "from": "SUPPLIER", "to": location, "unit_cost": "1"}


def test_a_pushed_move_is_applied_once_however_often_it_is_resent(client, worker, world):
    first = op(1, "stock.move", receive("5"))
    answer = push(client, worker, [first])
    assert [r["status"] for r in answer["results"]] == ["applied"] and answer["last_seq"] == 1
    again = push(client, worker, [first])  # the response was lost; the phone sends it again
    assert again["results"] == answer["results"] and again["last_seq"] == 1
    assert Api(client, worker).stock("PEN", "B1") == ("5", "0")


def test_a_rejected_operation_advances_the_seq_so_nothing_behind_it_is_blocked(client, worker, world):
    answer = push(client, worker, [op(1, "stock.move", receive("2", sku="NO-SUCH")), op(2, "stock.move", receive("3"))])
    statuses = [(r["seq"], r["status"]) for r in answer["results"]]
    assert statuses == [(1, "rejected"), (2, "applied")]
    rejected = answer["results"][0]
    assert rejected["details"]["error"] == "unknown_sku" and "NO-SUCH" in rejected["message"]
    assert "NO-SUCH" in rejected["details"]["message_zh"]
    assert Api(client, worker).stock("PEN", "B1") == ("3", "0")


def test_a_gap_in_seq_is_answered_so_the_client_resends(client, worker, world):
    answer = push(client, worker, [op(1, "stock.move", receive("1")), op(3, "stock.move", receive("1"))])
    assert [r["seq"] for r in answer["results"]] == [1] and answer["resend_from"] == 2 and answer["last_seq"] == 1
    answer = push(client, worker, [op(2, "stock.move", receive("1")), op(3, "stock.move", receive("1"))])
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"] and answer["resend_from"] is None
    assert Api(client, worker).stock("PEN", "B1") == ("3", "0")


def test_a_new_operation_under_a_used_seq_is_refused_without_applying_it(client, worker, world):
    push(client, worker, [op(1, "stock.move", receive("1"))])
    answer = push(client, worker, [op(1, "stock.move", receive("9"))])
    assert answer["results"][0]["status"] == "rejected" and answer["results"][0]["details"]["error"] == "seq_reused"
    assert Api(client, worker).stock("PEN", "B1") == ("1", "0")


def test_an_unknown_operation_type_or_a_bad_payload_is_rejected_with_a_reason(client, worker, world):
    answer = push(client, worker, [op(1, "stock.teleport", {}), op(2, "stock.move", {"sku": "PEN"})])
    assert [(r["status"], r["details"]["error"]) for r in answer["results"]] == [("rejected", "unknown_operation"), ("rejected", "invalid_payload")]


def test_the_same_task_line_confirmed_twice_is_a_conflict(client, world, as_role):
    admin, sales, worker = Api(client, as_role("admin")), Api(client, as_role("sales")), as_role("warehouse")
    admin.post("/api/v1/locations", {"code": "WH1-OUT", "kind": "zone", "parent": "WH1"}, expect=201)
    admin.post("/api/v1/partners", {"code": "CUS1", "kind": "customer"}, expect=201)
    post_move(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "5", "unit_price": "2"}]},
                       expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {})
    task = Api(client, worker).post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)["tasks"][0]["id"]
    other_picker = as_role("warehouse", ("WH1",))
    first = push(client, worker, [op(1, "pick.confirm", {"task": task, "qty": "5", "location": "B1"})])
    second = push(client, other_picker, [op(1, "pick.confirm", {"task": task, "qty": "5", "location": "B1"})], client_id="phone-0002-abcd")
    assert first["results"][0]["status"] == "applied"
    assert second["results"][0]["status"] == "conflict" and second["results"][0]["details"]["error"] == "already_picked"
    assert Api(client, worker).stock("PEN", "WH1-OUT") == ("5", "5")


def test_approving_a_stale_version_offline_is_a_conflict_showing_what_changed(client, world, as_role):
    purchaser, approver = Api(client, as_role("purchaser")), as_role("approver")
    supplier_and_dock(Api(client, as_role("admin")))
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "10", "unit_price": "5"}]},
                        expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    seen = po["version"]
    purchaser.patch(f"/api/v1/purchase-orders/{po['number']}", {"version": seen, "lines": [{"sku": "PEN", "qty": "12", "unit_price": "5"}]})
    answer = push(client, approver, [op(1, "po.approve", {"po": po["number"], "version": seen})])
    result = answer["results"][0]
    assert result["status"] == "conflict" and result["details"]["error"] == "stale_version"
    assert {"line": 1, "field": "qty", "before": "10", "after": "12"} in result["details"]["changes"]
    answer = push(client, approver, [op(2, "po.approve", {"po": po["number"], "version": seen + 1})])
    assert answer["results"][0]["status"] == "applied" and answer["results"][0]["details"]["status"] == "approved"


def test_a_client_belongs_to_the_user_who_registered_it(client, world, as_role):
    push(client, as_role("warehouse"), [op(1, "stock.move", receive("1"))])
    push(client, as_role("warehouse", ("WH1",)), [op(1, "stock.move", receive("1"))], expect=403)


def test_an_app_speaking_another_schema_version_is_told_to_update(client, worker, world):
    body = push(client, worker, [], schema_version=99, expect=422)
    assert body["error"] == "schema_version"


def test_pull_serves_balance_changes_after_the_cursor_and_then_nothing(client, worker, world):
    post_move(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    post_move(client, worker, "PEN", 2, "B1", "B2")
    first = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1"}).json()
    latest = {c["key"]: c["data"] for c in first["changes"]}
    assert sorted((d["location"], d["qty"]) for d in latest.values()) == [("B1", "3"), ("B2", "2")]
    assert first["has_more"] is False and first["reset_required"] is False
    again = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1", "cursor": first["cursor"]}).json()
    assert again["changes"] == [] and again["cursor"] == first["cursor"]
    post_move(client, worker, "PEN", 1, "B2", "CUSTOMER")
    later = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1", "cursor": first["cursor"]}).json()
    assert [(c["data"]["location"], c["data"]["qty"], c["data"]["available"]) for c in later["changes"]] == [("B2", "1", "1")]
    other = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH2", "cursor": first["cursor"]}).json()
    assert other["changes"] == []


def test_pull_pages_through_many_changes_without_losing_one(client, worker, world):
    for i in range(7):
        post_move(client, worker, "PEN", 1, "SUPPLIER", ["B1", "B2", "B3"][i % 3], unit_cost="1")
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1", "limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [(c["data"]["location"], c["data"]["qty"]) for c in page["changes"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert len(seen) == 7 and seen[-3:] == [("B2", "2"), ("B3", "2"), ("B1", "3")]


def test_a_scope_the_user_may_not_see_answers_reset_required(client, world, as_role):
    limited = as_role("warehouse", ("WH2",))
    page = client.get("/api/v1/sync/pull", headers=limited, params={"scope": "wh:WH1"}).json()
    assert page["reset_required"] is True and page["changes"] == []
    bad = client.get("/api/v1/sync/pull", headers=limited, params={"scope": "everything"})
    assert bad.status_code == 422 and bad.json()["error"] == "unknown_scope"
    bad = client.get("/api/v1/sync/pull", headers=limited, params={"scope": "wh:WH2", "cursor": "yesterday"})
    assert bad.status_code == 422 and bad.json()["error"] == "bad_cursor"


def test_a_malformed_or_oversized_pull_cursor_is_refused_as_bad_cursor_never_a_server_error(client, worker, world):
    post_move(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    for cursor in ("99999999999999999999", "5.99999999999999999999", "1.0.99999999999999999999", "nan", "NaN.0", "inf", "-inf",
                   "-1", "-1.0", "1.-1", "1e3", "1_0", "٣", " 5", "5 ", "5.", ".5", "1.2.3.4", "0x10", "+5", "5,0", "x" * 5000):
        answer = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1", "cursor": cursor})
        assert answer.status_code == 422 and answer.json()["error"] == "bad_cursor", (cursor[:40], answer.text[:300])
        details = answer.json()["details"]
        assert "not one this server gave out" in details["message_en"] and "不是本服务器给出的" in details["message_zh"]
        assert len(answer.text) < 1000  # an absurd cursor is not echoed whole
    fine = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1", "cursor": "0.0"})
    assert fine.status_code == 200 and len(fine.json()["changes"]) == 1


def test_a_cursor_beyond_the_feeds_head_makes_the_device_start_its_slices_again(client, worker, world):
    post_move(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    scopes = {"scope": ["wh:WH1", "stock:WH1"]}
    current = client.get("/api/v1/sync/pull", headers=worker, params=scopes).json()
    version = int(current["cursor"].split(".")[0])
    # At the head is current, not the future: nothing new, no reset.
    again = client.get("/api/v1/sync/pull", headers=worker, params={**scopes, "cursor": current["cursor"]}).json()
    assert again["reset_required"] is False and again["changes"] == [] and again["cursor"] == current["cursor"]
    for future in ("999999999.0", f"{version + 1}.0", "999999999999999999.999999999999999999"):
        page = client.get("/api/v1/sync/pull", headers=worker, params={**scopes, "cursor": future}).json()
        assert page["reset_required"] is True and page["reset_scopes"] == ["wh:WH1", "stock:WH1"], future
        assert page["changes"] == [] and page["cursor"] == ""
    # A cursor of another epoch of the feed (given out before a restore from a backup) is not trusted either.
    other = client.get("/api/v1/sync/pull", headers=worker, params={**scopes, "cursor": f"{version}.0.4242"}).json()
    assert other["reset_required"] is True and other["reset_scopes"] == ["wh:WH1", "stock:WH1"]
    # Starting again from nothing works, and brings the stock.
    fresh = client.get("/api/v1/sync/pull", headers=worker, params=scopes).json()
    assert fresh["reset_required"] is False and {c["data"]["qty"] for c in fresh["changes"]} == {"5"}


def test_a_change_that_commits_late_is_still_pulled(db, world, backend):
    """One transaction stays open while a later one commits and is pulled; the first, committed afterwards, is pulled next."""
    with db.write() as early_session:
        move(early_session, SYSTEM, sku="PEN", qty=1, source="SUPPLIER", target="B1", unit_cost=1)
        # Another process commits a change while this transaction is still open (on SQLite, writes queue; there
        # the other write runs after this one commits, and the order is simply commit order).
        if backend == "postgresql":
            other = threading.Thread(target=_post_in_other_transaction, args=(db, "B2", "RICE"))
            other.start()
            other.join(timeout=30)
            assert not other.is_alive()  # it committed while this transaction is still open
            with db.read() as reader:
                page = changes_after(reader, ["wh:WH1"], Cursor(), 100)
            assert [json.loads(c.data)["location"] for c in page.changes] == ["B2"]
            cursor = page.cursor
        else:
            cursor = Cursor()
    if backend == "sqlite":
        _post_in_other_transaction(db, "B2", "RICE")
    with db.read() as reader:
        rest = changes_after(reader, ["wh:WH1"], cursor, 100)
    locations = [json.loads(c.data)["location"] for c in rest.changes]
    assert "B1" in locations  # the early transaction's change was not skipped


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_transaction_that_took_its_version_holds_back_the_feed_not_the_writers_after_it(db, world):
    """PostgreSQL: a later writer commits at once, though an earlier one took its version and has not committed. The feed
    serves neither change past the earlier version until the earlier commits, so a cursor never passes a change that
    commits late; a reader in the meantime waits (briefly) for that commit, then gets both, in version order."""
    from sync.feed import flush_changes

    with db.write() as first:
        move(first, SYSTEM, sku="PEN", qty=1, source="SUPPLIER", target="B1", unit_cost=1)
        first.flush()
        version = flush_changes(first)
        other = threading.Thread(target=_post_in_other_transaction, args=(db, "B2", "RICE"))
        other.start()
        other.join(timeout=30)
        assert not other.is_alive()  # committed while the first still holds its version
        pulled: list[list[tuple[int, str]]] = []

        def pull() -> None:
            with db.read() as reader:
                page = changes_after(reader, ["wh:WH1"], Cursor(), 100)
                pulled.append([(c.version, json.loads(c.data)["location"]) for c in page.changes])

        waiting = threading.Thread(target=pull)
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive()  # waits for the earlier transaction to end
    waiting.join(timeout=30)
    assert pulled == [[(version, "B1"), (version + 1, "B2")]]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_later_writer_waits_for_the_whole_transaction_on_sqlite(db, world):
    """SQLite has one writer at a time: a later write waits for the earlier transaction, so versions follow commit order."""
    from sync.feed import flush_changes

    order: list[str] = []
    with db.write() as first:
        move(first, SYSTEM, sku="PEN", qty=1, source="SUPPLIER", target="B1", unit_cost=1)
        first.flush()
        version = flush_changes(first)
        other = threading.Thread(target=lambda: (_post_in_other_transaction(db, "B2", "RICE"), order.append("second")))
        other.start()
        other.join(timeout=1)
        assert other.is_alive()  # waiting for the database's write lock
        order.append("first")
    other.join(timeout=30)
    assert order == ["first", "second"]
    with db.read() as reader:
        page = changes_after(reader, ["wh:WH1"], Cursor(), 100)
    assert [(c.version, json.loads(c.data)["location"]) for c in page.changes] == [(version, "B1"), (version + 1, "B2")]


def _post_in_other_transaction(db, location: str, sku: str = "PEN") -> None:  # type: ignore[no-untyped-def]
    with db.write() as session:
        move(session, SYSTEM, sku=sku, qty=1, source="SUPPLIER", target=location, unit_cost=1)


def test_cangku_check_finds_an_op_log_that_skipped_a_seq(client, worker, world, db):
    from sqlalchemy import update

    from server.check import check_ledger
    from sync.models import SyncClient

    push(client, worker, [op(1, "stock.move", receive("1")), op(2, "stock.move", receive("1"))])
    with db.read() as session:
        assert check_ledger(session).ok
    with db.write() as session:
        session.execute(update(SyncClient).values(last_seq=3))
    with db.read() as session:
        problems = check_ledger(session).problems
    assert any("[4] sync client" in p for p in problems), problems


def test_an_offline_pick_that_finds_more_than_the_book_is_recorded_with_a_discrepancy_and_a_recount(client, world, as_role, db):
    from server.check import check_ledger

    admin, worker = Api(client, as_role("admin")), as_role("warehouse")
    post_move(client, worker, "MILK", 2, "SUPPLIER", "B2", lot="L1", unit_cost="3")
    answer = push(client, worker, [op(1, "stock.move", {"sku": "MILK", "qty": "5", "from": "B2", "to": "CUSTOMER", "lot": "L1"})])
    result = answer["results"][0]
    assert result["status"] == "applied_with_exception"
    assert (result["details"]["book_available"], result["details"]["taken"], result["details"]["shortfall"]) == ("2", "5", "3")
    assert "B2" in result["message"] and result["details"]["recount"].startswith("CNT-")
    assert Api(client, worker).stock("MILK", "B2", "L1") == ("0", "0")  # never negative
    found = admin.get("/api/v1/discrepancies")["items"]
    assert [(d["sku"], d["location"], d["lot"], d["shortfall"], d["recount"]) for d in found] == [
        ("MILK", "B2", "L1", "3", result["details"]["recount"])]
    count = admin.get(f"/api/v1/counts/{result['details']['recount']}")
    assert count["status"] == "counting"
    gain = [m for m in Api(client, worker).get("/api/v1/stock/moves", location="ADJUSTMENT")["items"] if m["to"] == "B2"]
    assert [(m["qty"], m["lot"]) for m in gain] == [("3", "L1")]
    with db.read() as session:
        assert check_ledger(session).ok
    # The same thing done online is refused: the person is there to look again.
    refused = post_move(client, worker, "MILK", 1, "B2", "CUSTOMER", lot="L1")
    assert refused.status_code == 409


def test_a_shortfall_in_a_quarantine_location_is_not_booked_as_a_fact(client, world, as_role):
    worker = as_role("warehouse")
    answer = push(client, worker, [op(1, "stock.move", {"sku": "PEN", "qty": "1", "from": "QC", "to": "CUSTOMER"})])
    assert answer["results"][0]["status"] == "rejected" and answer["results"][0]["details"]["error"] == "insufficient_stock"


def test_a_count_made_offline_is_dated_by_the_server_clock_corrected_for_the_device(client, world, as_role, db):
    """The phone's clock runs two hours slow; the count it made ten minutes ago (by its clock) is dated ten minutes ago."""
    from sqlalchemy import update

    from server.counts.models import Stocktake

    admin, worker = Api(client, as_role("admin")), as_role("warehouse")
    post_move(client, worker, "PEN", 4, "SUPPLIER", "B1", unit_cost="1")
    count = admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B1"]}, expect=201)
    with db.write() as session:  # the count started an hour ago
        session.execute(update(Stocktake).values(started_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    now = dt.datetime.now(dt.UTC)
    device_now = now - dt.timedelta(hours=2)
    body = {
        "client_id": CLIENT, "device_time": device_now.isoformat(), "schema_version": 1,
        "ops": [{**op(1, "count.record", {"count": count["number"], "lines": [{"location": "B1", "sku": "PEN", "qty": "4"}]}),
                 "device_time": (device_now - dt.timedelta(minutes=10)).isoformat()}],
    }
    answer = client.post("/api/v1/sync/push", headers=worker, json=body).json()
    assert answer["results"][0]["status"] == "applied"
    assert abs(answer["clock_offset_ms"] - 7_200_000) < 60_000
    line = next(line for line in admin.get(f"/api/v1/counts/{count['number']}")["lines"] if line["location"] == "B1")
    counted_at = dt.datetime.fromisoformat(line["counted_at"])
    assert abs((counted_at - (now - dt.timedelta(minutes=10))).total_seconds()) < 60



def test_an_operation_refused_once_is_judged_again_on_the_stock_as_it_is_now(client, world, as_role, db):
    """The first try found the bin empty; before the refusal was stored, the goods were booked in by someone else.
    The operation is applied on the stock as it now stands: no shortfall, no discrepancy, no recount."""
    import pytest

    from server.auth.services import actor_for, get_user
    from sync import push as sync_push
    from sync.messages import Op

    worker = as_role("warehouse")
    assert push(client, worker, [op(1, "stock.move", receive("1"))])["last_seq"] == 1  # registers the phone
    with db.read() as session:
        actor = actor_for(get_user(session, "warehouse0"))
    pick = Op(op_id=f"op-{uuid.uuid4()}", seq=2, type="stock.move", payload={"sku": "PEN", "qty": "3", "from": "B2", "to": "CUSTOMER"})
    with pytest.raises(sync_push._Refused) as first:
        db.run_write(lambda s: sync_push._apply_one(s, actor, CLIENT, pick, dt.timedelta(0)))
    post_move(client, worker, "PEN", 3, "SUPPLIER", "B2", unit_cost="1")  # lands between the two transactions
    result, last_seq = db.run_write(lambda s: sync_push._apply_one(s, actor, CLIENT, pick, dt.timedelta(0), first.value.error))
    assert (result.status, last_seq) == ("applied", 2)
    assert Api(client, worker).stock("PEN", "B2") == ("0", "0")
    assert Api(client, as_role("admin")).get("/api/v1/discrepancies")["items"] == []
    again = push(client, worker, [{"op_id": pick.op_id, "seq": 2, "type": "stock.move", "payload": pick.payload}])
    assert [r["status"] for r in again["results"]] == ["applied"]  # the stored result, not a second move
    assert Api(client, worker).stock("PEN", "B2") == ("0", "0")


def test_a_device_clock_centuries_off_still_gets_its_operations_applied(client, worker, world):
    body = {"client_id": CLIENT, "device_time": "4664-01-29T08:04:28+11:36", "schema_version": 1,
            "ops": [{**op(1, "stock.move", receive("2")), "device_time": "2000-03-01T00:00:04Z"}]}
    response = client.post("/api/v1/sync/push", headers=worker, json=body)
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied"


def test_a_phone_receiving_offline_names_the_order_and_its_lines_land_on_one_open_receipt(client, world, as_role):
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    worker = as_role("warehouse")
    supplier_and_dock(admin)
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "10", "unit_price": "2"}]},
                        expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    answer = push(client, worker, [op(1, "receive.line", {"po": po["number"], "sku": "PEN", "qty": "4"}),
                                   op(2, "receive.line", {"po": po["number"], "sku": "PEN", "qty": "3"}),
                                   op(3, "receive.line", {"sku": "PEN", "qty": "1"})])
    first, second, neither = answer["results"]
    assert (first["status"], second["status"]) == ("applied", "applied") and first["details"]["receipt"] == second["details"]["receipt"]
    assert neither["status"] == "rejected" and neither["details"]["error"] == "receipt_or_po"
    assert Api(client, worker).get(f"/api/v1/purchase-orders/{po['number']}")["lines"][0]["received"] == "7"
    assert Api(client, worker).stock("PEN", "WH1-DOCK") == ("7", "0")


def test_a_move_made_offline_is_dated_when_it_happened_so_a_count_made_after_it_carries_it_forward(client, world, as_role):
    admin, worker = Api(client, as_role("admin")), as_role("warehouse")
    post_move(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    count = admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B3"]}, expect=201)["number"]
    now = dt.datetime.now(dt.UTC)
    ops = [
        {**op(1, "transfer.confirm", {"sku": "PEN", "qty": "2", "from": "B1", "to": "B3"}), "device_time": (now - dt.timedelta(minutes=10)).isoformat()},
        {**op(2, "count.record", {"count": count, "lines": [{"location": "B3", "sku": "PEN", "qty": "2"}]}),
         "device_time": (now - dt.timedelta(minutes=5)).isoformat()},
    ]
    answer = push(client, worker, ops)  # sent together, long after
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]
    [line] = [line for line in admin.get(f"/api/v1/counts/{count}")["lines"] if line["sku"] == "PEN"]
    assert (line["moved_qty"], line["expected_qty"], line["variance"]) == ("2", "2", "0")
    [moved] = [m for m in admin.get("/api/v1/stock/moves", location="B3")["items"] if m["to"] == "B3"]
    assert abs((dt.datetime.fromisoformat(moved["created_at"]) - (now - dt.timedelta(minutes=10))).total_seconds()) < 60
