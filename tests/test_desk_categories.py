"""Item categories at the desk (1280×800, Debian's Chromium): an administrator adds a category, puts an item in it on the
item form, and the stock valuation filtered by that category shows that category's items and its subtotal, in bold. The
server's side of it is tested through the API (tests/test_categories.py)."""

from __future__ import annotations

import pytest

from tests.desk import open_desk
from tests.helpers import add_user, post_move
from tests.stories import Api
from tests.test_office import REPORTS, cells, money, open_section, visit


@pytest.fixture
def stock(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """PEN 40 at 1.25 and RICE 3 kg for 10.00 in WH1, and an administrator (clerk) who signs in at the desk."""
    admin = as_role("admin")
    for sku, qty, target, cost in (("PEN", 40, "B1", "1.25"), ("RICE", 3, "B2", "3.333333")):
        assert post_move(client, admin, sku, qty, "SUPPLIER", target, unit_cost=cost).status_code == 201
    add_user(db, "clerk", ["admin"])
    return Api(client, admin)


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_administrator_adds_a_category_puts_an_item_in_it_and_values_the_stock_of_that_category(browser, client, live_server, stock):
    context, page = open_desk(browser, live_server, "clerk")
    try:
        open_section(page, "categories")
        page.get_by_role("link", name="New category").click()
        form = page.locator("#category-form")
        form.wait_for()
        form.get_by_label("Code").fill("STAT")
        form.get_by_label("Chinese name").fill("文具")
        form.get_by_label("English name").fill("Stationery")
        form.get_by_label("English name").press("Enter")
        page.locator("#category-items").wait_for()
        assert page.locator("#office-body h3").first.inner_text() == "STAT · Stationery"
        assert page.locator(".facts [data-field=items] dd").inner_text() == "0"

        # On the item form, the pen goes into the new category.
        visit(page, "#/office/items/PEN", "#item-barcodes")
        page.locator("#office-body [data-action=edit]").click()
        item_form = page.locator("#item-form")
        item_form.wait_for()
        assert item_form.get_by_label("Category").input_value() == ""
        item_form.get_by_label("Category").select_option("STAT")
        item_form.locator("[data-action=save]").click()
        page.wait_for_function("() => document.querySelector('.facts [data-field=category] dd')?.textContent === 'STAT'")
        visit(page, "#/office/categories/STAT", "#category-items tr[data-sku=PEN]")
        assert page.locator("#category-items tbody tr").count() == 1

        # The stock valuation of that category: the pen, then the category's subtotal, and the totals of those.
        visit(page, "#/office/reports/stock_valuation", "#report-table tbody tr")
        page.locator("select[name=category]").select_option("STAT")
        page.locator("[data-action=run]").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#report-table tbody tr')].map((r) => r.querySelector('[data-key=category]').textContent).join() === 'STAT,STAT'")
        body = stock.get(f"{REPORTS}/stock_valuation", category="STAT", tz="Asia/Shanghai")
        keys = [c["key"] for c in body["columns"]]
        assert cells(page, "#report-table thead tr") == [[c["title_en"] for c in body["columns"]]]
        assert cells(page, "#report-table tbody tr") == [
            ["", "STAT", "PEN", "中性笔", "Gel pen", "pcs", "40", money("1.25"), money("50")],
            ["Subtotal", "STAT", "", "文具", "Stationery", "", "40", "", money("50")],
        ]
        assert [row["line"] for row in body["rows"]] == [None, "subtotal"] and keys[:2] == ["line", "category"]
        subtotal = page.locator("#report-table tbody tr[data-line=subtotal]")
        assert subtotal.locator("td strong").count() == len(keys)
        totals = cells(page, "#report-table tfoot tr")[0]
        assert (totals[keys.index("qty")], totals[keys.index("value")]) == ("40", money("50"))
    finally:
        context.close()
    assert stock.get("/api/v1/items/PEN")["category"] == "STAT"
    assert [e["username"] for e in stock.get("/api/v1/audit", target_type="category", target_id="STAT")["items"]] == ["clerk"]
