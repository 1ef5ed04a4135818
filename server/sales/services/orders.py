"""Sales orders: drafting and changing, the credit check and its release, confirming with FEFO reservations, cancelling."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Item, Lot
from server.dates import local_today
from server.documents import flows
from server.documents.flows import transition
from server.documents.lines import LINE_FIELDS, LineIn, base_price, line_discount, replace_lines
from server.documents.services import check_signed_version, next_number, touch
from server.errors import Conflict, Forbidden, InsufficientStock, InvalidInput
from server.finance.currency import in_yuan, known_currency, rate_on
from server.finance.services import money
from server.inventory import services as ledger
from server.inventory.models import Balance, Reservation, Valuation
from server.locations.models import Location
from server.partners.models import Partner
from server.partners.services import partner_reference
from server.purchasing.services.common import _warehouse
from server.sales.models import Invoice, SalesOrder, SalesOrderLine
from server.sales.services import contracts
from server.sales.services.common import _sales_lines, _totals, get_so
from server.schemas import fmt

OPEN_SO_STATES = ("confirmed", "picking", "packed", "shipped")


def create_so(
    session: Session, actor: Actor, *, customer: str, warehouse: str, lines: Sequence[LineIn], ship_to: str = "", note: str = "",
    currency: str | None = None, discount: object | None = None, contract: str | None = None,
) -> SalesOrder:
    """A draft sales order, in the customer's currency unless another is asked for, at the rate of the day. Naming a sales
    contract of the customer's, in force today, draws on it: in its currency, its items at its prices when none is typed."""
    actor.require("sales.write")
    customer_row = partner_reference(session, customer, "customer")
    wh = _warehouse(session, warehouse)
    terms = contracts.drawable_contract(session, contract, customer=customer_row, currency=currency) if contract else None
    currency = known_currency(session, currency or (terms.currency if terms is not None else customer_row.currency))
    so = SalesOrder(
        currency=currency, exchange_rate=rate_on(session, currency, local_today()),
        number=next_number(session, "SO"), status="draft", customer_id=customer_row.id, warehouse_id=wh.id, ship_to=ship_to or customer_row.address,
        note=note, created_by=actor.user_id, discount=line_discount(discount), contract_id=terms.id if terms is not None else None,
    )
    so.lines = _sales_lines(session, customer_row, lines, SalesOrderLine, so.currency, terms)
    _totals(so)
    session.add(so)
    session.flush()
    drawing: dict[str, Any] = {"contract": contract} if contract else {}
    record(session, actor, "so.create", "so", so.number, customer=customer, total=fmt(so.total), **drawing)
    return so


def update_so(
    session: Session, actor: Actor, number: str, *, version: int, lines: Sequence[LineIn] | None = None, ship_to: str | None = None,
    note: str | None = None, discount: object | None = None, contract: str | None = None,
) -> SalesOrder:
    """Change an order while its state allows; `contract` names the sales contract a draft draws on ("" for none). Lines
    given take their contract's prices where none is typed; lines kept keep theirs."""
    actor.require("sales.write")
    so = get_so(session, number, lock=True)
    check_signed_version(so, version, "Sales order", "销售订单")
    fields = {f for f, v in (("lines", lines), ("ship_to", ship_to), ("note", note), ("discount", discount), ("contract", contract)) if v is not None}
    flows.SALES_ORDER.require_editable(number, so.status, fields)
    customer = session.get_one(Partner, so.customer_id)
    if contract is not None:
        so.contract_id = contracts.drawable_contract(session, contract, customer=customer, currency=so.currency).id if contract else None
    if discount is not None:
        so.discount = line_discount(discount)
    if lines is not None:
        replace_lines(so.lines, _sales_lines(session, customer, lines, SalesOrderLine, so.currency, contracts.contract_of(session, so)), LINE_FIELDS)
    if lines is not None or discount is not None:
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
    """What the customer owes (posted invoices not paid or credited, less unallocated payments) plus open orders not invoiced,
    in yuan: documents in another currency at the rate they were booked (an order: of its day)."""
    from server.finance.models import Payment

    invoiced = session.scalar(
        select(func.coalesce(func.sum(Invoice.total_cny - Invoice.paid_cny - Invoice.credited_cny), 0)).where(
            Invoice.customer_id == customer_id, Invoice.kind.in_(("invoice", "opening")), Invoice.status.in_(("posted", "partially_paid"))
        )
    )
    advances = cast(Decimal, session.scalar(  # coalesce: never NULL
        select(func.coalesce(func.sum(Payment.unallocated_cny), 0)).where(Payment.partner_id == customer_id, Payment.kind == "customer")
    ))
    advances += session.scalar(  # credit notes not used against an invoice are owed back to the customer
        select(func.coalesce(func.sum(Invoice.total_cny - Invoice.paid_cny), 0)).where(
            Invoice.customer_id == customer_id, Invoice.kind == "credit_note", Invoice.status.in_(("posted", "partially_paid"))
        )
    ) or 0
    orders = Decimal(0)
    for order in session.scalars(select(SalesOrder).where(SalesOrder.customer_id == customer_id, SalesOrder.status.in_(OPEN_SO_STATES))):
        if so is not None and order.id == so.id:
            continue
        orders += in_yuan(_uninvoiced(order), order.exchange_rate)
    limit = session.scalar(select(Partner.credit_limit).where(Partner.id == customer_id))
    this_order = in_yuan(_uninvoiced(so), so.exchange_rate) if so is not None else Decimal(0)
    return Exposure(limit, Decimal(invoiced or 0) - Decimal(advances or 0), orders, this_order)


def _uninvoiced(order: SalesOrder) -> Decimal:
    """What is left to bill on an order: not what went to a backorder (that order counts it) nor what was cancelled."""
    total = Decimal(0)
    for line in order.lines:
        net = money((line.qty - line.backordered_qty - line.cancelled_qty - line.invoiced_qty) * base_price(line))
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
    warned = contracts.confirm_warnings(session, so)  # a contract no longer in force refuses; one exceeded warns, and the order keeps it
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
    low = below_cost(session, so)
    if low and not actor.can("sales.below_cost"):
        raise Forbidden(
            "Selling below cost needs an administrator to confirm the order: "
            + "; ".join(f"line {b.line} ({b.sku}) at {fmt(b.price)} a {b.unit}, cost {fmt(b.cost)}" for b in low) + ".",
            "低于成本销售须由管理员确认订单："
            + "；".join(f"第 {b.line} 行（{b.sku}）每{b.unit} {fmt(b.price)}，成本 {fmt(b.cost)}" for b in low) + "。",
            code="below_cost", lines=[b.line for b in low],
        )
    so.below_cost_by = actor.user_id if low else None
    so.contract_warnings, so.contract_exceeded_by = warned, actor.user_id if warned else None
    _reserve_order(session, actor, so)
    drawing: dict[str, Any] = {"contract_warnings": [w["kind"] for w in warned]} if so.contract_id else {}
    record(session, actor, "so.confirm", "so", number, total=fmt(so.total), credit_released=released, below_cost=[b.line for b in low], **drawing)
    return so


@dataclasses.dataclass(frozen=True)
class BelowCost:
    line: int
    sku: str
    unit: str  # the item's own unit: price and cost are per one of it, in yuan
    price: Decimal
    cost: Decimal


def below_cost(session: Session, so: SalesOrder) -> list[BelowCost]:
    """The order's lines whose price, net of discounts and in yuan, is below the item's moving average cost (毛利为负)."""
    ids = {line.item_id for line in so.lines}
    if not ids:
        return []
    costs = {
        v.item_id: (v.value / v.qty).quantize(Decimal("0.0001"))
        for v in session.scalars(select(Valuation).where(Valuation.item_id.in_(ids), Valuation.qty > 0))
    }
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids)))}
    out = []
    for line in so.lines:
        cost = costs.get(line.item_id)
        price = (base_price(line) * so.exchange_rate).quantize(Decimal("0.0001"))
        if cost is not None and price < cost:
            item = items[line.item_id]
            out.append(BelowCost(line.line_no, item.sku, item.unit, price, cost))
    return out


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
