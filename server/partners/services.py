"""Partner rules: unique codes, credit limits in money, contacts, price lists, every change audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.catalog.models import Item
from server.errors import Conflict, Forbidden, InvalidInput, NotFound, UnknownReference, check_version
from server.partners.models import Partner, PartnerContact, PriceList, PriceListItem
from server.partners.schemas import ContactIn, PartnerCreate, PartnerUpdate, PriceIn, PriceListCreate, PriceListPrices
from server.quantities import optional_non_negative
from server.schemas import given
from server.sorting import sorted_by

_FIELDS = ("name_zh", "name_en", "contact", "phone", "email", "tax_id", "address", "payment_terms_days", "credit_limit", "currency", "active")


def get_partner(session: Session, code: str, *, kind: str | None = None) -> Partner:
    partner = session.scalar(select(Partner).where(Partner.code == code))
    if partner is None:
        raise NotFound(f"No partner {code}.", f"没有往来单位 {code}。", partner=code)
    if kind and partner.kind not in (kind, "both"):
        en, zh = ("a supplier", "供应商") if kind == "supplier" else ("a customer", "客户")
        raise InvalidInput(f"Partner {code} is not {en}.", f"往来单位 {code} 不是{zh}。", code="wrong_partner_kind", partner=code)
    if kind and not partner.active:
        raise InvalidInput(f"Partner {code} is inactive.", f"往来单位 {code} 已停用。", code="inactive_partner", partner=code)
    return partner


def partner_reference(session: Session, code: str, kind: str) -> Partner:
    """A partner named in a document: unknown is a 422 about the request, not a 404 about the URL."""
    try:
        return get_partner(session, code, kind=kind)
    except NotFound:
        raise UnknownReference(f"No partner {code}.", f"没有往来单位 {code}。", partner=code) from None


def price_list_code(session: Session, partner: Partner) -> str | None:
    return session.scalar(select(PriceList.code).where(PriceList.id == partner.price_list_id)) if partner.price_list_id else None


def _price_list_id(session: Session, code: str | None, kind: str) -> int | None:
    if code is None:
        return None
    row = session.scalar(select(PriceList).where(PriceList.code == code))
    if row is None:
        raise UnknownReference(f"No price list {code}.", f"没有价目表 {code}。", price_list=code, field="price_list")
    return row.id


def list_price_lists(session: Session, kind: str | None) -> list[PriceList]:
    query = select(PriceList).order_by(PriceList.code)
    return list(session.scalars(query.where(PriceList.kind == kind) if kind else query))


def _contacts(data: list[ContactIn]) -> list[PartnerContact]:
    return [PartnerContact(name=c.name, role=c.role, phone=c.phone, email=c.email) for c in data]


def _require_credit(actor: Actor) -> None:
    """Setting a credit limit needs its own permission; the refusal names the field, so a form can point at it."""
    try:
        actor.require("partners.credit")
    except Forbidden as refused:
        refused.details["field"] = "credit_limit"
        raise


def create_partner(session: Session, actor: Actor, data: PartnerCreate) -> Partner:
    actor.require("partners.write")
    if session.scalar(select(Partner.id).where(Partner.code == data.code)) is not None:
        raise Conflict(f"Partner {data.code} already exists.", f"往来单位 {data.code} 已存在。", code="duplicate_partner", field="code")
    optional_non_negative(data.credit_limit, "credit_limit", scale=2)
    if data.credit_limit is not None:
        _require_credit(actor)
    partner = Partner(code=data.code, kind=data.kind, **{f: getattr(data, f) for f in _FIELDS if f != "active"})
    partner.price_list_id = _price_list_id(session, data.price_list, "sales" if data.kind == "customer" else "purchase")
    partner.contacts = _contacts(data.contacts)
    session.add(partner)
    session.flush()
    record(session, actor, "partner.create", "partner", data.code, kind=data.kind)
    return partner


def update_partner(session: Session, actor: Actor, code: str, data: PartnerUpdate) -> Partner:
    actor.require("partners.write")
    partner = get_partner(session, code)
    check_version("Partner", "往来单位", code, partner.version, data.version)
    optional_non_negative(given(data.credit_limit), "credit_limit", scale=2)
    changes: dict[str, str | None] = {}
    if data.credit_limit is not msgspec.UNSET and data.credit_limit != partner.credit_limit:  # null: no limit
        _require_credit(actor)
        changes["credit_limit"] = None if data.credit_limit is None else str(data.credit_limit)
        partner.credit_limit = data.credit_limit
    for field in _FIELDS:
        if field == "credit_limit":
            continue
        value = getattr(data, field)
        if value is not None and value != getattr(partner, field):
            changes[field] = str(value)
            setattr(partner, field, value)
    if data.price_list is not msgspec.UNSET:  # null: the customer pays list prices
        list_id = None if data.price_list is None else _price_list_id(session, data.price_list, "sales")
        if list_id != partner.price_list_id:
            partner.price_list_id = list_id
            changes["price_list"] = data.price_list
    if data.contacts is not None:
        partner.contacts = _contacts(data.contacts)
        changes["contacts"] = str(len(data.contacts))
    if changes:
        partner.version += 1
        session.flush()
        record(session, actor, "partner.update", "partner", code, changes=changes)
    return partner


def partner_sort() -> dict[str, Any]:
    """What the partner list may be sorted by, named as its answer's fields."""
    return {
        "code": Partner.code, "kind": Partner.kind, "name_zh": Partner.name_zh, "name_en": Partner.name_en, "contact": Partner.contact,
        "phone": Partner.phone, "payment_terms_days": Partner.payment_terms_days, "credit_limit": Partner.credit_limit, "currency": Partner.currency,
        "active": Partner.active,
    }


def list_partners(
    session: Session, *, kind: str | None, search: str | None, limit: int, offset: int, sort: str | None = None
) -> tuple[list[Partner], int]:
    query = select(Partner)
    if kind:
        query = query.where(Partner.kind.in_((kind, "both")))
    if search:
        term = search.strip()  # % and _ are matched as themselves (autoescape), not as wildcards
        query = query.where(or_(*(column.icontains(term, autoescape=True) for column in (Partner.code, Partner.name_zh, Partner.name_en))))
    ordered = sorted_by(query, sort, partner_sort(), default=(Partner.code,), tiebreak=Partner.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(ordered.limit(limit).offset(offset))), total


# Price lists ------------------------------------------------------------------------------------


def get_price_list(session: Session, code: str) -> PriceList:
    row = session.scalar(select(PriceList).where(PriceList.code == code))
    if row is None:
        raise NotFound(f"No price list {code}.", f"没有价目表 {code}。", price_list=code)
    return row


def prices_of(session: Session, price_list: PriceList) -> list[tuple[str, Decimal, Decimal]]:
    return [
        (sku, price, min_qty)
        for sku, price, min_qty in session.execute(
            select(Item.sku, PriceListItem.price, PriceListItem.min_qty)
            .join(Item, PriceListItem.item_id == Item.id)
            .where(PriceListItem.price_list_id == price_list.id)
            .order_by(Item.sku, PriceListItem.min_qty)
        )
    ]


def _set_prices(session: Session, price_list: PriceList, prices: list[PriceIn]) -> None:
    skus = {p.sku for p in prices}
    items = dict(session.execute(select(Item.sku, Item.id).where(Item.sku.in_(skus))).all()) if skus else {}
    seen: set[tuple[str, Decimal]] = set()
    session.execute(delete(PriceListItem).where(PriceListItem.price_list_id == price_list.id))
    for entry in prices:
        if entry.sku not in items:
            raise UnknownReference(f"No item with SKU {entry.sku}.", f"没有 SKU 为 {entry.sku} 的商品。", sku=entry.sku)
        price = optional_non_negative(entry.price, "price", scale=6)
        min_qty = optional_non_negative(entry.min_qty, "min_qty") or Decimal(0)
        if (entry.sku, min_qty) in seen:
            raise InvalidInput(
                f"{entry.sku} is priced twice from quantity {min_qty}.", f"{entry.sku} 在数量 {min_qty} 起重复定价。", code="duplicate_price"
            )
        seen.add((entry.sku, min_qty))
        session.add(PriceListItem(price_list_id=price_list.id, item_id=items[entry.sku], min_qty=min_qty, price=price))
    session.flush()


PRICE_LIST_WRITE = {"sales": "pricelists.sales.write", "purchase": "pricelists.purchase.write"}


def _require_price_list_write(actor: Actor, kind: str | None) -> None:
    """Each kind of list has its own permission; without either, the list is not even looked up."""
    if kind is None:
        if not any(actor.can(permission) for permission in PRICE_LIST_WRITE.values()):
            actor.require(PRICE_LIST_WRITE["sales"])
        return
    actor.require(PRICE_LIST_WRITE[kind])


def create_price_list(session: Session, actor: Actor, data: PriceListCreate) -> PriceList:
    _require_price_list_write(actor, data.kind)
    if session.scalar(select(PriceList.id).where(PriceList.code == data.code)) is not None:
        raise Conflict(f"Price list {data.code} already exists.", f"价目表 {data.code} 已存在。", code="duplicate_price_list")
    row = PriceList(code=data.code, kind=data.kind, name_zh=data.name_zh, name_en=data.name_en, currency=data.currency)
    session.add(row)
    session.flush()
    _set_prices(session, row, data.prices)
    record(session, actor, "price_list.create", "price_list", data.code, prices=len(data.prices))
    return row


def replace_prices(session: Session, actor: Actor, code: str, data: PriceListPrices) -> PriceList:
    _require_price_list_write(actor, None)
    row = get_price_list(session, code)
    _require_price_list_write(actor, row.kind)
    check_version("Price list", "价目表", code, row.version, data.version)
    _set_prices(session, row, data.prices)
    row.version += 1
    session.flush()
    record(session, actor, "price_list.prices", "price_list", code, prices=len(data.prices))
    return row


def price_for(session: Session, partner: Partner | None, item_id: int, qty: Decimal, currency: str) -> Decimal | None:
    """The partner's list price of an item for a quantity (the highest quantity break reached), if it has one in the
    document's currency (a list in yuan says nothing about a price in dollars)."""
    if partner is None or partner.price_list_id is None:
        return None
    if session.scalar(select(PriceList.currency).where(PriceList.id == partner.price_list_id)) != currency:
        return None
    return list_price(session, partner.price_list_id, item_id, qty)


def list_price(session: Session, price_list_id: int, item_id: int, qty: Decimal) -> Decimal | None:
    """A price list's price of an item for a quantity (the highest quantity break reached), if it lists one."""
    return session.scalar(
        select(PriceListItem.price)
        .where(PriceListItem.price_list_id == price_list_id, PriceListItem.item_id == item_id, PriceListItem.min_qty <= qty)
        .order_by(PriceListItem.min_qty.desc())
        .limit(1)
    )
