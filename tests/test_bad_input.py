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


# Bodies: size, depth, media type, strict types ------------------------------------------------------------------


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize("body", [deep(100_000), b'{"username": ' + deep(5000) + b', "password": "x"}', b"[" * 100_000],
                         ids=["an array 100000 deep", "a deep value", "only opening brackets"])
def test_json_nested_thousands_deep_is_refused_before_sign_in(client, world, body):
    response = client.post("/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "too_deep" and "32" in response.json()["message"]


def test_json_nested_too_deep_is_refused_on_a_signed_in_route_and_writes_nothing(client, worker, world):
    before = footprint(world)
    body = json.dumps({**GOOD, "reason": "x"})[:-1].encode() + b', "serials": ' + deep(33) + b"}"
    response = client.post("/api/v1/stock/moves", content=body, headers={**worker, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "too_deep"
    push = {"client_id": "phone-0001-abcd", "device_time": "2026-11-26T00:00:00Z", "schema_version": 1,
            "ops": [{"op_id": "op-00000001", "seq": 1, "type": "stock.move", "payload": {**GOOD, "reason": "REPLACE"}}]}
    body = json.dumps(push).replace('"REPLACE"', deep(40).decode()).encode()
    response = client.post("/api/v1/sync/push", content=body, headers={**worker, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "too_deep"
    assert footprint(world) == before


def test_nesting_up_to_the_limit_is_read_and_brackets_inside_strings_do_not_count():
    from server.bodies import nested_deeper_than

    assert not nested_deeper_than(deep(32), 32) and nested_deeper_than(deep(33), 32)
    assert not nested_deeper_than(b'{"a": "' + b"[" * 1000 + b'", "b": [{"c": "]]]\\"[["}]}', 32)
    assert not nested_deeper_than(b'{"a": [1, {"b": [2]}], "c": {}}' * 1000, 4)
    assert nested_deeper_than(b'{"a": [1, {"b": [2]}]}', 2)
    assert nested_deeper_than(b"[" * 40, 32)  # unclosed: refused before the parser recurses into it


def test_a_body_over_the_configured_size_is_refused_before_sign_in(db, tmp_path):
    from litestar.testing import TestClient

    from server.app import create_app
    from server.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, database_url=None, max_json_bytes=1000), db)
    with TestClient(app) as small:
        response = small.post("/api/v1/auth/login", json={"username": "admin", "password": "x" * 2000})
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert "1,000" in response.json()["message"]


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_a_json_body_not_sent_as_json_is_refused(client, worker, world, content_type):
    before = footprint(world)
    headers = {**worker, **({"Content-Type": content_type} if content_type else {})}
    response = client.post("/api/v1/stock/moves", content=json.dumps(GOOD).encode(), headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "unsupported_media_type" and "application/json" in response.json()["message"]
    login = client.post("/api/v1/auth/login", content=b'{"username": "a", "password": "b"}', headers={"Content-Type": "text/plain"})
    assert login.status_code == 415
    assert footprint(world) == before


@pytest.mark.parametrize(
    "body",
    [
        {**GOOD, "reservation": "5"},  # a string for an integer
        {**GOOD, "reservation": 5.0},
        {**GOOD, "qty": " 1"},
        {**GOOD, "qty": "1 "},
        {**GOOD, "qty": "１"},  # full-width digit
        {**GOOD, "qty": "１２"},
        {**GOOD, "qty": "1e0"},
        {**GOOD, "qty": "+1"},
        {**GOOD, "qty": "1_000"},
        {**GOOD, "qty": True},
        {**GOOD, "unit_cost": "٣"},  # an Arabic-Indic digit
    ],
    ids=["int as string", "int as float", "leading space", "trailing space", "full-width one", "full-width twelve", "exponent",
         "plus sign", "underscore", "boolean", "arabic digit"],
)
def test_numbers_written_loosely_are_refused_and_write_nothing(client, worker, world, body):
    before = footprint(world)
    response = client.post("/api/v1/stock/moves", json=body, headers=worker)
    assert response.status_code in (400, 422), response.text
    assert response.json()["message"]
    assert footprint(world) == before


@pytest.mark.parametrize("qty", ["1", "1.0000", 1, 2.0], ids=["string", "string with zeros", "integer", "number"])
def test_a_quantity_as_digits_or_as_a_json_number_is_read(client, worker, world, qty):
    response = client.post("/api/v1/stock/moves", json={**GOOD, "qty": qty}, headers=worker)
    assert response.status_code == 201, response.text
    assert response.json()["qty"] in ("1", "2")


@pytest.mark.parametrize("amount", [1e40, "1e40", "10000000000000", "1.001", "-1"], ids=["number", "string", "too many digits", "fen", "negative"])
def test_an_absurd_payment_amount_is_refused_and_writes_nothing(client, admin, world, amount):
    from server.finance.models import Payment

    assert client.post("/api/v1/partners", json={"code": "SUP", "kind": "supplier"}, headers=admin).status_code == 201
    before = footprint(world)
    response = client.post("/api/v1/payments", json={"kind": "supplier", "partner": "SUP", "amount": amount}, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid" and response.json()["details"]["message_zh"]
    with world.read() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
    assert footprint(world) == before


# Text: control characters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Pen\x00", "a\x01b", "line\nbreak", "tab\there", "del\x7f"])
def test_a_control_character_in_a_name_is_refused_and_writes_nothing(client, admin, world, text):
    before = footprint(world)
    response = client.post("/api/v1/items", json={"sku": "NUL1", "name_en": text}, headers=admin)
    assert response.status_code == 400, response.text
    assert "name_en" in json.dumps(response.json()["details"])
    assert footprint(world) == before
    assert client.patch("/api/v1/items/PEN", json={"name_zh": text}, headers=admin).status_code == 400


def test_a_note_may_hold_new_lines_and_tabs_but_no_nul(client, admin, world):
    assert client.post("/api/v1/partners", json={"code": "C1", "kind": "customer", "address": "1 Road\n\tShanghai"}, headers=admin).status_code == 201
    refused = client.post("/api/v1/partners", json={"code": "C2", "kind": "customer", "address": "1 Road\x00"}, headers=admin)
    assert refused.status_code == 400, refused.text


@pytest.mark.parametrize("path", ["/api/v1/items?search=pe%00n", "/api/v1/items/PE%00N", "/api/v1/partners?search=%00",
                                  "/api/v1/locations?search=a%0Db", "/api/v1/lots?search=%00"])
def test_a_nul_in_a_path_or_query_is_refused_not_looked_up(client, admin, world, path):
    response = client.get(path, headers=admin)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "control_character" and response.json()["details"]["message_zh"]


# Search: % and _ are letters ------------------------------------------------------------------------------------


def test_percent_and_underscore_in_a_search_match_only_themselves(client, admin, world):
    for sku, name in [("OFF50", "50% off"), ("OFF500", "500 off"), ("A_B", "a_b"), ("AXB", "axb")]:
        assert client.post("/api/v1/items", json={"sku": sku, "name_en": name}, headers=admin).status_code == 201

    def found(search: str) -> list[str]:
        response = client.get("/api/v1/items", params={"search": search}, headers=admin)
        assert response.status_code == 200, response.text
        return [item["sku"] for item in response.json()["items"]]

    assert found("50%") == ["OFF50"]
    assert found("%") == ["OFF50"]
    assert found("a_b") == ["A_B"]
    assert found("_") == ["A_B"]
    assert found("50") == ["OFF50", "OFF500"]
    for code, name in [("P50", "50% partner"), ("P500", "500 partner")]:
        client.post("/api/v1/partners", json={"code": code, "kind": "supplier", "name_en": name}, headers=admin)
    assert [p["code"] for p in client.get("/api/v1/partners", params={"search": "50%"}, headers=admin).json()["items"]] == ["P50"]
    for code in ("X_1", "XA1"):
        client.post("/api/v1/locations", json={"code": code, "kind": "bin", "parent": "Z1"}, headers=admin)
    assert [loc["code"] for loc in client.get("/api/v1/locations", params={"search": "X_"}, headers=admin).json()["items"]] == ["X_1"]


# Random text never breaks the server ----------------------------------------------------------------------------


def test_any_text_in_a_name_a_note_or_a_search_gets_an_answer_not_a_500(client, admin, world):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @given(text=st.text(max_size=60))
    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(text: str) -> None:
        named = client.patch("/api/v1/items/PEN", json={"name_en": text}, headers=admin)
        assert named.status_code in (200, 400), named.text
        noted = client.post("/api/v1/partners", json={"code": "RND", "kind": "customer", "address": text}, headers=admin)
        assert noted.status_code in (201, 400, 409), noted.text
        searched = client.get("/api/v1/items", params={"search": text}, headers=admin)
        assert searched.status_code in (200, 400), searched.text

    check()


@pytest.mark.parametrize("qty", [" 1", "１", "1e40", 1e40, "5.00001"], ids=["space", "full-width", "exponent", "huge number", "too fine"])
def test_a_pushed_operation_with_a_bad_quantity_is_rejected_and_writes_nothing(client, worker, world, qty):
    body = {"client_id": "phone-0001-abcd", "device_time": "2026-11-26T00:00:00Z", "schema_version": 1, "ops": []}
    assert client.post("/api/v1/sync/push", json=body, headers=worker).status_code == 200  # the phone registers first
    before = footprint(world)
    body["ops"] = [{"op_id": "op-00000001", "seq": 1, "type": "stock.move", "payload": {**GOOD, "qty": qty}}]
    response = client.post("/api/v1/sync/push", json=body, headers=worker)
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert result["status"] == "rejected" and result["message"], result
    assert footprint(world) == before


HUGE = {"sku": "PEN", "qty": "999999999999", "from": "SUPPLIER", "to": "B1", "unit_cost": "999999999"}


def test_a_value_too_large_for_the_books_is_refused_and_writes_nothing(client, admin, world):
    """Each figure is within its own limit, but quantity times price is more than a money column holds."""
    assert client.post("/api/v1/partners", json={"code": "CUS", "kind": "customer"}, headers=admin).status_code == 201
    before = footprint(world)
    moved = client.post("/api/v1/stock/moves", json=HUGE, headers=admin)
    assert moved.status_code == 422 and moved.json()["error"] == "too_large_to_store", moved.text
    ordered = client.post("/api/v1/sales-orders", headers=admin, json={
        "customer": "CUS", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "999999999999", "unit_price": "999999999"}]})
    assert ordered.status_code == 422 and ordered.json()["error"] == "too_large_to_store", ordered.text
    assert footprint(world) == before


def test_a_pushed_move_too_large_for_the_books_is_rejected_alone(client, admin, world):
    body = {"client_id": "phone-0001-abcd", "device_time": "2026-11-26T00:00:00Z", "schema_version": 1, "ops": [
        {"op_id": "op-00000001", "seq": 1, "type": "stock.move", "payload": HUGE},
        {"op_id": "op-00000002", "seq": 2, "type": "stock.move", "payload": {**GOOD, "unit_cost": "1"}}]}
    response = client.post("/api/v1/sync/push", json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["rejected", "applied"]
    with world.read() as session:
        assert session.scalar(select(func.count()).select_from(Move)) == 1


def test_any_value_for_a_quantity_amount_or_price_is_read_within_its_limits_or_refused_cleanly():
    from decimal import Decimal

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from server.errors import InvalidInput
    from server.schemas import Amount, Price, Quantity

    numbers = st.from_regex(r"[+-]?\d{0,25}(\.\d{0,12})?([eE][+-]?\d{1,25})?", fullmatch=True)
    values = st.one_of(st.text(max_size=40), numbers, st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none())

    @given(kind=st.sampled_from([Quantity, Amount, Price]), value=values)
    @settings(max_examples=500, deadline=None, database=None)
    def check(kind, value) -> None:  # type: ignore[no-untyped-def]
        try:
            number = kind.read(value)
        except (ValueError, InvalidInput):
            return
        assert Decimal(0) <= number < kind.limit
        assert number == number.quantize(Decimal(1).scaleb(-kind.places))
        assert not isinstance(value, str) or (value.isascii() and value.strip() == value)

    check()
