"""Statements at the desk (1280×800, Debian's Chromium): a finance clerk shows a supplier's statement for a period —
brought forward, each document with its running balance, carried forward — opens a document from it, and prints it.
In Chinese, the page reads in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest

from server.dates import local_today
from tests.desk import open_desk
from tests.helpers import add_user
from tests.stories import Api, supplier_and_dock
from tests.test_desk_purchasing import no_text_missing, nothing_overflows, visit
from tests.test_import import table_file, upload

browser_test = pytest.mark.browser


@pytest.fixture
def owed(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """SUP1 was owed 1,000 (PI-1, 40 days ago) and was paid 300 of it 20 days ago and 200 today."""
    admin, finance = Api(client, as_role("admin")), Api(client, as_role("finance"))
    supplier_and_dock(admin)
    add_user(db, "clerk", ["finance"], ["WH1"])
    today = local_today()
    opening = table_file("csv", [["供应商编码", "单据号", "单据日期", "未结金额"], ["SUP1", "PI-1", (today - dt.timedelta(days=40)).isoformat(), "1000"]])
    assert upload(client, admin.headers, "payables", opening, dry_run=False).status_code == 200
    bill = finance.get("/api/v1/bills", kind="opening")["items"][0]["number"]
    for days, amount, ref in ((20, "300", "TT-1"), (0, "200", "TT-2")):
        finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": amount, "reference": ref,
                                          "paid_on": (today - dt.timedelta(days=days)).isoformat(),
                                          "allocations": [{"document": bill, "amount": amount}]}, expect=201)
    return {"bill": bill, "from": (today - dt.timedelta(days=10)).isoformat()}


@browser_test
def test_a_clerk_shows_a_suppliers_statement_for_a_period_and_prints_it(browser, client, live_server, owed):
    clerk, page = open_desk(browser, live_server, "clerk")
    try:
        visit(page, "#/office/statements", "#statement-form")
        form = page.locator("#statement-form")
        form.get_by_label("Statement for").select_option("supplier")
        form.get_by_label("Partner code").fill("SUP1")
        form.get_by_label("From").fill(owed["from"])
        form.get_by_role("button", name="Show").click()
        lines = page.locator("#statement-lines")
        lines.wait_for()
        assert page.locator("[data-field=brought-forward] dd").inner_text() == "700.00"
        assert page.locator("[data-field=carried-forward] dd").inner_text() == "500.00"
        payment = lines.locator("tr[data-document^='PAY-']")
        assert payment.count() == 1 and "TT-2" in payment.inner_text() and "200.00" in payment.inner_text()
        nothing_overflows(page)
        no_text_missing(page)
        href = page.locator("a[data-action=print]").get_attribute("href")
        assert href.startswith("/api/v1/partners/SUP1/statement.pdf?side=supplier")
        printed = page.request.get(live_server.url + href)
        assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"
        payment.locator("a").click()
        page.locator(".facts [data-field=amount] dd", has_text="200").wait_for()
    finally:
        clerk.close()


@browser_test
def test_the_statement_page_reads_in_chinese(browser, client, live_server, owed):
    clerk, page = open_desk(browser, live_server, "clerk", lang="zh")
    try:
        visit(page, "#/office/statements", "#statement-form")
        form = page.locator("#statement-form")
        form.get_by_label("对账对象").select_option("supplier")
        form.get_by_label("往来单位编码").fill("SUP1")
        form.get_by_role("button", name="显示").click()
        page.locator("#statement-lines").wait_for()
        text = page.locator("#app").inner_text()
        assert "期初余额" in text and "期末余额" in text and "付款及冲红" in text
        no_text_missing(page)
    finally:
        clerk.close()
