"""The API's contract: readable, unique operation ids, a description of every operation, one enumerated list of error
codes that every code the server can answer with belongs to, and the defaults every route takes from server.api."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from litestar.handlers import HTTPRouteHandler
from litestar.utils import is_async_callable

from server.api import ERRORS, get, post
from server.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parent.parent


def test_every_operation_has_a_readable_unique_id(app):
    schema = app.openapi_schema.to_schema()
    ids = {(method.upper(), path): op["operationId"] for path, item in schema["paths"].items()
           for method, op in item.items() if isinstance(op, dict) and "operationId" in op}
    assert len(ids) > 150 and len(set(ids.values())) == len(ids)
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", name) for name in ids.values()), sorted(ids.values())
    assert ids[("POST", "/api/v1/stock/moves")] == "postMove"
    assert ids[("POST", "/api/v1/purchase-orders/{number}/approve")] == "approvePurchaseOrder"
    assert ids[("POST", "/api/v1/sales-orders/{number}/cancel")] == "cancelSalesOrder"
    assert ids[("GET", "/api/v1/health")] == "health" and ids[("GET", "/health")] == "healthAtRoot"


def test_every_operation_says_what_it_does(app):
    schema = app.openapi_schema.to_schema()
    operations = {(method.upper(), path): op for path, item in schema["paths"].items()
                  for method, op in item.items() if isinstance(op, dict) and "operationId" in op}
    assert len(operations) > 150
    assert sorted(key for key, op in operations.items() if not (op.get("description") or "").strip()) == []
    assert operations[("POST", "/api/v1/stock/moves")]["description"].startswith("Moves stock of an item")  # the handler's docstring


ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "head", "route"}


def test_every_route_takes_its_defaults_from_one_place():
    """server.api's decorators give every route sync_to_thread and the error responses: no route passes them itself, and
    none is declared with Litestar's own decorators, which would leave them out."""
    decorators = 0
    repeated: list[str] = []
    direct: list[str] = []
    for path in sorted(p for folder in ("server", "sync") for p in (ROOT / folder).rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("litestar") and name != "server/api.py":
                direct += [f"{name}:{node.lineno} imports {alias.name} from {node.module}" for alias in node.names if alias.name in ROUTE_DECORATORS]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ROUTE_DECORATORS:
                if isinstance(node.func.value, ast.Name) and node.func.value.id == "litestar" and name != "server/api.py":
                    direct.append(f"{name}:{node.lineno} calls litestar.{node.func.attr}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ROUTE_DECORATORS:
                decorators += 1
                repeated += [
                    f"{name}:{node.lineno} passes {keyword.arg}="
                    for keyword in node.keywords
                    if keyword.arg == "sync_to_thread"
                    or (keyword.arg == "responses" and isinstance(keyword.value, ast.Name) and keyword.value.id == "ERRORS")
                ]
    assert decorators > 150, "the scan no longer finds the route decorators"
    assert repeated == []
    assert direct == []


def test_every_sync_handler_runs_on_a_worker_thread(app):
    """A sync handler waits on the database; on the event loop it would stall every other request meanwhile. Once the app is
    built, Litestar has wrapped each such handler to run in a thread (`fn.func` is the function declared) and no longer counts
    it as a sync callable to call on the loop."""
    ours = [
        handler for route in app.routes for handler in getattr(route, "route_handlers", ())
        if isinstance(handler, HTTPRouteHandler) and getattr(handler.fn, "func", handler.fn).__module__.startswith(("server.", "sync."))
    ]
    sync = [h for h in ours if not is_async_callable(getattr(h.fn, "func", h.fn))]
    assert len(sync) > 150 and len(sync) < len(ours)  # the probes are async
    assert sorted(h.handler_name for h in sync if h.sync_to_thread is not True or h.has_sync_callable) == []
    assert sorted(h.handler_name for h in ours if h not in sync and h.sync_to_thread is not None) == []  # meaningless for async


def test_a_route_keeps_what_it_says_and_takes_the_rest_from_the_defaults():
    def counted() -> None:
        """Counted."""

    async def probed() -> None:
        """Probed."""

    plain = get("/counted")(counted)
    assert plain.sync_to_thread is True and plain.responses == ERRORS
    own = {503: ERRORS[503]}
    explicit = post("/counted", status_code=200, responses=own, sync_to_thread=False)(counted)
    assert explicit.responses == own and explicit.sync_to_thread is False and explicit.status_code == 200
    awaited = get("/probed")(probed)
    assert awaited.sync_to_thread is None and awaited.responses == ERRORS


def test_the_error_schema_enumerates_every_code_and_an_error_answer_uses_one(app, client, admin):
    schema = app.openapi_schema.to_schema()
    assert schema["components"]["schemas"]["ErrorCode"]["enum"] == sorted(ERROR_CODES)
    answer = client.get("/api/v1/items/NO-SUCH-SKU", headers=admin)
    assert answer.status_code == 404 and answer.json()["error"] in ERROR_CODES


def test_every_error_code_the_source_raises_is_in_the_one_list():
    raised = _codes_in_source()
    assert len(raised) > 150, "the scan no longer finds the codes"
    assert list(ERROR_CODES) == sorted(set(ERROR_CODES))  # one of each, in order: easy to find one
    assert sorted(raised - set(ERROR_CODES)) == []
    assert sorted(set(ERROR_CODES) - raised) == []  # none listed that nothing raises


def _codes_in_source() -> set[str]:
    """Codes given to an error (a class's `code`, a `code=` argument of an error or of a call made like one, `_error("…")`)
    anywhere in server/, sync/, labels/."""
    trees = [ast.parse(path.read_text()) for folder in ("server", "sync", "labels") for path in (ROOT / folder).rglob("*.py")]
    bases: dict[str, list[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases]
    errors = {"CangkuError", "PrinterError"}
    while True:
        more = {name for name, parents in bases.items() if name not in errors and any(parent in errors for parent in parents)}
        if not more:
            break
        errors |= more
    codes: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in errors:
                for statement in node.body:
                    if (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                            and any(isinstance(target, ast.Name) and target.id == "code" for target in statement.targets)):
                        codes.add(statement.value.value)
            elif isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else ""
                # An error's class, or any call made the way errors are (`error(en, zh, code=…)`, the class passed in).
                messages = len(node.args) >= 2 and all(isinstance(arg, ast.Constant | ast.JoinedStr) for arg in node.args[:2])
                if name in errors or messages:
                    codes |= {kw.value.value for kw in node.keywords if kw.arg == "code" and isinstance(kw.value, ast.Constant)}
                elif name == "_error" and node.args and isinstance(node.args[0], ast.Constant):
                    codes.add(node.args[0].value)
    return codes
