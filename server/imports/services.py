"""Importing item categories, items, partners, locations and opening stock from a CSV or XLSX file: all or nothing, every bad
row reported.

The first non-empty row is the header; each column may be named in English or in Chinese
(either spelling below, any case, `*` markers and full-width brackets ignored). A column the
importer does not know is an error, reported once on the header line. Empty cells take the
same defaults as the API.

categories code/编码 (required), name_zh/中文名称, name_en/英文名称.
items      sku/商品编码 (required), name_zh/中文名称 (名称), name_en/英文名称, unit/单位,
           unit_decimals/小数位数, tracking/追踪方式 (none lot serial, 无 批次 序列号),
           shelf_life_days/保质期天数, reorder_point/再订货点, reorder_qty/再订货量, min_order_qty/最小起订量,
           barcodes/条码: several separated by `;` or `|`, each `code`, `code:pack_qty`
           (a carton: `16901234000013:12`) or `code:pack_qty:pack_name`; category/商品分类: the
           code of a category (imported first, or made at the desk).
partners   code/编码 and kind/类型 (supplier customer both, 供应商 客户 供应商和客户) required,
           name_zh/中文名称, name_en/英文名称, contact/联系人, phone/电话, email/邮箱, tax_id/税号,
           address/地址, payment_terms_days/账期天数, credit_limit/信用额度.
locations  code/编码 and kind/类型 (warehouse zone bin, 仓库 库区 货位) required, parent/上级,
           name_zh/中文名称, name_en/英文名称, quarantine/待检 (yes/no, 是/否). Warehouses are
           created before zones and zones before bins, wherever they stand in the file.
stock      sku/商品编码, location/库位 and qty/数量 required; unit_cost/单位成本, lot/批次,
           expiry/有效期 and produced_on/生产日期 (YYYY-MM-DD, YYYY/M/D, YYYYMMDD or a date cell;
           a lot not yet known is created with them), serials/序列号 (separated like barcodes;
           an empty qty is the number of serials). Each row is a move ADJUSTMENT → location at
           the unit cost (empty: the item's current average cost).

Every row goes through the same service function as the API (create_category, create_item, create_partner,
create_location, create_lot, move) inside its own SAVEPOINT, so one bad row is recorded and
undone while the rest go on, and a later row may use what an earlier one created (a lot, a
parent location). A dry run, or a run with any problem, then rolls the whole file back; a
clean real run commits it in the caller's transaction with one `import.<kind>` audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import sqlite3
import types
import typing
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import msgspec
import psycopg
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.catalog.schemas import CategoryCreate, ItemCreate, LotCreate, LotUpdate
from server.catalog.services import create_category, create_item, create_lot, find_item, find_lot, unknown_sku, update_lot
from server.errors import CangkuError, Conflict, InvalidInput, UnknownReference
from server.finance.currency import set_rate
from server.finance.schemas import RateIn
from server.imports.files import Table, UnreadableFile, read_table
from server.imports.schemas import ImportKind, ImportProblem, ImportReport, OpeningBalanceRow, OpeningStockRow
from server.inventory.services import move
from server.locations.schemas import LocationCreate
from server.locations.services import create_location, find_location
from server.partners.schemas import PartnerCreate
from server.partners.services import create_partner
from server.purchasing.services import open_payable
from server.sales.services import open_receivable
from server.schemas import decimal_hook_signed, plain_decimals

log = logging.getLogger("cangku")

MAX_ROWS = 50_000
OPENING_STOCK_REASON = "期初库存 opening stock"
KIND_NAMES = {"categories": ("商品分类", "item categories"), "items": ("商品", "items"), "partners": ("往来单位", "partners"), "locations": ("库位", "locations"), "stock": ("期初库存", "opening stock"),
              "exchange_rates": ("汇率", "exchange rates"), "receivables": ("期初应收", "opening receivables"),
              "payables": ("期初应付", "opening payables")}


@dataclasses.dataclass(frozen=True)
class Column:
    name: str  # the field of the request struct
    zh: str  # the Chinese header
    aliases: tuple[str, ...] = ()  # other headers people use for it
    required: bool = False


_SKU = Column("sku", "商品编码", ("货号", "商品代码", "物料编码", "编码"), required=True)
_NAME_ZH = Column("name_zh", "中文名称", ("名称", "商品名称", "品名", "单位名称", "库位名称", "name"))
_NAME_EN = Column("name_en", "英文名称", ("英文名",))

# An open document of the books Cangku takes over from: its number, day, what is still open of it, in which currency.
_OPENING_DOCUMENT = (
    Column("document", "单据号", ("发票号", "原单号", "单号", "document_number", "invoice"), required=True),
    Column("date", "单据日期", ("日期", "开票日期", "发票日期", "document_date"), required=True),
    Column("amount", "未结金额", ("金额", "余额", "期初余额", "open_amount", "balance"), required=True),
    Column("due_date", "到期日", ("到期日期", "付款到期日", "due")),
    Column("currency", "币种", ("货币", "币别")),
    Column("exchange_rate", "汇率", ("折算率", "rate")),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "categories": (
        Column("code", "编码", ("分类编码", "类别编码", "代码"), required=True),
        Column("name_zh", "中文名称", ("名称", "分类名称", "类别名称", "name")),
        _NAME_EN,
    ),
    "items": (
        _SKU, _NAME_ZH, _NAME_EN,
        Column("unit", "单位", ("计量单位", "基本单位")),
        Column("unit_decimals", "小数位数", ("小数位", "单位小数位")),
        Column("tracking", "追踪方式", ("跟踪方式", "管理方式")),
        Column("shelf_life_days", "保质期天数", ("保质期", "保质期(天)")),
        Column("reorder_point", "再订货点", ("补货点",)),
        Column("reorder_qty", "再订货量", ("补货量",)),
        Column("min_order_qty", "最小起订量", ("起订量", "最小订货量", "moq")),
        Column("barcodes", "条码", ("条形码", "barcode")),
        Column("category", "商品分类", ("分类", "分类编码", "类别", "商品类别")),
    ),
    "partners": (
        Column("code", "编码", ("单位编码", "往来单位编码", "代码"), required=True),
        Column("kind", "类型", ("类别", "单位类型"), required=True),
        _NAME_ZH, _NAME_EN,
        Column("contact", "联系人"),
        Column("phone", "电话", ("联系电话", "手机")),
        Column("email", "邮箱", ("电子邮件", "电子邮箱", "e-mail")),
        Column("tax_id", "税号", ("纳税人识别号", "统一社会信用代码")),
        Column("address", "地址"),
        Column("payment_terms_days", "账期天数", ("账期", "付款期限")),
        Column("credit_limit", "信用额度"),
    ),
    "locations": (
        Column("code", "编码", ("库位编码", "代码"), required=True),
        Column("kind", "类型", ("类别", "库位类型"), required=True),
        Column("parent", "上级", ("上级库位", "上级编码")),
        _NAME_ZH, _NAME_EN,
        Column("quarantine", "待检", ("隔离", "待检区")),
    ),
    "stock": (
        _SKU,
        Column("location", "库位", ("货位", "库位编码"), required=True),
        Column("qty", "数量", ("期初数量", "quantity"), required=True),
        Column("unit_cost", "单位成本", ("成本", "单价", "成本价", "cost")),
        Column("lot", "批次", ("批号", "批次号")),
        Column("expiry", "有效期", ("到期日", "有效期至", "失效日期", "expiry_date")),
        Column("produced_on", "生产日期", ("production_date",)),
        Column("serials", "序列号", ("serial", "serial_numbers")),
    ),
    "exchange_rates": (
        Column("currency", "币种", ("货币", "币别", "currency_code"), required=True),
        Column("on", "日期", ("汇率日期", "生效日期", "date", "day"), required=True),
        Column("rate", "汇率", ("中间价", "折算率", "exchange_rate"), required=True),
    ),
    "receivables": (
        Column("partner", "客户编码", ("客户", "往来单位编码", "customer"), required=True), *_OPENING_DOCUMENT,
    ),
    "payables": (
        Column("partner", "供应商编码", ("供应商", "往来单位编码", "supplier"), required=True), *_OPENING_DOCUMENT,
    ),
}
TARGETS: dict[str, type[msgspec.Struct]] = {"categories": CategoryCreate, "items": ItemCreate, "partners": PartnerCreate, "locations": LocationCreate, "stock": OpeningStockRow,
                                            "exchange_rates": RateIn, "receivables": OpeningBalanceRow, "payables": OpeningBalanceRow}

_YES_NO = {"true": "true", "false": "false", "yes": "true", "no": "false", "y": "true", "n": "false", "1": "true", "0": "false", "是": "true", "否": "false"}
# Other spellings of the fixed choices (Chinese ones above all), per kind and column.
CHOICES: dict[tuple[str, str], dict[str, str]] = {
    ("items", "tracking"): {"无": "none", "不追踪": "none", "批次": "lot", "序列号": "serial"},
    ("partners", "kind"): {"供应商": "supplier", "客户": "customer", "供应商和客户": "both", "客户和供应商": "both", "两者": "both"},
    ("locations", "kind"): {"仓库": "warehouse", "库区": "zone", "货位": "bin", "库位": "bin"},
    ("locations", "quarantine"): _YES_NO,
}
_LOCATION_ORDER = {"warehouse": 0, "zone": 1, "bin": 2}

# Which column a service's error is about, when its details do not say.
_CODE_COLUMNS = {
    "duplicate_sku": "sku", "duplicate_category": "code", "duplicate_partner": "code", "duplicate_location": "code", "bad_parent": "parent",
    "lot_not_tracked": "lot", "lot_required": "lot", "unknown_lot": "lot", "duplicate_lot": "lot",
    "serials_mismatch": "serials", "duplicate_serial": "serials", "serials_not_tracked": "serials",
    "serial_not_here": "serials", "serial_in_stock": "serials",
}

_SEPARATORS = re.compile(r"[;|,，；、\s]+")
_EXCEL_NUMBER = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$|^(\d{4})(\d{2})(\d{2})$|^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_FAILED = object()  # a cell already reported as bad


class ImportRefused(InvalidInput):
    """A real run found problems: nothing was written, and the report says why."""

    code = "import_refused"

    def __init__(self, report: ImportReport) -> None:
        count = len(report.errors)
        super().__init__(
            f"The file has {count} problem(s); nothing was imported. Fix them and import the whole file again.",
            f"文件中有 {count} 处问题，未导入任何内容。请改正后重新导入整个文件。",
            report=msgspec.to_builtins(report),
        )
        self.report = report


class _BadRow(Exception):
    """The row's problems are already recorded: undo its savepoint and go on."""


def import_file(session: Session, actor: Actor, kind: str, content: bytes, *, filename: str = "", dry_run: bool = False) -> ImportReport:
    """Check (dry run) or import a file of `kind`; a real run with any problem raises ImportRefused and writes nothing."""
    actor.require("masterdata.import")
    if kind not in COLUMNS:
        raise InvalidInput(
            f"Unknown import kind {kind!r}: use {', '.join(COLUMNS)}.",
            f"未知的导入类型 {kind!r}：可用 {'、'.join(COLUMNS)}。",
            code="unknown_import_kind",
        )
    run = _Run(session, actor, kind)
    file_format = ""
    outer = session.begin_nested()
    try:
        table = read_table(content, filename)
        file_format = table.format
        run.read(table)
    except UnreadableFile as exc:
        run.problem(0, exc.code, exc.en, exc.zh)
    clean = not run.problems
    if dry_run or not clean:
        outer.rollback()
    else:
        outer.commit()
    report = ImportReport(
        kind=typing.cast(ImportKind, kind), dry_run=dry_run, rows=run.rows, created=run.created if clean or dry_run else 0,
        errors=sorted(run.problems, key=lambda p: p.line),
    )
    if not clean and not dry_run:
        raise ImportRefused(report)
    if not dry_run:
        record(session, actor, f"import.{kind}", "import", (filename or kind)[:64], rows=run.rows, created=run.created, format=file_format, filename=filename)
    return report


def describe(report: ImportReport) -> list[str]:
    """The report as lines of text in both languages (the CLI prints these)."""
    zh_kind, en_kind = KIND_NAMES[report.kind]
    verb_en, verb_zh = ("would be imported", "可导入") if report.dry_run else ("imported", "已导入")
    lines = [
        f"{en_kind}: {report.rows} row(s) read, {report.created} {verb_en}, {len(report.errors)} problem(s)",
        f"{zh_kind}：读取 {report.rows} 行，{verb_zh} {report.created} 行，{len(report.errors)} 处问题",
    ]
    for problem in report.errors:
        where_en = f"line {problem.line}" + (f" [{problem.column}]" if problem.column else "")
        where_zh = f"第 {problem.line} 行" + (f"「{problem.column}」" if problem.column else "")
        lines += [f"  {where_en}: {problem.message_en}", f"  {where_zh}：{problem.message_zh}"]
    if report.errors and not report.dry_run:
        lines.append("Nothing was imported. / 未导入任何内容。")
    return lines


class _Run:
    """One file going through: the header's columns, the rows seen so far, and the problems found."""

    def __init__(self, session: Session, actor: Actor, kind: str) -> None:
        self.session, self.actor, self.kind = session, actor, kind
        self.problems: list[ImportProblem] = []
        self.columns: dict[int, Column] = {}  # cell index -> column
        self.headers: dict[str, str] = {}  # column name -> the header as written in the file
        self.named: set[int] = set()  # cell indexes with any header, known or not
        self.seen: dict[tuple[str, str], int] = {}  # (column, value) -> first line, for duplicates within the file
        self.current: dict[str, str] = {}
        self.rows = 0
        self.created = 0
        self.fields = {f.name: f for f in msgspec.structs.fields(TARGETS[kind])}

    # Reporting ----------------------------------------------------------------------------------

    def problem(self, line: int, code: str, en: str, zh: str, column: str | None = None) -> None:
        header = self.headers.get(column, column) if column else None
        self.problems.append(ImportProblem(line=line, column=header, code=code, message_en=en, message_zh=zh))

    def label(self, name: str) -> str:
        return self.headers.get(name, name)

    def problem_from(self, line: int, exc: CangkuError) -> None:
        self.problem(line, exc.code, exc.en, exc.zh, self._column_of(exc))

    def _column_of(self, exc: CangkuError) -> str | None:
        names = {c.name for c in COLUMNS[self.kind]}
        details = exc.details
        for candidate in (details.get("column"), details.get("field")):
            if candidate in names:
                return typing.cast(str, candidate)
        if details.get("field") == "barcode qty" or "barcode" in details:
            return "barcodes"
        if exc.code in _CODE_COLUMNS and _CODE_COLUMNS[exc.code] in names:
            return _CODE_COLUMNS[exc.code]
        for key in ("sku", "location", "lot", "partner"):
            value = details.get(key)
            for name, text in self.current.items():
                if value and text == value:
                    return name
        return None

    # The file -----------------------------------------------------------------------------------

    def read(self, table: Table) -> None:
        if not table.rows:
            raise UnreadableFile("The file has no rows.", "文件中没有数据行。", code="empty_file")
        header_line, header = table.rows[0]
        rows = table.rows[1:]
        self.rows = len(rows)
        if not self.read_header(header_line, header):
            return
        if not rows:
            self.problem(header_line, "no_rows", "The file has a header but no data rows.", "文件只有表头，没有数据行。")
            return
        if len(rows) > MAX_ROWS:
            self.problem(
                0, "too_many_rows", f"The file has {len(rows)} rows; at most {MAX_ROWS} can be imported at once. Split it.",
                f"文件有 {len(rows)} 行，一次最多导入 {MAX_ROWS} 行，请拆分。",
            )
            return
        if self.kind == "locations":
            rows = sorted(rows, key=self._location_order)
        for line, cells in rows:
            self.current = {}
            try:
                with self.session.begin_nested():
                    self.current = self.values(line, cells)
                    HANDLERS[self.kind](self, line, self.current)
                self.created += 1
            except _BadRow:
                pass
            except CangkuError as exc:
                self.problem_from(line, exc)
            except (IntegrityError, DataError, psycopg.IntegrityError, psycopg.DataError, sqlite3.IntegrityError) as exc:
                # A database rule the services do not check first (a column shorter than the API allows).
                log.info("import line %s refused by the database: %s", line, exc)
                self.problem(
                    line, "rejected_by_database",
                    "The database refused this line (a value too long or out of range, or a duplicate).",
                    "数据库拒绝了这一行（值过长、超出范围或记录重复）。",
                )

    def read_header(self, line: int, cells: list[str]) -> bool:
        """Map header cells to columns; report unknown, repeated and missing ones. False when rows cannot be read."""
        spellings = {_key(s): column for column in COLUMNS[self.kind] for s in (column.name, column.zh, *column.aliases)}
        for index, text in enumerate(cells):
            if not text:
                continue
            self.named.add(index)
            column = spellings.get(_key(text))
            if column is None:
                zh_kind, en_kind = KIND_NAMES[self.kind]
                self.problem(
                    line, "unknown_column",
                    f"Unknown column {text!r}. Columns for {en_kind}: {', '.join(c.name for c in COLUMNS[self.kind])}.",
                    f"未知的列「{text}」。{zh_kind}可用的列：{'、'.join(c.zh for c in COLUMNS[self.kind])}。",
                    text,
                )
            elif column.name in self.headers:
                self.problem(
                    line, "duplicate_column",
                    f"Columns {self.headers[column.name]!r} and {text!r} both mean {column.name}.",
                    f"列「{self.headers[column.name]}」和「{text}」重复，都表示{column.zh}。",
                    text,
                )
            else:
                self.columns[index] = column
                self.headers[column.name] = text
        missing = [c for c in COLUMNS[self.kind] if c.required and c.name not in self.headers]
        for column in missing:
            self.problem(line, "missing_column", f"Column {column.name} ({column.zh}) is missing.", f"缺少列「{column.zh}」（{column.name}）。", column.name)
        return not missing

    def _location_order(self, row: tuple[int, list[str]]) -> int:
        index = next((i for i, c in self.columns.items() if c.name == "kind"), None)
        text = row[1][index].lower() if index is not None and index < len(row[1]) else ""
        return _LOCATION_ORDER.get(CHOICES[("locations", "kind")].get(text, text), len(_LOCATION_ORDER))

    # One row ------------------------------------------------------------------------------------

    def values(self, line: int, cells: list[str]) -> dict[str, str]:
        """The row's non-empty cells by column name; a value under no header is a problem (a shifted row, often)."""
        values: dict[str, str] = {}
        stray = False
        for index, text in enumerate(cells):
            if not text:
                continue
            column = self.columns.get(index)
            if column is not None:
                values[column.name] = text
            elif index not in self.named:
                stray = True
                letter = _column_letter(index)
                self.problem(
                    line, "value_without_header",
                    f"Column {letter} holds {text!r} but has no header (a value with an unquoted comma shifts the row).",
                    f"第 {letter} 列有值「{text}」但没有列名（未加引号的逗号会使整行错位）。",
                )
        if stray:
            raise _BadRow
        return values

    def once(self, line: int, column: str, value: str, noun_en: str, noun_zh: str) -> InvalidInput | None:
        """Remember a value that must be unique in the file; the problem if it was already seen."""
        first = self.seen.setdefault((column, value), line)
        if first == line:
            return None
        a, b = sorted((first, line))
        return InvalidInput(
            f"{noun_en} {value} appears twice in the file: on line {a} and on line {b}.",
            f"{noun_zh} {value} 在文件中出现两次：第 {a} 行和第 {b} 行。",
            code="duplicate_in_file", column=column, first_line=first,
        )

    def convert(self, line: int, values: dict[str, str], prepared: dict[str, Any] | None = None) -> Any:
        """The row as the kind's request struct, each cell checked by that struct's own field rules; every bad cell reported."""
        prepared = prepared or {}
        converted: dict[str, Any] = {}
        bad = False
        for name, value in prepared.items():
            if value is _FAILED:
                bad = True
            else:
                converted[name] = value
        for name, text in values.items():
            if name in prepared:
                continue
            value = self.cell(line, name, text)
            if value is _FAILED:
                bad = True
            else:
                converted[name] = value
        for field in self.fields.values():
            if field.required and field.name not in converted and field.name not in values and field.name not in prepared:
                bad = True
                label = self.label(field.name)
                self.problem(line, "required", f"{label} is required.", f"「{label}」必填。", field.name)
        if bad:
            raise _BadRow
        return TARGETS[self.kind](**converted)

    def cell(self, line: int, name: str, text: str) -> Any:
        field_type = self.fields[name].type
        base = _base(field_type)
        choices = CHOICES.get((self.kind, name), {})
        label = self.label(name)
        value: str = text
        if base is dt.date:
            iso = _iso_date(text)
            if iso is None:
                self.problem(
                    line, "bad_date", f"{label} {text!r} is not a valid date; write it as YYYY-MM-DD.",
                    f"{label}「{text}」不是有效日期，请写成 YYYY-MM-DD。", name,
                )
                return _FAILED
            value = iso
        elif base is int or (isinstance(base, type) and issubclass(base, Decimal)):
            value = _number_text(text)
        elif choices or base is bool or typing.get_origin(base) is Literal:
            value = choices.get(text.lower(), choices.get(text, text.lower()))
        try:
            return _cell_value(value, field_type)
        except msgspec.ValidationError as exc:
            en, zh = _reason(str(exc), base, choices)
            self.problem(line, "invalid_value", f"{label} {text!r} {en}.", f"{label}「{text}」{zh}。", name)
            return _FAILED
        except InvalidInput as exc:  # a number this column cannot hold (too large, too fine, negative)
            self.problem(line, "invalid_value", f"{label} {text!r}: {exc.en}", f"{label}「{text}」：{exc.zh}", name)
            return _FAILED

    def listed(self, line: int, name: str, parts: list[Any], what: tuple[str, str], texts: list[str]) -> Any:
        """A list cell (barcodes, serials) checked against its field's rules, naming the entry that is wrong."""
        field_type = self.fields[name].type
        try:
            return _cell_value(parts, field_type)
        except InvalidInput as exc:
            self.problem(line, "invalid_value", f"{what[0]}: {exc.en}", f"{what[1]}：{exc.zh}", name)
            return _FAILED
        except msgspec.ValidationError as exc:
            message = str(exc)
            match = re.search(r"`\$\[(\d+)\]", message)
            entry = texts[int(match.group(1))] if match else self.current.get(name, "")
            en, zh = _reason(message, _base(field_type), {})
            self.problem(line, "invalid_value", f"{what[0]} {entry!r} {en}.", f"{what[1]}「{entry}」{zh}。", name)
            return _FAILED


# Rows of each kind --------------------------------------------------------------------------------


def _category_row(run: _Run, line: int, values: dict[str, str]) -> None:
    data: CategoryCreate = run.convert(line, values)
    if duplicate := run.once(line, "code", data.code, "Category code", "分类编码"):
        raise duplicate
    create_category(run.session, run.actor, data)


def _item_row(run: _Run, line: int, values: dict[str, str]) -> None:
    prepared: dict[str, Any] = {}
    if "barcodes" in values:
        prepared["barcodes"] = _barcodes(run, line, values["barcodes"])
    data: ItemCreate = run.convert(line, values, prepared)
    if duplicate := run.once(line, "sku", data.sku, "SKU", "SKU"):
        raise duplicate
    duplicates = [run.once(line, "barcodes", entry.code, "Barcode", "条码") for entry in data.barcodes]
    if found := next((d for d in duplicates if d), None):
        raise found
    create_item(run.session, run.actor, data)


def _barcodes(run: _Run, line: int, text: str) -> Any:
    parts, texts = [], []
    for part in _SEPARATORS.split(text):
        if not part:
            continue
        if _EXCEL_NUMBER.match(part):
            run.problem(
                line, "shortened_number",
                f"Barcode {part} looks like a number Excel shortened; format the column as text and type the barcodes again.",
                f"条码 {part} 像是被 Excel 缩写的数字；请把该列设为文本格式后重新输入条码。", "barcodes",
            )
            return _FAILED
        code, *rest = part.split(":")
        entry: dict[str, str] = {"code": code}
        if rest and rest[0]:
            entry["qty"] = _number_text(rest[0])
            entry["pack"] = "each" if _is_one(entry["qty"]) else "carton"
        if len(rest) > 1 and rest[1]:
            entry["pack"] = ":".join(rest[1:])
        parts.append(entry)
        texts.append(part)
    return run.listed(line, "barcodes", parts, ("Barcode", "条码"), texts)


def _partner_row(run: _Run, line: int, values: dict[str, str]) -> None:
    data: PartnerCreate = run.convert(line, values)
    if duplicate := run.once(line, "code", data.code, "Partner code", "往来单位编码"):
        raise duplicate
    create_partner(run.session, run.actor, data)


def _location_row(run: _Run, line: int, values: dict[str, str]) -> None:
    data: LocationCreate = run.convert(line, values)
    if duplicate := run.once(line, "code", data.code, "Location code", "库位编码"):
        raise duplicate
    create_location(run.session, run.actor, data)


def _stock_row(run: _Run, line: int, values: dict[str, str]) -> None:
    session, actor = run.session, run.actor
    prepared: dict[str, Any] = {}
    if "serials" in values:
        texts = [s for s in _SEPARATORS.split(values["serials"]) if s]
        prepared["serials"] = serials = run.listed(line, "serials", texts, ("Serial", "序列号"), texts)
        if "qty" not in values and serials is not _FAILED:
            prepared["qty"] = Decimal(len(serials))
    data: OpeningStockRow = run.convert(line, values, prepared)
    if data.lot is None and (data.expiry or data.produced_on):
        raise InvalidInput(
            "An expiry or production date belongs to a lot: fill in the lot column.",
            "有效期和生产日期属于批次：请填写批次。",
            code="lot_required_for_date", column="lot",
        )
    location = find_location(session, data.location)
    if location is None:
        raise UnknownReference(f"Unknown location {data.location}.", f"未知的库位 {data.location}。", code="unknown_location", column="location")
    if location.kind == "virtual":
        raise InvalidInput(
            f"Opening stock goes into a warehouse, zone or bin; {data.location} is a virtual location.",
            f"期初库存应放入仓库、库区或货位；{data.location} 是虚拟库位。",
            code="virtual_location", column="location",
        )
    if data.lot:
        _ensure_lot(session, actor, data)
    move(
        session, actor, sku=data.sku, qty=data.qty, source="OPENING", target=data.location, lot=data.lot,
        serials=data.serials, unit_cost=data.unit_cost, reason=OPENING_STOCK_REASON,
    )


def _ensure_lot(session: Session, actor: Actor, data: OpeningStockRow) -> None:
    """Create the row's lot when it is new; an expiry that contradicts a known lot is a problem, not an overwrite."""
    item = find_item(session, data.sku)
    if item is None:
        raise unknown_sku(data.sku)
    if item.tracking == "none" or data.lot is None:
        return  # the move says the item has no lots
    lot = find_lot(session, item, data.lot)
    if lot is None:
        create_lot(session, actor, LotCreate(sku=data.sku, code=data.lot, expiry=data.expiry, produced_on=data.produced_on))
    elif data.expiry and lot.expiry is None:
        update_lot(session, actor, data.sku, data.lot, LotUpdate(expiry=data.expiry))
    elif data.expiry and lot.expiry != data.expiry:
        raise Conflict(
            f"Lot {data.lot} of {data.sku} already expires on {lot.expiry}; this line says {data.expiry}.",
            f"商品 {data.sku} 的批次 {data.lot} 有效期为 {lot.expiry}，本行却是 {data.expiry}。",
            code="lot_expiry_differs", column="expiry",
        )


def _rate_row(run: _Run, line: int, values: dict[str, str]) -> None:
    data: RateIn = run.convert(line, values)
    if duplicate := run.once(line, "on", f"{data.currency} {data.on.isoformat()}", "The rate of", "汇率"):
        raise duplicate
    set_rate(run.session, run.actor, currency=data.currency, on=data.on, rate=data.rate, source="imported")


def _receivable_row(run: _Run, line: int, values: dict[str, str]) -> None:
    data: OpeningBalanceRow = run.convert(line, values)
    if duplicate := run.once(line, "document", f"{data.partner} {data.document}", "Document", "单据"):
        raise duplicate
    open_receivable(run.session, run.actor, customer=data.partner, reference=data.document, amount=data.amount, invoice_date=data.date,
                    due_date=data.due_date, currency=data.currency, exchange_rate=data.exchange_rate)


def _payable_row(run: _Run, line: int, values: dict[str, str]) -> None:
    data: OpeningBalanceRow = run.convert(line, values)
    if duplicate := run.once(line, "document", f"{data.partner} {data.document}", "Document", "单据"):
        raise duplicate
    open_payable(run.session, run.actor, supplier=data.partner, reference=data.document, amount=data.amount, bill_date=data.date,
                 due_date=data.due_date, currency=data.currency, exchange_rate=data.exchange_rate)


HANDLERS = {"categories": _category_row, "items": _item_row, "partners": _partner_row, "locations": _location_row, "stock": _stock_row, "exchange_rates": _rate_row,
            "receivables": _receivable_row, "payables": _payable_row}


# Pure helpers -------------------------------------------------------------------------------------


def _key(header: str) -> str:
    """A header as compared: NFKC (full-width brackets), lower case, no `*` marks, spaces and dashes as `_`."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "").strip().strip("*").strip().lower()
    return re.sub(r"[\s_\-]+", "_", text)


def _cell_value(value: Any, field_type: Any) -> Any:
    """A cell's text as its field's type: leniently (cells are text), the field's own rules checked."""
    return plain_decimals(msgspec.convert(value, field_type, strict=False, dec_hook=decimal_hook_signed))


def _base(field_type: Any) -> Any:
    """The type under Annotated[...] and `| None`."""
    while True:
        origin = typing.get_origin(field_type)
        if origin is Annotated:
            field_type = typing.get_args(field_type)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(field_type) if a is not type(None)]
            if len(args) != 1:
                return field_type
            field_type = args[0]
        else:
            return field_type


def _number_text(text: str) -> str:
    """Full-width digits made plain and thousands separators dropped: "１,２００.５" reads as 1200.5."""
    plain = unicodedata.normalize("NFKC", text).strip()
    return plain.replace(",", "") if _THOUSANDS.match(plain) else plain


def _is_one(text: str) -> bool:
    try:
        return Decimal(text) == 1
    except InvalidOperation:
        return False


def _iso_date(text: str) -> str | None:
    """YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD or YYYY年M月D日 as an ISO date; None when it is no real date."""
    match = _DATE.match(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups() if g is not None)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_COMPARISONS = {">=": ("at least", "不小于"), "<=": ("at most", "不大于"), ">": ("more than", "大于"), "<": ("less than", "小于")}


def _reason(message: str, base: Any, choices: dict[str, str]) -> tuple[str, str]:
    """msgspec's reason for refusing a value, said for a person in English and Chinese."""
    detail = message.split(" - at `")[0]
    if match := re.fullmatch(r"Expected `\w+` (>=|<=|>|<) (\S+)", detail):
        en, zh = _COMPARISONS[match.group(1)]
        return f"must be {en} {match.group(2)}", f"必须{zh} {match.group(2)}"
    if match := re.fullmatch(r"Expected `str` of length <= (\d+)", detail):
        return f"is longer than {match.group(1)} characters", f"超过 {match.group(1)} 个字符"
    if match := re.fullmatch(r"Expected `str` of length >= (\d+)", detail):
        return f"is shorter than {match.group(1)} character(s)", f"少于 {match.group(1)} 个字符"
    if match := re.fullmatch(r"Expected `array` of length <= (\d+)", detail):
        return f"lists more than {match.group(1)} entries", f"超过 {match.group(1)} 项"
    if "matching regex" in detail:
        if "x00" in detail:  # the text patterns of server.schemas: no control characters
            return "holds a control character", "含有控制字符"
        if "x21" in detail:
            return "may only hold letters, digits and symbols, without spaces or Chinese", "只能包含字母、数字和符号，不能有空格或中文"
        return (
            "may only hold letters, digits, '.', '_' and '-', starting with a letter or digit",
            "只能包含字母、数字、'.'、'_' 和 '-'，且以字母或数字开头",
        )
    if detail.startswith("Invalid enum value"):
        allowed = [str(a) for a in typing.get_args(base)] if typing.get_origin(base) is Literal else sorted(set(choices.values()))
        chinese = [k for k in choices if not k.isascii()]
        return f"must be one of {', '.join(allowed)}", f"必须是 {'、'.join(allowed + chinese)} 之一"
    if base is bool:
        return "must be yes or no", "必须是 是 或 否"
    if base is int:
        return "is not a whole number", "不是整数"
    if base is Decimal:
        return "is not a number", "不是数字"
    return f"is not valid ({detail})", f"无效（{detail}）"
