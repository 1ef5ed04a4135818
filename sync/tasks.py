"""A warehouse's open tasks as a phone holds them (scope `tasks:<warehouse code>`): picks and put-aways, one row shape per
kind, shared by the bootstrap's pages and the change feed, so a pulled change replaces exactly the row a page gave.

A task is in the scope while it is open. Once it is done (picked, short, put away) or cancelled it leaves: the feed sends
its key with `data: null`, and the phone stops showing it. Tasks are never deleted, so a task's warehouse is always known.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from server.catalog.models import Item, Lot
from server.locations.models import Location
from server.purchasing.models import PutawayTask, Receipt, ReceiptLine
from server.sales.models import PickTask, SalesOrder, SalesOrderLine, Wave
from server.schemas import fmt

OPEN = "open"
_WAREHOUSE = aliased(Location)
_BIN = aliased(Location)
_DOCK = aliased(Location)
_SUGGESTED = aliased(Location)


def scope_of(warehouse_code: str) -> str:
    return f"tasks:{warehouse_code}"


@dataclasses.dataclass(frozen=True)
class TaskKind:
    name: str
    model: type
    fields: tuple[str, ...]  # "key" (the task's id) first
    query: Callable[[], Select[*tuple[Any, ...]]]  # the task's id, status, warehouse code, then the fields after "key"
    warehouse: Any  # the column holding the task's warehouse id
    row: Callable[[Any], list[Any]]  # a result row -> the fields after "key"

    def feed_rows(self, session: Session, ids: Sequence[int]) -> Iterable[tuple[str, str, dict[str, Any] | None]]:
        """The change feed's rows for these tasks: the task as it stands while open, `None` once it is not."""
        model_id = self.model.id  # type: ignore[attr-defined]
        for start in range(0, len(ids), 500):
            for result in session.execute(self.query().where(model_id.in_(ids[start : start + 500])).order_by(model_id)):
                task_id, status, warehouse = result[:3]
                data = dict(zip(self.fields[1:], self.row(result), strict=True)) if status == OPEN else None
                yield scope_of(warehouse), str(task_id), data

    def page(self, session: Session, warehouse_id: int | None, after: int, limit: int) -> tuple[list[list[Any]], int | None]:
        """Up to `limit` open tasks of the warehouse after the id `after`, in id order, and the id the next page starts
        after (None: no more)."""
        model = self.model
        results = session.execute(
            self.query().where(self.warehouse == warehouse_id, model.status == OPEN, model.id > after)  # type: ignore[attr-defined]
            .order_by(model.id).limit(limit + 1)  # type: ignore[attr-defined]
        ).all()
        more = len(results) > limit
        results = results[:limit]
        return [[str(r[0]), *self.row(r)] for r in results], (results[-1][0] if more else None)


def _picks() -> Select[*tuple[Any, ...]]:
    return (
        select(PickTask.id, PickTask.status, _WAREHOUSE.code, Wave.number, SalesOrder.number, Item.sku, Item.name_zh, Item.name_en,
               _BIN.code, Lot.code, PickTask.qty, PickTask.seq)
        .join(Wave, Wave.id == PickTask.wave_id)
        .join(_WAREHOUSE, _WAREHOUSE.id == Wave.warehouse_id)
        .join(SalesOrderLine, SalesOrderLine.id == PickTask.so_line_id)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.so_id)
        .join(Item, Item.id == PickTask.item_id)
        .join(_BIN, _BIN.id == PickTask.location_id)
        .outerjoin(Lot, Lot.id == PickTask.lot_id)
    )


def _putaways() -> Select[*tuple[Any, ...]]:
    return (
        select(PutawayTask.id, PutawayTask.status, _WAREHOUSE.code, Receipt.number, Item.sku, Item.name_zh, Item.name_en, Lot.code,
               PutawayTask.qty, _DOCK.code, _SUGGESTED.code)
        .join(ReceiptLine, ReceiptLine.id == PutawayTask.receipt_line_id)
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .join(Item, Item.id == PutawayTask.item_id)
        .join(_DOCK, _DOCK.id == PutawayTask.from_location_id)
        .join(_WAREHOUSE, _WAREHOUSE.id == _DOCK.warehouse_id)
        .outerjoin(Lot, Lot.id == PutawayTask.lot_id)
        .outerjoin(_SUGGESTED, _SUGGESTED.id == PutawayTask.suggested_location_id)
    )


TASKS: dict[str, TaskKind] = {
    kind.name: kind
    for kind in (
        # `seq` is the task's place on the wave's route (bin order); `status` is "open" while the task is in the scope.
        TaskKind("pick", PickTask, ("key", "wave", "order", "sku", "name_zh", "name_en", "location", "lot", "qty", "status", "seq"),
                 _picks, Wave.warehouse_id, lambda r: [r[3], r[4], r[5], r[6], r[7], r[8], r[9], fmt(r[10]), r[1], r[11]]),
        TaskKind("putaway", PutawayTask, ("key", "receipt", "sku", "name_zh", "name_en", "lot", "qty", "from", "suggested"),
                 _putaways, _DOCK.warehouse_id, lambda r: [r[3], r[4], r[5], r[6], r[7], fmt(r[8]), r[9], r[10]]),
    )
}
