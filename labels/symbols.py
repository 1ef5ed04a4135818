"""Barcode symbols as modules: a row of bars for linear codes, a grid for 2D ones. Every output (SVG, PNG, PDF)
draws these the same way; ZPL does not use them, it asks the printer for the same symbology natively.

Encoders: python-barcode (Code 128, GS1-128, EAN-13, EAN-8, UPC-A), qrcode (QR), zint (GS1 DataMatrix).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cached_property
from typing import Literal

import barcode
import qrcode
import qrcode.constants

from labels.gs1 import ElementString, GS1Error, check_digit

Symbology = Literal["code128", "gs1_128", "ean13", "ean8", "upca", "qr", "datamatrix", "gs1_datamatrix"]
SYMBOLOGIES: tuple[str, ...] = ("code128", "gs1_128", "ean13", "ean8", "upca", "qr", "datamatrix", "gs1_datamatrix")
FNC1 = "\xf1"  # python-barcode's Code 128 function character 1


class SymbolError(ValueError):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


@dataclasses.dataclass(frozen=True)
class Symbol:
    symbology: str
    data: str  # what a scanner reads back (GS1: the human-readable form with AIs in brackets)
    text: str  # what is printed under it
    bars: str = ""  # linear: "1" a dark module, "0" a light one
    size: int = 0  # 2D: modules across
    tall: int = 0  # 2D: modules down, when not square (rectangular DataMatrix)
    draw: Callable[[], tuple[tuple[bool, ...], ...]] | None = dataclasses.field(default=None, repr=False, compare=False)
    quiet: int = 10  # light modules needed on each side (1D) or around (2D)
    elements: ElementString | None = None  # GS1 symbols: the checked elements (ZPL encodes them natively)

    @property
    def linear(self) -> bool:
        return bool(self.bars)

    @property
    def modules(self) -> int:
        return len(self.bars) if self.bars else self.size

    @property
    def rows(self) -> int:
        return self.tall or self.size

    @cached_property
    def grid(self) -> tuple[tuple[bool, ...], ...]:
        """2D: rows of modules, True dark. Drawn on first use: ZPL has the printer draw the symbol and never needs it."""
        assert self.draw is not None
        return self.draw()

    def runs(self) -> list[tuple[int, int]]:
        """The dark bars of a linear symbol as (start module, width)."""
        found, start = [], None
        for n, module in enumerate(self.bars + "0"):
            if module == "1" and start is None:
                start = n
            elif module == "0" and start is not None:
                found.append((start, n - start))
                start = None
        return found

    def row_runs(self) -> list[tuple[int, int, int]]:
        """The dark modules of a 2D symbol as horizontal runs (row, start column, length): fewer shapes to draw."""
        found = []
        for r, row in enumerate(self.grid):
            start = None
            for c, dark in enumerate((*row, False)):
                if dark and start is None:
                    start = c
                elif not dark and start is not None:
                    found.append((r, start, c - start))
                    start = None
        return found


def _linear(kind: str, data: str, **options: object) -> str:
    code = barcode.get_barcode_class(kind)(data, **options)
    return str(code.build()[0])


def _digits(name_en: str, name_zh: str, data: str, lengths: tuple[int, ...]) -> str:
    """`data` with its check digit: given without, it is added; given with, it is verified."""
    if not data.isdigit() or len(data) not in lengths:
        raise SymbolError(f"{name_en} takes {' or '.join(map(str, lengths))} digits; {data!r} is not that.",
                          f"{name_zh} 需要 {' 或 '.join(map(str, lengths))} 位数字；{data!r} 不符合。")
    if len(data) == lengths[0]:
        return data + check_digit(data)
    if check_digit(data[:-1]) != data[-1]:
        raise SymbolError(f"{data} has a wrong check digit for {name_en} (it should end in {check_digit(data[:-1])}).",
                          f"{data} 的 {name_zh} 校验位错误（应为 {check_digit(data[:-1])}）。")
    return data


def encode(symbology: str, data: str | ElementString) -> Symbol:
    """The symbol for `data`. GS1 symbologies take a checked ElementString (labels.gs1.element_string)."""
    if symbology in ("gs1_128", "gs1_datamatrix"):
        if not isinstance(data, ElementString):
            raise GS1Error("A GS1 symbol takes GS1 elements.", "GS1 条码需要 GS1 数据元素。")
        if symbology == "gs1_128":
            bars = _linear("gs1_128", data.data(FNC1))
            return Symbol(symbology, data.hri, data.hri, bars=bars, elements=data)
        grid = _zint_datamatrix("".join(f"[{ai}]{v}" for ai, v in data.elements), gs1=True)
        return Symbol(symbology, data.hri, data.hri, size=len(grid[0]), tall=len(grid), draw=lambda: grid, quiet=2, elements=data)
    if isinstance(data, ElementString):
        raise SymbolError(f"{symbology} does not carry GS1 elements; use gs1_128 or gs1_datamatrix.",
                          f"{symbology} 不能承载 GS1 数据元素；请使用 gs1_128 或 gs1_datamatrix。")
    if not data:
        raise SymbolError("There is nothing to encode.", "没有要编码的内容。")
    if symbology == "code128":
        if any(ord(ch) > 126 or ord(ch) < 32 for ch in data):
            raise SymbolError(f"Code 128 carries printable ASCII only; {data!r} has other characters. Use QR for Chinese text.",
                              f"Code 128 只能编码可打印的 ASCII 字符；{data!r} 含有其他字符。中文请用二维码。")
        return Symbol(symbology, data, data, bars=_linear("code128", data))
    if symbology == "ean13":
        full = _digits("EAN-13", "EAN-13", data, (12, 13))
        return Symbol(symbology, full, full, bars=_linear("ean13", full[:12]), quiet=11)
    if symbology == "ean8":
        full = _digits("EAN-8", "EAN-8", data, (7, 8))
        return Symbol(symbology, full, full, bars=_linear("ean8", full[:7]), quiet=7)
    if symbology == "upca":
        full = _digits("UPC-A", "UPC-A", data, (11, 12))
        return Symbol(symbology, full, full, bars=_linear("upca", full[:11]), quiet=9)
    if symbology == "qr":
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        qr.add_data(data.encode("utf-8"))
        version = qr.best_fit()  # the size, cheaply; choosing the mask (most of the work) waits until it is drawn

        def draw() -> tuple[tuple[bool, ...], ...]:
            qr.make(fit=False)
            return tuple(tuple(row) for row in qr.get_matrix())

        return Symbol(symbology, data, data, size=4 * version + 17, draw=draw, quiet=4)
    if symbology == "datamatrix":
        grid = _zint_datamatrix(data, gs1=False)
        return Symbol(symbology, data, data, size=len(grid[0]), tall=len(grid), draw=lambda: grid, quiet=2)
    raise SymbolError(f"Unknown symbology {symbology!r}; one of {', '.join(SYMBOLOGIES)}.",
                      f"未知的条码类型 {symbology!r}；可选 {', '.join(SYMBOLOGIES)}。")


def _zint_datamatrix(text: str, *, gs1: bool) -> tuple[tuple[bool, ...], ...]:
    """ECC 200 DataMatrix from zint (GS1 mode puts FNC1 first and between variable-length elements)."""
    import zint

    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.DATAMATRIX
    if gs1:
        symbol.input_mode = zint.InputMode.GS1
    else:
        symbol.input_mode = zint.InputMode.UNICODE
    try:
        symbol.encode(text)
    except Exception as error:  # noqa: BLE001 - zint reports bad input as a RuntimeError with its own text
        raise SymbolError(f"DataMatrix cannot encode {text!r}: {error}", f"DataMatrix 无法编码 {text!r}：{error}") from None
    packed = symbol.encoded_data  # rows of bit-packed modules, least significant bit first
    return tuple(tuple(bool(packed[r, c // 8] >> (c % 8) & 1) for c in range(symbol.width)) for r in range(symbol.rows))
