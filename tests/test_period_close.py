"""Month-end close (月结) through the API, on SQLite and PostgreSQL: a month closes only once it has ended and nothing
dated in it is left unposted; closed, it refuses every document dated in it with a message that says what to do; a
director reopens it with a reason, and both are in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest

from server.dates import local_today
from tests.desk import open_desk
from tests.helpers import add_user
from tests.stories import Api, books_are_sound, supplier_and_dock
from tests.test_office import open_section, visit


def _received_order(purchaser: Api, approver: Api, warehouse: Api) -> str:
    """A purchase order for 10 pens at 5, approved, received and accepted."""
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "10", "unit_price": "5"}]},
                        expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    grn = warehouse.post("/api/v1/receipts", {"po": po["number"]}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines", {"sku": "PEN", "qty": "10"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn['number']}/complete")
    warehouse.post(f"/api/v1/receipts/{grn['number']}/lines/1/inspect", {"accepted": "10"})
    return str(po["number"])


def test_a_month_closes_once_nothing_in_it_is_left_unposted_and_then_takes_no_document_until_a_director_reopens_it(client, world, as_role):
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, finance, director = Api(client, as_role("warehouse")), Api(client, as_role("finance")), Api(client, as_role("director"))
    supplier_and_dock(admin)
    this_month = local_today().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    last, current = last_month.isoformat()[:7], this_month.isoformat()[:7]
    in_last_month = (last_month + dt.timedelta(days=9)).isoformat()

    # A bill dated last month, still a draft, stands in the way of closing it.
    number = _received_order(purchaser, approver, warehouse)
    bill = finance.post("/api/v1/bills", {"po": number, "bill_date": in_last_month, "lines": [{"line": 1, "qty": "10", "unit_price": "5"}]},
                        expect=201)
    checklist = finance.get(f"/api/v1/periods/{last}/checklist")
    assert checklist["can_close"] is False
    items = {item["code"]: item for item in checklist["items"]}
    assert items["unposted_bills"]["count"] == 1 and items["unposted_bills"]["documents"] == [bill["number"]] and items["unposted_bills"]["blocking"]
    assert items["books"]["ok"] is True and items["grni_ageing"]["blocking"] is False
    refused = client.post(f"/api/v1/periods/{last}/close", headers=finance.headers, json={})
    assert refused.status_code == 409 and refused.json()["error"] == "close_checklist" and bill["number"] in refused.json()["message"], refused.text
    # Neither the month that is still running, nor by someone who may not close, nor a month that is not a month.
    assert client.post(f"/api/v1/periods/{current}/close", headers=finance.headers, json={}).json()["error"] == "period_not_ended"
    purchaser.post(f"/api/v1/periods/{last}/close", {}, expect=403)
    assert client.get("/api/v1/periods/2026-13/checklist", headers=finance.headers).status_code == 422

    # Posted, the bill leaves nothing in the way: the month closes.
    finance.post(f"/api/v1/bills/{bill['number']}/post", {})
    closed = finance.post(f"/api/v1/periods/{last}/close", {})
    assert closed["month"] == last and closed["closed"] is True and closed["closed_by"] == finance.get("/api/v1/auth/me")["username"]
    listed = {p["month"]: p["closed"] for p in finance.get("/api/v1/periods")}
    assert listed[last] is True and listed[current] is False

    # Closed: a payment dated in it is refused, saying which month and what to do; dated today it goes through.
    pay = {"kind": "supplier", "partner": "SUP1", "amount": "56.5", "allocations": [{"document": bill["number"], "amount": "56.5"}]}
    refused = client.post("/api/v1/payments", headers=finance.headers, json=pay | {"paid_on": in_last_month})
    assert refused.status_code == 409 and refused.json()["error"] == "period_closed", refused.text
    assert last_month.strftime("%B %Y") in refused.json()["message"] and "reopen" in refused.json()["message"]
    assert finance.get("/api/v1/payments")["total"] == 0  # nothing written
    # So is a new bill dated in it.
    second = _received_order(purchaser, approver, warehouse)
    assert client.post("/api/v1/bills", headers=finance.headers, json={"po": second, "bill_date": in_last_month,
                                                                       "lines": [{"line": 1, "qty": "10", "unit_price": "5"}]}).status_code == 409

    # A director reopens it, and must say why; the payment dated in it then goes through.
    finance.post(f"/api/v1/periods/{last}/reopen", {"reason": "补录付款"}, expect=403)
    director.post(f"/api/v1/periods/{last}/reopen", {"reason": "  "}, expect=422)
    reopened = director.post(f"/api/v1/periods/{last}/reopen", {"reason": "漏记一笔付款 a payment was missed"})
    assert reopened["closed"] is False and reopened["reopen_reason"] == "漏记一笔付款 a payment was missed"
    finance.post("/api/v1/payments", pay | {"paid_on": in_last_month}, expect=201)
    audit = admin.get("/api/v1/audit", target_type="period", target_id=last)["items"]
    assert sorted(e["action"] for e in audit) == ["period.close", "period.reopen"]
    books_are_sound(finance, world)


@pytest.mark.browser
def test_finance_closes_last_month_at_the_desk_once_its_checklist_is_clear_and_a_director_reopens_it_with_a_reason(
    browser, client, live_server, world, as_role, db,
):
    admin, purchaser, approver = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("approver"))
    warehouse, finance = Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    supplier_and_dock(admin)
    add_user(db, "clerk", ["finance"])
    add_user(db, "boss", ["director"])
    last = (local_today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month = last.isoformat()[:7]
    bill = finance.post("/api/v1/bills", {"po": _received_order(purchaser, approver, warehouse), "bill_date": (last + dt.timedelta(days=3)).isoformat(),
                                          "lines": [{"line": 1, "qty": "10", "unit_price": "5"}]}, expect=201)

    # The clerk opens last month: its checklist shows the draft bill in the way, and offers no close.
    context, page = open_desk(browser, live_server, "clerk")
    try:
        open_section(page, "periods")
        page.locator(f"tr[data-month='{month}'] a").click()
        blocked = page.locator("tr[data-check=unposted_bills]")
        blocked.wait_for()
        assert bill["number"] in blocked.inner_text() and "Must be cleared first · 1" in blocked.inner_text()
        assert page.locator("#close-form").count() == 0
        assert "cannot be closed yet" in page.locator("[data-field=why-not]").inner_text()
        # The bill posted (as finance does on its own page), the checklist is clear: the month closes.
        finance.post(f"/api/v1/bills/{bill['number']}/post", {})
        page.reload()
        page.locator("#close-form button[type=submit]").click()
        page.locator("[data-field=period-state]:text-is('closed')").wait_for(state="attached")
        assert "The month is closed" in page.locator("#notice").inner_text()
        assert page.locator("#reopen-form").count() == 0  # finance closes; reopening is a director's
    finally:
        context.close()
    assert {p["month"]: p["closed"] for p in finance.get("/api/v1/periods")}[month] is True

    # The director reopens it, in Chinese, and must give a reason.
    context, page = open_desk(browser, live_server, "boss", lang="zh")
    try:
        visit(page, f"#/office/periods/{month}", "#reopen-form")
        page.locator("#reopen-form [name=reason]").fill("补录上月运费发票")
        page.locator("#reopen-form button[type=submit]").click()
        page.locator("[data-field=period-state]:text-is('open')").wait_for(state="attached")
        assert "已反结账" in page.locator("#notice").inner_text()
    finally:
        context.close()
    reopened = {p["month"]: p for p in finance.get("/api/v1/periods")}[month]
    assert reopened["closed"] is False and reopened["reopen_reason"] == "补录上月运费发票"
