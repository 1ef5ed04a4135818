"""Items, barcodes, lots, locations and partners through the API."""

from __future__ import annotations

from tests.helpers import post_move


def new_item(**fields):  # type: ignore[no-untyped-def]
    return {"sku": "TEA-1", "name_zh": "绿茶 500ml", "name_en": "Green tea 500ml", "unit": "瓶",
            "barcodes": [{"code": "6920000000012"}, {"code": "16920000000019", "pack": "carton", "qty": "24"}], **fields}


def test_a_purchaser_creates_an_item_with_each_and_carton_barcodes(client, as_role):
    purchaser = as_role("purchaser")
    response = client.post("/api/v1/items", headers=purchaser, json=new_item())
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["sku"] == "TEA-1" and item["version"] == 1
    assert [(b["code"], b["pack"], b["qty"]) for b in item["barcodes"]] == [("6920000000012", "each", "1"), ("16920000000019", "carton", "24")]
    assert item["barcodes"][0]["gtin"] == "06920000000012"
    assert client.get("/api/v1/items/TEA-1", headers=purchaser).json()["name_zh"] == "绿茶 500ml"


def test_items_search_by_name_sku_or_barcode_with_pagination(client, admin, world):
    page = client.get("/api/v1/items", headers=admin, params={"limit": 2, "offset": 0}).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    assert [i["sku"] for i in client.get("/api/v1/items", headers=admin, params={"search": "牛奶"}).json()["items"]] == ["MILK"]
    assert [i["sku"] for i in client.get("/api/v1/items", headers=admin, params={"search": "gel"}).json()["items"]] == ["PEN"]
    assert [i["sku"] for i in client.get("/api/v1/items", headers=admin, params={"search": "6901234000016"}).json()["items"]] == ["PEN"]


def test_a_barcode_belongs_to_one_item_only(client, admin, world):
    response = client.post("/api/v1/items", headers=admin, json=new_item(barcodes=[{"code": "6901234000016"}]))
    assert response.status_code == 409 and response.json()["error"] == "duplicate_barcode" and "PEN" in response.json()["message"]
    assert client.post("/api/v1/items", headers=admin, json=new_item(sku="PEN")).json()["error"] == "duplicate_sku"


def test_an_edit_made_on_a_stale_version_is_refused(client, admin, world):
    assert client.patch("/api/v1/items/PEN", headers=admin, json={"version": 1, "name_en": "Blue gel pen"}).json()["version"] == 2
    stale = client.patch("/api/v1/items/PEN", headers=admin, json={"version": 1, "name_en": "Red gel pen"})
    assert stale.status_code == 409 and stale.json()["error"] == "stale_version"
    assert client.get("/api/v1/items/PEN", headers=admin).json()["name_en"] == "Blue gel pen"


def test_tracking_and_unit_are_frozen_once_an_item_has_moves(client, admin, worker):
    assert client.patch("/api/v1/items/PEN", headers=admin, json={"tracking": "lot"}).status_code == 200
    assert client.patch("/api/v1/items/PEN", headers=admin, json={"tracking": "none"}).status_code == 200
    post_move(client, worker, "PEN", 1, "SUPPLIER", "B1")
    frozen = client.patch("/api/v1/items/PEN", headers=admin, json={"tracking": "lot"})
    assert frozen.status_code == 409 and frozen.json()["error"] == "frozen_field"


def test_lots_get_an_expiry_from_production_date_and_shelf_life(client, worker):
    response = client.post("/api/v1/lots", headers=worker, json={"sku": "MILK", "code": "L9", "produced_on": "2026-11-01"})
    assert response.status_code == 201 and response.json()["expiry"] == "2026-12-01"
    assert client.post("/api/v1/lots", headers=worker, json={"sku": "MILK", "code": "L9"}).status_code == 409
    assert client.post("/api/v1/lots", headers=worker, json={"sku": "PEN", "code": "X"}).json()["error"] == "lot_not_tracked"
    expiring = client.get("/api/v1/lots", headers=worker, params={"expiring_before": "2026-12-31"}).json()
    assert [lot["code"] for lot in expiring["items"]] == ["L9"]
    assert client.patch("/api/v1/lots/MILK/L9", headers=worker, json={"expiry": "2026-12-15"}).json()["expiry"] == "2026-12-15"


def test_locations_form_a_warehouse_zone_bin_tree(client, admin, world):
    assert client.post("/api/v1/locations", headers=admin, json={"code": "Z2", "kind": "zone", "parent": "WH1"}).status_code == 201
    created = client.post("/api/v1/locations", headers=admin, json={"code": "Z2-01", "kind": "bin", "parent": "Z2", "name_zh": "二区1号"})
    assert created.status_code == 201 and created.json()["warehouse"] == "WH1" and created.json()["parent"] == "Z2"
    bad = client.post("/api/v1/locations", headers=admin, json={"code": "X1", "kind": "zone", "parent": "B1"})
    assert bad.status_code == 422 and bad.json()["error"] == "bad_parent"
    orphan = client.post("/api/v1/locations", headers=admin, json={"code": "X2", "kind": "bin"})
    assert orphan.status_code == 422
    bins = client.get("/api/v1/locations", headers=admin, params={"warehouse": "WH1", "kind": "bin"}).json()
    assert [loc["code"] for loc in bins["items"]] == ["B1", "B2", "B3", "QC", "Z2-01"] and bins["total"] == 5


def test_virtual_locations_exist_and_cannot_be_changed(client, admin):
    virtual = client.get("/api/v1/locations", headers=admin, params={"kind": "virtual"}).json()
    assert {loc["code"] for loc in virtual["items"]} == {"SUPPLIER", "CUSTOMER", "ADJUSTMENT", "SCRAP", "TRANSIT", "OPENING"}
    assert client.patch("/api/v1/locations/CUSTOMER", headers=admin, json={"name_en": "x"}).status_code == 409


def test_a_bin_put_in_quarantine_stops_offering_its_stock(client, admin, worker):
    post_move(client, worker, "PEN", 3, "SUPPLIER", "B2")
    assert client.patch("/api/v1/locations/B2", headers=admin, json={"quarantine": True}).status_code == 200
    row = client.get("/api/v1/stock/balances", headers=worker, params={"location": "B2"}).json()["items"][0]
    assert row["available"] == "0" and row["qty"] == "3"


def test_an_inactive_location_takes_no_stock(client, admin, worker):
    client.patch("/api/v1/locations/B3", headers=admin, json={"active": False})
    assert post_move(client, worker, "PEN", 1, "SUPPLIER", "B3").json()["error"] == "inactive_location"


def test_suppliers_and_customers(client, as_role):
    sales = as_role("sales")
    created = client.post("/api/v1/partners", headers=sales, json={
        "code": "C-1", "kind": "customer", "name_zh": "华联超市", "name_en": "Hualian", "credit_limit": "50000.00"})
    assert created.status_code == 201 and created.json()["credit_limit"] == "50000"
    assert client.post("/api/v1/partners", headers=sales, json={"code": "C-2", "kind": "customer", "credit_limit": "1.001"}).status_code == 422
    assert [p["code"] for p in client.get("/api/v1/partners", headers=sales, params={"kind": "customer"}).json()["items"]] == ["C-1"]
    assert client.get("/api/v1/partners", headers=sales, params={"kind": "supplier"}).json()["total"] == 0
