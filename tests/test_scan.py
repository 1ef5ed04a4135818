"""`GET /api/v1/scan/{code}`: item and carton barcodes, SKUs, locations, lots and GS1 element strings."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.helpers import PEN_CARTON, PEN_EACH


def scan(client, headers, code):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/scan", headers=headers, params={"code": code})
    assert response.status_code == 200, response.text
    return response.json()


def test_an_each_barcode_is_one_unit(client, worker):
    result = scan(client, worker, PEN_EACH)
    assert (result["kind"], result["item"]["sku"], result["pack"], result["qty"]) == ("item", "PEN", "each", "1")


def test_a_carton_barcode_is_its_pack_quantity(client, worker):
    result = scan(client, worker, PEN_CARTON)
    assert (result["kind"], result["item"]["sku"], result["pack"], result["qty"]) == ("item", "PEN", "carton", "12")


def test_the_path_form_resolves_the_same(client, worker):
    response = client.get(f"/api/v1/scan/{PEN_CARTON}", headers=worker)
    assert response.json()["qty"] == "12"


def test_a_upc_a_scan_finds_the_item_registered_with_its_ean13(client, worker, admin):
    client.patch("/api/v1/items/PEN", headers=admin, json={"barcodes": [
        {"code": PEN_EACH}, {"code": PEN_CARTON, "pack": "carton", "qty": "12"}, {"code": "0012345678905", "pack": "each"}]})
    result = scan(client, worker, "012345678905")  # the same GTIN as a 12-digit UPC-A
    assert result["kind"] == "item" and result["item"]["sku"] == "PEN"


def test_a_sku_a_location_and_a_lot_are_recognised(client, worker):
    assert scan(client, worker, "PEN")["kind"] == "item"
    location = scan(client, worker, "B1")
    assert location["kind"] == "location" and location["location"]["warehouse"] == "WH1"
    quarantine = scan(client, worker, "QC")
    assert quarantine["location"]["quarantine"] is True
    lot = scan(client, worker, "L1")
    assert lot["kind"] == "lot" and lot["lot"] == {"sku": "MILK", "code": "L1", "expiry": None}


@pytest.mark.parametrize(
    "code",
    [
        "(01)16901234000020(17)271231(10)L1(37)3",  # human-readable form
        "]C10116901234000020172712311" + "0L1\x1d373",  # GS1-128 as a scanner sends it, FNC1 as GS
        "0116901234000020172712311" + "0L1\x1d373",  # no symbology identifier
        "]d20116901234000020172712311" + "0L1\x1d373",  # GS1 DataMatrix
    ],
)
def test_a_gs1_label_gives_item_lot_expiry_and_quantity_in_base_units(client, worker, code):
    result = scan(client, worker, code)
    assert result["kind"] == "gs1"
    assert result["gtin"] == "16901234000020" and result["item"]["sku"] == "MILK"
    assert result["lot_code"] == "L1" and result["lot"]["code"] == "L1"
    assert result["expiry"] == "2027-12-31"
    assert result["pack"] == "carton" and result["qty"] == "18"  # 3 cartons of 6
    assert result["gs1"]["37"] == "3"


def test_an_sscc_is_recognised(client, worker):
    result = scan(client, worker, "(00)106141411234567897")
    assert result["kind"] == "gs1" and result["sscc"] == "106141411234567897"
    assert result["item"] is None


def test_a_gs1_string_for_an_unknown_gtin_still_reports_its_fields(client, worker):
    result = scan(client, worker, "(01)09506000134352(10)ABC")
    assert result["kind"] == "gs1" and result["gtin"] == "09506000134352" and result["item"] is None
    assert result["lot_code"] == "ABC"


def test_unknown_codes_say_so(client, worker):
    assert scan(client, worker, "NOTHING-HERE")["kind"] == "unknown"
    assert scan(client, worker, "6901234999990")["kind"] == "unknown"
    response = client.get(f"/api/v1/scan/{quote('weird code')}", headers=worker)
    assert response.status_code == 200 and response.json()["kind"] == "unknown"


def test_a_serial_number_label_is_that_unit_and_says_where_it_is(client, worker):
    from tests.helpers import post_move

    post_move(client, worker, "PHONE", 1, "SUPPLIER", "B2", serials=["IMEI-356938035643809"])
    result = scan(client, worker, "IMEI-356938035643809")
    assert result["kind"] == "item" and result["item"]["sku"] == "PHONE"
    assert result["qty"] == "1" and result["serial"] == "IMEI-356938035643809" and result["serial_location"] == "B2"
