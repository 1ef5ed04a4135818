"""Receiving a transfer order on a phone (390×844, Debian's Chromium): WH2's storekeeper opens "transfers in", picks a
transfer shipped from WH1, keeps the suggested bin or scans another, scans each item — a carton counts its pack, a lot
is chosen once or comes with a GS1 code — sees shipped against scanned, says why a line is short and confirms. Once with
a signal, once without one, sent when it is back; a transfer the desk received meanwhile comes back as a conflict."""

from __future__ import annotations

import pytest

from tests.accessibility import accessibility_problems, overflowing
from tests.desk import open_desk
from tests.helpers import PEN_CARTON, PEN_EACH, add_user, post_move
from tests.stories import Api, books_are_sound
from tests.test_desk_purchasing import status_shows, visit
from tests.test_pwa import PHONE, sign_in, wedge
from tests.test_pwa_inbox import until

pytestmark = pytest.mark.browser
MILK_EACH, MILK_CARTON = "6901234000023", "16901234000020"


@pytest.fixture
def in_transit(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """Pens and two lots of milk in WH1; a pen already in WH2's W2-B1 (the bin the phone suggests), an empty W2-B2; WH2's
    storekeeper on the phone. `ship(lines)` makes a transfer WH1 → WH2 shipped into transit and returns it."""
    admin, worker, approver = Api(client, as_role("admin")), as_role("warehouse"), Api(client, as_role("approver"))
    admin.post("/api/v1/locations", {"code": "W2-B2", "kind": "bin", "parent": "WH2", "name_zh": "二号库位", "name_en": "Bin two"}, expect=201)
    for sku, qty, bin_, extra in [("PEN", 40, "B1", {}), ("MILK", 6, "B2", {"lot": "L1"}), ("MILK", 6, "B2", {"lot": "L2"}), ("PEN", 1, "W2-B1", {})]:
        assert post_move(client, worker, sku, qty, "SUPPLIER", bin_, unit_cost="2", **extra).status_code == 201
    add_user(db, "keeper2", ["warehouse"], ["WH2"])
    warehouse = Api(client, worker)

    def ship(lines: list[dict]) -> dict:
        order = warehouse.post("/api/v1/transfers", {"from_warehouse": "WH1", "to_warehouse": "WH2",
                                                     "lines": [{"sku": line["sku"], "qty": line["qty"]} for line in lines]}, expect=201)
        number = order["number"]
        order = warehouse.post(f"/api/v1/transfers/{number}/submit", {"version": order["version"]})
        order = approver.post(f"/api/v1/transfers/{number}/approve", {"version": order["version"]})
        return warehouse.post(f"/api/v1/transfers/{number}/ship", {"version": order["version"], "lines": [
            {"line": n, "qty": line["qty"], "location": line["from"], **({"lot": line["lot"]} if "lot" in line else {})}
            for n, line in enumerate(lines, 1)]})

    return {"ship": ship, "warehouse": warehouse, "finance": Api(client, as_role("finance"))}


def on_the_phone(browser, live_server):  # type: ignore[no-untyped-def]
    """WH2's storekeeper signed in (their one warehouse chosen for them), with the catalog and WH2's stock on the phone."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/")
    sign_in(page, "keeper2")
    page.locator("[data-task=transfers-in]").wait_for()
    until(page, "import('/store.js').then(async (store) => { const c = (await store.get('cursors')) || {}; "
                "return ['catalog', 'wh:WH2', 'stock:WH2'].every((s) => s in c); })")
    return context, page


def scanned(page, line: int, qty: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("([line, qty]) => document.querySelector(`#transfer-in tr[data-line='${line}'] [data-field=scanned]`)?.textContent === qty",
                           arg=[line, qty])


def open_transfer(page, number: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("[data-task=transfers-in]").click()
    page.locator(f"li[data-transfer='{number}'] button").click()
    page.locator("#transfer-in tr[data-line='1']").wait_for()
    page.locator("#scan").focus()


def sent(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_storekeeper_receives_a_transfer_by_scanning_into_the_suggested_bin_and_says_why_a_lot_is_short(
        browser, client, live_server, in_transit, world):
    order = in_transit["ship"]([{"sku": "PEN", "qty": "13", "from": "B1"}, {"sku": "MILK", "qty": "4", "from": "B2", "lot": "L1"},
                                {"sku": "MILK", "qty": "2", "from": "B2", "lot": "L2"}])
    number = order["number"]
    context, page = on_the_phone(browser, live_server)
    try:
        assert page.locator("[data-task=transfers-in] .badge").inner_text() == "1"
        open_transfer(page, number)
        assert page.locator("#receive-into [data-field=bin]").inner_text() == "W2-B1"  # it holds pens already
        assert page.locator("#receive-into [data-field=suggested]").count() == 1
        expected = page.locator("#transfer-in tbody [data-field=expected]").all_inner_texts()
        assert expected == ["13", "4", "2"]

        wedge(page, PEN_CARTON)  # a carton counts its twelve
        wedge(page, PEN_EACH)
        scanned(page, 1, "13")
        wedge(page, PEN_EACH)  # one more than was shipped: refused
        page.locator("#notice[data-kind=error]").wait_for()
        scanned(page, 1, "13")

        # Milk came in two lots: the first box asks which, once; the quantity field sets the rest of that lot.
        wedge(page, MILK_EACH)
        page.locator("[data-form=which-lot] button[data-lot=L1]").click()
        scanned(page, 2, "1")
        wedge(page, MILK_EACH)
        scanned(page, 2, "2")
        assert page.locator("[data-form=which-lot]").count() == 0
        page.locator("#current input[name=qty]").fill("4")
        page.locator("#current [data-action=set-qty]").click()
        scanned(page, 2, "4")
        # A GS1 code names its own lot: one box of L2 (the other never came).
        page.locator("#scan").focus()
        wedge(page, "(01)06901234000023(17)270331(10)L2")
        scanned(page, 3, "1")
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
        assert accessibility_problems(page) == [] and overflowing(page) == []

        page.locator("[data-action=transfer-done]").click()
        short = page.locator("li[data-line='3'] [data-field=short]")
        assert "1" in short.inner_text()
        page.locator("[data-action=confirm-transfer]").click()
        page.locator("#notice[data-kind=error]").wait_for()  # a line short needs its reason
        page.locator("input[name=note-3]").fill("一盒未到 one box missing")
        assert accessibility_problems(page) == []
        page.locator("[data-action=confirm-transfer]").click()
        page.wait_for_function("() => location.hash === '#/transfers-in'")
        sent(page)
        page.locator(f"li[data-transfer='{number}']").wait_for(state="detached")
        assert page.locator("#sync").get_attribute("data-state") != "issues"
    finally:
        context.close()

    warehouse = in_transit["warehouse"]
    received = warehouse.get(f"/api/v1/transfers/{number}")
    assert received["status"] == "received"
    assert [(line["lot"], line["received"], line["short"], line["to_location"], line["difference_note"]) for line in received["lines"]] == [
        (None, "13", "0", "W2-B1", ""), ("L1", "4", "0", "W2-B1", ""), ("L2", "1", "1", "W2-B1", "一盒未到 one box missing")]
    assert warehouse.stock("PEN", "W2-B1") == ("14", "0")
    assert warehouse.stock("MILK", "W2-B1", "L1") == ("4", "0") and warehouse.stock("MILK", "W2-B1", "L2") == ("1", "0")
    books_are_sound(in_transit["finance"], world)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_transfer_received_without_a_signal_is_sent_when_it_is_back_and_one_received_at_the_desk_meanwhile_is_a_conflict(
        browser, client, live_server, in_transit, world):
    first = in_transit["ship"]([{"sku": "PEN", "qty": "5", "from": "B1"}])
    second = in_transit["ship"]([{"sku": "PEN", "qty": "2", "from": "B1"}])
    context, page = on_the_phone(browser, live_server)
    try:
        page.locator("[data-task=transfers-in] .badge", has_text="2").wait_for()
        page.locator("[data-task=transfers-in]").click()
        page.locator(f"li[data-transfer='{second['number']}']").wait_for()  # both are on the phone now

        context.set_offline(True)
        page.locator(f"li[data-transfer='{first['number']}'] button").click()
        page.locator("#transfer-in tr[data-line='1']").wait_for()
        page.locator("#scan").focus()
        wedge(page, "W2-B2")  # not the suggested bin: the one scanned
        page.wait_for_function("() => document.querySelector('#receive-into [data-field=bin]').textContent === 'W2-B2'")
        assert page.locator("#receive-into [data-field=suggested]").count() == 0
        for _ in range(5):
            wedge(page, PEN_EACH)
        scanned(page, 1, "5")
        page.locator("[data-action=transfer-done]").click()
        page.locator("[data-action=confirm-transfer]").click()
        page.locator(f"li[data-transfer='{first['number']}'] [data-field=waiting]").wait_for()
        assert page.locator("#sync").get_attribute("data-pending") == "1" and page.locator("#sync").get_attribute("data-state") == "offline"

        # The second one: all of it, into the suggested bin — while the desk receives it too.
        page.locator(f"li[data-transfer='{second['number']}'] button").click()
        page.locator("#transfer-in tr[data-line='1']").wait_for()
        page.locator("#scan").focus()
        wedge(page, PEN_EACH)
        wedge(page, PEN_EACH)
        scanned(page, 1, "2")
        page.locator("[data-action=transfer-done]").click()
        page.locator("[data-action=confirm-transfer]").click()
        page.locator(f"li[data-transfer='{second['number']}'] [data-field=waiting]").wait_for()
        assert page.locator("#sync").get_attribute("data-pending") == "2"
        in_transit["warehouse"].post(f"/api/v1/transfers/{second['number']}/receive", {"version": second["version"], "lines": [
            {"line": 1, "qty": "2", "location": "W2-B1"}]})

        context.set_offline(False)
        sent(page)
        page.locator(f"li[data-transfer='{first['number']}']").wait_for(state="detached")
        page.wait_for_function("() => document.getElementById('sync').dataset.state === 'issues'", timeout=15000)
        page.locator(f"li[data-transfer='{second['number']}']").wait_for(state="detached")  # received at the desk: gone from the list
        page.locator("#home").click()
        page.locator("[data-task=issues]").click()
        conflict = page.locator("li[data-state=conflict]")
        conflict.wait_for()
        assert conflict.get_attribute("data-error") == "wrong_state" and second["number"] in conflict.inner_text()
    finally:
        context.close()

    warehouse = in_transit["warehouse"]
    assert warehouse.get(f"/api/v1/transfers/{first['number']}")["status"] == "received"
    assert warehouse.stock("PEN", "W2-B2") == ("5", "0") and warehouse.stock("PEN", "W2-B1") == ("3", "0")  # the desk's 2, not 4

    desk, page = open_desk(browser, live_server, "keeper2")
    try:
        visit(page, f"#/office/transfers/{first['number']}", "#transfer-lines-table")
        status_shows(page, "Received")
        cells = page.locator("#transfer-lines-table tr[data-sku=PEN] td").all_inner_texts()
        assert "W2-B2" in [c.strip() for c in cells]
    finally:
        desk.close()
