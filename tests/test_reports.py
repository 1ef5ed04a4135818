"""Reports: the figures a warehouse and a finance clerk read, the same in JSON, CSV and XLSX.

The stock below, after the moves in `stocked`:

    PEN  (pcs, 1.25 each)   B1 60 (4 reserved), B2 23, QC 2 (quarantine), W2-B1 5; 10 shipped
    MILK (boxes, lots)      L1 20 in B1 (expired 2 days ago), L2 10 in B2 (expires in 10 days),
                            L3 5 in W2-B1 (in 100 days); worth 105.00 in all, 3 a box
    RICE (kg)               1 in each of B1, B2, B3; 3 kg bought for 10.00, so 3.34 + 3.33 + 3.33
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import signal
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from sqlalchemy import update

from server.auth.permissions import SYSTEM
from server.inventory.models import Move
from server.reports import render
from server.reports.framework import Column, Report, Subtotals
from server.reports.stock import StockBalanceParams, allocate
from tests.helpers import PEN_EACH, post_move

REPORTS = "/api/v1/reports"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


@pytest.fixture
def stocked(client, world, admin):  # type: ignore[no-untyped-def]
    def ok(response):  # type: ignore[no-untyped-def]
        assert response.status_code in (200, 201), response.text
        return response.json()

    day = today()
    ok(client.patch("/api/v1/lots/MILK/L1", headers=admin, json={"expiry": (day - dt.timedelta(days=2)).isoformat()}))
    ok(client.patch("/api/v1/lots/MILK/L2", headers=admin, json={"expiry": (day + dt.timedelta(days=10)).isoformat()}))
    ok(client.post("/api/v1/lots", headers=admin, json={"sku": "MILK", "code": "L3", "expiry": (day + dt.timedelta(days=100)).isoformat()}))
    moves = [
        ("PEN", 100, "SUPPLIER", "B1", {"unit_cost": "1.25"}),
        ("PEN", 30, "B1", "B2", {}),
        ("PEN", 10, "B1", "CUSTOMER", {"reason": "SO-1 发货"}),
        ("PEN", 5, "B2", "W2-B1", {}),
        ("PEN", 2, "B2", "QC", {}),
        ("MILK", 20, "SUPPLIER", "B1", {"lot": "L1", "unit_cost": "2.5"}),
        ("MILK", 10, "SUPPLIER", "B2", {"lot": "L2", "unit_cost": "4"}),
        ("MILK", 5, "SUPPLIER", "W2-B1", {"lot": "L3", "unit_cost": "3"}),
        ("RICE", 3, "SUPPLIER", "B1", {"unit_cost": "3.333333"}),
        ("RICE", 1, "B1", "B2", {}),
        ("RICE", 1, "B1", "B3", {}),
    ]
    ids = {}
    for sku, qty, source, target, extra in moves:
        ids[(sku, source, target)] = ok(post_move(client, admin, sku, qty, source, target, **extra))["id"]
    ok(client.post("/api/v1/stock/reservations", headers=admin, json={"sku": "PEN", "location": "B1", "qty": "4"}))
    return ids


def report(client, headers, name, **params):  # type: ignore[no-untyped-def]
    response = client.get(f"{REPORTS}/{name}", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response


def table(body: dict, *keys: str) -> list[tuple]:
    return [tuple(row[k] for k in keys) for row in body["rows"]]


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.content.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM: Excel would garble the Chinese"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def sheet(response):  # type: ignore[no-untyped-def]
    return openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]


def exact(value: object) -> Decimal:
    """A number cell as the decimal it holds (openpyxl reads numbers back as int or float)."""
    assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{value!r} is not a number cell"
    return Decimal(repr(value))


# Pure parts ----------------------------------------------------------------------------------------


def test_splitting_a_value_over_bins_never_loses_or_makes_a_cent():
    assert allocate(Decimal("10.00"), [Decimal(1)] * 3) == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
    assert allocate(Decimal("0.05"), [Decimal(1)] * 10) == [Decimal("0.01")] * 5 + [Decimal(0)] * 5
    assert allocate(Decimal("112.50"), [Decimal(60), Decimal(23), Decimal(2), Decimal(5)]) == [
        Decimal("75.00"), Decimal("28.75"), Decimal("2.50"), Decimal("6.25"),
    ]
    assert allocate(Decimal("7"), []) == []
    rng = random.Random(7)
    for _ in range(500):
        weights = [Decimal(rng.randint(1, 10**8)).scaleb(-4) for _ in range(rng.randint(1, 12))]
        total = Decimal(rng.randint(0, 10**12)).scaleb(-2)
        parts = allocate(total, weights)
        assert sum(parts) == total
        assert all(abs(p - total * w / sum(weights)) < Decimal("0.01") for p, w in zip(parts, weights, strict=True))


def test_a_report_declared_wrongly_fails_when_the_server_starts_not_when_it_is_run():
    with pytest.raises(TypeError, match="only numbers have totals"):
        Report("broken", "坏", "Broken", "reports.read", StockBalanceParams, (Column("sku", "SKU", "SKU", total=True),), lambda s, a, p: [])
    with pytest.raises(TypeError, match="unknown permission"):
        Report("broken", "坏", "Broken", "reports.peek", StockBalanceParams, (), lambda s, a, p: [])
    with pytest.raises(TypeError, match="subtotals need a line column"):
        Report("broken", "坏", "Broken", "reports.read", StockBalanceParams, (Column("category", "分类", "Category"),), lambda s, a, p: [],
               subtotals=Subtotals("category", lambda first: {}, lambda p: True))


def test_a_subtotal_row_follows_each_group_in_its_order_and_the_totals_count_each_row_once():
    rows = [{"kind": "b", "name": "x", "qty": Decimal(2)}, {"kind": None, "name": "y", "qty": Decimal(5)},
            {"kind": "a", "name": "z", "qty": Decimal(1)}, {"kind": "b", "name": "w", "qty": Decimal(3)}]
    grouped: Report[StockBalanceParams] = Report(
        "grouped", "分组", "Grouped", "reports.read", StockBalanceParams,
        (Column("line", "行", "Line"), Column("kind", "类", "Kind"), Column("name", "名", "Name"), Column("qty", "数", "Qty", "qty", total=True)),
        lambda s, a, p: rows,
        subtotals=Subtotals("kind", lambda first: {"name": f"all {first['kind'] or '-'}"}, lambda p: p.subtotals,
                            derive=lambda p, line: {"name": f"{line['name']} ({line['qty']})"}),
    )
    result = grouped.run(_NoSession(), SYSTEM, StockBalanceParams(subtotals=True))
    assert [(r["line"], r["kind"], r["name"], r["qty"]) for r in result.rows] == [
        (None, "a", "z", 1), ("subtotal", "a", "all a (1)", 1),
        (None, "b", "x", 2), (None, "b", "w", 3), ("subtotal", "b", "all b (5)", 5),
        (None, None, "y", 5), ("subtotal", None, "all - (5)", 5),
    ]
    assert result.totals == {"qty": 11}
    assert [r["name"] for r in grouped.run(_NoSession(), SYSTEM, StockBalanceParams()).rows] == ["x", "y", "z", "w"]


class _NoSession:
    """A report that reads nothing needs only the snapshot call of a session."""

    def get_bind(self):  # type: ignore[no-untyped-def]
        return self

    class dialect:  # noqa: N801 - stands in for the engine's dialect
        name = "none"


# Stock balance -------------------------------------------------------------------------------------


def test_stock_balance_by_bin_shows_on_hand_reserved_available_and_value(client, stocked, admin):
    body = report(client, admin, "stock_balance").json()
    assert body["report"] == "stock_balance" and body["title_zh"] == "库存余额表" and body["title_en"] == "Stock balance"
    assert [c["key"] for c in body["columns"]] == [
        "sku", "name_zh", "name_en", "unit", "warehouse", "location", "qty", "reserved", "available", "unit_cost", "value",
    ]
    assert table(body, "sku", "warehouse", "location", "qty", "reserved", "available", "unit_cost", "value") == [
        ("MILK", "WH1", "B1", "20", "0", "20", "3", "60"),
        ("MILK", "WH1", "B2", "10", "0", "10", "3", "30"),
        ("MILK", "WH2", "W2-B1", "5", "0", "5", "3", "15"),
        ("PEN", "WH1", "B1", "60", "4", "56", "1.25", "75"),
        ("PEN", "WH1", "B2", "23", "0", "23", "1.25", "28.75"),
        ("PEN", "WH1", "QC", "2", "0", "0", "1.25", "2.5"),  # quarantined: on hand, not available
        ("PEN", "WH2", "W2-B1", "5", "0", "5", "1.25", "6.25"),
        ("RICE", "WH1", "B1", "1", "0", "1", "3.333333", "3.34"),  # 10.00 over three kilos: the odd cent goes somewhere
        ("RICE", "WH1", "B2", "1", "0", "1", "3.333333", "3.33"),
        ("RICE", "WH1", "B3", "1", "0", "1", "3.333333", "3.33"),
    ]
    assert body["rows"][3]["name_zh"] == "中性笔" and body["rows"][3]["name_en"] == "Gel pen"
    assert body["totals"] == {"qty": "128", "reserved": "4", "available": "122", "value": "227.5"}
    assert body["params"] == {"tz": "Asia/Shanghai", "warehouse": None, "location": None, "sku": None, "category": None, "group_by": "location",
                              "subtotals": False}
    assert dt.datetime.fromisoformat(body["generated_at"]).tzinfo is not None


def test_the_stock_value_adds_up_to_the_inventory_account(client, stocked, admin):
    value = report(client, admin, "stock_balance", group_by="lot").json()["totals"]["value"]
    books = report(client, admin, "trial_balance").json()
    inventory = next(row for row in books["rows"] if row["code"] == "1405")
    assert value == inventory["balance"] == "227.5"


def test_stock_balance_by_warehouse_adds_up_the_bins(client, stocked, admin):
    body = report(client, admin, "stock_balance", group_by="warehouse", sku="PEN").json()
    assert "location" not in [c["key"] for c in body["columns"]]
    assert table(body, "sku", "warehouse", "qty", "reserved", "available", "value") == [
        ("PEN", "WH1", "85", "4", "79", "106.25"),
        ("PEN", "WH2", "5", "0", "5", "6.25"),
    ]
    assert all("location" not in row for row in body["rows"])


def test_stock_balance_by_lot_shows_each_lot_and_its_expiry(client, stocked, admin):
    body = report(client, admin, "stock_balance", group_by="lot", sku="MILK").json()
    day = today()
    assert table(body, "location", "lot", "expiry", "qty", "value") == [
        ("B1", "L1", (day - dt.timedelta(days=2)).isoformat(), "20", "60"),
        ("B2", "L2", (day + dt.timedelta(days=10)).isoformat(), "10", "30"),
        ("W2-B1", "L3", (day + dt.timedelta(days=100)).isoformat(), "5", "15"),
    ]


def test_a_zone_filter_covers_the_bins_under_it(client, stocked, admin):
    body = report(client, admin, "stock_balance", warehouse="WH1", location="Z1", sku="PEN").json()
    assert table(body, "location", "qty") == [("B1", "60"), ("B2", "23")]  # QC hangs off the warehouse, not the zone
    assert body["totals"]["qty"] == "83"


def test_warehouse_staff_see_quantities_but_no_costs(client, stocked, as_role):
    worker = as_role("warehouse")
    body = report(client, worker, "stock_balance").json()
    keys = [c["key"] for c in body["columns"]]
    assert "value" not in keys and "unit_cost" not in keys
    assert all("value" not in row and "unit_cost" not in row for row in body["rows"])
    assert body["totals"] == {"qty": "128", "reserved": "4", "available": "122"}
    header = csv_rows(report(client, worker, "stock_balance", format="csv", lang="en"))[0]
    assert "Value" not in header and "Average unit cost" not in header
    ws = sheet(report(client, worker, "stock_balance", format="xlsx", lang="en"))
    assert "Value" not in [c.value for c in ws[1]]
    ledger = report(client, worker, "stock_ledger", sku="PEN").json()
    assert "unit_cost" not in ledger["rows"][0] and "value" not in ledger["rows"][0]


def test_stock_balance_as_csv_has_the_same_figures_and_the_chinese_names(client, stocked, admin):
    body = report(client, admin, "stock_balance").json()
    response = report(client, admin, "stock_balance", format="csv", lang="zh")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="stock-balance-{today().isoformat()}.csv"'
    header, *lines = csv_rows(response)
    assert header == ["SKU", "品名（中文）", "品名（英文）", "单位", "仓库", "库位", "现存量", "已预留", "可用量", "平均单位成本", "库存金额"]
    keys = [c["key"] for c in body["columns"]]
    assert [dict(zip(keys, line, strict=True)) for line in lines] == [
        {k: "" if v is None else v for k, v in row.items()} for row in body["rows"]
    ]
    assert lines[3][1] == "中性笔"


def test_csv_titles_follow_the_browser_language_or_both(client, stocked, admin):
    english = client.get(f"{REPORTS}/stock_balance", headers=admin | {"Accept-Language": "en-US"}, params={"format": "csv"})
    chinese = client.get(f"{REPORTS}/stock_balance", headers=admin | {"Accept-Language": "zh-CN,zh;q=0.9"}, params={"format": "csv"})
    both = report(client, admin, "stock_balance", format="csv", lang="both")
    assert csv_rows(english)[0][6] == "On hand"
    assert csv_rows(chinese)[0][6] == "现存量"
    assert csv_rows(both)[0][6] == "现存量 / On hand"


def test_stock_balance_as_xlsx_has_number_cells_equal_to_the_json_figures(client, stocked, admin):
    body = report(client, admin, "stock_balance", group_by="lot").json()
    response = report(client, admin, "stock_balance", group_by="lot", format="xlsx", lang="en")
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["content-disposition"] == f'attachment; filename="stock-balance-{today().isoformat()}.xlsx"'
    ws = sheet(response)
    keys = [c["key"] for c in body["columns"]]
    assert [c.value for c in ws[1]] == [c["title_en"] for c in body["columns"]]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    types = {c["key"]: c["type"] for c in body["columns"]}
    for line, row in zip(ws.iter_rows(min_row=2, max_row=len(body["rows"]) + 1), body["rows"], strict=True):
        cells = dict(zip(keys, line, strict=True))
        for key, value in row.items():
            cell = cells[key]
            if value is None:
                assert cell.value is None
            elif types[key] in ("qty", "money", "cost"):
                assert exact(cell.value) == Decimal(value), (key, cell.value, value)
            elif types[key] == "date":
                assert cell.is_date and cell.value.date() == dt.date.fromisoformat(value)
            else:
                assert cell.value == value
    assert ws.cell(row=3, column=keys.index("name_zh") + 1).value == "牛奶"
    money = ws.cell(row=2, column=keys.index("value") + 1)
    assert money.number_format == "#,##0.00"
    totals = [c.value for c in ws[len(body["rows"]) + 2]]
    assert totals[0] == "Total"
    assert exact(totals[keys.index("qty")]) == Decimal("128")
    assert exact(totals[keys.index("value")]) == Decimal("227.5")
    assert ws.column_dimensions["B"].width >= 8


def test_xlsx_shows_kilos_to_their_decimals_and_keeps_text_as_text(client, stocked, admin):
    assert post_move(client, admin, "RICE", "0.375", "SUPPLIER", "B1", unit_cost="2", reason="=HYPERLINK(\"http://x\")").status_code == 201
    ws = sheet(report(client, admin, "stock_ledger", sku="RICE", format="xlsx", lang="zh"))
    header = [c.value for c in ws[1]]
    last = ws[ws.max_row - 1]  # above the totals row
    qty = last[header.index("移动数量")]
    assert exact(qty.value) == Decimal("0.375") and qty.number_format == "#,##0.000"
    reason = last[header.index("摘要")]
    assert reason.data_type == "s" and reason.value == '=HYPERLINK("http://x")'
    assert isinstance(last[header.index("时间")].value, dt.datetime)


# Stock ledger --------------------------------------------------------------------------------------


def test_the_ledger_of_an_item_runs_the_company_balance_move_by_move(client, stocked, admin):
    body = report(client, admin, "stock_ledger", sku="PEN").json()
    assert table(body, "from", "to", "qty", "qty_in", "qty_out", "balance", "unit_cost", "value") == [
        ("SUPPLIER", "B1", "100", "100", None, "100", "1.25", "125"),
        ("B1", "B2", "30", None, None, "100", "1.25", "37.5"),  # between our own bins: the company holds as much as before
        ("B1", "CUSTOMER", "10", None, "10", "90", "1.25", "12.5"),
        ("B2", "W2-B1", "5", None, None, "90", "1.25", "6.25"),
        ("B2", "QC", "2", None, None, "90", "1.25", "2.5"),
    ]
    assert body["totals"] == {"qty_in": "100", "qty_out": "10"}
    assert body["rows"][2]["reason"] == "SO-1 发货"
    assert body["rows"][0]["move"] == stocked[("PEN", "SUPPLIER", "B1")]
    assert dt.datetime.fromisoformat(body["rows"][0]["at"]).tzinfo is not None


def test_the_ledger_of_a_warehouse_counts_transfers_out_of_it(client, stocked, admin):
    body = report(client, admin, "stock_ledger", sku="PEN", location="WH1").json()
    assert table(body, "to", "qty_in", "qty_out", "balance") == [
        ("B1", "100", None, "100"),
        ("B2", None, None, "100"),
        ("CUSTOMER", None, "10", "90"),
        ("W2-B1", None, "5", "85"),
        ("QC", None, None, "85"),
    ]


def test_the_ledger_of_one_bin_shows_only_its_moves(client, stocked, admin):
    body = report(client, admin, "stock_ledger", sku="PEN", location="B2").json()
    assert table(body, "from", "to", "qty_in", "qty_out", "balance") == [
        ("B1", "B2", "30", None, "30"),
        ("B2", "W2-B1", None, "5", "25"),
        ("B2", "QC", None, "2", "23"),
    ]


def test_a_ledger_period_starts_from_the_opening_balance(client, stocked, admin):
    tomorrow = today() + dt.timedelta(days=1)
    body = report(client, admin, "stock_ledger", sku="PEN", **{"from": tomorrow.isoformat()}).json()
    assert table(body, "reason", "move", "balance") == [("期初结存 / Opening balance", None, "90")]
    assert body["params"]["from"] == tomorrow.isoformat()
    whole_day = report(client, admin, "stock_ledger", sku="PEN", location="B2", **{"from": today().isoformat(), "to": today().isoformat()}).json()
    assert table(whole_day, "qty_in", "qty_out", "balance") == [(None, None, "0"), ("30", None, "30"), (None, "5", "25"), (None, "2", "23")]
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    assert report(client, admin, "stock_ledger", sku="PEN", to=yesterday).json()["rows"] == []


def test_the_ledger_as_csv_and_xlsx(client, stocked, admin):
    body = report(client, admin, "stock_ledger", sku="PEN", location="B2").json()
    header, *lines = csv_rows(report(client, admin, "stock_ledger", sku="PEN", location="B2", format="csv", lang="en"))
    assert header[:3] == ["Time", "Move", "From"]
    assert [(line[7], line[8], line[9]) for line in lines] == [("30", "", "30"), ("", "5", "25"), ("", "2", "23")]
    local = dt.datetime.fromisoformat(body["rows"][0]["at"]).astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)
    assert lines[0][0] == local.isoformat(sep=" ")
    ws = sheet(report(client, admin, "stock_ledger", sku="PEN", location="B2", format="xlsx", lang="en"))
    at = ws.cell(row=2, column=1)
    assert at.is_date and at.value.replace(microsecond=0) == local
    assert exact(ws.cell(row=4, column=10).value) == Decimal("23")
    assert [exact(ws.cell(row=5, column=c).value) for c in (8, 9)] == [Decimal("30"), Decimal("7")]  # totals in, out


# Slow-moving stock ---------------------------------------------------------------------------------


def test_items_that_never_went_out_are_slow_moving(client, stocked, admin):
    body = report(client, admin, "slow_moving").json()
    assert table(body, "sku", "qty", "last_outbound", "days_idle", "value") == [
        ("MILK", "35", None, None, "105"),
        ("RICE", "3", None, None, "10"),
    ]  # PEN was shipped today; moving RICE between our own bins is not using it
    assert body["totals"] == {"qty": "38", "value": "115"}


def test_an_item_last_shipped_a_hundred_days_ago_is_slow_at_ninety_days_not_at_a_hundred_and_twenty(client, stocked, admin, db):
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=100, hours=1)
    with db.write() as session:  # backdating the outbound moves: the ledger itself never edits one
        for key in [("PEN", "B1", "CUSTOMER"), ("PEN", "B2", "W2-B1")]:
            session.execute(update(Move).where(Move.id == stocked[key]).values(created_at=long_ago))
    body = report(client, admin, "slow_moving", days=90).json()
    assert table(body, "sku", "qty", "days_idle", "value") == [("MILK", "35", None, "105"), ("RICE", "3", None, "10"), ("PEN", "90", 100, "112.5")]
    assert dt.datetime.fromisoformat(body["rows"][2]["last_outbound"]) == long_ago
    assert [row["sku"] for row in report(client, admin, "slow_moving", days=120).json()["rows"]] == ["MILK", "RICE"]


def test_slow_moving_in_one_warehouse(client, stocked, admin):
    body = report(client, admin, "slow_moving", warehouse="WH2").json()
    assert table(body, "sku", "qty", "value") == [("MILK", "5", "15"), ("PEN", "5", "6.25")]  # nothing ever left WH2


def test_slow_moving_as_xlsx_leaves_never_blank(client, stocked, admin):
    ws = sheet(report(client, admin, "slow_moving", format="xlsx", lang="zh"))
    assert [c.value for c in ws[1]] == ["SKU", "品名（中文）", "品名（英文）", "单位", "现存量", "最后出库时间", "未出库天数", "平均单位成本", "库存金额"]
    assert [ws.cell(row=2, column=c).value for c in (1, 2, 6, 7)] == ["MILK", "牛奶", None, None]
    assert exact(ws.cell(row=2, column=9).value) == Decimal("105")
    assert ws.cell(row=4, column=1).value == "合计" and exact(ws.cell(row=4, column=9).value) == Decimal("115")


# Expiring lots -------------------------------------------------------------------------------------


def test_expiring_lots_come_first_to_expire_first(client, stocked, admin):
    day = today()
    body = report(client, admin, "expiring").json()
    assert table(body, "expiry", "days_left", "sku", "lot", "warehouse", "location", "qty", "value") == [
        ((day - dt.timedelta(days=2)).isoformat(), -2, "MILK", "L1", "WH1", "B1", "20", "60"),
        ((day + dt.timedelta(days=10)).isoformat(), 10, "MILK", "L2", "WH1", "B2", "10", "30"),
    ]
    assert body["totals"] == {"qty": "30", "value": "90"}
    assert [r["lot"] for r in report(client, admin, "expiring", days=0).json()["rows"]] == ["L1"]
    assert [r["lot"] for r in report(client, admin, "expiring", days=200).json()["rows"]] == ["L1", "L2", "L3"]
    assert [r["lot"] for r in report(client, admin, "expiring", days=200, warehouse="WH2").json()["rows"]] == ["L3"]


def test_expiring_lots_as_xlsx_have_real_dates(client, stocked, admin):
    ws = sheet(report(client, admin, "expiring", format="xlsx", lang="en"))
    expiry = ws.cell(row=2, column=1)
    assert expiry.is_date and expiry.value.date() == today() - dt.timedelta(days=2)
    assert expiry.number_format == "yyyy-mm-dd"
    assert ws.cell(row=2, column=2).value == -2
    header, *lines = csv_rows(report(client, admin, "expiring", format="csv", lang="en"))
    assert lines[0][:2] == [(today() - dt.timedelta(days=2)).isoformat(), "-2"]


# Trial balance -------------------------------------------------------------------------------------


def test_the_trial_balance_report_balances(client, stocked, admin):
    body = report(client, admin, "trial_balance").json()
    assert table(body, "code", "name_zh", "debit", "credit", "balance") == [
        ("1405", "库存商品", "240", "12.5", "227.5"),
        ("220202", "应付账款-暂估", "0", "240", "-240"),
        ("6401", "主营业务成本", "12.5", "0", "12.5"),
    ]
    assert body["totals"] == {"debit": "252.5", "credit": "252.5", "balance": "0"}
    header, *lines = csv_rows(report(client, admin, "trial_balance", format="csv", lang="zh"))
    assert header[:2] == ["科目编码", "科目名称（中文）"] and lines[1][:2] == ["220202", "应付账款-暂估"]
    assert lines[1][4:] == ["0", "240", "-240"]
    ws = sheet(report(client, admin, "trial_balance", format="xlsx"))
    assert [exact(ws.cell(row=5, column=c).value) for c in (5, 6, 7)] == [Decimal("252.5"), Decimal("252.5"), Decimal(0)]
    assert exact(ws.cell(row=3, column=7).value) == Decimal("-240")


def test_warehouse_staff_may_not_read_the_trial_balance(client, stocked, as_role):
    for fmt in ("json", "csv", "xlsx"):
        response = client.get(f"{REPORTS}/trial_balance", headers=as_role("warehouse"), params={"format": fmt})
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "forbidden"
    assert report(client, as_role("finance"), "trial_balance").json()["totals"]["debit"] == "252.5"


# The list, and what is refused ---------------------------------------------------------------------


def test_the_report_list_shows_what_each_user_may_run_and_its_filters(client, world, admin, as_role):
    listed = client.get(REPORTS, headers=admin).json()["items"]
    assert [r["name"] for r in listed] == [
        "stock_balance", "stock_valuation", "stock_ledger", "slow_moving", "expiring", "stock_alerts", "stock_value", "top_movers", "stock_turnover",
        "trial_balance", "balance_sheet", "income_statement", "purchase_summary", "sales_detail", "gross_profit", "sales_analysis",
        "collection_analysis", "ar_ageing", "ap_ageing", "customer_statement", "supplier_statement", "supplier_scorecard",
    ]
    ledger = next(r for r in listed if r["name"] == "stock_ledger")
    params = {p["name"]: p for p in ledger["params"]}
    assert params["sku"]["required"] and params["sku"]["type"] == "text"
    assert params["from"]["type"] == "date" and not params["from"]["required"] and params["from"]["title_zh"] == "起始日期（含）"
    balance = next(r for r in listed if r["name"] == "stock_balance")
    assert {p["name"]: p for p in balance["params"]}["group_by"]["choices"] == ["warehouse", "location", "lot"]
    assert balance["path"] == "/api/v1/reports/stock_balance" and balance["formats"] == ["json", "csv", "xlsx"]
    slow = {p["name"]: p for p in next(r for r in listed if r["name"] == "slow_moving")["params"]}
    assert (slow["days"]["default"], slow["days"]["minimum"], slow["days"]["maximum"]) == (90, 1, 3650)
    mine = client.get(REPORTS, headers=as_role("warehouse")).json()["items"]
    assert not {"trial_balance", "stock_value", "stock_valuation"} & {r["name"] for r in mine}
    assert "value" not in [c["key"] for c in next(r for r in mine if r["name"] == "stock_balance")["columns"]]


def test_an_unknown_report_is_not_found_and_says_which_exist(client, world, admin):
    response = client.get(f"{REPORTS}/stock_forecast", headers=admin)
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_report" and "stock_balance" in response.json()["message"]
    suffixed = client.get(f"{REPORTS}/stock_balance.csv", headers=admin)
    assert suffixed.status_code == 404 and "?format=csv" in suffixed.json()["message"]


def test_reports_need_a_signed_in_user(client, world):
    assert client.get(f"{REPORTS}/stock_balance").status_code == 401
    assert client.get(REPORTS).status_code == 401


@pytest.mark.parametrize(
    "name,params,status,words",
    [
        ("slow_moving", {"days": "abc"}, 400, "days"),
        ("slow_moving", {"days": "0"}, 400, "days"),
        ("expiring", {"days": "99999"}, 400, "days"),
        ("stock_balance", {"group_by": "bin"}, 400, "group_by"),
        ("stock_balance", {"format": "pdf"}, 400, "format"),
        ("stock_ledger", {}, 400, "sku"),
        ("stock_ledger", {"sku": "PEN", "from": "2026-13-01"}, 400, "from"),
        ("stock_ledger", {"sku": "PEN", "from": "2026-02-01", "to": "2026-01-01"}, 422, "2026-02-01"),
        ("stock_ledger", {"sku": "PEN", "from": "0001-01-01"}, 422, "0001-01-01"),
        ("stock_ledger", {"sku": "NOPE"}, 422, "NOPE"),
        ("stock_balance", {"warehouse": "B1"}, 422, "B1"),
        ("stock_balance", {"location": "CUSTOMER"}, 422, "CUSTOMER"),
        ("expiring", {"warehouse": "NOWHERE"}, 422, "NOWHERE"),
        ("stock_balance", {"tz": "Mars/Olympus_Mons"}, 422, "Mars/Olympus_Mons"),
        ("stock_balance", {"tz": "America"}, 422, "America"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(client, world, admin, name, params, status, words):
    response = client.get(f"{REPORTS}/{name}", headers=admin, params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert words in body["message"], body
    chinese = client.get(f"{REPORTS}/{name}", headers=admin | {"Accept-Language": "zh-CN"}, params=params).json()
    if status == 422:
        assert chinese["message"] != body["message"] and words in chinese["message"]


def test_a_report_too_big_to_serve_asks_for_narrower_filters(client, stocked, admin, monkeypatch):
    monkeypatch.setenv("CANGKU_REPORT_MAX_ROWS", "3")
    response = client.get(f"{REPORTS}/stock_balance", headers=admin)
    assert response.status_code == 422 and response.json()["error"] == "report_too_large"
    assert "narrow the filters" in response.json()["message"]
    assert client.get(f"{REPORTS}/stock_balance", headers=admin, params={"sku": "RICE"}).status_code == 200


def test_an_empty_warehouse_gives_an_empty_report_in_every_format(client, world, admin):
    body = report(client, admin, "stock_balance").json()
    assert body["rows"] == [] and body["totals"] == {"qty": "0", "reserved": "0", "available": "0", "value": "0"}
    assert len(csv_rows(report(client, admin, "stock_balance", format="csv"))) == 1
    ws = sheet(report(client, admin, "stock_balance", format="xlsx"))
    assert ws.max_row == 2  # the header and the totals


def test_a_report_runs_in_a_worker_process_so_a_scan_is_answered_while_the_report_is_still_being_made(live_server, stocked, admin, worker):
    from server.reports.worker import worker_pids

    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        assert http.get(f"{REPORTS}/stock_balance", headers=admin).status_code == 200  # the worker is up
        (pid,) = worker_pids()
        assert pid != os.getpid()
        os.kill(pid, signal.SIGSTOP)  # the report worker stands still, as if busy with a very long report
        try:
            answers: list[httpx.Response] = []
            waiting = threading.Thread(target=lambda: answers.append(http.get(f"{REPORTS}/stock_balance", headers=admin,
                                                                              params={"format": "xlsx"})))
            waiting.start()
            scan = http.get(f"/api/v1/scan/{PEN_EACH}", headers=worker)
            assert scan.status_code == 200 and scan.json()["item"]["sku"] == "PEN"
            assert waiting.is_alive() and answers == []  # the report is not done, and the scan did not wait for it
        finally:
            os.kill(pid, signal.SIGCONT)
        waiting.join(timeout=60)
    assert answers[0].status_code == 200 and answers[0].headers["content-type"].startswith(render.MEDIA_TYPES["xlsx"])


def test_a_report_worker_that_died_is_replaced_and_the_report_is_answered(client, stocked, admin):
    from server.reports.worker import worker_pids

    assert client.get(f"{REPORTS}/stock_balance", headers=admin).status_code == 200
    (pid,) = worker_pids()
    os.kill(pid, signal.SIGKILL)
    again = client.get(f"{REPORTS}/stock_balance", headers=admin, params={"sku": "PEN"})
    assert again.status_code == 200 and {row["sku"] for row in again.json()["rows"]} == {"PEN"}
    assert worker_pids() != [pid]


def test_a_refusal_made_in_the_report_worker_reaches_the_user_in_their_language(client, stocked, worker):
    refused = client.get(f"{REPORTS}/trial_balance", headers={**worker, "Accept-Language": "zh-CN"})
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.json()["message"])
