"""Packing (SSCC labels) and shipping; an order shipped short keeps the rest on a backorder or cancels it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from labels.gs1 import with_check_digit
from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.documents import flows
from server.documents.flows import transition
from server.documents.models import DocumentSequence
from server.documents.services import next_number
from server.errors import Conflict, InvalidInput
from server.inventory import services as ledger
from server.inventory.models import Reservation
from server.locations.models import Location
from server.quantities import optional_non_negative, positive_qty
from server.sales.models import Package, PackageLine, PickTask, SalesOrder, SalesOrderLine
from server.sales.services.common import _area, _totals, get_so
from server.sales.services.orders import _open_reservations, _reserve_order
from server.sales.services.picking import _wave_progress
from server.schemas import fmt
from server.settings import get_settings

Remainder = Literal["backorder", "cancel"]  # what becomes of what an order ships short of


@dataclasses.dataclass(frozen=True)
class PackageIn:
    lines: Sequence[tuple[int, object]]  # (order line number, quantity)
    weight_kg: object | None = None


def next_sscc(session: Session) -> str:
    """An SSCC: extension digit 0, the company's GS1 prefix, a serial reference from a gapless sequence, the check digit."""
    table = cast(Table, DocumentSequence.__table__)  # a mapped class's table; typed as any FromClause
    step = table.update().where(DocumentSequence.prefix == "SSCC", DocumentSequence.year == 0)
    last = session.execute(step.values(last=DocumentSequence.last + 1).returning(DocumentSequence.last)).scalar()
    if last is None:
        session.add(DocumentSequence(prefix="SSCC", year=0, last=1))
        session.flush()
        last = 1
    prefix = get_settings().gs1_company_prefix
    return with_check_digit("0" + prefix + str(last).zfill(16 - len(prefix)))


def pack(session: Session, actor: Actor, number: str, packages: Sequence[PackageIn]) -> list[Package]:
    """Put picked goods into packages, each labelled with a new SSCC."""
    actor.require("sales.fulfil")
    so = get_so(session, number, lock=True)
    flows.SALES_ORDER.check(number, so.status, "pack")
    if not packages:
        raise InvalidInput("Give at least one package.", "至少需要一个包裹。", code="no_packages")
    by_no = {line.line_no: line for line in so.lines}
    made = []
    for package in packages:
        if not package.lines:
            raise InvalidInput("A package must contain something.", "包裹不能为空。", code="empty_package")
        row = Package(sscc=next_sscc(session), so_id=so.id, created_by=actor.user_id,
                      weight_kg=optional_non_negative(package.weight_kg, "weight_kg") if package.weight_kg is not None else None)
        for line_no, qty in package.lines:
            line = by_no.get(line_no)
            if line is None:
                raise InvalidInput(f"Sales order {number} has no line {line_no}.", f"销售订单 {number} 没有第 {line_no} 行。", code="unknown_line")
            item = session.get_one(Item, line.item_id)
            amount = positive_qty(qty, decimals=item.unit_decimals, unit=item.unit)
            if line.packed_qty + amount > line.picked_qty:
                raise Conflict(
                    f"Line {line_no} ({item.sku}): {fmt(line.picked_qty - line.packed_qty)} picked and not yet packed; {fmt(amount)} cannot be packed.",
                    f"第 {line_no} 行（{item.sku}）已拣未装 {fmt(line.picked_qty - line.packed_qty)}，不能装 {fmt(amount)}。",
                    code="not_picked",
                )
            line.packed_qty += amount
            row.contents.append(PackageLine(so_line_id=line.id, qty=amount))
        session.add(row)
        made.append(row)
    transition(so, "pack")
    session.flush()
    record(session, actor, "so.pack", "so", number, packages=[p.sscc for p in made])
    return made


def packages_of(session: Session, so: SalesOrder) -> list[Package]:
    return list(session.scalars(select(Package).where(Package.so_id == so.id).order_by(Package.id)))


def ship(
    session: Session, actor: Actor, number: str, *, remainder: Remainder | None = None, reason: str = "", op_id: str | None = None
) -> SalesOrder:
    """Everything picked leaves: moves from the shipping area to CUSTOMER at moving-average cost (cost of goods sold).

    An order with less picked than ordered ships only with a decision on the rest (`remainder`): kept to deliver on a
    backorder, or cancelled. Without one it is refused with the short lines, and nothing moves."""
    actor.require("sales.fulfil")
    so = get_so(session, number, lock=True)
    transition(so, "ship")
    if so.status == "shipped" and any(line.packed_qty < line.picked_qty for line in so.lines) and packages_of(session, so):
        raise Conflict(f"Sales order {number} has picked goods not packed yet.", f"销售订单 {number} 有已拣未包装的商品。", code="not_packed")
    warehouse = session.get_one(Location, so.warehouse_id)
    staging = _area(session, warehouse, "OUT", "shipping area", "发货区")
    mover = actor.granted("stock.move")
    shipped_any = False
    for line in so.lines:
        item = session.get_one(Item, line.item_id)
        tasks = list(session.scalars(select(PickTask).where(PickTask.so_line_id == line.id, PickTask.picked_qty > 0).order_by(PickTask.seq)))
        for task in tasks:
            staged = session.get(Reservation, task.staged_reservation_id) if task.staged_reservation_id else None
            if staged is None or not staged.open:
                continue
            lot_code = session.scalar(select(Lot.code).where(Lot.id == task.lot_id)) if task.lot_id else None
            move = ledger.move(
                session, mover, sku=item.sku, qty=staged.qty, source=staging.code, target="CUSTOMER", lot=lot_code, serials=task.serials,
                reason=f"ship {number}", ref_type="so", ref_id=number, reservation_id=staged.id,
                op_id=f"{op_id}:{task.id}" if op_id else None,
            )
            line.shipped_qty += move.qty
            line.cost += move.value
            shipped_any = True
    if not shipped_any:
        raise Conflict(f"Sales order {number} has nothing picked to ship.", f"销售订单 {number} 没有已拣货的商品可发。", code="nothing_to_ship")
    short = _short_lines(session, so)
    if short and remainder is None:
        raise _short_shipment(number, short)
    so.shipped_at = utcnow()
    session.flush()
    record(session, actor, "so.ship", "so", number, lines={line.line_no: fmt(line.shipped_qty) for line in so.lines})
    if short:
        _release_rest(session, actor, so)
        if remainder == "backorder":
            _backorder(session, actor, so, short, reason)
        else:
            for s in short:
                s.line.cancelled_qty += s.qty
            record(session, actor, "so.cancel_rest", "so", number, reason=reason, lines={s.line.line_no: fmt(s.qty) for s in short})
    return so


@dataclasses.dataclass(frozen=True)
class Shortfall:
    line: SalesOrderLine
    item: Item
    qty: Decimal  # ordered and not picked


def _short_lines(session: Session, so: SalesOrder) -> list[Shortfall]:
    items = {row.id: row for row in session.scalars(select(Item).where(Item.id.in_({line.item_id for line in so.lines})))}
    return [Shortfall(line, items[line.item_id], line.qty - line.picked_qty) for line in so.lines if line.picked_qty < line.qty]


def _short_shipment(number: str, short: list[Shortfall]) -> Conflict:
    """Shipping short needs a decision on the rest; the refusal lists what is short so the person can make it."""
    en = "; ".join(f"line {s.line.line_no} ({s.item.sku}) ordered {fmt(s.line.qty)}, picked {fmt(s.line.picked_qty)}, {fmt(s.qty)} short" for s in short)
    zh = "；".join(f"第 {s.line.line_no} 行（{s.item.sku}）订购 {fmt(s.line.qty)}，已拣 {fmt(s.line.picked_qty)}，缺 {fmt(s.qty)}" for s in short)
    return Conflict(
        f"Sales order {number} is short: {en}. Ship it with a decision on the rest: keep it on a backorder, or cancel it.",
        f"销售订单 {number} 未拣足：{zh}。发货时请决定其余部分：保留为欠货单，或取消。",
        code="short_shipment",
        lines=[
            {"line": s.line.line_no, "sku": s.item.sku, "ordered": fmt(s.line.qty), "picked": fmt(s.line.picked_qty), "packed": fmt(s.line.packed_qty),
             "short": fmt(s.qty)}
            for s in short
        ],
        choices=["backorder", "cancel"],
    )


def _release_rest(session: Session, actor: Actor, so: SalesOrder) -> None:
    """What was never picked is no longer held for the order: its reservations are released, its open pick tasks cancelled."""
    ids = [line.id for line in so.lines]
    for reservation in _open_reservations(session, ids):
        ledger.release(session, actor.granted("stock.reserve"), reservation.id)
    waves = set()
    for task in session.scalars(select(PickTask).where(PickTask.so_line_id.in_(ids), PickTask.status == "open").with_for_update()):
        transition(task, "cancel")
        waves.add(task.wave_id)
    session.flush()
    for wave_id in sorted(waves):
        _wave_progress(session, wave_id)


def _backorder(session: Session, actor: Actor, so: SalesOrder, short: list[Shortfall], reason: str) -> SalesOrder:
    """The rest of a shipped order as a new order: same customer, warehouse, address and prices, confirmed at once and
    reserved as far as stock allows. Its credit is not checked again: the amount was part of the order it comes from,
    checked (or released) when that was confirmed, and the customer's exposure does not grow by it."""
    backorder = SalesOrder(
        number=next_number(session, "SO"), status="draft", customer_id=so.customer_id, warehouse_id=so.warehouse_id, ship_to=so.ship_to,
        note=so.note, backorder_of=so.id, created_by=actor.user_id, currency=so.currency, exchange_rate=so.exchange_rate,
        discount=so.discount, contract_id=so.contract_id,  # what it delivers was drawn on the order's contract: it draws it now
    )
    backorder.lines = [
        SalesOrderLine(line_no=n, item_id=s.line.item_id, qty=s.qty, uom=s.line.uom, uom_factor=s.line.uom_factor, unit_price=s.line.unit_price,
                       discount=s.line.discount, vat_rate=s.line.vat_rate)
        for n, s in enumerate(short, 1)
    ]
    for s in short:
        s.line.backordered_qty += s.qty
    _totals(backorder)
    session.add(backorder)
    session.flush()
    record(session, actor, "so.backorder", "so", so.number, backorder=backorder.number, reason=reason,
           lines={s.line.line_no: fmt(s.qty) for s in short})
    record(session, actor, "so.create", "so", backorder.number, backorder_of=so.number, total=fmt(backorder.total))
    transition(backorder, "confirm")
    _reserve_order(session, actor, backorder, all_or_nothing=False)
    record(session, actor, "so.confirm", "so", backorder.number, total=fmt(backorder.total), credit_checked_on=so.number)
    return backorder


def backorders_of(session: Session, so: SalesOrder) -> list[str]:
    return list(session.scalars(select(SalesOrder.number).where(SalesOrder.backorder_of == so.id).order_by(SalesOrder.id)))
