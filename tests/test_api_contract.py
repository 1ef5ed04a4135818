"""The API's contract: readable, unique operation ids, and one enumerated list of error codes that every code the
server can answer with belongs to."""

from __future__ import annotations

import ast
import re
from pathlib import Path

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
