"""Orders from online shops (电商订单): taken once each, however often the shop sends them, confirmed and reserved at once.

A shop's order is identified by the shop and the shop's own order id. Sent again, it answers the sales order taken the
first time (a shop's retry after a timeout creates nothing); sent again with different content, it is refused, naming
that order. A new order becomes a sales order, confirmed and reserved as a person's would be (`confirm_so`); when it
cannot be confirmed — short of stock, over the customer's credit limit, below cost — it is still taken, as a draft, with
the reason, and the salespeople are told: the buyer has paid the shop, so the order must not be lost.
"""

from __future__ import annotations

import dataclasses
import hashlib

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.documents.lines import LineIn
from server.errors import CangkuError, Conflict, NotFound
from server.notifications.services import notify
from server.sales.models import SalesOrder
from server.sales.services.orders import confirm_so, create_so
from server.sales.shop_schemas import ShopOrderIn

NOTE_MAX = 500  # a sales order's note


@dataclasses.dataclass(frozen=True)
class Taken:
    order: SalesOrder
    created: bool
    held: CangkuError | None = None  # why it is a draft, not confirmed


def digest(data: ShopOrderIn) -> str:
    """What the shop sent, in one value: the same order sent again has the same."""
    return hashlib.sha256(msgspec.json.encode(data, order="sorted")).hexdigest()


def find_shop_order(session: Session, shop: str, order_id: str) -> SalesOrder | None:
    return session.scalar(select(SalesOrder).where(SalesOrder.shop == shop, SalesOrder.shop_order_id == order_id))


def get_shop_order(session: Session, actor: Actor, shop: str, order_id: str) -> SalesOrder:
    """The sales order taken for a shop's order (for the shop's system to look up what became of it)."""
    actor.require("sales.write")
    so = find_shop_order(session, shop, order_id)
    if so is None:
        raise NotFound(f"Shop {shop} has sent no order {order_id}.", f"店铺 {shop} 没有发来订单 {order_id}。", code="shop_order_not_found",
                       shop=shop, order_id=order_id)
    return so


def receive_shop_order(session: Session, actor: Actor, data: ShopOrderIn) -> Taken:
    """Take a shop's order once: a sales order, confirmed if it can be (see the module's docstring)."""
    actor.require("sales.write")
    signed = digest(data)
    existing = find_shop_order(session, data.shop, data.order_id)
    if existing is not None:
        if existing.shop_digest != signed:
            raise Conflict(
                f"Shop {data.shop}'s order {data.order_id} was taken before as {existing.number}, with other content; change that "
                "order instead of sending it again.",
                f"店铺 {data.shop} 的订单 {data.order_id} 已作为 {existing.number} 接收，且内容不同；请修改该订单，而不是重新发送。",
                code="shop_order_differs", number=existing.number,
            )
        return Taken(existing, False)
    buyer = data.buyer
    ship_to = "\n".join(part for part in (" ".join(p for p in (buyer.name, buyer.phone) if p), buyer.address) if part) if buyer else ""
    note = (f"{data.shop} {data.order_id}" + (f" · {data.note}" if data.note else ""))[:NOTE_MAX]
    so = create_so(
        session, actor, customer=data.customer, warehouse=data.warehouse, ship_to=ship_to, note=note, currency=data.currency,
        discount=data.discount, lines=[LineIn(sku=line.sku, qty=line.qty, unit_price=line.unit_price, vat_rate=line.vat_rate, unit=line.unit,
                                              discount=line.discount) for line in data.lines],
    )
    so.shop, so.shop_order_id, so.shop_ordered_at, so.shop_digest = data.shop, data.order_id, data.ordered_at, signed
    session.flush()  # a second copy of the order sent at the same moment stops here, on the shop order's unique key
    held: CangkuError | None = None
    try:
        with session.begin_nested():
            confirm_so(session, actor, so.number)
    except CangkuError as refused:
        held = refused
        notify(
            session, roles=["sales"], warehouse_id=so.warehouse_id, kind="shop_order.held",
            title_zh=f"电商订单待处理：{data.shop} {data.order_id}（{so.number}）",
            title_en=f"Shop order to see to: {data.shop} {data.order_id} ({so.number})",
            body_zh=f"订单未能自动确认，已保存为草稿：{refused.zh}", body_en=f"It could not be confirmed and waits as a draft: {refused.en}",
            ref_type="so", ref_id=so.number,
        )
    record(session, actor, "so.shop_order", "so", so.number, shop=data.shop, order_id=data.order_id,
           held=held.code if held is not None else None)
    return Taken(so, True, held)
