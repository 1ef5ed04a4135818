"""Ledger benchmark: posting moves through the service layer vs the cheapest hand-written SQL, and look-up latency.

    python bench/ledger.py [--moves 20000] [--big 1000000] [--barcodes 1000000] [--backends sqlite,postgresql] [--postgres-url URL]

Prints, per backend, in one run:
  - moves/s through `inventory.services.move` (one transaction per move, as a request does) and through
    raw SQL writing the same rows under the same invariants (conditional take, upsert, move row, audit
    row, one transaction), and their ratio;
  - balance look-up latency (service `balances`, by SKU and bin) with 10k and with 1M moves in the ledger;
  - scan look-up latency (service `scan.resolve`, in-process) with 1M barcodes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text  # noqa: E402

from server.audit.chain import content_digest, link  # noqa: E402
from server.audit.sealer import start_sealing, stop_sealing  # noqa: E402
from server.audit.services import APPEND_SQL  # noqa: E402
from server.auth.permissions import SYSTEM  # noqa: E402
from server.base import Base  # noqa: E402
from server.catalog.models import Item  # noqa: E402
from server.catalog.schemas import ItemCreate  # noqa: E402
from server.catalog.services import create_item  # noqa: E402
from server.db import Database  # noqa: E402
from server.inventory.services import balances, move  # noqa: E402
from server.locations.models import Location  # noqa: E402
from server.locations.schemas import LocationCreate  # noqa: E402
from server.locations.services import create_location  # noqa: E402
from server.migrate import prepare  # noqa: E402
from server.scan.services import resolve  # noqa: E402
from server.wiring import open_database  # noqa: E402
from sync.feed import VERSION_SQL  # noqa: E402

PG = os.environ.get("CANGKU_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ITEMS = 100
BINS = 50
SCALE = 10_000  # SQLite stores quantities as integers scaled by 10^4


def fresh(backend: str, tmp: Path, name: str) -> Database:
    if backend == "sqlite":
        path = tmp / f"{name}.db"
        path.unlink(missing_ok=True)
        db = open_database(f"sqlite:///{path}")
    else:
        schema = f"bench_{name}"
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"CREATE SCHEMA {schema}")
        db = open_database(f"{PG}?options=-csearch_path%3D{schema}")
    prepare(db)
    return db


def setup_catalog(db: Database) -> None:
    with db.write() as s:
        create_location(s, SYSTEM, LocationCreate(code="WH", kind="warehouse"))
        for b in range(BINS):
            create_location(s, SYSTEM, LocationCreate(code=f"BIN-{b:03d}", kind="bin", parent="WH"))
        for i in range(ITEMS):
            create_item(s, SYSTEM, ItemCreate(sku=f"SKU-{i:05d}"))
        for i in range(ITEMS):
            move(s, SYSTEM, sku=f"SKU-{i:05d}", qty=Decimal(1_000_000), source="SUPPLIER", target="BIN-000", unit_cost=Decimal("10.00"))


Step = tuple[str, str, str, Decimal | None]


def plan(n: int) -> list[Step]:
    """A deterministic day: transfers out of the reserve bin, shipments, receipts at varying cost."""
    rng = random.Random(7)
    steps: list[Step] = []
    for i in range(n):
        sku = f"SKU-{i % ITEMS:05d}"
        kind = i % 3
        if kind == 0:
            steps.append((sku, "BIN-000", f"BIN-{rng.randrange(1, BINS):03d}", None))
        elif kind == 1:
            steps.append((sku, "BIN-000", "CUSTOMER", None))
        else:
            steps.append((sku, "SUPPLIER", f"BIN-{rng.randrange(1, BINS):03d}", Decimal(rng.randrange(800, 1200)).scaleb(-2)))
    return steps


def via_service(db: Database, steps: list[Step]) -> float:
    start = time.perf_counter()
    for sku, source, target, cost in steps:
        db.run_write(
            lambda s, sku=sku, source=source, target=target, cost=cost: move(
                s, SYSTEM, sku=sku, qty=Decimal(1), source=source, target=target, unit_cost=cost
            )
        )
    return len(steps) / (time.perf_counter() - start)


def via_raw_sql(db: Database, steps: list[Step]) -> float:
    """The same rows (balances, move, valuation, journal entry and lines, audit entry, change-feed rows for the bins and for
    the item's stock in the warehouse) with the fewest statements."""
    with db.read() as s:
        items = dict(s.execute(select(Item.sku, Item.id)).all())
        locations = {code: (lid, kind != "virtual") for code, lid, kind in s.execute(select(Location.code, Location.id, Location.kind))}
        scopes = dict(s.execute(text("SELECT l.id, w.code FROM locations l JOIN locations w ON w.id = l.warehouse_id")).all())
        accounts = dict(s.execute(text("SELECT code, id FROM accounts")).all())
    sqlite = db.dialect == "sqlite"
    qty_scale, money_scale = (SCALE, 100) if sqlite else (1, 1)

    def qty(d: Decimal):  # type: ignore[no-untyped-def]
        return int(d * qty_scale) if sqlite else d

    def amount(d: Decimal):  # type: ignore[no-untyped-def]
        return int(d * money_scale) if sqlite else d

    def back(v, scale):  # type: ignore[no-untyped-def]
        return Decimal(v) / scale if sqlite else Decimal(v)

    one = qty(Decimal(1))
    p = "?" if sqlite else "%s"
    returning = "" if sqlite else " RETURNING id"
    take = (
        f"UPDATE balances SET qty = qty - {p}, updated_at = {p} WHERE item_id = {p} AND location_id = {p} AND lot_key = 0 AND qty - reserved >= {p} "
        "RETURNING qty, reserved"
    )
    add = (
        f"INSERT INTO balances (item_id, location_id, lot_key, internal, qty, reserved, updated_at) VALUES ({p}, {p}, 0, {p}, {p}, {p}, {p}) "
        "ON CONFLICT (item_id, location_id, lot_key) DO UPDATE SET qty = balances.qty + excluded.qty, updated_at = excluded.updated_at "
        "RETURNING qty, reserved"
    )
    clock = VERSION_SQL[db.dialect]  # as the feed takes its version: the clock's row on SQLite, a sequence on PostgreSQL
    insert_change = f"INSERT INTO sync_changes (version, scope, kind, key, data) VALUES ({p}, {p}, {p}, {p}, {p})"
    warehouse_of = dict(scopes)
    with db.read() as s:
        warehouse_ids = {lid: wid for lid, wid in s.execute(text("SELECT id, warehouse_id FROM locations WHERE warehouse_id IS NOT NULL")).all()}
    stock_sum = (
        "SELECT SUM(b.qty), SUM(b.reserved), SUM(CASE WHEN l.quarantine THEN 0 ELSE b.qty - b.reserved END) "
        f"FROM balances b JOIN locations l ON l.id = b.location_id WHERE b.item_id = {p} AND l.warehouse_id = {p}"
    )
    valuation = f"SELECT qty, value FROM valuations WHERE item_id = {p}"
    valuation_add = (
        f"INSERT INTO valuations (item_id, qty, value) VALUES ({p}, {p}, {p}) "
        "ON CONFLICT (item_id) DO UPDATE SET qty = valuations.qty + excluded.qty, value = valuations.value + excluded.value"
    )
    valuation_remove = f"UPDATE valuations SET qty = qty - {p}, value = value - {p} WHERE item_id = {p}"
    insert_move = (
        "INSERT INTO moves (item_id, qty, from_location_id, to_location_id, unit_cost, value, reason, created_at) "
        f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, '', {p}){returning}"
    )
    insert_entry = f"INSERT INTO journal_entries (at, source_type, source_id, memo) VALUES ({p}, 'move', {p}, ''){returning}"
    insert_line = f"INSERT INTO journal_lines (entry_id, account_id, debit, credit, item_id) VALUES ({p}, {p}, {p}, {p}, {p})"
    # The audit entry joins the hash chain last, as the service's does at commit (PostgreSQL: the same statement).
    insert_audit = (
        "INSERT INTO audit_log (at, username, action, target_type, target_id, details, seq, prev_hash, hash) "
        "VALUES (?, 'system', 'stock.move', 'move', ?, ?, ?, ?, ?)"
    )
    advance_head = "UPDATE audit_chain SET seq = ?, prev_hash = ?, hash = ? WHERE id = 1"
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        start = time.perf_counter()
        for sku, source, target, cost in steps:
            item = items[sku]
            (src, src_internal), (dst, dst_internal) = locations[source], locations[target]
            now = dt.datetime.now(dt.UTC)
            stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
            if sqlite:
                cur.execute("BEGIN IMMEDIATE")
            changed = []
            if src_internal:
                cur.execute(take, (one, stamp, item, src, one))
                row = cur.fetchone()
                if row is None:
                    raise RuntimeError("insufficient stock in the raw path")
                changed.append((src, row))
            else:
                cur.execute(add, (item, src, False, -one, 0, stamp))
                cur.fetchone()
            cur.execute(add, (item, dst, dst_internal, one, 0, stamp))
            row = cur.fetchone()
            if dst_internal:
                changed.append((dst, row))
            crossing = src_internal != dst_internal
            cur.execute(valuation + (" FOR UPDATE" if crossing and not sqlite else ""), (item,))
            on_hand, worth = cur.fetchone()
            on_hand, worth = back(on_hand, qty_scale), back(worth, money_scale)
            average = (worth / on_hand).quantize(Decimal("0.000001"))
            if dst_internal and not src_internal:
                unit_cost, value = cost, (cost or average).quantize(Decimal("0.01"))
                cur.execute(valuation_add, (item, one, amount(value)))
            elif src_internal and not dst_internal:
                unit_cost, value = average, (worth / on_hand).quantize(Decimal("0.01"))
                cur.execute(valuation_remove, (one, amount(value), item))
            else:
                unit_cost, value = average, Decimal(0)
            cur.execute(insert_move, (item, one, src, dst, int(unit_cost * 10**6) if sqlite else unit_cost, amount(value), stamp))
            move_id = cur.lastrowid if sqlite else cur.fetchone()[0]
            if crossing:
                cur.execute(insert_entry, (stamp, str(move_id)))
                entry = cur.lastrowid if sqlite else cur.fetchone()[0]
                other = accounts["220202" if source == "SUPPLIER" else "6401"]
                debit, credit = (accounts["1405"], other) if dst_internal else (other, accounts["1405"])
                cur.executemany(insert_line, [(entry, debit, amount(value), 0, item), (entry, credit, 0, amount(value), item)])
            cur.execute(clock)
            version = cur.fetchone()[-1]
            summaries = []
            for warehouse in dict.fromkeys(warehouse_ids[loc] for loc, _ in changed):  # the item's stock per warehouse touched
                cur.execute(stock_sum, (item, warehouse))
                q, r, a = cur.fetchone()
                summaries.append((version, f"stock:{warehouse_of[next(loc for loc, _ in changed if warehouse_ids[loc] == warehouse)]}",
                                  "stock", f"{item}:{warehouse}", json.dumps({
                    "sku": sku, "qty": str(back(q, qty_scale)), "reserved": str(back(r, qty_scale)), "available": str(back(a, qty_scale))})))
            cur.executemany(insert_change, summaries + [
                (version, f"wh:{scopes[loc]}", "balance", f"{item}:{loc}:0", json.dumps({
                    "sku": sku, "location": source if loc == src else target, "lot": None,
                    "qty": str(back(q, qty_scale)), "reserved": str(back(r, qty_scale)), "available": str(back(q - r, qty_scale)),
                }))
                for loc, (q, r) in changed
            ])
            audited = {"sku": sku, "qty": "1", "source": source, "target": target}
            if sqlite:
                digest = content_digest(now, None, "system", None, "stock.move", "move", str(move_id), audited)
                cur.execute("SELECT seq, hash FROM audit_chain WHERE id = 1")
                seq, prev = cur.fetchone()
                hashed = link(seq + 1, prev, digest)
                cur.execute(insert_audit, (stamp, str(move_id), json.dumps(audited), seq + 1, prev, hashed))
                cur.execute(advance_head, (seq + 1, prev, hashed))
                cur.execute("COMMIT")
            else:
                # Unsealed, as the service writes it: the server's sealer links entries into the chain after the commit.
                cur.execute(APPEND_SQL, (now, None, "system", None, "stock.move", "move", str(move_id), json.dumps(audited)))
                raw.commit()
        return len(steps) / (time.perf_counter() - start)
    finally:
        raw.close()


def percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples) * 1000
    p95 = samples[int(len(samples) * 0.95) - 1] * 1000
    return f"p50 {p50:.3f} ms  p95 {p95:.3f} ms"


def grow_ledger(db: Database, total_moves: int) -> None:
    """Append synthetic, balanced transfer moves (and keep the balances equal to them) until the ledger holds `total_moves`."""
    with db.read() as s:
        have = s.execute(text("SELECT COUNT(*) FROM moves")).scalar_one()
        items = list(s.scalars(select(Item.id)))
        bins = list(s.scalars(select(Location.id).where(Location.kind == "bin")))
    missing = total_moves - have
    if missing <= 0:
        return
    sqlite = db.dialect == "sqlite"
    rng = random.Random(total_moves)
    now = dt.datetime.now(dt.UTC)
    stamp = now.replace(tzinfo=None) if sqlite else now
    one = SCALE if sqlite else Decimal(1)
    zero = 0 if sqlite else Decimal(0)
    # Pairs of moves A->B then B->A: the ledger grows, the balances end where they were.
    rows = []
    for _ in range(missing // 2):
        item, a, b = rng.choice(items), rng.choice(bins), rng.choice(bins)
        if a == b:
            b = bins[(bins.index(a) + 1) % len(bins)]
        rows.append((item, one, a, b, zero, "", stamp))
        rows.append((item, one, b, a, zero, "", stamp))
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        bulk_insert(raw, cursor, sqlite, "moves", "item_id, qty, from_location_id, to_location_id, unit_cost, reason, created_at", rows)
        finish_bulk(raw, cursor, sqlite)
    finally:
        raw.close()


def bulk_insert(raw, cursor, sqlite: bool, table: str, columns: str, rows: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    """Rows in bulk, inside the current transaction: executemany on SQLite, COPY on PostgreSQL."""
    if sqlite:
        if not raw.in_transaction:
            cursor.execute("BEGIN")
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(rows[0]))})", rows)
    else:
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def finish_bulk(raw, cursor, sqlite: bool) -> None:  # type: ignore[no-untyped-def]
    """Commit and leave the database as a steady trickle of small commits would have: checkpointed, analysed."""
    if sqlite:
        cursor.execute("COMMIT")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()


def balance_lookups(small: Database, big: Database, samples: int = 3000) -> tuple[list[float], list[float]]:
    """The same look-ups against a small and a big ledger, interleaved so both see the same machine.

    Each looks up an item in the reserve bin, which holds stock in both, so both answer with a row.
    """
    rng = random.Random(1)
    timings: tuple[list[float], list[float]] = ([], [])
    for i in range(samples):
        sku, location = f"SKU-{rng.randrange(ITEMS):05d}", "BIN-000"
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            db = (small, big)[which]
            start = time.perf_counter()
            with db.lookup() as s:  # as the balances route does
                balances(s, sku=sku, location=location, include_zero=True)
            timings[which].append(time.perf_counter() - start)
    return timings


def load_barcodes(db: Database, count: int) -> list[str]:
    """count barcodes on count/4 items (each, inner, carton, pallet), inserted in bulk."""
    per_item = 4
    n_items = count // per_item
    sqlite = db.dialect == "sqlite"
    now = dt.datetime.now(dt.UTC)
    stamp = now.replace(tzinfo=None) if sqlite else now
    raw = db.engine.raw_connection()
    codes = []
    try:
        cursor = raw.cursor()
        item_rows = [(f"BULK-{i:07d}", f"商品 {i}", f"Item {i}", "pcs", 0, "none", True, 1, stamp, stamp) for i in range(n_items)]
        bulk_insert(raw, cursor, sqlite, "items", "sku, name_zh, name_en, unit, unit_decimals, tracking, active, version, created_at, updated_at", item_rows)
        cursor.execute("SELECT MIN(id) FROM items WHERE sku LIKE 'BULK-%'" if sqlite else "SELECT MIN(id) FROM items WHERE sku LIKE 'BULK-%%'")
        first = cursor.fetchone()[0]
        barcode_rows = []
        for i in range(n_items):
            for level, (pack, qty) in enumerate((("each", 1), ("inner", 6), ("carton", 24), ("pallet", 960))):
                code = f"{level + 1}{i:012d}"
                codes.append(code)
                barcode_rows.append((first + i, code, None, pack, qty * SCALE if sqlite else Decimal(qty)))
        bulk_insert(raw, cursor, sqlite, "barcodes", "item_id, code, gtin, pack, qty", barcode_rows)
        finish_bulk(raw, cursor, sqlite)
    finally:
        raw.close()
    return codes


def scan_lookups(db: Database, codes: list[str], samples: int = 5000) -> list[float]:
    rng = random.Random(2)
    timings = []
    for _ in range(samples):
        code = rng.choice(codes)
        start = time.perf_counter()
        with db.lookup() as s:  # as the scan route does
            result = resolve(s, code)
        timings.append(time.perf_counter() - start)
        assert result.kind == "item"
    return timings


def main() -> None:
    global PG
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=20_000, help="moves posted by each path (up to 100k)")
    parser.add_argument("--big", type=int, default=1_000_000, help="ledger size for the second look-up measurement")
    parser.add_argument("--barcodes", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", help=f"PostgreSQL to measure on (default: CANGKU_TEST_POSTGRES_URL or {PG})")
    args = parser.parse_args()
    if args.postgres_url:
        PG = args.postgres_url
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for backend in args.backends.split(","):
            print(f"== {backend} ==", flush=True)
            steps = plan(args.moves)
            service_db = fresh(backend, tmp, "service")
            setup_catalog(service_db)
            start_sealing(service_db)  # PostgreSQL: audit entries are sealed into the chain in the background, as a server does
            raw_db = fresh(backend, tmp, "raw")
            setup_catalog(raw_db)
            # Rounds alternate which path goes first, so neither gets the quieter moments of a shared machine.
            rounds = 6
            size = len(steps) // rounds
            service_rates, raw_rates = [], []
            for r in range(rounds):
                chunk = steps[r * size:(r + 1) * size]
                if r % 2 == 0:
                    service_rates.append(via_service(service_db, chunk))
                    raw_rates.append(via_raw_sql(raw_db, chunk))
                else:
                    raw_rates.append(via_raw_sql(raw_db, chunk))
                    service_rates.append(via_service(service_db, chunk))
            ratios = [a / b for a, b in zip(service_rates, raw_rates, strict=True)]
            print(f"posting {size * rounds} moves, one transaction each, in {rounds} alternating rounds (medians):")
            print(f"  service layer   {statistics.median(service_rates):9.0f} moves/s")
            print(f"  raw SQL         {statistics.median(raw_rates):9.0f} moves/s")
            print(f"  ratio service/raw = {statistics.median(ratios):.2f}  (per round: {' '.join(f'{x:.2f}' for x in ratios)})")
            raw_db.dispose()

            small_db = fresh(backend, tmp, "small")
            setup_catalog(small_db)
            grow_ledger(small_db, 10_000)
            grow_ledger(service_db, args.big)
            small, big = balance_lookups(small_db, service_db)
            small_db.dispose()
            with service_db.read() as s:
                total = s.execute(text("SELECT COUNT(*) FROM moves")).scalar_one()
            print(f"balance look-up (sku + bin), interleaved:  10k moves: {percentiles(small)}   {total:,} moves: {percentiles(big)}")
            print(f"  ratio p50 big/small = {statistics.median(big) / statistics.median(small):.2f}")

            start = time.perf_counter()
            codes = load_barcodes(service_db, args.barcodes)
            print(f"loaded {len(codes):,} barcodes in {time.perf_counter() - start:.1f} s")
            print(f"scan look-up with {len(codes):,} barcodes (in-process, own read transaction): {percentiles(scan_lookups(service_db, codes))}")
            stop_sealing(service_db)
            service_db.dispose()
            if backend == "postgresql":
                with psycopg.connect(PG, autocommit=True) as conn:
                    for name in ("service", "raw", "small"):
                        conn.execute(f"DROP SCHEMA IF EXISTS bench_{name} CASCADE")


if __name__ == "__main__":
    _ = Base
    main()
