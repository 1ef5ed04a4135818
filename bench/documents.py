"""Document posting benchmark: a receipt of 1,000 and 5,000 lines, a stocktake of 1,000 and 50,000 lines, a month-end close,
and the delivery note of a shipped order of 1,000 lines printed as a PDF.

    python bench/documents.py [--backend sqlite|postgresql|both] [--rounds 3] [--receipts 1000,5000] [--counts 1000,50000]
                              [--close 10000] [--delivery-note 1000] [--profile receipt|count]

Per backend (SQLite in a temporary file, PostgreSQL in a scratch schema dropped afterwards), prints for each
size the median over the rounds of the posting's seconds (the posting call and its commit only: orders,
approvals, receipts to post against, stock to count and the counts themselves are set up untimed), lines/s,
and the cost per line; then the ratio of the per-line cost at the largest size to the smallest. Posting
that costs the same per line at every size has a ratio of 1; the goal is at most 1.3.

- Receipt: `purchasing.services.receive_lines` receiving every line of an approved purchase order of n lines
  (one item per line) into the dock, in one transaction.
- Stocktake: `counts.services.post_count` of a count of n lines (500 items in n/500 bins), every line counted
  one more or one less than the book, so each line posts one adjustment move.

- Month-end close: last month holds --close documents (supplier payments dated in it, each with its journal entry, on
  top of everything the other measurements posted); the seconds of its close checklist (which runs the books' check)
  and of closing it, then of refusing a payment dated in the closed month.

- Delivery note: a sales order of --delivery-note lines (one item each, stock in 100 bins) confirmed, picked in one wave
  and shipped (untimed); then its delivery note (送货单) read and drawn as an A4 PDF as `GET …/delivery-note.pdf` draws
  it, with prices: the seconds of reading the order, of drawing the PDF and in all, the pages, and the milliseconds per
  page (medians over the rounds).

Rounds alternate which size goes first. `--profile` runs cProfile over one posting of the largest size of
that kind and prints the functions taking the most time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("CANGKU_ARGON2_TIME_COST", "1")  # four users to create; hashing strength is not what is measured
os.environ.setdefault("CANGKU_ARGON2_MEMORY_KIB", "1024")

from sqlalchemy import select  # noqa: E402

from server.auth.permissions import SYSTEM  # noqa: E402
from server.auth.services import actor_for, create_user  # noqa: E402
from server.catalog.models import Item  # noqa: E402
from server.catalog.schemas import ItemCreate  # noqa: E402
from server.catalog.services import create_item  # noqa: E402
from server.counts.models import StocktakeLine  # noqa: E402
from server.counts.services import CountIn, get_count, post_count, record_counts, start_count  # noqa: E402
from server.db import Database  # noqa: E402
from server.finance.payments import record_payment  # noqa: E402
from server.finance.periods import checklist, close_period  # noqa: E402
from server.inventory.models import Balance  # noqa: E402
from server.inventory.services import move  # noqa: E402
from server.locations.models import Location  # noqa: E402
from server.locations.schemas import LocationCreate  # noqa: E402
from server.locations.services import create_location  # noqa: E402
from server.migrate import prepare  # noqa: E402
from server.partners.schemas import PartnerCreate  # noqa: E402
from server.partners.services import create_partner  # noqa: E402
from server.printing.documents import delivery_note  # noqa: E402
from server.printing.sheets import Letterhead, render_pdf  # noqa: E402
from server.purchasing.services import (  # noqa: E402
    LineIn,
    ReceiveIn,
    approve_po,
    create_po,
    create_receipt,
    receive_lines,
    replace_approval_rules,
    submit_po,
)
from server.sales.services import confirm_pick, confirm_so, create_so, create_wave, pick_tasks, ship  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.wiring import open_database  # noqa: E402

PG = os.environ.get("CANGKU_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SCHEMA = "bench_documents"
PASSWORD = "correct horse battery"
COUNT_ITEMS = 500  # a count of n lines covers these items in n / 500 bins
PICK_BINS = 100  # a delivery note's goods are picked from this many bins
STOCK_PER_BIN = Decimal(100)


# Set-up (untimed) ---------------------------------------------------------------------------------


def fresh(backend: str, tmp: Path) -> Database:
    if backend == "sqlite":
        db = open_database(f"sqlite:///{tmp / 'documents.db'}")
    else:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            conn.execute(f"CREATE SCHEMA {SCHEMA}")
        db = open_database(f"{PG}?options=-csearch_path%3D{SCHEMA}")
    prepare(db)
    return db


def drop(backend: str) -> None:
    if backend == "postgresql":
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


class World:
    """Who acts, and the warehouses, items and supplier the documents use."""

    def __init__(self, db: Database, receipt_lines: int, count_sizes: list[int]) -> None:
        self.db = db
        with db.write() as s:
            self.purchaser = actor_for(create_user(s, SYSTEM, username="purchaser", password=PASSWORD, roles=["purchaser"]))
            self.approver = actor_for(create_user(s, SYSTEM, username="approver", password=PASSWORD, roles=["approver"]))
            self.keeper = actor_for(create_user(s, SYSTEM, username="keeper", password=PASSWORD, roles=["warehouse"]))
            self.admin = actor_for(create_user(s, SYSTEM, username="boss", password=PASSWORD, roles=["admin"]))
            # One approval for any amount: the benchmark posts receipts, it does not exercise approval levels.
            replace_approval_rules(s, SYSTEM, [(0, None, ["approver"])])
            create_partner(s, SYSTEM, PartnerCreate(code="SUP", kind="supplier", name_en="Supplier"))
            create_location(s, SYSTEM, LocationCreate(code="WH", kind="warehouse"))
            create_location(s, SYSTEM, LocationCreate(code="WH-DOCK", kind="bin", parent="WH"))
        self.skus = [f"SKU-{i:05d}" for i in range(max(receipt_lines, COUNT_ITEMS))]
        for start in range(0, len(self.skus), 1000):
            with db.write() as s:
                for sku in self.skus[start:start + 1000]:
                    create_item(s, SYSTEM, ItemCreate(sku=sku, name_en=sku))
        self.count_warehouses = {n: self._stocked_warehouse(n) for n in count_sizes}

    def _stocked_warehouse(self, lines: int) -> str:
        """A warehouse of lines / 500 bins, each holding 100 of the same 500 items, received at 2.00."""
        code = f"C{lines}"
        bins = max(1, lines // COUNT_ITEMS)
        with self.db.write() as s:
            create_location(s, SYSTEM, LocationCreate(code=code, kind="warehouse"))
            create_location(s, SYSTEM, LocationCreate(code=f"{code}-Z", kind="zone", parent=code))
            for b in range(bins):
                create_location(s, SYSTEM, LocationCreate(code=f"{code}-{b:04d}", kind="bin", parent=f"{code}-Z"))
        for b in range(bins):
            with self.db.write() as s:
                for sku in self.skus[:COUNT_ITEMS]:
                    move(s, SYSTEM, sku=sku, qty=STOCK_PER_BIN, source="SUPPLIER", target=f"{code}-{b:04d}", unit_cost=Decimal("2.00"))
        return code

    def approved_receipt(self, lines: int) -> tuple[str, list[ReceiveIn]]:
        """An approved purchase order of `lines` lines (one item each) and a receipt to receive all of it on."""
        skus = self.skus[:lines]
        with self.db.write() as s:
            po = create_po(s, self.purchaser, supplier="SUP", warehouse="WH",
                           lines=[LineIn(sku=sku, qty=Decimal(10), unit_price=Decimal("1.50")) for sku in skus])
            number = po.number
        with self.db.write() as s:
            version = submit_po(s, self.purchaser, number, version=1).version
        with self.db.write() as s:
            approve_po(s, self.approver, number, version=version)
        with self.db.write() as s:
            receipt = create_receipt(s, self.keeper, po=number).number
        return receipt, [ReceiveIn(sku=sku, qty=Decimal(10)) for sku in skus]

    def shipped_order(self, lines: int) -> str:
        """A sales order of `lines` lines (one item each, 2 of each at 3.50) to a customer, picked in one wave from 100 bins
        and shipped."""
        skus = self.skus[:lines]
        with self.db.write() as s:
            create_partner(s, SYSTEM, PartnerCreate(code="CUS", kind="customer", name_zh="示范客户有限公司", name_en="Demo Customer Ltd.",
                                                    address="上海市静安区示范街 1 号"))
            create_location(s, SYSTEM, LocationCreate(code="WH-OUT", kind="zone", parent="WH"))
            create_location(s, SYSTEM, LocationCreate(code="WH-PICK", kind="zone", parent="WH"))
            for b in range(PICK_BINS):
                create_location(s, SYSTEM, LocationCreate(code=f"WH-P{b:03d}", kind="bin", parent="WH-PICK"))
        for start in range(0, lines, 1000):
            with self.db.write() as s:
                for n, sku in enumerate(skus[start:start + 1000], start):
                    move(s, SYSTEM, sku=sku, qty=Decimal(2), source="SUPPLIER", target=f"WH-P{n % PICK_BINS:03d}",
                         unit_cost=Decimal("2.00"))
        with self.db.write() as s:
            number = create_so(s, self.admin, customer="CUS", warehouse="WH",
                               lines=[LineIn(sku=sku, qty=Decimal(2), unit_price=Decimal("3.50")) for sku in skus]).number
        with self.db.write() as s:
            confirm_so(s, self.admin, number)
        with self.db.write() as s:
            wave = create_wave(s, self.keeper, warehouse="WH", orders=[number])
            tasks = [(task.id, task.qty) for task in pick_tasks(s, wave)]
        for start in range(0, len(tasks), 1000):
            with self.db.write() as s:
                for task_id, qty in tasks[start:start + 1000]:
                    confirm_pick(s, self.keeper, task_id, qty=qty)
        with self.db.write() as s:
            ship(s, self.keeper, number)
        return number

    def counted_stocktake(self, lines: int) -> str:
        """A stocktake of a stocked warehouse, every line counted one more or one less than its book quantity."""
        code = self.count_warehouses[lines]
        with self.db.write() as s:
            number = start_count(s, self.admin, warehouse=code).number
        with self.db.read() as s:
            book = s.execute(
                select(Location.code, Item.sku, StocktakeLine.book_qty)
                .join(Location, Location.id == StocktakeLine.location_id)
                .join(Item, Item.id == StocktakeLine.item_id)
                .where(StocktakeLine.stocktake_id == get_count(s, number).id)
                .order_by(StocktakeLine.line_no)
            ).all()
        counts = [CountIn(location=loc, sku=sku, qty=qty + (1 if i % 2 == 0 else -1)) for i, (loc, sku, qty) in enumerate(book)]
        for start in range(0, len(counts), 10_000):
            with self.db.write() as s:
                record_counts(s, self.keeper, number, counts[start:start + 10_000])
        return number


# Timed ---------------------------------------------------------------------------------------------


def timed(db: Database, post: Callable[[object], object], profile: cProfile.Profile | None = None) -> float:
    """Seconds for one posting transaction: the service call and its commit."""
    start = time.perf_counter()
    if profile:
        profile.enable()
    with db.write() as s:
        post(s)
    if profile:
        profile.disable()
    return time.perf_counter() - start


def post_receipt(world: World, lines: int, profile: cProfile.Profile | None = None) -> float:
    receipt, entries = world.approved_receipt(lines)
    return timed(world.db, lambda s: receive_lines(s, world.keeper, receipt, entries), profile)  # type: ignore[arg-type]


def post_stocktake(world: World, lines: int, profile: cProfile.Profile | None = None) -> float:
    number = world.counted_stocktake(lines)
    return timed(world.db, lambda s: post_count(s, world.admin, number), profile)  # type: ignore[arg-type]


def measure(kind: str, sizes: list[int], rounds: int, run: Callable[[int], float]) -> None:
    samples: dict[int, list[float]] = {n: [] for n in sizes}
    for r in range(rounds):
        for n in sizes if r % 2 == 0 else list(reversed(sizes)):
            samples[n].append(run(n))
            print(f"  {kind} {n:>6,} lines, round {r + 1}: {samples[n][-1]:8.2f} s", flush=True)
    per_line = {}
    for n in sizes:
        seconds = statistics.median(samples[n])
        per_line[n] = seconds / n
        print(f"{kind:>9} {n:>6,} lines: {seconds:8.2f} s  {n / seconds:8.0f} lines/s  {per_line[n] * 1e3:7.3f} ms/line  (median of {rounds})")
    small, large = min(sizes), max(sizes)
    print(f"{kind:>9} per-line cost {large:,} / {small:,} = {per_line[large] / per_line[small]:.2f}  (goal ≤ 1.3)", flush=True)


def month_close(world: World, documents: int) -> None:
    """Last month with `documents` payments dated in it: its checklist, its close, and a refusal once it is closed."""
    import datetime as dt

    from server.dates import local_today
    from server.errors import Conflict

    last = (local_today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    start = time.perf_counter()
    for first in range(0, documents, 1000):
        with world.db.write() as s:
            for n in range(first, min(documents, first + 1000)):
                record_payment(s, world.admin, kind="supplier", partner="SUP", amount=Decimal(1), paid_on=last + dt.timedelta(days=n % 28),
                               reference=f"bench {n}")
    print(f"month close: {documents:,} payments dated in {last:%Y-%m} posted in {time.perf_counter() - start:.0f} s (untimed set-up)", flush=True)
    start = time.perf_counter()
    with world.db.read() as s:
        items = checklist(s, world.admin, last)
    checked = time.perf_counter() - start
    start = time.perf_counter()
    with world.db.write() as s:
        close_period(s, world.admin, last)
    closed = time.perf_counter() - start
    start = time.perf_counter()
    try:
        with world.db.write() as s:
            record_payment(s, world.admin, kind="supplier", partner="SUP", amount=Decimal(1), paid_on=last)
        raise AssertionError("a payment dated in a closed month was taken")
    except Conflict:
        refused = time.perf_counter() - start
    print(f"month close: checklist {checked:.2f} s ({len(items)} checks, all clear: {all(i.ok for i in items if i.blocking)}), "
          f"close {closed:.2f} s, a payment dated in it refused in {refused * 1e3:.1f} ms", flush=True)


def print_delivery_note(world: World, lines: int, rounds: int) -> None:
    """The delivery note of a shipped order of `lines` lines, read and drawn `rounds` times: medians of each."""
    from pypdf import PdfReader

    start = time.perf_counter()
    number = world.shipped_order(lines)
    print(f"delivery note: order {number} of {lines:,} lines shipped in {time.perf_counter() - start:.0f} s (untimed set-up)", flush=True)
    company = Letterhead.of(Settings(data_dir=Path("."), database_url=None))
    reading, drawing, pages = [], [], 0
    for r in range(rounds):
        start = time.perf_counter()
        with world.db.read() as s:
            sheet = delivery_note(s, world.admin, number, "zh")
        read = time.perf_counter()
        pdf = render_pdf(sheet, company)
        drawn = time.perf_counter()
        reading.append(read - start)
        drawing.append(drawn - read)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(f"  delivery note {lines:,} lines, round {r + 1}: {drawn - start:6.2f} s ({pages} pages, {len(pdf) / 1024:,.0f} KiB)",
              flush=True)
    read, draw = statistics.median(reading), statistics.median(drawing)
    total = statistics.median(a + b for a, b in zip(reading, drawing, strict=True))
    print(f"delivery note {lines:,} lines: {total:6.2f} s in all (reading {read:.2f} s, drawing {draw:.2f} s), {pages} pages, "
          f"{total / pages * 1e3:.0f} ms per page  (median of {rounds})", flush=True)


def profile_one(kind: str, world: World, lines: int) -> None:
    profile = cProfile.Profile()
    seconds = (post_receipt if kind == "receipt" else post_stocktake)(world, lines, profile)
    print(f"profile of one {kind} of {lines:,} lines ({seconds:.2f} s with the profiler on):")
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    print(out.getvalue())


def run(backend: str, tmp: Path, receipt_sizes: list[int], count_sizes: list[int], rounds: int, profile: str | None, close: int = 0,
        note_lines: int = 0) -> None:
    print(f"== {backend} ==", flush=True)
    db = fresh(backend, tmp)
    try:
        start = time.perf_counter()
        world = World(db, max(*receipt_sizes, note_lines, 0), count_sizes)
        with db.read() as s:
            balances = s.query(Balance).count()
        print(f"set-up: {len(world.skus):,} items, {balances:,} balances in {time.perf_counter() - start:.0f} s", flush=True)
        if receipt_sizes:
            measure("receipt", receipt_sizes, rounds, lambda n: post_receipt(world, n))
        if count_sizes:
            measure("stocktake", count_sizes, rounds, lambda n: post_stocktake(world, n))
        if close:
            month_close(world, close)
        if note_lines:
            print_delivery_note(world, note_lines, rounds)
        if profile == "receipt" and receipt_sizes:
            profile_one("receipt", world, max(receipt_sizes))
        if profile == "count" and count_sizes:
            profile_one("count", world, max(count_sizes))
    finally:
        db.dispose()
        drop(backend)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--receipts", default="1000,5000", help="receipt sizes in lines")
    parser.add_argument("--counts", default="1000,50000", help="stocktake sizes in lines")
    parser.add_argument("--close", type=int, default=10_000, help="documents dated in the month closed (0: no month-end close)")
    parser.add_argument("--delivery-note", type=int, default=1000,
                        help="lines of the shipped order whose delivery note is printed (0: none)")
    parser.add_argument("--profile", choices=("receipt", "count"), help="also profile one posting of the largest size")
    args = parser.parse_args()
    receipt_sizes = [int(n) for n in args.receipts.split(",") if n]
    count_sizes = [int(n) for n in args.counts.split(",") if n]
    with tempfile.TemporaryDirectory() as tmpdir:
        for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
            run(backend, Path(tmpdir), receipt_sizes, count_sizes, args.rounds, args.profile, args.close, args.delivery_note)


if __name__ == "__main__":
    main()
