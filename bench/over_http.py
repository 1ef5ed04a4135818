"""HTTP benchmark: what a request costs on top of the database, one client and many, against real `cangku serve` processes.

    python bench/over_http.py [--moves 2000] [--rounds 3] [--setups sqlite,postgresql]

Per setup, in one run:
  - sqlite: 1 server process on a fresh SQLite file (synchronous=FULL, as the server opens it);
  - postgresql: `cangku serve --workers 4` on a fresh PostgreSQL schema (CANGKU_TEST_POSTGRES_URL) with Redis between the workers.
Prints, each figure the median over --rounds rounds that alternate the order of the measurements:
  - the raw limit of the database engine: moves/s for one connection posting, per move, one transaction of a bare move row
    and two conditional balance updates (its own SQLite file in WAL with synchronous=FULL, or its own PostgreSQL schema);
  - one client on one kept-alive connection: POST /api/v1/stock/moves for receipts, shipments, transfers and a mix of the
    three, GET /api/v1/scan/{code} on a 5,000-item catalog, GET /api/v1/stock/balances?sku=...: requests/s, p50, p95; and
    GET /health, which touches no database: the floor of the HTTP stack on this machine;
  - 8 and 32 clients, each on its own connection and its own items, posting the mix until --moves: moves/s, p50, p95;
  - the share of the machine's CPU time that was busy during each measurement (all processes: server, database, this client),
    whose inverse bounds what more clients can gain on this machine;
  - the errors (non-2xx answers and failed requests) with an example, then `cangku check` on the database.
Goals: sequential moves/s >= 20 % of the raw SQLite limit; 8 clients >= 2x one client on PostgreSQL (4 workers) and >= 1.5x
on SQLite; a move's p95 under 8 clients <= 3x its sequential p95; 0 errors; check passes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psycopg
import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger import BINS, ITEMS, fresh, setup_catalog  # noqa: E402
from load import PASSWORD, Stats, call, grow_catalog, quantile, sign_in  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from server.auth.permissions import SYSTEM  # noqa: E402
from server.auth.services import create_user  # noqa: E402
from server.db import Database  # noqa: E402
from server.migrate import prepare  # noqa: E402
from server.testing import ServedProcess  # noqa: E402
from server.wiring import open_database  # noqa: E402

PG = os.environ.get("CANGKU_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("CANGKU_BENCH_REDIS", "redis://127.0.0.1:6379/0")
CATALOG = 5_000  # extra items with barcodes, for scan look-ups
CLIENTS = (8, 32)
PG_WORKERS = 4
STOCK = 1_000_000  # units of each raw-limit item in its reserve bin at the start


# -- setups ----------------------------------------------------------------------------------------------------------------------


def schema_url(schema: str) -> str:
    return make_url(PG).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def create_schema(schema: str) -> None:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")


def drop_schema(schema: str) -> None:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def fresh_database(backend: str, tmp: Path, schema: str) -> Database:
    """A migrated, empty database: a SQLite file in `tmp`, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        return fresh("sqlite", tmp, "http")
    create_schema(schema)
    db = open_database(schema_url(schema))
    prepare(db)
    return db


def prepare_company(db: Database, users: int) -> list[str]:
    """The bench warehouse (WH, 50 bins, 100 stocked SKUs), 5,000 more items with barcodes, the users; the barcodes."""
    setup_catalog(db)
    grow_catalog(db, CATALOG)
    with db.write() as s:
        for n in range(users):
            create_user(s, SYSTEM, username=f"http{n:02d}", password=PASSWORD, roles=["warehouse"])
    with db.read() as s:
        return [code for (code,) in s.execute(text("SELECT code FROM barcodes ORDER BY id"))]


def served(url: str, tmp: Path, workers: int, redis_prefix: str | None) -> ServedProcess:
    args = ["--no-scheduler", *(["--workers", str(workers)] if workers > 1 else [])]
    return ServedProcess(tmp, *args, env={"CANGKU_DATABASE_URL": url, "CANGKU_DATA_DIR": str(tmp),
                                          "CANGKU_REDIS_URL": REDIS if redis_prefix else "",
                                          "CANGKU_REDIS_PREFIX": redis_prefix or "cangku"})


class Timed(Stats):
    """A measurement's latencies and errors, and the seconds from its first request to its last answer."""

    elapsed = 0.0


# -- the raw limit ---------------------------------------------------------------------------------------------------------------


RAW_TABLES = [
    "CREATE TABLE raw_balances (item INTEGER NOT NULL, loc INTEGER NOT NULL, qty INTEGER NOT NULL CHECK (qty >= 0), PRIMARY KEY (item, loc))",
    "CREATE TABLE raw_moves (id {id}, item INTEGER NOT NULL, from_loc INTEGER NOT NULL, to_loc INTEGER NOT NULL, qty INTEGER NOT NULL, "
    "created_at TEXT NOT NULL)",
]


class RawLimit:
    """The cheapest honest move: a move row and two conditional balance updates in one transaction, one connection."""

    def __init__(self, backend: str, tmp: Path, schema: str) -> None:
        self.sqlite = backend == "sqlite"
        self.schema = schema
        self.moves = 0
        if self.sqlite:
            self.conn: sqlite3.Connection | psycopg.Connection = sqlite3.connect(tmp / "raw.db", isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            p, key = "?", "INTEGER PRIMARY KEY"
        else:
            create_schema(schema)
            self.conn = psycopg.connect(PG, options=f"-csearch_path={schema}")
            p, key = "%s", "BIGSERIAL PRIMARY KEY"
        cur = self.conn.cursor()
        self.begin()
        for statement in RAW_TABLES:
            cur.execute(statement.format(id=key))
        cur.executemany(f"INSERT INTO raw_balances (item, loc, qty) VALUES ({p}, {p}, {p})",
                        [(item, loc, STOCK if loc == 0 else 0) for item in range(ITEMS) for loc in range(BINS)])
        self.commit()
        self.insert = f"INSERT INTO raw_moves (item, from_loc, to_loc, qty, created_at) VALUES ({p}, {p}, {p}, 1, {p})"
        self.take = f"UPDATE raw_balances SET qty = qty - 1 WHERE item = {p} AND loc = {p} AND qty >= 1"
        self.give = f"UPDATE raw_balances SET qty = qty + 1 WHERE item = {p} AND loc = {p}"

    def begin(self) -> None:
        if self.sqlite:
            self.conn.execute("BEGIN IMMEDIATE")  # as the server begins its writes

    def commit(self) -> None:
        if self.sqlite:
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()

    def run(self, moves: int) -> Timed:
        stats = Timed()
        cur = self.conn.cursor()
        rng = random.Random(self.moves)
        started = time.perf_counter()
        for _ in range(moves):
            self.moves += 1
            item, target = self.moves % ITEMS, rng.randrange(1, BINS)
            t = time.perf_counter()
            self.begin()
            cur.execute(self.insert, (item, 0, target, time.strftime("%Y-%m-%d %H:%M:%S")))
            cur.execute(self.take, (item, 0))
            if cur.rowcount != 1:
                raise RuntimeError(f"raw take of item {item} hit {cur.rowcount} rows")
            cur.execute(self.give, (item, target))
            if cur.rowcount != 1:
                raise RuntimeError(f"raw give of item {item} to {target} hit {cur.rowcount} rows")
            self.commit()
            stats.record("raw", t)
        stats.elapsed = time.perf_counter() - started
        return stats

    def close(self) -> None:
        self.conn.close()
        if not self.sqlite:
            drop_schema(self.schema)


# -- HTTP ------------------------------------------------------------------------------------------------------------------------


def receipt(sku: str, n: int) -> dict[str, str]:
    return {"sku": sku, "qty": "1", "from": "SUPPLIER", "to": f"BIN-{1 + n % 9:03d}", "unit_cost": "10.00"}


def shipment(sku: str, n: int) -> dict[str, str]:
    return {"sku": sku, "qty": "1", "from": "BIN-000", "to": "CUSTOMER"}


def transfer(sku: str, n: int) -> dict[str, str]:
    return {"sku": sku, "qty": "1", "from": "BIN-000", "to": f"BIN-{10 + n % (BINS - 10):03d}"}


MIX = (receipt, shipment, transfer)


def mixed(sku: str, n: int) -> dict[str, str]:
    return MIX[n % 3](sku, n)


def sku(n: int) -> str:
    return f"SKU-{n % ITEMS:05d}"


@dataclass
class Driver:
    base: str
    tokens: list[dict[str, str]]
    barcodes: list[str]
    moves: int
    rng: random.Random = field(default_factory=lambda: random.Random(11))

    def session(self, connections: int) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(base_url=self.base, timeout=aiohttp.ClientTimeout(total=120),
                                     connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=60))

    async def warm(self, http: aiohttp.ClientSession, headers: dict[str, str]) -> None:
        """Opens the connection (and proves the token) before the clock starts."""
        async with http.get("/api/v1/stock/balances", params={"sku": sku(0), "limit": 1}, headers=headers) as answer:
            await answer.read()
            if answer.status != 200:
                raise RuntimeError(f"warm-up answered {answer.status}")

    async def sequential(self, op: str, request: Callable[[int], tuple[str, str, dict[str, object]]]) -> Timed:
        """One client, one kept-alive connection, --moves requests back to back."""
        stats = Timed()
        headers = self.tokens[0]
        async with self.session(1) as http:
            await self.warm(http, headers)
            started = time.perf_counter()
            for n in range(self.moves):
                method, path, kwargs = request(n)
                await call(stats, op, http, method, path, headers=headers, **kwargs)
            stats.elapsed = time.perf_counter() - started
        return stats

    async def concurrent(self, clients: int) -> Timed:
        """`clients` clients, each on its own connection and its own items, posting the mix until --moves are posted."""
        stats = Timed()
        issued = 0
        ready, go = asyncio.Barrier(clients + 1), asyncio.Event()

        async def client(c: int, http: aiohttp.ClientSession) -> None:
            nonlocal issued
            headers = self.tokens[c]
            mine = [sku(i) for i in range(c, ITEMS, clients)]
            await self.warm(http, headers)
            await ready.wait()
            await go.wait()
            n = c  # each client starts the mix elsewhere, so receipts, shipments and transfers run side by side
            while issued < self.moves:
                issued += 1
                await call(stats, "move", http, "POST", "/api/v1/stock/moves", headers=headers, json=mixed(mine[n % len(mine)], n))
                n += 1

        async with self.session(clients) as http:
            tasks = [asyncio.create_task(client(c, http)) for c in range(clients)]
            await ready.wait()  # every connection open
            started = time.perf_counter()
            go.set()
            await asyncio.gather(*tasks)
            stats.elapsed = time.perf_counter() - started
        return stats

    def move(self, kind: Callable[[str, int], dict[str, str]]) -> Callable[[int], tuple[str, str, dict[str, object]]]:
        return lambda n: ("POST", "/api/v1/stock/moves", {"json": kind(sku(n), n)})

    def scan(self, n: int) -> tuple[str, str, dict[str, object]]:
        return "GET", f"/api/v1/scan/{self.rng.choice(self.barcodes)}", {}

    def health(self, n: int) -> tuple[str, str, dict[str, object]]:
        return "GET", "/health", {}

    def balances(self, n: int) -> tuple[str, str, dict[str, object]]:
        return "GET", "/api/v1/stock/balances", {"params": {"sku": sku(n)}}


@dataclass
class Figures:
    """One measurement's figures, a value per round."""

    unit: str
    rate: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p95: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    errors: int = 0
    example: str = ""

    def add(self, stats: Timed, busy: float) -> None:
        samples = [x for op in stats.latency for x in stats.latency[op]]
        self.busy.append(busy)
        self.rate.append(len(samples) / stats.elapsed)
        self.p50.append(quantile(samples, 50))
        self.p95.append(quantile(samples, 95))
        self.errors += sum(stats.errors.values())
        if stats.examples and not self.example:
            self.example = next(iter(stats.examples.values()))

    @property
    def median_rate(self) -> float:
        return statistics.median(self.rate)

    @property
    def median_p95(self) -> float:
        return statistics.median(self.p95)


SEQUENTIAL_MIX = "1 client: moves, mixed"
FLOOR = "1 client: /health, no database"  # the HTTP stack alone: what no request can be faster than here


def cpu_times() -> tuple[int, int]:
    """The machine's busy and total CPU time so far, in clock ticks, over all cores (/proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


async def measure(driver: Driver, raw: RawLimit, rounds: int) -> dict[str, Figures]:
    steps: list[tuple[str, str, Callable[[], object]]] = [
        ("raw SQL: moves", "moves/s", lambda: raw.run(driver.moves)),
        ("1 client: move receipt", "req/s", lambda: driver.sequential("move", driver.move(receipt))),
        ("1 client: move shipment", "req/s", lambda: driver.sequential("move", driver.move(shipment))),
        ("1 client: move transfer", "req/s", lambda: driver.sequential("move", driver.move(transfer))),
        (SEQUENTIAL_MIX, "req/s", lambda: driver.sequential("move", driver.move(mixed))),
        ("1 client: scan", "req/s", lambda: driver.sequential("scan", driver.scan)),
        ("1 client: balances", "req/s", lambda: driver.sequential("balances", driver.balances)),
        (FLOOR, "req/s", lambda: driver.sequential("health", driver.health)),
        *((f"{n} clients: moves, mixed", "moves/s", lambda n=n: driver.concurrent(n)) for n in CLIENTS),
    ]
    figures = {name: Figures(unit) for name, unit, _ in steps}
    for r in range(rounds):
        # Odd rounds run the measurements in reverse, so none always gets the quiet (or the busy) moments of the machine.
        for name, _, step in steps if r % 2 == 0 else reversed(steps):
            busy_before, total_before = cpu_times()
            result = step()
            stats = await result if asyncio.iscoroutine(result) else result
            busy_after, total_after = cpu_times()
            figures[name].add(stats, (busy_after - busy_before) / max(1, total_after - total_before))  # type: ignore[arg-type]
        print(f"  round {r + 1}/{rounds} done", flush=True)
    return figures


# -- report ----------------------------------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(setup: str, figures: dict[str, Figures], rounds: int) -> None:
    print(f"  medians over {rounds} round{'s' if rounds > 1 else ''}:")
    print(f"  {'measurement':<28}{'rate':>10} {'':<8}{'p50 ms':>9}{'p95 ms':>9}{'CPU busy':>9}{'errors':>8}   rate per round")
    for name, f in figures.items():
        print(f"  {name:<28}{f.median_rate:>10.0f} {f.unit:<8}{statistics.median(f.p50):>9.2f}{f.median_p95:>9.2f}"
              f"{statistics.median(f.busy):>9.0%}{f.errors:>8}   " + " ".join(f"{x:.0f}" for x in f.rate))
    errors = sum(f.errors for f in figures.values())
    print(f"  errors: {errors}" + "".join(f"\n    {name}: {f.example}" for name, f in figures.items() if f.example))
    raw, one, eight = figures["raw SQL: moves"], figures[SEQUENTIAL_MIX], figures[f"{CLIENTS[0]} clients: moves, mixed"]
    share = one.median_rate / raw.median_rate
    speedup = eight.median_rate / one.median_rate
    stretch = eight.median_p95 / one.median_p95
    wanted = 2.0 if setup == "postgresql" else 1.5
    print("  goals:")
    floor = figures[FLOOR].median_rate / raw.median_rate
    if setup == "sqlite":
        print(f"    1 client moves/s = {share:.0%} of raw SQLite FULL ({one.median_rate:.0f} of {raw.median_rate:.0f}), goal >= 20 %: "
              f"{verdict(share >= 0.20)}; a request that does nothing at all reaches {floor:.0%} here")
    else:
        print(f"    1 client moves/s = {share:.0%} of raw PostgreSQL ({one.median_rate:.0f} of {raw.median_rate:.0f}) (the 20 % goal is "
              "against SQLite)")
    print(f"    {CLIENTS[0]} clients moves/s = {speedup:.2f}x one client ({eight.median_rate:.0f} vs {one.median_rate:.0f}), "
          f"goal >= {wanted:.1f}x: {verdict(speedup >= wanted)}; the machine's CPU was {statistics.median(one.busy):.0%} busy "
          f"with one client, so more clients could gain at most {1 / max(0.01, statistics.median(one.busy)):.2f}x here")
    print(f"    move p95 under {CLIENTS[0]} clients = {stretch:.2f}x sequential ({eight.median_p95:.1f} vs {one.median_p95:.1f} ms), "
          f"goal <= 3x: {verdict(stretch <= 3)}")
    print(f"    errors = {errors}, goal 0: {verdict(errors == 0)}")


def check(url: str, tmp: Path) -> None:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "server.cli", "check", "--database-url", url], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "CANGKU_DATA_DIR": str(tmp)})
    print(f"  cangku check: {'passed' if result.returncode == 0 else 'FAILED'} in {time.perf_counter() - started:.1f} s")
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:])
    print("  " + (result.stdout.strip().splitlines() or [""])[-1])


async def sign_in_all(base: str, users: int) -> list[dict[str, str]]:
    """One token per client (argon2 is slow on purpose; one at a time so a 64 MiB hash per sign-in stays one)."""
    async with aiohttp.ClientSession(base_url=base) as http:
        return [await sign_in(http, f"http{n:02d}", f"bench-http-{n:02d}") for n in range(users)]


async def drive(base: str, barcodes: list[str], raw: RawLimit, args: argparse.Namespace) -> dict[str, Figures]:
    started = time.perf_counter()
    tokens = await sign_in_all(base, max(CLIENTS))
    print(f"  {len(tokens)} clients signed in in {time.perf_counter() - started:.1f} s", flush=True)
    return await measure(Driver(base, tokens, barcodes, args.moves), raw, args.rounds)


def run(setup: str, tmp: Path, args: argparse.Namespace) -> None:
    workers = PG_WORKERS if setup == "postgresql" else 1
    print(f"== {setup}: {'`cangku serve --workers 4` + Redis' if workers > 1 else '1 `cangku serve` process'}, "
          f"{args.moves} moves or requests per measurement, {args.rounds} rounds ==", flush=True)
    tag = uuid.uuid4().hex[:8]
    schema, raw_schema = f"bench_http_{tag}", f"bench_http_raw_{tag}"
    server: ServedProcess | None = None
    raw: RawLimit | None = None
    try:
        db = fresh_database(setup, tmp, schema)
        try:
            started = time.perf_counter()
            barcodes = prepare_company(db, max(CLIENTS))
            url = db.engine.url.render_as_string(hide_password=False)
        finally:
            db.dispose()
        print(f"  catalog of {ITEMS + CATALOG:,} items ({len(barcodes):,} barcodes) and {max(CLIENTS)} users in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        raw = RawLimit(setup, tmp, raw_schema)
        server = served(url, tmp, workers, f"cangku-http-{tag}" if workers > 1 else None)
        server.wait_healthy()
        try:
            figures = uvloop.run(drive(server.url, barcodes, raw, args))
        except Exception:
            print(f"  the server's last output:\n{server.output[-4000:]}")
            raise
        server.stop()
        server = None
        report(setup, figures, args.rounds)
        check(url, tmp)
    finally:
        if server is not None:
            server.stop()
        if raw is not None:
            raw.close()
        if setup == "postgresql":
            drop_schema(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=2000, help="moves (or requests) per measurement and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--setups", default="sqlite,postgresql")
    args = parser.parse_args()
    for setup in args.setups.split(","):
        if setup not in ("sqlite", "postgresql"):
            parser.error(f"unknown setup {setup!r}: sqlite or postgresql")
    for setup in args.setups.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            run(setup, Path(tmp), args)


if __name__ == "__main__":
    main()
