"""The server restored from a backup while phones kept working: its change feed and its op log go back to the moment of
the backup. A phone that pulled and pushed past that moment is told to start its slices again, sends again what it did
that the server lost, and ends holding exactly the server's stock; a phone that pushes first is not stuck on the gap.
Run on SQLite and PostgreSQL, with `cangku backup` and `cangku restore` as an administrator runs them."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from server.app import create_app
from server.cli import main
from server.migrate import prepare
from server.settings import Settings
from server.wiring import open_database
from sync.client import SyncClient
from sync.feed import start_new_epoch
from tests.conftest import build_world, postgres_database
from tests.helpers import PASSWORD, PEN_EACH, add_user, balance, post_move, sign_in
from tests.test_pwa import PHONE, wedge
from tests.test_pwa import sign_in as sign_in_on

SCOPES = ["wh:WH1", "stock:WH1"]


def cangku(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own (a backup holds a whole database): a file on SQLite, a new database on PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'cangku.db'}"
        return
    with postgres_database("restore") as url:
        yield url


@contextlib.contextmanager
def serving(url: str, settings: Settings) -> Iterator[TestClient]:
    """The server on the database at `url`, stopped (its connections closed) at the end, as before a restore."""
    db = open_database(url)
    try:
        with TestClient(create_app(settings, db)) as http:
            yield http
    finally:
        db.dispose()


def phone(http: TestClient, username: str) -> SyncClient:
    device = SyncClient(http, device_id=f"scanner-{username}")
    device.login(username, PASSWORD)
    return device


def the_book(http: TestClient) -> dict[tuple[str, str, str], dict]:
    """What a phone that starts today holds: a new device pulling the slices from the beginning."""
    fresh = SyncClient(http)
    fresh.login("office", PASSWORD)
    fresh.pull(SCOPES)
    return fresh.view


@pytest.mark.parametrize("writes_after_restore", [0, 12], ids=["pulled-at-once", "server-busy-first"])
def test_a_phone_that_synced_past_the_backup_starts_again_after_a_restore_and_resends_what_the_server_lost(
    backend, database_url, settings, tmp_path, writes_after_restore
):
    db = open_database(database_url)
    prepare(db)
    build_world(db)
    add_user(db, "picker", ["warehouse"], ["WH1"])
    add_user(db, "receiver", ["warehouse"], ["WH1"])
    add_user(db, "office", ["admin"])
    db.dispose()

    with serving(database_url, settings) as http:
        picker, receiver = phone(http, "picker"), phone(http, "receiver")
        office = sign_in(http, "office")
        picker.move("PEN", 10, "SUPPLIER", "B1", unit_cost="1")
        picker.push_all()
        picker.pull(SCOPES)
        receiver.pull(SCOPES)
    cangku("backup", "--database-url", database_url, str(tmp_path))
    backup = next(tmp_path.glob("cangku-*"))

    with serving(database_url, settings) as http:
        picker.http = receiver.http = http
        picker.move("PEN", 4, "B1", "B2")  # pushed and pulled: lost by the restore
        picker.push_all()
        receiver.move("RICE", "2.5", "SUPPLIER", "B3", unit_cost="2")  # the receiver's first push: its client is lost too
        receiver.push_all()
        assert post_move(http, office, "MILK", 6, "SUPPLIER", "B2", unit_cost="3", lot="L1").status_code == 201  # no phone holds it
        picker.pull(SCOPES)
        receiver.pull(SCOPES)
        assert picker.balances("wh:WH1")[("PEN", "B2", None)]["qty"] == "4"
        picker.move("PEN", 1, "B2", "B3")  # made offline: still in the outbox when the server is restored
        assert picker.pending() == 1
        held = dict(picker.cursors)

    restored = cangku("restore", "--force", "--database-url", database_url, str(backup))
    assert "new epoch" in restored.output and "all invariants hold" in restored.output

    with serving(database_url, settings) as http:
        picker.http = receiver.http = http
        office = sign_in(http, "office")
        for i in range(writes_after_restore):  # the feed may pass the phones' cursors before they come back
            assert post_move(http, office, "PEN", 1, "SUPPLIER", "B1" if i % 2 else "B3", unit_cost="1").status_code == 201
        assert balance(http, office, "PEN", "B2")["qty"] == "0"  # the restore took the move away

        # The picker pushes first: its outbox starts beyond the server's record of it; what the server lost goes first.
        report = picker.push()
        assert report.resend_from == 2 and report.resent == 1 and report.renumbered_from == 2
        picker.push_all()
        assert picker.pending() == 0
        assert [picker.results[op.op_id]["status"] for op in picker.sent[-2:]] == ["applied", "applied"]

        # Its cursor is of the feed before the restore: every slice starts again, whatever the feed's head is now.
        page = http.get("/api/v1/sync/pull", headers=picker.headers(), params={"scope": SCOPES, "cursor": held["wh:WH1"]}).json()
        assert page["reset_required"] is True and page["reset_scopes"] == SCOPES and page["changes"] == []
        assert sorted(picker.pull(SCOPES).reset) == sorted(SCOPES)

        # The receiver pulls first: told to start again, it asks where its numbering stands and sends its receipt again.
        assert sorted(receiver.pull(SCOPES).reset) == sorted(SCOPES)
        assert receiver.pending() == 1 and receiver.outbox[0].seq == 1
        receiver.push_all()
        receiver.pull(SCOPES)
        picker.pull(SCOPES)

        book = the_book(http)
        assert picker.view == book and receiver.view == book
        stock = {(sku, location): row["qty"] for (sku, location, _lot), row in picker.balances("wh:WH1").items()}
        assert stock[("PEN", "B2")] == "3" and stock[("PEN", "B3")] == str(1 + writes_after_restore // 2)
        assert stock[("RICE", "B3")] == "2.5" and ("MILK", "B2") not in stock  # the office's move is gone with the restore
        assert balance(http, office, "PEN", "B2")["qty"] == "3"
    assert "OK" in cangku("check", "--database-url", database_url).output


def test_after_a_restore_bootstrap_and_push_give_cursors_of_the_new_epoch_that_pull_without_a_reset(client, worker, world, db):
    post_move(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    before = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": "wh:WH1"}).json()["cursor"]
    with db.engine.begin() as connection:  # what `cangku restore` does to the restored database
        epoch = start_new_epoch(connection)
    assert epoch and before.count(".") == 1
    page = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": "wh:WH1"}).json()
    assert page["cursor"] == f"{before}.{epoch}" and [row[4] for row in page["items"]] == ["5"]
    pulled = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1", "cursor": page["cursor"]}).json()
    assert pulled["reset_required"] is False and pulled["cursor"].endswith(f".{epoch}")
    stale = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1", "cursor": before}).json()
    assert stale["reset_required"] is True
    pushed = client.post("/api/v1/sync/push", headers=worker, json={
        "client_id": "phone-epoch-1", "device_time": "2026-11-26T08:00:00+08:00", "schema_version": 1, "ops": []}).json()
    assert pushed["cursor"].endswith(f".{epoch}")
    with db.engine.begin() as connection:  # restored once more: another epoch again
        assert start_new_epoch(connection) not in (None, epoch)
    again = client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1", "cursor": pulled["cursor"]}).json()
    assert again["reset_required"] is True


# The app on a phone, in a real browser --------------------------------------------------------------

STOCK_SHOWN = """() => {
    const bins = [...document.querySelectorAll('#stock-result tbody tr:not([data-warehouse])')].map((r) => [r.cells[0].textContent, r.cells[2].textContent]);
    const summary = document.querySelector('#stock-result tr[data-warehouse=WH1] [data-field=qty]');
    return JSON.stringify({bins: Object.fromEntries(bins), WH1: summary ? summary.textContent : null}) === JSON.stringify(%s);
}"""


def slices_held(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The cursors of the phone's slices, once it holds all three."""
    deadline = time.monotonic() + 20
    while True:
        cursors = page.evaluate("async () => (await import('/store.js')).get('cursors')") or {}
        if set(cursors) == {"catalog", "wh:WH1", "stock:WH1"} or time.monotonic() > deadline:
            return cursors
        time.sleep(0.1)


def stock_screen(page, sku: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(f"location.hash = '#/stock/{sku}'")
    page.locator("#stock-result h3").wait_for()


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_phone_holding_a_cursor_beyond_the_feeds_head_downloads_its_stock_again_by_itself(browser, client, live_server, world, as_role, db):
    worker = as_role("warehouse")
    post_move(client, worker, "PEN", 8, "SUPPLIER", "B1", unit_cost="1")
    add_user(db, "seller", ["sales"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in_on(page, "seller")
        page.wait_for_function("() => document.getElementById('sync').textContent.includes(':')")
        slices_held(page)
        # What a phone holds when it outlived a restore of the server (or was itself put back from an old copy): cursors
        # the feed never reached, and stock the book no longer has. Put there while the phone cannot sync, once a pull
        # still under way has finished (it would write the cursors it was given over them).
        page.route("**/api/v1/sync/**", lambda route: route.abort())
        page.evaluate("""async () => {
            await (await import('/sync.js')).pull();
            const store = await import('/store.js');
            const cursors = await store.get('cursors');
            for (const scope of Object.keys(cursors)) cursors[scope] = '999999999.0';
            await store.set('cursors', cursors);
            const [stock] = await store.bySku('stock', 'PEN');
            await store.applyRows([
                {scope: stock.scope, kind: 'stock', key: stock.key, data: {...stock.data, qty: '50', available: '50'}},
                {scope: 'wh:WH1', kind: 'balance', key: '0:0:0', data: {sku: 'PEN', location: 'B2', lot: null, qty: '42', reserved: '0', available: '42'}},
            ]);
        }""")
        assert set(page.evaluate("async () => Object.values(await (await import('/store.js')).get('cursors'))")) == {"999999999.0"}
        page.unroute("**/api/v1/sync/**")
        assert post_move(client, worker, "PEN", 3, "B1", "B3").status_code == 201  # the server moves on meanwhile
        stock_screen(page, "PEN")
        page.wait_for_function(STOCK_SHOWN % json.dumps({"bins": {"B1": "5", "B3": "3"}, "WH1": "8"}), timeout=20000)
        cursors = slices_held(page)
        assert set(cursors) == {"catalog", "wh:WH1", "stock:WH1"} and "999999999.0" not in cursors.values()
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_phone_that_worked_past_the_backup_sends_its_moves_again_after_a_restore_and_shows_the_book(
    browser, client, live_server, world, as_role, db, tmp_path
):
    worker = as_role("warehouse")
    post_move(client, worker, "PEN", 8, "SUPPLIER", "B1", unit_cost="1")
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in_on(page, "picker")
        page.wait_for_function("() => document.getElementById('sync').textContent.includes(':')")
        cangku("backup", "--database-url", db.url, str(tmp_path))
        backup = next(tmp_path.glob("cangku-*"))

        page.locator("[data-task=transfer]").click()  # two pens B1 → B2, sent: lost by the restore
        page.locator("#scan").focus()
        for code in ("B1", PEN_EACH, PEN_EACH, "B2"):
            wedge(page, code)
        page.get_by_role("alert").filter(has_text="B1 → B2").wait_for()
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)
        context.set_offline(True)  # one pen B2 → B3 with no signal: waiting in the outbox during the restore
        for code in ("B2", PEN_EACH, "B3"):
            wedge(page, code)
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '1'")

        db.dispose()  # the server's connections are closed for the restore
        cangku("restore", "--force", "--database-url", db.url, str(backup))
        assert balance(client, worker, "PEN", "B2")["qty"] == "0"

        context.set_offline(False)  # back: the phone sends both again, then downloads its slices again by itself
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=20000)
        stock_screen(page, "PEN")
        page.wait_for_function(STOCK_SHOWN % json.dumps({"bins": {"B1": "6", "B2": "1", "B3": "1"}, "WH1": "8"}), timeout=20000)
    finally:
        context.close()
    assert [balance(client, worker, "PEN", bin_)["qty"] for bin_ in ("B1", "B2", "B3")] == ["6", "1", "1"]
