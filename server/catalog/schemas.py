"""Request and response shapes for item categories, items, barcodes, lots and serials."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from server.catalog.models import Barcode as BarcodeRow
from server.catalog.models import Category as CategoryRow
from server.catalog.models import Item as ItemRow
from server.catalog.models import Lot as LotRow
from server.schemas import Code, DecimalStr, Name, Out, Quantity, ScanText, Struct, fmt, line, plain_as

Tracking = Literal["none", "lot", "serial"]
Unit = Annotated[str, line(16, min_length=1)]
Decimals = Annotated[int, msgspec.Meta(ge=0, le=4)]
Days = Annotated[int, msgspec.Meta(ge=0, le=36500)]


class CategoryCreate(Struct):
    code: Code
    name_zh: Name = ""
    name_en: Name = ""


class CategoryUpdate(Struct):
    """Fields left out stay as they are."""

    version: int | None = None
    name_zh: Name | None = None
    name_en: Name | None = None
    active: bool | None = None


class CategoryOut(Out):
    id: int
    code: str
    name_zh: str
    name_en: str
    active: bool
    version: int
    items: int  # how many items are in it

    @classmethod
    def of(cls, row: CategoryRow, items: int) -> CategoryOut:
        return cls(id=row.id, code=row.code, name_zh=row.name_zh, name_en=row.name_en, active=row.active, version=row.version, items=items)


class CategoryPage(Out):
    items: list[CategoryOut]
    total: int


class BarcodeIn(Struct):
    code: ScanText
    pack: Annotated[str, line(32, min_length=1)] = "each"
    qty: Quantity = plain_as(Quantity, Decimal(1))


class BarcodeAdd(BarcodeIn):
    """One barcode added to an item, on the version of the item the person saw."""

    version: int | None = None


class BarcodeRemove(Struct):
    code: ScanText
    version: int | None = None


# Value-added tax rates in percent (13 goods, 9 farm produce/transport, 6 services, 3 and 1 small-scale, 0 exempt/export).
VatRate = Literal["13", "9", "6", "3", "1", "0"]


class ItemCreate(Struct):
    sku: Code
    name_zh: Name = ""
    name_en: Name = ""
    unit: Unit = "pcs"
    unit_decimals: Decimals = 0
    tracking: Tracking = "none"
    shelf_life_days: Days | None = None
    reorder_point: Quantity | None = None
    reorder_qty: Quantity | None = None
    max_stock: Quantity | None = None
    vat_rate: VatRate = "13"
    category: Code | None = None  # the code of an active category
    barcodes: Annotated[list[BarcodeIn], msgspec.Meta(max_length=50)] = []
    lead_time_days: Days | None = None  # from ordering to the goods arriving (purchase plans)
    min_order_qty: Quantity | None = None  # the least a supplier sells at once (purchase plans propose no less)


class ItemUpdate(Struct):
    """Fields left out stay as they are; `null` clears those that may be empty (shelf life, reorder point and quantity,
    maximum stock, category, lead time, minimum order quantity)."""

    version: int | None = None
    name_zh: Name | None = None
    name_en: Name | None = None
    unit: Unit | None = None
    unit_decimals: Decimals | None = None
    tracking: Tracking | None = None
    shelf_life_days: Days | None | msgspec.UnsetType = msgspec.UNSET
    reorder_point: Quantity | None | msgspec.UnsetType = msgspec.UNSET
    reorder_qty: Quantity | None | msgspec.UnsetType = msgspec.UNSET
    max_stock: Quantity | None | msgspec.UnsetType = msgspec.UNSET
    vat_rate: VatRate | None = None
    category: Code | None | msgspec.UnsetType = msgspec.UNSET
    active: bool | None = None
    barcodes: Annotated[list[BarcodeIn], msgspec.Meta(max_length=50)] | None = None
    lead_time_days: Days | None | msgspec.UnsetType = msgspec.UNSET
    min_order_qty: Quantity | None | msgspec.UnsetType = msgspec.UNSET


class BarcodeOut(Out):
    code: str
    pack: str
    qty: DecimalStr
    gtin: str | None

    @classmethod
    def of(cls, row: BarcodeRow) -> BarcodeOut:
        return cls(code=row.code, pack=row.pack, qty=fmt(row.qty) or "1", gtin=row.gtin)


class ItemOut(Out):
    id: int
    sku: str
    name_zh: str
    name_en: str
    unit: str
    unit_decimals: int
    tracking: Tracking
    shelf_life_days: int | None
    reorder_point: DecimalStr | None
    reorder_qty: DecimalStr | None
    max_stock: DecimalStr | None
    vat_rate: str
    category: str | None  # the category's code
    active: bool
    version: int
    barcodes: list[BarcodeOut]
    updated_at: dt.datetime
    lead_time_days: int | None = None  # days from ordering to the goods arriving; none: purchase plans go by past orders
    min_order_qty: DecimalStr | None = None  # the least a supplier sells at once (最小起订量)

    @classmethod
    def of(cls, row: ItemRow) -> ItemOut:
        return cls(
            id=row.id,
            sku=row.sku,
            name_zh=row.name_zh,
            name_en=row.name_en,
            unit=row.unit,
            unit_decimals=row.unit_decimals,
            tracking=row.tracking,  # type: ignore[arg-type]
            shelf_life_days=row.shelf_life_days,
            reorder_point=fmt(row.reorder_point),
            reorder_qty=fmt(row.reorder_qty),
            max_stock=fmt(row.max_stock),
            vat_rate=fmt(row.vat_rate) or "0",
            category=row.category.code if row.category is not None else None,
            active=row.active,
            version=row.version,
            barcodes=[BarcodeOut.of(b) for b in row.barcodes],
            updated_at=row.updated_at,
            lead_time_days=row.lead_time_days,
            min_order_qty=fmt(row.min_order_qty),
        )


class ItemPage(Out):
    items: list[ItemOut]
    total: int


class LotCreate(Struct):
    sku: Code
    code: Code
    expiry: dt.date | None = None
    produced_on: dt.date | None = None


class LotUpdate(Struct):
    version: int | None = None
    expiry: dt.date | None = None
    produced_on: dt.date | None = None


class LotOut(Out):
    id: int
    sku: str
    code: str
    expiry: dt.date | None
    produced_on: dt.date | None
    version: int

    @classmethod
    def of(cls, row: LotRow) -> LotOut:
        return cls(
            id=row.id, sku=row.item.sku, code=row.code, expiry=row.expiry,
            produced_on=row.produced_on, version=row.version,
        )


class LotPage(Out):
    items: list[LotOut]
    total: int
