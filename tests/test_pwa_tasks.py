"""The phone's pick and put-away screens follow the warehouse's synced tasks: a task done on the phone never comes back
once it is sent, the next one starts with nothing ticked, and a task assigned while the screen is open shows up on it."""

from __future__ import annotations

import pytest

from tests.helpers import PEN_EACH, add_user, post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock
from tests.test_pwa import PHONE, pending, sign_in, wedge
from tests.test_sync_tasks import receipt_to_inspect, wave_of

pytestmark = pytest.mark.browser

# The keys of the tasks of a kind the phone holds in its synced slice of WH1's tasks.
HELD = """(kind) => new Promise((resolve) => {
  const open = indexedDB.open('cangku');
  open.onsuccess = () => {
    const rows = open.result.transaction('rows').objectStore('rows').index('scope').getAll('tasks:WH1');
    rows.onsuccess = () => { open.result.close(); resolve(rows.result.filter((row) => row.kind === kind).map((row) => Number(row.key))); };
  };
})"""


def held(page, kind: str) -> list[int]:  # type: ignore[no-untyped-def]
    return page.evaluate(HELD, kind)


def wait_until_held(page, kind: str, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Wait for the pull that follows the push: the phone's slice then holds just these tasks (those done are gone)."""
    for _ in range(150):
        if sorted(held(page, kind)) == sorted(ids):
            return
        page.wait_for_timeout(100)
    assert sorted(held(page, kind)) == sorted(ids)


def synced(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)


def open_screen(page, live_server, username: str, task: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/")
    sign_in(page, username)
    page.locator(f"[data-task={task}]").wait_for()
    page.wait_for_function("() => document.getElementById('sync').textContent.includes(':')")  # the first sync is done
    page.locator(f"[data-task={task}]").click()


def no_issues(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("location.hash = '#/issues'")
    page.get_by_text("没有问题").wait_for()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_put_away_task_done_and_synced_never_comes_back_and_the_next_scan_puts_away_the_next_one(browser, client, live_server, world,
                                                                                                   as_role, db):
    supplier_and_dock(Api(client, as_role("admin")))
    worker = Api(client, as_role("warehouse"))
    grn = receipt_to_inspect(client, as_role, [{"sku": "PEN", "qty": "10"}, {"sku": "RICE", "qty": "4"}])
    worker.post(f"/api/v1/receipts/{grn}/lines/1/inspect", {"accepted": "10"})
    tasks = {t["sku"]: t["id"] for t in worker.post(f"/api/v1/receipts/{grn}/lines/2/inspect", {"accepted": "4"})["putaway"]}
    add_user(db, "putter", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        open_screen(page, live_server, "putter", "putaway")
        item = page.locator("#putaway [data-field=sku]")
        item.filter(has_text="PEN").wait_for()
        page.locator("#scan").focus()
        wedge(page, "B3")
        synced(page)
        wait_until_held(page, "putaway", [tasks["RICE"]])  # the put-away is applied and pulled back as done
        assert item.inner_text().startswith("RICE") and "PEN" not in page.locator("#putaway").inner_text()

        wedge(page, "B3")  # the same bin again: it is the rice's turn
        page.get_by_text("没有待上架的货物").wait_for(timeout=10000)
        synced(page)
        wait_until_held(page, "putaway", [])
        assert page.locator("#putaway [data-field=sku]").count() == 0  # neither task came back
        no_issues(page)
        assert page.locator("#sync").get_attribute("data-state") != "issues"
    finally:
        context.close()
    assert worker.get("/api/v1/putaway-tasks", warehouse="WH1")["items"] == []
    assert worker.stock("PEN", "B3") == ("10", "0") and worker.stock("RICE", "B3") == ("4", "0")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_after_a_pick_is_synced_the_next_task_starts_with_nothing_ticked_and_takes_its_own_bin_and_item(browser, client, live_server, world,
                                                                                                         as_role, db):
    admin, worker = Api(client, as_role("admin")), Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    post_move(client, worker.headers, "PEN", 8, "SUPPLIER", "B1", unit_cost="1")
    post_move(client, worker.headers, "RICE", 5, "SUPPLIER", "B2", unit_cost="1")
    wave = wave_of(client, as_role, "WH1", [{"sku": "PEN", "qty": "5", "unit_price": "3"}, {"sku": "RICE", "qty": "2", "unit_price": "4"}])
    first, second = wave["tasks"]
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        open_screen(page, live_server, "picker", "pick")
        where, what = page.locator("#pick [data-field=location]"), page.locator("#pick [data-field=sku]")
        where.filter(has_text="B1").wait_for()
        page.locator("#scan").focus()
        wedge(page, "B1")
        wedge(page, PEN_EACH)
        page.locator("[data-action=confirm-pick]").click()
        synced(page)
        wait_until_held(page, "pick", [second["id"]])

        # The second task, nothing of the first one ticked on it.
        where.filter(has_text="B2").wait_for()
        assert where.inner_text() == "B2" and what.inner_text().startswith("RICE")
        assert "✓" not in what.inner_text() and page.locator("#pick .done").count() == 0
        wedge(page, "B2")
        where.filter(has_text="B2 ✓").wait_for(timeout=5000)
        assert "✓" not in what.inner_text()
        wedge(page, "RICE")
        what.filter(has_text="✓").wait_for(timeout=5000)
        assert where.inner_text() == "B2 ✓" and page.locator("#notice").get_attribute("data-kind") != "error"

        # Confirmed with no signal: done on the phone at once, and still done once it is sent and pulled back.
        context.set_offline(True)
        page.locator("[data-action=confirm-pick]").click()
        page.get_by_text("没有待拣的任务").wait_for()
        assert pending(page) == 1
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        synced(page)
        wait_until_held(page, "pick", [])
        assert page.locator("#pick [data-field=location]").count() == 0
        no_issues(page)
    finally:
        context.close()
    statuses = {t["id"]: (t["status"], t["picked"]) for t in worker.get(f"/api/v1/waves/{wave['number']}")["tasks"]}
    assert statuses == {first["id"]: ("done", "5"), second["id"]: ("done", "2")}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_put_away_task_created_while_the_screen_is_open_appears_without_a_reload(browser, client, live_server, world, as_role, db):
    supplier_and_dock(Api(client, as_role("admin")))
    worker = Api(client, as_role("warehouse"))
    grn = receipt_to_inspect(client, as_role, [{"sku": "PEN", "qty": "10"}])
    add_user(db, "putter", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        open_screen(page, live_server, "putter", "putaway")
        page.get_by_text("没有待上架的货物").wait_for()
        task = worker.post(f"/api/v1/receipts/{grn}/lines/1/inspect", {"accepted": "10"})["putaway"][0]
        page.locator("#putaway [data-field=sku]").filter(has_text="PEN").wait_for(timeout=10000)
        assert page.locator("#putaway [data-field=suggested]").inner_text() == task["suggested"]
        assert page.evaluate("location.hash") == "#/putaway" and held(page, "putaway") == [task["id"]]
    finally:
        context.close()
