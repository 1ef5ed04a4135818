"""Sales contracts (销售合同): framework agreements with a customer that sales orders draw down.

A contract agrees prices, and optionally quantities, of items for a period in one currency. It is written as a draft, put
into force (active) and ends closed, or cancelled while no order has drawn it. An order names the contract it draws:
the contract's customer and currency, in force that day. A line of the order whose item is on the contract takes the
contract's price when none is typed (before the customer's price list).

What a contract has given is never stored on it: each confirmed (or later) order naming it draws its lines' quantity in
base units, less what was cancelled or went to a backorder (the backorder names the contract too and draws it itself);
a cancelled order gives everything back. An order that orders more than remains, sells below the agreed price, or is
confirmed after the contract ended is warned, not refused: sales may confirm it, and the order keeps the warnings and who
confirmed it. A contract closed or cancelled can no longer be drawn at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.catalog.models import Item
from server.catalog.services import item_for_move
from server.dates import local_today
from server.documents import flows
from server.documents.flows import STATE_NAMES, transition
from server.documents.lines import PRICE_PLACES, at_line, document_unit, line_price, line_qty, unit_price_of
from server.documents.services import check_signed_version, get_document, next_number, page, touch
from server.errors import Conflict, InvalidInput, UnknownReference
from server.finance.currency import known_currency
from server.partners.models import Partner
from server.partners.services import partner_reference
from server.sales.models import SalesContract, SalesContractLine, SalesOrder, SalesOrderLine
from server.schemas import fmt
from server.sorting import looked_up

# The states of an order that draw its contract down: confirmed and everything after it.
DRAWING_STATES = ("confirmed", "picking", "packed", "shipped", "invoiced", "closed")


@dataclasses.dataclass(frozen=True)
class ContractLineIn:
    """An item agreed on: its price per `unit` (the item's own, or one of its packs) and, unless on price only, how many."""

    sku: str
    unit_price: object
    qty: object | None = None
    unit: str | None = None


def get_contract(session: Session, number: str, *, lock: bool = False) -> SalesContract:
    return get_document(session, SalesContract, number, "sales contract", "销售合同", lock=lock)


def expired(contract: SalesContract, on: dt.date | None = None) -> bool:
    """In force by its state, but past its last day."""
    return contract.status == "active" and (on or local_today()) > contract.valid_to


# Writing a contract ------------------------------------------------------------------------------


def _period(valid_from: dt.date, valid_to: dt.date) -> None:
    if valid_to < valid_from:
        raise InvalidInput(
            f"A contract cannot end ({valid_to}) before it begins ({valid_from}).", f"合同的截止日期（{valid_to}）不能早于开始日期（{valid_from}）。",
            code="invalid_range", field="valid_to",
        )


def _lines(session: Session, lines: Sequence[ContractLineIn]) -> list[SalesContractLine]:
    """The contract's lines as typed: one per item, each in its unit, its quantity (if any) kept in base units."""
    if not lines:
        raise InvalidInput("A contract needs at least one line.", "合同至少需要一行。", code="no_lines")
    out: list[SalesContractLine] = []
    seen: dict[int, int] = {}
    for n, entry in enumerate(lines, 1):
        with at_line(n - 1):
            item = item_for_move(session, entry.sku)
            if item.id in seen:
                raise InvalidInput(
                    f"{item.sku} is on line {seen[item.id]} already; a contract agrees one price per item.",
                    f"{item.sku} 已在第 {seen[item.id]} 行；一份合同每个商品只约定一个价格。",
                    code="duplicate_line", field="sku", sku=item.sku,
                )
            seen[item.id] = n
            unit = document_unit(session, item, entry.unit)
            qty = None if entry.qty is None else line_qty(entry.qty, item, unit)
            out.append(SalesContractLine(line_no=n, item_id=item.id, uom=unit.name, uom_factor=unit.factor, unit_price=line_price(entry.unit_price),
                                         qty=qty))
    return out


def create_contract(
    session: Session, actor: Actor, *, customer: str, valid_from: dt.date, valid_to: dt.date, lines: Sequence[ContractLineIn],
    currency: str | None = None, note: str = "",
) -> SalesContract:
    """A draft contract with a customer, in the customer's currency unless another is named."""
    actor.require("sales.contracts")
    customer_row = partner_reference(session, customer, "customer")
    _period(valid_from, valid_to)
    contract = SalesContract(
        number=next_number(session, "SC"), status="draft", customer_id=customer_row.id, currency=known_currency(session, currency or customer_row.currency),
        valid_from=valid_from, valid_to=valid_to, note=note, created_by=actor.user_id,
    )
    contract.lines = _lines(session, lines)
    session.add(contract)
    session.flush()
    record(session, actor, "sales_contract.create", "sales_contract", contract.number, customer=customer, currency=contract.currency,
           valid_from=valid_from.isoformat(), valid_to=valid_to.isoformat(), lines=len(contract.lines))
    return contract


def update_contract(
    session: Session, actor: Actor, number: str, *, version: int, customer: str | None = None, currency: str | None = None,
    valid_from: dt.date | None = None, valid_to: dt.date | None = None, lines: Sequence[ContractLineIn] | None = None, note: str | None = None,
) -> SalesContract:
    """Change a draft contract; once in force its terms are what orders drew on, and stay."""
    actor.require("sales.contracts")
    contract = get_contract(session, number, lock=True)
    check_signed_version(contract, version, "Sales contract", "销售合同")
    given = {"customer": customer, "currency": currency, "valid_from": valid_from, "valid_to": valid_to, "lines": lines, "note": note}
    fields = {name for name, value in given.items() if value is not None}
    flows.SALES_CONTRACT.require_editable(number, contract.status, fields)
    if customer is not None:
        contract.customer_id = partner_reference(session, customer, "customer").id
    if currency is not None:
        contract.currency = known_currency(session, currency)
    contract.valid_from = valid_from or contract.valid_from
    contract.valid_to = valid_to or contract.valid_to
    _period(contract.valid_from, contract.valid_to)
    if lines is not None:
        new = _lines(session, lines)
        contract.lines.clear()
        session.flush()  # the old lines go first: a line number or an item may come back on the new ones
        contract.lines.extend(new)
    if note is not None:
        contract.note = note
    if fields:
        touch(contract)
        session.flush()
        record(session, actor, "sales_contract.update", "sales_contract", number, fields=sorted(fields))
    return contract


def activate_contract(session: Session, actor: Actor, number: str, *, version: int | None = None) -> SalesContract:
    """Put a draft contract into force: from now on orders may draw it, within its dates."""
    actor.require("sales.contracts")
    contract = get_contract(session, number, lock=True)
    check_signed_version(contract, version, "Sales contract", "销售合同")
    flows.SALES_CONTRACT.check(number, contract.status, "activate")
    if local_today() > contract.valid_to:
        raise Conflict(
            f"Sales contract {number} ended on {contract.valid_to}; it cannot be put into force. Change its dates first.",
            f"销售合同 {number} 已于 {contract.valid_to} 到期，不能生效；请先修改有效期。",
            code="contract_expired", valid_to=contract.valid_to.isoformat(),
        )
    transition(contract, "activate")
    record(session, actor, "sales_contract.activate", "sales_contract", number)
    return contract


def close_contract(session: Session, actor: Actor, number: str, *, version: int | None = None, reason: str = "") -> SalesContract:
    """End a contract in force: what orders drew stays drawn; no order draws it any more."""
    actor.require("sales.contracts")
    contract = get_contract(session, number, lock=True)
    check_signed_version(contract, version, "Sales contract", "销售合同")
    transition(contract, "close")
    record(session, actor, "sales_contract.close", "sales_contract", number, reason=reason or None)
    return contract


def cancel_contract(session: Session, actor: Actor, number: str, *, version: int | None = None, reason: str = "") -> SalesContract:
    """Cancel a contract nothing has drawn yet (one orders drew is closed instead, so their history stays true)."""
    actor.require("sales.contracts")
    contract = get_contract(session, number, lock=True)
    check_signed_version(contract, version, "Sales contract", "销售合同")
    flows.SALES_CONTRACT.check(number, contract.status, "cancel")
    drawing = [so.number for so, _ in orders_of(session, contract) if so.status in DRAWING_STATES]
    if drawing:
        raise Conflict(
            f"Orders have drawn on sales contract {number} ({', '.join(drawing)}); close it instead of cancelling it.",
            f"销售合同 {number} 已有订单执行（{'、'.join(drawing)}），请关闭合同而不是取消。",
            code="contract_drawn", orders=drawing,
        )
    transition(contract, "cancel")
    record(session, actor, "sales_contract.cancel", "sales_contract", number, reason=reason or None)
    return contract


def contract_sort() -> dict[str, Any]:
    """What a list of contracts may be sorted by, named as its answer's fields."""
    return {
        "number": SalesContract.number, "status": SalesContract.status, "customer": looked_up(Partner.code, Partner.id == SalesContract.customer_id),
        "currency": SalesContract.currency, "valid_from": SalesContract.valid_from, "valid_to": SalesContract.valid_to,
        "created_at": SalesContract.created_at,
    }


def list_contracts(
    session: Session, *, status: str | None = None, customer: str | None = None, sku: str | None = None, valid_on: dt.date | None = None,
    limit: int = 50, offset: int = 0, sort: str | None = None,
) -> tuple[list[SalesContract], int]:
    """Contracts, newest first or as `sort` asks: of a state, a customer, with a line for an item, or valid on a day."""
    query = select(SalesContract)
    if status:
        query = query.where(SalesContract.status == status)
    if customer:
        query = query.where(SalesContract.customer_id == select(Partner.id).where(Partner.code == customer).scalar_subquery())
    if sku:
        query = query.where(SalesContract.id.in_(
            select(SalesContractLine.contract_id).join(Item, Item.id == SalesContractLine.item_id).where(Item.sku == sku)))
    if valid_on:
        query = query.where(SalesContract.valid_from <= valid_on, SalesContract.valid_to >= valid_on)
    return page(session, query, SalesContract, limit, offset, sort=sort, fields=contract_sort())


# What orders drew ----------------------------------------------------------------------------------


def draws(line: SalesOrderLine) -> Decimal:
    """What an order line takes from its contract, in base units: what was ordered, less what was cancelled when it shipped
    short and what went to a backorder (which draws it itself)."""
    return line.qty - line.cancelled_qty - line.backordered_qty


def orders_of(session: Session, contract: SalesContract) -> list[tuple[SalesOrder, dict[int, Decimal]]]:
    """Every order naming the contract, oldest first, with what it takes of each item on the contract (by item id)."""
    agreed = {line.item_id for line in contract.lines}
    orders = list(session.scalars(select(SalesOrder).where(SalesOrder.contract_id == contract.id).order_by(SalesOrder.id)))
    out = []
    for so in orders:
        taken: dict[int, Decimal] = defaultdict(Decimal)
        for line in so.lines:
            if line.item_id in agreed:
                taken[line.item_id] += draws(line)
        out.append((so, dict(taken)))
    return out


def drawn(session: Session, contract: SalesContract, *, besides: int | None = None) -> dict[int, Decimal]:
    """What confirmed (and later) orders drew of each item on the contract, in base units; without order `besides`."""
    total: dict[int, Decimal] = defaultdict(Decimal)
    for so, taken in orders_of(session, contract):
        if so.status in DRAWING_STATES and so.id != besides:
            for item_id, qty in taken.items():
                total[item_id] += qty
    return dict(total)


# Orders drawing a contract ---------------------------------------------------------------------------


def _named(session: Session, number: str) -> SalesContract:
    contract = session.scalar(select(SalesContract).where(SalesContract.number == number))
    if contract is None:
        raise UnknownReference(f"No sales contract {number}.", f"没有销售合同 {number}。", field="contract", contract=number)
    return contract


def require_drawable(contract: SalesContract) -> None:
    """Only a contract in force is drawn: a draft, closed or cancelled one is refused, naming its state."""
    if contract.status != "active":
        zh, en = STATE_NAMES.get(contract.status, (contract.status, contract.status))
        raise Conflict(
            f"Sales contract {contract.number} is {en}; only a contract in force can be drawn by an order.",
            f"销售合同 {contract.number} 当前为“{zh}”，只有生效中的合同才能被订单执行。",
            code="contract_not_active", field="contract", contract=contract.number, state=contract.status,
        )


def drawable_contract(session: Session, number: str, *, customer: Partner, currency: str | None, on: dt.date | None = None) -> SalesContract:
    """The contract an order names: in force, of the order's customer and currency, and within its dates on the order's day."""
    contract = _named(session, number)
    require_drawable(contract)
    if contract.customer_id != customer.id:
        owner = session.scalar(select(Partner.code).where(Partner.id == contract.customer_id))
        raise InvalidInput(f"Sales contract {number} is with {owner}, not {customer.code}.", f"销售合同 {number} 的客户是 {owner}，不是 {customer.code}。",
                           code="partner_mismatch", field="contract", contract=number)
    if currency is not None and currency != contract.currency:
        raise InvalidInput(f"Sales contract {number} is in {contract.currency}; the order is in {currency}.",
                           f"销售合同 {number} 的币种是 {contract.currency}，订单币种是 {currency}。", code="currency_mismatch", field="currency",
                           contract=number)
    day = on or local_today()
    if day > contract.valid_to:
        raise Conflict(f"Sales contract {number} ended on {contract.valid_to}; it can no longer be drawn.",
                       f"销售合同 {number} 已于 {contract.valid_to} 到期，不能再被订单执行。", code="contract_expired", field="contract",
                       contract=number, valid_to=contract.valid_to.isoformat())
    if day < contract.valid_from:
        raise Conflict(f"Sales contract {number} is in force from {contract.valid_from}; orders may draw it from that day.",
                       f"销售合同 {number} 自 {contract.valid_from} 起生效，届时订单才能执行。", code="contract_not_yet_valid", field="contract",
                       contract=number, valid_from=contract.valid_from.isoformat())
    return contract


def agreed_prices(contract: SalesContract) -> dict[int, Decimal]:
    """The contract's price of each of its items per base unit, unrounded (a line takes it times its own unit)."""
    return {line.item_id: line.unit_price / (line.uom_factor or Decimal(1)) for line in contract.lines}


def contract_of(session: Session, so: SalesOrder) -> SalesContract | None:
    return session.get(SalesContract, so.contract_id) if so.contract_id else None


def warnings_for(session: Session, so: SalesOrder, contract: SalesContract, on: dt.date | None = None) -> list[dict[str, Any]]:
    """What the order would break of its contract if it were confirmed `on` (today): its dates, its lines priced below the
    agreed price (net of discounts, in the line's unit), and items ordered beyond what other orders left of the agreed
    quantity. Each warning as it is kept on the order: its kind and figures, as text."""
    day = on or local_today()
    agreed = {line.item_id: line for line in contract.lines}
    items = {row.id: row for row in session.scalars(select(Item).where(Item.id.in_({line.item_id for line in so.lines} | set(agreed))))}
    out: list[dict[str, Any]] = []
    if not contract.valid_from <= day <= contract.valid_to:
        out.append({"kind": "outside_validity", "contract": contract.number, "line": None, "sku": None, "on": day.isoformat(),
                    "valid_from": contract.valid_from.isoformat(), "valid_to": contract.valid_to.isoformat()})
    for line in so.lines:
        terms = agreed.get(line.item_id)
        if terms is None:
            continue
        floor = (terms.unit_price / (terms.uom_factor or Decimal(1)) * (line.uom_factor or Decimal(1))).quantize(PRICE_PLACES)
        price = unit_price_of(line)
        if price < floor:
            out.append({"kind": "below_contract_price", "contract": contract.number, "line": line.line_no, "sku": items[line.item_id].sku,
                        "unit": line.uom or items[line.item_id].unit, "price": fmt(price), "contract_price": fmt(floor)})
    ordered: dict[int, Decimal] = defaultdict(Decimal)
    first: dict[int, int] = {}
    for line in so.lines:
        if line.item_id in agreed and agreed[line.item_id].qty is not None:
            ordered[line.item_id] += draws(line)
            first.setdefault(line.item_id, line.line_no)
    taken = drawn(session, contract, besides=so.id) if ordered else {}
    for item_id, qty in ordered.items():
        limit = agreed[item_id].qty or Decimal(0)
        before = taken.get(item_id, Decimal(0))
        if qty > limit - before:
            out.append({"kind": "over_quantity", "contract": contract.number, "line": first[item_id], "sku": items[item_id].sku,
                        "unit": items[item_id].unit, "agreed": fmt(limit), "drawn": fmt(before), "remaining": fmt(max(limit - before, Decimal(0))),
                        "ordered": fmt(qty)})
    return out


def confirm_warnings(session: Session, so: SalesOrder) -> list[dict[str, Any]]:
    """At confirmation: a contract no longer in force refuses the order; otherwise what it warns of, which the order keeps.
    The contract is locked meanwhile, so two orders confirmed at once each see what the other drew."""
    if not so.contract_id:
        return []
    contract = session.get_one(SalesContract, so.contract_id, with_for_update=True)
    require_drawable(contract)
    return warnings_for(session, so, contract)


def warning_text(warning: dict[str, Any]) -> tuple[str, str]:
    """A warning as a person reads it, (English, Chinese)."""
    w = warning
    number = w.get("contract", "")
    if w["kind"] == "over_quantity":
        return (
            f"Line {w['line']} ({w['sku']}): {w['ordered']} {w['unit']} ordered, but only {w['remaining']} {w['unit']} remain on contract {number} "
            f"({w['agreed']} agreed, {w['drawn']} drawn by other orders).",
            f"第 {w['line']} 行（{w['sku']}）订购 {w['ordered']} {w['unit']}，合同 {number} 仅剩 {w['remaining']} {w['unit']}"
            f"（约定 {w['agreed']}，其他订单已执行 {w['drawn']}）。",
        )
    if w["kind"] == "below_contract_price":
        return (
            f"Line {w['line']} ({w['sku']}) sells at {w['price']} a {w['unit']}, below the {w['contract_price']} agreed in contract {number}.",
            f"第 {w['line']} 行（{w['sku']}）单价 {w['price']}/{w['unit']}，低于合同 {number} 约定的 {w['contract_price']}。",
        )
    return (
        f"Contract {number} is valid from {w['valid_from']} to {w['valid_to']}; the order is dated {w['on']}.",
        f"合同 {number} 的有效期为 {w['valid_from']} 至 {w['valid_to']}，订单日期为 {w['on']}。",
    )
