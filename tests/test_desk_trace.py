"""Tracing a lot at the desk (1280×800, Debian's Chromium): a salesperson answering a complaint about milk lot M7 sees the
receipt and supplier it came from, the customers it went to, the box that came back and the one a count wrote off, and
follows the links to the receipt, the order and the customer; a serial number is traced the same way, and a lot from
the item's stock list. In Chinese the page reads in Chinese."""

from __future__ import annotations

import pytest

from tests.desk import open_desk
from tests.helpers import add_user
from tests.test_desk_purchasing import no_text_missing
from tests.test_office import cells, open_section, use_language, visit
from tests.test_trace import milk_story

pytestmark = pytest.mark.browser


def trace(page, **fields: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator("#trace-form")
    for label, value in (("SKU", fields.get("sku", "")), ("Lot", fields.get("lot", "")), ("Serial number", fields.get("serial", ""))):
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name="Trace").click()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_someone_traces_a_lot_to_its_customers_and_back_to_its_supplier(browser, client, live_server, world, as_role, db):
    story = milk_story(client, as_role)
    add_user(db, "seller", ["sales"], ["WH1"])
    context, page = open_desk(browser, live_server, "seller")
    try:
        open_section(page, "trace")
        page.locator("#trace-form input[name=sku]:focus").wait_for()
        trace(page, sku="MILK", lot="NOPE")
        page.locator("#trace-result", has_text="Item MILK has no lot NOPE.").wait_for()
        trace(page, sku="MILK", lot="M7")
        page.locator("#trace-from tr[data-kind=receipt]").wait_for()
        assert page.evaluate("location.hash") == "#/office/trace/lot/MILK/M7"
        assert page.locator(".facts [data-field=on-hand] dd").inner_text() == "5 box"
        came = cells(page, "#trace-from tbody tr")
        assert [(r[0], r[1], r[2], r[3], r[4], r[6]) for r in came] == [
            ("Receipt", story["grn"], story["po"], "SUP1 · Supplier One", "WH1", "10"),
            ("Customer return", story["rma"], story["to_b"], "CUS2 · Customer Two", "WH1", "1"),
        ]
        went = cells(page, "#trace-to tbody tr")
        assert [(r[0], r[1], r[3], r[6]) for r in went] == [
            ("Shipment", story["to_a"], "CUS1 · Customer One", "3"), ("Shipment", story["to_b"], "CUS2 · Customer Two", "2"),
            ("Stocktake", story["count"], "", "1"),
        ]
        moves = cells(page, "#trace-moves tbody tr")
        assert [(r[3], r[4], r[5]) for r in moves][:2] == [("SUPPLIER", "WH1-DOCK", "In"), ("WH1-DOCK", "B1", "Within")] and len(moves) == 9

        # The links lead to the receipt, the customer's order and the customer, and back.
        page.locator("#trace-from tr[data-kind=receipt] a", has_text=story["grn"]).click()
        page.locator("#receipt-lines tr[data-sku=MILK]").wait_for()
        page.go_back()
        page.locator(f"#trace-to tr[data-document='{story['to_b']}'] a", has_text=story["to_b"]).click()
        page.locator("#so-lines tr[data-sku=MILK]").wait_for()
        page.go_back()
        page.locator("#trace-to tr[data-partner=CUS1] a", has_text="CUS1").click()
        page.locator("#office-body h3", has_text="CUS1 · Customer One").wait_for()
        page.go_back()
        page.locator("#trace-from tr[data-kind=return] a", has_text=story["rma"]).wait_for()

        # A phone by its serial number: its supplier and the customer it went to.
        trace(page, serial="SN-1")
        page.wait_for_function("() => location.hash === '#/office/trace/serial/SN-1'")
        page.locator(".facts [data-field=location] dd", has_text="CUSTOMER").wait_for()
        page.locator("#trace-to tr[data-partner=CUS2]").wait_for()
        assert cells(page, "#trace-from tbody tr")[0][3] == "SUP1 · Supplier One"
        assert page.locator(".facts [data-field=location] dd").inner_text() == "CUSTOMER"

        # From the item's stock list, a lot opens its trace.
        visit(page, "#/office/items/MILK", "#item-stock a[data-trace=M7]")
        page.locator("#item-stock a[data-trace=M7]").click()
        page.locator("#trace-to tr[data-partner=CUS1]").wait_for()

        # In Chinese the page reads in Chinese.
        use_language(page, "zh")
        page.locator("#trace-to tr[data-partner=CUS1]").wait_for()
        headings = page.locator("#office-body h4").all_inner_texts()
        assert headings == ["现存位置", "来源", "去向", "全部移动（按时间）"]
        assert [r[0] for r in cells(page, "#trace-from tbody tr")] == ["采购收货", "客户退货"]
        assert [r[0] for r in cells(page, "#trace-to tbody tr")] == ["销售发货", "销售发货", "盘点"]
        assert page.locator("#trace-form button[type=submit]").inner_text() == "追溯"
        assert page.locator(".office-nav [data-nav=trace]").inner_text() == "追溯"
        no_text_missing(page)
    finally:
        context.close()
