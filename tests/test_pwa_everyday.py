"""Everyday screens in Chromium, on a phone (390×844) and at a desk (1280×800): an approval reads cleanly (no "null", what
changed in words), money reads as money, the issue inbox offers only what can fix each refusal, the first load logs no
error, a wide report fits, and people who do not work in a warehouse go straight to what their permissions allow."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.helpers import PASSWORD, add_user, post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock
from tests.test_pwa import PHONE, approved_order, sign_in
from tests.test_pwa_inbox import catalog_on_the_phone, sent, until

pytestmark = pytest.mark.browser
DESK = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}


def pending_order(client, as_role, lines: list[dict]) -> tuple[Api, dict]:  # type: ignore[no-untyped-def]
    """A purchase order of SUP1 for WH1 waiting for approval, and its purchaser."""
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    supplier_and_dock(admin)
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": lines}, expect=201)
    return purchaser, purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})


def open_approval(page, number: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("[data-task=approvals]").click()
    page.locator(f"[data-po='{number}'] button").click()
    page.locator("[data-action=approve]").wait_for()


def texts(page, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(selector).all_inner_texts()


def desk_sign_in(page, live_server, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()


def overflows(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether the element is wider inside than it shows (it scrolls sideways)."""
    return page.evaluate("(s) => { const e = document.querySelector(s); return e.scrollWidth > e.clientWidth; }", selector)


# 1 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_order_waiting_for_its_first_approval_shows_no_null(browser, client, live_server, world, as_role, db):
    _, po = pending_order(client, as_role, [{"sku": "PEN", "qty": "10", "unit_price": "2"}])
    add_user(db, "boss", ["approver"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "boss")
        open_approval(page, po["number"])
        shown = page.locator("main").inner_text()
        assert po["number"] in shown and "PEN" in shown
        assert "null" not in shown and "undefined" not in shown
    finally:
        context.close()


# 2 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"])
def test_what_changed_since_the_last_version_reads_as_lines_quantities_and_prices_on_the_approval_and_in_the_inbox(
        browser, client, live_server, world, as_role, db):
    # Above 10,000 an order needs two approvers: the first has signed when the boss looks at it.
    purchaser, po = pending_order(client, as_role, [{"sku": "PEN", "qty": "5000", "unit_price": "2"}])
    number = po["number"]
    po = Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{number}/approve", {"version": po["version"]})
    add_user(db, "boss", ["approver"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "boss")
        open_approval(page, number)
        page.locator("#changes h3").wait_for()
        assert "approvals" not in page.locator("#changes").inner_text()  # who signed is not a change to the order

        # With no signal, the boss approves what the phone shows while the purchaser changes the order.
        context.set_offline(True)
        changed = purchaser.patch(f"/api/v1/purchase-orders/{number}", {"version": po["version"], "expected_date": "2026-09-01", "lines": [
            {"sku": "PEN", "qty": "6000", "unit_price": "2.5"}, {"sku": "MILK", "qty": "3", "unit_price": "1234.5"}]})
        page.locator("[data-action=approve]").click()
        page.get_by_role("alert").filter(has_text=f"已批准 {number}").wait_for()
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_function("() => document.getElementById('sync').dataset.state === 'issues'", timeout=15000)
        page.evaluate("location.hash = '#/issues'")
        issue = page.locator("[data-state=conflict][data-error=stale_version]")
        issue.wait_for()
        said = [
            "预计到货日期 — → 2026-09-01",
            "第 1 行：数量 5000 → 6000",
            "第 1 行：单价 2.00 → 2.50",
            "第 2 行新增：MILK × 3，单价 1,234.50",
        ]
        inbox = texts(issue, "ul.changes li")
        assert all(line in inbox for line in said), inbox
        assert not [line for line in inbox if "approvals" in line or "[" in line or '"' in line], inbox

        # The approval screen says the same of the version it now shows, naming each line's item.
        issue.locator("[data-action=review]").click()
        page.locator("#changes li[data-change=qty]").wait_for()
        screen = texts(page, "#changes li")
        assert "第 1 行（PEN）：数量 5000 → 6000" in screen and "第 1 行（PEN）：单价 2.00 → 2.50" in screen, screen
        total = f"合计 {Decimal(po['total']):,.2f} → {Decimal(changed['total']):,.2f}"
        assert "第 2 行新增：MILK × 3，单价 1,234.50" in screen and total in screen, (total, screen)
        assert not [line for line in screen if "approvals" in line or "[" in line], screen

        page.locator("header [data-action=language]").click()
        page.locator("#changes li[data-change=qty]", has_text="Line 1 (PEN): quantity 5000 → 6000").wait_for()
        assert "Line 2 added: MILK × 3 at 1,234.50" in texts(page, "#changes li")
    finally:
        context.close()


# 3 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"])
def test_money_reads_with_two_decimals_and_thousands_separators_on_the_phone_and_at_the_desk(browser, client, live_server, world, as_role, db):
    _, po = pending_order(client, as_role, [{"sku": "PEN", "qty": "1000", "unit_price": "2.5"}, {"sku": "RICE", "qty": "3", "unit_price": "4"}])
    number = po["number"]
    assert po["total"] == "2838.56"  # 2,512.00 and 13 % VAT
    customer_and_areas(Api(client, as_role("admin")), credit_limit="50000")
    assert post_move(client, as_role("warehouse"), "PEN", 1200, "SUPPLIER", "B1", unit_cost="10.5").status_code == 201
    add_user(db, "boss", ["approver"], ["WH1"])
    add_user(db, "clerk", ["admin"])

    phone = browser.new_context(**PHONE)
    try:
        page = phone.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "boss")
        page.locator("[data-task=approvals]").click()
        assert page.locator(f"[data-po='{number}'] .muted").inner_text() == "2,838.56 CNY"
        page.locator(f"[data-po='{number}'] button").click()
        page.locator("[data-action=approve]").wait_for()
        assert page.locator("main p strong").first.inner_text() == "2,838.56 CNY"
        assert page.locator("main table tbody tr").evaluate_all("(rows) => rows.map((r) => [...r.cells].slice(1).map((c) => c.textContent))") == [
            ["1000", "2.50", "2,500.00"], ["3", "4.00", "12.00"]]
    finally:
        phone.close()

    desk = browser.new_context(**DESK)
    try:
        page = desk.new_page()
        desk_sign_in(page, live_server, "clerk")
        page.get_by_role("button", name="WH1").click()
        page.locator("[data-task=office]").wait_for()
        page.evaluate(f"location.hash = '#/office/purchase-orders/{number}'")
        page.locator("#po-lines tr[data-sku=PEN]").wait_for()
        pen = page.locator("#po-lines tr[data-sku=PEN] td").all_inner_texts()
        assert (pen[3], pen[4], pen[6]) == ("1000", "2.50", "2,500.00")  # the quantity stays as it is
        assert page.locator("table.totals [data-field=total] td").inner_text() == "2,838.56 CNY"
        page.evaluate("location.hash = '#/office/purchase-orders'")
        assert page.locator(f"tr[data-po='{number}'] td").nth(5).inner_text() == "2,838.56"

        page.evaluate("location.hash = '#/office/partners/CUS1'")
        page.locator("#partner-credit tr[data-field=credit]").wait_for()
        assert page.locator("#partner-credit tr[data-field=credit] td").all_inner_texts() == ["50,000.00", "0.00", "0.00", "0.00", "50,000.00"]

        page.evaluate("location.hash = '#/office/reports/stock_balance'")
        page.locator("#report-table tbody tr").first.wait_for()
        keys = page.evaluate("[...document.querySelectorAll('#report-table thead th')].map((c) => c.dataset.key)")
        pen = dict(zip(keys, page.locator("#report-table tbody tr").first.locator("td").all_inner_texts(), strict=True))
        assert (pen["qty"], pen["unit_cost"], pen["value"]) == ("1200", "10.50", "12,600.00")
    finally:
        desk.close()


# 4 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_issue_inbox_offers_only_what_can_fix_each_refusal(browser, client, live_server, world, as_role, db):
    number = approved_order(client, as_role, [{"sku": "PEN", "qty": "10", "unit_price": "2"}])
    customer_and_areas(Api(client, as_role("admin")))
    post_move(client, as_role("warehouse"), "PEN", 6, "SUPPLIER", "B1", unit_cost="1")
    sales = Api(client, as_role("sales"))
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1", "unit_price": "3"}]},
                       expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    Api(client, as_role("warehouse")).post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)  # being picked
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        catalog_on_the_phone(page)
        page.evaluate("""async ([po, so]) => {
          const sync = await import('/sync.js');
          await sync.queue('transfer.confirm', {sku: 'PEN', qty: '2', from: 'B1', to: 'NOPE'}, 'to a bin that is not there');
          await sync.queue('transfer.confirm', {sku: 'NOSUCH', qty: '2', from: 'B1', to: 'B2'}, 'an item that is not there');
          await sync.queue('receive.line', {po, sku: 'PEN', qty: '50'}, 'more than ordered');
          await sync.queue('so.ship', {order: so}, 'nothing picked yet');
        }""", [number, order["number"]])
        sent(page)
        page.evaluate("location.hash = '#/issues'")
        rows = page.locator("main li[data-op]")
        until(page, "document.querySelectorAll('main li[data-op]').length === 4")

        def offered(label: str) -> list[str]:
            issue = rows.filter(has_text=label)
            return issue.locator(".actions button").evaluate_all("(buttons) => buttons.map((b) => b.dataset.action)")

        # Refused for a value the person gave: that value can be corrected (and only that one), sending it again cannot help.
        assert offered("to a bin that is not there") == ["edit", "discard"]
        assert offered("more than ordered") == ["edit", "discard"]
        # Refused for what cannot change: let go.
        assert offered("an item that is not there") == ["discard"]
        # Refused for the moment (nothing picked yet): it may pass later.
        assert "retry" in offered("nothing picked yet") and "edit" not in offered("nothing picked yet")

        bad_bin = rows.filter(has_text="to a bin that is not there")
        bad_bin.locator("[data-action=edit]").click()
        assert bad_bin.locator("form input").evaluate_all("(inputs) => inputs.map((i) => i.name)") == ["to"]
        bad_bin.locator("input[name=to]").fill("B2")
        bad_bin.locator("[data-action=send-edited]").click()
        # Sent and applied: the click only starts it (the badge may still say 0 before the edited operation is queued).
        until(page, "import('/sync.js').then(async (sync) => (await sync.ownOps())"
                    ".some((op) => op.type === 'transfer.confirm' && op.payload.to === 'B2' && !op.state))")
        sent(page)
        too_many = rows.filter(has_text="more than ordered")
        too_many.locator("[data-action=edit]").click()
        assert too_many.locator("form input").evaluate_all("(inputs) => inputs.map((i) => i.name)") == ["qty"]
    finally:
        context.close()
    assert Api(client, as_role("warehouse")).stock("PEN", "B2") == ("2", "0")


# 5 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_first_load_and_sign_in_log_no_error_in_the_console(browser, client, live_server, world, db):
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE, service_workers="allow")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        page.locator("[data-task=receive]").wait_for()
        page.wait_for_function("async () => (await navigator.serviceWorker.ready).active?.state === 'activated'")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.reload()
        page.locator("[data-task=receive]").wait_for()
        page.wait_for_function("() => document.getElementById('sync').textContent.includes(':')")
    finally:
        context.close()
    assert errors == []


# 6 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_stock_balance_report_fits_a_desk_and_a_phone_without_the_page_scrolling_sideways(browser, client, live_server, world, as_role, db):
    worker = as_role("warehouse")
    for sku, qty, where, cost in [("PEN", 1200, "B1", "10.5"), ("RICE", 35.5, "B2", "4.25"), ("PEN", 7, "W2-B1", "10.5")]:
        assert post_move(client, worker, sku, qty, "SUPPLIER", where, unit_cost=cost).status_code == 201
    add_user(db, "clerk", ["admin"])
    for size in (DESK, PHONE):
        context = browser.new_context(**size)
        try:
            page = context.new_page()
            desk_sign_in(page, live_server, "clerk")
            page.get_by_role("button", name="WH1").click()
            page.locator("[data-task=office]").wait_for()
            page.evaluate("location.hash = '#/office/reports/stock_balance'")
            page.locator("#report-table tbody tr").first.wait_for()
            if not page.evaluate("document.documentElement.lang").startswith("en"):  # the longer headings
                page.locator("header [data-action=language]").click()
                page.locator("#report-table thead th", has_text="Average unit cost").wait_for()
            width = size["viewport"]["width"]
            assert not overflows(page, "html"), width
            if width >= 1280:  # at a desk the whole table shows; on a phone it scrolls inside its own box
                assert not overflows(page, "#report-output .scroll"), width
            else:
                assert page.evaluate("getComputedStyle(document.querySelector('#report-output .scroll')).overflowX") == "auto"
        finally:
            context.close()


# 7 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"])
def test_people_who_do_not_work_in_a_warehouse_go_straight_home_to_what_their_permissions_allow(
        browser, client, live_server, world, as_role, db):
    _, po = pending_order(client, as_role, [{"sku": "PEN", "qty": "10", "unit_price": "2"}])
    assert post_move(client, as_role("warehouse"), "PEN", 8, "SUPPLIER", "B1", unit_cost="1").status_code == 201
    for username, roles in [("boss", ["approver"]), ("seller", ["sales"]), ("accountant", ["finance"]), ("picker", ["warehouse"])]:
        add_user(db, username, roles)  # every warehouse
    signed_in = client.post("/api/v1/auth/login", json={"username": "boss", "password": PASSWORD}).json()
    assert "purchase.approve" in signed_in["user"]["permissions"] and "stock.move" not in signed_in["user"]["permissions"]

    def tiles(username: str):  # type: ignore[no-untyped-def]
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, username)
        page.locator("[data-task=issues], .tiles button").first.wait_for()
        return context, page, page.evaluate("[...document.querySelectorAll('main .tiles button')].map((b) => b.dataset.task || b.textContent)")

    context, page, shown = tiles("boss")
    try:
        assert shown == ["stock", "approvals", "issues", "office", "退出"]
        page.locator("[data-task=approvals] .badge").wait_for()
        open_approval(page, po["number"])
        page.evaluate("location.hash = '#/receive'")  # a warehouse screen is not theirs: home again
        page.wait_for_function("() => document.querySelector('main').dataset.screen === 'home'")
        page.evaluate("location.hash = '#/stock/PEN'")
        page.locator("#stock-result tr[data-warehouse=WH1] [data-field=qty]", has_text="8").wait_for()
    finally:
        context.close()
    for username, expected in (("seller", ["stock", "order", "orders", "customers", "issues", "office", "退出"]),  # a salesperson takes orders too
                               ("accountant", ["stock", "issues", "office", "退出"])):
        context, page, shown = tiles(username)
        context.close()
        assert shown == expected, username
    context, page, shown = tiles("picker")  # a warehouse worker picks the warehouse first, as before
    try:
        assert shown == ["WH1", "WH2"]
        page.get_by_role("button", name="WH1").click()
        page.locator("[data-task=receive]").wait_for()
        assert {"receive", "pick", "putaway", "count", "stock", "issues", "office"} <= set(
            page.evaluate("[...document.querySelectorAll('main .tiles [data-task]')].map((b) => b.dataset.task)"))
    finally:
        context.close()
