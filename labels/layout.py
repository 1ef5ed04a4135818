"""A label as boxes on a page, in millimetres: text and barcodes. Templates build these; renderers draw them."""

from __future__ import annotations

import dataclasses
import os
from functools import cache
from pathlib import Path

from labels.symbols import Symbol

MM_PER_INCH = 25.4


@dataclasses.dataclass(frozen=True)
class Text:
    x: float
    y: float  # top of the line box
    width: float
    size: float  # the line height in mm (the font size)
    text: str
    bold: bool = False
    align: str = "left"  # left, center, right


@dataclasses.dataclass(frozen=True)
class Code:
    x: float
    y: float
    width: float  # the box the symbol (with its quiet zones) is fitted into
    height: float
    symbol: Symbol


@dataclasses.dataclass(frozen=True)
class Label:
    width: float
    height: float
    items: tuple[Text | Code, ...]
    name: str = ""  # what the label is of (for a batch's file names and errors)


def dots(mm: float, dpi: int) -> int:
    return round(mm * dpi / MM_PER_INCH)


def module_dots(symbol: Symbol, width_mm: float, height_mm: float, dpi: int) -> int:
    """The widest whole number of printer dots per module that fits the symbol and its quiet zones in the box:
    a module of whole dots prints every bar the same width, which scanners need."""
    across = symbol.modules + 2 * symbol.quiet
    fit = dots(width_mm, dpi) // across
    if not symbol.linear:
        fit = min(fit, dots(height_mm, dpi) // (symbol.rows + 2 * symbol.quiet))
    return max(1, fit)


# Fonts ----------------------------------------------------------------------------------------------

# TrueType outlines (PDF embedding needs them); CANGKU_LABEL_FONT names another file.
_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
SVG_FONTS = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif"


@cache
def cjk_font() -> Path | None:
    """A font file with Chinese glyphs: CANGKU_LABEL_FONT, else the first of the usual Debian ones that is installed."""
    named = os.environ.get("CANGKU_LABEL_FONT")
    for candidate in ((named,) if named else ()) + _CJK_FONTS:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None
