"""A report result as JSON, CSV (UTF-8 with BOM, for Excel) or XLSX (typed cells, formats, a totals row).

JSON and CSV carry decimals as exact strings. XLSX cells are numbers, which Excel holds as
binary doubles: openpyxl writes a Decimal as "%.16g" of it, which gives back exactly the same
decimal for every value of up to 15 significant digits — all the money and quantities a
company of this size has (a 16-digit figure is beyond what Excel can hold anyway).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import msgspec
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from server.quantities import decimal_places
from server.reports.framework import Column, Result, in_language
from server.reports.schemas import ReportColumnOut, ReportOut
from server.schemas import fmt

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",  # the response adds "; charset=utf-8"
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TOTAL_LABEL = {"zh": "合计", "en": "Total", "both": "合计 / Total"}
MONEY_FORMAT = "#,##0.00"
COST_FORMAT = "#,##0.00####"  # unit costs run to 6 places; show at least 2
INT_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# Text a spreadsheet would take for a formula (CSV/formula injection): shown as text instead.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def columns_out(columns: tuple[Column, ...]) -> list[ReportColumnOut]:
    return [ReportColumnOut(key=c.key, title_zh=c.title_zh, title_en=c.title_en, type=c.type) for c in columns]


# JSON --------------------------------------------------------------------------------------------


def json_value(value: Any) -> str | int | None:
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_json(result: Result) -> ReportOut:
    report = result.report
    return ReportOut(
        report=report.name,
        title_zh=report.title_zh,
        title_en=report.title_en,
        columns=columns_out(result.columns),
        rows=[{key: json_value(value) for key, value in row.items()} for row in result.rows],
        totals={key: json_value(value) for key, value in result.totals.items()},  # type: ignore[misc]
        generated_at=result.generated_at,
        params={**msgspec.to_builtins(result.params), "tz": result.params.zone.key},  # the zone it was read in, given or not
    )


# CSV ---------------------------------------------------------------------------------------------


def _local(value: dt.datetime, result: Result) -> dt.datetime:
    """A stored (UTC) time as the reader's wall-clock time, without a zone (spreadsheets have none)."""
    return value.astimezone(result.params.zone).replace(tzinfo=None)


def _text_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_value(column: Column, value: Any, result: Result) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return fmt(value) or "0"
    if isinstance(value, dt.datetime):
        return _local(value, result).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if column.type == "text":
        return _text_cell(str(value))
    return str(value)


def to_csv(result: Result, lang: str) -> bytes:
    """A header row of titles, then one line per row; no totals line, so every line below the header is data."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title(lang) for c in result.columns])
    for row in result.rows:
        writer.writerow([csv_value(c, row[c.key], result) for c in result.columns])
    return out.getvalue().encode("utf-8-sig")  # the BOM tells Excel the file is UTF-8, so Chinese shows as Chinese


# XLSX --------------------------------------------------------------------------------------------


def _qty_format(value: Decimal) -> str:
    places = min(decimal_places(value), 4)
    return "#,##0" + ("." + "0" * places if places else "")


def _number_format(column: Column, value: Any) -> str | None:
    if column.type == "money":
        return MONEY_FORMAT
    if column.type == "cost":
        return COST_FORMAT
    if column.type == "qty" and isinstance(value, Decimal):
        return _qty_format(value)  # as many places as the figure has: 12, 1.5, 0.375
    if column.type == "int":
        return INT_FORMAT
    if column.type == "date":
        return DATE_FORMAT
    if column.type == "datetime":
        return DATETIME_FORMAT
    return None


def _width(text: str) -> int:
    """Display width in Excel's character units: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _shown(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        number = fmt(value) or "0"
        return f"{Decimal(number):,.2f}" if column.type == "money" else number
    if isinstance(value, dt.datetime):
        return "0000-00-00 00:00:00"
    return str(value)


def _clean(text: str) -> str:
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", text)  # control characters cannot be stored in a sheet
    return cleaned


def _put(ws: Any, row: int, col: int, column: Column, value: Any, result: Result) -> Any:
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    if isinstance(value, dt.datetime):
        cell.value = _local(value, result).replace(microsecond=0)  # to the second, as a person reads it
    elif isinstance(value, str):
        cell.value = _clean(value)
    elif isinstance(value, Decimal):
        cell.value = Decimal(fmt(value) or "0")  # plain digits: 12, 1.5 (never 1.2E+1)
    else:
        cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text, even if it starts with "=" (no formula injection)
    number_format = _number_format(column, value)
    if number_format:
        cell.number_format = number_format
    return cell


def to_xlsx(result: Result, lang: str, about: Iterable[str] = ()) -> bytes:
    """One sheet: a bold, frozen, filterable header; typed cells; a bold totals row. A second sheet says what was asked
    (and `about`: lines such as the filters a list was shown under)."""
    report = result.report
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(report.title(lang))
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE4EE")
    widths = [_width(c.title(lang)) for c in result.columns]
    for col, column in enumerate(result.columns, start=1):
        cell = ws.cell(row=1, column=col, value=column.title(lang))
        cell.data_type = "s"
        cell.font = bold
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=False)
    for r, row in enumerate(result.rows, start=2):
        for col, column in enumerate(result.columns, start=1):
            _put(ws, r, col, column, row[column.key], result)
            widths[col - 1] = max(widths[col - 1], _width(_shown(column, row[column.key])))
    last = len(result.rows) + 1
    if result.columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(result.columns))}{last}"
    if result.totals:
        total_row = last + 1
        label_col = next((i for i, c in enumerate(result.columns, start=1) if not c.total), None)
        if label_col is not None:
            ws.cell(row=total_row, column=label_col, value=TOTAL_LABEL.get(lang, "Total")).font = bold
        for col, column in enumerate(result.columns, start=1):
            if column.key in result.totals:
                cell = _put(ws, total_row, col, column, result.totals[column.key], result)
                cell.font = bold
                widths[col - 1] = max(widths[col - 1], _width(_shown(column, result.totals[column.key])))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"
    _about_sheet(wb, result, lang, about)
    wb.properties.title = report.title(lang)
    wb.properties.creator = "Cangku"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return title[:31] or "Report"


def _about_sheet(wb: Workbook, result: Result, lang: str, about: Iterable[str] = ()) -> None:
    ws = wb.create_sheet(_sheet_title(in_language(lang, "说明", "About")))
    generated = _local(result.generated_at, result)
    lines: list[tuple[str, Any]] = [
        (in_language(lang, "报表", "Report"), result.report.title(lang)),
        (in_language(lang, "生成时间", "Generated at"), generated),
        (in_language(lang, "时区", "Time zone"), result.params.zone.key),
    ]
    lines += [(f"{in_language(lang, '参数', 'Parameter')} {k}", "" if v is None else _clean(str(v))) for k, v in msgspec.to_builtins(result.params).items()]
    lines += [(in_language(lang, "筛选", "Filter"), _clean(line)) for line in about]
    for r, (label, value) in enumerate(lines, start=1):
        ws.cell(row=r, column=1, value=label).font = Font(bold=True)
        cell = ws.cell(row=r, column=2, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if isinstance(value, dt.datetime):
            cell.number_format = DATETIME_FORMAT
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40


# Files -------------------------------------------------------------------------------------------


def file_name(result: Result, ext: str) -> str:
    """stock-balance-2026-11-26.xlsx: the report and the reader's date."""
    day = _local(result.generated_at, result).date().isoformat()
    return f"{result.report.name.replace('_', '-')}-{day}.{ext}"


def content_disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "")
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        header += f"; filename*=UTF-8''{quote(name)}"  # RFC 5987/6266 for non-ASCII names
    return header
