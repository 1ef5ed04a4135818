"""Bad input gets a clear 4xx with a message a person understands, and writes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEntry, IdempotencyKey
from server.catalog.models import Item, Lot, Serial
from server.inventory.models import Balance, Move
from server.locations.models import Location

GOOD = {"sku": "PEN", "qty": "1", "from": "SUPPLIER", "to": "B1"}


def footprint(db):  # type: ignore[no-untyped-def]
    """Row counts of everything a write could touch (balances by content, since upserts may touch existing rows)."""
    with db.read() as session:
        counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                  for model in (Move, Balance, AuditEntry, IdempotencyKey, Item, Lot, Serial, Location)}
        counts["balances"] = sorted((b.item_id, b.location_id, b.lot_key, str(b.qty), str(b.reserved)) for b in session.scalars(select(Balance)))
    return counts


MOVE_CASES = [
    ("malformed JSON", b'{"sku": "PEN", "qty": ', 400),
    ("not an object", b"[1, 2, 3]", 400),
    ("zero quantity", {**GOOD, "qty": "0"}, 422),
    ("negative quantity", {**GOOD, "qty": "-5"}, 422),
    ("quantity that is not a number", {**GOOD, "qty": "five"}, 400),
    ("quantity NaN", {**GOOD, "qty": "NaN"}, 422),
    ("quantity infinite", {**GOOD, "qty": "Infinity"}, 422),
    ("absurd quantity", {**GOOD, "qty": "1e30"}, 422),
    ("absurd quantity as a number", b'{"sku": "PEN", "qty": 1e400, "from": "SUPPLIER", "to": "B1"}', 400),
    ("too many decimals for pieces", {**GOOD, "qty": "1.5"}, 422),
    ("too many decimals for kilograms", {**GOOD, "sku": "RICE", "qty": "1.0005"}, 422),
    ("more decimals than any unit", {**GOOD, "sku": "RICE", "qty": "1.000000001"}, 422),
    ("unknown SKU", {**GOOD, "sku": "NOPE"}, 422),
    ("unknown from-location", {**GOOD, "from": "NOWHERE"}, 422),
    ("unknown to-location", {**GOOD, "to": "NOWHERE"}, 422),
    ("unknown lot", {**GOOD, "sku": "MILK", "lot": "L404"}, 422),
    ("same from and to", {**GOOD, "from": "B1", "to": "B1"}, 422),
    ("missing to", {"sku": "PEN", "qty": "1", "from": "SUPPLIER"}, 400),
    ("unknown field", {**GOOD, "colour": "red"}, 400),
    ("sku far too long", {**GOOD, "sku": "P" * 5000}, 400),
    ("reason far too long", {**GOOD, "reason": "x" * 5000}, 400),
    ("too many serials", {**GOOD, "sku": "PHONE", "qty": "1", "serials": [f"S{i}" for i in range(10001)]}, 400),
    ("serials for an untracked item", {**GOOD, "serials": ["S1"]}, 422),
    ("negative unit cost", {**GOOD, "unit_cost": "-1"}, 422),
    ("wrong type for qty", {**GOOD, "qty": [1]}, 400),
    ("null sku", {**GOOD, "sku": None}, 400),
]


@pytest.mark.parametrize("case,body,status", MOVE_CASES, ids=[c[0] for c in MOVE_CASES])
def test_a_bad_move_is_refused_clearly_and_writes_nothing(client, worker, world, case, body, status):
    before = footprint(world)
    if isinstance(body, bytes):
        response = client.post("/api/v1/stock/moves", content=body, headers={**worker, "Content-Type": "application/json"})
    else:
        response = client.post("/api/v1/stock/moves", json=body, headers=worker)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["error"] and error["message"] and isinstance(error["details"], dict)
    assert footprint(world) == before


def test_a_body_over_a_megabyte_is_refused(client, worker, world):
    before = footprint(world)
    body = json.dumps({**GOOD, "reason": "x" * 2_000_000})
    response = client.post("/api/v1/stock/moves", content=body, headers={**worker, "Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert footprint(world) == before


def test_a_move_refused_for_stock_leaves_no_trace_even_with_an_idempotency_key(client, worker, world):
    before = footprint(world)
    response = client.post("/api/v1/stock/moves", json={**GOOD, "from": "B1", "to": "CUSTOMER"}, headers={**worker, "Idempotency-Key": "k-1"})
    assert response.status_code == 409
    assert footprint(world) == before


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "100000"}, {"offset": "-1"}, {"limit": "abc"}])
def test_bad_paging_is_a_400(client, worker, params):
    response = client.get("/api/v1/items", headers=worker, params=params)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/v1/items", {"sku": "bad sku with spaces"}),
        ("/api/v1/items", {"sku": "OK1", "unit_decimals": 9}),
        ("/api/v1/items", {"sku": "OK1", "tracking": "weird"}),
        ("/api/v1/items", {"sku": "OK1", "barcodes": [{"code": "123", "qty": "0"}]}),
        ("/api/v1/items", {"sku": "OK1", "barcodes": [{"code": "123"}, {"code": "123"}]}),
        ("/api/v1/items", {"sku": "OK1", "reorder_point": "-3"}),
        ("/api/v1/lots", {"sku": "MILK", "code": "L5", "expiry": "2026-13-40"}),
        ("/api/v1/lots", {"sku": "NOPE", "code": "L5"}),
        ("/api/v1/locations", {"code": "X", "kind": "virtual"}),
        ("/api/v1/locations", {"code": "X", "kind": "bin", "parent": "NOWHERE"}),
    ],
)
def test_bad_master_data_is_refused_and_writes_nothing(client, admin, world, path, body):
    before = footprint(world)
    response = client.post(path, json=body, headers=admin)
    assert 400 <= response.status_code < 500 and response.status_code not in (401, 403), response.text
    assert response.json()["message"]
    assert footprint(world) == before
