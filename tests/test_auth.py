"""Sign-in, sessions, CSRF, TOTP, rate limiting, user administration."""

from __future__ import annotations

import datetime as dt
import time

import pyotp
import pytest
from sqlalchemy import select

from server.audit.models import AuditEntry
from tests.conftest import Clock
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


def test_totp_second_factor(client, db, clock):
    add_user(db, "li", ["finance"])
    headers = sign_in(client, "li")
    setup = client.post("/api/v1/auth/totp/setup", headers=headers).json()
    assert setup["uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(setup["secret"])
    assert client.post("/api/v1/auth/totp/enable", headers=headers, json={"code": "000000" if totp.at(clock.now) != "000000" else "111111"}).status_code == 422
    assert client.post("/api/v1/auth/totp/enable", headers=headers, json={"code": totp.at(clock.now)}).status_code == 200

    without = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD})
    assert without.status_code == 401 and without.json()["error"] == "totp_required"
    wrong = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": "123456" if totp.at(clock.now) != "123456" else "654321"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "bad_totp"
    # The code that turned it on is used up: signing in takes the next one (a phone a little ahead gives it early).
    upcoming = totp.at(clock.now + dt.timedelta(seconds=30))
    right = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": upcoming})
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
    assert client.get("/api/v1/items", headers=headers).status_code == 200  # the server has just seen this session
    assert client.patch("/api/v1/users/temp", headers=admin, json={"active": False}).status_code == 200
    assert client.get("/api/v1/items", headers=headers).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "temp", "password": PASSWORD}).status_code == 401


def test_a_role_taken_away_takes_effect_on_the_users_very_next_request(client, admin, db):
    add_user(db, "chen", ["admin"])
    headers = sign_in(client, "chen")
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    assert client.patch("/api/v1/users/chen", headers=admin, json={"roles": ["viewer"]}).status_code == 200
    assert client.get("/api/v1/users", headers=headers).status_code == 403


def test_a_session_ended_outside_this_server_process_is_refused_within_seconds(client, db, monkeypatch):
    from server.auth import signed_in

    monkeypatch.setattr(signed_in, "KEEP_SECONDS", 0.5)
    add_user(db, "wang", ["warehouse"])
    headers = sign_in(client, "wang")
    assert client.get("/api/v1/items", headers=headers).status_code == 200
    # As another process would: straight on a connection of its own, none of this process's statements.
    raw = db.engine.raw_connection()
    try:
        raw.cursor().execute("UPDATE auth_sessions SET revoked_at = CURRENT_TIMESTAMP WHERE revoked_at IS NULL")
        raw.commit()
    finally:
        raw.close()
    time.sleep(0.6)
    assert client.get("/api/v1/items", headers=headers).status_code == 401


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


# Two-step codes are used up by their first use ------------------------------------------------------


def with_totp(client, clock: Clock, username: str) -> tuple[dict[str, str], pyotp.TOTP]:  # type: ignore[no-untyped-def]
    """Signs in and turns two-step verification on with the current step's code."""
    headers = sign_in(client, username)
    totp = pyotp.TOTP(client.post("/api/v1/auth/totp/setup", headers=headers).json()["secret"])
    assert client.post("/api/v1/auth/totp/enable", headers=headers, json={"code": totp.at(clock.now)}).status_code == 200
    return headers, totp


def test_a_two_step_code_signs_in_only_once(client, db, clock):
    add_user(db, "li", ["finance"])
    _, totp = with_totp(client, clock, "li")
    clock.advance(30)
    code = totp.at(clock.now)
    first = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": code})
    assert first.status_code == 200
    replayed = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": code})
    assert replayed.status_code == 401 and replayed.json()["error"] == "totp_used"
    assert "已使用" in replayed.json()["details"]["message_zh"]


def test_the_code_that_turned_two_step_verification_on_cannot_sign_in(client, db, clock):
    add_user(db, "li", ["finance"])
    _, totp = with_totp(client, clock, "li")
    replayed = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": totp.at(clock.now)})
    assert replayed.status_code == 401 and replayed.json()["error"] == "totp_used"


def test_the_previous_windows_code_is_refused_and_the_next_ones_is_accepted(client, db, clock):
    add_user(db, "li", ["finance"])
    _, totp = with_totp(client, clock, "li")
    clock.advance(60)
    previous = totp.at(clock.now - dt.timedelta(seconds=30))  # never used, but its window has passed
    late = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": previous})
    assert late.status_code == 401 and late.json()["error"] == "bad_totp"
    two_ahead = totp.at(clock.now + dt.timedelta(seconds=60))
    assert client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": two_ahead}).json()["error"] == "bad_totp"
    ahead = totp.at(clock.now + dt.timedelta(seconds=30))  # a phone whose clock runs a little fast
    assert client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": ahead}).status_code == 200
    # Once the next window's code is used, the current window's code is older than it and refused too.
    current = client.post("/api/v1/auth/login", json={"username": "li", "password": PASSWORD, "totp": totp.at(clock.now)})
    assert current.status_code == 401 and current.json()["error"] == "totp_used"


def test_turning_two_step_verification_off_needs_an_unused_code(client, db, clock):
    add_user(db, "li", ["finance"])
    headers, totp = with_totp(client, clock, "li")
    used = client.post("/api/v1/auth/totp/disable", headers=headers, json={"code": totp.at(clock.now)})
    assert used.status_code == 422 and used.json()["error"] == "totp_used"
    clock.advance(30)
    assert client.post("/api/v1/auth/totp/disable", headers=headers, json={"code": totp.at(clock.now)}).status_code == 200
    assert client.get("/api/v1/auth/me", headers=headers).json()["totp_enabled"] is False


# Password policy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["1234567890", "qwertyuiop", "Password123", "iloveyou12"])
def test_a_common_password_is_refused_however_long(client, admin, password):
    refused = client.post("/api/v1/users", headers=admin, json={"username": "sun", "password": password, "roles": ["viewer"]})
    assert refused.status_code == 422 and refused.json()["error"] == "common_password"
    assert "常见" in refused.json()["details"]["message_zh"] and "common" in refused.json()["message"]


def test_a_password_needs_ten_characters(client, admin):
    refused = client.post("/api/v1/users", headers=admin, json={"username": "sun", "password": "Kx9#mQ2$v", "roles": ["viewer"]})
    assert refused.status_code == 422 and refused.json()["error"] == "weak_password" and "10" in refused.json()["message"]
    assert client.post("/api/v1/users", headers=admin, json={"username": "sun", "password": "Kx9#mQ2$vT", "roles": ["viewer"]}).status_code == 201


def test_a_password_change_follows_the_same_policy(client, admin, db):
    add_user(db, "temp", ["viewer"])
    refused = client.patch("/api/v1/users/temp", headers=admin, json={"password": "password1234"})
    assert refused.status_code == 422 and refused.json()["error"] == "common_password"
    assert client.post("/api/v1/auth/login", json={"username": "temp", "password": PASSWORD}).status_code == 200


def test_the_demo_users_password_follows_the_policy():
    from server.auth.services import check_password
    from server.demo import DEMO_PASSWORD

    check_password(DEMO_PASSWORD)  # raises when it does not
    check_password(PASSWORD)
