"""What the purchasing documents share: the line as the services take it, lookups, line checks, prices and VAT, notices."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.permissions import Actor
from server.catalog.models import Item
from server.documents.models import Approval
from server.documents.services import get_document
from server.errors import Forbidden, InvalidInput, UnknownReference
from server.finance.services import money
from server.locations.models import Location
from server.purchasing.models import Bill, PurchaseOrder, Receipt, Requisition
from server.quantities import as_decimal, optional_non_negative


@dataclasses.dataclass(frozen=True)
class LineIn:
    """A document line as the services take it: an item and quantity, optionally a price and VAT rate."""

    sku: str
    qty: object
    unit_price: object | None = None
    vat_rate: object | None = None


def _warehouse(session: Session, code: str) -> Location:
    row = session.scalar(select(Location).where(Location.code == code))
    if row is None or row.kind != "warehouse":
        raise UnknownReference(f"No warehouse {code}.", f"没有仓库 {code}。", warehouse=code, field="warehouse")
    return row


@contextlib.contextmanager
def _at_line(index: int) -> Iterator[None]:
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


@contextlib.contextmanager
def _about_supplier() -> Iterator[None]:
    try:
        yield
    except UnknownReference as error:
        error.details.setdefault("field", "supplier")
        raise


def _require_warehouse(actor: Actor, warehouse: Location) -> None:
    if not actor.may_use_warehouse(warehouse.id):
        raise Forbidden(
            f"You may not work in warehouse {warehouse.code}.", f"您无权操作仓库 {warehouse.code}。", code="warehouse_not_allowed"
        )


def _vat(value: object | None, item: Item) -> Decimal:
    if value is None:
        return item.vat_rate
    rate = as_decimal(value, "vat_rate")
    if str(rate.normalize()) not in ("13", "9", "6", "3", "1", "0"):
        raise InvalidInput(
            f"VAT rate {value} is not one of 13, 9, 6, 3, 1, 0 %.", f"增值税率 {value} 不是 13、9、6、3、1、0 % 之一。", code="bad_vat_rate",
            field="vat_rate",
        )
    return rate


def _price(value: object | None, field: str = "unit_price") -> Decimal:
    return optional_non_negative(value, field, scale=6) or Decimal(0)


def _line_amounts(qty: Decimal, unit_price: Decimal, vat_rate: Decimal) -> tuple[Decimal, Decimal]:
    net = money(qty * unit_price)
    return net, money(net * vat_rate / 100)


def _skus(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(Item.id, Item.sku).where(Item.id.in_(ids))).all()) if ids else {}


def _replace_lines(current: list[Any], new: list[Any], fields: Sequence[str]) -> None:
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


def get_po(session: Session, number: str, *, lock: bool = False) -> PurchaseOrder:
    return get_document(session, PurchaseOrder, number, "purchase order", "采购订单", lock=lock)


def get_requisition(session: Session, number: str, *, lock: bool = False) -> Requisition:
    return get_document(session, Requisition, number, "requisition", "请购单", lock=lock)


def get_receipt(session: Session, number: str, *, lock: bool = False) -> Receipt:
    return get_document(session, Receipt, number, "receipt", "收货单", lock=lock)


def get_bill(session: Session, number: str, *, lock: bool = False) -> Bill:
    return get_document(session, Bill, number, "bill", "供应商发票", lock=lock)


def decisions_on(session: Session, doc_type: str, doc_id: int) -> list[tuple[Approval, str]]:
    """Every decision taken on a document (void ones too), oldest first, with who took it."""
    return [
        (a, username)
        for a, username in session.execute(
            select(Approval, User.username).join(User, Approval.user_id == User.id)
            .where(Approval.doc_type == doc_type, Approval.doc_id == doc_id).order_by(Approval.id)
        )
    ]


def _notify(session: Session, *, exclude_users: Sequence[int | None] | None = None, **kwargs: Any) -> None:
    """Tell the people concerned, after the transaction commits (see server.notifications)."""
    from server.notifications.services import notify, recipients

    if exclude_users:
        users = recipients(session, users=kwargs.pop("users", None), roles=kwargs.pop("roles", None), warehouse_id=kwargs.get("warehouse_id"))
        kwargs["users"] = [u.id for u in users if u.id not in set(exclude_users)]
        if not kwargs["users"]:
            return
    notify(session, **kwargs)
