"""Item categories (商品分类) through the API, on SQLite and PostgreSQL: a purchaser keeps the categories and puts items in
them; a file imports them; the stock balance, the stock valuation, stock turnover and sales analysis filter by a category
and add up each one in a subtotal row.

The stock is test_reports.py's `stocked` (PEN 90 at 1.25, MILK 35 boxes worth 105.00, RICE 3 kg worth 10.00), with MILK
a drink, PEN stationery and RICE in no category:

    DRINK   MILK   35     105.00
    STAT    PEN    90     112.50
    —       RICE    3      10.00           in all 227.50
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.reports.documents import margin
from tests.stories import Api
from tests.test_import import problems, table_file, upload
from tests.test_reports import report, stocked  # noqa: F401 - stocked is a fixture
from tests.test_reports_analysis import _second_salesperson
from tests.test_reports_documents import sales, same_in_every_format  # noqa: F401 - sales is a fixture
from tests.test_reports_movement import day, week  # noqa: F401 - week is a fixture

REPORTS = "/api/v1/reports"
D = Decimal


def categorised(api: Api) -> None:
    """DRINK holds MILK and STAT holds PEN; RICE and PHONE are in none."""
    api.post("/api/v1/categories", {"code": "DRINK", "name_zh": "饮料", "name_en": "Drinks"}, expect=201)
    api.post("/api/v1/categories", {"code": "STAT", "name_zh": "文具", "name_en": "Stationery"}, expect=201)
    api.patch("/api/v1/items/MILK", {"category": "DRINK"})
    api.patch("/api/v1/items/PEN", {"category": "STAT"})


def lines(body: dict, *keys: str) -> list[tuple]:
    return [tuple(row[k] for k in keys) for row in body["rows"]]


# Keeping the categories ----------------------------------------------------------------------------


def test_a_purchaser_makes_categories_puts_items_in_them_and_the_item_list_narrows_to_one(client, world, as_role):
    buyer = Api(client, as_role("purchaser"))
    created = buyer.post("/api/v1/categories", {"code": "DRINK", "name_zh": "饮料", "name_en": "Drinks"}, expect=201)
    assert (created["code"], created["name_zh"], created["active"], created["version"], created["items"]) == ("DRINK", "饮料", True, 1, 0)
    buyer.post("/api/v1/categories", {"code": "STAT", "name_zh": "文具", "name_en": "Stationery"}, expect=201)

    assert buyer.patch("/api/v1/items/MILK", {"category": "DRINK"})["category"] == "DRINK"
    tea = buyer.post("/api/v1/items", {"sku": "TEA-1", "name_zh": "绿茶", "category": "DRINK"}, expect=201)
    assert tea["category"] == "DRINK"
    assert buyer.get("/api/v1/items/PEN")["category"] is None

    listed = buyer.get("/api/v1/categories")
    assert [(c["code"], c["items"]) for c in listed["items"]] == [("DRINK", 2), ("STAT", 0)] and listed["total"] == 2
    assert [i["sku"] for i in buyer.get("/api/v1/items", category="DRINK")["items"]] == ["MILK", "TEA-1"]
    assert buyer.get("/api/v1/categories", search="文具")["items"][0]["code"] == "STAT"

    # Moved to another category, then out of any: null takes it out.
    assert buyer.patch("/api/v1/items/MILK", {"category": "STAT"})["category"] == "STAT"
    assert buyer.patch("/api/v1/items/MILK", {"category": None})["category"] is None
    assert buyer.get("/api/v1/categories/STAT")["items"] == 0

    renamed = buyer.patch("/api/v1/categories/DRINK", {"version": 1, "name_en": "Beverages"})
    assert (renamed["name_en"], renamed["version"], renamed["items"]) == ("Beverages", 2, 1)

    admin = Api(client, as_role("admin"))
    changes = [e["details"] for e in admin.get("/api/v1/audit", target_type="item", target_id="MILK", action="item.update")["items"]]
    assert sorted(c["changes"]["category"] or "" for c in changes) == ["", "DRINK", "STAT"]
    made = admin.get("/api/v1/audit", target_type="category", target_id="DRINK")["items"]
    assert sorted(e["action"] for e in made) == ["category.create", "category.update"]


def test_an_unknown_or_inactive_category_is_refused_with_a_message_in_both_languages(client, world, admin):
    api = Api(client, admin)
    unknown = client.post("/api/v1/items", headers=admin, json={"sku": "TEA-1", "category": "NOPE"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_category"
    assert "NOPE" in unknown.json()["message"] and unknown.json()["details"]["field"] == "category"
    chinese = client.patch("/api/v1/items/PEN", headers=admin | {"Accept-Language": "zh-CN"}, json={"category": "NOPE"})
    assert chinese.status_code == 422 and chinese.json()["message"].startswith("未知的商品分类 NOPE")
    assert api.get("/api/v1/items/PEN")["category"] is None and client.get("/api/v1/items/TEA-1", headers=admin).status_code == 404

    api.post("/api/v1/categories", {"code": "OLD", "name_zh": "旧分类"}, expect=201)
    api.patch("/api/v1/items/RICE", {"category": "OLD"})
    api.patch("/api/v1/categories/OLD", {"active": False})
    refused = client.patch("/api/v1/items/PEN", headers=admin, json={"category": "OLD"})
    assert refused.status_code == 422 and refused.json()["error"] == "inactive_category"
    # An item already in it keeps it, and may be edited without choosing again.
    assert api.patch("/api/v1/items/RICE", {"category": "OLD", "name_en": "Long-grain rice"})["category"] == "OLD"

    twice = client.post("/api/v1/categories", headers=admin, json={"code": "OLD"})
    assert twice.status_code == 409 and twice.json()["error"] == "duplicate_category"
    stale = client.patch("/api/v1/categories/OLD", headers=admin, json={"version": 1, "name_en": "x"})
    assert stale.status_code == 409 and stale.json()["error"] == "stale_version"
    assert client.get("/api/v1/categories/NOPE", headers=admin).status_code == 404
    assert client.post("/api/v1/categories", headers=admin, json={"code": "有 空格"}).status_code == 400


def test_warehouse_staff_read_the_categories_but_only_item_keepers_change_them(client, world, as_role):
    Api(client, as_role("admin")).post("/api/v1/categories", {"code": "DRINK"}, expect=201)
    warehouse = as_role("warehouse")
    assert [c["code"] for c in Api(client, warehouse).get("/api/v1/categories")["items"]] == ["DRINK"]
    assert client.post("/api/v1/categories", headers=warehouse, json={"code": "X"}).status_code == 403
    assert client.patch("/api/v1/categories/NOPE", headers=warehouse, json={"name_en": "x"}).status_code == 403


# Importing -----------------------------------------------------------------------------------------


def test_categories_are_imported_then_items_name_theirs_and_an_unknown_one_is_reported_at_its_cell(client, world, admin):
    categories = table_file("csv", [["分类编码", "中文名称", "name_en"], ["DRINK", "饮料", "Drinks"], ["STAT", "文具", "Stationery"]])
    answer = upload(client, admin, "categories", categories, dry_run=False)
    assert answer.status_code == 200 and answer.json()["created"] == 2, answer.text
    assert [c["name_zh"] for c in Api(client, admin).get("/api/v1/categories")["items"]] == ["饮料", "文具"]

    items = table_file("xlsx", [["sku", "中文名称", "商品分类"], ["TEA-1", "绿茶", "DRINK"], ["CUP-1", "保温杯", "CUPS"], ["INK-1", "墨水", ""]])
    refused = upload(client, admin, "items", items, dry_run=True)
    assert problems(refused.json()) == [(3, "unknown_category", "商品分类")]
    items = table_file("xlsx", [["sku", "中文名称", "商品分类"], ["TEA-1", "绿茶", "DRINK"], ["INK-1", "墨水", "STAT"], ["CUP-1", "保温杯", ""]])
    assert upload(client, admin, "items", items, dry_run=False).json()["created"] == 3
    api = Api(client, admin)
    assert [(i["sku"], i["category"]) for i in api.get("/api/v1/items", search="-1")["items"]] == [
        ("CUP-1", None), ("INK-1", "STAT"), ("TEA-1", "DRINK")]
    columns = api.get("/api/v1/import/items/columns")["columns"]
    assert ("category", "商品分类", False) in [(c["name"], c["zh"], c["required"]) for c in columns]
    assert [c["name"] for c in api.get("/api/v1/import/categories/columns")["columns"]] == ["code", "name_zh", "name_en"]


# Reports -------------------------------------------------------------------------------------------


def test_the_stock_valuation_adds_up_each_category_and_a_category_filter_keeps_only_its_items(client, stocked, admin, as_role):  # noqa: F811
    categorised(Api(client, admin))
    body = same_in_every_format(client, admin, "stock_valuation")
    assert body["title_zh"] == "存货估值表" and body["title_en"] == "Stock valuation"
    assert [c["key"] for c in body["columns"]] == ["line", "category", "sku", "name_zh", "name_en", "unit", "qty", "unit_cost", "value"]
    assert lines(body, "line", "category", "sku", "name_en", "qty", "unit_cost", "value") == [
        (None, "DRINK", "MILK", "Milk", "35", "3", "105"),
        ("subtotal", "DRINK", None, "Drinks", "35", None, "105"),
        (None, "STAT", "PEN", "Gel pen", "90", "1.25", "112.5"),
        ("subtotal", "STAT", None, "Stationery", "90", None, "112.5"),
        (None, None, "RICE", "Rice", "3", "3.333333", "10"),
        ("subtotal", None, None, "No category", "3", None, "10"),
    ]
    assert body["totals"] == {"qty": "128", "value": "227.5"}  # the rows, not the subtotals: the inventory account's balance

    only = report(client, admin, "stock_valuation", category="STAT", warehouse="WH1").json()
    assert lines(only, "line", "sku", "name_zh", "qty", "value") == [(None, "PEN", "中性笔", "85", "106.25"), ("subtotal", None, "文具", "85", "106.25")]
    assert only["totals"] == {"qty": "85", "value": "106.25"}
    plain = report(client, admin, "stock_valuation", subtotals="false").json()
    assert [r["sku"] for r in plain["rows"]] == ["MILK", "PEN", "RICE"] and "line" not in plain["rows"][0]

    unknown = client.get(f"{REPORTS}/stock_valuation", headers=admin, params={"category": "NOPE"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_category"
    assert client.get(f"{REPORTS}/stock_valuation", headers=as_role("warehouse")).status_code == 403  # values are costs


def test_the_stock_balance_filters_by_category_and_shows_its_subtotal_when_asked(client, stocked, admin, as_role):  # noqa: F811
    categorised(Api(client, admin))
    drinks = report(client, admin, "stock_balance", category="DRINK", group_by="lot").json()
    assert lines(drinks, "sku", "location", "lot", "qty") == [("MILK", "B1", "L1", "20"), ("MILK", "B2", "L2", "10"), ("MILK", "W2-B1", "L3", "5")]
    assert "category" not in [c["key"] for c in drinks["columns"]]

    body = same_in_every_format(client, admin, "stock_balance", group_by="warehouse", subtotals="true")
    assert [c["key"] for c in body["columns"]][:3] == ["line", "category", "sku"]
    assert lines(body, "line", "category", "sku", "warehouse", "qty", "available", "value") == [
        (None, "DRINK", "MILK", "WH1", "30", "30", "90"),
        (None, "DRINK", "MILK", "WH2", "5", "5", "15"),
        ("subtotal", "DRINK", None, None, "35", "35", "105"),
        (None, "STAT", "PEN", "WH1", "85", "79", "106.25"),
        (None, "STAT", "PEN", "WH2", "5", "5", "6.25"),
        ("subtotal", "STAT", None, None, "90", "84", "112.5"),
        (None, None, "RICE", "WH1", "3", "3", "10"),
        ("subtotal", None, None, None, "3", "3", "10"),
    ]
    assert body["totals"] == {"qty": "128", "reserved": "4", "available": "122", "value": "227.5"}
    # Without costs.read the subtotals add up what the reader may see, and nothing else.
    seen = report(client, as_role("warehouse"), "stock_balance", group_by="warehouse", subtotals="true", category="STAT").json()
    assert seen["rows"][-1] == {"line": "subtotal", "category": "STAT", "sku": None, "name_zh": "文具", "name_en": "Stationery", "unit": None,
                                "warehouse": None, "qty": "90", "reserved": "4", "available": "84"}


def test_stock_turnover_by_category_sets_each_categorys_cost_of_goods_sold_against_its_average_stock(client, week, admin):  # noqa: F811
    api = Api(client, admin)
    api.post("/api/v1/categories", {"code": "STAT", "name_zh": "文具", "name_en": "Stationery"}, expect=201)
    api.patch("/api/v1/items/PEN", {"category": "STAT"})
    period = {"from": day(-6), "to": day(0)}
    only = report(client, admin, "stock_turnover", category="STAT", **period).json()
    whole = report(client, admin, "stock_turnover", **period).json()
    assert only["rows"] == [r for r in whole["rows"] if r["sku"] == "PEN"]
    body = same_in_every_format(client, admin, "stock_turnover", subtotals="true", **period)
    assert lines(body, "line", "category", "sku") == [
        (None, "STAT", "PEN"), ("subtotal", "STAT", None), (None, None, "MILK"), (None, None, "RICE"), ("subtotal", None, None)]
    pen, stationery = body["rows"][0], body["rows"][1]
    # One item in the category: its subtotal is the item's figures, its turnover too (by cost; units do not add up).
    assert {k: stationery[k] for k in ("cogs", "opening_value", "closing_value", "average_value", "turnover", "days")} == {
        k: pen[k] for k in ("cogs", "opening_value", "closing_value", "average_value", "turnover", "days")}
    assert stationery["qty_sold"] is None and stationery["qty_turnover"] is None
    others = body["rows"][4]
    assert D(others["closing_value"]) == D("58.33") and others["turnover"] == "0" and others["days"] is None  # nothing sold
    assert body["totals"] == whole["totals"]


def test_sales_analysis_by_category_and_by_item_with_each_categorys_subtotal(client, db, as_role, sales):  # noqa: F811
    _second_salesperson(client, db, as_role)
    categorised(Api(client, as_role("admin")))
    finance = as_role("finance")
    items = report(client, finance, "sales_analysis", group_by="item").json()
    by_item = {row["sku"]: row for row in items["rows"]}

    body = same_in_every_format(client, finance, "sales_analysis", group_by="category")
    assert [c["key"] for c in body["columns"]] == [
        "category", "category_name_zh", "category_name_en", "revenue", "cogs", "gross_profit", "margin"]
    expected = [("DRINK", "饮料", by_item["MILK"]), ("STAT", "文具", by_item["PEN"]), (None, "未分类", by_item["RICE"])]
    assert lines(body, "category", "category_name_zh", "revenue", "cogs", "gross_profit", "margin") == [
        (code, name, row["revenue"], row["cogs"], row["gross_profit"], row["margin"]) for code, name, row in expected]
    assert body["totals"] == {k: v for k, v in items["totals"].items() if k != "qty"}  # units of different items do not add up

    grouped = same_in_every_format(client, finance, "sales_analysis", group_by="item", subtotals="true")
    assert lines(grouped, "line", "category", "sku", "name_en") == [
        (None, "DRINK", "MILK", "Milk"), ("subtotal", "DRINK", None, "Drinks"), (None, "STAT", "PEN", "Gel pen"),
        ("subtotal", "STAT", None, "Stationery"), (None, None, "RICE", "Rice"), ("subtotal", None, None, "No category")]
    stationery = grouped["rows"][3]
    assert (stationery["qty"], stationery["revenue"], stationery["gross_profit"]) == (by_item["PEN"]["qty"], by_item["PEN"]["revenue"],
                                                                                     by_item["PEN"]["gross_profit"])
    assert D(stationery["margin"]) == margin(D(stationery["gross_profit"]), D(stationery["revenue"]))
    assert grouped["totals"] == items["totals"]

    pens = report(client, finance, "sales_analysis", group_by="customer", category="STAT").json()
    assert sum(D(r["revenue"]) for r in pens["rows"]) == D(by_item["PEN"]["revenue"])
    refused = client.get(f"{REPORTS}/sales_analysis", headers=finance, params={"group_by": "customer", "subtotals": "true"})
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_parameter" and "subtotals" in refused.json()["details"]["parameter"]


@pytest.mark.parametrize("name", ["stock_balance", "stock_valuation", "stock_turnover", "sales_analysis"])
def test_each_report_with_categories_lists_the_category_filter(client, world, admin, name):
    listed = {r["name"]: r for r in client.get(REPORTS, headers=admin).json()["items"]}
    params = {p["name"]: p for p in listed[name]["params"]}
    assert params["category"]["type"] == "text" and params["category"]["title_zh"] == "商品分类编码"
    assert params["subtotals"]["type"] == "bool"
