"""Catalog rules: item categories, items and their barcodes, lots, serials. Every write is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Protocol

import msgspec
from sqlalchemy import bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from labels.gs1 import check_digit, gtin14
from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Barcode, Category, Item, Lot
from server.catalog.schemas import (
    BarcodeAdd,
    BarcodeIn,
    BarcodeRemove,
    CategoryCreate,
    CategoryUpdate,
    ItemCreate,
    ItemUpdate,
    LotCreate,
    LotUpdate,
)
from server.errors import Conflict, InvalidInput, NotFound, UnknownReference, check_version
from server.quantities import optional_non_negative, positive_qty
from server.schemas import fmt, given
from server.sorting import looked_up, sorted_by

# Built once: the scan and move paths look these up on every request.
_ITEM_BY_SKU = select(Item).where(Item.sku == bindparam("sku"))
_LOT_BY_CODE = select(Lot).where(Lot.item_id == bindparam("item_id"), Lot.code == bindparam("code"))


# Categories -------------------------------------------------------------------------------------


def find_category(session: Session, code: str) -> Category | None:
    return session.scalar(select(Category).where(Category.code == code))


def get_category(session: Session, code: str) -> Category:
    category = find_category(session, code)
    if category is None:
        raise NotFound(f"No item category {code}.", f"没有商品分类 {code}。", category=code)
    return category


def unknown_category(code: str, field: str = "category") -> UnknownReference:
    return UnknownReference(
        f"Unknown item category {code}: create it under Master data › Categories first, or leave the category empty.",
        f"未知的商品分类 {code}：请先在“基础资料 › 商品分类”中新建，或不填分类。",
        code="unknown_category", category=code, field=field,
    )


def category_for_item(session: Session, code: str) -> Category:
    """The category an item is put in: it must exist and be active."""
    category = find_category(session, code)
    if category is None:
        raise unknown_category(code)
    if not category.active:
        raise InvalidInput(
            f"Item category {code} is inactive: choose another, or make it active again first.",
            f"商品分类 {code} 已停用：请选择其他分类，或先重新启用它。",
            code="inactive_category", category=code, field="category",
        )
    return category


def item_counts(session: Session, category_ids: list[int]) -> dict[int, int]:
    """How many items each category holds."""
    if not category_ids:
        return {}
    query = select(Item.category_id, func.count()).where(Item.category_id.in_(category_ids)).group_by(Item.category_id)
    return {category_id: count for category_id, count in session.execute(query) if category_id is not None}


def category_sort() -> dict[str, Any]:
    """What the category list may be sorted by, named as its answer's fields."""
    return {"code": Category.code, "name_zh": Category.name_zh, "name_en": Category.name_en, "active": Category.active}


def list_categories(
    session: Session, *, search: str | None, limit: int, offset: int, active: bool | None = None, sort: str | None = None
) -> tuple[list[Category], int]:
    query = select(Category)
    if search:
        term = search.strip()
        query = query.where(
            or_(
                Category.code.icontains(term, autoescape=True),
                Category.name_zh.icontains(term, autoescape=True),
                Category.name_en.icontains(term, autoescape=True),
            )
        )
    if active is not None:
        query = query.where(Category.active == active)
    ordered = sorted_by(query, sort, category_sort(), default=(Category.code,), tiebreak=Category.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(ordered.limit(limit).offset(offset))), total


def create_category(session: Session, actor: Actor, data: CategoryCreate) -> Category:
    actor.require("catalog.write")
    if find_category(session, data.code) is not None:
        raise Conflict(
            f"An item category with code {data.code} already exists.", f"商品分类编码 {data.code} 已存在。",
            code="duplicate_category", category=data.code, field="code",
        )
    category = Category(code=data.code, name_zh=data.name_zh, name_en=data.name_en)
    session.add(category)
    session.flush()
    record(session, actor, "category.create", "category", category.code, name_zh=category.name_zh, name_en=category.name_en)
    return category


def update_category(session: Session, actor: Actor, code: str, data: CategoryUpdate) -> Category:
    """Renames a category or (de)activates it. An inactive one keeps its items and stays in reports; no item is put in it."""
    actor.require("catalog.write")
    category = get_category(session, code)
    check_version("Item category", "商品分类", code, category.version, data.version)
    changed: dict[str, object] = {}
    for field in ("name_zh", "name_en", "active"):
        value = getattr(data, field)
        if value is not None and value != getattr(category, field):
            changed[field] = str(value)
            setattr(category, field, value)
    if changed:
        category.version += 1
        session.flush()
        record(session, actor, "category.update", "category", code, changes=changed)
    return category


# Items ------------------------------------------------------------------------------------------


def find_item(session: Session, sku: str) -> Item | None:
    return session.scalars(_ITEM_BY_SKU, {"sku": sku}).one_or_none()


def get_item(session: Session, sku: str) -> Item:
    item = session.scalars(select(Item).where(Item.sku == sku).options(selectinload(Item.barcodes), selectinload(Item.category))).one_or_none()
    if item is None:
        raise NotFound(f"No item with SKU {sku}.", f"没有 SKU 为 {sku} 的商品。", sku=sku)
    return item


def unknown_sku(sku: str) -> UnknownReference:
    return UnknownReference(f"Unknown SKU {sku}.", f"未知的 SKU {sku}。", code="unknown_sku", sku=sku)


def inactive_item(sku: str) -> InvalidInput:
    return InvalidInput(f"Item {sku} is inactive.", f"商品 {sku} 已停用。", code="inactive_item", sku=sku)


def item_for_move(session: Session, sku: str) -> Item:
    item = find_item(session, sku)
    if item is None:
        raise unknown_sku(sku)
    if not item.active:
        raise inactive_item(sku)
    return item


def item_sort() -> dict[str, Any]:
    """What the item list may be sorted by, named as its answer's fields."""
    return {
        "sku": Item.sku, "name_zh": Item.name_zh, "name_en": Item.name_en, "unit": Item.unit, "tracking": Item.tracking,
        "shelf_life_days": Item.shelf_life_days, "reorder_point": Item.reorder_point, "active": Item.active, "updated_at": Item.updated_at,
        "category": looked_up(Category.code, Category.id == Item.category_id),
    }


def list_items(
    session: Session, *, search: str | None, limit: int, offset: int, active: bool | None = None, sort: str | None = None,
    category: str | None = None,
) -> tuple[list[Item], int]:
    query = select(Item)
    if category:
        found = find_category(session, category)
        if found is None:
            raise unknown_category(category)
        query = query.where(Item.category_id == found.id)
    if search:
        term = search.strip()  # % and _ are matched as themselves (autoescape), not as wildcards
        query = query.where(
            or_(
                Item.sku.icontains(term, autoescape=True),
                Item.name_zh.icontains(term, autoescape=True),
                Item.name_en.icontains(term, autoescape=True),
                exists().where(Barcode.item_id == Item.id, Barcode.code == search.strip()),
            )
        )
    if active is not None:
        query = query.where(Item.active == active)
    ordered = sorted_by(query, sort, item_sort(), default=(Item.sku,), tiebreak=Item.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(ordered.limit(limit).offset(offset).options(selectinload(Item.barcodes), selectinload(Item.category)))
    return list(rows), total


def _owner_of(session: Session, code: str):  # type: ignore[no-untyped-def]
    """The SKU and id of the item a barcode belongs to, if any."""
    return session.execute(select(Item.sku, Item.id).join(Barcode, Barcode.item_id == Item.id).where(Barcode.code == code)).first()


def _duplicate_barcode(code: str, sku: str, field: str) -> Conflict:
    return Conflict(
        f"Barcode {code} already belongs to item {sku}.",
        f"条码 {code} 已属于商品 {sku}。",
        code="duplicate_barcode",
        barcode=code,
        sku=sku,
        field=field,
    )


def _checked_barcodes(session: Session, barcodes: list[BarcodeIn], *, item_id: int | None, decimals: int) -> list[Barcode]:
    seen: set[str] = set()
    rows = []
    for entry in barcodes:
        if entry.code in seen:
            raise InvalidInput(f"Barcode {entry.code} is listed twice.", f"条码 {entry.code} 重复出现。", barcode=entry.code, field="barcodes")
        seen.add(entry.code)
        check_gtin_digit(entry.code, "barcodes")
        qty = positive_qty(entry.qty, decimals=decimals, field="barcode qty")
        owner = _owner_of(session, entry.code)
        if owner is not None and owner.id != item_id:
            raise _duplicate_barcode(entry.code, owner.sku, "barcodes")
        rows.append(Barcode(code=entry.code, gtin=gtin14(entry.code), pack=entry.pack, qty=qty))
    return rows


def check_gtin_digit(code: str, field: str = "code") -> None:
    """A barcode typed in that has the length of a GTIN (8, 12, 13 or 14 digits) must end in its check digit: a wrong
    one is a typing slip, since no scanner reads a GTIN whose check digit is wrong."""
    if code.isdigit() and len(code) in (8, 12, 13, 14) and gtin14(code) is None:
        right = check_digit(code[:-1])
        raise InvalidInput(
            f"Barcode {code} has the length of a GTIN but a wrong check digit (it should end in {right}); check the digits.",
            f"条码 {code} 的长度是 GTIN，但校验位错误（应以 {right} 结尾），请核对数字。",
            code="bad_check_digit",
            barcode=code,
            field=field,
        )


def _check_reorder(data: ItemCreate | ItemUpdate, item: Item | None = None) -> None:
    optional_non_negative(given(data.reorder_point), "reorder_point")
    optional_non_negative(given(data.reorder_qty), "reorder_qty")
    optional_non_negative(given(data.max_stock), "max_stock")
    optional_non_negative(given(data.min_order_qty), "min_order_qty")
    point = data.reorder_point if data.reorder_point is not msgspec.UNSET else (item.reorder_point if item else None)
    ceiling = data.max_stock if data.max_stock is not msgspec.UNSET else (item.max_stock if item else None)
    if point is not None and ceiling is not None and ceiling < point:
        raise InvalidInput(f"The maximum stock ({fmt(ceiling)}) cannot be below the reorder point ({fmt(point)}).",
                           f"库存上限（{fmt(ceiling)}）不能低于再订货点（{fmt(point)}）。", code="invalid", field="max_stock")


def create_item(session: Session, actor: Actor, data: ItemCreate) -> Item:
    actor.require("catalog.write")
    if find_item(session, data.sku) is not None:
        raise Conflict(
            f"An item with SKU {data.sku} already exists.", f"SKU {data.sku} 已存在。", code="duplicate_sku", sku=data.sku, field="sku"
        )
    _check_reorder(data)
    item = Item(
        sku=data.sku,
        name_zh=data.name_zh,
        name_en=data.name_en,
        unit=data.unit,
        unit_decimals=data.unit_decimals,
        tracking=data.tracking,
        shelf_life_days=data.shelf_life_days,
        reorder_point=data.reorder_point,
        reorder_qty=data.reorder_qty,
        max_stock=data.max_stock,
        lead_time_days=data.lead_time_days,
        min_order_qty=data.min_order_qty,
        vat_rate=Decimal(data.vat_rate),
        category=category_for_item(session, data.category) if data.category else None,
    )
    item.barcodes = _checked_barcodes(session, data.barcodes, item_id=None, decimals=data.unit_decimals)
    session.add(item)
    session.flush()
    record(session, actor, "item.create", "item", item.sku, barcodes=[b.code for b in item.barcodes], category=data.category)
    return item


def _has_moves(session: Session, item_id: int) -> bool:
    from server.inventory.models import Move

    return session.scalar(select(exists().where(Move.item_id == item_id))) or False


_FROZEN_NAMES = {"unit": ("unit", "单位"), "unit_decimals": ("quantity decimals", "数量小数位"), "tracking": ("tracking", "追踪方式")}


def update_item(session: Session, actor: Actor, sku: str, data: ItemUpdate) -> Item:
    actor.require("catalog.write")
    item = get_item(session, sku)
    check_version("Item", "商品", sku, item.version, data.version)
    _check_reorder(data, item)
    changed: dict[str, object] = {}
    if data.vat_rate is not None and Decimal(data.vat_rate) != item.vat_rate:
        changed["vat_rate"] = data.vat_rate
        item.vat_rate = Decimal(data.vat_rate)
    for field in ("name_zh", "name_en", "active"):
        value = getattr(data, field)
        if value is not None and value != getattr(item, field):
            changed[field] = str(value)
            setattr(item, field, value)
    in_category = item.category.code if item.category is not None else None
    if data.category is not msgspec.UNSET and data.category != in_category:  # null takes the item out of its category
        item.category = category_for_item(session, data.category) if data.category is not None else None
        changed["category"] = data.category
    for field in ("shelf_life_days", "reorder_point", "reorder_qty", "max_stock", "lead_time_days", "min_order_qty"):  # null clears them
        value = getattr(data, field)
        if value is not msgspec.UNSET and value != getattr(item, field):
            changed[field] = None if value is None else str(value)
            setattr(item, field, value)
    for field in ("unit", "unit_decimals", "tracking"):
        value = getattr(data, field)
        if value is not None and value != getattr(item, field):
            if _has_moves(session, item.id):
                en, zh = _FROZEN_NAMES[field]
                raise Conflict(
                    f"Item {sku} has stock moves, so its {en} can no longer change.",
                    f"商品 {sku} 已有库存移动，{zh}不能再修改。",
                    code="frozen_field",
                    field=field,
                )
            changed[field] = str(value)
            setattr(item, field, value)
    if data.barcodes is not None:
        wanted = _checked_barcodes(session, data.barcodes, item_id=item.id, decimals=item.unit_decimals)
        current = {b.code: b for b in item.barcodes}
        keep = []
        for row in wanted:
            existing = current.get(row.code)
            if existing is not None:
                existing.pack, existing.qty = row.pack, row.qty
                keep.append(existing)
            else:
                keep.append(row)
        if {b.code for b in keep} != set(current) or any(
            (b.pack, b.qty) != (current[b.code].pack, current[b.code].qty) for b in keep if b.code in current
        ):
            changed["barcodes"] = [b.code for b in keep]
        item.barcodes = keep
    if changed:
        item.version += 1
        item.updated_at = utcnow()
        session.flush()
        record(session, actor, "item.update", "item", sku, changes=changed)
    return item


def _touched(session: Session, actor: Actor, item: Item, action: str, **details: Any) -> Item:  # details as record() takes them
    item.version += 1
    item.updated_at = utcnow()
    session.flush()
    record(session, actor, action, "item", item.sku, **details)
    return item


def add_barcode(session: Session, actor: Actor, sku: str, data: BarcodeAdd) -> Item:
    """One more barcode of an item: its each code, or a pack's (a carton of 12) with how many it holds."""
    actor.require("catalog.write")
    item = get_item(session, sku)
    check_version("Item", "商品", sku, item.version, data.version)
    check_gtin_digit(data.code)
    owner = _owner_of(session, data.code)
    if owner is not None:
        raise _duplicate_barcode(data.code, owner.sku, "code")
    qty = positive_qty(data.qty, decimals=item.unit_decimals, field="qty")
    item.barcodes.append(Barcode(code=data.code, gtin=gtin14(data.code), pack=data.pack, qty=qty))
    return _touched(session, actor, item, "item.barcode_add", barcode=data.code, pack=data.pack, qty=str(qty))


def remove_barcode(session: Session, actor: Actor, sku: str, data: BarcodeRemove) -> Item:
    actor.require("catalog.write")
    item = get_item(session, sku)
    check_version("Item", "商品", sku, item.version, data.version)
    kept = [b for b in item.barcodes if b.code != data.code]
    if len(kept) == len(item.barcodes):
        raise NotFound(f"Item {sku} has no barcode {data.code}.", f"商品 {sku} 没有条码 {data.code}。", barcode=data.code, field="code")
    item.barcodes = kept
    return _touched(session, actor, item, "item.barcode_remove", barcode=data.code)


# Lots -------------------------------------------------------------------------------------------


class TrackedItem(Protocol):
    """What finding an item's lot needs of it: an Item row, or the ledger's copy of one (inventory's ItemRef)."""

    @property
    def id(self) -> int: ...
    @property
    def sku(self) -> str: ...
    @property
    def tracking(self) -> str: ...


def find_lot(session: Session, item: TrackedItem, code: str) -> Lot | None:
    return session.scalars(_LOT_BY_CODE, {"item_id": item.id, "code": code}).one_or_none()


def lot_for_move(session: Session, item: TrackedItem, code: str | None) -> Lot | None:
    if item.tracking == "none":
        if code:
            raise InvalidInput(
                f"Item {item.sku} is not tracked by lot; leave the lot empty.",
                f"商品 {item.sku} 不按批次管理，请不要填写批次。",
                code="lot_not_tracked",
                sku=item.sku,
            )
        return None
    if not code:
        if item.tracking == "lot":
            raise InvalidInput(
                f"Item {item.sku} is tracked by lot: say which lot.",
                f"商品 {item.sku} 按批次管理，请指定批次。",
                code="lot_required",
                sku=item.sku,
            )
        return None
    lot = find_lot(session, item, code)
    if lot is None:
        raise UnknownReference(
            f"Item {item.sku} has no lot {code}.",
            f"商品 {item.sku} 没有批次 {code}。",
            code="unknown_lot",
            sku=item.sku,
            lot=code,
        )
    return lot


def get_lot(session: Session, sku: str, code: str) -> Lot:
    item = get_item(session, sku)
    lot = find_lot(session, item, code)
    if lot is None:
        raise NotFound(f"Item {sku} has no lot {code}.", f"商品 {sku} 没有批次 {code}。", sku=sku, lot=code)
    return lot


def _default_expiry(item: Item, produced_on: dt.date | None) -> dt.date | None:
    if produced_on is not None and item.shelf_life_days:
        return produced_on + dt.timedelta(days=item.shelf_life_days)
    return None


def create_lot(session: Session, actor: Actor, data: LotCreate) -> Lot:
    actor.require("lots.write")
    item = find_item(session, data.sku)
    if item is None:
        raise unknown_sku(data.sku)
    if item.tracking == "none":
        raise InvalidInput(
            f"Item {item.sku} is not tracked by lot or serial, so it has no lots.",
            f"商品 {item.sku} 不按批次或序列号管理，不能建立批次。",
            code="lot_not_tracked",
            sku=item.sku,
        )
    if find_lot(session, item, data.code) is not None:
        raise Conflict(
            f"Item {item.sku} already has lot {data.code}.",
            f"商品 {item.sku} 已有批次 {data.code}。",
            code="duplicate_lot",
            sku=item.sku,
            lot=data.code,
        )
    lot = Lot(item=item, code=data.code, produced_on=data.produced_on, expiry=data.expiry or _default_expiry(item, data.produced_on))
    session.add(lot)
    session.flush()
    record(session, actor, "lot.create", "lot", lot.id, sku=item.sku, lot=lot.code, expiry=str(lot.expiry))
    return lot


def update_lot(session: Session, actor: Actor, sku: str, code: str, data: LotUpdate) -> Lot:
    actor.require("lots.write")
    lot = get_lot(session, sku, code)
    check_version("Lot", "批次", f"{sku}/{code}", lot.version, data.version)
    changed = {}
    for field in ("expiry", "produced_on"):
        value = getattr(data, field)
        if value is not None and value != getattr(lot, field):
            changed[field] = str(value)
            setattr(lot, field, value)
    if changed:
        lot.version += 1
        session.flush()
        record(session, actor, "lot.update", "lot", lot.id, sku=sku, lot=code, changes=changed)
    return lot


def list_lots(session: Session, *, sku: str | None, search: str | None, expiring_before: dt.date | None, limit: int, offset: int) -> tuple[list[Lot], int]:
    query = select(Lot).join(Item, Lot.item_id == Item.id)
    if sku:
        query = query.where(Item.sku == sku)
    if search:
        query = query.where(Lot.code.icontains(search.strip(), autoescape=True))
    if expiring_before:
        query = query.where(Lot.expiry.is_not(None), Lot.expiry < expiring_before)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Item.sku, Lot.expiry, Lot.code).limit(limit).offset(offset).options(selectinload(Lot.item)))
    return list(rows), total
