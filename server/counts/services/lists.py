"""The stocktake list: filtered, paged and sorted, with each stocktake's lines per state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.counts.models import Stocktake, StocktakeLine
from server.errors import NotFound
from server.locations.models import Location
from server.sorting import looked_up, sorted_by

LINE_STATES = ("open", "counted", "recount")


def count_sort() -> dict[str, Any]:
    """What the stocktake list may be sorted by, named as its answer's fields."""
    return {
        "number": Stocktake.number, "status": Stocktake.status, "warehouse": looked_up(Location.code, Location.id == Stocktake.warehouse_id),
        "started_at": Stocktake.started_at, "posted_at": Stocktake.posted_at,
    }


def list_counts(
    session: Session, *, status: str | None = None, warehouse: str | None = None, limit: int = 50, offset: int = 0, sort: str | None = None
) -> tuple[list[Stocktake], int]:
    query = select(Stocktake)
    if status:
        query = query.where(Stocktake.status == status)
    if warehouse:
        wh = session.scalar(select(Location.id).where(Location.code == warehouse, Location.kind == "warehouse"))
        if wh is None:
            raise NotFound(f"No warehouse with code {warehouse}.", f"没有编码为 {warehouse} 的仓库。", warehouse=warehouse)
        query = query.where(Stocktake.warehouse_id == wh)
    ordered = sorted_by(query, sort, count_sort(), default=(Stocktake.id.desc(),), tiebreak=Stocktake.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(ordered.limit(limit).offset(offset))), total


def tallies(session: Session, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Lines per state of each stocktake: {id: {"open": n, "counted": n, "recount": n}}."""
    out: dict[int, dict[str, int]] = {i: dict.fromkeys(LINE_STATES, 0) for i in ids}
    if ids:
        for count_id, status, n in session.execute(
            select(StocktakeLine.stocktake_id, StocktakeLine.status, func.count())
            .where(StocktakeLine.stocktake_id.in_(ids))
            .group_by(StocktakeLine.stocktake_id, StocktakeLine.status)
        ):
            out[count_id][status] = n
    return out
