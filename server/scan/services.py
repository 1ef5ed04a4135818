"""One resolver for every scan, tried in order: barcode, SKU, location, lot, GS1 element string.

Each step is one indexed lookup, so the cost does not grow with the size of the catalog.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from labels.gs1 import GS1Data, gtin14, looks_like_gs1, parse_gs1
from server.catalog.models import Barcode, Item, Lot, Serial
from server.locations.models import Location
from server.scan.schemas import ScannedItem, ScannedLocation, ScannedLot, ScanResult
from server.schemas import fmt

_ITEM_COLUMNS = (Item.id, Item.sku, Item.name_zh, Item.name_en, Item.unit, Item.tracking)


def _item(row) -> ScannedItem:  # type: ignore[no-untyped-def]
    return ScannedItem(sku=row.sku, name_zh=row.name_zh, name_en=row.name_en, unit=row.unit, tracking=row.tracking)


# Every statement is built once; a scan only binds its code.
_BY_BARCODE = select(*_ITEM_COLUMNS, Barcode.pack, Barcode.qty).join(Barcode, Barcode.item_id == Item.id)
_BARCODE = _BY_BARCODE.where(Barcode.code == bindparam("code")).limit(1)
_GTIN = _BY_BARCODE.where(Barcode.gtin == bindparam("code")).limit(1)
_SKU = select(*_ITEM_COLUMNS).where(Item.sku == bindparam("code"))
_WAREHOUSE = Location.__table__.alias("warehouse")
_LOCATION = (
    select(Location.code, Location.kind, Location.name_zh, Location.name_en, Location.quarantine, _WAREHOUSE.c.code.label("warehouse"))
    .outerjoin(_WAREHOUSE, Location.warehouse_id == _WAREHOUSE.c.id)
    .where(Location.code == bindparam("code"))
)
_LOTS = select(Lot.code, Lot.expiry, *_ITEM_COLUMNS).join(Item, Lot.item_id == Item.id).where(Lot.code == bindparam("code")).limit(20)
_SERIAL = (
    select(*_ITEM_COLUMNS, Location.code.label("where"))
    .join(Serial, Serial.item_id == Item.id)
    .outerjoin(Location, Serial.location_id == Location.id)
    .where(Serial.serial == bindparam("code"))
    .limit(1)
)


def _barcode(session: Session, *, code: str | None = None, gtin: str | None = None):  # type: ignore[no-untyped-def]
    return session.execute(_BARCODE if code is not None else _GTIN, {"code": code if code is not None else gtin}).first()


def resolve(session: Session, code: str) -> ScanResult:
    code = code.strip()
    if not code:
        return ScanResult(kind="unknown", code=code)
    if not looks_like_gs1(code):
        row = _barcode(session, code=code)
        if row is None and (gtin := gtin14(code)):
            row = _barcode(session, gtin=gtin)
        if row is not None:
            return ScanResult(kind="item", code=code, item=_item(row), pack=row.pack, qty=fmt(row.qty))
        row = session.execute(_SKU, {"code": code}).first()
        if row is not None:
            return ScanResult(kind="item", code=code, item=_item(row), pack="each", qty="1")
        place = session.execute(_LOCATION, {"code": code}).first()
        if place is not None:
            return ScanResult(
                kind="location",
                code=code,
                location=ScannedLocation(
                    code=place.code, kind=place.kind, name_zh=place.name_zh, name_en=place.name_en,
                    warehouse=place.warehouse, quarantine=place.quarantine,
                ),
            )
        lots = session.execute(_LOTS, {"code": code}).all()
        if lots:
            first = lots[0]
            return ScanResult(
                kind="lot",
                code=code,
                item=_item(first),
                lot=ScannedLot(sku=first.sku, code=first.code, expiry=first.expiry),
                matches=[ScannedLot(sku=r.sku, code=r.code, expiry=r.expiry) for r in lots] if len(lots) > 1 else None,
            )
        serial = session.execute(_SERIAL, {"code": code}).first()
        if serial is not None:  # a serial-number label stands for that one unit
            return ScanResult(kind="item", code=code, item=_item(serial), pack="each", qty="1", serial=code, serial_location=serial.where)
    data = parse_gs1(code)
    if data is not None:
        return _resolve_gs1(session, code, data)
    return ScanResult(kind="unknown", code=code)


def _resolve_gs1(session: Session, code: str, data: GS1Data) -> ScanResult:
    result = ScanResult(
        kind="gs1", code=code, gs1=data.elements, gtin=data.gtin, lot_code=data.lot, expiry=data.expiry,
        serial=data.serial, sscc=data.sscc,
    )
    if data.gtin is None:
        return result
    row = _barcode(session, gtin=data.gtin)
    if row is None:
        return result
    result.item = _item(row)
    result.pack = row.pack
    # AI 30/37 counts trade items of this GTIN; in base units that is count x pack size.
    result.qty = fmt(row.qty * data.qty if data.qty is not None else row.qty)
    if data.lot:
        lot = session.execute(select(Lot.code, Lot.expiry).where(Lot.item_id == row.id, Lot.code == data.lot)).first()
        if lot is not None:
            result.lot = ScannedLot(sku=row.sku, code=lot.code, expiry=lot.expiry)
    if data.serial:
        where = session.scalar(
            select(Location.code).join(Serial, Serial.location_id == Location.id).where(Serial.item_id == row.id, Serial.serial == data.serial)
        )
        result.serial_location = where
    return result
