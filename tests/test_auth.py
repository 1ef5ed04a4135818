"""Sign-in, sessions, CSRF, TOTP, rate limiting, user administration."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from server.audit.models import AuditEntry
from tests.helpers import PASSWORD, add_user, post_move, sign_in


def test_login_returns_a_token_and_the_user_and_sets_an_http_only_cookie(client, db):
    add_user(db, "wang", ["warehouse"])
    response = client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token"] and body["user"]["username"] == "wang" and body["user"]["roles"] == ["warehouse"]
    cookie = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookie if c.startswith("cangku_session="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie.replace("Strict", "strict")
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["username"] == "wang"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, db):
    add_user(db, "wang", ["warehouse"])
    wrong = client.post("/api/v1/auth/login", json={"username": "wang", "password": "nope"})
    nobody = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json()["message"] == nobody.json()["message"]


def test_requests_without_credentials_or_with_a_bad_token_get_401(client):
    assert client.get("/api/v1/items").status_code == 401
    bad = client.get("/api/v1/items", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.json()["error"] == "session_expired"


def test_the_cookie_session_works_and_writes_need_the_csrf_token(client, db, world):
    add_user(db, "wang", ["warehouse"])
    login = client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}).json()
    assert client.get("/api/v1/items").status_code == 200  # cookie only
    move = {"sku": "PEN", "qty": "1", "from": "SUPPLIER", "to": "B1"}
    refused = client.post("/api/v1/stock/moves", json=move)
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    accepted = client.post("/api/v1/stock/moves", json=move, headers={"X-CSRF-Token": login["csrf_token"]})
    assert accepted.status_code == 201


def test_logout_ends_the_session(client, db):
    add_user(db, "wang", ["warehouse"])
    headers = sign_in(client, "wang")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert client.get("/api/v1/items", headers=headers).status_code == 401


def test_repeated_failed_logins_are_rate_limited(client, db):
    add_user(db, "wang", ["warehouse"])
    for _ in range(5):
        assert client.post("/api/v1/auth/login", json={"username": "wang", "password": "guess"}).status_code == 401
    locked = client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["error"] == "too_many_attempts"
    assert int(locked.headers["retry-after"]) > 0


def test_totp_second_factor(client, db):
    add_user(db, "li", ["finance"])
    headers = sign_in(client, "li")
    setup = client.post("/api/v1/auth/totp/setup", headers=headers).json()
    assert setup["uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(setup["secret"])
    assert client.post("/api/v1/auth/totp/enable", headers=headers, json={"code": "000000" if totp.now() != "000000" else "111111"}).status_code == 422
    assert client.post("/api/v1/auth/totp/enable", headers=headers, json={"code": totp.now()}).status_code == 200

    without = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD})
    assert without.status_code == 401 and without.json()["error"] == "totp_required"
    wrong = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": "123456" if totp.now() != "123456" else "654321"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "bad_totp"
    right = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": totp.now()})
    assert right.status_code == 200 and right.json()["user"]["totp_enabled"] is True


def test_an_admin_creates_a_user_limited_to_one_warehouse(client, admin, world):
    response = client.post("/api/v1/users", headers=admin, json={
        "username": "zhao", "password": "long enough pw", "roles": ["warehouse"], "warehouses": ["WH2"], "display_name": "赵六"})
    assert response.status_code == 201, response.text
    assert response.json()["warehouses"] == ["WH2"]
    zhao = sign_in(client, "zhao", "long enough pw")
    assert post_move(client, zhao, "PEN", 1, "SUPPLIER", "B1").status_code == 403
    assert post_move(client, zhao, "PEN", 1, "SUPPLIER", "W2-B1").status_code == 201


def test_weak_passwords_unknown_roles_and_duplicates_are_refused(client, admin):
    assert client.post("/api/v1/users", headers=admin, json={"username": "a", "password": "short", "roles": ["viewer"]}).json()["error"] == "weak_password"
    assert client.post("/api/v1/users", headers=admin, json={"username": "a", "password": "long enough pw", "roles": ["boss"]}).json()["error"] == "unknown_role"
    assert client.post("/api/v1/users", headers=admin, json={"username": "a", "password": "long enough pw", "roles": ["viewer"]}).status_code == 201
    assert client.post("/api/v1/users", headers=admin, json={"username": "a", "password": "long enough pw", "roles": ["viewer"]}).status_code == 409


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(client, admin, db):
    add_user(db, "temp", ["viewer"])
    headers = sign_in(client, "temp")
    assert client.patch("/api/v1/users/temp", headers=admin, json={"active": False}).status_code == 200
    assert client.get("/api/v1/items", headers=headers).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "temp", "password": PASSWORD}).status_code == 401


def test_sign_in_and_user_changes_are_audited(client, admin, db):
    client.post("/api/v1/users", headers=admin, json={"username": "qian", "password": "long enough pw", "roles": ["sales"]})
    with db.read() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"auth.login", "user.create"} <= actions


def test_the_audit_log_cannot_be_edited_or_deleted(db, admin):
    import pytest
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError):
        with db.write() as session:
            session.execute(update(AuditEntry).values(action="tampered"))
    with pytest.raises(DBAPIError):
        with db.write() as session:
            session.execute(delete(AuditEntry))
    with db.read() as session:
        assert "tampered" not in set(session.scalars(select(AuditEntry.action)))


def test_the_audit_log_is_readable_by_admin_and_finance_only(client, admin, as_role):
    assert client.get("/api/v1/audit", headers=admin).status_code == 200
    assert client.get("/api/v1/audit", headers=as_role("finance")).status_code == 200
    assert client.get("/api/v1/audit", headers=as_role("warehouse")).status_code == 403
