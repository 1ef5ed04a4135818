"""The back office in a real Chromium (Debian's, through Playwright): a clerk at a desk (1280×800) looks up items,
partners, bins, orders and reports in Chinese and English, exports reports and prints labels; the same screens on a
phone (390×844) keep their navigation above the content and never scroll sideways."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tests.helpers import PASSWORD, PEN_EACH, add_user, post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock

pytestmark = pytest.mark.browser
DESK = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US", "accept_downloads": True}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
SECTIONS = ["items", "partners", "locations", "purchase-orders", "sales-orders", "reports"]
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


def use_language(page, lang: str) -> None:  # type: ignore[no-untyped-def]
    """Switch with the navigation's language button, and wait until the screen is drawn again in that language."""
    if not page.evaluate("document.documentElement.lang").startswith(lang):
        page.locator(".office-nav [data-nav=language]").click()
        page.wait_for_function(f"() => document.documentElement.lang.startsWith('{lang}')")
    title = {"en": "Back office", "zh": "后台"}[lang]
    page.wait_for_function(f"() => document.querySelector('#app h2').textContent.startsWith('{title}') && !document.querySelector('[aria-busy=true]')")


def visit(page, hash_: str, ready: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(f"location.hash = {hash_!r}")
    page.locator(ready).first.wait_for()


def cells(page, selector: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return page.evaluate("(s) => [...document.querySelectorAll(s)].map((r) => [...r.cells].map((c) => c.textContent))", selector)


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
        assert cells(page, "#office-body tbody tr") == [["PEN", "Gel pen", "pcs", "None", "Active"]]
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
            [str(l["line"]), l["sku"], l["name_en"], l["qty"], l["unit_price"], l["vat_rate"], l["net"], l["received"], l["accepted"], l["billed"]]
            for l in po["lines"]]
        assert page.locator("[data-field=total] td").inner_text() == f"{po['total']} CNY"
        assert page.locator("#po-lines td.num").count() == 8 * len(po["lines"])  # figures are right-aligned
        assert page.locator(".facts [data-field=status] dd").inner_text() == "Draft"

        credit = api.get("/api/v1/customers/CUS1/credit")
        visit(page, "#/office/partners/CUS1", "#partner-credit tr[data-field=credit]")
        assert cells(page, "#partner-credit tbody tr") == [[credit["credit_limit"], credit["open_receivables"], credit["open_orders"],
                                                            credit["exposure"], credit["available_credit"]]]
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
        shown = lambda value: "" if value is None else str(value)  # noqa: E731
        assert cells(page, "#report-table thead tr") == [[c["title_en"] for c in body["columns"]]]
        assert cells(page, "#report-table tbody tr") == [[shown(row[k]) for k in keys] for row in body["rows"]]
        assert cells(page, "#report-table tfoot tr") == [["Total" if i == 0 else shown(body["totals"].get(k)) for i, k in enumerate(keys)]]
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
        for _ in range(20):  # on through the language button and the filters to the first partner
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
                             ("#/office/reports/stock_balance", "#report-table tbody tr")]:
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
