"""The sales lists: quotes, orders, invoices and returns, filtered, paged and sorted; the moves that shipped an order."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.documents.services import page
from server.inventory.models import Move
from server.locations.models import Location
from server.partners.models import Partner
from server.sales.models import Invoice, Quote, Return, SalesOrder
from server.sorting import looked_up


def sort_fields(model: Any) -> dict[str, Any]:
    """What a list of quotes, orders, invoices or returns may be sorted by, named as its answer's fields."""
    fields = {"number": model.number, "status": model.status, "customer": looked_up(Partner.code, Partner.id == model.customer_id)}
    if model is Quote:
        return fields | {
            "warehouse": looked_up(Location.code, Location.id == Quote.warehouse_id), "valid_until": Quote.valid_until, "total": Quote.total,
            "sales_order": looked_up(SalesOrder.number, SalesOrder.id == Quote.so_id),
        }
    if model is SalesOrder:
        return fields | {
            "warehouse": looked_up(Location.code, Location.id == SalesOrder.warehouse_id), "total": SalesOrder.total,
            "created_at": SalesOrder.created_at,
        }
    if model is Invoice:
        return fields | {
            "kind": Invoice.kind, "order": looked_up(SalesOrder.number, SalesOrder.id == Invoice.so_id), "invoice_date": Invoice.invoice_date,
            "due_date": Invoice.due_date, "total": Invoice.total, "paid": Invoice.paid, "open": Invoice.total - Invoice.paid - Invoice.credited,
        }
    return fields | {
        "order": looked_up(SalesOrder.number, SalesOrder.id == Return.so_id), "warehouse": looked_up(Location.code, Location.id == Return.warehouse_id),
        "credit_note": looked_up(Invoice.number, Invoice.id == Return.credit_note_id),
    }


def list_documents(
    session: Session, model: Any, *, status: str | None = None, customer: str | None = None, limit: int = 50, offset: int = 0,
    kind: str | None = None, warehouse: str | None = None, order: str | None = None, sort: str | None = None, hidden: Collection[str] = (),
    shop: str | None = None,
) -> tuple[list[Any], int]:
    """A page of quotes, orders, invoices or returns, newest first or as `sort` asks (see `sort_fields`; not by the fields in
    `hidden`), narrowed by state, customer, warehouse, or the sales order (an invoice's or a return's) they belong to."""
    query = select(model)
    if status:
        query = query.where(model.status == status)
    if customer:
        query = query.where(model.customer_id == select(Partner.id).where(Partner.code == customer).scalar_subquery())
    if warehouse and hasattr(model, "warehouse_id"):
        query = query.where(model.warehouse_id == select(Location.id).where(Location.code == warehouse).scalar_subquery())
    if order and hasattr(model, "so_id"):
        query = query.where(model.so_id == select(SalesOrder.id).where(SalesOrder.number == order).scalar_subquery())
    if shop and model is SalesOrder:
        query = query.where(SalesOrder.shop == shop)
    if kind and model is Invoice:
        query = query.where(Invoice.kind == kind)
    return page(session, query, model, limit, offset, sort=sort, fields=sort_fields(model), hidden=hidden)


def shipped_moves(session: Session, so: SalesOrder) -> list[Move]:
    return list(session.scalars(select(Move).where(Move.ref_type == "so", Move.ref_id == so.number).order_by(Move.id)))
