"""Every screen of the app, in Chinese and in English, on a phone (390×844) and a desk (1280×800): drawn with no
untranslated text, in the language chosen, with no serious or critical accessibility problem (axe-core) and nothing
reaching beyond the screen's edge, and photographed into docs/screenshots/ (the README shows some of them)."""

from __future__ import annotations

import pathlib
import re

import pytest

from tests.accessibility import accessibility_problems, overflowing
from tests.helpers import PASSWORD, PEN_EACH, add_user, post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock
from tests.test_pwa_inbox import catalog_on_the_phone

pytestmark = pytest.mark.browser
SHOTS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZES = {"phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True},
         "desk": {"viewport": {"width": 1280, "height": 800}}}
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def busy_day(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """A warehouse with something on every screen: stock, an order to receive, one to approve, one to pick, one to pack, a count,
    a label printer."""
    admin, purchaser, sales, warehouse = (Api(client, as_role(role)) for role in ("admin", "purchaser", "sales", "warehouse"))
    supplier_and_dock(admin)
    customer_and_areas(admin)
    for sku, qty, target in [("PEN", 40, "B1"), ("PEN", 6, "B2"), ("RICE", 12, "B2")]:
        assert post_move(client, as_role("warehouse"), sku, qty, "SUPPLIER", target, unit_cost="2").status_code == 201
    numbers = {}
    for key, qty in (("receive", "20"), ("approve", "8")):
        po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [
            {"sku": "PEN", "qty": qty, "unit_price": "2"}, {"sku": "RICE", "qty": "4", "unit_price": "5"}]}, expect=201)
        po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
        if key == "receive":
            Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
        else:
            po = purchaser.patch(f"/api/v1/purchase-orders/{po['number']}", {"version": po["version"], "lines": [
                {"sku": "PEN", "qty": "12", "unit_price": "2"}, {"sku": "RICE", "qty": "4", "unit_price": "5"}]})
        numbers[key] = po["number"]
    orders = []
    for qty in ("3", "2"):
        so = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": qty, "unit_price": "3"}]},
                        expect=201)
        sales.post(f"/api/v1/sales-orders/{so['number']}/confirm", {"version": so["version"]})
        orders.append(so["number"])
    wave = warehouse.post("/api/v1/waves", {"warehouse": "WH1", "orders": orders}, expect=201)
    warehouse.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": "3", "location": "B1"})  # the first is ready to pack
    numbers["pack"] = orders[0]
    numbers["requisition"] = warehouse.post("/api/v1/requisitions", {"warehouse": "WH1", "needed_by": "2027-03-01", "note": "Q2 stock",
                                                                    "lines": [{"sku": "PEN", "qty": "30"}]}, expect=201)["number"]
    numbers["count"] = admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B2"]}, expect=201)["number"]
    admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Dock 1", "host": "192.0.2.10"}, expect=201)
    add_user(db, "lead", ["admin"], ["WH1"])
    return numbers


def screens(numbers: dict[str, str]) -> list[tuple[str, str, str]]:
    """(name, hash, what shows it is drawn) for every screen."""
    return [
        ("home", "#/home", "[data-task=receive]"),
        ("scan", f"#/scan/{PEN_EACH}", "#scan-result [data-kind=item]"),
        ("receive-list", "#/receive", f"[data-po='{numbers['receive']}']"),
        ("receive", f"#/receive/{numbers['receive']}", "tr[data-sku=PEN] [data-field=received]"),
        ("putaway", "#/putaway", "main[data-screen=putaway] h2"),
        ("pick", "#/pick", "#pick [data-field=location]"),
        ("pack-list", "#/pack", f"[data-so='{numbers['pack']}']"),
        ("pack", f"#/pack/{numbers['pack']}", "#pack tr[data-sku=PEN]"),
        ("transfer", "#/transfer", "#transfer [data-field=from]"),
        ("count-list", "#/count", "main[data-screen=count] button"),
        ("count", f"#/count/{numbers['count']}", "#count"),
        ("stock", "#/stock/PEN", "#stock-result tr[data-warehouse=WH1]"),
        ("approvals", "#/approvals", f"[data-po='{numbers['approve']}']"),
        ("approval", f"#/approvals/{numbers['approve']}", "#changes li"),
        ("requisition-approval", f"#/approvals/requisition/{numbers['requisition']}", "#req-lines tr[data-sku=PEN]"),
        ("issues", "#/issues", "[data-state=rejected]"),
        ("customers", "#/customers", "[data-customer=CUS1]"),
        ("orders", "#/orders", f"[data-so='{numbers['pack']}']"),
        ("new-order", "#/order/CUS1", "#new-order"),
        ("office-items", "#/office/items", "#office-body table"),
        ("office-item", "#/office/items/PEN", "#item-barcodes"),
        ("office-partners", "#/office/partners", "#office-body table"),
        ("office-locations", "#/office/locations", "#location-tree li"),
        ("office-orders", "#/office/purchase-orders", "#office-body table"),
        ("office-order", f"#/office/purchase-orders/{numbers['approve']}", "#po-lines"),
        ("office-sales-orders", "#/office/sales-orders", "#office-body table"),
        ("office-reports", "#/office/reports", "#office-body"),
        ("office-report", "#/office/reports/stock_balance", "#report-output table"),
        ("office-users", "#/office/users", "#user-list"),
        ("office-printers", "#/office/printers", "#printer-list tr[data-printer]"),
        ("warehouse", "#/warehouse", "main[data-screen=warehouse] button"),
    ]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_screen_is_drawn_in_the_chosen_language_with_no_untranslated_text(browser, client, live_server, busy_day, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, options in SIZES.items():
        context = browser.new_context(**options, locale="zh-CN" if lang == "zh" else "en-US")
        try:
            page = context.new_page()
            page.goto(live_server.url + "/")
            page.locator("input[name=username]").wait_for()
            page.screenshot(path=SHOTS / f"{lang}-{size}-sign-in.png")
            page.locator("input[name=username]").fill("lead")
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("form button[type=submit]").click()
            page.locator("[data-task=receive]").wait_for()
            if not page.evaluate("document.documentElement.lang").startswith(lang):
                page.locator("[data-action=language]").click()
                page.wait_for_function(f"() => document.documentElement.lang.startsWith('{lang}')")
            catalog_on_the_phone(page)
            page.locator("[data-task=pick] .badge").wait_for()  # the day's tasks are on the device
            page.evaluate("import('/sync.js').then((sync) => sync.queue('transfer.confirm', {sku: 'PEN', qty: '1', from: 'B1', to: 'NOPE'}, 'PEN B1 → NOPE'))")
            for name, hash_, ready in screens(busy_day):
                page.evaluate(f"location.hash = {hash_!r}")
                page.locator(ready).first.wait_for(timeout=15000)
                page.wait_for_timeout(150)  # a list refreshed from the server draws once more
                missing = page.evaluate("[...globalThis.cangkuMissingText]")
                assert missing == [], f"{name} ({lang}, {size}) shows untranslated keys: {missing}"
                chrome = " ".join(page.locator("main h2, main button, main th, main label, main .muted, header, #scanbar").all_inner_texts())
                if lang == "en":  # names and supplier data may be Chinese; what the app itself says may not (but its name
                    # and the switch to Chinese, which is offered in Chinese)
                    assert not CJK.search(chrome.replace("仓库", "").replace("中文", "")), f"{name} ({size}) shows Chinese in English: {chrome[:300]}"
                else:
                    assert CJK.search(chrome.replace("仓库", "")), f"{name} ({size}) says nothing in Chinese"
                assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth + 1"), f"{name} ({size}) scrolls sideways"
                assert overflowing(page) == [], f"{name} ({size}): reaches beyond the screen's edge: {overflowing(page)}"
                problems = accessibility_problems(page)
                assert problems == [], f"{name} ({lang}, {size}): accessibility problems: {problems}"
                small = page.evaluate("""[...document.querySelectorAll('main button, main input, main select, header button, #scanbar button')]
                  .filter((e) => e.offsetParent !== null).map((e) => [e.textContent.trim() || e.name, e.getBoundingClientRect()])
                  .filter(([, r]) => r.height < 47.5 || r.width < 47.5).map(([what, r]) => `${what} ${Math.round(r.width)}×${Math.round(r.height)}`)""")
                assert small == [], f"{name} ({size}): touch targets under 48 px: {small}"
                page.screenshot(path=SHOTS / f"{lang}-{size}-{name}.png")
        finally:
            context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_desk_user_signs_in_receives_and_goes_home_with_the_keyboard_alone(browser, client, live_server, busy_day):
    from tests.helpers import PEN_CARTON

    context = browser.new_context(**SIZES["desk"], locale="en-US")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.locator("input[name=username]").wait_for()
        assert page.evaluate("document.activeElement.name") == "username"  # the form takes the keyboard at once
        page.keyboard.type("lead")  # as fast as a scanner: on a screen that takes no scans it is still just typing
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.locator("[data-task=receive]").wait_for()
        catalog_on_the_phone(page)  # what a scan names is looked up on the device

        def tab_to(selector: str) -> None:
            for _ in range(40):
                page.keyboard.press("Tab")
                if page.evaluate(f"document.activeElement.matches({selector!r})"):
                    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # focus is visible
                    return
            raise AssertionError(f"Tab never reached {selector}")

        tab_to("[data-task=receive]")
        page.keyboard.press("Enter")
        page.locator(f"[data-po='{busy_day['receive']}']").wait_for()
        tab_to(f"[data-po='{busy_day['receive']}'] button")
        page.keyboard.press("Enter")
        page.locator("tr[data-sku=PEN] [data-field=received]").wait_for()
        assert page.evaluate("document.activeElement.id") == "scan"  # a working screen puts the keyboard in the scan field
        page.keyboard.type(PEN_CARTON)  # typed like a scanner would
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelector('tr[data-sku=PEN] [data-field=pending]').textContent !== '0'")
        page.keyboard.press("Shift+Tab")
        for _ in range(10):
            if page.evaluate("document.activeElement.id") == "home":
                break
            page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        page.locator("[data-task=receive]").wait_for()
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_home_screen_drawn_again_keeps_the_focus_on_the_tile_that_had_it(browser, client, live_server, busy_day):
    context = browser.new_context(**SIZES["desk"], locale="en-US")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.locator("input[name=username]").fill("lead")
        page.locator("input[name=password]").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.locator("[data-task=pick]").focus()
        page.evaluate("() => { window.before = document.activeElement; window.dispatchEvent(new HashChangeEvent('hashchange')); }")
        page.wait_for_function("() => document.querySelector('[data-task=pick]') !== window.before")  # drawn again
        assert page.evaluate("document.activeElement.dataset.task") == "pick"  # Enter now opens what the worker chose
    finally:
        context.close()
