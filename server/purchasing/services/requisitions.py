"""Requisitions: asking for goods, the approver's decision, and turning an open requisition into a purchase order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.models import User
from server.auth.permissions import Actor
from server.catalog.models import Item
from server.documents import approvals, flows
from server.documents.flows import transition
from server.documents.lines import LineIn, base_price, item_qty_lines
from server.documents.models import Approval
from server.documents.services import check_signed_version, next_number, touch
from server.errors import InvalidInput
from server.finance.services import money
from server.locations.models import Location
from server.partners.models import Partner
from server.partners.services import partner_reference
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine, Requisition, RequisitionLine
from server.purchasing.services.common import _about_supplier, _notify, _require_warehouse, _warehouse, decisions_on, get_requisition
from server.purchasing.services.orders import create_po
from server.schemas import fmt


def last_purchase_prices(session: Session, item_ids: Collection[int]) -> dict[int, Decimal]:
    """Each item's last purchase price per base unit in yuan, net of discounts and without VAT: from the newest line of a
    purchase order not cancelled that priced it (from whichever supplier)."""
    if not item_ids:
        return {}
    newest = (
        select(func.max(PurchaseOrderLine.id)).join(PurchaseOrder, PurchaseOrderLine.po_id == PurchaseOrder.id)
        .where(PurchaseOrderLine.item_id.in_(item_ids), PurchaseOrder.status != "cancelled", PurchaseOrderLine.unit_price > 0)
        .group_by(PurchaseOrderLine.item_id)
    )
    rows = session.execute(
        select(PurchaseOrderLine, PurchaseOrder.exchange_rate).join(PurchaseOrder, PurchaseOrderLine.po_id == PurchaseOrder.id)
        .where(PurchaseOrderLine.id.in_(newest))
    )
    return {line.item_id: base_price(line) * rate for line, rate in rows}


def estimated_value(session: Session, lines: Sequence[tuple[int, Decimal]]) -> Decimal:
    """What a requisition's lines (item, base quantity) would cost, in yuan: each at the item's last purchase price, or, never
    bought, at its average cost; an item with neither counts for nothing."""
    ids = {item_id for item_id, _ in lines}
    prices = last_purchase_prices(session, ids)
    costs = approvals.average_costs(session, ids - set(prices))
    return sum((money(qty * prices.get(item_id, costs.get(item_id, Decimal(0)))) for item_id, qty in lines), Decimal(0))


def requisition_facts(session: Session, req: Requisition) -> approvals.Facts:
    """What the approval rules judge a requisition by: its estimated value, its warehouse and its items."""
    lines = [(line.item_id, line.qty) for line in req.lines]
    return approvals.Facts(estimated_value(session, lines), frozenset({req.warehouse_id}), frozenset(item for item, _ in lines))


def _requisition_lines(session: Session, lines: Sequence[LineIn]) -> list[RequisitionLine]:
    return item_qty_lines(session, lines, RequisitionLine,
                          InvalidInput("A requisition needs at least one line.", "请购单至少需要一行。", code="no_lines"))


def create_requisition(
    session: Session, actor: Actor, *, warehouse: str, lines: Sequence[LineIn], supplier: str | None = None,
    needed_by: dt.date | None = None, note: str = "", source: str = "manual",
) -> Requisition:
    actor.require("purchase.request")
    wh = _warehouse(session, warehouse)
    _require_warehouse(actor, wh)
    with _about_supplier():
        supplier_row = partner_reference(session, supplier, "supplier") if supplier else None
    made = _requisition_lines(session, lines)
    # Someone who may only ask (a storekeeper) asks the approvers the rules name; a purchaser's request, or the reorder
    # check's, is open at once: the purchase order made of it is approved by the purchase order rules.
    roles: list[str] = []
    if source == "manual" and not actor.can("purchase.write"):
        roles = approvals.levels_for(session, "requisition", approvals.Facts(
            estimated_value(session, [(line.item_id, line.qty) for line in made]), frozenset({wh.id}), frozenset(line.item_id for line in made)))
    req = Requisition(
        number=next_number(session, "REQ"), status="pending" if roles else "open", warehouse_id=wh.id,
        supplier_id=supplier_row.id if supplier_row else None, needed_by=needed_by, note=note, source=source, created_by=actor.user_id,
        approval_roles=roles, lines=made,
    )
    session.add(req)
    session.flush()
    record(session, actor, "requisition.create", "requisition", req.number, source=source, lines=len(lines), status=req.status,
           levels=roles or None)
    _notify_next_approver(session, req)
    return req


def _notify_next_approver(session: Session, req: Requisition) -> None:
    """Those who may sign the level a pending requisition waits at, in its warehouse, hear of it (the requester aside)."""
    if req.status != "pending":
        return
    skus = dict(session.execute(select(Item.id, Item.sku).where(Item.id.in_({line.item_id for line in req.lines}))).all())
    goods = [f"{skus[line.item_id]} × {fmt(line.qty)}" for line in req.lines]
    requester = session.scalar(select(User.username).where(User.id == req.created_by)) if req.created_by else "system"
    warehouse = session.get_one(Location, req.warehouse_id).code
    approvals.tell_next_approvers(
        session, "requisition", req, warehouse_ids=[req.warehouse_id], with_admins=True,
        title_zh=f"请购单 {req.number} 待审批", title_en=f"Requisition {req.number} awaits approval",
        body_zh=f"{requester} 为仓库 {warehouse} 请购：{'、'.join(goods)}",
        body_en=f"{requester} asks for {', '.join(goods)} in warehouse {warehouse}",
    )


def may_decide_requisition(session: Session, actor: Actor, req: Requisition) -> bool:
    """Whether `actor` may approve or reject this requisition now: the level it waits at is theirs to sign (its role, its
    warehouse), and they neither raised it nor signed an earlier level."""
    return approvals.may_approve_next(session, actor, "requisition", req, [req.warehouse_id])


def update_requisition(
    session: Session, actor: Actor, number: str, *, version: int, lines: Sequence[LineIn] | None = None, note: str | None = None,
    supplier: str | None = None, needed_by: dt.date | None = None,
) -> Requisition:
    """Change a requisition where its state allows: while it waits for approval, anything (the approvals given are void, and
    the rules decide afresh who approves what it now asks for); once open, what a purchaser needs to order it."""
    actor.require("purchase.request")
    req = get_requisition(session, number, lock=True)
    check_signed_version(req, version, "Requisition", "请购单")
    fields = {f for f, v in (("lines", lines), ("note", note), ("supplier", supplier), ("needed_by", needed_by)) if v is not None}
    flows.REQUISITION.require_editable(number, req.status, fields)
    _require_warehouse(actor, session.get_one(Location, req.warehouse_id))
    if lines is not None:
        req.lines = _requisition_lines(session, lines)
    if note is not None:
        req.note = note
    if supplier is not None:
        with _about_supplier():
            req.supplier_id = partner_reference(session, supplier, "supplier").id if supplier else None
    if needed_by is not None:
        req.needed_by = needed_by
    if not fields:
        return req
    session.flush()
    voided = 0
    if req.status == "pending":
        voided = approvals.void(session, "requisition", req.id)
        req.approval_roles = approvals.levels_for(session, "requisition", requisition_facts(session, req))
    if req.status == "pending" and not req.approval_roles:
        transition(req, "release")
    else:
        touch(req)
    session.flush()
    record(session, actor, "requisition.update", "requisition", number, fields=sorted(fields), version=req.version, voided_approvals=voided,
           levels=req.approval_roles if req.status == "pending" else None)
    if voided:
        _notify_next_approver(session, req)
    return req


def _decide_requisition(session: Session, actor: Actor, number: str, action: str, *, version: int, comment: str) -> Requisition:
    """One level of approval, or the rejection, of a pending requisition, signing the version the approver saw; the last
    level opens it for a purchaser. The next level's approvers, or the requester, are told."""
    req = get_requisition(session, number, lock=True)
    flows.REQUISITION.check(number, req.status, action)
    check_signed_version(req, version, "Requisition", "请购单")
    warehouses = [session.get_one(Location, req.warehouse_id)]
    if action == "approve":
        level = approvals.sign(session, actor, "requisition", req, version=version, comment=comment, warehouses=warehouses)
        transition(req, "approve" if level == len(req.approval_roles) else "sign")
    else:
        level = approvals.refuse(session, actor, "requisition", req, version=version, comment=comment, warehouses=warehouses)
        transition(req, "reject")
    session.flush()
    record(session, actor, f"requisition.{action}", "requisition", number, signed_version=version, comment=comment, level=level,
           of=len(req.approval_roles))
    if req.status == "pending":
        _notify_next_approver(session, req)
    elif req.created_by is not None:
        said_zh, said_en = ("已批准", "approved") if req.status == "open" else ("被驳回", "rejected")
        _notify(
            session, users=[req.created_by], kind="requisition.decided",
            title_zh=f"请购单 {number} {said_zh}", title_en=f"Requisition {number} {said_en}",
            body_zh=f"{actor.username}：{comment}" if comment else actor.username,
            body_en=f"{actor.username}: {comment}" if comment else actor.username,
            ref_type="requisition", ref_id=number,
        )
    return req


def approve_requisition(session: Session, actor: Actor, number: str, *, version: int, comment: str = "") -> Requisition:
    """A pending requisition approved: it is open, for a purchaser to order."""
    actor.require("purchase.approve")
    return _decide_requisition(session, actor, number, "approve", version=version, comment=comment)


def reject_requisition(session: Session, actor: Actor, number: str, *, version: int, comment: str) -> Requisition:
    """A pending requisition turned down, saying why; it ends there."""
    actor.require("purchase.approve")
    approvals.require_comment("requisition", comment)
    return _decide_requisition(session, actor, number, "reject", version=version, comment=comment)


def requisition_approvals(session: Session, req: Requisition) -> list[tuple[Approval, str]]:
    return decisions_on(session, "requisition", req.id)


def cancel_requisition(session: Session, actor: Actor, number: str, *, reason: str = "") -> Requisition:
    actor.require("purchase.request")
    req = get_requisition(session, number, lock=True)
    transition(req, "cancel")
    approvals.void(session, "requisition", req.id)
    record(session, actor, "requisition.cancel", "requisition", number, reason=reason)
    return req


def order_requisition(session: Session, actor: Actor, number: str, *, supplier: str | None = None, version: int | None = None) -> PurchaseOrder:
    """A draft purchase order for one open requisition, from its supplier (or the one given)."""
    actor.require("purchase.write")
    req = get_requisition(session, number, lock=True)
    check_signed_version(req, version, "Requisition", "请购单")
    flows.REQUISITION.check(number, req.status, "order")
    code = supplier or (session.scalar(select(Partner.code).where(Partner.id == req.supplier_id)) if req.supplier_id else None)
    if not code:
        raise InvalidInput(
            f"Requisition {number} names no supplier; say which supplier to order from.", f"请购单 {number} 未指定供应商，请选择向哪个供应商下单。",
            code="supplier_required", field="supplier",
        )
    warehouse = session.scalar(select(Location.code).where(Location.id == req.warehouse_id)) or ""
    return create_po(session, actor, supplier=code, warehouse=warehouse, requisitions=[number], expected_date=req.needed_by)
