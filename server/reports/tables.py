"""A list as the desk shows it, saved as a file: POST /api/v1/exports turns its rows into CSV or XLSX.

The desk sends what the user sees — every page of a list under its filters and sort, in the user's language —
so a file never holds a figure the user may not see on screen. The server's part is the file itself, written by
the same renderer as the reports: typed cells, thousands separators, a frozen filterable header, a BOM for Excel,
and text that a spreadsheet would take for a formula kept as text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal, cast

import msgspec
from litestar import Response
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, Operation, Schema
from litestar.params import JSONBody
from litestar.response import Stream

from server.api import post
from server.auth.permissions import Actor
from server.auth.visibility import PRICES
from server.base import utcnow
from server.errors import InvalidInput
from server.reports import render
from server.reports.framework import Column, Params, Report, Result
from server.reports.worker import Rendered, render_in_worker, rendered_response
from server.schemas import ONE_LINE, Struct

MAX_ROWS = 10_000
MAX_COLUMNS = 40
MAX_DIGITS, MAX_PLACES = 15, 10  # beyond what a sheet holds exactly, or any figure a list shows
CellText = Annotated[str, msgspec.Meta(max_length=2_000, pattern=ONE_LINE)]


class TableColumn(Struct):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=ONE_LINE)]
    # number: figures as the list shows them (1,234.50; a dash or nothing for none); text: anything else.
    type: Literal["text", "number"] = "text"


class TableExport(Struct, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9-]*$")]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=ONE_LINE)]
    format: Literal["csv", "xlsx"]
    lang: Literal["zh", "en"] = "zh"
    columns: Annotated[list[TableColumn], msgspec.Meta(min_length=1, max_length=MAX_COLUMNS)]
    rows: Annotated[list[list[CellText | None]], msgspec.Meta(max_length=MAX_ROWS)]
    filters: Annotated[list[CellText], msgspec.Meta(max_length=20)] = []


class _NoFilters(Params):
    pass


DASHES = {"", "—", "-", "–"}


def _figure(text: str | None, column: int, row: int) -> Decimal | None:
    if text is None or text.strip() in DASHES:
        return None
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(
            f"Row {row}, column {column}: {text!r} is not a number.", f"第 {row} 行第 {column} 列：{text!r} 不是数字。",
            code="invalid_export", row=row, column=column,
        ) from None
    # A finite number's exponent is an int (only NaN and infinity have a letter there).
    if not value.is_finite() or value.adjusted() > MAX_DIGITS or cast(int, value.as_tuple().exponent) < -MAX_PLACES:
        raise InvalidInput(f"Row {row}, column {column}: {text!r} is not a number.", f"第 {row} 行第 {column} 列：{text!r} 不是数字。",
                           code="invalid_export", row=row, column=column)
    return value


def _plain(value: Decimal | None, as_text: bool) -> Decimal | str | None:
    return f"{value:f}" if as_text and value is not None else value


def table_result(data: TableExport) -> Result:
    """The rows as a report result, so the reports' renderer writes the file. A CSV keeps each figure's places as the
    list showed them (12,345.60 is 12345.60, not 12345.6); a workbook gets numbers: a column of amounts (every figure
    with two places) formatted as money, any other as quantities with the places each figure has."""
    width = len(data.columns)
    keys = [f"c{i}" for i in range(width)]
    figures: dict[int, list[Decimal | None]] = {i: [] for i, c in enumerate(data.columns) if c.type == "number"}
    for n, cells in enumerate(data.rows, start=1):
        if len(cells) != width:
            raise InvalidInput(
                f"Row {n} has {len(cells)} cells; the list has {width} columns.", f"第 {n} 行有 {len(cells)} 格，列表有 {width} 列。",
                code="invalid_export", row=n,
            )
        for i, found in figures.items():
            found.append(_figure(cells[i], i + 1, n))
    money = {i for i, found in figures.items() if found and all(v is None or v.as_tuple().exponent == -2 for v in found)}
    columns = tuple(
        Column(key=key, title_zh=c.title, title_en=c.title, type="money" if i in money else "qty" if i in figures else "text")
        for i, (key, c) in enumerate(zip(keys, data.columns, strict=True))
    )
    as_text = data.format == "csv"
    rows = [
        {key: _plain(figures[i][n], as_text) if i in figures else cell for i, (key, cell) in enumerate(zip(keys, cells, strict=True))}
        for n, cells in enumerate(data.rows)
    ]
    # Never run: it only names and titles the file for the renderer. Its permission satisfies the declaration check for
    # money columns; who may see the figures was decided when the screen showed them.
    report: Report[_NoFilters] = Report(
        name=data.name.replace("-", "_"), title_zh=data.title, title_en=data.title, permission=PRICES,
        params=_NoFilters, columns=columns, rows=lambda *_: rows,
    )
    return Result(report, columns, rows, {}, _NoFilters(), utcnow())


@dataclasses.dataclass
class ExportOperation(Operation):
    """The 200 answer is the file: CSV or XLSX, never JSON. Say so in the schema."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if getattr(ok, "content", None) is not None:
            ok.content = {  # type: ignore[union-attr]
                "text/csv": OpenAPIMediaType(schema=Schema(type="string", description="UTF-8 with BOM; a header row of titles")),  # type: ignore[arg-type]
                render.MEDIA_TYPES["xlsx"]: OpenAPIMediaType(schema=Schema(type="string", format="binary")),  # type: ignore[arg-type]
            }


@post("/api/v1/exports", status_code=200, tags=["reports"], operation_class=ExportOperation,
      summary="Save a list as CSV or Excel / 导出列表")
async def export_table(actor: NamedDependency[Actor], data: JSONBody[TableExport]) -> Response[bytes] | Stream:
    """Any signed-in user may save what their screen shows; the file holds only the rows and columns sent. Written in a
    report worker process."""
    del actor  # signed in is enough: the rows are what the user was already shown
    return rendered_response(await render_in_worker(export_file, data))


def export_file(data: TableExport) -> Rendered:
    """The file of a list a person saves from their screen, CSV or XLSX (run in a report worker)."""
    result = table_result(data)
    content = render.to_csv(result, data.lang) if data.format == "csv" else render.to_xlsx(result, data.lang, about=data.filters)
    day = dt.datetime.now(result.params.zone).date().isoformat()
    return Rendered(content, render.MEDIA_TYPES[data.format], f"{data.name}-{day}.{data.format}")
