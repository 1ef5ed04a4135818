"""Pure rules for quantities: positive, finite, within range, and no finer than the unit allows."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from server.base import QTY_SCALE
from server.errors import InvalidInput

MAX_QTY = Decimal(10) ** 12


def as_decimal(value: object, field: str = "qty") -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{field} {value!r} is not a number.", f"{field} {value!r} 不是数字。", field=field) from None
    if not number.is_finite():
        raise InvalidInput(f"{field} must be a finite number.", f"{field} 必须是有限的数字。", field=field)
    return number


def decimal_places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def positive_qty(value: object, *, decimals: int = QTY_SCALE, unit: str = "", field: str = "qty") -> Decimal:
    """A quantity a move or a count may carry, in base units."""
    number = as_decimal(value, field)
    if number <= 0:
        raise InvalidInput(
            f"{field} must be greater than zero (got {number}).",
            f"{field} 必须大于零（收到 {number}）。",
            field=field,
        )
    if number >= MAX_QTY:
        raise InvalidInput(
            f"{field} {number} is too large (the limit is {MAX_QTY:,}).",
            f"{field} {number} 过大（上限 {MAX_QTY:,}）。",
            field=field,
        )
    places = decimal_places(number)
    if places > decimals:
        unit_text = f" for unit {unit}" if unit else ""
        raise InvalidInput(
            f"{field} {number} has {places} decimal places; at most {decimals} allowed{unit_text}.",
            f"{field} {number} 有 {places} 位小数；{unit or '该单位'} 最多允许 {decimals} 位。",
            field=field,
            decimals=decimals,
        )
    return number.quantize(Decimal(1).scaleb(-QTY_SCALE))


def optional_non_negative(value: object | None, field: str, *, scale: int = QTY_SCALE) -> Decimal | None:
    if value is None:
        return None
    number = as_decimal(value, field)
    if number < 0 or number >= MAX_QTY:
        raise InvalidInput(
            f"{field} must be between 0 and {MAX_QTY:,} (got {number}).",
            f"{field} 必须在 0 到 {MAX_QTY:,} 之间（收到 {number}）。",
            field=field,
        )
    if decimal_places(number) > scale:
        raise InvalidInput(
            f"{field} {number} has more than {scale} decimal places.",
            f"{field} {number} 超过 {scale} 位小数。",
            field=field,
        )
    return number
