"""Packing, shipping and the universal scan screen on a phone in Chromium: boxes packed by scanning with no signal,
sent and shipped through the outbox; anything scanned shows what it is, what is there, and what can be done."""

from __future__ import annotations

import pytest

from tests.helpers import PEN_EACH, add_user, post_move
from tests.stories import Api, customer_and_areas
from tests.test_pwa import PHONE, sign_in, wedge
from tests.test_pwa_inbox import catalog_on_the_phone, sent

pytestmark = pytest.mark.browser


def picked_order(client, as_role, qty: str = "5") -> str:  # type: ignore[no-untyped-def]
    admin, sales, warehouse = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    post_move(client, as_role("warehouse"), "PEN", 8, "SUPPLIER", "B1", unit_cost="1")
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": qty, "unit_price": "3"}]},
                       expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = warehouse.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    warehouse.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": qty, "location": "B1"})
    return order["number"]


def packed_one_pen(context, live_server, number: str):  # type: ignore[no-untyped-def]
    """The packer's phone, signed in, with one pen of the order scanned into a box and the packing sent."""
    page = context.new_page()
    page.goto(live_server.url + "/")
    sign_in(page, "packer")
    catalog_on_the_phone(page)
    page.locator("[data-task=pack] .badge").filter(has_text="1").wait_for()
    page.evaluate(f"location.hash = '#/pack/{number}'")
    page.locator("#scan").focus()
    wedge(page, PEN_EACH)
    page.locator("[data-action=send-packing]").click()
    return page


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_packer_packs_two_boxes_by_scanning_offline_prints_their_labels_and_ships(browser, client, live_server, world, as_role, db):
    number = picked_order(client, as_role)
    add_user(db, "packer", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "packer")
        page.locator("[data-task=pack] .badge").filter(has_text="1").wait_for()
        catalog_on_the_phone(page)
        context.set_offline(True)

        page.locator("[data-task=pack]").click()
        page.locator(f"[data-so='{number}'] button").click()
        row = page.locator("#pack tr[data-sku=PEN]")
        page.locator("#scan").focus()
        for _ in range(3):
            wedge(page, PEN_EACH)
        page.wait_for_function("() => document.querySelector('#pack tr[data-sku=PEN] [data-field=box]').textContent === '3'")
        page.locator("input[name=weight]").fill("1.25")
        page.locator("[data-action=close-box]").click()
        page.locator("#scan").focus()
        wedge(page, PEN_EACH)
        wedge(page, PEN_EACH)
        page.wait_for_function("() => document.querySelector('#pack tr[data-sku=PEN] [data-field=box]').textContent === '2'")
        wedge(page, PEN_EACH)  # a sixth pen was never picked: refused, not packed
        page.get_by_role("alert").filter(has_text="已全部装箱").wait_for()
        assert row.locator("[data-field=box]").inner_text() == "2"
        page.locator("[data-action=send-packing]").click()
        page.get_by_role("alert").filter(has_text=f"已包装 {number}").wait_for()
        assert row.locator("[data-field=packed]").inner_text() == "5"
        assert Api(client, as_role("warehouse")).get(f"/api/v1/sales-orders/{number}")["status"] == "picking"  # nothing sent yet

        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        sent(page)
        order = Api(client, as_role("warehouse")).get(f"/api/v1/sales-orders/{number}")
        assert order["status"] == "packed"
        assert [(p["weight_kg"], [(c["sku"], c["qty"]) for c in p["contents"]]) for p in order["packages"]] == [
            ("1.25", [("PEN", "3")]), (None, [("PEN", "2")])]

        with page.expect_download() as download:
            page.locator("[data-action=print-packages]").click()
        assert download.value.suggested_filename.endswith(".pdf")
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"

        page.locator("[data-action=ship]").click()
        page.get_by_role("alert").filter(has_text=f"已发货 {number}").wait_for()
        sent(page)
    finally:
        context.close()
    warehouse = Api(client, as_role("warehouse"))
    assert warehouse.get(f"/api/v1/sales-orders/{number}")["status"] == "shipped"
    assert warehouse.stock("PEN", "B1") == ("3", "0") and warehouse.stock("PEN", "WH1-OUT") == ("0", "0")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_shipping_before_everything_picked_is_packed_is_refused_on_the_phone(browser, client, live_server, world, as_role, db):
    number = picked_order(client, as_role)
    add_user(db, "packer", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = packed_one_pen(context, live_server, number)
        page.get_by_role("alert").filter(has_text=f"已包装 {number}").wait_for()
        page.locator("[data-action=ship]").click()
        page.get_by_role("alert").filter(has_text="还有已拣未装箱的商品").wait_for()
        sent(page)
    finally:
        context.close()
    order = Api(client, as_role("warehouse")).get(f"/api/v1/sales-orders/{number}")
    assert order["status"] == "packed" and [p["contents"][0]["qty"] for p in order["packages"]] == ["1"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_scan_screen_says_what_a_code_is_what_is_there_and_what_can_be_done_with_it(browser, client, live_server, world, as_role, db):
    worker = as_role("warehouse")
    post_move(client, worker, "PEN", 6, "SUPPLIER", "B1", unit_cost="1")
    post_move(client, worker, "PEN", 2, "SUPPLIER", "B2", unit_cost="1")
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        catalog_on_the_phone(page)
        context.set_offline(True)  # all of it from the device
        page.locator("#scan").focus()
        wedge(page, PEN_EACH)  # scanned on the home screen: the scan screen answers
        result = page.locator("#scan-result")
        result.locator("[data-kind=item]").wait_for()
        assert "PEN" in result.inner_text()
        rows = [r.split("\t") for r in result.locator("tbody tr").all_inner_texts()]
        assert [(r[0], r[2]) for r in rows] == [("B1", "6"), ("B2", "2")]

        wedge(page, "B1")
        result.locator("[data-kind=location]").wait_for()
        assert [r.split("\t")[0] for r in result.locator("tbody tr").all_inner_texts()] == ["PEN"]
        wedge(page, "NO-SUCH-THING")
        result.locator("[data-kind=unknown]").wait_for()

        wedge(page, "B1")
        result.locator("[data-action=transfer]").click()
        page.locator("#transfer [data-field=from]").filter(has_text="B1").wait_for()  # the move starts from that bin

        context.set_offline(False)
        page.evaluate("location.hash = '#/scan/B2'")
        with page.expect_download() as download:
            page.locator("[data-action=print-location]").click()
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
    finally:
        context.close()


def test_pack_and_ship_sent_as_sync_operations_are_applied_once(client, world, as_role):
    from tests.test_sync import op, push

    number = picked_order(client, as_role)
    worker = as_role("warehouse")
    packing = op(1, "so.pack", {"order": number, "packages": [{"lines": [{"line": 1, "qty": "5"}], "weight_kg": "2"}]})
    first = push(client, worker, [packing])["results"][0]
    assert first["status"] == "applied" and len(first["details"]["packages"]) == 1
    again = push(client, worker, [packing])["results"][0]  # resent after a lost answer: the same result, no second box
    assert again["status"] == "applied" and again["details"] == first["details"]
    too_much = push(client, worker, [op(2, "so.pack", {"order": number, "packages": [{"lines": [{"line": 1, "qty": "1"}]}]})])["results"][0]
    assert too_much["status"] == "conflict" and too_much["details"]["error"] == "not_picked"
    shipped = push(client, worker, [op(3, "so.ship", {"order": number})])["results"][0]
    assert shipped["status"] == "applied" and shipped["details"]["status"] == "shipped"
    order = Api(client, worker).get(f"/api/v1/sales-orders/{number}")
    assert order["status"] == "shipped" and len(order["packages"]) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_order_shipped_on_the_phone_does_not_come_back_to_the_pack_list_before_the_server_has_it(
        browser, client, live_server, world, as_role, db):
    number = picked_order(client, as_role, qty="1")
    add_user(db, "packer", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = packed_one_pen(context, live_server, number)
        sent(page)
        page.route("**/api/v1/sync/push", lambda route: route.abort())  # the shipment waits in the outbox; the server still says packed
        with page.expect_response(lambda r: "/api/v1/sales-orders" in r.url and "status=packed" in r.url):
            page.locator("[data-action=ship]").click()
        page.locator("main[data-screen=pack]").get_by_text("没有待包装的订单").or_(page.locator("main[data-screen=pack] .list")).wait_for()
        page.wait_for_timeout(300)  # the list drawn again from what the server said
        assert page.locator(f"[data-so='{number}']").count() == 0
        page.unroute("**/api/v1/sync/push")
        page.evaluate("import('/sync.js').then((sync) => sync.syncNow())")
        sent(page)
    finally:
        context.close()
    assert Api(client, as_role("warehouse")).get(f"/api/v1/sales-orders/{number}")["status"] == "shipped"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_scan_counted_while_the_weight_is_typed_leaves_the_weight_field_in_focus(browser, client, live_server, world, as_role, db):
    number = picked_order(client, as_role)
    add_user(db, "packer", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "packer")
        catalog_on_the_phone(page)
        page.evaluate(f"location.hash = '#/pack/{number}'")
        weight = page.locator("input[name=weight]")
        weight.click()
        page.keyboard.type("0.")
        # A scan arrives (the camera, or a scanner paired to the phone) while the packer is typing the box's weight.
        page.evaluate(f"import('/scan.js').then((scan) => scan.dispatch('{PEN_EACH}'))")
        page.wait_for_function("() => document.querySelector('#pack tr[data-sku=PEN] [data-field=box]').textContent === '1'")
        page.keyboard.type("4")
        assert weight.input_value() == "0.4"
    finally:
        context.close()
