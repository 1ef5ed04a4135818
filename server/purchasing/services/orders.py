"""Purchase orders: drafting, submitting, the approval levels, revising, cancelling and closing; a snapshot of each version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.models import User
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item
from server.dates import local_today
from server.documents import approvals, flows
from server.documents.flows import transition
from server.documents.lines import LINE_FIELDS, PRICE_PLACES, LineIn, base_price, line_amounts, line_discount, order_lines, replace_lines
from server.documents.models import Approval
from server.documents.services import next_number, save_version, stale_version, touch
from server.errors import Conflict, InvalidInput
from server.finance.currency import in_yuan, known_currency, rate_on
from server.inventory.models import Valuation
from server.locations.models import Location
from server.partners.models import Partner
from server.partners.services import partner_reference, price_for
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine, Requisition, RequisitionLine
from server.purchasing.services.common import (
    _about_supplier,
    _notify,
    _require_warehouse,
    _skus,
    _warehouse,
    decisions_on,
    get_po,
    get_requisition,
)
from server.schemas import fmt

OPEN_PO_STATES = ("draft", "pending", "approved", "partially_received")


def po_snapshot(session: Session, po: PurchaseOrder) -> dict[str, Any]:
    skus = _skus(session, {line.item_id for line in po.lines})
    supplier = session.scalar(select(Partner.code).where(Partner.id == po.supplier_id))
    approvals = [
        f"{level}:{user}"
        for level, user in session.execute(
            select(Approval.level, User.username).join(User, Approval.user_id == User.id)
            .where(Approval.doc_type == "po", Approval.doc_id == po.id, Approval.void.is_(False), Approval.decision == "approved")
            .order_by(Approval.level)
        )
    ]
    return {
        "header": {
            "status": po.status, "supplier": supplier, "expected_date": po.expected_date.isoformat() if po.expected_date else None,
            "note": po.note, "total": fmt(po.total), "approvals": approvals, **({"discount": fmt(po.discount)} if po.discount else {}),
        },
        "lines": {
            str(line.line_no): {
                "sku": skus[line.item_id], "qty": fmt(line.qty), "unit_price": fmt(line.unit_price), "vat_rate": fmt(line.vat_rate),
                **({"unit": line.uom} if line.uom_factor != 1 else {}), **({"discount": fmt(line.discount)} if line.discount else {}),
            }
            for line in po.lines
        },
    }


def _save(session: Session, actor: Actor, po: PurchaseOrder) -> None:
    session.flush()
    save_version(session, actor, "po", po.id, po.version, po_snapshot(session, po))


def _po_lines(session: Session, supplier: Partner, po: PurchaseOrder, lines: Sequence[LineIn]) -> list[PurchaseOrderLine]:
    if not lines:
        raise InvalidInput("A purchase order needs at least one line.", "采购订单至少需要一行。", code="no_lines")
    return order_lines(session, lines, PurchaseOrderLine, lambda item, qty: _default_price(session, supplier, po, item, qty))


def _default_price(session: Session, supplier: Partner, po: PurchaseOrder, item: Item, qty: Decimal) -> Decimal:
    """Per base unit, in the order's currency: the supplier's list price, else the last price ordered from them, else the
    item's average cost (in yuan, at the order's rate)."""
    listed = price_for(session, supplier, item.id, qty, po.currency)
    if listed is not None:
        return listed
    last = session.execute(
        select(PurchaseOrderLine.unit_price, PurchaseOrderLine.uom_factor)
        .join(PurchaseOrder, PurchaseOrderLine.po_id == PurchaseOrder.id)
        .where(PurchaseOrder.supplier_id == supplier.id, PurchaseOrderLine.item_id == item.id, PurchaseOrder.status != "cancelled",
               PurchaseOrder.currency == po.currency)
        .order_by(PurchaseOrderLine.id.desc())
        .limit(1)
    ).first()
    if last is not None:
        return Decimal(last.unit_price / last.uom_factor).quantize(PRICE_PLACES)
    valuation = session.get(Valuation, item.id)
    if valuation is not None and valuation.qty > 0:
        return (valuation.value / valuation.qty / po.exchange_rate).quantize(PRICE_PLACES)
    return Decimal(0)


def _totals(po: PurchaseOrder) -> None:
    subtotal = tax = Decimal(0)
    for line in po.lines:
        line.doc_discount = po.discount
        net, vat = line_amounts(line.qty, base_price(line), line.vat_rate)
        subtotal += net
        tax += vat
    po.subtotal, po.tax, po.total = subtotal, tax, subtotal + tax
    po.total_cny = in_yuan(po.total, po.exchange_rate)


def create_po(
    session: Session, actor: Actor, *, supplier: str, warehouse: str, lines: Sequence[LineIn] = (), requisitions: Sequence[str] = (),
    expected_date: dt.date | None = None, note: str = "", currency: str | None = None, discount: object | None = None,
) -> PurchaseOrder:
    """A draft purchase order, by hand or from open requisitions (whose lines it takes over), in the supplier's currency
    unless another is asked for, at the rate of the day."""
    actor.require("purchase.write")
    with _about_supplier():
        supplier_row = partner_reference(session, supplier, "supplier")
    wh = _warehouse(session, warehouse)
    _require_warehouse(actor, wh)
    currency = known_currency(session, currency or supplier_row.currency)
    rate = rate_on(session, currency, local_today())
    po = PurchaseOrder(
        number=next_number(session, "PO"), status="draft", supplier_id=supplier_row.id, warehouse_id=wh.id, currency=currency, exchange_rate=rate,
        expected_date=expected_date, note=note, created_by=actor.user_id, discount=line_discount(discount),
    )
    taken: list[tuple[Requisition, RequisitionLine]] = []
    all_lines = list(lines)
    for number in requisitions:
        req = get_requisition(session, number, lock=True)
        flows.REQUISITION.check(number, req.status, "order")
        if req.warehouse_id != wh.id:
            raise InvalidInput(
                f"Requisition {number} is for another warehouse.", f"请购单 {number} 属于其他仓库。", code="warehouse_mismatch"
            )
        skus = _skus(session, {line.item_id for line in req.lines})
        for line in req.lines:
            all_lines.append(LineIn(sku=skus[line.item_id], qty=line.qty))
            taken.append((req, line))
    po.lines = _po_lines(session, supplier_row, po, all_lines)
    _totals(po)
    session.add(po)
    session.flush()
    offset = len(lines)
    for i, (_req, req_line) in enumerate(taken):
        po.lines[offset + i].requisition_line_id = req_line.id
    for req in {id(r): r for r, _ in taken}.values():
        transition(req, "order")
        req.po_id = po.id
        record(session, actor, "requisition.order", "requisition", req.number, po=po.number)
    _save(session, actor, po)
    record(session, actor, "po.create", "po", po.number, supplier=supplier, total=fmt(po.total), requisitions=list(requisitions))
    return po


def update_po(
    session: Session, actor: Actor, number: str, *, version: int | None, lines: Sequence[LineIn] | None = None,
    expected_date: dt.date | None = None, note: str | None = None, discount: object | None = None,
) -> PurchaseOrder:
    """Change a purchase order where its state allows; a change while approval is pending voids the approvals given."""
    actor.require("purchase.write")
    po = get_po(session, number, lock=True)
    if version is not None and version != po.version:
        raise stale_version(
            session, doc_type="po", doc_id=po.id, number=number, name_en="Purchase order", name_zh="采购订单",
            signed=version, current=po.version, current_snapshot=po_snapshot(session, po),
        )
    fields = {f for f, v in (("lines", lines), ("expected_date", expected_date), ("note", note), ("discount", discount)) if v is not None}
    flows.PURCHASE_ORDER.require_editable(number, po.status, fields)
    if discount is not None:
        po.discount = line_discount(discount)
    if lines is not None:
        supplier = session.get_one(Partner, po.supplier_id)
        new_lines = _po_lines(session, supplier, po, lines)
        replace_lines(po.lines, new_lines, LINE_FIELDS)
    if lines is not None or discount is not None:
        _totals(po)
    if expected_date is not None:
        po.expected_date = expected_date
    if note is not None:
        po.note = note
    if not fields:
        return po
    voided = 0
    if po.status == "pending":
        # A changed order is approved afresh, by the rules for what it is now: none may ask for no approval at all.
        voided = _void_approvals(session, po)
        po.approval_roles = approvals.levels_for(session, "purchase_order", po_facts(po))
    if po.status == "pending" and not po.approval_roles:
        transition(po, "release")
        _goes_out(po)
    else:
        touch(po)
    _save(session, actor, po)
    record(session, actor, "po.update", "po", number, fields=sorted(fields), version=po.version, voided_approvals=voided)
    if voided:
        _notify_next_approver(session, po)
    return po


def po_facts(po: PurchaseOrder) -> approvals.Facts:
    """What the approval rules judge an order by: its total in yuan (VAT included), its warehouse and its items."""
    return approvals.Facts(po.total_cny, frozenset({po.warehouse_id}), frozenset(line.item_id for line in po.lines))


def _void_approvals(session: Session, po: PurchaseOrder) -> int:
    return approvals.void(session, "purchase_order", po.id)


def _valid_approvals(session: Session, po: PurchaseOrder) -> list[Approval]:
    return approvals.given(session, "purchase_order", po.id)


def submit_po(session: Session, actor: Actor, number: str, *, version: int | None = None) -> PurchaseOrder:
    """Send for approval: the first approval rule its total (and its items' categories, its warehouse) match decides how
    many approvals, by which roles; none matching, it is approved at once."""
    actor.require("purchase.write")
    po = get_po(session, number, lock=True)
    _check_signed(session, po, version)
    flows.PURCHASE_ORDER.check(number, po.status, "submit")
    po.approval_roles = approvals.levels_for(session, "purchase_order", po_facts(po))
    transition(po, "submit" if po.approval_roles else "release")
    if not po.approval_roles:
        _goes_out(po)
    _save(session, actor, po)
    record(session, actor, "po.submit", "po", number, total=fmt(po.total), levels=po.approval_roles, version=po.version)
    _notify_next_approver(session, po)
    return po


def _goes_out(po: PurchaseOrder) -> None:
    """Approved, the order goes out to the supplier: the expected date is now what the supplier promised. An order approved
    again before anything arrived makes a new promise; once goods came, the promise they were judged by stays."""
    po.approved_at = utcnow()
    if not any(line.received_qty > 0 for line in po.lines):
        po.promised_date = po.expected_date


def _check_signed(session: Session, po: PurchaseOrder, version: int | None) -> None:
    if version is not None and version != po.version:
        raise stale_version(
            session, doc_type="po", doc_id=po.id, number=po.number, name_en="Purchase order", name_zh="采购订单",
            signed=version, current=po.version, current_snapshot=po_snapshot(session, po),
        )


def approve_po(session: Session, actor: Actor, number: str, *, version: int, comment: str = "") -> PurchaseOrder:
    """One approval level, signing the version the approver saw; the last level approves the order."""
    actor.require("purchase.approve")
    po = get_po(session, number, lock=True)
    flows.PURCHASE_ORDER.check(number, po.status, "approve")
    _check_signed(session, po, version)
    level = approvals.sign(session, actor, "purchase_order", po, version=version, comment=comment,
                           warehouses=[session.get_one(Location, po.warehouse_id)])
    transition(po, "approve" if level == len(po.approval_roles) else "sign")
    if po.status == "approved":
        _goes_out(po)
    _save(session, actor, po)
    record(session, actor, "po.approve", "po", number, level=level, of=len(po.approval_roles), signed_version=version, comment=comment)
    if po.status == "pending":
        _notify_next_approver(session, po)
    else:
        _notify_creator(session, po, "po.approved", "采购订单已审批", "Purchase order approved", comment)
    return po


def reject_po(session: Session, actor: Actor, number: str, *, version: int, comment: str) -> PurchaseOrder:
    actor.require("purchase.approve")
    approvals.require_comment("purchase_order", comment)
    po = get_po(session, number, lock=True)
    flows.PURCHASE_ORDER.check(number, po.status, "reject")
    _check_signed(session, po, version)
    level = approvals.refuse(session, actor, "purchase_order", po, version=version, comment=comment,
                             warehouses=[session.get_one(Location, po.warehouse_id)])
    transition(po, "reject")
    _save(session, actor, po)
    record(session, actor, "po.reject", "po", number, level=level, signed_version=version, comment=comment)
    _notify_creator(session, po, "po.rejected", "采购订单被驳回", "Purchase order rejected", comment)
    return po


def _simple_po_action(session: Session, actor: Actor, number: str, action: str, *, version: int | None = None, reason: str = "") -> PurchaseOrder:
    actor.require("purchase.write")
    po = get_po(session, number, lock=True)
    _check_signed(session, po, version)
    flows.PURCHASE_ORDER.check(number, po.status, action)
    if action == "cancel" and any(line.received_qty > 0 for line in po.lines):
        raise Conflict(f"Purchase order {number} has receipts; close it instead.", f"采购订单 {number} 已有收货，请改为关闭。", code="has_receipts")
    if action in ("withdraw", "revise", "cancel"):
        _void_approvals(session, po)
    transition(po, action)
    _save(session, actor, po)
    record(session, actor, f"po.{action}", "po", number, reason=reason, version=po.version)
    if action == "cancel":
        _release_requisitions(session, actor, po)
    return po


def withdraw_po(session: Session, actor: Actor, number: str, *, version: int | None = None) -> PurchaseOrder:
    return _simple_po_action(session, actor, number, "withdraw", version=version)


def revise_po(session: Session, actor: Actor, number: str, *, version: int | None = None) -> PurchaseOrder:
    return _simple_po_action(session, actor, number, "revise", version=version)


def cancel_po(session: Session, actor: Actor, number: str, *, version: int | None = None, reason: str = "") -> PurchaseOrder:
    return _simple_po_action(session, actor, number, "cancel", version=version, reason=reason)


def close_po(session: Session, actor: Actor, number: str, *, version: int | None = None, reason: str = "") -> PurchaseOrder:
    """Stop waiting for the rest of a partly received order."""
    return _simple_po_action(session, actor, number, "close", version=version, reason=reason)


def _release_requisitions(session: Session, actor: Actor, po: PurchaseOrder) -> None:
    """Requisitions of a cancelled order are open again, so the need is not forgotten."""
    for req in session.scalars(select(Requisition).where(Requisition.po_id == po.id, Requisition.status == "ordered")):
        transition(req, "reopen")
        req.po_id = None
        record(session, actor, "requisition.reopen", "requisition", req.number, po=po.number)


def approvals_of(session: Session, po: PurchaseOrder) -> list[tuple[Approval, str]]:
    return decisions_on(session, "po", po.id)


def _notify_next_approver(session: Session, po: PurchaseOrder) -> None:
    supplier = session.scalar(select(Partner.name_zh).where(Partner.id == po.supplier_id)) or ""
    approvals.tell_next_approvers(
        session, "purchase_order", po, warehouse_ids=[po.warehouse_id],
        title_zh=f"待审批：采购订单 {po.number}", title_en=f"To approve: purchase order {po.number}",
        body_zh=f"{supplier} 金额 {fmt(po.total)} {po.currency}", body_en=f"{supplier} total {fmt(po.total)} {po.currency}",
    )


def _notify_creator(session: Session, po: PurchaseOrder, kind: str, title_zh: str, title_en: str, comment: str) -> None:
    if po.created_by is None:
        return
    _notify(
        session, users=[po.created_by], kind=kind, title_zh=f"{title_zh}：{po.number}", title_en=f"{title_en}: {po.number}",
        body_zh=comment, body_en=comment, ref_type="po", ref_id=po.number,
    )
