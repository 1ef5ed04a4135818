"""What the sales documents share: lookups by number, the warehouse's areas, lines priced for the customer, totals."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.catalog.models import Item
from server.catalog.services import item_for_move
from server.documents.lines import PRICE_PLACES, LineIn, base_price, document_unit, line_qty, order_lines
from server.documents.services import get_document
from server.errors import Conflict, InvalidInput
from server.finance.services import money
from server.locations.models import Location
from server.partners.models import Partner, PriceList
from server.partners.services import partner_reference, price_for
from server.sales.models import Invoice, Quote, Return, SalesContract, SalesOrder, Wave
from server.sales.services.contracts import agreed_prices, drawable_contract


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


def _sales_lines(
    session: Session, customer: Partner, lines: Sequence[LineIn], factory: type, currency: str, contract: SalesContract | None = None,
) -> list[Any]:
    """A quote's or order's lines; a line without a price takes the price its sales contract agreed for the item, else the
    customer's list price, if the list is in the document's currency."""
    if not lines:
        raise InvalidInput("A document needs at least one line.", "单据至少需要一行。", code="no_lines")
    agreed = agreed_prices(contract) if contract is not None else {}

    def listed(item: Item, qty: Decimal) -> Decimal:
        if item.id in agreed:
            return agreed[item.id]
        price = price_for(session, customer, item.id, qty, currency)
        if price is None:
            raise InvalidInput(
                f"No price for {item.sku}: the customer's price list has none in {currency}; give a unit price.",
                f"{item.sku} 没有价格：客户价目表中没有该商品的 {currency} 价格，请填写单价。",
                code="price_required",
                sku=item.sku, field="unit_price",
            )
        return price

    return order_lines(session, lines, factory, listed)


def _totals(doc: Any) -> None:
    """The document's amounts from its lines, each net of its own and the document's discount."""
    subtotal = tax = Decimal(0)
    for line in doc.lines:
        line.doc_discount = doc.discount
        net = money(line.qty * base_price(line))
        subtotal += net
        tax += money(net * line.vat_rate / 100)
    doc.subtotal, doc.tax, doc.total = subtotal, tax, subtotal + tax


@dataclasses.dataclass(frozen=True)
class CustomerPrice:
    qty: Decimal  # in base units
    unit: str
    price_list: str | None
    unit_price: Decimal | None  # per `unit`
    vat_rate: Decimal
    contract: str | None = None  # the sales contract whose agreed price it is (before the price list)


def customer_price(
    session: Session, actor: Actor, customer: str, sku: str, qty: object, unit: str | None = None, currency: str | None = None,
    contract: str | None = None,
) -> CustomerPrice:
    """The price a line of a quote or order would take when none is typed: the price its sales contract (`contract`, of
    this customer) agreed for the item, else the customer's list price for the quantity (the highest break reached), per
    the line's unit, or none; and the item's VAT rate."""
    actor.require("prices.read")
    customer_row = partner_reference(session, customer, "customer")
    item = item_for_move(session, sku)
    counted = document_unit(session, item, unit)
    amount = line_qty(qty, item, counted)
    terms = drawable_contract(session, contract, customer=customer_row, currency=currency) if contract else None
    agreed = agreed_prices(terms) if terms is not None else {}
    if item.id in agreed and terms is not None:
        return CustomerPrice(qty=amount, unit=counted.name, price_list=None, unit_price=(agreed[item.id] * counted.factor).quantize(PRICE_PLACES),
                             vat_rate=item.vat_rate, contract=terms.number)
    listed = price_for(session, customer_row, item.id, amount, currency or (terms.currency if terms is not None else customer_row.currency))
    code = session.scalar(select(PriceList.code).where(PriceList.id == customer_row.price_list_id)) if customer_row.price_list_id else None
    return CustomerPrice(qty=amount, unit=counted.name, price_list=code, unit_price=None if listed is None else (listed * counted.factor).quantize(PRICE_PLACES),
                         vat_rate=item.vat_rate)
