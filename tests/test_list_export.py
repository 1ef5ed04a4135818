"""Saving a desk list as a file: every page under the list's filters and sort, each row as the screen shows it."""

from __future__ import annotations

import csv
import glob
import io
import os
import tempfile
import time

import httpx
import openpyxl
import pytest

from tests.desk import open_desk
from tests.helpers import add_user
from tests.stories import Api, supplier_and_dock
from tests.test_office import cells, open_section

EXPORTS = "/api/v1/exports"


def table(**overrides):  # type: ignore[no-untyped-def]
    body = {
        "name": "purchase-orders", "title": "采购订单", "format": "xlsx", "lang": "zh",
        "columns": [{"title": "单号"}, {"title": "合计", "type": "number"}, {"title": "数量", "type": "number"}],
        "rows": [["PO-2026-00001", "12,345.60", "12"], ["=HYPERLINK(\"http://x\")", "—", "1.5"]],
        "filters": ["状态: 已审批"],
    }
    return body | overrides


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_saved_workbook_has_typed_figures_the_titles_shown_and_formulas_kept_as_text(client, world, as_role):
    response = client.post(EXPORTS, headers=as_role("viewer"), json=table())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "purchase-orders-" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet.title == "采购订单"
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == ["单号", "合计", "数量"]
    assert rows[1][0] == "PO-2026-00001" and float(rows[1][1]) == 12345.6 and sheet.cell(2, 2).number_format == "#,##0.00"
    assert float(rows[1][2]) == 12 and sheet.cell(2, 3).number_format == "#,##0"
    assert rows[2][0] == '=HYPERLINK("http://x")' and sheet.cell(3, 1).data_type == "s"  # text, never a formula
    assert rows[2][1] is None  # a dash is no figure
    about = [[c.value for c in r] for r in book.worksheets[1].iter_rows()]
    assert ["筛选", "状态: 已审批"] in about


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_saved_csv_opens_in_excel_as_chinese_with_formulas_defused(client, world, as_role):
    response = client.post(EXPORTS, headers=as_role("viewer"), json=table(format="csv"))
    assert response.status_code == 200, response.text
    assert response.content.startswith("\ufeff".encode())
    assert list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == [
        ["单号", "合计", "数量"], ["PO-2026-00001", "12345.60", "12"], ["'=HYPERLINK(\"http://x\")", "", "1.5"]]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(("change", "status", "says"), [
    ({"rows": [["PO-1", "twelve", "1"]]}, 422, "Row 1, column 2: 'twelve' is not a number"),
    ({"rows": [["PO-1", "1"]]}, 422, "Row 1 has 2 cells; the list has 3 columns"),
    ({"rows": [["PO-1", "1e999999", "1"]]}, 422, "not a number"),
    ({"rows": [["PO-1", "NaN", "1"]]}, 422, "not a number"),
    ({"rows": [["x\u0000", "1", "1"]]}, 400, "without control characters"),
    ({"rows": [["PO-1", "1", "1"]] * 10_001}, 400, "length <= 10000"),
    ({"name": "../etc/passwd"}, 400, "matching regex"),
    ({"format": "exe"}, 400, "Invalid enum value 'exe'"),
])
def test_a_list_that_cannot_be_a_file_is_refused_with_a_reason(client, world, as_role, change, status, says):
    response = client.post(EXPORTS, headers={**as_role("viewer"), "Accept-Language": "en"}, json=table(**change))
    assert response.status_code == status, response.text
    assert says in response.json()["message"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_saving_a_list_needs_a_signed_in_user(client, world):
    assert client.post(EXPORTS, json=table()).status_code == 401


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_clerk_saves_every_page_of_a_filtered_list_as_excel_and_csv_with_the_rows_the_screen_shows(browser, client, live_server, world, as_role, db):
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    purchaser = Api(client, as_role("purchaser"))
    numbers = []
    for n in range(53):  # more than a page of 50
        po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [
            {"sku": "PEN", "qty": str(n + 1), "unit_price": "1234.5"}]}, expect=201)
        numbers.append(po["number"])
    cancelled = purchaser.post(f"/api/v1/purchase-orders/{numbers[0]}/cancel", {"reason": "no longer needed"})
    assert cancelled["status"] == "cancelled"
    add_user(db, "clerk", ["purchaser"], ["WH1"])
    context, page = open_desk(browser, live_server, "clerk")
    try:
        open_section(page, "purchase-orders")
        page.locator("select[name=status]").select_option("draft")
        page.wait_for_function("() => document.querySelector('[data-field=range]').textContent === '1–50 / 52'")
        # Newest first until a heading is chosen; the total's heading sorts by it, ascending, then descending.
        assert cells(page, "#office-body tbody tr")[0][0] == numbers[-1]
        heading = page.locator("#office-body thead th", has=page.locator("[data-sort=total]"))
        heading.locator("button").click()
        page.wait_for_function("() => document.querySelector('#office-body thead th[aria-sort=ascending] [data-sort=total]')")
        assert cells(page, "#office-body tbody tr")[0][0] == numbers[1]  # the smallest order still open
        page.locator("#office-body [data-sort=total]").click()
        page.wait_for_function("() => document.querySelector('#office-body thead th[aria-sort=descending] [data-sort=total]')")
        assert page.evaluate("() => document.activeElement.dataset.sort") == "total"  # the keyboard stays on the heading
        first_page = cells(page, "#office-body tbody tr")
        assert first_page[0][0] == numbers[-1] and first_page[-1][0] == numbers[3]  # 53 × 1,234.50 down to the 50th largest
        titles = page.evaluate("() => [...document.querySelectorAll('#office-body thead th')].map((th) => th.textContent.replace(/[▲▼]/g, '').trim())")

        with page.expect_download() as download:
            page.locator("[data-export=xlsx]").click()
        assert download.value.suggested_filename.startswith("purchase-orders-") and download.value.suggested_filename.endswith(".xlsx")
        book = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
        rows = [[c.value for c in r] for r in book.worksheets[0].iter_rows()]
        assert rows[0] == titles
        assert len(rows) == 1 + 52  # every page, not the one on screen; the cancelled order is filtered out
        assert [r[0] for r in rows[1:]] == numbers[:0:-1]  # in the order chosen on screen: the largest total first
        assert [str(v) if v is not None else "" for v in rows[1][:2]] == first_page[0][:2]
        total = titles.index("Total")
        assert all(isinstance(r[total], (int, float)) for r in rows[1:])  # figures are numbers a sheet can sum
        shown_status = page.evaluate("() => document.querySelector('select[name=status]').selectedOptions[0].textContent")
        assert ["Filter", f"Status: {shown_status}"] in [[c.value for c in r] for r in book.worksheets[1].iter_rows()]

        with page.expect_download() as download:
            page.locator("[data-export=csv]").click()
        lines = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
        assert lines[0] == titles and len(lines) == 53
        assert lines[1] == [cell.replace(",", "") if i == total else cell for i, cell in enumerate(first_page[0])]
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_long_list_is_sent_in_pieces_as_it_is_read_and_leaves_no_file_behind(live_server, world, as_role):
    started = time.time() - 1
    rows = [[f"PO-2026-{n:05d} 上海仓 → 广州仓", f"{n}.50", str(n)] for n in range(1, 8001)]
    body = table(format="csv", rows=rows)
    with httpx.Client(base_url=live_server.url, timeout=60) as http, \
            http.stream("POST", EXPORTS, headers=as_role("viewer"), json=body) as response:
        assert response.status_code == 200
        # Streamed: no length known up front, the body comes in chunks.
        assert "content-length" not in response.headers and response.headers["transfer-encoding"] == "chunked"
        pieces = list(response.iter_raw())
    content = b"".join(pieces)
    assert len(content) > 256 * 1024 and len(pieces) > 1
    read = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert read[0] == ["单号", "合计", "数量"] and read[1:] == rows
    left = [p for p in glob.glob(os.path.join(tempfile.gettempdir(), "cangku-report-*")) if os.path.getmtime(p) >= started]
    assert left == []
