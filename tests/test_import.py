"""Importing master data and opening stock from CSV and XLSX: every bad row reported on its line, all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from server.db import Database
from server.models import Base
from tests.helpers import PEN_EACH, balance

TABLES = ("items", "barcodes", "lots", "serials", "partners", "locations", "moves", "balances", "journal_entries", "audit_log")


def counts(db: Database) -> dict[str, int]:
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    with db.read() as session:
        return {name: session.scalar(select(func.count()).select_from(tables[name])) or 0 for name in TABLES if name in tables}


def table_file(fmt: str, rows: list[list[object]], encoding: str = "utf-8-sig") -> tuple[str, bytes]:
    """The rows as a file the way a person makes one: a CSV from the csv module, a workbook from openpyxl (dates as date cells)."""
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        return "import.csv", buffer.getvalue().encode(encoding)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return "import.xlsx", out.getvalue()


def upload(client, headers, kind: str, file: tuple[str, bytes], *, dry_run: bool):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/import/{kind}", params={"dry_run": str(dry_run).lower()}, headers=headers, files={"file": file})


def problems(report: dict) -> list[tuple[int, str, str | None]]:
    """(line, code, column) of every problem, in line order."""
    return [(e["line"], e["code"], e["column"]) for e in report["errors"]]


ITEM_HEADER = ["sku", "中文名称", "name_en", "单位", "tracking", "保质期天数", "条码"]
BROKEN_ITEMS = [
    ITEM_HEADER,
    ["TEA-1", "绿茶", "Green tea 绿茶", "瓶", "lot", 365, "6901234500011;16901234500018:24"],
    ["CUP-1", "保温杯", "Vacuum flask 保温杯", "个", "none", "", "6901234500011"],  # barcode already on line 2
    [],
    ["PEN-2", "中性笔 蓝色", "Gel pen, blue 蓝", "支", "", "", PEN_EACH],  # barcode of PEN, already in the database
    ["SOAP-1", "香皂", "Soap 香皂", "块", "", "一年", ""],  # not a number of days
    ["NOTE-1", "笔记本", "Notebook 笔记本", "本", "", "", "6901234500028"],
]
FIXED_ITEMS = [
    ITEM_HEADER,
    BROKEN_ITEMS[1],
    ["CUP-1", "保温杯", "Vacuum flask 保温杯", "个", "none", "", "6901234500035"],
    [],
    ["PEN-2", "中性笔 蓝色", "Gel pen, blue 蓝", "支", "", "", "6901234500042"],
    ["SOAP-1", "香皂", "Soap 香皂", "块", "", 730, ""],
    BROKEN_ITEMS[6],
]
STOCK_HEADER = ["商品编码", "库位", "数量", "unit_cost", "批次", "有效期", "序列号"]
BROKEN_STOCK = [
    STOCK_HEADER,
    ["MILK", "B1", 6, "2.50", "L9", "2026-13-40", ""],
    ["GHOST", "B1", 5, "1", "", "", ""],
    ["PEN", "B2", -3, "1.20", "", "", ""],
    ["PEN", "B2", 0, "1.20", "", "", ""],
    ["RICE", "B3", "1.5", "abc", "", "", ""],
    ["MILK", "B1", 6, "2.50", "L8", "991340", ""],
    ["PEN", "NOWHERE", 1, "1", "", "", ""],
    ["PEN", "B1", 12, "1.20", "", "", ""],
    ["PHONE", "B1", "", "900", "", "", "SN-1|SN-2"],
]
FIXED_STOCK = [
    STOCK_HEADER,
    ["TEA-1", "B1", 48, "3.50", "T2601", dt.date(2026, 12, 31), ""],
    ["TEA-1", "B2", 24, "3.50", "T2601", dt.date(2026, 12, 31), ""],  # the lot line 2 created
    ["PEN", "B1", 12, "1.20", "", "", ""],
    ["PEN", "B2", 8, "1.50", "", "", ""],
    ["RICE", "B3", 2.5, "4", "", "", ""],  # a number cell in the workbook
    ["PHONE", "B1", "", "900", "", "", "SN-1|SN-2"],
    ["MILK", "B1", 6, "2.50", "L1", "2027/1/31", ""],  # a known lot without expiry gets one
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_broken_file_is_reported_line_by_line_refused_whole_and_imports_once_corrected(client, world, admin, fmt):
    before = counts(world)

    items = upload(client, admin, "items", table_file(fmt, BROKEN_ITEMS), dry_run=True)
    assert items.status_code == 200, items.text
    report = items.json()
    assert report["dry_run"] is True and report["rows"] == 5 and report["created"] == 2
    assert problems(report) == [(3, "duplicate_in_file", "条码"), (5, "duplicate_barcode", "条码"), (6, "invalid_value", "保质期天数")]
    duplicate = next(e for e in report["errors"] if e["line"] == 3)
    assert "line 2" in duplicate["message_en"] and "line 3" in duplicate["message_en"] and "6901234500011" in duplicate["message_en"]
    assert "第 2 行" in duplicate["message_zh"] and "第 3 行" in duplicate["message_zh"]
    in_database = next(e for e in report["errors"] if e["line"] == 5)
    assert "PEN" in in_database["message_en"] and "已属于商品 PEN" in in_database["message_zh"]
    assert "一年" in next(e for e in report["errors"] if e["line"] == 6)["message_zh"]

    stock = upload(client, admin, "stock", table_file(fmt, BROKEN_STOCK), dry_run=True)
    assert stock.status_code == 200, stock.text
    report = stock.json()
    assert report["rows"] == 9 and report["created"] == 2
    assert problems(report) == [
        (2, "bad_date", "有效期"),
        (3, "unknown_sku", "商品编码"),
        (4, "invalid", "数量"),
        (5, "invalid", "数量"),
        (6, "invalid_value", "unit_cost"),
        (7, "bad_date", "有效期"),
        (8, "unknown_location", "库位"),
    ]
    messages = {e["line"]: e for e in report["errors"]}
    assert "2026-13-40" in messages[2]["message_en"] and "YYYY-MM-DD" in messages[2]["message_zh"]
    assert "991340" in messages[7]["message_en"]
    assert "GHOST" in messages[3]["message_en"] and "GHOST" in messages[3]["message_zh"]
    assert "greater than zero" in messages[4]["message_en"] and "大于零" in messages[5]["message_zh"]
    assert "NOWHERE" in messages[8]["message_zh"]
    assert counts(world) == before  # a dry run writes nothing, not even an audit entry

    for kind, rows in (("items", BROKEN_ITEMS), ("stock", BROKEN_STOCK)):
        refused = upload(client, admin, kind, table_file(fmt, rows), dry_run=False)
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["error"] == "import_refused"
        assert body["details"]["report"]["created"] == 0
        assert len(body["details"]["report"]["errors"]) == (3 if kind == "items" else 7)
        assert "未导入任何内容" in body["details"]["message_zh"]
    assert counts(world) == before

    imported = upload(client, admin, "items", table_file(fmt, FIXED_ITEMS), dry_run=False)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"kind": "items", "dry_run": False, "rows": 5, "created": 5, "errors": []}
    imported = upload(client, admin, "stock", table_file(fmt, FIXED_STOCK), dry_run=False)
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 7 and imported.json()["errors"] == []

    tea = client.get("/api/v1/items/TEA-1", headers=admin).json()
    assert (tea["name_zh"], tea["name_en"], tea["unit"], tea["tracking"], tea["shelf_life_days"]) == ("绿茶", "Green tea 绿茶", "瓶", "lot", 365)
    assert {(b["code"], b["pack"], b["qty"]) for b in tea["barcodes"]} == {("6901234500011", "each", "1"), ("16901234500018", "carton", "24")}
    pen2 = client.get("/api/v1/items/PEN-2", headers=admin).json()
    assert (pen2["name_zh"], pen2["name_en"], pen2["unit"]) == ("中性笔 蓝色", "Gel pen, blue 蓝", "支")
    assert client.get("/api/v1/lots/TEA-1/T2601", headers=admin).json()["expiry"] == "2026-12-31"
    assert client.get("/api/v1/lots/MILK/L1", headers=admin).json()["expiry"] == "2027-01-31"

    assert balance(client, admin, "TEA-1", "B1", "T2601")["qty"] == "48"
    assert balance(client, admin, "TEA-1", "B2", "T2601")["qty"] == "24"
    assert balance(client, admin, "PEN", "B2")["qty"] == "8"
    assert balance(client, admin, "RICE", "B3")["qty"] == "2.5"
    assert balance(client, admin, "PHONE", "B1")["qty"] == "2"
    for sku, qty, value, average in (("TEA-1", "72", "252", "3.5"), ("PEN", "20", "26.4", "1.32"), ("RICE", "2.5", "10", "4"), ("PHONE", "2", "1800", "900")):
        valuation = client.get(f"/api/v1/finance/valuation/{sku}", headers=admin).json()
        assert [Decimal(valuation[k]) for k in ("qty", "value", "average_cost")] == [Decimal(qty), Decimal(value), Decimal(average)], sku
    trial = client.get("/api/v1/finance/trial-balance", headers=admin).json()
    assert trial["balanced"] is True
    # Opening stock is the company's own from the start: its value stands against opening balance equity (4190), not
    # in the inventory gains and losses waiting for approval (1901).
    accounts = {line["code"]: line["balance"] for line in trial["lines"]}
    assert accounts["1405"] == "2103.4" and accounts["4190"] == "-2103.4" and "1901" not in accounts

    audit = client.get("/api/v1/audit", headers=admin, params={"target_type": "import"}).json()["items"]
    assert sorted(e["action"] for e in audit) == ["import.items", "import.stock"]


def test_partners_with_chinese_headers_from_a_gb18030_csv(client, world, admin):
    header = ["编码", "类型", "名称", "英文名称", "联系人", "电话", "邮箱", "税号", "地址", "账期天数", "信用额度"]
    supplier = ["S-NF", "供应商", "农夫山泉股份有限公司", "Nongfu Spring 农夫", "王经理", "0571-88888888", "sales@nf.example",
                "91330100MA2B12345X", "杭州市西湖区", 30, ""]
    customer = ["C-HM", "客户", "华联超市", "Hualian 华联", "李娜", "021-66666666", "buy@hl.example", "", "上海市静安区", 45, "500,000.00"]
    broken = [header, supplier, customer, ["C-XX", "合作伙伴", "某公司", "", "", "", "", "", "", "三十", ""], supplier]
    before = counts(world)
    report = upload(client, admin, "partners", table_file("csv", broken, "gb18030"), dry_run=True).json()
    # Both bad cells of line 4 are reported, not just the first.
    assert problems(report) == [(4, "invalid_value", "类型"), (4, "invalid_value", "账期天数"), (5, "duplicate_in_file", "编码")]
    kind_problem = next(e for e in report["errors"] if e["column"] == "类型")
    assert "supplier" in kind_problem["message_en"] and "供应商" in kind_problem["message_zh"]
    assert counts(world) == before

    imported = upload(client, admin, "partners", table_file("csv", [header, supplier, customer], "gb18030"), dry_run=False)
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 2
    nf = client.get("/api/v1/partners/S-NF", headers=admin).json()
    assert (nf["kind"], nf["name_zh"], nf["contact"], nf["address"], nf["payment_terms_days"]) == ("supplier", "农夫山泉股份有限公司", "王经理", "杭州市西湖区", 30)
    hm = client.get("/api/v1/partners/C-HM", headers=admin).json()
    assert (hm["kind"], hm["name_en"], Decimal(hm["credit_limit"])) == ("customer", "Hualian 华联", Decimal("500000"))


def test_locations_with_chinese_headers_from_a_workbook_children_listed_before_parents(client, world, admin):
    rows = [
        ["编码", "类型", "上级", "名称", "英文名称", "待检"],
        ["SH-A-01", "货位", "SH-A", "常温区 1 号货位", "Ambient bin 1 常温", "否"],
        ["SH-A", "库区", "SH", "常温区", "Ambient zone 常温", ""],
        ["SH", "仓库", "", "上海一号仓", "Shanghai DC 上海", ""],
        ["SH-Q", "zone", "SH", "待检区", "Quarantine 待检", "是"],
    ]
    imported = upload(client, admin, "locations", table_file("xlsx", rows), dry_run=False)
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 4
    bin_ = client.get("/api/v1/locations/SH-A-01", headers=admin).json()
    assert (bin_["kind"], bin_["parent"], bin_["warehouse"], bin_["name_zh"], bin_["quarantine"]) == ("bin", "SH-A", "SH", "常温区 1 号货位", False)
    assert client.get("/api/v1/locations/SH-Q", headers=admin).json()["quarantine"] is True


def test_an_unknown_column_is_reported_once_on_the_header_line(client, world, admin):
    rows = [["编码", "类型", "颜色"], ["WH9", "warehouse", "红"], ["WH8", "warehouse", "蓝"]]
    report = upload(client, admin, "locations", table_file("csv", rows), dry_run=True).json()
    assert [(e["line"], e["code"], e["column"]) for e in report["errors"]] == [(1, "unknown_column", "颜色")]
    assert "颜色" in report["errors"][0]["message_zh"]


def test_a_file_that_is_not_a_table_is_refused_with_a_reason(client, world, admin):
    for name, content in (("stock.xlsx", b"PK\x03\x04 not really a zip"), ("old.xls", b"\xd0\xcf\x11\xe0 old excel"), ("empty.csv", b"")):
        report = upload(client, admin, "stock", (name, content), dry_run=True)
        assert report.status_code == 200, report.text
        assert report.json()["errors"][0]["line"] == 0, report.text
        refused = upload(client, admin, "stock", (name, content), dry_run=False)
        assert refused.status_code == 422, refused.text


def test_an_import_file_may_be_larger_than_an_ordinary_request(client, world, admin):
    """Ordinary requests stop at 1 MiB; an import file may have up to 20 MiB."""
    content = b"code,kind\nWH9,warehouse\n" + b"\n" * 1_600_000
    report = upload(client, admin, "locations", ("big.csv", content), dry_run=True)
    assert report.status_code == 200, report.text
    assert (report.json()["rows"], report.json()["created"]) == (1, 1)
    too_big = upload(client, admin, "locations", ("huge.csv", b"\n" * (21 * 1_048_576)), dry_run=True)
    assert too_big.status_code == 413, too_big.text


def test_only_an_administrator_may_import(client, world, as_role):
    signed_in = {role: as_role(role) for role in ("purchaser", "warehouse", "viewer")}  # signing in is audited too
    before = counts(world)
    for headers in signed_in.values():
        for dry_run in (True, False):
            response = upload(client, headers, "items", table_file("csv", FIXED_ITEMS), dry_run=dry_run)
            assert response.status_code == 403, response.text
            assert response.json()["error"] == "forbidden"
            assert "导入主数据" in response.json()["details"]["message_zh"]
    assert counts(world) == before


def test_the_command_line_dry_run_prints_every_problem_and_exits_non_zero(world, tmp_path):
    path = tmp_path / "stock.csv"
    path.write_bytes(table_file("csv", BROKEN_STOCK)[1])
    before = counts(world)
    command = [sys.executable, "-m", "server.cli", "import", "stock", str(path), "--dry-run", "--database-url", world.url]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "line 3 [商品编码]: Unknown SKU GHOST." in output and "第 3 行「商品编码」：未知的 SKU GHOST。" in output
    assert "2026-13-40" in output and "991340" in output
    assert counts(world) == before

    fixed = tmp_path / "partners.xlsx"
    fixed.write_bytes(table_file("xlsx", [["code", "kind", "name_zh"], ["S-1", "supplier", "供应商一"]])[1])
    done = subprocess.run([*command[:3], "import", "partners", str(fixed), "--database-url", world.url], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert counts(world)["partners"] == before["partners"] + 1
