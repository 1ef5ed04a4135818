"""Shipping short on a phone in Chromium: Ship on an order with a line not picked shows what is short and asks what
becomes of the rest — kept on a backorder, or cancelled — and the decision travels with the shipment; the desk shows
the order and its backorder linked both ways."""

from __future__ import annotations

import pytest

from tests.helpers import add_user, post_move
from tests.stories import Api, customer_and_areas
from tests.test_office import open_office, visit
from tests.test_pwa import PHONE, sign_in
from tests.test_pwa_inbox import catalog_on_the_phone, sent

pytestmark = pytest.mark.browser


def half_picked_order(client, as_role) -> str:  # type: ignore[no-untyped-def]
    """5 pens and 3 kg of rice ordered; the pens are picked, the rice is not."""
    admin, sales, warehouse = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    customer_and_areas(admin)
    post_move(client, warehouse.headers, "PEN", 8, "SUPPLIER", "B1", unit_cost="1")
    post_move(client, warehouse.headers, "RICE", 10, "SUPPLIER", "B2", unit_cost="4")
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [
        {"sku": "PEN", "qty": "5", "unit_price": "3"}, {"sku": "RICE", "qty": "3", "unit_price": "6"}]}, expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = warehouse.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    pens = next(t for t in wave["tasks"] if t["sku"] == "PEN")
    warehouse.post(f"/api/v1/pick-tasks/{pens['id']}/confirm", {"qty": "5", "location": "B1"})
    return order["number"]


def press_ship_on(page, number: str):  # type: ignore[no-untyped-def]
    """Open the order to pack and press Ship: the dialog that names what is short."""
    page.locator("[data-task=pack]").click()
    page.locator(f"[data-so='{number}'] button").click()
    page.locator("#pack tr[data-sku=PEN]").wait_for()
    page.locator("[data-action=ship]").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    return dialog


def the_dialog_names_the_rice_and_only_the_rice(dialog) -> None:  # type: ignore[no-untyped-def]
    rows = [r.split("\t") for r in dialog.locator("tbody tr").all_inner_texts()]
    assert [(r[0].split("\n")[0], r[1], r[2]) for r in rows] == [("RICE", "3", "0")]
    assert "大米" in dialog.inner_text()
    for name in ("发货并保留欠货单", "发货并取消其余", "返回"):
        assert dialog.get_by_role("button", name=name).is_visible()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_shipping_with_a_line_not_picked_asks_first_and_keeps_the_rest_on_a_backorder(browser, client, live_server, world, as_role, db):
    number = half_picked_order(client, as_role)
    add_user(db, "packer", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "packer")
        catalog_on_the_phone(page)
        page.locator("[data-task=pack] .badge").filter(has_text="1").wait_for()
        dialog = press_ship_on(page, number)
        the_dialog_names_the_rice_and_only_the_rice(dialog)
        dialog.get_by_role("button", name="发货并保留欠货单").click()
        page.get_by_role("alert").filter(has_text=f"已发货 {number}").wait_for()
        assert "其余转为欠货单" in page.get_by_role("alert").inner_text()
        sent(page)
    finally:
        context.close()
    warehouse = Api(client, as_role("warehouse"))
    order = warehouse.get(f"/api/v1/sales-orders/{number}")
    assert order["status"] == "shipped"
    assert [(line["sku"], line["picked"], line["shipped"], line["backordered"]) for line in order["lines"]] == [("PEN", "5", "5", "0"), ("RICE", "0", "0", "3")]
    assert len(order["backorders"]) == 1
    backorder = warehouse.get(f"/api/v1/sales-orders/{order['backorders'][0]}")
    assert backorder["status"] == "confirmed" and backorder["backorder_of"] == number
    assert [(line["sku"], line["qty"], line["reserved"]) for line in backorder["lines"]] == [("RICE", "3", "3")]
    assert warehouse.stock("PEN", "WH1-OUT") == ("0", "0") and warehouse.stock("RICE", "B2") == ("10", "3")

    add_user(db, "clerk", ["admin"])  # at the desk, each order names the other
    desk_context, desk = open_office(browser, live_server)
    try:
        visit(desk, f"#/office/sales-orders/{number}", "#so-lines tr[data-sku=RICE]")
        assert desk.locator("[data-field=backorders] dd").inner_text() == backorder["number"]
        desk.locator("[data-field=backorders] a").click()
        desk.locator("[data-field=backorder-of] dd").filter(has_text=number).wait_for()
    finally:
        desk_context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_shipping_with_a_line_not_picked_can_go_back_or_cancel_the_rest(browser, client, live_server, world, as_role, db):
    number = half_picked_order(client, as_role)
    add_user(db, "packer", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "packer")
        catalog_on_the_phone(page)
        page.locator("[data-task=pack] .badge").filter(has_text="1").wait_for()
        dialog = press_ship_on(page, number)
        dialog.get_by_role("button", name="返回").click()
        dialog.wait_for(state="detached")
        assert page.evaluate("import('/store.js').then(async (store) => (await store.outbox()).length)") == 0  # nothing sent
        page.locator("[data-action=ship]").click()
        dialog = page.get_by_role("dialog")
        the_dialog_names_the_rice_and_only_the_rice(dialog)
        dialog.get_by_label("取消其余的原因（可选）").fill("客户不要了")
        dialog.get_by_role("button", name="发货并取消其余").click()
        page.get_by_role("alert").filter(has_text=f"已发货 {number}").wait_for()
        sent(page)
    finally:
        context.close()
    warehouse = Api(client, as_role("warehouse"))
    order = warehouse.get(f"/api/v1/sales-orders/{number}")
    assert order["status"] == "shipped" and order["backorders"] == []
    assert [(line["sku"], line["shipped"], line["cancelled"], line["reserved"]) for line in order["lines"]] == [("PEN", "5", "0", "0"), ("RICE", "0", "3", "0")]
    assert warehouse.stock("RICE", "B2") == ("10", "0")
    entries = Api(client, as_role("admin")).get("/api/v1/audit", action="so.cancel_rest", target_type="so", target_id=number)["items"]
    assert [e["details"]["reason"] for e in entries] == ["客户不要了"]  # the reason typed on the phone is on record
