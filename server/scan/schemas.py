"""What a scan resolves to."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from server.schemas import DecimalStr, Out

ScanKind = Literal["item", "location", "lot", "gs1", "unknown"]


class ScannedItem(Out):
    sku: str
    name_zh: str
    name_en: str
    unit: str
    tracking: str


class ScannedLocation(Out):
    code: str
    kind: str
    name_zh: str
    name_en: str
    warehouse: str | None
    quarantine: bool


class ScannedLot(Out):
    sku: str
    code: str
    expiry: dt.date | None


class ScanResult(Out):
    kind: ScanKind
    code: str
    item: ScannedItem | None = None
    pack: str | None = None
    qty: DecimalStr | None = None  # base units this scan stands for (12 for a carton of 12)
    location: ScannedLocation | None = None
    lot: ScannedLot | None = None
    lot_code: str | None = None
    expiry: dt.date | None = None
    serial: str | None = None
    serial_location: str | None = None
    sscc: str | None = None
    gtin: str | None = None
    gs1: dict[str, str] | None = None
    matches: list[ScannedLot] | None = None
