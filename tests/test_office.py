"""The back office in a real Chromium (Debian's, through Playwright): a clerk at a desk (1280×800) looks up items,
partners, bins, orders and reports in Chinese and English, exports reports and prints labels; the same screens on a
phone (390×844) keep their navigation above the content and never scroll sideways."""

from __future__ import annotations

import csv
import io

import httpx
import openpyxl
import pytest

from tests.helpers import PASSWORD, PEN_EACH, add_user, post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock

pytestmark = pytest.mark.browser
DESK = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US", "accept_downloads": True}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
# The clerk is an administrator: the last three sections are theirs.
SECTIONS = ["items", "partners", "locations", "categories", "requisitions", "purchase-orders", "receipts", "bills", "purchase-returns", "purchase-plan", "quotes", "sales-orders", "waves", "invoices",
            "returns", "sales-contracts", "service-tickets", "transfers", "stocktakes", "moves", "reservations", "trace", "payments", "journal", "trial-balance", "ageing", "statements", "exchange-rates", "periods", "reports", "users", "printers", "imports", "webhooks", "approval-rules"]
REPORTS = "/api/v1/reports"


@pytest.fixture
def company(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """WH1 with stock that came in and went out today, an order to a supplier and one from a customer, and a clerk."""
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    customer_and_areas(admin, credit_limit="1000")
    worker = as_role("warehouse")
    for sku, qty, source, target, extra in [("PEN", 30, "SUPPLIER", "B1", {"unit_cost": "2"}), ("RICE", 10, "SUPPLIER", "B2", {"unit_cost": "4"}),
                                             ("PEN", 12, "B1", "CUSTOMER", {}), ("RICE", 3, "B2", "CUSTOMER", {}), ("PEN", 1, "B1", "SCRAP", {})]:
        assert post_move(client, worker, sku, qty, source, target, **extra).status_code == 201
    purchaser = Api(client, as_role("purchaser"))
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [
        {"sku": "PEN", "qty": "20", "unit_price": "2.5"}, {"sku": "RICE", "qty": "5", "unit_price": "4"}]}, expect=201)
    so = Api(client, as_role("sales")).post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [
        {"sku": "PEN", "qty": "5", "unit_price": "3"}]}, expect=201)
    add_user(db, "clerk", ["admin"])
    return {"api": admin, "po": po["number"], "so": so["number"]}


def open_office(browser, live_server, context_options=DESK):  # type: ignore[no-untyped-def]
    """A signed-in clerk's page on the back office's item list."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.locator("input[name=username]").fill("clerk")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.get_by_role("button", name="WH1").click()  # an admin works in every warehouse: the app asks which one first
    page.locator("[data-task=office]").click()
    page.locator("#office-body table").first.wait_for()
    return context, page


def open_section(page, key: str) -> None:  # type: ignore[no-untyped-def]
    """Choose a section from the menu as a person does: its group opened first when it is folded away."""
    link = page.locator(f".office-nav [data-nav={key}]")
    if not link.is_visible():
        page.locator(".office-nav details", has=page.locator(f"[data-nav={key}]")).locator("summary").click()
    link.click()


def use_language(page, lang: str) -> None:  # type: ignore[no-untyped-def]
    """Switch with the header's language button, and wait until the screen is drawn again in that language."""
    if not page.evaluate("document.documentElement.lang").startswith(lang):
        page.locator("header [data-action=language]").click()
        page.wait_for_function(f"() => document.documentElement.lang.startsWith('{lang}')")
    title = {"en": "Back office", "zh": "后台"}[lang]
    page.wait_for_function(f"() => document.querySelector('#app h2').textContent.startsWith('{title}') && !document.querySelector('[aria-busy=true]')")


def visit(page, hash_: str, ready: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(f"location.hash = {hash_!r}")
    page.locator(ready).first.wait_for()


def cells(page, selector: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return page.evaluate("(s) => [...document.querySelectorAll(s)].map((r) => [...r.cells].map((c) => c.textContent))", selector)


def money(value: str) -> str:
    """An amount as the screens show the API's figure: thousands separated, at least two decimals (12,345.60)."""
    whole, _, fraction = value.partition(".")
    return f"{int(whole):,}.{fraction.rstrip('0').ljust(2, '0')}"


def walk_every_section(page, company) -> None:  # type: ignore[no-untyped-def]
    visit(page, "#/office/items", "#office-body tr[data-sku=PEN]")
    visit(page, "#/office/items/PEN", "#item-stock tr[data-location=B1]")
    visit(page, "#/office/partners", "#office-body tr[data-partner=CUS1]")
    visit(page, "#/office/partners/CUS1", "#partner-credit tr[data-field=credit]")
    visit(page, "#/office/locations", "#location-tree li[data-location=WH1]")
    page.locator("li[data-location=WH1] .opener").click()
    page.locator("li[data-location=Z1]").wait_for()
    visit(page, "#/office/purchase-orders", f"tr[data-po='{company['po']}']")
    visit(page, f"#/office/purchase-orders/{company['po']}", "#po-lines tr[data-sku=PEN]")
    page.locator("[data-version='1']").click()
    page.locator("#po-changes h5").wait_for()
    visit(page, "#/office/sales-orders", f"tr[data-so='{company['so']}']")
    visit(page, f"#/office/sales-orders/{company['so']}", "#so-lines tr[data-sku=PEN]")
    visit(page, "#/office/users", "#user-list tr[data-user=clerk]")
    visit(page, "#/office/printers", "#printer-form")
    visit(page, "#/office/reports", "#report-list li[data-report=stock_balance]")
    visit(page, "#/office/reports/stock_balance", "#report-table tbody tr")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_clerk_walks_every_section_in_english_and_chinese_and_no_text_is_missing(browser, client, live_server, company):
    context, page = open_office(browser, live_server)
    try:
        for lang in ("en", "zh"):
            use_language(page, lang)
            walk_every_section(page, company)
            nav = page.locator(".office-nav a")
            assert nav.count() == len(SECTIONS)
            assert page.locator(".office-nav a[aria-current=page]").get_attribute("data-nav") == "reports"
            # Wide screen: the sections are a column on the left, the content beside it.
            nav_box, body_box = page.locator(".office-nav").bounding_box(), page.locator("#office-body").bounding_box()
            assert nav_box["x"] + nav_box["width"] <= body_box["x"] and nav_box["y"] < body_box["y"] + body_box["height"]
            assert page.locator("#app h2").inner_text() == {"en": "Back office · Reports", "zh": "后台 · 报表"}[lang]
            assert page.locator("#scanbar").is_hidden()
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
        # Names follow the language: the item is 中性笔 in Chinese, Gel pen in English.
        visit(page, "#/office/items", "#office-body tr[data-sku=PEN]")
        assert page.locator("tr[data-sku=PEN] td").nth(1).inner_text() == "中性笔"
        use_language(page, "en")
        page.locator("tr[data-sku=PEN] td", has_text="Gel pen").wait_for()
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_item_list_shows_the_catalog_and_a_search_narrows_it(browser, client, live_server, company):
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        page.locator("tr[data-sku=PEN]").wait_for()
        assert [r[0] for r in cells(page, "#office-body tbody tr")] == ["MILK", "PEN", "PHONE", "RICE"]
        assert page.locator("[data-field=range]").inner_text() == "1–4 / 4"
        page.locator("input[name=search]").fill("pen")
        page.get_by_role("button", name="Find").click()
        page.wait_for_function("() => document.querySelectorAll('#office-body tbody tr').length === 1")
        assert cells(page, "#office-body tbody tr") == [["PEN", "Gel pen", "", "pcs", "None", "Active"]]  # no category
        page.locator("input[name=search]").fill(PEN_EACH)  # a scanned barcode finds its item too
        page.locator("input[name=search]").press("Enter")
        page.wait_for_function("() => document.querySelector('[data-field=range]').textContent === '1–1 / 1'")
        page.locator("input[name=search]").fill("nothing like this")
        page.locator("input[name=search]").press("Enter")
        page.get_by_text("Nothing found").wait_for()

        # The item: its barcodes, its stock by bin, and its label as a PDF under the server's name.
        visit(page, "#/office/items/PEN", "#item-stock tr[data-location=B1]")
        assert [r[0] for r in cells(page, "#item-barcodes tbody tr")] == [PEN_EACH, "16901234000013"]
        assert cells(page, "#item-stock tbody tr") == [["WH1", "B1", "", "", "17", "0", "17"]]
        with page.expect_download() as download:
            page.locator("[data-action=print-label]").click()
        assert download.value.suggested_filename == "label-PEN.pdf"
        assert open(download.value.path(), "rb").read().startswith(b"%PDF")

        # Back to the list: the search is as it was left.
        page.locator("a.back").click()
        page.get_by_text("Nothing found").wait_for()
        assert page.locator("input[name=search]").input_value() == "nothing like this"
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_purchase_order_shows_its_lines_totals_and_versions_and_a_customer_its_credit(browser, client, live_server, company):
    api = company["api"]
    po = api.get(f"/api/v1/purchase-orders/{company['po']}")
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        visit(page, "#/office/purchase-orders", f"tr[data-po='{po['number']}']")
        page.locator("select[name=status]").select_option("approved")  # a filter: no approved order yet
        page.get_by_text("Nothing found").wait_for()
        page.locator("select[name=status]").select_option("draft")
        page.locator(f"tr[data-po='{po['number']}']").wait_for()
        page.locator(f"a[href='#/office/purchase-orders/{po['number']}']").click()
        page.locator("#po-lines tr[data-sku=PEN]").wait_for()
        assert cells(page, "#po-lines tbody tr") == [
            [str(l["line"]), l["sku"], l["name_en"], l["qty"], money(l["unit_price"]), l["vat_rate"], money(l["net"]), l["received"], l["accepted"],
             l["returned"], l["billed"]]
            for l in po["lines"]]  # noqa: E741
        assert page.locator("[data-field=total] td").inner_text() == f"{money(po['total'])} CNY"
        assert page.locator("#po-lines td.num").count() == 9 * len(po["lines"])  # figures are right-aligned
        assert page.locator(".facts [data-field=status] dd").inner_text() == "Draft"

        credit = api.get("/api/v1/customers/CUS1/credit")
        visit(page, "#/office/partners/CUS1", "#partner-credit tr[data-field=credit]")
        assert cells(page, "#partner-credit tbody tr") == [[money(credit[key]) for key in
                                                            ("credit_limit", "open_receivables", "open_orders", "exposure", "available_credit")]]
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_report_runs_as_the_api_answers_and_exports_the_same_csv_and_a_workbook(browser, client, live_server, company):
    api = company["api"]
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        visit(page, "#/office/reports", "#report-list li[data-report=stock_balance]")
        page.get_by_role("link", name="Stock balance").click()
        page.locator("#report-table tbody tr").first.wait_for()
        page.locator("select[name=group_by]").select_option("warehouse")
        page.locator("[data-action=run]").click()
        page.wait_for_function("() => document.querySelector('#report-table') && !document.querySelector('#report-table [data-key=location]')")

        params = {"tz": "Asia/Shanghai", "group_by": "warehouse"}
        body = api.get(f"{REPORTS}/stock_balance", **params)
        keys = [c["key"] for c in body["columns"]]
        amounts = {c["key"] for c in body["columns"] if c["type"] in ("money", "cost")}
        shown = lambda key, value: "" if value is None else money(str(value)) if key in amounts else str(value)  # noqa: E731
        assert cells(page, "#report-table thead tr") == [[c["title_en"] for c in body["columns"]]]
        assert cells(page, "#report-table tbody tr") == [[shown(k, row[k]) for k in keys] for row in body["rows"]]
        assert cells(page, "#report-table tfoot tr") == [["Total" if i == 0 else shown(k, body["totals"].get(k)) for i, k in enumerate(keys)]]
        assert [r[0] for r in cells(page, "#report-table tbody tr")] == ["PEN", "RICE"]

        with page.expect_download() as download:
            page.locator("[data-action=csv]").click()
        expected = client.get(f"{REPORTS}/stock_balance", headers=api.headers, params={**params, "format": "csv", "lang": "en"})
        assert download.value.suggested_filename == expected.headers["content-disposition"].split('filename="')[1].split('"')[0]
        content = open(download.value.path(), "rb").read()
        assert content == expected.content
        assert list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[0] == [c["title_en"] for c in body["columns"]]

        with page.expect_download() as download:
            page.locator("[data-action=xlsx]").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == [c["title_en"] for c in body["columns"]]
        assert [r[0] for r in rows[1:3]] == ["PEN", "RICE"]

        # A parameter the server refuses: its own message is shown, in the user's language.
        page.locator("input[name=tz]").fill("Mars/Olympus")
        page.locator("[data-action=run]").click()
        page.get_by_role("alert").filter(has_text="Mars/Olympus").wait_for()
        assert page.locator("#notice").get_attribute("data-kind") == "error"
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_movement_charts_draw_a_point_per_day_and_a_bar_per_item(browser, client, live_server, company):
    api = company["api"]
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        visit(page, "#/office/reports/stock_value", "#chart-stock-value circle")
        days = api.get(f"{REPORTS}/stock_value", tz="Asia/Shanghai")["rows"]
        points = page.evaluate("[...document.querySelectorAll('#chart-stock-value circle')].map((c) => [c.dataset.day, c.dataset.value,"
                               " c.querySelector('title').textContent])")
        assert len(points) == len(days) == 30
        assert [(day, value) for day, value, _ in points] == [(d["day"], d["value"]) for d in days]
        assert days[-1]["value"] != "0" and days[-1]["value"] in points[-1][2] and days[-1]["day"] in points[-1][2]
        assert page.locator("#chart-stock-value svg text", has_text=days[-1]["day"]).count() == 1  # the axis names the last day

        visit(page, "#/office/reports/top_movers", "#chart-top-movers rect")
        movers = api.get(f"{REPORTS}/top_movers", tz="Asia/Shanghai", limit=10)["rows"]
        bars = page.evaluate("[...document.querySelectorAll('#chart-top-movers rect')].map((r) => [r.dataset.sku, r.dataset.value,"
                             " r.getBBox().width])")
        assert [(sku, value) for sku, value, _ in bars] == [(m["sku"], m["qty_out"]) for m in movers] == [("PEN", "13"), ("RICE", "3")]
        assert bars[0][2] > bars[1][2] > 0  # the longer bar is the bigger figure
        assert "Gel pen" in page.locator("#chart-top-movers rect[data-sku=PEN] title").text_content()
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_bins_of_a_zone_print_as_one_pdf_from_the_location_tree(browser, client, live_server, company):
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        visit(page, "#/office/locations", "#location-tree li[data-location=WH1]")
        assert page.evaluate("[...document.querySelectorAll('#location-tree > li')].map((li) => li.dataset.location)") == ["WH1", "WH2"]
        opener = page.locator("li[data-location=WH1] > .node .opener")
        opener.click()
        page.locator("li[data-location=Z1]").wait_for()
        assert opener.get_attribute("aria-expanded") == "true"
        page.locator("li[data-location=Z1] > .node .opener").click()
        page.locator("li[data-location=B3]").wait_for()
        assert page.evaluate("[...document.querySelectorAll('li[data-location=Z1] > ul > li')].map((li) => li.dataset.location)") == ["B1", "B2", "B3"]
        page.locator("select[name=size]").select_option("a4-3x8")
        with page.expect_download() as download:
            page.locator("li[data-location=Z1] > .node [data-action=print-bins]").click()
        assert download.value.suggested_filename == "label-location-3.pdf"
        assert open(download.value.path(), "rb").read().startswith(b"%PDF")

        # A zone with no bins: the server says there is nothing to print, and the page shows it.
        page.locator("li[data-location=WH1-DOCK] > .node [data-action=print-bins]").click()
        page.get_by_role("alert").filter(has_text="Nothing to print").wait_for()
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_back_office_works_from_the_keyboard_alone(browser, client, live_server, company):
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        page.locator(".office-nav [data-nav=items]").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.locator("tr[data-partner=CUS1]").wait_for()
        # The focus stays on the section just chosen, drawn with a visible outline.
        assert page.evaluate("document.activeElement.dataset.nav") == "partners"
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        for _ in range(24):  # on through the other sections, the language button and the filters to the first partner
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.getAttribute('href')") == "#/office/partners/CUS1":
                break
        else:
            pytest.fail("the first partner could not be reached with the Tab key")
        page.keyboard.press("Enter")
        page.locator("#partner-credit tr[data-field=credit]").wait_for()
        assert page.evaluate("document.activeElement.tagName") == "H2"  # the new page starts at its heading
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_on_a_phone_the_sections_are_buttons_above_the_content_and_nothing_scrolls_sideways(browser, client, live_server, company):
    context, page = open_office(browser, live_server, PHONE)
    try:
        use_language(page, "zh")
        for hash_, ready in [("#/office/items", "tr[data-sku=PEN]"), ("#/office/items/PEN", "#item-stock tr"),
                             ("#/office/partners/CUS1", "#partner-credit tr"), ("#/office/locations", "li[data-location=WH1]"),
                             (f"#/office/purchase-orders/{company['po']}", "#po-lines tr[data-sku=PEN]"),
                             (f"#/office/sales-orders/{company['so']}", "#so-lines tr"),
                             ("#/office/reports/stock_balance", "#report-table tbody tr"), ("#/office/users", "#user-list tr[data-user=clerk]"),
                             ("#/office/printers", "#printer-form")]:
            visit(page, hash_, ready)
            nav_box, body_box = page.locator(".office-nav").bounding_box(), page.locator("#office-body").bounding_box()
            assert nav_box["y"] + nav_box["height"] <= body_box["y"], hash_
            # (A phone browser zooms out to fit a page that is too wide, so the width is checked against the screen's too.)
            assert page.evaluate("[document.scrollingElement.scrollWidth <= innerWidth, innerWidth]") == [True, 390], hash_
        sizes = page.evaluate("[...document.querySelectorAll('.office-nav a, .office-nav button, #office-body button')]"
                              ".filter((e) => e.offsetParent).map((e) => e.getBoundingClientRect().height)")
        assert sizes and min(sizes) >= 48
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_administrator_sees_an_account_locked_by_failed_sign_ins_and_unlocks_it(browser, client, live_server, company, db):
    add_user(db, "wang", ["warehouse"])
    sign_in = f"{live_server.url}/api/v1/auth/login"
    for _ in range(5):
        assert httpx.post(sign_in, json={"username": "wang", "password": "a wrong guess"}).status_code == 401
    assert httpx.post(sign_in, json={"username": "wang", "password": PASSWORD}).status_code == 429
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        visit(page, "#/office/users", "#user-list tr[data-user=wang]")
        assert page.locator("[data-field=locked-count]").inner_text() == "Accounts locked after too many failed sign-ins: 1"
        assert "Locked until" in page.locator("tr[data-user=wang]").inner_text()
        assert "Not locked" in page.locator("tr[data-user=clerk]").inner_text()
        assert page.locator("[data-action=unlock]").count() == 1
        page.get_by_role("button", name="Unlock wang").click()
        page.locator("tr[data-user=wang]", has_text="Not locked").wait_for()
        assert page.locator("#notice").inner_text() == "Unlocked: wang"
        assert page.locator("[data-action=unlock]").count() == 0
        assert page.evaluate("document.activeElement.dataset.field") == "locked-count"
        use_language(page, "zh")
        visit(page, "#/office/users", "#user-list tr[data-user=wang]")
        assert page.locator("[data-field=locked-count]").inner_text() == "没有被锁定的账号"
        assert "正常" in page.locator("tr[data-user=wang]").inner_text()
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()
    assert httpx.post(sign_in, json={"username": "wang", "password": PASSWORD}).status_code == 200
    entries = company["api"].get("/api/v1/audit", action="user.unlock")["items"]
    assert [(e["username"], e["target_id"]) for e in entries] == [("clerk", "wang")]


def save_printer(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#printer-form [data-action=save]").click()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_administrator_adds_a_label_printer_is_told_why_an_address_is_refused_and_that_a_test_print_did_not_arrive(
        browser, client, live_server, company):
    api = company["api"]
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        open_section(page, "printers")
        page.locator("#printer-form").wait_for()
        assert page.locator("#printer-list").inner_text() == "No label printer yet"
        assert page.locator("#printer-form input[name=port]").input_value() == "9100"
        assert page.locator("#printer-form select[name=active]").is_hidden()  # a new printer is active

        # A printer on this server itself: refused, said in the form and the notice, what was typed still there.
        page.locator("#printer-form select[name=warehouse]").select_option("WH1")
        page.get_by_label("Name", exact=True).fill("Dock 1")
        page.get_by_label("Host (IP address or name)", exact=True).fill("127.0.0.1")
        save_printer(page)
        page.locator("[data-field=form-error]", has_text="loopback").wait_for()
        assert page.locator("[data-field=form-error]").inner_text().startswith("127.0.0.1:9100 is this server itself (a loopback address)")
        assert page.locator("#notice").get_attribute("data-kind") == "error"
        assert "loopback" in page.locator("#notice").inner_text()
        host = page.locator("#printer-form input[name=host]")
        assert (host.input_value(), host.get_attribute("aria-invalid")) == ("127.0.0.1", "true")
        assert page.evaluate("document.activeElement.name") == "host"
        assert page.locator("#printer-form input[name=name]").input_value() == "Dock 1"
        assert api.get("/api/v1/printers")["items"] == []

        # An address on the network: saved and listed; its test print does not arrive, and the page says so.
        host.fill("192.0.2.10")
        save_printer(page)
        page.locator("#printer-list tr[data-printer]").wait_for()
        assert cells(page, "#printer-list tbody tr") == [
            ["Dock 1", "Test printEdit", "WH1", "192.0.2.10:9100", "E:SIMSUN.TTF", "50 × 30 mm", "203", "Active"]]
        assert page.locator("#printer-form input[name=host]").input_value() == ""  # the form is ready for the next one
        page.get_by_role("button", name="Test print Dock 1").click()
        page.get_by_role("alert").filter(has_text="did not take the job").wait_for(timeout=15000)
        assert page.locator("#notice").inner_text().startswith("The label printer Dock 1 (192.0.2.10:9100) did not take the job")
        assert page.locator("#notice").get_attribute("data-kind") == "error"

        # Changed: another printer port, then this server's database port, which is refused.
        page.get_by_role("button", name="Edit Dock 1").click()
        assert page.locator("#printer-form-title").inner_text() == "Change label printer Dock 1"
        assert page.locator("#printer-form input[name=host]").input_value() == "192.0.2.10"
        assert page.locator("#printer-form select[name=active]").is_visible()
        assert page.locator("#printer-form select[name=warehouse]").is_disabled()  # a printer stays in its warehouse
        page.locator("#printer-form input[name=port]").fill("9101")
        save_printer(page)
        page.locator("#printer-list td", has_text="192.0.2.10:9101").wait_for()

        use_language(page, "zh")
        page.locator("#printer-list tr[data-printer]").wait_for()
        page.get_by_role("button", name="修改 Dock 1").click()
        page.locator("#printer-form input[name=port]").fill("5432")
        save_printer(page)
        page.locator("[data-field=form-error]", has_text="端口 5432 是本服务器自身服务").wait_for()
        assert page.locator("#printer-form input[name=port]").input_value() == "5432"
        assert page.evaluate("document.activeElement.name") == "port"
        page.locator("#printer-form [data-action=cancel]").click()
        assert page.locator("#printer-form-title").inner_text() == "添加标签打印机"

        page.get_by_label("名称", exact=True).fill("二号机")
        page.get_by_label("主机（IP 地址或主机名）", exact=True).fill("127.0.0.1")
        save_printer(page)
        page.locator("[data-field=form-error]", has_text="127.0.0.1:9100 是本服务器自身（环回地址），不是标签打印机。").wait_for()
        assert page.locator("#printer-form input[name=name]").input_value() == "二号机"
        page.get_by_role("button", name="打印测试标签 Dock 1").click()
        page.get_by_role("alert").filter(has_text="无法连接标签打印机 Dock 1（192.0.2.10:9101）").wait_for(timeout=15000)
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()
    assert [(p["name"], p["host"], p["port"]) for p in api.get("/api/v1/printers")["items"]] == [("Dock 1", "192.0.2.10", 9101)]
    assert [e["action"] for e in api.get("/api/v1/audit", target_type="printer")["items"]].count("printer.create") == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_warehouse_keeper_sees_the_quantities_and_a_dash_where_costs_and_prices_would_be(browser, client, live_server, company, db):
    add_user(db, "keeper", ["warehouse"], ["WH1"])
    context = browser.new_context(**DESK)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        page.locator("input[name=username]").fill("keeper")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").click()
        page.locator("[data-task=stock]").wait_for()
        page.evaluate("location.hash = '#/stock/PEN'")  # the stock look-up: quantities, as for everyone
        page.locator("#stock-result tr[data-warehouse=WH1] [data-field=qty]").wait_for()
        assert page.locator("#stock-result tr[data-warehouse=WH1] [data-field=qty]").inner_text() == "17"

        page.evaluate("location.hash = '#/office/items'")
        page.locator("#office-body table").first.wait_for()
        use_language(page, "en")
        visit(page, f"#/office/purchase-orders/{company['po']}", "#po-lines tr[data-sku=PEN]")
        assert [(r[3], r[4], r[6]) for r in cells(page, "#po-lines tbody tr")] == [("20", "—", "—"), ("5", "—", "—")]
        assert cells(page, "table.totals tbody tr") == [["Subtotal", "—"], ["Tax", "—"], ["Total", "—"]]
        visit(page, "#/office/purchase-orders", f"tr[data-po='{company['po']}']")
        assert cells(page, f"tr[data-po='{company['po']}']")[0][5] == "—"
        visit(page, f"#/office/sales-orders/{company['so']}", "#so-lines tr[data-sku=PEN]")
        assert [(r[3], r[4], r[5]) for r in cells(page, "#so-lines tbody tr")] == [("5", "—", "—")]
        assert cells(page, "table.totals tbody tr") == [["Subtotal", "—"], ["Tax", "—"], ["Total", "—"]]
        visit(page, "#/office/sales-orders", f"tr[data-so='{company['so']}']")
        assert cells(page, f"tr[data-so='{company['so']}']")[0][4] == "—"
        visit(page, "#/office/items/PEN", "#item-stock tr[data-location=B1]")
        visit(page, "#/office/reports/stock_balance", "#report-table tbody tr")
        assert not {"Value", "Average unit cost"} & set(cells(page, "#report-table thead tr")[0])
        for text in (page.locator("#office-body").inner_text(), page.locator("#app").inner_text()):
            assert "undefined" not in text and "NaN" not in text and "null" not in text
    finally:
        context.close()
