"""After-sales service tickets (售后服务单): reported from a sold serial number or lot (or an untracked item on a delivery
note), worked on, resolved by a repair, a replacement or a refund (with the customer return, replacement order and credit
note that takes), closed."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api import get, patch, post, run_idempotent
from server.auth.models import User
from server.auth.permissions import Actor
from server.catalog.models import Item, Lot
from server.dates import local_today
from server.db import Database
from server.partners.models import Partner
from server.sales.models import Invoice, Return, SalesOrder, SalesOrderLine
from server.sales.services import tickets
from server.sales.ticket_models import ServiceTicket
from server.sales.ticket_schemas import (
    LinkedOut,
    SoldOut,
    TicketCreate,
    TicketEntryOut,
    TicketNote,
    TicketOut,
    TicketPage,
    TicketResolve,
    TicketStep,
    TicketUpdate,
)
from server.schemas import Limit, Offset, Sort, fmt
from server.settings import get_settings

DocNumber = FromPath[str]


def _linked(session: Session, model: Any, row_id: int | None) -> LinkedOut | None:
    if row_id is None:
        return None
    number, status = session.execute(select(model.number, model.status).where(model.id == row_id)).one()
    return LinkedOut(number=number, status=status)


def ticket_out(session: Session, actor: Actor, ticket: ServiceTicket) -> TicketOut:
    """A ticket with its sale, warranty, the documents resolving it, its log, and what this user may do next."""
    customer = session.get_one(Partner, ticket.customer_id)
    item = session.get_one(Item, ticket.item_id)
    ids = {i for i in (ticket.assigned_to, ticket.created_by, *(entry.user_id for entry in ticket.log)) if i is not None}
    names: dict[int, str] = dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}

    def users(user_id: int | None) -> str | None:
        return names.get(user_id) if user_id is not None else None

    return TicketOut(
        number=ticket.number, status=ticket.status, version=ticket.version, customer=customer.code, customer_name_zh=customer.name_zh,
        customer_name_en=customer.name_en, sku=item.sku, name_zh=item.name_zh, name_en=item.name_en, unit=item.unit, serial=ticket.serial,
        lot=session.scalar(select(Lot.code).where(Lot.id == ticket.lot_id)) if ticket.lot_id else None, qty=fmt(ticket.qty),
        order=session.scalar(select(SalesOrder.number).where(SalesOrder.id == ticket.so_id)) or "",
        order_line=session.scalar(select(SalesOrderLine.line_no).where(SalesOrderLine.id == ticket.so_line_id)) or 0,
        invoice=session.scalar(select(Invoice.number).where(Invoice.id == ticket.invoice_id)) if ticket.invoice_id else None,
        shipped_at=ticket.shipped_at, shipped_on=local_today(ticket.shipped_at), reported_on=ticket.reported_on, warranty_days=ticket.warranty_days,
        warranty_until=tickets.warranty_until(ticket.shipped_at, ticket.warranty_days), in_warranty=tickets.in_warranty(ticket),
        problem=ticket.problem, resolution=ticket.resolution, resolution_note=ticket.resolution_note, note=ticket.note,  # type: ignore[arg-type]
        assigned_to=users(ticket.assigned_to), created_by=users(ticket.created_by), created_at=ticket.created_at,
        resolved_at=ticket.resolved_at, closed_at=ticket.closed_at, refunded_at=ticket.refunded_at,
        customer_return=_linked(session, Return, ticket.return_id), replacement=_linked(session, SalesOrder, ticket.replacement_so_id),
        credit_note=_linked(session, Invoice, ticket.credit_note_id),
        log=[TicketEntryOut(at=e.at, user=users(e.user_id), action=e.action, text=e.text, document=e.document) for e in ticket.log],
        actions=tickets.offered(session, ticket, actor),
    )


def sold_out(session: Session, sold: tickets.Sold) -> SoldOut:
    days = get_settings().warranty_days
    until = tickets.warranty_until(sold.shipped_at, days)
    return SoldOut(
        sku=sold.item.sku, name_zh=sold.item.name_zh, name_en=sold.item.name_en, unit=sold.item.unit, tracking=sold.item.tracking,
        serial=sold.serial, lot=sold.lot.code if sold.lot else None, qty=fmt(sold.qty), customer=sold.customer.code,
        customer_name_zh=sold.customer.name_zh, customer_name_en=sold.customer.name_en, order=sold.order.number, order_line=sold.line.line_no,
        invoice=sold.invoice.number if sold.invoice else None, shipped_at=sold.shipped_at, shipped_on=sold.shipped_on, warranty_days=days,
        warranty_until=until, in_warranty=local_today() <= until, open_ticket=tickets.open_ticket_on(session, sold.item.id, sold.serial),
    )


def _text(data: TicketStep) -> str:
    return data.note or data.reason


class ServiceTicketController(Controller):
    path = "/api/v1/service-tickets"
    tags = ["sales"]

    @get("/", summary="Service tickets / 售后服务单列表")
    def list_tickets(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: str | None = Parameter(default=None, max_length=24),
        customer: str | None = Parameter(default=None, max_length=64), serial: str | None = Parameter(default=None, max_length=64),
        sku: str | None = Parameter(default=None, max_length=64), order: str | None = Parameter(default=None, max_length=64),
        limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> TicketPage:
        """After-sales tickets, newest first or as `sort` asks, narrowed by state, customer, serial number, item, or the sales
        order the goods went out on (or a replacement order)."""
        with db.read() as session:
            rows, total = tickets.list_tickets(session, status=status, customer=customer, serial=serial, sku=sku, order=order, limit=limit,
                                               offset=offset, sort=sort)
            return TicketPage(items=[ticket_out(session, actor, r) for r in rows], total=total)

    @get("/lookup", summary="What was sold: a serial or lot with its customer, order and warranty / 查询已售序列号或批次")
    def lookup(
        self, db: NamedDependency[Database], serial: str | None = Parameter(default=None, max_length=64),
        sku: str | None = Parameter(default=None, max_length=64), lot: str | None = Parameter(default=None, max_length=64),
        customer: str | None = Parameter(default=None, max_length=64), order: str | None = Parameter(default=None, max_length=64),
    ) -> SoldOut:
        """For the ticket form: a serial number out with a customer (or `sku`, `lot` and `customer`; or, for goods tracked by
        neither, `sku` and the delivery note's number as `order`), answered with the item, the
        customer, the order and invoice it went out on, the day it shipped and whether it is in warranty today. Goods in stock,
        never shipped, or (with `customer`) sold to someone else are refused, saying where they are or whom they went to."""
        with db.read() as session:
            return sold_out(session, tickets.find_sold(session, serial=serial, sku=sku, lot=lot, customer=customer, order=order))

    @get("/{number:str}", summary="One service ticket / 单个售后服务单")
    def get_ticket(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> TicketOut:
        """One ticket: the goods and the sale they came from, the warranty, the return, replacement order and credit note resolving
        it, its log, and what you may do with it now."""
        with db.read() as session:
            return ticket_out(session, actor, tickets.get_ticket(session, number))

    @post("/", summary="Open a service ticket / 新建售后服务单")
    def create_ticket(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[TicketCreate]
    ) -> Response[TicketOut]:
        """Opens a ticket about goods the customer was sold, found by serial number (or lot) in the ledger's trace, or — goods
        tracked by neither — by the delivery note (`order`) and `sku`, for no more than shipped less returned or already claimed."""
        return run_idempotent(db, actor, request, data, lambda s: ticket_out(s, actor, tickets.create_ticket(
            s, actor, customer=data.customer, problem=data.problem, serial=data.serial, sku=data.sku, lot=data.lot, qty=data.qty, order=data.order,
            resolution=data.resolution, warranty_days=data.warranty_days, assigned_to=data.assigned_to, note=data.note)), TicketOut)

    @patch("/{number:str}", summary="Change a ticket / 修改售后服务单")
    def update_ticket(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TicketUpdate]) -> TicketOut:
        """Changes an open ticket (problem, resolution in view, warranty, who handles it, note), or who handles one in progress and
        its resolution."""
        return db.run_write(lambda s: ticket_out(s, actor, tickets.update_ticket(
            s, actor, number, version=data.version, problem=data.problem, resolution=data.resolution, warranty_days=data.warranty_days,
            assigned_to=data.assigned_to, note=data.note)))

    @post("/{number:str}/start", status_code=200, summary="Start work / 开始处理")
    def start(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TicketStep]) -> TicketOut:
        """Work on the ticket begins; one nobody handled is now yours."""
        return db.run_write(lambda s: ticket_out(s, actor, tickets.start_ticket(s, actor, number, version=data.version, note=_text(data))))

    @post("/{number:str}/create-return", status_code=200, summary="Take the goods back / 办理退货")
    def create_return(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TicketStep]) -> TicketOut:
        """Opens the customer return (RMA) that brings the ticket's serial or lot back, on the order it went out on; the warehouse
        receives it as any return (with a credit note for what was invoiced). Not for a repair: that unit stays the customer's."""
        return db.run_write(lambda s: ticket_out(s, actor, tickets.take_back(s, actor, number, version=data.version, note=_text(data))))

    @post("/{number:str}/replace", status_code=200, summary="Ship a replacement / 换货")
    def replace(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TicketStep]) -> TicketOut:
        """Once the return is received: a replacement sales order of the same goods at the price they were sold at (the
        return's credit pays for it), confirmed when stock and credit allow, and shipped as any order."""
        return db.run_write(lambda s: ticket_out(s, actor, tickets.replace(s, actor, number, version=data.version, note=_text(data))))

    @post("/{number:str}/refund", status_code=200, summary="Refund / 退款")
    def refund(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TicketStep]) -> TicketOut:
        """Once the return is received: its credit note is the refund, linked on the ticket."""
        return db.run_write(lambda s: ticket_out(s, actor, tickets.refund(s, actor, number, version=data.version, note=_text(data))))

    @post("/{number:str}/resolve", status_code=200, summary="Resolve / 解决")
    def resolve(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TicketResolve]) -> TicketOut:
        """The problem is dealt with: repaired, replaced (the replacement has shipped) or refunded, with a note of what was done."""
        return db.run_write(lambda s: ticket_out(s, actor, tickets.resolve(
            s, actor, number, version=data.version, resolution=data.resolution, note=data.note)))

    @post("/{number:str}/reopen", status_code=200, summary="Reopen / 重新打开")
    def reopen(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TicketStep]) -> TicketOut:
        """A resolved ticket back to work: the customer is not content after all."""
        return db.run_write(lambda s: ticket_out(s, actor, tickets.reopen(s, actor, number, version=data.version, note=_text(data))))

    @post("/{number:str}/close", status_code=200, summary="Close / 关闭")
    def close(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TicketStep]) -> TicketOut:
        """Closes a resolved ticket."""
        return db.run_write(lambda s: ticket_out(s, actor, tickets.close(s, actor, number, version=data.version, note=_text(data))))

    @post("/{number:str}/cancel", status_code=200, summary="Cancel / 取消")
    def cancel(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TicketStep]) -> TicketOut:
        """Cancels a ticket nothing was taken back or sent for."""
        return db.run_write(lambda s: ticket_out(s, actor, tickets.cancel(s, actor, number, version=data.version, note=_text(data))))

    @post("/{number:str}/notes", status_code=200, summary="Add a note / 添加备注")
    def add_note(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[TicketNote]) -> TicketOut:
        """Adds a note to the ticket's log (a call with the customer, what the technician found)."""
        return db.run_write(lambda s: ticket_out(s, actor, tickets.add_note(s, actor, number, text=data.text)))
