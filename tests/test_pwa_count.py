"""Counting a bin on the phone: scans count up, and each line's quantity can be typed — a weight, a scan too many."""

from __future__ import annotations

import pytest

from tests.helpers import PEN_EACH, add_user, post_move
from tests.stories import Api
from tests.test_pwa import PHONE, sign_in, wedge

pytestmark = pytest.mark.browser


def counted(page, sku: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f"#count li[data-sku={sku}] input[name=qty]").input_value()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_counter_types_a_weight_takes_back_a_scan_too_many_and_a_typo_is_refused_without_losing_the_count(
        browser, client, live_server, world, as_role, db):
    admin = Api(client, as_role("admin"))
    worker = as_role("warehouse")
    post_move(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    post_move(client, worker, "RICE", "2.5", "SUPPLIER", "B1", unit_cost="4")
    number = admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B1"]}, expect=201)["number"]
    add_user(db, "counter", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "counter")
        page.locator("[data-task=count] .badge").wait_for()
        page.locator("[data-task=count]").click()
        page.get_by_role("button", name="盘点").click()
        page.locator("#count").wait_for()
        page.locator("#scan").focus()
        for code in ("B1", PEN_EACH, PEN_EACH, PEN_EACH, PEN_EACH, PEN_EACH, PEN_EACH, "RICE"):
            wedge(page, code)
        page.wait_for_function("() => document.querySelector('#count li[data-sku=RICE] input')?.value === '1'")
        assert counted(page, "PEN") == "6"  # one pen scanned twice

        pens = page.locator("#count li[data-sku=PEN] input[name=qty]")
        pens.fill("5")
        pens.press("Enter")
        page.wait_for_function("() => document.querySelector('#count li[data-sku=PEN] input').value === '5'")
        rice = page.locator("#count li[data-sku=RICE] input[name=qty]")
        rice.fill("2.35")  # rice is counted by weight
        rice.press("Enter")
        page.wait_for_function("() => document.querySelector('#count li[data-sku=RICE] input').value === '2.35'")

        rice.fill("2,35kg")  # a typo is refused and the count stays as it was
        rice.press("Enter")
        page.get_by_role("alert").filter(has_text="数量无效").wait_for()
        assert counted(page, "RICE") == "2.35"

        wedge(page, PEN_EACH)  # scans still count on top of a typed count
        page.wait_for_function("() => document.querySelector('#count li[data-sku=PEN] input').value === '6'")
        pens.fill("5")
        pens.press("Enter")
        page.wait_for_function("() => document.querySelector('#count li[data-sku=PEN] input').value === '5'")
        page.locator("[data-action=bin-done]").click()
        page.get_by_role("alert").filter(has_text="B1 已盘点").wait_for()
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)
    finally:
        context.close()
    lines = {line["sku"]: line for line in admin.get(f"/api/v1/counts/{number}")["lines"]}
    assert lines["PEN"]["counted_qty"] == "5" and lines["PEN"]["variance"] == "0"
    assert lines["RICE"]["counted_qty"] == "2.35" and lines["RICE"]["variance"] == "-0.15"
