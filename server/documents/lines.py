"""What every document's lines share: the line as the services take it, line-numbered refusals, prices, VAT and amounts."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from server.catalog.models import Item
from server.errors import InvalidInput
from server.finance.services import money
from server.quantities import as_decimal, optional_non_negative


@dataclasses.dataclass(frozen=True)
class LineIn:
    """A document line as the services take it: an item and quantity, optionally a price and VAT rate."""

    sku: str
    qty: object
    unit_price: object | None = None
    vat_rate: object | None = None


@contextlib.contextmanager
def at_line(index: int) -> Iterator[None]:
    """A refusal about one line of a document names the line's field (`lines[0].qty`, as a malformed request's would),
    so a form can mark the very input it is about."""
    try:
        yield
    except InvalidInput as error:
        field = error.details.get("field") or ("sku" if "sku" in error.details else None)
        if field and not str(field).startswith("lines["):
            error.details["field"] = f"lines[{index}].{field}"
        error.details.setdefault("line", index + 1)
        raise


def line_vat(value: object | None, item: Item) -> Decimal:
    """The VAT rate a line gives, one of China's rates, or the item's own."""
    if value is None:
        return item.vat_rate
    rate = as_decimal(value, "vat_rate")
    if str(rate.normalize()) not in ("13", "9", "6", "3", "1", "0"):
        raise InvalidInput(
            f"VAT rate {value} is not one of 13, 9, 6, 3, 1, 0 %.", f"增值税率 {value} 不是 13、9、6、3、1、0 % 之一。", code="bad_vat_rate",
            field="vat_rate",
        )
    return rate


def line_price(value: object | None, field: str = "unit_price") -> Decimal:
    return optional_non_negative(value, field, scale=6) or Decimal(0)


def line_amounts(qty: Decimal, unit_price: Decimal, vat_rate: Decimal) -> tuple[Decimal, Decimal]:
    """A line's net amount and its VAT, each to the cent."""
    net = money(qty * unit_price)
    return net, money(net * vat_rate / 100)


def replace_lines(current: list[Any], new: list[Any], fields: Sequence[str]) -> None:
    """Change a document's lines in place by line number (rows keep their ids; lines beyond the new ones go)."""
    old = {line.line_no: line for line in current}
    for line in new:
        kept = old.pop(line.line_no, None)
        if kept is None:
            current.append(line)
        else:
            for field in fields:
                setattr(kept, field, getattr(line, field))
    for gone in old.values():
        current.remove(gone)
