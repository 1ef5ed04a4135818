"""What a purchase plan reads of the books: each item's sales history in a warehouse, its open sales, how long its
supplier takes, whom it is bought from, and the pack it comes in.

The demand is the ledger's: the moves from the warehouse's locations to CUSTOMER, less the moves from CUSTOMER back into
them (customer returns), each in the period it happened. Not the sales order lines: a line carries how much it shipped but
not when each part of it left (partial shipments, backorders), nor the goods sold without an order; a move has its
instant, its warehouse and its quantity, and a return is a move back. A move reversed as a mistake counts neither way
(neither it nor its reversal). Periods are the company's local weeks (Monday first) or months.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from server.catalog.models import Barcode, Item
from server.dates import company_zone
from server.inventory.models import Move, Reservation
from server.locations.models import Location
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine, Receipt, ReorderRule
from server.reports.movement import day_of
from server.sales.models import SalesOrder, SalesOrderLine

ZERO = Decimal(0)
# Orders still to ship from the warehouse's stock (a shipped one has left; a draft promises nothing yet).
UNSHIPPED_SO_STATES = ("confirmed", "picking", "packed")
# Orders that say whom the item was last bought from.
ORDERED_PO_STATES = ("pending", "approved", "partially_received", "received", "closed")
LEAD_TIME_ORDERS = 5  # the latest orders an observed lead time is the mean of


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), company_zone()).astimezone(dt.UTC)


def _in_warehouse(warehouse_id: int) -> Select[Any]:
    return select(Location.id).where(Location.warehouse_id == warehouse_id)


def sales_history(session: Session, warehouse_id: int, starts: Sequence[dt.date], item_ids: Collection[int] | None = None) -> dict[int, list[Decimal]]:
    """Each item's net shipments to customers from the warehouse in each period [starts[i], starts[i + 1]); only items
    with a move in the window."""
    customer = session.scalar(select(Location.id).where(Location.code == "CUSTOMER"))
    periods = len(starts) - 1
    if customer is None or periods < 1:
        return {}
    instants = [local_midnight(day) for day in starts]
    here = _in_warehouse(warehouse_id)
    reversal = aliased(Move)
    out = Move.to_location_id == customer
    only = (Move.item_id.in_(item_ids),) if item_ids is not None else ()
    moves = (
        select(Move.item_id, Move.created_at, case((out, Move.qty), else_=-Move.qty).label("qty"))
        .where(
            or_(and_(out, Move.from_location_id.in_(here)), and_(Move.from_location_id == customer, Move.to_location_id.in_(here))),
            Move.created_at >= instants[0], Move.created_at < instants[-1], Move.reverses_id.is_(None),
            ~select(reversal.id).where(reversal.reverses_id == Move.id).exists(), *only,
        )
        .subquery()
    )
    dated = select(moves.c.item_id, day_of(moves.c.created_at, instants).label("period"), moves.c.qty).subquery()
    history: dict[int, list[Decimal]] = {}
    for item_id, period, qty in session.execute(
        select(dated.c.item_id, dated.c.period, func.sum(dated.c.qty)).group_by(dated.c.item_id, dated.c.period)
    ):
        history.setdefault(item_id, [ZERO] * periods)[int(period)] = Decimal(qty)
    return history


def open_sales(session: Session, warehouse_id: int, item_ids: Collection[int] | None = None) -> dict[int, tuple[Decimal, Decimal]]:
    """Per item: (what confirmed sales orders of the warehouse still have to ship, of it what their reservations hold)."""
    only = (SalesOrderLine.item_id.in_(item_ids),) if item_ids is not None else ()
    lines = session.execute(
        select(SalesOrderLine.id, SalesOrderLine.item_id,
               SalesOrderLine.qty - SalesOrderLine.shipped_qty - SalesOrderLine.backordered_qty - SalesOrderLine.cancelled_qty)
        .join(SalesOrder, SalesOrderLine.so_id == SalesOrder.id)
        .where(SalesOrder.warehouse_id == warehouse_id, SalesOrder.status.in_(UNSHIPPED_SO_STATES), *only)
    ).all()
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    item_of: dict[str, int] = {}
    for line_id, item_id, rest in lines:
        if rest > 0:
            owed[item_id] += rest
            item_of[str(line_id)] = item_id
    held: dict[int, Decimal] = defaultdict(lambda: ZERO)
    keys = list(item_of)
    for chunk in range(0, len(keys), 500):
        for ref_id, qty in session.execute(
            select(Reservation.ref_id, Reservation.qty).where(
                Reservation.ref_type.in_(("so_line", "so_staged")), Reservation.ref_id.in_(keys[chunk:chunk + 500]), Reservation.open.is_(True))
        ):
            held[item_of[str(ref_id)]] += qty
    return {item_id: (qty, min(held[item_id], qty)) for item_id, qty in owed.items()}


def observed_lead_times(session: Session, warehouse_id: int, item_ids: Collection[int]) -> dict[int, int]:
    """Per item: the days from approving an order for the warehouse to the first goods of it arriving, the mean over the
    latest LEAD_TIME_ORDERS orders that brought any, rounded up (at least a day)."""
    if not item_ids:
        return {}
    rows = session.execute(
        select(PurchaseOrderLine.item_id, PurchaseOrder.approved_at, func.min(Move.created_at))
        .join(PurchaseOrder, PurchaseOrderLine.po_id == PurchaseOrder.id)
        .join(Receipt, Receipt.po_id == PurchaseOrder.id)
        .join(Move, and_(Move.ref_type == "receipt", Move.ref_id == Receipt.number, Move.item_id == PurchaseOrderLine.item_id))
        .where(PurchaseOrder.warehouse_id == warehouse_id, PurchaseOrder.approved_at.is_not(None), PurchaseOrderLine.item_id.in_(item_ids))
        .group_by(PurchaseOrderLine.item_id, PurchaseOrder.id, PurchaseOrder.approved_at)
    ).all()
    waits: dict[int, list[tuple[dt.datetime, float]]] = defaultdict(list)
    for item_id, approved, arrived in rows:
        if arrived is not None and approved is not None and arrived >= approved:
            waits[item_id].append((approved, (arrived - approved).total_seconds() / 86400))
    return {
        item_id: max(1, math.ceil(sum(days for _, days in latest) / len(latest) - 1e-9))
        for item_id, found in waits.items()
        for latest in [sorted(found, key=lambda pair: pair[0])[-LEAD_TIME_ORDERS:]]
    }


def preferred_suppliers(session: Session, warehouse_id: int, item_ids: Collection[int]) -> dict[int, int]:
    """Per item: the supplier of its reorder rule in the warehouse, else of its latest order for the warehouse, else of its
    latest order anywhere."""
    if not item_ids:
        return {}
    found: dict[int, int] = {}
    anywhere: dict[int, int] = {}
    for item_id, supplier_id, po_warehouse in session.execute(
        select(PurchaseOrderLine.item_id, PurchaseOrder.supplier_id, PurchaseOrder.warehouse_id)
        .join(PurchaseOrder, PurchaseOrderLine.po_id == PurchaseOrder.id)
        .where(PurchaseOrderLine.item_id.in_(item_ids), PurchaseOrder.status.in_(ORDERED_PO_STATES))
        .order_by(PurchaseOrder.id)
    ):
        anywhere[item_id] = supplier_id
        if po_warehouse == warehouse_id:
            found[item_id] = supplier_id
    ruled = dict(session.execute(
        select(ReorderRule.item_id, ReorderRule.supplier_id)
        .where(ReorderRule.warehouse_id == warehouse_id, ReorderRule.item_id.in_(item_ids), ReorderRule.supplier_id.is_not(None))
    ).all())
    return {**anywhere, **found, **{i: s for i, s in ruled.items() if s is not None}}


def smallest_packs(session: Session, item_ids: Collection[int]) -> dict[int, Decimal]:
    """Per item with one: its smallest pack of more than one unit (a carton of 12): what is bought in whole packs."""
    if not item_ids:
        return {}
    return dict(session.execute(
        select(Barcode.item_id, func.min(Barcode.qty)).where(Barcode.item_id.in_(item_ids), Barcode.qty > 1).group_by(Barcode.item_id)
    ).all())


def planned_items(session: Session, warehouse_id: int, with_history: Collection[int], with_orders: Collection[int]) -> list[Item]:
    """The active items a plan for the warehouse looks at: those sold from it in the window, those its open orders want,
    and those with a reorder rule there or a reorder point of their own."""
    ruled = select(ReorderRule.item_id).where(ReorderRule.warehouse_id == warehouse_id, ReorderRule.active.is_(True))
    return list(session.scalars(
        select(Item).where(
            Item.active.is_(True),
            or_(Item.id.in_(set(with_history) | set(with_orders)), Item.id.in_(ruled), Item.reorder_point.is_not(None)),
        ).order_by(Item.sku)
    ))
