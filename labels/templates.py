"""Label templates: product, bin, lot and package (pallet), each for the thermal sizes 50×30 and 100×150 mm and the
A4 sheet of 3 × 8. A template is laid out in proportion to its size, so one design serves every size."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from labels.gs1 import element_string, gs1_date, gtin14
from labels.layout import Code, Label, Text
from labels.render import Sheet
from labels.symbols import Symbol, SymbolError, encode


@dataclasses.dataclass(frozen=True)
class Size:
    name: str
    width: float
    height: float
    sheet: Sheet | None = None  # labels printed several to a page


SIZES: dict[str, Size] = {
    size.name: size
    for size in (
        Size("50x30", 50, 30),
        Size("100x150", 100, 150),
        Size("a4-3x8", 70, 37, Sheet("A4 3×8", 210, 297, 3, 8, top=0.5)),
    )
}
DEFAULT_SIZE = {"item": "50x30", "location": "50x30", "lot": "50x30", "package": "100x150"}


class TemplateError(ValueError):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


def size(name: str | None, kind: str) -> Size:
    chosen = name or DEFAULT_SIZE[kind]
    if chosen not in SIZES:
        raise TemplateError(f"Unknown label size {chosen!r}; one of {', '.join(SIZES)}.", f"未知的标签尺寸 {chosen!r}；可选 {', '.join(SIZES)}。")
    return SIZES[chosen]


@dataclasses.dataclass(frozen=True)
class Product:
    sku: str
    name_zh: str
    name_en: str
    unit: str = ""
    price: str | None = None  # already formatted, e.g. "12.50"
    barcode: str | None = None  # the maker's GTIN, or another code; the SKU when there is none


@dataclasses.dataclass(frozen=True)
class Bin:
    code: str
    warehouse: str = ""
    name: str = ""


@dataclasses.dataclass(frozen=True)
class Lot:
    sku: str
    name_zh: str
    name_en: str
    lot: str
    expiry: dt.date | None = None
    gtin: str | None = None


@dataclasses.dataclass(frozen=True)
class Package:
    sscc: str
    ship_to: str
    address: str = ""
    order: str = ""
    ship_from: str = ""
    contents: str = ""  # e.g. "PEN × 24, MILK × 6"


def product_symbol(product: Product) -> Symbol:
    """A GTIN-13 or -8 prints as EAN, a GTIN-12 as UPC-A; any other code (or the SKU) as Code 128."""
    code = product.barcode or product.sku
    if gtin14(code):
        kind = {13: "ean13", 8: "ean8", 12: "upca"}.get(len(code))
        if kind:
            return encode(kind, code)
    return encode("code128", code)


def product(data: Product, size: Size) -> Label:
    w, h = size.width, size.height
    m = w * 0.04
    inner = w - 2 * m
    symbol = product_symbol(data)
    rows: list[Text | Code] = [
        Text(m, h * 0.04, inner, h * 0.15, data.name_zh, bold=True),
        Text(m, h * 0.21, inner, h * 0.10, data.name_en),
        Text(m, h * 0.33, inner * 0.6, h * 0.10, data.sku),
    ]
    if data.price:
        rows.append(Text(m + inner * 0.6, h * 0.31, inner * 0.4, h * 0.13, f"¥{data.price}" + (f"/{data.unit}" if data.unit else ""),
                         bold=True, align="right"))
    rows += [Code(m, h * 0.47, inner, h * 0.38, symbol), Text(m, h * 0.87, inner, h * 0.10, symbol.text, align="center")]
    return Label(w, h, tuple(rows), name=data.sku)


def bin_label(data: Bin, size: Size) -> Label:
    """The bin's code large enough to read from the aisle, as Code 128 across the label and as QR beside the text."""
    w, h = size.width, size.height
    m = min(w, h) * 0.04
    qr_side = min(h * 0.5, w * 0.34)
    text_width = w - qr_side - 3 * m
    items: list[Text | Code] = [
        Text(m, m, text_width, h * 0.26, data.code, bold=True),
        Text(m, m + h * 0.30, text_width, h * 0.12, " · ".join(p for p in (data.warehouse, data.name) if p)),
        Code(w - qr_side - m, m, qr_side, qr_side, encode("qr", data.code)),
        Code(m, h * 0.58, w - 2 * m, h * 0.38, encode("code128", data.code)),
    ]
    return Label(w, h, tuple(items), name=data.code)


def lot(data: Lot, size: Size) -> Label:
    """GTIN, expiry and lot as GS1-128 when the item has a GTIN; otherwise the lot code as Code 128."""
    w, h = size.width, size.height
    m = w * 0.04
    inner = w - 2 * m
    if data.gtin:
        elements = {"01": gtin14(data.gtin) or data.gtin, "10": data.lot}
        if data.expiry:
            elements["17"] = gs1_date(data.expiry)
        symbol = encode("gs1_128", element_string(elements))
    else:
        symbol = encode("code128", data.lot)
    expiry = f"有效期 EXP {data.expiry.isoformat()}" if data.expiry else ""
    items: list[Text | Code] = [
        Text(m, h * 0.04, inner, h * 0.13, f"{data.name_zh} {data.name_en}", bold=True),
        Text(m, h * 0.19, inner * 0.5, h * 0.11, f"批号 LOT {data.lot}"),
        Text(m + inner * 0.5, h * 0.19, inner * 0.5, h * 0.11, expiry, align="right"),
        Code(m, h * 0.34, inner, h * 0.50, symbol),
        Text(m, h * 0.86, inner, h * 0.10, symbol.text, align="center"),
    ]
    return Label(w, h, tuple(items), name=f"{data.sku}/{data.lot}")


def package(data: Package, size: Size) -> Label:
    """A logistic label: ship from / to, the order, the contents, and the SSCC as GS1-128 across the bottom."""
    w, h = size.width, size.height
    m = w * 0.04
    inner = w - 2 * m
    symbol = encode("gs1_128", element_string({"00": data.sscc}))
    rows: list[Text | Code] = [
        Text(m, h * 0.03, inner, h * 0.05, f"发货 FROM  {data.ship_from}"),
        Text(m, h * 0.10, inner, h * 0.05, "收货 SHIP TO"),
        Text(m, h * 0.16, inner, h * 0.09, data.ship_to, bold=True),
        Text(m, h * 0.27, inner, h * 0.05, data.address),
        Text(m, h * 0.35, inner, h * 0.06, f"订单 ORDER  {data.order}" if data.order else ""),
        Text(m, h * 0.43, inner, h * 0.05, data.contents),
        Text(m, h * 0.55, inner, h * 0.045, "SSCC"),
        Code(m, h * 0.60, inner, h * 0.30, symbol),
        Text(m, h * 0.92, inner, h * 0.05, symbol.text, align="center", bold=True),
    ]
    return Label(w, h, tuple(r for r in rows if not isinstance(r, Text) or r.text), name=data.sscc)


TEMPLATES: dict[str, Callable[..., Label]] = {"item": product, "location": bin_label, "lot": lot, "package": package}


def build(kind: str, data: object, size_name: str | None = None) -> Label:
    try:
        return TEMPLATES[kind](data, size(size_name, kind))
    except SymbolError as error:
        raise TemplateError(error.en, error.zh) from None
