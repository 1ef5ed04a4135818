"""Analysis reports: stock turnover and days of inventory, sales by customer, salesperson and item, and collections.

Stock turnover reads the movement reports' week (tests/test_reports_movement.py; D is today in Shanghai) and two pens that
come back from the customer today at 1.25:

    D-5 00:30  PEN 100 received at 1.25        D-2  PEN 10 to CUSTOMER (12.50), 5 to WH2 (still ours)
    D-1        RICE 3 kg received for 10.00; 0.5 kg scrapped (1.67)
    D          MILK 20 received at 2.50 (50.00); PEN 2 back from CUSTOMER (2.50)

    PEN at each day's end, D-6 .. D:   0, 100, 100, 100, 90, 90, 92 units;   0, 125, 125, 125, 112.50, 112.50, 115.00

Sales and collection analysis read the document reports' sales (tests/test_reports_documents.py), all entered by one
salesperson, and one more order a second salesperson (li) enters today: RICE 2 @ 10 for CUS2, shipped and invoiced.

    customer   revenue (net)                 cost of goods sold                            invoiced with VAT      collected
    CUS1       400 + 20 − 5 − 5 = 410        PEN 20 + 4 − 1 − 1 at 2.20, MILK 2 at 50: 148.40   452 + 22.60           200 (INV 1, 100 days on) + 22.60 (INV 4, same day)
    CUS2       50 + 30 (+ li's 20)           RICE 5 + 3 (+ 2) at 4, PEN 10 at 2.20 (not invoiced)   54.50 + 32.70 (+ 21.80)   30 in advance
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from server.reports.analysis import ratio, turnover_figures
from tests.helpers import add_user, post_move, sign_in
from tests.stories import Api
from tests.test_reports import report
from tests.test_reports_documents import D as TODAY
from tests.test_reports_documents import sales, same_in_every_format  # noqa: F401 - sales is a fixture
from tests.test_reports_movement import day, week  # noqa: F401 - week is a fixture

REPORTS = "/api/v1/reports"
D = Decimal


def by_sku(body: dict, *keys: str) -> dict[str, tuple]:
    return {row["sku"]: tuple(None if row[k] is None else D(str(row[k])) for k in keys) for row in body["rows"]}


# Pure parts ----------------------------------------------------------------------------------------


def test_turnover_is_what_was_sold_over_the_average_held_and_days_are_how_long_that_would_last():
    # 30 a day held for 30 days, 90 sold: turned 3 times, 10 days of stock.
    assert turnover_figures(D(90), [D(30)] * 30) == (D(30), D("3.00"), D("10.0"))
    assert turnover_figures(D(0), [D(30)] * 30) == (D(30), D("0.00"), None)  # nothing sold: it would last for ever
    assert turnover_figures(D(5), [D(0)] * 7) == (D(0), None, D("0.0"))  # sold what was never held at a day's end
    assert ratio(D(1), D(3)) == D("0.33") and ratio(D(2), D(3)) == D("0.67") and ratio(D(1), D(0)) is None


# Stock turnover ------------------------------------------------------------------------------------


def test_stock_turnover_sets_the_cost_of_goods_sold_against_the_average_stock_value(client, week, admin, as_role):  # noqa: F811
    back = post_move(client, admin, "PEN", "2", "CUSTOMER", "B1", unit_cost="1.25")
    assert back.status_code == 201 and back.json()["value"] == "2.5", back.text
    body = same_in_every_format(client, admin, "stock_turnover", **{"from": day(-6), "to": day(0)})
    assert body["title_zh"] == "库存周转率" and body["title_en"] == "Stock turnover"
    assert [r["sku"] for r in body["rows"]] == ["MILK", "PEN", "RICE"]
    values = by_sku(body, "cogs", "opening_value", "closing_value", "average_value", "turnover", "days")
    # PEN: 12.50 out less 2.50 back = 10.00 sold at cost; 715.00 held over 7 day-ends, 102.14 on average; 715 / 10 = 71.5 days.
    assert values["PEN"] == (D(10), D(0), D(115), D("102.14"), D("0.10"), D("71.5"))
    # RICE: 10.00 − 1.67 scrapped at the last two day-ends: 16.66 / 7; nothing sold, so no days of inventory.
    assert values["RICE"] == (D(0), D(0), D("8.33"), D("2.38"), D(0), None)
    assert values["MILK"] == (D(0), D(0), D(50), D("7.14"), D(0), None)
    units = by_sku(body, "qty_sold", "average_qty", "qty_turnover", "qty_days")
    # 572 units held over 7 day-ends (81.71 on average), 8 sold net: 0.10 turns, 71.5 days, as by cost (one cost throughout).
    assert units["PEN"] == (D(8), D("81.71"), D("0.10"), D("71.5"))
    assert {k: D(v) for k, v in body["totals"].items()} == {
        "cogs": D(10), "opening_value": D(0), "closing_value": D("173.33"), "average_value": D("111.66")}
    # The closing value is what the stock value report says for the last day.
    assert D(report(client, admin, "stock_value", **{"from": day(0), "to": day(0)}).json()["rows"][0]["value"]) == D("173.33")

    # From D-2 on, the pens were worth 125.00 at the start.
    later = by_sku(report(client, admin, "stock_turnover", sku="PEN", **{"from": day(-2), "to": day(0)}).json(), "cogs", "opening_value", "days")
    assert later == {"PEN": (D(10), D(125), D("34.0"))}  # (112.50 + 112.50 + 115.00) / 10.00

    # Without costs.read the units are there, the values are not.
    seen = report(client, as_role("warehouse"), "stock_turnover", **{"from": day(-6), "to": day(0)}).json()
    assert [c["key"] for c in seen["columns"]] == ["sku", "name_zh", "name_en", "unit", "qty_sold", "average_qty", "qty_turnover", "qty_days"]
    assert all("cogs" not in row and "average_value" not in row for row in seen["rows"]) and seen["totals"] == {}


def test_a_turnover_period_is_at_most_a_year(client, world, admin):
    response = client.get(f"{REPORTS}/stock_turnover", headers=admin, params={"from": "2024-01-01", "to": "2025-06-30"})
    assert response.status_code == 422 and "366" in response.json()["message"]
    assert client.get(f"{REPORTS}/stock_turnover", headers=admin, params={"sku": "NOPE"}).status_code == 422
    assert dt.date.fromisoformat(day(0))  # the week's days are local dates


# Sales analysis ------------------------------------------------------------------------------------


def _second_salesperson(client, db, as_role) -> Api:  # type: ignore[no-untyped-def]
    """li enters, and the warehouse ships and finance invoices today, RICE 2 @ 10 (VAT 9 %) for CUS2."""
    add_user(db, "li", ["sales"])
    li, warehouse, finance = Api(client, sign_in(client, "li")), Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    so = li.post("/api/v1/sales-orders", {"customer": "CUS2", "warehouse": "WH1", "lines": [{"sku": "RICE", "qty": "2", "unit_price": "10",
                                                                                          "vat_rate": "9"}]}, expect=201)
    li.post(f"/api/v1/sales-orders/{so['number']}/confirm", {"version": so["version"]})
    wave = warehouse.post("/api/v1/waves", {"warehouse": "WH1", "orders": [so["number"]]}, expect=201)
    for task in wave["tasks"]:
        warehouse.post(f"/api/v1/pick-tasks/{task['id']}/confirm", {"qty": task["qty"]})
    warehouse.post(f"/api/v1/sales-orders/{so['number']}/ship")
    finance.post(f"/api/v1/sales-orders/{so['number']}/invoice", {"invoice_date": TODAY.isoformat()}, expect=201)
    return li


def test_sales_analysis_gives_revenue_cost_and_gross_profit_by_customer_salesperson_and_item(client, db, as_role, sales):  # noqa: F811
    _second_salesperson(client, db, as_role)
    finance = as_role("finance")
    customers = same_in_every_format(client, finance, "sales_analysis", group_by="customer")
    assert customers["title_zh"] == "销售分析" and customers["title_en"] == "Sales analysis"
    assert [c["key"] for c in customers["columns"]] == [
        "customer", "customer_name_zh", "customer_name_en", "revenue", "cogs", "gross_profit", "margin"]
    figures = {row["customer"]: tuple(D(row[k]) for k in ("revenue", "cogs", "gross_profit", "margin")) for row in customers["rows"]}
    assert figures == {"CUS1": (D(410), D("148.4"), D("261.6"), D("63.80")), "CUS2": (D(100), D(62), D(38), D("38.00"))}
    assert {k: D(v) for k, v in customers["totals"].items()} == {"revenue": D(510), "cogs": D("210.4"), "gross_profit": D("299.6")}

    # By salesperson: the user who entered each order (its invoices, shipments and returns count for them).
    sellers = report(client, finance, "sales_analysis", group_by="salesperson").json()
    assert [c["key"] for c in sellers["columns"]][:2] == ["salesperson", "salesperson_name"]
    by_seller = {row["salesperson"]: (D(row["revenue"]), D(row["cogs"])) for row in sellers["rows"]}
    first = next(name for name in by_seller if name != "li")
    assert by_seller == {first: (D(490), D("202.4")), "li": (D(20), D(8))}

    # By item, the figures are the gross profit report's.
    items = report(client, finance, "sales_analysis", group_by="item").json()
    gross = report(client, finance, "gross_profit", group_by="item").json()
    keys = ("sku", "qty", "revenue", "cogs", "gross_profit", "margin")
    assert [tuple(row[k] for k in keys) for row in items["rows"]] == [tuple(row[k] for k in keys) for row in gross["rows"]]
    assert {(row["sku"], row["qty"]) for row in items["rows"]} == {("PEN", "22"), ("MILK", "2"), ("RICE", "10")}

    # A period of invoice dates and shipment days: today only leaves out the invoices of 100 and 200 days ago, not their costs.
    today = by_sku(report(client, finance, "sales_analysis", group_by="item", **{"from": TODAY.isoformat()}).json(), "revenue", "cogs")
    assert today == {"PEN": (D(10), D("70.4")), "MILK": (D(0), D(100)), "RICE": (D(50), D(40))}

    # A salesperson sees revenue, not costs; the warehouse sees nothing of it.
    seen = report(client, as_role("sales"), "sales_analysis", group_by="customer").json()
    assert [c["key"] for c in seen["columns"]][-1] == "revenue" and all("cogs" not in row for row in seen["rows"])
    assert client.get(f"{REPORTS}/sales_analysis", headers=as_role("warehouse")).status_code == 403


# Collection analysis -------------------------------------------------------------------------------


def test_collection_analysis_shows_what_each_customer_was_invoiced_paid_how_fast_and_what_is_overdue(client, db, as_role, sales):  # noqa: F811
    _second_salesperson(client, db, as_role)
    finance = as_role("finance")
    body = same_in_every_format(client, finance, "collection_analysis")
    assert body["title_zh"] == "回款分析" and body["title_en"] == "Collection analysis"
    keys = ("invoiced", "credited", "collected", "average_days", "open", "overdue")
    got = {row["customer"]: tuple(None if row[k] is None else D(row[k]) for k in keys) for row in body["rows"]}
    # CUS1: 200 paid 100 days after INV 1 and 22.60 the day INV 4 was made: (200 × 100) / 222.60 = 89.8 days. INV 1 is
    # open for 452 − 200 − 5.65 and was due 70 days ago. CUS2's 30 came in advance: no invoice to count days from.
    assert got["CUS1"] == (D("474.6"), D("11.3"), D("222.6"), D("89.8"), D("246.35"), D("246.35"))
    assert got["CUS2"] == (D("109"), D(0), D(30), None, D("109"), D("54.5"))
    assert D(body["totals"]["collected"]) == D("252.6")  # what the bank account received from customers

    # An earlier period: only INV 1 was made in it; the money came later; CUS2's INV 2 was already overdue on its last day.
    earlier = report(client, finance, "collection_analysis", **{"from": day(-150), "to": day(-80)}).json()
    got = {row["customer"]: tuple(None if row[k] is None else D(row[k]) for k in keys) for row in earlier["rows"]}
    assert got["CUS1"] == (D(452), D(0), D(0), None, D("246.35"), D(0))
    assert got["CUS2"] == (D(0), D(0), D(0), None, D("109"), D("54.5"))
    only = report(client, finance, "collection_analysis", customer="CUS2").json()
    assert [row["customer"] for row in only["rows"]] == ["CUS2"]
    assert client.get(f"{REPORTS}/collection_analysis", headers=as_role("sales")).status_code == 403
