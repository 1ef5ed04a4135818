"""Physical facts that contradict the book, found by operations done offline.

A picker who took 3 from a bin the book says holds 1 did take 3: the book was wrong, not the picker.
The operation is applied anyway (`applied_with_exception`): the shortfall is booked as a count gain
into the bin first, so the bin never goes below zero, recorded as a discrepancy, and the bin and
item are sent for a recount (a stocktake limited to them), which settles what is really there.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api import get
from server.audit.services import record
from server.auth.permissions import Actor
from server.catalog.models import Item, Lot
from server.db import Database
from server.errors import Conflict, InsufficientStock
from server.locations.models import Location
from server.schemas import DecimalStr, Limit, Offset, Out, fmt
from sync.models import Discrepancy

# Operations that report what a person physically did with stock: their shortfalls are facts, not refusals.
PHYSICAL = frozenset({"stock.move", "pick.confirm", "transfer.confirm"})


def record_shortfall(session: Session, actor: Actor, *, op_type: str, op_id: str, shortage: InsufficientStock) -> Discrepancy | None:
    """Raise the book of the bin by what was taken beyond it, record why, and open (or join) a recount; None if it is not a bin."""
    from server.counts.services import start_count
    from server.inventory.services import move

    info = shortage.details
    location = session.scalar(select(Location).where(Location.code == info.get("location")))
    if location is None or not location.internal or location.quarantine:
        return None
    item = session.scalar(select(Item).where(Item.sku == info.get("sku")))
    if item is None or item.tracking == "serial":  # a serial number names the unit: it is either there or not
        return None
    available, requested = Decimal(info["available"]), Decimal(info["requested"])
    shortfall = requested - available
    lot = session.scalar(select(Lot).where(Lot.item_id == item.id, Lot.code == info.get("lot"))) if info.get("lot") else None
    mover = actor.granted("stock.move")  # a physical fact is recorded on the shortage's authority, whoever took the goods
    gain = move(
        session, mover, sku=item.sku, qty=shortfall, source="ADJUSTMENT", target=location.code, lot=lot.code if lot else None,
        reason=f"discrepancy: {op_type} took {fmt(requested)}, the book had {fmt(available)} available"[:200], op_id=f"{op_id}:gain"[:64],
    )
    warehouse = session.scalar(select(Location.code).where(Location.id == location.warehouse_id)) or ""
    count_number: str | None
    try:
        with session.begin_nested():
            count_number = start_count(
                session, mover, warehouse=warehouse, locations=[location.code], skus=[item.sku],
                note=f"recount after a discrepancy in {location.code} / 差异复盘",
            ).number
    except Conflict as busy:
        count_number = busy.details.get("other")  # already being counted: that count settles it
    row = Discrepancy(
        item_id=item.id, location_id=location.id, lot_id=lot.id if lot else None, book_available=available, taken=requested,
        shortfall=shortfall, op_id=op_id, op_type=op_type, adjustment_move_id=gain.id, count_number=count_number,
        user_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    record(
        session, actor, "discrepancy.record", "discrepancy", row.id, sku=item.sku, location=location.code, lot=lot.code if lot else None,
        book_available=fmt(available), taken=fmt(requested), recount=count_number,
    )
    return row


def describe(row: Discrepancy, sku: str, location: str, language: str) -> str:
    if language.startswith("zh"):
        return (f"{location} 的 {sku} 账面可用 {fmt(row.book_available)}，实际取走 {fmt(row.taken)}：已按实物登记，"
                f"差异 {fmt(row.shortfall)} 计入盘盈并安排复盘 {row.count_number or ''}。")
    return (f"The book said {location} had {fmt(row.book_available)} of {sku} available; {fmt(row.taken)} were taken. Recorded as done; "
            f"the difference of {fmt(row.shortfall)} is booked as a count gain and {row.count_number or 'a recount'} checks the bin.")


# Reading them -----------------------------------------------------------------------------------


class DiscrepancyOut(Out):
    id: int
    sku: str
    location: str
    lot: str | None
    book_available: DecimalStr
    taken: DecimalStr
    shortfall: DecimalStr
    op_type: str
    op_id: str | None
    recount: str | None
    status: str
    user: str | None
    created_at: Any


class DiscrepancyPage(Out):
    items: list[DiscrepancyOut]
    total: int


class DiscrepancyController(Controller):
    path = "/api/v1/discrepancies"
    tags = ["sync"]

    @get("/", summary="Stock found short by operations done offline / 离线操作发现的库存差异")
    def list_discrepancies(
        self, db: NamedDependency[Database], location: str | None = Parameter(default=None, max_length=64), limit: Limit = 50, offset: Offset = 0,
    ) -> DiscrepancyPage:
        """Stock that operations done offline found short, newest first: what the book said, what was taken, and the recount that settles
        it."""
        from sqlalchemy import func

        from server.auth.models import User

        with db.read() as session:
            query = (
                select(Discrepancy, Item.sku, Location.code, Lot.code, User.username)
                .join(Item, Discrepancy.item_id == Item.id)
                .join(Location, Discrepancy.location_id == Location.id)
                .outerjoin(Lot, Discrepancy.lot_id == Lot.id)
                .outerjoin(User, Discrepancy.user_id == User.id)
            )
            if location:
                query = query.where(Location.code == location)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.execute(query.order_by(Discrepancy.id.desc()).limit(limit).offset(offset)).all()
            return DiscrepancyPage(
                items=[
                    DiscrepancyOut(
                        id=d.id, sku=sku, location=code, lot=lot, book_available=fmt(d.book_available) or "0", taken=fmt(d.taken) or "0",
                        shortfall=fmt(d.shortfall) or "0", op_type=d.op_type, op_id=d.op_id, recount=d.count_number, status=d.status,
                        user=user, created_at=d.created_at,
                    )
                    for d, sku, code, lot, user in rows
                ],
                total=total,
            )
