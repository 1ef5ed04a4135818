"""The purchasing lists: requisitions, purchase orders, receipts and bills, filtered, paged and sorted."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.documents import approvals
from server.documents.services import page
from server.locations.models import Location
from server.partners.models import Partner
from server.purchasing.models import Bill, PurchaseOrder, PurchaseReturn, Receipt, Requisition
from server.sorting import looked_up, sorted_by


def _partner_id(code: str) -> Any:
    return select(Partner.id).where(Partner.code == code).scalar_subquery()


def _warehouse_id(code: str) -> Any:
    return select(Location.id).where(Location.code == code).scalar_subquery()


def _supplier(model: Any) -> Any:
    return looked_up(Partner.code, Partner.id == model.supplier_id)


def _warehouse_code(model: Any) -> Any:
    return looked_up(Location.code, Location.id == model.warehouse_id)


def _po_number(model: Any) -> Any:
    return looked_up(PurchaseOrder.number, PurchaseOrder.id == model.po_id)


# What each list may be sorted by, named as its answer's fields (see server.sorting).
def requisition_sort() -> dict[str, Any]:
    return {
        "number": Requisition.number, "status": Requisition.status, "source": Requisition.source, "warehouse": _warehouse_code(Requisition),
        "supplier": _supplier(Requisition), "needed_by": Requisition.needed_by, "po": _po_number(Requisition), "created_at": Requisition.created_at,
    }


def po_sort() -> dict[str, Any]:
    return {
        "number": PurchaseOrder.number, "status": PurchaseOrder.status, "supplier": _supplier(PurchaseOrder), "warehouse": _warehouse_code(PurchaseOrder),
        "currency": PurchaseOrder.currency, "expected_date": PurchaseOrder.expected_date, "total": PurchaseOrder.total,
        "created_at": PurchaseOrder.created_at,
    }


def receipt_sort() -> dict[str, Any]:
    return {
        "number": Receipt.number, "status": Receipt.status, "po": _po_number(Receipt), "warehouse": _warehouse_code(Receipt),
        "dock": looked_up(Location.code, Location.id == Receipt.dock_id), "created_at": Receipt.created_at,
    }


def bill_sort() -> dict[str, Any]:
    return {
        "number": Bill.number, "status": Bill.status, "supplier": _supplier(Bill), "po": _po_number(Bill), "supplier_ref": Bill.supplier_ref,
        "bill_date": Bill.bill_date, "due_date": Bill.due_date, "total": Bill.total, "paid": Bill.paid, "open": Bill.total - Bill.paid - Bill.credited,
        "kind": Bill.kind,
    }


def purchase_return_sort() -> dict[str, Any]:
    return {
        "number": PurchaseReturn.number, "status": PurchaseReturn.status, "po": _po_number(PurchaseReturn), "supplier": _supplier(PurchaseReturn),
        "warehouse": _warehouse_code(PurchaseReturn), "supplier_ref": PurchaseReturn.supplier_ref, "created_at": PurchaseReturn.created_at,
        "shipped_at": PurchaseReturn.shipped_at,
    }


def list_requisitions(
    session: Session, *, status: str | None, warehouse: str | None, limit: int, offset: int, supplier: str | None = None, sort: str | None = None,
    awaiting: Actor | None = None,
) -> tuple[list[Requisition], int]:
    """Requisitions, newest first or as `sort` asks; with `awaiting`, only the pending ones waiting at a level that user may
    sign (see `may_decide_requisition`), oldest first without a sort."""
    query = select(Requisition)
    if status:
        query = query.where(Requisition.status == status)
    if warehouse:
        query = query.where(Requisition.warehouse_id == _warehouse_id(warehouse))
    if supplier:
        query = query.where(Requisition.supplier_id == _partner_id(supplier))
    if awaiting is None:
        return page(session, query, Requisition, limit, offset, sort=sort, fields=requisition_sort())
    if not awaiting.can("purchase.approve"):
        return [], 0
    query = query.where(Requisition.status == "pending")
    if awaiting.warehouse_ids:
        query = query.where(Requisition.warehouse_id.in_(awaiting.warehouse_ids))
    ordered = sorted_by(query, sort, requisition_sort(), default=(Requisition.id,), tiebreak=Requisition.id)
    rows = [req for req in session.scalars(ordered) if approvals.may_approve_next(session, awaiting, "requisition", req, [req.warehouse_id])]
    return rows[offset : offset + limit], len(rows)


def list_pos(
    session: Session, *, status: str | None, supplier: str | None, warehouse: str | None, awaiting: Actor | None = None, limit: int, offset: int,
    sort: str | None = None, hidden: Collection[str] = (),
) -> tuple[list[PurchaseOrder], int]:
    """Purchase orders, newest first or as `sort` asks (not by the fields in `hidden`); with `awaiting`, only those pending at a
    level that user may approve and has not approved (oldest first without a sort)."""
    query = select(PurchaseOrder)
    if status:
        query = query.where(PurchaseOrder.status == status)
    if supplier:
        query = query.where(PurchaseOrder.supplier_id == _partner_id(supplier))
    if warehouse:
        query = query.where(PurchaseOrder.warehouse_id == _warehouse_id(warehouse))
    if awaiting is None:
        return page(session, query, PurchaseOrder, limit, offset, sort=sort, fields=po_sort(), hidden=hidden)
    pending = sorted_by(query.where(PurchaseOrder.status == "pending"), sort, po_sort(), default=(PurchaseOrder.id,), tiebreak=PurchaseOrder.id,
                        hidden=hidden)
    rows = [po for po in session.scalars(pending) if may_approve_next(session, awaiting, po)]
    return rows[offset : offset + limit], len(rows)


def may_approve_next(session: Session, actor: Actor, po: PurchaseOrder) -> bool:
    """Whether the level a pending order waits at is `actor`'s to sign (see `server.documents.approvals.may_approve_next`)."""
    return approvals.may_approve_next(session, actor, "purchase_order", po, [po.warehouse_id])


def list_receipts(
    session: Session, *, status: str | None, po: str | None, warehouse: str | None, limit: int, offset: int, sort: str | None = None,
) -> tuple[list[Receipt], int]:
    query = select(Receipt)
    if status:
        query = query.where(Receipt.status == status)
    if po:
        query = query.where(Receipt.po_id == select(PurchaseOrder.id).where(PurchaseOrder.number == po).scalar_subquery())
    if warehouse:
        query = query.where(Receipt.warehouse_id == _warehouse_id(warehouse))
    return page(session, query, Receipt, limit, offset, sort=sort, fields=receipt_sort())


def list_bills(
    session: Session, *, status: str | None, supplier: str | None, limit: int, offset: int, po: str | None = None, sort: str | None = None,
    hidden: Collection[str] = (), kind: str | None = None,
) -> tuple[list[Bill], int]:
    query = select(Bill)
    if status:
        query = query.where(Bill.status == status)
    if kind:
        query = query.where(Bill.kind == kind)
    if supplier:
        query = query.where(Bill.supplier_id == _partner_id(supplier))
    if po:
        query = query.where(Bill.po_id == select(PurchaseOrder.id).where(PurchaseOrder.number == po).scalar_subquery())
    return page(session, query, Bill, limit, offset, sort=sort, fields=bill_sort(), hidden=hidden)


def list_purchase_returns(
    session: Session, *, status: str | None, supplier: str | None, po: str | None, warehouse: str | None, limit: int, offset: int,
    sort: str | None = None,
) -> tuple[list[PurchaseReturn], int]:
    query = select(PurchaseReturn)
    if status:
        query = query.where(PurchaseReturn.status == status)
    if supplier:
        query = query.where(PurchaseReturn.supplier_id == _partner_id(supplier))
    if po:
        query = query.where(PurchaseReturn.po_id == select(PurchaseOrder.id).where(PurchaseOrder.number == po).scalar_subquery())
    if warehouse:
        query = query.where(PurchaseReturn.warehouse_id == _warehouse_id(warehouse))
    return page(session, query, PurchaseReturn, limit, offset, sort=sort, fields=purchase_return_sort())
