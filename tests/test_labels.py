"""Labels: every symbology and template printed to PNG reads back, through a real decoder (zxing-cpp), as exactly the
data that went in; GS1 rules refuse what would not scan; ZPL is well formed and reaches a printer on port 9100; PDF
sheets hold their labels with Chinese text that is really text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import socket
import threading
import time
import unicodedata
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from labels import render, templates
from labels.gs1 import GS1Error, ai_table, check_digit, element_string, gtin14, parse_gs1, sscc
from labels.layout import Code, Label, Text, cjk_font
from labels.printers import PRINTER_PORTS, AddressPolicy, AddressRefused, PrinterError, checked_addresses, send
from labels.symbols import SymbolError, encode

F = zxingcpp.BarcodeFormat
LOCAL = AddressPolicy(allow_local=True)  # the fake printers listen on 127.0.0.1, as a print server on this machine would


def decode(png: bytes, formats: F = F.All) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=formats)


def alone(symbol, width: float = 60, height: float = 30) -> Label:  # type: ignore[no-untyped-def]
    return Label(width + 8, height + 8, (Code(4, 4, width, height, symbol),))


# Symbologies --------------------------------------------------------------------------------------

GS1_LOT = element_string({"01": "09506000134352", "17": "261231", "10": "ABC123"})
GS1_SERIAL = element_string({"01": "09506000134352", "21": "SN-0042", "37": "24", "10": "L7"})  # two variable fields inside


@pytest.mark.parametrize(("symbology", "data", "fmt", "expected"), [
    ("code128", "WH1-A-01-02", F.Code128, "WH1-A-01-02"),
    ("code128", "lot 2026/11 #7 (a)", F.Code128, "lot 2026/11 #7 (a)"),
    ("ean13", "6291041500213", F.EAN13, "6291041500213"),
    ("ean13", "629104150021", F.EAN13, "6291041500213"),  # the check digit added
    ("ean8", "96385074", F.EAN8, "96385074"),
    ("upca", "036000241457", F.UPCA, "036000241457"),
    ("qr", "WH1-A-01-02", F.QRCode, "WH1-A-01-02"),
    ("qr", "上海仓 A区 货架 3", F.QRCode, "上海仓 A区 货架 3"),
    ("datamatrix", "PEN|L1|2026-12-31", F.DataMatrix, "PEN|L1|2026-12-31"),
    ("gs1_128", GS1_LOT, F.Code128, "(01)09506000134352(17)261231(10)ABC123"),
    ("gs1_128", GS1_SERIAL, F.Code128, "(01)09506000134352(10)L7(21)SN-0042(37)24"),
    ("gs1_datamatrix", GS1_LOT, F.DataMatrix, "(01)09506000134352(17)261231(10)ABC123"),
    ("gs1_datamatrix", GS1_SERIAL, F.DataMatrix, "(01)09506000134352(10)L7(21)SN-0042(37)24"),
])
def test_every_symbology_printed_to_png_reads_back_as_the_data_that_went_in(symbology, data, fmt, expected):
    symbol = encode(symbology, data)
    [found] = decode(render.png(alone(symbol)), fmt)
    if symbology == "upca":  # the decoder reports a UPC-A as the same GTIN with its leading zero
        assert gtin14(found.text) == gtin14(expected)
    else:
        assert found.text == expected
    if symbology.startswith("gs1"):
        # Read as GS1 (FNC1 first, a separator after each variable-length field), and parsed back to the same elements.
        assert found.content_type == zxingcpp.ContentType.GS1 and found.symbology_identifier in ("]C1", "]d2")
        assert parse_gs1(found.text).elements == dict(data.elements)


def test_gs1_elements_are_put_in_encoding_order_with_a_separator_only_after_variable_ones():
    assert [ai for ai, _ in GS1_SERIAL.elements] == ["01", "10", "21", "37"]  # fixed-length first
    assert GS1_SERIAL.data("|") == "0109506000134352" + "10L7|" + "21SN-0042|" + "3724"
    assert GS1_LOT.data("|") == "0109506000134352" + "17261231" + "10ABC123"


# Check digits and validation (GS1 General Specifications) ------------------------------------------


@pytest.mark.parametrize(("payload", "digit"), [
    ("629104150021", "3"),  # GTIN-13, the worked example of the check digit calculation (GenSpecs 7.9.1)
    ("03600024145", "7"),  # UPC-A 036000241457
    ("9638507", "4"),  # GTIN-8 96385074
    ("0950600013435", "2"),  # GTIN-14 09506000134352, GS1's sample GTIN
    ("10614141123456789", "7"),  # SSCC (00)106141411234567897, GS1 US example
])
def test_check_digits_match_the_published_gs1_examples(payload, digit):
    assert check_digit(payload) == digit


def test_an_sscc_is_built_from_extension_company_prefix_and_serial_reference():
    assert sscc(1, "0614141", 123456789) == "106141411234567897"
    with pytest.raises(GS1Error, match="fit in 9 digits"):
        sscc(1, "0614141", 10**9)


@pytest.mark.parametrize(("elements", "en", "zh"), [
    ({"01": "09506000134353"}, "wrong check digit (it should end in 2)", "校验位错误"),
    ({"00": "106141411234567890"}, "wrong check digit (it should end in 7)", "校验位错误"),
    ({"01": "0950600013435"}, "exactly 14 digits", "必须正好 14 位"),
    ({"01": "09506000134352", "10": "L" * 21}, "at most 20 characters", "最多 20 个字符"),
    ({"01": "09506000134352", "17": "991340"}, "991340 is not a date", "不是有效日期"),
    ({"01": "09506000134352", "17": "260230"}, "260230 is not a date", "不是有效日期"),
    ({"01": "09506000134352", "10": "批号1"}, "may hold only letters, digits and GS1 punctuation", "只能包含"),
    ({"01": "09506000134352", "10": "A#1"}, "'#' is not allowed", "不允许"),
    ({"37": "12x"}, "digits only", "只能是数字"),
    ({"99": "X"}, "is not one labels print", "不支持"),
    ({}, "at least one element", "至少需要一个"),
])
def test_invalid_gs1_input_is_refused_with_a_clear_message_in_both_languages(elements, en, zh):
    with pytest.raises(GS1Error) as refused:
        element_string(elements)
    assert en in refused.value.en and zh in refused.value.zh


def test_an_expiry_on_day_00_means_the_end_of_the_month_and_is_accepted():
    assert element_string({"01": "09506000134352", "17": "261100"}).hri.endswith("(17)261100")


@pytest.mark.parametrize(("symbology", "data", "en"), [
    ("ean13", "6291041500214", "wrong check digit"),
    ("ean13", "62910415002", "takes 12 or 13 digits"),
    ("ean8", "9638507X", "takes 7 or 8 digits"),
    ("code128", "中性笔", "printable ASCII only"),
    ("gs1_128", "0109506000134352", "takes GS1 elements"),
    ("aztec", "X", "Unknown symbology"),
])
def test_data_a_symbology_cannot_carry_is_refused(symbology, data, en):
    with pytest.raises((SymbolError, GS1Error)) as refused:
        encode(symbology, data)
    assert en in refused.value.en and refused.value.zh


# Templates ----------------------------------------------------------------------------------------

PRODUCT = templates.Product("PEN", "中性笔（黑）", "Gel pen, black", "支", "2.50", "6901234000016")
BIN = templates.Bin("WH1-A-01-02", "WH1", "A区 货架")
LOT = templates.Lot("MILK", "全脂牛奶", "Whole milk", "L2026-11", dt.date(2026, 12, 31), "09506000134352")
PACKAGE = templates.Package("106141411234567897", "上海配送中心 Shanghai DC", "浦东新区 张江路 1 号", "SO-2026-00001", "WH1", "PEN × 24")


@pytest.mark.parametrize("size", list(templates.SIZES))
@pytest.mark.parametrize(("kind", "data", "expected"), [
    ("item", PRODUCT, {"6901234000016"}),
    ("item", templates.Product("SCREW-M4", "螺丝", "Screw M4"), {"SCREW-M4"}),  # no GTIN: the SKU as Code 128
    ("location", BIN, {"WH1-A-01-02"}),  # Code 128 and QR, both the code
    ("lot", LOT, {"(01)09506000134352(17)261231(10)L2026-11"}),
    ("lot", templates.Lot("BOLT", "螺栓", "Bolt", "B-77"), {"B-77"}),  # no GTIN: the lot code
    ("package", PACKAGE, {"(00)106141411234567897"}),
])
def test_every_template_in_every_size_reads_back_from_its_png(kind, data, expected, size):
    label = templates.build(kind, data, size)
    found = decode(render.png(label))
    assert {f.text for f in found} == expected
    if kind == "location":
        assert sorted(f.format for f in found) == sorted([F.Code128, F.QRCode])


def test_a_product_label_prints_its_chinese_and_english_names_price_and_sku():
    label = templates.build("item", PRODUCT, "50x30")
    texts = [item.text for item in label.items if isinstance(item, Text)]
    assert texts[:3] == ["中性笔（黑）", "Gel pen, black", "PEN"] and "¥2.50/支" in texts and "6901234000016" in texts
    assert cjk_font() is not None, "a CJK font is needed (fonts-wqy-microhei, installed by scripts/test)"


def test_a_long_name_is_made_smaller_to_fit_its_line_not_cut_off():
    long = templates.Product("X", "超长商品名称" * 8, "A very long English name " * 4)
    label = templates.build("item", long, "50x30")
    name = label.items[0]
    assert render.fitted_size(name) < name.size
    assert name.text == long.name_zh  # all of it


def test_an_unknown_size_is_refused():
    with pytest.raises(templates.TemplateError, match="Unknown label size"):
        templates.build("item", PRODUCT, "4x6in")


def test_svg_is_well_formed_with_text_escaped_and_sized_in_millimetres():
    import xml.etree.ElementTree as ET

    label = templates.build("item", templates.Product("A&B<1>", "甲&乙", "x < y"), "50x30")
    root = ET.fromstring(render.svg(label))
    assert root.get("width") == "50mm" and root.get("viewBox") == "0 0 50 30"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "甲&乙" in texts and "A&B<1>" in texts


# ZPL ----------------------------------------------------------------------------------------------


def test_zpl_is_one_well_formed_utf8_job_with_native_barcodes_and_escaped_field_data():
    tricky = templates.Product("A^B~C\\D", "笔^芯", "pen ~ refill")
    job = render.zpl(templates.build("item", tricky, "50x30"))
    assert job.startswith("^XA\n^CI28\n") and job.rstrip().endswith("^XZ") and job.count("^XA") == 1
    assert "^PW400" in job and "^LL240" in job  # 50 × 30 mm at 203 dpi
    fields = re.findall(r"\^FD(.*?)\^FS", job)
    assert "笔\\5E芯" in fields and "pen \\7E refill" in fields and "A\\5EB\\7EC\\5CD" in fields
    assert all("^" not in f and "~" not in f for f in fields)  # nothing in the data can act as a command
    assert "^BCN" in job and "^GF" not in job  # the printer draws the barcode itself, sharp

    kinds = {
        "location": ("^BCN", "^BQN,2"), "lot": ("^BCN", ",D^FH"), "package": (",D^FH\\^FD(00)106141411234567897",),
        "item": ("^BEN",),
    }
    for kind, data in (("location", BIN), ("lot", LOT), ("package", PACKAGE), ("item", PRODUCT)):
        job = render.zpl(templates.build(kind, data))
        assert all(marker in job for marker in kinds[kind]), (kind, job)
    assert "^FDMA,WH1-A-01-02^FS" in render.zpl(templates.build("location", BIN))
    matrix = render.zpl(alone(encode("gs1_datamatrix", GS1_SERIAL)))
    assert "^BXN," in matrix and "^FD`10109506000134352" + "10L7`1" + "21SN-0042`1" + "3724^FS" in matrix


# Text of any kind: ZPL carries it as data, never as a command or a control character --------------

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=24)  # every code point: controls, separators, surrogates
ASCII_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=24)  # what Code 128 may carry, and more
TEXT = st.one_of(ANY_TEXT, ASCII_TEXT, st.sampled_from(["x\r\nSET k 1\r\n", "^XZ^XA^FDx", "~JA", "\\5E", "a\u2028b\x85c\x00"]))
CODE = st.one_of(st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=24), TEXT)  # printable mostly: a barcode takes it
LABELS_OF_ANY_TEXT = st.one_of(
    st.builds(lambda *a: ("item", templates.Product(*a)), CODE, TEXT, TEXT, TEXT, st.none() | TEXT, st.sampled_from([None, "6901234000016"]) | CODE),
    st.builds(lambda *a: ("location", templates.Bin(*a)), CODE, TEXT, TEXT),
    st.builds(lambda *a: ("lot", templates.Lot(*a)), CODE, TEXT, TEXT, CODE, st.none() | st.just(dt.date(2027, 3, 31)),
              st.sampled_from([None, "09506000134352"])),
    st.builds(lambda *a: ("package", templates.Package("106141411234567897", *a)), TEXT, TEXT, TEXT, TEXT, TEXT),
)


def unescaped(field: str) -> str:
    """Field data as the printer reads it under ^FH\\ : each \\XX is the byte XX."""
    out, i = bytearray(), 0
    while i < len(field):
        if field[i] == "\\":
            out.append(int(field[i + 1:i + 3], 16))
            i += 3
        else:
            out += field[i].encode("utf-8")
            i += 1
    return out.decode("utf-8")


def commands(job: str) -> list[str]:
    return re.findall(r"[\^~][A-Z0-9@]{1,2}", job)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LABELS_OF_ANY_TEXT, st.sampled_from(list(templates.SIZES)))
def test_no_zpl_for_any_text_carries_a_control_character_or_a_command_of_its_own(kind_and_data, size):
    """Every text field of every template, with any text at all: the ZPL holds no control character but the line feed
    that ends each command line (every line starts with ^), no ~ at all, the same commands as the label with plain text,
    and each text field reads back, through ^FH, as exactly the text."""
    kind, data = kind_and_data
    try:
        label = templates.build(kind, data, size)
    except (templates.TemplateError, SymbolError, GS1Error):
        return  # a barcode that cannot carry the text: refused, nothing is printed
    job = render.zpl(label)
    sent = job.encode("utf-8")
    assert all(byte >= 0x20 and byte != 0x7F for byte in sent.replace(b"\n", b""))
    assert not any(unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") for char in job.replace("\n", ""))
    lines = job.split("\n")
    assert lines[-1] == "" and all(line.startswith("^") for line in lines[:-1])
    assert "~" not in job
    plain = Label(label.width, label.height, tuple(dataclasses.replace(i, text="x") if isinstance(i, Text) else i for i in label.items))
    assert commands(job) == commands(render.zpl(plain))
    fields = re.findall(r"\^FD(.*?)\^FS", job)
    assert len(fields) == len(label.items)
    for item, field in zip(label.items, fields, strict=True):
        if isinstance(item, Text):
            # Half a surrogate pair is no character (no UTF-8 can carry it): it prints as the replacement character.
            assert unescaped(field) == "".join("\ufffd" if unicodedata.category(c) == "Cs" else c for c in item.text)


def test_an_item_named_to_speak_to_redis_prints_its_name_as_text_on_one_line():
    job = render.zpl(templates.build("item", templates.Product("PEN", "x\r\nSET k 1\r\n", "pen\x00\x1b~JA^XZ")))
    assert "\r" not in job and "\nSET" not in job and "\x00" not in job and "\x1b" not in job
    assert "^FH\\^FDx\\0D\\0ASET k 1\\0D\\0A^FS" in job and "^FDpen\\00\\1B\\7EJA\\5EXZ^FS" in job
    assert job.count("^XZ") == 1


class FakePrinter:
    """A socket on 127.0.0.1 that takes print jobs as a Zebra printer on port 9100 does, and keeps the bytes."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.jobs: list[bytes] = []
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                chunks = []
                while data := conn.recv(65536):
                    chunks.append(data)
                self.jobs.append(b"".join(chunks))

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def printer():  # type: ignore[no-untyped-def]
    fake = FakePrinter()
    yield fake
    fake.close()


def test_a_batch_sent_to_a_network_printer_arrives_as_sent(printer):
    job = render.zpl_batch([templates.build("location", templates.Bin(f"WH1-A-{n:02}")) for n in range(1, 25)])
    sent = send("127.0.0.1", job, port=printer.port, timeout=5, policy=LOCAL)
    deadline = time.monotonic() + 5
    while not printer.jobs and time.monotonic() < deadline:
        time.sleep(0.01)
    assert printer.jobs == [job.encode("utf-8")] and sent == len(job.encode("utf-8"))
    assert printer.jobs[0].count(b"^XA") == 24


def test_a_printer_that_is_off_gives_a_clear_error():
    with socket.socket() as probe:  # a port on this machine that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(PrinterError) as refused:
        send("127.0.0.1", "^XA^XZ", port=port, timeout=2, policy=LOCAL)
    assert f"127.0.0.1:{port}" in refused.value.en and "无法连接" in refused.value.zh


def test_a_printer_that_stops_taking_data_gives_a_clear_error_within_the_timeout():
    """Connected, then nothing: the printer's buffer is full and it never reads. The job gives up at the timeout."""
    with socket.socket() as stuck:
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.bind(("127.0.0.1", 0))
        stuck.listen(1)  # the connection completes in the backlog; nobody ever reads from it
        started = time.monotonic()
        with pytest.raises(PrinterError) as refused:
            send("127.0.0.1", b"^XA" + b"0" * 64_000_000 + b"^XZ", port=stuck.getsockname()[1], timeout=0.5, policy=LOCAL)
        assert time.monotonic() - started < 3
    assert "did not answer within 0.5 s" in refused.value.en and "0.5 秒内没有响应" in refused.value.zh


# Where a job may go ----------------------------------------------------------------------------------

SERVER = AddressPolicy(service_ports=frozenset({8000, 5432, 6379}))  # this server's web, database and Redis ports
SERVER_WITH_LOCAL = AddressPolicy(allow_local=True, service_ports=SERVER.service_ports)


@pytest.mark.parametrize(("host", "code"), [
    ("127.0.0.1", "printer_address_loopback"),
    ("127.8.9.10", "printer_address_loopback"),
    ("localhost", "printer_address_loopback"),  # a name is judged by the addresses it resolves to
    ("2130706433", "printer_address_loopback"),  # 127.0.0.1 written as one number
    ("0:0:0:0:0:0:0:1", "printer_address_loopback"),  # ::1
    ("0:0:0:0:0:ffff:7f00:1", "printer_address_loopback"),  # ::ffff:127.0.0.1, IPv4 in IPv6 clothing
    ("64:ff9b::7f00:1", "printer_address_loopback"),  # the same through NAT64
    ("2002:7f00:1::1", "printer_address_loopback"),  # and through 6to4
    ("169.254.169.254", "printer_address_link_local"),  # where clouds answer with their credentials
    ("fe80::1", "printer_address_link_local"),
    ("0.0.0.0", "printer_address_invalid"),  # Linux connects it to this machine
    ("0.1.2.3", "printer_address_invalid"),
    ("224.0.0.1", "printer_address_invalid"),
    ("255.255.255.255", "printer_address_invalid"),
])
def test_a_printer_on_this_machine_on_a_link_local_address_or_on_no_single_machine_is_refused(host, code):
    with pytest.raises(AddressRefused) as refused:
        checked_addresses(host, 9100, SERVER)
    assert refused.value.code == code and host in refused.value.en and host in refused.value.zh


def test_a_network_printer_takes_jobs_on_a_printing_port_only():
    assert checked_addresses("10.0.0.9", 9100, SERVER) == [(socket.AF_INET, ("10.0.0.9", 9100))]
    assert checked_addresses("192.168.1.20", 6101, SERVER)  # Zebra's other raw port
    assert {9100, 9109, 6101} <= PRINTER_PORTS
    for port in (22, 80, 443, 9110, 6379):
        with pytest.raises(AddressRefused) as refused:
            checked_addresses("10.0.0.9", port, SERVER)
        assert refused.value.code == "printer_port_refused" and str(port) in refused.value.en and str(port) in refused.value.zh


def test_local_printers_allowed_let_loopback_and_link_local_through_but_never_the_servers_own_ports():
    assert checked_addresses("127.0.0.1", 9100, SERVER_WITH_LOCAL) == [(socket.AF_INET, ("127.0.0.1", 9100))]
    assert checked_addresses("169.254.10.20", 40000, SERVER_WITH_LOCAL)  # a print server's own port
    for host, port in (("127.0.0.1", 8000), ("127.0.0.1", 5432), ("127.0.0.1", 6379), ("10.0.0.9", 6379)):
        with pytest.raises(AddressRefused) as refused:
            checked_addresses(host, port, SERVER_WITH_LOCAL)
        assert refused.value.code == "printer_port_refused" and "Redis" in refused.value.en
    with pytest.raises(AddressRefused):
        checked_addresses("0.0.0.0", 9100, SERVER_WITH_LOCAL)


def test_a_name_that_resolves_to_any_refused_address_is_refused(monkeypatch):
    def resolves(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.9", port)), (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolves)
    with pytest.raises(AddressRefused) as refused:
        checked_addresses("zebra.example", 9100, SERVER)
    assert refused.value.code == "printer_address_loopback"


def test_a_job_goes_to_the_address_that_was_checked_not_to_the_name_again(printer, monkeypatch):
    """A name looked up once: a second answer (DNS rebinding, say) is never asked for, so never followed."""
    lookups = []
    real = socket.getaddrinfo

    def resolves(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        lookups.append(host)
        return real("127.0.0.1", port, *args, **kwargs) if len(lookups) == 1 else real("10.255.255.1", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolves)
    sent = send("zebra.example", "^XA^XZ", port=printer.port, timeout=5, policy=LOCAL)
    deadline = time.monotonic() + 5
    while not printer.jobs and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lookups == ["zebra.example"] and printer.jobs == [b"^XA^XZ"] and sent == 6


def test_a_job_for_a_refused_address_is_never_sent(printer):
    with pytest.raises(AddressRefused):
        send("127.0.0.1", "^XA^XZ", port=printer.port, timeout=2)  # local printers not allowed: the default
    time.sleep(0.1)
    assert printer.connections == 0 and printer.jobs == []


# PDF ----------------------------------------------------------------------------------------------


def test_a_sheet_of_24_bin_labels_is_one_a4_page_with_24_labels_and_chinese_text_that_is_text():
    size = templates.SIZES["a4-3x8"]
    bins = [templates.build("location", templates.Bin(f"WH1-B-{n:02}", "WH1", "冷藏区"), "a4-3x8") for n in range(1, 25)]
    document = render.pdf(bins, sheet=size.sheet)
    reader = PdfReader(io.BytesIO(document))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4 in points
    text = page.extract_text()
    assert sorted(re.findall(r"WH1-B-\d\d", text)) == [f"WH1-B-{n:02}" for n in range(1, 25)]
    assert text.count("冷藏区") == 24
    assert b"/FontFile2" in document  # the CJK font is embedded, so any viewer shows the characters
    # A 25th label starts a second page.
    assert len(PdfReader(io.BytesIO(render.pdf([*bins, bins[0]], sheet=size.sheet))).pages) == 2


def test_single_labels_make_one_page_each_at_the_labels_size():
    document = render.pdf([templates.build("package", PACKAGE), templates.build("lot", LOT, "100x150")])
    pages = PdfReader(io.BytesIO(document)).pages
    assert len(pages) == 2 and round(float(pages[0].mediabox.width) / 72 * 25.4) == 100
    assert "上海配送中心" in pages[0].extract_text() and "全脂牛奶" in pages[1].extract_text()


# The scan rules the server and the app share --------------------------------------------------------

VECTORS = json.loads((Path(__file__).resolve().parent.parent / "labels" / "vectors" / "gs1_scans.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", VECTORS, ids=[c["what"] for c in VECTORS])
def test_the_server_reads_each_shared_gs1_scan_as_the_vectors_say(case):
    data = parse_gs1(case["scan"])
    got = None if data is None else {
        "elements": data.elements, "gtin": data.gtin, "lot": data.lot, "expiry": data.expiry.isoformat() if data.expiry else None,
        "serial": data.serial, "qty": None if data.qty is None else str(data.qty), "sscc": data.sscc,
    }
    assert got == case["expect"]


def test_the_apps_gs1_table_is_the_one_the_server_parses_with():
    """pwa/gs1-ais.json is generated from biip's table (python -m labels.gs1 > pwa/gs1-ais.json); a new biip release
    that changes an AI shows up here, so the phone never reads a scan differently from the server."""
    shipped = json.loads((Path(__file__).resolve().parent.parent / "pwa" / "gs1-ais.json").read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(ai_table()))
