"""What every document's lines share: the line as the services take it, line-numbered refusals, prices, VAT and amounts."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.catalog.models import Barcode, Item
from server.catalog.services import item_for_move
from server.errors import InvalidInput
from server.finance.services import money
from server.quantities import as_decimal, decimal_places, optional_non_negative, positive_qty
from server.schemas import fmt

PRICE_PLACES = Decimal("0.000001")
Made = TypeVar("Made")
LINE_FIELDS = ("item_id", "qty", "uom", "uom_factor", "unit_price", "discount", "vat_rate")  # what an edit of an order's line changes


@dataclasses.dataclass(frozen=True)
class LineIn:
    """A document line as the services take it: an item and quantity, optionally a price and VAT rate."""

    sku: str
    qty: object
    unit_price: object | None = None
    vat_rate: object | None = None
    unit: str | None = None  # the item's own unit (none) or one of its packs; qty and unit_price count in it
    discount: object | None = None  # per cent off the price


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


@dataclasses.dataclass(frozen=True)
class DocumentUnit:
    name: str
    factor: Decimal  # base units in one


def document_unit(session: Session, item: Item, unit: str | None) -> DocumentUnit:
    """The unit a line counts in: the item's own, or a pack one of its barcodes names (a carton of 12)."""
    if not unit or unit == item.unit:
        return DocumentUnit(item.unit, Decimal(1))
    factor = session.scalar(select(Barcode.qty).where(Barcode.item_id == item.id, Barcode.pack == unit).order_by(Barcode.id).limit(1))
    if factor is None:
        packs = [item.unit, *dict.fromkeys(session.scalars(select(Barcode.pack).where(Barcode.item_id == item.id).order_by(Barcode.qty)))]
        raise InvalidInput(
            f"{item.sku} is not counted in {unit!r}; its units are {', '.join(packs)}.",
            f"{item.sku} 没有单位“{unit}”；可用单位：{'、'.join(packs)}。",
            code="unknown_unit", field="unit", sku=item.sku, units=packs,
        )
    return DocumentUnit(unit, factor)


def line_qty(value: object, item: Item, unit: DocumentUnit) -> Decimal:
    """A line's quantity in the item's base units, from a quantity given in the line's unit (2 cartons: 24 bottles)."""
    if unit.factor == 1:
        return positive_qty(value, decimals=item.unit_decimals, unit=item.unit)
    counted = positive_qty(value)
    base = counted * unit.factor
    if decimal_places(base) > item.unit_decimals:
        raise InvalidInput(
            f"{fmt(counted)} {unit.name} is {fmt(base)} {item.unit}; {item.sku} is counted in whole {item.unit}"
            + (f" to {item.unit_decimals} decimal places." if item.unit_decimals else "."),
            f"{fmt(counted)} {unit.name} 即 {fmt(base)} {item.unit}；{item.sku} 的数量最多 {item.unit_decimals} 位小数。",
            field="qty", sku=item.sku,
        )
    return positive_qty(base, decimals=item.unit_decimals, unit=item.unit)


def order_lines(session: Session, lines: Sequence[LineIn], factory: type, default_price: Callable[[Item, Decimal], Decimal]) -> list[Any]:
    """An order's or quote's lines as typed: each item in the unit it counts in, its quantity kept in base units, its price
    per that unit (a line without one takes `default_price(item, base qty)`, a base unit's, times the unit), its discount
    and VAT rate. A refusal names the line's field."""
    out = []
    for n, line in enumerate(lines, 1):
        with at_line(n - 1):
            item = item_for_move(session, line.sku)
            unit = document_unit(session, item, line.unit)
            qty = line_qty(line.qty, item, unit)
            if line.unit_price is not None:
                price = line_price(line.unit_price)
            else:
                price = (default_price(item, qty) * unit.factor).quantize(PRICE_PLACES)
            out.append(factory(
                line_no=n, item_id=item.id, qty=qty, uom=unit.name, uom_factor=unit.factor, unit_price=price, discount=line_discount(line.discount),
                vat_rate=line_vat(line.vat_rate, item),
            ))
    return out


def line_discount(value: object | None, field: str = "discount") -> Decimal:
    """A discount in per cent, 0 up to (not including) 100, to two decimal places."""
    if value is None:
        return Decimal(0)
    rate = as_decimal(value, field)
    if not 0 <= rate < 100 or decimal_places(rate) > 2:
        raise InvalidInput(
            f"A discount is a percentage from 0 to below 100 with at most two decimals (got {value}).",
            f"折扣是 0 到 100（不含）之间的百分比，最多两位小数（收到 {value}）。",
            code="bad_discount", field=field,
        )
    return rate.quantize(Decimal("0.01"))


def net_price(unit_price: Decimal, discount: Decimal = Decimal(0), doc_discount: Decimal = Decimal(0)) -> Decimal:
    """The price per unit once the line's and the document's discounts are taken off, unrounded."""
    if not discount and not doc_discount:
        return unit_price
    return unit_price * (100 - discount) * (100 - doc_discount) / 10000


def base_price(line: Any) -> Decimal:
    """What one base unit of an order or quote line comes to, net of its discounts, unrounded: amounts are rounded once,
    to the cent, after multiplying by the quantity."""
    price = net_price(line.unit_price, line.discount or Decimal(0), line.doc_discount or Decimal(0))
    factor = line.uom_factor or Decimal(1)
    return price if factor == 1 else price / factor


def unit_price_of(line: Any) -> Decimal:
    """The net price per the line's unit, to the 6 places a stored price keeps (what a bill or invoice line shows)."""
    return net_price(line.unit_price, line.discount or Decimal(0), line.doc_discount or Decimal(0)).quantize(PRICE_PLACES)


def counted(line: Any, base_unit: str) -> dict[str, str]:
    """A line's unit as its answer shows it: the unit, its size in base units, and the line's quantity counted in it."""
    factor = line.uom_factor or Decimal(1)
    return {"unit": line.uom or base_unit, "unit_factor": fmt(factor) or "1", "unit_qty": fmt((line.qty / factor).quantize(Decimal("0.0001"))) or "0"}


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


def item_qty_lines(session: Session, lines: Sequence[Any], make: Callable[..., Made], none: InvalidInput) -> list[Made]:
    """Lines of an item and a quantity (a requisition's, a transfer's), numbered from 1, each made by `make(line_no=,
    item_id=, qty=)`; a refusal names the line it is on, and no lines at all is refused with `none`."""
    if not lines:
        raise none
    made = []
    for n, line in enumerate(lines, 1):
        with at_line(n - 1):
            item = item_for_move(session, line.sku)
            made.append(make(line_no=n, item_id=item.id, qty=positive_qty(line.qty, decimals=item.unit_decimals, unit=item.unit)))
    return made
