"""Orders from online shops: `POST /api/v1/shop-orders` takes one (once, however often it is sent), and a shop's system
looks up what became of it by its own order id."""

from __future__ import annotations

from litestar import Controller, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.api import get, post
from server.auth.permissions import Actor
from server.db import Database
from server.sales.services.shop_orders import Taken, get_shop_order, receive_shop_order
from server.sales.shop_schemas import HeldOut, ShopOrderIn, ShopOrderOut
from server.sales.views import so_out
from server.schemas import Code, ScanText


def _out(session: Session, actor: Actor, taken: Taken) -> ShopOrderOut:
    held = taken.held
    return ShopOrderOut(created=taken.created, order=so_out(session, actor, taken.order),
                        held=HeldOut(code=held.code, message_en=held.en, message_zh=held.zh) if held is not None else None)


class ShopOrderController(Controller):
    path = "/api/v1/shop-orders"
    tags = ["sales"]

    @post("/", summary="Take an order from an online shop / 接收电商订单")
    def receive(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[ShopOrderIn]) -> Response[ShopOrderOut]:
        """Takes a shop's order as a sales order, confirmed and reserved (201). The same order sent again (the same `shop`
        and `order_id`) answers the order taken the first time (200, `created`: false) and changes nothing; sent again with
        other content, it is refused (409 `shop_order_differs`). An order that cannot be confirmed — short of stock, over
        the credit limit — is still taken, as a draft, with the reason in `held`, and the salespeople are notified."""

        def take(session: Session) -> ShopOrderOut:
            return _out(session, actor, receive_shop_order(session, actor, data))

        try:
            out = db.run_write(take)
        except IntegrityError:  # the same order, sent twice at once, was taken by the other request a moment ago
            out = db.run_write(take)
        return Response(out, status_code=201 if out.created else 200)

    @get("/{shop:str}/{order_id:str}", summary="What became of a shop's order / 查询电商订单")
    def find(self, db: NamedDependency[Database], actor: NamedDependency[Actor], shop: FromPath[Code], order_id: FromPath[ScanText]) -> ShopOrderOut:
        """The sales order taken for the shop's order: its number, state, lines and packages."""
        with db.read() as session:
            return _out(session, actor, Taken(get_shop_order(session, actor, shop, order_id), False))
