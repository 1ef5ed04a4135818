"""Document reports: purchase summary, sales detail, gross profit, receivables and payables ageing.

Two small stories, driven through the HTTP API, give the figures (D is today in Shanghai):

Purchases
    PO-1 SUP1: PEN 100 @ 2, MILK 10 @ 50 — all received; inspection accepts 100 pens and 8 boxes,
               rejects 2. Bill A: the pens (226, due D-100), 100 paid. Bill B: 8 boxes (452, due D-45).
    PO-2 SUP2: RICE 50 @ 4 — 20 received and accepted. Bill C: 10 (45.20, due D-15). Bill D: 10
               (45.20, due D+20). Bill E: 5, a draft. SUP2 was also paid 50 in advance.
    PO-3 SUP1: PEN 5 @ 2, a draft never sent.
Sales (stock bought at: PEN 100 @ 2 + 50 @ 2.6 = 2.2 on average; MILK 50; RICE 4)
    SO-1 CUS1: PEN 20 @ 5, MILK 2 @ 150 — invoiced on D-100 (due D-70): 452, 200 paid;
               one pen returned (credit note 5.65, settled against the invoice).
    SO-2 CUS2: RICE 5 @ 10, VAT 9 % — invoiced on D-200 (10-day terms, due D-190): 54.50.
    SO-3 CUS2: PEN 10 @ 6 — shipped, not invoiced.
    SO-4 CUS1: PEN 4 @ 5 — invoiced today, paid in full (22.60); one pen returned: its credit
               note (5.65) has no invoice left to settle, so it stays on the account.
    SO-5 CUS2: RICE 3 @ 10, VAT 9 % — invoiced today (due D+10): 32.70. CUS2 paid 30 in advance.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from server.dates import local_today
from server.purchasing.models import PurchaseOrder
from server.reports.ageing import bucket
from server.reports.documents import margin
from server.sales.models import SalesOrder
from tests.helpers import post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock
from tests.test_reports import csv_rows, exact, report, sheet, table

REPORTS = "/api/v1/reports"
D = local_today()
DOCUMENT_REPORTS = ("purchase_summary", "sales_detail", "gross_profit", "ar_ageing", "ap_ageing")


def day(offset: int) -> str:
    return (D + dt.timedelta(days=offset)).isoformat()


# The stories ---------------------------------------------------------------------------------------


def _place(purchaser: Api, approver: Api, supplier: str, lines: list[dict[str, str]]) -> str:
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": supplier, "warehouse": "WH1", "lines": lines}, expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    po = approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    assert po["status"] == "approved"
    return po["number"]


def _bill(finance: Api, po: str, lines: list[dict[str, Any]], *, post: bool = True, **dates: str) -> str:
    bill = finance.post("/api/v1/bills", {"po": po, "lines": lines, **dates}, expect=201)
    if post:
        assert finance.post(f"/api/v1/bills/{bill['number']}/post", {})["status"] == "posted"
    return bill["number"]


@pytest.fixture
def purchases(client, world, as_role) -> dict[str, str]:  # type: ignore[no-untyped-def]
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    supplier_and_dock(admin)
    admin.post("/api/v1/partners", {"code": "SUP2", "kind": "supplier", "name_zh": "供应商二", "name_en": "Supplier Two"}, expect=201)

    po1 = _place(purchaser, approver, "SUP1", [{"sku": "PEN", "qty": "100", "unit_price": "2"}, {"sku": "MILK", "qty": "10", "unit_price": "50"}])
    grn = warehouse.post("/api/v1/receipts", {"po": po1}, expect=201)["number"]
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PEN", "qty": "100"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "MILK", "qty": "10", "lot": "L5", "expiry": day(200)}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn}/complete")
    warehouse.post(f"/api/v1/receipts/{grn}/lines/1/inspect", {"accepted": "100"})
    warehouse.post(f"/api/v1/receipts/{grn}/lines/2/inspect", {"accepted": "8", "rejected": "2", "note": "dented"})
    bill_a = _bill(finance, po1, [{"line": 1, "qty": "100", "unit_price": "2"}], bill_date=day(-130))
    bill_b = _bill(finance, po1, [{"line": 2, "qty": "8", "unit_price": "50"}], bill_date=day(-75))
    finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": "100",
                                      "allocations": [{"document": bill_a, "amount": "100"}]}, expect=201)

    po2 = _place(purchaser, approver, "SUP2", [{"sku": "RICE", "qty": "50", "unit_price": "4"}])
    grn = warehouse.post("/api/v1/receipts", {"po": po2}, expect=201)["number"]
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "RICE", "qty": "20"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn}/complete")
    warehouse.post(f"/api/v1/receipts/{grn}/lines/1/inspect", {"accepted": "20"})
    bill_c = _bill(finance, po2, [{"line": 1, "qty": "10", "unit_price": "4"}], bill_date=day(-20), due_date=day(-15))
    bill_d = _bill(finance, po2, [{"line": 1, "qty": "10", "unit_price": "4"}], bill_date=day(0), due_date=day(20))
    _bill(finance, po2, [{"line": 1, "qty": "5", "unit_price": "4"}], post=False)
    advance = finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP2", "amount": "50"}, expect=201)["number"]

    purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "5", "unit_price": "2"}]},
                   expect=201)
    return {"po1": po1, "po2": po2, "bill_a": bill_a, "bill_b": bill_b, "bill_c": bill_c, "bill_d": bill_d, "advance": advance}


@pytest.fixture
def sales(client, world, as_role) -> dict[str, str]:  # type: ignore[no-untyped-def]
    admin, seller = Api(client, as_role("admin")), Api(client, as_role("sales"))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    customer_and_areas(admin)
    admin.post("/api/v1/partners", {"code": "CUS2", "kind": "customer", "name_zh": "客户二", "name_en": "Customer Two", "payment_terms_days": 10},
               expect=201)
    for sku, qty, bin_, cost, extra in (("PEN", 100, "B1", "2", {}), ("PEN", 50, "B1", "2.6", {}), ("MILK", 10, "B2", "50", {"lot": "L1"}),
                                        ("RICE", 50, "B3", "4", {})):
        assert post_move(client, warehouse.headers, sku, qty, "SUPPLIER", bin_, unit_cost=cost, **extra).status_code == 201

    def order(customer: str, *lines: tuple[str, str, str, str]) -> str:
        so = seller.post("/api/v1/sales-orders", {"customer": customer, "warehouse": "WH1", "lines": [
            {"sku": sku, "qty": qty, "unit_price": price, "vat_rate": rate} for sku, qty, price, rate in lines]}, expect=201)
        assert seller.post(f"/api/v1/sales-orders/{so['number']}/confirm", {"version": so["version"]})["status"] == "confirmed"
        return so["number"]

    orders = [
        order("CUS1", ("PEN", "20", "5", "13"), ("MILK", "2", "150", "13")),
        order("CUS2", ("RICE", "5", "10", "9")),
        order("CUS2", ("PEN", "10", "6", "13")),
        order("CUS1", ("PEN", "4", "5", "13")),
        order("CUS2", ("RICE", "3", "10", "9")),
    ]
    wave = warehouse.post("/api/v1/waves", {"warehouse": "WH1", "orders": orders}, expect=201)
    for task in wave["tasks"]:
        assert warehouse.post(f"/api/v1/pick-tasks/{task['id']}/confirm", {"qty": task["qty"]})["status"] == "done"
    for number in orders:
        assert warehouse.post(f"/api/v1/sales-orders/{number}/ship")["status"] == "shipped"

    def invoice(number: str, on: str) -> str:
        return finance.post(f"/api/v1/sales-orders/{number}/invoice", {"invoice_date": on}, expect=201)["number"]

    def pay(customer: str, amount: str, *allocations: tuple[str, str]) -> str:
        return finance.post("/api/v1/payments", {"kind": "customer", "partner": customer, "amount": amount,
                                                 "allocations": [{"document": d, "amount": a} for d, a in allocations]}, expect=201)["number"]

    def give_back(number: str, line: int, qty: str) -> str:
        rma = seller.post("/api/v1/returns", {"order": number, "lines": [{"line": line, "qty": qty}]}, expect=201)
        return warehouse.post(f"/api/v1/returns/{rma['number']}/receive")["credit_note"]

    inv1 = invoice(orders[0], day(-100))
    inv2 = invoice(orders[1], day(-200))
    inv4 = invoice(orders[3], day(0))
    inv5 = invoice(orders[4], day(0))
    pay("CUS1", "200", (inv1, "200"))
    cn1 = give_back(orders[0], 1, "1")
    pay("CUS1", "22.60", (inv4, "22.60"))
    cn2 = give_back(orders[3], 1, "1")
    advance = pay("CUS2", "30")
    assert finance.get(f"/api/v1/invoices/{cn1}")["status"] == "paid"  # settled against INV 1
    assert finance.get(f"/api/v1/invoices/{cn2}")["status"] == "posted"  # nothing left to settle
    return {"so1": orders[0], "so2": orders[1], "so3": orders[2], "so4": orders[3], "so5": orders[4],
            "inv1": inv1, "inv2": inv2, "inv4": inv4, "inv5": inv5, "cn1": cn1, "cn2": cn2, "advance": advance}


def same_in_every_format(client, headers, name: str, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The JSON figures, checked to be the same in the CSV and in the XLSX (cells, types and the totals row)."""
    body = report(client, headers, name, **params).json()
    keys = [c["key"] for c in body["columns"]]
    types = {c["key"]: c["type"] for c in body["columns"]}
    header, *lines = csv_rows(report(client, headers, name, format="csv", lang="en", **params))
    assert header == [c["title_en"] for c in body["columns"]]
    assert [dict(zip(keys, line, strict=True)) for line in lines] == [
        {k: "" if v is None else str(v) for k, v in row.items()} for row in body["rows"]
    ]
    ws = sheet(report(client, headers, name, format="xlsx", lang="en", **params))
    assert [c.value for c in ws[1]] == [c["title_en"] for c in body["columns"]]
    for cells, row in zip(ws.iter_rows(min_row=2, max_row=len(body["rows"]) + 1), body["rows"], strict=True):
        for cell, key in zip(cells, keys, strict=True):
            value = row[key]
            if value is None:
                assert cell.value is None, (key, cell.value)
            elif types[key] in ("qty", "money", "cost"):
                assert exact(cell.value) == Decimal(value), (key, cell.value, value)
            elif types[key] == "date":
                assert cell.is_date and cell.value.date() == dt.date.fromisoformat(value), (key, cell.value)
            else:
                assert cell.value == value, (key, cell.value, value)
    totals = {key: cell.value for key, cell in zip(keys, ws[len(body["rows"]) + 2], strict=True)}
    assert {key: exact(totals[key]) for key in body["totals"]} == {key: Decimal(v) for key, v in body["totals"].items()}
    return body


# Pure parts ----------------------------------------------------------------------------------------


def test_a_document_is_in_the_bucket_of_its_days_past_due():
    assert [bucket(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 4000)] == [
        "not_due", "not_due", "d1_30", "d1_30", "d31_60", "d31_60", "d61_90", "d61_90", "over_90", "over_90",
    ]


def test_margin_is_a_percentage_of_revenue_to_two_places():
    assert margin(Decimal("200"), Decimal("300")) == Decimal("66.67")
    assert margin(Decimal("-22"), Decimal("0")) is None
    assert margin(Decimal("-5"), Decimal("10")) == Decimal("-50.00")


# Purchase summary ----------------------------------------------------------------------------------


PURCHASE_FIGURES = ("ordered_qty", "ordered_amount", "received_qty", "accepted_qty", "rejected_qty", "billed_qty", "billed_amount",
                    "open_qty", "open_amount")


def test_the_purchase_summary_follows_each_order_line_from_ordered_to_billed(client, purchases, as_role):
    purchaser = as_role("purchaser")
    body = same_in_every_format(client, purchaser, "purchase_summary")
    assert [c["key"] for c in body["columns"]] == [
        "supplier", "supplier_name_zh", "supplier_name_en", "sku", "name_zh", "name_en", "unit", "ordered_qty", "received_qty", "accepted_qty",
        "rejected_qty", "billed_qty", "open_qty", "ordered_amount", "billed_amount", "open_amount",
    ]
    # The draft PO-3 was never placed; the draft bill E is not billed yet.
    assert table(body, "supplier", "sku", *PURCHASE_FIGURES) == [
        ("SUP1", "MILK", "10", "500", "10", "8", "2", "8", "400", "2", "100"),
        ("SUP1", "PEN", "100", "200", "100", "100", "0", "100", "200", "0", "0"),
        ("SUP2", "RICE", "50", "200", "20", "20", "0", "20", "80", "30", "120"),
    ]
    assert body["rows"][0]["supplier_name_zh"] == "供应商一" and body["rows"][0]["name_en"] == "Milk"
    assert body["totals"] == {
        "ordered_qty": "160", "received_qty": "130", "accepted_qty": "128", "rejected_qty": "2", "billed_qty": "128", "open_qty": "32",
        "ordered_amount": "900", "billed_amount": "680", "open_amount": "220",
    }


def test_the_purchase_summary_by_supplier_shows_amounts_and_by_item_adds_up_the_suppliers(client, purchases, as_role):
    purchaser = as_role("purchaser")
    body = same_in_every_format(client, purchaser, "purchase_summary", group_by="supplier")
    assert [c["key"] for c in body["columns"]] == [
        "supplier", "supplier_name_zh", "supplier_name_en", "ordered_amount", "billed_amount", "open_amount",
    ]  # pens and boxes of milk do not add up: no quantities per supplier
    assert table(body, "supplier", "ordered_amount", "billed_amount", "open_amount") == [("SUP1", "700", "600", "100"), ("SUP2", "200", "80", "120")]
    by_item = report(client, purchaser, "purchase_summary", group_by="item").json()
    assert "supplier" not in [c["key"] for c in by_item["columns"]]
    assert table(by_item, "sku", "ordered_qty", "billed_amount") == [("MILK", "10", "400"), ("PEN", "100", "200"), ("RICE", "50", "80")]
    only = report(client, purchaser, "purchase_summary", supplier="SUP2", sku="RICE").json()
    assert table(only, "supplier", "sku", "open_qty") == [("SUP2", "RICE", "30")]


def test_a_closed_order_has_nothing_open_and_the_period_is_the_order_date(client, purchases, as_role, world):
    purchaser = Api(client, as_role("purchaser"))
    po = purchaser.get(f"/api/v1/purchase-orders/{purchases['po1']}")
    purchaser.post(f"/api/v1/purchase-orders/{purchases['po1']}/close", {"version": po["version"], "reason": "the 2 boxes will not come"})
    body = report(client, purchaser.headers, "purchase_summary").json()
    assert table(body, "sku", "accepted_qty", "open_qty", "open_amount") == [("MILK", "8", "0", "0"), ("PEN", "100", "0", "0"), ("RICE", "20", "30", "120")]
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    with world.write() as session:  # an order entered 40 days ago
        session.execute(update(PurchaseOrder).where(PurchaseOrder.number == purchases["po2"]).values(created_at=long_ago))
    recent = report(client, purchaser.headers, "purchase_summary", **{"from": day(-7)}).json()
    assert table(recent, "supplier", "sku") == [("SUP1", "MILK"), ("SUP1", "PEN")]
    older = report(client, purchaser.headers, "purchase_summary", **{"from": day(-45), "to": day(-30)}).json()
    assert table(older, "supplier", "sku", "ordered_amount") == [("SUP2", "RICE", "200")]
    assert report(client, purchaser.headers, "purchase_summary", to=day(-50)).json()["rows"] == []


# Payables ageing -----------------------------------------------------------------------------------


AGEING_FIGURES = ("not_due", "d1_30", "d31_60", "d61_90", "over_90", "total_open", "unapplied", "balance")


def test_payables_ageing_by_supplier_adds_up_to_accounts_payable(client, purchases, as_role):
    finance = Api(client, as_role("finance"))
    body = same_in_every_format(client, finance.headers, "ap_ageing")
    assert [c["key"] for c in body["columns"]] == ["partner", "partner_name_zh", "partner_name_en", "currency", *AGEING_FIGURES, "open_currency"]
    assert [c["title_en"] for c in body["columns"]][3:] == [
        "Currency", "Not yet due", "1–30 days", "31–60 days", "61–90 days", "Over 90 days", "Total open", "Unapplied payments and debit notes", "Balance",
        "Balance in currency",
    ]
    assert table(body, "partner", "currency", "balance", "open_currency") == [("SUP1", "CNY", "578", "578"), ("SUP2", "CNY", "40.4", "40.4")]
    # Bill A: 226 − 100 paid, due 100 days ago; B: due 45 days ago; C: 15; D: due in 20 days; E is a draft.
    assert table(body, "partner", *AGEING_FIGURES) == [
        ("SUP1", "0", "0", "452", "0", "126", "578", "0", "578"),
        ("SUP2", "45.2", "45.2", "0", "0", "0", "90.4", "50", "40.4"),
    ]
    assert body["totals"]["balance"] == "618.4"
    assert finance.account("2202") == "-618.4"  # what the books owe the suppliers


def test_payables_ageing_by_document_shows_each_bill_and_each_advance(client, purchases, as_role):
    finance = as_role("finance")
    body = same_in_every_format(client, finance, "ap_ageing", group_by="document")
    assert [c["key"] for c in body["columns"]][:9] == [
        "partner", "partner_name_zh", "partner_name_en", "currency", "document", "kind", "date", "due_date", "days_past_due",
    ]
    p = purchases
    assert table(body, "partner", "document", "kind", "date", "due_date", "days_past_due", "not_due", "d1_30", "d31_60", "over_90", "unapplied",
                 "balance") == [
        ("SUP1", p["bill_a"], "bill", day(-130), day(-100), 100, "0", "0", "0", "126", "0", "126"),
        ("SUP1", p["bill_b"], "bill", day(-75), day(-45), 45, "0", "0", "452", "0", "0", "452"),
        ("SUP2", p["bill_c"], "bill", day(-20), day(-15), 15, "0", "45.2", "0", "0", "0", "45.2"),
        ("SUP2", p["bill_d"], "bill", day(0), day(20), 0, "45.2", "0", "0", "0", "0", "45.2"),
        ("SUP2", p["advance"], "payment", day(0), None, None, "0", "0", "0", "0", "50", "-50"),
    ]
    assert report(client, finance, "ap_ageing", group_by="partner").json()["totals"] == body["totals"]


def test_ageing_as_of_another_day_moves_bills_between_buckets(client, purchases, as_role):
    finance = as_role("finance")

    def bucket_of(bill: str, as_of: str) -> tuple[int, list[str]]:
        body = report(client, finance, "ap_ageing", group_by="document", as_of=as_of).json()
        row = next(r for r in body["rows"] if r["document"] == bill)
        return row["days_past_due"], [key for key in AGEING_FIGURES[:5] if row[key] != "0"]

    # Bill C is due on D-15.
    assert bucket_of(purchases["bill_c"], day(-15)) == (0, ["not_due"])
    assert bucket_of(purchases["bill_c"], day(-14)) == (1, ["d1_30"])
    assert bucket_of(purchases["bill_c"], day(15)) == (30, ["d1_30"])
    assert bucket_of(purchases["bill_c"], day(16)) == (31, ["d31_60"])
    assert bucket_of(purchases["bill_c"], day(75)) == (90, ["d61_90"])
    assert bucket_of(purchases["bill_c"], day(76)) == (91, ["over_90"])
    assert report(client, finance, "ap_ageing").json()["params"]["as_of"] is None  # today, in the company's time zone
    only = report(client, finance, "ap_ageing", partner="SUP2").json()
    assert table(only, "partner", "balance") == [("SUP2", "40.4")]


# Sales detail --------------------------------------------------------------------------------------


SALES_FIGURES = ("qty_shipped", "qty_returned", "qty_invoiced", "unit_price", "net", "vat", "total", "cost", "gross_profit")


def test_sales_detail_shows_each_shipped_line_with_what_was_invoiced_and_its_cost(client, sales, as_role):
    finance = Api(client, as_role("finance"))
    body = same_in_every_format(client, finance.headers, "sales_detail")
    s = sales
    assert table(body, "order", "line", "customer", "sku", *SALES_FIGURES) == [
        # 20 pens at 2.20, one back: 41.80; invoiced 20 less the credit note's 1.
        (s["so1"], 1, "CUS1", "PEN", "20", "1", "19", "5", "95", "12.35", "107.35", "41.8", "53.2"),
        (s["so1"], 2, "CUS1", "MILK", "2", "0", "2", "150", "300", "39", "339", "100", "200"),
        (s["so2"], 1, "CUS2", "RICE", "5", "0", "5", "10", "50", "4.5", "54.5", "20", "30"),
        (s["so3"], 1, "CUS2", "PEN", "10", "0", "0", "6", "0", "0", "0", "22", "-22"),  # not invoiced yet
        (s["so4"], 1, "CUS1", "PEN", "4", "1", "3", "5", "15", "1.95", "16.95", "6.6", "8.4"),
        (s["so5"], 1, "CUS2", "RICE", "3", "0", "3", "10", "30", "2.7", "32.7", "12", "18"),
    ]
    assert {r["shipped_on"] for r in body["rows"]} == {day(0)}
    assert body["rows"][0]["customer_name_en"] == "Customer One" and body["rows"][0]["name_zh"] == "中性笔"
    assert body["totals"] == {
        "qty_shipped": "44", "qty_returned": "2", "qty_invoiced": "32", "net": "490", "vat": "60.5", "total": "550.5", "cost": "202.4",
        "gross_profit": "287.6",
    }
    # Invoiced less credited is what the customers were charged: the receivable before payments.
    assert finance.account("6001") == "-490" and finance.account("22210102") == "-60.5"


def test_a_salesperson_sees_sales_detail_without_cost_or_profit(client, sales, as_role):
    seller = as_role("sales")
    body = same_in_every_format(client, seller, "sales_detail", customer="CUS2")
    keys = [c["key"] for c in body["columns"]]
    assert "cost" not in keys and "gross_profit" not in keys
    assert all("cost" not in row and "gross_profit" not in row for row in body["rows"])
    assert table(body, "order", "sku", "net") == [(sales["so2"], "RICE", "50"), (sales["so3"], "PEN", "0"), (sales["so5"], "RICE", "30")]
    assert body["totals"] == {"qty_shipped": "18", "qty_returned": "0", "qty_invoiced": "8", "net": "80", "vat": "7.2", "total": "87.2"}
    header = csv_rows(report(client, seller, "sales_detail", format="csv", lang="en"))[0]
    assert "Cost" not in header and "Gross profit" not in header
    assert "Cost" not in [c.value for c in sheet(report(client, seller, "sales_detail", format="xlsx", lang="en"))[1]]
    listed = next(r for r in client.get(REPORTS, headers=seller).json()["items"] if r["name"] == "sales_detail")
    assert "cost" not in [c["key"] for c in listed["columns"]]


def test_sales_detail_takes_orders_by_the_day_they_shipped(client, sales, as_role, world):
    finance = as_role("finance")
    with world.write() as session:
        session.execute(update(SalesOrder).where(SalesOrder.number == sales["so2"]).values(
            shipped_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=5)))
    body = report(client, finance, "sales_detail", to=day(-1)).json()
    assert table(body, "shipped_on", "order", "sku") == [(day(-5), sales["so2"], "RICE")]
    today = report(client, finance, "sales_detail", **{"from": day(0), "sku": "PEN"}).json()
    assert table(today, "order", "qty_shipped") == [(sales["so1"], "20"), (sales["so3"], "10"), (sales["so4"], "4")]
    assert report(client, finance, "sales_detail", **{"from": day(1)}).json()["rows"] == []


# Gross profit --------------------------------------------------------------------------------------


def test_gross_profit_by_item_is_revenue_less_the_cost_of_what_went_out(client, sales, as_role):
    finance = Api(client, as_role("finance"))
    body = same_in_every_format(client, finance.headers, "gross_profit")
    assert [c["key"] for c in body["columns"]] == ["sku", "name_zh", "name_en", "unit", "qty", "revenue", "cogs", "gross_profit", "margin"]
    # PEN: invoiced 100 + 20, credited 5 + 5; cost 34 pens out at 2.20 less 2 back = 70.40 (SO-3's 10 pens are not invoiced yet).
    assert table(body, "sku", "qty", "revenue", "cogs", "gross_profit", "margin") == [
        ("MILK", "2", "300", "100", "200", "66.67"),
        ("PEN", "22", "110", "70.4", "39.6", "36"),
        ("RICE", "8", "80", "32", "48", "60"),
    ]
    assert body["totals"] == {"qty": "32", "revenue": "490", "cogs": "202.4", "gross_profit": "287.6"}
    # The same figures as the books' revenue and cost of goods sold.
    assert finance.account("6001") == "-490" and finance.account("6401") == "202.4"


def test_gross_profit_by_customer(client, sales, as_role):
    finance = as_role("finance")
    body = same_in_every_format(client, finance, "gross_profit", group_by="customer")
    assert [c["key"] for c in body["columns"]] == [
        "customer", "customer_name_zh", "customer_name_en", "revenue", "cogs", "gross_profit", "margin",
    ]
    assert table(body, "customer", "customer_name_zh", "revenue", "cogs", "gross_profit", "margin") == [
        ("CUS1", "客户一", "410", "148.4", "261.6", "63.8"),
        ("CUS2", "客户二", "80", "54", "26", "32.5"),
    ]
    assert body["totals"] == {"revenue": "490", "cogs": "202.4", "gross_profit": "287.6"}
    one = report(client, finance, "gross_profit", group_by="customer", customer="CUS1", sku="PEN").json()
    assert table(one, "customer", "revenue", "cogs") == [("CUS1", "110", "48.4")]  # (20 + 4 − 2) pens at 2.20


def test_gross_profit_of_a_period_counts_invoices_by_their_date_and_stock_by_when_it_moved(client, sales, as_role):
    finance = as_role("finance")
    # Before today: only INV 1 (dated D-100); SO-2's invoice is older still; every shipment was today.
    before = report(client, finance, "gross_profit", **{"from": day(-150), "to": day(-1)}).json()
    assert table(before, "sku", "revenue", "cogs", "gross_profit", "margin") == [("MILK", "300", "0", "300", "100"), ("PEN", "100", "0", "100", "100")]
    # Today: the two invoices and the two credit notes, and all the stock that went out and came back.
    today = report(client, finance, "gross_profit", **{"from": day(0), "to": day(0)}).json()
    assert table(today, "sku", "revenue", "cogs", "gross_profit") == [("MILK", "0", "100", "-100"), ("PEN", "10", "70.4", "-60.4"),
                                                                     ("RICE", "30", "32", "-2")]
    assert report(client, finance, "gross_profit", **{"from": day(1)}).json()["rows"] == []


# Receivables ageing --------------------------------------------------------------------------------


def test_receivables_ageing_by_customer_adds_up_to_accounts_receivable(client, sales, as_role):
    finance = Api(client, as_role("finance"))
    body = same_in_every_format(client, finance.headers, "ar_ageing")
    assert [c["title_en"] for c in body["columns"]][-3:] == ["Unapplied receipts and credit notes", "Balance", "Balance in currency"]
    # CUS1: INV 1 452 − 200 − 5.65, due 70 days ago (INV 4 is paid); CN 2 is still to apply.
    # CUS2: INV 2 due 190 days ago, INV 5 due in 10 days; 30 paid in advance.
    assert table(body, "partner", *AGEING_FIGURES) == [
        ("CUS1", "0", "0", "0", "246.35", "0", "246.35", "5.65", "240.7"),
        ("CUS2", "32.7", "0", "0", "0", "54.5", "87.2", "30", "57.2"),
    ]
    assert body["totals"]["total_open"] == "333.55" and body["totals"]["balance"] == "297.9"
    assert finance.account("1122") == "297.9"


def test_receivables_ageing_by_document(client, sales, as_role):
    finance = as_role("finance")
    body = same_in_every_format(client, finance, "ar_ageing", group_by="document", as_of=day(21))
    s = sales
    assert table(body, "partner", "document", "kind", "date", "due_date", "days_past_due", *AGEING_FIGURES) == [
        ("CUS1", s["inv1"], "invoice", day(-100), day(-70), 91, "0", "0", "0", "0", "246.35", "246.35", "0", "246.35"),
        ("CUS1", s["cn2"], "credit_note", day(0), None, None, "0", "0", "0", "0", "0", "0", "5.65", "-5.65"),
        ("CUS2", s["inv2"], "invoice", day(-200), day(-190), 211, "0", "0", "0", "0", "54.5", "54.5", "0", "54.5"),
        ("CUS2", s["inv5"], "invoice", day(0), day(10), 11, "0", "32.7", "0", "0", "0", "32.7", "0", "32.7"),
        ("CUS2", s["advance"], "payment", day(0), None, None, "0", "0", "0", "0", "0", "0", "30", "-30"),
    ]
    just = report(client, finance, "ar_ageing", group_by="document", partner="CUS1", as_of=day(20)).json()
    assert table(just, "document", "days_past_due", "d61_90", "over_90") == [(s["inv1"], 90, "246.35", "0"), (s["cn2"], None, "0", "0")]


# Who may read them, and what is refused ------------------------------------------------------------


def test_warehouse_staff_may_read_none_of_the_document_reports(client, world, as_role):
    worker = as_role("warehouse")
    for name in DOCUMENT_REPORTS:
        for fmt in ("json", "csv", "xlsx"):
            response = client.get(f"{REPORTS}/{name}", headers=worker, params={"format": fmt})
            assert response.status_code == 403, (name, response.text)
            assert response.json()["error"] == "forbidden"
    assert not {r["name"] for r in client.get(REPORTS, headers=worker).json()["items"]} & set(DOCUMENT_REPORTS)


def test_each_role_sees_the_document_reports_its_work_needs(client, world, as_role):
    def allowed(role: str) -> set[str]:
        listed = {r["name"] for r in client.get(REPORTS, headers=as_role(role)).json()["items"]} & set(DOCUMENT_REPORTS)
        for name in DOCUMENT_REPORTS:
            status = client.get(f"{REPORTS}/{name}", headers=as_role(role)).status_code
            assert status == (200 if name in listed else 403), (role, name, status)
        return listed

    assert allowed("sales") == {"purchase_summary", "sales_detail"}
    assert allowed("purchaser") == {"purchase_summary", "sales_detail", "gross_profit"}
    assert allowed("finance") == set(DOCUMENT_REPORTS)


@pytest.mark.parametrize(
    "name,params,status,words",
    [
        ("purchase_summary", {"group_by": "warehouse"}, 400, "group_by"),
        ("purchase_summary", {"from": "2026-03-01", "to": "2026-02-01"}, 422, "2026-03-01"),
        ("purchase_summary", {"supplier": "NOBODY"}, 422, "NOBODY"),
        ("sales_detail", {"sku": "NOPE"}, 422, "NOPE"),
        ("sales_detail", {"to": "2026-02-30"}, 400, "to"),
        ("gross_profit", {"group_by": "lot"}, 400, "group_by"),
        ("gross_profit", {"customer": "NOBODY"}, 422, "NOBODY"),
        ("ar_ageing", {"as_of": "0001-01-01"}, 422, "0001-01-01"),
        ("ap_ageing", {"group_by": "bill"}, 400, "group_by"),
        ("ap_ageing", {"partner": "NOBODY"}, 422, "NOBODY"),
    ],
)
def test_bad_document_report_parameters_are_refused_with_a_message(client, world, admin, name, params, status, words):
    response = client.get(f"{REPORTS}/{name}", headers=admin, params=params)
    assert response.status_code == status, response.text
    assert words in response.json()["message"]


def test_with_nothing_done_yet_every_document_report_is_empty(client, world, admin):
    for name in DOCUMENT_REPORTS:
        body = report(client, admin, name).json()
        assert body["rows"] == [] and set(body["totals"].values()) == {"0"}, name
        assert len(csv_rows(report(client, admin, name, format="csv"))) == 1

