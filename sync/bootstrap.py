"""The first sync of a device: its slices read page by page after taking the feed's cursor, caught up by pulling from it.

The cursor is read before any data, so everything committed up to it is in the pages; whatever commits
while the device pages (under a later version) may or may not be in a page, and is in the pull from the
cursor either way, which carries each thing's state as of its commit: applying the pages and then the
pull leaves the device with the newest state of every key. Pages are keyset pages (after the last key
sent, in index order), so a page costs about its size, whatever the size of the tables.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
from sqlalchemy import case, func, select, tuple_, type_coerce
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.auth.visibility import feed_hidden, redact_row
from server.base import Qty
from server.catalog.models import Item, Lot
from server.errors import CangkuError, Forbidden, InvalidInput
from server.inventory.models import Balance
from server.locations.models import Location
from server.schemas import Out, fmt
from sync.catalog import CATALOG, CatalogKind
from sync.feed import Cursor, head
from sync.pull import SCOPES_EN, SCOPES_ZH
from sync.tasks import TASKS, TaskKind

TOKEN_VERSION = 1
MAX_TOKEN = 512
Key = tuple[int, ...]


class BootstrapPage(Out):
    scope: str
    kind: str  # what the rows are: balance, stock, item, barcode, location, lot, pick, putaway
    fields: list[str]  # the meaning of each position in a row
    items: list[list[Any]]
    next_page_token: str | None  # None: the slice is complete; pull from `cursor` next
    cursor: str  # the change-feed cursor taken before the first page; the same on every page


@dataclasses.dataclass(frozen=True)
class Slice:
    rows: list[list[Any]]
    after: Key | None  # the key the next page of this kind starts after; None: this kind is done


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    fields: tuple[str, ...]
    key_length: int
    read: Callable[[Session, int | None, Key, int], Slice]


# Readers ----------------------------------------------------------------------------------------


def _catalog(kind: CatalogKind) -> Callable[[Session, int | None, Key, int], Slice]:
    """A kind of master data read in id order (the key its rows start with, as in the change feed)."""

    def read(session: Session, _warehouse: int | None, after: Key, limit: int) -> Slice:
        rows, last = kind.page(session, after[0] if after else 0, limit)
        return Slice(rows, (last,) if last is not None else None)

    return read


def _balances(session: Session, warehouse: int | None, after: Key, limit: int) -> Slice:
    """The warehouse's stock, in (location, item, id) order: the balances index on (location_id, item_id) serves it.

    One page reads at most `limit` of the warehouse's locations and `limit` + 1 balances, so empty bins
    and zero balances (kept once stock has left) cost no more than rows sent; such a page can come out
    short, even empty, and still have a next page."""
    location, item, row = after or (0, 0, 0)
    locations = session.execute(
        select(Location.id, Location.code, Location.quarantine)
        .where(Location.warehouse_id == warehouse, Location.id >= location).order_by(Location.id).limit(limit)
    ).all()
    if not locations:
        return Slice([], None)
    balances = session.execute(
        select(Balance.id, Balance.item_id, Balance.location_id, Balance.lot_key, Balance.lot_id, Balance.qty, Balance.reserved)
        .where(Balance.location_id.in_([loc.id for loc in locations]),
               tuple_(Balance.location_id, Balance.item_id, Balance.id) > tuple_(location, item, row))
        .order_by(Balance.location_id, Balance.item_id, Balance.id).limit(limit + 1)
    ).all()
    if len(balances) > limit:
        balances = balances[:limit]
        last = balances[-1]
        following: Key | None = (last.location_id, last.item_id, last.id)
    elif len(locations) == limit:  # this batch of locations is done; the warehouse may have more
        following = (locations[-1].id + 1, 0, 0)
    else:
        following = None
    stocked = [b for b in balances if b.qty != 0]
    places = {loc.id: loc for loc in locations}
    skus = _names(session, Item.id, Item.sku, {b.item_id for b in stocked})
    lots = _names(session, Lot.id, Lot.code, {b.lot_id for b in stocked if b.lot_id is not None})
    rows = []
    for b in stocked:
        place = places[b.location_id]
        available = "0" if place.quarantine else (fmt(b.qty - b.reserved) or "0")
        rows.append([f"{b.item_id}:{b.location_id}:{b.lot_key}", skus[b.item_id], place.code, lots.get(b.lot_id),
                     fmt(b.qty), fmt(b.reserved) or "0", available])
    return Slice(rows, following)


def _stock(session: Session, warehouse: int | None, after: Key, limit: int) -> Slice:
    """The warehouse's stock per item, all its locations together, in item order; items it holds none of are left out."""
    quantity = Qty()
    free = type_coerce(case((Location.quarantine, 0), else_=Balance.qty - Balance.reserved), quantity)
    rows = session.execute(
        select(Balance.item_id, Item.sku, type_coerce(func.sum(Balance.qty), quantity), type_coerce(func.sum(Balance.reserved), quantity),
               type_coerce(func.sum(free), quantity))
        .join(Location, Location.id == Balance.location_id)
        .join(Item, Item.id == Balance.item_id)
        .where(Location.warehouse_id == warehouse, Balance.item_id > (after[0] if after else 0))
        .group_by(Balance.item_id, Item.sku)
        .having(func.sum(Balance.qty) != 0)
        .order_by(Balance.item_id).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    code = session.scalar(select(Location.code).where(Location.id == warehouse))
    return Slice(
        [[f"{item_id}:{warehouse}", sku, code, fmt(qty) or "0", fmt(reserved) or "0", fmt(available) or "0"]
         for item_id, sku, qty, reserved, available in rows],
        (rows[-1][0],) if more else None,
    )


def _tasks(kind: TaskKind) -> Callable[[Session, int | None, Key, int], Slice]:
    """A warehouse's open tasks of one kind, in id order (the key its rows start with, as in the change feed)."""

    def read(session: Session, warehouse: int | None, after: Key, limit: int) -> Slice:
        rows, last = kind.page(session, warehouse, after[0] if after else 0, limit)
        return Slice(rows, (last,) if last is not None else None)

    return read


def _names(session: Session, id_column: Any, name_column: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return dict(session.execute(select(id_column, name_column).where(id_column.in_(sorted(ids)))).all())


KINDS = {
    kind.name: kind
    for kind in (
        # `key` is the change feed's key for the balance, so a pulled change replaces the row it updates.
        Kind("balance", ("key", "sku", "location", "lot", "qty", "reserved", "available"), 3, _balances),
        Kind("stock", ("key", "sku", "warehouse", "qty", "reserved", "available"), 1, _stock),
        *(Kind(c.name, c.fields, 1, _catalog(c)) for c in CATALOG.values()),
        *(Kind(t.name, t.fields, 1, _tasks(t)) for t in TASKS.values()),
    )
}
# The kinds of each warehouse scope, by the scope's prefix.
WAREHOUSE_SCOPES = {"wh": ("balance",), "stock": ("stock",), "tasks": ("pick", "putaway")}
CATALOG_KINDS = ("item", "barcode", "location", "lot")


# Scopes and page tokens -------------------------------------------------------------------------


def _slice_of(session: Session, actor: Actor, scope: str) -> tuple[tuple[str, ...], int | None]:
    """The kinds a scope is made of, and its warehouse; a warehouse the user may not work in is refused."""
    if scope == "catalog":
        return CATALOG_KINDS, None
    kind, _, code = scope.partition(":")
    warehouse = None
    if kind in WAREHOUSE_SCOPES and code:
        warehouse = session.scalar(select(Location.id).where(Location.code == code, Location.kind == "warehouse"))
    if warehouse is None:
        raise InvalidInput(f"Unknown scope {scope!r}; {SCOPES_EN}.", f"未知范围 {scope!r}；{SCOPES_ZH}。", code="unknown_scope", scope=scope)
    if not actor.may_use_warehouse(warehouse):
        raise Forbidden(f"You may not sync warehouse {code}.", f"您无权同步仓库 {code}。", code="warehouse_not_allowed", warehouse=code)
    return WAREHOUSE_SCOPES[kind], warehouse


@dataclasses.dataclass(frozen=True)
class Position:
    """Where a bootstrap stands: the kind being read, the key the next page starts after, the cursor taken at the start."""

    scope: str
    kind: str
    after: Key
    cursor: Cursor

    def token(self) -> str:
        raw = msgspec.json.encode([TOKEN_VERSION, self.scope, self.kind, list(self.after), str(self.cursor)])
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def parse(cls, text: str, scope: str, kinds: Sequence[str]) -> Position:
        try:
            if len(text) > MAX_TOKEN:
                raise ValueError
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            version, in_scope, kind, after, cursor = msgspec.json.decode(raw, type=tuple[int, str, str, list[int], str])
            if version != TOKEN_VERSION or in_scope != scope or kind not in kinds:
                raise ValueError
            if len(after) not in (0, KINDS[kind].key_length) or any(not 0 <= part < 2**53 for part in after):
                raise ValueError
            return cls(scope, kind, tuple(after), Cursor.parse(cursor))
        except (ValueError, binascii.Error, msgspec.DecodeError, CangkuError):
            raise InvalidInput(
                f"This page token is not one this server gave out for scope {scope}; start the bootstrap again without one.",
                f"此分页令牌不是服务器为范围 {scope} 发出的；请不带令牌重新开始初始同步。",
                code="bad_page_token", scope=scope,
            ) from None


def bootstrap(session: Session, actor: Actor, scope: str, page_token: str | None, limit: int) -> BootstrapPage:
    """One page of a scope's slice. The first (no token) takes the feed's cursor before reading anything."""
    kinds, warehouse = _slice_of(session, actor, scope)
    if page_token:
        position = Position.parse(page_token, scope, kinds)
    else:
        position = Position(scope, kinds[0], (), head(session))
    kind = KINDS[position.kind]
    page = kind.read(session, warehouse, position.after, limit)
    following = None
    if page.after is not None:
        following = Position(scope, kind.name, page.after, position.cursor)
    elif kinds.index(kind.name) + 1 < len(kinds):
        following = Position(scope, kinds[kinds.index(kind.name) + 1], (), position.cursor)
    rows = page.rows
    hide = feed_hidden(actor).get(kind.name)  # the same fields the change feed nulls for this user
    if hide:
        rows = [redact_row(kind.fields, row, hide) for row in rows]
    return BootstrapPage(
        scope=scope, kind=kind.name, fields=list(kind.fields), items=rows,
        next_page_token=following.token() if following else None, cursor=str(position.cursor),
    )
