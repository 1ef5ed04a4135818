"""The report contract: typed filters, columns, a permission and a query function; running one gives a Result."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from sqlalchemy import text
from sqlalchemy.orm import Session

from server.auth.permissions import PERMISSIONS, Actor
from server.auth.visibility import COSTS, PRICES, guards_money
from server.base import utcnow
from server.dates import company_zone
from server.errors import InvalidInput

ColumnType = Literal["text", "qty", "money", "cost", "date", "datetime", "int"]
COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)
NUMERIC_TYPES = ("qty", "money", "cost", "int")

MONEY_TYPES = ("money", "cost")  # figures that are costs or prices: guarded by the column's permission or the report's
ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$"
# A report that would run past this many rows (CANGKU_REPORT_MAX_ROWS) asks for narrower filters instead of filling
# the memory of the process it runs in.
MAX_ROWS = 100_000


def max_rows() -> int:
    return int(os.environ.get("CANGKU_REPORT_MAX_ROWS") or MAX_ROWS)
# Dates a filter may name: any real business date, and far enough from the calendar's ends
# that turning them into instants in any time zone cannot overflow.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(9998, 12, 31)
# Query parameters every report route takes besides its own filters.
RESERVED = frozenset({"format", "lang", "request", "db", "actor"})

Row = dict[str, Any]
"""One report line: column key -> str | int | Decimal | date | datetime | None."""


def in_language(lang: str, zh: str, en: str) -> str:
    """Text for a reader of `lang`: zh, en, or both (bilingual headers)."""
    if lang == "zh" or zh == en:
        return zh
    return en if lang == "en" else f"{zh} / {en}"


def param(zh: str, en: str, **constraints: Any) -> msgspec.Meta:
    """A filter's title in both languages and its constraints (ge, le, min_length, max_length, pattern)."""
    return msgspec.Meta(description=f"{en} / {zh}", extra={"title_zh": zh, "title_en": en}, **constraints)


class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every report's filters: the time zone its dates are read and shown in (the company's unless given)."""

    tz: Annotated[str, param("时区（IANA 名称；默认为公司时区）", "Time zone (IANA name; the company's by default)", max_length=64,
                             pattern=ZONE_PATTERN + "|^$")] = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz) if self.tz else company_zone()

    def today(self) -> dt.date:
        return utcnow().astimezone(self.zone).date()

    def start_of(self, day: dt.date) -> dt.datetime:
        """The instant a local calendar day begins, in UTC (the form times are stored in)."""
        return dt.datetime.combine(day, dt.time(), self.zone).astimezone(dt.UTC)

    def check(self) -> None:
        """Rules across fields, run once the types are right; subclasses add theirs and call this."""
        try:
            self.zone  # noqa: B018 - looking the zone up is the check
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise InvalidInput(
                f"Unknown time zone {self.tz!r}; use an IANA name such as Asia/Shanghai.",
                f"未知的时区 {self.tz!r}，请使用 IANA 名称，例如 Asia/Shanghai。",
                code="invalid_parameter",
                parameter="tz",
            ) from None
        for field in msgspec.structs.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, dt.date) and not EARLIEST <= value <= LATEST:
                raise InvalidInput(
                    f"{field.encode_name} {value.isoformat()} is out of range ({EARLIEST.year} to {LATEST.year}).",
                    f"{field.encode_name} {value.isoformat()} 超出范围（{EARLIEST.year} 至 {LATEST.year} 年）。",
                    code="invalid_parameter",
                    parameter=field.encode_name,
                )


P = TypeVar("P", bound=Params)


@dataclasses.dataclass(frozen=True)
class Column:
    """One column: its key in the JSON rows, its titles, how its values are typed and shown."""

    key: str
    title_zh: str
    title_en: str
    type: ColumnType = "text"
    total: bool = False  # summed into the totals
    permission: str | None = None  # e.g. COSTS: absent, figures and all, for actors without it
    when: Callable[[Any], bool] | None = None  # shown only for some filter values (a lot column when grouped by lot)

    def title(self, lang: str) -> str:
        return in_language(lang, self.title_zh, self.title_en)


SUBTOTAL = "subtotal"  # the `line` of a subtotal row


@dataclasses.dataclass(frozen=True)
class Subtotals:
    """Subtotal rows, when the filters ask for them (`when`): the rows are put in order of `key` (the report's own order
    kept within each group, rows without a key last), and each group is followed by a row whose `line` column says
    "subtotal", whose numbers are the sums of the group's columns that have totals, whose text is what `label` makes of
    the group's first row (a category's names), and whose other figures are what `derive(params, row)` works out from
    those sums (a margin, a turnover). The report's totals add up the rows, not the subtotals."""

    key: str
    label: Callable[[Row], Row]
    when: Callable[[Any], bool]
    derive: Callable[[Any, Row], Row] | None = None


@dataclasses.dataclass(frozen=True)
class Report(Generic[P]):
    """A report is data plus one function: `rows(session, actor, params)` returns dicts keyed by column key."""

    name: str
    title_zh: str
    title_en: str
    permission: str
    params: type[P]
    columns: tuple[Column, ...]
    rows: Callable[[Session, Actor, P], Iterable[Row]]
    subtotals: Subtotals | None = None

    def __post_init__(self) -> None:
        # Mistakes in a report's declaration fail at import, not on a user's request.
        problems = []
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            problems.append("the name must be lower_snake_case")
        if self.permission not in PERMISSIONS:
            problems.append(f"unknown permission {self.permission}")
        keys = [c.key for c in self.columns]
        if len(keys) != len(set(keys)):
            problems.append("duplicate column keys")
        for c in self.columns:
            if c.type not in COLUMN_TYPES:
                problems.append(f"column {c.key}: unknown type {c.type}")
            if c.permission is not None and c.permission not in PERMISSIONS:
                problems.append(f"column {c.key}: unknown permission {c.permission}")
            if c.total and c.type not in NUMERIC_TYPES:
                problems.append(f"column {c.key}: only numbers have totals")
            if c.type in MONEY_TYPES and not guards_money(c.permission or self.permission):
                problems.append(f"column {c.key}: a {c.type} column needs {COSTS} or {PRICES} (on the column or the report)")
        if self.subtotals is not None and not {"line", self.subtotals.key} <= set(keys):
            problems.append(f"subtotals need a line column and a {self.subtotals.key} column")
        clash = {n for f in msgspec.structs.fields(self.params) for n in (f.name, f.encode_name)} & RESERVED
        if clash:
            problems.append(f"filter names {sorted(clash)} are reserved")
        if problems:
            raise TypeError(f"report {self.name}: " + "; ".join(problems))

    def title(self, lang: str) -> str:
        return in_language(lang, self.title_zh, self.title_en)

    def visible_columns(self, actor: Actor, params: P | None = None) -> tuple[Column, ...]:
        return tuple(
            c for c in self.columns
            if (c.permission is None or actor.can(c.permission)) and (c.when is None or params is None or c.when(params))
        )

    def run(self, session: Session, actor: Actor, params: P) -> Result:
        actor.require(self.permission)
        columns = self.visible_columns(actor, params)
        consistent_snapshot(session)
        limit = max_rows()
        found = list(itertools.islice(self.rows(session, actor, params), limit + 1))
        if len(found) > limit:
            raise InvalidInput(
                f"The report {self.name} would have more than {limit:,} rows; narrow the filters.",
                f"报表 {self.title_zh} 超过 {limit:,} 行，请缩小筛选范围。",
                code="report_too_large",
                limit=limit,
            )
        keys = [c.key for c in columns]
        rows: list[dict[str, Any]] = [{key: row.get(key) for key in keys} for row in found]  # hidden columns' figures never leave here
        totals = _sums(columns, rows)
        if self.subtotals is not None and self.subtotals.when(params):
            rows = _subtotalled(self.subtotals, params, columns, found, rows)
        return Result(self, columns, rows, totals, params, utcnow())


def _sums(columns: tuple[Column, ...], rows: list[Row]) -> dict[str, Decimal | int]:
    """The sums of the columns that have totals, over the rows."""
    sums: dict[str, Decimal | int] = {}
    for column in columns:
        if column.total:
            zero: Decimal | int = 0 if column.type == "int" else Decimal(0)
            sums[column.key] = sum((row[column.key] for row in rows if row[column.key] is not None), zero)
    return sums


def _subtotalled(spec: Subtotals, params: Any, columns: tuple[Column, ...], found: list[Row], rows: list[Row]) -> list[Row]:
    """The rows in groups of equal `spec.key`, each group followed by its subtotal row (see Subtotals). `found` are the
    rows as the report made them, `rows` the same with only the visible columns."""
    keys = [c.key for c in columns]
    ordered = sorted(zip(found, rows, strict=True), key=lambda pair: (pair[0].get(spec.key) is None, pair[0].get(spec.key) or ""))
    out: list[Row] = []
    for value, group in itertools.groupby(ordered, key=lambda pair: pair[0].get(spec.key)):
        members = list(group)
        line: Row = dict.fromkeys(keys)
        line |= {k: v for k, v in ({spec.key: value} | spec.label(members[0][0])).items() if k in line}  # visible columns only
        line |= _sums(columns, [row for _, row in members])
        if spec.derive is not None:
            line |= {k: v for k, v in spec.derive(params, line).items() if k in line}
        if "line" in line:
            line["line"] = SUBTOTAL
        out += [row for _, row in members]
        out.append(line)
    return out


@dataclasses.dataclass(frozen=True)
class Result:
    report: Report[Any]
    columns: tuple[Column, ...]
    rows: list[Row]
    totals: dict[str, Decimal | int]
    params: Params
    generated_at: dt.datetime


def consistent_snapshot(session: Session) -> None:
    """Every query of a report sees the same committed state: a report is several statements, and on
    PostgreSQL each would otherwise see whatever committed just before it (quantities from one
    moment, values from the next). A SQLite read transaction is a snapshot already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


def build_params(report: Report[P], values: dict[str, Any]) -> P:
    """A report's filters from parsed query values (keyed by field name), checked across fields."""
    try:
        params = msgspec.convert({_encode_name(report.params, k): v for k, v in values.items()}, report.params)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"Bad report parameter: {exc}.", f"报表参数有误：{exc}。", code="invalid_parameter") from None
    params.check()
    return params


def _encode_name(cls: type[msgspec.Struct], name: str) -> str:
    for field in msgspec.structs.fields(cls):
        if field.name == name:
            return field.encode_name
    raise KeyError(name)


@dataclasses.dataclass(frozen=True)
class Filter:
    """A report filter as the route and the report list describe it."""

    name: str  # the Python field name
    query: str  # the query parameter's name
    annotation: Any  # the type without its metadata
    required: bool
    default: Any
    title_zh: str
    title_en: str
    constraints: dict[str, Any]

    @property
    def kind(self) -> str:
        base = _without_none(self.annotation)
        if get_origin(base) is Literal:
            return "choice"
        return {str: "text", int: "int", bool: "bool", dt.date: "date", dt.datetime: "datetime", Decimal: "decimal"}.get(base, "text")

    @property
    def choices(self) -> list[str] | None:
        base = _without_none(self.annotation)
        return [str(v) for v in get_args(base)] if get_origin(base) is Literal else None


def filters_of(params: type[Params]) -> list[Filter]:
    out = []
    for field in msgspec.structs.fields(params):
        annotation, metas = _unwrap(field.type)
        constraints: dict[str, Any] = {}
        titles = {"title_zh": field.encode_name, "title_en": field.encode_name}
        for meta in metas:
            for key in ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern"):
                if getattr(meta, key) is not None:
                    constraints[key] = getattr(meta, key)
            titles.update({k: v for k, v in (meta.extra or {}).items() if k in titles})
        required = field.required
        out.append(
            Filter(field.name, field.encode_name, annotation, required, None if required else field.default,
                   titles["title_zh"], titles["title_en"], constraints)
        )
    return out


def _unwrap(annotation: Any) -> tuple[Any, list[msgspec.Meta]]:
    """A field's type without its metadata, and its msgspec.Meta: `Annotated[T, Meta] | None` gives (T | None, [Meta])."""
    if get_origin(annotation) is Annotated:
        inner, *extras = get_args(annotation)
        base, metas = _unwrap(inner)
        return base, [m for m in extras if isinstance(m, msgspec.Meta)] + metas
    arms = get_args(annotation)
    if type(None) in arms and len(arms) == 2:
        base, metas = _unwrap(next(a for a in arms if a is not type(None)))
        return base | None, metas
    return annotation, []


def _without_none(annotation: Any) -> Any:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if type(None) in get_args(annotation) and len(args) == 1:
        return args[0]
    return annotation
