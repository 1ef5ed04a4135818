"""Movement reports: the stock's value day by day, and the items that moved most.

The week below (D is today in Shanghai; each move at noon unless said otherwise), posted through
the stock move service and then dated back the way the other report tests do:

    D-5 00:30  PEN 100 received into B1 at 1.25                      worth 125.00
    D-3        PEN 30 B1 → B2 (between WH1's own bins)
    D-2        PEN 10 B1 → CUSTOMER (12.50); PEN 5 B2 → W2-B1 (to the other warehouse)
    D-1        RICE 3 kg received into B1 for 10.00; 1 kg B1 → W2-B1; 0.5 kg B1 → SCRAP (1.67)
    D (now)    MILK 20 (lot L1) received into B1 at 2.50                worth 50.00

    end of day       company          WH1              WH2
    D-6 and before   0 / 0            0 / 0            0 / 0
    D-5 .. D-3       100 / 125        100 / 125        0 / 0
    D-2              90 / 112.5       85 / 106.25      5 / 6.25
    D-1              92.5 / 120.83    86.5 / 111.25    6 / 9.58   RICE's 8.33 split 5.00 + 3.33
    D                112.5 / 170.83   106.5 / 161.25   6 / 9.58
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column as SqlColumn
from sqlalchemy import Integer, MetaData, Table, create_engine, insert, select, update

from server.inventory.models import Move
from server.reports.movement import StockValueParams, day_of
from tests.helpers import post_move
from tests.test_reports import csv_rows, report, sheet, table
from tests.test_reports_documents import same_in_every_format

REPORTS = "/api/v1/reports"
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.datetime.now(SHANGHAI).date()


def day(offset: int) -> str:
    return (D + dt.timedelta(days=offset)).isoformat()


def local(offset: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(D + dt.timedelta(days=offset), dt.time(hour, minute), SHANGHAI)


@pytest.fixture
def week(client, world, admin, db):  # type: ignore[no-untyped-def]
    moves = [
        (local(-5, 0, 30), "PEN", "100", "SUPPLIER", "B1", {"unit_cost": "1.25"}),
        (local(-3), "PEN", "30", "B1", "B2", {}),
        (local(-2), "PEN", "10", "B1", "CUSTOMER", {"reason": "SO-1 发货"}),
        (local(-2), "PEN", "5", "B2", "W2-B1", {}),
        (local(-1), "RICE", "3", "SUPPLIER", "B1", {"unit_cost": "3.333333"}),
        (local(-1), "RICE", "1", "B1", "W2-B1", {}),
        (local(-1), "RICE", "0.5", "B1", "SCRAP", {"reason": "受潮"}),
        (None, "MILK", "20", "SUPPLIER", "B1", {"lot": "L1", "unit_cost": "2.5"}),
    ]
    ids = []
    for at, sku, qty, source, target, extra in moves:
        response = post_move(client, admin, sku, qty, source, target, **extra)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
        if at is not None:
            with db.write() as session:  # dating the move back: the ledger itself never edits one
                session.execute(update(Move).where(Move.id == ids[-1]).values(created_at=at.astimezone(dt.UTC)))
    return ids


# Pure parts ----------------------------------------------------------------------------------------


def test_the_default_period_is_the_thirty_days_ending_today_in_the_reports_time_zone():
    params = StockValueParams()
    first, last = params.period()
    assert last == params.today() and (last - first).days == 29
    only_to = StockValueParams(to=dt.date(2026, 3, 31))
    assert only_to.period() == (dt.date(2026, 3, 2), dt.date(2026, 3, 31))
    starts = StockValueParams(from_=dt.date(2026, 3, 1), to=dt.date(2026, 3, 2), tz="Europe/Berlin").day_starts()
    assert starts == [dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, 23, tzinfo=dt.UTC),
                      dt.datetime(2026, 3, 2, 23, tzinfo=dt.UTC)]


def test_a_day_of_a_period_is_found_by_halving_the_days():
    starts = [0, 2, 4, 6, 8, 10, 12, 14]  # seven days of two ticks each (any ordered values will do)
    instants = Table("instants", MetaData(), SqlColumn("at", Integer))
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        instants.create(conn)
        conn.execute(insert(instants), [{"at": i} for i in range(14)])
        found = conn.execute(select(instants.c.at, day_of(instants.c.at, starts)).order_by(instants.c.at)).all()  # type: ignore[arg-type]
    assert [d for _, d in found] == [i // 2 for i in range(14)]


# Stock value by day --------------------------------------------------------------------------------


def test_stock_value_shows_each_day_of_the_period_at_its_end(client, week, admin):
    body = report(client, admin, "stock_value", **{"from": day(-6), "to": day(0)}).json()
    assert body["report"] == "stock_value" and body["title_zh"] == "每日库存金额" and body["title_en"] == "Stock value by day"
    assert [c["key"] for c in body["columns"]] == ["day", "qty", "value"]
    assert [c["type"] for c in body["columns"]] == ["date", "qty", "money"]
    assert table(body, "day", "qty", "value") == [
        (day(-6), "0", "0"),
        (day(-5), "100", "125"),
        (day(-4), "100", "125"),
        (day(-3), "100", "125"),  # moving pens between our own bins changes nothing
        (day(-2), "90", "112.5"),  # 10 shipped at 1.25; the 5 sent to WH2 are still ours
        (day(-1), "92.5", "120.83"),  # 3 kg of rice for 10.00, half a kilo scrapped at 1.67
        (day(0), "112.5", "170.83"),
    ]
    assert body["totals"] == {}  # stock levels of different days do not add up


def test_stock_value_on_the_last_day_equals_the_stock_balance_total(client, week, admin):
    for scope in ({}, {"warehouse": "WH1"}, {"warehouse": "WH2"}):
        last = report(client, admin, "stock_value", **scope).json()["rows"][-1]
        balance = report(client, admin, "stock_balance", **scope).json()["totals"]
        assert last["day"] == day(0)
        assert (last["qty"], last["value"]) == (balance["qty"], balance["value"]), scope
    assert report(client, admin, "stock_balance").json()["totals"]["value"] == "170.83"


def test_the_day_before_a_receipt_has_the_lower_value(client, week, admin):
    rows = report(client, admin, "stock_value", **{"from": day(-1)}).json()["rows"]
    assert table({"rows": rows}, "day", "value") == [(day(-1), "120.83"), (day(0), "170.83")]
    assert Decimal(rows[1]["value"]) - Decimal(rows[0]["value"]) == Decimal("50.00")  # the milk received today


def test_stock_value_of_one_warehouse_splits_each_items_value_the_way_the_stock_balance_does(client, week, admin):
    wh1 = report(client, admin, "stock_value", warehouse="WH1", **{"from": day(-6)}).json()
    assert table(wh1, "day", "qty", "value") == [
        (day(-6), "0", "0"),
        (day(-5), "100", "125"),
        (day(-4), "100", "125"),
        (day(-3), "100", "125"),
        (day(-2), "85", "106.25"),  # 10 shipped, 5 sent to WH2
        (day(-1), "86.5", "111.25"),  # rice: 8.33 over 1.5 kg here and 1 kg in WH2 gives 5.00 here (the odd cent too)
        (day(0), "106.5", "161.25"),
    ]
    wh2 = report(client, admin, "stock_value", warehouse="WH2", **{"from": day(-3), "to": day(-1)}).json()
    assert table(wh2, "day", "qty", "value") == [(day(-3), "0", "0"), (day(-2), "5", "6.25"), (day(-1), "6", "9.58")]
    rice = report(client, admin, "stock_balance", sku="RICE").json()
    assert table(rice, "location", "value") == [("B1", "5"), ("W2-B1", "3.33")]


def test_a_day_is_a_day_in_the_reports_time_zone(client, week, admin):
    # The pens came at 00:30 in Shanghai on D-5, which is still D-6 in UTC.
    period = {"from": day(-7), "to": day(-5)}
    shanghai = report(client, admin, "stock_value", **period).json()
    utc = report(client, admin, "stock_value", tz="UTC", **period).json()
    assert table(shanghai, "day", "qty") == [(day(-7), "0"), (day(-6), "0"), (day(-5), "100")]
    assert table(utc, "day", "qty") == [(day(-7), "0"), (day(-6), "100"), (day(-5), "100")]


def test_days_still_to_come_have_no_figures(client, week, admin):
    body = report(client, admin, "stock_value", **{"from": day(0), "to": day(2)}).json()
    assert table(body, "day", "qty", "value") == [(day(0), "112.5", "170.83"), (day(1), None, None), (day(2), None, None)]


def test_stock_value_with_nothing_moved_yet_is_a_row_of_zeros_per_day(client, world, admin):
    body = report(client, admin, "stock_value").json()
    assert len(body["rows"]) == 30 and body["rows"][-1]["day"] == day(0) and body["rows"][0]["day"] == day(-29)
    assert {(row["qty"], row["value"]) for row in body["rows"]} == {("0", "0")}


def test_stock_value_is_the_same_in_json_csv_and_xlsx(client, week, admin):
    body = same_in_every_format(client, admin, "stock_value", warehouse="WH1", **{"from": day(-2)})
    assert len(body["rows"]) == 3
    header = csv_rows(report(client, admin, "stock_value", format="csv", lang="zh"))[0]
    assert header == ["日期", "日末现存量", "日末库存金额"]
    ws = sheet(report(client, admin, "stock_value", format="xlsx", lang="en", **{"from": day(-2)}))
    assert ws.cell(row=2, column=1).is_date and ws.cell(row=2, column=3).number_format == "#,##0.00"
    assert ws.max_row == 4  # the header and three days; no totals row


def test_only_those_who_may_see_costs_may_read_stock_value(client, week, as_role):
    for role in ("warehouse", "sales", "viewer"):
        response = client.get(f"{REPORTS}/stock_value", headers=as_role(role))
        assert response.status_code == 403, (role, response.text)
        assert "stock_value" not in [r["name"] for r in client.get(REPORTS, headers=as_role(role)).json()["items"]]
    for role in ("finance", "purchaser", "director"):
        assert report(client, as_role(role), "stock_value").json()["rows"][-1]["value"] == "170.83"


# Top movers ----------------------------------------------------------------------------------------


def test_top_movers_rank_items_by_what_left_the_company(client, week, admin):
    body = report(client, admin, "top_movers").json()
    assert body["report"] == "top_movers" and body["title_zh"] == "商品收发排行" and body["title_en"] == "Top movers"
    assert [c["key"] for c in body["columns"]] == ["sku", "name_zh", "name_en", "unit", "qty_out", "qty_in", "moves", "value_out"]
    assert table(body, "sku", "name_zh", "unit", "qty_out", "qty_in", "moves", "value_out") == [
        ("PEN", "中性笔", "pcs", "10", "100", 2, "12.5"),  # to WH2 is still the company's: not out
        ("RICE", "大米", "kg", "0.5", "3", 2, "1.67"),
        ("MILK", "牛奶", "box", "0", "20", 1, "0"),
    ]
    assert body["totals"] == {"qty_out": "10.5", "qty_in": "123", "moves": 5, "value_out": "14.17"}


def test_a_move_between_bins_of_the_warehouse_is_not_out_but_a_transfer_to_another_is(client, week, admin):
    body = report(client, admin, "top_movers", warehouse="WH1").json()
    assert table(body, "sku", "qty_out", "qty_in", "moves", "value_out") == [
        ("PEN", "15", "100", 3, "18.75"),  # shipped 10, sent 5 to WH2 (at 1.25 a pen); the 30 from B1 to B2 count nowhere
        ("RICE", "1.5", "3", 3, "5"),  # 1 kg to WH2 at 3.333333 (3.33), half a kilo scrapped (1.67)
        ("MILK", "0", "20", 1, "0"),
    ]
    wh2 = report(client, admin, "top_movers", warehouse="WH2").json()
    assert table(wh2, "sku", "qty_out", "qty_in", "moves", "value_out") == [("PEN", "0", "5", 1, "0"), ("RICE", "0", "1", 1, "0")]


def test_top_movers_count_only_the_period_and_only_as_many_items_as_asked(client, week, admin):
    assert table(report(client, admin, "top_movers", limit=1).json(), "sku", "qty_out") == [("PEN", "10")]
    yesterday = report(client, admin, "top_movers", **{"from": day(-1), "to": day(-1)}).json()
    assert table(yesterday, "sku", "qty_out", "qty_in", "moves") == [("RICE", "0.5", "3", 2)]
    before = report(client, admin, "top_movers", **{"to": day(-6)}).json()
    assert before["rows"] == [] and before["totals"] == {"qty_out": "0", "qty_in": "0", "moves": 0, "value_out": "0"}


def test_a_move_put_right_by_a_reversal_is_not_movement(client, week, admin):
    wrong = post_move(client, admin, "MILK", "4", "B1", "SCRAP", lot="L1").json()["id"]
    assert client.post(f"/api/v1/stock/moves/{wrong}/reverse", headers=admin, json={"reason": "扫错了"}).status_code == 201
    milk = next(row for row in report(client, admin, "top_movers").json()["rows"] if row["sku"] == "MILK")
    assert (milk["qty_out"], milk["qty_in"], milk["moves"]) == ("0", "20", 1)


def test_warehouse_staff_see_top_movers_without_the_value(client, week, as_role):
    worker = as_role("warehouse")
    body = report(client, worker, "top_movers").json()
    assert [c["key"] for c in body["columns"]] == ["sku", "name_zh", "name_en", "unit", "qty_out", "qty_in", "moves"]
    assert all("value_out" not in row for row in body["rows"]) and "value_out" not in body["totals"]
    assert "Value out" not in csv_rows(report(client, worker, "top_movers", format="csv", lang="en"))[0]
    assert "Value out" not in [c.value for c in sheet(report(client, worker, "top_movers", format="xlsx", lang="en"))[1]]
    listed = next(r for r in client.get(REPORTS, headers=worker).json()["items"] if r["name"] == "top_movers")
    assert "value_out" not in [c["key"] for c in listed["columns"]]


def test_top_movers_are_the_same_in_json_csv_and_xlsx(client, week, admin):
    body = same_in_every_format(client, admin, "top_movers", warehouse="WH1")
    assert [row["sku"] for row in body["rows"]] == ["PEN", "RICE", "MILK"]
    header, *lines = csv_rows(report(client, admin, "top_movers", format="csv", lang="zh"))
    assert header == ["SKU", "品名（中文）", "品名（英文）", "单位", "发出数量", "收入数量", "收发次数", "发出金额"]
    assert lines[0] == ["PEN", "中性笔", "Gel pen", "pcs", "10", "100", "2", "12.5"]


# The list, and what is refused ---------------------------------------------------------------------


def test_the_report_list_offers_both_with_their_filters(client, world, admin):
    listed = {r["name"]: r for r in client.get(REPORTS, headers=admin).json()["items"]}
    value, movers = listed["stock_value"], listed["top_movers"]
    assert value["permission"] == "costs.read" and movers["permission"] == "reports.read"
    assert [(p["name"], p["type"], p["required"]) for p in value["params"]] == [
        ("tz", "text", False), ("from", "date", False), ("to", "date", False), ("warehouse", "text", False),
    ]
    limit = {p["name"]: p for p in movers["params"]}["limit"]
    assert (limit["type"], limit["default"], limit["minimum"], limit["maximum"]) == ("int", 10, 1, 100)
    assert limit["title_zh"] == "显示商品数" and limit["title_en"] == "Number of items"


@pytest.mark.parametrize("name", ["stock_value", "top_movers"])
@pytest.mark.parametrize(
    "params,status,words",
    [
        ({"from": "2026-03-01", "to": "2026-02-01"}, 422, "2026-03-01"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, 422, "367"),
        ({"from": "2026-02-30"}, 400, "from"),
        ({"to": "0001-01-01"}, 422, "0001-01-01"),
        ({"warehouse": "B1"}, 422, "B1"),
        ({"warehouse": "NOWHERE"}, 422, "NOWHERE"),
    ],
)
def test_bad_periods_and_warehouses_are_refused_in_both_languages(client, world, admin, name, params, status, words):
    english = client.get(f"{REPORTS}/{name}", headers=admin | {"Accept-Language": "en"}, params=params)
    assert english.status_code == status, english.text
    chinese = client.get(f"{REPORTS}/{name}", headers=admin | {"Accept-Language": "zh-CN"}, params=params).json()
    assert words in english.json()["message"] and words in chinese["message"]
    if status == 422:
        assert chinese["message"] != english.json()["message"]


def test_the_longest_period_is_a_leap_year(client, world, admin):
    body = report(client, admin, "stock_value", **{"from": "2024-01-01", "to": "2024-12-31"}).json()
    assert len(body["rows"]) == 366 and body["rows"][59]["day"] == "2024-02-29"
    assert report(client, admin, "top_movers", **{"from": "2023-01-01", "to": "2024-01-01"}).json()["rows"] == []
    refused = client.get(f"{REPORTS}/top_movers", headers=admin, params={"from": "2023-01-01", "to": "2024-01-02"}).json()
    assert refused["message"] == "The period from 2023-01-01 to 2024-01-02 is 367 days; this report covers at most 366."


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_top_movers_refuse_a_limit_outside_one_to_a_hundred(client, world, admin, limit):
    response = client.get(f"{REPORTS}/top_movers", headers=admin, params={"limit": limit})
    assert response.status_code == 400 and "limit" in response.json()["message"]
