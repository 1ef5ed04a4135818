"""What the purchasing documents share: lookups, the warehouse and supplier checks, decisions, notices."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.permissions import Actor
from server.catalog.models import Item
from server.documents.models import Approval
from server.documents.services import get_document
from server.errors import Forbidden, UnknownReference
from server.locations.models import Location
from server.locations.services import get_warehouse
from server.purchasing.models import Bill, PurchaseOrder, Receipt, Requisition


def _warehouse(session: Session, code: str) -> Location:
    return get_warehouse(session, code)


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


def _skus(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(Item.id, Item.sku).where(Item.id.in_(ids))).all()) if ids else {}


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
