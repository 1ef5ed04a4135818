"""Reorder rules: when available + on order of an item in a warehouse falls under its reorder point, request more.

An item's own reorder point (and quantity) is its rule in every warehouse that has no rule of its own for it; a
warehouse rule, even one switched off, replaces it there.

Checked at the end of every transaction that took stock out of a warehouse (the ledger notes
which item and warehouse it touched) and by the daily `reorder_check` job. A shortage already
covered by an open requisition or order is not requested twice: the requisition itself counts as
on order, and the check runs under the rule's row lock.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import SYSTEM, Actor
from server.catalog.models import Item
from server.errors import CangkuError, InvalidInput, UnknownReference
from server.inventory.models import Balance
from server.locations.models import Location
from server.partners.models import Partner
from server.partners.services import partner_reference
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine, ReorderRule, Requisition, RequisitionLine
from server.purchasing.services import OPEN_PO_STATES, LineIn, _notify, _warehouse, create_requisition
from server.quantities import positive_qty
from server.raw import driver_cursor, statements
from server.schemas import fmt
from server.work import Work

log = logging.getLogger("cangku")
# The warehouse's rule of the item (active or not) and whether the item has a reorder point of its own, in one look-up.
_SQL = statements(rule_of="SELECT r.id, r.active, i.reorder_point IS NOT NULL FROM items i "
                          "LEFT JOIN reorder_rules r ON r.item_id = i.id AND r.warehouse_id = {p} WHERE i.id = {p}")


def available_in(session: Session, item_id: int, warehouse_id: int) -> Decimal:
    """On hand minus reserved in the warehouse's available locations."""
    total = session.scalar(
        select(func.coalesce(func.sum(Balance.qty - Balance.reserved), 0))
        .join(Location, Balance.location_id == Location.id)
        .where(Balance.item_id == item_id, Location.warehouse_id == warehouse_id, Location.quarantine.is_(False))
    )
    return Decimal(total or 0)


def on_order(session: Session, item_id: int, warehouse_id: int) -> Decimal:
    """Requested or ordered for the warehouse and not yet accepted into stock."""
    requested = session.scalar(
        select(func.coalesce(func.sum(RequisitionLine.qty), 0))
        .join(Requisition, RequisitionLine.requisition_id == Requisition.id)
        .where(RequisitionLine.item_id == item_id, Requisition.warehouse_id == warehouse_id, Requisition.status == "open")
    )
    ordered = session.scalar(
        select(func.coalesce(func.sum(PurchaseOrderLine.qty - PurchaseOrderLine.received_qty + PurchaseOrderLine.rejected_qty), 0))
        .join(PurchaseOrder, PurchaseOrderLine.po_id == PurchaseOrder.id)
        .where(
            PurchaseOrderLine.item_id == item_id, PurchaseOrder.warehouse_id == warehouse_id, PurchaseOrder.status.in_(OPEN_PO_STATES),
            PurchaseOrderLine.qty > PurchaseOrderLine.received_qty - PurchaseOrderLine.rejected_qty,
        )
    )
    return Decimal(requested or 0) + Decimal(ordered or 0)


def check_rule(session: Session, actor: Actor, rule: ReorderRule) -> Requisition | None:
    """One rule: a requisition for its reorder quantity if the item is short in the warehouse, else nothing."""
    locked = session.scalar(select(ReorderRule).where(ReorderRule.id == rule.id).with_for_update())
    if locked is None or not locked.active:
        return None
    sku = session.scalar(select(Item.sku).where(Item.id == locked.item_id)) or ""
    supplier = session.scalar(select(Partner.code).where(Partner.id == locked.supplier_id)) if locked.supplier_id else None
    return _request_if_short(session, actor, locked.item_id, sku, locked.warehouse_id, locked.min_qty, locked.reorder_qty, supplier)


def check_item_point(session: Session, actor: Actor, item_id: int, warehouse_id: int) -> Requisition | None:
    """The item's own reorder point in a warehouse without a rule: a requisition for its reorder quantity (else as much
    as the point) if it is short there, its supplier left for the purchaser to choose. The item's row lock keeps two
    checks from requesting the same shortage."""
    item = session.scalar(select(Item).where(Item.id == item_id).with_for_update())
    if item is None or item.reorder_point is None or not item.active:
        return None
    return _request_if_short(session, actor, item_id, item.sku, warehouse_id, item.reorder_point, item.reorder_qty or item.reorder_point, None)


def _request_if_short(
    session: Session, actor: Actor, item_id: int, sku: str, warehouse_id: int, point: Decimal, qty: Decimal, supplier: str | None,
) -> Requisition | None:
    """A requisition for `qty` (and a word to the purchasers) when available + on order is under `point`, else nothing."""
    available = available_in(session, item_id, warehouse_id)
    coming = on_order(session, item_id, warehouse_id)
    if available + coming >= point:
        return None
    warehouse = session.scalar(select(Location.code).where(Location.id == warehouse_id)) or ""
    req = create_requisition(
        session, actor.granted("purchase.request"), warehouse=warehouse, supplier=supplier, source="reorder", lines=[LineIn(sku=sku, qty=qty)],
        note=f"available {fmt(available)} + on order {fmt(coming)} < reorder point {fmt(point)}",
    )
    record(session, actor, "stock.below_reorder_point", "item", sku, sku=sku, warehouse=warehouse, available=fmt(available),
           on_order=fmt(coming), reorder_point=fmt(point), requisition=req.number)
    choose_zh, choose_en = ("", "") if supplier else ("，请选择供应商", ": choose its supplier")
    _notify(
        session, roles=["purchaser"], warehouse_id=warehouse_id, kind="stock.low",
        title_zh=f"库存不足：{sku} @ {warehouse}", title_en=f"Low stock: {sku} in {warehouse}",
        body_zh=f"可用 {fmt(available)}，在途 {fmt(coming)}，低于再订货点 {fmt(point)}；已生成请购单 {req.number}（{fmt(qty)}）{choose_zh}。",
        body_en=f"Available {fmt(available)}, on order {fmt(coming)}, under the reorder point {fmt(point)}; "
        f"requisition {req.number} for {fmt(qty)} raised{choose_en}.",
        ref_type="requisition", ref_id=req.number,
    )
    return req


def check_all(session: Session, actor: Actor = SYSTEM) -> list[Requisition]:
    """Every active rule, and every item's own reorder point in each warehouse without a rule for it (the daily job)."""
    rules = list(session.scalars(select(ReorderRule).where(ReorderRule.active.is_(True)).order_by(ReorderRule.id)))
    out = [req for rule in rules if (req := check_rule(session, actor, rule)) is not None]
    ruled = {(item_id, warehouse_id) for item_id, warehouse_id in session.execute(select(ReorderRule.item_id, ReorderRule.warehouse_id))}
    items = list(session.scalars(select(Item.id).where(Item.reorder_point.is_not(None), Item.active.is_(True)).order_by(Item.id)))
    warehouses = list(session.scalars(select(Location.id).where(Location.kind == "warehouse", Location.active.is_(True)).order_by(Location.id)))
    for item_id in items:
        for warehouse_id in warehouses:
            if (item_id, warehouse_id) not in ruled and (req := check_item_point(session, actor, item_id, warehouse_id)) is not None:
                out.append(req)
    return out


def check_touched(session: Session, touched: set[tuple[int, int]], actor: Actor = SYSTEM) -> list[Requisition]:
    """The rules of the (item, warehouse) pairs stock just left.

    A rule that cannot raise its requisition (its supplier was deactivated, say) must not undo the
    move that set it off: it is logged and skipped, and the daily job will report it again."""
    out = []
    cursor = driver_cursor(session)
    sql = _SQL[session.get_bind().dialect.name]["rule_of"]
    for item_id, warehouse_id in sorted(touched):
        # Most moves touch items without a rule or a point: one indexed look-up on the driver's cursor settles those.
        cursor.execute(sql, (warehouse_id, item_id))
        found = cursor.fetchall()
        if not found:
            continue
        rule_id, active, has_point = found[0]
        rule = session.get(ReorderRule, rule_id) if rule_id is not None and active else None
        if rule is None and (rule_id is not None or not has_point):
            continue  # a warehouse rule switched off, or neither rule nor point
        try:
            with session.begin_nested():
                req = check_rule(session, actor, rule) if rule is not None else check_item_point(session, actor, item_id, warehouse_id)
        except CangkuError as exc:
            which = f"rule {rule.id}" if rule is not None else f"the reorder point of item {item_id} in warehouse {warehouse_id}"
            log.warning("%s could not raise a requisition: %s", which, exc.en)
            continue
        if req is not None:
            out.append(req)
    return out


def check_stock_left(work: Work) -> None:
    """The commit step: check the reorder rules of the item stocks the transaction took from."""
    touched, work.stock_left = work.stock_left, set()
    if touched:
        check_touched(work, touched)


# Rules ------------------------------------------------------------------------------------------


def set_rule(
    session: Session, actor: Actor, *, sku: str, warehouse: str, min_qty: object, reorder_qty: object, supplier: str | None = None,
    active: bool = True,
) -> ReorderRule:
    """Create or replace the rule of an item in a warehouse."""
    actor.require("purchase.write")
    item = session.scalar(select(Item).where(Item.sku == sku))
    if item is None:
        raise UnknownReference(f"No item with SKU {sku}.", f"没有 SKU 为 {sku} 的商品。", sku=sku)
    wh = _warehouse(session, warehouse)
    point = positive_qty(min_qty, decimals=item.unit_decimals, unit=item.unit, field="min_qty")
    amount = positive_qty(reorder_qty, decimals=item.unit_decimals, unit=item.unit, field="reorder_qty")
    supplier_row = partner_reference(session, supplier, "supplier") if supplier else None
    if supplier_row is None:
        raise InvalidInput("Name the preferred supplier to order from.", "请指定首选供应商。", code="supplier_required")
    rule = session.scalar(select(ReorderRule).where(ReorderRule.item_id == item.id, ReorderRule.warehouse_id == wh.id).with_for_update())
    if rule is None:
        rule = ReorderRule(item_id=item.id, warehouse_id=wh.id, min_qty=point, reorder_qty=amount, supplier_id=supplier_row.id, active=active)
        session.add(rule)
    else:
        rule.min_qty, rule.reorder_qty, rule.supplier_id, rule.active = point, amount, supplier_row.id, active
        rule.version += 1
    session.flush()
    record(session, actor, "reorder_rule.set", "reorder_rule", f"{sku}@{warehouse}", min_qty=fmt(point), reorder_qty=fmt(amount), supplier=supplier)
    return rule


def rules(session: Session, *, warehouse: str | None = None, sku: str | None = None) -> list[tuple[ReorderRule, str, str, str | None]]:
    query = (
        select(ReorderRule, Item.sku, Location.code, Partner.code)
        .join(Item, ReorderRule.item_id == Item.id)
        .join(Location, ReorderRule.warehouse_id == Location.id)
        .outerjoin(Partner, ReorderRule.supplier_id == Partner.id)
        .order_by(Location.code, Item.sku)
    )
    if warehouse:
        query = query.where(Location.code == warehouse)
    if sku:
        query = query.where(Item.sku == sku)
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]

