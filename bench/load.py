"""Load benchmark: a warehouse's handhelds and back office against real `cangku serve` processes.

    python bench/load.py [--duration 300] [--handhelds 200] [--office 20] [--setups postgresql,sqlite]

Per setup, one run:
  - postgresql: 2 server processes on one PostgreSQL database with Redis between them; each handheld and
    office user talks to one of them (as a load balancer with sticky sessions would place them);
  - sqlite: 1 server process on the embedded SQLite database.
Each handheld signs in, keeps a websocket subscribed to its warehouse, and every 1–3 s (mean 2 s) scans a
barcode (GET /api/v1/scan/{code}), posts a move (POST /api/v1/stock/moves), pushes 1–3 operations
(POST /api/v1/sync/push) or pulls its warehouse (GET /api/v1/sync/pull). Each office user every 3–6 s lists
purchase orders, searches items, looks up an item's balances or runs the stock balance report.
Prints throughput, p50/p95/p99 per operation, the error count (non-2xx answers and failed requests), the
websocket messages received, the servers' CPU time split between the server processes and their report worker
processes (reports run there, off the scan path), then runs `cangku check` on the database.
Goals: 0 errors, scan look-up p95 < 100 ms, move p95 < 250 ms, check passes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ledger import BINS, ITEMS, fresh, setup_catalog  # noqa: E402

from server.auth.permissions import SYSTEM  # noqa: E402
from server.auth.services import create_user  # noqa: E402
from server.db import Database  # noqa: E402
from server.testing import ServedProcess  # noqa: E402


def _bench_module(name: str):  # type: ignore[no-untyped-def]
    """bench/<name>.py by path: bench/sync.py shares its name with the sync package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


grow_catalog = _bench_module("sync").grow_catalog
REDIS = os.environ.get("CANGKU_BENCH_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "bench password 1"
CATALOG = 5_000  # extra items with barcodes, for scan look-ups
HANDHELD_USERS = 20  # handhelds share these accounts (several devices each)


def served(url: str, tmp: Path, redis_prefix: str | None) -> ServedProcess:
    """`cangku serve` as its own process on the benchmark database (with Redis between processes when prefixed)."""
    return ServedProcess(tmp, "--no-scheduler", env={"CANGKU_DATABASE_URL": url, "CANGKU_DATA_DIR": str(tmp),
                                                     "CANGKU_REDIS_URL": REDIS if redis_prefix else "",
                                                     "CANGKU_REDIS_PREFIX": redis_prefix or "cangku"})


def prepare_company(db: Database) -> list[str]:
    """The bench warehouse (WH, 50 bins, 100 stocked SKUs), 5,000 more items with barcodes, the users; the barcodes."""
    setup_catalog(db)
    grow_catalog(db, CATALOG)
    with db.write() as s:
        for n in range(HANDHELD_USERS):
            create_user(s, SYSTEM, username=f"hand{n:02d}", password=PASSWORD, roles=["warehouse"])
        for n, role in enumerate(["purchaser", "sales", "finance", "director"] * 5):
            create_user(s, SYSTEM, username=f"desk{n:02d}", password=PASSWORD, roles=[role])
    with db.read() as s:
        from sqlalchemy import text

        return [code for (code,) in s.execute(text("SELECT code FROM barcodes ORDER BY id"))]


class Start:
    """Holds every simulated user at the line until all have signed in and subscribed, then lets them go together."""

    def __init__(self, users: int) -> None:
        self.waiting = users
        self.everyone = asyncio.Event()
        self.go = asyncio.Event()

    async def ready_and_wait(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.everyone.set()
        await self.go.wait()


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter[str] = collections.Counter()
        self.examples: dict[str, str] = {}
        self.messages = 0
        self.sockets = 0

    def record(self, op: str, started: float, error: str | None = None) -> None:
        self.latency[op].append((time.perf_counter() - started) * 1000)
        if error:
            self.errors[op] += 1
            self.examples.setdefault(op, error)


async def call(stats: Stats, op: str, http: aiohttp.ClientSession, method: str, path: str, **kwargs: object) -> object | None:
    """One request, timed to the last byte of the answer; the decoded JSON body of a 2xx answer, else None (counted)."""
    started = time.perf_counter()
    try:
        async with http.request(method, path, **kwargs) as response:  # type: ignore[arg-type]
            body = await response.read()
    except (aiohttp.ClientError, TimeoutError) as error:
        stats.record(op, started, f"{type(error).__name__}: {error}")
        return None
    if response.status >= 400:
        stats.record(op, started, f"{response.status} {body[:160].decode(errors='replace')}")
        return None
    stats.record(op, started)
    return json.loads(body)


async def sign_in(http: aiohttp.ClientSession, username: str, device: str) -> dict[str, str]:
    for attempt in range(5):
        async with http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD, "device_id": device}) as answer:
            body = await answer.text()
            if answer.status == 200:
                return {"Authorization": f"Bearer {json.loads(body)['token']}", "X-Device-Id": device}
        await asyncio.sleep(1 + attempt)
    raise RuntimeError(f"sign-in of {username} failed: {answer.status} {body}")


async def listen(stats: Stats, http: aiohttp.ClientSession, headers: dict[str, str], stop: asyncio.Event,
                 subscribed: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            async with http.ws_connect("/api/v1/sync/ws", headers={"Authorization": headers["Authorization"]},
                                       heartbeat=20, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws:
                stats.sockets += 1
                await ws.send_str(json.dumps({"type": "subscribe", "scopes": ["wh:WH"]}))
                subscribed.set()
                while not stop.is_set():
                    try:
                        message = await ws.receive(timeout=1)
                    except TimeoutError:
                        continue
                    if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        raise ConnectionError(f"socket closed: {message.type.name} {message.data} {message.extra}")
                    stats.messages += 1
        except Exception as error:  # noqa: BLE001 - counted, and the device connects again
            if not stop.is_set():
                stats.errors["websocket"] += 1
                stats.examples.setdefault("websocket", f"{type(error).__name__}: {error}")
                await asyncio.sleep(1)


async def handheld(n: int, stats: Stats, http: aiohttp.ClientSession, barcodes: list[str], start: Start, stop: asyncio.Event) -> None:
    rng = random.Random(n)
    device = f"bench-{n:03d}-{uuid.uuid4().hex[:6]}"
    headers = await sign_in(http, f"hand{n % HANDHELD_USERS:02d}", device)
    subscribed = asyncio.Event()
    listener = asyncio.create_task(listen(stats, http, headers, stop, subscribed))
    await subscribed.wait()
    await start.ready_and_wait()
    client_id, seq, cursor = f"load-{device}", 0, None
    await asyncio.sleep(rng.uniform(0, 2))
    while not stop.is_set():
        roll = rng.random()
        sku, bin_ = f"SKU-{rng.randrange(ITEMS):05d}", f"BIN-{rng.randrange(1, BINS):03d}"
        if roll < 0.5:
            await call(stats, "scan", http, "GET", f"/api/v1/scan/{rng.choice(barcodes)}", headers=headers)
        elif roll < 0.7:
            await call(stats, "move", http, "POST", "/api/v1/stock/moves", headers=headers,
                       json={"sku": sku, "qty": "1", "from": "BIN-000", "to": bin_})
        elif roll < 0.85:
            ops = []
            for _ in range(rng.randint(1, 3)):
                seq += 1
                ops.append({"op_id": str(uuid.uuid4()), "seq": seq, "type": "stock.move", "device_time": dt.datetime.now(dt.UTC).isoformat(),
                            "payload": {"sku": f"SKU-{rng.randrange(ITEMS):05d}", "qty": "1", "from": "BIN-000", "to": bin_}})
            answer = await call(stats, "sync push", http, "POST", "/api/v1/sync/push", headers=headers,
                                json={"client_id": client_id, "device_time": dt.datetime.now(dt.UTC).isoformat(), "schema_version": 1, "ops": ops})
            if answer is not None:
                bad = [r for r in answer["results"] if r["status"] not in ("applied", "applied_with_exception")]
                if bad:
                    stats.errors["sync push"] += 1
                    stats.examples.setdefault("sync push", json.dumps(bad[0])[:200])
        else:
            answer = await call(stats, "sync pull", http, "GET", "/api/v1/sync/pull", headers=headers,
                                params={"scope": "wh:WH", "limit": 200, **({"cursor": cursor} if cursor else {})})
            if answer is not None:
                cursor = answer["cursor"]
        try:
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(1, 3))
        except TimeoutError:
            pass
    await listener


async def office(n: int, stats: Stats, http: aiohttp.ClientSession, start: Start, stop: asyncio.Event) -> None:
    rng = random.Random(1000 + n)
    headers = await sign_in(http, f"desk{n % 20:02d}", f"desk-{n:02d}")
    await start.ready_and_wait()
    await asyncio.sleep(rng.uniform(0, 3))
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.3:
            await call(stats, "office: orders", http, "GET", "/api/v1/purchase-orders", headers=headers, params={"limit": 50})
        elif roll < 0.6:
            await call(stats, "office: item search", http, "GET", "/api/v1/items", headers=headers,
                       params={"search": f"{rng.randrange(CATALOG)}", "limit": 50})
        elif roll < 0.85:
            await call(stats, "office: balances", http, "GET", "/api/v1/stock/balances", headers=headers,
                       params={"sku": f"SKU-{rng.randrange(ITEMS):05d}"})
        else:
            await call(stats, "office: report", http, "GET", "/api/v1/reports/stock_balance", headers=headers, params={"warehouse": "WH"})
        try:
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(3, 6))
        except TimeoutError:
            pass


async def drive(bases: list[str], barcodes: list[str], handhelds: int, desks: int, duration: float) -> tuple[Stats, float]:
    stats = Stats()
    stop = asyncio.Event()
    # One connection pool per server, as many connections as users (a phone keeps its own connection alive).
    clients = [aiohttp.ClientSession(base_url=base, timeout=aiohttp.ClientTimeout(total=60),
                                     connector=aiohttp.TCPConnector(limit=handhelds + desks, keepalive_timeout=4))
               for base in bases]
    start = Start(handhelds + desks)
    try:
        tasks = [asyncio.create_task(handheld(n, stats, clients[n % len(bases)], barcodes, start, stop))
                 for n in range(handhelds)]
        tasks += [asyncio.create_task(office(n, stats, clients[n % len(bases)], start, stop)) for n in range(desks)]
        signing_in = time.perf_counter()
        # Everyone signs in (argon2, deliberately slow) and subscribes first; the morning sign-in is not the load measured.
        await asyncio.wait_for(start.everyone.wait(), timeout=300)
        print(f"  {handhelds + desks} users signed in and {stats.sockets} websockets subscribed in {time.perf_counter() - signing_in:.1f} s")
        stats.errors.clear()
        started = time.perf_counter()
        start.go.set()
        await asyncio.sleep(duration)
        stop.set()
        elapsed = time.perf_counter() - started
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=120)
        for task in tasks:
            if task.exception() is not None:
                stats.errors["client"] += 1
                stats.examples.setdefault("client", repr(task.exception()))
        return stats, elapsed
    finally:
        for client in clients:
            await client.close()


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found.extend(int(c) for c in children)
        todo.extend(int(c) for c in children)
    return found


def cpu_seconds(servers: list[ServedProcess]) -> dict[str, float]:
    """CPU time (user + system) so far of the server processes and, apart, of their report worker processes (spawned
    interpreters running multiprocessing's spawn_main)."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {"server": 0.0, "reports": 0.0}
    for server in servers:
        assert server.process is not None
        for pid in [server.process.pid, *_descendants(server.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            kind = "reports" if b"spawn_main" in command else "server"
            totals[kind] += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return totals


def quantile(samples: list[float], q: float) -> float:
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def report(name: str, stats: Stats, elapsed: float) -> None:
    total = sum(len(v) for v in stats.latency.values())
    print(f"  {total:,} requests in {elapsed:.0f} s = {total / elapsed:.1f} req/s; websocket messages received {stats.messages:,}")
    print(f"  {'operation':<22}{'count':>8}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for op in sorted(stats.latency):
        samples = stats.latency[op]
        print(f"  {op:<22}{len(samples):>8}{len(samples) / elapsed:>8.1f}{quantile(samples, 50):>9.1f}{quantile(samples, 95):>9.1f}"
              f"{quantile(samples, 99):>9.1f}{stats.errors[op]:>8}")
    errors = sum(stats.errors.values())
    print(f"  errors: {errors}" + "".join(f"\n    {op}: {stats.examples[op]}" for op in stats.examples))
    scan95, move95 = quantile(stats.latency["scan"], 95), quantile(stats.latency["move"], 95)
    print(f"  goals: 0 errors ({'met' if errors == 0 else 'NOT met'}), scan p95 {scan95:.0f} ms < 100 ({'met' if scan95 < 100 else 'NOT met'}), "
          f"move p95 {move95:.0f} ms < 250 ({'met' if move95 < 250 else 'NOT met'})")


def run(setup: str, tmp: Path, args: argparse.Namespace) -> None:
    backend = "postgresql" if setup == "postgresql" else "sqlite"
    processes = args.processes if backend == "postgresql" else 1
    print(f"== {setup}: {processes} server process{'es' if processes > 1 else ''}"
          f"{' + Redis' if backend == 'postgresql' else ''}, {args.handhelds} handhelds, {args.office} office users, {args.duration:.0f} s ==")
    db = fresh(backend, tmp, "load")
    try:
        barcodes = prepare_company(db)
        url = db.engine.url.render_as_string(hide_password=False)
    finally:
        db.dispose()
    prefix = f"cangku-load-{uuid.uuid4().hex[:8]}" if backend == "postgresql" else None
    servers = [served(url, tmp, prefix) for _ in range(processes)]
    try:
        for server in servers:
            server.wait_healthy()
        before = cpu_seconds(servers)
        stats, elapsed = uvloop.run(drive([s.url for s in servers], barcodes, args.handhelds, args.office, args.duration))
        after = cpu_seconds(servers)
    finally:
        for server in servers:
            server.stop()
    report(setup, stats, elapsed)
    used = {kind: after[kind] - before[kind] for kind in after}
    total = sum(used.values()) or 1.0
    print(f"  CPU: server processes (scans, moves, sync, office lists) {used['server']:.1f} s = {100 * used['server'] / total:.0f} %, "
          f"report processes {used['reports']:.1f} s = {100 * used['reports'] / total:.0f} % (of the servers' CPU in the run, "
          "sign-in included)")
    started = time.perf_counter()
    check = subprocess.run([sys.executable, "-m", "server.cli", "check", "--database-url", url], cwd=ROOT, capture_output=True, text=True)
    print(f"  cangku check: {'passed' if check.returncode == 0 else 'FAILED'} in {time.perf_counter() - started:.1f} s")
    if check.returncode != 0:
        print(check.stdout[-2000:], check.stderr[-2000:])
    print("  " + (check.stdout.strip().splitlines() or [""])[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=300, help="seconds of load per setup")
    parser.add_argument("--handhelds", type=int, default=200)
    parser.add_argument("--office", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2, help="server processes on PostgreSQL")
    parser.add_argument("--setups", default="postgresql,sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for setup in args.setups.split(","):
            run(setup, Path(tmp), args)


if __name__ == "__main__":
    main()
