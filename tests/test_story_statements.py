"""Statements (对账单) and reconciliation, through the HTTP API on SQLite and PostgreSQL.

Finance sends a supplier its statement for a period: what was owed when the period began (an opening bill less a
payment before it), the bill, the debit note of goods sent back and the payment in it, each with the running balance
and what is still open on it, and what is owed at its end — the same figure the payables ageing shows. Printed, it is
a PDF with the balance in words and a slip for the supplier to confirm.
"""

from __future__ import annotations

import datetime as dt

from server.dates import local_today
from tests.stories import Api, books_are_sound, customer_and_areas, supplier_and_dock
from tests.test_import import table_file, upload
from tests.test_printed_documents import numbered, pages_of
from tests.test_story_purchase_return import _received_order


def test_a_supplier_statement_brings_the_balance_forward_lists_the_periods_documents_and_agrees_with_the_ageing(client, world, as_role):
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    supplier_and_dock(admin)
    today = local_today()
    start = today - dt.timedelta(days=10)
    # Before the period: 1,000 owed when the books began, 300 of it paid.
    opening = table_file("csv", [["供应商编码", "单据号", "单据日期", "未结金额"], ["SUP1", "PI-1", (today - dt.timedelta(days=40)).isoformat(), "1000"]])
    assert upload(client, admin.headers, "payables", opening, dry_run=False).status_code == 200
    first = finance.get("/api/v1/bills", kind="opening")["items"][0]["number"]
    finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": "300", "paid_on": (today - dt.timedelta(days=20)).isoformat(),
                                      "reference": "TT-1", "allocations": [{"document": first, "amount": "300"}]}, expect=201)
    # In it: a bill of 678, 3 billed pens sent back (a debit note of 169.50), the rest of the bill paid.
    number, _grn = _received_order(purchaser, approver, warehouse, qty="12", accepted="12", rejected="0")
    bill = finance.post("/api/v1/bills", {"po": number, "supplier_ref": "INV-88", "lines": [{"line": 1, "qty": "12", "unit_price": "50"}]}, expect=201)
    finance.post(f"/api/v1/bills/{bill['number']}/post", {})
    rma = purchaser.post("/api/v1/purchase-returns", {"po": number, "lines": [{"line": 1, "qty": "3", "location": "B2"}]}, expect=201)
    note = warehouse.post(f"/api/v1/purchase-returns/{rma['number']}/ship", {"version": rma["version"]})["debit_note"]
    paid = finance.post("/api/v1/payments", {"kind": "supplier", "partner": "SUP1", "amount": "508.5", "reference": "TT-2",
                                             "allocations": [{"document": bill["number"], "amount": "508.5"}]}, expect=201)

    body = finance.get("/api/v1/reports/supplier_statement", format="json", partner="SUP1", **{"from": start.isoformat(), "to": today.isoformat()})
    rows = [(r["document"], r["kind"], r["reference"], r["charge"], r["settle"], r["balance"], r["open"]) for r in body["rows"]]
    assert rows == [
        ("期初余额 / Balance brought forward", None, None, None, None, "700", None),
        (bill["number"], "bill", "INV-88", "678", None, "1378", "0"),
        (note, "debit_note", "", None, "169.5", "1208.5", "0"),
        (paid["number"], "payment", "TT-2", None, "508.5", "700", "0"),
        ("期末余额 / Balance carried forward", None, None, None, None, "700", None),
    ]
    assert (body["totals"]["charge"], body["totals"]["settle"]) == ("678", "678")
    # What the statement says is owed at its end is what the ageing says is owed.
    ageing = finance.get("/api/v1/reports/ap_ageing", format="json", partner="SUP1")["rows"]
    assert [(r["partner"], r["balance"]) for r in ageing] == [("SUP1", "700")]
    # The whole history from its first day: nothing brought forward.
    whole = finance.get("/api/v1/reports/supplier_statement", format="json", partner="SUP1", **{"from": "2000-01-01"})["rows"]
    assert whole[0]["balance"] == "0" and whole[-1]["balance"] == "700"
    assert [r["reference"] for r in whole[1:-1]] == ["PI-1", "TT-1", "INV-88", "", "TT-2"]

    # Printed for the supplier, in Chinese: the balance in capitals and the slip to confirm.
    pages = pages_of(client, finance.headers, "/api/v1/partners/SUP1/statement.pdf", lang="zh", **{"from": start.isoformat()})
    text = "\n".join(pages)
    assert "供应商对账单" in text and "期初余额" in text and bill["number"] in text and "1,378.00" in text
    assert "人民币 柒佰元整" in text and "我方尚欠贵方 700.00 CNY" in text and "贵方确认" in text and numbered(pages)
    english = "\n".join(pages_of(client, finance.headers, "/api/v1/partners/SUP1/statement.pdf", lang="en"))
    assert "Supplier statement" in english and "Chinese yuan seven hundred only" in english
    # Statements are for finance; a statement of a period that ends before it begins is refused.
    assert client.get("/api/v1/partners/SUP1/statement.pdf", headers=purchaser.headers).status_code == 403
    backwards = client.get("/api/v1/reports/supplier_statement", headers=finance.headers, params={"partner": "SUP1", "from": "2026-02-01", "to": "2026-01-01"})
    assert backwards.status_code == 422, backwards.text
    books_are_sound(finance, world)


def test_a_customer_statement_counts_opening_invoices_and_receipts_and_is_only_for_customers(client, world, as_role):
    admin, finance = Api(client, as_role("admin")), Api(client, as_role("finance"))
    customer_and_areas(admin)
    supplier_and_dock(admin)
    today = local_today()
    opening = table_file("csv", [["客户编码", "单据号", "单据日期", "未结金额"], ["CUS1", "SI-9", today.isoformat(), "1130"]])
    assert upload(client, admin.headers, "receivables", opening, dry_run=False).status_code == 200
    finance.post("/api/v1/payments", {"kind": "customer", "partner": "CUS1", "amount": "1500", "reference": "BANK-7"}, expect=201)
    rows = finance.get("/api/v1/reports/customer_statement", format="json", partner="CUS1")["rows"]
    assert [(r["kind"], r["reference"], r["charge"], r["settle"], r["balance"], r["open"]) for r in rows[1:-1]] == [
        ("opening", "SI-9", "1130", None, "1130", "1130"), ("payment", "BANK-7", None, "1500", "-370", "1500")]
    assert rows[-1]["balance"] == "-370"  # paid in advance: the customer is owed 370
    text = "\n".join(pages_of(client, finance.headers, "/api/v1/partners/CUS1/statement.pdf", lang="zh"))
    assert "客户对账单" in text and "我方尚欠贵方 370.00 CNY" in text
    wrong = client.get("/api/v1/reports/supplier_statement", headers=finance.headers, params={"partner": "CUS1"})
    assert wrong.status_code == 422 and "CUS1" in wrong.json()["message"]
