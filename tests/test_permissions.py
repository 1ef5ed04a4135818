"""The permission matrix: every write endpoint refused (403) for every role that must not use it, and (401) without credentials."""

from __future__ import annotations

import re
from contextlib import ExitStack

import pytest
from litestar.routes import HTTPRoute

from server.auth.permissions import ROLES
from tests.helpers import add_user, sign_in
from tests.stories import Api, customer_and_areas, supplier_and_dock

ALL = set(ROLES)
PARTNERS = {"admin", "purchaser", "sales", "finance"}
REQUEST = {"admin", "purchaser", "warehouse"}
BUY = {"admin", "purchaser"}
APPROVE = {"admin", "approver", "director"}
RECEIVE = {"admin", "warehouse"}
BILL = {"admin", "finance"}
SELL = {"admin", "sales"}
CONTRACTS = {"admin", "sales", "director"}
FULFIL = {"admin", "warehouse"}
CREDIT = {"admin", "finance", "director"}
PRICES = {"admin", "purchaser", "approver", "director", "sales", "finance"}
SALES_PRICE_LISTS = {"admin", "sales"}
PURCHASE_PRICE_LISTS = {"admin", "purchaser"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# (method, path template, concrete path, body, roles allowed)
MATRIX = [
    ("POST", "/api/v1/categories", "/api/v1/categories", {"code": "CAT1"}, {"admin", "purchaser"}),
    ("PATCH", "/api/v1/categories/{code}", "/api/v1/categories/CAT1", {"name_en": "x"}, {"admin", "purchaser"}),
    ("POST", "/api/v1/items", "/api/v1/items", {"sku": "X1"}, {"admin", "purchaser"}),
    ("PATCH", "/api/v1/items/{sku}", "/api/v1/items/PEN", {"name_en": "x"}, {"admin", "purchaser"}),
    ("POST", "/api/v1/items/{sku}/barcodes", "/api/v1/items/RICE/barcodes", {"code": "RICE-X"}, {"admin", "purchaser"}),
    ("POST", "/api/v1/items/{sku}/barcodes/remove", "/api/v1/items/RICE/barcodes/remove", {"code": "RICE-X"}, {"admin", "purchaser"}),
    ("POST", "/api/v1/lots", "/api/v1/lots", {"sku": "MILK", "code": "LX"}, {"admin", "purchaser", "warehouse"}),
    ("PATCH", "/api/v1/lots/{sku}/{code}", "/api/v1/lots/MILK/L1", {"expiry": "2027-01-01"}, {"admin", "purchaser", "warehouse"}),
    ("POST", "/api/v1/locations", "/api/v1/locations", {"code": "NEWWH", "kind": "warehouse"}, {"admin"}),
    ("PATCH", "/api/v1/locations/{code}", "/api/v1/locations/B1", {"name_en": "x"}, {"admin"}),
    ("POST", "/api/v1/partners", "/api/v1/partners", {"code": "P1", "kind": "supplier"}, {"admin", "purchaser", "sales", "finance"}),
    ("PATCH", "/api/v1/partners/{code}", "/api/v1/partners/P1", {"name_en": "x"}, {"admin", "purchaser", "sales", "finance"}),
    ("POST", "/api/v1/stock/moves", "/api/v1/stock/moves", {"sku": "PEN", "qty": "1", "from": "SUPPLIER", "to": "B1"}, {"admin", "warehouse"}),
    ("POST", "/api/v1/stock/moves/{move_id}/reverse", "/api/v1/stock/moves/1/reverse", {}, {"admin", "warehouse"}),
    ("POST", "/api/v1/stock/reservations", "/api/v1/stock/reservations", {"sku": "PEN", "location": "B1", "qty": "1"}, {"admin", "sales", "warehouse"}),
    ("POST", "/api/v1/stock/reservations/{reservation_id}/release", "/api/v1/stock/reservations/1/release", None, {"admin", "sales", "warehouse"}),
    ("POST", "/api/v1/users", "/api/v1/users", {"username": "newbie", "password": "long enough pw", "roles": ["viewer"]}, {"admin"}),
    ("PATCH", "/api/v1/users/{username}", "/api/v1/users/nobody", {"display_name": "x"}, {"admin"}),
    ("POST", "/api/v1/users/{username}/unlock", "/api/v1/users/nobody/unlock", None, {"admin"}),
    ("POST", "/api/v1/auth/totp/setup", "/api/v1/auth/totp/setup", None, ALL),
    ("POST", "/api/v1/auth/totp/enable", "/api/v1/auth/totp/enable", {"code": "123456"}, ALL),
    ("POST", "/api/v1/auth/totp/disable", "/api/v1/auth/totp/disable", {"code": "123456"}, ALL),
    ("PATCH", "/api/v1/auth/me", "/api/v1/auth/me", {"language": "en"}, ALL),
    # Saving a list as a file: any signed-in user, of the rows they were shown.
    ("POST", "/api/v1/exports", "/api/v1/exports", {"name": "items", "title": "Items", "format": "csv", "columns": [{"title": "SKU"}],
                                                     "rows": [["PEN"]]}, ALL),
    ("POST", "/api/v1/import/{kind}", "/api/v1/import/items?dry_run=true", None, {"admin"}),
    # Notifications (one's own) and scheduled jobs
    ("POST", "/api/v1/notifications/{notification_id}/read", "/api/v1/notifications/1/read", None, ALL),
    ("POST", "/api/v1/notifications/read-all", "/api/v1/notifications/read-all", None, ALL),
    ("POST", "/api/v1/jobs/{name}/run", "/api/v1/jobs/stocktake_reminders/run", {}, {"admin"}),
    # Purchasing, price lists and payments
    # Each kind of price list has its own writers: finance edits neither, sales no purchase list, purchasers no sales list.
    ("POST", "/api/v1/price-lists", "/api/v1/price-lists", {"code": "SPL1", "kind": "sales"}, SALES_PRICE_LISTS),
    ("POST", "/api/v1/price-lists", "/api/v1/price-lists", {"code": "PPL1", "kind": "purchase"}, PURCHASE_PRICE_LISTS),
    ("PUT", "/api/v1/price-lists/{code}/prices", "/api/v1/price-lists/SPL1/prices", {"prices": []}, SALES_PRICE_LISTS),
    ("PUT", "/api/v1/price-lists/{code}/prices", "/api/v1/price-lists/PPL1/prices", {"prices": []}, PURCHASE_PRICE_LISTS),
    ("PUT", "/api/v1/price-lists/{code}/prices", "/api/v1/price-lists/PL0/prices", {"prices": []}, SALES_PRICE_LISTS | PURCHASE_PRICE_LISTS),
    ("POST", "/api/v1/requisitions", "/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1"}]}, REQUEST),
    ("POST", "/api/v1/requisitions/{number}/cancel", "/api/v1/requisitions/REQ-0/cancel", {}, REQUEST),
    ("PATCH", "/api/v1/requisitions/{number}", "/api/v1/requisitions/REQ-0", {"version": 1, "note": "x"}, REQUEST),
    ("POST", "/api/v1/requisitions/{number}/order", "/api/v1/requisitions/REQ-0/order", {}, BUY),
    ("POST", "/api/v1/requisitions/{number}/approve", "/api/v1/requisitions/REQ-0/approve", {"version": 1}, APPROVE),
    ("POST", "/api/v1/requisitions/{number}/reject", "/api/v1/requisitions/REQ-0/reject", {"version": 1, "comment": "no"}, APPROVE),
    ("PUT", "/api/v1/reorder-rules", "/api/v1/reorder-rules",
     {"sku": "PEN", "warehouse": "WH1", "min_qty": "1", "reorder_qty": "1", "supplier": "NOBODY"}, BUY),
    ("POST", "/api/v1/reorder-rules/check", "/api/v1/reorder-rules/check", None, REQUEST),
    # Purchase plans: made, changed, converted and discarded by the buyers (read by those who approve what they buy too).
    ("POST", "/api/v1/purchase-plans", "/api/v1/purchase-plans", {"warehouse": "WH1"}, BUY),
    ("PATCH", "/api/v1/purchase-plans/{number}", "/api/v1/purchase-plans/PP-0", {"version": 1}, BUY),
    ("POST", "/api/v1/purchase-plans/{number}/convert", "/api/v1/purchase-plans/PP-0/convert", {}, BUY),
    ("POST", "/api/v1/purchase-plans/{number}/discard", "/api/v1/purchase-plans/PP-0/discard", {}, BUY),
    ("PUT", "/api/v1/approval-rules", "/api/v1/approval-rules", {"kind": "transfer_order", "rules": [{"above": "0", "levels": ["approver"]}]},
     {"admin"}),
    ("POST", "/api/v1/purchase-orders", "/api/v1/purchase-orders", {"supplier": "NOBODY", "warehouse": "WH1"}, BUY),
    ("PATCH", "/api/v1/purchase-orders/{number}", "/api/v1/purchase-orders/PO-0", {"version": 1}, BUY),
    ("POST", "/api/v1/purchase-orders/{number}/submit", "/api/v1/purchase-orders/PO-0/submit", {}, BUY),
    ("POST", "/api/v1/purchase-orders/{number}/approve", "/api/v1/purchase-orders/PO-0/approve", {"version": 1}, APPROVE),
    ("POST", "/api/v1/purchase-orders/{number}/reject", "/api/v1/purchase-orders/PO-0/reject", {"version": 1, "comment": "no"}, APPROVE),
    ("POST", "/api/v1/purchase-orders/{number}/withdraw", "/api/v1/purchase-orders/PO-0/withdraw", {}, BUY),
    ("POST", "/api/v1/purchase-orders/{number}/revise", "/api/v1/purchase-orders/PO-0/revise", {}, BUY),
    ("POST", "/api/v1/purchase-orders/{number}/cancel", "/api/v1/purchase-orders/PO-0/cancel", {}, BUY),
    ("POST", "/api/v1/purchase-orders/{number}/close", "/api/v1/purchase-orders/PO-0/close", {}, BUY),
    ("POST", "/api/v1/receipts", "/api/v1/receipts", {"po": "PO-0"}, RECEIVE),
    ("POST", "/api/v1/receipts/{number}/lines", "/api/v1/receipts/GRN-0/lines", {"sku": "PEN", "qty": "1"}, RECEIVE),
    ("POST", "/api/v1/receipts/{number}/lines/batch", "/api/v1/receipts/GRN-0/lines/batch", {"lines": [{"sku": "PEN", "qty": "1"}]}, RECEIVE),
    ("POST", "/api/v1/receipts/{number}/complete", "/api/v1/receipts/GRN-0/complete", None, RECEIVE),
    ("POST", "/api/v1/receipts/{number}/lines/{line}/inspect", "/api/v1/receipts/GRN-0/lines/1/inspect", {"accepted": "1"}, RECEIVE),
    ("POST", "/api/v1/putaway-tasks/{task_id}/confirm", "/api/v1/putaway-tasks/1/confirm", {"location": "B1"}, RECEIVE),
    ("POST", "/api/v1/bills", "/api/v1/bills", {"po": "PO-0", "lines": [{"line": 1, "qty": "1", "unit_price": "1"}]}, BILL),
    ("PATCH", "/api/v1/bills/{number}", "/api/v1/bills/BILL-0", {"version": 1}, BILL),
    ("POST", "/api/v1/bills/{number}/post", "/api/v1/bills/BILL-0/post", {}, BILL),
    ("POST", "/api/v1/bills/{number}/cancel", "/api/v1/bills/BILL-0/cancel", None, BILL),
    ("POST", "/api/v1/purchase-returns", "/api/v1/purchase-returns", {"po": "PO-0", "lines": [{"line": 1, "qty": "1", "location": "QC"}]}, BUY),
    ("PATCH", "/api/v1/purchase-returns/{number}", "/api/v1/purchase-returns/PRT-0", {"note": "x"}, BUY),
    ("POST", "/api/v1/purchase-returns/{number}/ship", "/api/v1/purchase-returns/PRT-0/ship", {"version": 1}, RECEIVE),
    ("POST", "/api/v1/purchase-returns/{number}/cancel", "/api/v1/purchase-returns/PRT-0/cancel", {"version": 1}, BUY),
    ("POST", "/api/v1/payments", "/api/v1/payments", {"kind": "supplier", "partner": "NOBODY", "amount": "1"}, BILL),
    ("PUT", "/api/v1/exchange-rates", "/api/v1/exchange-rates", {"currency": "USD", "on": "2026-01-01", "rate": "7"}, BILL),
    ("POST", "/api/v1/periods/{month}/close", "/api/v1/periods/2026-01/close", {}, BILL),
    ("POST", "/api/v1/periods/{month}/reopen", "/api/v1/periods/2026-01/reopen", {"reason": "a bill was missed"}, {"admin", "director"}),
    ("POST", "/api/v1/payments/{number}/allocate", "/api/v1/payments/PAY-0/allocate", {"allocations": [{"document": "BILL-0", "amount": "1"}]}, BILL),
    ("POST", "/api/v1/transfers", "/api/v1/transfers", {"from_warehouse": "WH1", "to_warehouse": "WH2", "lines": [{"sku": "PEN", "qty": "1"}]},
     {"admin", "warehouse", "purchaser"}),
    ("PATCH", "/api/v1/transfers/{number}", "/api/v1/transfers/TO-0", {"note": "x"}, {"admin", "warehouse", "purchaser"}),
    ("POST", "/api/v1/transfers/{number}/submit", "/api/v1/transfers/TO-0/submit", {"version": 1}, {"admin", "warehouse", "purchaser"}),
    ("POST", "/api/v1/transfers/{number}/revise", "/api/v1/transfers/TO-0/revise", {"version": 1}, {"admin", "warehouse", "purchaser"}),
    ("POST", "/api/v1/transfers/{number}/cancel", "/api/v1/transfers/TO-0/cancel", {"version": 1}, {"admin", "warehouse", "purchaser"}),
    ("POST", "/api/v1/transfers/{number}/approve", "/api/v1/transfers/TO-0/approve", {"version": 1}, APPROVE),
    ("POST", "/api/v1/transfers/{number}/reject", "/api/v1/transfers/TO-0/reject", {"version": 1}, APPROVE),
    ("POST", "/api/v1/transfers/{number}/ship", "/api/v1/transfers/TO-0/ship", {"version": 1, "lines": [{"line": 1, "qty": "1", "location": "B1"}]},
     RECEIVE),
    ("POST", "/api/v1/transfers/{number}/receive", "/api/v1/transfers/TO-0/receive",
     {"version": 1, "lines": [{"line": 1, "qty": "1", "location": "W2-B1"}]}, RECEIVE),
    ("POST", "/api/v1/bills/{number}/apply", "/api/v1/bills/DN-0/apply", {"bill": "BILL-0"}, BILL),
    ("POST", "/api/v1/invoices/{number}/apply", "/api/v1/invoices/CN-0/apply", {"invoice": "INV-0"}, BILL),
    # Sales
    ("POST", "/api/v1/quotes", "/api/v1/quotes", {"customer": "NOBODY", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1"}]}, SELL),
    ("POST", "/api/v1/quotes/{number}/send", "/api/v1/quotes/QT-0/send", {}, SELL),
    ("POST", "/api/v1/quotes/{number}/accept", "/api/v1/quotes/QT-0/accept", {}, SELL),
    ("POST", "/api/v1/quotes/{number}/cancel", "/api/v1/quotes/QT-0/cancel", None, SELL),
    ("POST", "/api/v1/sales-orders", "/api/v1/sales-orders", {"customer": "NOBODY", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1"}]}, SELL),
    ("PATCH", "/api/v1/sales-orders/{number}", "/api/v1/sales-orders/SO-0", {"version": 1}, SELL),
    ("POST", "/api/v1/sales-orders/{number}/confirm", "/api/v1/sales-orders/SO-0/confirm", {}, SELL),
    ("POST", "/api/v1/sales-orders/{number}/credit-release", "/api/v1/sales-orders/SO-0/credit-release", {"version": 1, "reason": "x"}, CREDIT),
    ("POST", "/api/v1/sales-orders/{number}/cancel", "/api/v1/sales-orders/SO-0/cancel", {}, SELL),
    ("POST", "/api/v1/sales-orders/{number}/pack", "/api/v1/sales-orders/SO-0/pack", {"packages": [{"lines": [{"line": 1, "qty": "1"}]}]}, FULFIL),
    ("POST", "/api/v1/sales-orders/{number}/ship", "/api/v1/sales-orders/SO-0/ship", None, FULFIL),
    ("POST", "/api/v1/sales-orders/{number}/invoice", "/api/v1/sales-orders/SO-0/invoice", {}, BILL),
    # Sales contracts: sales writes them, and a director (their manager) may too.
    ("POST", "/api/v1/sales-contracts", "/api/v1/sales-contracts",
     {"customer": "NOBODY", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "lines": [{"sku": "PEN", "unit_price": "1"}]}, CONTRACTS),
    ("PATCH", "/api/v1/sales-contracts/{number}", "/api/v1/sales-contracts/SC-0", {"version": 1}, CONTRACTS),
    ("POST", "/api/v1/sales-contracts/{number}/activate", "/api/v1/sales-contracts/SC-0/activate", {}, CONTRACTS),
    ("POST", "/api/v1/sales-contracts/{number}/close", "/api/v1/sales-contracts/SC-0/close", {}, CONTRACTS),
    ("POST", "/api/v1/sales-contracts/{number}/cancel", "/api/v1/sales-contracts/SC-0/cancel", {}, CONTRACTS),
    # After-sales service tickets: kept by sales (the warehouse receives their returns through the return's own route).
    ("POST", "/api/v1/service-tickets", "/api/v1/service-tickets", {"customer": "NOBODY", "serial": "SN-0", "problem": "x"}, SELL),
    ("PATCH", "/api/v1/service-tickets/{number}", "/api/v1/service-tickets/SV-0", {"version": 1}, SELL),
    *[("POST", f"/api/v1/service-tickets/{{number}}/{door}", f"/api/v1/service-tickets/SV-0/{door}", {}, SELL)
      for door in ("start", "create-return", "replace", "refund", "resolve", "reopen", "close", "cancel")],
    ("POST", "/api/v1/service-tickets/{number}/notes", "/api/v1/service-tickets/SV-0/notes", {"text": "x"}, SELL),
    ("POST", "/api/v1/waves", "/api/v1/waves", {"warehouse": "WH1", "orders": ["SO-0"]}, FULFIL),
    ("POST", "/api/v1/pick-tasks/{task_id}/confirm", "/api/v1/pick-tasks/1/confirm", {"qty": "1"}, FULFIL),
    ("POST", "/api/v1/invoices/{number}/post", "/api/v1/invoices/INV-0/post", None, BILL),
    ("POST", "/api/v1/invoices/{number}/cancel", "/api/v1/invoices/INV-0/cancel", None, BILL),
    ("POST", "/api/v1/returns", "/api/v1/returns", {"order": "SO-0", "lines": [{"line": 1, "qty": "1"}]}, SELL),
    ("POST", "/api/v1/returns/{number}/receive", "/api/v1/returns/RMA-0/receive", None, FULFIL),
    ("POST", "/api/v1/returns/{number}/lines/{line}/dispose", "/api/v1/returns/RMA-0/lines/1/dispose", {"disposition": "scrap"}, FULFIL),
    # Stocktakes: counting is warehouse work; review, posting and cancelling need someone who sees the book and its costs
    ("POST", "/api/v1/counts", "/api/v1/counts", {"warehouse": "WH1"}, {"admin", "warehouse"}),
    ("POST", "/api/v1/counts/{number}/lines", "/api/v1/counts/CNT-0/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "1"}]},
     {"admin", "warehouse"}),
    ("POST", "/api/v1/counts/{number}/recount", "/api/v1/counts/CNT-0/recount", {"lines": [1]}, {"admin"}),
    ("POST", "/api/v1/counts/{number}/post", "/api/v1/counts/CNT-0/post", {}, {"admin"}),
    ("POST", "/api/v1/counts/{number}/cancel", "/api/v1/counts/CNT-0/cancel", {}, {"admin"}),
    # Sync: anyone signed in may push; each operation checks its own permission.
    ("POST", "/api/v1/sync/push", "/api/v1/sync/push", {"client_id": "matrix-client", "device_time": "2026-11-26T00:00:00Z", "schema_version": 1,
                                                         "ops": []}, ALL),
    # Devices: only an administrator revokes or restores one (device 1 is a scanner's, registered before the matrix runs:
    # revoking the device a role's own session syncs from would end that session).
    ("POST", "/api/v1/devices/{device}/revoke", "/api/v1/devices/1/revoke", None, {"admin"}),
    ("POST", "/api/v1/devices/{device}/restore", "/api/v1/devices/1/restore", None, {"admin"}),
    # Labels: printing a batch (as a PDF here: no printer named); printers are settings, kept by an administrator.
    ("POST", "/api/v1/labels/print", "/api/v1/labels/print", {"kind": "location", "codes": ["B1"]}, {"admin", "purchaser", "warehouse", "sales"}),
    ("POST", "/api/v1/printers", "/api/v1/printers", {"warehouse": "WH1", "name": "Matrix", "host": "127.0.0.1"}, {"admin"}),
    ("PATCH", "/api/v1/printers/{printer_id}", "/api/v1/printers/1", {"active": False}, {"admin"}),
    ("POST", "/api/v1/printers/{printer_id}/test", "/api/v1/printers/999/test", None, {"admin", "purchaser", "warehouse", "sales"}),
    # E-mailing a document: whoever may print it as the partner reads it (with prices; a statement: who reads the books).
    ("POST", "/api/v1/documents/{kind}/{number}/email", "/api/v1/documents/purchase_order/PO-0/email", {"to": ["a@example.com"]}, PRICES),
    ("POST", "/api/v1/documents/{kind}/{number}/email", "/api/v1/documents/invoice/INV-0/email", {"to": ["a@example.com"]}, PRICES),
    ("POST", "/api/v1/documents/{kind}/{number}/email", "/api/v1/documents/statement/NOBODY/email", {"to": ["a@example.com"]},
     {"admin", "finance", "director"}),
    # Orders from online shops: taken by a salesperson's account (an integration signs in as one).
    ("POST", "/api/v1/shop-orders", "/api/v1/shop-orders", {"shop": "TMALL", "order_id": "T1", "customer": "NOBODY", "warehouse": "WH1",
                                                             "lines": [{"sku": "PEN", "qty": "1", "unit_price": "3"}]}, {"admin", "sales"}),
    # Webhooks: where the company's events go, an administrator's setting. (Webhook 999 does not exist: the role is refused first.)
    ("POST", "/api/v1/webhooks", "/api/v1/webhooks", {"url": "https://203.0.113.9/hook", "event_types": ["*"]}, {"admin"}),
    ("PATCH", "/api/v1/webhooks/{webhook_id}", "/api/v1/webhooks/999", {"active": False}, {"admin"}),
    ("DELETE", "/api/v1/webhooks/{webhook_id}", "/api/v1/webhooks/999", None, {"admin"}),
    ("POST", "/api/v1/webhooks/{webhook_id}/secret", "/api/v1/webhooks/999/secret", None, {"admin"}),
    ("POST", "/api/v1/webhooks/{webhook_id}/ping", "/api/v1/webhooks/999/ping", None, {"admin"}),
    ("POST", "/api/v1/webhooks/{webhook_id}/replay", "/api/v1/webhooks/999/replay", {"dead": True}, {"admin"}),
    ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay", "/api/v1/webhooks/999/deliveries/1/replay", None, {"admin"}),
    # Signing out ends the sessions the rows above use: keep it last.
    ("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", None, ALL),
]
PUBLIC_WRITES = {("POST", "/api/v1/auth/login")}
RESTRICTED_READS = [
    ("/api/v1/users", {"admin"}),
    ("/api/v1/users/admin0", {"admin"}),
    ("/api/v1/audit", {"admin", "finance"}),
    ("/api/v1/jobs", {"admin"}),
    ("/api/v1/webhooks", {"admin"}),
    ("/api/v1/webhooks/event-types", {"admin"}),
    ("/api/v1/bills", {"admin", "purchaser", "approver", "director", "sales", "finance"}),
    ("/api/v1/payments", {"admin", "finance", "director"}),
    ("/api/v1/price-lists/PL0", PRICES),
    ("/api/v1/quotes", PRICES),
    ("/api/v1/sales-contracts", PRICES),
    ("/api/v1/invoices", PRICES),
    ("/api/v1/customers/NOBODY/credit", PRICES),
    ("/api/v1/purchase-plans", {"admin", "purchaser", "approver", "director"}),
    ("/api/v1/forecasts?sku=PEN&warehouse=WH1", {"admin", "purchaser", "approver", "director"}),
]


def _template(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path).rstrip("/") or "/"


def test_the_matrix_lists_every_write_endpoint(app):
    routes = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method in route.methods & WRITE_METHODS:
                routes.add((method, _template(route.path)))
    assert routes - PUBLIC_WRITES == {(m, t) for m, t, *_ in MATRIX}


@pytest.mark.parametrize("method,template,path,body,allowed", MATRIX, ids=[f"{m} {t}" for m, t, *_ in MATRIX])
def test_write_endpoints_refuse_anonymous_requests(client, world, method, template, path, body, allowed):
    response = client.request(method, path, json=body)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "not_authenticated"


def test_every_role_is_refused_what_it_must_not_do_and_let_through_what_it_may(client, world, as_role):
    add_user(world, "scanner", ["warehouse"])
    scanner = Api(client, sign_in(client, "scanner"))
    scanner.post("/api/v1/sync/push", {"client_id": "matrix-scanner", "device_time": "2026-11-26T00:00:00Z", "schema_version": 1, "ops": []})
    refused, let_through = [], []
    headers = {role: as_role(role) for role in ROLES}
    for method, _template_path, path, body, allowed in MATRIX:
        for role in ROLES:
            response = client.request(method, path, json=body, headers=headers[role])
            if role in allowed:
                assert response.status_code not in (401, 403), (method, path, role, response.text)
                let_through.append((method, path, role))
            else:
                assert response.status_code == 403, (method, path, role, response.text)
                assert response.json()["error"] in ("forbidden", "warehouse_not_allowed"), response.text
                refused.append((method, path, role))
    assert refused and let_through


def test_admin_only_reads_are_refused_to_other_roles(client, world, as_role):
    for path, allowed in RESTRICTED_READS:
        for role in ROLES:
            status = client.get(path, headers=as_role(role)).status_code
            assert (status != 403) if role in allowed else (status == 403), (path, role, status)


# Field visibility: costs and prices appear exactly for the roles whose permission covers them ------------------------

COSTS = {"admin", "finance", "purchaser", "director"}
COST_FIELDS = ("unit_cost", "value")
PRICE_FIELDS = ("unit_price", "net", "subtotal", "tax", "total")
FIGURES = {"unit_cost", "value", "average_cost", "cost", "unit_price", "price", "net", "subtotal", "tax", "total", "amount"}


def _shown(document: dict, fields: tuple[str, ...]) -> bool:
    """Whether the document (and each of its lines) shows these fields: all with a figure, or all null."""
    parts = [document, *document.get("lines", [])]
    values = [part[f] for part in parts for f in fields if f in part]
    assert values, (fields, document)
    assert all(v is None for v in values) or all(v is not None for v in values), document
    return values[0] is not None


def _figures_in(value: object) -> set[str]:
    """Cost and price keys anywhere in a JSON answer that carry a figure."""
    if isinstance(value, dict):
        return {k for k, v in value.items() if k in FIGURES and isinstance(v, str)} | {k for v in value.values() for k in _figures_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in _figures_in(v)}
    return set()


def test_costs_and_prices_appear_exactly_for_the_roles_that_may_see_them(client, world, as_role):
    admin, sales, worker = Api(client, as_role("admin")), Api(client, as_role("sales")), Api(client, as_role("warehouse"))
    supplier_and_dock(admin)
    customer_and_areas(admin)
    received = worker.post("/api/v1/stock/moves", {"sku": "PEN", "qty": "20", "from": "SUPPLIER", "to": "B1", "unit_cost": "2.5"}, expect=201)
    assert received["unit_cost"] is None and received["value"] is None  # the warehouse posts the move, and is not told its cost
    assert admin.post("/api/v1/stock/moves", {"sku": "PEN", "qty": "1", "from": "B1", "to": "B2"}, expect=201)["unit_cost"] == "2.5"
    po = Api(client, as_role("purchaser")).post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1",
                                                                              "lines": [{"sku": "PEN", "qty": "10", "unit_price": "3"}]}, expect=201)
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "2", "unit_price": "9"}]},
                       expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    delivery = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "3", "unit_price": "9"}]},
                          expect=201)
    sales.post(f"/api/v1/sales-orders/{delivery['number']}/confirm", {"version": delivery["version"]})
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [delivery["number"]]}, expect=201)
    worker.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": "3"})
    shipped = worker.post(f"/api/v1/sales-orders/{delivery['number']}/ship")
    assert not _shown(shipped, PRICE_FIELDS)  # the shipping answer is the warehouse's too
    move_id = received["id"]

    seen: dict[str, set[str]] = {}
    for role in ROLES:
        api = Api(client, as_role(role))
        shows: set[str] = set()
        if _shown(api.get(f"/api/v1/stock/moves/{move_id}"), COST_FIELDS):
            shows.add("move")
        ledger = api.get("/api/v1/stock/moves", sku="PEN")["items"]
        assert {_shown(m, COST_FIELDS) for m in ledger} == {"move" in shows}, (role, ledger)
        assert not _figures_in(api.get("/api/v1/stock/balances", sku="PEN")), role  # balances are quantities
        if _shown(api.get(f"/api/v1/purchase-orders/{po['number']}"), PRICE_FIELDS):
            shows.add("po")
        if _shown(api.get(f"/api/v1/sales-orders/{order['number']}"), PRICE_FIELDS):
            shows.add("so")
        assert {_shown(o, PRICE_FIELDS) for o in api.get("/api/v1/sales-orders")["items"]} == {"so" in shows}, role
        if _shown(api.get(f"/api/v1/sales-orders/{delivery['number']}"), PRICE_FIELDS):
            shows.add("delivery")
        columns = {c["key"] for c in api.get("/api/v1/reports/stock_balance")["columns"]}
        if {"unit_cost", "value"} <= columns:
            shows.add("report")
        header = client.get("/api/v1/reports/stock_balance", headers=api.headers, params={"format": "csv", "lang": "en"}).text.splitlines()[0]
        if "Value" in header:
            shows.add("export")
        assert not _figures_in(api.get("/api/v1/sync/pull", scope="wh:WH1")), role  # the feed carries quantities only
        seen[role] = shows

    # One move, watched by a socket of every role at once.
    messages: dict[str, dict] = {}
    with ExitStack() as stack:
        sockets = {role: stack.enter_context(client.websocket_connect("/api/v1/sync/ws", headers=as_role(role))) for role in ROLES}
        for socket in sockets.values():
            assert socket.receive_json(timeout=10)["type"] == "ready"
            socket.send_json({"type": "subscribe", "scopes": ["wh:WH1"], "items": ["PEN"]})
            while socket.receive_json(timeout=10)["type"] != "subscribed":
                pass
        admin.post("/api/v1/stock/moves", {"sku": "PEN", "qty": "1", "from": "B2", "to": "B3"}, expect=201)
        for role, socket in sockets.items():
            while (message := socket.receive_json(timeout=10))["type"] != "stock":
                pass
            messages[role] = message
    for role, message in messages.items():
        assert message["sku"] == "PEN" and not _figures_in(message), (role, message)

    for role in ROLES:
        costs = {"move", "report", "export"} if role in COSTS else set()
        prices = {"po", "so", "delivery"} if role in PRICES else set()
        assert seen[role] == costs | prices, role


def test_an_action_on_a_documents_authority_lends_only_the_permission_it_implies_not_the_whole_role():
    from server.auth.permissions import Actor

    salesperson = Actor(user_id=7, username="li", roles=frozenset({"sales"}))
    shipping = salesperson.granted("stock.move")
    assert shipping.can("stock.move") and shipping.roles == {"sales"}
    # The warehouse role also reverses moves and maintains lots: a shipment lends none of that.
    assert not shipping.can("stock.reverse") and not shipping.can("lots.write")
    assert shipping.granted("stock.move") is shipping and salesperson.granted("stock.reserve") is salesperson  # held already
    with pytest.raises(ValueError, match="unknown permissions"):
        salesperson.granted("stock.teleport")
