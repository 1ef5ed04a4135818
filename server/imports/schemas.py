"""Shapes of an import: the upload, one opening-stock or opening-balance row, the report a run answers with, and the
columns a kind takes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile

from server.partners.schemas import Currency
from server.schemas import Amount, Code, ExchangeRateValue, Out, Price, Quantity, ScanText, Struct, line

ImportKind = Literal["categories", "items", "partners", "locations", "stock", "exchange_rates", "receivables", "payables"]


@dataclasses.dataclass
class ImportUpload:
    """The multipart/form-data body: the file in the field `file`."""

    file: UploadFile


class OpeningStockRow(Struct):
    """One line of an opening-stock file: so much of an item (and lot) in a location, at a unit cost."""

    sku: Code
    location: Code
    qty: Quantity
    unit_cost: Price | None = None
    lot: Code | None = None
    expiry: dt.date | None = None
    produced_on: dt.date | None = None
    serials: Annotated[list[ScanText], msgspec.Meta(max_length=10000)] = []


class OpeningBalanceRow(Struct):
    """One line of an opening receivables or payables file: a partner's document still open when the books began."""

    partner: Code
    document: Annotated[str, line(64, min_length=1)]  # its number in the books it comes from (the supplier's bill number)
    date: dt.date
    amount: Amount  # what is still open of it, in its currency (more than nothing)
    due_date: dt.date | None = None
    currency: Currency | None = None  # the partner's, when left out
    exchange_rate: ExchangeRateValue | None = None  # that of its day, when left out


class ImportProblem(Out):
    """Why one line (0: the file as a whole) cannot be imported, and in which column if one."""

    line: int
    code: str
    message_en: str
    message_zh: str
    column: str | None = None  # the header as written in the file


class ImportReport(Out):
    kind: ImportKind
    dry_run: bool
    rows: int  # data rows read (empty rows not counted)
    created: int  # rows imported; in a dry run, rows that would be; 0 when a real run is refused
    errors: list[ImportProblem]


class ImportColumn(Out):
    """A column a file of one kind may have: its field, its Chinese header and the other headers read as it."""

    name: str  # the field, also accepted as the header
    zh: str
    aliases: list[str]
    required: bool


class ImportColumns(Out):
    kind: ImportKind
    columns: list[ImportColumn]  # in the order a file usually has them
