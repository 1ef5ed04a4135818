"""Waves and picking: a pick walk in bin order for confirmed orders, and each pick into the shipping area."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.documents import flows
from server.documents.flows import transition
from server.documents.services import next_number, touch
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.inventory import services as ledger
from server.inventory.models import Reservation
from server.locations.models import Location
from server.locations.services import get_location
from server.purchasing.services.common import _warehouse
from server.quantities import as_decimal
from server.sales.models import PickTask, SalesOrder, SalesOrderLine, Wave
from server.sales.services.common import _area, get_so
from server.sales.services.orders import _open_reservations, _reserve_fefo
from server.schemas import fmt


def create_wave(session: Session, actor: Actor, *, warehouse: str, orders: Sequence[str]) -> Wave:
    """One pick walk for several confirmed orders: a task per reservation, in bin-code order (the route)."""
    actor.require("sales.fulfil")
    wh = _warehouse(session, warehouse)
    if not actor.may_use_warehouse(wh.id):
        raise Forbidden(f"You may not work in warehouse {warehouse}.", f"您无权操作仓库 {warehouse}。", code="warehouse_not_allowed")
    if not orders:
        raise InvalidInput("Name the orders to pick.", "请指定要拣货的订单。", code="no_orders")
    wave = Wave(number=next_number(session, "WAVE"), warehouse_id=wh.id, created_by=actor.user_id)
    session.add(wave)
    session.flush()
    tasks = []
    for number in orders:
        so = get_so(session, number, lock=True)
        if so.warehouse_id != wh.id:
            raise InvalidInput(f"Sales order {number} ships from another warehouse.", f"销售订单 {number} 从其他仓库发货。", code="warehouse_mismatch")
        if so.status != "confirmed":
            flows.SALES_ORDER.check(number, so.status, "pick")
            if session.scalar(select(func.count()).select_from(PickTask).where(PickTask.so_line_id.in_([line.id for line in so.lines]))):
                raise Conflict(f"Sales order {number} is already in a wave.", f"销售订单 {number} 已在波次中。", code="already_in_wave")
        if so.status == "confirmed" and so.backorder_of is not None:
            _top_up(session, actor, so)
        transition(so, "pick")
        for reservation in _open_reservations(session, [line.id for line in so.lines]):
            tasks.append(reservation)
    if not tasks:
        raise Conflict("These orders have nothing reserved to pick.", "这些订单没有可拣货的预留。", code="nothing_to_pick")
    codes = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_({r.location_id for r in tasks}))).all())
    skus = dict(session.execute(select(Item.id, Item.sku).where(Item.id.in_({r.item_id for r in tasks}))).all())
    tasks.sort(key=lambda r: (codes[r.location_id], skus[r.item_id], r.lot_key, r.id))
    for seq, reservation in enumerate(tasks, 1):
        session.add(
            PickTask(
                wave_id=wave.id, seq=seq, so_line_id=int(reservation.ref_id or 0), reservation_id=reservation.id, item_id=reservation.item_id,
                lot_id=reservation.lot_key or None, location_id=reservation.location_id, qty=reservation.qty,
            )
        )
    session.flush()
    record(session, actor, "wave.create", "wave", wave.number, orders=list(orders), tasks=len(tasks))
    return wave


def _top_up(session: Session, actor: Actor, so: SalesOrder) -> None:
    """A backorder was reserved as far as stock allowed when it was made; what has come in since is reserved before picking."""
    held = {line.id: Decimal(0) for line in so.lines}
    for reservation in _open_reservations(session, list(held)):
        held[int(reservation.ref_id or 0)] += reservation.qty
    warehouse = session.get_one(Location, so.warehouse_id)
    for line in so.lines:
        if line.qty > held[line.id]:
            _reserve_fefo(session, actor, warehouse, line, line.qty - held[line.id], all_or_nothing=False)


def list_waves(session: Session, actor: Actor, *, warehouse: str | None, status: str | None, limit: int) -> list[Wave]:
    """Waves in the warehouses the user works in, oldest first (the order they are picked in)."""
    query = select(Wave).order_by(Wave.id).limit(limit)
    if status:
        query = query.where(Wave.status == status)
    if warehouse:
        query = query.where(Wave.warehouse_id == get_location(session, warehouse).id)
    return [wave for wave in session.scalars(query) if actor.may_use_warehouse(wave.warehouse_id)]


def pick_tasks(session: Session, wave: Wave) -> list[PickTask]:
    return list(session.scalars(select(PickTask).where(PickTask.wave_id == wave.id).order_by(PickTask.seq)))


def confirm_pick(
    session: Session, actor: Actor, task_id: int, *, qty: object, location: str | None = None, lot: str | None = None,
    serials: Sequence[str] = (), short_reason: str = "", op_id: str | None = None,
) -> PickTask:
    """The picker took `qty` from the task's bin (scanned, so `location`/`lot` are checked when given): the goods move to the
    shipping area and stay reserved for the order there. Less than asked is a short pick: the rest is released, with a reason."""
    actor.require("sales.fulfil")
    task = session.get(PickTask, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"No pick task {task_id}.", f"没有拣货任务 {task_id}。")
    if task.status == "cancelled":
        raise Conflict(
            f"Pick task {task_id} is cancelled: its order shipped without it. Put the goods back.",
            f"拣货任务 {task_id} 已取消：订单已不含此项发货。请把货物放回。", code="pick_cancelled", status=task.status,
        )
    if task.status != "open":
        raise Conflict(f"Pick task {task_id} was already confirmed.", f"拣货任务 {task_id} 已确认。", code="already_picked", status=task.status)
    bin_ = session.get_one(Location, task.location_id)
    lot_code = session.scalar(select(Lot.code).where(Lot.id == task.lot_id)) if task.lot_id else None
    if location is not None and location != bin_.code:
        raise InvalidInput(f"Pick from {bin_.code}, not {location}.", f"请从 {bin_.code} 拣货，而不是 {location}。", code="wrong_bin", expected=bin_.code)
    if lot is not None and lot != lot_code:
        raise InvalidInput(
            f"Pick lot {lot_code} (first to expire), not {lot}.", f"请拣批次 {lot_code}（最早到期），而不是 {lot}。", code="wrong_lot", expected=lot_code
        )
    item = session.get_one(Item, task.item_id)
    taken = as_decimal(qty, "qty")
    if taken < 0 or taken > task.qty:
        raise InvalidInput(
            f"Pick between 0 and {fmt(task.qty)} {item.unit}.", f"拣货数量须在 0 到 {fmt(task.qty)} {item.unit} 之间。", code="bad_pick_qty"
        )
    if taken < task.qty and not short_reason.strip():
        raise InvalidInput("A short pick needs a reason.", "少拣须填写原因。", code="reason_required")
    line = session.get_one(SalesOrderLine, task.so_line_id)
    so = session.get_one(SalesOrder, line.so_id, with_for_update=True)
    warehouse = session.get_one(Location, so.warehouse_id)
    staging = _area(session, warehouse, "OUT", "shipping area", "发货区")
    mover = actor.granted("stock.move")
    if taken > 0:
        move = ledger.move(
            session, mover, sku=item.sku, qty=taken, source=bin_.code, target=staging.code, lot=lot_code, serials=serials,
            reason=f"pick {so.number}", ref_type="so", ref_id=so.number, op_id=op_id, reservation_id=task.reservation_id,
        )
        staged = ledger.reserve(
            session, actor.granted("stock.reserve"), sku=item.sku, location=staging.code, qty=taken, lot=lot_code, ref_type="so_staged", ref_id=str(line.id)
        )
        task.move_id, task.staged_reservation_id = move.id, staged.id
    reservation = session.get_one(Reservation, task.reservation_id)
    if reservation.open:  # what was not picked is no longer held
        ledger.release(session, actor.granted("stock.reserve"), reservation.id)
    task.picked_qty, task.serials = taken, list(serials)
    transition(task, "pick" if taken == task.qty else "short")
    task.short_reason = short_reason
    task.done_by, task.done_at = actor.user_id, utcnow()
    line.picked_qty += taken
    line.short_qty += task.qty - taken
    touch(so)
    session.flush()
    _wave_progress(session, task.wave_id)
    record(session, actor, "pick.confirm", "pick_task", task_id, so=so.number, sku=item.sku, qty=fmt(taken), short=fmt(task.qty - taken), reason=short_reason)
    return task


def _wave_progress(session: Session, wave_id: int) -> None:
    """A task of the wave was done or cancelled: the wave is done once none is open."""
    wave = session.get_one(Wave, wave_id, with_for_update=True)
    still_open = session.scalar(select(func.count()).select_from(PickTask).where(PickTask.wave_id == wave.id, PickTask.status == "open"))
    transition(wave, "progress" if still_open else "finish")
