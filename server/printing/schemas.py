"""Request and response shapes for labels and printers."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.schemas import Code, Out, Struct, line

Kind = Literal["item", "location", "lot", "package"]
Format = Literal["svg", "png", "pdf", "zpl"]
SizeName = Literal["50x30", "100x150", "a4-3x8"]
Dpi = Literal[203, 300, 600]
Host = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9]([A-Za-z0-9.\-:]*[A-Za-z0-9])?$")]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535, description="9100–9109 or 6101; another only with local printers allowed / 打印端口")]
# A name people read on screens and on the test label: no control characters.
PrinterName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]+$")]
PrinterFont = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Z]:[A-Za-z0-9_.\-]+$")]


class LotRef(Struct):
    sku: Code
    lot: Annotated[str, line(64, min_length=1)]


class PrintRequest(Struct):
    """What to print: named labels (`codes`: SKUs, bin codes or SSCCs; `lots`), or everything of a place or a document:
    the bins of a zone or warehouse (`under`), the lots of a receipt (`receipt`), the packages of a sales order (`order`).
    With `printer` (its id) the labels go to that printer as ZPL; without, the answer is the file (`format`)."""

    kind: Kind
    codes: Annotated[list[Annotated[str, line(64, min_length=1)]], msgspec.Meta(max_length=5000)] | None = None
    lots: Annotated[list[LotRef], msgspec.Meta(max_length=5000)] | None = None
    under: Code | None = None
    receipt: Code | None = None
    order: Code | None = None
    size: SizeName | None = None
    copies: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1
    printer: Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)] | None = None
    format: Literal["pdf", "zpl"] = "pdf"


class PrintOut(Out):
    printer: str
    labels: int
    bytes: int


class PrinterCreate(Struct):
    warehouse: Code
    name: PrinterName
    host: Host
    port: Port = 9100
    dpi: Dpi = 203
    size: SizeName = "50x30"
    font: PrinterFont = "E:SIMSUN.TTF"


class PrinterUpdate(Struct):
    version: int | None = None
    name: PrinterName | None = None
    host: Host | None = None
    port: Port | None = None
    dpi: Dpi | None = None
    size: SizeName | None = None
    font: PrinterFont | None = None
    active: bool | None = None


class PrinterOut(Out):
    id: int
    warehouse: str
    name: str
    host: str
    port: int
    dpi: int
    size: str
    font: str
    active: bool
    version: int


class PrinterList(Out):
    items: list[PrinterOut]
