"""Purchase returns at the desk (1280×800, Debian's Chromium): a purchaser opens a received order, picks what goes back
from where it lies — the rejected goods in quarantine and some accepted stock — and the storekeeper ships it; the
order then shows what was returned and finance finds the debit note among the bills. In Chinese, the same pages read
in Chinese."""

from __future__ import annotations

import pytest

from tests.desk import open_desk
from tests.helpers import add_user
from tests.stories import Api, books_are_sound, supplier_and_dock
from tests.test_desk_purchasing import no_text_missing, nothing_overflows, status_shows, visit

browser_test = pytest.mark.browser


@pytest.fixture
def received(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """An order for 20 pens at 50, received: 17 accepted into B2 (12 of them billed), 3 rejected into quarantine (QC)."""
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    for username, role in [("buyer", "purchaser"), ("keeper", "warehouse"), ("clerk", "finance")]:
        add_user(db, username, [role], ["WH1"])
    purchaser, approver = Api(client, as_role("purchaser", ("WH1",))), Api(client, as_role("approver", ("WH1",)))
    warehouse, finance = Api(client, as_role("warehouse", ("WH1",))), Api(client, as_role("finance", ("WH1",)))
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "20", "unit_price": "50"}]},
                        expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    grn = warehouse.post("/api/v1/receipts", {"po": po["number"]}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines", {"sku": "PEN", "qty": "20"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn['number']}/complete")
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines/1/inspect", {"accepted": "17", "rejected": "3", "note": "broken tips"})
    task = warehouse.get("/api/v1/putaway-tasks", receipt=grn["number"])["items"][0]
    warehouse.post(f"/api/v1/putaway-tasks/{task['id']}/confirm", {"location": "B2"})
    bill = finance.post("/api/v1/bills", {"po": po["number"], "lines": [{"line": 1, "qty": "12", "unit_price": "50"}]}, expect=201)
    finance.post(f"/api/v1/bills/{bill['number']}/post", {})
    return {"po": po["number"], "bill": bill["number"], "finance": finance}


@browser_test
def test_a_purchaser_sends_rejected_and_accepted_goods_back_and_the_storekeeper_ships_them(browser, client, live_server, received, world):
    po = received["po"]
    buyer, page = open_desk(browser, live_server, "buyer")
    keeper = clerk = None
    try:
        visit(page, f"#/office/purchase-orders/{po}", "#po-lines")
        page.get_by_role("button", name="Return to supplier").click()
        candidates = page.locator("#purchase-return-candidates")
        candidates.wait_for()
        # A row for each place the goods lie: the 3 rejected in quarantine, the 17 accepted in B2.
        assert candidates.locator("tr[data-location=QC]").inner_text().count("Rejected (quarantine)") == 1
        assert "17" in candidates.locator("tr[data-location=B2]").inner_text()
        form = page.locator("#purchase-return-form")
        form.get_by_label("Qty to return PEN QC").fill("3")
        form.get_by_label("Reason PEN QC").fill("broken tips")
        # Too many from stock: refused, saying how many may go, and nothing is made.
        form.get_by_label("Qty to return PEN B2").fill("18")
        form.get_by_role("button", name="Create the purchase return").click()
        problem = form.locator("[data-field=form-error]")
        problem.wait_for()
        assert "17" in problem.inner_text()
        form.get_by_label("Qty to return PEN B2").fill("8")
        form.get_by_label("Supplier's return authorisation").fill("RA-5")
        form.get_by_role("button", name="Create the purchase return").click()
        lines = page.locator("#purchase-return-lines")
        lines.wait_for()
        status_shows(page, "Open")
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        assert lines.locator("tr[data-line]").count() == 2 and "broken tips" in lines.inner_text()
        assert page.locator("[data-field=actions] button").all_inner_texts() == ["Cancel document"]  # a purchaser does not ship
        no_text_missing(page)
        nothing_overflows(page)

        # The storekeeper ships it from the return's page.
        keeper, other = open_desk(browser, live_server, "keeper")
        visit(other, f"#/office/purchase-returns/{number}", "#purchase-return-lines")
        other.locator("[data-field=actions] button[data-action=ship]").click()
        status_shows(other, "Shipped")
        assert other.locator("[data-field=debit-note] dd").inner_text().startswith("DN-")
        assert other.locator("[data-field=value]").count() == 0  # no costs for the warehouse

        # Back on the order: 11 returned, the return listed with its debit note.
        visit(page, f"#/office/purchase-orders/{po}", "#po-lines")
        page.locator("#po-returns tr[data-return]").wait_for()
        cells = page.locator("#po-lines tr[data-sku=PEN] td").all_inner_texts()
        assert [cells[i].strip() for i in (7, 8, 9, 10)] == ["20", "17", "11", "9"]  # received, accepted, returned, billed
        assert "Shipped" in page.locator(f"#po-returns tr[data-return='{number}']").inner_text()
        # The order prints from its page, in the desk's language.
        href = page.locator("a[data-action=print]").get_attribute("href")
        assert href == f"/api/v1/purchase-orders/{po}/pdf?lang=en"
        printed = page.request.get(live_server.url + href)
        assert printed.status == 200 and printed.headers["content-type"] == "application/pdf" and printed.body().startswith(b"%PDF")

        # Finance finds the debit note among the bills, against the bill it settled.
        clerk, desk = open_desk(browser, live_server, "clerk")
        visit(desk, "#/office/bills", "tr[data-bill]")
        desk.get_by_label("Kind").select_option("debit_note")
        desk.wait_for_function("() => document.querySelectorAll('tr[data-bill]').length === 1")
        assert desk.locator("tr[data-bill]").get_attribute("data-bill").startswith("DN-") and "Debit note" in desk.locator("tr[data-bill]").inner_text()
        desk.locator("tr[data-bill] a").first.click()
        desk.locator("[data-field=credits] dd", has_text=received["bill"]).wait_for()
        assert "169.50" in desk.locator("#app").inner_text()
    finally:
        for context in (buyer, keeper, clerk):
            if context is not None:
                context.close()
    books_are_sound(received["finance"], world)


@browser_test
def test_the_purchase_return_pages_read_in_chinese(browser, client, live_server, received):
    buyer, page = open_desk(browser, live_server, "buyer", lang="zh")
    try:
        visit(page, f"#/office/purchase-returns/new/{received['po']}", "#purchase-return-candidates")
        text = page.locator("#app").inner_text()
        assert "新建采购退货单" in text and "不合格品（隔离区）" in text and "合格品（库存）" in text
        page.locator("#purchase-return-form").get_by_label("退货数量 PEN QC").fill("1")
        page.get_by_role("button", name="创建采购退货单").click()
        status_shows(page, "进行中")
        no_text_missing(page)
    finally:
        buyer.close()


@browser_test
def test_a_clerk_applies_a_debit_note_left_over_to_the_suppliers_next_bill(browser, client, live_server, received, as_role, world):
    from tests.test_story_purchase_return import _received_order

    finance = received["finance"]
    purchaser, approver = Api(client, as_role("purchaser", ("WH1",))), Api(client, as_role("approver", ("WH1",)))
    warehouse = Api(client, as_role("warehouse", ("WH1",)))
    # The first order's bill (12 of its 17 pens, 678) is paid in full; 7 pens go back after — the 5 not billed and 2 billed,
    # whose debit note (113) is left over.
    finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": "678",
                                      "allocations": [{"document": received["bill"], "amount": "678"}]}, expect=201)
    rma = purchaser.post("/api/v1/purchase-returns", {"po": received["po"], "lines": [{"line": 1, "qty": "7", "location": "B2"}]}, expect=201)
    note = warehouse.post(f"/api/v1/purchase-returns/{rma['number']}/ship", {"version": rma["version"]})["debit_note"]
    second, _grn = _received_order(purchaser, approver, warehouse, qty="4", accepted="4", rejected="0")
    bill = finance.post("/api/v1/bills", {"po": second, "lines": [{"line": 1, "qty": "4", "unit_price": "50"}]}, expect=201)
    finance.post(f"/api/v1/bills/{bill['number']}/post", {})
    clerk, page = open_desk(browser, live_server, "clerk")
    try:
        visit(page, f"#/office/bills/{note}", "#apply-note")
        form = page.locator("#apply-note")
        form.get_by_label("Bill number").fill(bill["number"])
        form.get_by_role("button", name="Apply").click()
        status_shows(page, "Paid")
        assert page.locator("#apply-note").count() == 0
        no_text_missing(page)
    finally:
        clerk.close()
    assert finance.get(f"/api/v1/bills/{bill['number']}")["open"] == "113"
    books_are_sound(finance, world)


@browser_test
def test_phones_go_back_to_the_supplier_by_their_serial_numbers(browser, client, live_server, as_role, world):
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    add_user(world, "buyer", ["purchaser"], ["WH1"])
    purchaser, approver = Api(client, as_role("purchaser", ("WH1",))), Api(client, as_role("approver", ("WH1",)))
    warehouse = Api(client, as_role("warehouse", ("WH1",)))
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PHONE", "qty": "3", "unit_price": "900"}]},
                        expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    if po["status"] == "pending":
        approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    grn = warehouse.post("/api/v1/receipts", {"po": po["number"]}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines", {"sku": "PHONE", "qty": "3", "serials": ["IMEI-1", "IMEI-2", "IMEI-3"]}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn['number']}/complete")
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines/1/inspect", {"accepted": "3"})
    task = warehouse.get("/api/v1/putaway-tasks", receipt=grn["number"])["items"][0]
    warehouse.post(f"/api/v1/putaway-tasks/{task['id']}/confirm", {"location": "B2"})
    context, page = open_desk(browser, live_server, "buyer")
    try:
        visit(page, f"#/office/purchase-returns/new/{po['number']}", "#purchase-return-candidates")
        form = page.locator("#purchase-return-form")
        # Two phones named, the quantity left empty: two go back, those two.
        form.get_by_label("Serials PHONE B2").fill("IMEI-3, IMEI-1")
        form.get_by_label("Reason PHONE B2").fill("dead on arrival")
        form.get_by_role("button", name="Create the purchase return").click()
        page.locator("#purchase-return-lines").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
    finally:
        context.close()
    rma = warehouse.get(f"/api/v1/purchase-returns/{number}")
    assert [(line["qty"], sorted(line["serials"])) for line in rma["lines"]] == [("2", ["IMEI-1", "IMEI-3"])]
    warehouse.post(f"/api/v1/purchase-returns/{number}/ship", {"version": rma["version"]})
    assert warehouse.stock("PHONE", "B2") == ("1", "0")
