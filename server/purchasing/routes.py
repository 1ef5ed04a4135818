"""Purchasing endpoints: requisitions, reorder rules, purchase orders and approvals, receipts, put-away, bills."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.orm import Session

from server.api import get, patch, post, put, run_idempotent
from server.auth.permissions import Actor
from server.auth.visibility import visible_snapshot
from server.db import Database
from server.documents import approvals
from server.documents.models import ApprovalRule
from server.documents.services import changes_between, snapshot_of
from server.errors import Conflict, NotFound
from server.purchasing import reorder, services
from server.purchasing.history import describe_change
from server.purchasing.schemas import (
    ApplyDebitNote,
    ApprovalKind,
    ApprovalRuleOut,
    ApprovalRules,
    BillCreate,
    BillOut,
    BillPage,
    BillPost,
    BillUpdate,
    ChangeOut,
    Inspection,
    POCreate,
    POOut,
    POPage,
    POUpdate,
    POVersionOut,
    PurchaseReturnCreate,
    PurchaseReturnOut,
    PurchaseReturnPage,
    PurchaseReturnUpdate,
    PutawayConfirm,
    PutawayOut,
    PutawayPage,
    Reason,
    ReceiptComplete,
    ReceiptCreate,
    ReceiptLineOut,
    ReceiptOut,
    ReceiptPage,
    ReceiveBatch,
    ReceiveLine,
    ReorderCheckOut,
    ReorderRuleIn,
    ReorderRuleOut,
    RequisitionCreate,
    RequisitionOrder,
    RequisitionOut,
    RequisitionPage,
    RequisitionUpdate,
    Signed,
)
from server.purchasing.views import bill_out, po_out, purchase_return_out, putaway_out, receipt_out, requisition_out
from server.schemas import Limit, Offset, RowId, Sort, fmt
from server.sorting import unseen

DocNumber = FromPath[str]
Status = str | None


def _lines(data: Any) -> list[services.LineIn]:
    return [
        services.LineIn(sku=line.sku, qty=line.qty, unit_price=line.unit_price, vat_rate=getattr(line, "vat_rate", None), unit=getattr(line, "unit", None),
                        discount=getattr(line, "discount", None))
        for line in data
    ]


def _bill_lines(data: Any) -> list[services.BillLineIn]:
    return [services.BillLineIn(line=line.line, qty=line.qty, unit_price=line.unit_price, vat_rate=line.vat_rate, unit=line.unit) for line in data]


def _decisions(data: Any) -> list[services.Decision]:
    return [services.Decision(line=d.line, accepted=d.accepted, rejected=d.rejected, reason=d.reason, rejected_serials=tuple(d.rejected_serials))
            for d in data]


class RequisitionController(Controller):
    path = "/api/v1/requisitions"
    tags = ["purchasing"]

    @get("/", summary="Requisitions / 请购单列表")
    def list_requisitions(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: Status = Parameter(default=None, max_length=24),
        warehouse: str | None = Parameter(default=None, max_length=64), supplier: str | None = Parameter(default=None, max_length=64),
        awaiting_me: FromQuery[bool] = False, limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> RequisitionPage:
        """Requisitions, newest first or as `sort` asks; with `awaiting_me`, only the pending ones you may decide on, oldest first."""
        with db.read() as session:
            rows, total = services.list_requisitions(
                session, status=status, warehouse=warehouse, supplier=supplier, limit=limit, offset=offset, sort=sort,
                awaiting=actor if awaiting_me else None,
            )
            return RequisitionPage(items=[requisition_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One requisition / 单个请购单")
    def get_requisition(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> RequisitionOut:
        """One requisition with its lines."""
        with db.read() as session:
            return requisition_out(session, actor, services.get_requisition(session, number))

    @post("/", summary="Request a purchase / 新建请购单")
    def create_requisition(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[RequisitionCreate]
    ) -> Response[RequisitionOut]:
        """Asks for items to be bought for a warehouse. A purchaser's request is open at once; anyone else's waits for an approver."""

        def action(session: Session) -> RequisitionOut:
            req = services.create_requisition(
                session, actor, warehouse=data.warehouse, supplier=data.supplier, needed_by=data.needed_by, note=data.note,
                lines=[services.LineIn(sku=line.sku, qty=line.qty) for line in data.lines],
            )
            return requisition_out(session, actor, req)

        return run_idempotent(db, actor, request, data, action, RequisitionOut)

    @patch("/{number:str}", summary="Change a requisition / 修改请购单")
    def update_requisition(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[RequisitionUpdate]
    ) -> RequisitionOut:
        """Changes a requisition, signing the version you saw: anything while it waits for approval (the approvals given are void,
        and the approval rules decide afresh who approves it), once open only its supplier, date needed and note."""
        return db.run_write(lambda s: requisition_out(s, actor, services.update_requisition(
            s, actor, number, version=data.version, note=data.note, supplier=data.supplier, needed_by=data.needed_by,
            lines=[services.LineIn(sku=line.sku, qty=line.qty) for line in data.lines] if data.lines is not None else None,
        )))

    @post("/{number:str}/approve", status_code=200, summary="Approve the version you saw / 审批通过请购单")
    def approve_requisition(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Signed]
    ) -> RequisitionOut:
        """Gives one level of approval to a pending requisition, signing the version you saw; after the last level it is open for
        a purchaser to order."""
        return db.run_write(lambda s: requisition_out(s, actor, services.approve_requisition(s, actor, number, version=data.version, comment=data.comment)))

    @post("/{number:str}/reject", status_code=200, summary="Reject with a comment / 驳回请购单")
    def reject_requisition(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Signed]
    ) -> RequisitionOut:
        """Turns down a pending requisition, with a comment saying why; it ends there."""
        return db.run_write(lambda s: requisition_out(s, actor, services.reject_requisition(s, actor, number, version=data.version, comment=data.comment)))

    @post("/{number:str}/order", status_code=201, summary="Order a requisition / 请购单转采购订单")
    def order_requisition(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[RequisitionOrder]
    ) -> POOut:
        """Makes a draft purchase order for an open requisition, from its supplier or the one given."""
        return db.run_write(lambda s: po_out(s, actor, services.order_requisition(s, actor, number, supplier=data.supplier, version=data.version)))

    @post("/{number:str}/cancel", status_code=200, summary="Cancel a requisition / 取消请购单")
    def cancel_requisition(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Reason]) -> RequisitionOut:
        """Cancels a requisition that is pending or open."""
        return db.run_write(lambda s: requisition_out(s, actor, services.cancel_requisition(s, actor, number, reason=data.reason)))


class ReorderController(Controller):
    path = "/api/v1/reorder-rules"
    tags = ["purchasing"]

    @get("/", summary="Reorder rules with what is available and on order / 再订货规则")
    def list_rules(
        self, db: NamedDependency[Database], warehouse: str | None = Parameter(default=None, max_length=64),
        sku: str | None = Parameter(default=None, max_length=64),
    ) -> list[ReorderRuleOut]:
        """The reorder rules, each with what its item has available and on order in the warehouse."""
        with db.read() as session:
            return [
                ReorderRuleOut(
                    sku=item, warehouse=wh, min_qty=fmt(rule.min_qty) or "0", reorder_qty=fmt(rule.reorder_qty) or "0", supplier=supplier,
                    active=rule.active, available=fmt(reorder.available_in(session, rule.item_id, rule.warehouse_id)) or "0",
                    on_order=fmt(reorder.on_order(session, rule.item_id, rule.warehouse_id)) or "0",
                )
                for rule, item, wh, supplier in reorder.rules(session, warehouse=warehouse, sku=sku)
            ]

    @put("/", summary="Set an item's reorder rule in a warehouse / 设置再订货规则")
    def set_rule(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[ReorderRuleIn]) -> ReorderRuleOut:
        """Creates or replaces an item's reorder rule in a warehouse: when available plus on order falls below `min_qty`, a requisition for
        `reorder_qty` is raised."""

        def action(session: Session) -> ReorderRuleOut:
            rule = reorder.set_rule(
                session, actor, sku=data.sku, warehouse=data.warehouse, min_qty=data.min_qty, reorder_qty=data.reorder_qty,
                supplier=data.supplier, active=data.active,
            )
            return ReorderRuleOut(
                sku=data.sku, warehouse=data.warehouse, min_qty=fmt(rule.min_qty) or "0", reorder_qty=fmt(rule.reorder_qty) or "0",
                supplier=data.supplier, active=rule.active, available=fmt(reorder.available_in(session, rule.item_id, rule.warehouse_id)) or "0",
                on_order=fmt(reorder.on_order(session, rule.item_id, rule.warehouse_id)) or "0",
            )

        return db.run_write(action)

    @post("/check", status_code=200, summary="Check every reorder rule now / 立即检查再订货")
    def check(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> ReorderCheckOut:
        """Checks every active reorder rule now, and answers with the requisitions raised for items that are short."""

        def action(session: Session) -> ReorderCheckOut:
            actor.require("purchase.request")
            return ReorderCheckOut(requisitions=[r.number for r in reorder.check_all(session, actor)])

        return db.run_write(action)


def _rules_out(session: Session, rows: list[ApprovalRule]) -> list[ApprovalRuleOut]:
    categories, warehouses = approvals.scope_codes(session, rows)
    return [
        ApprovalRuleOut(above=fmt(r.above) or "0", up_to=fmt(r.up_to), levels=list(r.levels), kind=r.doc_type, priority=r.priority,
                        category=categories.get(r.category_id) if r.category_id else None,
                        warehouse=warehouses.get(r.warehouse_id) if r.warehouse_id else None)
        for r in rows
    ]


class ApprovalRuleController(Controller):
    path = "/api/v1/approval-rules"
    tags = ["purchasing"]

    @get("/", summary="Approval rules / 审批规则")
    def list_rules(self, db: NamedDependency[Database], kind: FromQuery[ApprovalKind] = "purchase_order") -> list[ApprovalRuleOut]:
        """A kind's approval rules (purchase orders', requisitions' or transfer orders'), the first tried first: the first a
        document matches — its amount in the band, an item of the category on a line, of the warehouse — says which roles
        approve it, in order; a document no rule matches needs no approval."""
        with db.read() as session:
            return _rules_out(session, services.approval_rules(session, kind))

    @put("/", summary="Replace a kind's approval rules / 修改审批规则")
    def replace_rules(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[ApprovalRules]) -> list[ApprovalRuleOut]:
        """Replaces a kind's approval rules, tried in the order given. Bands of the same category and warehouse may not overlap;
        the bands for every document follow each other with no gap up to no limit; a rule the ones before it always pre-empt
        is refused."""

        def action(session: Session) -> list[ApprovalRuleOut]:
            rows = services.replace_approval_rules(session, actor, [
                approvals.RuleIn(above=r.above, up_to=r.up_to, levels=list(r.levels), category=r.category, warehouse=r.warehouse)
                for r in data.rules
            ], kind=data.kind)
            return _rules_out(session, rows)

        return db.run_write(action)


class PurchaseOrderController(Controller):
    path = "/api/v1/purchase-orders"
    tags = ["purchasing"]

    @get("/", summary="Purchase orders / 采购订单列表")
    def list_pos(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: Status = Parameter(default=None, max_length=24),
        supplier: str | None = Parameter(default=None, max_length=64), warehouse: str | None = Parameter(default=None, max_length=64),
        awaiting_me: FromQuery[bool] = False, limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> POPage:
        """Purchase orders, newest first or as `sort` asks; with `awaiting_me`, only those waiting for your approval, oldest first."""
        with db.read() as session:
            rows, total = services.list_pos(
                session, status=status, supplier=supplier, warehouse=warehouse, awaiting=actor if awaiting_me else None, limit=limit, offset=offset,
                sort=sort, hidden=unseen(actor, POOut),
            )
            return POPage(items=[po_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One purchase order / 单个采购订单")
    def get_po(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> POOut:
        """One purchase order with its lines and approvals."""
        with db.read() as session:
            return po_out(session, actor, services.get_po(session, number))

    @get("/{number:str}/versions/{version:int}", summary="A past version and what it changed / 历史版本")
    def get_version(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, version: RowId) -> POVersionOut:
        """A past version of a purchase order, and what changed from the version before it."""
        with db.read() as session:
            po = services.get_po(session, number)
            snap = snapshot_of(session, "po", po.id, version)
            if snap is None:
                raise NotFound(f"Purchase order {number} has no version {version}.", f"采购订单 {number} 没有版本 {version}。")
            before = snapshot_of(session, "po", po.id, version - 1) or {}
            snap, before = visible_snapshot(actor, "po", snap), visible_snapshot(actor, "po", before)
            changes = changes_between(before, snap) if before else []
            return POVersionOut(
                number=number, version=version, snapshot=snap,
                changes_since_previous=[ChangeOut(**c, said_en=en, said_zh=zh) for c in changes for en, zh in [describe_change(c, before, snap)]],
            )

    @post("/", summary="Create a purchase order / 新建采购订单")
    def create_po(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[POCreate]
    ) -> Response[POOut]:
        """Creates a draft purchase order, typed in or from open requisitions (whose lines it takes over)."""

        def action(session: Session) -> POOut:
            po = services.create_po(
                session, actor, supplier=data.supplier, warehouse=data.warehouse, lines=_lines(data.lines), requisitions=data.requisitions,
                expected_date=data.expected_date, note=data.note, currency=data.currency, discount=data.discount,
            )
            return po_out(session, actor, po)

        return run_idempotent(db, actor, request, data, action, POOut)

    @patch("/{number:str}", summary="Change a purchase order / 修改采购订单")
    def update_po(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[POUpdate]) -> POOut:
        """Changes a purchase order as far as its state allows; a change while approval is pending voids the approvals given."""
        return db.run_write(
            lambda s: po_out(s, actor, services.update_po(
                s, actor, number, version=data.version, lines=_lines(data.lines) if data.lines is not None else None,
                expected_date=data.expected_date, note=data.note, discount=data.discount,
            ))
        )

    @post("/{number:str}/submit", status_code=200, summary="Submit for approval / 提交审批")
    def submit(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Reason]) -> POOut:
        """Sends a draft order for approval: the approval rules for its total decide how many approvals it needs, by which roles. One that
        needs none is approved at once."""
        return db.run_write(lambda s: po_out(s, actor, services.submit_po(s, actor, number, version=data.version)))

    @post("/{number:str}/approve", status_code=200, summary="Approve the version you saw / 审批通过")
    def approve(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Signed]) -> POOut:
        """Gives one level of approval, signing the version you saw; the last level approves the order."""
        return db.run_write(lambda s: po_out(s, actor, services.approve_po(s, actor, number, version=data.version, comment=data.comment)))

    @post("/{number:str}/reject", status_code=200, summary="Reject with a comment / 驳回")
    def reject(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Signed]) -> POOut:
        """Turns down an order pending approval, with a comment saying why."""
        return db.run_write(lambda s: po_out(s, actor, services.reject_po(s, actor, number, version=data.version, comment=data.comment)))

    @post("/{number:str}/withdraw", status_code=200, summary="Withdraw from approval / 撤回审批")
    def withdraw(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Reason]) -> POOut:
        """Takes an order back from approval to draft; the approvals given are void."""
        return db.run_write(lambda s: po_out(s, actor, services.withdraw_po(s, actor, number, version=data.version)))

    @post("/{number:str}/revise", status_code=200, summary="Revise a rejected order / 修改被驳回的订单")
    def revise(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Reason]) -> POOut:
        """Takes a rejected order back to draft, to be changed and submitted again."""
        return db.run_write(lambda s: po_out(s, actor, services.revise_po(s, actor, number, version=data.version)))

    @post("/{number:str}/cancel", status_code=200, summary="Cancel / 取消")
    def cancel(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Reason]) -> POOut:
        """Cancels an order nothing has been received on; its requisitions are open again."""
        return db.run_write(lambda s: po_out(s, actor, services.cancel_po(s, actor, number, version=data.version, reason=data.reason)))

    @post("/{number:str}/close", status_code=200, summary="Close, short of the rest / 关闭（不再收货）")
    def close(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Reason]) -> POOut:
        """Closes a partly received order: the rest is no longer expected."""
        return db.run_write(lambda s: po_out(s, actor, services.close_po(s, actor, number, version=data.version, reason=data.reason)))


class ReceiptController(Controller):
    path = "/api/v1/receipts"
    tags = ["purchasing"]

    @get("/", summary="Receipts / 收货单列表")
    def list_receipts(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: Status = Parameter(default=None, max_length=24), po: str | None = Parameter(default=None, max_length=64),
        warehouse: str | None = Parameter(default=None, max_length=64), limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> ReceiptPage:
        """Receipts, newest first or as `sort` asks, narrowed by state, purchase order or warehouse."""
        with db.read() as session:
            rows, total = services.list_receipts(session, status=status, po=po, warehouse=warehouse, limit=limit, offset=offset, sort=sort)
            return ReceiptPage(items=[receipt_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One receipt / 单个收货单")
    def get_receipt(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> ReceiptOut:
        """One receipt with its lines and what inspection decided on them."""
        with db.read() as session:
            return receipt_out(session, actor, services.get_receipt(session, number))

    @post("/", summary="Start receiving against a purchase order / 新建收货单")
    def create_receipt(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[ReceiptCreate]
    ) -> Response[ReceiptOut]:
        """Starts receiving against an approved purchase order, into the warehouse's dock."""
        return run_idempotent(
            db, actor, request, data, lambda s: receipt_out(s, actor, services.create_receipt(s, actor, po=data.po, dock=data.dock, note=data.note)), ReceiptOut
        )

    @post("/{number:str}/lines", summary="Receive goods / 收货")
    def receive(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber,
        data: JSONBody[ReceiveLine],
    ) -> Response[ReceiptLineOut]:
        """Counts goods in at the dock against a line of the order, within the over-receipt tolerance; answers with the receipt line."""

        def action(session: Session) -> ReceiptLineOut:
            line = services.receive_line(
                session, actor, number, sku=data.sku, qty=data.qty, po_line=data.line, lot=data.lot, expiry=data.expiry,
                serials=data.serials, op_id=request.headers.get("idempotency-key"),
            )
            out = receipt_out(session, actor, services.get_receipt(session, number))
            return next(r for r in out.lines if r.line == line.line_no)

        return run_idempotent(db, actor, request, data, action, ReceiptLineOut)

    @post("/{number:str}/lines/batch", summary="Receive many lines at once, all or nothing / 批量收货")
    def receive_batch(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber,
        data: JSONBody[ReceiveBatch],
    ) -> Response[ReceiptOut]:
        """Counts many lines in at once, all or nothing; goods of the same order line and lot add up on one receipt line."""

        def action(session: Session) -> ReceiptOut:
            services.receive_lines(session, actor, number, [
                services.ReceiveIn(sku=line.sku, qty=line.qty, po_line=line.line, lot=line.lot, expiry=line.expiry, serials=tuple(line.serials))
                for line in data.lines
            ])
            return receipt_out(session, actor, services.get_receipt(session, number))

        return run_idempotent(db, actor, request, data, action, ReceiptOut)

    @post("/{number:str}/complete", status_code=200, summary="Finish receiving, inspected at once / 完成收货")
    def complete(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[ReceiptComplete | None] = None,
    ) -> ReceiptOut:
        """Finishes receiving. With a decision for every line the goods are inspected at once (rejected ones to quarantine, accepted ones to
        be put away); without, each line waits for inspection."""
        body = data or ReceiptComplete()
        return db.run_write(lambda s: receipt_out(s, actor, services.complete_receipt(
            s, actor, number, version=body.version, decisions=_decisions(body.lines), quarantine=body.quarantine,
        )))

    @post("/{number:str}/lines/{line:int}/inspect", status_code=200, summary="Quality inspection / 质检")
    def inspect(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, line: RowId, data: JSONBody[Inspection]
    ) -> ReceiptOut:
        """Inspects one receipt line: accepted goods get a put-away task, rejected goods go to quarantine with the reason."""

        def action(session: Session) -> ReceiptOut:
            services.inspect_line(
                session, actor, number, line, accepted=data.accepted, rejected=data.rejected, note=data.note, quarantine=data.quarantine,
                rejected_serials=data.rejected_serials,
            )
            return receipt_out(session, actor, services.get_receipt(session, number))

        return db.run_write(action)


class PutawayController(Controller):
    path = "/api/v1/putaway-tasks"
    tags = ["purchasing"]

    @get("/", summary="Put-away tasks / 上架任务")
    def list_tasks(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], warehouse: str | None = Parameter(default=None, max_length=64),
        status: FromQuery[Literal["open", "done", "cancelled"] | None] = "open", receipt: str | None = Parameter(default=None, max_length=64),
    ) -> PutawayPage:
        """Put-away tasks (the open ones by default), each with the bin suggested for it."""
        with db.read() as session:
            rows = services.putaway_tasks(session, warehouse=warehouse, status=status, receipt=receipt)
            return PutawayPage(items=putaway_out(session, actor, rows), total=len(rows))

    @post("/{task_id:int}/confirm", status_code=200, summary="Confirm a put-away into the scanned bin / 确认上架")
    def confirm(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], task_id: RowId,
        data: JSONBody[PutawayConfirm],
    ) -> Response[PutawayOut]:
        """Puts the goods of a task away into the scanned bin, which may be any bin of the warehouse, not only the one suggested."""

        def action(session: Session) -> PutawayOut:
            task = services.confirm_putaway(session, actor, task_id, location=data.location, op_id=request.headers.get("idempotency-key"))
            return putaway_out(session, actor, [task])[0]

        return run_idempotent(db, actor, request, data, action, PutawayOut, status_code=200)


class BillController(Controller):
    path = "/api/v1/bills"
    tags = ["purchasing"]

    @get("/", summary="Supplier bills / 供应商发票列表")
    def list_bills(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: Status = Parameter(default=None, max_length=24),
        supplier: str | None = Parameter(default=None, max_length=64), po: str | None = Parameter(default=None, max_length=64),
        kind: FromQuery[Literal["bill", "debit_note", "opening"] | None] = None, limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> BillPage:
        """Supplier bills and debit notes, newest first or as `sort` asks; for those who may see prices."""
        actor.require("prices.read")
        with db.read() as session:
            rows, total = services.list_bills(
                session, status=status, supplier=supplier, po=po, kind=kind, limit=limit, offset=offset, sort=sort, hidden=unseen(actor, BillOut)
            )
            return BillPage(items=[bill_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One bill / 单个供应商发票")
    def get_bill(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> BillOut:
        """One supplier bill with its lines and how they match the order; for those who may see prices."""
        actor.require("prices.read")
        with db.read() as session:
            return bill_out(session, actor, services.get_bill(session, number))

    @post("/", summary="Enter a supplier bill / 登记供应商发票")
    def create_bill(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[BillCreate]
    ) -> Response[BillOut]:
        """Enters a supplier's bill against an approved purchase order, as a draft."""

        def action(session: Session) -> BillOut:
            bill = services.create_bill(
                session, actor, po=data.po, lines=_bill_lines(data.lines), supplier_ref=data.supplier_ref, bill_date=data.bill_date,
                due_date=data.due_date, exchange_rate=data.exchange_rate, note=data.note,
            )
            return bill_out(session, actor, bill)

        return run_idempotent(db, actor, request, data, action, BillOut)

    @patch("/{number:str}", summary="Correct a bill before posting / 修改发票")
    def update_bill(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[BillUpdate]) -> BillOut:
        """Corrects the lines, reference, due date or note of a bill not yet posted."""
        return db.run_write(
            lambda s: bill_out(s, actor, services.update_bill(
                s, actor, number, version=data.version, lines=_bill_lines(data.lines) if data.lines is not None else None,
                supplier_ref=data.supplier_ref, due_date=data.due_date, exchange_rate=data.exchange_rate, note=data.note,
            ))
        )

    @post("/{number:str}/post", status_code=200, summary="Match and post / 匹配并过账")
    def post_bill(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[BillPost]) -> BillOut:
        """Matches a bill against its order and the goods accepted, and posts it. A mismatch blocks it instead (answering 409 with the
        reasons) until it is corrected."""
        out = db.run_write(lambda s: bill_out(s, actor, services.post_bill(s, actor, number, version=data.version)))
        if out.status == "blocked":
            # The block itself is committed (finance sees the bill and why); the caller is told it did not post.
            raise Conflict(
                f"Bill {number} does not match its order and receipts: "
                + "; ".join(i.message_en for i in out.match_issues) + ". It is blocked until corrected.",
                f"发票 {number} 与订单和收货不符：" + "；".join(i.message_zh for i in out.match_issues) + "。已冻结，待更正。",
                code="bill_mismatch",
                bill=msgspec.to_builtins(out),
            )
        return out

    @post("/{number:str}/apply", status_code=200, summary="Apply a debit note to a bill / 红字发票核销")
    def apply_debit_note(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[ApplyDebitNote]) -> BillOut:
        """What is left of a debit note (goods sent back after their bill was paid) settles another open bill of the same supplier
        and currency."""
        return db.run_write(lambda s: bill_out(s, actor, services.apply_debit_note(s, actor, number, bill=data.bill, amount=data.amount)))

    @post("/{number:str}/cancel", status_code=200, summary="Cancel an unposted bill / 取消发票")
    def cancel_bill(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> BillOut:
        """Cancels a bill not yet posted."""
        return db.run_write(lambda s: bill_out(s, actor, services.cancel_bill(s, actor, number)))


class PurchaseReturnController(Controller):
    path = "/api/v1/purchase-returns"
    tags = ["purchasing"]

    @get("/", summary="Purchase returns / 采购退货单列表")
    def list_returns(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: Status = Parameter(default=None, max_length=24),
        supplier: str | None = Parameter(default=None, max_length=64), po: str | None = Parameter(default=None, max_length=64),
        warehouse: str | None = Parameter(default=None, max_length=64), limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> PurchaseReturnPage:
        """Goods sent or to be sent back to suppliers, newest first or as `sort` asks, narrowed by state, supplier, order or warehouse."""
        with db.read() as session:
            rows, total = services.list_purchase_returns(
                session, status=status, supplier=supplier, po=po, warehouse=warehouse, limit=limit, offset=offset, sort=sort
            )
            return PurchaseReturnPage(items=[purchase_return_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One purchase return / 单个采购退货单")
    def get_return(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> PurchaseReturnOut:
        """One purchase return with its lines, what they went back at and its debit note."""
        with db.read() as session:
            return purchase_return_out(session, actor, services.get_purchase_return(session, number))

    @post("/", summary="Agree a return to the supplier / 新建采购退货单")
    def create_return(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[PurchaseReturnCreate]
    ) -> Response[PurchaseReturnOut]:
        """Goods of a purchase order to send back: each line from quarantine (rejected at inspection) or from stock, no more than
        what is left of either."""
        lines = [services.PurchaseReturnLineIn(line=line.line, qty=line.qty, location=line.location, lot=line.lot, serials=tuple(line.serials),
                                               reason=line.reason) for line in data.lines]
        return run_idempotent(db, actor, request, data, lambda s: purchase_return_out(s, actor, services.create_purchase_return(
            s, actor, po=data.po, lines=lines, supplier_ref=data.supplier_ref, note=data.note)), PurchaseReturnOut)

    @patch("/{number:str}", summary="Change the reference or note / 修改采购退货单")
    def update_return(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[PurchaseReturnUpdate]
    ) -> PurchaseReturnOut:
        """Changes the supplier's return reference or the note of a return not yet shipped."""
        return db.run_write(lambda s: purchase_return_out(s, actor, services.update_purchase_return(
            s, actor, number, version=data.version, supplier_ref=data.supplier_ref, note=data.note)))

    @post("/{number:str}/ship", status_code=200, summary="Send the goods back / 退货出库")
    def ship(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Signed]) -> PurchaseReturnOut:
        """The goods leave for the supplier at the cost they were received at; what was billed gets a debit note."""
        return db.run_write(lambda s: purchase_return_out(s, actor, services.ship_purchase_return(s, actor, number, version=data.version)))

    @post("/{number:str}/cancel", status_code=200, summary="Cancel / 取消")
    def cancel(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[Signed]) -> PurchaseReturnOut:
        """Cancels a return not yet shipped; its goods may go back on another."""
        return db.run_write(lambda s: purchase_return_out(s, actor, services.cancel_purchase_return(s, actor, number, version=data.version)))
