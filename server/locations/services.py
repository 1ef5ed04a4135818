"""Location rules: the warehouse > zone > bin tree, the fixed virtual locations, quarantine."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.errors import Conflict, InvalidInput, NotFound, UnknownReference, check_version
from server.inventory.models import Balance
from server.locations.models import VIRTUAL_CODES, Location
from server.locations.schemas import LocationCreate, LocationUpdate
from server.work import note_changes

VIRTUAL_NAMES = {
    "SUPPLIER": ("供应商", "Suppliers"),
    "CUSTOMER": ("客户", "Customers"),
    "ADJUSTMENT": ("盘点调整", "Inventory adjustment"),
    "SCRAP": ("报废", "Scrap"),
    "TRANSIT": ("在途", "In transit"),
    "OPENING": ("期初余额", "Opening balances"),  # where stock on hand when the company starts with Cangku comes from
}

# Which kind of parent each kind of internal location may hang under.
ALLOWED_PARENTS = {"warehouse": (), "zone": ("warehouse",), "bin": ("zone", "warehouse")}


def ensure_virtual_locations(session: Session) -> None:
    present = set(session.scalars(select(Location.code).where(Location.code.in_(VIRTUAL_CODES))))
    for code in VIRTUAL_CODES:
        if code not in present:
            zh, en = VIRTUAL_NAMES[code]
            session.add(Location(code=code, kind="virtual", name_zh=zh, name_en=en))
    session.flush()


_LOCATION_BY_CODE = select(Location).where(Location.code == bindparam("code"))


def find_location(session: Session, code: str) -> Location | None:
    return session.scalars(_LOCATION_BY_CODE, {"code": code}).one_or_none()


def get_location(session: Session, code: str) -> Location:
    location = find_location(session, code)
    if location is None:
        raise NotFound(f"No location with code {code}.", f"没有编码为 {code} 的库位。", location=code)
    return location


def get_warehouse(session: Session, code: str, field: str = "warehouse") -> Location:
    """A warehouse named in a request: anything else (unknown, or a zone or bin) is a 422 about `field`."""
    row = find_location(session, code)
    if row is None or row.kind != "warehouse":
        raise UnknownReference(f"No warehouse {code}.", f"没有仓库 {code}。", warehouse=code, field=field)
    return row


def unknown_location(code: str, field: str) -> UnknownReference:
    return UnknownReference(
        f"Unknown location {code} ({field}).",
        f"未知的库位 {code}（{'来源' if field == 'from' else '目标'}）。",
        code="unknown_location",
        location=code,
        field=field,
    )


def inactive_location(code: str) -> InvalidInput:
    return InvalidInput(f"Location {code} is inactive.", f"库位 {code} 已停用。", code="inactive_location", location=code)


def location_for_move(session: Session, code: str, field: str) -> Location:
    location = find_location(session, code)
    if location is None:
        raise unknown_location(code, field)
    if not location.active:
        raise inactive_location(code)
    return location


def codes_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(wanted))).all())


def create_location(session: Session, actor: Actor, data: LocationCreate) -> Location:
    actor.require("locations.write")
    if find_location(session, data.code) is not None:
        raise Conflict(
            f"Location {data.code} already exists.", f"库位 {data.code} 已存在。", code="duplicate_location", location=data.code, field="code"
        )
    parent = None
    allowed = ALLOWED_PARENTS[data.kind]
    if data.parent:
        parent = find_location(session, data.parent)
        if parent is None:
            raise UnknownReference(f"Unknown parent location {data.parent}.", f"未知的上级库位 {data.parent}。", code="unknown_location", location=data.parent)
    if (parent is None and allowed) or (parent is not None and parent.kind not in allowed):
        expected = " or ".join(allowed) or "no parent"
        raise InvalidInput(
            f"A {data.kind} must have {('a ' + expected) if allowed else expected} as its parent.",
            f"{_KIND_ZH[data.kind]}的上级必须是{'或'.join(_KIND_ZH[k] for k in allowed) if allowed else '空'}。",
            code="bad_parent",
            kind=data.kind,
        )
    location = Location(
        code=data.code,
        kind=data.kind,
        name_zh=data.name_zh,
        name_en=data.name_en,
        parent_id=parent.id if parent else None,
        quarantine=data.quarantine,
    )
    session.add(location)
    session.flush()
    location.warehouse_id = parent.warehouse_id if parent else location.id
    session.flush()
    record(session, actor, "location.create", "location", location.code, kind=data.kind, parent=data.parent)
    return location


_KIND_ZH = {"warehouse": "仓库", "zone": "库区", "bin": "货位"}


def update_location(session: Session, actor: Actor, code: str, data: LocationUpdate) -> Location:
    actor.require("locations.write")
    location = get_location(session, code)
    if location.kind == "virtual":
        raise Conflict(f"Virtual location {code} cannot be changed.", f"虚拟库位 {code} 不可修改。", code="virtual_location")
    check_version("Location", "库位", code, location.version, data.version)
    changed = {}
    for field in ("name_zh", "name_en", "quarantine", "active"):
        value = getattr(data, field)
        if value is not None and value != getattr(location, field):
            changed[field] = value
            setattr(location, field, value)
    if changed:
        location.version += 1
        location.updated_at = utcnow()
        session.flush()
        if "quarantine" in changed:  # what is available in it changes: devices get its balances again
            _note_balances_in(session, location.id)
        record(session, actor, "location.update", "location", code, changes=changed)
    return location


def list_locations(
    session: Session, *, warehouse: str | None, kind: str | None, parent: str | None, search: str | None, limit: int, offset: int
) -> tuple[list[Location], int]:
    query = select(Location)
    if warehouse:
        root = find_location(session, warehouse)
        if root is None or root.kind != "warehouse":
            raise NotFound(f"No warehouse with code {warehouse}.", f"没有编码为 {warehouse} 的仓库。", warehouse=warehouse)
        query = query.where(Location.warehouse_id == root.id)
    if kind:
        query = query.where(Location.kind == kind)
    if parent:
        parent_row = get_location(session, parent)
        query = query.where(Location.parent_id == parent_row.id)
    if search:
        term = search.strip()  # % and _ are matched as themselves (autoescape), not as wildcards
        query = query.where(or_(*(column.icontains(term, autoescape=True) for column in (Location.code, Location.name_zh, Location.name_en))))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(Location.code).limit(limit).offset(offset)))
    return rows, total


def _note_balances_in(session: Session, location_id: int) -> None:
    """A location's quarantine flag changed: every balance in it (and its warehouse's stock) changes what is available."""
    rows = session.execute(select(Balance.item_id, Balance.lot_key).where(Balance.location_id == location_id))
    note_changes(session, "balance", ((item_id, location_id, lot_key) for item_id, lot_key in rows))
