"""Partner endpoints."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.orm import Session

from server.api import get, patch, post, put, run_idempotent
from server.auth.permissions import Actor
from server.db import Database
from server.partners import services
from server.partners.schemas import (
    PartnerCreate,
    PartnerOut,
    PartnerPage,
    PartnerUpdate,
    PriceListCreate,
    PriceListIndex,
    PriceListOut,
    PriceListPrices,
    PriceListSummary,
)
from server.schemas import Limit, Offset, Sort


class PartnerController(Controller):
    path = "/api/v1/partners"
    tags = ["partners"]

    @get("/", summary="List suppliers and customers / 往来单位列表")
    def list_partners(
        self,
        db: NamedDependency[Database],
        kind: FromQuery[Literal["supplier", "customer"] | None] = None,
        search: str | None = Parameter(default=None, max_length=200),
        limit: Limit = 50,
        offset: Offset = 0,
        sort: Sort = None,
    ) -> PartnerPage:
        """Suppliers and customers, by code or as `sort` asks, found by part of their code or name."""
        with db.read() as session:
            rows, total = services.list_partners(session, kind=kind, search=search, limit=limit, offset=offset, sort=sort)
            return PartnerPage(items=[PartnerOut.of(r, services.price_list_code(session, r)) for r in rows], total=total)

    @get("/{code:str}", summary="One partner / 单个往来单位")
    def get_partner(self, db: NamedDependency[Database], code: FromPath[str]) -> PartnerOut:
        """One supplier or customer, with its terms, credit limit and price list."""
        with db.read() as session:
            return _out(session, services.get_partner(session, code))

    @post("/", summary="Create a partner / 新建往来单位")
    def create_partner(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[PartnerCreate]
    ) -> Response[PartnerOut]:
        """Creates a supplier or a customer."""
        return run_idempotent(db, actor, request, data, lambda s: _out(s, services.create_partner(s, actor, data)), PartnerOut)

    @patch("/{code:str}", summary="Change a partner / 修改往来单位")
    def update_partner(self, db: NamedDependency[Database], actor: NamedDependency[Actor], code: FromPath[str], data: JSONBody[PartnerUpdate]) -> PartnerOut:
        """Changes a supplier's or customer's details, terms, credit limit or price list; fields left out stay as they are."""
        return db.run_write(lambda s: _out(s, services.update_partner(s, actor, code, data)))


def _out(session: Session, row) -> PartnerOut:  # type: ignore[no-untyped-def]
    return PartnerOut.of(row, services.price_list_code(session, row))


def _price_list_out(session: Session, row) -> PriceListOut:  # type: ignore[no-untyped-def]
    return PriceListOut.of(row, services.prices_of(session, row))


class PriceListController(Controller):
    path = "/api/v1/price-lists"
    tags = ["partners"]

    @get("/", summary="Price lists / 价目表列表")
    def list_price_lists(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], kind: FromQuery[Literal["sales", "purchase"] | None] = None
    ) -> PriceListIndex:
        """The sales and purchase price lists, by code; for those who may see prices."""
        actor.require("prices.read")
        with db.read() as session:
            return PriceListIndex(items=[
                PriceListSummary(code=r.code, kind=r.kind, name_zh=r.name_zh, name_en=r.name_en, currency=r.currency)
                for r in services.list_price_lists(session, kind)
            ])

    @get("/{code:str}", summary="A price list / 价目表")
    def get_price_list(self, db: NamedDependency[Database], actor: NamedDependency[Actor], code: FromPath[str]) -> PriceListOut:
        """One price list with its prices and quantity breaks; for those who may see prices."""
        actor.require("prices.read")
        with db.read() as session:
            return _price_list_out(session, services.get_price_list(session, code))

    @post("/", summary="Create a price list / 新建价目表")
    def create_price_list(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[PriceListCreate]
    ) -> Response[PriceListOut]:
        """Creates a sales or purchase price list, with its prices."""
        return run_idempotent(db, actor, request, data, lambda s: _price_list_out(s, services.create_price_list(s, actor, data)), PriceListOut)

    @put("/{code:str}/prices", summary="Replace a price list's prices / 更新价目表价格")
    def replace_prices(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], code: FromPath[str], data: JSONBody[PriceListPrices]
    ) -> PriceListOut:
        """Replaces all of a price list's prices with those sent."""
        return db.run_write(lambda s: _price_list_out(s, services.replace_prices(s, actor, code, data)))
