"""Sales rules: quotes, orders (credit check, reservation), waves and picking (FEFO, bin route), packing (SSCC),
shipping (short: the rest kept on a backorder or cancelled), invoices and credit notes, returns.

Stock moves through the warehouse's areas by convention: picked goods go from their bin to the
shipping area `<WAREHOUSE>-OUT` (still reserved for the order), shipping moves them to CUSTOMER,
returns arrive in `<WAREHOUSE>-RET` (a quarantine area) and are restocked or scrapped from there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from labels.gs1 import with_check_digit
from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.catalog.services import item_for_move
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.models import DocumentSequence
from server.documents.services import check_signed_version, get_document, next_number, page, touch
from server.errors import Conflict, Forbidden, InsufficientStock, InvalidInput, NotFound, UnknownReference
from server.finance.services import AR, REVENUE, VAT_OUT, money, post_journal
from server.inventory import services as ledger
from server.inventory.models import Balance, Move, Reservation
from server.locations.models import Location
from server.locations.services import get_location
from server.partners.models import Partner, PriceList
from server.partners.services import partner_reference, price_for
from server.purchasing.services import LineIn, _replace_lines, _vat, _warehouse
from server.quantities import as_decimal, optional_non_negative, positive_qty
from server.sales.models import (
    Invoice,
    InvoiceLine,
    Package,
    PackageLine,
    PickTask,
    Quote,
    QuoteLine,
    Return,
    ReturnLine,
    SalesOrder,
    SalesOrderLine,
    Wave,
)
from server.schemas import fmt
from server.settings import get_settings
from server.sorting import looked_up

OPEN_SO_STATES = ("confirmed", "picking", "packed", "shipped")
Remainder = Literal["backorder", "cancel"]  # what becomes of what an order ships short of


def get_quote(session: Session, number: str, *, lock: bool = False) -> Quote:
    return get_document(session, Quote, number, "quote", "报价单", lock=lock)


def get_so(session: Session, number: str, *, lock: bool = False) -> SalesOrder:
    return get_document(session, SalesOrder, number, "sales order", "销售订单", lock=lock)


def get_wave(session: Session, number: str, *, lock: bool = False) -> Wave:
    return get_document(session, Wave, number, "wave", "波次", lock=lock)


def get_invoice(session: Session, number: str, *, lock: bool = False) -> Invoice:
    return get_document(session, Invoice, number, "invoice", "发票", lock=lock)


def get_return(session: Session, number: str, *, lock: bool = False) -> Return:
    return get_document(session, Return, number, "return", "退货单", lock=lock)


def _area(session: Session, warehouse: Location, suffix: str, en: str, zh: str) -> Location:
    code = f"{warehouse.code}-{suffix}"
    row = session.scalar(select(Location).where(Location.code == code))
    if row is None or row.warehouse_id != warehouse.id or not row.active:
        raise Conflict(
            f"Warehouse {warehouse.code} has no {en} location {code}; create it first.",
            f"仓库 {warehouse.code} 没有{zh} {code}，请先创建。",
            code="missing_area",
            location=code,
        )
    return row


def _sales_lines(session: Session, customer: Partner, lines: Sequence[LineIn], factory: type) -> list[Any]:
    if not lines:
        raise InvalidInput("A document needs at least one line.", "单据至少需要一行。", code="no_lines")
    out = []
    for n, line in enumerate(lines, 1):
        item = item_for_move(session, line.sku)
        qty = positive_qty(line.qty, decimals=item.unit_decimals, unit=item.unit)
        if line.unit_price is not None:
            price = optional_non_negative(line.unit_price, "unit_price", scale=6) or Decimal(0)
        else:
            listed = price_for(session, customer, item.id, qty)
            if listed is None:
                raise InvalidInput(
                    f"No price for {item.sku}: the customer's price list has none; give a unit price.",
                    f"{item.sku} 没有价格：客户价目表中没有该商品，请填写单价。",
                    code="price_required",
                    sku=item.sku,
                )
            price = listed
        out.append(factory(line_no=n, item_id=item.id, qty=qty, unit_price=price, vat_rate=_vat(line.vat_rate, item)))
    return out


def _totals(doc: Any) -> None:
    subtotal = tax = Decimal(0)
    for line in doc.lines:
        net = money(line.qty * line.unit_price)
        subtotal += net
        tax += money(net * line.vat_rate / 100)
    doc.subtotal, doc.tax, doc.total = subtotal, tax, subtotal + tax


@dataclasses.dataclass(frozen=True)
class CustomerPrice:
    qty: Decimal
    price_list: str | None
    unit_price: Decimal | None
    vat_rate: Decimal


def customer_price(session: Session, actor: Actor, customer: str, sku: str, qty: object) -> CustomerPrice:
    """The price a line of a quote or order would take when none is typed: the customer's list price for the quantity
    (the highest break reached), or none; and the item's VAT rate."""
    actor.require("prices.read")
    customer_row = partner_reference(session, customer, "customer")
    item = item_for_move(session, sku)
    amount = positive_qty(qty, decimals=item.unit_decimals, unit=item.unit)
    listed = price_for(session, customer_row, item.id, amount)
    code = session.scalar(select(PriceList.code).where(PriceList.id == customer_row.price_list_id)) if customer_row.price_list_id else None
    return CustomerPrice(qty=amount, price_list=code, unit_price=listed, vat_rate=item.vat_rate)


# Quotes -----------------------------------------------------------------------------------------


def create_quote(
    session: Session, actor: Actor, *, customer: str, warehouse: str, lines: Sequence[LineIn], valid_until: dt.date | None = None, note: str = ""
) -> Quote:
    actor.require("sales.write")
    customer_row = partner_reference(session, customer, "customer")
    wh = _warehouse(session, warehouse)
    quote = Quote(
        number=next_number(session, "QT"), status="draft", customer_id=customer_row.id, warehouse_id=wh.id, created_by=actor.user_id,
        valid_until=valid_until or local_today() + dt.timedelta(days=30), note=note,
    )
    quote.lines = _sales_lines(session, customer_row, lines, QuoteLine)
    _totals(quote)
    session.add(quote)
    session.flush()
    record(session, actor, "quote.create", "quote", quote.number, customer=customer, total=fmt(quote.total))
    return quote


def send_quote(session: Session, actor: Actor, number: str, *, version: int | None = None) -> Quote:
    actor.require("sales.write")
    quote = get_quote(session, number, lock=True)
    check_signed_version(quote, version, "Quote", "报价单")
    transition(quote, "send")
    record(session, actor, "quote.send", "quote", number)
    return quote


def cancel_quote(session: Session, actor: Actor, number: str) -> Quote:
    actor.require("sales.write")
    quote = get_quote(session, number, lock=True)
    transition(quote, "cancel")
    record(session, actor, "quote.cancel", "quote", number)
    return quote


def accept_quote(session: Session, actor: Actor, number: str, *, version: int | None = None) -> SalesOrder:
    """The customer said yes: the quote becomes a draft sales order at the quoted prices."""
    actor.require("sales.write")
    quote = get_quote(session, number, lock=True)
    check_signed_version(quote, version, "Quote", "报价单")
    if quote.valid_until and quote.valid_until < local_today():
        raise Conflict(f"Quote {number} expired on {quote.valid_until}.", f"报价单 {number} 已于 {quote.valid_until} 过期。", code="quote_expired")
    transition(quote, "accept")
    so = SalesOrder(
        number=next_number(session, "SO"), status="draft", customer_id=quote.customer_id, warehouse_id=quote.warehouse_id,
        quote_id=quote.id, note=quote.note, created_by=actor.user_id,
    )
    so.lines = [
        SalesOrderLine(line_no=q.line_no, item_id=q.item_id, qty=q.qty, unit_price=q.unit_price, vat_rate=q.vat_rate) for q in quote.lines
    ]
    _totals(so)
    session.add(so)
    session.flush()
    quote.so_id = so.id
    record(session, actor, "quote.accept", "quote", number, so=so.number)
    record(session, actor, "so.create", "so", so.number, quote=number, total=fmt(so.total))
    return so


# Sales orders -----------------------------------------------------------------------------------


def create_so(
    session: Session, actor: Actor, *, customer: str, warehouse: str, lines: Sequence[LineIn], ship_to: str = "", note: str = ""
) -> SalesOrder:
    actor.require("sales.write")
    customer_row = partner_reference(session, customer, "customer")
    wh = _warehouse(session, warehouse)
    so = SalesOrder(
        number=next_number(session, "SO"), status="draft", customer_id=customer_row.id, warehouse_id=wh.id, ship_to=ship_to or customer_row.address,
        note=note, created_by=actor.user_id,
    )
    so.lines = _sales_lines(session, customer_row, lines, SalesOrderLine)
    _totals(so)
    session.add(so)
    session.flush()
    record(session, actor, "so.create", "so", so.number, customer=customer, total=fmt(so.total))
    return so


def update_so(
    session: Session, actor: Actor, number: str, *, version: int, lines: Sequence[LineIn] | None = None, ship_to: str | None = None,
    note: str | None = None,
) -> SalesOrder:
    actor.require("sales.write")
    so = get_so(session, number, lock=True)
    check_signed_version(so, version, "Sales order", "销售订单")
    fields = {f for f, v in (("lines", lines), ("ship_to", ship_to), ("note", note)) if v is not None}
    flows.SALES_ORDER.require_editable(number, so.status, fields)
    if lines is not None:
        customer = session.get_one(Partner, so.customer_id)
        _replace_lines(so.lines, _sales_lines(session, customer, lines, SalesOrderLine), ("item_id", "qty", "unit_price", "vat_rate"))
        _totals(so)
        so.credit_override_by, so.credit_override_amount = None, None  # a credit release covered the old amount only
    if ship_to is not None:
        so.ship_to = ship_to
    if note is not None:
        so.note = note
    if fields:
        touch(so)
        session.flush()
        record(session, actor, "so.update", "so", number, fields=sorted(fields), total=fmt(so.total))
    return so


@dataclasses.dataclass(frozen=True)
class Exposure:
    limit: Decimal | None
    open_ar: Decimal
    open_orders: Decimal
    this_order: Decimal

    @property
    def total(self) -> Decimal:
        return self.open_ar + self.open_orders + self.this_order

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.total > self.limit


def credit_released(so: SalesOrder) -> bool:
    """Released by someone allowed to, for at least the order's current amount (a change above it needs a new release)."""
    return so.credit_override_amount is not None and so.total <= so.credit_override_amount


def credit_hold(session: Session, so: SalesOrder) -> bool:
    """Whether confirming the order now would be refused for its customer's credit limit: it waits for a release."""
    return not credit_released(so) and exposure(session, so.customer_id, so).over_limit


def exposure(session: Session, customer_id: int, so: SalesOrder | None = None) -> Exposure:
    """What the customer owes (posted invoices not paid or credited, less unallocated payments) plus open orders not invoiced."""
    from server.finance.models import Payment

    invoiced = session.scalar(
        select(func.coalesce(func.sum(Invoice.total - Invoice.paid - Invoice.credited), 0)).where(
            Invoice.customer_id == customer_id, Invoice.kind == "invoice", Invoice.status.in_(("posted", "partially_paid"))
        )
    )
    advances = cast(Decimal, session.scalar(  # coalesce: never NULL
        select(func.coalesce(func.sum(Payment.unallocated), 0)).where(Payment.partner_id == customer_id, Payment.kind == "customer")
    ))
    advances += session.scalar(  # credit notes not used against an invoice are owed back to the customer
        select(func.coalesce(func.sum(Invoice.total - Invoice.paid), 0)).where(
            Invoice.customer_id == customer_id, Invoice.kind == "credit_note", Invoice.status.in_(("posted", "partially_paid"))
        )
    ) or 0
    orders = Decimal(0)
    for order in session.scalars(select(SalesOrder).where(SalesOrder.customer_id == customer_id, SalesOrder.status.in_(OPEN_SO_STATES))):
        if so is not None and order.id == so.id:
            continue
        orders += _uninvoiced(order)
    limit = session.scalar(select(Partner.credit_limit).where(Partner.id == customer_id))
    return Exposure(limit, Decimal(invoiced or 0) - Decimal(advances or 0), orders, _uninvoiced(so) if so is not None else Decimal(0))


def _uninvoiced(order: SalesOrder) -> Decimal:
    """What is left to bill on an order: not what went to a backorder (that order counts it) nor what was cancelled."""
    total = Decimal(0)
    for line in order.lines:
        net = money((line.qty - line.backordered_qty - line.cancelled_qty - line.invoiced_qty) * line.unit_price)
        total += net + money(net * line.vat_rate / 100)
    return total


def override_credit(session: Session, actor: Actor, number: str, *, version: int, reason: str) -> SalesOrder:
    """Release an order over the customer's credit limit, for its current amount, with a reason on record."""
    actor.require("sales.credit_override")
    if not reason.strip():
        raise InvalidInput("Give the reason for releasing the order over the credit limit.", "请填写超信用额度放行的原因。", code="reason_required")
    so = get_so(session, number, lock=True)
    check_signed_version(so, version, "Sales order", "销售订单")
    flows.SALES_ORDER.check(number, so.status, "confirm")
    so.credit_override_by, so.credit_override_reason, so.credit_override_amount = actor.user_id, reason, so.total
    touch(so)
    record(session, actor, "so.credit_override", "so", number, reason=reason, amount=fmt(so.total))
    return so


def confirm_so(session: Session, actor: Actor, number: str, *, version: int | None = None) -> SalesOrder:
    """Confirm: within the credit limit (or released by someone allowed to), and every line reserved, FEFO, or nothing."""
    actor.require("sales.write")
    so = get_so(session, number, lock=True)
    check_signed_version(so, version, "Sales order", "销售订单")
    transition(so, "confirm")
    customer = session.get_one(Partner, so.customer_id, with_for_update=True)
    seen = exposure(session, customer.id, so)
    released = credit_released(so)
    if seen.over_limit and not released:
        raise Conflict(
            f"Customer {customer.code}'s credit limit is {fmt(seen.limit)}: open receivables {fmt(seen.open_ar)} + open orders "
            f"{fmt(seen.open_orders)} + this order {fmt(seen.this_order)} = {fmt(seen.total)}. Ask finance to release it.",
            f"客户 {customer.code} 信用额度 {fmt(seen.limit)}：未收应收 {fmt(seen.open_ar)} + 未结订单 {fmt(seen.open_orders)} + 本单 "
            f"{fmt(seen.this_order)} = {fmt(seen.total)}，已超额度。请财务放行。",
            code="credit_limit_exceeded",
            limit=fmt(seen.limit), open_ar=fmt(seen.open_ar), open_orders=fmt(seen.open_orders), this_order=fmt(seen.this_order),
            exposure=fmt(seen.total),
        )
    _reserve_order(session, actor, so)
    record(session, actor, "so.confirm", "so", number, total=fmt(so.total), credit_released=released)
    return so


def _reserve_order(session: Session, actor: Actor, so: SalesOrder, *, all_or_nothing: bool = True) -> None:
    """Reserve every line of an order being confirmed: in full or not at all, or (a backorder) as far as stock allows."""
    warehouse = session.get_one(Location, so.warehouse_id)
    for line in so.lines:
        _reserve_fefo(session, actor, warehouse, line, line.qty, all_or_nothing=all_or_nothing)
    so.confirmed_at = utcnow()
    session.flush()


def _reserve_fefo(
    session: Session, actor: Actor, warehouse: Location, line: SalesOrderLine, need: Decimal, *, all_or_nothing: bool = True
) -> None:
    """Reserve `need` of a line from the warehouse's bins, earliest expiry first, then by bin code; short of stock, refused
    (`all_or_nothing`) or reserved as far as it goes."""
    item = session.get_one(Item, line.item_id)
    rows = session.execute(
        select(Balance.location_id, Location.code, Balance.lot_id, Lot.code, Lot.expiry, Balance.qty - Balance.reserved)
        .join(Location, Balance.location_id == Location.id)
        .outerjoin(Lot, Balance.lot_id == Lot.id)
        .where(
            Balance.item_id == item.id, Location.warehouse_id == warehouse.id, Location.kind == "bin", Location.quarantine.is_(False),
            Location.active.is_(True), Balance.qty - Balance.reserved > 0,
        )
        .order_by(Lot.expiry.is_(None), Lot.expiry, Location.code)
    ).all()
    if item.tracking == "lot":
        today = local_today()
        rows = [r for r in rows if r[4] is None or r[4] >= today]  # never reserve expired stock
    available = sum((r[5] for r in rows), Decimal(0))
    if available < need and not all_or_nothing:
        need = available
    if available < need:
        raise InsufficientStock(
            f"Only {fmt(available)} {item.unit} of {item.sku} is available in {warehouse.code}; line {line.line_no} needs {fmt(need)}.",
            f"仓库 {warehouse.code} 中 {item.sku} 仅可用 {fmt(available)} {item.unit}，第 {line.line_no} 行需要 {fmt(need)}。",
            sku=item.sku, available=fmt(available), requested=fmt(need), line=line.line_no,
        )
    for _loc_id, loc_code, _lot_id, lot_code, _expiry, free in rows:
        if need <= 0:
            break
        take = min(free, need)
        ledger.reserve(session, actor.granted("stock.reserve"), sku=item.sku, location=loc_code, qty=take, lot=lot_code, ref_type="so_line", ref_id=str(line.id))
        need -= take


def _open_reservations(session: Session, line_ids: Sequence[int], *, staged: bool | None = None) -> list[Reservation]:
    query = select(Reservation).where(
        Reservation.ref_type == ("so_staged" if staged else "so_line"), Reservation.ref_id.in_([str(i) for i in line_ids]), Reservation.open.is_(True)
    )
    return list(session.scalars(query.order_by(Reservation.id)))


def cancel_so(session: Session, actor: Actor, number: str, *, version: int | None = None, reason: str = "") -> SalesOrder:
    """Cancel before picking starts; its reservations are released."""
    actor.require("sales.write")
    so = get_so(session, number, lock=True)
    check_signed_version(so, version, "Sales order", "销售订单")
    transition(so, "cancel")
    for reservation in _open_reservations(session, [line.id for line in so.lines]):
        ledger.release(session, actor.granted("stock.reserve"), reservation.id)
    record(session, actor, "so.cancel", "so", number, reason=reason)
    return so


# Waves and picking ------------------------------------------------------------------------------


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


# Packing and shipping ---------------------------------------------------------------------------


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
        note=so.note, backorder_of=so.id, created_by=actor.user_id,
    )
    backorder.lines = [
        SalesOrderLine(line_no=n, item_id=s.line.item_id, qty=s.qty, unit_price=s.line.unit_price, vat_rate=s.line.vat_rate)
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


# Invoices and credit notes ----------------------------------------------------------------------


def create_invoice(session: Session, actor: Actor, number: str, *, invoice_date: dt.date | None = None, post: bool = True) -> Invoice:
    """Invoice what was shipped and not yet invoiced on an order; posted at once unless `post` is false."""
    actor.require("sales.invoice")
    so = get_so(session, number, lock=True)
    if so.status not in ("shipped", "invoiced"):
        flows.SALES_ORDER.check(number, so.status, "invoice")
    customer = session.get_one(Partner, so.customer_id)
    on = invoice_date or local_today()
    invoice = Invoice(
        number=next_number(session, "INV"), status="draft", kind="invoice", customer_id=customer.id, so_id=so.id, invoice_date=on,
        due_date=on + dt.timedelta(days=customer.payment_terms_days), created_by=actor.user_id,
    )
    n = 0
    for line in so.lines:
        qty = line.shipped_qty - line.returned_qty - line.invoiced_qty  # what the customer kept and was not billed for
        if qty <= 0:
            continue
        n += 1
        net = money(qty * line.unit_price)
        invoice.lines.append(InvoiceLine(
            line_no=n, so_line_id=line.id, item_id=line.item_id, qty=qty, unit_price=line.unit_price, vat_rate=line.vat_rate,
            net=net, tax=money(net * line.vat_rate / 100),
        ))
        line.invoiced_qty += qty
    if not invoice.lines:
        raise Conflict(f"Everything shipped on {number} is already invoiced.", f"{number} 已发货的商品均已开票。", code="nothing_to_invoice")
    _invoice_totals(invoice)
    session.add(invoice)
    if all(line.invoiced_qty >= line.shipped_qty - line.returned_qty for line in so.lines) and so.status == "shipped":
        transition(so, "invoice")
    else:
        touch(so)
    session.flush()
    record(session, actor, "invoice.create", "invoice", invoice.number, so=number, total=fmt(invoice.total))
    if post:
        post_invoice(session, actor, invoice.number)
    return invoice


def _invoice_totals(invoice: Invoice) -> None:
    invoice.subtotal = sum((line.net for line in invoice.lines), Decimal(0))
    invoice.tax = sum((line.tax for line in invoice.lines), Decimal(0))
    invoice.total = invoice.subtotal + invoice.tax


def post_invoice(session: Session, actor: Actor, number: str) -> Invoice:
    """Receivable against revenue and output VAT (a credit note the other way round)."""
    actor.require("sales.invoice")
    invoice = get_invoice(session, number, lock=True)
    transition(invoice, "post")
    lines = [(AR, invoice.total, Decimal(0)), (REVENUE, Decimal(0), invoice.subtotal), (VAT_OUT, Decimal(0), invoice.tax)]
    if invoice.kind == "credit_note":
        lines = [(code, credit, debit) for code, debit, credit in lines]
    post_journal(session, actor, source_type="invoice", source_id=number, memo=number, lines=lines)
    invoice.posted_at = utcnow()
    record(session, actor, "invoice.post", "invoice", number, total=fmt(invoice.total), kind=invoice.kind)
    return invoice


def cancel_invoice(session: Session, actor: Actor, number: str) -> Invoice:
    """A draft invoice that should not go out: cancelled, and its quantities can be invoiced again."""
    actor.require("sales.invoice")
    invoice = get_invoice(session, number, lock=True)
    transition(invoice, "cancel")
    so = get_so(session, session.scalar(select(SalesOrder.number).where(SalesOrder.id == invoice.so_id)) or "", lock=True)
    lines = {line.id: line for line in so.lines}
    for line in invoice.lines:
        lines[line.so_line_id].invoiced_qty -= line.qty
    if so.status == "invoiced":
        transition(so, "uninvoice")
    else:
        touch(so)
    record(session, actor, "invoice.cancel", "invoice", number)
    return invoice


# Returns ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ReturnLineIn:
    line: int  # the order's line number
    qty: object
    lot: str | None = None
    serials: Sequence[str] = ()
    reason: str = ""


def create_return(session: Session, actor: Actor, *, so: str, lines: Sequence[ReturnLineIn], note: str = "") -> Return:
    """An RMA: what the customer sends back from a shipped order, no more than was shipped and not yet returned."""
    actor.require("sales.write")
    order = get_so(session, so, lock=True)
    if order.status not in ("shipped", "invoiced", "closed"):
        raise Conflict(f"Sales order {so} has not shipped; nothing can come back.", f"销售订单 {so} 尚未发货，无法退货。", code="wrong_state")
    if not lines:
        raise InvalidInput("A return needs at least one line.", "退货单至少需要一行。", code="no_lines")
    draft = session.scalar(select(Invoice.number).where(Invoice.so_id == order.id, Invoice.status == "draft").limit(1))
    if draft is not None:
        raise Conflict(
            f"Invoice {draft} of {so} is still a draft: post or cancel it before taking goods back.",
            f"{so} 的发票 {draft} 仍是草稿，请先过账或取消后再办理退货。",
            code="draft_invoice",
            invoice=draft,
        )
    warehouse = session.get_one(Location, order.warehouse_id)
    area = _area(session, warehouse, "RET", "returns", "退货区")
    rma = Return(number=next_number(session, "RMA"), status="open", so_id=order.id, customer_id=order.customer_id, warehouse_id=warehouse.id,
                 location_id=area.id, note=note, created_by=actor.user_id)
    by_no = {line.line_no: line for line in order.lines}
    for n, entry in enumerate(lines, 1):
        line = by_no.get(entry.line)
        if line is None:
            raise InvalidInput(f"Sales order {so} has no line {entry.line}.", f"销售订单 {so} 没有第 {entry.line} 行。", code="unknown_line")
        item = session.get_one(Item, line.item_id)
        qty = positive_qty(entry.qty, decimals=item.unit_decimals, unit=item.unit)
        if line.returned_qty + qty > line.shipped_qty:
            raise Conflict(
                f"Line {entry.line} ({item.sku}): {fmt(line.shipped_qty - line.returned_qty)} shipped and not returned; {fmt(qty)} cannot come back.",
                f"第 {entry.line} 行（{item.sku}）已发货未退 {fmt(line.shipped_qty - line.returned_qty)}，不能退 {fmt(qty)}。",
                code="over_return",
            )
        lot = session.scalar(select(Lot).where(Lot.item_id == item.id, Lot.code == entry.lot)) if entry.lot else None
        if entry.lot and lot is None:
            raise UnknownReference(f"Item {item.sku} has no lot {entry.lot}.", f"商品 {item.sku} 没有批次 {entry.lot}。", code="unknown_lot")
        line.returned_qty += qty
        rma.lines.append(ReturnLine(line_no=n, so_line_id=line.id, item_id=item.id, lot_id=lot.id if lot else None, serials=list(entry.serials),
                                    qty=qty, reason=entry.reason))
    session.add(rma)
    session.flush()
    record(session, actor, "return.create", "return", rma.number, so=so, lines=len(lines))
    return rma


def receive_return(session: Session, actor: Actor, number: str) -> Return:
    """The goods are back: into the returns area (not available), and a credit note for what had been invoiced."""
    actor.require("sales.fulfil")
    rma = get_return(session, number, lock=True)
    transition(rma, "receive")
    area = session.get_one(Location, rma.location_id)
    mover = actor.granted("stock.move")
    credit: list[tuple[SalesOrderLine, Decimal]] = []
    for line in rma.lines:
        item = session.get_one(Item, line.item_id)
        lot_code = session.scalar(select(Lot.code).where(Lot.id == line.lot_id)) if line.lot_id else None
        so_line = session.get_one(SalesOrderLine, line.so_line_id, with_for_update=True)
        line.unit_cost = _cost_still_out(session, so_line)
        move = ledger.move(
            session, mover, sku=item.sku, qty=line.qty, source="CUSTOMER", target=area.code, lot=lot_code, serials=line.serials,
            unit_cost=line.unit_cost, reason=f"return {number}: {line.reason}"[:200], ref_type="return", ref_id=number,
        )
        line.receive_move_id = move.id
        so_line.cost -= move.value
        invoiced_back = min(line.qty, so_line.invoiced_qty)
        if invoiced_back > 0:
            credit.append((so_line, invoiced_back))
    if credit:
        rma.credit_note_id = _credit_note(session, actor, rma, credit).id
    session.flush()
    record(session, actor, "return.receive", "return", number)
    return rma


def _cost_still_out(session: Session, so_line: SalesOrderLine) -> Decimal:
    """The unit cost of what is still with the customer: a return reverses the cost of goods sold at the cost it shipped at."""
    back = session.scalar(
        select(func.coalesce(func.sum(ReturnLine.qty), 0)).where(ReturnLine.so_line_id == so_line.id, ReturnLine.receive_move_id.is_not(None))
    )
    out = so_line.shipped_qty - Decimal(back or 0)
    return (so_line.cost / out).quantize(Decimal("0.000001")) if out > 0 else Decimal(0)


def _credit_note(session: Session, actor: Actor, rma: Return, lines: list[tuple[SalesOrderLine, Decimal]]) -> Invoice:
    so = session.get_one(SalesOrder, rma.so_id)
    open_invoices = list(session.scalars(
        select(Invoice).where(Invoice.so_id == so.id, Invoice.kind == "invoice", Invoice.status.in_(("posted", "partially_paid", "paid")))
        .order_by(Invoice.id).with_for_update()
    ))
    original = next((i for i in open_invoices if i.total - i.paid - i.credited > 0), open_invoices[-1] if open_invoices else None)
    note = Invoice(
        number=next_number(session, "CN"), status="draft", kind="credit_note", customer_id=so.customer_id, so_id=so.id,
        credits_id=original.id if original else None, invoice_date=local_today(), due_date=local_today(), note=f"return {rma.number}",
        created_by=actor.user_id,
    )
    for n, (so_line, qty) in enumerate(lines, 1):
        net = money(qty * so_line.unit_price)
        note.lines.append(InvoiceLine(line_no=n, so_line_id=so_line.id, item_id=so_line.item_id, qty=qty, unit_price=so_line.unit_price,
                                      vat_rate=so_line.vat_rate, net=net, tax=money(net * so_line.vat_rate / 100)))
        so_line.invoiced_qty -= qty
    _invoice_totals(note)
    session.add(note)
    session.flush()
    post_invoice(session, actor.granted("sales.invoice"), note.number)
    # The credit settles the order's open invoices, oldest first; what it cannot settle stays on the customer's account.
    for invoice in open_invoices:
        settle = min(note.total - note.paid, invoice.total - invoice.paid - invoice.credited)
        if settle <= 0:
            continue
        invoice.credited += settle
        note.paid += settle
        if invoice.paid + invoice.credited >= invoice.total:
            transition(invoice, "close")
        else:
            touch(invoice)
    if note.paid > 0:
        transition(note, "close" if note.paid == note.total else "pay")
    record(session, actor, "invoice.credit_note", "invoice", note.number, return_=rma.number, total=fmt(note.total))
    return note


def dispose_return(session: Session, actor: Actor, number: str, line_no: int, *, disposition: str, location: str | None = None) -> Return:
    """Each returned line is restocked (to a bin of the warehouse) or scrapped."""
    actor.require("sales.fulfil")
    rma = get_return(session, number, lock=True)
    flows.RETURN.check(number, rma.status, "close")
    line = next((r for r in rma.lines if r.line_no == line_no), None)
    if line is None:
        raise NotFound(f"Return {number} has no line {line_no}.", f"退货单 {number} 没有第 {line_no} 行。")
    if line.disposition != "pending":
        raise Conflict(f"Line {line_no} of {number} was already {line.disposition}.", f"{number} 第 {line_no} 行已处理。", code="already_disposed")
    if disposition not in ("restock", "scrap"):
        raise InvalidInput("Disposition is restock or scrap.", "处理方式为 restock（重新入库）或 scrap（报废）。")
    area = session.get_one(Location, rma.location_id)
    if disposition == "restock":
        if not location:
            raise InvalidInput("Say which bin the goods go back to.", "请指定重新入库的库位。", code="location_required")
        target = session.scalar(select(Location).where(Location.code == location))
        if target is None or target.warehouse_id != rma.warehouse_id or target.quarantine or not target.internal:
            raise InvalidInput(f"{location} is not an available location of this warehouse.", f"{location} 不是本仓库的可用库位。", code="wrong_location")
        target_code = target.code
    else:
        target_code = "SCRAP"
    item = session.get_one(Item, line.item_id)
    lot_code = session.scalar(select(Lot.code).where(Lot.id == line.lot_id)) if line.lot_id else None
    move = ledger.move(
        session, actor.granted("stock.move"), sku=item.sku, qty=line.qty, source=area.code, target=target_code, lot=lot_code, serials=line.serials,
        reason=f"return {number} {disposition}", ref_type="return", ref_id=number,
    )
    line.disposition, line.dispose_move_id = disposition, move.id
    if all(r.disposition != "pending" for r in rma.lines):
        transition(rma, "close")
    else:
        touch(rma)
    session.flush()
    record(session, actor, "return.dispose", "return", number, line=line_no, disposition=disposition, location=target_code)
    return rma


# Lists ------------------------------------------------------------------------------------------


def sort_fields(model: Any) -> dict[str, Any]:
    """What a list of quotes, orders, invoices or returns may be sorted by, named as its answer's fields."""
    fields = {"number": model.number, "status": model.status, "customer": looked_up(Partner.code, Partner.id == model.customer_id)}
    if model is Quote:
        return fields | {
            "warehouse": looked_up(Location.code, Location.id == Quote.warehouse_id), "valid_until": Quote.valid_until, "total": Quote.total,
            "sales_order": looked_up(SalesOrder.number, SalesOrder.id == Quote.so_id),
        }
    if model is SalesOrder:
        return fields | {
            "warehouse": looked_up(Location.code, Location.id == SalesOrder.warehouse_id), "total": SalesOrder.total,
            "created_at": SalesOrder.created_at,
        }
    if model is Invoice:
        return fields | {
            "kind": Invoice.kind, "order": looked_up(SalesOrder.number, SalesOrder.id == Invoice.so_id), "invoice_date": Invoice.invoice_date,
            "due_date": Invoice.due_date, "total": Invoice.total, "paid": Invoice.paid, "open": Invoice.total - Invoice.paid - Invoice.credited,
        }
    return fields | {
        "order": looked_up(SalesOrder.number, SalesOrder.id == Return.so_id), "warehouse": looked_up(Location.code, Location.id == Return.warehouse_id),
        "credit_note": looked_up(Invoice.number, Invoice.id == Return.credit_note_id),
    }


def list_documents(
    session: Session, model: Any, *, status: str | None = None, customer: str | None = None, limit: int = 50, offset: int = 0,
    kind: str | None = None, warehouse: str | None = None, order: str | None = None, sort: str | None = None, hidden: Collection[str] = (),
) -> tuple[list[Any], int]:
    """A page of quotes, orders, invoices or returns, newest first or as `sort` asks (see `sort_fields`; not by the fields in
    `hidden`), narrowed by state, customer, warehouse, or the sales order (an invoice's or a return's) they belong to."""
    query = select(model)
    if status:
        query = query.where(model.status == status)
    if customer:
        query = query.where(model.customer_id == select(Partner.id).where(Partner.code == customer).scalar_subquery())
    if warehouse and hasattr(model, "warehouse_id"):
        query = query.where(model.warehouse_id == select(Location.id).where(Location.code == warehouse).scalar_subquery())
    if order and hasattr(model, "so_id"):
        query = query.where(model.so_id == select(SalesOrder.id).where(SalesOrder.number == order).scalar_subquery())
    if kind and model is Invoice:
        query = query.where(Invoice.kind == kind)
    return page(session, query, model, limit, offset, sort=sort, fields=sort_fields(model), hidden=hidden)


def shipped_moves(session: Session, so: SalesOrder) -> list[Move]:
    return list(session.scalars(select(Move).where(Move.ref_type == "so", Move.ref_id == so.number).order_by(Move.id)))
