"""Item category, item and lot endpoints: thin wrappers over the catalog services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy.orm import Session

from server.api import get, patch, post, run_idempotent
from server.auth.permissions import Actor
from server.catalog import services
from server.catalog.models import Category
from server.catalog.schemas import (
    BarcodeAdd,
    BarcodeRemove,
    CategoryCreate,
    CategoryOut,
    CategoryPage,
    CategoryUpdate,
    ItemCreate,
    ItemOut,
    ItemPage,
    ItemUpdate,
    LotCreate,
    LotOut,
    LotPage,
    LotUpdate,
)
from server.db import Database
from server.schemas import Limit, Offset, Sort


def _category_out(session: Session, row: Category) -> CategoryOut:
    return CategoryOut.of(row, services.item_counts(session, [row.id]).get(row.id, 0))


class CategoryController(Controller):
    path = "/api/v1/categories"
    tags = ["catalog"]

    @get("/", summary="List item categories / 商品分类列表")
    def list_categories(
        self,
        db: NamedDependency[Database],
        search: str | None = Parameter(default=None, max_length=200),
        active: FromQuery[bool | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        sort: Sort = None,
    ) -> CategoryPage:
        """Item categories, by code or as `sort` asks, found by part of their code or name, each with how many items it holds."""
        with db.read() as session:
            rows, total = services.list_categories(session, search=search, active=active, limit=limit, offset=offset, sort=sort)
            counts = services.item_counts(session, [r.id for r in rows])
            return CategoryPage(items=[CategoryOut.of(r, counts.get(r.id, 0)) for r in rows], total=total)

    @get("/{code:str}", summary="One item category / 单个商品分类")
    def get_category(self, db: NamedDependency[Database], code: FromPath[str]) -> CategoryOut:
        """One item category, with how many items it holds."""
        with db.read() as session:
            return _category_out(session, services.get_category(session, code))

    @post("/", summary="Create an item category / 新建商品分类")
    def create_category(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[CategoryCreate]
    ) -> Response[CategoryOut]:
        """Adds an item category (饮料, 文具): items are put in it, and reports filter and subtotal by it."""
        return run_idempotent(db, actor, request, data, lambda s: _category_out(s, services.create_category(s, actor, data)), CategoryOut)

    @patch("/{code:str}", summary="Change an item category / 修改商品分类")
    def update_category(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], code: FromPath[str], data: JSONBody[CategoryUpdate]
    ) -> CategoryOut:
        """Renames an item category or deactivates it (its items stay in it; no more are put in it); fields left out stay as they are."""
        return db.run_write(lambda s: _category_out(s, services.update_category(s, actor, code, data)))


class ItemController(Controller):
    path = "/api/v1/items"
    tags = ["catalog"]

    @get("/", summary="List items / 商品列表")
    def list_items(
        self,
        db: NamedDependency[Database],
        search: str | None = Parameter(default=None, max_length=200),
        active: FromQuery[bool | None] = None,
        category: str | None = Parameter(default=None, max_length=64),
        limit: Limit = 50,
        offset: Offset = 0,
        sort: Sort = None,
    ) -> ItemPage:
        """Items, by SKU or as `sort` asks, found by part of their SKU or name or by a whole barcode, or those of one category."""
        with db.read() as session:
            rows, total = services.list_items(session, search=search, active=active, limit=limit, offset=offset, sort=sort, category=category)
            return ItemPage(items=[ItemOut.of(r) for r in rows], total=total)

    @get("/{sku:str}", summary="One item / 单个商品")
    def get_item(self, db: NamedDependency[Database], sku: FromPath[str]) -> ItemOut:
        """One item with its barcodes."""
        with db.read() as session:
            return ItemOut.of(services.get_item(session, sku))

    @post("/", summary="Create an item / 新建商品")
    def create_item(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[ItemCreate]
    ) -> Response[ItemOut]:
        """Adds an item to the catalog, with its unit, tracking and barcodes."""
        return run_idempotent(db, actor, request, data, lambda s: ItemOut.of(services.create_item(s, actor, data)), ItemOut)

    @patch("/{sku:str}", summary="Change an item / 修改商品")
    def update_item(self, db: NamedDependency[Database], actor: NamedDependency[Actor], sku: FromPath[str], data: JSONBody[ItemUpdate]) -> ItemOut:
        """Changes an item's names, unit, tracking, reorder settings, VAT rate, category or barcodes, or deactivates it; fields left out
        stay as they are."""
        return db.run_write(lambda s: ItemOut.of(services.update_item(s, actor, sku, data)))

    @post("/{sku:str}/barcodes", status_code=200, summary="Add a barcode to an item / 添加商品条码")
    def add_barcode(self, db: NamedDependency[Database], actor: NamedDependency[Actor], sku: FromPath[str], data: JSONBody[BarcodeAdd]) -> ItemOut:
        """Adds a barcode to an item: its each code, or a pack's (a carton of 12) with how many it holds."""
        return db.run_write(lambda s: ItemOut.of(services.add_barcode(s, actor, sku, data)))

    @post("/{sku:str}/barcodes/remove", status_code=200,
          summary="Remove a barcode from an item / 删除商品条码")
    def remove_barcode(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], sku: FromPath[str], data: JSONBody[BarcodeRemove]
    ) -> ItemOut:
        """Removes one of an item's barcodes."""
        return db.run_write(lambda s: ItemOut.of(services.remove_barcode(s, actor, sku, data)))


class LotController(Controller):
    path = "/api/v1/lots"
    tags = ["catalog"]

    @get("/", summary="List lots / 批次列表")
    def list_lots(
        self,
        db: NamedDependency[Database],
        sku: str | None = Parameter(default=None, max_length=64),
        search: str | None = Parameter(default=None, max_length=64),
        expiring_before: FromQuery[dt.date | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> LotPage:
        """Lots by item and expiry, narrowed by item, part of the lot code, or expiry before a date."""
        with db.read() as session:
            rows, total = services.list_lots(session, sku=sku, search=search, expiring_before=expiring_before, limit=limit, offset=offset)
            return LotPage(items=[LotOut.of(r) for r in rows], total=total)

    @get("/{sku:str}/{code:str}", summary="One lot / 单个批次")
    def get_lot(self, db: NamedDependency[Database], sku: FromPath[str], code: FromPath[str]) -> LotOut:
        """One lot of an item, with its expiry and production date."""
        with db.read() as session:
            return LotOut.of(services.get_lot(session, sku, code))

    @post("/", summary="Create a lot / 新建批次")
    def create_lot(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[LotCreate]
    ) -> Response[LotOut]:
        """Records a lot of an item, with its expiry and production date."""
        return run_idempotent(db, actor, request, data, lambda s: LotOut.of(services.create_lot(s, actor, data)), LotOut)

    @patch("/{sku:str}/{code:str}", summary="Change a lot / 修改批次")
    def update_lot(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], sku: FromPath[str], code: FromPath[str], data: JSONBody[LotUpdate]
    ) -> LotOut:
        """Changes a lot's expiry or production date."""
        return db.run_write(lambda s: LotOut.of(services.update_lot(s, actor, sku, code, data)))
