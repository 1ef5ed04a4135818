"""The ledger's hot path as hand-written SQL on the driver's cursor, inside the session's transaction (see server.raw).

Posting a move is a handful of tiny statements; these are the same statements the Core versions would emit.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from server.raw import Dialect, driver_cursor

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
VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}){returning_id}
"""
_VALUATION = "SELECT qty, value FROM valuations WHERE item_id = {p}"
_VALUATION_ADD = """
INSERT INTO valuations (item_id, qty, value) VALUES ({p}, {p}, {p})
ON CONFLICT (item_id) DO UPDATE SET qty = valuations.qty + excluded.qty, value = valuations.value + excluded.value
"""
_VALUATION_CHANGE = "UPDATE valuations SET qty = qty + {p}, value = value + {p} WHERE item_id = {p}"
_INSERT_ENTRY = "INSERT INTO journal_entries (at, source_type, source_id, memo, user_id) VALUES ({p}, {p}, {p}, {p}, {p}){returning_id}"
_INSERT_LINE = """
INSERT INTO journal_lines (entry_id, account_id, debit, credit, item_id)
SELECT {p}, id, {p}, {p}, {p} FROM accounts WHERE code = {p}
"""


class LedgerSQL(Dialect):
    """The ledger's statements for one dialect, with its value conversions (server.raw)."""

    def __init__(self, dialect: str) -> None:
        super().__init__(dialect)
        self.resolve_sql = self.sql(_RESOLVE)
        self.take_sql = self.sql(_TAKE)
        self.add_sql = self.sql(_ADD)
        self.insert_move_sql = self.sql(_INSERT_MOVE)
        self.valuation_sql = self.sql(_VALUATION)
        self.valuation_lock_sql = self.sql(_VALUATION + "{for_update}")
        self.valuation_add_sql = self.sql(_VALUATION_ADD)
        self.valuation_change_sql = self.sql(_VALUATION_CHANGE)
        self.insert_entry_sql = self.sql(_INSERT_ENTRY)
        self.insert_line_sql = self.sql(_INSERT_LINE)

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


DIALECTS = {name: LedgerSQL(name) for name in ("sqlite", "postgresql")}


def for_session(session: Session) -> LedgerSQL:
    return DIALECTS[session.get_bind().dialect.name]
