"""Sales forecasts and purchase plans (采购计划): each item's demand forecast from its net shipments (statsmodels'
exponential smoothing, or a labelled average of a short history), and a plan that proposes what to buy from the forecast,
stock, open orders, lead time and safety stock; the purchaser changes it and converts it into requisitions, one per
supplier. Pure parts, the API on SQLite and PostgreSQL, and the desk.

The plan's arithmetic on a small constructed case (today in week 0; history weeks −4 … −1):

    PEN (pcs, carton of 12, lead time 7 days on the item)        RICE (kg, 3 places, no pack, no lead time: 14 days)
    shipped 8, 12, 8, 12  → average 10 a week, σ = 2              shipped 2.5, 3.5 → average 3 a week, σ = 0.5
    covered: 7 + 7 days = 14 → forecast 20                         covered: 14 + 7 = 21 days → forecast 9
    safety 1.6449 × 2 × √2 = 4.65 → 5                              safety 1.6449 × 0.5 × √3 = 1.4245 → 1.425
    on hand 10, an order of 6 held: available 4, open 6, held 6     on hand 4, nothing open: available 4
    a requisition of 12 open: on order 12                           on order 0
    need max(20, 6) − 6 + 5 − 4 − 12 = 3 → a carton: 12             need 9 + 1.425 − 4 = 6.425 → 6.425
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from decimal import ROUND_CEILING, Decimal

import pytest
from sqlalchemy import update

from server.auth.permissions import ROLES, SYSTEM
from server.dates import company_zone, local_today
from server.inventory.models import Move
from server.inventory.services import move, reverse_move
from server.purchasing import forecast as forecasting
from server.purchasing.forecast import add_periods, demand_between, forecast, period_start, period_starts
from server.purchasing.plans import covered_until, quantity_needed, safety_stock, z_value
from tests.desk import open_desk
from tests.helpers import add_user
from tests.stories import Api, customer_and_areas, supplier_and_dock

D = Decimal
PLANS = "/api/v1/purchase-plans"
FORECASTS = "/api/v1/forecasts"
PLANNERS = {"admin", "purchaser", "approver", "director"}


# Pure parts ----------------------------------------------------------------------------------------------------------


def test_a_rising_history_is_forecast_by_holts_trend_which_keeps_rising():
    made = forecast([D(10 + 2 * week) for week in range(16)], "week", 4)
    assert made.method == "holt" and made.reason is None
    assert made.values == [D(42), D(44), D(46), D(48)]
    assert made.mae == D(0) and made.mape == D(0)  # the last four weeks, forecast from the twelve before, were right


def test_two_years_of_a_seasonal_history_are_forecast_with_their_season():
    # Three years of months: a yearly wave on a slow rise.
    history = [D(100 + round(60 * math.sin(2 * math.pi * month / 12)) + 2 * month) for month in range(36)]
    made = forecast(history, "month", 12)
    assert (made.method, made.season) == ("holt_winters", 12)
    peak = max(range(12), key=lambda m: history[24 + m])
    assert max(range(12), key=lambda m: made.values[m]) == peak  # the forecast peaks in the month the past peaked
    assert all(abs(made.values[m] - history[24 + m] - 24) <= 6 for m in range(12))  # a year on: the same wave, 24 higher
    assert made.mape is not None and made.mape < 5
    # Less than two full seasons: no seasonal model, however seasonal the months look.
    assert forecast(history[:20], "month", 3).method in ("holt", "smoothing")


def test_a_short_history_is_averaged_and_labelled_so_and_no_sales_gives_no_forecast():
    short = forecast([D(0), D(0), D(8), D(12), D(8), D(12)], "week", 3)  # sold for four weeks: the zeros before do not count
    assert (short.method, short.reason, short.points) == ("average", "short_history", 4)
    assert short.values == [D(10)] * 3 and short.error == D(2) and short.mae is None and short.mape is None
    sparse = forecast([D(5), D(0), D(0), D(0), D(3), D(0), D(0), D(0), D(0), D(1)], "week", 2)
    assert (sparse.method, sparse.reason, sparse.values) == ("average", "sparse_history", [D(1), D(1)])
    none = forecast([D(0)] * 10, "week", 3)
    assert (none.method, none.reason, none.values, none.error) == ("none", "no_history", [], None)
    assert forecast([D("1.25"), D("2.5")], "week", 1, decimals=3).values == [D("1.875")]  # rounded to the item's unit


def test_a_model_that_cannot_be_fitted_falls_back_to_the_average_and_no_warning_escapes(monkeypatch):
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    noisy = [D(v) for v in (5, 40, 3, 38, 7, 1, 45, 2, 39, 6, 44, 3, 1, 50, 2)]
    fit = ExponentialSmoothing.fit

    def unconverged(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        warnings.warn("Optimization failed to converge. Check mle_retvals.", ConvergenceWarning, stacklevel=2)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(ExponentialSmoothing, "fit", unconverged)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a statsmodels warning leaking out would fail here
        fitted = forecast(noisy, "week", 2)
    assert fitted.method in ("holt", "smoothing")  # the fit is kept: its warning caught and logged, not shown
    monkeypatch.setattr(forecasting, "_fit", lambda y, options: None)  # every fit raising or answering NaN
    failed = forecast(noisy, "week", 2)
    assert (failed.method, failed.reason) == ("average", "fit_failed") and failed.values == [D(19)] * 2


def test_the_calendar_and_the_demand_over_a_window_count_days():
    assert period_start(dt.date(2026, 12, 3), "week") == dt.date(2026, 11, 30) and period_start(dt.date(2026, 12, 3), "month") == dt.date(2026, 12, 1)
    assert add_periods(dt.date(2026, 11, 1), "month", 3) == dt.date(2027, 2, 1) and add_periods(dt.date(2026, 1, 1), "month", -13) == dt.date(2024, 12, 1)
    weeks = period_starts(dt.date(2026, 11, 30), "week", 3)
    # From Thursday: 4 days of the first week, the second whole, 3 days of the third.
    assert demand_between([D(7), D(14), D(21)], weeks, dt.date(2026, 12, 3), dt.date(2026, 12, 17)) == D(4) + D(14) + D(9)
    assert covered_until(dt.date(2026, 1, 20), 11, "month", 1) == dt.date(2026, 2, 28)  # arrives 31 Jan; a month on, clamped


def test_safety_stock_and_the_quantity_needed_are_exact_decimals():
    assert z_value(D(95)) == D("1.6449") and z_value(D("97.5")) == D("1.96") and z_value(D(50)) == D(0)
    assert safety_stock(D(2), D(95), 14, "week", 0) == D(5)  # 4.6525… up to the next piece
    assert safety_stock(D("0.5"), D(95), 21, "week", 3) == D("1.425")
    assert safety_stock(None, D(95), 21, "week", 0) == D(0)
    need = quantity_needed(forecast_qty=D(20), open_demand=D(6), held=D(6), available=D(4), on_order=D(12), safety=D(5), pack=D(12), decimals=0)
    assert (need.need, need.proposed) == (D(3), D(12))
    # Orders beyond the forecast are the demand; what their reservations hold is in stock already.
    need = quantity_needed(forecast_qty=D(5), open_demand=D(30), held=D(10), available=D(0), on_order=D(0), safety=D(0), pack=None, decimals=0)
    assert (need.need, need.proposed) == (D(20), D(20))
    assert quantity_needed(forecast_qty=D(5), open_demand=D(0), held=D(0), available=D(9), on_order=D(0), safety=D(1), pack=D(12), decimals=0).proposed == 0


def test_a_need_below_the_minimum_order_quantity_is_raised_to_it_then_rounded_to_packs():
    def needed(short: str, moq: str | None, pack: str | None = None, decimals: int = 0):  # type: ignore[no-untyped-def]
        return quantity_needed(forecast_qty=D(short), open_demand=D(0), held=D(0), available=D(0), on_order=D(0), safety=D(0),
                               pack=D(pack) if pack else None, decimals=decimals, moq=D(moq) if moq else None)

    raised = needed("3", "20")
    assert (raised.need, raised.proposed, raised.raised_to_moq) == (D(3), D(20), True)
    in_cartons = needed("3", "13", pack="12")  # at least 13, in whole cartons of 12: two cartons
    assert (in_cartons.need, in_cartons.proposed, in_cartons.raised_to_moq) == (D(3), D(24), True)
    above = needed("30", "20")
    assert (above.proposed, above.raised_to_moq) == (D(30), False)
    weighed = needed("0.4", "2.5", decimals=3)
    assert (weighed.proposed, weighed.raised_to_moq) == (D("2.5"), True)
    nothing = needed("0", "20")  # nothing needed: the minimum does not make a purchase
    assert (nothing.need, nothing.proposed, nothing.raised_to_moq) == (D(0), D(0), False)


# Through the API -----------------------------------------------------------------------------------------------------


def week_day(weeks_back: int, weekday: int = 2) -> dt.datetime:
    """Noon (Shanghai) on a day of the week `weeks_back` weeks before this one (Wednesday by default)."""
    day = period_start(local_today(), "week") - dt.timedelta(weeks=weeks_back) + dt.timedelta(days=weekday)
    return dt.datetime.combine(day, dt.time(12), company_zone()).astimezone(dt.UTC)


def dated_move(db, sku: str, qty: str, source: str, target: str, weeks_back: int, **extra: object) -> int:  # type: ignore[no-untyped-def]
    """A move posted now and dated back to a day of an earlier week (the ledger itself never edits a move)."""
    with db.write() as session:
        posted = move(session, SYSTEM, sku=sku, qty=D(qty), source=source, target=target, **extra)
        session.execute(update(Move).where(Move.id == posted.id).values(created_at=week_day(weeks_back)))
    return posted.id


@pytest.fixture
def people(client, world, as_role):  # type: ignore[no-untyped-def]
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    customer_and_areas(admin, credit_limit="100000")
    admin.post("/api/v1/partners", {"code": "SUP2", "kind": "supplier", "name_zh": "供应商二", "name_en": "Supplier Two"}, expect=201)
    return {"admin": admin, "purchaser": Api(client, as_role("purchaser")), "sales": Api(client, as_role("sales"))}


def test_the_forecast_reads_net_weekly_sales_of_the_warehouse_and_follows_their_trend(client, people, world):
    dated_move(world, "PEN", "500", "SUPPLIER", "B1", 13, unit_cost=D(2))
    dated_move(world, "PEN", "50", "SUPPLIER", "W2-B1", 13, unit_cost=D(2))
    for n in range(12):  # 10, 12, … 32 in the twelve weeks before this one
        dated_move(world, "PEN", str(10 + 2 * n), "B1", "CUSTOMER", 12 - n)
    dated_move(world, "PEN", "5", "B1", "CUSTOMER", 4)  # five more shipped in week −4 …
    dated_move(world, "PEN", "5", "CUSTOMER", "B1", 4)  # … and returned by the customer the same week: nothing net
    mistake = dated_move(world, "PEN", "7", "B1", "CUSTOMER", 2)
    with world.write() as session:
        reverse_move(session, SYSTEM, mistake, reason="posted twice")  # a shipment reversed counts neither way
    dated_move(world, "PEN", "9", "W2-B1", "CUSTOMER", 3)  # the other warehouse's sales are not WH1's
    dated_move(world, "PEN", "3", "B1", "CUSTOMER", 0)  # this week is not over: not history yet

    found = people["purchaser"].get(FORECASTS, sku="PEN", warehouse="WH1", horizon=3)
    assert [row["qty"] for row in found["history"]] == [str(10 + 2 * n) for n in range(12)]
    assert found["history"][0]["start"] == (period_start(local_today(), "week") - dt.timedelta(weeks=12)).isoformat()
    assert (found["method"], found["method_reason"], found["period"], found["warehouse"]) == ("holt", None, "week", "WH1")
    assert [row["qty"] for row in found["forecast"]] == ["34", "36", "38"]
    assert found["forecast"][0]["start"] == period_start(local_today(), "week").isoformat()
    assert found["mae"] == "0" and found["mape"] == "0"

    monthly = people["purchaser"].get(FORECASTS, sku="PEN", warehouse="WH1", period="month")
    assert monthly["period"] == "month" and len(monthly["forecast"]) == 6 and monthly["method"] in ("average", "holt", "smoothing")
    other = people["purchaser"].get(FORECASTS, sku="PEN", warehouse="WH2")
    # Sold once, three weeks ago: the weeks since count as weeks without a sale.
    assert (other["method"], other["method_reason"], [r["qty"] for r in other["history"]]) == ("average", "short_history", ["9", "0", "0"])
    assert [r["qty"] for r in other["forecast"]] == ["3"] * 12
    nothing = people["purchaser"].get(FORECASTS, sku="MILK", warehouse="WH1")
    assert (nothing["method"], nothing["method_reason"], nothing["history"], nothing["forecast"]) == ("none", "no_history", [], [])


def constructed(people, world) -> None:  # type: ignore[no-untyped-def]
    """The case of the module's notes."""
    admin, purchaser, sales = people["admin"], people["purchaser"], people["sales"]
    dated_move(world, "PEN", "50", "SUPPLIER", "B1", 5, unit_cost=D(2))
    dated_move(world, "RICE", "10", "SUPPLIER", "B2", 5, unit_cost=D(4))
    for weeks_back, qty in zip((4, 3, 2, 1), ("8", "12", "8", "12"), strict=True):
        dated_move(world, "PEN", qty, "B1", "CUSTOMER", weeks_back)
    dated_move(world, "RICE", "2.5", "B2", "CUSTOMER", 2)
    dated_move(world, "RICE", "3.5", "B2", "CUSTOMER", 1)
    admin.patch("/api/v1/items/PEN", {"lead_time_days": 7})
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "6", "unit_price": "5"}]},
                       expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    purchaser.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "12"}]}, expect=201)
    purchaser.put("/api/v1/reorder-rules", {"sku": "PEN", "warehouse": "WH1", "min_qty": "1", "reorder_qty": "1", "supplier": "SUP1"})


FIGURES = ("method", "method_reason", "lead_time_days", "lead_time_source", "forecast", "open_demand", "held", "available", "on_order",
           "safety_stock", "need", "pack_qty", "proposed_qty", "qty", "supplier", "selected")


def test_a_plan_proposes_what_to_buy_with_exact_arithmetic(client, people, world):
    constructed(people, world)
    plan = people["purchaser"].post(PLANS, {"warehouse": "WH1", "horizon": 1}, expect=201)
    assert (plan["status"], plan["warehouse"], plan["period"], plan["horizon"], plan["service_level"]) == ("draft", "WH1", "week", 1, "95")
    assert plan["number"].startswith("PP-") and plan["actions"] == ["convert", "edit", "discard"]
    lines = {line["sku"]: line for line in plan["lines"]}
    assert set(lines) == {"PEN", "RICE"} and [line["sku"] for line in plan["lines"]] == ["PEN", "RICE"]
    z = D("1.6449")
    pen_safety = (z * D(2) * D(2).sqrt()).quantize(D(1), rounding=ROUND_CEILING)
    rice_safety = (z * D("0.5") * D(3).sqrt()).quantize(D("0.001"), rounding=ROUND_CEILING)
    assert (pen_safety, rice_safety) == (D(5), D("1.425"))
    pen_need = max(D(20), D(6)) - 6 + pen_safety - 4 - 12
    rice_need = D(9) + rice_safety - 4
    assert {f: lines["PEN"][f] for f in FIGURES} == {
        "method": "average", "method_reason": "short_history", "lead_time_days": 7, "lead_time_source": "item", "forecast": "20",
        "open_demand": "6", "held": "6", "available": "4", "on_order": "12", "safety_stock": str(pen_safety), "need": str(pen_need),
        "pack_qty": "12", "proposed_qty": "12", "qty": "12", "supplier": "SUP1", "selected": True,
    }
    assert {f: lines["RICE"][f] for f in FIGURES} == {
        "method": "average", "method_reason": "short_history", "lead_time_days": 14, "lead_time_source": "default", "forecast": "9",
        "open_demand": "0", "held": "0", "available": "4", "on_order": "0", "safety_stock": "1.425", "need": str(rice_need),
        "pack_qty": None, "proposed_qty": "6.425", "qty": "6.425", "supplier": None, "selected": True,
    }
    assert plan["lines_to_buy"] == 2
    # A higher service level asks for more safety stock; a longer horizon for more of the forecast.
    surer = people["purchaser"].post(PLANS, {"warehouse": "WH1", "horizon": 1, "service_level": "99", "skus": ["RICE"]}, expect=201)
    assert [line["sku"] for line in surer["lines"]] == ["RICE"] and D(surer["lines"][0]["safety_stock"]) > rice_safety
    longer = people["purchaser"].post(PLANS, {"warehouse": "WH1", "horizon": 3, "skus": ["RICE"]}, expect=201)
    assert longer["lines"][0]["forecast"] == "15"  # 14 + 21 days at 3 kg a week


def test_a_purchaser_changes_the_lines_and_converts_the_plan_into_one_requisition_per_supplier(client, people, world, as_role):
    constructed(people, world)
    purchaser = people["purchaser"]
    plan = purchaser.post(PLANS, {"warehouse": "WH1", "horizon": 1}, expect=201)
    number = plan["number"]
    assert purchaser.get(f"{PLANS}/{number}") == plan
    changed = purchaser.patch(f"{PLANS}/{number}", {"version": plan["version"], "lines": [
        {"line": 1, "qty": "24"}, {"line": 2, "qty": "7", "supplier": "SUP2"}], "note": "before the holiday"})
    assert [(line["sku"], line["qty"], line["supplier"], line["proposed_qty"]) for line in changed["lines"]] == [
        ("PEN", "24", "SUP1", "12"), ("RICE", "7", "SUP2", "6.425")]
    assert changed["version"] == plan["version"] + 1 and changed["note"] == "before the holiday"

    converted = purchaser.post(f"{PLANS}/{number}/convert", {"version": changed["version"]})
    assert converted["status"] == "converted" and converted["actions"] == [] and converted["converted_at"]
    assert len(converted["requisitions"]) == 2
    by_sku = {line["sku"]: line["requisition"] for line in converted["lines"]}
    made = {number_: purchaser.get(f"/api/v1/requisitions/{number_}") for number_ in converted["requisitions"]}
    assert sorted((r["supplier"], r["source"], r["status"], r["warehouse"], [(entry["sku"], entry["qty"]) for entry in r["lines"]]) for r in made.values()) == [
        ("SUP1", "plan", "open", "WH1", [("PEN", "24")]), ("SUP2", "plan", "open", "WH1", [("RICE", "7")])]
    assert made[by_sku["PEN"]]["supplier"] == "SUP1" and number in made[by_sku["PEN"]]["note"]
    assert made[by_sku["PEN"]]["needed_by"] == (local_today() + dt.timedelta(days=7)).isoformat()

    # Once converted, never again, and no longer changed or discarded.
    again = client.post(f"{PLANS}/{number}/convert", json={"version": converted["version"]}, headers=purchaser.headers)
    assert again.status_code == 409 and again.json()["error"] == "wrong_state"
    assert "converted into requisitions" in again.json()["message"] and "已转请购单" in again.json()["details"]["message_zh"]
    for path, body in ((f"{PLANS}/{number}", {"version": converted["version"], "lines": [{"line": 1, "qty": "1"}]}),):
        assert client.patch(path, json=body, headers=purchaser.headers).status_code == 409
    assert client.post(f"{PLANS}/{number}/discard", json={}, headers=purchaser.headers).status_code == 409
    assert len(purchaser.get("/api/v1/requisitions", warehouse="WH1")["items"]) == 3  # the one of 12, and the plan's two

    # The requisitions count as on order in the next plan: PEN has 12 + 24 coming.
    following = purchaser.post(PLANS, {"warehouse": "WH1", "horizon": 1, "skus": ["PEN"]}, expect=201)
    assert following["lines"][0]["on_order"] == "36" and following["lines"][0]["proposed_qty"] == "0" and not following["lines"][0]["selected"]

    # Who did what: the plan's history, and its events.
    history = people["admin"].get(f"/api/v1/history/purchase_plan/{number}")["items"]
    assert [(e["action"], e["said_en"]) for e in history] == [
        ("purchase_plan.create", "create"), ("purchase_plan.update", "change"), ("purchase_plan.convert", "convert into requisitions")]
    listed = purchaser.get(PLANS, status="converted")
    assert [p["number"] for p in listed["items"]] == [number] and listed["items"][0]["requisitions"] == converted["requisitions"]


def test_lines_deselected_or_without_a_supplier_and_a_discarded_plan(client, people, world):
    constructed(people, world)
    purchaser = people["purchaser"]
    plan = purchaser.post(PLANS, {"warehouse": "WH1", "horizon": 1}, expect=201)
    changed = purchaser.patch(f"{PLANS}/{plan['number']}", {"version": plan["version"], "lines": [
        {"line": 1, "selected": False}, {"line": 2, "supplier": None}]})
    assert changed["lines_to_buy"] == 1
    converted = purchaser.post(f"{PLANS}/{plan['number']}/convert", {"version": changed["version"]})
    [only] = converted["requisitions"]
    requisition = purchaser.get(f"/api/v1/requisitions/{only}")
    assert requisition["supplier"] is None and [(entry["sku"], entry["qty"]) for entry in requisition["lines"]] == [("RICE", "6.425")]
    assert [line["requisition"] for line in converted["lines"]] == [None, only]

    other = purchaser.post(PLANS, {"warehouse": "WH1"}, expect=201)
    discarded = purchaser.post(f"{PLANS}/{other['number']}/discard", {"version": other["version"], "reason": "stock count first"})
    assert discarded["status"] == "discarded" and discarded["actions"] == []
    refused = client.post(f"{PLANS}/{other['number']}/convert", json={}, headers=purchaser.headers)
    assert refused.status_code == 409 and refused.json()["error"] == "wrong_state"

    empty = purchaser.post(PLANS, {"warehouse": "WH1", "horizon": 1}, expect=201)
    none_chosen = purchaser.patch(f"{PLANS}/{empty['number']}", {"version": empty["version"], "lines": [
        {"line": 1, "selected": False}, {"line": 2, "qty": "0"}]})
    nothing = client.post(f"{PLANS}/{empty['number']}/convert", json={"version": none_chosen["version"]}, headers=purchaser.headers)
    assert nothing.status_code == 422 and nothing.json()["error"] == "no_lines"


BAD_PLANS = [
    ("unknown warehouse", {"warehouse": "NOWHERE"}, 422, "unknown_reference"),
    ("a bin is no warehouse", {"warehouse": "B1"}, 422, "unknown_reference"),
    ("unknown period", {"warehouse": "WH1", "period": "day"}, 400, "invalid_request"),
    ("no horizon", {"warehouse": "WH1", "horizon": 0}, 400, "invalid_request"),
    ("a year of months is too far", {"warehouse": "WH1", "period": "month", "horizon": 13}, 422, "invalid_parameter"),
    ("service level too low", {"warehouse": "WH1", "service_level": "20"}, 422, "invalid_parameter"),
    ("service level of certainty", {"warehouse": "WH1", "service_level": "100"}, 422, "invalid_parameter"),
    ("unknown SKU", {"warehouse": "WH1", "skus": ["NOPE"]}, 422, "unknown_sku"),
    ("unknown field", {"warehouse": "WH1", "colour": "red"}, 400, "invalid_request"),
]


@pytest.mark.parametrize("case,body,status,code", BAD_PLANS, ids=[c[0] for c in BAD_PLANS])
def test_a_bad_plan_request_is_refused_clearly(client, people, case, body, status, code):
    response = client.post(PLANS, json=body, headers=people["purchaser"].headers)
    assert (response.status_code, response.json()["error"]) == (status, code), response.text
    assert response.json()["message"]
    assert people["purchaser"].get(PLANS)["total"] == 0


def test_bad_changes_and_forecast_questions_are_refused_clearly(client, people, world):
    constructed(people, world)
    purchaser = people["purchaser"]
    plan = purchaser.post(PLANS, {"warehouse": "WH1", "horizon": 1}, expect=201)
    path, version = f"{PLANS}/{plan['number']}", plan["version"]
    for body, status, code in [
        ({"version": version, "lines": [{"line": 9, "qty": "1"}]}, 422, "unknown_line"),
        ({"version": version, "lines": [{"line": 1, "qty": "1.5"}]}, 422, "invalid"),  # pieces
        ({"version": version, "lines": [{"line": 1, "qty": "-1"}]}, 422, "invalid"),
        ({"version": version, "lines": [{"line": 2, "supplier": "CUS1"}]}, 422, "wrong_partner_kind"),
        ({"version": version, "lines": [{"line": 2, "supplier": "NOBODY"}]}, 422, "unknown_reference"),
        ({"version": version, "lines": [{"line": 1, "qty": "1"}, {"line": 1, "qty": "2"}]}, 422, "duplicate_line"),
        ({"version": version + 5, "lines": [{"line": 1, "qty": "1"}]}, 409, "stale_version"),
        ({"lines": [{"line": 1, "qty": "1"}]}, 400, "invalid_request"),
    ]:
        response = client.patch(path, json=body, headers=purchaser.headers)
        assert (response.status_code, response.json()["error"]) == (status, code), (body, response.text)
    assert purchaser.get(path)["version"] == version  # nothing changed
    assert client.get(f"{PLANS}/PP-1999-00001", headers=purchaser.headers).status_code == 404
    assert client.post(f"{PLANS}/PP-1999-00001/convert", json={}, headers=purchaser.headers).status_code == 404
    for params, status, code in [
        ({"sku": "NOPE", "warehouse": "WH1"}, 422, "unknown_sku"),
        ({"sku": "PEN", "warehouse": "NOWHERE"}, 422, "unknown_reference"),
        ({"sku": "PEN", "warehouse": "WH1", "period": "year"}, 400, "invalid_request"),
        ({"sku": "PEN", "warehouse": "WH1", "horizon": "500"}, 400, "invalid_request"),
        ({"sku": "PEN", "warehouse": "WH1", "period": "month", "horizon": "40"}, 422, "invalid_parameter"),
        ({"warehouse": "WH1"}, 400, "invalid_request"),
    ]:
        response = client.get(FORECASTS, params=params, headers=purchaser.headers)
        assert (response.status_code, response.json()["error"]) == (status, code), (params, response.text)


def test_purchasing_roles_read_plans_and_forecasts_and_only_buyers_change_them(client, people, world, as_role):
    plan = people["purchaser"].post(PLANS, {"warehouse": "WH1"}, expect=201)
    for role in ROLES:
        headers = as_role(role)
        reads = [client.get(PLANS, headers=headers), client.get(f"{PLANS}/{plan['number']}", headers=headers),
                 client.get(FORECASTS, params={"sku": "PEN", "warehouse": "WH1"}, headers=headers),
                 client.get(f"/api/v1/history/purchase_plan/{plan['number']}", headers=headers)]
        assert {r.status_code for r in reads} == ({200} if role in PLANNERS else {403}), (role, [r.text for r in reads])
        if role in PLANNERS:
            assert reads[1].json()["actions"] == (["convert", "edit", "discard"] if role in ("admin", "purchaser") else [])
    # A purchaser kept to WH2 plans WH2, not WH1.
    kept = as_role("purchaser", ("WH2",))
    refused = client.post(PLANS, json={"warehouse": "WH1"}, headers=kept)
    assert refused.status_code == 403 and refused.json()["error"] == "warehouse_not_allowed"
    assert client.post(PLANS, json={"warehouse": "WH2"}, headers=kept).status_code == 201
    assert client.post(f"{PLANS}/{plan['number']}/discard", json={}, headers=kept).status_code == 403


def test_a_purchaser_kept_to_one_warehouse_sees_only_its_plans_and_forecasts(client, people, world, as_role):
    wh1 = people["purchaser"].post(PLANS, {"warehouse": "WH1"}, expect=201)
    kept = as_role("purchaser", ("WH2",))
    wh2 = Api(client, kept).post(PLANS, {"warehouse": "WH2"}, expect=201)
    listed = Api(client, kept).get(PLANS)
    assert ([p["number"] for p in listed["items"]], listed["total"]) == ([wh2["number"]], 1)
    assert Api(client, kept).get(PLANS, warehouse="WH1") == {"items": [], "total": 0}
    everyone = people["purchaser"].get(PLANS)  # a purchaser of every warehouse sees both
    assert {p["number"] for p in everyone["items"]} == {wh1["number"], wh2["number"]} and everyone["total"] == 2
    foreign = client.get(f"{PLANS}/{wh1['number']}", headers=kept)
    assert (foreign.status_code, foreign.json()["error"]) == (403, "warehouse_not_allowed")
    assert "WH1" in foreign.json()["message"] and "WH1" in foreign.json()["details"]["message_zh"]
    assert client.get(f"{PLANS}/{wh2['number']}", headers=kept).status_code == 200
    history = client.get(f"/api/v1/history/purchase_plan/{wh1['number']}", headers=kept)  # nor what was done to it
    assert (history.status_code, history.json()["error"]) == (403, "warehouse_not_allowed")
    assert client.get(f"/api/v1/history/purchase_plan/{wh2['number']}", headers=kept).json()["total"] >= 1
    forecast_there = client.get(FORECASTS, params={"sku": "PEN", "warehouse": "WH1"}, headers=kept)
    assert (forecast_there.status_code, forecast_there.json()["error"]) == (403, "warehouse_not_allowed")
    assert client.get(FORECASTS, params={"sku": "PEN", "warehouse": "WH2"}, headers=kept).status_code == 200


def test_an_item_keeps_its_minimum_order_quantity_and_a_plan_proposes_no_less(client, people, world):
    admin, purchaser = people["admin"], people["purchaser"]
    constructed(people, world)
    assert admin.patch("/api/v1/items/RICE", {"min_order_qty": "10"})["min_order_qty"] == "10"
    assert admin.get("/api/v1/items/RICE")["min_order_qty"] == "10"
    assert admin.patch("/api/v1/items/PEN", {"min_order_qty": "13"})["min_order_qty"] == "13"
    negative = client.patch("/api/v1/items/PEN", json={"min_order_qty": "-1"}, headers=admin.headers)
    assert negative.status_code in (400, 422) and negative.json()["message"]
    assert admin.get("/api/v1/items/PEN")["min_order_qty"] == "13"
    made = admin.post("/api/v1/items", {"sku": "TEA-1", "unit": "box", "min_order_qty": "24"}, expect=201)
    assert made["min_order_qty"] == "24" and admin.get("/api/v1/items/MILK")["min_order_qty"] is None

    plan = purchaser.post(PLANS, {"warehouse": "WH1", "horizon": 1}, expect=201)
    lines = {line["sku"]: line for line in plan["lines"]}
    # RICE is short 6.425 kg: the supplier sells 10 at least. PEN is short 3: at least 13, in cartons of 12, is 24.
    assert {f: lines["RICE"][f] for f in ("need", "min_order_qty", "raised_to_moq", "proposed_qty", "qty")} == {
        "need": "6.425", "min_order_qty": "10", "raised_to_moq": True, "proposed_qty": "10", "qty": "10"}
    assert {f: lines["PEN"][f] for f in ("need", "min_order_qty", "raised_to_moq", "proposed_qty", "pack_qty")} == {
        "need": "3", "min_order_qty": "13", "raised_to_moq": True, "proposed_qty": "24", "pack_qty": "12"}
    assert purchaser.get(f"{PLANS}/{plan['number']}")["lines"] == plan["lines"]
    # A need above the minimum is proposed as it is; an item needing nothing is not bought for its minimum.
    admin.patch("/api/v1/items/RICE", {"min_order_qty": "5"})
    rice = purchaser.post(PLANS, {"warehouse": "WH1", "horizon": 1, "skus": ["RICE"]}, expect=201)["lines"][0]
    assert (rice["proposed_qty"], rice["min_order_qty"], rice["raised_to_moq"]) == ("6.425", "5", False)
    purchaser.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "RICE", "qty": "20"}]}, expect=201)
    covered = purchaser.post(PLANS, {"warehouse": "WH1", "horizon": 1, "skus": ["RICE"]}, expect=201)["lines"][0]
    assert (covered["need"], covered["proposed_qty"], covered["raised_to_moq"], covered["selected"]) == ("0", "0", False, False)
    # Cleared, the minimum is gone.
    assert admin.patch("/api/v1/items/RICE", {"min_order_qty": None})["min_order_qty"] is None


def test_items_imported_with_a_minimum_order_quantity_column_keep_it(client, world, as_role):
    from tests.test_import import table_file, upload

    admin = as_role("admin")
    rows = [["商品编码", "中文名称", "单位", "最小起订量"], ["TEA-1", "绿茶", "箱", "20"], ["CUP-1", "保温杯", "个", ""]]
    imported = upload(client, admin, "items", table_file("csv", rows), dry_run=False)
    assert imported.status_code == 200 and imported.json()["created"] == 2, imported.text
    assert client.get("/api/v1/items/TEA-1", headers=admin).json()["min_order_qty"] == "20"
    assert client.get("/api/v1/items/CUP-1", headers=admin).json()["min_order_qty"] is None
    moq = upload(client, admin, "items", table_file("csv", [["sku", "MOQ"], ["TEA-2", "6"]]), dry_run=False)
    assert moq.status_code == 200, moq.text
    assert client.get("/api/v1/items/TEA-2", headers=admin).json()["min_order_qty"] == "6"


def test_an_item_keeps_its_lead_time_and_an_observed_one_comes_from_its_orders(client, people, world, db):
    admin, purchaser = people["admin"], people["purchaser"]
    assert admin.patch("/api/v1/items/RICE", {"lead_time_days": 21})["lead_time_days"] == 21
    assert admin.get("/api/v1/items/RICE")["lead_time_days"] == 21
    assert admin.patch("/api/v1/items/RICE", {"lead_time_days": None})["lead_time_days"] is None
    assert client.patch("/api/v1/items/RICE", json={"lead_time_days": -1}, headers=admin.headers).status_code == 400
    # An order approved 10 days before its goods came: the plan goes by that, and by its supplier.
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP2", "warehouse": "WH1", "lines": [{"sku": "RICE", "qty": "5", "unit_price": "4"}]},
                        expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    if po["status"] == "pending":
        po = Api(client, admin.headers).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    warehouse = Api(client, admin.headers)
    grn = warehouse.post("/api/v1/receipts", {"po": po["number"]}, expect=201)["number"]
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "RICE", "qty": "5"}, expect=201)
    arrived = week_day(1)
    with db.write() as session:
        from server.purchasing.models import PurchaseOrder

        session.execute(update(PurchaseOrder).where(PurchaseOrder.number == po["number"]).values(approved_at=arrived - dt.timedelta(days=9, hours=12)))
        session.execute(update(Move).where(Move.ref_type == "receipt", Move.ref_id == grn).values(created_at=arrived))
    dated_move(world, "RICE", "1", "SUPPLIER", "B2", 3, unit_cost=D(4))
    dated_move(world, "RICE", "1", "B2", "CUSTOMER", 2)
    line = purchaser.post(PLANS, {"warehouse": "WH1", "skus": ["RICE"]}, expect=201)["lines"][0]
    assert (line["lead_time_days"], line["lead_time_source"], line["supplier"]) == (10, "history", "SUP2")


# The desk ---------------------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_purchaser_makes_a_plan_changes_a_quantity_and_converts_it_at_the_desk(browser, client, live_server, people, world, db):
    constructed(people, world)
    add_user(db, "buyer", ["purchaser"], ["WH1"])
    context, page = open_desk(browser, live_server, "buyer")
    try:
        group = page.locator(".office-nav details[data-group=purchasing]")
        if group.get_attribute("open") is None:
            group.locator("summary").click()
        page.locator(".office-nav a[data-nav=purchase-plan]").click()
        form = page.locator("#plan-form")
        form.locator("[name=warehouse]").fill("WH1")
        form.locator("[name=horizon]").fill("1")
        form.get_by_role("button", name="Make the plan").click()
        page.locator("#plan-lines tr[data-sku=PEN]").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        assert number.startswith("PP-")
        pen = page.locator("#plan-lines tr[data-sku=PEN]")
        for field, value in (("forecast", "20"), ("available", "4"), ("on-order", "12"), ("safety", "5"), ("lead-time", "7"), ("proposed", "12")):
            assert pen.locator(f"[data-field={field}]").inner_text() == value, field
        assert pen.locator("input[name=qty]").input_value() == "12"
        assert page.locator("#plan-lines tr[data-sku=RICE] [data-field=method]").inner_text() == "Average (short history)"

        # Opening a line draws the item's history and forecast.
        pen.get_by_role("button", name="Details").click()
        page.locator("#plan-chart svg polyline.history").wait_for()
        assert page.locator("#plan-chart circle.forecast").count() == 12
        assert "max(forecast, open orders)" in page.locator("#plan-detail").inner_text()

        pen.locator("input[name=qty]").fill("24")
        page.locator("#plan-lines tr[data-sku=RICE] input[name=supplier]").fill("SUP2")
        page.get_by_role("button", name="Save changes").click()
        page.locator("[data-field=version] dd", has_text="2").wait_for()
        page.get_by_role("button", name="Convert into requisitions").click()
        page.locator(".facts [data-field=status] dd", has_text="Converted into requisitions").wait_for()
        links = page.locator("#plan-requisitions a")
        assert links.count() == 2
        assert page.locator("#plan-lines tr[data-sku=PEN] [data-field=qty]").inner_text() == "24"
        links.first.click()
        page.locator("#app h3", has_text="REQ-").wait_for()
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()
    plan = people["purchaser"].get(f"{PLANS}/{number}")
    assert plan["status"] == "converted" and {(entry["sku"], entry["qty"], entry["supplier"]) for entry in plan["lines"]} == {("PEN", "24", "SUP1"), ("RICE", "6.425", "SUP2")}
    requisitions = [people["purchaser"].get(f"/api/v1/requisitions/{r}") for r in plan["requisitions"]]
    assert sorted((r["supplier"], [(entry["sku"], entry["qty"]) for entry in r["lines"]]) for r in requisitions) == [
        ("SUP1", [("PEN", "24")]), ("SUP2", [("RICE", "6.425")])]


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_line_raised_to_the_minimum_order_quantity_is_marked_on_the_desk_in_both_languages(browser, client, live_server, people, world, db):
    constructed(people, world)
    people["admin"].patch("/api/v1/items/RICE", {"min_order_qty": "10"})
    number = people["purchaser"].post(PLANS, {"warehouse": "WH1", "horizon": 1}, expect=201)["number"]
    add_user(db, "buyer", ["purchaser"], ["WH1"])
    for lang, mark, hint, moq in (("en", "raised to the minimum order", "The need is below the minimum order quantity 10", "Minimum order qty"),
                                  ("zh", "已提至起订量", "缺口低于最小起订量 10", "最小起订量")):
        context, page = open_desk(browser, live_server, "buyer", lang=lang)
        try:
            page.evaluate(f"location.hash = '#/office/purchase-plan/{number}'")
            rice = page.locator("#plan-lines tr[data-sku=RICE]")
            rice.wait_for()
            proposed = rice.locator("[data-field=proposed]")
            assert proposed.inner_text().split("\n") == ["10", mark], lang
            assert proposed.get_attribute("title").startswith(hint), lang
            assert rice.locator("input[name=qty]").input_value() == "10"
            assert page.locator("#plan-lines tr[data-sku=PEN] [data-field=moq-raised]").count() == 0  # PEN has no minimum
            rice.locator("[data-action=details]").click()
            facts = page.locator("#plan-detail [data-field=moq]")
            facts.wait_for()
            assert facts.locator("dt").inner_text() == moq and facts.locator("dd").inner_text() == "10"
            assert page.evaluate("[...globalThis.cangkuMissingText]") == []
        finally:
            context.close()
