"""Types shared by every domain's msgspec schemas: codes, names, pagination, decimal strings."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal
from typing import Annotated, Any, ClassVar, TypeVar, cast, overload

import msgspec
from litestar.params import PathParameter, QueryParameter

from server.errors import InvalidInput

# Text a person types refuses control characters: none belongs in a name or a note, and PostgreSQL cannot store NUL.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
MULTI_LINE = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"  # notes and addresses: new lines and tabs too


def line(max_length: int, *, min_length: int = 0) -> msgspec.Meta:
    """Constraints of one line of text: `Annotated[str, line(100)]`."""
    return msgspec.Meta(min_length=min_length, max_length=max_length, pattern=ONE_LINE)


def lines(max_length: int, *, min_length: int = 0) -> msgspec.Meta:
    """Constraints of text that may run over several lines (new lines and tabs allowed)."""
    return msgspec.Meta(min_length=min_length, max_length=max_length, pattern=MULTI_LINE)


# Codes appear in URL paths (/items/{sku}), so no slash.
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]
ScanText = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
Name = Annotated[str, line(200)]
Text = Annotated[str, lines(500)]
# Query parameters for paging (constraints a query string is checked against).
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
# A list's order: one of the fields it offers, "-" in front for descending (server.sorting checks which ones).
Sort = Annotated[
    str | None,
    QueryParameter(
        max_length=40, pattern=r"^-?[a-z_]+$",
        description='a field to sort by, "-" in front for descending (e.g. number, -created_at) / 排序字段，前加“-”为降序',
    ),
]
# A record id in a path: within the database's integer range.
RowId = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]
DecimalStr = Annotated[str, msgspec.Meta(pattern=r"^-?\d+(\.\d+)?$", examples=["12", "1.5"])]


@overload
def fmt(value: Decimal) -> str: ...


@overload
def fmt(value: None) -> None: ...


@overload
def fmt(value: Decimal | None) -> str | None: ...


def fmt(value: Decimal | None) -> str | None:
    """A decimal as the plain string the API speaks: 12, 1.5, -3 (never 1.2E+1)."""
    if value is None:
        return None
    text = str(value)  # plain digits unless the exponent asks for E notation; cheaper than normalize() on every figure
    if "E" in text:
        text = f"{value.normalize():f}"
    elif "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text


def given(value: Any) -> Any:
    """A field of a partial update (PATCH) as a value to check, or None when it was left out (msgspec.UNSET)."""
    return None if value is msgspec.UNSET else value


class Struct(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base for request bodies: unknown fields are an error, not silently ignored."""


class Out(msgspec.Struct, kw_only=True):
    """Base for responses."""


# Decimals in requests ----------------------------------------------------------------------------
# A quantity, an amount or a price is a JSON string of ASCII digits ("12", "1.5") or a JSON number, never negative,
# below its columns' limit and no finer than their scale. Each kind is a Decimal subclass so that decoding (see
# `decimal_hook`) checks it; `plain_decimals` turns the values back into plain Decimals once a body is decoded.

_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|snan|inf|infinity)", re.ASCII | re.IGNORECASE)
_PLAIN_TEXT = re.compile(r"-?\d+(\.\d+)?", re.ASCII)


class RequestDecimal(Decimal):
    """A decimal of a request body; subclasses say which kind, its limit and its scale."""

    kind_en: ClassVar[str] = "number"
    kind_zh: ClassVar[str] = "数值"
    limit: ClassVar[Decimal] = Decimal(10) ** 12  # values must stay below this
    places: ClassVar[int] = 4

    @classmethod
    def a_kind(cls) -> str:
        return ("an " if cls.kind_en[0] in "aeiou" else "a ") + cls.kind_en

    @classmethod
    def pattern(cls) -> str:
        return rf"^\d{{1,{len(str(cls.limit)) - 1}}}(\.\d{{1,{cls.places}}})?$"

    @classmethod
    def read(cls, value: object, *, negative: bool = False) -> RequestDecimal:
        """The value checked; ValueError when it is not a number at all (a 400), InvalidInput when it is a number
        this field cannot take (a 422). `negative`: leave the sign to the service (which names the field)."""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"Expected {cls.a_kind()} as a string like \"12\" or \"1.5\"")
        shown = repr(value[:40]) if isinstance(value, str) else repr(value)
        if isinstance(value, str) and not _NUMBER_TEXT.fullmatch(value):
            raise ValueError(f"Expected {cls.a_kind()} written with the digits 0-9 and a dot, like \"12\" or \"1.5\", got {shown}")
        try:
            number = Decimal(value if isinstance(value, str | int) else repr(value))
        except ArithmeticError:  # an exponent beyond what Decimal holds
            raise ValueError(f"Expected {cls.a_kind()} of a sensible size, got {shown}") from None
        if not number.is_finite():
            raise InvalidInput(f"The {cls.kind_en} must be a finite number (got {shown}).", f"{cls.kind_zh}必须是有限的数字（收到 {shown}）。")
        if number < 0 and not negative:
            raise InvalidInput(f"The {cls.kind_en} cannot be negative (got {shown}).", f"{cls.kind_zh}不能为负数（收到 {shown}）。")
        if abs(number) >= cls.limit:
            raise InvalidInput(f"The {cls.kind_en} {shown} is too large (it must be below {cls.limit:,}).",
                               f"{cls.kind_zh} {shown} 过大（必须小于 {cls.limit:,}）。", limit=str(cls.limit))
        if isinstance(value, str) and not _PLAIN_TEXT.fullmatch(value):
            raise InvalidInput(f"Write the {cls.kind_en} {shown} in plain digits, like 12 or 1.5 (no exponent, no plus sign).",
                               f"{cls.kind_zh} {shown} 请用普通数字书写，例如 12 或 1.5（不用指数，不带正号）。")
        if number != number.quantize(Decimal(1).scaleb(-cls.places), rounding=ROUND_DOWN):
            raise InvalidInput(f"The {cls.kind_en} {shown} has more than {cls.places} decimal places.",
                               f"{cls.kind_zh} {shown} 超过 {cls.places} 位小数。", places=cls.places)
        return cls(number)


class Quantity(RequestDecimal):
    """Quantities in base units (the Qty columns: 4 places)."""

    kind_en, kind_zh = "quantity", "数量"


class Weight(RequestDecimal):
    kind_en, kind_zh = "weight", "重量"


class Amount(RequestDecimal):
    """Money in yuan to the fen (the Money columns: 2 places)."""

    kind_en, kind_zh = "amount", "金额"
    limit = Decimal(10) ** 13
    places = 2


class Price(RequestDecimal):
    """A unit price or unit cost (the UnitCost columns: 6 places)."""

    kind_en, kind_zh = "price", "价格"
    limit = Decimal(10) ** 9
    places = 6


class Percent(RequestDecimal):
    """A discount in per cent (2 places); the services keep it below 100."""

    kind_en, kind_zh = "discount", "折扣"
    limit = Decimal(1000)
    places = 2


class ExchangeRateValue(RequestDecimal):
    """Yuan per unit of a currency (the Rate columns: 6 places)."""

    kind_en, kind_zh = "exchange rate", "汇率"
    limit = Decimal(10) ** 6
    places = 6


def decimal_hook(type_: type, value: Any) -> Any:
    """msgspec's dec_hook for request bodies: reads the decimal kinds above."""
    if isinstance(type_, type) and issubclass(type_, RequestDecimal):
        return type_.read(value)
    raise TypeError(f"no decoder for {type_!r}")


def decimal_hook_signed(type_: type, value: Any) -> Any:
    """As `decimal_hook`, but a negative number is left for the service to refuse (imports report its message)."""
    if isinstance(type_, type) and issubclass(type_, RequestDecimal):
        return type_.read(value, negative=True)
    raise TypeError(f"no decoder for {type_!r}")


def plain_decimals(value: Any) -> Any:
    """The decoded body with every RequestDecimal made a plain Decimal (msgspec encodes only those), in place."""
    if isinstance(value, RequestDecimal):
        return Decimal(value)
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            item = getattr(value, name)
            plain = plain_decimals(item)
            if plain is not item:
                setattr(value, name, plain)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            plain = plain_decimals(item)
            if plain is not item:
                value[index] = plain
    elif isinstance(value, dict):
        for key, item in value.items():
            plain = plain_decimals(item)
            if plain is not item:
                value[key] = plain
    return value


_Kind = TypeVar("_Kind", bound=RequestDecimal)


def plain_as(kind: type[_Kind], value: Decimal) -> _Kind:
    """`value`, unchanged, where a field of this decimal kind is declared: a default, or a body built in code. Such a field
    holds a plain Decimal once a body is decoded (`plain_decimals`), and only a plain Decimal can be encoded again."""
    return cast(_Kind, value)


def convert_request(data: Any, type_: Any) -> Any:
    """Builtins (a sync operation's payload) as a request type: strictly (no "5" for 5), decimals checked."""
    return plain_decimals(msgspec.convert(data, type_, strict=True, str_keys=True, dec_hook=decimal_hook))
