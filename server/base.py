"""Declarative base and the column types every domain module shares.

Quantities and money are Decimal end to end. PostgreSQL stores them as NUMERIC; SQLite has
no exact decimal type (NUMERIC there is a float), so on SQLite they are stored as scaled
integers, which keeps SQL arithmetic and sums exact on both.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, MetaData, Numeric, TypeDecorator
from sqlalchemy.exc import DontWrapMixin
from sqlalchemy.orm import DeclarativeBase

from server.errors import InvalidInput

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TooLargeToStore(InvalidInput, DontWrapMixin):
    """A figure (a line total, say) too large for its column: refused alike on both databases, as the request's fault."""

    code = "too_large_to_store"


def storable_limit(scale: int, precision: int = 20) -> Decimal:
    """NUMERIC(precision, scale) on PostgreSQL; a scaled 64-bit integer on SQLite: the smaller bound holds for both."""
    return min(Decimal(10) ** (precision - scale), Decimal(2**63 - 1).scaleb(-scale))


def check_storable(value: Decimal, limit: Decimal) -> Decimal:
    if abs(value) >= limit:
        raise TooLargeToStore(
            f"The figure {value} is too large to be stored (it must stay below {limit:,.0f}); use smaller quantities or prices.",
            f"数值 {value} 过大，无法保存（必须小于 {limit:,.0f}）；请减小数量或价格。",
        )
    return value


class FixedDecimal(TypeDecorator[Decimal]):
    """An exact decimal with a fixed number of places: NUMERIC on PostgreSQL, scaled BIGINT on SQLite."""

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int, precision: int = 20) -> None:
        super().__init__()
        self.scale = scale
        self.precision = precision
        self._unit = Decimal(1).scaleb(-scale)
        self._limit = storable_limit(scale, precision)

    def load_dialect_impl(self, dialect):  # type: ignore[no-untyped-def]
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        value = Decimal(value)
        exact = value.quantize(self._unit)
        if exact != value:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        check_storable(exact, self._limit)
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.scale))
        return exact

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)  # an integer scaled: exactly `scale` places already
        return Decimal(value).quantize(self._unit)

    @property
    def python_type(self) -> type:
        return Decimal

    def __repr__(self) -> str:
        return f"FixedDecimal(scale={self.scale}, precision={self.precision})"


QTY_SCALE = 4
COST_SCALE = 6
MONEY_SCALE = 2


def Qty() -> FixedDecimal:  # noqa: N802 - reads like a type
    return FixedDecimal(QTY_SCALE)


def UnitCost() -> FixedDecimal:  # noqa: N802
    return FixedDecimal(COST_SCALE)


RATE_SCALE = 6


def Rate() -> FixedDecimal:  # noqa: N802
    """An exchange rate: yuan per unit of a currency."""
    return FixedDecimal(RATE_SCALE)


def Money() -> FixedDecimal:  # noqa: N802
    """Amounts in yuan to the fen (cent)."""
    return FixedDecimal(MONEY_SCALE)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
