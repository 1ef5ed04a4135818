"""Labels over the API: an item's, a bin's, a lot's and a package's label in each format, read back by a real decoder;
batches for a zone, a receipt and a sales order, as a PDF or sent to the warehouse's printer; printers per warehouse."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import socket
import time

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from server.settings import Settings
from tests.helpers import PEN_EACH, post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock
from tests.test_labels import FakePrinter


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The server's settings; the tests that print to a fake printer on 127.0.0.1 ask for `local_printers`, and the
    server runs for them as with CANGKU_ALLOW_LOCAL_PRINTERS=1."""
    return dataclasses.replace(settings, allow_local_printers="local_printers" in request.fixturenames)


@pytest.fixture
def local_printers() -> None:
    """Label printers on this machine are allowed (see `settings`)."""


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
    assert zpl.text.startswith("^XA\n^CI28") and "^BEN" in zpl.text and f"^FD{PEN_EACH[:12]}^FS" in zpl.text
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


def test_a_receipts_lots_go_to_the_warehouses_printer_and_the_print_is_audited(client, world, as_role, local_printers):
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
        deadline = time.monotonic() + 10  # the printer keeps the job once the connection closes, on its own thread
        while not printer.jobs and time.monotonic() < deadline:
            time.sleep(0.01)
        [job] = printer.jobs
        zpl = job.decode("utf-8")
        barcodes = re.findall(r",D\^FH\\\^FD(\S+?)\^FS", zpl)  # GS1-128 fields, one per label
        assert zpl.count("^XA") == 4 and barcodes == [f"(01){each}(17)270531(10){lot}" for lot in ("R1", "R1", "R2", "R2")]
        entries = admin.get("/api/v1/audit", action="labels.print")["items"]
        assert entries and entries[0]["details"]["labels"] == 4
    finally:
        printer.close()


def test_an_unreachable_printer_is_a_clear_409_and_printers_belong_to_their_warehouse(client, world, as_role, local_printers):
    admin = Api(client, as_role("admin"))
    made = admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Aisle 3", "host": "127.0.0.1", "port": 9}, expect=201)
    response = client.post("/api/v1/labels/print", headers=as_role("warehouse"), json={"kind": "location", "codes": ["B1"], "printer": made["id"]})
    assert response.status_code == 409 and response.json()["error"] == "printer_unreachable"
    assert "127.0.0.1:9" in response.json()["message"]
    chinese = client.post(f"/api/v1/printers/{made['id']}/test", headers={**as_role("warehouse"), "Accept-Language": "zh-CN"})
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


# Where label printers may be -----------------------------------------------------------------------


def refused(client, headers, body, code):  # type: ignore[no-untyped-def]
    """A printer the server will not store: a 422 that says why, in English and in Chinese."""
    english = client.post("/api/v1/printers", headers=headers, json=body)
    chinese = client.post("/api/v1/printers", headers={**headers, "Accept-Language": "zh-CN"}, json=body)
    assert (english.status_code, english.json()["error"]) == (422, code), english.text
    assert (chinese.status_code, chinese.json()["error"]) == (422, code), chinese.text
    return english.json()["message"], chinese.json()["message"]


def test_a_printer_on_loopback_is_refused(client, world, as_role):
    admin = as_role("admin")
    for host in ("127.0.0.1", "localhost", "2130706433", "0:0:0:0:0:0:0:1"):
        en, zh = refused(client, admin, {"warehouse": "WH1", "name": "Local", "host": host}, "printer_address_loopback")
        assert "loopback" in en and "CANGKU_ALLOW_LOCAL_PRINTERS" in en and "环回" in zh and "CANGKU_ALLOW_LOCAL_PRINTERS" in zh
    assert client.get("/api/v1/printers", headers=admin).json()["items"] == []  # nothing was stored


def test_a_printer_on_a_link_local_address_is_refused(client, world, as_role):
    for host in ("169.254.169.254", "fe80::1"):
        en, zh = refused(client, as_role("admin"), {"warehouse": "WH1", "name": "Cloud", "host": host}, "printer_address_link_local")
        assert "link-local" in en and "链路本地" in zh


def test_a_printer_at_the_databases_redis_or_this_servers_port_is_refused_even_with_local_printers_allowed(client, world, as_role,
                                                                                                         local_printers):
    for host, port in (("127.0.0.1", 8000), ("127.0.0.1", 5432), ("127.0.0.1", 6379), ("10.0.0.9", 6379)):
        en, zh = refused(client, as_role("admin"), {"warehouse": "WH1", "name": "Svc", "host": host, "port": port}, "printer_port_refused")
        assert f"Port {port} is one of this server's own services" in en and f"端口 {port} 是本服务器自身服务" in zh


def test_a_network_printer_takes_jobs_on_a_printing_port(client, world, as_role):
    admin = Api(client, as_role("admin"))
    en, zh = refused(client, admin.headers, {"warehouse": "WH1", "name": "Web", "host": "10.0.0.9", "port": 80}, "printer_port_refused")
    assert "9100–9109 or 6101" in en and "9100–9109 或 6101" in zh
    assert admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Dock", "host": "10.0.0.9"}, expect=201)["port"] == 9100
    assert admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Zebra", "host": "10.0.0.10", "port": 6101}, expect=201)["port"] == 6101


def test_a_printer_on_loopback_is_allowed_when_local_printers_are(client, world, as_role, local_printers):
    admin = Api(client, as_role("admin"))
    assert admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Spooler", "host": "127.0.0.1"}, expect=201)["host"] == "127.0.0.1"
    assert admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Spooler 2", "host": "169.254.3.4", "port": 40000}, expect=201)


def test_moving_a_printer_to_a_refused_address_is_refused_and_changes_nothing(client, world, as_role):
    admin = Api(client, as_role("admin"))
    made = admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Dock", "host": "10.0.0.9"}, expect=201)
    for change, code in (({"host": "127.0.0.1"}, "printer_address_loopback"), ({"port": 6379}, "printer_port_refused"),
                         ({"host": "169.254.169.254", "name": "Renamed"}, "printer_address_link_local")):
        response = client.patch(f"/api/v1/printers/{made['id']}", headers=admin.headers, json={"version": made["version"], **change})
        assert (response.status_code, response.json()["error"]) == (422, code)
    [kept] = admin.get("/api/v1/printers")["items"]
    assert kept == made


def stored_printer(db, name: str, host: str, port: int) -> int:  # type: ignore[no-untyped-def]
    """A printer row as an older version stored it, or as a name that resolves elsewhere today: checked only when used."""
    from sqlalchemy import select

    from server.locations.models import Location
    from server.printing.models import Printer

    with db.write() as session:
        warehouse = session.scalar(select(Location.id).where(Location.code == "WH1"))
        printer = Printer(warehouse_id=warehouse, name=name, host=host, port=port)
        session.add(printer)
        session.flush()
        return printer.id


def test_a_test_print_answers_the_same_for_a_closed_port_an_open_service_and_a_refused_address(client, world, as_role, db, local_printers):
    """Whether nothing listens, Redis listens, or the address is one no printer may have, the answer is the same 409 with
    the same words (only the printer's own name and address differ): a test print cannot map ports."""
    with socket.socket() as probe:  # a port on this machine that nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    admin, worker = Api(client, as_role("admin")), as_role("warehouse")
    made = admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Closed", "host": "127.0.0.1", "port": closed}, expect=201)
    printers = [(made["id"], "Closed", f"127.0.0.1:{closed}"), (stored_printer(db, "Redis", "127.0.0.1", 6379), "Redis", "127.0.0.1:6379"),
                (stored_printer(db, "Nowhere", "0.0.0.0", 9100), "Nowhere", "0.0.0.0:9100")]
    answers = set()
    for printer_id, name, where in printers:
        for language in ("en", "zh-CN"):
            headers = {**worker, "Accept-Language": language}
            for response in (client.post(f"/api/v1/printers/{printer_id}/test", headers=headers),
                             client.post("/api/v1/labels/print", headers=headers, json={"kind": "location", "codes": ["B1"], "printer": printer_id})):
                assert response.status_code == 409 and response.json()["details"]["printer"] == name
                answer = {k: v for k, v in response.json().items() if k != "request_id"}  # the one thing that differs by design
                answers.add(json.dumps(answer, ensure_ascii=False, sort_keys=True).replace(name, "NAME").replace(where, "WHERE"))
    assert len(answers) == 2, answers  # one answer per language, the same for every printer
    assert all('"error": "printer_unreachable"' in answer and "无法连接标签打印机 NAME（WHERE）" in answer for answer in answers)
    assert not any("refused" in answer.lower() or "拒绝" in answer or "Errno" in answer for answer in answers)


def test_an_item_named_to_run_a_redis_command_prints_as_one_line_of_text(client, world, as_role, db, local_printers):
    """An item whose name carries CR LF and a Redis command, printed to a printer on this machine: the stream holds the
    name as escaped field data, no CR or LF inside any field, and no line of its own."""
    from sqlalchemy import select

    from server.catalog.models import Item

    with db.write() as session:  # stored as any name is: by an import, a sync, an older version
        session.scalar(select(Item).where(Item.sku == "PEN")).name_en = "x\r\nSET k 1\r\n"
    printer = FakePrinter()
    try:
        admin = Api(client, as_role("admin"))
        made = admin.post("/api/v1/printers", {"warehouse": "WH1", "name": "Dock", "host": "127.0.0.1", "port": printer.port}, expect=201)
        Api(client, as_role("warehouse")).post("/api/v1/labels/print", {"kind": "item", "codes": ["PEN"], "printer": made["id"]})
        deadline = time.monotonic() + 5
        while not printer.jobs and time.monotonic() < deadline:
            time.sleep(0.01)
        [job] = printer.jobs
    finally:
        printer.close()
    assert b"\r" not in job and all(line.startswith(b"^") for line in job.split(b"\n")[:-1])
    assert b"\nSET" not in job and b"^FH\\^FDx\\0D\\0ASET k 1\\0D\\0A^FS" in job
    assert all(b"\n" not in field for field in re.findall(rb"\^FD(.*?)\^FS", job, re.S))


def test_a_printer_stored_at_an_address_now_refused_is_sent_nothing(client, world, as_role, db):
    """The address is checked again when a job is sent: a printer stored before, or a name that resolves elsewhere now."""
    printer = FakePrinter()
    try:
        printer_id = stored_printer(db, "Old", "127.0.0.1", printer.port)
        response = client.post(f"/api/v1/printers/{printer_id}/test", headers=as_role("warehouse"))
        time.sleep(0.1)
        assert (response.status_code, response.json()["error"]) == (409, "printer_unreachable")
        assert printer.connections == 0 and printer.jobs == []
    finally:
        printer.close()


def test_the_servers_own_ports_are_those_of_its_settings(tmp_path):
    from server.printing.services import address_policy

    policy = address_policy(Settings(data_dir=tmp_path, database_url="postgresql://cangku@db.internal:5433/cangku", port=8080,
                                     redis_url="redis://cache.internal:6380/0"))
    assert policy.service_ports == {8080, 5433, 6380, 5432, 6379} and not policy.allow_local
    local = address_policy(Settings(data_dir=tmp_path, database_url=None, allow_local_printers=True))
    assert local.service_ports == {8000, 5432, 6379} and local.allow_local
