"""Failed sign-ins slow down the guesser, not the account's owner: throttled per account and client address with
growing delays, an address-wide limit that spares accounts known at that address, lockouts in the audit log, an
administrator's unlock, and client addresses read from a proxy's header only when the proxy is trusted."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from server.app import create_app
from server.audit.models import AuditEntry
from server.auth import services
from server.auth.client_address import client_address
from server.errors import NotAuthenticated, TooManyAttempts
from server.settings import Settings, load_settings
from tests.conftest import LiveServer
from tests.helpers import PASSWORD, add_user

OFFICE, STRANGER, HOME = "198.51.100.20", "203.0.113.66", "192.0.2.9"


def attempt(db, settings, username: str, password: str, address: str):  # type: ignore[no-untyped-def]
    """One sign-in from `address`: the user on success, else the refusal."""
    try:
        return services.login(db, settings, username=username, password=password, totp=None, ip=address, device_id=None)[2]
    except (NotAuthenticated, TooManyAttempts) as refusal:
        return refusal


def fail(db, settings, username: str, address: str, times: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        assert isinstance(attempt(db, settings, username, "not the password", address), NotAuthenticated)


def audited(db, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_a_guesser_elsewhere_never_locks_the_owner_out(db, settings, clock):
    add_user(db, "wang", ["warehouse"])
    fail(db, settings, "wang", STRANGER, 5)
    assert isinstance(attempt(db, settings, "wang", PASSWORD, STRANGER), TooManyAttempts)
    for _ in range(20):  # however long he keeps at it
        assert isinstance(attempt(db, settings, "wang", "another guess", STRANGER), TooManyAttempts)
    assert attempt(db, settings, "wang", PASSWORD, OFFICE).username == "wang"


def test_a_correct_password_from_the_throttled_address_waits_too(db, settings, clock):
    add_user(db, "wang", ["warehouse"])
    fail(db, settings, "wang", OFFICE, 5)
    refused = attempt(db, settings, "wang", PASSWORD, OFFICE)
    assert isinstance(refused, TooManyAttempts) and refused.details["retry_after"] == 300
    assert "5 minutes" in refused.en and "5 分钟" in refused.zh and "administrator" in refused.en


def test_each_further_failure_doubles_the_wait(db, settings, clock):
    add_user(db, "wang", ["warehouse"])
    fail(db, settings, "wang", STRANGER, 5)
    waits = []
    for _ in range(3):
        refused = attempt(db, settings, "wang", "not the password", STRANGER)
        waits.append(refused.details["retry_after"])
        clock.advance(refused.details["retry_after"] + 1)
        fail(db, settings, "wang", STRANGER, 1)
    assert waits == [300, 600, 1200]
    assert attempt(db, settings, "wang", PASSWORD, STRANGER).details["retry_after"] == 2400


def test_the_owner_signs_in_from_the_same_address_once_the_wait_is_over_and_starts_afresh(db, settings, clock):
    add_user(db, "wang", ["warehouse"])
    fail(db, settings, "wang", OFFICE, 5)
    clock.advance(301)
    assert attempt(db, settings, "wang", PASSWORD, OFFICE).username == "wang"
    fail(db, settings, "wang", OFFICE, 4)  # a success cleared the count: four more slips lock nothing
    assert attempt(db, settings, "wang", PASSWORD, OFFICE).username == "wang"


def test_occasional_slips_far_apart_never_add_up_to_a_lock(db, settings, clock):
    add_user(db, "wang", ["warehouse"])
    for _ in range(8):
        fail(db, settings, "wang", OFFICE, 1)
        clock.advance(settings.login_window_seconds + 1)
    assert attempt(db, settings, "wang", PASSWORD, OFFICE).username == "wang"


def test_many_failures_from_one_address_spare_colleagues_known_there_and_other_addresses(db, tmp_path, clock):
    settings = Settings(data_dir=tmp_path, database_url=None, login_max_failures=5, login_window_seconds=300,
                        login_address_max_failures=12)
    for name in ("wang", "li", "zhao"):
        add_user(db, name, ["warehouse"])
    assert attempt(db, settings, "wang", PASSWORD, OFFICE).username == "wang"  # wang works in this office
    for guessed in ("admin", "root", "boss", "test"):  # someone in the office sprays names
        fail(db, settings, guessed, OFFICE, 3)
    refused = attempt(db, settings, "li", PASSWORD, OFFICE)  # li never signed in from here
    assert isinstance(refused, TooManyAttempts) and "your address" in refused.en and refused.details["retry_after"] <= 300
    assert attempt(db, settings, "wang", PASSWORD, OFFICE).username == "wang"
    assert attempt(db, settings, "li", PASSWORD, HOME).username == "li"
    assert attempt(db, settings, "zhao", PASSWORD, STRANGER).username == "zhao"
    clock.advance(301)  # the address-wide limit lasts one window
    assert attempt(db, settings, "li", PASSWORD, OFFICE).username == "li"
    [entry] = audited(db, "auth.address_throttled")
    assert entry.target_id == OFFICE


def test_a_lockout_is_written_to_the_audit_log(db, settings, clock):
    add_user(db, "wang", ["warehouse"])
    fail(db, settings, "wang", STRANGER, 4)
    assert audited(db, "auth.sign_in_throttled") == []
    fail(db, settings, "wang", STRANGER, 1)
    [entry] = audited(db, "auth.sign_in_throttled")
    assert entry.target_type == "user" and entry.target_id == "wang"
    assert entry.details["address"] == STRANGER and entry.details["failures"] == 5 and entry.details["seconds"] == 300


def test_an_administrator_sees_a_locked_account_and_unlocks_it(client, db, admin):
    add_user(db, "wang", ["warehouse"])
    for _ in range(5):
        assert client.post("/api/v1/auth/login", json={"username": "wang", "password": "guess"}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}).status_code == 429
    users = {u["username"]: u for u in client.get("/api/v1/users", headers=admin).json()}
    assert users["wang"]["sign_in_locked_until"] is not None and users["admin0"]["sign_in_locked_until"] is None
    unlocked = client.post("/api/v1/users/wang/unlock", headers=admin)
    assert unlocked.status_code == 200 and unlocked.json()["sign_in_locked_until"] is None
    assert client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}).status_code == 200
    client.cookies.clear()
    [entry] = audited(db, "user.unlock")
    assert entry.username == "admin0" and entry.target_id == "wang" and entry.details["addresses"] == ["testclient"]
    assert client.post("/api/v1/users/nobody/unlock", headers=admin).status_code == 404


def test_only_an_administrator_unlocks_an_account(client, db, as_role):
    add_user(db, "wang", ["warehouse"])
    assert client.post("/api/v1/users/wang/unlock", headers=as_role("warehouse")).status_code == 403


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(client, db):
    """Without a trusted proxy, a guesser cannot pose as a new address on every attempt."""
    add_user(db, "wang", ["warehouse"])
    for n in range(5):
        spoofed = {"X-Forwarded-For": f"10.0.0.{n}"}
        client.post("/api/v1/auth/login", json={"username": "wang", "password": "guess"}, headers=spoofed)
    refused = client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}, headers={"X-Forwarded-For": "10.0.0.99"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 300


def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(db, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=None, login_max_failures=5, login_window_seconds=300,
                        trusted_proxies=("127.0.0.0/8",))
    add_user(db, "wang", ["warehouse"])
    served = LiveServer(create_app(settings, db))
    served.server.config.proxy_headers = False  # the app alone reads the header here, not uvicorn before it
    with served as server:
        def login(password: str, client: str) -> httpx.Response:
            # The proxy appends the address it saw; what the client wrote to the left of it is not believed.
            return httpx.post(f"{server.url}/api/v1/auth/login", json={"username": "wang", "password": password},
                              headers={"X-Forwarded-For": f"{OFFICE}, {client}"})

        for _ in range(5):
            assert login("guess", STRANGER).status_code == 401
        refused = login(PASSWORD, STRANGER)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 300
        assert login(PASSWORD, HOME).status_code == 200
    [entry] = audited(db, "auth.sign_in_throttled")
    assert entry.details["address"] == STRANGER


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("127.0.0.1", f"{STRANGER}", STRANGER),  # a trusted proxy's word is taken
    ("127.0.0.1", f"1.2.3.4, {STRANGER}", STRANGER),  # the right-most hop our proxy saw, not what the client wrote
    ("127.0.0.1", f"{STRANGER}, 10.1.2.3", STRANGER),  # through two trusted proxies
    ("10.1.2.3", f"{STRANGER}, 10.1.2.4", STRANGER),
    ("127.0.0.1", "10.1.2.3, 10.1.2.4", "10.1.2.3"),  # every hop ours: the first
    ("127.0.0.1", f"{STRANGER}, not-an-address", "127.0.0.1"),  # garbage: the last proxy that spoke
    ("127.0.0.1", None, "127.0.0.1"),
    (OFFICE, STRANGER, OFFICE),  # not a trusted proxy: its header is ignored
    ("::ffff:127.0.0.1", "[2001:db8::7]:4711", "2001:db8::7"),
    ("testclient", STRANGER, "testclient"),
])
def test_the_client_address_is_read_from_the_forwarding_header_of_trusted_proxies_only(peer, forwarded, expected):
    assert client_address(peer, forwarded, ("127.0.0.0/8", "10.0.0.0/8")) == expected


@pytest.mark.parametrize("variable", ["CANGKU_TRUSTED_PROXIES", "CANGKU_METRICS_ALLOW"])
def test_a_mistyped_proxy_network_stops_the_server_at_start_up_naming_the_setting(monkeypatch, variable):
    monkeypatch.setenv(variable, "10.0.0.0/8, 10.0.0.300")
    with pytest.raises(ValueError, match=f"{variable}: '10.0.0.300' is not a network"):
        load_settings()
    monkeypatch.setenv(variable, "10.0.0.0/8, 192.168.1.7")
    assert "192.168.1.7" in getattr(load_settings(), variable.removeprefix("CANGKU_").lower())


def test_without_trusted_proxies_the_header_is_never_read():
    assert client_address("127.0.0.1", STRANGER, ()) == "127.0.0.1"


def test_the_sign_in_form_shows_the_bilingual_wait(client, db):
    add_user(db, "wang", ["warehouse"])
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"username": "wang", "password": "guess"})
    zh = client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD}, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 429 and "5 分钟" in zh.json()["message"]
