"""Supplier evaluation (供应商评估): on time, quantity accuracy, rejects and price variance per supplier and period, the
scorecard report, the scores a purchaser sees when choosing a supplier, and the same at the desk.

The history of 2025 (arrivals dated back to noon in Shanghai, as the other report tests do):

    SUP1  PO-A  PEN 100 @ 2.00, RICE 50 @ 4.00, expected 01-10
                  01-08  GRN: PEN 100 (5 rejected, scratched), RICE 30        on time
                  01-15  GRN: RICE 20                                          5 days late
                  closed: the 5 pens will not come                             PEN 95 of 100, RICE 50 of 50
                  01-20  bill: PEN 95 @ 2.02 (+1.90), RICE 50 @ 4.00           ordered 390.00, billed 391.90
          PO-B  RICE 10 @ 5.00 less 10 % (4.50 net), expected 02-05
                  02-10  GRN: RICE 10                                          5 days late; received in full
                  02-12  bill: RICE 10 @ 4.545 (+0.45)                          ordered 45.00, billed 45.45
          PO-C  PEN 20 @ 2.00, no expected date
                  04-03  GRN: PEN 21                                           no promise to keep; 1 over of 20
    SUP2  PO-D  RICE 10 @ 4.00, expected 03-01
                  03-01  GRN: RICE 10                                          on time; received in full
                  03-02  bill: RICE 10 @ 3.98 (−0.20)                          billed below the order: no penalty
    SUP3  a purchase price list with PEN on it, nothing ordered or delivered

Score = (35 × on time + 30 × (100 − rejected) + 20 × quantity accuracy + 15 × (100 − billed above %)) / the weights
of the parts with figures.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import update

from server.base import UTCDateTime
from server.inventory.models import Move
from server.migrate import upgrade
from server.purchasing.models import PurchaseOrder
from server.reports.scorecard import Tally, months_back, period_of, weighted_score, year_before
from server.wiring import open_database
from tests.desk import open_desk
from tests.helpers import add_user
from tests.stories import Api, supplier_and_dock
from tests.test_reports import report
from tests.test_reports_documents import same_in_every_format

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
REPORTS = "/api/v1/reports"
SCORES = "/api/v1/suppliers/scores"
YEAR = {"from": "2025-01-01", "to": "2025-12-31"}


# Pure parts ----------------------------------------------------------------------------------------


def test_a_day_falls_in_its_month_quarter_year_or_the_whole_range():
    first, last = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    day = dt.date(2025, 5, 17)
    assert period_of(day, "month", first, last) == (dt.date(2025, 5, 1), "2025-05")
    assert period_of(day, "quarter", first, last) == (dt.date(2025, 4, 1), "2025-Q2")
    assert period_of(dt.date(2025, 12, 31), "quarter", first, last) == (dt.date(2025, 10, 1), "2025-Q4")
    assert period_of(day, "year", first, last) == (dt.date(2025, 1, 1), "2025")
    assert period_of(day, "range", first, last) == (first, "2025-01-01~2025-12-31")
    assert months_back(dt.date(2026, 5, 20), 11) == dt.date(2025, 6, 1) and months_back(dt.date(2026, 1, 3), 0) == dt.date(2026, 1, 1)
    assert year_before(dt.date(2026, 5, 15)) == dt.date(2025, 5, 16) and year_before(dt.date(2028, 2, 29)) == dt.date(2027, 3, 1)


def test_the_score_weighs_the_parts_it_has_figures_for():
    assert weighted_score({"on_time": D(100), "quality": D(100), "quantity": D(100), "price": D(100)}) == D(100)
    assert weighted_score({"on_time": D(0), "quality": D(100), "quantity": D(100), "price": D(100)}) == D(65)
    # Nothing billed yet: on time and quality only, 35 : 30.
    assert weighted_score({"on_time": D(50), "quality": D(100), "quantity": None, "price": None}) == (D(35) * 50 + D(30) * 100) / 65
    assert weighted_score(dict.fromkeys(("on_time", "quality", "quantity", "price"))) is None


def test_short_and_over_deliveries_both_cost_quantity_accuracy_and_billing_below_the_order_costs_no_points():
    tally = Tally()
    tally.finished(D(100), D(95))
    tally.finished(D(20), D(21))
    tally.finished(D(10), D(30))  # three times what was ordered: nothing left to score, never below 0
    assert tally.quantity_accuracy == (D("0.95") + D("0.95") + 0) / 3 and tally.exact_lines == 0
    tally.billed(D("100.00"), D("97.00"))
    assert tally.price_variance == D(-3) and tally.parts()["price"] == D(100)
    tally.billed(D("100.00"), D("113.00"))
    assert tally.price_variance_rate == D("0.05") and tally.parts()["price"] == D(95)


# A year of deliveries ------------------------------------------------------------------------------


def _noon(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), SHANGHAI).astimezone(dt.UTC)


class Buying:
    """The people of a purchase, and the steps of one, each through the API."""

    def __init__(self, client, as_role, db) -> None:  # type: ignore[no-untyped-def]
        self.admin, self.purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
        self.approver, self.warehouse, self.finance = Api(client, as_role("approver")), Api(client, as_role("warehouse")), Api(client, as_role("finance"))
        self.db = db

    def order(self, supplier: str, lines: list[dict[str, str]], expected: str | None) -> str:
        po = self.purchaser.post("/api/v1/purchase-orders", {"supplier": supplier, "warehouse": "WH1", "lines": lines,
                                                             **({"expected_date": expected} if expected else {})}, expect=201)
        po = self.purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
        if po["status"] == "pending":
            po = self.approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
        assert po["status"] == "approved", po
        return str(po["number"])

    def receive(self, po: str, lines: list[tuple[str, str, str]], on: str | None = None) -> str:
        """Goods arriving (sku, received, rejected), inspected at once; dated back to noon of `on`."""
        grn = self.warehouse.post("/api/v1/receipts", {"po": po}, expect=201)["number"]
        for sku, qty, _ in lines:
            self.warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": sku, "qty": qty}, expect=201)
        self.warehouse.post(f"/api/v1/receipts/{grn}/complete")
        for n, (_, qty, rejected) in enumerate(lines, 1):
            self.warehouse.post(f"/api/v1/receipts/{grn}/lines/{n}/inspect",
                                {"accepted": str(D(qty) - D(rejected)), "rejected": rejected, **({"note": "scratched"} if D(rejected) else {})})
        if on is not None:
            with self.db.write() as session:  # dating the arrival back: the ledger itself never edits a move
                session.execute(update(Move).where(Move.ref_type == "receipt", Move.ref_id == grn).values(created_at=_noon(on)))
        return str(grn)

    def bill(self, po: str, lines: list[dict[str, str | int]], on: str | None = None) -> str:
        bill = self.finance.post("/api/v1/bills", {"po": po, "lines": lines, **({"bill_date": on} if on else {})}, expect=201)
        assert self.finance.post(f"/api/v1/bills/{bill['number']}/post", {})["status"] == "posted", bill
        return str(bill["number"])


@pytest.fixture
def buying(client, world, as_role, db) -> Buying:  # type: ignore[no-untyped-def]
    buy = Buying(client, as_role, db)
    supplier_and_dock(buy.admin)
    buy.admin.post("/api/v1/partners", {"code": "SUP2", "kind": "supplier", "name_zh": "供应商二", "name_en": "Supplier Two"}, expect=201)
    buy.admin.post("/api/v1/price-lists", {"code": "PL3", "kind": "purchase", "name_en": "Supplier Three's prices",
                                           "prices": [{"sku": "PEN", "price": "1.90"}]}, expect=201)
    buy.admin.post("/api/v1/partners", {"code": "SUP3", "kind": "supplier", "name_zh": "供应商三", "name_en": "Supplier Three",
                                        "price_list": "PL3"}, expect=201)
    return buy


@pytest.fixture
def history(buying: Buying) -> Buying:
    b = buying
    po_a = b.order("SUP1", [{"sku": "PEN", "qty": "100", "unit_price": "2"}, {"sku": "RICE", "qty": "50", "unit_price": "4"}], "2025-01-10")
    b.receive(po_a, [("PEN", "100", "5"), ("RICE", "30", "0")], "2025-01-08")
    b.receive(po_a, [("RICE", "20", "0")], "2025-01-15")
    version = b.purchaser.get(f"/api/v1/purchase-orders/{po_a}")["version"]
    assert b.purchaser.post(f"/api/v1/purchase-orders/{po_a}/close", {"version": version, "reason": "the 5 pens will not come"})["status"] == "closed"
    b.bill(po_a, [{"line": 1, "qty": "95", "unit_price": "2.02"}, {"line": 2, "qty": "50", "unit_price": "4"}], "2025-01-20")

    po_b = b.order("SUP1", [{"sku": "RICE", "qty": "10", "unit_price": "5", "discount": "10"}], "2025-02-05")
    b.receive(po_b, [("RICE", "10", "0")], "2025-02-10")
    assert b.purchaser.get(f"/api/v1/purchase-orders/{po_b}")["status"] == "received"
    b.bill(po_b, [{"line": 1, "qty": "10", "unit_price": "4.545"}], "2025-02-12")

    po_c = b.order("SUP1", [{"sku": "PEN", "qty": "20", "unit_price": "2"}], None)
    b.receive(po_c, [("PEN", "21", "0")], "2025-04-03")

    po_d = b.order("SUP2", [{"sku": "RICE", "qty": "10", "unit_price": "4"}], "2025-03-01")
    b.receive(po_d, [("RICE", "10", "0")], "2025-03-01")
    b.bill(po_d, [{"line": 1, "qty": "10", "unit_price": "3.98"}], "2025-03-02")
    return b


FIGURES = ("score", "orders", "deliveries", "received_lines", "dated_lines", "on_time_lines", "on_time_pct", "average_days_late",
           "finished_lines", "exact_lines", "quantity_accuracy_pct", "inspected_lines", "rejected_lines", "reject_pct", "billed_lines",
           "ordered_amount", "billed_amount", "price_variance", "price_variance_pct")


def rows_of(body: dict) -> dict[tuple[str, str], dict[str, object]]:
    """(supplier, period) -> its figures, numbers as decimals."""
    def value(v: object) -> object:
        return D(v) if isinstance(v, str) else v
    return {(r["supplier"], r["period"]): {k: value(r[k]) for k in FIGURES if k in r} for r in body["rows"]}


def score(on_time: Decimal | None, rejected: Decimal, accuracy: Decimal, above: Decimal | None) -> Decimal:
    """The score as the module's notes define it, from exact figures (percentages), rounded as shown."""
    parts = [(D(35), on_time), (D(30), 100 - rejected), (D(20), accuracy), (D(15), None if above is None else 100 - max(D(0), above))]
    present = [(w, v) for w, v in parts if v is not None]
    return (sum(w * v for w, v in present) / sum(w for w, _ in present)).quantize(D("0.1"), rounding=ROUND_HALF_UP)


def test_each_month_shows_on_time_quantity_accuracy_rejects_and_price_variance_with_their_counts(client, history):
    body = same_in_every_format(client, history.purchaser.headers, "supplier_scorecard", period="month", **YEAR)
    assert body["title_zh"] == "供应商评估" and body["title_en"] == "Supplier scorecard"
    rows = rows_of(body)
    assert list(rows) == [("SUP1", "2025-01"), ("SUP1", "2025-02"), ("SUP1", "2025-04"), ("SUP2", "2025-03")]  # SUP3 delivered nothing
    assert [r["period_start"] for r in body["rows"]] == ["2025-01-01", "2025-02-01", "2025-04-01", "2025-03-01"]

    # January: 3 lines in 2 deliveries against 1 order, 2 on time and 1 five days late; 5 of 100 pens rejected on 1 of 3 lines;
    # the closed order: 95 of 100 pens (0.95) and all the rice (1); billed 1.90 above the 390.00 ordered.
    on_time, rejected, accuracy, above = D(200) / 3, D(5) / 3, D("97.5"), D("1.90") * 100 / 390
    assert rows[("SUP1", "2025-01")] == {
        "score": score(on_time, rejected, accuracy, above), "orders": 1, "deliveries": 2, "received_lines": 3, "dated_lines": 3,
        "on_time_lines": 2, "on_time_pct": D("66.7"), "average_days_late": D("5.0"), "finished_lines": 2, "exact_lines": 1,
        "quantity_accuracy_pct": D("97.5"), "inspected_lines": 3, "rejected_lines": 1, "reject_pct": D("1.7"), "billed_lines": 2,
        "ordered_amount": D("390"), "billed_amount": D("391.9"), "price_variance": D("1.9"), "price_variance_pct": D("0.5"),
    }
    assert rows[("SUP1", "2025-01")]["score"] == D("87.3")
    # February: one late line, received in full and clean; billed at 4.545 against 4.50 net of the 10 % discount: +1 %.
    assert rows[("SUP1", "2025-02")] == {
        "score": D("64.9"), "orders": 1, "deliveries": 1, "received_lines": 1, "dated_lines": 1, "on_time_lines": 0, "on_time_pct": D(0),
        "average_days_late": D("5.0"), "finished_lines": 1, "exact_lines": 1, "quantity_accuracy_pct": D(100), "inspected_lines": 1,
        "rejected_lines": 0, "reject_pct": D(0), "billed_lines": 1, "ordered_amount": D(45), "billed_amount": D("45.45"),
        "price_variance": D("0.45"), "price_variance_pct": D(1),
    }
    # April: no expected date, so no on-time figure; 21 pens for 20 ordered is over by 1 (0.95); nothing billed.
    assert rows[("SUP1", "2025-04")] == {
        "score": D(98), "orders": 1, "deliveries": 1, "received_lines": 1, "dated_lines": 0, "on_time_lines": 0, "on_time_pct": None,
        "average_days_late": None, "finished_lines": 1, "exact_lines": 0, "quantity_accuracy_pct": D(95), "inspected_lines": 1,
        "rejected_lines": 0, "reject_pct": D(0), "billed_lines": 0, "ordered_amount": D(0), "billed_amount": D(0), "price_variance": D(0),
        "price_variance_pct": None,
    }
    # SUP2: one delivery, perfect, billed 0.20 below the order (−0.5 %), which costs it nothing: 100, from one delivery.
    sup2 = rows[("SUP2", "2025-03")]
    assert (sup2["score"], sup2["deliveries"], sup2["on_time_pct"], sup2["price_variance"], sup2["price_variance_pct"]) == (D(100), 1, D(100), D("-0.2"),
                                                                                                                            D("-0.5"))
    assert {k: D(v) for k, v in body["totals"].items()} == {
        "orders": 4, "deliveries": 5, "received_lines": 6, "dated_lines": 5, "on_time_lines": 3, "finished_lines": 5, "exact_lines": 3,
        "inspected_lines": 6, "rejected_lines": 1, "billed_lines": 4, "ordered_amount": D("475"), "billed_amount": D("477.15"),
        "price_variance": D("2.15"),
    }


def test_a_quarter_and_a_year_are_scored_from_their_own_deliveries_not_from_the_months_scores(client, history):
    quarters = rows_of(report(client, history.purchaser.headers, "supplier_scorecard", period="quarter", supplier="SUP1", **YEAR).json())
    assert list(quarters) == [("SUP1", "2025-Q1"), ("SUP1", "2025-Q2")]
    q1 = quarters[("SUP1", "2025-Q1")]
    # 4 lines, 2 on time, 2 five days late; 5 % rejected on 1 of 4 lines; 0.95, 1 and 1; billed 437.35 for 435.00 ordered.
    assert (q1["orders"], q1["deliveries"], q1["dated_lines"], q1["on_time_lines"], q1["on_time_pct"], q1["average_days_late"]) == (
        2, 3, 4, 2, D(50), D(5))
    assert (q1["reject_pct"], q1["quantity_accuracy_pct"], q1["price_variance"], q1["price_variance_pct"]) == (D("1.3"), D("98.3"), D("2.35"), D("0.5"))
    assert q1["score"] == score(D(50), D("1.25"), D("2.95") * 100 / 3, D("2.35") * 100 / 435) == D("81.7")
    year = rows_of(report(client, history.purchaser.headers, "supplier_scorecard", period="year", supplier="SUP1", **YEAR).json())
    whole = year[("SUP1", "2025")]
    assert (whole["deliveries"], whole["received_lines"], whole["dated_lines"], whole["finished_lines"], whole["inspected_lines"]) == (4, 5, 4, 4, 5)
    assert (whole["reject_pct"], whole["quantity_accuracy_pct"]) == (D(1), D("97.5"))
    assert whole["score"] == score(D(50), D(1), D("97.5"), D("2.35") * 100 / 435) == D("81.6")
    # The whole range as one row per supplier; narrowed to one item, only its lines count.
    ranged = rows_of(report(client, history.purchaser.headers, "supplier_scorecard", period="range", **YEAR).json())
    assert list(ranged) == [("SUP1", "2025-01-01~2025-12-31"), ("SUP2", "2025-01-01~2025-12-31")]
    assert ranged[("SUP1", "2025-01-01~2025-12-31")] == whole
    pens = rows_of(report(client, history.purchaser.headers, "supplier_scorecard", period="range", sku="PEN", **YEAR).json())
    only = pens[("SUP1", "2025-01-01~2025-12-31")]
    assert list(pens) == [("SUP1", "2025-01-01~2025-12-31")]
    assert (only["received_lines"], only["dated_lines"], only["on_time_pct"], only["reject_pct"], only["quantity_accuracy_pct"]) == (
        2, 1, D(100), D("2.5"), D(95))
    assert (only["ordered_amount"], only["billed_amount"], only["price_variance_pct"]) == (D(190), D("191.9"), D(1))
    # A period before anything happened is empty, not an error.
    assert report(client, history.purchaser.headers, "supplier_scorecard", **{"from": "2024-01-01", "to": "2024-12-31"}).json()["rows"] == []


def test_a_month_boundary_is_the_local_midnight_of_the_reports_time_zone(client, history, db):
    # An arrival at 00:30 on 1 February in Shanghai is 16:30 on 31 January in UTC: a day late and February's in Shanghai,
    # on time and January's in UTC.
    po = history.order("SUP2", [{"sku": "PEN", "qty": "5", "unit_price": "2"}], "2025-01-31")
    grn = history.receive(po, [("PEN", "5", "0")])
    with db.write() as session:
        at = dt.datetime(2025, 2, 1, 0, 30, tzinfo=SHANGHAI).astimezone(dt.UTC)
        session.execute(update(Move).where(Move.ref_type == "receipt", Move.ref_id == grn).values(created_at=at))
    shanghai = rows_of(report(client, history.purchaser.headers, "supplier_scorecard", supplier="SUP2", **YEAR).json())
    assert shanghai[("SUP2", "2025-02")]["on_time_pct"] == D(0) and shanghai[("SUP2", "2025-02")]["average_days_late"] == D(1)
    utc = rows_of(report(client, history.purchaser.headers, "supplier_scorecard", supplier="SUP2", tz="UTC", **YEAR).json())
    assert utc[("SUP2", "2025-01")]["on_time_pct"] == D(100) and ("SUP2", "2025-02") not in utc


def test_a_late_delivery_stays_late_when_the_expected_date_is_moved_after_the_order_went_out(client, buying, db):
    b = buying
    po = b.purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP2", "warehouse": "WH1", "expected_date": "2025-03-01",
                                                      "lines": [{"sku": "RICE", "qty": "10", "unit_price": "4"}]}, expect=201)
    number, path = po["number"], f"/api/v1/purchase-orders/{po['number']}"
    assert (po["expected_date"], po["promised_date"]) == ("2025-03-01", None)  # a draft promises nothing yet
    po = b.purchaser.patch(path, {"version": po["version"], "expected_date": "2025-03-05"})
    po = b.purchaser.post(f"{path}/submit", {"version": po["version"]})
    if po["status"] == "pending":
        po = b.approver.post(f"{path}/approve", {"version": po["version"]})
    assert (po["status"], po["expected_date"], po["promised_date"]) == ("approved", "2025-03-05", "2025-03-05")

    # The delivery will be late: the expected date is moved past it. The promise stays.
    po = b.purchaser.patch(path, {"version": po["version"], "expected_date": "2025-03-20"})
    assert (po["expected_date"], po["promised_date"]) == ("2025-03-20", "2025-03-05")
    b.receive(number, [("RICE", "10", "0")], "2025-03-10")
    assert b.purchaser.get(path)["promised_date"] == "2025-03-05"
    march = rows_of(report(client, b.purchaser.headers, "supplier_scorecard", supplier="SUP2", **YEAR).json())[("SUP2", "2025-03")]
    assert (march["dated_lines"], march["on_time_lines"], march["on_time_pct"], march["average_days_late"]) == (1, 0, D(0), D(5))

    # An order that went out before promises were kept is judged by its expected date.
    with db.write() as session:
        session.execute(update(PurchaseOrder).where(PurchaseOrder.number == number).values(promised_date=None))
    march = rows_of(report(client, b.purchaser.headers, "supplier_scorecard", supplier="SUP2", **YEAR).json())[("SUP2", "2025-03")]
    assert (march["on_time_lines"], march["on_time_pct"], march["average_days_late"]) == (1, D(100), None)


@pytest.fixture
def scratch(backend, tmp_path, backends):  # type: ignore[no-untyped-def]
    with backends.scratch(backend, tmp_path, "promised") as url:
        database = open_database(url)
        yield database
        database.dispose()


def test_orders_already_gone_out_take_their_expected_date_as_the_promise_and_drafts_none(scratch):
    upgrade(scratch.engine, "0033-1")
    now = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)

    def stamps() -> tuple[sa.ColumnClause, sa.ColumnClause]:
        return sa.column("created_at", UTCDateTime()), sa.column("updated_at", UTCDateTime())

    locations = sa.table("locations", *(sa.column(c) for c in ("id", "code", "name_zh", "name_en", "kind", "quarantine", "active", "version")),
                         *stamps())
    partners = sa.table("partners", *(sa.column(c) for c in ("id", "code", "kind", "name_zh", "name_en", "contact", "phone", "email", "tax_id",
                                                             "address", "payment_terms_days", "active", "version")), stamps()[0])
    orders = sa.table("purchase_orders", *(sa.column(c) for c in ("id", "number", "status", "version", "note", "supplier_id", "warehouse_id",
                                                                  "currency", "subtotal", "tax", "total")),
                      sa.column("approval_roles", sa.JSON()), sa.column("expected_date", sa.Date()), *stamps())
    with scratch.engine.begin() as connection:
        connection.execute(locations.insert(), [{"id": 1, "code": "WH1", "name_zh": "", "name_en": "", "kind": "warehouse", "quarantine": False,
                                                 "active": True, "version": 1, "created_at": now, "updated_at": now}])
        connection.execute(partners.insert(), [{"id": 1, "code": "SUP1", "kind": "supplier", "name_zh": "", "name_en": "", "contact": "", "phone": "",
                                                "email": "", "tax_id": "", "address": "", "payment_terms_days": 30, "active": True, "version": 1,
                                                "created_at": now}])
        connection.execute(orders.insert(), [
            {"id": n, "number": f"PO-{n}", "status": status, "version": 1, "note": "", "supplier_id": 1, "warehouse_id": 1, "currency": "CNY",
             "subtotal": 0, "tax": 0, "total": 0, "approval_roles": [], "expected_date": expected, "created_at": now, "updated_at": now}
            for n, status, expected in ((1, "draft", dt.date(2026, 2, 1)), (2, "approved", dt.date(2026, 2, 2)), (3, "received", dt.date(2026, 2, 3)),
                                        (4, "approved", None))])
    upgrade(scratch.engine, "0033")
    with scratch.engine.connect() as connection:
        promised = connection.execute(sa.text("SELECT number, promised_date FROM purchase_orders ORDER BY id")).all()
    assert [(number, None if day is None else str(day)) for number, day in promised] == [
        ("PO-1", None), ("PO-2", "2026-02-02"), ("PO-3", "2026-02-03"), ("PO-4", None)]


def test_without_prices_read_the_scorecard_keeps_the_delivery_figures_and_drops_the_money(client, history, as_role):
    seen = report(client, as_role("warehouse"), "supplier_scorecard", **YEAR).json()
    keys = [c["key"] for c in seen["columns"]]
    assert "score" in keys and "on_time_pct" in keys and "reject_pct" in keys
    assert not {"ordered_amount", "billed_amount", "price_variance", "price_variance_pct"} & set(keys)
    assert all("price_variance" not in row for row in seen["rows"]) and "price_variance" not in seen["totals"]
    # The score is the same whoever reads it.
    assert rows_of(seen)[("SUP1", "2025-01")]["score"] == D("87.3")
    header = client.get(f"{REPORTS}/supplier_scorecard", headers=as_role("warehouse"), params={"format": "csv", "lang": "en", **YEAR}).text
    assert "Price variance" not in header.splitlines()[0]


def test_only_the_buying_roles_may_read_supplier_scores(client, world, as_role):
    for role in ("sales", "viewer"):
        for response in (client.get(f"{REPORTS}/supplier_scorecard", headers=as_role(role)), client.get(SCORES, headers=as_role(role))):
            assert response.status_code == 403, (role, response.text)
            assert response.json()["error"] == "forbidden" and "supplier scorecards" in response.json()["message"]
        assert "supplier_scorecard" not in [r["name"] for r in client.get(REPORTS, headers=as_role(role)).json()["items"]]
    for role in ("admin", "purchaser", "approver", "director", "warehouse", "finance"):
        assert client.get(SCORES, headers=as_role(role)).status_code == 200, role
        assert client.get(f"{REPORTS}/supplier_scorecard", headers=as_role(role)).status_code == 200, role
    assert client.get(SCORES).status_code == 401


@pytest.mark.parametrize(
    "params,status,words",
    [
        ({"period": "week"}, 400, "period"),
        ({"from": "2025-13-01"}, 400, "from"),
        ({"from": "2025-06-01", "to": "2025-05-01"}, 422, "2025-06-01"),
        ({"from": "2099-01-01"}, 422, "2099-01-01"),  # from after today, to left to today
        ({"supplier": "NOPE"}, 422, "NOPE"),
        ({"sku": "NOPE"}, 422, "NOPE"),
    ],
)
def test_bad_scorecard_filters_are_refused_with_a_message(client, world, admin, params, status, words):
    response = client.get(f"{REPORTS}/supplier_scorecard", headers=admin, params=params)
    assert response.status_code == status, response.text
    assert words in response.json()["message"]


TODAY = dt.datetime.now(SHANGHAI).date()


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def recent(buying: Buying) -> Buying:
    """In the last year: SUP1 twice, once 3 days late with 1 of 10 pens rejected (the order waits for its 10th pen), once on
    time (rice, billed 1 % above the order); SUP2 once, on time. More than a year ago, SUP2 delivered rice."""
    b = buying
    late = b.order("SUP1", [{"sku": "PEN", "qty": "10", "unit_price": "2"}], day(-40))
    b.receive(late, [("PEN", "10", "1")], day(-37))
    on_time = b.order("SUP1", [{"sku": "RICE", "qty": "4", "unit_price": "4"}], day(5))
    b.receive(on_time, [("RICE", "4", "0")])
    b.bill(on_time, [{"line": 1, "qty": "4", "unit_price": "4.04"}])
    sup2 = b.order("SUP2", [{"sku": "PEN", "qty": "10", "unit_price": "2"}], day(-10))
    b.receive(sup2, [("PEN", "10", "0")], day(-12))
    old = b.order("SUP2", [{"sku": "RICE", "qty": "10", "unit_price": "4"}], day(-500))
    b.receive(old, [("RICE", "10", "0")], day(-400))
    return b


def test_a_purchaser_sees_the_suppliers_of_an_item_best_first_with_what_each_score_rests_on(client, recent):
    b, today = recent, TODAY
    pens = b.purchaser.get(SCORES, item="PEN")
    assert (pens["items"], pens["from"], pens["to"], pens["total"]) == (["PEN"], year_before(today).isoformat(), today.isoformat(), 3)
    by_code = {s["supplier"]: s for s in pens["suppliers"]}
    assert [s["supplier"] for s in pens["suppliers"]] == ["SUP2", "SUP1", "SUP3"]  # best first; nothing to judge, last
    assert by_code["SUP2"] | {"last_delivery": None} == {
        "supplier": "SUP2", "name_zh": "供应商二", "name_en": "Supplier Two", "score": "100", "orders": 1, "deliveries": 1, "received_lines": 1,
        "dated_lines": 1, "on_time_pct": "100", "finished_lines": 1, "quantity_accuracy_pct": "100", "inspected_lines": 1, "reject_pct": "0",
        "billed_lines": 0, "price_variance_pct": None, "last_delivery": None,
    }  # the delivery of 400 days ago is outside the year
    assert by_code["SUP2"]["last_delivery"] == day(-12)
    # SUP1's score covers all it delivered (rice too): 1 of 2 on time, 10 % rejects on 1 of 2 lines, 1 % billed above.
    sup1 = by_code["SUP1"]
    assert (sup1["deliveries"], sup1["orders"], sup1["dated_lines"], sup1["on_time_pct"], sup1["reject_pct"], sup1["price_variance_pct"]) == (
        2, 2, 2, "50", "5", "1")
    assert (sup1["finished_lines"], sup1["quantity_accuracy_pct"]) == (1, "100")  # the pens' order waits for its 10th pen
    assert D(sup1["score"]) == score(D(50), D(5), D(100), D(1)) == D("80.9")  # 80.85, rounded half up
    assert (by_code["SUP3"]["score"], by_code["SUP3"]["deliveries"], by_code["SUP3"]["on_time_pct"], by_code["SUP3"]["last_delivery"]) == (
        None, 0, None, None)
    # Rice: SUP1 ordered it, SUP2 too (long ago); SUP3 does not list it. Several items: the suppliers of any of them.
    assert [s["supplier"] for s in b.purchaser.get(SCORES, item="RICE")["suppliers"]] == ["SUP2", "SUP1"]
    assert [s["supplier"] for s in b.purchaser.get(SCORES, item="RICE, PEN")["suppliers"]] == ["SUP2", "SUP1", "SUP3"]
    # Without an item, every active supplier; `limit` keeps the best.
    everyone = b.purchaser.get(SCORES, limit=2)
    assert [s["supplier"] for s in everyone["suppliers"]] == ["SUP2", "SUP1"] and everyone["total"] == 3 and everyone["items"] == []
    # Named suppliers, whatever they supply (inactive ones too: an old requisition may name one).
    named = b.purchaser.get(SCORES, supplier="SUP3,SUP1", item="RICE")
    assert [(s["supplier"], s["score"]) for s in named["suppliers"]] == [("SUP1", sup1["score"]), ("SUP3", None)]
    # Someone who may not see prices gets no price variance.
    assert {s["supplier"]: s["price_variance_pct"] for s in b.warehouse.get(SCORES, item="PEN")["suppliers"]} == {"SUP1": None, "SUP2": None, "SUP3": None}


def test_scores_for_an_unknown_item_or_too_many_items_are_refused_clearly(client, world, as_role):
    purchaser = as_role("purchaser")
    unknown = client.get(SCORES, headers=purchaser, params={"item": "PEN,NOPE"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_sku" and "NOPE" in unknown.json()["message"]
    chinese = client.get(SCORES, headers=purchaser | {"Accept-Language": "zh-CN"}, params={"item": "NOPE"})
    assert chinese.status_code == 422 and chinese.json()["message"] == "没有 SKU 为 NOPE 的商品。"
    supplier = client.get(SCORES, headers=purchaser, params={"supplier": "NOPE"})
    assert supplier.status_code == 422 and supplier.json()["error"] == "unknown_partner" and "NOPE" in supplier.json()["message"]
    many = client.get(SCORES, headers=purchaser, params={"item": ",".join(f"X{i}" for i in range(51))})
    assert many.status_code == 422 and many.json()["error"] == "invalid_parameter" and "50" in many.json()["message"]
    assert client.get(SCORES, headers=purchaser, params={"limit": "0"}).status_code == 400
    nothing = client.get(SCORES, headers=purchaser, params={"item": ""}).json()
    assert nothing["suppliers"] == [] and nothing["total"] == 0  # no suppliers yet


# The desk ------------------------------------------------------------------------------------------


def _shown(body: dict) -> list[list[str]]:
    """The report's rows as the desk's table shows them: amounts as money, missing figures empty, the rest as the API says."""
    amounts = {c["key"] for c in body["columns"] if c["type"] in ("money", "cost")}

    def shown(key: str, value: object) -> str:
        if value is None:
            return ""
        if key in amounts:
            whole, _, fraction = str(value).partition(".")
            return f"{int(whole):,}.{fraction.rstrip('0').ljust(2, '0')}"
        return str(value)

    return [[shown(c["key"], row[c["key"]]) for c in body["columns"]] for row in body["rows"]]


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_purchaser_reads_the_scorecard_chart_and_sees_each_suppliers_score_when_ordering_a_requisition(browser, client, live_server, recent, db):
    add_user(db, "buyer", ["purchaser"])
    requisition = recent.purchaser.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "30"}]}, expect=201)
    body = recent.purchaser.get(f"{REPORTS}/supplier_scorecard", tz="Asia/Shanghai")
    scores = recent.purchaser.get(SCORES, item="PEN")["suppliers"]
    context, page = open_desk(browser, live_server, "buyer")
    try:
        page.evaluate("location.hash = '#/office/reports'")
        page.get_by_role("link", name="Supplier scorecard").click()
        # The last twelve months by month, at once: a bar per supplier and month, as tall as its score, and the table.
        page.locator("#chart-supplier-scores rect.bar").first.wait_for()
        bars = page.eval_on_selector_all("#chart-supplier-scores rect.bar", "(bars) => bars.map((b) => [b.dataset.supplier, b.dataset.period, b.dataset.score])")
        assert bars == [[r["supplier"], r["period"], r["score"]] for r in body["rows"]]
        assert {r["supplier"] for r in body["rows"]} == {"SUP1", "SUP2"}
        assert page.locator("#chart-supplier-scores figcaption").inner_text() == "Score by supplier and period (0–100)"
        heights = {b[0] + b[1]: float(page.locator(f"rect.bar[data-supplier={b[0]}][data-period='{b[1]}']").get_attribute("height")) for b in bars}
        full = [h for key, h in heights.items() if key.startswith("SUP2")]
        assert full and all(h == max(heights.values()) for h in full)  # SUP2's 100 stands tallest
        assert [o.strip() for o in page.locator("select[name=period] option").all_inner_texts()] == [
            "—", "By month", "By quarter", "By year", "Whole period"]
        assert page.eval_on_selector_all("#report-table thead th", "(ths) => ths.map((th) => th.textContent.trim())") == [
            c["title_en"] for c in body["columns"]]
        assert page.eval_on_selector_all("#report-table tbody tr", "(rows) => rows.map((r) => [...r.cells].map((c) => c.textContent))") == _shown(body)
        # The whole period: one bar per supplier.
        page.locator("select[name=period]").select_option("range")
        page.locator("[data-action=run]").click()
        page.wait_for_function("() => document.querySelectorAll('#chart-supplier-scores rect.bar').length === 2")

        # Ordering the requisition: each supplier of pens with its score, best first; one click chooses one.
        page.evaluate(f"location.hash = '#/office/requisitions/{requisition['number']}'")
        page.locator("[data-action=order]").click()
        page.locator("#supplier-scores li[data-supplier]").first.wait_for()
        listed = page.eval_on_selector_all("#supplier-scores li", "(items) => items.map((li) => [li.dataset.supplier, li.dataset.score])")
        assert listed == [[s["supplier"], s["score"] or ""] for s in scores] and [s[0] for s in listed] == ["SUP2", "SUP1", "SUP3"]
        sup1 = next(s for s in scores if s["supplier"] == "SUP1")
        assert page.locator("#supplier-scores li[data-supplier=SUP1] [data-field=score]").inner_text() == (
            f"{sup1['score']} · 2 deliveries, 50% on time, 5% rejected, billed +1% vs order")
        assert page.locator("#supplier-scores li[data-supplier=SUP2] [data-field=summary]").inner_text() == (
            "SUP2 Supplier Two · 100 · 1 delivery, 100% on time (few deliveries: a thin record)")
        assert page.locator("#supplier-scores li[data-supplier=SUP3] [data-field=score]").inner_text() == "no deliveries in the last 12 months"
        page.locator("#supplier-scores li[data-supplier=SUP1] [data-action=choose-supplier]").click()
        assert page.locator("#order-form [name=supplier]").input_value() == "SUP1"
        page.locator("#order-form [data-field=supplier-score]", has_text=sup1["score"]).wait_for()
        # A supplier typed by hand: its own score, looked up.
        page.locator("#order-form [name=supplier]").fill("SUP3")
        page.locator("#order-form [name=supplier]").dispatch_event("change")
        page.locator("#order-form [data-field=supplier-score]", has_text="no deliveries").wait_for()
        page.locator("#order-form [name=supplier]").fill("SUP1")
        page.locator("#order-form [data-action=save]").click()
        page.wait_for_function("() => location.hash.startsWith('#/office/purchase-orders/PO-')")
        assert recent.purchaser.get(f"/api/v1/requisitions/{requisition['number']}")["status"] == "ordered"

        # In Chinese, from the list of requisitions (several go on one order), the same figures in Chinese words.
        other = recent.purchaser.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "RICE", "qty": "5"}]}, expect=201)
        page.locator("header [data-action=language]").click()
        page.wait_for_function("() => document.documentElement.lang.startsWith('zh')")
        page.evaluate("location.hash = '#/office/requisitions'")
        page.locator(f"[data-pick='{other['number']}']").first.check()
        page.locator("#order-form #supplier-scores li[data-supplier=SUP2]").wait_for()
        assert page.eval_on_selector_all("#supplier-scores li", "(items) => items.map((li) => li.dataset.supplier)") == ["SUP2", "SUP1"]
        assert page.locator("#supplier-scores h4").inner_text() == "供应商近 12 个月评估"
        assert page.locator("#supplier-scores li[data-supplier=SUP2] [data-field=score]").inner_text() == "评分 100 · 到货 1 次，准时 100%"
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()
