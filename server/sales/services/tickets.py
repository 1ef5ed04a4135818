"""After-sales service tickets (售后服务单): a customer reports a fault in goods they were sold, named by serial number (or
by lot), or — for goods tracked by neither — by the delivery note they came on and the item; the ticket finds the sale it
goes back to (in the ledger's trace, or on the delivery: the order and line it shipped on, the invoice that billed it, the
day it left), judges the warranty from that day, and keeps what is done about it.

How a ticket is resolved:

- **repair**: the unit stays the customer's. It is mended and handed back; no stock moves and nothing is credited (a
  customer's unit in for repair is not the company's stock). The ticket's log says what was done.
- **replacement**: the faulty goods come back on a customer return (`create-return`; the warehouse receives it, which
  credits what had been invoiced, as every return does), then a replacement sales order ships new goods through the usual
  pick, pack and ship. It is priced as the faulty goods were sold, so the return's credit pays for it and the customer
  pays once, for goods that work: a replacement "at no charge" would pay them twice, since the return already credited
  them (and if nothing had been invoiced yet, the return took the goods off what the first order will bill).
- **refund**: the goods come back on a return; the credit note its receipt made is the refund, linked on the ticket.

Stock moves only through the return and the sales order services, never here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.models import User
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.lines import PRICE_PLACES, LineIn, base_price
from server.documents.services import check_signed_version, get_document, next_number, page, touch
from server.errors import CangkuError, Conflict, InvalidInput, NotFound, UnknownReference
from server.inventory import trace
from server.locations.models import Location
from server.partners.models import Partner
from server.partners.services import partner_reference
from server.quantities import positive_qty
from server.sales.models import Invoice, InvoiceLine, PickTask, Return, SalesOrder, SalesOrderLine
from server.sales.services.orders import confirm_so, create_so
from server.sales.services.returns import ReturnLineIn, create_return
from server.sales.ticket_models import ServiceTicket, ServiceTicketEntry
from server.schemas import fmt
from server.settings import get_settings
from server.sorting import looked_up

RESOLUTIONS = ("repair", "replacement", "refund")
RESOLUTION_NAMES = {"repair": ("维修", "repair"), "replacement": ("换货", "replacement"), "refund": ("退款", "refund")}
# A ticket not closed or cancelled: a serial has one such ticket at a time.
OPEN_STATES = ("open", "in_progress", "resolved")
INVOICED = ("posted", "partially_paid", "paid")
SHIPPED = ("shipped", "invoiced", "closed")
BACK = ("received", "done")  # a return whose goods are in


def get_ticket(session: Session, number: str, *, lock: bool = False) -> ServiceTicket:
    return get_document(session, ServiceTicket, number, "service ticket", "售后服务单", lock=lock)


# What was sold ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sold:
    """Goods out with a customer: what they are, how many are still with them, and the sale they went out on."""

    item: Item
    serial: str | None
    lot: Lot | None
    qty: Decimal  # with the customer now, in the item's own unit
    customer: Partner
    order: SalesOrder
    line: SalesOrderLine
    invoice: Invoice | None
    shipped_at: dt.datetime

    @property
    def shipped_on(self) -> dt.date:
        return local_today(self.shipped_at)


def warranty_until(shipped_at: dt.datetime, days: int) -> dt.date:
    """The last day of the warranty: `days` after the day the goods shipped, in the company's calendar."""
    return local_today(shipped_at) + dt.timedelta(days=days)


def _referenced(error: NotFound, field: str) -> UnknownReference:
    """A serial, lot or item the request names that is not there: a 422 about the request, naming the field."""
    return UnknownReference(error.en, error.zh, field="sku" if "lot" not in error.details and "serial" not in error.details else field,
                            **error.details)


def _customer(session: Session, code: str | None) -> Partner | None:
    return partner_reference(session, code, "customer") if code else None


def _other_customer(what_en: str, what_zh: str, sold_to: Partner, order: str, asked: Partner) -> InvalidInput:
    return InvalidInput(
        f"{what_en} was sold to {sold_to.code} ({sold_to.name_en or sold_to.name_zh}) on {order}, not to {asked.code}.",
        f"{what_zh}售给了 {sold_to.code}（{sold_to.name_zh or sold_to.name_en}，{order}），不是 {asked.code}。",
        code="sold_to_another_customer", field="customer", customer=asked.code, sold_to=sold_to.code, order=order,
    )


def find_sold(
    session: Session, *, serial: str | None = None, sku: str | None = None, lot: str | None = None, customer: str | None = None,
    order: str | None = None,
) -> Sold:
    """The sale behind goods a customer has: a serial number (of `sku` when several items have one so numbered) that is out
    with a customer now, some of lot `lot` of `sku` still with `customer` (from `order`, or their latest order of it), or
    — goods tracked by neither — `sku` on delivery `order` (the shipped sales order whose delivery note it is). Goods in
    stock, never shipped, or shipped to someone else are refused, saying where they are or whom they went to."""
    asked = _customer(session, customer)
    if serial:
        return _sold_serial(session, serial, sku, asked, order)
    if lot:
        return _sold_lot(session, sku, lot, asked, order)
    if sku and order:
        return _sold_on_delivery(session, sku, order, asked)
    raise InvalidInput("Give the serial number, the item and lot, or the item and the delivery note's number the customer is reporting.",
                       "请填写客户反馈的序列号、商品及批次，或商品及送货单号。", code="serial_or_lot", field="serial")


def _sold_serial(session: Session, serial: str, sku: str | None, asked: Partner | None, order: str | None) -> Sold:
    try:
        found = trace.trace_serial(session, serial, sku)
    except NotFound as missing:
        raise _referenced(missing, "serial") from None
    what_en, what_zh = f"Serial {serial} of {found.sku}", f"{found.sku} 的序列号 {serial} "
    last = found.moves[-1] if found.moves else None
    if found.location != "CUSTOMER" or last is None or last.ref_type != "so" or not last.ref_id:
        if found.location is None:
            where_en, where_zh = "it was never received", "从未入库"
        elif found.in_stock:
            where_en, where_zh = f"it is in stock at {found.location}", f"在库，位于 {found.location}"
        elif found.location == "CUSTOMER":
            where_en, where_zh = "it left without a sales order", "不是随销售订单发出的"
        else:
            where_en, where_zh = f"it is at {found.location}", f"当前在 {found.location}"
        raise InvalidInput(f"{what_en} was not sold to a customer: {where_en}.", f"{what_zh}不在客户处：{where_zh}。",
                           code="not_sold", field="serial", serial=serial, location=found.location)
    so = session.scalar(select(SalesOrder).where(SalesOrder.number == last.ref_id))
    if so is None:  # a move naming an order that is not there: nothing a ticket can be about
        raise InvalidInput(f"{what_en} went out on {last.ref_id}, which is not a sales order.", f"{what_zh}的发货单 {last.ref_id} 不是销售订单。",
                           code="not_sold", field="serial", serial=serial)
    sold_to = session.get_one(Partner, so.customer_id)
    if asked is not None and sold_to.id != asked.id:
        raise _other_customer(what_en, what_zh, sold_to, so.number, asked)
    if order and order != so.number:
        raise InvalidInput(f"{what_en} went out on {so.number}, not on {order}.", f"{what_zh}随 {so.number} 发出，不是 {order}。",
                           code="not_sold", field="order", serial=serial, order=so.number)
    item = session.scalars(select(Item).where(Item.sku == found.sku)).one()
    lot_row = session.scalar(select(Lot).where(Lot.item_id == item.id, Lot.code == found.lot)) if found.lot else None
    line = _line_of(session, so, item, lambda task: serial in (task.serials or []))
    return Sold(item=item, serial=found.serial, lot=lot_row, qty=Decimal(1), customer=sold_to, order=so, line=line,
                invoice=_invoice_of(session, line), shipped_at=last.created_at)


def _sold_lot(session: Session, sku: str | None, code: str, asked: Partner | None, order: str | None) -> Sold:
    if not sku:
        raise InvalidInput("Say which item the lot is of.", "请指明该批次所属的商品。", code="serial_or_lot", field="sku")
    if asked is None:
        raise InvalidInput("Say which customer has the goods of the lot.", "请指明持有该批次商品的客户。", code="serial_or_lot", field="customer")
    try:
        found = trace.trace_lot(session, sku, code)
    except NotFound as missing:
        raise _referenced(missing, "lot") from None
    item = session.scalars(select(Item).where(Item.sku == found.sku)).one()
    if item.tracking == "serial":
        raise InvalidInput(f"{item.sku} is serial-numbered: give the serial number of the unit.", f"{item.sku} 按序列号管理，请填写该件的序列号。",
                           code="serial_or_lot", field="serial")
    what_en, what_zh = f"Lot {code} of {item.sku}", f"{item.sku} 批次 {code} "
    shipped: dict[str, tuple[Decimal, dt.datetime]] = {}
    others: list[tuple[str, str]] = []
    for flow in found.went_to:
        if flow.kind != "shipment" or not flow.document or flow.partner is None:
            continue
        if flow.partner.code != asked.code:
            others.append((flow.partner.code, flow.document))
            continue
        shipped[flow.document] = (Decimal(flow.qty), flow.at)
    back: dict[str, Decimal] = {}
    for flow in found.came_from:
        if flow.kind == "return" and flow.order and flow.partner is not None and flow.partner.code == asked.code:
            back[flow.order] = back.get(flow.order, Decimal(0)) + Decimal(flow.qty)
    held = [(number, qty - back.get(number, Decimal(0)), at) for number, (qty, at) in shipped.items()
            if qty > back.get(number, Decimal(0)) and (not order or number == order)]
    if not held:
        if not shipped and others and not order:
            sold_to = session.scalars(select(Partner).where(Partner.code == others[-1][0])).one()
            raise _other_customer(what_en, what_zh, sold_to, others[-1][1], asked)
        on_en, on_zh = (f" on {order}", f"（{order}）") if order else ("", "")
        raise InvalidInput(f"{asked.code} has none of lot {code} of {item.sku}{on_en}: none was shipped to them, or all of it came back.",
                           f"{asked.code} 没有{what_zh}{on_zh}：未向其发货，或已全部退回。",
                           code="not_sold", field="order" if order else "lot", customer=asked.code, lot=code)
    number, qty, at = max(held, key=lambda h: h[2])
    so = session.scalars(select(SalesOrder).where(SalesOrder.number == number)).one()
    lot_row = session.scalars(select(Lot).where(Lot.item_id == item.id, Lot.code == found.lot)).one()
    line = _line_of(session, so, item, lambda task: task.lot_id == lot_row.id)
    return Sold(item=item, serial=None, lot=lot_row, qty=qty, customer=asked, order=so, line=line, invoice=_invoice_of(session, line), shipped_at=at)


def _sold_on_delivery(session: Session, sku: str, number: str, asked: Partner | None) -> Sold:
    """Goods tracked by neither serial nor lot, by the delivery they came on: the shipped order `number`, its line of `sku`,
    and how many of them the customer still has that no return or open ticket already claims."""
    item = session.scalar(select(Item).where(Item.sku == sku))
    if item is None:
        raise UnknownReference(f"No item {sku}.", f"没有商品 {sku}。", field="sku", sku=sku)
    if item.tracking == "serial":
        raise InvalidInput(f"{item.sku} is serial-numbered: give the serial number of the unit.", f"{item.sku} 按序列号管理，请填写该件的序列号。",
                           code="serial_or_lot", field="serial")
    if item.tracking == "lot":
        raise InvalidInput(f"{item.sku} is tracked by lot: give the lot the customer has.", f"{item.sku} 按批次管理，请填写客户所持商品的批次。",
                           code="serial_or_lot", field="lot")
    so = session.scalar(select(SalesOrder).where(SalesOrder.number == number))
    if so is None:
        raise UnknownReference(f"No delivery note {number}: give the number of the sales order the goods shipped on.",
                               f"没有送货单 {number}：请填写发货的销售订单号。", field="order", order=number)
    if so.shipped_at is None or so.status not in SHIPPED:
        raise InvalidInput(f"Sales order {so.number} has not shipped: it has no delivery to report goods of.",
                           f"销售订单 {so.number} 尚未发货，没有可报修的送货。", code="not_sold", field="order", order=so.number)
    sold_to = session.get_one(Partner, so.customer_id)
    if asked is not None and sold_to.id != asked.id:
        raise InvalidInput(
            f"Delivery {so.number} went to {sold_to.code} ({sold_to.name_en or sold_to.name_zh}), not to {asked.code}.",
            f"送货单 {so.number} 的收货客户是 {sold_to.code}（{sold_to.name_zh or sold_to.name_en}），不是 {asked.code}。",
            code="sold_to_another_customer", field="customer", customer=asked.code, sold_to=sold_to.code, order=so.number,
        )
    lines = [line for line in so.lines if line.item_id == item.id and line.shipped_qty > 0]
    if not lines:
        raise InvalidInput(f"Delivery {so.number} carried no {item.sku}.", f"送货单 {so.number} 中没有 {item.sku}。", code="not_sold", field="sku",
                           order=so.number, sku=item.sku)
    held = [(line, unclaimed(session, line)) for line in lines]
    line, qty = next(((line, qty) for line, qty in held if qty > 0), held[0])
    return Sold(item=item, serial=None, lot=None, qty=qty, customer=sold_to, order=so, line=line, invoice=_invoice_of(session, line),
                shipped_at=so.shipped_at)


def unclaimed(session: Session, line: SalesOrderLine) -> Decimal:
    """What of an order line's untracked goods the customer still has that no return takes back and no open ticket (not
    yet on a return) is about already."""
    claimed = session.scalar(
        select(func.sum(ServiceTicket.qty)).where(
            ServiceTicket.so_line_id == line.id, ServiceTicket.serial.is_(None), ServiceTicket.lot_id.is_(None),
            ServiceTicket.return_id.is_(None), ServiceTicket.status.in_(OPEN_STATES))
    ) or Decimal(0)
    return max(line.shipped_qty - line.returned_qty - claimed, Decimal(0))


def _line_of(session: Session, so: SalesOrder, item: Item, carried: Any) -> SalesOrderLine:
    """The order's line the goods went out on: the only line of the item, or the one whose picks carried them."""
    lines = [line for line in so.lines if line.item_id == item.id]
    if len(lines) > 1:
        tasks = session.scalars(select(PickTask).where(PickTask.so_line_id.in_([line.id for line in lines]), PickTask.picked_qty > 0))
        picked = {task.so_line_id for task in tasks if carried(task)}
        lines = [line for line in lines if line.id in picked] or lines
    if not lines:
        raise InvalidInput(f"Sales order {so.number} has no line of {item.sku}.", f"销售订单 {so.number} 没有 {item.sku} 的行。", code="not_sold",
                           field="serial")
    return lines[0]


def _invoice_of(session: Session, line: SalesOrderLine) -> Invoice | None:
    """The first posted invoice that billed the line, if it was billed yet."""
    return session.scalar(
        select(Invoice).join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(InvoiceLine.so_line_id == line.id, Invoice.kind == "invoice", Invoice.status.in_(INVOICED)).order_by(Invoice.id).limit(1)
    )


def open_ticket_on(session: Session, item_id: int, serial: str | None, *, besides: int | None = None) -> str | None:
    """The ticket not yet closed (or cancelled) about a serial-numbered unit, if there is one."""
    if not serial:
        return None
    query = select(ServiceTicket.number).where(ServiceTicket.item_id == item_id, ServiceTicket.serial == serial,
                                               ServiceTicket.status.in_(OPEN_STATES))
    if besides is not None:
        query = query.where(ServiceTicket.id != besides)
    return session.scalar(query.order_by(ServiceTicket.id).limit(1))


# Writing a ticket ---------------------------------------------------------------------------------


def _log(ticket: ServiceTicket, actor: Actor, action: str, text: str = "", document: str | None = None) -> None:
    ticket.log.append(ServiceTicketEntry(action=action, text=text[:500], document=document, user_id=actor.user_id, at=utcnow()))


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise UnknownReference(f"No active user {username} to assign the ticket to.", f"没有可指派的在用用户 {username}。", field="assigned_to",
                               user=username)
    return user


def _warranty_days(value: object | None) -> int:
    days = get_settings().warranty_days if value is None else value
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 36_500:
        raise InvalidInput("Warranty days are a whole number from 0 to 36500.", "保修天数应为 0 至 36500 的整数。", field="warranty_days")
    return days


def _resolution(value: str | None) -> str | None:
    if value is not None and value not in RESOLUTIONS:
        raise InvalidInput("A resolution is repair, replacement or refund.", "处理方式为 repair（维修）、replacement（换货）或 refund（退款）。",
                           field="resolution")
    return value


def create_ticket(
    session: Session, actor: Actor, *, customer: str, problem: str, serial: str | None = None, sku: str | None = None, lot: str | None = None,
    qty: object | None = None, order: str | None = None, resolution: str | None = None, warranty_days: int | None = None,
    assigned_to: str | None = None, note: str = "",
) -> ServiceTicket:
    """A ticket about goods `customer` was sold: a serial number (one unit), `qty` of a lot (1 unless given, no more than
    they still have), or `qty` of untracked `sku` on delivery `order` (no more than shipped less what was returned or is on
    open tickets). Its order, line, invoice and ship day come from the trace; its warranty runs `warranty_days` (the
    setting unless given) from the ship day and is judged on the day it is reported, today."""
    actor.require("service.write")
    if not problem.strip():
        raise InvalidInput("Say what the customer reports is wrong.", "请填写客户反馈的问题。", field="problem")
    sold = find_sold(session, serial=serial, sku=sku, lot=lot, customer=customer, order=order)
    if sold.serial is not None:
        if qty is not None and positive_qty(qty, decimals=sold.item.unit_decimals, unit=sold.item.unit) != 1:
            raise InvalidInput("A serial number is one unit.", "一个序列号只对应一件商品。", field="qty")
        amount = Decimal(1)
        already = open_ticket_on(session, sold.item.id, sold.serial)
        if already:
            raise Conflict(f"Serial {sold.serial} already has ticket {already} open; add to it instead.",
                           f"序列号 {sold.serial} 已有未关闭的售后服务单 {already}，请在该单中处理。", code="open_ticket", ticket=already)
    elif sold.lot is None:
        # Goods by the delivery they came on: the line is locked, so two tickets at once cannot both claim its last units.
        line = session.scalars(select(SalesOrderLine).where(SalesOrderLine.id == sold.line.id).with_for_update()
                               .execution_options(populate_existing=True)).one()
        amount = positive_qty(qty if qty is not None else 1, decimals=sold.item.unit_decimals, unit=sold.item.unit)
        left = unclaimed(session, line)
        if amount > left:
            raise InvalidInput(
                f"{sold.customer.code} has {fmt(left)} {sold.item.unit} of {sold.item.sku} from delivery {sold.order.number} not returned or on an "
                f"open ticket already ({fmt(line.shipped_qty)} shipped); a ticket cannot be about {fmt(amount)}.",
                f"{sold.customer.code} 在送货单 {sold.order.number} 中的 {sold.item.sku} 未退回且未登记售后的只有 {fmt(left)} {sold.item.unit}"
                f"（发货 {fmt(line.shipped_qty)}），不能登记 {fmt(amount)}。",
                code="not_sold", field="qty", held=fmt(left), shipped=fmt(line.shipped_qty),
            )
    else:
        amount = positive_qty(qty if qty is not None else 1, decimals=sold.item.unit_decimals, unit=sold.item.unit)
        if amount > sold.qty:
            raise InvalidInput(
                f"{sold.customer.code} has {fmt(sold.qty)} {sold.item.unit} of lot {lot} from {sold.order.number}; a ticket cannot be about {fmt(amount)}.",
                f"{sold.customer.code} 持有 {sold.order.number} 的批次 {lot} 共 {fmt(sold.qty)} {sold.item.unit}，不能登记 {fmt(amount)}。",
                code="not_sold", field="qty", held=fmt(sold.qty),
            )
    ticket = ServiceTicket(
        number=next_number(session, "SV"), status="open", customer_id=sold.customer.id, item_id=sold.item.id, serial=sold.serial,
        lot_id=sold.lot.id if sold.lot else None, qty=amount, so_id=sold.order.id, so_line_id=sold.line.id,
        invoice_id=sold.invoice.id if sold.invoice else None, shipped_at=sold.shipped_at, reported_on=local_today(),
        warranty_days=_warranty_days(warranty_days), problem=problem, resolution=_resolution(resolution), note=note,
        assigned_to=_user(session, assigned_to).id if assigned_to else None, created_by=actor.user_id,
    )
    _log(ticket, actor, "create", problem)
    session.add(ticket)
    session.flush()
    record(session, actor, "service_ticket.create", "service_ticket", ticket.number, customer=sold.customer.code, sku=sold.item.sku,
           serial=sold.serial, lot=sold.lot.code if sold.lot else None, qty=fmt(amount), order=sold.order.number,
           invoice=sold.invoice.number if sold.invoice else None, in_warranty=in_warranty(ticket))
    return ticket


def in_warranty(ticket: ServiceTicket) -> bool:
    return ticket.reported_on <= warranty_until(ticket.shipped_at, ticket.warranty_days)


def _choose(ticket: ServiceTicket, resolution: str) -> None:
    """A resolution the ticket's documents allow: a unit already taken back is not repaired at the customer's; one replaced
    is not refunded, nor the other way round."""
    held_en, held_zh = "", ""
    if resolution == "repair" and ticket.return_id:
        held_en, held_zh = "its goods are coming back on a customer return", "其商品已在退货中"
    elif ticket.replacement_so_id and resolution != "replacement":
        held_en, held_zh = "a replacement was ordered", "已下换货订单"
    elif ticket.refunded_at and resolution != "refund":
        held_en, held_zh = "it was refunded", "已退款"
    if held_en:
        zh, en = RESOLUTION_NAMES[resolution]
        raise Conflict(f"Ticket {ticket.number} cannot be resolved by {en}: {held_en}.", f"售后服务单 {ticket.number} 不能按“{zh}”处理：{held_zh}。",
                       code="resolution_mismatch", field="resolution", resolution=resolution)


def update_ticket(
    session: Session, actor: Actor, number: str, *, version: int, problem: str | None = None, resolution: str | None = None,
    warranty_days: int | None = None, assigned_to: str | None = None, note: str | None = None,
) -> ServiceTicket:
    """Change what its state still allows: while open, the problem, the resolution in view, the warranty and who handles
    it; in progress, the resolution and who handles it. `assigned_to` "" leaves it to nobody."""
    actor.require("service.write")
    ticket = get_ticket(session, number, lock=True)
    check_signed_version(ticket, version, "Service ticket", "售后服务单")
    given = {"problem": problem, "resolution": resolution, "warranty_days": warranty_days, "assigned_to": assigned_to, "note": note}
    fields = {name for name, value in given.items() if value is not None}
    flows.SERVICE_TICKET.require_editable(number, ticket.status, fields)
    if problem is not None:
        if not problem.strip():
            raise InvalidInput("Say what the customer reports is wrong.", "请填写客户反馈的问题。", field="problem")
        ticket.problem = problem
    if resolution is not None:
        _choose(ticket, _resolution(resolution) or resolution)
        ticket.resolution = resolution
    if warranty_days is not None:
        ticket.warranty_days = _warranty_days(warranty_days)
    if assigned_to is not None:
        ticket.assigned_to = _user(session, assigned_to).id if assigned_to else None
    if note is not None:
        ticket.note = note
    if fields:
        touch(ticket)
        _log(ticket, actor, "update", ", ".join(sorted(fields)))
        session.flush()
        record(session, actor, "service_ticket.update", "service_ticket", number, fields=sorted(fields))
    return ticket


def _step(session: Session, actor: Actor, number: str, version: int | None, action: str) -> ServiceTicket:
    """The ticket, locked, at the version the person saw, in a state that allows `action`."""
    actor.require("service.write")
    ticket = get_ticket(session, number, lock=True)
    check_signed_version(ticket, version, "Service ticket", "售后服务单")
    flows.SERVICE_TICKET.check(number, ticket.status, action)
    return ticket


def start_ticket(session: Session, actor: Actor, number: str, *, version: int | None = None, note: str = "") -> ServiceTicket:
    """Work on it begins; a ticket nobody was handling is now the one who started it."""
    ticket = _step(session, actor, number, version, "start")
    transition(ticket, "start")
    if ticket.assigned_to is None:
        ticket.assigned_to = actor.user_id
    _log(ticket, actor, "start", note)
    record(session, actor, "service_ticket.start", "service_ticket", number, note=note or None)
    return ticket


def _sale(session: Session, ticket: ServiceTicket) -> tuple[SalesOrder, SalesOrderLine, Item, str | None]:
    so = session.get_one(SalesOrder, ticket.so_id)
    line = session.get_one(SalesOrderLine, ticket.so_line_id)
    item = session.get_one(Item, ticket.item_id)
    lot = session.scalar(select(Lot.code).where(Lot.id == ticket.lot_id)) if ticket.lot_id else None
    return so, line, item, lot


def take_back(session: Session, actor: Actor, number: str, *, version: int | None = None, note: str = "") -> ServiceTicket:
    """The customer return (RMA) that brings the ticket's goods back, against the order they went out on: the warehouse
    receives it as any return (into the returns area, with a credit note for what was invoiced). A unit in for repair
    stays the customer's, and is not taken back."""
    ticket = _step(session, actor, number, version, "return")
    if ticket.return_id:
        taken = session.scalar(select(Return.number).where(Return.id == ticket.return_id))
        raise Conflict(f"Ticket {number} already has return {taken}.", f"售后服务单 {number} 已有退货单 {taken}。", code="return_exists",
                       customer_return=taken)
    if ticket.resolution == "repair":
        raise Conflict(
            f"Ticket {number} is for a repair: the unit stays the customer's and goes back to them mended, without a return. "
            "Choose replacement or refund to take it back.",
            f"售后服务单 {number} 为维修：商品仍属客户，修好后交还，不办理退货。如需退回，请改为换货或退款。",
            code="resolution_mismatch", field="resolution", resolution="repair",
        )
    so, line, item, lot = _sale(session, ticket)
    reason = f"{number} {ticket.problem}".replace("\n", " ")[:200]
    rma = create_return(session, actor.granted("sales.write"), so=so.number, note=f"{number}: {note}".strip(": ")[:500], lines=[
        ReturnLineIn(line=line.line_no, qty=ticket.qty, lot=lot, serials=[ticket.serial] if ticket.serial else (), reason=reason)])
    ticket.return_id = rma.id
    transition(ticket, "return")
    _log(ticket, actor, "return", note, rma.number)
    record(session, actor, "service_ticket.return", "service_ticket", number, customer_return=rma.number, sku=item.sku, serial=ticket.serial,
           qty=fmt(ticket.qty))
    return ticket


def _back(session: Session, ticket: ServiceTicket, what_en: str, what_zh: str) -> Return:
    """The ticket's return, its goods received: what a replacement or a refund waits for."""
    rma = session.get(Return, ticket.return_id) if ticket.return_id else None
    if rma is None:
        raise Conflict(f"Ticket {ticket.number} has no return yet: take the goods back before {what_en}.",
                       f"售后服务单 {ticket.number} 尚无退货单：请先办理退货，再{what_zh}。", code="no_return")
    if rma.status not in BACK:
        raise Conflict(f"Return {rma.number} of ticket {ticket.number} has not been received yet: the warehouse receives the goods before {what_en}.",
                       f"售后服务单 {ticket.number} 的退货单 {rma.number} 尚未收货：请仓库收货后再{what_zh}。", code="return_not_received",
                       customer_return=rma.number)
    return rma


def replace(session: Session, actor: Actor, number: str, *, version: int | None = None, note: str = "") -> ServiceTicket:
    """Once the faulty goods are back, a replacement sales order for the same item and quantity, to the customer, from the
    warehouse it first shipped from, at the price they were sold at (the return's credit pays for it); confirmed (reserved)
    at once when stock and credit allow, else left a draft for sales to confirm once they do. It ships as any order."""
    ticket = _step(session, actor, number, version, "replace")
    _choose(ticket, "replacement")
    if ticket.replacement_so_id:
        made = session.scalar(select(SalesOrder.number).where(SalesOrder.id == ticket.replacement_so_id))
        raise Conflict(f"Ticket {number} already has replacement order {made}.", f"售后服务单 {number} 已有换货订单 {made}。", code="already_replaced",
                       order=made)
    _back(session, ticket, "a replacement ships", "发出换货")
    so, line, item, _lot = _sale(session, ticket)
    customer = session.get_one(Partner, ticket.customer_id)
    warehouse = session.get_one(Location, so.warehouse_id)
    writer = actor.granted("sales.write")
    what = f"serial {ticket.serial}" if ticket.serial else f"{fmt(ticket.qty)} {item.unit}"
    replacement = create_so(
        session, writer, customer=customer.code, warehouse=warehouse.code, currency=so.currency, ship_to=so.ship_to,
        note=f"{number}: replacement for {item.sku} {what} of {so.number}",
        lines=[LineIn(sku=item.sku, qty=ticket.qty, unit_price=base_price(line).quantize(PRICE_PLACES), vat_rate=line.vat_rate)],
    )
    held: CangkuError | None = None
    try:
        with session.begin_nested():
            confirm_so(session, writer, replacement.number)
    except CangkuError as refused:  # no stock, or over the credit limit: the order waits as a draft, and the log says why
        held = refused
    ticket.replacement_so_id = replacement.id
    ticket.resolution = "replacement"
    transition(ticket, "replace")
    said = note or (f"{replacement.number} waits as a draft: {held.en} / {held.zh}" if held else "")
    _log(ticket, actor, "replace", said, replacement.number)
    record(session, actor, "service_ticket.replace", "service_ticket", number, order=replacement.number, confirmed=held is None,
           held=held.code if held else None)
    return ticket


def refund(session: Session, actor: Actor, number: str, *, version: int | None = None, note: str = "") -> ServiceTicket:
    """Once the goods are back, the refund: the credit note their return's receipt made (in the invoice's currency, settling
    the order's open invoices first, the rest owed to the customer), linked on the ticket. Goods not invoiced yet need none:
    the return took them off what the order will bill."""
    ticket = _step(session, actor, number, version, "refund")
    _choose(ticket, "refund")
    if ticket.refunded_at:
        raise Conflict(f"Ticket {number} was refunded already.", f"售后服务单 {number} 已退款。", code="already_refunded")
    rma = _back(session, ticket, "refunding", "退款")
    credit = session.scalar(select(Invoice.number).where(Invoice.id == rma.credit_note_id)) if rma.credit_note_id else None
    ticket.credit_note_id = rma.credit_note_id
    ticket.refunded_at = utcnow()
    ticket.resolution = "refund"
    transition(ticket, "refund")
    said = note or ("" if credit else f"Nothing had been invoiced: {rma.number} took the goods off what the order will bill. / 尚未开票：退货单已将其从订单待开票数量中扣除。")
    _log(ticket, actor, "refund", said, credit)
    record(session, actor, "service_ticket.refund", "service_ticket", number, customer_return=rma.number, credit_note=credit)
    return ticket


def resolve(
    session: Session, actor: Actor, number: str, *, version: int | None = None, resolution: str | None = None, note: str = "",
) -> ServiceTicket:
    """The customer's problem is dealt with: repaired, replaced (the replacement order has shipped) or refunded, as
    `resolution` (or the one the ticket already has) says, with a note of what was done."""
    ticket = _step(session, actor, number, version, "resolve")
    chosen = _resolution(resolution) or ticket.resolution
    if chosen is None:
        raise InvalidInput("Say how it was resolved: repair, replacement or refund.", "请选择处理方式：维修、换货或退款。", field="resolution")
    _choose(ticket, chosen)
    if chosen == "replacement":
        made = session.get(SalesOrder, ticket.replacement_so_id) if ticket.replacement_so_id else None
        if made is None or made.status not in SHIPPED:
            en = f"replacement order {made.number} has not shipped yet" if made else "no replacement has been ordered"
            zh = f"换货订单 {made.number} 尚未发货" if made else "尚未下换货订单"
            raise Conflict(f"Ticket {number} is not replaced yet: {en}.", f"售后服务单 {number} 尚未完成换货：{zh}。", code="replacement_not_shipped",
                           order=made.number if made else None)
    if chosen == "refund" and not ticket.refunded_at:
        raise Conflict(f"Ticket {number} is not refunded yet: take the goods back and refund them first.",
                       f"售后服务单 {number} 尚未退款：请先退货并退款。", code="not_refunded")
    ticket.resolution, ticket.resolution_note, ticket.resolved_at = chosen, note, utcnow()
    transition(ticket, "resolve")
    _log(ticket, actor, "resolve", note)
    record(session, actor, "service_ticket.resolve", "service_ticket", number, resolution=chosen, in_warranty=in_warranty(ticket))
    return ticket


def reopen(session: Session, actor: Actor, number: str, *, version: int | None = None, note: str = "") -> ServiceTicket:
    """The customer is not content after all: back to work."""
    ticket = _step(session, actor, number, version, "reopen")
    ticket.resolved_at = None
    transition(ticket, "reopen")
    _log(ticket, actor, "reopen", note)
    record(session, actor, "service_ticket.reopen", "service_ticket", number, reason=note or None)
    return ticket


def close(session: Session, actor: Actor, number: str, *, version: int | None = None, note: str = "") -> ServiceTicket:
    """Done with: the customer is content."""
    ticket = _step(session, actor, number, version, "close")
    ticket.closed_at = utcnow()
    transition(ticket, "close")
    _log(ticket, actor, "close", note)
    record(session, actor, "service_ticket.close", "service_ticket", number)
    return ticket


def cancel(session: Session, actor: Actor, number: str, *, version: int | None = None, note: str = "") -> ServiceTicket:
    """A ticket opened by mistake, or the customer withdrew it: cancelled while nothing was taken back or sent for it."""
    ticket = _step(session, actor, number, version, "cancel")
    made = [n for n in (
        session.scalar(select(Return.number).where(Return.id == ticket.return_id)) if ticket.return_id else None,
        session.scalar(select(SalesOrder.number).where(SalesOrder.id == ticket.replacement_so_id)) if ticket.replacement_so_id else None,
    ) if n]
    if made:
        raise Conflict(f"Ticket {number} has {', '.join(made)}: resolve it instead of cancelling it.",
                       f"售后服务单 {number} 已有 {'、'.join(made)}，请办结而不是取消。", code="return_exists", documents=made)
    transition(ticket, "cancel")
    _log(ticket, actor, "cancel", note)
    record(session, actor, "service_ticket.cancel", "service_ticket", number, reason=note or None)
    return ticket


def add_note(session: Session, actor: Actor, number: str, *, text: str) -> ServiceTicket:
    """A note on the ticket's log (a call with the customer, what the technician found); the ticket itself is unchanged."""
    actor.require("service.write")
    if not text.strip():
        raise InvalidInput("A note needs some text.", "备注不能为空。", field="text")
    ticket = get_ticket(session, number, lock=True)
    _log(ticket, actor, "note", text)
    session.flush()
    record(session, actor, "service_ticket.note", "service_ticket", number)
    return ticket


# What a person may do next ------------------------------------------------------------------------


def offered(session: Session, ticket: ServiceTicket, actor: Actor) -> list[str]:
    """The doors its state and the permissions allow (flows.SERVICE_TICKET), less those its documents rule out now: a
    return once there is one (or for a repair), a replacement or refund until the goods are back, cancelling once
    something was taken back or sent."""
    doors = flows.SERVICE_TICKET.actions_for(ticket.status, actor)
    back = session.scalar(select(Return.status).where(Return.id == ticket.return_id)) in BACK if ticket.return_id else False
    ruled_out = {
        "create-return": bool(ticket.return_id) or ticket.resolution == "repair",
        "replace": not back or bool(ticket.replacement_so_id) or ticket.resolution not in (None, "replacement") or bool(ticket.refunded_at),
        "refund": not back or bool(ticket.refunded_at) or ticket.resolution not in (None, "refund") or bool(ticket.replacement_so_id),
        "cancel": bool(ticket.return_id or ticket.replacement_so_id),
    }
    return [door for door in doors if not ruled_out.get(door, False)]


# Lists --------------------------------------------------------------------------------------------


def ticket_sort() -> dict[str, Any]:
    """What a list of tickets may be sorted by, named as its answer's fields."""
    return {
        "number": ServiceTicket.number, "status": ServiceTicket.status,
        "customer": looked_up(Partner.code, Partner.id == ServiceTicket.customer_id), "sku": looked_up(Item.sku, Item.id == ServiceTicket.item_id),
        "serial": ServiceTicket.serial, "lot": looked_up(Lot.code, Lot.id == ServiceTicket.lot_id),
        "order": looked_up(SalesOrder.number, SalesOrder.id == ServiceTicket.so_id), "resolution": ServiceTicket.resolution,
        "reported_on": ServiceTicket.reported_on, "created_at": ServiceTicket.created_at,
    }


def list_tickets(
    session: Session, *, status: str | None = None, customer: str | None = None, serial: str | None = None, sku: str | None = None,
    order: str | None = None, limit: int = 50, offset: int = 0, sort: str | None = None,
) -> tuple[list[ServiceTicket], int]:
    """Tickets, newest first or as `sort` asks: of a state, a customer, a serial number, an item, or a sales order (the
    one the goods went out on, or a replacement)."""
    query = select(ServiceTicket)
    if status:
        query = query.where(ServiceTicket.status == status)
    if customer:
        query = query.where(ServiceTicket.customer_id == select(Partner.id).where(Partner.code == customer).scalar_subquery())
    if serial:
        query = query.where(ServiceTicket.serial == serial)
    if sku:
        query = query.where(ServiceTicket.item_id == select(Item.id).where(Item.sku == sku).scalar_subquery())
    if order:
        so = select(SalesOrder.id).where(SalesOrder.number == order).scalar_subquery()
        query = query.where((ServiceTicket.so_id == so) | (ServiceTicket.replacement_so_id == so))
    return page(session, query, ServiceTicket, limit, offset, sort=sort, fields=ticket_sort())
