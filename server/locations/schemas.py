"""Request and response shapes for locations."""

from __future__ import annotations

from typing import Literal

from server.locations.models import Location as LocationRow
from server.schemas import Code, Name, Out, Struct

InternalKind = Literal["warehouse", "zone", "bin"]
Kind = Literal["warehouse", "zone", "bin", "virtual"]


class LocationCreate(Struct):
    code: Code
    kind: InternalKind
    name_zh: Name = ""
    name_en: Name = ""
    parent: Code | None = None
    quarantine: bool = False


class LocationUpdate(Struct):
    version: int | None = None
    name_zh: Name | None = None
    name_en: Name | None = None
    quarantine: bool | None = None
    active: bool | None = None


class LocationOut(Out):
    id: int
    code: str
    kind: Kind
    name_zh: str
    name_en: str
    parent: str | None
    warehouse: str | None
    quarantine: bool
    active: bool
    version: int

    @classmethod
    def of(cls, row: LocationRow, codes: dict[int, str]) -> LocationOut:
        return cls(
            id=row.id,
            code=row.code,
            kind=row.kind,  # type: ignore[arg-type]
            name_zh=row.name_zh,
            name_en=row.name_en,
            parent=codes.get(row.parent_id) if row.parent_id else None,
            warehouse=codes.get(row.warehouse_id) if row.warehouse_id else None,
            quarantine=row.quarantine,
            active=row.active,
            version=row.version,
        )


class LocationPage(Out):
    items: list[LocationOut]
    total: int
