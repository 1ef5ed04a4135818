"""After-sales service (售后服务): a customer reports a fault in a phone they were sold; the ticket is opened from its serial
number, which names the customer, the order and invoice it went out on and whether it is in warranty; the phone is
repaired, replaced or refunded, with the customer return, replacement order and credit note that takes, and the books stay
sound. The API story on SQLite and PostgreSQL, the refusals, then a clerk doing it at the desk."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from server.dates import local_today
from server.outbox.models import OutboxEvent
from tests.helpers import add_user, post_move
from tests.stories import Api, books_are_sound, customer_and_areas

TICKETS = "/api/v1/service-tickets"


@pytest.fixture
def shop(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """CUS1 and CUS2, WH1's shipping and returns areas, phones SN-1 to SN-4 in B1 (bought at 50) and 10 boxes of milk lot L1
    in B2; and the people: sales, the warehouse, finance."""
    admin = Api(client, as_role("admin"))
    customer_and_areas(admin)
    admin.post("/api/v1/partners", {"code": "CUS2", "kind": "customer", "name_zh": "客户二", "name_en": "Customer Two"}, expect=201)
    worker = as_role("warehouse")
    assert post_move(client, worker, "PHONE", 4, "SUPPLIER", "B1", unit_cost="50", serials=["SN-1", "SN-2", "SN-3", "SN-4"]).status_code == 201
    assert post_move(client, worker, "MILK", 10, "SUPPLIER", "B2", unit_cost="5", lot="L1").status_code == 201
    return {"admin": admin, "sales": Api(client, as_role("sales")), "warehouse": Api(client, worker), "finance": Api(client, as_role("finance"))}


def sell(shop: dict[str, Api], customer: str, sku: str, qty: str, price: str, serials: tuple[str, ...] = ()) -> str:
    """An order of the customer's, confirmed, picked (these serials) and shipped."""
    sales = shop["sales"]
    so = sales.post("/api/v1/sales-orders", {"customer": customer, "warehouse": "WH1", "lines": [{"sku": sku, "qty": qty, "unit_price": price}]},
                    expect=201)
    return ship(shop, sales.post(f"/api/v1/sales-orders/{so['number']}/confirm", {"version": so["version"]})["number"], serials)


def ship(shop: dict[str, Api], number: str, serials: tuple[str, ...] = ()) -> str:
    warehouse = shop["warehouse"]
    wave = warehouse.post("/api/v1/waves", {"warehouse": "WH1", "orders": [number]}, expect=201)
    for task in wave["tasks"]:
        body = {"qty": task["qty"], "location": task["location"], "serials": list(serials)}
        warehouse.post(f"/api/v1/pick-tasks/{task['id']}/confirm", body | ({"lot": task["lot"]} if task["lot"] else {}))
    assert warehouse.post(f"/api/v1/sales-orders/{number}/ship")["status"] == "shipped"
    return number


def invoice(shop: dict[str, Api], order: str) -> dict[str, Any]:
    return shop["finance"].post(f"/api/v1/sales-orders/{order}/invoice", {"post": True}, expect=201)


def step(api: Api, ticket: dict[str, Any], door: str, expect: int = 200, **body: Any) -> dict[str, Any]:
    return api.post(f"{TICKETS}/{ticket['number']}/{door}", {"version": ticket["version"], **body}, expect=expect)


def where(api: Api, serial: str) -> str:
    return api.get(f"/api/v1/trace/serials/{serial}")["location"]


def test_a_faulty_phone_is_taken_back_and_replaced_and_the_customer_pays_once(client, shop, db):
    sales, warehouse, finance = shop["sales"], shop["warehouse"], shop["finance"]
    clerk = sales.get("/api/v1/auth/me")["username"]
    order = sell(shop, "CUS1", "PHONE", "1", "100", ("SN-1",))
    first = invoice(shop, order)
    finance.post("/api/v1/payments", {"kind": "customer", "partner": "CUS1", "amount": "113",
                                      "allocations": [{"document": first["number"], "amount": "113"}]}, expect=201)

    # The customer calls: SN-1's screen flickers. The serial alone names the customer, the order, the invoice and the warranty.
    sold = sales.get(f"{TICKETS}/lookup", serial="SN-1")
    today = local_today()
    assert (sold["sku"], sold["customer"], sold["customer_name_en"], sold["order"], sold["order_line"], sold["invoice"]) == (
        "PHONE", "CUS1", "Customer One", order, 1, first["number"])
    assert (sold["shipped_on"], sold["warranty_days"], sold["warranty_until"], sold["in_warranty"], sold["open_ticket"]) == (
        today.isoformat(), 365, (today + dt.timedelta(days=365)).isoformat(), True, None)
    ticket = sales.post(TICKETS, {"customer": "CUS1", "serial": "SN-1", "problem": "屏幕闪烁 screen flickers"}, expect=201)
    assert ticket["number"].startswith("SV-") and ticket["status"] == "open"
    assert (ticket["serial"], ticket["sku"], ticket["qty"], ticket["order"], ticket["invoice"], ticket["in_warranty"]) == (
        "SN-1", "PHONE", "1", order, first["number"], True)
    assert ticket["actions"] == ["start", "edit", "create-return", "resolve", "cancel"]
    assert sales.get(f"{TICKETS}/lookup", serial="SN-1")["open_ticket"] == ticket["number"]

    ticket = step(sales, ticket, "start")
    assert (ticket["status"], ticket["assigned_to"]) == ("in_progress", clerk)
    ticket = step(sales, ticket, "create-return", note="courier picks it up")
    rma = ticket["customer_return"]
    assert rma["status"] == "open" and "create-return" not in ticket["actions"] and "cancel" not in ticket["actions"]
    assert "replace" not in ticket["actions"]  # not until the phone is back
    refused = step(sales, ticket, "replace", expect=409)
    assert refused["error"] == "return_not_received" and rma["number"] in refused["message"]
    returned = sales.get(f"/api/v1/returns/{rma['number']}")
    assert (returned["order"], returned["lines"][0]["sku"], returned["lines"][0]["qty"]) == (order, "PHONE", "1")

    # The warehouse receives it, as any return: into the returns area, and the invoiced phone is credited.
    received = warehouse.post(f"/api/v1/returns/{rma['number']}/receive")
    assert where(warehouse, "SN-1") == "WH1-RET" and received["credit_note"]
    ticket = sales.get(f"{TICKETS}/{ticket['number']}")
    assert ticket["actions"] == ["edit", "replace", "refund", "resolve"]

    # A replacement ships on a new order at the price the phone was sold at: the return's credit pays for it.
    ticket = step(sales, ticket, "replace")
    replacement = ticket["replacement"]
    assert (replacement["status"], ticket["resolution"]) == ("confirmed", "replacement")
    made = sales.get(f"/api/v1/sales-orders/{replacement['number']}")
    assert (made["customer"], [(line["sku"], line["qty"], line["unit_price"]) for line in made["lines"]]) == ("CUS1", [("PHONE", "1", "100")])
    assert step(sales, ticket, "resolve", expect=409)["error"] == "replacement_not_shipped"
    assert step(sales, ticket, "refund", expect=409)["error"] == "resolution_mismatch"
    ship(shop, replacement["number"], ("SN-2",))
    second = invoice(shop, replacement["number"])
    finance.post(f"/api/v1/invoices/{received['credit_note']}/apply", {"invoice": second["number"]})
    assert finance.get(f"/api/v1/invoices/{second['number']}")["open"] == "0"
    ticket = step(sales, sales.get(f"{TICKETS}/{ticket['number']}"), "resolve", note="SN-2 sent, SN-1 to the supplier")
    assert (ticket["status"], ticket["resolution"], ticket["resolution_note"]) == ("resolved", "replacement", "SN-2 sent, SN-1 to the supplier")
    ticket = step(sales, ticket, "close")
    assert ticket["status"] == "closed" and ticket["actions"] == []

    # The faulty phone waits in the returns area, the new one is with the customer, one is left in B1; the books are sound.
    assert (where(warehouse, "SN-1"), where(warehouse, "SN-2"), where(warehouse, "SN-3")) == ("WH1-RET", "CUSTOMER", "B1")
    assert warehouse.stock("PHONE", "B1") == ("2", "0") and warehouse.stock("PHONE", "WH1-RET") == ("1", "0")
    assert sum(float(i["open"]) for i in finance.get("/api/v1/invoices", customer="CUS1")["items"]) == 0
    books_are_sound(finance, db)
    assert [(e["action"], e["document"], e["user"]) for e in ticket["log"]] == [
        ("create", None, clerk), ("start", None, clerk), ("return", rma["number"], clerk), ("replace", replacement["number"], clerk),
        ("resolve", None, clerk), ("close", None, clerk)]
    history = finance.get(f"/api/v1/history/service_ticket/{ticket['number']}")["items"]
    assert [(e["action"], e["said_en"]) for e in history] == [
        ("service_ticket.create", "create"), ("service_ticket.start", "start work on it"),
        ("service_ticket.return", "take the goods back on a return"), ("service_ticket.replace", "ship a replacement"),
        ("service_ticket.resolve", "resolve"), ("service_ticket.close", "close")]
    with db.read() as session:
        published = [(e.type, e.aggregate_id) for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.type.startswith("service_ticket.")).order_by(OutboxEvent.id))]
    assert published[0] == ("service_ticket.created", ticket["number"]) and published[-1] == ("service_ticket.closed", ticket["number"])
    listed = sales.get(TICKETS, serial="SN-1")
    assert [t["number"] for t in listed["items"]] == [ticket["number"]] and sales.get(TICKETS, status="open")["total"] == 0


def test_boxes_of_a_bad_lot_come_back_and_the_credit_note_is_the_refund(client, shop, db):
    sales, warehouse, finance = shop["sales"], shop["warehouse"], shop["finance"]
    order = sell(shop, "CUS2", "MILK", "3", "20")
    billed = invoice(shop, order)
    assert billed["total"] == "67.8"

    sold = sales.get(f"{TICKETS}/lookup", sku="MILK", lot="L1", customer="CUS2")
    assert (sold["order"], sold["qty"], sold["invoice"], sold["serial"]) == (order, "3", billed["number"], None)
    too_many = sales.post(TICKETS, {"customer": "CUS2", "sku": "MILK", "lot": "L1", "qty": "4", "problem": "sour"}, expect=422)
    assert (too_many["error"], too_many["details"]["field"]) == ("not_sold", "qty")
    ticket = sales.post(TICKETS, {"customer": "CUS2", "sku": "MILK", "lot": "L1", "qty": "2", "problem": "sour", "resolution": "refund"},
                        expect=201)
    assert (ticket["lot"], ticket["qty"], ticket["resolution"]) == ("L1", "2", "refund")
    assert step(sales, ticket, "refund", expect=409)["error"] == "no_return"
    ticket = step(sales, ticket, "create-return")
    rma = ticket["customer_return"]["number"]
    assert warehouse.get(f"/api/v1/returns/{rma}")["lines"][0]["lot"] == "L1"
    credit = warehouse.post(f"/api/v1/returns/{rma}/receive")["credit_note"]
    assert warehouse.stock("MILK", "WH1-RET", "L1") == ("2", "0")

    ticket = step(sales, sales.get(f"{TICKETS}/{ticket['number']}"), "refund")
    assert ticket["credit_note"] == {"number": credit, "status": "paid"}  # it settled what the invoice still owed for the two boxes
    assert [e["document"] for e in ticket["log"] if e["action"] == "refund"] == [credit]
    assert step(sales, ticket, "replace", expect=409)["error"] == "resolution_mismatch"
    assert step(sales, ticket, "resolve", resolution="repair", expect=409)["error"] == "resolution_mismatch"
    ticket = step(sales, ticket, "resolve")
    assert (ticket["status"], ticket["resolution"]) == ("resolved", "refund")
    note = finance.get(f"/api/v1/invoices/{credit}")
    assert (note["kind"], note["credits"], note["total"]) == ("credit_note", billed["number"], "45.2")
    assert finance.get(f"/api/v1/invoices/{billed['number']}")["open"] == "22.6"  # one box kept, still owed
    # A third box's ticket: one is still with the customer, a fourth is not.
    assert sales.get(f"{TICKETS}/lookup", sku="MILK", lot="L1", customer="CUS2")["qty"] == "1"
    books_are_sound(finance, db)


def test_a_phone_in_for_repair_stays_the_customers_and_out_of_warranty_is_said_so(client, shop, db, monkeypatch):
    sales, warehouse, finance = shop["sales"], shop["warehouse"], shop["finance"]
    order = sell(shop, "CUS1", "PHONE", "1", "100", ("SN-3",))
    later = local_today() + dt.timedelta(days=400)
    monkeypatch.setattr("server.sales.services.tickets.local_today", lambda now=None: later if now is None else local_today(now))
    monkeypatch.setattr("server.sales.ticket_routes.local_today", lambda now=None: later if now is None else local_today(now))
    assert sales.get(f"{TICKETS}/lookup", serial="SN-3")["in_warranty"] is False
    ticket = sales.post(TICKETS, {"customer": "CUS1", "serial": "SN-3", "problem": "battery drains", "resolution": "repair"}, expect=201)
    assert (ticket["in_warranty"], ticket["reported_on"], ticket["invoice"]) == (False, later.isoformat(), None)
    assert "create-return" not in ticket["actions"]
    refused = step(sales, ticket, "create-return", expect=409)
    assert refused["error"] == "resolution_mismatch" and "stays the customer's" in refused["message"]
    ticket = sales.post(f"{TICKETS}/{ticket['number']}/notes", {"text": "quoted 80 for a new battery; customer agrees"})
    ticket = step(sales, ticket, "start")
    ticket = step(sales, ticket, "resolve", note="battery replaced, handed back")
    assert (ticket["status"], ticket["resolution"], ticket["customer_return"], ticket["replacement"], ticket["credit_note"]) == (
        "resolved", "repair", None, None, None)
    ticket = step(sales, ticket, "reopen", reason="drains again")
    assert ticket["status"] == "in_progress" and ticket["resolved_at"] is None
    ticket = step(sales, ticket, "resolve")
    assert [e["action"] for e in ticket["log"]] == ["create", "note", "start", "resolve", "reopen", "resolve"]
    assert ticket["log"][1]["text"] == "quoted 80 for a new battery; customer agrees"
    # Nothing moved for the repair: the phone is with the customer, and the order still has it to invoice.
    assert where(warehouse, "SN-3") == "CUSTOMER"
    assert [m["to"] for m in warehouse.get("/api/v1/trace/serials/SN-3")["moves"]] == ["B1", "WH1-OUT", "CUSTOMER"]
    assert sales.get(f"/api/v1/sales-orders/{order}")["lines"][0]["returnable"] == "1"
    books_are_sound(finance, db)


def test_with_no_phone_left_the_replacement_waits_as_a_draft_and_the_ticket_says_why(client, shop, db):
    sales, warehouse, finance = shop["sales"], shop["warehouse"], shop["finance"]
    order = sell(shop, "CUS1", "PHONE", "4", "100", ("SN-1", "SN-2", "SN-3", "SN-4"))
    ticket = sales.post(TICKETS, {"customer": "CUS1", "serial": "SN-3", "problem": "no signal", "order": order}, expect=201)
    assert ticket["order_line"] == 1
    ticket = step(sales, ticket, "create-return")
    warehouse.post(f"/api/v1/returns/{ticket['customer_return']['number']}/receive")
    ticket = step(sales, sales.get(f"{TICKETS}/{ticket['number']}"), "replace")
    assert ticket["replacement"]["status"] == "draft" and ticket["resolution"] == "replacement"
    assert "PHONE" in ticket["log"][-1]["text"] and "available" in ticket["log"][-1]["text"]
    assert warehouse.stock("PHONE", "B1") == ("0", "0")  # the faulty one waits in the returns area, nothing was reserved
    assert sales.get(f"/api/v1/history/so/{ticket['replacement']['number']}")["total"] == 1  # created; the refused confirmation left no trace
    books_are_sound(finance, db)


def test_a_serial_not_sold_to_the_customer_is_refused_saying_where_it_is(client, shop, as_role):
    sales = shop["sales"]
    order = sell(shop, "CUS1", "PHONE", "1", "100", ("SN-1",))

    def refused(body: dict[str, Any], status: int = 422, lang: str = "en") -> dict[str, Any]:
        response = client.post(TICKETS, json={"problem": "broken", **body}, headers={**sales.headers, "Accept-Language": lang})
        assert response.status_code == status, response.text
        return response.json()

    in_stock = refused({"customer": "CUS1", "serial": "SN-2"})
    assert (in_stock["error"], in_stock["details"]["field"]) == ("not_sold", "serial")
    assert in_stock["message"] == "Serial SN-2 of PHONE was not sold to a customer: it is in stock at B1."
    elsewhere = refused({"customer": "CUS2", "serial": "SN-1"})
    assert (elsewhere["error"], elsewhere["details"]["field"], elsewhere["details"]["sold_to"]) == ("sold_to_another_customer", "customer", "CUS1")
    assert elsewhere["message"] == f"Serial SN-1 of PHONE was sold to CUS1 (Customer One) on {order}, not to CUS2."
    assert refused({"customer": "CUS2", "serial": "SN-1"}, lang="zh")["message"] == f"PHONE 的序列号 SN-1 售给了 CUS1（客户一，{order}），不是 CUS2。"
    unknown = refused({"customer": "CUS1", "serial": "NOPE-9"})
    assert (unknown["error"], unknown["details"]["field"]) == ("unknown_reference", "serial")
    assert refused({"customer": "CUS1"})["error"] == "serial_or_lot"
    assert refused({"customer": "NOBODY", "serial": "SN-1"})["error"] == "unknown_reference"
    assert refused({"customer": "CUS1", "serial": "SN-1", "qty": "2"})["details"]["field"] == "qty"
    assert refused({"customer": "CUS2", "sku": "MILK", "lot": "L1"})["error"] == "not_sold"  # none of the lot went out yet
    assert sales.get(f"{TICKETS}/lookup", expect=422, serial="SN-2")["error"] == "not_sold"
    assert sales.get(TICKETS)["total"] == 0  # nothing was written

    first = sales.post(TICKETS, {"customer": "CUS1", "serial": "SN-1", "problem": "broken"}, expect=201)
    again = refused({"customer": "CUS1", "serial": "SN-1"}, status=409)
    assert again["error"] == "open_ticket" and first["number"] in again["message"]
    assert step(sales, first, "resolve", expect=422)["details"]["field"] == "resolution"
    assert step(sales, first, "close", expect=409)["error"] == "wrong_state"
    stale = sales.patch(f"{TICKETS}/{first['number']}", {"version": first["version"] + 1, "problem": "x"}, expect=409)
    assert stale["error"] == "stale_version"
    clerk = sales.get("/api/v1/auth/me")["username"]
    changed = sales.patch(f"{TICKETS}/{first['number']}", {"version": first["version"], "problem": "no sound", "assigned_to": clerk,
                                                            "warranty_days": 730})
    assert (changed["problem"], changed["assigned_to"], changed["warranty_days"]) == ("no sound", clerk, 730)
    assert sales.patch(f"{TICKETS}/{first['number']}", {"version": changed["version"], "assigned_to": "ghost"}, expect=422)["error"] == "unknown_reference"
    # Once something came back, the ticket is resolved, not cancelled.
    taken = step(sales, changed, "create-return")
    assert step(sales, taken, "cancel", expect=409)["error"] == "return_exists"
    assert step(sales, taken, "create-return", expect=409)["error"] == "return_exists"
    # A ticket opened by mistake is cancelled.
    other = sell(shop, "CUS2", "PHONE", "1", "100", ("SN-4",))
    mistaken = sales.post(TICKETS, {"customer": "CUS2", "serial": "SN-4", "problem": "wrong customer", "order": other}, expect=201)
    assert step(sales, mistaken, "cancel", reason="called the wrong number")["status"] == "cancelled"
    assert sales.post(TICKETS, {"customer": "CUS2", "serial": "SN-4", "problem": "now really"}, expect=201)["status"] == "open"


def test_sales_keep_tickets_the_warehouse_receives_their_returns_and_everyone_may_read_them(client, shop, as_role):
    sales, warehouse, finance = shop["sales"], shop["warehouse"], shop["finance"]
    sell(shop, "CUS1", "PHONE", "1", "100", ("SN-1",))
    body = {"customer": "CUS1", "serial": "SN-1", "problem": "broken"}
    for role in ("warehouse", "finance", "purchaser", "viewer", "director"):
        refusal = Api(client, as_role(role)).post(TICKETS, body, expect=403)
        assert refusal["details"]["permission"] == "service.write"
    ticket = sales.post(TICKETS, body, expect=201)
    ticket = step(sales, ticket, "create-return")
    assert warehouse.post(f"{TICKETS}/{ticket['number']}/start", {}, expect=403)["error"] == "forbidden"
    warehouse.post(f"/api/v1/returns/{ticket['customer_return']['number']}/receive")
    seen = finance.get(f"{TICKETS}/{ticket['number']}")
    assert seen["customer_return"]["status"] == "received" and seen["actions"] == []  # finance reads it; the steps are sales'
    assert Api(client, as_role("viewer")).get(TICKETS)["total"] == 1
    assert Api(client, as_role("admin")).get(f"{TICKETS}/{ticket['number']}")["actions"] == ["start", "edit", "replace", "refund", "resolve"]
    assert client.get(f"{TICKETS}/SV-1999-00001", headers=sales.headers).status_code == 404


def pens_shipped(client, shop, as_role, qty: str = "10", customer: str = "CUS1") -> str:  # type: ignore[no-untyped-def]
    """`qty` plain pens (tracked by neither serial nor lot) shipped to the customer at 2 each: the delivery's number."""
    assert post_move(client, as_role("warehouse"), "PEN", int(qty), "SUPPLIER", "B1", unit_cost="1").status_code == 201
    return sell(shop, customer, "PEN", qty, "2")


def test_one_of_ten_plain_pens_is_refunded_and_another_two_replaced_from_the_delivery_note(client, shop, as_role, db):
    sales, warehouse, finance = shop["sales"], shop["warehouse"], shop["finance"]
    order = pens_shipped(client, shop, as_role)
    billed = invoice(shop, order)

    # The customer names the delivery note and the item: it finds the sale, the invoice and the warranty from the ship day.
    sold = sales.get(f"{TICKETS}/lookup", sku="PEN", order=order)
    today = local_today()
    assert (sold["customer"], sold["order"], sold["order_line"], sold["invoice"], sold["serial"], sold["lot"], sold["qty"]) == (
        "CUS1", order, 1, billed["number"], None, None, "10")
    assert (sold["shipped_on"], sold["warranty_until"], sold["in_warranty"]) == (today.isoformat(), (today + dt.timedelta(days=365)).isoformat(), True)
    ticket = sales.post(TICKETS, {"customer": "CUS1", "sku": "PEN", "order": order, "qty": "1", "problem": "clip broken", "resolution": "refund"},
                        expect=201)
    assert (ticket["sku"], ticket["serial"], ticket["lot"], ticket["qty"], ticket["order"], ticket["invoice"], ticket["in_warranty"]) == (
        "PEN", None, None, "1", order, billed["number"], True)
    assert ticket["shipped_on"] == today.isoformat() and ticket["warranty_until"] == (today + dt.timedelta(days=365)).isoformat()
    # The one on the open ticket is claimed already: nine are left to claim, and ten are refused.
    assert sales.get(f"{TICKETS}/lookup", sku="PEN", order=order)["qty"] == "9"
    too_many = sales.post(TICKETS, {"customer": "CUS1", "sku": "PEN", "order": order, "qty": "10", "problem": "all dry"}, expect=422)
    assert (too_many["error"], too_many["details"]["field"], too_many["details"]["held"]) == ("not_sold", "qty", "9")
    assert "9" in too_many["message"] and order in too_many["message"]

    # Refund: the pen comes back on a return; its receipt's credit note is the refund.
    ticket = step(sales, ticket, "create-return")
    rma = ticket["customer_return"]["number"]
    returned = warehouse.get(f"/api/v1/returns/{rma}")
    assert (returned["order"], returned["lines"][0]["sku"], returned["lines"][0]["qty"], returned["lines"][0]["lot"]) == (order, "PEN", "1", None)
    credit = warehouse.post(f"/api/v1/returns/{rma}/receive")["credit_note"]
    assert warehouse.stock("PEN", "WH1-RET") == ("1", "0")
    ticket = step(sales, sales.get(f"{TICKETS}/{ticket['number']}"), "refund")
    assert ticket["credit_note"]["number"] == credit
    ticket = step(sales, ticket, "resolve")
    assert (ticket["status"], ticket["resolution"]) == ("resolved", "refund")
    assert finance.get(f"/api/v1/invoices/{credit}")["credits"] == billed["number"]
    # The returned pen counts once: nine are still with the customer.
    assert sales.get(f"{TICKETS}/lookup", sku="PEN", order=order)["qty"] == "9"

    # Replacement: two more come back, and two new ones ship on a new order at the price they were sold at.
    assert post_move(client, as_role("warehouse"), "PEN", 2, "SUPPLIER", "B1", unit_cost="1").status_code == 201
    second = sales.post(TICKETS, {"customer": "CUS1", "sku": "PEN", "order": order, "qty": "2", "problem": "no ink", "resolution": "replacement"},
                        expect=201)
    second = step(sales, second, "create-return")
    warehouse.post(f"/api/v1/returns/{second['customer_return']['number']}/receive")
    second = step(sales, sales.get(f"{TICKETS}/{second['number']}"), "replace")
    made = sales.get(f"/api/v1/sales-orders/{second['replacement']['number']}")
    assert (made["status"], made["customer"], [(line["sku"], line["qty"], line["unit_price"]) for line in made["lines"]]) == (
        "confirmed", "CUS1", [("PEN", "2", "2")])
    ship(shop, made["number"])
    second = step(sales, sales.get(f"{TICKETS}/{second['number']}"), "resolve")
    assert (second["status"], second["resolution"]) == ("resolved", "replacement")
    assert sales.get(f"{TICKETS}/lookup", sku="PEN", order=order)["qty"] == "7"
    assert [t["number"] for t in sales.get(TICKETS, order=order, sort="number")["items"]] == [ticket["number"], second["number"]]
    books_are_sound(finance, db)


def test_a_delivery_ticket_is_refused_for_another_customer_an_item_not_on_it_or_goods_with_a_serial_or_lot(client, shop, as_role):
    sales = shop["sales"]
    order = pens_shipped(client, shop, as_role, qty="3")
    milk = sell(shop, "CUS1", "MILK", "1", "20")

    def refused(body: dict[str, Any], status: int = 422, lang: str = "en") -> dict[str, Any]:
        response = client.post(TICKETS, json={"problem": "broken", "customer": "CUS1", "sku": "PEN", "order": order, **body},
                               headers={**sales.headers, "Accept-Language": lang})
        assert response.status_code == status, response.text
        return response.json()

    elsewhere = refused({"customer": "CUS2"})
    assert (elsewhere["error"], elsewhere["details"]["field"], elsewhere["details"]["sold_to"]) == ("sold_to_another_customer", "customer", "CUS1")
    assert elsewhere["message"] == f"Delivery {order} went to CUS1 (Customer One), not to CUS2."
    assert refused({"customer": "CUS2"}, lang="zh")["message"] == f"送货单 {order} 的收货客户是 CUS1（客户一），不是 CUS2。"
    not_on_it = refused({"order": milk})
    assert (not_on_it["error"], not_on_it["details"]["field"]) == ("not_sold", "sku") and f"Delivery {milk} carried no PEN." == not_on_it["message"]
    assert refused({"order": milk}, lang="zh")["message"] == f"送货单 {milk} 中没有 PEN。"
    by_lot = refused({"sku": "MILK", "order": milk})
    assert (by_lot["error"], by_lot["details"]["field"]) == ("serial_or_lot", "lot")
    assert refused({"sku": "PHONE"})["details"]["field"] == "serial"
    unknown = refused({"order": "SO-1999-00001"})
    assert (unknown["error"], unknown["details"]["field"]) == ("unknown_reference", "order") and "No delivery note SO-1999-00001" in unknown["message"]
    assert refused({"sku": "NOPE"})["error"] == "unknown_reference"
    assert refused({"qty": "4"})["details"]["field"] == "qty"
    assert refused({"qty": "0"})["details"]["field"] == "qty"
    draft = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1", "unit_price": "2"}]},
                       expect=201)
    unshipped = refused({"order": draft["number"]})
    assert (unshipped["error"], unshipped["details"]["field"]) == ("not_sold", "order") and "has not shipped" in unshipped["message"]
    assert sales.get(f"{TICKETS}/lookup", expect=422, sku="PEN", order=draft["number"])["error"] == "not_sold"
    assert sales.get(TICKETS)["total"] == 0  # nothing was written
    # All three claimed on open tickets: a fourth is refused until one is cancelled.
    first = sales.post(TICKETS, {"customer": "CUS1", "sku": "PEN", "order": order, "qty": "3", "problem": "dry"}, expect=201)
    assert refused({"qty": "1"})["details"]["held"] == "0"
    step(sales, first, "cancel", reason="found ink")
    assert sales.post(TICKETS, {"customer": "CUS1", "sku": "PEN", "order": order, "problem": "dry"}, expect=201)["qty"] == "1"


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_clerk_opens_a_ticket_from_a_scanned_serial_and_refunds_it_through_a_return(browser, client, live_server, shop, db):
    from tests.test_desk_sales import at_desk
    from tests.test_office import use_language

    sales, warehouse, finance = shop["sales"], shop["warehouse"], shop["finance"]
    order = sell(shop, "CUS1", "PHONE", "1", "100", ("SN-1",))
    billed = invoice(shop, order)
    add_user(db, "sally", ["sales"])
    context, page = at_desk(browser, live_server, "sally", "service-tickets")
    try:
        use_language(page, "en")
        page.get_by_role("link", name="New ticket").click()
        page.get_by_label("Serial number").fill("SN-1")
        page.get_by_label("Serial number").press("Tab")
        page.locator("#sold-unit[data-order]").wait_for()
        sold = page.locator("#sold-unit")
        assert sold.get_attribute("data-order") == order
        assert page.locator("#sold-unit [data-field=customer] dd").inner_text() == "CUS1 Customer One"
        assert page.locator("#sold-unit [data-field=invoice] dd").inner_text() == billed["number"]
        assert page.locator("#sold-unit [data-field=warranty] dd").inner_text().startswith("In warranty until ")
        assert page.get_by_label("Customer", exact=True).input_value() == "CUS1"
        page.get_by_label("Problem").fill("Screen stays black")
        page.get_by_label("Resolution in view").select_option("refund")
        page.get_by_role("button", name="Open the ticket").click()
        page.locator("#ticket-facts").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        assert number.startswith("SV-")
        assert page.locator("#ticket-facts [data-field=order] dd").inner_text() == order

        page.get_by_role("button", name="Take back (return)").click()
        page.locator("#ticket-documents [data-document=return]").wait_for()
        rma = sales.get(f"{TICKETS}/{number}")["customer_return"]["number"]
        assert page.locator("#ticket-documents [data-document=return] a").inner_text() == rma

        warehouse.post(f"/api/v1/returns/{rma}/receive")  # the warehouse receives the phone
        page.reload()
        page.get_by_role("button", name="Refund").click()
        page.locator("#ticket-documents [data-document=credit-note]").wait_for()
        credit = sales.get(f"{TICKETS}/{number}")["credit_note"]["number"]
        assert page.locator("#ticket-documents [data-document=credit-note] a").inner_text() == credit

        page.get_by_role("button", name="Resolve").click()
        dialog = page.locator("dialog.resolve")
        assert dialog.get_by_label("Resolution").input_value() == "refund"
        dialog.get_by_label("What was done").fill("Credited in full")
        dialog.get_by_role("button", name="Save").click()
        page.locator(".facts [data-field=status] dd", has_text="Resolved").wait_for()
        page.get_by_role("button", name="Close").click()
        page.locator(".facts [data-field=status] dd", has_text="Closed").wait_for()
        page.locator("[data-field=history] summary").click()
        page.locator("[data-field=history] tr[data-action='service_ticket.close']").wait_for()
        assert [r["action"] for r in sales.get(f"{TICKETS}/{number}")["log"]] == ["create", "return", "refund", "resolve", "close"]
        assert page.locator("#ticket-log tbody tr").count() == 5
        # In Chinese too, every text is there.
        use_language(page, "zh")
        page.locator(".facts [data-field=status] dd", has_text="已关闭").wait_for()
        assert page.locator("#ticket-documents [data-document=credit-note] td").first.inner_text() == "红字发票（退款）"
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()
    ticket = sales.get(f"{TICKETS}/{number}")
    assert (ticket["status"], ticket["resolution"], ticket["resolution_note"]) == ("closed", "refund", "Credited in full")
    assert finance.get(f"/api/v1/invoices/{billed['number']}")["open"] == "0"
    books_are_sound(finance, db)


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_clerk_opens_a_ticket_for_plain_pens_from_the_delivery_note_number_and_the_item(browser, client, live_server, shop, as_role, db):
    from tests.test_desk_sales import at_desk
    from tests.test_office import use_language

    sales = shop["sales"]
    order = pens_shipped(client, shop, as_role)
    add_user(db, "sally", ["sales"])
    context, page = at_desk(browser, live_server, "sally", "service-tickets")
    try:
        use_language(page, "zh")
        page.get_by_role("link", name="新建售后服务单").click()
        page.locator("#ticket-form [name=sku]").fill("PEN")
        page.get_by_role("textbox", name=re.compile("^送货单号")).fill(order)
        page.get_by_role("textbox", name=re.compile("^送货单号")).press("Tab")
        page.locator("#sold-unit[data-order]").wait_for()
        assert page.locator("#sold-unit [data-field=customer] dd").inner_text() == "CUS1 客户一"
        assert page.locator("#sold-unit [data-field=qty] dt").inner_text() == "未退回、未登记售后"
        assert page.locator("#sold-unit [data-field=qty] dd").inner_text() == "10 pcs"
        assert page.get_by_label("客户", exact=True).input_value() == "CUS1"
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
        use_language(page, "en")
        page.get_by_role("textbox", name=re.compile("^Delivery note number")).wait_for()
        page.locator("#ticket-form [name=sku]").fill("PEN")
        page.get_by_role("textbox", name=re.compile("^Delivery note number")).fill(order)
        page.get_by_role("textbox", name=re.compile("^Delivery note number")).press("Tab")
        page.locator("#sold-unit[data-order]").wait_for()
        assert page.locator("#sold-unit [data-field=qty] dt").inner_text() == "Not returned or claimed yet"
        page.get_by_label("Quantity").fill("2")
        page.get_by_label("Problem").fill("Two pens leak")
        page.get_by_role("button", name="Open the ticket").click()
        page.locator("#ticket-facts").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        assert page.locator("#ticket-facts [data-field=goods] dt").inner_text() == "Quantity"
        assert page.locator("#ticket-facts [data-field=goods] dd").inner_text() == "2 pcs"
        assert page.locator("#ticket-facts [data-field=order] dd").inner_text() == order
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()
    ticket = sales.get(f"{TICKETS}/{number}")
    assert (ticket["sku"], ticket["qty"], ticket["order"], ticket["serial"], ticket["lot"], ticket["customer"]) == ("PEN", "2", order, None, None, "CUS1")
