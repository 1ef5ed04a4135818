"""Operation types: each a name bound to the payload it takes and the same service function its REST route calls."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.errors import InvalidInput
from server.inventory.schemas import MoveCreate
from server.purchasing.schemas import Comment, Version
from server.sales.schemas import PackageIn
from server.schemas import Code, Quantity, ScanText, Struct, convert_request, line, plain_as


@dataclasses.dataclass(frozen=True)
class Context:
    op_id: str
    device_time: dt.datetime | None  # corrected by the clock offset measured at the push


Handler = Callable[[Session, Actor, Any, Context], dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class OpType:
    name: str
    payload: type
    handler: Handler


OPERATIONS: dict[str, OpType] = {}


def operation(name: str, payload: type) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        OPERATIONS[name] = OpType(name, payload, fn)
        return fn

    return register


def parse(op_type: str, payload: dict[str, Any]) -> tuple[OpType, Any]:
    spec = OPERATIONS.get(op_type)
    if spec is None:
        raise InvalidInput(
            f"Unknown operation type {op_type!r}; this server knows {', '.join(sorted(OPERATIONS))}.",
            f"未知的操作类型 {op_type!r}；本服务器支持 {', '.join(sorted(OPERATIONS))}。",
            code="unknown_operation",
        )
    try:
        return spec, convert_request(payload, spec.payload)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"The {op_type} payload is not valid: {exc}", f"{op_type} 的内容无效：{exc}", code="invalid_payload") from None


Serials = Annotated[list[ScanText], msgspec.Meta(max_length=10_000)]


# Stock ------------------------------------------------------------------------------------------


@operation("stock.move", MoveCreate)
def _stock_move(session: Session, actor: Actor, data: MoveCreate, ctx: Context) -> dict[str, Any]:
    from server.inventory.services import move

    row = move(
        session, actor, sku=data.sku, qty=data.qty, source=data.from_, target=data.to, lot=data.lot, serials=data.serials,
        reason=data.reason, unit_cost=data.unit_cost, reservation_id=data.reservation, op_id=ctx.op_id,
    )
    return {"move": row.id}


class TransferConfirm(Struct):
    sku: Code
    qty: Quantity
    from_: Code = msgspec.field(name="from")
    to: Code
    lot: Code | None = None
    serials: Serials = []


@operation("transfer.confirm", TransferConfirm)
def _transfer(session: Session, actor: Actor, data: TransferConfirm, ctx: Context) -> dict[str, Any]:
    """Goods carried from one of the company's locations to another (bin to bin, or into transit)."""
    from server.inventory.services import move
    from server.locations.services import location_for_move

    for code, field in ((data.from_, "from"), (data.to, "to")):
        if not location_for_move(session, code, field).internal and code != "TRANSIT":
            raise InvalidInput(f"A transfer moves stock between the company's locations, not {code}.",
                               f"调拨只能在公司库位之间移动库存，{code} 不行。", code="not_a_transfer")
    row = move(session, actor, sku=data.sku, qty=data.qty, source=data.from_, target=data.to, lot=data.lot, serials=data.serials,
               reason="transfer", op_id=ctx.op_id)
    return {"move": row.id}


class TransferReceiveLineOp(Struct):
    line: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    qty: Quantity  # what arrived (0: nothing of the line did)
    location: Code  # the bin of the receiving warehouse it went into
    note: Annotated[str, line(200)] = ""  # why less arrived than was shipped
    serials: Serials = []  # of a serial-numbered line, the shipped serials scanned as they arrived


class TransferReceiveOp(Struct):
    transfer: Code
    version: Version  # the version the worker saw the transfer at
    lines: Annotated[list[TransferReceiveLineOp], msgspec.Meta(min_length=1, max_length=1000)]


@operation("transfer.receive", TransferReceiveOp)
def _receive_transfer(session: Session, actor: Actor, data: TransferReceiveOp, ctx: Context) -> dict[str, Any]:
    """A transfer order from another warehouse taken in on the phone: each shipped line into a bin here, less with its reason."""
    from server.inventory.transfers import ReceiveIn, receive_transfer

    order = receive_transfer(session, actor, data.transfer, [
        ReceiveIn(line=entry.line, qty=entry.qty, location=entry.location, note=entry.note, serials=tuple(entry.serials)) for entry in data.lines
    ], version=data.version, op_id=ctx.op_id)
    return {"transfer": order.number, "status": order.status, "version": order.version}


# Purchasing -------------------------------------------------------------------------------------


class ReceiveLineOp(Struct):
    sku: Code
    qty: Quantity
    receipt: Code | None = None  # the receipt, or
    po: Code | None = None  # the order: its open receipt, or a new one (a phone offline knows the order, not the receipt)
    line: Annotated[int, msgspec.Meta(ge=1)] | None = None
    lot: Code | None = None
    expiry: dt.date | None = None
    serials: Serials = []


@operation("receive.line", ReceiveLineOp)
def _receive(session: Session, actor: Actor, data: ReceiveLineOp, ctx: Context) -> dict[str, Any]:
    from server.purchasing.services import open_receipt_for, receive_line

    if (data.receipt is None) == (data.po is None):
        raise InvalidInput("Name the receipt or the purchase order (one of them).", "请指定收货单或采购订单（二者之一）。", code="receipt_or_po")
    receipt = data.receipt or open_receipt_for(session, actor, data.po).number  # type: ignore[arg-type]
    line = receive_line(session, actor, receipt, sku=data.sku, qty=data.qty, po_line=data.line, lot=data.lot, expiry=data.expiry,
                        serials=data.serials, op_id=ctx.op_id)
    return {"receipt": receipt, "line": line.line_no, "move": line.move_id}


class LineDecisionOp(Struct):
    line: Annotated[int, msgspec.Meta(ge=1)]
    accepted: Quantity
    rejected: Quantity = plain_as(Quantity, Decimal(0))
    reason: Comment = ""
    rejected_serials: Serials = []


class ReceiptCompleteOp(Struct):
    receipt: Code
    version: Version | None = None  # the version the worker saw the lines at
    lines: Annotated[list[LineDecisionOp], msgspec.Meta(max_length=10_000)] = []
    quarantine: Code | None = None


@operation("receipt.complete", ReceiptCompleteOp)
def _complete_receipt(session: Session, actor: Actor, data: ReceiptCompleteOp, ctx: Context) -> dict[str, Any]:
    """Receiving done on the phone: every line accepted or (partly) rejected with a reason, in one go."""
    from server.purchasing.services import Decision, complete_receipt

    receipt = complete_receipt(session, actor, data.receipt, version=data.version, quarantine=data.quarantine, decisions=[
        Decision(line=d.line, accepted=d.accepted, rejected=d.rejected, reason=d.reason, rejected_serials=tuple(d.rejected_serials))
        for d in data.lines])
    return {"receipt": receipt.number, "status": receipt.status, "version": receipt.version}


class PutawayConfirmOp(Struct):
    task: Annotated[int, msgspec.Meta(ge=1)]
    location: Code


@operation("putaway.confirm", PutawayConfirmOp)
def _put_away(session: Session, actor: Actor, data: PutawayConfirmOp, ctx: Context) -> dict[str, Any]:
    from server.purchasing.services import confirm_putaway

    task = confirm_putaway(session, actor, data.task, location=data.location, op_id=ctx.op_id)
    return {"task": task.id, "move": task.move_id}


class Decision(Struct):
    po: Code
    version: Version
    comment: Comment = ""


@operation("po.approve", Decision)
def _approve(session: Session, actor: Actor, data: Decision, ctx: Context) -> dict[str, Any]:
    from server.purchasing.services import approve_po

    po = approve_po(session, actor, data.po, version=data.version, comment=data.comment)
    return {"po": po.number, "status": po.status, "version": po.version}


@operation("po.reject", Decision)
def _reject(session: Session, actor: Actor, data: Decision, ctx: Context) -> dict[str, Any]:
    from server.purchasing.services import reject_po

    po = reject_po(session, actor, data.po, version=data.version, comment=data.comment)
    return {"po": po.number, "status": po.status, "version": po.version}


class RequisitionDecision(Struct):
    requisition: Code
    version: Version
    comment: Comment = ""


@operation("requisition.approve", RequisitionDecision)
def _approve_requisition(session: Session, actor: Actor, data: RequisitionDecision, ctx: Context) -> dict[str, Any]:
    from server.purchasing.services import approve_requisition

    req = approve_requisition(session, actor, data.requisition, version=data.version, comment=data.comment)
    return {"requisition": req.number, "status": req.status, "version": req.version}


@operation("requisition.reject", RequisitionDecision)
def _reject_requisition(session: Session, actor: Actor, data: RequisitionDecision, ctx: Context) -> dict[str, Any]:
    from server.purchasing.services import reject_requisition

    req = reject_requisition(session, actor, data.requisition, version=data.version, comment=data.comment)
    return {"requisition": req.number, "status": req.status, "version": req.version}


class TransferDecision(Struct):
    transfer: Code
    version: Version
    comment: Comment = ""


@operation("transfer.approve", TransferDecision)
def _approve_transfer(session: Session, actor: Actor, data: TransferDecision, ctx: Context) -> dict[str, Any]:
    """One level of approval of a transfer order waiting for it, on the version the approver saw (the last level approves it)."""
    from server.inventory.transfers import approve_transfer

    order = approve_transfer(session, actor, data.transfer, version=data.version, comment=data.comment)
    return {"transfer": order.number, "status": order.status, "version": order.version}


@operation("transfer.reject", TransferDecision)
def _reject_transfer(session: Session, actor: Actor, data: TransferDecision, ctx: Context) -> dict[str, Any]:
    from server.inventory.transfers import reject_transfer

    order = reject_transfer(session, actor, data.transfer, version=data.version, comment=data.comment)
    return {"transfer": order.number, "status": order.status, "version": order.version}


# Sales and counts -------------------------------------------------------------------------------


class PickConfirmOp(Struct):
    task: Annotated[int, msgspec.Meta(ge=1)]
    qty: Quantity
    location: Code | None = None
    lot: Code | None = None
    serials: Serials = []
    short_reason: Annotated[str, line(200)] = ""


@operation("pick.confirm", PickConfirmOp)
def _pick(session: Session, actor: Actor, data: PickConfirmOp, ctx: Context) -> dict[str, Any]:
    from server.sales.services import confirm_pick

    task = confirm_pick(session, actor, data.task, qty=data.qty, location=data.location, lot=data.lot, serials=data.serials,
                        short_reason=data.short_reason, op_id=ctx.op_id)
    return {"task": task.id, "status": task.status, "picked": str(task.picked_qty)}


class CountLineOp(Struct):
    location: Code
    sku: Code
    qty: Quantity
    lot: Code | None = None


class CountRecordOp(Struct):
    count: Code
    lines: Annotated[list[CountLineOp], msgspec.Meta(min_length=1, max_length=10_000)]


@operation("count.record", CountRecordOp)
def _count(session: Session, actor: Actor, data: CountRecordOp, ctx: Context) -> dict[str, Any]:
    from server.counts.services import CountIn, record_counts

    lines = record_counts(
        session, actor, data.count, [CountIn(location=c.location, sku=c.sku, qty=c.qty, lot=c.lot) for c in data.lines],
        counted_at=ctx.device_time,
    )
    return {"count": data.count, "lines": lines}


class PackOp(Struct):
    order: Code
    packages: Annotated[list[PackageIn], msgspec.Meta(min_length=1, max_length=500)]


@operation("so.pack", PackOp)
def _pack(session: Session, actor: Actor, data: PackOp, ctx: Context) -> dict[str, Any]:
    from server.sales import services

    made = services.pack(session, actor, data.order, [
        services.PackageIn(lines=[(line.line, line.qty) for line in p.lines], weight_kg=p.weight_kg) for p in data.packages])
    return {"order": data.order, "packages": [p.sscc for p in made]}


class ShipOp(Struct):
    order: Code
    remainder: Literal["backorder", "cancel"] | None = None  # the decision on what was not picked; none, and a short order is refused
    reason: Comment = ""


@operation("so.ship", ShipOp)
def _ship(session: Session, actor: Actor, data: ShipOp, ctx: Context) -> dict[str, Any]:
    from server.sales.services import backorders_of, ship

    so = ship(session, actor, data.order, remainder=data.remainder, reason=data.reason, op_id=ctx.op_id)
    return {"order": so.number, "status": so.status, "backorders": backorders_of(session, so)}
