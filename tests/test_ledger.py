"""Story tests of the stock ledger through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.check import check_ledger
from server.inventory.models import Move
from tests.helpers import PEN_CARTON, balance, post_move


def test_receiving_a_carton_counts_twelve(client, worker):
    scan = client.get(f"/api/v1/scan/{PEN_CARTON}", headers=worker).json()
    assert scan["kind"] == "item" and scan["item"]["sku"] == "PEN" and scan["qty"] == "12"
    response = post_move(client, worker, "PEN", scan["qty"], "SUPPLIER", "B1")
    assert response.status_code == 201, response.text
    assert response.json()["qty"] == "12" and response.json()["from"] == "SUPPLIER" and response.json()["to"] == "B1"
    assert balance(client, worker, "PEN", "B1") == {**balance(client, worker, "PEN", "B1"), "qty": "12", "available": "12"}


def test_transfer_moves_stock_between_bins_and_the_item_still_sums_to_zero(client, worker, world):
    post_move(client, worker, "PEN", 10, "SUPPLIER", "B1")
    assert post_move(client, worker, "PEN", 4, "B1", "B2").status_code == 201
    assert balance(client, worker, "PEN", "B1")["qty"] == "6"
    assert balance(client, worker, "PEN", "B2")["qty"] == "4"
    assert balance(client, worker, "PEN", "SUPPLIER")["qty"] == "-10"
    with world.read() as session:
        assert check_ledger(session).ok


def test_taking_more_than_the_bin_holds_is_refused_with_what_is_there(client, worker, world):
    post_move(client, worker, "PEN", 2, "SUPPLIER", "B1")
    response = post_move(client, worker, "PEN", 3, "B1", "CUSTOMER")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "insufficient_stock"
    assert "B1" in body["message"] and "holds 2" in body["message"] and "3 requested" in body["message"]
    assert body["details"]["available"] == "2"
    assert balance(client, worker, "PEN", "B1")["qty"] == "2"
    chinese = post_move(client, {**worker, "Accept-Language": "zh-CN"}, "PEN", 3, "B1", "CUSTOMER").json()
    assert "库位 B1" in chinese["message"] and "需要 3" in chinese["message"]


def test_an_empty_bin_cannot_ship(client, worker):
    response = post_move(client, worker, "PEN", 1, "B3", "CUSTOMER")
    assert response.status_code == 409 and response.json()["error"] == "insufficient_stock"


def test_lot_tracked_items_need_their_lot_and_keep_lots_apart(client, worker):
    assert post_move(client, worker, "MILK", 6, "SUPPLIER", "B1").json()["error"] == "lot_required"
    assert post_move(client, worker, "MILK", 6, "SUPPLIER", "B1", lot="L1").status_code == 201
    assert post_move(client, worker, "MILK", 6, "SUPPLIER", "B1", lot="L2").status_code == 201
    assert post_move(client, worker, "MILK", 7, "B1", "CUSTOMER", lot="L1").status_code == 409
    assert post_move(client, worker, "MILK", 6, "B1", "CUSTOMER", lot="L1").status_code == 201
    assert balance(client, worker, "MILK", "B1", "L1")["qty"] == "0"
    assert balance(client, worker, "MILK", "B1", "L2")["qty"] == "6"
    assert post_move(client, worker, "PEN", 1, "SUPPLIER", "B1", lot="L1").json()["error"] == "lot_not_tracked"


def test_serial_numbers_follow_their_unit(client, worker):
    response = post_move(client, worker, "PHONE", 2, "SUPPLIER", "B1", serials=["SN1", "SN2"])
    assert response.status_code == 201 and response.json()["serials"] == ["SN1", "SN2"]
    assert post_move(client, worker, "PHONE", 1, "B2", "CUSTOMER", serials=["SN1"]).json()["error"] == "serial_not_here"
    assert post_move(client, worker, "PHONE", 1, "SUPPLIER", "B2", serials=["SN1"]).json()["error"] == "serial_in_stock"
    assert post_move(client, worker, "PHONE", 2, "B1", "CUSTOMER", serials=["SN1"]).json()["error"] == "serials_mismatch"
    assert post_move(client, worker, "PHONE", 1, "B1", "CUSTOMER", serials=["SN1"]).status_code == 201
    scan = client.get("/api/v1/scan/(01)06901234000030(21)SN2", headers=worker).json()
    assert scan["kind"] == "gs1" and scan["serial"] == "SN2"


def test_a_mistake_is_corrected_by_a_reversal_not_an_edit(client, worker, world):
    first = post_move(client, worker, "PEN", 5, "SUPPLIER", "B1").json()
    reversal = client.post(f"/api/v1/stock/moves/{first['id']}/reverse", headers=worker, json={"reason": "wrong bin"})
    assert reversal.status_code == 201, reversal.text
    body = reversal.json()
    assert body["reverses"] == first["id"] and body["from"] == "B1" and body["to"] == "SUPPLIER"
    assert balance(client, worker, "PEN", "B1")["qty"] == "0"
    again = client.post(f"/api/v1/stock/moves/{first['id']}/reverse", headers=worker, json={})
    assert again.status_code == 409 and again.json()["error"] == "already_reversed"
    ledger = client.get("/api/v1/stock/moves", headers=worker, params={"sku": "PEN"}).json()
    assert ledger["total"] == 2


def test_a_reversal_cannot_take_stock_that_has_already_left(client, worker):
    received = post_move(client, worker, "PEN", 5, "SUPPLIER", "B1").json()
    post_move(client, worker, "PEN", 5, "B1", "CUSTOMER")
    response = client.post(f"/api/v1/stock/moves/{received['id']}/reverse", headers=worker, json={})
    assert response.status_code == 409 and response.json()["error"] == "insufficient_stock"


def test_quarantined_stock_is_on_hand_but_not_available(client, worker):
    post_move(client, worker, "PEN", 5, "SUPPLIER", "QC")
    row = balance(client, worker, "PEN", "QC")
    assert row["qty"] == "5" and row["available"] == "0" and row["quarantine"] is True
    assert post_move(client, worker, "PEN", 5, "QC", "B1").status_code == 201  # released after inspection


def test_reserved_stock_stays_on_hand_but_cannot_be_taken_by_others(client, worker, as_role):
    sales = as_role("sales")
    post_move(client, worker, "PEN", 10, "SUPPLIER", "B1")
    reservation = client.post("/api/v1/stock/reservations", headers=sales,
                              json={"sku": "PEN", "location": "B1", "qty": "7", "ref_type": "SO", "ref_id": "SO-1"})
    assert reservation.status_code == 201, reservation.text
    row = balance(client, worker, "PEN", "B1")
    assert (row["qty"], row["reserved"], row["available"]) == ("10", "7", "3")
    refused = post_move(client, worker, "PEN", 4, "B1", "B2")
    assert refused.status_code == 409 and "7 reserved" in refused.json()["message"]
    too_much = client.post("/api/v1/stock/reservations", headers=sales, json={"sku": "PEN", "location": "B1", "qty": "4"})
    assert too_much.status_code == 409
    released = client.post(f"/api/v1/stock/reservations/{reservation.json()['id']}/release", headers=sales)
    assert released.status_code == 200 and released.json()["open"] is False
    assert post_move(client, worker, "PEN", 4, "B1", "B2").status_code == 201


def test_a_retried_request_with_the_same_idempotency_key_posts_once(client, worker, world):
    headers = {**worker, "Idempotency-Key": "scan-42"}
    first = post_move(client, headers, "PEN", 3, "SUPPLIER", "B1")
    second = post_move(client, headers, "PEN", 3, "SUPPLIER", "B1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert balance(client, worker, "PEN", "B1")["qty"] == "3"
    different = post_move(client, headers, "PEN", 4, "SUPPLIER", "B1")
    assert different.status_code == 422 and different.json()["error"] == "idempotency_key_reused"
    with world.read() as session:
        assert session.scalar(select(func.count(Move.id))) == 1


def test_every_move_is_in_the_audit_log_with_user_and_device(client, worker, world):
    response = post_move(client, {**worker, "X-Device-Id": "TC52-0007"}, "PEN", 1, "SUPPLIER", "B1")
    with world.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "stock.move")).one()
    assert entry.target_id == str(response.json()["id"])
    assert entry.username.startswith("warehouse") and entry.device_id == "TC52-0007"
    assert response.json()["device_id"] == "TC52-0007"


def test_fractional_quantities_follow_the_unit(client, worker):
    assert post_move(client, worker, "RICE", "12.345", "SUPPLIER", "B1").status_code == 201
    too_fine = post_move(client, worker, "RICE", "0.0001", "B1", "CUSTOMER")
    assert too_fine.status_code == 422 and "decimal places" in too_fine.json()["message"]
    half_pen = post_move(client, worker, "PEN", "1.5", "SUPPLIER", "B1")
    assert half_pen.status_code == 422
    assert balance(client, worker, "RICE", "B1")["qty"] == "12.345"


def test_a_warehouse_worker_limited_to_one_warehouse_cannot_move_stock_in_another(client, as_role, world):
    wh1_only = as_role("warehouse", ("WH1",))
    assert post_move(client, wh1_only, "PEN", 1, "SUPPLIER", "B1").status_code == 201
    refused = post_move(client, wh1_only, "PEN", 1, "SUPPLIER", "W2-B1")
    assert refused.status_code == 403 and refused.json()["error"] == "warehouse_not_allowed"


def test_balances_filter_by_warehouse_and_hide_virtual_locations(client, worker):
    post_move(client, worker, "PEN", 5, "SUPPLIER", "B1")
    post_move(client, worker, "PEN", 2, "SUPPLIER", "W2-B1")
    wh1 = client.get("/api/v1/stock/balances", headers=worker, params={"warehouse": "WH1"}).json()["items"]
    assert [(r["location"], r["qty"], r["warehouse"]) for r in wh1] == [("B1", "5", "WH1")]
    everything = client.get("/api/v1/stock/balances", headers=worker, params={"sku": "PEN"}).json()["items"]
    assert {r["location"] for r in everything} == {"B1", "W2-B1"}


def test_a_sales_user_limited_to_one_warehouse_cannot_reserve_in_another(client, worker, as_role):
    post_move(client, worker, "PEN", 5, "SUPPLIER", "W2-B1")
    wh1_sales = as_role("sales", ("WH1",))
    refused = client.post("/api/v1/stock/reservations", headers=wh1_sales, json={"sku": "PEN", "location": "W2-B1", "qty": "1"})
    assert refused.status_code == 403 and refused.json()["error"] == "warehouse_not_allowed"


def test_an_order_picks_the_stock_it_reserved_and_the_reservation_closes(client, worker, as_role):
    sales = as_role("sales")
    post_move(client, worker, "PEN", 10, "SUPPLIER", "B1")
    reservation = client.post("/api/v1/stock/reservations", headers=sales, json={"sku": "PEN", "location": "B1", "qty": "8"}).json()
    assert post_move(client, worker, "PEN", 8, "B1", "CUSTOMER").status_code == 409  # not without the reservation
    wrong_bin = post_move(client, worker, "PEN", 1, "SUPPLIER", "B2")
    assert wrong_bin.status_code == 201
    mismatch = post_move(client, worker, "PEN", 1, "B2", "CUSTOMER", reservation=reservation["id"])
    assert mismatch.status_code == 409 and mismatch.json()["error"] == "reservation_mismatch"
    first = post_move(client, worker, "PEN", 5, "B1", "CUSTOMER", reservation=reservation["id"])
    assert first.status_code == 201, first.text
    row = balance(client, worker, "PEN", "B1")
    assert (row["qty"], row["reserved"], row["available"]) == ("5", "3", "2")
    assert post_move(client, worker, "PEN", 3, "B1", "CUSTOMER", reservation=reservation["id"]).status_code == 201
    row = balance(client, worker, "PEN", "B1")
    assert (row["qty"], row["reserved"], row["available"]) == ("2", "0", "2")
    closed = client.post(f"/api/v1/stock/reservations/{reservation['id']}/release", headers=sales)
    assert closed.status_code == 409 and closed.json()["error"] == "reservation_closed"


def test_a_move_that_fails_inside_a_savepoint_leaves_nothing_behind(db, world):
    """Half of a move (the bin it goes to) is written before the bin it comes from is found short; rolling back to
    the savepoint undoes that half, so the rest of the transaction commits a consistent ledger."""
    from server.auth.permissions import SYSTEM
    from server.check import check_ledger
    from server.errors import InsufficientStock
    from server.inventory.services import move

    with db.write() as session:
        move(session, SYSTEM, sku="PEN", qty=1, source="SUPPLIER", target="B2", unit_cost=1)
        try:
            with session.begin_nested():
                move(session, SYSTEM, sku="PEN", qty=3, source="B2", target="B1")
        except InsufficientStock:
            pass
    with db.read() as session:
        report = check_ledger(session)
    assert report.ok, report.problems


def test_the_answer_to_a_posted_move_reads_as_the_move_does_afterwards(client, admin, worker):
    """The answer to a post is built from what was posted; it shows the same as the ledger shows the move later."""
    posted = [
        post_move(client, admin, "PEN", 5, "SUPPLIER", "B1", unit_cost="2.50").json(),
        post_move(client, admin, "MILK", 6, "SUPPLIER", "B1", lot="L1").json(),
        post_move(client, admin, "PHONE", 2, "SUPPLIER", "B1", serials=["SN9", "SN1"]).json(),
        post_move(client, admin, "PEN", 2, "B1", "B2", reason="tidy up").json(),
    ]
    reversal = client.post(f"/api/v1/stock/moves/{posted[3]['id']}/reverse", headers=admin, json={"reason": "wrong bin"}).json()
    for answer in posted + [reversal]:
        assert client.get(f"/api/v1/stock/moves/{answer['id']}", headers=admin).json() == {
            **answer, **({"reversed_by": reversal["id"], "actions": []} if answer["id"] == posted[3]["id"] else {})
        }
    assert posted[2]["serials"] == ["SN1", "SN9"] and posted[1]["lot"] == "L1" and posted[0]["user"]
    assert reversal["from"] == "B2" and reversal["to"] == "B1" and reversal["reverses"] == posted[3]["id"]
    assert posted[0]["unit_cost"] == "2.5" and posted[0]["actions"] == ["reverse"]
    hidden = post_move(client, worker, "PEN", 1, "SUPPLIER", "B1", unit_cost="3").json()  # the warehouse sees no costs
    assert hidden["unit_cost"] is None and hidden["value"] is None
