"""Sales documents as the API shows them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.permissions import Actor
from server.auth.visibility import visible
from server.catalog.models import Item, Lot
from server.documents import flows
from server.documents.lines import base_price, counted
from server.finance.currency import in_yuan
from server.finance.services import money
from server.inventory.models import Reservation
from server.locations.models import Location
from server.partners.models import Partner
from server.sales import services
from server.sales.models import Invoice, PickTask, Quote, Return, SalesOrder, SalesOrderLine, Wave
from server.sales.schemas import (
    ContractWarningOut,
    CustomerPriceOut,
    ExposureOut,
    InvoiceLineOut,
    InvoiceOut,
    PackageContentOut,
    PackageOut,
    PickTaskOut,
    QuoteOut,
    ReturnLineOut,
    ReturnOut,
    SalesLineOut,
    SOOut,
    WaveOut,
)
from server.sales.services import contracts
from server.sales.services.contracts import warning_text
from server.schemas import fmt


def _f(value: Decimal | int | None) -> str:
    return fmt(Decimal(value)) if value else "0"


def _items(session: Session, ids: set[int]) -> dict[int, Item]:
    return {row.id: row for row in session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}


def _code(session: Session, model, row_id: int | None) -> str | None:  # type: ignore[no-untyped-def]
    return session.scalar(select(model.code).where(model.id == row_id)) if row_id else None


def _lines(
    session: Session, lines: list, reserved: dict[int, Decimal] | None = None, below_cost: set[int] = frozenset(),  # type: ignore[type-arg, assignment]
) -> list[SalesLineOut]:
    items = _items(session, {line.item_id for line in lines})
    out = []
    for line in lines:
        item = items[line.item_id]
        out.append(SalesLineOut(
            line=line.line_no, sku=item.sku, name_zh=item.name_zh, name_en=item.name_en, qty=_f(line.qty), unit_price=_f(line.unit_price),
            base_unit=item.unit, **counted(line, item.unit), discount=_f(line.discount), below_cost=line.line_no in below_cost,
            vat_rate=_f(line.vat_rate), net=_f(money(line.qty * base_price(line))), reserved=_f((reserved or {}).get(line.id, Decimal(0))),
            picked=_f(getattr(line, "picked_qty", 0)), short=_f(getattr(line, "short_qty", 0)), packed=_f(getattr(line, "packed_qty", 0)),
            shipped=_f(getattr(line, "shipped_qty", 0)), invoiced=_f(getattr(line, "invoiced_qty", 0)), returned=_f(getattr(line, "returned_qty", 0)),
            backordered=_f(getattr(line, "backordered_qty", 0)), cancelled=_f(getattr(line, "cancelled_qty", 0)),
            returnable=_f(getattr(line, "shipped_qty", 0) - getattr(line, "returned_qty", 0)),
        ))
    return out


def quote_out(session: Session, actor: Actor, quote: Quote) -> QuoteOut:
    return visible(actor, QuoteOut(
        number=quote.number, status=quote.status, actions=flows.QUOTE.actions_for(quote.status, actor), customer=_code(session, Partner, quote.customer_id) or "",
        warehouse=_code(session, Location, quote.warehouse_id) or "", valid_until=quote.valid_until, note=quote.note, version=quote.version,
        currency=quote.currency, subtotal=_f(quote.subtotal), tax=_f(quote.tax), total=_f(quote.total), discount=_f(quote.discount),
        sales_order=session.scalar(select(SalesOrder.number).where(SalesOrder.id == quote.so_id)) if quote.so_id else None,
        lines=_lines(session, quote.lines),
    ))


def so_actions(so: SalesOrder, actor: Actor, held: bool) -> list[str]:
    """What `actor` may do to the order now; releasing the credit hold only while the order is held by it."""
    return [a for a in flows.SALES_ORDER.actions_for(so.status, actor) if a != "credit-release" or held]


def so_out(session: Session, actor: Actor, so: SalesOrder) -> SOOut:
    """A sales order with its lines and packages, the order it is a backorder of and its own backorders; prices and totals
    only for those who may see prices."""
    held = so.status == "draft" and services.credit_hold(session, so)  # only a draft waits to be confirmed
    ids = [str(line.id) for line in so.lines]
    reserved = {
        int(cast(str, ref)): qty  # ref_id IN (...): never NULL
        for ref, qty in session.execute(
            select(Reservation.ref_id, func.sum(Reservation.qty))
            .where(Reservation.ref_type.in_(("so_line", "so_staged")), Reservation.ref_id.in_(ids), Reservation.open.is_(True))
            .group_by(Reservation.ref_id)
        ).all()
    }
    line_nos = {line.id: line.line_no for line in so.lines}
    skus = {i: item.sku for i, item in _items(session, {line.item_id for line in so.lines}).items()}
    item_of = {line.id: line.item_id for line in so.lines}
    return visible(actor, SOOut(
        number=so.number, status=so.status, actions=so_actions(so, actor, held), credit_hold=held, customer=_code(session, Partner, so.customer_id) or "", warehouse=_code(session, Location, so.warehouse_id) or "",
        ship_to=so.ship_to, note=so.note, version=so.version, currency=so.currency, exchange_rate=_f(so.exchange_rate), subtotal=_f(so.subtotal),
        tax=_f(so.tax), total=_f(so.total), total_cny=_f(in_yuan(so.total, so.exchange_rate)), discount=_f(so.discount),
        credit_released_by=session.scalar(select(User.username).where(User.id == so.credit_override_by)) if so.credit_override_by else None,
        credit_release_reason=so.credit_override_reason,
        below_cost_confirmed_by=session.scalar(select(User.username).where(User.id == so.below_cost_by)) if so.below_cost_by else None,
        lines=_lines(session, so.lines, reserved, {b.line for b in services.below_cost(session, so)} if so.status == "draft" else set()), created_at=so.created_at,
        backorder_of=session.scalar(select(SalesOrder.number).where(SalesOrder.id == so.backorder_of)) if so.backorder_of else None,
        backorders=services.backorders_of(session, so),
        packages=[
            PackageOut(sscc=p.sscc, weight_kg=fmt(p.weight_kg), contents=[
                PackageContentOut(line=line_nos[c.so_line_id], sku=skus[item_of[c.so_line_id]], qty=_f(c.qty)) for c in p.contents
            ])
            for p in services.packages_of(session, so)
        ],
        shop=so.shop, shop_order_id=so.shop_order_id,
        **contract_facts(session, actor, so),
    ))


def contract_facts(session: Session, actor: Actor, so: SalesOrder) -> dict[str, Any]:
    """The order's sales contract, what it breaks of it (a draft's as confirming it now would; a confirmed order's as they
    were then; about prices only for those who may see them) and who confirmed it so."""
    contract = contracts.contract_of(session, so)
    if contract is None:
        return {}
    warned = contracts.warnings_for(session, so, contract) if so.status == "draft" else list(so.contract_warnings or [])
    shown = [w for w in warned if w["kind"] != "below_contract_price" or actor.can("prices.read")]
    return {
        "contract": contract.number,
        "contract_warnings": [_warning_out(w) for w in shown],
        "contract_exceeded_by": session.scalar(select(User.username).where(User.id == so.contract_exceeded_by)) if so.contract_exceeded_by else None,
    }


def exposure_out(session: Session, actor: Actor, partner: Partner) -> ExposureOut:
    seen = services.exposure(session, partner.id)
    return visible(actor, ExposureOut(
        customer=partner.code, credit_limit=fmt(seen.limit), open_receivables=_f(seen.open_ar), open_orders=_f(seen.open_orders),
        exposure=_f(seen.total), available_credit=fmt(seen.limit - seen.total) if seen.limit is not None else None,
    ))


def _warning_out(warning: dict[str, Any]) -> ContractWarningOut:
    en, zh = warning_text(warning)
    w = warning.get

    def day(key: str) -> dt.date | None:  # kept as ISO text on the order
        return dt.date.fromisoformat(str(w(key))) if w(key) else None

    return ContractWarningOut(
        kind=warning["kind"], contract=warning["contract"], message_en=en, message_zh=zh, line=w("line"), sku=w("sku"), unit=w("unit"),
        agreed=w("agreed"), drawn=w("drawn"), remaining=w("remaining"), ordered=w("ordered"), price=w("price"), contract_price=w("contract_price"),
        valid_from=day("valid_from"), valid_to=day("valid_to"),
    )


def customer_price_out(customer: str, sku: str, price: services.CustomerPrice) -> CustomerPriceOut:
    return CustomerPriceOut(customer=customer, sku=sku, qty=_f(price.qty), price_list=price.price_list, unit_price=fmt(price.unit_price),
                            vat_rate=_f(price.vat_rate), unit=price.unit, contract=price.contract)


def wave_out(session: Session, actor: Actor, wave: Wave) -> WaveOut:
    tasks: list[PickTask] = services.pick_tasks(session, wave)
    items = _items(session, {t.item_id for t in tasks})
    lots = {row.id: row for row in session.scalars(select(Lot).where(Lot.id.in_({t.lot_id for t in tasks if t.lot_id})))}
    locations = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_({t.location_id for t in tasks}))).all())
    lines = {
        row.id: (number, row.line_no)
        for row, number in session.execute(
            select(SalesOrderLine, SalesOrder.number).join(SalesOrder, SalesOrderLine.so_id == SalesOrder.id)
            .where(SalesOrderLine.id.in_({t.so_line_id for t in tasks}))
        ).all()
    }
    pickers = dict(session.execute(select(User.id, User.username).where(User.id.in_({t.done_by for t in tasks if t.done_by}))).all())
    orders = list(dict.fromkeys(lines[t.so_line_id][0] for t in tasks))
    counts = {status: sum(1 for t in tasks if t.status == status) for status in ("open", "done", "short", "cancelled")}
    return WaveOut(
        number=wave.number, warehouse=_code(session, Location, wave.warehouse_id) or "", status=wave.status, version=wave.version,
        orders=orders, created_at=wave.created_at, tasks_open=counts["open"], tasks_done=counts["done"], tasks_short=counts["short"],
        tasks_cancelled=counts["cancelled"],
        tasks=[
            PickTaskOut(
                id=t.id, seq=t.seq, order=lines[t.so_line_id][0], order_line=lines[t.so_line_id][1], sku=items[t.item_id].sku,
                name_zh=items[t.item_id].name_zh, name_en=items[t.item_id].name_en, location=locations[t.location_id],
                lot=lots[t.lot_id].code if t.lot_id else None, expiry=lots[t.lot_id].expiry if t.lot_id else None, qty=_f(t.qty),
                picked=_f(t.picked_qty), status=t.status, short_reason=t.short_reason, version=t.version,
                actions=flows.PICK_TASK.actions_for(t.status, actor),
                done_by=pickers.get(t.done_by) if t.done_by else None, done_at=t.done_at,
            )
            for t in tasks
        ],
    )


def invoice_out(session: Session, actor: Actor, invoice: Invoice) -> InvoiceOut:
    line_nos = dict(session.execute(select(SalesOrderLine.id, SalesOrderLine.line_no).where(SalesOrderLine.so_id == invoice.so_id)).all())
    invoice_items = _items(session, {line.item_id for line in invoice.lines})
    skus = {i: item.sku for i, item in invoice_items.items()}
    units = {i: item.unit for i, item in invoice_items.items()}
    return visible(actor, InvoiceOut(
        number=invoice.number, kind=invoice.kind, status=invoice.status, actions=[a for a in flows.INVOICE.actions_for(invoice.status, actor) if a != "record-payment" or invoice.kind != "credit_note"], customer=_code(session, Partner, invoice.customer_id) or "",  # type: ignore[arg-type]
        order=session.scalar(select(SalesOrder.number).where(SalesOrder.id == invoice.so_id)) or "",
        credits=session.scalar(select(Invoice.number).where(Invoice.id == invoice.credits_id)) if invoice.credits_id else None,
        invoice_date=invoice.invoice_date, due_date=invoice.due_date, currency=invoice.currency, exchange_rate=_f(invoice.exchange_rate),
        subtotal=_f(invoice.subtotal), tax=_f(invoice.tax), total=_f(invoice.total), total_cny=_f(invoice.total_cny),
        paid=_f(invoice.paid), credited=_f(invoice.credited), open=_f(invoice.total - invoice.paid - invoice.credited), version=invoice.version,
        note=invoice.note,
        lines=[
            InvoiceLineOut(line=line.line_no, order_line=line_nos[line.so_line_id], sku=skus[line.item_id], qty=_f(line.qty),
                           unit_price=_f(line.unit_price), vat_rate=_f(line.vat_rate), net=_f(line.net), tax=_f(line.tax),
                           **counted(line, units[line.item_id]))
            for line in invoice.lines
        ],
    ))


def return_out(session: Session, actor: Actor, rma: Return) -> ReturnOut:
    line_nos = dict(session.execute(select(SalesOrderLine.id, SalesOrderLine.line_no).where(SalesOrderLine.so_id == rma.so_id)).all())
    skus = {i: item.sku for i, item in _items(session, {line.item_id for line in rma.lines}).items()}
    lots = dict(session.execute(select(Lot.id, Lot.code).where(Lot.id.in_({line.lot_id for line in rma.lines if line.lot_id}))).all())
    return visible(actor, ReturnOut(
        number=rma.number, status=rma.status, actions=flows.RETURN.actions_for(rma.status, actor), order=session.scalar(select(SalesOrder.number).where(SalesOrder.id == rma.so_id)) or "",
        customer=_code(session, Partner, rma.customer_id) or "", location=_code(session, Location, rma.location_id) or "",
        credit_note=session.scalar(select(Invoice.number).where(Invoice.id == rma.credit_note_id)) if rma.credit_note_id else None,
        warehouse=_code(session, Location, rma.warehouse_id) or "", version=rma.version,
        lines=[
            ReturnLineOut(line=line.line_no, order_line=line_nos[line.so_line_id], sku=skus[line.item_id], lot=lots.get(line.lot_id) if line.lot_id else None,
                          qty=_f(line.qty), reason=line.reason, disposition=line.disposition, unit_cost=fmt(line.unit_cost))
            for line in rma.lines
        ],
    ))
