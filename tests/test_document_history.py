"""A document's history (GET /api/v1/history/{kind}/{number}): who did what to it and when, read from the audit log by
whoever may read the document, with the entries' details (amounts among them) only for those who may read the log."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from server.audit.history import DETAILS, KINDS, said
from server.auth.permissions import ROLES
from server.auth.visibility import guards_money
from tests.helpers import post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = {kind.target_type for kind in KINDS.values()}

# Each kind's own page: its history answers as this route does.
PAGES = {
    "requisition": "/api/v1/requisitions", "po": "/api/v1/purchase-orders", "receipt": "/api/v1/receipts", "bill": "/api/v1/bills",
    "purchase_return": "/api/v1/purchase-returns", "quote": "/api/v1/quotes", "so": "/api/v1/sales-orders", "invoice": "/api/v1/invoices",
    "return": "/api/v1/returns", "payment": "/api/v1/payments", "stocktake": "/api/v1/counts", "transfer": "/api/v1/transfers", "wave": "/api/v1/waves",
    "sales_contract": "/api/v1/sales-contracts", "purchase_plan": "/api/v1/purchase-plans",
    "service_ticket": "/api/v1/service-tickets",
}


def _told(entries: list[dict]) -> list[tuple[str, str, str, str]]:
    return [(e["user"], e["action"], e["said_en"], e["said_zh"]) for e in entries]


def _purchase_order(purchaser: Api, qty: str = "10") -> dict:
    return purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": qty, "unit_price": "2"}]},
                          expect=201)


def test_a_purchase_orders_history_names_who_created_submitted_and_approved_it_in_order(client, world, as_role):
    admin, purchaser, approver = (Api(client, as_role(r)) for r in ("admin", "purchaser", "approver"))
    supplier_and_dock(admin)
    po = _purchase_order(purchaser)
    other = _purchase_order(purchaser, "3")  # its entries are its own history, not this one's
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    purchaser.post(f"/api/v1/purchase-orders/{other['number']}/submit", {"version": other["version"]})
    approver.post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"], "comment": "好 fine"})

    history = purchaser.get(f"/api/v1/history/po/{po['number']}")
    assert history["total"] == 3
    assert _told(history["items"]) == [
        ("purchaser1", "po.create", "create", "创建"),
        ("purchaser1", "po.submit", "submit for approval", "提交审批"),
        ("approver2", "po.approve", "approve", "审批通过"),
    ]
    times = [e["at"] for e in history["items"]]
    assert times == sorted(times) and all(t.endswith("Z") or "+00:00" in t for t in times)
    assert all(e["details"] is None for e in history["items"])  # a purchaser may not read the audit log

    seen_by_admin = admin.get(f"/api/v1/history/po/{po['number']}")["items"]
    assert seen_by_admin[0]["details"]["total"] == "22.6" and seen_by_admin[2]["details"]["comment"] == "好 fine"
    assert [e["action"] for e in admin.get(f"/api/v1/history/po/{other['number']}")["items"]] == ["po.create", "po.submit"]


def test_a_warehouse_worker_sees_who_shipped_an_order_but_no_amounts_in_its_history(client, world, as_role):
    admin, sales, worker, finance = (Api(client, as_role(r)) for r in ("admin", "sales", "warehouse", "finance"))
    customer_and_areas(admin)
    post_move(client, worker.headers, "PEN", 4, "SUPPLIER", "B1", unit_cost="3")
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "4", "unit_price": "10"}]},
                       expect=201)
    number = order["number"]
    sales.post(f"/api/v1/sales-orders/{number}/confirm", {"version": order["version"]})
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [number]}, expect=201)
    worker.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": "4"})
    worker.post(f"/api/v1/sales-orders/{number}/ship")

    history = worker.get(f"/api/v1/history/so/{number}")
    assert _told(history["items"]) == [
        ("sales1", "so.create", "create", "创建"),
        ("sales1", "so.confirm", "confirm", "确认"),
        ("warehouse2", "so.ship", "ship", "发货"),
    ]
    assert all(e["details"] is None for e in history["items"])
    assert "45.2" not in client.get(f"/api/v1/history/so/{number}", headers=worker.headers).text  # the order's total, nowhere

    seen_by_finance = finance.get(f"/api/v1/history/so/{number}")["items"]
    assert [e["details"].get("total") for e in seen_by_finance] == ["45.2", "45.2", None]
    assert seen_by_finance[2]["details"]["lines"] == {"1": "4"}

    wave_history = worker.get(f"/api/v1/history/wave/{wave['number']}")["items"]
    assert _told(wave_history) == [("warehouse2", "wave.create", "create", "创建")]


def test_whoever_reads_a_historys_details_may_see_both_costs_and_prices():
    assert guards_money(DETAILS)  # the details may carry either: the permission that shows them must cover both


def test_history_of_a_document_the_user_may_not_read_is_refused(client, world, as_role):
    admin, sales, worker, finance, director = (Api(client, as_role(r)) for r in ("admin", "sales", "warehouse", "finance", "director"))
    customer_and_areas(admin)
    quote = sales.post("/api/v1/quotes", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "2", "unit_price": "10"}]},
                       expect=201)
    payment = finance.post("/api/v1/payments", {"kind": "customer", "partner": "CUS1", "amount": "5"}, expect=201)

    refused = worker.get(f"/api/v1/history/quote/{quote['number']}", expect=403)  # prices are not a warehouse worker's to see
    assert refused["details"]["permission"] == "prices.read"
    assert sales.get(f"/api/v1/history/payment/{payment['number']}", expect=403)["details"]["permission"] == "finance.read"
    assert worker.get(f"/api/v1/history/payment/{payment['number']}", expect=403)["error"] == "forbidden"
    # Refused the same whether the document exists or not: a refusal tells nothing of which numbers are taken.
    worker.get("/api/v1/history/quote/QUO-1999-00001", expect=403)

    assert _told(sales.get(f"/api/v1/history/quote/{quote['number']}")["items"]) == [("sales1", "quote.create", "create", "创建")]
    made = director.get(f"/api/v1/history/payment/{payment['number']}")["items"]  # finance.read without the audit log
    assert _told(made) == [("finance3", "payment.record", "record the payment", "登记收付款")] and made[0]["details"] is None


def test_the_history_of_a_document_that_does_not_exist_is_not_found(client, world, as_role):
    admin = Api(client, as_role("admin"))
    response = client.get("/api/v1/history/po/PO-1999-00001", headers={**admin.headers, "Accept-Language": "zh-CN"})
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert response.json()["message"] == "没有采购订单 PO-1999-00001。"


def test_history_answers_for_a_missing_document_as_the_documents_own_page_does_for_every_role(client, world, as_role):
    """The kind's permission is its page's: asked by each role for a document that is not there, both refuse (403) or
    both do not find it (404)."""
    for role in ROLES:
        headers = as_role(role)
        for kind, page in PAGES.items():
            own = client.get(f"{page}/NOPE-1", headers=headers).status_code
            told = client.get(f"/api/v1/history/{kind}/NOPE-1", headers=headers).status_code
            assert (kind, role, told) == (kind, role, own) and own in (403, 404)


def test_an_unknown_kind_of_document_is_not_found_and_the_answer_lists_the_kinds(client, world, as_role):
    headers = as_role("admin")
    english = client.get("/api/v1/history/putaway/1", headers=headers)
    assert english.status_code == 404 and english.json()["error"] == "unknown_kind"
    assert english.json()["details"]["kinds"] == list(PAGES)
    assert all(kind in english.json()["message"] for kind in PAGES) and "putaway" in english.json()["message"]
    chinese = client.get("/api/v1/history/putaway/1", headers={**headers, "Accept-Language": "zh-CN"}).json()["message"]
    assert "单据类型" in chinese and all(kind in chinese for kind in PAGES)
    assert client.get("/api/v1/history/po/PO-1").status_code == 401  # and nothing at all without signing in


def test_a_long_history_comes_in_pages_oldest_first(client, world, as_role):
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    supplier_and_dock(admin)
    po = _purchase_order(purchaser)
    for note in ("一", "二", "三"):
        po = purchaser.patch(f"/api/v1/purchase-orders/{po['number']}", {"version": po["version"], "note": note})
    everything = admin.get(f"/api/v1/history/po/{po['number']}")
    assert everything["total"] == 4 and [e["action"] for e in everything["items"]] == ["po.create", "po.update", "po.update", "po.update"]
    assert [e["said_en"] for e in everything["items"]] == ["create", "change", "change", "change"]
    page = admin.get(f"/api/v1/history/po/{po['number']}", limit=2, offset=1)
    assert page["total"] == 4 and page["items"] == everything["items"][1:3]


def test_a_stocktakes_history_says_who_started_it_and_who_entered_counts(client, world, as_role):
    admin, worker = Api(client, as_role("admin")), Api(client, as_role("warehouse"))
    post_move(client, worker.headers, "PEN", 10, "SUPPLIER", "B1", unit_cost="2")
    number = admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["Z1"]}, expect=201)["number"]
    worker.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "9"}]})
    assert _told(worker.get(f"/api/v1/history/stocktake/{number}")["items"]) == [
        ("admin0", "count.start", "start the count", "开始盘点"),
        ("warehouse1", "count.record", "record counts", "录入盘点数"),
    ]


# Every action has a name -------------------------------------------------------------------------


def _recorded_actions() -> dict[str, set[str]]:
    """Every action the code records on each kind of document, by target type, read from the source: `record(session, actor, "so.ship",
    "so", ...)`, and an f-string such as f"po.{action}" resolved through the literal values its function is called with."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted([*(ROOT / "server").rglob("*.py"), *(ROOT / "sync").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        for function in functions.values():
            for call in ast.walk(function):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "record" and len(call.args) >= 4):
                    continue
                action, target = call.args[2], call.args[3]
                if not (isinstance(target, ast.Constant) and target.value in DOCUMENTS):
                    continue
                if isinstance(action, ast.Constant):
                    found[target.value].add(action.value)
                elif isinstance(action, ast.JoinedStr):
                    found[target.value] |= _resolved(path, action, function, calls)
                else:
                    found[target.value].add(f"<{ast.unparse(action)} at {path.name}:{call.lineno}>")  # unresolved: named by the test's failure
    return found


def _resolved(path: Path, action: ast.JoinedStr, function: ast.FunctionDef, calls: list[ast.Call]) -> set[str]:
    """f"po.{action}" inside `function`: one action per literal value the module's calls pass as its `action`."""
    prefix, variable = action.values
    assert isinstance(prefix, ast.Constant) and isinstance(variable, ast.FormattedValue) and isinstance(variable.value, ast.Name), \
        f"{path.name}: {ast.unparse(action)} is not of the form f'kind.{{verb}}'"
    name = variable.value.id
    position = [a.arg for a in function.args.args].index(name)
    values = set()
    for call in calls:
        if isinstance(call.func, ast.Name) and call.func.id == function.name:
            given = next((k.value for k in call.keywords if k.arg == name), call.args[position] if len(call.args) > position else None)
            assert isinstance(given, ast.Constant), f"{path.name}:{call.lineno}: {function.name} called with a {name} the test cannot read"
            values.add(f"{prefix.value}{given.value}")
    assert values, f"{path.name}: {function.name} is never called"
    return values


def test_every_recorded_document_action_has_a_name_in_both_languages():
    recorded = _recorded_actions()
    assert set(recorded) == DOCUMENTS  # every kind is recorded under the name it is read by
    actions = sorted({action for target in DOCUMENTS for action in recorded[target]})
    assert {"po.withdraw", "po.close", "so.ship", "count.record", "payment.allocate", "receipt.line"} <= set(actions)
    unnamed = [action for action in actions if said(action) == (action, action)]
    assert unnamed == [], f"actions recorded on documents with no name in said(): {unnamed}"
    for action in actions:
        zh, en = said(action)
        assert zh.strip() and en.strip() and zh != en, action
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en.isascii(), (action, zh, en)
