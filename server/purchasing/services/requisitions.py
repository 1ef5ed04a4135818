"""Requisitions: asking for goods, the approver's decision, and turning an open requisition into a purchase order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.catalog.services import item_for_move
from server.documents import flows
from server.documents.flows import transition
from server.documents.lines import LineIn, at_line
from server.documents.models import Approval
from server.documents.services import check_signed_version, next_number
from server.errors import Forbidden, InvalidInput
from server.locations.models import Location
from server.partners.models import Partner
from server.partners.services import partner_reference
from server.purchasing.models import PurchaseOrder, Requisition, RequisitionLine
from server.purchasing.services.common import _about_supplier, _notify, _require_warehouse, _warehouse, decisions_on, get_requisition
from server.purchasing.services.orders import create_po
from server.quantities import positive_qty
from server.schemas import fmt


def create_requisition(
    session: Session, actor: Actor, *, warehouse: str, lines: Sequence[LineIn], supplier: str | None = None,
    needed_by: dt.date | None = None, note: str = "", source: str = "manual",
) -> Requisition:
    actor.require("purchase.request")
    wh = _warehouse(session, warehouse)
    _require_warehouse(actor, wh)
    if not lines:
        raise InvalidInput("A requisition needs at least one line.", "请购单至少需要一行。", code="no_lines")
    with _about_supplier():
        supplier_row = partner_reference(session, supplier, "supplier") if supplier else None
    # Someone who may only ask (a storekeeper) asks an approver first; a purchaser's request, or the reorder check's, is open at once.
    waits = source == "manual" and not actor.can("purchase.write")
    req = Requisition(
        number=next_number(session, "REQ"), status="pending" if waits else "open", warehouse_id=wh.id,
        supplier_id=supplier_row.id if supplier_row else None, needed_by=needed_by, note=note, source=source, created_by=actor.user_id,
    )
    goods = []
    for n, line in enumerate(lines, 1):
        with at_line(n - 1):
            item = item_for_move(session, line.sku)
            qty = positive_qty(line.qty, decimals=item.unit_decimals, unit=item.unit)
            req.lines.append(RequisitionLine(line_no=n, item_id=item.id, qty=qty))
            goods.append(f"{item.sku} × {fmt(qty)}")
    session.add(req)
    session.flush()
    record(session, actor, "requisition.create", "requisition", req.number, source=source, lines=len(lines), status=req.status)
    if waits:
        _notify_requisition_approvers(session, actor, req, wh, goods)
    return req


def _notify_requisition_approvers(session: Session, actor: Actor, req: Requisition, warehouse: Location, goods: list[str]) -> None:
    """Everyone who may approve purchases in the requisition's warehouse hears of it (the requester aside)."""
    from server.auth.permissions import PERMISSIONS

    _notify(
        session, roles=sorted(PERMISSIONS["purchase.approve"]), warehouse_id=req.warehouse_id, exclude_users=[req.created_by],
        kind="approval.pending",
        title_zh=f"请购单 {req.number} 待审批", title_en=f"Requisition {req.number} awaits approval",
        body_zh=f"{actor.username} 为仓库 {warehouse.code} 请购：{'、'.join(goods)}",
        body_en=f"{actor.username} asks for {', '.join(goods)} in warehouse {warehouse.code}",
        ref_type="requisition", ref_id=req.number,
    )


def may_decide_requisition(actor: Actor, req: Requisition) -> bool:
    """Whether `actor` may approve or reject this requisition now: one who approves purchases, in its warehouse, not its requester."""
    return (
        req.status == "pending" and actor.can("purchase.approve") and actor.may_use_warehouse(req.warehouse_id)
        and (req.created_by is None or req.created_by != actor.user_id)
    )


# The role a requisition's decision is recorded under: the approving role the decider holds.
_DECIDING_ROLES = ("approver", "director", "admin")


def _decide_requisition(session: Session, actor: Actor, number: str, action: str, *, version: int, comment: str) -> Requisition:
    """Approve or reject a pending requisition, signing the version the approver saw; the requester is told."""
    req = get_requisition(session, number, lock=True)
    flows.REQUISITION.check(number, req.status, action)
    check_signed_version(req, version, "Requisition", "请购单")
    if req.created_by is not None and req.created_by == actor.user_id:
        raise Forbidden(
            f"You raised requisition {number}; someone else must decide on it.", f"请购单 {number} 是您提交的，须由他人审批。", code="own_document"
        )
    _require_warehouse(actor, session.get_one(Location, req.warehouse_id))
    decision = "approved" if action == "approve" else "rejected"
    role = next((r for r in _DECIDING_ROLES if r in actor.roles), "approver")
    session.add(Approval(
        doc_type="requisition", doc_id=req.id, level=1, role=role, version=version, decision=decision, comment=comment, user_id=actor.user_id,
    ))
    transition(req, action)
    session.flush()
    record(session, actor, f"requisition.{action}", "requisition", number, signed_version=version, comment=comment)
    if req.created_by is not None:
        said_zh, said_en = ("已批准", "approved") if decision == "approved" else ("被驳回", "rejected")
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
    if not comment.strip():
        raise InvalidInput("Say why the requisition is rejected.", "请填写驳回原因。", code="comment_required")
    return _decide_requisition(session, actor, number, "reject", version=version, comment=comment)


def requisition_approvals(session: Session, req: Requisition) -> list[tuple[Approval, str]]:
    return decisions_on(session, "requisition", req.id)


def cancel_requisition(session: Session, actor: Actor, number: str, *, reason: str = "") -> Requisition:
    actor.require("purchase.request")
    req = get_requisition(session, number, lock=True)
    transition(req, "cancel")
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
