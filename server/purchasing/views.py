"""Purchasing documents as the API shows them; prices only to those whose role may see them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.permissions import SYSTEM, Actor
from server.auth.visibility import visible
from server.catalog.models import Item, Lot
from server.documents import flows
from server.documents.lines import base_price, counted, unit_price_of
from server.documents.models import Approval
from server.finance.services import money
from server.locations.models import Location
from server.partners.models import Partner
from server.purchasing import services
from server.purchasing.models import Bill, PurchaseOrder, PurchaseOrderLine, PurchaseReturn, PutawayTask, Receipt, ReceiptLine, Requisition
from server.purchasing.schemas import (
    ApprovalOut,
    BillLineOut,
    BillOut,
    MatchIssue,
    POLineOut,
    POOut,
    PurchaseReturnLineOut,
    PurchaseReturnOut,
    PutawayOut,
    ReceiptLineOut,
    ReceiptOut,
    RequisitionLineOut,
    RequisitionOut,
)
from server.schemas import fmt


def _codes(session: Session, model, ids: set[int | None], column: str = "code") -> dict[int, str]:  # type: ignore[no-untyped-def]
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, getattr(model, column)).where(model.id.in_(wanted))).all())


def _items(session: Session, ids: set[int]) -> dict[int, Item]:
    return {row.id: row for row in session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}


def requisition_actions(session: Session, actor: Actor, req: Requisition) -> list[str]:
    """What `actor` may do to the requisition now; approving and rejecting only when the level it waits at is theirs to sign
    (not its requester's, in its warehouse)."""
    actions = flows.REQUISITION.actions_for(req.status, actor)
    if "approve" in actions and not services.may_decide_requisition(session, actor, req):
        actions = [a for a in actions if a not in ("approve", "reject")]
    return actions


def _approvals_out(rows: list[tuple[Approval, str]]) -> list[ApprovalOut]:
    return [
        ApprovalOut(level=a.level, role=a.role, user=user, decision=a.decision, version=a.version, comment=a.comment, void=a.void, at=a.at)
        for a, user in rows
    ]


def requisition_out(session: Session, actor: Actor, req: Requisition) -> RequisitionOut:
    items = _items(session, {line.item_id for line in req.lines})
    po = session.scalar(select(PurchaseOrder.number).where(PurchaseOrder.id == req.po_id)) if req.po_id else None
    requester = session.scalar(select(User.username).where(User.id == req.created_by)) if req.created_by else None
    return visible(actor, RequisitionOut(
        number=req.number, status=req.status, actions=requisition_actions(session, actor, req), source=req.source,
        warehouse=_codes(session, Location, {req.warehouse_id})[req.warehouse_id],
        supplier=_codes(session, Partner, {req.supplier_id}).get(req.supplier_id) if req.supplier_id else None,
        needed_by=req.needed_by, note=req.note, po=po, version=req.version, created_at=req.created_at,
        requested_by=requester or SYSTEM.username, approvals=_approvals_out(services.requisition_approvals(session, req)),
        lines=[
            RequisitionLineOut(line=line.line_no, sku=items[line.item_id].sku, name_zh=items[line.item_id].name_zh, name_en=items[line.item_id].name_en,
                               unit=items[line.item_id].unit, qty=fmt(line.qty) or "0")
            for line in req.lines
        ],
        approval_roles=list(req.approval_roles or []),
        estimated_value=fmt(services.requisition_facts(session, req).amount) or "0",
    ))


def po_actions(session: Session, actor: Actor, po: PurchaseOrder) -> list[str]:
    """What `actor` may do to the order now; approving and rejecting only when the next signature awaited is theirs."""
    actions = flows.PURCHASE_ORDER.actions_for(po.status, actor)
    if "approve" in actions and not services.may_approve_next(session, actor, po):
        actions = [a for a in actions if a not in ("approve", "reject")]
    return actions


def po_out(session: Session, actor: Actor, po: PurchaseOrder) -> POOut:
    items = _items(session, {line.item_id for line in po.lines})
    creator = session.scalar(select(User.username).where(User.id == po.created_by)) if po.created_by else None

    def line_out(line: PurchaseOrderLine) -> POLineOut:
        item = items[line.item_id]
        return POLineOut(
            line=line.line_no, sku=item.sku, name_zh=item.name_zh, name_en=item.name_en, qty=fmt(line.qty) or "0",
            unit_price=fmt(line.unit_price), vat_rate=fmt(line.vat_rate) or "0", net=fmt(money(line.qty * base_price(line))),
            base_unit=item.unit, **counted(line, item.unit), discount=fmt(line.discount) or "0", net_price=fmt(unit_price_of(line)) or "0",
            received=fmt(line.received_qty) or "0", rejected=fmt(line.rejected_qty) or "0",
            accepted=fmt(line.accepted_qty) or "0", billed=fmt(line.billed_qty) or "0",
            may_receive=fmt(max(services.receive_allowance(line), Decimal(0))) or "0",
            returned=fmt(line.returned_qty + line.returned_rejected_qty) or "0",
            may_return_rejected=fmt(max(services.still_returnable(session, line, rejected=True), Decimal(0))) or "0",
            may_return_accepted=fmt(max(services.still_returnable(session, line, rejected=False), Decimal(0))) or "0",
            to_bill=fmt(max(line.accepted_qty - line.returned_qty - line.billed_qty, Decimal(0))) or "0",
        )

    return visible(actor, POOut(
        number=po.number, status=po.status, actions=po_actions(session, actor, po), supplier=_codes(session, Partner, {po.supplier_id})[po.supplier_id],
        warehouse=_codes(session, Location, {po.warehouse_id})[po.warehouse_id], currency=po.currency, expected_date=po.expected_date,
        exchange_rate=fmt(po.exchange_rate), note=po.note, version=po.version,
        subtotal=fmt(po.subtotal), tax=fmt(po.tax), total=fmt(po.total), total_cny=fmt(po.total_cny), discount=fmt(po.discount) or "0",
        approval_roles=list(po.approval_roles or []),
        approvals=_approvals_out(services.approvals_of(session, po)),
        lines=[line_out(line) for line in po.lines], created_by=creator, created_at=po.created_at, promised_date=po.promised_date,
    ))


def putaway_out(session: Session, actor: Actor, tasks: list[PutawayTask]) -> list[PutawayOut]:
    if not tasks:
        return []
    items = _items(session, {t.item_id for t in tasks})
    locations = _codes(session, Location, {t.from_location_id for t in tasks} | {t.suggested_location_id for t in tasks} | {t.to_location_id for t in tasks})
    lots = _codes(session, Lot, {t.lot_id for t in tasks})
    receipts = dict(
        session.execute(
            select(ReceiptLine.id, Receipt.number).join(Receipt, ReceiptLine.receipt_id == Receipt.id)
            .where(ReceiptLine.id.in_({t.receipt_line_id for t in tasks}))
        ).all()
    )
    return [
        PutawayOut(
            id=t.id, receipt=receipts[t.receipt_line_id], sku=items[t.item_id].sku, name_zh=items[t.item_id].name_zh,
            name_en=items[t.item_id].name_en, lot=lots.get(t.lot_id) if t.lot_id else None, serials=list(t.serials or []),
            qty=fmt(t.qty) or "0", from_=locations[t.from_location_id],
            suggested=locations.get(t.suggested_location_id) if t.suggested_location_id else None,
            to=locations.get(t.to_location_id) if t.to_location_id else None, status=t.status, version=t.version,
            actions=flows.PUTAWAY_TASK.actions_for(t.status, actor),
        )
        for t in tasks
    ]


def receipt_out(session: Session, actor: Actor, receipt: Receipt) -> ReceiptOut:
    items = _items(session, {line.item_id for line in receipt.lines})
    lots = {row.id: row for row in session.scalars(select(Lot).where(Lot.id.in_({line.lot_id for line in receipt.lines if line.lot_id})))}
    po_lines = dict(
        session.execute(select(PurchaseOrderLine.id, PurchaseOrderLine.line_no).where(PurchaseOrderLine.po_id == receipt.po_id)).all()
    )
    locations = _codes(session, Location, {receipt.warehouse_id, receipt.dock_id})
    return ReceiptOut(
        number=receipt.number, status=receipt.status, actions=flows.RECEIPT.actions_for(receipt.status, actor), po=session.scalar(select(PurchaseOrder.number).where(PurchaseOrder.id == receipt.po_id)) or "",
        warehouse=locations[receipt.warehouse_id], dock=locations[receipt.dock_id], note=receipt.note, version=receipt.version,
        created_at=receipt.created_at,
        lines=[
            ReceiptLineOut(
                line=line.line_no, po_line=po_lines[line.po_line_id], sku=items[line.item_id].sku,
                lot=lots[line.lot_id].code if line.lot_id else None, expiry=lots[line.lot_id].expiry if line.lot_id else None,
                serials=list(line.serials or []), qty=fmt(line.qty) or "0", accepted=fmt(line.accepted_qty) or "0",
                rejected=fmt(line.rejected_qty) or "0", qc_status=line.qc_status, qc_note=line.qc_note, move=line.move_id,
            )
            for line in receipt.lines
        ],
        putaway=putaway_out(session, actor, services.putaway_tasks(session, status=None, receipt=receipt.number)) if receipt.lines else [],
    )


def bill_out(session: Session, actor: Actor, bill: Bill) -> BillOut:
    bill_items = _items(session, {line.item_id for line in bill.lines})
    skus = {i: item.sku for i, item in bill_items.items()}
    units = {i: item.unit for i, item in bill_items.items()}
    po_lines = dict(session.execute(select(PurchaseOrderLine.id, PurchaseOrderLine.line_no).where(PurchaseOrderLine.po_id == bill.po_id)).all())
    return visible(actor, BillOut(
        number=bill.number, kind=bill.kind, status=bill.status,
        actions=[a for a in flows.BILL.actions_for(bill.status, actor) if a != "record-payment" or bill.kind != "debit_note"],
        credits=session.scalar(select(Bill.number).where(Bill.id == bill.credits_id)) if bill.credits_id else None, supplier=_codes(session, Partner, {bill.supplier_id})[bill.supplier_id],
        po=session.scalar(select(PurchaseOrder.number).where(PurchaseOrder.id == bill.po_id)) or "", supplier_ref=bill.supplier_ref,
        bill_date=bill.bill_date, due_date=bill.due_date, currency=bill.currency, exchange_rate=fmt(bill.exchange_rate),
        subtotal=fmt(bill.subtotal) or "0", tax=fmt(bill.tax) or "0", total=fmt(bill.total) or "0", total_cny=fmt(bill.total_cny) or "0", paid=fmt(bill.paid) or "0",
        credited=fmt(bill.credited) or "0", open=fmt(bill.total - bill.paid - bill.credited) or "0",
        match_issues=[MatchIssue(**issue) for issue in bill.match_issues or []], note=bill.note, version=bill.version,
        lines=[
            BillLineOut(
                line=line.line_no, po_line=po_lines[line.po_line_id], sku=skus[line.item_id], qty=fmt(line.qty) or "0",
                unit_price=fmt(line.unit_price) or "0", vat_rate=fmt(line.vat_rate) or "0", net=fmt(line.net) or "0", tax=fmt(line.tax) or "0",
                **counted(line, units[line.item_id]),
            )
            for line in bill.lines
        ],
    ))


def purchase_return_out(session: Session, actor: Actor, rma: PurchaseReturn) -> PurchaseReturnOut:
    items = _items(session, {line.item_id for line in rma.lines})
    po = session.get_one(PurchaseOrder, rma.po_id)
    po_lines = {line.id: line.line_no for line in po.lines}
    locations = _codes(session, Location, {rma.warehouse_id, *(line.location_id for line in rma.lines)})
    lots = _codes(session, Lot, {line.lot_id for line in rma.lines})
    creator = session.scalar(select(User.username).where(User.id == rma.created_by)) if rma.created_by else None
    shipped = rma.status == "shipped"
    return visible(actor, PurchaseReturnOut(
        number=rma.number, status=rma.status, actions=flows.PURCHASE_RETURN.actions_for(rma.status, actor), po=po.number,
        supplier=_codes(session, Partner, {rma.supplier_id})[rma.supplier_id], warehouse=locations[rma.warehouse_id],
        supplier_ref=rma.supplier_ref, currency=po.currency,
        debit_note=session.scalar(select(Bill.number).where(Bill.id == rma.debit_note_id)) if rma.debit_note_id else None,
        note=rma.note, version=rma.version, created_by=creator, created_at=rma.created_at, shipped_at=rma.shipped_at,
        value=fmt(sum((line.value for line in rma.lines), Decimal(0))) or "0" if shipped else None,
        lines=[
            PurchaseReturnLineOut(
                line=line.line_no, po_line=po_lines[line.po_line_id], sku=items[line.item_id].sku, name_zh=items[line.item_id].name_zh,
                name_en=items[line.item_id].name_en, location=locations[line.location_id], rejected=line.rejected,
                lot=lots.get(line.lot_id) if line.lot_id else None, serials=list(line.serials or []), qty=fmt(line.qty) or "0", reason=line.reason,
                value=(fmt(line.value) or "0") if shipped else None, debited=fmt(line.debited_qty) or "0", move=line.move_id,
            )
            for line in rma.lines
        ],
    ))
