"""Orders from online shops: taken once each however often the shop sends them, confirmed and reserved at once; one that
cannot be confirmed is still taken, as a draft a salesperson sees to; bad ones are refused and write nothing."""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from server.notifications.models import Notification
from server.outbox.models import OutboxEvent
from server.sales.models import SalesOrder
from tests.helpers import PASSWORD, add_user, post_move, sign_in
from tests.stories import Api, customer_and_areas

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shop_orders.py"


def order(order_id: str = "T-1001", **changes: object) -> dict:
    body = {"shop": "TMALL-01", "order_id": order_id, "customer": "CUS1", "warehouse": "WH1", "ordered_at": "2026-12-04T09:30:00+08:00",
            "buyer": {"name": "张三", "phone": "138 0000 0000", "address": "上海市浦东新区示范路 1 号"},
            "lines": [{"sku": "PEN", "qty": "2", "unit_price": "3.50"}, {"sku": "RICE", "qty": "1.5", "unit_price": "8", "discount": "10"}]}
    body.update(changes)
    return body


@pytest.fixture
def shop(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """CUS1 (the shop's customer) with stock in WH1, and the shop's integration account (a salesperson)."""
    admin = Api(client, as_role("admin"))
    customer_and_areas(admin)
    worker = as_role("warehouse")
    assert post_move(client, worker, "PEN", 10, "SUPPLIER", "B1", unit_cost="2").status_code == 201
    assert post_move(client, worker, "RICE", 5, "SUPPLIER", "B2", unit_cost="4").status_code == 201
    add_user(db, "shopbot", ["sales"])
    return sign_in(client, "shopbot")


def orders_of(db, shop: str = "TMALL-01") -> int:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(SalesOrder).where(SalesOrder.shop == shop)) or 0


def test_a_shop_order_becomes_a_confirmed_sales_order_with_its_stock_reserved(client, db, shop):
    response = client.post("/api/v1/shop-orders", json=order(), headers=shop)
    assert response.status_code == 201, response.text
    taken = response.json()
    so = taken["order"]
    assert taken["created"] is True and taken["held"] is None
    assert (so["status"], so["customer"], so["shop"], so["shop_order_id"]) == ("confirmed", "CUS1", "TMALL-01", "T-1001")
    assert so["ship_to"] == "张三 138 0000 0000\n上海市浦东新区示范路 1 号"
    assert [(line["sku"], line["qty"], line["unit_price"], line["reserved"]) for line in so["lines"]] == [
        ("PEN", "2", "3.5", "2"), ("RICE", "1.5", "8", "1.5")]
    assert so["subtotal"] == "17.8"  # 2 × 3.50 + 1.5 × 8 less 10 %
    looked_up = client.get("/api/v1/shop-orders/TMALL-01/T-1001", headers=shop).json()
    assert looked_up["order"]["number"] == so["number"]
    listed = client.get("/api/v1/sales-orders", params={"shop": "TMALL-01"}, headers=shop).json()
    assert [o["number"] for o in listed["items"]] == [so["number"]]
    with db.read() as session:
        types = list(session.scalars(select(OutboxEvent.type).where(OutboxEvent.aggregate_id == so["number"]).order_by(OutboxEvent.id)))
    assert types == ["sales_order.created", "sales_order.confirmed", "sales_order.from_shop"]


def test_the_same_order_sent_again_answers_the_order_taken_and_changes_nothing(client, db, shop):
    first = client.post("/api/v1/shop-orders", json=order(), headers=shop).json()
    again = client.post("/api/v1/shop-orders", json=order(), headers=shop)
    assert again.status_code == 200
    assert again.json()["created"] is False and again.json()["order"]["number"] == first["order"]["number"]
    assert orders_of(db) == 1
    assert client.get("/api/v1/stock/balances", params={"sku": "PEN", "location": "B1"}, headers=shop).json()["items"][0]["reserved"] == "2"
    # Another shop may use the same order number: it is another order.
    other = client.post("/api/v1/shop-orders", json=order(shop="JD-01"), headers=shop)
    assert other.status_code == 201 and other.json()["order"]["number"] != first["order"]["number"]


def test_the_same_order_id_with_other_content_is_refused_naming_the_order_taken(client, db, shop):
    first = client.post("/api/v1/shop-orders", json=order(), headers=shop).json()
    changed = order(lines=[{"sku": "PEN", "qty": "3", "unit_price": "3.50"}])
    response = client.post("/api/v1/shop-orders", json=changed, headers=shop)
    assert response.status_code == 409 and response.json()["error"] == "shop_order_differs"
    assert first["order"]["number"] in response.json()["message"]
    assert orders_of(db) == 1


def test_an_order_sent_twice_at_the_same_moment_is_taken_once(live_server, db, shop):
    def send(_: int) -> int:
        return httpx.post(f"{live_server.url}/api/v1/shop-orders", json=order("T-RACE"), headers=shop, timeout=30).status_code

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(send, range(4)))
    assert codes == [200, 200, 200, 201]
    assert orders_of(db) == 1


def test_an_order_short_of_stock_is_taken_as_a_draft_and_the_salespeople_are_told(client, db, shop, as_role):
    as_role("sales")  # a salesperson to be told
    response = client.post("/api/v1/shop-orders", json=order("T-BIG", lines=[{"sku": "PEN", "qty": "50", "unit_price": "3"}]), headers=shop)
    assert response.status_code == 201
    taken = response.json()
    assert taken["order"]["status"] == "draft" and taken["held"]["code"] == "insufficient_stock"
    assert "PEN" in taken["held"]["message_en"]
    assert client.get("/api/v1/stock/balances", params={"sku": "PEN", "location": "B1"}, headers=shop).json()["items"][0]["reserved"] == "0"
    with db.read() as session:
        told = session.scalars(select(Notification).where(Notification.kind == "shop_order.held")).all()
    assert told and "T-BIG" in told[0].title_en


@pytest.mark.parametrize("changes,status,code", [
    ({"lines": [{"sku": "NOPE", "qty": "1", "unit_price": "3"}]}, 422, "unknown_sku"),
    ({"customer": "NOBODY"}, 422, "unknown_reference"),
    ({"lines": [{"sku": "PEN", "qty": "1"}]}, 400, "invalid_request"),  # the shop's price is required
    ({"lines": [{"sku": "PEN", "qty": "-1", "unit_price": "3"}]}, 422, "invalid"),
    ({"order_id": "T 1"}, 400, "invalid_request"),
    ({"lines": []}, 400, "invalid_request"),
    ({"ordered_at": "2026-12-04T09:30:00"}, 400, "invalid_request"),  # a time without its zone is no moment
])
def test_a_bad_shop_order_is_refused_and_writes_nothing(client, db, shop, changes, status, code):
    response = client.post("/api/v1/shop-orders", json=order(**changes), headers=shop)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert orders_of(db) == 0


def test_a_long_buyer_note_is_kept_as_far_as_an_order_note_goes(client, db, shop):
    response = client.post("/api/v1/shop-orders", json=order("T-NOTE", note="请在工作日送货。" * 62), headers=shop)
    assert response.status_code == 201, response.text
    assert len(response.json()["order"]["note"]) == 500 and response.json()["order"]["note"].startswith("TMALL-01 T-NOTE · ")


def test_an_unknown_shop_order_is_not_found(client, shop):
    response = client.get("/api/v1/shop-orders/TMALL-01/NOPE", headers=shop)
    assert response.status_code == 404 and response.json()["error"] == "shop_order_not_found"


def test_the_example_client_sends_a_file_of_orders_and_a_second_run_creates_nothing(live_server, db, shop, tmp_path):
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps([order("T-1"), order("T-2", lines=[{"sku": "PEN", "qty": "99", "unit_price": "3"}])]), encoding="utf-8")
    env = {**os.environ, "CANGKU_URL": live_server.url, "CANGKU_USER": "shopbot", "CANGKU_PASSWORD": PASSWORD}
    first = subprocess.run([sys.executable, str(EXAMPLE), str(orders)], env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == 2 and "(new, confirmed)" in lines[0] and "held as a draft" in lines[1]
    second = subprocess.run([sys.executable, str(EXAMPLE), str(orders)], env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and second.stdout.count("taken before") == 2
    assert orders_of(db) == 2


@pytest.mark.browser
def test_a_salesperson_finds_a_held_shop_order_on_the_desk_and_confirms_it_once_stock_arrives(browser, live_server, client, db, shop, as_role):
    from tests.test_office import open_office, open_section

    response = client.post("/api/v1/shop-orders", json=order("T-HELD", lines=[{"sku": "PEN", "qty": "15", "unit_price": "3"}]), headers=shop)
    number = response.json()["order"]["number"]
    assert response.json()["held"]["code"] == "insufficient_stock"
    add_user(db, "clerk", ["admin"])
    context, page = open_office(browser, live_server)
    try:
        open_section(page, "sales-orders")
        filters = page.locator("#office-body form.filters").first
        filters.locator("input[name=shop]").fill("TMALL-01")
        filters.locator("input[name=shop]").press("Enter")
        page.locator(f"tr[data-so='{number}']").wait_for()
        assert "TMALL-01 T-HELD" in page.locator(f"tr[data-so='{number}']").inner_text()
        page.locator(f"tr[data-so='{number}'] a").click()
        assert page.locator("[data-field=shop-order] dd").inner_text() == "TMALL-01 T-HELD"
        assert post_move(client, as_role("warehouse"), "PEN", 10, "SUPPLIER", "B1", unit_cost="2").status_code == 201  # the stock comes in
        page.locator("[data-action=confirm]").click()
        page.locator("[data-field=status] dd", has_text="Confirmed").or_(page.locator("[data-field=status] dd", has_text="已确认")).wait_for()
        assert client.get(f"/api/v1/sales-orders/{number}", headers=shop).json()["status"] == "confirmed"
    finally:
        context.close()
