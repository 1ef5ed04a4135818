"""Receiving on a phone (390×844, real Chromium) as a warehouse worker does it: the lot of a lot-tracked item is asked
once and every further scan counts into it, a carton counts its pack, the quantity field sets the rest, a lot label is
scanned into the lot field, a GS1 code brings its own lot and expiry; then "receiving done" rejects a damaged lot into
quarantine with its reason and leaves one put-away task per accepted line."""

from __future__ import annotations

import pytest

from tests.helpers import PEN_CARTON, add_user
from tests.stories import Api
from tests.test_pwa import PHONE, approved_order, sign_in, wedge

pytestmark = pytest.mark.browser
MILK_EACH, MILK_CARTON = "6901234000023", "16901234000020"  # a box, and a carton of six


def counted(page, lot: str, qty: str) -> None:  # type: ignore[no-untyped-def]
    """The current line on screen is `lot` with `qty` counted."""
    page.wait_for_function(
        "([lot, qty]) => { const c = document.querySelector('#current form'); return c && c.dataset.lot === lot"
        " && c.querySelector('[data-field=count]').textContent === qty; }", arg=[lot, qty])


def settled(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_48_boxes_of_a_lot_take_one_lot_form_and_receiving_done_rejects_a_damaged_lot_into_quarantine(browser, client, live_server, world, as_role, db):
    number = approved_order(client, as_role, [{"sku": "MILK", "qty": "50", "unit_price": "3"}, {"sku": "PEN", "qty": "12", "unit_price": "1"}])
    add_user(db, "receiver", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        sign_in(page, "receiver")
        page.locator("[data-task=receive]").click()
        page.locator(f"[data-po='{number}'] button").click()
        page.locator("tr[data-sku=MILK]").wait_for()
        page.wait_for_function("() => document.getElementById('sync').textContent.includes(':')")  # the catalog is on the phone
        lot_form = page.locator("form[data-form=lot]")

        # The first box asks for its lot, once; a carton then counts six and the quantity field sets the rest.
        page.locator("#scan").focus()
        wedge(page, MILK_EACH)
        lot_form.locator("input[name=lot]").fill("LA-2701")
        lot_form.locator("input[name=expiry]").fill("2027-01-31")
        lot_form.locator("[data-action=lot-ok]").click()
        counted(page, "LA-2701", "1")
        wedge(page, MILK_CARTON)
        counted(page, "LA-2701", "7")
        assert lot_form.count() == 0
        current = page.locator("#current")
        assert current.locator("input[name=qty]").get_attribute("inputmode") == "decimal"
        current.locator("input[name=qty]").fill("48")
        current.locator("[data-action=set-qty]").click()
        counted(page, "LA-2701", "48")
        assert lot_form.count() == 0

        # Another lot: its label is scanned straight into the lot field.
        current.locator("[data-action=new-lot]").click()
        lot_form.locator("input[name=lot]").wait_for()
        wedge(page, "LB-2702")
        page.wait_for_function("() => document.querySelector('form[data-form=lot] input[name=lot]').value === 'LB-2702'")
        lot_form.locator("input[name=expiry]").fill("2027-02-28")
        lot_form.locator("[data-action=lot-ok]").click()
        page.locator("#scan").focus()
        wedge(page, MILK_EACH)
        counted(page, "LB-2702", "1")
        # A GS1 code carrying lot (10) and expiry (17): counted with no form at all.
        wedge(page, "(01)06901234000023(17)270331(10)LC-2703")
        counted(page, "LC-2703", "1")
        assert lot_form.count() == 0
        wedge(page, PEN_CARTON)
        counted(page, "", "12")
        settled(page)

        # Receiving done: the receipt's lines, the LB-2702 box rejected as damaged.
        page.locator("[data-action=receiving-done]").click()
        rows = page.locator("li[data-line]")
        rows.nth(3).wait_for()
        assert [rows.nth(i).locator("[data-field=qty]").inner_text() for i in range(4)] == ["48", "1", "1", "12"]
        damaged = rows.filter(has_text="LB-2702")
        damaged.locator("[data-action=reject]").click()
        damaged.locator("input[name=rejected]").fill("1")
        page.locator("[data-action=complete-receipt]").click()
        assert "原因" in page.locator("#notice").inner_text()  # a rejection needs its reason
        damaged.locator("input[name=reason]").fill("包装破损")
        page.locator("[data-action=complete-receipt]").click()
        page.locator("tr[data-sku=MILK]").wait_for()  # back on the order, ready for a new receipt
        settled(page)
        assert page.locator("#sync").get_attribute("data-state") != "issues"
    finally:
        context.close()

    worker = Api(client, as_role("warehouse"))
    [receipt] = worker.get("/api/v1/receipts", po=number)["items"]
    assert [(line["sku"], line["lot"], line["qty"], line["accepted"], line["rejected"]) for line in receipt["lines"]] == [
        ("MILK", "LA-2701", "48", "48", "0"), ("MILK", "LB-2702", "1", "0", "1"), ("MILK", "LC-2703", "1", "1", "0"), ("PEN", None, "12", "12", "0")]
    assert receipt["status"] == "putaway" and receipt["lines"][1]["qc_note"] == "包装破损"
    assert worker.stock("MILK", "QC", "LB-2702") == ("1", "0") and worker.stock("MILK", "WH1-DOCK", "LB-2702") == ("0", "0")
    [rejected] = worker.get("/api/v1/stock/moves", location="QC")["items"]
    assert "包装破损" in rejected["reason"]
    assert [(t["sku"], t["lot"], t["qty"]) for t in receipt["putaway"]] == [("MILK", "LA-2701", "48"), ("MILK", "LC-2703", "1"), ("PEN", None, "12")]
    lots = {lot["code"]: lot["expiry"] for lot in worker.get("/api/v1/lots", sku="MILK")["items"]}
    assert (lots["LA-2701"], lots["LB-2702"], lots["LC-2703"]) == ("2027-01-31", "2027-02-28", "2027-03-31")
