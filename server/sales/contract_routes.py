"""Sales contracts (销售合同): written, put into force, closed or cancelled; each with what the orders drawing it took."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api import get, patch, post, run_idempotent
from server.auth.models import User
from server.auth.permissions import Actor
from server.catalog.models import Item
from server.db import Database
from server.documents import flows
from server.partners.models import Partner
from server.sales import services
from server.sales.contract_schemas import (
    ContractCreate,
    ContractDecision,
    ContractDrawOut,
    ContractLineCreate,
    ContractLineOut,
    ContractOrderOut,
    ContractOut,
    ContractPage,
    ContractUpdate,
)
from server.sales.models import SalesContract
from server.sales.services import contracts
from server.schemas import Limit, Offset, Sort, fmt

DocNumber = FromPath[str]
ZERO = Decimal(0)


def _f(value: Decimal) -> str:
    return fmt(value) or "0"


def contract_out(session: Session, actor: Actor, contract: SalesContract) -> ContractOut:
    """A contract with each line's agreed, drawn and remaining quantity, and the orders naming it."""
    items = {row.id: row for row in session.scalars(select(Item).where(Item.id.in_({line.item_id for line in contract.lines})))}
    customer = session.get_one(Partner, contract.customer_id)
    orders = contracts.orders_of(session, contract)
    drawn: dict[int, Decimal] = {}
    pending: dict[int, Decimal] = {}
    for so, takes in orders:
        into = drawn if so.status in contracts.DRAWING_STATES else pending if so.status == "draft" else {}
        for item_id, qty in takes.items():
            into[item_id] = into.get(item_id, ZERO) + qty
    line_of = {line.item_id: line for line in contract.lines}
    lines = []
    for line in contract.lines:
        item, taken = items[line.item_id], drawn.get(line.item_id, ZERO)
        factor = line.uom_factor or Decimal(1)
        lines.append(ContractLineOut(
            line=line.line_no, sku=item.sku, name_zh=item.name_zh, name_en=item.name_en, base_unit=item.unit, unit=line.uom or item.unit,
            unit_factor=_f(factor), unit_price=_f(line.unit_price), qty=fmt(line.qty), unit_qty=fmt((line.qty / factor).quantize(Decimal("0.0001"))) if line.qty is not None else None,
            drawn=_f(taken), remaining=_f(max(line.qty - taken, ZERO)) if line.qty is not None else None,
            over=_f(max(taken - line.qty, ZERO)) if line.qty is not None else "0", pending=_f(pending.get(line.item_id, ZERO)),
        ))
    drawing = any(so.status in contracts.DRAWING_STATES for so, _ in orders)
    return ContractOut(
        number=contract.number, status=contract.status, customer=customer.code, customer_name_zh=customer.name_zh, customer_name_en=customer.name_en,
        currency=contract.currency, valid_from=contract.valid_from, valid_to=contract.valid_to, note=contract.note, version=contract.version,
        created_at=contract.created_at, created_by=session.scalar(select(User.username).where(User.id == contract.created_by)) if contract.created_by else None,
        expired=contracts.expired(contract), lines=lines,
        orders=[
            ContractOrderOut(number=so.number, status=so.status, counts=so.status in contracts.DRAWING_STATES, created_at=so.created_at,
                             warnings=len(so.contract_warnings or []),
                             draws=[ContractDrawOut(line=line_of[i].line_no, sku=items[i].sku, qty=_f(qty)) for i, qty in sorted(
                                 taken.items(), key=lambda pair: line_of[pair[0]].line_no)])
            for so, taken in orders
        ],
        # One that orders drew is closed, not cancelled: the door is not offered.
        actions=[a for a in flows.SALES_CONTRACT.actions_for(contract.status, actor) if a != "cancel" or not drawing],
    )


def _lines(data: list[ContractLineCreate]) -> list[services.ContractLineIn]:
    return [services.ContractLineIn(sku=line.sku, unit_price=line.unit_price, qty=line.qty, unit=line.unit) for line in data]


def _require_prices(actor: Actor) -> None:
    actor.require("prices.read")  # a contract is an agreement on prices


class SalesContractController(Controller):
    path = "/api/v1/sales-contracts"
    tags = ["sales"]

    @get("/", summary="Sales contracts / 销售合同列表")
    def list_contracts(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: str | None = Parameter(default=None, max_length=24),
        customer: str | None = Parameter(default=None, max_length=64), sku: str | None = Parameter(default=None, max_length=64),
        valid_on: FromQuery[dt.date | None] = None, limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> ContractPage:
        """Sales contracts, newest first or as `sort` asks, narrowed by state, customer, an item on them, or the day they are
        valid on (`valid_on`: what an order of that day may draw); for those who may see prices."""
        _require_prices(actor)
        with db.read() as session:
            rows, total = contracts.list_contracts(session, status=status, customer=customer, sku=sku, valid_on=valid_on, limit=limit, offset=offset,
                                                   sort=sort)
            return ContractPage(items=[contract_out(session, actor, r) for r in rows], total=total)

    @get("/{number:str}", summary="One sales contract / 单个销售合同")
    def get_contract(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber) -> ContractOut:
        """One contract: each line agreed, drawn by orders and remaining, and the orders naming it; for those who may see prices."""
        _require_prices(actor)
        with db.read() as session:
            return contract_out(session, actor, services.get_contract(session, number))

    @post("/", summary="Write a contract / 新建销售合同")
    def create_contract(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[ContractCreate]
    ) -> Response[ContractOut]:
        """A draft contract with a customer: items at agreed prices, with or without agreed quantities, for a period."""
        return run_idempotent(db, actor, request, data, lambda s: contract_out(s, actor, services.create_contract(
            s, actor, customer=data.customer, valid_from=data.valid_from, valid_to=data.valid_to, lines=_lines(data.lines), currency=data.currency,
            note=data.note)), ContractOut)

    @patch("/{number:str}", summary="Change a draft contract / 修改销售合同")
    def update_contract(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[ContractUpdate]) -> ContractOut:
        """Changes a draft contract: only the fields given; `lines` replaces every line."""
        return db.run_write(lambda s: contract_out(s, actor, services.update_contract(
            s, actor, number, version=data.version, customer=data.customer, currency=data.currency, valid_from=data.valid_from, valid_to=data.valid_to,
            lines=_lines(data.lines) if data.lines is not None else None, note=data.note)))

    @post("/{number:str}/activate", status_code=200, summary="Put into force / 合同生效")
    def activate(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[ContractDecision]) -> ContractOut:
        """Puts a draft contract into force: orders of its customer may draw it within its dates."""
        return db.run_write(lambda s: contract_out(s, actor, services.activate_contract(s, actor, number, version=data.version)))

    @post("/{number:str}/close", status_code=200, summary="Close / 关闭合同")
    def close(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[ContractDecision]) -> ContractOut:
        """Ends a contract in force: what was drawn stays; no order draws it any more (a draft naming it can no longer be confirmed)."""
        return db.run_write(lambda s: contract_out(s, actor, services.close_contract(s, actor, number, version=data.version, reason=data.reason)))

    @post("/{number:str}/cancel", status_code=200, summary="Cancel / 取消合同")
    def cancel(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[ContractDecision]) -> ContractOut:
        """Cancels a draft contract, or one in force that no order has drawn yet."""
        return db.run_write(lambda s: contract_out(s, actor, services.cancel_contract(s, actor, number, version=data.version, reason=data.reason)))
