"""Drawing labels: SVG, PNG (Pillow), PDF (ReportLab, the CJK font embedded) and ZPL II for Zebra printers."""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from labels.layout import MM_PER_INCH, SVG_FONTS, Code, Label, Text, cjk_font, dots, module_dots

THERMAL_DPI = 203  # 8 dots per mm: most desktop and industrial label printers


# Text measuring (shared, so every output fits a long name the same way) -------------------------------


@cache
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = cjk_font()
    if path is None:
        return ImageFont.load_default(px)
    # Basic layout: Chinese and Latin need no complex shaping, and measuring every line of a batch stays cheap.
    return ImageFont.truetype(str(path), px, index=0, layout_engine=ImageFont.Layout.BASIC)


def fitted_size(text: Text) -> float:
    """The text's size in mm, made smaller when the line would be wider than its box."""
    width = _font(100).getlength(text.text) / 100 * text.size
    return text.size if width <= text.width or width == 0 else text.size * text.width / width


def _text_x(text: Text, width: float) -> float:
    if text.align == "center":
        return text.x + (text.width - width) / 2
    if text.align == "right":
        return text.x + text.width - width
    return text.x


# SVG ----------------------------------------------------------------------------------------------------


def svg(label: Label) -> str:
    """One label as SVG in millimetres (for the screen and for browsers to print)."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label.width}mm" height="{label.height}mm" '
        f'viewBox="0 0 {label.width} {label.height}">',
        f'<rect width="{label.width}" height="{label.height}" fill="#fff"/>',
    ]
    for item in label.items:
        if isinstance(item, Text):
            size = fitted_size(item)
            anchor = {"left": ("start", item.x), "center": ("middle", item.x + item.width / 2), "right": ("end", item.x + item.width)}[item.align]
            weight = ' font-weight="bold"' if item.bold else ""
            out.append(f'<text x="{anchor[1]:.3f}" y="{item.y + size * 0.85:.3f}" font-size="{size:.3f}" font-family="{escape(SVG_FONTS)}"'
                       f' text-anchor="{anchor[0]}"{weight}>{escape(item.text)}</text>')
        else:
            out.append(_svg_symbol(item))
    out.append("</svg>")
    return "".join(out)


def _svg_symbol(code: Code) -> str:
    symbol = code.symbol
    module, x0, y0, height = _vector_geometry(code)
    parts = ['<g fill="#000">']
    if symbol.linear:
        parts += [f'<rect x="{x0 + start * module:.4f}" y="{y0:.4f}" width="{width * module:.4f}" height="{height:.4f}"/>'
                  for start, width in symbol.runs()]
    else:
        parts += [f'<rect x="{x0 + c * module:.4f}" y="{y0 + r * module:.4f}" width="{n * module:.4f}" height="{module:.4f}"/>'
                  for r, c, n in symbol.row_runs()]
    parts.append("</g>")
    return "".join(parts)


def _vector_geometry(code: Code) -> tuple[float, float, float, float]:
    """Module size and origin (mm) of a symbol centred in its box: the largest module of whole 600-dpi dots that fits."""
    symbol = code.symbol
    module = module_dots(symbol, code.width, code.height, 600) * MM_PER_INCH / 600
    if symbol.linear:
        width = symbol.modules * module
        return module, code.x + (code.width - width) / 2, code.y, code.height
    size = symbol.modules * module
    return module, code.x + (code.width - size) / 2, code.y + (code.height - symbol.rows * module) / 2, size


# PNG ----------------------------------------------------------------------------------------------------


def png(label: Label, dpi: int = THERMAL_DPI) -> bytes:
    """One label as a 1-bit PNG at the printer's resolution: every module a whole number of dots."""
    image = Image.new("1", (dots(label.width, dpi), dots(label.height, dpi)), 1)
    draw = ImageDraw.Draw(image)
    for item in label.items:
        if isinstance(item, Text):
            size = fitted_size(item)
            px = max(6, dots(size, dpi))
            font = _font(px)
            width = font.getlength(item.text) * MM_PER_INCH / dpi
            x = dots(_text_x(item, width), dpi)
            draw.text((x, dots(item.y, dpi)), item.text, font=font, fill=0,
                      stroke_width=1 if item.bold and px >= 16 else 0, stroke_fill=0)
        else:
            _png_symbol(draw, item, dpi)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def _png_symbol(draw: ImageDraw.ImageDraw, code: Code, dpi: int) -> None:
    symbol = code.symbol
    module = module_dots(symbol, code.width, code.height, dpi)
    box_x, box_y, box_w, box_h = dots(code.x, dpi), dots(code.y, dpi), dots(code.width, dpi), dots(code.height, dpi)
    if symbol.linear:
        x0 = box_x + (box_w - symbol.modules * module) // 2
        for start, width in symbol.runs():
            draw.rectangle((x0 + start * module, box_y, x0 + (start + width) * module - 1, box_y + box_h - 1), fill=0)
        return
    size = symbol.modules * module
    x0, y0 = box_x + (box_w - size) // 2, box_y + (box_h - symbol.rows * module) // 2
    for r, c, n in symbol.row_runs():
        draw.rectangle((x0 + c * module, y0 + r * module, x0 + (c + n) * module - 1, y0 + (r + 1) * module - 1), fill=0)


# PDF ----------------------------------------------------------------------------------------------------

_PDF_FONT = "CangkuCJK"


@cache
def pdf_font() -> str:
    """The name of the CJK font registered with ReportLab, for labels and printed documents: the installed TrueType font,
    embedded, else ReportLab's built-in (not embedded) Song."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    path = cjk_font()
    if path is not None:
        pdfmetrics.registerFont(TTFont(_PDF_FONT, str(path), subfontIndex=0))
        return _PDF_FONT
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def pdf(labels: Iterable[Label], *, sheet: Sheet | None = None, title: str = "Labels / 标签") -> bytes:
    """Labels as a PDF: one page per label at its own size, or laid out on sheets (e.g. A4, 3 × 8)."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    font = pdf_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("Cangku")
    placed = 0
    for label in labels:
        if sheet is None:
            canvas.setPageSize((label.width * mm, label.height * mm))
            _pdf_label(canvas, label, 0, 0, label.height, font)
            canvas.showPage()
            continue
        if placed == 0:
            canvas.setPageSize((sheet.width * mm, sheet.height * mm))
        column, row = placed % sheet.columns, placed // sheet.columns
        x = sheet.left + column * (label.width + sheet.gap_x)
        top = sheet.top + row * (label.height + sheet.gap_y)
        _pdf_label(canvas, label, x, top, sheet.height, font)
        placed += 1
        if placed == sheet.per_page:
            canvas.showPage()
            placed = 0
    if sheet is not None and placed:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _pdf_label(canvas, label: Label, left: float, top: float, page_height: float, font: str) -> None:  # type: ignore[no-untyped-def]
    from reportlab.lib.units import mm

    def y_of(y_mm: float) -> float:  # PDF measures from the bottom of the page
        return float((page_height - top - y_mm) * mm)

    canvas.setFillColorRGB(0, 0, 0)
    for item in label.items:
        if isinstance(item, Text):
            size = fitted_size(item)
            points = size * mm
            text = canvas.beginText()
            text.setFont(font, points)
            if item.bold:
                text.setTextRenderMode(2)  # fill and stroke: a bold face from the regular one
                canvas.setLineWidth(points * 0.03)
            width = canvas.stringWidth(item.text, font, points) / mm
            text.setTextOrigin((left + _text_x(item, width)) * mm, y_of(item.y + size * 0.85))
            text.textOut(item.text)
            canvas.drawText(text)
            continue
        module, x0, y0, height = _vector_geometry(item)
        path = canvas.beginPath()
        if item.symbol.linear:
            for start, run in item.symbol.runs():
                path.rect((left + x0 + start * module) * mm, y_of(y0 + height), run * module * mm, height * mm)
        else:
            for r, c, n in item.symbol.row_runs():
                path.rect((left + x0 + c * module) * mm, y_of(y0 + (r + 1) * module), n * module * mm, module * mm)
        canvas.drawPath(path, stroke=0, fill=1)


@dataclasses.dataclass(frozen=True)
class Sheet:
    """A sheet of labels: page size, margins and gaps (mm), and how many across and down."""

    name: str
    width: float
    height: float
    columns: int
    rows: int
    left: float = 0
    top: float = 0
    gap_x: float = 0
    gap_y: float = 0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


# ZPL II -------------------------------------------------------------------------------------------------


# Text reaches the printer's command stream in one place, `_field`: every field is ^FH\ ^FD … ^FS, and in the data every
# character that could act as ZPL (the prefixes ^ and ~, the escape \ itself) or as a control character of any protocol
# (C0, DEL, C1, the Unicode line and paragraph separators) is written as ^FH hex escapes of its UTF-8 bytes. The printer
# prints the same characters; the stream carries none of them raw. The only control character in a ZPL job is the line
# feed that ends each command line.
_ESCAPED = frozenset("^~\\")
FONT_NAME = re.compile(r"[A-Z]:[A-Za-z0-9_.\-]+")


def _escaped(char: str) -> str:
    if char in _ESCAPED or unicodedata.category(char) in ("Cc", "Zl", "Zp"):
        return "".join(f"\\{byte:02X}" for byte in char.encode("utf-8"))
    if unicodedata.category(char) == "Cs":  # half a surrogate pair is no character: it cannot be sent as UTF-8
        return "\uFFFD"
    return char


def zpl_field(text: str) -> str:
    """Field data for ^FH\\ : ZPL's command prefixes (^ ~), the escape itself and every control character, as hex."""
    return "".join(_escaped(char) for char in text)


def _field(data: str) -> str:
    return f"^FH\\^FD{zpl_field(data)}^FS"


def zpl(label: Label, dpi: int = THERMAL_DPI, *, font: str = "E:SIMSUN.TTF", copies: int = 1) -> str:
    """One label in ZPL II: UTF-8 text (^CI28) in the printer's CJK font, barcodes as the printer's own commands."""
    if not FONT_NAME.fullmatch(font):
        raise ValueError(f"{font!r} is not a printer font name (like E:SIMSUN.TTF)")
    lines = ["^XA", "^CI28", f"^PW{dots(label.width, dpi)}", f"^LL{dots(label.height, dpi)}", "^LH0,0", f"^CW1,{font}"]
    for item in label.items:
        if isinstance(item, Text):
            size = fitted_size(item)
            h = max(10, dots(size, dpi))
            width = dots(item.width, dpi)
            justify = {"left": "L", "center": "C", "right": "R"}[item.align]
            lines.append(f"^FO{dots(item.x, dpi)},{dots(item.y, dpi)}^A1N,{h},{h}^FB{width},1,0,{justify}{_field(item.text)}")
        else:
            lines.append(_zpl_symbol(item, dpi))
    if copies > 1:
        lines.append(f"^PQ{copies}")
    lines.append("^XZ")
    return "\n".join(lines) + "\n"


def _zpl_symbol(code: Code, dpi: int) -> str:
    symbol = code.symbol
    module = module_dots(symbol, code.width, code.height, dpi)
    x, y, h = dots(code.x, dpi), dots(code.y, dpi), dots(code.height, dpi)
    if symbol.linear:
        x += (dots(code.width, dpi) - symbol.modules * module) // 2
    else:
        x += (dots(code.width, dpi) - symbol.modules * module) // 2
        y += (h - symbol.rows * module) // 2
    origin = f"^FO{x},{y}^BY{module},3,{h}"
    data = symbol.data
    match symbol.symbology:
        case "code128":
            # ^BC reads ">" as the start of a subset code: a literal one is "><".
            return f"{origin}^BCN,{h},N,N,N{_field(data.replace('>', '><'))}"
        case "gs1_128":
            # Mode D: UCC/EAN-128 from the bracketed AIs; the printer puts FNC1 first and after variable-length fields.
            return f"{origin}^BCN,{h},N,N,N,D{_field(data)}"
        case "ean13":
            return f"{origin}^BEN,{h},N,N{_field(data[:12])}"
        case "ean8":
            return f"{origin}^B8N,{h},N,N{_field(data[:7])}"
        case "upca":
            return f"{origin}^BUN,{h},N,N,Y{_field(data[:11])}"
        case "qr":
            return f"^FO{x},{y}^BQN,2,{min(module, 10)}{_field('MA,' + data)}"
        case "datamatrix":
            return f"^FO{x},{y}^BXN,{module},200{_field(data)}"
        case "gs1_datamatrix":
            # Escape character ` (not in the GS1 character set): `1 is FNC1, first and after each variable-length field.
            assert symbol.elements is not None
            return f"^FO{x},{y}^BXN,{module},200,,,,`{_field('`1' + symbol.elements.data('`1'))}"
    raise ValueError(symbol.symbology)


def zpl_batch(labels: Sequence[Label], dpi: int = THERMAL_DPI, *, font: str = "E:SIMSUN.TTF") -> str:
    return "".join(zpl(label, dpi, font=font) for label in labels)
