"""Labels over the API: an item's, a bin's, a lot's and a package's label in each format, read back by a real decoder;
batches for a zone, a receipt and a sales order, as a PDF or sent to the warehouse's printer; printers per warehouse."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image
from pypdf import PdfReader

from tests.helpers import PEN_EACH, post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock
from tests.test_labels import FakePrinter


def decoded(png: bytes) -> set[str]:
    return {found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))}


def test_an_items_label_in_each_format_carries_its_barcode_names_and_price(client, world, as_role):
    admin = Api(client, as_role("admin"))
    admin.post("/api/v1/price-lists", {"code": "RETAIL", "kind": "sales", "name_zh": "零售价", "name_en": "Retail",
                                       "prices": [{"sku": "PEN", "price": "2.5"}]}, expect=201)
    png = client.get("/api/v1/labels/item/PEN.png", headers=admin.headers, params={"price_list": "RETAIL"})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert decoded(png.content) == {PEN_EACH}
    svg = client.get("/api/v1/labels/item/PEN.svg", headers=admin.headers, params={"price_list": "RETAIL"})
    assert svg.headers["content-type"].startswith("image/svg+xml") and "中性笔" in svg.text and "¥2.50" in svg.text
    pdf = client.get("/api/v1/labels/item/PEN.pdf", headers=admin.headers)
    assert pdf.headers["content-type"] == "application/pdf" and "中性笔" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    zpl = client.get("/api/v1/labels/item/PEN.zpl", headers=admin.headers, params={"dpi": 300})
    assert zpl.text.startswith("^XA\n^CI28") and f"^BEN" in zpl.text and f"^FD{PEN_EACH[:12]}^FS" in zpl.text
    assert "^PW591" in zpl.text  # 50 mm at 300 dpi
    big = client.get("/api/v1/labels/item/PEN.png", headers=admin.headers, params={"size": "100x150"})
    assert Image.open(io.BytesIO(big.content)).size == (799, 1199)  # 100 × 150 mm at 203 dpi and decoded(big.content) == {PEN_EACH}


def test_bin_lot_and_package_labels_read_back_as_what_the_scanner_resolves(client, world, as_role):
    admin, worker, sales = Api(client, as_role("admin")), Api(client, as_role("warehouse")), Api(client, as_role("sales"))
    assert decoded(client.get("/api/v1/labels/location/B1.png", headers=worker.headers).content) == {"B1"}
    admin.patch("/api/v1/lots/MILK/L1", {"expiry": "2027-03-31"})
    milk = admin.get("/api/v1/items/MILK")
    each = next(b["code"] for b in milk["barcodes"] if b["qty"] == "1")
    lot = client.get("/api/v1/labels/lot/MILK/L1.png", headers=worker.headers)
    [gs1] = decoded(lot.content)
    assert gs1 == f"(01){each.zfill(14)}(17)270331(10)L1"
    scanned = worker.get("/api/v1/scan/", code=gs1)  # what the label says is what a scan of it finds
    assert scanned["item"]["sku"] == "MILK" and scanned["lot"]["code"] == "L1"

    customer_and_areas(admin)
    post_move(client, worker.headers, "PEN", 5, "SUPPLIER", "B1", unit_cost="1")
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "ship_to": "上海市浦东新区 1 号",
                                                "lines": [{"sku": "PEN", "qty": "5", "unit_price": "3"}]}, expect=201)
    order = sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    worker.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": "5"})
    packed = worker.post(f"/api/v1/sales-orders/{order['number']}/pack", {"packages": [{"lines": [{"line": 1, "qty": "5"}]}]})
    sscc = packed["packages"][0]["sscc"]
    label = client.get(f"/api/v1/labels/package/{sscc}.png", headers=worker.headers)
    assert decoded(label.content) == {f"(00){sscc}"}
    text = PdfReader(io.BytesIO(client.get(f"/api/v1/labels/package/{sscc}.pdf", headers=worker.headers).content)).pages[0].extract_text()
    assert "客户一" in text and "上海市浦东新区" in text and order["number"] in text and "PEN × 5" in text


def test_asking_for_a_label_of_something_unknown_or_in_an_unknown_format_is_a_clear_4xx(client, world, as_role):
    worker = as_role("warehouse")
    for path, status, error in [
        ("/api/v1/labels/item/NOPE.png", 404, "not_found"),
        ("/api/v1/labels/item/PEN.gif", 422, "bad_label_format"),
        ("/api/v1/labels/item/PEN", 422, "bad_label_format"),
        ("/api/v1/labels/lot/MILK/NOPE.png", 404, "not_found"),
        ("/api/v1/labels/location/SUPPLIER.png", 422, "virtual_location"),
        ("/api/v1/labels/package/106141411234567897.png", 404, "not_found"),
    ]:
        response = client.get(path, headers=worker)
        assert (response.status_code, response.json()["error"]) == (status, error), path
    assert client.get("/api/v1/labels/item/PEN.png", headers=worker, params={"size": "4x6"}).status_code == 400
    assert client.get("/api/v1/labels/item/PEN.png").status_code == 401


def test_the_bins_of_a_zone_print_as_one_a4_sheet(client, world, as_role):
    admin = Api(client, as_role("admin"))
    for n in range(1, 22):
        admin.post("/api/v1/locations", {"code": f"Z1-{n:02}", "kind": "bin", "parent": "Z1", "name_zh": "拣货区"}, expect=201)
    response = client.post("/api/v1/labels/print", headers=as_role("warehouse"), json={"kind": "location", "under": "Z1", "size": "a4-3x8"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = pages[0].extract_text()
    assert len(pages) == 1 and set(re.findall(r"\b(?:B\d|Z1-\d\d)\b", text)) == {"B1", "B2", "B3"} | {f"Z1-{n:02}" for n in range(1, 22)}
    assert text.count("拣货区") == 21  # the zone's 24 bins, each once


def test_a_receipts_lots_go_to_the_warehouses_printer_and_the_print_is_audited(client, world, as_role):
    admin, purchaser, worker = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    supplier_and_dock(admin)
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "MILK", "qty": "30", "unit_price": "3"}]},
                        expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    grn = worker.post("/api/v1/receipts", {"po": po["number"]}, expect=201)["number"]
    for lot, qty in (("R1", "10"), ("R2", "10"), ("R1", "10")):
        worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "MILK", "qty": qty, "lot": lot, "expiry": "2027-05-31"}, expect=201)

    printer = FakePrinter()
    try:
        made = admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "收货台 Dock 1", "host": "127.0.0.1", "port": printer.port}, expect=201)
        assert (made["warehouse"], made["dpi"], made["size"]) == ("WH1", 203, "50x30")
        each = next(b["gtin"] for b in admin.get("/api/v1/items/MILK")["barcodes"] if b["qty"] == "1")
        answer = worker.post("/api/v1/labels/print", {"kind": "lot", "receipt": grn, "printer": made["id"], "copies": 2})
        assert answer["labels"] == 4 and "127.0.0.1" in answer["printer"]
        [job] = printer.jobs
        zpl = job.decode("utf-8")
        barcodes = re.findall(r",D\^FH\\\^FD(\S+?)\^FS", zpl)  # GS1-128 fields, one per label
        assert zpl.count("^XA") == 4 and barcodes == [f"(01){each}(17)270531(10){lot}" for lot in ("R1", "R1", "R2", "R2")]
        entries = admin.get("/api/v1/audit", action="labels.print")["items"]
        assert entries and entries[0]["details"]["labels"] == 4
    finally:
        printer.close()


def test_an_unreachable_printer_is_a_clear_409_and_printers_belong_to_their_warehouse(client, world, as_role):
    admin = Api(client, as_role("admin"))
    made = admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Aisle 3", "host": "127.0.0.1", "port": 9}, expect=201)
    response = client.post("/api/v1/labels/print", headers=as_role("warehouse"), json={"kind": "location", "codes": ["B1"], "printer": made["id"]})
    assert response.status_code == 409 and response.json()["error"] == "printer_unreachable"
    assert "127.0.0.1:9" in response.json()["message"]
    chinese = client.post("/api/v1/printers/%d/test" % made["id"], headers={**as_role("warehouse"), "Accept-Language": "zh-CN"})
    assert chinese.status_code == 409 and "无法连接标签打印机" in chinese.json()["message"]
    # Someone working in WH2 neither sees nor uses WH1's printers.
    other = as_role("warehouse", ("WH2",))
    assert client.get("/api/v1/printers", headers=other).json()["items"] == []
    refused = client.post("/api/v1/labels/print", headers=other, json={"kind": "location", "codes": ["B1"], "printer": made["id"]})
    assert refused.status_code == 403
    # Names are unique per warehouse; a bad address is refused before it is stored.
    admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Aisle 3", "host": "10.0.0.9"}, expect=409)
    admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "X", "host": "http://10.0.0.9/"}, expect=400)
    changed = admin.patch(f"/api/v1/printers/{made['id']}", {"version": made["version"], "active": False})
    inactive = client.post("/api/v1/labels/print", headers=as_role("warehouse"), json={"kind": "location", "codes": ["B1"], "printer": made["id"]})
    assert changed["active"] is False and inactive.status_code == 409 and inactive.json()["error"] == "printer_inactive"


def test_a_print_request_that_names_nothing_or_mixes_kinds_is_refused_and_sends_nothing(client, world, as_role):
    worker = as_role("warehouse")
    for body, error in [
        ({"kind": "location"}, "nothing_to_print"),
        ({"kind": "item", "under": "Z1"}, "bad_print_request"),
        ({"kind": "location", "receipt": "GRN-1"}, "bad_print_request"),
        ({"kind": "lot", "codes": ["L1"]}, "bad_print_request"),
        ({"kind": "location", "codes": ["B1"] * 3000, "copies": 2}, "too_many_labels"),
    ]:
        response = client.post("/api/v1/labels/print", headers=worker, json=body)
        assert response.status_code == 422 and response.json()["error"] == error, (body, response.text)
    viewer = client.post("/api/v1/labels/print", headers=as_role("viewer"), json={"kind": "location", "codes": ["B1"]})
    assert viewer.status_code == 403
