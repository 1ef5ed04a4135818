"""Costs and prices shown only to those whose role may see them: the one table of guarded fields, and every way out."""

from __future__ import annotations

import datetime as dt
import types
from typing import Any, Union, get_args, get_origin, get_type_hints

import msgspec
import pytest

from server.auth import visibility
from server.auth.permissions import PERMISSIONS, Actor
from server.auth.visibility import COSTS, FIELDS, PRICES, visible
from server.reports.framework import Column, Params, Report
from server.sales.schemas import SalesLineOut, SOOut, SOPage
from sync import bootstrap as bootstrap_module
from sync import feed
from tests.helpers import post_move
from tests.stories import Api

WAREHOUSE = Actor(user_id=1, username="w", roles=frozenset({"warehouse"}))
SALES = Actor(user_id=2, username="s", roles=frozenset({"sales"}))
ADMIN = Actor(user_id=3, username="a", roles=frozenset({"admin"}))


def _nullable(annotation: Any) -> bool:
    while get_origin(annotation) is not None and get_origin(annotation) not in (Union, types.UnionType):
        annotation = get_args(annotation)[0]  # Annotated[...]
    return type(None) in get_args(annotation)


def test_every_cost_and_price_field_is_declared_nullable_so_the_schema_tells_the_truth():
    for cls, fields in FIELDS.items():
        hints = get_type_hints(cls, include_extras=True)
        for field, permission in fields.items():
            assert field in cls.__struct_fields__, (cls.__name__, field)
            assert permission in (COSTS, PRICES)
            assert _nullable(hints[field]), f"{cls.__name__}.{field} must be nullable: it is null for those who may not see it"


def test_the_openapi_schema_shows_a_moves_cost_as_optional_and_nullable(client):
    move = client.get("/schema/openapi.json").json()["components"]["schemas"]["MoveOut"]
    assert "unit_cost" not in move.get("required", [])
    assert {"type": "null"} in move["properties"]["unit_cost"]["oneOf"]


def test_whoever_may_see_costs_may_see_prices_too():
    # A report or answer gated by costs never shows a price to someone who could not see it elsewhere.
    assert PERMISSIONS[COSTS] <= PERMISSIONS[PRICES]


def _order() -> SOOut:
    line = SalesLineOut(line=1, sku="PEN", name_zh="笔", name_en="Pen", qty="2", unit_price="9", vat_rate="0.13", net="18", reserved="2",
                        picked="0", short="0", packed="0", shipped="0", invoiced="0", returned="0")
    return SOOut(number="SO-1", status="confirmed", customer="CUS1", warehouse="WH1", ship_to="", note="", version=1, subtotal="18",
                 tax="2.34", total="20.34", currency="CNY", exchange_rate="1", total_cny="20.34", credit_released_by=None, credit_release_reason="", lines=[line], packages=[],
                 created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_a_page_of_orders_loses_its_prices_on_the_way_to_the_warehouse_and_keeps_its_quantities():
    page = visible(WAREHOUSE, SOPage(items=[_order()], total=1))
    shown = msgspec.to_builtins(page)["items"][0]
    assert shown["total"] is None and shown["subtotal"] is None and shown["tax"] is None and shown["total_cny"] is None
    assert shown["lines"][0]["unit_price"] is None and shown["lines"][0]["net"] is None
    assert shown["lines"][0]["qty"] == "2" and shown["lines"][0]["vat_rate"] == "0.13" and page.total == 1


def test_a_salesperson_and_an_administrator_see_the_order_as_it_is():
    for actor in (SALES, ADMIN):
        assert visible(actor, _order()) == _order()


def test_a_report_with_an_unguarded_money_column_is_refused_when_declared():
    class Nothing(Params):
        pass

    with pytest.raises(TypeError, match="value: a money column needs costs.read or prices.read"):
        Report(name="leaky", title_zh="漏", title_en="Leaky", permission="reports.read", params=Nothing,
               columns=(Column("sku", "SKU", "SKU"), Column("value", "金额", "Value", "money")), rows=lambda s, a, p: [])
    Report(name="guarded", title_zh="守", title_en="Guarded", permission="reports.read", params=Nothing,
           columns=(Column("sku", "SKU", "SKU"), Column("value", "金额", "Value", "money", permission=COSTS)), rows=lambda s, a, p: [])


def test_a_warehouse_user_reading_a_po_version_sees_its_quantities_but_no_prices(client, world, as_role):
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    admin.post("/api/v1/partners", {"code": "SUP1", "kind": "supplier", "name_zh": "供应商一", "name_en": "Supplier One"}, expect=201)
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "10", "unit_price": "3"}]},
                        expect=201)
    path = f"/api/v1/purchase-orders/{po['number']}/versions/1"
    mine = purchaser.get(path)["snapshot"]
    theirs = Api(client, as_role("warehouse")).get(path)["snapshot"]
    assert mine["header"]["total"] == "33.9" and mine["lines"]["1"]["unit_price"] == "3"
    assert theirs["header"]["total"] is None and theirs["lines"]["1"]["unit_price"] is None
    assert theirs["lines"]["1"]["qty"] == mine["lines"]["1"]["qty"]


# The sync feed: its balance rows carry quantities only today; a cost added to them reaches only those who may see it.


@pytest.fixture
def balances_with_a_value(monkeypatch):  # type: ignore[no-untyped-def]
    """Balance rows of the feed, the bootstrap and the live socket carrying a value, declared a cost."""
    monkeypatch.setitem(visibility.FEED, "balance", {"value": COSTS})
    loaded = feed.LOADERS["balance"]
    monkeypatch.setitem(feed.LOADERS, "balance", lambda session, keys: ((scope, key, None if data is None else {**data, "value": "12.5"})
                                                                          for scope, key, data in loaded(session, keys)))
    kind = bootstrap_module.KINDS["balance"]

    def read(*args: Any) -> Any:
        page = kind.read(*args)
        return bootstrap_module.Slice([[*row, "12.5"] for row in page.rows], page.after)

    monkeypatch.setitem(bootstrap_module.KINDS, "balance", bootstrap_module.Kind("balance", (*kind.fields, "value"), kind.key_length, read))


def test_a_cost_in_the_sync_feed_is_pulled_only_by_those_who_may_see_costs(client, world, as_role, balances_with_a_value):
    worker, admin = as_role("warehouse"), as_role("admin")
    assert post_move(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="2.5").status_code == 201
    pulled = {who: client.get("/api/v1/sync/pull", headers=headers, params={"scope": "wh:WH1"}).json()["changes"]
              for who, headers in (("warehouse", worker), ("admin", admin))}
    assert [c["data"]["value"] for c in pulled["admin"] if c["kind"] == "balance"] == ["12.5"]
    assert [c["data"]["value"] for c in pulled["warehouse"] if c["kind"] == "balance"] == [None]
    assert [c["data"]["qty"] for c in pulled["warehouse"] if c["kind"] == "balance"] == ["5"]
    for who, headers, value in (("warehouse", worker, None), ("admin", admin, "12.5")):
        page = client.get("/api/v1/sync/bootstrap", headers=headers, params={"scope": "wh:WH1"}).json()
        rows = [dict(zip(page["fields"], row, strict=True)) for row in page["items"]]
        assert [(r["qty"], r["value"]) for r in rows] == [("5", value)], who


def test_a_cost_in_a_live_stock_message_reaches_only_the_sockets_of_those_who_may_see_costs(client, world, as_role, balances_with_a_value):
    worker, admin = as_role("warehouse"), as_role("admin")
    with client.websocket_connect("/api/v1/sync/ws", headers=worker) as theirs, client.websocket_connect("/api/v1/sync/ws", headers=admin) as mine:
        for socket in (theirs, mine):
            socket.receive_json(timeout=10)
            socket.send_json({"type": "subscribe", "scopes": ["wh:WH1"], "items": ["PEN"]})
            while socket.receive_json(timeout=10)["type"] != "subscribed":
                pass
        assert post_move(client, worker, "PEN", 5, "SUPPLIER", "B1", unit_cost="2.5").status_code == 201
        got = {}
        for who, socket in (("warehouse", theirs), ("admin", mine)):
            while (message := socket.receive_json(timeout=10))["type"] != "stock":
                pass
            got[who] = message
    assert got["admin"]["value"] == "12.5" and got["admin"]["qty"] == "5"
    assert got["warehouse"]["value"] is None and got["warehouse"]["qty"] == "5"
