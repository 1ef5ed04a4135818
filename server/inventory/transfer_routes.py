"""Transfer orders between warehouses: asked for, approved, shipped into transit, received at the other end."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api import get, patch, post, run_idempotent
from server.auth.models import User
from server.auth.permissions import Actor
from server.auth.visibility import visible
from server.catalog.models import Item, Lot
from server.db import Database
from server.documents import flows
from server.inventory import transfers
from server.inventory.models import TransferOrder
from server.inventory.schemas import (
    TransferCreate,
    TransferDecision,
    TransferLineOut,
    TransferOut,
    TransferPage,
    TransferReceive,
    TransferShip,
    TransferUpdate,
)
from server.locations.models import Location
from server.purchasing.schemas import ApprovalOut
from server.schemas import Limit, Offset, Sort, fmt

DocNumber = FromPath[str]


def transfer_out(session: Session, actor: Actor, order: TransferOrder) -> TransferOut:
    items = {row.id: row for row in session.scalars(select(Item).where(Item.id.in_({line.item_id for line in order.lines})))}
    places = {order.from_warehouse_id, order.to_warehouse_id} | {i for line in order.lines for i in (line.from_location_id, line.to_location_id) if i}
    codes = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(places))).all())
    lots = dict(session.execute(select(Lot.id, Lot.code).where(Lot.id.in_({line.lot_id for line in order.lines if line.lot_id}))).all())
    users = dict(session.execute(select(User.id, User.username).where(User.id.in_({order.created_by, order.approved_by} - {None}))).all())
    actions = flows.TRANSFER.actions_for(order.status, actor)
    if "approve" in actions and not transfers.may_decide(session, actor, order):
        actions = [a for a in actions if a not in ("approve", "reject")]
    return visible(actor, TransferOut(
        number=order.number, status=order.status, actions=actions,
        from_warehouse=codes[order.from_warehouse_id], to_warehouse=codes[order.to_warehouse_id], needed_by=order.needed_by, note=order.note,
        version=order.version, created_by=users.get(order.created_by or 0), approved_by=users.get(order.approved_by or 0), created_at=order.created_at,
        shipped_at=order.shipped_at, received_at=order.received_at,
        lines=[
            TransferLineOut(
                line=line.line_no, sku=items[line.item_id].sku, name_zh=items[line.item_id].name_zh, name_en=items[line.item_id].name_en,
                unit=items[line.item_id].unit, lot=lots.get(line.lot_id) if line.lot_id else None, serials=list(line.serials or []),
                qty=fmt(line.qty) or "0", shipped=fmt(line.shipped_qty) or "0", received=fmt(line.received_qty) or "0",
                short=fmt(line.shipped_qty - line.received_qty) if order.status == "received" else "0",
                from_location=codes.get(line.from_location_id) if line.from_location_id else None,
                to_location=codes.get(line.to_location_id) if line.to_location_id else None, difference_note=line.difference_note,
                value=fmt(line.value) if line.shipped_qty else None,
            )
            for line in order.lines
        ],
        approval_roles=list(order.approval_roles or []),
        approvals=[ApprovalOut(level=a.level, role=a.role, user=user, decision=a.decision, version=a.version, comment=a.comment, void=a.void, at=a.at)
                   for a, user in transfers.approvals_on(session, order)],
        value=fmt(transfers.transfer_value(session, order)) or "0",
    ))


class TransferController(Controller):
    path = "/api/v1/transfers"
    tags = ["inventory"]

    @get("/", summary="Transfer orders / 调拨单列表")
    def list_transfers(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: str | None = Parameter(default=None, max_length=24),
        warehouse: str | None = Parameter(default=None, max_length=64), limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
        to_warehouse: str | None = Parameter(default=None, max_length=64), awaiting_me: FromQuery[bool] = False,
    ) -> TransferPage:
        """Transfer orders between warehouses, newest first or as `sort` asks, of a state, to or from a warehouse, or coming to
        one (`to_warehouse`: what its phones receive); with `awaiting_me`, only those waiting at a level you may sign, oldest
        first."""
        with db.read() as session:
            rows, total = transfers.list_transfers(session, status=status, warehouse=warehouse, limit=limit, offset=offset, sort=sort,
                                                   to_warehouse=to_warehouse, awaiting=actor if awaiting_me else None)
            return TransferPage(items=[transfer_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One transfer order / 单个调拨单")
    def get_transfer(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> TransferOut:
        """One transfer order with what was asked for, shipped and received, line by line."""
        with db.read() as session:
            return transfer_out(session, actor, transfers.get_transfer(session, number))

    @post("/", summary="Ask for a transfer / 新建调拨单")
    def create_transfer(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[TransferCreate]
    ) -> Response[TransferOut]:
        """A draft transfer order: what one warehouse asks another for."""
        lines = [transfers.TransferLineIn(sku=line.sku, qty=line.qty) for line in data.lines]
        return run_idempotent(db, actor, request, data, lambda s: transfer_out(s, actor, transfers.create_transfer(
            s, actor, from_warehouse=data.from_warehouse, to_warehouse=data.to_warehouse, lines=lines, needed_by=data.needed_by, note=data.note)),
            TransferOut)

    @patch("/{number:str}", summary="Change a transfer order / 修改调拨单")
    def update_transfer(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TransferUpdate]) -> TransferOut:
        """Changes the note, as a draft the date needed by, and until it is shipped the lines (all of them, as they are to be);
        a change waiting for approval, or of the lines once approved, is approved afresh. After shipping: 409."""
        lines = [transfers.TransferLineIn(sku=line.sku, qty=line.qty) for line in data.lines] if data.lines is not None else None
        return db.run_write(lambda s: transfer_out(s, actor, transfers.update_transfer(s, actor, number, version=data.version, note=data.note,
                                                                                     needed_by=data.needed_by, lines=lines)))

    @post("/{number:str}/submit", status_code=200, summary="Submit for approval / 提交审批")
    def submit(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TransferDecision]) -> TransferOut:
        """Submits a draft transfer order for approval."""
        return db.run_write(lambda s: transfer_out(s, actor, transfers.submit_transfer(s, actor, number, version=data.version)))

    @post("/{number:str}/approve", status_code=200, summary="Approve / 审批通过")
    def approve(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TransferDecision]) -> TransferOut:
        """Approves a pending transfer order; someone other than who asked for it."""
        return db.run_write(lambda s: transfer_out(s, actor, transfers.approve_transfer(s, actor, number, version=data.version, comment=data.comment)))

    @post("/{number:str}/reject", status_code=200, summary="Reject / 驳回")
    def reject(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TransferDecision]) -> TransferOut:
        """Rejects a pending transfer order, with a comment; someone other than who asked for it."""
        return db.run_write(lambda s: transfer_out(s, actor, transfers.reject_transfer(s, actor, number, version=data.version, comment=data.comment)))

    @post("/{number:str}/revise", status_code=200, summary="Revise a rejected order / 修改被驳回的调拨单")
    def revise(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TransferDecision]) -> TransferOut:
        """Takes a rejected transfer order back to draft."""
        return db.run_write(lambda s: transfer_out(s, actor, transfers.revise_transfer(s, actor, number, version=data.version)))

    @post("/{number:str}/cancel", status_code=200, summary="Cancel / 取消")
    def cancel(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TransferDecision]) -> TransferOut:
        """Cancels a transfer order not yet shipped."""
        return db.run_write(lambda s: transfer_out(s, actor, transfers.cancel_transfer(s, actor, number, version=data.version, comment=data.comment)))

    @post("/{number:str}/ship", status_code=200, summary="Ship into transit / 调拨出库")
    def ship(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TransferShip]) -> TransferOut:
        """The sending warehouse ships: each line from a location there into TRANSIT at its moving-average cost."""
        lines = [transfers.ShipIn(line=line.line, qty=line.qty, location=line.location, lot=line.lot, serials=tuple(line.serials)) for line in data.lines]
        return db.run_write(lambda s: transfer_out(s, actor, transfers.ship_transfer(s, actor, number, lines, version=data.version)))

    @post("/{number:str}/receive", status_code=200, summary="Receive from transit / 调拨入库")
    def receive(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TransferReceive]) -> TransferOut:
        """The receiving warehouse takes the goods in at what they left at; less than shipped is a difference, with its reason."""
        lines = [transfers.ReceiveIn(line=line.line, qty=line.qty, location=line.location, note=line.note) for line in data.lines]
        return db.run_write(lambda s: transfer_out(s, actor, transfers.receive_transfer(s, actor, number, lines, version=data.version)))
