"""Buying in dollars at the desk (1280×800, Debian's Chromium): finance enters the day's dollar rate, in Chinese, on the
exchange rates screen; a purchaser reads the rate there but gets no form to change it, orders from a supplier who bills
in dollars, and the order's page shows it in dollars, at that rate, and its total in yuan."""

from __future__ import annotations

import pytest

from server.dates import local_today
from tests.desk import open_desk
from tests.helpers import add_user
from tests.stories import Api, supplier_and_dock
from tests.test_office import open_section, visit


@pytest.fixture
def dollars(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """(Browser tests ask for `client` before `live_server`, so the live server stops first: both serve one app.)
    SUP1, WH1's dock and SUPUS, a supplier who bills in US dollars; a finance clerk and a buyer at WH1."""
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    admin.post("/api/v1/partners", {"code": "SUPUS", "kind": "supplier", "name_zh": "美国供应商", "name_en": "US Supplier", "currency": "USD"},
               expect=201)
    for username, role in [("clerk", "finance"), ("buyer", "purchaser")]:
        add_user(db, username, [role], ["WH1"])
    return {"purchaser": Api(client, as_role("purchaser", ("WH1",))), "finance": Api(client, as_role("finance", ("WH1",)))}


def no_text_missing(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("[...globalThis.cangkuMissingText]") == []


@pytest.mark.browser
def test_finance_enters_the_dollar_rate_and_a_buyers_order_in_dollars_shows_that_rate_and_its_total_in_yuan(browser, client, live_server, dollars):
    today = local_today().isoformat()

    # Finance, working in Chinese, enters today's rate: a negative one is refused in Chinese, at the field; 7.1 is kept.
    clerk, page = open_desk(browser, live_server, "clerk", lang="zh")
    try:
        open_section(page, "exchange-rates")
        form = page.locator("#rate-form")
        form.wait_for()
        assert page.locator(".office-nav a[data-nav=exchange-rates]").inner_text() == "汇率"
        assert form.locator("[name=on]").input_value() == today
        assert form.locator("[name=currency] option[value=CNY]").count() == 0  # the books' own currency has no rate to enter
        form.get_by_label("币种").select_option("USD")
        form.locator("[name=rate]").fill("-1")
        form.get_by_role("button", name="保存汇率").click()
        error = form.locator("[data-field=form-error]")
        error.wait_for()
        assert "汇率不能为负数" in error.inner_text()
        form.locator("[name=rate]").fill("7.1")
        form.get_by_role("button", name="保存汇率").click()
        saved = page.locator(f"tr[data-currency=USD][data-on='{today}']")
        saved.wait_for()
        assert saved.locator("td").all_inner_texts() == ["USD · 美元", today, "7.1"]
        no_text_missing(page)
    finally:
        clerk.close()
    assert dollars["finance"].get("/api/v1/exchange-rates", currency="USD")["items"] == [{"currency": "USD", "on": today, "rate": "7.1"}]

    buyer, page = open_desk(browser, live_server, "buyer")
    try:
        # A buyer reads the rates, and is not offered the form to enter one.
        open_section(page, "exchange-rates")
        page.locator(f"tr[data-currency=USD][data-on='{today}']").wait_for()
        assert page.locator("#rate-form").count() == 0
        assert page.locator("[data-field=rates-by-finance]").inner_text() == "Finance enters the exchange rates."

        # The new order takes the currency of the supplier typed: dollars.
        open_section(page, "purchase-orders")
        page.get_by_role("button", name="New purchase order").click()
        form = page.locator("#po-form")
        form.get_by_label("Supplier", exact=True).fill("SUPUS")
        form.get_by_label("Supplier", exact=True).press("Tab")
        page.wait_for_function("() => document.querySelector('#po-form [name=currency]').value === 'USD'")
        form.get_by_label("Warehouse").fill("WH1")
        form.get_by_label("SKU · Line 1").fill("PEN")
        form.get_by_label("Quantity · Line 1").fill("200")
        form.get_by_label("Unit price · Line 1").fill("8")
        form.get_by_role("button", name="Create").click()

        # 200 pens at 8 dollars and 13 % VAT: 1,808 dollars, at 7.1 yuan to the dollar 12,836.80 yuan.
        page.locator("#po-lines tr[data-sku=PEN]").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        facts = page.locator(".facts")
        assert facts.locator("[data-field=currency] dd").inner_text() == "USD"
        assert facts.locator("[data-field=exchange-rate] dd").inner_text() == "1 USD = 7.1 CNY"
        assert facts.locator("[data-field=total-cny] dd").inner_text() == "12,836.80 CNY"
        assert page.locator(".totals [data-field=total] td").inner_text() == "1,808.00 USD"
        no_text_missing(page)

        # A purchase order in yuan has nothing to convert: no rate is shown on it.
        sup1 = dollars["purchaser"].post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [
            {"sku": "PEN", "qty": "1", "unit_price": "2"}]}, expect=201)["number"]
        visit(page, f"#/office/purchase-orders/{sup1}", f"#app h3:has-text('{sup1}')")
        assert page.locator(".facts [data-field=currency] dd").inner_text() == "CNY"
        assert page.locator(".facts [data-field=exchange-rate]").count() == 0
    finally:
        buyer.close()
    order = dollars["purchaser"].get(f"/api/v1/purchase-orders/{number}")
    assert (order["supplier"], order["currency"], order["exchange_rate"], order["total"], order["total_cny"]) == ("SUPUS", "USD", "7.1", "1808", "12836.8")
