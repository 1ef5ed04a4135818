"""A document's state changes only through `flows.transition`: the state tables are the one door, checked in the code."""

from __future__ import annotations

import ast
import re
import types
from pathlib import Path

import pytest

import server.models  # noqa: F401  (every model mapped)
from server.base import Base
from server.documents import flows
from server.errors import Conflict

ROOT = Path(__file__).resolve().parents[1]
DOOR = ROOT / "server" / "documents" / "flows.py"

# State that is not a document's: each kept by the one module that owns it, for the reason given.
NOT_DOCUMENTS = {
    ("stocktake_lines", "status"): "a counted line's progress (open, counted, recount), set with the count it belongs to",
    ("receipt_lines", "qc_status"): "an inspected line's verdict, set once by the inspection",
    ("payments", "status"): "a payment is posted when recorded; it has no later states",
    ("job_runs", "status"): "a scheduled job's run, not a business document",
    ("sync_ops", "status"): "an offline operation's outcome, recorded by the sync protocol",
    ("discrepancies", "status"): "a sync conflict's review, kept by the sync protocol",
    ("outbox_deliveries", "status"): "an event's delivery to one endpoint, kept by the outbox's dispatcher",
}
# Modules that set a `status` attribute of something that is no document (named in NOT_DOCUMENTS or not a table at all).
NOT_DOCUMENT_MODULES = {"server/jobs/services.py", "sync/client.py"}


def _sources() -> list[tuple[str, ast.Module]]:
    files = sorted(p for folder in ("server", "sync") for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts)
    return [(p.relative_to(ROOT).as_posix(), ast.parse(p.read_text(encoding="utf-8"))) for p in files if p != DOOR]


def _flowed_models() -> dict[str, flows.Flow]:
    return {m.class_.__name__: flows.FLOWS[m.local_table.name] for m in Base.registry.mappers if m.local_table.name in flows.FLOWS}


def _status_targets(node: ast.AST) -> list[ast.Attribute]:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    found = []
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Tuple | ast.List):
            targets.extend(target.elts)
        elif isinstance(target, ast.Attribute) and target.attr == "status":
            found.append(target)
    return found


def _literals(node: ast.expr) -> set[object] | None:
    """The values a state given when a document is made can take, when they are plain literals."""
    if isinstance(node, ast.Constant):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return None if body is None or orelse is None else body | orelse
    return None


def test_every_status_column_belongs_to_a_document_flow_or_is_named_as_no_document():
    columns = {
        (m.local_table.name, column.key) for m in Base.registry.mappers for column in m.columns if column.key == "status" or column.key.endswith("_status")
    }
    documents = {(table, "status") for table in flows.FLOWS}
    assert documents <= columns, "every flow is for a table with a status column"
    assert columns - documents == set(NOT_DOCUMENTS), "a new status column needs a flow in server/documents/flows.py"


def _written_behind_the_door(path: str, tree: ast.Module) -> list[str]:
    """Where a module writes a document's state without `transition`: setting `.status`, making a document in a state its
    flow does not start in, updating documents in bulk, or SQL that sets a document table's status."""
    models = _flowed_models()
    raw_update = re.compile(rf"\bupdate\s+({'|'.join(flows.FLOWS)})\b[^;]*\bstatus\b", re.I | re.S)
    wrong: list[str] = []
    for node in ast.walk(tree):
        for target in _status_targets(node):
            if path not in NOT_DOCUMENT_MODULES:
                wrong.append(f"{path}:{target.lineno} sets .status itself")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in models:
            flow = models[node.func.id]
            for keyword in node.keywords:
                if keyword.arg == "status" and not ((values := _literals(keyword.value)) and values <= flow.starts):
                    wrong.append(f"{path}:{node.lineno} makes a {node.func.id} in a state its flow does not start in")
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "update" and node.args
            and isinstance(node.args[0], ast.Name) and node.args[0].id in models
        ):
            wrong.append(f"{path}:{node.lineno} updates {node.args[0].id} rows in bulk (its state would bypass the door)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and raw_update.search(node.value):
            wrong.append(f"{path}:{node.lineno} writes a document state in SQL")
    return wrong


def test_no_code_but_the_door_writes_a_document_state():
    assert [found for path, tree in _sources() for found in _written_behind_the_door(path, tree)] == []


def test_the_check_finds_a_state_written_behind_the_doors_back():
    """The scan above is only worth something if it sees the ways round the door."""
    sneaky = ast.parse(
        "po.status = 'approved'\n"
        "task.status, task.version = 'done', 2\n"
        "PurchaseOrder(number='PO-1', status='approved')\n"
        "session.execute(update(SalesOrder).values(status='shipped'))\n"
        "cursor.execute('UPDATE invoices SET status = ? WHERE id = ?')\n"
    )
    assert sorted(_written_behind_the_door("server/x.py", sneaky)) == [
        "server/x.py:1 sets .status itself",
        "server/x.py:2 sets .status itself",
        "server/x.py:3 makes a PurchaseOrder in a state its flow does not start in",
        "server/x.py:4 updates SalesOrder rows in bulk (its state would bypass the door)",
        "server/x.py:5 writes a document state in SQL",
    ]


def test_every_flow_names_its_states_and_actions_and_offers_only_actions_it_has():
    for table, flow in flows.FLOWS.items():
        states = {s for moves in flow.transitions.values() for pair in moves.items() for s in pair}
        assert flow.starts <= states, table
        assert states <= set(flows.STATE_NAMES), (table, states - set(flows.STATE_NAMES))
        assert set(flow.transitions) <= set(flows.ACTION_NAMES), (table, set(flow.transitions) - set(flows.ACTION_NAMES))
        for door, (action, _permission) in flow.doors.items():
            assert action == "edit" or action in flow.transitions, (table, door)
        assert set(flow.editable) <= states, table


class _Doc(types.SimpleNamespace):
    __tablename__ = "purchase_orders"


def test_a_transition_checks_the_table_sets_the_state_and_makes_a_new_version():
    po = _Doc(number="PO-1", status="draft", version=3)
    assert flows.transition(po, "submit") == "pending" and (po.status, po.version) == ("pending", 4)
    assert flows.transition(po, "sign") == "pending" and po.version == 5  # one level of several: still pending, a new version
    flows.transition(po, "approve", new_version=False)
    assert (po.status, po.version) == ("approved", 5)
    with pytest.raises(Conflict) as refused:
        flows.transition(po, "submit")
    assert refused.value.code == "wrong_state" and "Purchase order PO-1 is approved" in refused.value.en
    assert (po.status, po.version) == ("approved", 5), "a refused action changes nothing"
