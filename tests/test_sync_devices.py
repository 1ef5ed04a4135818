"""Devices: registered on their first sync, revocable by an administrator; a revoked device's pushes are refused and
nothing it sent before is lost."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from server.inventory.models import Move
from sync.models import SyncOp
from tests.helpers import PASSWORD, sign_in
from tests.stories import Api

SCANNER = {"X-Device-Id": "zebra-tc21-0042"}


def op(seq: int, qty: str, location: str = "B1") -> dict:
    return {"op_id": f"op-{uuid.uuid4()}", "seq": seq, "type": "stock.move",
            "payload": {"sku": "PEN", "qty": qty, "from": "SUPPLIER", "to": location, "unit_cost": "1"}}


def push(client, headers, ops, client_id: str = "phone-0001-abcd", expect: int = 200):  # type: ignore[no-untyped-def]
    body = {"client_id": client_id, "device_time": dt.datetime.now(dt.UTC).isoformat(), "schema_version": 1, "ops": ops}
    response = client.post("/api/v1/sync/push", headers=headers, json=body)
    assert response.status_code == expect, response.text
    return response.json()


def username(client, headers) -> str:  # type: ignore[no-untyped-def]
    return Api(client, headers).get("/api/v1/auth/me")["username"]


def test_a_device_is_registered_on_its_first_push_named_by_its_header_or_else_its_client(client, world, as_role):
    worker = as_role("warehouse")
    push(client, {**worker, **SCANNER}, [op(1, "1")])
    push(client, {**worker, **SCANNER}, [op(2, "1")])
    push(client, worker, [op(1, "1")], client_id="phone-0002-abcd")
    mine = Api(client, worker).get("/api/v1/devices")
    assert mine["total"] == 2
    assert [(d["device_id"], d["user"], d["revoked_at"]) for d in mine["items"]] == [
        ("zebra-tc21-0042", username(client, worker), None), ("phone-0002-abcd", username(client, worker), None)]
    assert all(d["last_seen_at"] is not None for d in mine["items"])
    audit = Api(client, as_role("admin")).get("/api/v1/audit", action="device.register")["items"]
    assert sorted(e["details"]["device_id"] for e in audit) == ["phone-0002-abcd", "zebra-tc21-0042"]


def test_a_revoked_device_is_refused_and_what_it_sent_before_stays_applied(client, world, as_role, db):
    worker, admin = {**as_role("warehouse"), **SCANNER}, Api(client, as_role("admin"))
    sent = [op(1, "5"), op(2, "2", "B2")]
    first = push(client, worker, sent)
    assert [r["status"] for r in first["results"]] == ["applied", "applied"]
    device = admin.get("/api/v1/devices", user=username(client, worker))["items"][0]

    revoked = admin.post(f"/api/v1/devices/{device['id']}/revoke")
    assert revoked["revoked_at"] is not None and revoked["revoked_by"] == username(client, admin.headers)
    with db.read() as session:
        moves_before = session.scalar(select(func.count()).select_from(Move))

    refused = push(client, worker, [op(3, "7")], expect=403)
    assert refused["error"] == "device_revoked" and "zebra-tc21-0042" in refused["message"]
    assert "停用" in refused["details"]["message_zh"] and "revoked" in refused["details"]["message_en"]
    # Nothing of the refused push was written; everything pushed before is still there, with its results.
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Move)) == moves_before
        assert sorted((o.seq, o.status) for o in session.scalars(select(SyncOp))) == [(1, "applied"), (2, "applied")]
    assert admin.stock("PEN", "B1") == ("5", "0") and admin.stock("PEN", "B2") == ("2", "0")
    # A resend of what it pushed before and a pull are refused too, without undoing anything.
    push(client, worker, sent, expect=403)
    pulled = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1"})
    assert pulled.status_code == 403 and pulled.json()["error"] == "device_revoked"
    fresh = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": "wh:WH1"})
    assert fresh.status_code == 403 and fresh.json()["error"] == "device_revoked"
    assert admin.stock("PEN", "B1") == ("5", "0")

    restored = admin.post(f"/api/v1/devices/{device['id']}/restore")
    assert restored["revoked_at"] is None and restored["revoked_by"] is None
    again = push(client, worker, [op(3, "7")])
    assert [r["status"] for r in again["results"]] == ["applied"] and again["last_seq"] == 3
    assert admin.stock("PEN", "B1") == ("12", "0")
    actions = [e["action"] for e in admin.get("/api/v1/audit", target_type="device")["items"]]
    assert actions[:2] == ["device.restore", "device.revoke"]


def test_a_device_without_a_header_is_revoked_by_its_client_id(client, world, as_role):
    worker, admin = as_role("warehouse"), Api(client, as_role("admin"))
    push(client, worker, [op(1, "1")], client_id="phone-0003-abcd")
    device = admin.get("/api/v1/devices", user=username(client, worker))["items"][0]
    assert device["device_id"] == "phone-0003-abcd"
    admin.post(f"/api/v1/devices/{device['id']}/revoke")
    # The session that synced as the phone ended with it; signed in again, the phone is still refused.
    assert push(client, worker, [op(2, "1")], client_id="phone-0003-abcd", expect=401)["error"] == "session_expired"
    again = sign_in(client, device["user"])
    assert push(client, again, [op(2, "1")], client_id="phone-0003-abcd", expect=403)["error"] == "device_revoked"
    # The same user on another device still works.
    elsewhere = sign_in(client, device["user"])
    assert push(client, elsewhere, [op(1, "1")], client_id="phone-0004-abcd")["results"][0]["status"] == "applied"


def test_revoking_a_device_ends_the_sessions_signed_in_from_it(client, world, as_role):
    as_role("warehouse")  # creates warehouse0
    admin = Api(client, as_role("admin"))
    response = client.post("/api/v1/auth/login", json={"username": "warehouse0", "password": PASSWORD, "device_id": "zebra-tc21-0099"})
    client.cookies.clear()
    on_scanner = {"Authorization": f"Bearer {response.json()['token']}"}
    on_desktop = sign_in(client, "warehouse0")
    push(client, on_scanner, [op(1, "1")])
    device = admin.get("/api/v1/devices", user="warehouse0")["items"][0]
    assert device["device_id"] == "zebra-tc21-0099"
    admin.post(f"/api/v1/devices/{device['id']}/revoke")
    assert client.get("/api/v1/auth/me", headers=on_scanner).status_code == 401
    assert client.get("/api/v1/auth/me", headers=on_desktop).status_code == 200


def test_a_session_signed_in_without_a_device_name_ends_when_the_device_it_synced_as_is_revoked(client, world, as_role):
    as_role("warehouse")  # creates warehouse0
    admin = Api(client, as_role("admin"))
    on_phone = sign_in(client, "warehouse0")  # a sync client that names itself only by its client id
    on_desktop = sign_in(client, "warehouse0")
    push(client, on_phone, [op(1, "1")], client_id="phone-0005-abcd")
    assert client.get("/api/v1/items", headers=on_phone).status_code == 200
    device = admin.get("/api/v1/devices", user="warehouse0")["items"][0]
    admin.post(f"/api/v1/devices/{device['id']}/revoke")
    refused = client.get("/api/v1/items", headers=on_phone)
    assert refused.status_code == 401 and refused.json()["error"] == "session_expired"
    assert client.get("/api/v1/items", headers=on_desktop).status_code == 200


def test_signing_in_again_from_a_revoked_device_is_refused_until_it_is_restored(client, world, as_role):
    as_role("warehouse")  # creates warehouse0
    admin = Api(client, as_role("admin"))
    body = {"username": "warehouse0", "password": PASSWORD, "device_id": "zebra-tc21-0077"}
    token = client.post("/api/v1/auth/login", json=body).json()["token"]
    client.cookies.clear()
    push(client, {"Authorization": f"Bearer {token}"}, [op(1, "1")])
    device = admin.get("/api/v1/devices", user="warehouse0")["items"][0]
    admin.post(f"/api/v1/devices/{device['id']}/revoke")
    refused = client.post("/api/v1/auth/login", json=body)
    assert refused.status_code == 403 and refused.json()["error"] == "device_revoked"
    assert "停用" in refused.json()["details"]["message_zh"]
    client.cookies.clear()
    admin.post(f"/api/v1/devices/{device['id']}/restore")
    assert client.post("/api/v1/auth/login", json=body).status_code == 200
    client.cookies.clear()


def test_a_user_sees_only_their_own_devices_and_an_administrator_sees_all(client, world, as_role):
    alice, bob, admin = as_role("warehouse"), as_role("warehouse", ("WH1",)), Api(client, as_role("admin"))
    push(client, {**alice, "X-Device-Id": "alice-phone"}, [op(1, "1")], client_id="phone-alice-01")
    push(client, {**bob, "X-Device-Id": "bob-phone"}, [op(1, "1")], client_id="phone-bob-0001")
    assert [d["device_id"] for d in Api(client, alice).get("/api/v1/devices")["items"]] == ["alice-phone"]
    assert [d["device_id"] for d in Api(client, bob).get("/api/v1/devices")["items"]] == ["bob-phone"]
    nosy = client.get("/api/v1/devices", headers=alice, params={"user": username(client, bob)})
    assert nosy.status_code == 403
    assert {d["device_id"] for d in admin.get("/api/v1/devices")["items"]} == {"alice-phone", "bob-phone"}
    assert [d["device_id"] for d in admin.get("/api/v1/devices", user=username(client, bob))["items"]] == ["bob-phone"]
    assert admin.get("/api/v1/devices", limit=1, offset=1)["total"] == 2


def test_only_an_administrator_revokes_or_restores_a_device(client, world, as_role):
    worker, admin = {**as_role("warehouse"), **SCANNER}, Api(client, as_role("admin"))
    push(client, worker, [op(1, "1")])
    device = Api(client, worker).get("/api/v1/devices")["items"][0]
    for action in ("revoke", "restore"):
        for role in ("warehouse", "purchaser", "finance", "viewer"):
            response = client.post(f"/api/v1/devices/{device['id']}/{action}", headers=as_role(role))
            assert response.status_code == 403 and response.json()["error"] == "forbidden", (action, role)
    assert push(client, worker, [op(2, "1")])["results"][0]["status"] == "applied"
    assert admin.post("/api/v1/devices/999999/revoke", expect=404)["error"] == "unknown_device"
    # Revoking twice changes nothing the second time.
    first = admin.post(f"/api/v1/devices/{device['id']}/revoke")
    assert admin.post(f"/api/v1/devices/{device['id']}/revoke")["revoked_at"] == first["revoked_at"]
    assert len(admin.get("/api/v1/audit", action="device.revoke")["items"]) == 1
