"""Reading an uploaded table (CSV or XLSX) into numbered rows of text cells: pure functions, no database.

Line numbers are the ones a person sees: in a CSV file the line the record starts on (header is
line 1), in a workbook the sheet's row number. Rows with nothing in them are left out but keep
their number's place, so the numbers stay true to the file.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import zipfile
from decimal import Decimal

from server.errors import InvalidInput

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary Excel format (an OLE compound file)
# A workbook is a zip: refuse one that would unpack to far more than any real price list (a zip bomb).
MAX_UNPACKED_BYTES = 256 * 1024 * 1024


class UnreadableFile(InvalidInput):
    """The upload is not a table this importer can read at all."""

    code = "unreadable_file"


@dataclasses.dataclass(frozen=True)
class Table:
    format: str  # "csv" or "xlsx"
    rows: list[tuple[int, list[str]]]  # (line number, cells as trimmed text); empty rows left out


def read_table(content: bytes, filename: str = "") -> Table:
    """The rows of a CSV or XLSX file; the format comes from the content (a workbook is a zip), else the name."""
    if not content.strip():
        raise UnreadableFile("The file is empty.", "文件是空的。", code="empty_file")
    name = filename.lower()
    if content.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        return Table("xlsx", _workbook_rows(content))
    if content.startswith(XLS_MAGIC) or name.endswith(".xls"):
        raise UnreadableFile(
            "Old Excel .xls files cannot be read; save the sheet as .xlsx or CSV.",
            "无法读取旧版 Excel .xls 文件，请另存为 .xlsx 或 CSV。",
            code="unsupported_format",
        )
    return Table("csv", _csv_rows(decode_text(content)))


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM ("Unicode text" from Excel), else GB18030 (Chinese Excel's CSV)."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise UnreadableFile(
        "The file is not text in UTF-8 or GB18030, nor an .xlsx workbook.",
        "文件既不是 UTF-8 或 GB18030 编码的文本，也不是 .xlsx 工作簿。",
    )


def _delimiter(text: str) -> str:
    """Comma unless the header line clearly uses tabs or semicolons (Excel's "Unicode text", European locales)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows = []
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            cells = [cell.strip() for cell in cells]
            if any(cells):
                rows.append((line, cells))
    except csv.Error as exc:
        raise UnreadableFile(
            f"The CSV file cannot be read at line {reader.line_num}: {exc}.",
            f"CSV 文件第 {reader.line_num} 行无法读取：{exc}。",
            line=reader.line_num,
        ) from None
    return rows


def _workbook_rows(content: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl

    unreadable = UnreadableFile(
        "The file is not a readable .xlsx workbook.", "文件不是可读取的 .xlsx 工作簿。"
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise UnreadableFile(
                f"The workbook unpacks to {unpacked // 1_048_576} MiB, more than the {MAX_UNPACKED_BYTES // 1_048_576} MiB allowed; split it.",
                f"工作簿解压后 {unpacked // 1_048_576} MiB，超过上限 {MAX_UNPACKED_BYTES // 1_048_576} MiB，请拆分。",
                code="file_too_large",
            )
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except UnreadableFile:
        raise
    except Exception:  # noqa: BLE001 - a damaged upload makes zipfile/openpyxl/XML raise many kinds; all mean the same to the user
        raise unreadable from None
    try:
        if not workbook.worksheets:
            raise unreadable
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store wrong dimensions; read what is really there
        rows = []
        # Read-only sheets yield a row for every number, empty ones included, so the count is the row number.
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(value) for value in values]
            if any(cells):
                rows.append((number, cells))
        return rows
    except UnreadableFile:
        raise
    except Exception:  # noqa: BLE001 - see above: a broken sheet inside a valid zip
        raise unreadable from None
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A workbook cell as the text a person typed: 12 not 12.0, a barcode not 6.9e12, a date as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()
