"""The company's time zone (CANGKU_TIMEZONE): day filters, "today", reports and the app's times are read in it."""

from __future__ import annotations

import datetime as dt

from server.dates import company_zone, day_range, local_today
from tests.helpers import post_move
from tests.stories import Api

EAST, WEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"  # UTC+14 and UTC−11: their calendar days never agree


def test_day_filters_and_today_follow_the_configured_zone(monkeypatch):
    noon_utc = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    monkeypatch.delenv("CANGKU_TIMEZONE", raising=False)
    assert company_zone().key == "Asia/Shanghai"
    assert day_range(dt.date(2026, 3, 10), None)[0] == dt.datetime(2026, 3, 9, 16, tzinfo=dt.UTC)
    monkeypatch.setenv("CANGKU_TIMEZONE", EAST)
    assert day_range(dt.date(2026, 3, 10), None)[0] == dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC)
    assert local_today(noon_utc) == dt.date(2026, 3, 11)
    monkeypatch.setenv("CANGKU_TIMEZONE", WEST)
    assert local_today(noon_utc) == dt.date(2026, 3, 10)


def test_a_move_made_now_is_found_on_the_companys_local_day_and_the_app_is_told_the_zone(client, world, admin, monkeypatch):
    api = Api(client, admin)
    monkeypatch.setenv("CANGKU_TIMEZONE", EAST)
    assert post_move(client, admin, "PEN", 3, "SUPPLIER", "B1", unit_cost="1").status_code == 201
    east_today = local_today().isoformat()
    assert api.get("/api/v1/stock/moves", sku="PEN", date_from=east_today, date_to=east_today)["total"] == 1
    assert api.get("/api/v1/auth/me")["timezone"] == EAST
    report = api.get("/api/v1/reports/stock_balance")
    assert report["params"]["tz"] == EAST
    monkeypatch.setenv("CANGKU_TIMEZONE", WEST)
    assert api.get("/api/v1/stock/moves", sku="PEN", date_from=east_today, date_to=east_today)["total"] == 0
    assert api.get("/api/v1/auth/me")["timezone"] == WEST
