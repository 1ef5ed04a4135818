"""The change feed: what committed transactions changed, per scope, never skipping one that commits late.

Services note what they touch (`note_change`); just before the transaction commits, it takes the next
version and writes the current state of each touched thing. Taken last, while the transaction holds the
rows it changed, the version orders two changes of one thing as their commits. A cursor is the
(version, id) of the last change a client has; the feed serves changes up to its *head*, a version no
transaction still running can commit a change behind:

- SQLite has one writer at a time: the version comes from the one-row clock, and the head is the clock.
- PostgreSQL has many, and no writer waits for another's version: it comes from a sequence, drawn under a
  shared advisory lock the transaction holds until it ends. The head is the sequence's last value once
  every transaction that held the lock when it was read has ended (`head`): all versions up to it are
  then committed or never will be. Writers hold the lock only between their last statements and COMMIT.

A database restored from a backup starts a new epoch of the feed: the versions after the backup were
lost and are handed out again to other changes, so a cursor of another epoch, or beyond the head, is
answered `reset_required`.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Text, bindparam, cast, event, insert, inspect, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from server.catalog.models import Item, Lot
from server.errors import InvalidInput, Unavailable
from server.inventory.models import Balance
from server.locations.models import Location
from server.raw import dialect_of, driver_cursor, statements
from server.schemas import fmt
from server.work import Work, note_change
from sync.catalog import CATALOG, CatalogKind, feed_rows
from sync.models import SyncChange, SyncClock
from sync.tasks import TASKS

Loader = Callable[[Session, Sequence[Any]], Iterable[tuple[str, str, dict[str, Any] | None]]]
LOADERS: dict[str, Loader] = {}
Publish = Callable[[Session, int, list[dict[str, Any]]], None]


def loader(kind: str) -> Callable[[Loader], Loader]:
    """Register how the feed reads the current state of a kind of thing: keys -> (scope, key, data) rows."""

    def register(fn: Loader) -> Loader:
        LOADERS[kind] = fn
        return fn

    return register


# Every write transaction runs these, so they go straight to the driver's cursor (see server.raw).
_TICK = "UPDATE sync_clock SET version = version + 1 WHERE id = 1 RETURNING version"
# The advisory lock (two int4 keys: the feed's, and its schema's, as several companies or test databases may share one
# PostgreSQL database) a writer holds from drawing its version until it ends; shared, so writers never wait for each
# other. The target list is evaluated in order: the lock is held before the version is drawn.
FEED_LOCK = 0x636B
_SCHEMA_KEY = "(hashtext(current_schema()) & 2147483647)"
_DRAW = f"SELECT pg_advisory_xact_lock_shared({FEED_LOCK}, {_SCHEMA_KEY}), nextval('sync_version')"
_HOLDERS = (f"SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = {FEED_LOCK} AND objid = {_SCHEMA_KEY}::oid"
            " AND objsubid = 2 AND granted AND pid <> pg_backend_pid()"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
# The sequence's last value is read before the lock's holders (the scan before the target list): a transaction that drew
# a version up to it took the lock before, so it is among them unless it has already ended.
_HEAD = (f"SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END, (SELECT version FROM sync_clock WHERE id = 2),"
         f" ARRAY({_HOLDERS}) FROM sync_version s")
_STILL_HOLDING = _HOLDERS + " AND pid = ANY(%s)"
VERSION_SQL = {"sqlite": _TICK, "postgresql": _DRAW}  # the new version is the last column
HEAD_WAIT = 10.0  # seconds a reader waits for the transactions between their version and their commit
_INSERT = "INSERT INTO sync_changes (version, scope, kind, key, data) VALUES ({p}, {p}, {p}, {p}, {p})"
_BALANCE = """
SELECT b.qty, b.reserved, i.sku, l.code, w.code, lt.code, l.quarantine
FROM balances b
JOIN items i ON i.id = b.item_id
JOIN locations l ON l.id = b.location_id
JOIN locations w ON w.id = l.warehouse_id
LEFT JOIN lots lt ON lt.id = b.lot_id
WHERE b.item_id = {p} AND b.location_id = {p} AND b.lot_key = {p}
"""
# An item's stock in the warehouse of a location, all the warehouse's locations together.
_STOCK = """
SELECT w.id, w.code, i.sku, SUM(b.qty), SUM(b.reserved), SUM(CASE WHEN l.quarantine THEN 0 ELSE b.qty - b.reserved END)
FROM balances b
JOIN locations l ON l.id = b.location_id
JOIN locations w ON w.id = l.warehouse_id
JOIN items i ON i.id = b.item_id
WHERE b.item_id = {p} AND l.warehouse_id = (SELECT warehouse_id FROM locations WHERE id = {p})
GROUP BY w.id, w.code, i.sku
"""
_SQL = statements(insert=_INSERT, balance=_BALANCE, stock=_STOCK)
FEW = 16  # up to this many balances are read one by one on the cursor; more in batches through SQLAlchemy


def next_version(session: Session) -> int:
    cursor = driver_cursor(session)
    if dialect_of(session).name == "postgresql":
        cursor.execute(_DRAW)
        return int(cursor.fetchall()[0][-1])
    cursor.execute(_TICK)
    row = cursor.fetchall()
    if not row:
        try:
            with session.begin_nested():
                session.execute(insert(SyncClock).values(id=1, version=0))
        except IntegrityError:
            pass  # created by a concurrent transaction; its lock orders us after it
        cursor = driver_cursor(session)
        cursor.execute(_TICK)
        row = cursor.fetchall()
    return int(row[0][0])


def flush_changes(work: Work, publish: Publish | None = None) -> int | None:
    """Write the changes the transaction noted under a new version (the commit step, run just before commit); returns the
    version, if any. `publish` is handed the rows to tell live sockets about, once the transaction commits."""
    pending, work.changes = work.changes, {}
    session: Session = work
    rows: list[dict[str, Any]] = []
    for kind, keys in pending.items():
        for scope, key, data in LOADERS[kind](session, sorted(keys)):
            rows.append({"scope": scope, "kind": kind, "key": key, "data": data})
    # A balance that changed in a warehouse changes its item's stock there: one (item, location) per item and warehouse.
    stock = {(row["key"].split(":")[0], row["scope"]): row["key"] for row in rows if row["kind"] == "balance"}
    if stock:
        stock_keys = sorted({(int(item), int(location)) for item, location, _lot in (key.split(":") for key in stock.values())})
        rows.extend(
            {"scope": scope, "kind": "stock", "key": key, "data": data} for scope, key, data in LOADERS["stock"](session, stock_keys)
        )
    if not rows:
        return None
    version = next_version(session)
    dialect = dialect_of(session)
    values = [(version, r["scope"], r["kind"], r["key"], dialect.json(r["data"])) for r in rows]
    driver_cursor(session).executemany(_SQL[dialect.name]["insert"], values)
    if publish is not None:
        publish(session, version, rows)  # pokes and stock updates, published once this transaction commits
    return version


# Loaders ----------------------------------------------------------------------------------------

_WAREHOUSE = Location.__table__.alias("warehouse")


@loader("balance")
def _balances(session: Session, keys: Sequence[tuple[int, int, int]]) -> Iterable[tuple[str, str, dict[str, Any] | None]]:
    """Stock of an item in a location (and lot), in the scope of the location's warehouse."""
    if len(keys) <= FEW:
        yield from _few_balances(session, keys)
        return
    found = {}
    for chunk in _chunks(keys, 500):
        for item_id, location_id, lot_key, sku, code, warehouse, lot, qty, reserved, quarantine in session.execute(
            select(
                Balance.item_id, Balance.location_id, Balance.lot_key, Item.sku, Location.code, _WAREHOUSE.c.code, Lot.code,
                Balance.qty, Balance.reserved, Location.quarantine,
            )
            .join(Item, Balance.item_id == Item.id)
            .join(Location, Balance.location_id == Location.id)
            .join(_WAREHOUSE, Location.warehouse_id == _WAREHOUSE.c.id)
            .outerjoin(Lot, Balance.lot_id == Lot.id)
            .where(tuple_(Balance.item_id, Balance.location_id, Balance.lot_key).in_(chunk))
        ):
            found[(item_id, location_id, lot_key)] = (
                f"wh:{warehouse}",
                {"sku": sku, "location": code, "lot": lot, "qty": fmt(qty) or "0", "reserved": fmt(reserved) or "0",
                 "available": "0" if quarantine else (fmt(qty - reserved) or "0")},
            )
    for key in keys:
        if key in found:
            scope, data = found[key]
            yield scope, "{}:{}:{}".format(*key), data


def _few_balances(session: Session, keys: Sequence[tuple[int, int, int]]) -> Iterable[tuple[str, str, dict[str, Any] | None]]:
    ledger = dialect_of(session)
    sql = _SQL[ledger.name]["balance"]
    cursor = driver_cursor(session)
    for key in keys:
        cursor.execute(sql, key)
        rows = cursor.fetchall()
        if not rows:
            continue
        qty, reserved, sku, code, warehouse, lot, quarantine = rows[0]
        qty, reserved = ledger.qty_out(qty), ledger.qty_out(reserved)
        yield f"wh:{warehouse}", "{}:{}:{}".format(*key), {
            "sku": sku, "location": code, "lot": lot, "qty": fmt(qty) or "0", "reserved": fmt(reserved) or "0",
            "available": "0" if quarantine else (fmt(qty - reserved) or "0"),
        }


@loader("stock")
def _stock(session: Session, keys: Sequence[tuple[int, int]]) -> Iterable[tuple[str, str, dict[str, Any] | None]]:
    """An item's stock in a warehouse, every location of it together (scope `stock:<warehouse>`): what sales looks up.
    `keys` are (item, location) pairs, a location of the warehouse standing for it; several give one row."""
    ledger = dialect_of(session)
    seen: set[tuple[int, int]] = set()
    if len(keys) <= FEW:
        sql = _SQL[ledger.name]["stock"]
        cursor = driver_cursor(session)
        found: list[tuple[Any, ...]] = []  # rows as the driver reads them, as _stock_in_batches gives them
        for item_id, location_id in keys:
            cursor.execute(sql, (item_id, location_id))
            found.extend((item_id, *row) for row in cursor.fetchall())
    else:
        found = _stock_in_batches(session, keys)
    for item_id, warehouse_id, warehouse, sku, qty, reserved, available in found:
        if (item_id, warehouse_id) in seen:
            continue
        seen.add((item_id, warehouse_id))
        qty, reserved, available = (ledger.qty_out(v) for v in (qty, reserved, available))
        yield f"stock:{warehouse}", f"{item_id}:{warehouse_id}", {
            "sku": sku, "warehouse": warehouse, "qty": fmt(qty) or "0", "reserved": fmt(reserved) or "0", "available": fmt(available) or "0",
        }


def _stock_in_batches(session: Session, keys: Sequence[tuple[int, int]]) -> list[tuple[Any, ...]]:
    """The same sums for many (item, location) pairs: the locations' warehouses first, then one grouped query per 500 items."""
    location_ids = sorted({location_id for _item, location_id in keys})
    warehouse_of: dict[int, int] = {}
    for chunk in _chunks(location_ids, 500):
        warehouse_of.update((location_id, warehouse_id) for location_id, warehouse_id in session.execute(
            select(Location.id, Location.warehouse_id).where(Location.id.in_(chunk), Location.warehouse_id.is_not(None))
        ).all() if warehouse_id is not None)
    wanted = sorted({(item_id, warehouse_of[loc]) for item_id, loc in keys if loc in warehouse_of})
    dialect = dialect_of(session)
    cursor = driver_cursor(session)
    found = []
    for chunk in _chunks(wanted, 500):
        marks = dialect.marks(len(chunk), 2)
        cursor.execute(
            "SELECT b.item_id, w.id, w.code, i.sku, SUM(b.qty), SUM(b.reserved),"
            " SUM(CASE WHEN l.quarantine THEN 0 ELSE b.qty - b.reserved END)"
            " FROM balances b JOIN locations l ON l.id = b.location_id JOIN locations w ON w.id = l.warehouse_id"
            " JOIN items i ON i.id = b.item_id"
            f" WHERE (b.item_id, l.warehouse_id) IN (VALUES {marks}) GROUP BY b.item_id, w.id, w.code, i.sku",
            [part for pair in chunk for part in pair],
        )
        found.extend(cursor.fetchall())
    return found


def _catalog_loader(kind: CatalogKind) -> Loader:
    return lambda session, ids: feed_rows(kind, session, ids)


def _note_record(kind: str) -> Callable[..., None]:
    def noted(_mapper: Any, _connection: Any, target: Any) -> None:
        session = object_session(target)
        if session is not None:
            note_change(session, kind, target.id)

    return noted


# Master data is written through the ORM only: its mapper events note every insert, update and delete, whoever writes.
for _kind in CATALOG.values():
    LOADERS[_kind.name] = _catalog_loader(_kind)
    for _event in ("after_insert", "after_update", "after_delete"):
        event.listen(_kind.model, _event, _note_record(_kind.name))


# Pick and put-away tasks likewise: a wave's tasks arrive as they are inserted, and a task confirmed (or cancelled) is
# updated, whichever service does it; the loader then finds it no longer open and takes it out of its warehouse's scope.
for _task in TASKS.values():
    LOADERS[_task.name] = _task.feed_rows
    for _event in ("after_insert", "after_update"):
        event.listen(_task.model, _event, _note_record(_task.name))


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Reading the feed -------------------------------------------------------------------------------


EPOCH_ROW = 2  # the clock's second row holds the feed's epoch (none: never restored, epoch 0)
# version[.id[.epoch]], plain ASCII digits; 18 digits fit a 64-bit integer on SQLite and PostgreSQL alike.
_CURSOR = re.compile(r"([0-9]{1,18})(?:\.([0-9]{1,18})(?:\.([0-9]{1,18}))?)?")
MAX_CURSOR = 64


def _bad_cursor(text: str) -> InvalidInput:
    shown = text if len(text) <= MAX_CURSOR else text[:MAX_CURSOR] + "…"
    return InvalidInput(f"The cursor {shown!r} is not one this server gave out; pull without a cursor to start again.",
                        f"游标 {shown!r} 不是本服务器给出的；请不带游标重新开始同步。", code="bad_cursor")


@dataclasses.dataclass(frozen=True)
class Cursor:
    version: int = 0
    id: int = 0
    epoch: int = 0  # which history of the feed the cursor belongs to (see `start_new_epoch`)

    def __str__(self) -> str:
        return f"{self.version}.{self.id}.{self.epoch}" if self.epoch else f"{self.version}.{self.id}"

    @property
    def at_start(self) -> bool:
        """Before every change, in whichever epoch: nothing held, nothing to distrust."""
        return self.version == 0 and self.id == 0

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        match = _CURSOR.fullmatch(text) if len(text) <= MAX_CURSOR else None
        if match is None:
            raise _bad_cursor(text)
        version, row, epoch = match.groups()
        return cls(int(version), int(row or 0), int(epoch or 0))


def head(session: Session) -> Cursor:
    """Where the feed stands, in its current epoch: the newest version every change up to which has committed (or never will).
    Changes up to it are visible to statements that start after this returns (in a read-committed session)."""
    if dialect_of(session).name != "postgresql":
        rows = dict(session.execute(select(SyncClock.id, SyncClock.version).where(SyncClock.id.in_((1, EPOCH_ROW)))).all())
        return Cursor(rows.get(1) or 0, 0, rows.get(EPOCH_ROW) or 0)
    cursor = driver_cursor(session)
    cursor.execute(_HEAD)
    version, epoch, holders = cursor.fetchall()[0]
    deadline = time.monotonic() + HEAD_WAIT
    pause = 0.0005
    while holders:  # between their version and their commit: a moment, unless something is very wrong
        if time.monotonic() > deadline:
            raise FeedBusy()
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
        cursor.execute(_STILL_HOLDING, (holders,))
        holders = [pid for (pid,) in cursor.fetchall()]
    return Cursor(int(version), 0, epoch or 0)


class FeedBusy(Unavailable):
    def __init__(self) -> None:
        super().__init__(
            f"The change feed is waiting for a transaction that has not finished for {HEAD_WAIT:.0f} s; try again in a moment.",
            f"变更同步正在等待一个超过 {HEAD_WAIT:.0f} 秒仍未结束的事务；请稍后重试。",
            code="feed_busy",
        )


def reached(cursor: Cursor, now: Cursor) -> bool:
    """Whether the feed standing at `now` could have given out `cursor`. One of another epoch (the database was restored
    from a backup since) or beyond the head (the device holds what the feed lost) was not: what the device holds
    cannot be trusted, and its slices start again. A cursor equal to the head is current."""
    return cursor.at_start or (cursor.epoch == now.epoch and cursor.version <= now.version)


def start_new_epoch(connection: Connection) -> int | None:
    """A database restored from a backup starts a new epoch of the feed (run by `cangku restore`): the versions after the
    backup were lost and will be given to other changes, so every cursor given out before is of another history. Returns
    the epoch; None for a schema older than the feed."""
    if not inspect(connection).has_table(SyncClock.__tablename__):
        return None
    old = connection.scalar(select(SyncClock.version).where(SyncClock.id == EPOCH_ROW))
    epoch = old
    while epoch == old or not epoch:
        epoch = secrets.randbelow(10**15)
    if old is None:
        connection.execute(insert(SyncClock).values(id=EPOCH_ROW, version=epoch))
    else:
        connection.execute(update(SyncClock).where(SyncClock.id == EPOCH_ROW).values(version=epoch))
    return epoch


class FeedRow(Protocol):
    """One change as a pull reads it: `data` is the JSON text as stored (None: the thing is gone), sent on as it is."""

    id: int
    version: int
    scope: str
    kind: str
    key: str
    data: str | None


@dataclasses.dataclass(frozen=True)
class Page:
    changes: Sequence[FeedRow]
    cursor: Cursor
    has_more: bool
    head: int = 0  # the feed's newest committed version when the page was read


# Plain columns, the data as its JSON text: a page of changes goes to the device without being parsed and encoded again.
_PAGE = select(SyncChange.id, SyncChange.version, SyncChange.scope, SyncChange.kind, SyncChange.key,
               cast(SyncChange.data, Text).label("data"))
# Built once: a page of the scopes' changes after a (version, id), a row-value range the index serves, up to the head.
_PAGE_AFTER = (
    _PAGE.where(SyncChange.scope.in_(bindparam("scopes", expanding=True)),
                tuple_(SyncChange.version, SyncChange.id) > tuple_(bindparam("version"), bindparam("id")),
                SyncChange.version <= bindparam("newest"))
    .order_by(SyncChange.version, SyncChange.id)
    .limit(bindparam("limit"))
)


def changes_after(session: Session, scopes: Sequence[str], cursor: Cursor, limit: int, now: Cursor | None = None) -> Page:
    """The changes in `scopes` after `cursor`, oldest first; the cursor to ask from next.

    The clock is read first (or handed in as `now`, read just before): every version up to it had
    committed by then, so the changes read next include all of them, and an empty answer may move the
    cursor up to it. Cursors given out carry the feed's epoch."""
    now = now or head(session)
    newest, epoch = now.version, now.epoch
    rows: Sequence[FeedRow] = session.execute(
        _PAGE_AFTER, {"scopes": list(scopes), "version": cursor.version, "id": cursor.id, "newest": newest, "limit": limit + 1}
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        last = rows[-1]
        following = (Cursor(last.version, last.id, epoch) if has_more
                     else Cursor(max(last.version, newest), last.id if newest == last.version else 0, epoch))
        return Page(rows, following, has_more, newest)
    return Page([], Cursor(newest, 0, epoch) if newest > cursor.version else Cursor(cursor.version, cursor.id, epoch), False, newest)
