"""Opening receivables and payables (期初应收应付), imported by partner and document, on SQLite and PostgreSQL.

A company moving to Cangku brings what its customers owe and what it owes its suppliers, document by document, from a
spreadsheet: each open invoice or bill becomes a posted opening document against opening-balance equity (4190), in its
currency at the rate of its day or the one given; it is aged by its due date and paid like any other. A file with a bad
line is refused whole, saying where; the same document is never imported twice.
"""

from __future__ import annotations

import datetime as dt

from server.dates import local_today
from tests.stories import Api, books_are_sound, customer_and_areas, supplier_and_dock
from tests.test_import import problems, table_file, upload


def test_open_invoices_and_bills_come_in_by_partner_and_document_and_are_aged_and_paid_like_any_other(client, world, as_role):
    admin, finance = Api(client, as_role("admin")), Api(client, as_role("finance"))
    supplier_and_dock(admin)
    customer_and_areas(admin)
    admin.post("/api/v1/partners", {"code": "SUPUS", "kind": "supplier", "name_zh": "美国供应商", "name_en": "US Supplier", "currency": "USD"}, expect=201)
    today = local_today()
    old, older = today - dt.timedelta(days=45), today - dt.timedelta(days=100)
    finance.put("/api/v1/exchange-rates", {"currency": "USD", "on": older.isoformat(), "rate": "7.0"})

    # A file with a bad line is refused whole: an unknown customer, an amount of nothing, the same document twice.
    broken = table_file("csv", [
        ["客户编码", "单据号", "单据日期", "未结金额", "到期日"],
        ["CUS1", "SI-0901", old.isoformat(), "1130", ""],
        ["NOBODY", "SI-0902", old.isoformat(), "50", ""],
        ["CUS1", "SI-0903", old.isoformat(), "0", ""],
        ["CUS1", "SI-0901", old.isoformat(), "10", ""],
    ])
    refused = upload(client, admin.headers, "receivables", broken, dry_run=False)
    assert refused.status_code == 422, refused.text
    assert [(line, column) for line, _code, column in problems(refused.json()["details"]["report"])] == [
        (3, "客户编码"), (4, "未结金额"), (5, "单据号")]
    assert finance.get("/api/v1/invoices")["total"] == 0

    # Receivables: one invoice in yuan falling due by the customer's terms, one given its own due date long past.
    receivables = table_file("xlsx", [
        ["客户编码", "单据号", "单据日期", "未结金额", "到期日"],
        ["CUS1", "SI-0901", old, "1130", None],
        ["CUS1", "SI-0777", older, "200.5", older + dt.timedelta(days=10)],
    ])
    assert upload(client, admin.headers, "receivables", receivables, dry_run=True).json()["created"] == 2
    assert finance.get("/api/v1/invoices")["total"] == 0  # a dry run writes nothing
    report = upload(client, admin.headers, "receivables", receivables, dry_run=False)
    assert report.status_code == 200 and report.json()["created"] == 2, report.text
    # Payables: one in yuan, one in dollars at the rate of its day.
    payables = table_file("csv", [
        ["supplier", "document", "date", "amount", "currency", "exchange_rate"],
        ["SUP1", "PI-55", old.isoformat(), "678", "", ""],
        ["SUPUS", "US-9", older.isoformat(), "100", "USD", ""],
    ])
    assert upload(client, admin.headers, "payables", payables, dry_run=False).status_code == 200
    # The same file again is refused: those documents are in the books already.
    again = upload(client, admin.headers, "payables", payables, dry_run=False)
    assert again.status_code == 422 and {e["code"] for e in again.json()["details"]["report"]["errors"]} == {"opening_exists"}

    invoices = finance.get("/api/v1/invoices", kind="opening")["items"]
    assert sorted((i["note"], i["kind"], i["status"], i["total"], i["order"]) for i in invoices) == [
        ("SI-0777", "opening", "posted", "200.5", ""), ("SI-0901", "opening", "posted", "1130", "")]
    bills = {b["supplier_ref"]: b for b in finance.get("/api/v1/bills", kind="opening")["items"]}
    assert (bills["US-9"]["currency"], bills["US-9"]["exchange_rate"], bills["US-9"]["total_cny"]) == ("USD", "7", "700")
    assert bills["PI-55"]["po"] == "" and bills["PI-55"]["status"] == "posted"

    # In the books: receivables and payables against opening-balance equity.
    assert finance.account("1122") == "1330.5" and finance.account("2202") == "-1378" and finance.account("4190") == "47.5"
    # Aged by their due dates; each ageing equals its account.
    ar = finance.get("/api/v1/reports/ar_ageing", format="json", group_by="document", partner="CUS1")["rows"]
    assert sorted((r["kind"], r["total_open"], r["days_past_due"]) for r in ar) == [("opening", "1130", 15), ("opening", "200.5", 90)]
    ap = finance.get("/api/v1/reports/ap_ageing", format="json")["rows"]
    assert sorted((r["partner"], r["currency"], r["open_currency"], r["total_open"]) for r in ap) == [
        ("SUP1", "CNY", "678", "678"), ("SUPUS", "USD", "100", "700")]

    # Paid like any other: the customer settles the old one; the dollar bill is paid at 7.2, realising 20 yuan.
    old_one = next(i for i in invoices if i["note"] == "SI-0777")
    finance.post("/api/v1/payments", {"kind": "customer", "partner": "CUS1", "amount": "200.5",
                                      "allocations": [{"document": old_one["number"], "amount": "200.5"}]}, expect=201)
    assert finance.get(f"/api/v1/invoices/{old_one['number']}")["status"] == "paid"
    finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUPUS", "amount": "100", "exchange_rate": "7.2",
                                      "allocations": [{"document": bills["US-9"]["number"], "amount": "100"}]}, expect=201)
    assert finance.account("6603") == "20" and finance.account("2202") == "-678"
    assert finance.account("1122") == "1130"
    books_are_sound(finance, world)


def test_only_an_administrator_imports_opening_balances(client, world, as_role):
    admin = Api(client, as_role("admin"))
    customer_and_areas(admin)
    file = table_file("csv", [["客户编码", "单据号", "单据日期", "未结金额"], ["CUS1", "SI-1", local_today().isoformat(), "10"]])
    assert upload(client, as_role("finance"), "receivables", file, dry_run=False).status_code == 403
    assert upload(client, admin.headers, "receivables", file, dry_run=False).status_code == 200
