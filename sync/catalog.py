"""Master data as a device holds it: one row shape per kind (item, barcode, location, lot), shared by the
bootstrap's pages and the change feed, so a pulled change replaces exactly the row a page gave.

Every row starts with its key (the record's id as text): a SKU or a code may be corrected, the key stays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from server.catalog.models import Barcode, Item, Lot
from server.locations.models import Location
from server.schemas import fmt


@dataclasses.dataclass(frozen=True)
class CatalogKind:
    name: str
    model: type
    fields: tuple[str, ...]  # "key" first
    query: Callable[[], Select[*tuple[Any, ...]]]  # the row's columns, the record's id first
    row: Callable[[Any], list[Any]]  # a result row -> the fields after "key"

    def rows(self, session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
        """The rows of these records (those that still exist), by id."""
        found: dict[int, list[Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for result in session.execute(self.query().where(self.model.id.in_(chunk))):  # type: ignore[attr-defined]
                found[result[0]] = [str(result[0]), *self.row(result)]
        return found

    def page(self, session: Session, after: int, limit: int) -> tuple[list[list[Any]], int | None]:
        """Up to `limit` rows after the id `after`, in id order, and the id the next page starts after (None: no more)."""
        model_id = self.model.id  # type: ignore[attr-defined]
        results = session.execute(self.query().where(model_id > after).order_by(model_id).limit(limit + 1)).all()
        more = len(results) > limit
        results = results[:limit]
        return [[str(r[0]), *self.row(r)] for r in results], (results[-1][0] if more else None)


_PARENT = aliased(Location)
_WAREHOUSE = aliased(Location)


def _items() -> Select[*tuple[Any, ...]]:
    return select(Item.id, Item.sku, Item.name_zh, Item.name_en, Item.unit, Item.unit_decimals, Item.tracking, Item.vat_rate, Item.active)


def _barcodes() -> Select[*tuple[Any, ...]]:
    return select(Barcode.id, Barcode.code, Item.sku, Barcode.pack, Barcode.qty, Barcode.gtin).join(Item, Item.id == Barcode.item_id)


def _locations() -> Select[*tuple[Any, ...]]:
    return (
        select(Location.id, Location.code, Location.kind, _PARENT.code, _WAREHOUSE.code, Location.quarantine, Location.name_zh,
               Location.name_en, Location.active)
        .outerjoin(_PARENT, _PARENT.id == Location.parent_id)
        .outerjoin(_WAREHOUSE, _WAREHOUSE.id == Location.warehouse_id)
    )


def _lots() -> Select[*tuple[Any, ...]]:
    return select(Lot.id, Item.sku, Lot.code, Lot.expiry).join(Item, Item.id == Lot.item_id)


CATALOG: dict[str, CatalogKind] = {
    kind.name: kind
    for kind in (
        CatalogKind("item", Item, ("key", "sku", "name_zh", "name_en", "unit", "unit_decimals", "tracking", "vat_rate", "active"), _items,
                    lambda r: [r[1], r[2], r[3], r[4], r[5], r[6], fmt(r[7]), r[8]]),
        CatalogKind("barcode", Barcode, ("key", "code", "sku", "pack", "qty", "gtin"), _barcodes,
                    lambda r: [r[1], r[2], r[3], fmt(r[4]), r[5]]),
        CatalogKind("location", Location, ("key", "code", "kind", "parent", "warehouse", "quarantine", "name_zh", "name_en", "active"),
                    _locations, lambda r: list(r[1:])),
        CatalogKind("lot", Lot, ("key", "sku", "code", "expiry"), _lots,
                    lambda r: [r[1], r[2], r[3].isoformat() if r[3] else None]),
    )
}


def feed_rows(kind: CatalogKind, session: Session, ids: Sequence[int]) -> Iterable[tuple[str, str, dict[str, Any] | None]]:
    """The change feed's rows for these records: their state now, or `None` for one that is gone."""
    found = kind.rows(session, ids)
    for record_id in ids:
        row = found.get(record_id)
        yield "catalog", str(record_id), None if row is None else dict(zip(kind.fields[1:], row[1:], strict=True))
