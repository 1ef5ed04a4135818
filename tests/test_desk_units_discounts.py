"""Cartons and discounts at the desk (1280×800, Debian's Chromium): a purchaser orders pens by the carton with a line
discount and a discount off the whole order, and reads the order back in cartons at the discounted amount; a finance
clerk bills the cartons received, prefilled in cartons at the order's net price; a salesperson takes an order with a
line below cost, is warned before confirming and refused when confirming, and an administrator confirms it; the quote and
the invoice read in cartons too."""

from __future__ import annotations

import pytest

from tests.desk import open_desk
from tests.helpers import add_user, post_move
from tests.stories import Api, books_are_sound, customer_and_areas, supplier_and_dock
from tests.test_office import visit

browser_test = pytest.mark.browser


@pytest.fixture
def trade(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """(Browser tests ask for `client` before `live_server`, so the live server stops first: both serve one app.)
    SUP1 and WH1's dock; CUS1 (no credit limit, price list RETAIL: pens at 12, at 11 from 20 up) and WH1's shipping area;
    50 pens in B1 at 2 yuan each. At the desk: a purchaser, a finance clerk, a salesperson and an administrator."""
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    customer_and_areas(admin)
    admin.post("/api/v1/price-lists", {"code": "RETAIL", "kind": "sales", "prices": [{"sku": "PEN", "price": "12"},
                                                                                   {"sku": "PEN", "price": "11", "min_qty": "20"}]}, expect=201)
    customer = admin.get("/api/v1/partners/CUS1")
    admin.patch("/api/v1/partners/CUS1", {"version": customer["version"], "price_list": "RETAIL"})
    assert post_move(client, as_role("warehouse"), "PEN", 50, "SUPPLIER", "B1", unit_cost="2").status_code == 201
    for username, roles in [("buyer", ["purchaser"]), ("clerk", ["finance"]), ("sally", ["sales"]), ("ada", ["admin"])]:
        add_user(db, username, roles, ["WH1"])
    return {"admin": admin, "purchaser": Api(client, as_role("purchaser", ("WH1",))), "approver": Api(client, as_role("approver")),
            "warehouse": Api(client, as_role("warehouse", ("WH1",))), "finance": Api(client, as_role("finance")), "sales": Api(client, as_role("sales"))}


def status_shows(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(".facts [data-field=status] dd", has_text=text).wait_for()


def no_text_missing(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("[...globalThis.cangkuMissingText]") == []


def nothing_overflows(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@browser_test
def test_a_purchaser_orders_ten_cartons_with_a_line_and_an_order_discount_and_reads_them_back_in_cartons(browser, client, live_server, trade):
    context, page = open_desk(browser, live_server, "buyer")
    try:
        visit(page, "#/office/purchase-orders", "#office-body [data-action=new-po]")
        page.get_by_role("button", name="New purchase order").click()
        form = page.locator("#po-form")
        form.get_by_label("Supplier", exact=True).fill("SUP1")
        form.get_by_label("Warehouse").fill("WH1")
        form.get_by_label("Order discount %").fill("2")
        form.get_by_label("SKU · Line 1").fill("PEN")
        form.get_by_label("Quantity · Line 1").fill("10")
        # Once the SKU is known, the line offers the pen's own unit and its carton of 12.
        unit = form.get_by_label("Unit · Line 1", exact=True)
        unit.select_option("carton")
        assert unit.locator("option").all_inner_texts() == ["pcs", "carton (12 pcs)"]
        assert unit.get_attribute("name") == "line-0-unit"
        form.get_by_label("Unit price · Line 1").fill("100")
        form.get_by_label("Discount % · Line 1", exact=True).fill("5")
        assert form.get_by_label("Discount % · Line 1", exact=True).get_attribute("name") == "line-0-discount"
        nothing_overflows(page)
        form.get_by_role("button", name="Create").click()

        # 10 cartons at 100, 5 % off the line and 2 % off the order: 93.10 a carton, 931.00.
        pen = page.locator("#po-lines tr[data-sku=PEN]")
        pen.wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        head = [th.strip() for th in page.locator("#po-lines thead th").all_inner_texts()]
        shown = dict(zip(head, [td.strip() for td in pen.locator("td").all_inner_texts()], strict=True))
        assert shown["Quantity"] == "10 carton\n= 120 pcs"
        assert (shown["Unit price"], shown["Discount %"], shown["Net"], shown["Received"]) == ("100.00", "5", "931.00", "0")
        assert page.locator(".facts [data-field=discount] dd").inner_text() == "2"
        assert page.locator(".totals [data-field=subtotal] td").inner_text() == "931.00 CNY"
        assert page.locator(".totals [data-field=total] td").inner_text() == "1,052.03 CNY"

        # Changing it, the form shows the line as it was ordered: in cartons, with its discount; the order's discount goes to 0.
        page.get_by_role("button", name="Edit").click()
        edit = page.locator("#po-edit")
        assert edit.locator("[name=line-0-qty]").input_value() == "10"
        assert edit.locator("[name=line-0-unit]").input_value() == "carton"
        assert edit.locator("[name=line-0-discount]").input_value() == "5"
        edit.get_by_label("Order discount %").fill("0")
        edit.get_by_role("button", name="Save").click()
        page.locator(".totals [data-field=subtotal] td", has_text="950.00").wait_for()
        assert page.locator(".facts [data-field=discount]").count() == 0
        nothing_overflows(page)
        no_text_missing(page)
    finally:
        context.close()
    order = trade["purchaser"].get(f"/api/v1/purchase-orders/{number}")
    line = order["lines"][0]
    assert (order["discount"], order["subtotal"], order["version"]) == ("0", "950", 2)  # the lines were not sent again
    assert (line["qty"], line["unit"], line["unit_qty"], line["unit_price"], line["discount"], line["net"]) == ("120", "carton", "10", "100", "5", "950")


@browser_test
def test_a_bill_for_cartons_is_entered_in_cartons_at_the_orders_net_price(browser, client, live_server, trade, db):
    purchaser, warehouse = trade["purchaser"], trade["warehouse"]
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "discount": "2", "lines": [
        {"sku": "PEN", "qty": "10", "unit": "carton", "unit_price": "100", "discount": "5"}, {"sku": "RICE", "qty": "5", "unit_price": "4"}]},
        expect=201)
    number = po["number"]
    po = purchaser.post(f"/api/v1/purchase-orders/{number}/submit", {"version": po["version"]})
    if po["status"] == "pending":
        trade["approver"].post(f"/api/v1/purchase-orders/{number}/approve", {"version": po["version"]})
    grn = warehouse.post("/api/v1/receipts", {"po": number}, expect=201)["number"]
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PEN", "qty": "120"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "RICE", "qty": "5"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn}/complete", {"lines": [{"line": 1, "accepted": "120"}, {"line": 2, "accepted": "5"}]})
    context, page = open_desk(browser, live_server, "clerk")
    try:
        visit(page, f"#/office/purchase-orders/{number}", "#po-lines tr[data-sku=PEN]")
        assert page.locator("#po-lines tr[data-sku=RICE] td").nth(3).inner_text() == "5 kg"  # beside cartons, each line names its unit
        page.get_by_role("button", name="Enter a bill").click()
        form = page.locator("#bill-form")
        # 120 pens received are 10 cartons, at 100 less 5 % and 2 %: 93.1 a carton. The rice is in its own unit, less 2 %.
        assert form.get_by_label("Quantity · Line 1").input_value() == "10"
        assert form.get_by_label("Unit price · Line 1").input_value() == "93.1"
        assert form.locator("tr[data-row='0'] [data-field=unit]").inner_text() == "carton (12 pcs)"
        assert (form.get_by_label("Quantity · Line 2").input_value(), form.get_by_label("Unit price · Line 2").input_value()) == ("5", "3.92")
        assert form.locator("tr[data-row='1'] [data-field=unit]").inner_text() == "kg"
        form.get_by_label("Supplier's bill number").fill("INV-1210")
        form.get_by_role("button", name="Create").click()
        status_shows(page, "Draft")
        bill = page.locator("#app h3").inner_text().split(" · ")[0]
        pens = page.locator("#bill-lines tr[data-line='1'] td").all_inner_texts()
        assert (pens[3], pens[4], pens[6]) == ("10 carton", "93.10", "931.00")
        page.get_by_role("button", name="Post").click()
        status_shows(page, "Posted")
        assert page.locator("#bill-issues").count() == 0  # it matches the order
        no_text_missing(page)
    finally:
        context.close()
    posted = trade["finance"].get(f"/api/v1/bills/{bill}")
    assert (posted["status"], posted["subtotal"], [(l["qty"], l["unit"], l["unit_qty"]) for l in posted["lines"]]) == (  # noqa: E741
        "posted", "950.6", [("120", "carton", "10"), ("5", "kg", "5")])
    books_are_sound(trade["admin"], db)


@browser_test
def test_five_pens_received_of_a_carton_line_are_billed_in_pieces_at_the_cartons_net_price(browser, client, live_server, trade, db):
    purchaser, warehouse = trade["purchaser"], trade["warehouse"]
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "discount": "2", "lines": [
        {"sku": "PEN", "qty": "1", "unit": "carton", "unit_price": "100", "discount": "5"}]}, expect=201)
    number = po["number"]
    po = purchaser.post(f"/api/v1/purchase-orders/{number}/submit", {"version": po["version"]})
    if po["status"] == "pending":
        trade["approver"].post(f"/api/v1/purchase-orders/{number}/approve", {"version": po["version"]})
    grn = warehouse.post("/api/v1/receipts", {"po": number}, expect=201)["number"]
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PEN", "qty": "5"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn}/complete", {"lines": [{"line": 1, "accepted": "5"}]})
    context, page = open_desk(browser, live_server, "clerk")
    try:
        visit(page, f"#/office/purchase-orders/{number}", "#po-lines tr[data-sku=PEN]")
        page.get_by_role("button", name="Enter a bill").click()
        form = page.locator("#bill-form")
        # Five pens are not a whole number of cartons: the line is offered in pieces, at 93.10 / 12 a piece.
        assert (form.get_by_label("Quantity · Line 1").input_value(), form.get_by_label("Unit price · Line 1").input_value()) == ("5", "7.758333")
        assert form.locator("tr[data-row='0'] [data-field=unit]").inner_text() == "pcs"
        form.get_by_role("button", name="Create").click()
        status_shows(page, "Draft")
        bill = page.locator("#app h3").inner_text().split(" · ")[0]
        page.get_by_role("button", name="Post").click()
        status_shows(page, "Posted")
        assert page.locator("#bill-issues").count() == 0
    finally:
        context.close()
    posted = trade["finance"].get(f"/api/v1/bills/{bill}")
    assert (posted["subtotal"], [(line["qty"], line["unit"]) for line in posted["lines"]]) == ("38.79", [("5", "pcs")])
    assert trade["finance"].account("220202") == "-100"  # only the 50 pens the fixture took in without an order
    books_are_sound(trade["admin"], db)


@browser_test
def test_an_order_selling_below_cost_warns_the_salesperson_is_refused_and_an_administrator_confirms_it(browser, client, live_server, trade):
    quote = trade["sales"].post("/api/v1/quotes", {"customer": "CUS1", "warehouse": "WH1", "discount": "3", "lines": [
        {"sku": "PEN", "qty": "5", "unit": "carton", "unit_price": "110", "discount": "4"}, {"sku": "PEN", "qty": "3", "unit_price": "12"}]}, expect=201)
    context, page = open_desk(browser, live_server, "sally")
    try:
        # A quote in cartons reads in cartons, with its discounts: 5 × 110 less 4 %, less 3 % off the whole quote.
        visit(page, f"#/office/quotes/{quote['number']}", "#quote-lines tr[data-line='1']")
        assert page.locator("#quote-lines tr[data-line='1'] td").all_inner_texts()[3:8] == ["5 carton\n= 60 pcs", "110.00", "4", "13", "512.16"]
        assert page.locator("#quote-lines tr[data-line='2'] td").all_inner_texts()[3:6] == ["3 pcs", "12.00", "0"]
        assert page.locator(".facts [data-field=discount] dd").inner_text() == "3"

        visit(page, "#/office/sales-orders/new", "#so-form")
        form = page.locator("#so-form")
        form.get_by_label("Customer").fill("CUS1")
        form.get_by_label("Warehouse").select_option("WH1")
        # Two cartons: the price list's 11 a pen from 20 up, 132 a carton, proposed per carton; 10 % off.
        form.get_by_label("SKU 1", exact=True).fill("PEN")
        form.get_by_label("Quantity 1", exact=True).fill("2")
        form.get_by_label("Unit 1", exact=True).select_option("carton")
        page.wait_for_function("() => document.querySelector('#so-form [aria-label=\"Unit price 1\"]').value === '132'")
        assert "List price 132.00 (RETAIL) / carton" in form.locator("tr[data-row='1'] [data-field=price-hint]").inner_text()
        form.get_by_label("Discount % 1", exact=True).fill("10")
        # Six pens at 1 each: they cost 2.
        form.get_by_role("button", name="Add a line").click()
        form.get_by_label("SKU 2", exact=True).fill("PEN")
        form.get_by_label("Quantity 2", exact=True).fill("6")
        form.get_by_label("Unit price 2", exact=True).fill("1")
        form.get_by_role("button", name="Create the sales order").click()

        # The draft says which line sells below cost, and who may confirm it, before anyone tries.
        page.locator("#so-lines tr[data-line='2']").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        warning = page.locator("#below-cost-warning")
        assert "line 2 (PEN)" in warning.locator("[data-field=lines]").inner_text()
        assert "Only an administrator may confirm this order" in warning.locator("[data-field=who-confirms]").inner_text()
        assert page.locator("#so-lines tr.below-cost").count() == 1
        assert "Below cost" in page.locator("#so-lines tr[data-line='2'].below-cost").inner_text()
        cartons = page.locator("#so-lines tr[data-line='1'] td").all_inner_texts()
        assert (cartons[3], cartons[4], cartons[5], cartons[6]) == ("2 carton\n= 24 pcs", "132.00", "10", "237.60")

        page.get_by_role("button", name="Confirm", exact=True).click()
        refusal = page.locator("#below-cost-refusal")
        refusal.wait_for()
        assert "line 2 (PEN)" in refusal.locator("[data-field=message]").inner_text()
        status_shows(page, "Draft")
        nothing_overflows(page)
        no_text_missing(page)
    finally:
        context.close()
    assert trade["sales"].get(f"/api/v1/sales-orders/{number}")["status"] == "draft"

    # An administrator, in Chinese, reads the same warning, that they may confirm it, and confirms it.
    context, page = open_desk(browser, live_server, "ada", lang="zh")
    try:
        visit(page, f"#/office/sales-orders/{number}", "#below-cost-warning")
        assert page.locator("#below-cost-warning h4").inner_text() == "低于成本销售"
        assert "第 2 行（PEN）" in page.locator("#below-cost-warning [data-field=lines]").inner_text()
        assert "您可以照样确认" in page.locator("#below-cost-warning [data-field=who-confirms]").inner_text()
        assert "低于成本" in page.locator("#so-lines tr[data-line='2']").inner_text()
        page.get_by_role("button", name="确认", exact=True).click()
        status_shows(page, "已确认")
        assert page.locator(".facts [data-field=below-cost-confirmed] dd").inner_text() == "ada"
        assert page.locator("#below-cost-warning").count() == 0

        # Shipped and invoiced (the floor and finance, through the API): the invoice keeps the order's units, at the net price.
        order = trade["sales"].get(f"/api/v1/sales-orders/{number}")
        assert (order["status"], order["below_cost_confirmed_by"], order["subtotal"]) == ("confirmed", "ada", "243.6")
        assert [(line["unit"], line["unit_qty"], line["qty"], line["discount"]) for line in order["lines"]] == [
            ("carton", "2", "24", "10"), ("pcs", "6", "6", "0")]
        wave = trade["warehouse"].post("/api/v1/waves", {"warehouse": "WH1", "orders": [number]}, expect=201)
        for task in wave["tasks"]:
            trade["warehouse"].post(f"/api/v1/pick-tasks/{task['id']}/confirm", {"qty": task["qty"], "location": task["location"]})
        trade["warehouse"].post(f"/api/v1/sales-orders/{number}/ship", {})
        invoice = trade["finance"].post(f"/api/v1/sales-orders/{number}/invoice", {"post": False}, expect=201)["number"]
        visit(page, f"#/office/invoices/{invoice}", "#invoice-lines tr[data-line='2']")
        assert [page.locator(f"#invoice-lines tr[data-line='{n}'] td").all_inner_texts()[3:5] for n in (1, 2)] == [["2 carton", "118.80"], ["6 pcs", "1.00"]]
        no_text_missing(page)
    finally:
        context.close()
