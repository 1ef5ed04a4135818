"""The issue inbox in Chromium: what the server refused, judged a conflict, or applied with a difference reaches the
person who did it, with what changed and the choices — review the current version, edit and send again, retry, discard."""

from __future__ import annotations

import pytest

from tests.helpers import PEN_EACH, add_user, balance, post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock
from tests.test_pwa import PHONE, sign_in, wedge

pytestmark = pytest.mark.browser


def until(page, expression: str, seconds: float = 15) -> None:  # type: ignore[no-untyped-def]
    """Poll an asynchronous expression in the page until it is true (wait_for_function does not await a promise)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    shown = page.evaluate("[document.getElementById('sync').textContent, document.querySelector('main')?.innerText]")
    raise AssertionError(f"never true: {expression}; the sync badge read {shown[0]!r} and the screen {shown[1]!r}")


def catalog_on_the_phone(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the warehouse's catalog and balances are on the device (bootstrapped), so it works with no signal."""
    until(page, "import('/store.js').then(async (store) => { const c = (await store.get('cursors')) || {}; "
                "return ['catalog', 'wh:WH1', 'stock:WH1'].every((s) => s in c); })")


def sent(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_order_approved_offline_at_an_old_version_lands_in_the_inbox_with_what_changed_and_is_approved_after_review(
        browser, client, live_server, world, as_role, db):
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    supplier_and_dock(admin)
    add_user(db, "boss", ["approver"], ["WH1"])
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "10", "unit_price": "2"}]},
                        expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    number = po["number"]
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "boss")
        page.wait_for_function("() => document.querySelector('[data-task=approvals] .badge')?.textContent === '1'", timeout=10000)
        page.locator("[data-task=approvals]").click()
        page.locator(f"[data-po='{number}'] button").click()
        page.locator("[data-action=approve]").wait_for()

        # In a meeting with no signal: the purchaser quadruples the order meanwhile, the boss approves what the phone shows.
        context.set_offline(True)
        purchaser.patch(f"/api/v1/purchase-orders/{number}", {"version": po["version"], "lines": [{"sku": "PEN", "qty": "40", "unit_price": "2"}]})
        page.locator("[data-action=approve]").click()
        page.get_by_role("alert").filter(has_text=f"已批准 {number}").wait_for()
        assert purchaser.get(f"/api/v1/purchase-orders/{number}")["status"] == "pending"

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        issue = page.locator("[data-state=conflict][data-error=stale_version]")
        page.wait_for_function("() => document.getElementById('sync').dataset.state === 'issues'", timeout=15000)
        assert "已修改" in page.get_by_role("alert").inner_text()  # told as soon as the server answers
        page.evaluate("location.hash = '#/issues'")
        issue.wait_for()
        assert number in issue.inner_text() and f"版本 {po['version']}" in issue.inner_text()
        change = issue.locator("[data-change=qty]")
        assert "10" in change.inner_text() and "40" in change.inner_text()
        # Sending the same signature again cannot succeed: the choices are to review the current version or discard.
        assert issue.locator("[data-action=retry]").count() == 0 and issue.locator("[data-action=edit]").count() == 0
        assert purchaser.get(f"/api/v1/purchase-orders/{number}")["status"] == "pending"  # the stale approval approved nothing

        issue.locator("[data-action=review]").click()
        page.locator("#changes li[data-change=qty]").wait_for()
        assert f"v{po['version'] + 1}" in page.locator("main").inner_text()
        page.locator("[data-action=approve]").click()
        page.get_by_text("没有待审批的单据").wait_for()  # queued, back at the list, where it waits no more
        sent(page)
        page.evaluate("location.hash = '#/issues'")
        page.locator("main").filter(has_text="没有").wait_for()  # the conflict is gone with the new decision
    finally:
        context.close()
    approved = purchaser.get(f"/api/v1/purchase-orders/{number}")
    assert approved["status"] == "approved"
    signed = [(a["user"], a["decision"], a.get("version")) for a in approved["approvals"] if not a.get("void")]
    assert signed == [("boss", "approved", po["version"] + 1)], signed  # the version reviewed after the conflict


@pytest.mark.parametrize("backend", ["sqlite"])
def test_moving_more_out_of_a_bin_than_its_book_holds_offline_shows_the_difference_and_the_recount(browser, client, live_server, world, as_role, db):
    worker = as_role("warehouse")
    post_move(client, worker, "PEN", 6, "SUPPLIER", "B1", unit_cost="1")
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        catalog_on_the_phone(page)
        context.set_offline(True)

        # Meanwhile a colleague books 5 of the 6 out of B1; the phone, offline, still takes 3 from it.
        assert post_move(client, worker, "PEN", 5, "B1", "B2").status_code == 201
        page.locator("[data-task=transfer]").click()
        page.locator("#scan").focus()
        for code in ("B1", PEN_EACH, PEN_EACH, PEN_EACH, "B3"):
            wedge(page, code)
        page.get_by_role("alert").filter(has_text="B1 → B3").wait_for()

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        sent(page)
        page.wait_for_function("() => document.getElementById('sync').dataset.state === 'issues'")
        page.evaluate("location.hash = '#/issues'")
        issue = page.locator("[data-state=applied_with_exception]")
        issue.wait_for()
        text = issue.locator("[data-field=exception]").inner_text()
        recount = Api(client, as_role("admin")).get("/api/v1/discrepancies")["items"][0]["recount"]
        assert "账面可用 1" in text and "实际取出 3" in text and "差异 2" in text and recount in text
        assert "B1" in issue.locator(".message").inner_text()
        issue.locator("[data-action=acknowledge]").click()
        issue.wait_for(state="detached")
        page.wait_for_function("() => document.getElementById('sync').dataset.state === 'online'")
    finally:
        context.close()
    assert Api(client, worker).stock("PEN", "B1") == ("0", "0") and Api(client, worker).stock("PEN", "B3") == ("3", "0")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_pick_someone_else_confirmed_first_is_refused_and_can_only_be_discarded(browser, client, live_server, world, as_role, db):
    admin, sales, warehouse = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    post_move(client, as_role("warehouse"), "PEN", 8, "SUPPLIER", "B1", unit_cost="1")
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "5", "unit_price": "3"}]},
                       expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = warehouse.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        page.locator("[data-task=pick] .badge").wait_for()
        context.set_offline(True)
        warehouse.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": "5", "location": "B1"})  # another picker was faster

        page.locator("[data-task=pick]").click()
        page.locator("#pick [data-field=location]").wait_for()  # the task is on screen: scans now go to it
        page.locator("#scan").focus()
        wedge(page, "B1")
        wedge(page, PEN_EACH)
        page.locator("[data-action=confirm-pick]").click()
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.evaluate("location.hash = '#/issues'")
        issue = page.locator("[data-state=conflict][data-error=already_picked]")
        issue.wait_for(timeout=15000)
        assert "已确认" in issue.inner_text()

        # Sent again, edited or not, the task is still done: the goods go back, the pick is let go. Discarding asks first
        # and keeps it when the person changes their mind.
        assert issue.locator(".actions button").evaluate_all("(buttons) => buttons.map((b) => b.dataset.action)") == ["discard"]
        issue.locator("[data-action=discard]").click()
        issue.locator("[data-action=keep]").click()
        issue.locator("[data-action=discard]").click()
        issue.locator("[data-action=confirm-discard]").click()
        issue.wait_for(state="detached")
        assert page.locator("#sync").get_attribute("data-state") != "issues"
    finally:
        context.close()
    assert warehouse.stock("PEN", "B1") == ("3", "0")  # picked once, not twice


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_refused_move_edited_in_the_inbox_is_sent_again_as_a_new_operation(browser, client, live_server, world, as_role, db):
    worker = as_role("warehouse")
    post_move(client, worker, "PEN", 6, "SUPPLIER", "B1", unit_cost="1")
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        catalog_on_the_phone(page)
        # A transfer to a bin that is not there: refused, nothing moved.
        page.evaluate("""async () => {
          const sync = await import('/sync.js');
          await sync.queue('transfer.confirm', {sku: 'PEN', qty: '2', from: 'B1', to: 'NOPE'}, 'PEN × 2 B1 → NOPE');
        }""")
        page.evaluate("location.hash = '#/issues'")
        issue = page.locator("[data-state=rejected]")
        issue.wait_for(timeout=15000)
        assert "NOPE" in issue.inner_text()
        issue.locator("[data-action=edit]").click()
        issue.locator("input[name=to]").fill("B3")
        issue.locator("[data-action=send-edited]").click()
        page.get_by_role("alert").filter(has_text="已重新发送").wait_for()  # the edited one is in the outbox
        sent(page)
        page.locator("main").filter(has_text="没有").wait_for()
    finally:
        context.close()
    assert Api(client, worker).stock("PEN", "B1") == ("4", "0") and Api(client, worker).stock("PEN", "B3") == ("2", "0")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_moves_numbered_again_after_the_phone_lost_its_count_are_all_sent_and_none_overwritten(
        browser, client, live_server, world, as_role, db):
    worker = as_role("warehouse")
    post_move(client, worker, "PEN", 10, "SUPPLIER", "B1", unit_cost="1")
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        catalog_on_the_phone(page)
        # Two transfers are sent and applied: the server knows this phone up to number 2.
        page.evaluate("""async () => {
          const sync = await import('/sync.js');
          for (const n of [1, 2]) await sync.queue('transfer.confirm', {sku: 'PEN', qty: '1', from: 'B1', to: 'B2'}, `first ${n}`);
        }""")
        sent(page)
        # The phone's own count goes back (its storage put back from a copy): four more transfers made offline take
        # numbers 1-4 again, two of them numbers the server has already seen.
        context.set_offline(True)
        page.evaluate("""async () => {
          const store = await import('/store.js');
          await store.set('nextSeq', 1);
          const sync = await import('/sync.js');
          for (const n of [1, 2, 3, 4]) await sync.queue('transfer.confirm', {sku: 'PEN', qty: '1', from: 'B1', to: 'B3'}, `again ${n}`);
        }""")
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        sent(page)
        assert page.evaluate("import('/store.js').then(async (store) => (await store.outbox()).length)") == 0
    finally:
        context.close()
    # Every transfer the worker made is on the books, each once.
    assert [balance(client, worker, "PEN", code)["qty"] for code in ("B1", "B2", "B3")] == ["4", "2", "4"]
