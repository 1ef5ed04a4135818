"""Bootstrap: a device's first sync pages through its slices from a cursor taken at the start, and the pull from that
cursor brings whatever changed meanwhile, so nothing is lost and nothing is counted twice."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.auth.permissions import SYSTEM
from server.catalog.models import Item
from server.catalog.schemas import ItemCreate
from server.catalog.services import create_item
from server.inventory.services import move
from tests.helpers import PEN_CARTON

BALANCE_FIELDS = ["key", "sku", "location", "lot", "qty", "reserved", "available"]


def stock(db, sku: str, qty: object, source: str, target: str, lot: str | None = None) -> None:  # type: ignore[no-untyped-def]
    with db.write() as session:
        move(session, SYSTEM, sku=sku, qty=Decimal(str(qty)), source=source, target=target, lot=lot, unit_cost=Decimal(1))


def stock_two_warehouses(db) -> None:  # type: ignore[no-untyped-def]
    """Eleven non-zero balances in WH1 spread over bins, the zone and quarantine, one emptied again, and stock in WH2."""
    for sku, qty, target, lot in [
        ("PEN", 5, "B1", None), ("RICE", "2.5", "B1", None), ("MILK", 3, "B1", "L1"), ("MILK", 4, "B1", "L2"),
        ("PEN", 7, "B2", None), ("MILK", 1, "B2", "L2"), ("RICE", 1, "B3", None), ("PEN", 2, "QC", None),
        ("PEN", 1, "Z1", None), ("RICE", 9, "Z1", None), ("PEN", 6, "WH1", None), ("MILK", 2, "B3", "L1"),
        ("PEN", 8, "W2-B1", None),
    ]:
        stock(db, sku, qty, "SUPPLIER", target, lot)
    stock(db, "MILK", 2, "B3", "CUSTOMER", "L1")  # leaves a zero balance behind


def bootstrap_all(client, headers, scope: str, limit: int) -> tuple[list[dict], str]:  # type: ignore[no-untyped-def]
    pages, token = [], None
    while True:
        params = {"scope": scope, "limit": limit, **({"page_token": token} if token else {})}
        response = client.get("/api/v1/sync/bootstrap", headers=headers, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        pages.append(page)
        token = page["next_page_token"]
        if token is None:
            break
    cursors = {p["cursor"] for p in pages}
    assert len(cursors) == 1  # the cursor taken at the start, on every page
    return pages, cursors.pop()


def pull_all(client, headers, scope: str, cursor: str | None = None) -> tuple[list[dict], str]:  # type: ignore[no-untyped-def]
    changes = []
    while True:
        params = {"scope": scope, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/sync/pull", headers=headers, params=params).json()
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor


def rows_by_key(pages: list[dict]) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for page in pages:
        assert page["kind"] == "balance" and page["fields"] == BALANCE_FIELDS
        for row in page["items"]:
            assert row[0] not in rows, f"{row[0]} sent twice"
            rows[row[0]] = dict(zip(BALANCE_FIELDS[1:], row[1:], strict=True))
    return rows


def the_book(client, headers, scope: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """Every balance of the scope as it stands, from the whole change feed: the last state of each key."""
    changes, _ = pull_all(client, headers, scope)
    latest = {c["key"]: c["data"] for c in changes}
    return {key: data for key, data in latest.items() if data is not None and data["qty"] != "0"}


@pytest.mark.parametrize("limit", [1, 3, 1000])
def test_bootstrapping_a_warehouse_sends_every_balance_exactly_once(client, world, db, worker, limit):
    stock_two_warehouses(db)
    pages, _ = bootstrap_all(client, worker, "wh:WH1", limit)
    rows = rows_by_key(pages)
    assert rows == the_book(client, worker, "wh:WH1")
    assert len(rows) == 11 and (len(pages) > 3 if limit < 11 else len(pages) == 1)
    by_place = {(r["sku"], r["location"], r["lot"]): (r["qty"], r["reserved"], r["available"]) for r in rows.values()}
    assert by_place[("RICE", "B1", None)] == ("2.5", "0", "2.5")
    assert by_place[("MILK", "B1", "L2")] == ("4", "0", "4")
    assert by_place[("PEN", "QC", None)] == ("2", "0", "0")  # quarantine: on hand, not available
    assert ("MILK", "B3", "L1") not in by_place and all(loc != "W2-B1" for _, loc, _ in by_place)


def test_a_move_committed_between_two_pages_comes_with_the_pull_from_the_bootstrap_cursor(client, world, db, worker):
    stock_two_warehouses(db)
    first = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": "wh:WH1", "limit": 2}).json()
    sent = rows_by_key([first])
    early, row = next(iter(sent.items()))  # the first balance sent
    # While the device pages: more stock where a page was already sent, a bin emptied that is still to come, a new balance.
    stock(db, row["sku"], 10, "SUPPLIER", row["location"])
    stock(db, "RICE", 1, "B3", "CUSTOMER")
    stock(db, "RICE", 4, "SUPPLIER", "B2")
    pages, cursor, token = [first], first["cursor"], first["next_page_token"]
    while token:
        page = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": "wh:WH1", "limit": 2, "page_token": token}).json()
        assert page["cursor"] == cursor
        pages.append(page)
        token = page["next_page_token"]
    device = rows_by_key(pages)
    assert device[early] == row  # that page was read before the receipt
    changes, _ = pull_all(client, worker, "wh:WH1", cursor)
    pulled = {(c["data"]["sku"], c["data"]["location"], c["data"]["qty"]) for c in changes}
    assert {(row["sku"], row["location"], str(int(row["qty"]) + 10)), ("RICE", "B3", "0"), ("RICE", "B2", "4")} <= pulled
    for change in changes:  # the app applies the pull on top of the pages: the last state of a key wins
        device[change["key"]] = {k: change["data"][k] for k in BALANCE_FIELDS[1:]}
    device = {key: state for key, state in device.items() if state["qty"] != "0"}
    assert device == the_book(client, worker, "wh:WH1")


def test_a_catalog_bootstrap_carries_every_item_barcode_location_and_lot_with_chinese_names_intact(client, world, db, worker):
    with db.write() as session:
        create_item(session, SYSTEM, ItemCreate(sku="TEA-01", name_zh="西湖龙井茶（特级）", name_en="Longjing tea", unit="g", unit_decimals=1))
    pages, _ = bootstrap_all(client, worker, "catalog", 2)
    kinds = [p["kind"] for p in pages]
    assert kinds == sorted(kinds, key=["item", "barcode", "location", "lot"].index)  # one kind after another
    rows: dict[str, list[dict]] = {}
    for page in pages:
        rows.setdefault(page["kind"], []).extend(dict(zip(page["fields"], row, strict=True)) for row in page["items"])
    with db.read() as session:
        skus = sorted(session.scalars(select(Item.sku)))
        tea_id = session.scalar(select(Item.id).where(Item.sku == "TEA-01"))
    assert sorted(i["sku"] for i in rows["item"]) == skus
    tea = next(i for i in rows["item"] if i["sku"] == "TEA-01")
    assert tea == {"key": str(tea_id), "sku": "TEA-01", "name_zh": "西湖龙井茶（特级）", "name_en": "Longjing tea", "unit": "g", "unit_decimals": 1,
                   "tracking": "none", "vat_rate": "13", "active": True}
    assert next(i for i in rows["item"] if i["sku"] == "PEN")["name_zh"] == "中性笔"
    carton = next(b for b in rows["barcode"] if b["code"] == PEN_CARTON)
    assert (carton["sku"], carton["pack"], carton["qty"], carton["gtin"]) == ("PEN", "carton", "12", PEN_CARTON)
    assert len({b["code"] for b in rows["barcode"]}) == len(rows["barcode"]) == 4
    b1 = next(loc for loc in rows["location"] if loc["code"] == "B1")
    assert b1.pop("key").isdigit()  # every row starts with its key, the one the change feed uses
    assert b1 == {"code": "B1", "kind": "bin", "parent": "Z1", "warehouse": "WH1", "quarantine": False, "name_zh": "B1 库位",
                  "name_en": "B1 location", "active": True}
    assert next(loc for loc in rows["location"] if loc["code"] == "QC")["quarantine"] is True
    assert {"SUPPLIER", "WH2", "W2-B1"} <= {loc["code"] for loc in rows["location"]}
    assert sorted((lot["sku"], lot["code"]) for lot in rows["lot"]) == [("MILK", "L1"), ("MILK", "L2")]
    raw = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": "catalog"})
    assert "西湖龙井茶（特级）".encode() in raw.content  # UTF-8 on the wire, not \u escapes


def test_a_user_limited_to_another_warehouse_may_not_bootstrap_this_one(client, world, db, as_role):
    stock_two_warehouses(db)
    limited = as_role("warehouse", ("WH2",))
    refused = client.get("/api/v1/sync/bootstrap", headers=limited, params={"scope": "wh:WH1"})
    assert refused.status_code == 403 and refused.json()["error"] == "warehouse_not_allowed"
    own = client.get("/api/v1/sync/bootstrap", headers=limited, params={"scope": "wh:WH2"}).json()
    assert [(row[1], row[2], row[4]) for row in own["items"]] == [("PEN", "W2-B1", "8")]
    # A page token from someone who may see WH1 does not open it either.
    token = client.get("/api/v1/sync/bootstrap", headers=as_role("admin"), params={"scope": "wh:WH1", "limit": 1}).json()["next_page_token"]
    refused = client.get("/api/v1/sync/bootstrap", headers=limited, params={"scope": "wh:WH1", "page_token": token})
    assert refused.status_code == 403


def test_bad_page_tokens_and_unknown_scopes_are_refused_with_422(client, world, db, worker):
    stock_two_warehouses(db)
    other_scope = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": "wh:WH2", "limit": 1}).json()
    good = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": "wh:WH1", "limit": 1}).json()["next_page_token"]
    decoded = json.loads(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))

    def forged(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    for token in [
        "not a token", "e30", "////", "x" * 600, "中文", forged({"kind": "balance"}),
        forged([decoded[0], "wh:WH1", "item", [1], decoded[4]]),  # a kind the scope does not have
        forged([decoded[0], "wh:WH1", "balance", [1, 2], decoded[4]]),  # a key of the wrong shape
        forged([decoded[0], "wh:WH1", "balance", [-1, 0, 0], decoded[4]]),
        forged([decoded[0], "wh:WH1", "balance", [2**70, 0, 0], decoded[4]]),
        forged([decoded[0], "wh:WH1", "balance", decoded[3], "yesterday"]),
        forged([99, *decoded[1:]]),
        other_scope["next_page_token"] or forged([decoded[0], "wh:WH2", "balance", [0, 0, 0], decoded[4]]),
    ]:
        response = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": "wh:WH1", "page_token": token})
        assert response.status_code == 422, (token, response.text)
        assert response.json()["error"] == "bad_page_token" and "message_zh" in response.json()["details"]
    for scope in ("everything", "wh:", "wh:B1", "wh:NOWHERE"):
        response = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": scope})
        assert response.status_code == 422 and response.json()["error"] == "unknown_scope", scope


def test_bootstrap_pages_are_gzipped_for_clients_that_ask_and_other_routes_are_not(client, world, db, worker):
    with db.write() as session:
        for n in range(40):
            create_item(session, SYSTEM, ItemCreate(sku=f"BOLT-{n:03}", name_zh=f"六角螺栓 M{n}", name_en=f"Hex bolt M{n}"))
    zipped = client.get("/api/v1/sync/bootstrap", headers={**worker, "Accept-Encoding": "gzip"}, params={"scope": "catalog"})
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    assert len(zipped.json()["items"]) == 44  # the client decompressed it
    plain = client.get("/api/v1/sync/bootstrap", headers={**worker, "Accept-Encoding": "identity"}, params={"scope": "catalog"})
    assert "content-encoding" not in plain.headers and plain.json() == zipped.json()
    items = client.get("/api/v1/items", headers={**worker, "Accept-Encoding": "gzip"}, params={"limit": 100})
    assert items.status_code == 200 and "content-encoding" not in items.headers


def test_an_empty_warehouse_bootstraps_to_nothing_from_the_current_cursor(client, world, db, worker):
    stock(db, "PEN", 1, "SUPPLIER", "W2-B1")
    page = client.get("/api/v1/sync/bootstrap", headers=worker, params={"scope": "wh:WH1"}).json()
    assert page["items"] == [] and page["next_page_token"] is None
    _, latest = pull_all(client, worker, "wh:WH1")
    assert page["cursor"] == latest


def catalog_view(pages: list[dict], changes: list[dict] = ()) -> dict[tuple[str, str], dict]:  # type: ignore[assignment]
    """A device's catalog: the pages' rows by (kind, key), then the pulled changes on top (`data: null` removes a row)."""
    view = {(page["kind"], row[0]): dict(zip(page["fields"][1:], row[1:], strict=True)) for page in pages for row in page["items"]}
    for change in changes:
        if change["data"] is None:
            view.pop((change["kind"], change["key"]), None)
        else:
            view[(change["kind"], change["key"])] = change["data"]
    return view


def test_catalog_changes_made_after_a_bootstrap_reach_the_device_by_pull(client, world, db, as_role):
    """New items, renamed items, barcodes taken away, new lots and bins, a bin put in quarantine: the device that pulls
    `catalog` from its bootstrap cursor holds exactly what a fresh bootstrap gives."""
    worker, admin = as_role("warehouse"), as_role("admin")
    pages, cursor = bootstrap_all(client, worker, "catalog", 1000)
    created = client.post("/api/v1/items", headers=admin, json={
        "sku": "TEA-01", "name_zh": "西湖龙井", "name_en": "Longjing tea", "unit": "g", "tracking": "lot",
        "barcodes": [{"code": "6900000000014"}]})
    assert created.status_code == 201, created.text
    pen = client.get("/api/v1/items/PEN", headers=admin).json()
    renamed = client.patch("/api/v1/items/PEN", headers=admin, json={
        "version": pen["version"], "name_zh": "中性笔（黑）", "barcodes": [{"code": PEN_CARTON, "pack": "carton", "qty": "12"}]})
    assert renamed.status_code == 200, renamed.text
    assert client.post("/api/v1/lots", headers=admin, json={"sku": "TEA-01", "code": "T-2026"}).status_code == 201
    assert client.post("/api/v1/locations", headers=admin, json={"code": "B9", "kind": "bin", "parent": "Z1"}).status_code == 201
    b2 = client.get("/api/v1/locations/B2", headers=admin).json()
    assert client.patch("/api/v1/locations/B2", headers=admin, json={"version": b2["version"], "quarantine": True}).status_code == 200
    changes, _ = pull_all(client, worker, "catalog", cursor)
    device = catalog_view(pages, changes)
    fresh, _ = bootstrap_all(client, worker, "catalog", 1000)
    assert device == catalog_view(fresh)
    assert {(kind, row["sku"] if kind == "item" else row["code"]) for (kind, _), row in device.items() if kind in ("item", "lot")} >= {
        ("item", "TEA-01"), ("lot", "T-2026")}
    assert next(row for (kind, _), row in device.items() if kind == "item" and row["sku"] == "PEN")["name_zh"] == "中性笔（黑）"
    assert next(row for (kind, _), row in device.items() if kind == "location" and row["code"] == "B2")["quarantine"] is True
    barcodes = {row["code"] for (kind, _), row in device.items() if kind == "barcode"}
    assert PEN_CARTON in barcodes and "6900000000014" in barcodes and len(barcodes) == 4  # PEN's each barcode is gone


def test_a_salesperson_pulls_each_items_stock_per_warehouse_all_bins_together(client, world, db, as_role):
    """`stock:<warehouse>`: on hand, reserved and available per item, whatever bin or lot it lies in; quarantine is on hand
    but not available; a reservation and a bin put in quarantine change what is available at once."""
    stock_two_warehouses(db)
    sales, admin = as_role("sales"), as_role("admin")
    pages, cursor = bootstrap_all(client, sales, "stock:WH1", 2)
    assert all(page["kind"] == "stock" and page["fields"] == ["key", "sku", "warehouse", "qty", "reserved", "available"] for page in pages)
    view = {row[0]: dict(zip(pages[0]["fields"][1:], row[1:], strict=True)) for page in pages for row in page["items"]}

    def summary() -> dict[str, tuple[str, str, str]]:
        return {row["sku"]: (row["qty"], row["reserved"], row["available"]) for row in view.values() if row["warehouse"] == "WH1"}

    # PEN: B1 5, B2 7, QC 2 (quarantine), Z1 1, WH1 6; RICE: B1 2.5, B3 1, Z1 9; MILK: B1 3+4, B2 1 (B3 emptied)
    assert summary() == {"PEN": ("21", "0", "19"), "RICE": ("12.5", "0", "12.5"), "MILK": ("8", "0", "8")}
    reserved = client.post("/api/v1/stock/reservations", headers=sales, json={"sku": "PEN", "location": "B2", "qty": "3"})
    assert reserved.status_code == 201, reserved.text
    b1 = client.get("/api/v1/locations/B1", headers=admin).json()
    assert client.patch("/api/v1/locations/B1", headers=admin, json={"version": b1["version"], "quarantine": True}).status_code == 200
    stock(db, "RICE", 1, "SUPPLIER", "W2-B1")  # another warehouse: not in this scope
    changes, cursor = pull_all(client, sales, "stock:WH1", cursor)
    assert {c["scope"] for c in changes} == {"stock:WH1"} and {c["kind"] for c in changes} == {"stock"}
    view.update({c["key"]: c["data"] for c in changes})
    assert summary() == {"PEN": ("21", "3", "11"), "RICE": ("12.5", "0", "10"), "MILK": ("8", "0", "1")}
    fresh, _ = bootstrap_all(client, sales, "stock:WH1", 1000)
    assert {row[0]: dict(zip(fresh[0]["fields"][1:], row[1:], strict=True)) for page in fresh for row in page["items"]} == view
    # The bins' own balances (scope wh:WH1) say the same about B1.
    bins, _ = pull_all(client, admin, "wh:WH1")
    latest = {c["key"]: c["data"] for c in bins}
    assert {(d["sku"], d["lot"]): d["available"] for d in latest.values() if d["location"] == "B1"} == {
        ("PEN", None): "0", ("RICE", None): "0", ("MILK", "L1"): "0", ("MILK", "L2"): "0"}


def test_a_pull_that_must_start_again_names_the_scopes_the_user_may_no_longer_see(client, world, db, as_role):
    limited = as_role("warehouse", ("WH2",))
    page = client.get("/api/v1/sync/pull", headers=limited, params=[("scope", "wh:WH2"), ("scope", "stock:WH1"), ("scope", "catalog")]).json()
    assert page["reset_required"] is True and page["reset_scopes"] == ["stock:WH1"]
    page = client.get("/api/v1/sync/pull", headers=limited, params=[("scope", "wh:WH2"), ("scope", "catalog")]).json()
    assert page["reset_required"] is False and page["reset_scopes"] == []


def test_one_transaction_that_moves_many_items_updates_each_ones_stock_in_the_warehouse(client, world, db, as_role):
    sales = as_role("sales")
    _, cursor = bootstrap_all(client, sales, "stock:WH1", 1000)
    with db.write() as session:  # more balances than are read one by one: the batched path
        for n in range(30):
            create_item(session, SYSTEM, ItemCreate(sku=f"BOLT-{n:02}", name_zh=f"螺栓 {n}", name_en=f"Bolt {n}", unit="pcs"))
        session.flush()
        for n in range(30):
            move(session, SYSTEM, sku=f"BOLT-{n:02}", qty=Decimal(n + 1), source="SUPPLIER", target="B1" if n % 2 else "QC", unit_cost=Decimal(1))
            move(session, SYSTEM, sku=f"BOLT-{n:02}", qty=Decimal(1), source="SUPPLIER", target="W2-B1", unit_cost=Decimal(1))
    changes, _ = pull_all(client, sales, "stock:WH1", cursor)
    bolts = {c["data"]["sku"]: (c["data"]["qty"], c["data"]["available"]) for c in changes}
    assert bolts == {f"BOLT-{n:02}": (str(n + 1), str(n + 1) if n % 2 else "0") for n in range(30)}
    assert len(changes) == 30  # one row per item and warehouse, WH2's in its own scope
    elsewhere, _ = pull_all(client, sales, "stock:WH2")
    assert {c["data"]["sku"]: c["data"]["qty"] for c in elsewhere if c["data"]["sku"].startswith("BOLT")} == {f"BOLT-{n:02}": "1" for n in range(30)}
