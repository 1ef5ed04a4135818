"""The ledger's hot path as hand-written SQL on the driver's cursor, inside the session's transaction.

Posting a move is a handful of tiny statements; building and compiling them through SQLAlchemy
costs more than running them. These are the same statements the Core versions would emit,
with values converted here the way the column types store them (on SQLite, quantities as
integers scaled by 10^4, costs by 10^6, times as naive UTC text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from server.base import COST_SCALE, MONEY_SCALE, QTY_SCALE, check_storable, storable_limit

_QTY_LIMIT, _COST_LIMIT, _MONEY_LIMIT = (storable_limit(scale) for scale in (QTY_SCALE, COST_SCALE, MONEY_SCALE))

_RESOLVE = """
SELECT i.id, i.sku, i.unit, i.unit_decimals, i.tracking, i.active,
       s.id, s.code, s.kind, s.warehouse_id, s.active, s.quarantine,
       t.id, t.code, t.kind, t.warehouse_id, t.active, t.quarantine
FROM items i
LEFT JOIN locations s ON s.code = {p}
LEFT JOIN locations t ON t.code = {p}
WHERE i.sku = {p}
"""
_TAKE = """
UPDATE balances SET qty = qty - {p}, updated_at = {p}
WHERE item_id = {p} AND location_id = {p} AND lot_key = {p} AND qty - reserved >= {p}
"""
_ADD = """
INSERT INTO balances (item_id, location_id, lot_key, lot_id, internal, qty, reserved, updated_at)
VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})
ON CONFLICT (item_id, location_id, lot_key) DO UPDATE SET qty = balances.qty + excluded.qty, updated_at = excluded.updated_at
"""
_INSERT_MOVE = """
INSERT INTO moves (item_id, lot_id, qty, from_location_id, to_location_id, unit_cost, value, reason, ref_type, ref_id,
                   reverses_id, user_id, device_id, op_id, created_at)
VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}){returning}
"""
_VALUATION = "SELECT qty, value FROM valuations WHERE item_id = {p}"
_VALUATION_ADD = """
INSERT INTO valuations (item_id, qty, value) VALUES ({p}, {p}, {p})
ON CONFLICT (item_id) DO UPDATE SET qty = valuations.qty + excluded.qty, value = valuations.value + excluded.value
"""
_VALUATION_CHANGE = "UPDATE valuations SET qty = qty + {p}, value = value + {p} WHERE item_id = {p}"
_INSERT_ENTRY = "INSERT INTO journal_entries (at, source_type, source_id, memo, user_id) VALUES ({p}, {p}, {p}, {p}, {p}){returning}"
_INSERT_LINE = """
INSERT INTO journal_lines (entry_id, account_id, debit, credit, item_id)
SELECT {p}, id, {p}, {p}, {p} FROM accounts WHERE code = {p}
"""


class LedgerSQL:
    """The statements and value conversions for one dialect."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"
        p = "?" if self.sqlite else "%s"
        self.resolve_sql = _RESOLVE.format(p=p)
        self.take_sql = _TAKE.format(p=p)
        self.add_sql = _ADD.format(p=p)
        # SQLite answers with lastrowid; an unfinished RETURNING statement would linger until commit.
        returning = "" if self.sqlite else " RETURNING id"
        self.insert_move_sql = _INSERT_MOVE.format(p=p, returning=returning)
        self.valuation_sql = _VALUATION.format(p=p)
        self.valuation_lock_sql = self.valuation_sql + ("" if self.sqlite else " FOR UPDATE")  # SQLite: the write lock is held
        self.valuation_add_sql = _VALUATION_ADD.format(p=p)
        self.valuation_change_sql = _VALUATION_CHANGE.format(p=p)
        self.insert_entry_sql = _INSERT_ENTRY.format(p=p, returning=returning)
        self.insert_line_sql = _INSERT_LINE.format(p=p)

    # -- conversions --------------------------------------------------------------------------

    # Figures too large for their columns are refused here, as the mapped columns refuse them (server.base).
    def qty(self, value: Decimal) -> Any:
        check_storable(value, _QTY_LIMIT)
        return int(value.scaleb(QTY_SCALE)) if self.sqlite else value

    def cost(self, value: Decimal) -> Any:
        check_storable(value, _COST_LIMIT)
        return int(value.quantize(Decimal(1).scaleb(-COST_SCALE)).scaleb(COST_SCALE)) if self.sqlite else value

    def money(self, value: Decimal) -> Any:
        check_storable(value, _MONEY_LIMIT)
        return int(value.scaleb(MONEY_SCALE)) if self.sqlite else value

    def qty_out(self, value: Any) -> Decimal:
        return Decimal(int(value)).scaleb(-QTY_SCALE) if self.sqlite else Decimal(value)

    def money_out(self, value: Any) -> Decimal:
        return Decimal(int(value)).scaleb(-MONEY_SCALE) if self.sqlite else Decimal(value)

    def time(self, value: dt.datetime) -> Any:
        # SQLAlchemy's SQLite DateTime storage format, naive UTC.
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value

    def flag(self, value: bool) -> Any:
        return int(value) if self.sqlite else value

    # -- statements ---------------------------------------------------------------------------

    @staticmethod
    def cursor(session: Session) -> Any:
        return driver_cursor(session)

    def resolve(self, cursor: Any, sku: str, source: str, target: str) -> tuple[Any, ...] | None:
        cursor.execute(self.resolve_sql, (source, target, sku))
        rows = cursor.fetchall()  # to the end, so the statement is finished
        return rows[0] if rows else None

    def take(self, cursor: Any, item_id: int, location_id: int, lot_key: int, qty: Decimal, stamp: Any) -> bool:
        """Take qty if that much is available; `stamp` is a time already converted by `time()`."""
        amount = self.qty(qty)
        cursor.execute(self.take_sql, (amount, stamp, item_id, location_id, lot_key, amount))
        return bool(cursor.rowcount == 1)  # a DB-API cursor: untyped

    def add(self, cursor: Any, item_id: int, location_id: int, lot_id: int | None, internal: bool, qty: Decimal, stamp: Any) -> None:
        cursor.execute(
            self.add_sql,
            (item_id, location_id, lot_id or 0, lot_id, self.flag(internal), self.qty(qty), self.qty(Decimal(0)), stamp),
        )

    def insert_move(self, cursor: Any, values: Mapping[str, Any], stamp: Any) -> int:
        cursor.execute(
            self.insert_move_sql,
            (
                values["item_id"], values["lot_id"], self.qty(values["qty"]), values["from_location_id"],
                values["to_location_id"], self.cost(values["unit_cost"]), self.money(values["value"]), values["reason"], values["ref_type"],
                values["ref_id"], values["reverses_id"], values["user_id"], values["device_id"], values["op_id"],
                stamp,
            ),
        )
        return int(cursor.lastrowid if self.sqlite else cursor.fetchone()[0])

    def valuation(self, cursor: Any, item_id: int, *, lock: bool) -> tuple[Decimal, Decimal]:
        """The company's quantity and value of an item; locked when the caller will change it."""
        cursor.execute(self.valuation_lock_sql if lock else self.valuation_sql, (item_id,))
        row = cursor.fetchall()
        return (self.qty_out(row[0][0]), self.money_out(row[0][1])) if row else (Decimal(0), Decimal(0))

    def add_valuation(self, cursor: Any, item_id: int, qty: Decimal, value: Decimal) -> None:
        """Stock entering the books (the row may not exist yet)."""
        cursor.execute(self.valuation_add_sql, (item_id, self.qty(qty), self.money(value)))

    def remove_valuation(self, cursor: Any, item_id: int, qty: Decimal, value: Decimal) -> None:
        """Stock leaving the books (the row exists: the stock was valued when it came in)."""
        cursor.execute(self.valuation_change_sql, (self.qty(-qty), self.money(-value), item_id))

    def post_entry(
        self, cursor: Any, *, stamp: Any, source_type: str, source_id: str, memo: str, user_id: int | None,
        lines: list[tuple[str, Decimal, Decimal]], item_id: int | None = None,
    ) -> int:
        """A journal entry with its lines (account code, debit, credit)."""
        cursor.execute(self.insert_entry_sql, (stamp, source_type, source_id, memo[:200], user_id))
        entry_id = int(cursor.lastrowid if self.sqlite else cursor.fetchone()[0])
        cursor.executemany(
            self.insert_line_sql,
            [(entry_id, self.money(debit), self.money(credit), item_id, code) for code, debit, credit in lines],
        )
        return entry_id


def driver_cursor(session: Session) -> Any:
    """A cursor of the driver connection in the session's current transaction (kept for that transaction)."""
    transaction = session.get_transaction()
    cached = getattr(session, "raw_cursor", None)  # a unit of work keeps it (server.work.Work)
    if cached is not None and transaction is not None and cached[0] is transaction:
        if session.in_nested_transaction():
            # SQLAlchemy emits a SAVEPOINT when the session next uses its connection; statements on this
            # cursor bypass the session, so make it emit it now, or a rollback to it would not undo them.
            session.connection()
        return cached[1]
    cursor = session.connection().connection.cursor()
    if hasattr(session, "raw_cursor"):
        session.raw_cursor = (session.get_transaction(), cursor)
    return cursor


DIALECTS = {name: LedgerSQL(name) for name in ("sqlite", "postgresql")}


def for_session(session: Session) -> LedgerSQL:
    return DIALECTS[session.get_bind().dialect.name]
