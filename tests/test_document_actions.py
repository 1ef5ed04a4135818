"""Every document says what the user asking may do to it now (`actions`): what its state allows and their permissions
reach, and for a purchase order's approval only whose signature is awaited next. The app offers exactly these."""

from __future__ import annotations

from tests.helpers import post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock


def test_a_purchase_order_offers_each_role_what_it_may_do_at_each_step(client, world, as_role):
    admin, purchaser, approver, worker = (Api(client, as_role(r)) for r in ("admin", "purchaser", "approver", "warehouse"))
    supplier_and_dock(admin)
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "10", "unit_price": "2"}]},
                        expect=201)
    number = po["number"]
    assert po["actions"] == ["submit", "edit", "cancel"]
    assert approver.get(f"/api/v1/purchase-orders/{number}")["actions"] == []
    assert worker.get(f"/api/v1/purchase-orders/{number}")["actions"] == []
    po = purchaser.post(f"/api/v1/purchase-orders/{number}/submit", {"version": po["version"]})
    assert po["actions"] == ["edit", "withdraw", "cancel"]  # the one who asked does not sign their own order
    assert approver.get(f"/api/v1/purchase-orders/{number}")["actions"] == ["approve", "reject"]
    po = approver.post(f"/api/v1/purchase-orders/{number}/approve", {"version": po["version"]})
    assert po["status"] == "approved" and po["actions"] == []
    assert purchaser.get(f"/api/v1/purchase-orders/{number}")["actions"] == ["edit", "cancel"]
    assert [row["actions"] for row in purchaser.get("/api/v1/purchase-orders", status="approved")["items"] if row["number"] == number] \
        == [["edit", "cancel"]]


def test_a_sales_order_over_the_credit_limit_offers_finance_the_release_and_sales_the_confirmation(client, world, as_role):
    admin, sales, finance, worker = (Api(client, as_role(r)) for r in ("admin", "sales", "finance", "warehouse"))
    customer_and_areas(admin, credit_limit="100")
    post_move(client, worker.headers, "PEN", 50, "SUPPLIER", "B1", unit_cost="1")
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "20", "unit_price": "10"}]},
                       expect=201)
    number = order["number"]
    assert order["actions"] == ["confirm", "edit", "cancel"]
    assert finance.get(f"/api/v1/sales-orders/{number}")["actions"] == ["credit-release"]
    assert worker.get(f"/api/v1/sales-orders/{number}")["actions"] == []
    released = finance.post(f"/api/v1/sales-orders/{number}/credit-release", {"version": order["version"], "reason": "担保 guaranteed"})
    assert released["actions"] == []  # released for this amount: nothing more for finance to do here
    order = sales.post(f"/api/v1/sales-orders/{number}/confirm", {"version": sales.get(f"/api/v1/sales-orders/{number}")["version"]})
    assert order["status"] == "confirmed" and order["actions"] == ["edit", "cancel"]
    assert finance.get(f"/api/v1/sales-orders/{number}")["actions"] == []
