"""Importing at the desk (1280×800, Debian's Chromium): an administrator chooses what a file holds, reads the columns it
takes, checks the file — a bad line shows on its line and column and nothing comes in — then checks the corrected file
and imports it; the opening invoices are then in the books and in the ageing. In Chinese the page reads in Chinese;
someone who may not import does not find it in the menu, and the server does not list its columns for them."""

from __future__ import annotations

import datetime as dt

import pytest

from server.dates import local_today
from server.imports.services import COLUMNS
from tests.accessibility import accessibility_problems
from tests.desk import open_desk
from tests.helpers import add_user
from tests.stories import Api, customer_and_areas
from tests.test_desk_purchasing import no_text_missing, nothing_overflows, visit

browser_test = pytest.mark.browser


def csv_file(rows: list[list[str]]) -> dict:  # type: ignore[type-arg]
    """A CSV as a person saves it from Excel (UTF-8 with a BOM), for the page's file input."""
    text = "\r\n".join(",".join(row) for row in rows) + "\r\n"
    return {"name": "期初应收.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8-sig")}


def receivables(customer_on_line_3: str) -> dict:  # type: ignore[type-arg]
    today = local_today()
    return csv_file([
        ["客户编码", "单据号", "单据日期", "未结金额", "到期日"],
        ["CUS1", "SI-0901", (today - dt.timedelta(days=45)).isoformat(), "1130", ""],
        [customer_on_line_3, "SI-0777", (today - dt.timedelta(days=100)).isoformat(), "200.5", (today - dt.timedelta(days=90)).isoformat()],
    ])


@pytest.fixture
def company(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """WH1 and a customer CUS1, an administrator (boss) and a finance clerk (clerk)."""
    customer_and_areas(Api(client, as_role("admin")))
    add_user(db, "boss", ["admin"])
    add_user(db, "clerk", ["finance"], ["WH1"])
    return {"finance": Api(client, as_role("finance"))}


def choose(page, kind: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(f"#import-kinds input[value={kind}]").check()
    page.locator(f"#import-column-list tr[data-column={COLUMNS[kind][0].name}]").wait_for()


def check(page, file: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    page.locator("#import-form input[type=file]").set_input_files(file)
    page.locator("[data-action=check]").click()
    page.locator("#import-result [data-field=rows]").wait_for()


def cells(page, selector: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return page.evaluate("(s) => [...document.querySelectorAll(s)].map((r) => [...r.cells].map((c) => c.textContent))", selector)


# The columns a kind takes, from the importer's own list ------------------------------------------------------------------


def test_the_columns_of_each_kind_are_the_importers_own_and_only_an_administrator_reads_them(client, world, as_role):
    admin = Api(client, as_role("admin"))
    answer = admin.get("/api/v1/import/receivables/columns")
    assert answer["kind"] == "receivables"
    assert [(c["zh"], c["name"], c["required"]) for c in answer["columns"]] == [
        ("客户编码", "partner", True), ("单据号", "document", True), ("单据日期", "date", True), ("未结金额", "amount", True),
        ("到期日", "due_date", False), ("币种", "currency", False), ("汇率", "exchange_rate", False)]
    assert "customer" in answer["columns"][0]["aliases"]
    for kind, columns in COLUMNS.items():
        listed = admin.get(f"/api/v1/import/{kind}/columns")["columns"]
        assert [(c["name"], c["zh"], tuple(c["aliases"]), c["required"]) for c in listed] == [(c.name, c.zh, c.aliases, c.required) for c in columns]
    assert client.get("/api/v1/import/invoices/columns", headers=as_role("admin")).status_code == 400
    for role in ("finance", "purchaser", "warehouse"):
        refused = client.get("/api/v1/import/receivables/columns", headers=as_role(role))
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"


# The desk ---------------------------------------------------------------------------------------------------------------


@browser_test
@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_administrator_imports_opening_receivables_once_the_check_finds_the_file_clean(browser, client, live_server, company):
    finance = company["finance"]
    context, page = open_desk(browser, live_server, "boss")
    try:
        # From the menu: the administration group holds the import.
        page.locator(".office-nav details[data-group=admin] summary").click()
        page.locator(".office-nav [data-nav=imports]").click()
        page.locator("#import-kinds").wait_for()
        assert page.locator("#app h2").inner_text() == "Back office · Import"
        assert page.locator("#import-kinds label[data-kind=receivables]").inner_text().startswith("Opening receivables")
        assert "Customer code, document number, document date, open amount" in page.locator("#import-kinds label[data-kind=receivables]").inner_text()
        choose(page, "receivables")
        assert cells(page, "#import-column-list tbody tr")[:2] == [
            ["客户编码", "partner", "Required", "客户、往来单位编码、customer"], ["单据号", "document", "Required", "发票号、原单号、单号、document_number、invoice"]]
        assert cells(page, "#import-column-list tr[data-column=due_date]")[0][:3] == ["到期日", "due_date", "Optional"]
        with page.expect_download() as download:
            page.locator("[data-action=template]").click()
        assert download.value.suggested_filename == "import-receivables.csv"
        with open(download.value.path(), encoding="utf-8-sig") as template:
            assert template.read().strip() == "客户编码,单据号,单据日期,未结金额,到期日,币种,汇率"
        importing = page.locator("[data-action=import]")
        assert importing.is_disabled()

        # A customer nobody knows on line 3: the check says so on that line and column, and the import stays shut.
        check(page, receivables("NOBODY"))
        result = page.locator("#import-result")
        assert [result.locator(f"[data-field={key}] dd").inner_text() for key in ("rows", "created", "problems")] == ["2", "1", "1"]
        problems = cells(page, "#import-problems tbody tr")
        assert [p[:2] for p in problems] == [["3", "客户编码"]] and "NOBODY" in problems[0][2]
        assert importing.is_disabled()
        assert finance.get("/api/v1/invoices")["total"] == 0  # a check writes nothing

        # The corrected file: a new file shuts the import until it is checked; checked clean, it imports.
        page.locator("#import-form input[type=file]").set_input_files(receivables("CUS1"))
        assert importing.is_disabled() and result.inner_text() == ""
        page.locator("[data-action=check]").click()
        result.locator("[data-field=clean]").wait_for()
        assert [result.locator(f"[data-field={key}] dd").inner_text() for key in ("rows", "created", "problems")] == ["2", "2", "0"]
        assert page.locator("#import-problems").count() == 0
        importing.click()
        result.locator("[data-field=after]").wait_for()
        assert result.locator("h4").inner_text() == "Imported · Opening receivables"
        assert result.locator("[data-field=created] dd").inner_text() == "2"
        assert importing.is_disabled()  # the same file again would be refused: those documents are in the books
        no_text_missing(page)
        nothing_overflows(page)

        # In the books: two posted opening invoices, receivable and aged by their due dates.
        invoices = finance.get("/api/v1/invoices", kind="opening")["items"]
        assert sorted((i["note"], i["status"], i["total"]) for i in invoices) == [("SI-0777", "posted", "200.5"), ("SI-0901", "posted", "1130")]
        assert finance.account("1122") == "1330.5" and finance.account("4190") == "-1330.5"
        ageing = finance.get("/api/v1/reports/ar_ageing", format="json", group_by="document", partner="CUS1")["rows"]
        assert sorted((r["kind"], r["total_open"], r["days_past_due"]) for r in ageing) == [("opening", "1130", 15), ("opening", "200.5", 90)]

        # The link opens the invoice list on the opening invoices; one of them shows the number it had before.
        result.locator("a[data-section=invoices]").click()
        page.locator("tr[data-invoice]").first.wait_for()
        assert page.locator("select[name=kind]").input_value() == "opening"
        assert sorted(r[1] for r in cells(page, "tr[data-invoice]")) == ["Opening balance", "Opening balance"]
        old = next(i for i in invoices if i["note"] == "SI-0777")
        visit(page, f"#/office/invoices/{old['number']}", ".facts [data-field=note]")
        assert page.locator(".facts [data-field=note]").inner_text().split("\n") == ["Original document", "SI-0777"]
        assert page.locator(".facts [data-field=kind] dd").inner_text() == "Opening balance"
        assert page.locator("#invoice-lines").count() == 0
        no_text_missing(page)
    finally:
        context.close()


@browser_test
@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_import_page_reads_in_chinese(browser, client, live_server, company):
    context, page = open_desk(browser, live_server, "boss", lang="zh")
    try:
        visit(page, "#/office/imports/receivables", "#import-column-list tr[data-column=partner]")
        assert page.locator("#app h2").inner_text() == "后台 · 导入"
        assert page.locator("#import-kinds input[value=receivables]").is_checked()  # the kind in the address is chosen
        assert page.locator("#import-kinds label[data-kind=receivables]").inner_text().split("\n") == [
            "期初应收", "客户编码、单据号、单据日期、未结金额（可选：到期日、币种、汇率）"]
        assert cells(page, "#import-column-list thead tr") == [["中文列名", "英文字段名", "是否必填", "也可写作"]]
        check(page, receivables("NOBODY"))
        problem = cells(page, "#import-problems tbody tr")[0]
        assert problem == ["3", "客户编码", "没有往来单位 NOBODY。"]
        assert page.locator("#import-result [data-field=fix]").inner_text().startswith("请改正以下问题")
        assert accessibility_problems(page) == []
        for kind in COLUMNS:  # every kind's columns, each in Chinese
            choose(page, kind)
            assert page.locator("#import-columns h4").inner_text().startswith("文件的列 · ")
        no_text_missing(page)
        nothing_overflows(page)
    finally:
        context.close()


@browser_test
@pytest.mark.parametrize("backend", ["sqlite"])
def test_finance_does_not_find_the_import_in_the_menu(browser, client, live_server, company):
    context, page = open_desk(browser, live_server, "clerk")
    try:
        page.locator(".office-nav [data-nav=payments]").wait_for(state="attached")
        assert page.locator(".office-nav [data-nav=imports]").count() == 0
        page.evaluate("location.hash = '#/office/imports/receivables'")  # typed in: another section shows instead
        page.wait_for_function("() => !document.querySelector('[aria-busy=true]') && document.querySelector('.office-nav [aria-current=page]')")
        assert page.locator("#import-kinds").count() == 0
        assert page.locator(".office-nav [aria-current=page]").get_attribute("data-nav") != "imports"
    finally:
        context.close()
