"""Drawing a printed document on A4 (ReportLab): the company's letterhead, the title and number, the facts of the
document, its lines in a table whose header row repeats on every page, totals, the total in words, signature lines,
and "第 1 页 / 共 3 页" at the foot of every page.

Nothing a person typed is read as markup: table cells are plain strings, and text set in a Paragraph is escaped.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from labels.render import pdf_font
from server.settings import Settings

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
FOOT = 10 * mm  # the baseline of the page's foot, above the bottom edge
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
RULE = colors.HexColor("#808080")
SHADE = colors.HexColor("#EEEEEE")
STRIPE = colors.HexColor("#F7F7F7")
MUTED = colors.HexColor("#505050")


@dataclasses.dataclass(frozen=True)
class Letterhead:
    """The company at the head of every printed document (CANGKU_COMPANY_* settings)."""

    name_zh: str
    name_en: str
    address_zh: str = ""
    address_en: str = ""
    phone: str = ""
    tax_id: str = ""  # 纳税人识别号

    @classmethod
    def of(cls, settings: Settings) -> Letterhead:
        return cls(name_zh=settings.company_name_zh, name_en=settings.company_name_en, address_zh=settings.company_address_zh,
                   address_en=settings.company_address_en, phone=settings.company_phone, tax_id=settings.company_tax_id)

    def name(self, lang: str) -> str:
        return (self.name_zh or self.name_en) if lang == "zh" else (self.name_en or self.name_zh)

    def address(self, lang: str) -> str:
        return (self.address_zh or self.address_en) if lang == "zh" else (self.address_en or self.address_zh)


@dataclasses.dataclass(frozen=True)
class Column:
    title: str
    width: float  # its share of the table's width
    figure: bool = False  # right-aligned
    wraps: bool = False  # long text (a name, an address), wrapped within its cell


@dataclasses.dataclass(frozen=True)
class Sheet:
    """A document as it is printed, every text already in the reader's language."""

    lang: str  # zh | en
    title: str
    number: str
    facts: Sequence[tuple[str, str]]  # what the document is about (partner, date, warehouse...): label, value
    columns: Sequence[Column]
    rows: Sequence[Sequence[str]]
    totals: Sequence[tuple[str, str]] = ()  # label, figure; the last one set in bold type
    words: Sequence[str] = ()  # the total in words
    remarks: Sequence[tuple[str, str]] = ()  # under the lines: the note, packages, backorders
    signatures: Sequence[str] = ()  # who signs at the foot of the document
    file_name: str = ""


def said(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "company": ParagraphStyle("company", fontName=font, fontSize=15, leading=19, alignment=TA_CENTER),
        "contact": ParagraphStyle("contact", fontName=font, fontSize=8, leading=10, alignment=TA_CENTER, textColor=MUTED),
        "title": ParagraphStyle("title", fontName=font, fontSize=17, leading=22, alignment=TA_CENTER, spaceBefore=4, spaceAfter=2),
        "number": ParagraphStyle("number", fontName=font, fontSize=10, leading=13, alignment=TA_CENTER, spaceAfter=6),
        "fact": ParagraphStyle("fact", fontName=font, fontSize=9, leading=12, wordWrap="CJK"),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8, leading=10, wordWrap="CJK"),
        "text": ParagraphStyle("text", fontName=font, fontSize=9, leading=13, wordWrap="CJK", spaceBefore=2),
    }


def _text(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of what a person typed, shown as typed: <, > and & are characters, not markup."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _letterhead(company: Letterhead, lang: str, styles: dict[str, ParagraphStyle]) -> list[Any]:
    contact = [company.address(lang),
               f"{said(lang, '电话', 'Tel.')} {company.phone}" if company.phone else "",
               f"{said(lang, '纳税人识别号', 'Tax ID')} {company.tax_id}" if company.tax_id else ""]
    return [_text(company.name(lang), styles["company"]), _text("  ·  ".join(part for part in contact if part), styles["contact"])]


def _facts(sheet: Sheet, styles: dict[str, ParagraphStyle]) -> Table:
    """The document's facts in two columns of label and value."""
    pairs = [(_text(label, styles["fact"]), _text(value, styles["fact"])) for label, value in sheet.facts]
    if len(pairs) % 2:
        pairs.append(("", ""))
    half = len(pairs) // 2
    rows = [[*pairs[i], *pairs[half + i]] for i in range(half)]
    widths = [0.15, 0.35, 0.15, 0.35]
    table = Table(rows or [[""]], colWidths=[BODY_WIDTH * w for w in widths] if rows else None, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))
    return table


def _lines(sheet: Sheet, font: str, styles: dict[str, ParagraphStyle]) -> Table:
    """The lines, their header row repeated at the top of every page the table runs onto."""
    wrapping = [i for i, column in enumerate(sheet.columns) if column.wraps]
    body = [[_text(value, styles["cell"]) if i in wrapping else value for i, value in enumerate(row)] for row in sheet.rows]
    share = sum(column.width for column in sheet.columns)
    table = Table([[column.title for column in sheet.columns], *body], repeatRows=1,
                  colWidths=[BODY_WIDTH * column.width / share for column in sheet.columns])
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), font, 8, 10),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, RULE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i, column in enumerate(sheet.columns) if column.figure]
    table.setStyle(TableStyle(style))
    return table


def _totals(sheet: Sheet, font: str) -> Table:
    table = Table([list(pair) for pair in sheet.totals], colWidths=[35 * mm, 40 * mm], hAlign="RIGHT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9, 12), ("FONT", (0, -1), (-1, -1), font, 10.5, 13), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEABOVE", (0, -1), (-1, -1), 0.5, RULE), ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))
    return table


def _signatures(sheet: Sheet, font: str) -> Table:
    """A line to sign on for each person the document names, side by side."""
    gap = 8 * mm
    count = len(sheet.signatures)
    cells: list[str] = []
    for n, who in enumerate(sheet.signatures):
        cells += [f"{who}：" if sheet.lang == "zh" else f"{who}:", *([""] if n < count - 1 else [])]
    width = (BODY_WIDTH - gap * (count - 1)) / count
    table = Table([cells], colWidths=[width if i % 2 == 0 else gap for i in range(len(cells))], rowHeights=[24])
    style: list[tuple[Any, ...]] = [("FONT", (0, 0), (-1, -1), font, 9), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("LEFTPADDING", (0, 0), (-1, -1), 0)]
    style += [("LINEBELOW", (i, 0), (i, 0), 0.5, RULE) for i in range(0, len(cells), 2)]
    table.setStyle(TableStyle(style))
    return table


def _story(sheet: Sheet, company: Letterhead, font: str) -> list[Any]:
    styles = _styles(font)
    story: list[Any] = [*_letterhead(company, sheet.lang, styles), _text(sheet.title, styles["title"]),
                        _text(f"{said(sheet.lang, '单号', 'No.')} {sheet.number}", styles["number"])]
    if sheet.facts:
        story += [_facts(sheet, styles), Spacer(1, 4 * mm)]
    story.append(_lines(sheet, font, styles))
    # What follows the lines stays together: a page never opens on a signature line without the totals it signs for.
    ending: list[Any] = []
    if sheet.totals:
        ending += [Spacer(1, 2 * mm), _totals(sheet, font)]
    ending += [_text(line, styles["text"]) for line in sheet.words]
    ending += [_text(f"{label}{'：' if sheet.lang == 'zh' else ': '}{value}", styles["text"]) for label, value in sheet.remarks if value]
    if sheet.signatures:
        ending += [Spacer(1, 8 * mm), _signatures(sheet, font)]
    return [*story, KeepTogether(ending)]


def numbered_canvas(footer: str, lang: str, font: str) -> type[Canvas]:
    """A canvas that holds each page back until the last is drawn, then writes the foot of every page with the number of
    pages: 第 2 页 / 共 5 页, Page 2 of 5."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for page in self._pages:
                self.__dict__.update(page)
                self._foot(len(self._pages))
                super().showPage()
            super().save()

        def _foot(self, pages: int) -> None:
            self.setFont(font, 8)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, FOOT, footer)
            n = self._pageNumber
            self.drawRightString(PAGE_WIDTH - MARGIN, FOOT, f"第 {n} 页 / 共 {pages} 页" if lang == "zh" else f"Page {n} of {pages}")

    return NumberedCanvas


def render_pdf(sheet: Sheet, company: Letterhead) -> bytes:
    """The document as an A4 PDF with the CJK font embedded."""
    font = pdf_font()
    buffer = io.BytesIO()
    name = company.name(sheet.lang)
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=FOOT + 8 * mm,
        title=f"{sheet.title} {sheet.number}", author=name, creator="Cangku", invariant=1, pageCompression=1,
    )
    document.build(_story(sheet, company, font), canvasmaker=numbered_canvas(f"{name}  ·  {sheet.title} {sheet.number}", sheet.lang, font))
    return buffer.getvalue()
