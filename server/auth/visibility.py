"""Which answer fields are costs and which are prices, and how an answer is shown to someone who may not see them.

Two permissions decide (see `server.auth.permissions`): `costs.read` for what the company's stock cost it (a move's
unit cost and value, valuation, the cost of goods returned or sold, stocktake variance values) and `prices.read` for
what it buys and sells at (unit prices, line nets, document subtotals, tax, totals, amounts paid and open).

The convention, everywhere: a field the actor may not see stays in the answer with the value null, and every such
field is declared nullable in its schema, so the OpenAPI document tells the truth. Answers are built in full and
passed through `visible` on their way out; a report hides a column (or refuses the report) by the permission its
column carries, and the sync feed, its bootstrap and the live socket null the fields named in `FEED`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import msgspec

from server.auth.permissions import PERMISSIONS, Actor
from server.counts.schemas import CountLineOut, CountOut
from server.finance.schemas import ValuationOut
from server.inventory.schemas import MoveOut, TransferLineOut, TransferOut
from server.purchasing.schemas import BillLineOut, BillOut, POLineOut, POOut, PurchaseReturnLineOut, PurchaseReturnOut, RequisitionOut
from server.sales.schemas import ExposureOut, InvoiceLineOut, InvoiceOut, QuoteOut, ReturnLineOut, SalesLineOut, SOOut

COSTS = "costs.read"
PRICES = "prices.read"
GUARDS = (COSTS, PRICES)

T = TypeVar("T")


def _all(permission: str, *fields: str) -> dict[str, str]:
    return dict.fromkeys(fields, permission)


# Every response type that carries a cost or a price, and which of its fields do. Pages, documents and lines that hold
# these types are walked into; nothing else needs to be listed.
FIELDS: dict[type[msgspec.Struct], dict[str, str]] = {
    MoveOut: _all(COSTS, "unit_cost", "value"),
    TransferLineOut: _all(COSTS, "value"),
    TransferOut: _all(COSTS, "value"),  # what the approval rules judged it by: its goods at average cost
    ValuationOut: _all(COSTS, "value", "average_cost"),
    CountLineOut: _all(COSTS, "value"),
    CountOut: _all(COSTS, "gain_value", "loss_value"),
    ReturnLineOut: _all(COSTS, "unit_cost"),  # the cost the returned goods come back in at
    POLineOut: _all(PRICES, "unit_price", "net", "discount", "net_price"),
    POOut: _all(PRICES, "subtotal", "tax", "total", "total_cny", "discount"),
    BillLineOut: _all(PRICES, "unit_price", "net", "tax"),
    BillOut: _all(PRICES, "subtotal", "tax", "total", "total_cny", "paid", "credited", "open"),
    PurchaseReturnLineOut: _all(COSTS, "value"),  # the cost the goods go back at
    PurchaseReturnOut: _all(COSTS, "value"),
    RequisitionOut: _all(PRICES, "estimated_value"),  # at the last purchase prices (the average cost of what was never bought)
    SalesLineOut: _all(PRICES, "unit_price", "net", "discount"),
    QuoteOut: _all(PRICES, "subtotal", "tax", "total", "discount"),
    SOOut: _all(PRICES, "subtotal", "tax", "total", "total_cny", "discount"),
    InvoiceLineOut: _all(PRICES, "unit_price", "net", "tax"),
    InvoiceOut: _all(PRICES, "subtotal", "tax", "total", "total_cny", "paid", "credited", "open"),
    # A customer's credit is refused whole without prices.read; its limit stays out of the table, as null there means "no limit".
    ExposureOut: _all(PRICES, "open_receivables", "open_orders", "exposure"),
}

# Document snapshots (a purchase order's versions): the header's and each line's price fields.
SNAPSHOTS: dict[str, dict[str, dict[str, str]]] = {
    "po": {"header": _all(PRICES, "total"), "lines": _all(PRICES, "unit_price")},
}

# The sync feed's kinds (the change feed, its bootstrap pages and the live socket's stock messages) whose data carries a
# cost or a price. The balance and stock rows a device holds are quantities only, and master data has no costs: a kind
# that starts carrying one is listed here, and devices without the permission get it as null.
FEED: dict[str, dict[str, str]] = {
    "balance": {},
    "stock": {},
}


def guards_money(permission: str | None) -> bool:
    """Whether figures shown under this permission may be costs or prices: one of the two, or one whose every holder
    holds both (finance.read). A report's money column must be guarded so, by its own permission or its report's."""
    if permission in GUARDS:
        return True
    return permission in PERMISSIONS and PERMISSIONS[permission] <= PERMISSIONS[COSTS] & PERMISSIONS[PRICES]


def hidden(actor: Actor) -> frozenset[str]:
    """The guarding permissions the actor lacks (empty: they see everything)."""
    return frozenset(p for p in GUARDS if not actor.can(p))


def visible(actor: Actor, answer: T) -> T:
    """The answer as the actor may see it: every cost and price field they may not see set to null, in the answer itself
    and in the documents, lines and pages it holds. Answers are built per request, so this changes them in place."""
    lacking = hidden(actor)
    if lacking:
        _redact(answer, lacking)
    return answer


def _redact(value: Any, lacking: frozenset[str]) -> None:
    if isinstance(value, list | tuple):
        for item in value:
            _redact(item, lacking)
        return
    if not isinstance(value, msgspec.Struct):
        return
    guarded, nested = _plan(type(value))
    for field, permission in guarded:
        if permission in lacking:
            setattr(value, field, None)
    for field in nested:
        _redact(getattr(value, field), lacking)


@functools.cache
def _plan(cls: type[msgspec.Struct]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """A type's own guarded fields and the fields that may hold guarded types, worked out once per type."""
    own = tuple(FIELDS.get(cls, {}).items())
    info = msgspec.inspect.type_info(cls)
    nested = tuple(f.name for f in info.fields if _carries(f.type, set()))  # type: ignore[attr-defined]
    return own, nested


def _carries(kind: msgspec.inspect.Type, seen: set[type]) -> bool:
    inspect = msgspec.inspect
    if isinstance(kind, inspect.StructType):
        if kind.cls in seen:
            return False
        seen.add(kind.cls)
        return kind.cls in FIELDS or any(_carries(f.type, seen) for f in kind.fields)
    if isinstance(kind, inspect.ListType | inspect.TupleType | inspect.VarTupleType | inspect.SetType | inspect.FrozenSetType):
        items = kind.item_types if isinstance(kind, inspect.TupleType) else (kind.item_type,)
        return any(_carries(item, seen) for item in items)
    if isinstance(kind, inspect.UnionType):
        return any(_carries(member, seen) for member in kind.types)
    return False


def visible_snapshot(actor: Actor, doc_type: str, snapshot: dict[str, Any]) -> dict[str, Any]:
    """A document's stored snapshot as the actor may see it (a copy; null where they may not see the figure)."""
    guarded = SNAPSHOTS.get(doc_type)
    lacking = hidden(actor)
    if not guarded or not lacking or not snapshot:
        return snapshot
    header = {k: None if guarded["header"].get(k) in lacking else v for k, v in snapshot.get("header", {}).items()}
    lines = {
        n: {k: None if guarded["lines"].get(k) in lacking else v for k, v in line.items()}
        for n, line in snapshot.get("lines", {}).items()
    }
    return {**snapshot, "header": header, "lines": lines}


# The sync feed -----------------------------------------------------------------------------------


def feed_hidden(actor: Actor) -> dict[str, tuple[str, ...]]:
    """Per feed kind, the data fields the actor may not see; an empty answer means the feed goes out as stored."""
    lacking = hidden(actor)
    if not lacking:
        return {}
    return {kind: names for kind, fields in FEED.items() if (names := tuple(f for f, p in fields.items() if p in lacking))}


def redact_data(data: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """A feed row's data with these fields null (a copy: the row is shared by everyone it goes to)."""
    return {**data, **dict.fromkeys(f for f in fields if f in data)}


def redact_row(names: Sequence[str], row: list[Any], fields: Sequence[str]) -> list[Any]:
    """A bootstrap row (values in the order of `names`) with these fields null."""
    nulls = {names.index(f) for f in fields if f in names}
    return [None if i in nulls else v for i, v in enumerate(row)]


def stock_hidden(actor: Actor) -> tuple[str, ...]:
    """The fields of a balance or stock row the live socket nulls for this actor (empty: rows go out as published)."""
    per_kind = feed_hidden(actor)
    return tuple(dict.fromkeys(f for kind in ("balance", "stock") for f in per_kind.get(kind, ())))
