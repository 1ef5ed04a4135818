"""Purchasing rules: purchase orders and their approval, receipts with inspection, put-away, supplier bills.

Every action is one function, shared by the HTTP routes and the sync operations. Each locks its
document, checks the transition in `server.documents.flows`, bumps the version, keeps a snapshot
of the new version and writes the audit log, all in the caller's transaction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import false, func, or_, select, true
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.models import User
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.catalog.schemas import LotCreate
from server.catalog.services import create_lot, find_lot, item_for_move, lot_for_move
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.models import Approval, ApprovalRule
from server.documents.services import check_signed_version, get_document, next_number, page, save_version, stale_version, touch
from server.errors import Conflict, Forbidden, InvalidInput, NotFound, UnknownReference
from server.finance.services import AP, GRNI, PRICE_VARIANCE, VAT_IN, money, post_journal
from server.inventory import services as ledger
from server.inventory.models import Balance, Valuation
from server.locations.models import Location
from server.locations.services import location_for_move
from server.partners.models import Partner
from server.partners.services import partner_reference, price_for
from server.purchasing.models import (
    Bill,
    BillLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PutawayTask,
    Receipt,
    ReceiptLine,
    Requisition,
    RequisitionLine,
)
from server.quantities import as_decimal, optional_non_negative, positive_qty
from server.schemas import fmt
from server.sorting import looked_up, sorted_by

OVER_RECEIPT_TOLERANCE = Decimal("0.05")  # may receive up to 5 % more than ordered
BILL_PRICE_TOLERANCE = Decimal("0.01")  # a bill's unit price may differ from the order's by 1 %
DEFAULT_APPROVAL_RULES = [
    (Decimal(0), Decimal(10_000), ["approver"]),
    (Decimal(10_000), Decimal(100_000), ["approver", "approver"]),
    (Decimal(100_000), None, ["approver", "approver", "director"]),
]
OPEN_PO_STATES = ("draft", "pending", "approved", "partially_received")


@dataclasses.dataclass(frozen=True)
class LineIn:
    """A document line as the services take it: an item and quantity, optionally a price and VAT rate."""

    sku: str
    qty: object
    unit_price: object | None = None
    vat_rate: object | None = None


# Helpers ----------------------------------------------------------------------------------------


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


def get_po(session: Session, number: str, *, lock: bool = False) -> PurchaseOrder:
    return get_document(session, PurchaseOrder, number, "purchase order", "采购订单", lock=lock)


def get_requisition(session: Session, number: str, *, lock: bool = False) -> Requisition:
    return get_document(session, Requisition, number, "requisition", "请购单", lock=lock)


def get_receipt(session: Session, number: str, *, lock: bool = False) -> Receipt:
    return get_document(session, Receipt, number, "receipt", "收货单", lock=lock)


def get_bill(session: Session, number: str, *, lock: bool = False) -> Bill:
    return get_document(session, Bill, number, "bill", "供应商发票", lock=lock)


# Approval rules ---------------------------------------------------------------------------------


def ensure_approval_rules(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(ApprovalRule)):
        return
    for above, up_to, levels in DEFAULT_APPROVAL_RULES:
        session.add(ApprovalRule(doc_type="po", above=above, up_to=up_to, levels=levels))
    session.flush()


def approval_rules(session: Session) -> list[ApprovalRule]:
    return list(session.scalars(select(ApprovalRule).where(ApprovalRule.active.is_(True)).order_by(ApprovalRule.above)))


def replace_approval_rules(session: Session, actor: Actor, rules: Sequence[tuple[object, object | None, list[str]]]) -> list[ApprovalRule]:
    """New thresholds: bands (above, up to] that must cover every amount from 0 up, each with its roles in order."""
    from server.auth.permissions import PERMISSIONS

    actor.require("settings.write")
    bands = []
    for above, up_to, levels in rules:
        low = optional_non_negative(above, "above", scale=2) or Decimal(0)
        high = optional_non_negative(up_to, "up_to", scale=2) if up_to is not None else None
        if high is not None and high <= low:
            raise InvalidInput(f"A band must end above where it starts ({low} – {high}).", f"区间上限必须大于下限（{low} – {high}）。")
        for role in levels:
            if role not in PERMISSIONS["purchase.approve"]:
                raise InvalidInput(
                    f"Role {role} cannot approve purchase orders.", f"角色 {role} 不能审批采购订单。", code="role_cannot_approve", role=role
                )
        bands.append((low, high, list(levels)))
    bands.sort(key=lambda b: b[0])
    expected = Decimal(0)
    for low, high, _ in bands:
        if low != expected:
            raise InvalidInput(
                f"The bands must follow each other from 0 with no gap or overlap (one starts at {low}, expected {expected}).",
                f"区间必须从 0 起首尾相接，不能有空档或重叠（某区间从 {low} 开始，应从 {expected} 开始）。",
                code="bad_bands",
            )
        expected = high  # type: ignore[assignment]
        if high is None:
            break
    if not bands or bands[-1][1] is not None or expected is not None:
        raise InvalidInput("The last band must have no upper limit.", "最后一个区间不能有上限。", code="bad_bands")
    for rule in session.scalars(select(ApprovalRule).where(ApprovalRule.active.is_(True))):
        rule.active = False
    for low, high, levels in bands:
        session.add(ApprovalRule(doc_type="po", above=low, up_to=high, levels=levels))
    session.flush()
    record(session, actor, "approval_rules.replace", "approval_rules", "po", bands=[[fmt(lo), fmt(hi), lv] for lo, hi, lv in bands])
    return approval_rules(session)


def roles_for_amount(session: Session, amount: Decimal) -> list[str]:
    for rule in approval_rules(session):
        if (amount > rule.above or (rule.above == 0 and amount >= 0)) and (rule.up_to is None or amount <= rule.up_to):
            return list(rule.levels)
    return []


# Requisitions -----------------------------------------------------------------------------------


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
        with _at_line(n - 1):
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


# Purchase orders --------------------------------------------------------------------------------


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
            "note": po.note, "total": fmt(po.total), "approvals": approvals,
        },
        "lines": {
            str(line.line_no): {"sku": skus[line.item_id], "qty": fmt(line.qty), "unit_price": fmt(line.unit_price), "vat_rate": fmt(line.vat_rate)}
            for line in po.lines
        },
    }


def _save(session: Session, actor: Actor, po: PurchaseOrder) -> None:
    session.flush()
    save_version(session, actor, "po", po.id, po.version, po_snapshot(session, po))


def _po_lines(session: Session, supplier: Partner, lines: Sequence[LineIn]) -> list[PurchaseOrderLine]:
    if not lines:
        raise InvalidInput("A purchase order needs at least one line.", "采购订单至少需要一行。", code="no_lines")
    out = []
    for n, line in enumerate(lines, 1):
        with _at_line(n - 1):
            item = item_for_move(session, line.sku)
            qty = positive_qty(line.qty, decimals=item.unit_decimals, unit=item.unit)
            price = _price(line.unit_price) if line.unit_price is not None else _default_price(session, supplier, item, qty)
            out.append(PurchaseOrderLine(line_no=n, item_id=item.id, qty=qty, unit_price=price, vat_rate=_vat(line.vat_rate, item)))
    return out


def _default_price(session: Session, supplier: Partner, item: Item, qty: Decimal) -> Decimal:
    """The supplier's list price, else the last price ordered from them, else the item's average cost."""
    listed = price_for(session, supplier, item.id, qty)
    if listed is not None:
        return listed
    last = session.scalar(
        select(PurchaseOrderLine.unit_price)
        .join(PurchaseOrder, PurchaseOrderLine.po_id == PurchaseOrder.id)
        .where(PurchaseOrder.supplier_id == supplier.id, PurchaseOrderLine.item_id == item.id, PurchaseOrder.status != "cancelled")
        .order_by(PurchaseOrderLine.id.desc())
        .limit(1)
    )
    if last is not None:
        return last
    valuation = session.get(Valuation, item.id)
    if valuation is not None and valuation.qty > 0:
        return (valuation.value / valuation.qty).quantize(Decimal("0.000001"))
    return Decimal(0)


def _totals(po: PurchaseOrder) -> None:
    subtotal = tax = Decimal(0)
    for line in po.lines:
        net, vat = _line_amounts(line.qty, line.unit_price, line.vat_rate)
        subtotal += net
        tax += vat
    po.subtotal, po.tax, po.total = subtotal, tax, subtotal + tax


def create_po(
    session: Session, actor: Actor, *, supplier: str, warehouse: str, lines: Sequence[LineIn] = (), requisitions: Sequence[str] = (),
    expected_date: dt.date | None = None, note: str = "", currency: str = "CNY",
) -> PurchaseOrder:
    """A draft purchase order, by hand or from open requisitions (whose lines it takes over)."""
    actor.require("purchase.write")
    with _about_supplier():
        supplier_row = partner_reference(session, supplier, "supplier")
    wh = _warehouse(session, warehouse)
    _require_warehouse(actor, wh)
    po = PurchaseOrder(
        number=next_number(session, "PO"), status="draft", supplier_id=supplier_row.id, warehouse_id=wh.id, currency=currency,
        expected_date=expected_date, note=note, created_by=actor.user_id,
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
    po.lines = _po_lines(session, supplier_row, all_lines)
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
    expected_date: dt.date | None = None, note: str | None = None,
) -> PurchaseOrder:
    """Change a purchase order where its state allows; a change while approval is pending voids the approvals given."""
    actor.require("purchase.write")
    po = get_po(session, number, lock=True)
    if version is not None and version != po.version:
        raise stale_version(
            session, doc_type="po", doc_id=po.id, number=number, name_en="Purchase order", name_zh="采购订单",
            signed=version, current=po.version, current_snapshot=po_snapshot(session, po),
        )
    fields = {f for f, v in (("lines", lines), ("expected_date", expected_date), ("note", note)) if v is not None}
    flows.PURCHASE_ORDER.require_editable(number, po.status, fields)
    if lines is not None:
        supplier = session.get_one(Partner, po.supplier_id)
        new_lines = _po_lines(session, supplier, lines)
        _replace_lines(po.lines, new_lines, ("item_id", "qty", "unit_price", "vat_rate"))
        _totals(po)
    if expected_date is not None:
        po.expected_date = expected_date
    if note is not None:
        po.note = note
    if not fields:
        return po
    voided = 0
    if po.status == "pending":
        voided = _void_approvals(session, po)
        po.approval_roles = roles_for_amount(session, po.total)
    touch(po)
    _save(session, actor, po)
    record(session, actor, "po.update", "po", number, fields=sorted(fields), version=po.version, voided_approvals=voided)
    if voided:
        _notify_next_approver(session, po)
    return po


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


def _void_approvals(session: Session, po: PurchaseOrder) -> int:
    rows = list(session.scalars(select(Approval).where(Approval.doc_type == "po", Approval.doc_id == po.id, Approval.void.is_(False))))
    for row in rows:
        row.void = True
    return len(rows)


def _valid_approvals(session: Session, po: PurchaseOrder) -> list[Approval]:
    return list(
        session.scalars(
            select(Approval)
            .where(Approval.doc_type == "po", Approval.doc_id == po.id, Approval.void.is_(False), Approval.decision == "approved")
            .order_by(Approval.level)
        )
    )


def submit_po(session: Session, actor: Actor, number: str, *, version: int | None = None) -> PurchaseOrder:
    """Send for approval: the rules for its total decide how many approvals, by which roles."""
    actor.require("purchase.write")
    po = get_po(session, number, lock=True)
    _check_signed(session, po, version)
    flows.PURCHASE_ORDER.check(number, po.status, "submit")
    po.approval_roles = roles_for_amount(session, po.total)
    transition(po, "submit" if po.approval_roles else "release")
    if not po.approval_roles:
        po.approved_at = utcnow()
    _save(session, actor, po)
    record(session, actor, "po.submit", "po", number, total=fmt(po.total), levels=po.approval_roles, version=po.version)
    _notify_next_approver(session, po)
    return po


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
    if po.created_by is not None and po.created_by == actor.user_id:
        raise Forbidden(
            f"You created purchase order {number}; someone else must approve it.",
            f"采购订单 {number} 是您创建的，须由他人审批。",
            code="own_document",
        )
    given = _valid_approvals(session, po)
    if any(a.user_id == actor.user_id for a in given):
        raise Conflict(
            f"You already approved purchase order {number}; the next level needs another approver.",
            f"您已审批过采购订单 {number}，下一级需由其他人审批。",
            code="already_approved_by_you",
        )
    level = len(given) + 1
    role = po.approval_roles[level - 1]
    if role not in actor.roles and "admin" not in actor.roles:
        zh_role = {"approver": "审批人", "director": "总监"}.get(role, role)
        raise Forbidden(
            f"Level {level} of purchase order {number} must be approved by a {role}.",
            f"采购订单 {number} 的第 {level} 级须由{zh_role}审批。",
            code="wrong_approver_role",
            level=level,
            role=role,
        )
    _require_warehouse(actor, session.get_one(Location, po.warehouse_id))
    session.add(Approval(doc_type="po", doc_id=po.id, level=level, role=role, version=version, decision="approved", comment=comment, user_id=actor.user_id))
    transition(po, "approve" if level == len(po.approval_roles) else "sign")
    if po.status == "approved":
        po.approved_at = utcnow()
    _save(session, actor, po)
    record(session, actor, "po.approve", "po", number, level=level, of=len(po.approval_roles), signed_version=version, comment=comment)
    if po.status == "pending":
        _notify_next_approver(session, po)
    else:
        _notify_creator(session, po, "po.approved", "采购订单已审批", "Purchase order approved", comment)
    return po


def reject_po(session: Session, actor: Actor, number: str, *, version: int, comment: str) -> PurchaseOrder:
    actor.require("purchase.approve")
    if not comment.strip():
        raise InvalidInput("Say why the order is rejected.", "请填写驳回原因。", code="comment_required")
    po = get_po(session, number, lock=True)
    flows.PURCHASE_ORDER.check(number, po.status, "reject")
    _check_signed(session, po, version)
    if po.created_by is not None and po.created_by == actor.user_id:
        raise Forbidden(f"You created purchase order {number}; someone else must decide on it.", f"采购订单 {number} 是您创建的，须由他人审批。", code="own_document")
    _require_warehouse(actor, session.get_one(Location, po.warehouse_id))
    level = len(_valid_approvals(session, po)) + 1
    role = po.approval_roles[level - 1] if level <= len(po.approval_roles) else "approver"
    session.add(Approval(doc_type="po", doc_id=po.id, level=level, role=role, version=version, decision="rejected", comment=comment, user_id=actor.user_id))
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


def decisions_on(session: Session, doc_type: str, doc_id: int) -> list[tuple[Approval, str]]:
    """Every decision taken on a document (void ones too), oldest first, with who took it."""
    return [
        (a, username)
        for a, username in session.execute(
            select(Approval, User.username).join(User, Approval.user_id == User.id)
            .where(Approval.doc_type == doc_type, Approval.doc_id == doc_id).order_by(Approval.id)
        )
    ]


def approvals_of(session: Session, po: PurchaseOrder) -> list[tuple[Approval, str]]:
    return decisions_on(session, "po", po.id)


def _notify(session: Session, *, exclude_users: Sequence[int | None] | None = None, **kwargs: Any) -> None:
    """Tell the people concerned, after the transaction commits (see server.notifications)."""
    from server.notifications.services import notify, recipients

    if exclude_users:
        users = recipients(session, users=kwargs.pop("users", None), roles=kwargs.pop("roles", None), warehouse_id=kwargs.get("warehouse_id"))
        kwargs["users"] = [u.id for u in users if u.id not in set(exclude_users)]
        if not kwargs["users"]:
            return
    notify(session, **kwargs)


def _notify_next_approver(session: Session, po: PurchaseOrder) -> None:
    if po.status != "pending":
        return
    level = len(_valid_approvals(session, po)) + 1
    role = po.approval_roles[level - 1]
    supplier = session.scalar(select(Partner.name_zh).where(Partner.id == po.supplier_id)) or ""
    _notify(
        session, roles=[role], warehouse_id=po.warehouse_id, exclude_users=[po.created_by, *(a.user_id for a in _valid_approvals(session, po))],
        kind="approval.pending",
        title_zh=f"待审批：采购订单 {po.number}", title_en=f"To approve: purchase order {po.number}",
        body_zh=f"{supplier} 金额 {fmt(po.total)} {po.currency}，第 {level}/{len(po.approval_roles)} 级",
        body_en=f"{supplier} total {fmt(po.total)} {po.currency}, level {level} of {len(po.approval_roles)}",
        ref_type="po", ref_id=po.number,
    )


def _notify_creator(session: Session, po: PurchaseOrder, kind: str, title_zh: str, title_en: str, comment: str) -> None:
    if po.created_by is None:
        return
    _notify(
        session, users=[po.created_by], kind=kind, title_zh=f"{title_zh}：{po.number}", title_en=f"{title_en}: {po.number}",
        body_zh=comment, body_en=comment, ref_type="po", ref_id=po.number,
    )


# Receipts ---------------------------------------------------------------------------------------


def create_receipt(session: Session, actor: Actor, *, po: str, dock: str | None = None, note: str = "") -> Receipt:
    """Start receiving against an approved purchase order, into the warehouse's dock (`<WAREHOUSE>-DOCK` by default)."""
    actor.require("purchase.receive")
    order = get_po(session, po, lock=True)
    flows.PURCHASE_ORDER.check(po, order.status, "receive")
    wh = session.get_one(Location, order.warehouse_id)
    _require_warehouse(actor, wh)
    dock_code = dock or f"{wh.code}-DOCK"
    dock_row = session.scalar(select(Location).where(Location.code == dock_code))
    if dock_row is None or dock_row.warehouse_id != wh.id or not dock_row.internal:
        raise UnknownReference(
            f"No receiving dock {dock_code} in warehouse {wh.code}; name the location to receive into.",
            f"仓库 {wh.code} 没有收货区 {dock_code}，请指定收货库位。",
            code="unknown_dock",
            location=dock_code,
        )
    receipt = Receipt(number=next_number(session, "GRN"), status="open", po_id=order.id, warehouse_id=wh.id, dock_id=dock_row.id, note=note, created_by=actor.user_id)
    session.add(receipt)
    session.flush()
    record(session, actor, "receipt.create", "receipt", receipt.number, po=po, dock=dock_code)
    return receipt


def open_receipt_for(session: Session, actor: Actor, po: str) -> Receipt:
    """The receipt being counted in against an order (still open), or a new one: a phone receiving offline knows the
    order it scanned, not a receipt number the server has yet to give."""
    actor.require("purchase.receive")
    order = get_po(session, po, lock=True)  # one at a time per order: two phones starting together share one receipt
    found = session.scalar(select(Receipt).where(Receipt.po_id == order.id, Receipt.status == "open").order_by(Receipt.id).limit(1))
    return found if found is not None else create_receipt(session, actor, po=po)


@dataclasses.dataclass(frozen=True)
class ReceiveIn:
    """One scanned or typed receipt line."""

    sku: str
    qty: object
    po_line: int | None = None
    lot: str | None = None
    expiry: dt.date | None = None
    serials: Sequence[str] = ()
    op_id: str | None = None


def receive_line(
    session: Session, actor: Actor, number: str, *, sku: str, qty: object, po_line: int | None = None, lot: str | None = None,
    expiry: dt.date | None = None, serials: Sequence[str] = (), op_id: str | None = None,
) -> ReceiptLine:
    """Goods counted in at the dock: a move from SUPPLIER at the order's price, within the over-receipt tolerance."""
    return receive_lines(session, actor, number, [ReceiveIn(sku, qty, po_line, lot, expiry, tuple(serials), op_id)])[0]


def receive_lines(session: Session, actor: Actor, number: str, lines: Sequence[ReceiveIn]) -> list[ReceiptLine]:
    """Several receipt lines in one transaction, all or nothing: the order gets one new version, not one per line.

    Goods of an order line, item and lot already on the receipt add to that receipt line (one line however many scans
    counted them), so inspection decides, and put-away carries, each item and lot once."""
    actor.require("purchase.receive")
    if not lines:
        raise InvalidInput("Nothing to receive.", "没有要收货的内容。", code="no_lines")
    receipt = get_receipt(session, number, lock=True)
    flows.RECEIPT.check(number, receipt.status, "receive")
    po = session.get_one(PurchaseOrder, receipt.po_id, with_for_update=True)
    flows.PURCHASE_ORDER.check(po.number, po.status, "receive")
    by_item: dict[int, list[PurchaseOrderLine]] = {}
    for po_line in po.lines:
        by_item.setdefault(po_line.item_id, []).append(po_line)
    dock = session.get_one(Location, receipt.dock_id)
    # Received quantities accumulate on the order lines in memory and are written once, at the end.
    with session.no_autoflush:
        rows = _receive_each(session, actor, number, receipt, po, lines, by_item, dock)
    transition(po, "receive")
    _save(session, actor, po)
    transition(receipt, "receive")
    session.flush()
    return rows


def _receive_each(
    session: Session, actor: Actor, number: str, receipt: Receipt, po: PurchaseOrder, lines: Sequence[ReceiveIn],
    by_item: dict[int, list[PurchaseOrderLine]], dock: Location,
) -> list[ReceiptLine]:
    items: dict[str, Item] = {}
    mover = actor.granted("stock.move")
    on_receipt = {(r.po_line_id, r.item_id, r.lot_id): r for r in receipt.lines}
    next_no = max((r.line_no for r in receipt.lines), default=0) + 1
    rows = []
    for entry in lines:
        item = items.get(entry.sku) or items.setdefault(entry.sku, item_for_move(session, entry.sku))
        line = _order_line(po, by_item.get(item.id, []), item, entry)
        quantity = positive_qty(entry.qty, decimals=item.unit_decimals, unit=item.unit)
        _within_tolerance(line, item, quantity)
        if entry.lot and item.tracking == "lot":
            _receive_lot(session, actor, item, entry.lot, entry.expiry)
        lot = lot_for_move(session, item, entry.lot)
        row = on_receipt.get((line.id, item.id, lot.id if lot else None))
        before = row.qty if row is not None else Decimal(0)
        move = ledger.move(
            session, mover, sku=item.sku, qty=quantity, source="SUPPLIER", target=dock.code, lot=entry.lot, serials=entry.serials,
            unit_cost=scan_cost(before, quantity, line.unit_price), reason=f"receipt {number}", ref_type="receipt", ref_id=number,
            op_id=entry.op_id,
        )
        line.received_qty += quantity
        if row is None:
            row = ReceiptLine(
                line_no=next_no, po_line_id=line.id, item_id=item.id, lot_id=move.lot_id, serials=list(entry.serials), qty=quantity,
                move_id=move.id, op_id=entry.op_id,
            )
            receipt.lines.append(row)
            on_receipt[(line.id, item.id, move.lot_id)] = row
            next_no += 1
        else:
            row.qty += quantity
            row.serials = [*row.serials, *entry.serials]
            row.move_id = move.id  # the line names the move that last counted goods onto it
        rows.append(row)
        record(
            session, actor, "receipt.line", "receipt", number, sku=item.sku, qty=fmt(quantity), lot=entry.lot, po_line=line.line_no,
            line=row.line_no, line_qty=fmt(row.qty), move=move.id,
        )
    return rows


def scan_cost(before: Decimal, qty: Decimal, price: Decimal) -> Decimal:
    """The unit cost one scan is valued at, so that a receipt line is worth its whole quantity at the order's price rounded
    once to the cent (what the bill clears from goods received not invoiced), however many scans counted it."""
    value = money((before + qty) * price) - money(before * price)
    cost = (value / qty).quantize(ledger.COST_UNIT)
    return cost if money(qty * cost) == value else price


def _order_line(po: PurchaseOrder, candidates: list[PurchaseOrderLine], item: Item, entry: ReceiveIn) -> PurchaseOrderLine:
    """The order line goods are received against: the one named, else the first of the item's lines with room left."""
    if entry.po_line is not None:
        candidates = [c for c in candidates if c.line_no == entry.po_line]
    if not candidates:
        at_en, at_zh = (f" at line {entry.po_line}", f"（第 {entry.po_line} 行）") if entry.po_line else ("", "")
        raise InvalidInput(
            f"Purchase order {po.number} has no line for {item.sku}{at_en}.", f"采购订单 {po.number} 没有 {item.sku} 的订单行{at_zh}。",
            code="not_on_order", sku=item.sku,
        )
    return next((c for c in candidates if c.received_qty - c.rejected_qty < c.qty), candidates[-1])


def receive_allowance(line: PurchaseOrderLine) -> Decimal:
    """How much more of a line may still be received: up to the over-receipt tolerance, rejected goods not counting."""
    return line.qty * (1 + OVER_RECEIPT_TOLERANCE) - (line.received_qty - line.rejected_qty)


def _within_tolerance(line: PurchaseOrderLine, item: Item, quantity: Decimal) -> None:
    limit = line.qty * (1 + OVER_RECEIPT_TOLERANCE)
    after = line.received_qty - line.rejected_qty + quantity
    if quantity > receive_allowance(line):
        raise Conflict(
            f"Receiving {fmt(quantity)} of {item.sku} would bring line {line.line_no} to {fmt(after)} of {fmt(line.qty)} ordered; "
            f"at most {fmt(limit)} may be received ({fmt(OVER_RECEIPT_TOLERANCE * 100)} % over).",
            f"收货 {fmt(quantity)} 将使第 {line.line_no} 行 {item.sku} 达到 {fmt(after)}（订购 {fmt(line.qty)}），"
            f"最多可收 {fmt(limit)}（允许超收 {fmt(OVER_RECEIPT_TOLERANCE * 100)}%）。",
            code="over_receipt", sku=item.sku, ordered=fmt(line.qty), received=fmt(line.received_qty - line.rejected_qty), allowed=fmt(limit),
        )


def _receive_lot(session: Session, actor: Actor, item: Item, code: str, expiry: dt.date | None) -> None:
    """A lot arriving for the first time is created with its expiry; a known lot must not change its expiry."""
    existing = find_lot(session, item, code)
    if existing is None:
        create_lot(session, actor.granted("lots.write"), LotCreate(sku=item.sku, code=code, expiry=expiry))
    elif expiry is not None and existing.expiry is not None and existing.expiry != expiry:
        raise Conflict(
            f"Lot {code} of {item.sku} expires on {existing.expiry}, not {expiry}.",
            f"{item.sku} 批次 {code} 的有效期是 {existing.expiry}，不是 {expiry}。",
            code="expiry_mismatch",
        )


@dataclasses.dataclass(frozen=True)
class Decision:
    """Inspection of one receipt line when receiving is done: how much is accepted, how much rejected and why."""

    line: int
    accepted: object
    rejected: object = 0
    reason: str = ""
    rejected_serials: Sequence[str] = ()


def complete_receipt(
    session: Session, actor: Actor, number: str, *, version: int | None = None, decisions: Sequence[Decision] = (),
    quarantine: str | None = None,
) -> Receipt:
    """Receiving is finished; further goods for the order start a new receipt.

    Without decisions the receipt waits for inspection line by line. With a decision for every line it is inspected at
    once: rejected goods move from the dock to the warehouse's quarantine with the reason, accepted goods get one put-away
    task per line, and the order counts them as accepted (only accepted goods can be billed)."""
    actor.require("purchase.receive")
    receipt = get_receipt(session, number, lock=True)
    if not receipt.lines:
        raise Conflict(f"Receipt {number} has no lines yet.", f"收货单 {number} 还没有收货行。", code="no_lines")
    flows.RECEIPT.check(number, receipt.status, "complete")
    check_signed_version(receipt, version, "Receipt", "收货单")
    if decisions:
        _check_decisions(receipt, decisions)
    transition(receipt, "complete")
    record(session, actor, "receipt.complete", "receipt", number, lines=len(receipt.lines), inspected=bool(decisions))
    for decision in decisions:
        inspect_line(
            session, actor, number, decision.line, accepted=decision.accepted, rejected=decision.rejected, note=decision.reason,
            quarantine=quarantine, rejected_serials=decision.rejected_serials,
        )
    return receipt


def _check_decisions(receipt: Receipt, decisions: Sequence[Decision]) -> None:
    """One decision for each line of the receipt (a reason for every rejection is inspect_line's rule, on every path)."""
    numbers = [d.line for d in decisions]
    known = {line.line_no for line in receipt.lines}
    unknown = sorted(set(numbers) - known)
    if unknown:
        raise InvalidInput(
            f"Receipt {receipt.number} has no line {', '.join(map(str, unknown))}.",
            f"收货单 {receipt.number} 没有第 {'、'.join(map(str, unknown))} 行。",
            code="unknown_line", lines=unknown,
        )
    twice = sorted(n for n, times in Counter(numbers).items() if times > 1)
    if twice:
        raise InvalidInput(
            f"Line {', '.join(map(str, twice))} is decided twice.", f"第 {'、'.join(map(str, twice))} 行重复填写。",
            code="duplicate_line", lines=twice,
        )
    missing = sorted(known - set(numbers))
    if missing:
        raise InvalidInput(
            f"Say what is accepted and rejected on every line; line {', '.join(map(str, missing))} is missing.",
            f"请为每一行填写合格数与不合格数；缺少第 {'、'.join(map(str, missing))} 行。",
            code="undecided_lines", lines=missing,
        )


def inspect_line(
    session: Session, actor: Actor, number: str, line_no: int, *, accepted: object, rejected: object = 0, note: str = "",
    quarantine: str | None = None, rejected_serials: Sequence[str] = (),
) -> ReceiptLine:
    """Quality inspection of one receipt line: accepted goods get a put-away task, rejected goods go to quarantine."""
    actor.require("purchase.receive")
    receipt = get_receipt(session, number, lock=True)
    flows.RECEIPT.check(number, receipt.status, "inspect")
    line = next((r for r in receipt.lines if r.line_no == line_no), None)
    if line is None:
        raise NotFound(f"Receipt {number} has no line {line_no}.", f"收货单 {number} 没有第 {line_no} 行。")
    if line.qc_status != "pending":
        raise Conflict(f"Line {line_no} of receipt {number} was already inspected.", f"收货单 {number} 第 {line_no} 行已质检。", code="already_inspected")
    item = session.get_one(Item, line.item_id)
    ok = as_decimal(accepted, "accepted")
    bad = as_decimal(rejected, "rejected")
    if ok < 0 or bad < 0 or ok + bad != line.qty:
        raise InvalidInput(
            f"Accepted and rejected must be non-negative and add up to the {fmt(line.qty)} received (got {fmt(ok)} + {fmt(bad)}).",
            f"合格数与不合格数不能为负，且合计须等于收货数 {fmt(line.qty)}（收到 {fmt(ok)} + {fmt(bad)}）。",
            code="inspection_mismatch",
        )
    if bad > 0 and not note.strip():  # whoever sorts out the quarantine later reads why
        raise InvalidInput(
            f"Line {line_no}: say why goods are rejected.", f"第 {line_no} 行：请填写不合格原因。",
            code="reason_required", line=line_no, field="note",
        )
    serials_bad = tuple(rejected_serials)
    if item.tracking == "serial":
        if len(serials_bad) != bad or not set(serials_bad) <= set(line.serials):
            raise InvalidInput(
                "List the serial number of each rejected unit, from this receipt line.",
                "请逐件列出本收货行中不合格商品的序列号。",
                code="serials_mismatch",
            )
    serials_ok = tuple(s for s in line.serials if s not in serials_bad)
    lot_code = session.scalar(select(Lot.code).where(Lot.id == line.lot_id)) if line.lot_id else None
    dock = session.get_one(Location, receipt.dock_id)
    mover = actor.granted("stock.move")
    if bad > 0:
        target = _quarantine(session, receipt, quarantine)
        ledger.move(
            session, mover, sku=item.sku, qty=bad, source=dock.code, target=target.code, lot=lot_code, serials=serials_bad,
            reason=f"rejected by inspection: {note}"[:200], ref_type="receipt", ref_id=number,
        )
    if ok > 0:
        session.add(
            PutawayTask(
                receipt_line_id=line.id, item_id=item.id, lot_id=line.lot_id, serials=list(serials_ok), qty=ok, from_location_id=dock.id,
                suggested_location_id=suggest_bin(session, item.id, receipt.warehouse_id, exclude={dock.id}),
            )
        )
    line.accepted_qty, line.rejected_qty, line.qc_note = ok, bad, note
    line.qc_status = "accepted" if bad == 0 else ("rejected" if ok == 0 else "partial")
    po = session.get_one(PurchaseOrder, receipt.po_id, with_for_update=True)
    po_line = next(pl for pl in po.lines if pl.id == line.po_line_id)
    po_line.accepted_qty += ok
    po_line.rejected_qty += bad
    if all(pl.accepted_qty >= pl.qty for pl in po.lines) and flows.PURCHASE_ORDER.allows(po.status, "complete"):
        transition(po, "complete")
    else:
        touch(po)
    _save(session, actor, po)
    touch(receipt)
    session.flush()
    if all(r.qc_status != "pending" for r in receipt.lines):
        transition(receipt, "put_away", new_version=False)  # inspecting the line made it a new version
        _maybe_finish(session, receipt)
    record(session, actor, "receipt.inspect", "receipt", number, line=line_no, accepted=fmt(ok), rejected=fmt(bad), note=note)
    return line


def _quarantine(session: Session, receipt: Receipt, code: str | None) -> Location:
    row: Location | None
    if code:
        row = location_for_move(session, code, "quarantine")
        if not row.quarantine or row.warehouse_id != receipt.warehouse_id:
            raise InvalidInput(f"{code} is not a quarantine location of this warehouse.", f"{code} 不是本仓库的隔离库位。", code="not_quarantine")
        return row
    row = session.scalar(
        select(Location).where(Location.warehouse_id == receipt.warehouse_id, Location.quarantine.is_(True), Location.active.is_(True)).order_by(Location.code).limit(1)
    )
    if row is None:
        raise Conflict(
            "This warehouse has no quarantine location for rejected goods; create one first.",
            "本仓库没有存放不合格品的隔离库位，请先创建。",
            code="no_quarantine",
        )
    return row


def suggest_bin(session: Session, item_id: int, warehouse_id: int, *, exclude: set[int] = frozenset()) -> int | None:  # type: ignore[assignment]
    """Where to put an item away: the bin of this warehouse already holding most of it, else the first empty bin by code."""
    usable = (Location.warehouse_id == warehouse_id) & (Location.kind == "bin") & Location.active.is_(True) & Location.quarantine.is_(False)
    if exclude:
        usable = usable & Location.id.not_in(exclude)
    holding = session.scalar(
        select(Location.id).join(Balance, Balance.location_id == Location.id)
        .where(usable, Balance.item_id == item_id, Balance.qty > 0)
        .group_by(Location.id, Location.code).order_by(func.sum(Balance.qty).desc(), Location.code).limit(1)
    )
    if holding is not None:
        return holding
    occupied = select(Balance.location_id).where(Balance.qty > 0)
    empty = session.scalar(select(Location.id).where(usable, Location.id.not_in(occupied)).order_by(Location.code).limit(1))
    return empty if empty is not None else session.scalar(select(Location.id).where(usable).order_by(Location.code).limit(1))


def putaway_tasks(session: Session, *, warehouse: str | None = None, status: str | None = "open", receipt: str | None = None) -> list[PutawayTask]:
    query = select(PutawayTask).order_by(PutawayTask.id)
    if status:
        query = query.where(PutawayTask.status == status)
    if warehouse:
        wh = _warehouse(session, warehouse)
        query = query.join(Location, PutawayTask.from_location_id == Location.id).where(Location.warehouse_id == wh.id)
    if receipt:
        rec = get_receipt(session, receipt)
        query = query.join(ReceiptLine, PutawayTask.receipt_line_id == ReceiptLine.id).where(ReceiptLine.receipt_id == rec.id)
    return list(session.scalars(query))


def confirm_putaway(session: Session, actor: Actor, task_id: int, *, location: str, op_id: str | None = None) -> PutawayTask:
    """The worker scanned the bin: the goods move from the dock into it (any bin of the warehouse, not only the suggested one)."""
    actor.require("purchase.receive")
    task = session.get(PutawayTask, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"No put-away task {task_id}.", f"没有上架任务 {task_id}。")
    flows.PUTAWAY_TASK.check(f"#{task_id}", task.status, "put_away")
    dock = session.get_one(Location, task.from_location_id)
    target = location_for_move(session, location, "location")
    if target.warehouse_id != dock.warehouse_id or not target.internal:
        raise InvalidInput(f"{location} is not a location of this warehouse.", f"{location} 不是本仓库的库位。", code="wrong_warehouse")
    item = session.get_one(Item, task.item_id)
    lot_code = session.scalar(select(Lot.code).where(Lot.id == task.lot_id)) if task.lot_id else None
    line = session.get_one(ReceiptLine, task.receipt_line_id)
    receipt = session.get_one(Receipt, line.receipt_id, with_for_update=True)
    move = ledger.move(
        session, actor.granted("stock.move"), sku=item.sku, qty=task.qty, source=dock.code, target=target.code, lot=lot_code, serials=task.serials,
        reason=f"put-away {receipt.number}", ref_type="receipt", ref_id=receipt.number, op_id=op_id,
    )
    task.to_location_id, task.move_id, task.done_by, task.done_at = target.id, move.id, actor.user_id, utcnow()
    transition(task, "put_away")
    session.flush()
    _maybe_finish(session, receipt)
    record(session, actor, "putaway.confirm", "putaway_task", task_id, receipt=receipt.number, location=location, qty=fmt(task.qty))
    return task


def _maybe_finish(session: Session, receipt: Receipt) -> None:
    if receipt.status != "putaway":
        return
    open_tasks = session.scalar(
        select(func.count()).select_from(PutawayTask).join(ReceiptLine, PutawayTask.receipt_line_id == ReceiptLine.id)
        .where(ReceiptLine.receipt_id == receipt.id, PutawayTask.status == "open")
    )
    if not open_tasks:
        transition(receipt, "close")


# Supplier bills ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BillLineIn:
    line: int  # the purchase order's line number
    qty: object
    unit_price: object
    vat_rate: object | None = None


def _bill_lines(session: Session, po: PurchaseOrder, lines: Sequence[BillLineIn]) -> list[BillLine]:
    if not lines:
        raise InvalidInput("A bill needs at least one line.", "发票至少需要一行。", code="no_lines")
    by_no = {line.line_no: line for line in po.lines}
    out = []
    for n, entry in enumerate(lines, 1):
        po_line = by_no.get(entry.line)
        if po_line is None:
            raise InvalidInput(f"Purchase order {po.number} has no line {entry.line}.", f"采购订单 {po.number} 没有第 {entry.line} 行。", code="unknown_line",
                               field=f"lines[{n - 1}].line")
        item = session.get_one(Item, po_line.item_id)
        with _at_line(n - 1):
            qty = positive_qty(entry.qty, decimals=item.unit_decimals, unit=item.unit)
            price = _price(entry.unit_price)
            rate = _vat(entry.vat_rate, item) if entry.vat_rate is not None else po_line.vat_rate
        net, tax = _line_amounts(qty, price, rate)
        out.append(BillLine(line_no=n, po_line_id=po_line.id, item_id=item.id, qty=qty, unit_price=price, vat_rate=rate, net=net, tax=tax))
    return out


def _bill_totals(bill: Bill) -> None:
    bill.subtotal = sum((line.net for line in bill.lines), Decimal(0))
    bill.tax = sum((line.tax for line in bill.lines), Decimal(0))
    bill.total = bill.subtotal + bill.tax


def create_bill(
    session: Session, actor: Actor, *, po: str, lines: Sequence[BillLineIn], supplier_ref: str = "", bill_date: dt.date | None = None,
    due_date: dt.date | None = None, note: str = "",
) -> Bill:
    actor.require("purchase.bill")
    order = get_po(session, po)
    if order.status in ("draft", "pending", "rejected", "cancelled"):
        raise Conflict(f"Purchase order {po} is not approved; it cannot be billed.", f"采购订单 {po} 未审批，不能登记发票。", code="wrong_state")
    supplier = session.get_one(Partner, order.supplier_id)
    on = bill_date or local_today()
    bill = Bill(
        number=next_number(session, "BILL"), status="draft", supplier_id=supplier.id, po_id=order.id, supplier_ref=supplier_ref,
        bill_date=on, due_date=due_date or on + dt.timedelta(days=supplier.payment_terms_days), note=note, created_by=actor.user_id,
    )
    bill.lines = _bill_lines(session, order, lines)
    _bill_totals(bill)
    session.add(bill)
    session.flush()
    record(session, actor, "bill.create", "bill", bill.number, po=po, total=fmt(bill.total), supplier_ref=supplier_ref)
    return bill


def update_bill(
    session: Session, actor: Actor, number: str, *, version: int | None, lines: Sequence[BillLineIn] | None = None,
    supplier_ref: str | None = None, due_date: dt.date | None = None, note: str | None = None,
) -> Bill:
    actor.require("purchase.bill")
    bill = get_bill(session, number, lock=True)
    check_signed_version(bill, version, "Bill", "供应商发票")
    fields = {f for f, v in (("lines", lines), ("supplier_ref", supplier_ref), ("due_date", due_date), ("note", note)) if v is not None}
    flows.BILL.require_editable(number, bill.status, fields)
    if lines is not None:
        po = session.get_one(PurchaseOrder, bill.po_id)
        _replace_lines(bill.lines, _bill_lines(session, po, lines), ("po_line_id", "item_id", "qty", "unit_price", "vat_rate", "net", "tax"))
        _bill_totals(bill)
    for field in ("supplier_ref", "due_date", "note"):
        if field in fields:
            setattr(bill, field, locals()[field])
    if fields:
        touch(bill)
        session.flush()
        record(session, actor, "bill.update", "bill", number, fields=sorted(fields), total=fmt(bill.total))
    return bill


def match_bill(session: Session, bill: Bill) -> list[dict[str, Any]]:
    """Three-way match: each line's quantity against what was accepted and not yet billed, its price and VAT rate against the order."""
    po = session.get_one(PurchaseOrder, bill.po_id)
    by_id = {line.id: line for line in po.lines}
    skus = _skus(session, {line.item_id for line in bill.lines})
    billing: dict[int, Decimal] = {}
    issues = []
    for line in bill.lines:
        po_line = by_id[line.po_line_id]
        sku = skus[line.item_id]
        billing[po_line.id] = billing.get(po_line.id, Decimal(0)) + line.qty
        open_qty = po_line.accepted_qty - po_line.billed_qty
        if billing[po_line.id] > open_qty:
            issues.append({
                "line": line.line_no, "sku": sku, "kind": "qty", "billed": fmt(billing[po_line.id]), "expected": fmt(open_qty),
                "message_en": f"Line {line.line_no} ({sku}) bills {fmt(billing[po_line.id])}, but only {fmt(open_qty)} was received, accepted and not yet billed.",
                "message_zh": f"第 {line.line_no} 行（{sku}）开票 {fmt(billing[po_line.id])}，但已收货合格且未开票的只有 {fmt(open_qty)}。",
            })
        allowed = po_line.unit_price * BILL_PRICE_TOLERANCE
        if abs(line.unit_price - po_line.unit_price) > allowed:
            issues.append({
                "line": line.line_no, "sku": sku, "kind": "price", "billed": fmt(line.unit_price), "expected": fmt(po_line.unit_price),
                "message_en": f"Line {line.line_no} ({sku}) is billed at {fmt(line.unit_price)}; the order says {fmt(po_line.unit_price)} "
                f"(tolerance {fmt(BILL_PRICE_TOLERANCE * 100)} %).",
                "message_zh": f"第 {line.line_no} 行（{sku}）开票单价 {fmt(line.unit_price)}，订单单价 {fmt(po_line.unit_price)}（容差 {fmt(BILL_PRICE_TOLERANCE * 100)}%）。",
            })
        if line.vat_rate != po_line.vat_rate:
            issues.append({
                "line": line.line_no, "sku": sku, "kind": "vat_rate", "billed": fmt(line.vat_rate), "expected": fmt(po_line.vat_rate),
                "message_en": f"Line {line.line_no} ({sku}) carries VAT {fmt(line.vat_rate)} %; the order says {fmt(po_line.vat_rate)} %.",
                "message_zh": f"第 {line.line_no} 行（{sku}）税率 {fmt(line.vat_rate)}%，订单税率 {fmt(po_line.vat_rate)}%。",
            })
    return issues


def post_bill(session: Session, actor: Actor, number: str, *, version: int | None = None) -> Bill:
    """Match and post. A mismatch blocks the bill (kept, with the reasons) instead of posting it; fix its lines and post again.

    Posting clears goods-received-not-invoiced at the order's price, books any price difference as a
    variance, the input VAT, and the payable to the supplier."""
    actor.require("purchase.bill")
    bill = get_bill(session, number, lock=True)
    check_signed_version(bill, version, "Bill", "供应商发票")
    flows.BILL.check(number, bill.status, "post")
    po = session.get_one(PurchaseOrder, bill.po_id, with_for_update=True)
    issues = match_bill(session, bill)
    if issues:
        transition(bill, "block")
        bill.match_issues = issues
        session.flush()
        record(session, actor, "bill.block", "bill", number, issues=issues)
        _notify(
            session, roles=["finance"], kind="bill.blocked", title_zh=f"发票匹配不符：{number}", title_en=f"Bill blocked by a mismatch: {number}",
            body_zh="；".join(i["message_zh"] for i in issues), body_en="; ".join(i["message_en"] for i in issues), ref_type="bill", ref_id=number,
        )
        return bill
    by_id = {line.id: line for line in po.lines}
    journal: list[tuple[str, Decimal, Decimal]] = []
    for line in bill.lines:
        po_line = by_id[line.po_line_id]
        cleared = money(line.qty * po_line.unit_price)
        journal += [(GRNI, cleared, Decimal(0)), (PRICE_VARIANCE, line.net - cleared, Decimal(0)), (VAT_IN, line.tax, Decimal(0))]
        po_line.billed_qty += line.qty
    journal.append((AP, Decimal(0), bill.total))
    post_journal(session, actor, source_type="bill", source_id=number, memo=f"{number} {bill.supplier_ref}".strip(), lines=journal)
    transition(bill, "post")
    bill.match_issues = []
    bill.posted_at = utcnow()
    touch(po)
    _save(session, actor, po)
    record(session, actor, "bill.post", "bill", number, total=fmt(bill.total), po=po.number)
    return bill


def cancel_bill(session: Session, actor: Actor, number: str) -> Bill:
    actor.require("purchase.bill")
    bill = get_bill(session, number, lock=True)
    transition(bill, "cancel")
    record(session, actor, "bill.cancel", "bill", number)
    return bill


# Lists ------------------------------------------------------------------------------------------


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
        "bill_date": Bill.bill_date, "due_date": Bill.due_date, "total": Bill.total, "paid": Bill.paid, "open": Bill.total - Bill.paid,
    }


def list_requisitions(
    session: Session, *, status: str | None, warehouse: str | None, limit: int, offset: int, supplier: str | None = None, sort: str | None = None,
    awaiting: Actor | None = None,
) -> tuple[list[Requisition], int]:
    """Requisitions, newest first or as `sort` asks; with `awaiting`, only the pending ones that user may decide on
    (see `may_decide_requisition`), oldest first without a sort."""
    query = select(Requisition)
    if status:
        query = query.where(Requisition.status == status)
    if warehouse:
        query = query.where(Requisition.warehouse_id == _warehouse_id(warehouse))
    if supplier:
        query = query.where(Requisition.supplier_id == _partner_id(supplier))
    if awaiting is None:
        return page(session, query, Requisition, limit, offset, sort=sort, fields=requisition_sort())
    query = query.where(Requisition.status == "pending", true() if awaiting.can("purchase.approve") else false())
    if awaiting.user_id is not None:
        query = query.where(or_(Requisition.created_by.is_(None), Requisition.created_by != awaiting.user_id))
    if awaiting.warehouse_ids:
        query = query.where(Requisition.warehouse_id.in_(awaiting.warehouse_ids))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = sorted_by(query, sort, requisition_sort(), default=(Requisition.id,), tiebreak=Requisition.id)
    return list(session.scalars(ordered.limit(limit).offset(offset))), total


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
    given = _valid_approvals(session, po)
    if po.created_by == actor.user_id or any(a.user_id == actor.user_id for a in given) or len(given) >= len(po.approval_roles):
        return False
    if not actor.may_use_warehouse(po.warehouse_id):
        return False
    role = po.approval_roles[len(given)]
    return role in actor.roles or "admin" in actor.roles


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
    hidden: Collection[str] = (),
) -> tuple[list[Bill], int]:
    query = select(Bill)
    if status:
        query = query.where(Bill.status == status)
    if supplier:
        query = query.where(Bill.supplier_id == _partner_id(supplier))
    if po:
        query = query.where(Bill.po_id == select(PurchaseOrder.id).where(PurchaseOrder.number == po).scalar_subquery())
    return page(session, query, Bill, limit, offset, sort=sort, fields=bill_sort(), hidden=hidden)
