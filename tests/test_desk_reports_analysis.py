"""The financial statements and analysis reports at the desk, in a real Chromium: drawn as the API answers them, a
statement's subtotals in bold, its choices named in the reader's language."""

from __future__ import annotations

import pytest

from tests.test_office import REPORTS, cells, company, money, open_office, use_language, visit  # noqa: F401 - company is a fixture


def _shown(body: dict) -> list[list[str]]:
    amounts = {c["key"] for c in body["columns"] if c["type"] in ("money", "cost")}
    words = {"account": "Account", "profit": "Profit", "subtotal": "Subtotal", "total": "Total", "asset": "Asset", "liability": "Liability",
             "equity": "Equity", "income": "Income", "expense": "Expense"}

    def shown(key: str, value: object) -> str:
        if value is None:
            return "" if key not in amounts else "—"
        if key in amounts:
            return money(str(value))
        return words.get(str(value), str(value)) if key in ("line", "kind") else str(value)

    return [[shown(c["key"], row[c["key"]]) for c in body["columns"]] for row in body["rows"]]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_balance_sheet_and_the_analyses_read_at_the_desk_as_the_api_gives_them(browser, client, live_server, company):  # noqa: F811
    api = company["api"]
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        visit(page, "#/office/reports", "#report-list li[data-report=balance_sheet]")
        for name in ("stock_turnover", "income_statement", "sales_analysis", "collection_analysis"):
            assert page.locator(f"#report-list li[data-report={name}]").count() == 1
        page.get_by_role("link", name="Balance sheet").click()
        page.locator("#report-table tbody tr[data-line=total]").wait_for()
        assert [o.strip() for o in page.locator("select[name=compare] option").all_inner_texts()] == [
            "—", "No comparison", "Previous month", "Same month last year"]  # — : the default (the previous month)
        body = api.get(f"{REPORTS}/balance_sheet", tz="Asia/Shanghai")
        assert cells(page, "#report-table thead tr") == [[c["title_en"] for c in body["columns"]]]
        assert cells(page, "#report-table tbody tr") == _shown(body)
        assert page.locator("#report-table tbody tr[data-line=subtotal]").count() == 3
        assert page.locator("#report-table tbody tr[data-line=total] td strong").count() == len(body["columns"])
        assert page.locator("#report-table tfoot").count() == 0  # a statement's totals are its own lines
        page.locator("select[name=compare]").select_option("none")
        page.locator("[data-action=run]").click()
        page.wait_for_function("() => document.querySelector('#report-table') && !document.querySelector('#report-table [data-key=change]')")

        for name, ready in (("stock_turnover", "#report-table tbody tr"), ("sales_analysis", "#report-table tfoot tr"),
                            ("income_statement", "#report-table tbody tr[data-line=total]")):
            visit(page, f"#/office/reports/{name}", ready)
            body = api.get(f"{REPORTS}/{name}", tz="Asia/Shanghai")
            # The previous report's table stays until this one's is drawn: wait for this one's header.
            page.wait_for_function("(titles) => [...document.querySelectorAll('#report-table thead th')].map((th) => th.textContent.trim()).join('|') === titles",
                                   arg="|".join(c["title_en"] for c in body["columns"]))
            page.locator(ready).first.wait_for()
            assert cells(page, "#report-table thead tr") == [[c["title_en"] for c in body["columns"]]], name
            assert cells(page, "#report-table tbody tr") == _shown(body), name
    finally:
        context.close()
