"""Printed documents, on SQLite and PostgreSQL: a purchase order, a goods received note, a picking list, a delivery note
and an invoice (and a credit note) come out as PDFs a person can read — the company's letterhead, the document's number,
partner and lines, its totals and the total in words (人民币大写), "第 1 页 / 共 N 页" on every page — with prices only for
those who may see them, and what people typed printed as they typed it. The desk prints an invoice from its page."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from server.auth.permissions import SYSTEM
from server.catalog.schemas import ItemCreate
from server.catalog.services import create_item
from server.printing.words import in_capitals, in_english
from server.settings import Settings
from tests.desk import open_desk
from tests.helpers import add_user, post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock

COMPANY = Settings.company_name_zh


def pages_of(client, headers, path: str, **params: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The text of each page of a printed document, which must come as an inline PDF named after its number."""
    response = client.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('inline; filename="')
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def numbered(pages: list[str], lang: str = "zh") -> bool:
    """Every page says which it is of how many."""
    n = len(pages)
    marks = [f"第 {i} 页 / 共 {n} 页" if lang == "zh" else f"Page {i} of {n}" for i in range(1, n + 1)]
    return all(mark in page for mark, page in zip(marks, pages, strict=True))


def ordered_from_sup1(client, as_role, lines: list[dict], note: str = "") -> str:  # type: ignore[no-untyped-def,type-arg]
    """A purchase order to SUP1 for WH1, submitted and approved."""
    supplier_and_dock(Api(client, as_role("admin")))
    purchaser = Api(client, as_role("purchaser"))
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": lines, "note": note}, expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    return po["number"]


def shipped_to_cus1(client, as_role, lines: list[tuple[str, str, str]]) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """An order of CUS1 (sku, qty, price) picked in one wave and shipped: the order's and the wave's numbers."""
    sales, worker = Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1",
                                                "lines": [{"sku": sku, "qty": qty, "unit_price": price} for sku, qty, price in lines]}, expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    for task in wave["tasks"]:
        worker.post(f"/api/v1/pick-tasks/{task['id']}/confirm", {"qty": task["qty"], "location": task["location"]})
    worker.post(f"/api/v1/sales-orders/{order['number']}/ship", {})
    return order["number"], wave["number"]


# The total in words ------------------------------------------------------------------------------------------


def test_a_total_in_chinese_capitals_reads_as_a_cheque_writes_it():
    assert in_capitals(Decimal("123.45")) == "人民币 壹佰贰拾叁元肆角伍分"
    assert in_capitals(Decimal("0")) == "人民币 零元整"
    assert in_capitals(Decimal("100")) == "人民币 壹佰元整"
    assert in_capitals(Decimal("100.05")) == "人民币 壹佰元零伍分"
    assert in_capitals(Decimal("-123.45")) == "人民币 负壹佰贰拾叁元肆角伍分"  # a credit note
    assert in_capitals(Decimal("100"), "美元") == "美元 壹佰元整"
    assert in_capitals(Decimal("0.005")) == "人民币 壹分"  # to the fen, half up


def test_a_total_in_english_words_names_its_currency_and_hundredths():
    assert in_english(Decimal("123.45")) == "Chinese yuan one hundred and twenty-three and 45/100 only"
    assert in_english(Decimal("100"), "US dollar") == "US dollar one hundred only"
    assert in_english(Decimal("-12.5"), "US dollar") == "US dollar minus twelve and 50/100 only"


# Each document ------------------------------------------------------------------------------------------------


def test_a_purchase_order_prints_the_supplier_its_lines_the_total_and_the_total_in_capitals(client, world, as_role):
    number = ordered_from_sup1(client, as_role, [{"sku": "PEN", "qty": "10", "unit_price": "10.95"}, {"sku": "RICE", "qty": "2.5", "unit_price": "4"}])
    [page] = pages_of(client, as_role("purchaser"), f"/api/v1/purchase-orders/{number}/pdf", lang="zh")
    assert COMPANY in page and "采购订单" in page and number in page and "供应商一" in page and "SUP1" in page
    assert "PEN" in page and "中性笔" in page and "RICE" in page and "2.5" in page
    # 10 × 10.95 + 2.5 × 4 = 119.50, VAT 14.24 + 1.30 = 15.54, total 135.04
    assert "119.50" in page and "15.54" in page and "135.04" in page
    assert "人民币 壹佰叁拾伍元零肆分" in page
    assert numbered([page])


def test_a_purchase_order_in_english_has_its_total_in_words_and_english_page_numbers(client, world, as_role):
    number = ordered_from_sup1(client, as_role, [{"sku": "PEN", "qty": "10", "unit_price": "10"}])
    [page] = pages_of(client, as_role("purchaser"), f"/api/v1/purchase-orders/{number}/pdf", lang="en")
    assert Settings.company_name_en in page and "Purchase order" in page and "Supplier One" in page and "Gel pen" in page
    assert "113.00" in page and "Chinese yuan one hundred and thirteen only" in page and "人民币 壹佰壹拾叁元整" in page
    assert numbered([page], "en")


def test_a_purchase_order_of_200_lines_runs_over_pages_each_numbered_and_headed_like_the_first(client, world, as_role, db):
    with db.write() as session:
        for n in range(1, 201):
            create_item(session, SYSTEM, ItemCreate(sku=f"BOLT-{n:03d}", name_zh=f"螺栓 {n} 号", name_en=f"Bolt no. {n}"))
    number = ordered_from_sup1(client, as_role, [{"sku": f"BOLT-{n:03d}", "qty": "1", "unit_price": "1"} for n in range(1, 201)])
    pages = pages_of(client, as_role("purchaser"), f"/api/v1/purchase-orders/{number}/pdf", lang="zh")
    assert len(pages) >= 3 and numbered(pages)
    assert all("商品编码" in page and "商品名称" in page and "金额" in page for page in pages)  # the table's header row on every page
    assert all(f"{number}" in page for page in pages)
    text = "".join(pages)
    assert all(f"BOLT-{n:03d}" in text for n in range(1, 201))
    assert "BOLT-001" in pages[0] and "BOLT-200" in pages[-1] and "226.00" in pages[-1] and "人民币 贰佰贰拾陆元整" in pages[-1]


def test_a_warehouse_worker_prints_a_purchase_order_without_its_prices(client, world, as_role):
    number = ordered_from_sup1(client, as_role, [{"sku": "PEN", "qty": "10", "unit_price": "10.95"}])
    [page] = pages_of(client, as_role("warehouse"), f"/api/v1/purchase-orders/{number}/pdf", lang="zh")
    assert "PEN" in page and "10" in page and number in page
    assert "10.95" not in page and "单价" not in page and "价税合计" not in page and "大写" not in page


def test_a_goods_received_note_shows_what_arrived_lot_by_lot_and_its_value_only_to_who_may_see_prices(client, world, as_role):
    number = ordered_from_sup1(client, as_role, [{"sku": "MILK", "qty": "20", "unit_price": "2.35"}, {"sku": "PEN", "qty": "12", "unit_price": "1"}])
    worker = Api(client, as_role("warehouse"))
    grn = worker.post("/api/v1/receipts", {"po": number}, expect=201)
    receipt = worker.post(f"/api/v1/receipts/{grn['number']}/lines/batch", {"lines": [
        {"sku": "MILK", "qty": "20", "lot": "L7", "expiry": "2027-03-01"}, {"sku": "PEN", "qty": "12"}]}, expect=201)
    worker.post(f"/api/v1/receipts/{grn['number']}/complete", {"version": receipt["version"], "lines": [
        {"line": 1, "accepted": "18", "rejected": "2", "reason": "破损"}, {"line": 2, "accepted": "12"}]})
    [seen] = pages_of(client, worker.headers, f"/api/v1/receipts/{grn['number']}/pdf", lang="zh")
    assert "入库单" in seen and grn["number"] in seen and number in seen and "供应商一" in seen
    assert "MILK" in seen and "牛奶" in seen and "L7" in seen and "2027-03-01" in seen and "PEN" in seen and "WH1" in seen
    assert "2.35" not in seen and "47.00" not in seen and "单价" not in seen and "价税合计" not in seen
    [valued] = pages_of(client, as_role("purchaser"), f"/api/v1/receipts/{grn['number']}/pdf", lang="zh")
    # 20 × 2.35 + 12 × 1 = 59.00, VAT 7.67 (6.11 + 1.56), 66.67
    assert "2.35" in valued and "47.00" in valued and "59.00" in valued and "66.67" in valued


def test_a_picking_list_walks_the_bins_in_route_order_with_no_prices_for_anyone(client, world, as_role):
    customer_and_areas(Api(client, as_role("admin")))
    worker = as_role("warehouse")
    post_move(client, worker, "RICE", 10, "SUPPLIER", "B2", unit_cost="4")
    post_move(client, worker, "PEN", 10, "SUPPLIER", "B1", unit_cost="1")
    sales = Api(client, as_role("sales"))
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [
        {"sku": "RICE", "qty": "3", "unit_price": "8.88"}, {"sku": "PEN", "qty": "4", "unit_price": "7.77"}]}, expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = Api(client, worker).post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    for headers in (worker, as_role("admin")):
        [page] = pages_of(client, headers, f"/api/v1/waves/{wave['number']}/pdf", lang="zh")
        assert "拣货单" in page and wave["number"] in page and order["number"] in page and "WH1" in page
        assert page.index("B1") < page.index("PEN") < page.index("B2") < page.index("RICE")  # the route: bin B1 first
        assert "8.88" not in page and "7.77" not in page and "单价" not in page
        assert numbered([page])


def test_a_delivery_note_prints_once_the_order_ships_with_its_lots_and_prices_only_for_sales(client, world, as_role):
    customer_and_areas(Api(client, as_role("admin")))
    worker = as_role("warehouse")
    post_move(client, worker, "MILK", 5, "SUPPLIER", "B1", lot="L1", unit_cost="1")
    post_move(client, worker, "PEN", 20, "SUPPLIER", "B2", unit_cost="1")
    sales = Api(client, as_role("sales"))
    draft = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1", "unit_price": "1"}]},
                       expect=201)
    refused = client.get(f"/api/v1/sales-orders/{draft['number']}/delivery-note.pdf", headers=sales.headers, params={"lang": "zh"})
    assert refused.status_code == 409 and refused.json()["error"] == "not_shipped" and "尚未发货" in refused.json()["details"]["message_zh"]
    number, _ = shipped_to_cus1(client, as_role, [("MILK", "5", "6.5"), ("PEN", "12", "2.25")])
    [page] = pages_of(client, worker, f"/api/v1/sales-orders/{number}/delivery-note.pdf", lang="zh")
    assert "送货单" in page and number in page and "客户一" in page and "CUS1" in page and "收货人签收" in page
    assert "MILK" in page and "L1" in page and "PEN" in page and "12" in page
    assert "6.5" not in page and "2.25" not in page and "单价" not in page and "价税合计" not in page
    [priced] = pages_of(client, sales.headers, f"/api/v1/sales-orders/{number}/delivery-note.pdf", lang="en")
    # 5 × 6.50 + 12 × 2.25 = 59.50, VAT 7.74 (4.23 + 3.51), 67.24
    assert "Delivery note" in priced and "Customer One" in priced and "2.25" in priced and "59.50" in priced and "67.24" in priced
    assert numbered([priced], "en")


def test_an_invoice_prints_its_vat_and_total_in_capitals_and_a_credit_note_prints_negative(client, world, as_role):
    customer_and_areas(Api(client, as_role("admin")))
    post_move(client, as_role("warehouse"), "PEN", 10, "SUPPLIER", "B1", unit_cost="1")
    number, _ = shipped_to_cus1(client, as_role, [("PEN", "10", "10.95")])
    finance = Api(client, as_role("finance"))
    invoice = finance.post(f"/api/v1/sales-orders/{number}/invoice", {}, expect=201)
    [page] = pages_of(client, finance.headers, f"/api/v1/invoices/{invoice['number']}/pdf", lang="zh")
    # 10 × 10.95 = 109.50, VAT 14.24, 123.74
    assert "销售发票" in page and invoice["number"] in page and "客户一" in page and "PEN" in page
    assert "109.50" in page and "14.24" in page and "123.74" in page and "人民币 壹佰贰拾叁元柒角肆分" in page and numbered([page])
    sales, worker = Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    rma = sales.post("/api/v1/returns", {"order": number, "lines": [{"line": 1, "qty": "2"}]}, expect=201)
    credit = worker.post(f"/api/v1/returns/{rma['number']}/receive")["credit_note"]
    [note] = pages_of(client, finance.headers, f"/api/v1/invoices/{credit}/pdf", lang="zh")
    # 2 × 10.95 = 21.90, VAT 2.85, 24.75 taken back
    assert "红字发票" in note and credit in note and invoice["number"] in note
    assert "-2" in note and "-21.90" in note and "-2.85" in note and "-24.75" in note and "人民币 负贰拾肆元柒角伍分" in note


def test_an_invoice_is_printed_only_for_who_may_see_prices(client, world, as_role):
    customer_and_areas(Api(client, as_role("admin")))
    post_move(client, as_role("warehouse"), "PEN", 1, "SUPPLIER", "B1", unit_cost="1")
    number, _ = shipped_to_cus1(client, as_role, [("PEN", "1", "3")])
    invoice = Api(client, as_role("finance")).post(f"/api/v1/sales-orders/{number}/invoice", {}, expect=201)
    refused = client.get(f"/api/v1/invoices/{invoice['number']}/pdf", headers=as_role("warehouse"))
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"


@pytest.mark.parametrize("path", ["/api/v1/purchase-orders/PO-1999-00001/pdf", "/api/v1/receipts/GRN-1999-00001/pdf", "/api/v1/waves/W-1999-00001/pdf",
                                  "/api/v1/sales-orders/SO-1999-00001/delivery-note.pdf", "/api/v1/invoices/INV-1999-00001/pdf"])
def test_printing_a_document_that_does_not_exist_says_so_in_both_languages(client, world, as_role, path):
    response = client.get(path, headers=as_role("admin"))
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["error"] == "not_found" and "1999-00001" in body["details"]["message_zh"] and "1999-00001" in body["details"]["message_en"]
    assert body["details"]["message_zh"].startswith("没有")


def test_markup_typed_into_a_partners_name_or_a_note_prints_exactly_as_typed(client, world, as_role):
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    admin.post("/api/v1/partners", {"code": "SUP2", "kind": "supplier", "name_zh": "<b>粗体 & 公司</b>", "name_en": "<b>Bold & Co</b>",
                                    "address": "<br/>1 Road & <i>Lane</i>"}, expect=201)
    purchaser = Api(client, as_role("purchaser"))
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP2", "warehouse": "WH1", "note": "<font size=40>&amp; fragile</font> &",
                                                    "lines": [{"sku": "PEN", "qty": "1", "unit_price": "1"}]}, expect=201)
    [page] = pages_of(client, purchaser.headers, f"/api/v1/purchase-orders/{po['number']}/pdf", lang="zh")
    assert "<b>粗体 & 公司</b>" in page and "<br/>1 Road & <i>Lane</i>" in page and "<font size=40>&amp; fragile</font> &" in page


# At the desk ---------------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_at_the_desk_finance_prints_an_invoice_from_its_page(browser, client, live_server, world, as_role, db):
    customer_and_areas(Api(client, as_role("admin")))
    post_move(client, as_role("warehouse"), "PEN", 3, "SUPPLIER", "B1", unit_cost="1")
    number, _ = shipped_to_cus1(client, as_role, [("PEN", "3", "5")])
    invoice = Api(client, as_role("finance")).post(f"/api/v1/sales-orders/{number}/invoice", {}, expect=201)
    add_user(db, "fiona", ["finance"])
    context, page = open_desk(browser, live_server, "fiona", "zh")
    try:
        page.evaluate(f"location.hash = '#/office/invoices/{invoice['number']}'")
        link = page.get_by_role("link", name="打印发票")
        assert link.get_attribute("target") == "_blank" and link.get_attribute("rel") == "noopener"
        with context.expect_event("response", lambda r: r.url.split("?")[0].endswith(f"/invoices/{invoice['number']}/pdf")) as printed:
            link.click()
        response = printed.value
        assert response.status == 200 and response.headers["content-type"] == "application/pdf" and "lang=zh" in response.url
        # The browser's PDF viewer keeps what it shows; the same request with the same session reads it back.
        again = context.request.get(response.url)
        assert again.status == 200
        text = PdfReader(io.BytesIO(again.body())).pages[0].extract_text()
        assert invoice["number"] in text and "人民币 壹拾陆元玖角伍分" in text  # 3 × 5 = 15.00 + 1.95 VAT
    finally:
        context.close()
