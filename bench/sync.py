"""Sync benchmark: pushing operations vs posting the same moves directly, and pull latency as the feed grows.

    python bench/sync.py [--ops 10000] [--rounds 2] [--big 1000000] [--backends sqlite,postgresql]

Prints, per backend, in one run:
  - ops/s for `stock.move` operations pushed through the sync layer (`sync.push.push`, 500 ops a request,
    each op its own transaction with its op-log row and result) and moves/s for the same kind of moves
    posted directly through the service layer (one transaction each), in alternating rounds; the ratio;
  - pull latency (p50/p95) for a page of 100 changes of one warehouse, with 10k and with 1M changes
    (and moves) in the database: the cost should follow the answer, not the size of the database;
  - the bootstrap of a 100k-item catalog (with a barcode each) over HTTP from a running server:
    seconds, and bytes on the wire (gzip);
  - websocket fan-out: one move, N connected clients (default 500) subscribed to the item, p50/p95
    from posting the move to each client receiving its stock message.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger import BINS, ITEMS, bulk_insert, finish_bulk, fresh, grow_ledger, plan, setup_catalog, via_service  # noqa: E402
from server.auth.permissions import SYSTEM  # noqa: E402
from server.auth.services import actor_for, create_user  # noqa: E402
from server.db import Database  # noqa: E402
from server.testing import ServedProcess  # noqa: E402
from sync.feed import Cursor, changes_after  # noqa: E402
from sync.messages import Op, PushRequest  # noqa: E402
from sync.push import push  # noqa: E402

BATCH = 500


def pusher(db: Database):  # type: ignore[no-untyped-def]
    with db.write() as s:
        user = create_user(s, SYSTEM, username=f"scanner{uuid.uuid4().hex[:6]}", password="bench password 1", roles=["warehouse"])
        return actor_for(user)


def via_push(db: Database, actor, steps, client_id: str, first_seq: int) -> float:  # type: ignore[no-untyped-def]
    ops = [
        Op(op_id=str(uuid.uuid4()), seq=first_seq + n, type="stock.move",
           payload={"sku": sku, "qty": "1", "from": source, "to": target, **({"unit_cost": str(cost)} if cost is not None else {})})
        for n, (sku, source, target, cost) in enumerate(steps)
    ]
    start = time.perf_counter()
    for i in range(0, len(ops), BATCH):
        answer = push(db, actor, PushRequest(client_id=client_id, device_time=dt.datetime.now(dt.UTC), schema_version=1, ops=ops[i : i + BATCH]))
        bad = [r for r in answer.results if r.status != "applied"]
        if bad or len(answer.results) != len(ops[i : i + BATCH]):
            raise RuntimeError(f"push did not apply everything: {bad[:3]}")
    return len(ops) / (time.perf_counter() - start)


def push_vs_direct(backend: str, tmp: Path, total: int, rounds: int) -> None:
    db = fresh(backend, tmp, "sync_push")
    try:
        setup_catalog(db)
        actor = pusher(db)
        per_round = total // rounds
        steps = plan(per_round * rounds * 2)
        pushed, direct, seq = [], [], 1
        for r in range(rounds):
            chunk = steps[2 * r * per_round : (2 * r + 1) * per_round]
            other = steps[(2 * r + 1) * per_round : (2 * r + 2) * per_round]
            if r % 2 == 0:
                direct.append(via_service(db, chunk))
                pushed.append(via_push(db, actor, other, "bench-client-1", seq))
            else:
                pushed.append(via_push(db, actor, chunk, "bench-client-1", seq))
                direct.append(via_service(db, other))
            seq += per_round
        ratios = [p / d for p, d in zip(pushed, direct, strict=True)]
        print(f"pushing {per_round * rounds} stock.move ops ({BATCH} a request) vs posting {per_round * rounds} moves directly, {rounds} alternating rounds:")
        print(f"  direct (service)   {statistics.median(direct):7.0f} moves/s")
        print(f"  pushed (sync)      {statistics.median(pushed):7.0f} ops/s")
        print(f"  ratio push/direct = {statistics.median(ratios):.2f}  (per round: {' '.join(f'{x:.2f}' for x in ratios)}; goal ≥ 0.70)")
    finally:
        db.dispose()


def grow_feed(db: Database, total: int, scope_share: int = 50) -> None:
    """Change rows up to `total`: one in `scope_share` for the measured warehouse, the rest for others, versions increasing."""
    sqlite = db.dialect == "sqlite"
    with db.read() as s:
        from sqlalchemy import text

        have = s.execute(text("SELECT COUNT(*) FROM sync_changes")).scalar_one()
        version = s.execute(text("SELECT version FROM sync_clock WHERE id = 1" if sqlite else "SELECT last_value FROM sync_version")).scalar_one()
    rows = []
    for n in range(total - have):
        version += 1
        scope = "wh:WH" if n % scope_share == 0 else f"wh:OTHER{n % 7}"
        data = json.dumps({"sku": f"SKU-{n % ITEMS:05d}", "location": f"BIN-{n % BINS:03d}", "lot": None, "qty": str(n % 97), "reserved": "0",
                           "available": str(n % 97)})
        rows.append((version, scope, "balance", f"{n % ITEMS}:{n % BINS}:0", data))
    if not rows:
        return
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        bulk_insert(raw, cursor, sqlite, "sync_changes", "version, scope, kind, key, data", rows)
        # The feed's versions go on after these: the clock on SQLite, the sequence on PostgreSQL.
        cursor.execute(f"UPDATE sync_clock SET version = {version} WHERE id = 1" if sqlite else f"SELECT setval('sync_version', {version})")
        finish_bulk(raw, cursor, sqlite)
    finally:
        raw.close()


def pull_latency(db: Database, samples: int) -> list[float]:
    """Time a pull of the last 100 changes of one warehouse (from a cursor just before them)."""
    from sqlalchemy import select

    from sync.models import SyncChange

    with db.read() as s:
        rows = s.execute(
            select(SyncChange.version, SyncChange.id).where(SyncChange.scope == "wh:WH").order_by(SyncChange.version.desc(), SyncChange.id.desc())
            .limit(101)
        ).all()
    start_from = Cursor(rows[-1][0], rows[-1][1])
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        with db.lookup() as s:
            page = changes_after(s, ["wh:WH"], start_from, 100)
        times.append((time.perf_counter() - t) * 1000)
        if len(page.changes) != 100:
            raise RuntimeError(f"expected 100 changes, got {len(page.changes)}")
    return times


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return samples[len(samples) // 2], samples[int(len(samples) * 0.95)]


def pulls(backend: str, tmp: Path, big: int) -> None:
    small_db, big_db = fresh(backend, tmp, "sync_small"), fresh(backend, tmp, "sync_big")
    try:
        for db, size in ((small_db, 10_000), (big_db, big)):
            setup_catalog(db)
            grow_ledger(db, size)
            grow_feed(db, size)
        small, large = [], []
        for _ in range(5):  # interleaved, so both see the same machine
            small += pull_latency(small_db, 200)
            large += pull_latency(big_db, 200)
        (s50, s95), (b50, b95) = percentiles(small), percentiles(large)
        print(f"pull of 100 changes for one warehouse:  10k changes: p50 {s50:.2f} ms  p95 {s95:.2f} ms   "
              f"{big:,} changes: p50 {b50:.2f} ms  p95 {b95:.2f} ms")
        print(f"  ratio p50 big/small = {b50 / s50:.2f}  (goal ≤ 1.5)")
    finally:
        small_db.dispose()
        big_db.dispose()


def served(url: str, port: int) -> ServedProcess:
    """`cangku serve` as its own process on a benchmark database, answering."""
    server = ServedProcess(Path(tempfile.gettempdir()), "--no-scheduler", env={"CANGKU_DATABASE_URL": url}, port=port)
    server.wait_healthy()
    return server


def sign_in(base: str, username: str) -> str:
    import httpx

    return httpx.post(base + "/api/v1/auth/login", json={"username": username, "password": "bench password 1"}).json()["token"]


def grow_catalog(db: Database, items: int) -> None:
    sqlite = db.dialect == "sqlite"
    now = dt.datetime.now(dt.UTC)
    stamp = now.replace(tzinfo=None) if sqlite else now
    rate = 1300 if sqlite else 13
    rows = [(f"CAT-{n:06d}", f"商品 {n} 号", f"Item number {n}", "pcs", 0, "none", rate, True, 1, stamp, stamp) for n in range(items)]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        bulk_insert(raw, cursor, sqlite, "items",
                    "sku, name_zh, name_en, unit, unit_decimals, tracking, vat_rate, active, version, created_at, updated_at", rows)
        finish_bulk(raw, cursor, sqlite)
        cursor = raw.cursor()
        cursor.execute("SELECT id FROM items WHERE sku LIKE 'CAT-%' ORDER BY id")
        ids = [r[0] for r in cursor.fetchall()]
        one = 10_000 if sqlite else 1
        codes = [(item_id, f"69{item_id:011d}", None, "each", one) for item_id in ids]
        bulk_insert(raw, cursor, sqlite, "barcodes", "item_id, code, gtin, pack, qty", codes)
        finish_bulk(raw, cursor, sqlite)
    finally:
        raw.close()


def bootstrap_catalog(backend: str, tmp: Path, items: int, port: int) -> None:
    import httpx

    db = fresh(backend, tmp, "sync_catalog")
    try:
        setup_catalog(db)
        pusher(db)  # a user to sign in as
        grow_catalog(db, items)
        with db.read() as s:
            from sqlalchemy import text

            username = s.execute(text("SELECT username FROM users ORDER BY id DESC LIMIT 1")).scalar_one()
        server = served(str(db.engine.url.render_as_string(hide_password=False)), port)
        try:
            token = sign_in(server.url, username)
            wire, rows, token_page = 0, 0, None
            start = time.perf_counter()
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}, timeout=60) as http:
                while True:
                    params = {"scope": "catalog", "limit": 5000, **({"page_token": token_page} if token_page else {})}
                    with http.stream("GET", "/api/v1/sync/bootstrap", params=params) as response:
                        body = b"".join(response.iter_raw())  # as sent: compressed
                    wire += len(body)
                    page = json.loads(gzip.decompress(body) if response.headers.get("content-encoding") == "gzip" else body)
                    rows += len(page["items"])
                    token_page = page.get("next_page_token")
                    if not token_page:
                        break
            seconds = time.perf_counter() - start
        finally:
            server.stop()
        print(f"bootstrap of a {items:,}-item catalog (items, barcodes, locations, lots): {rows:,} rows, "
              f"{wire / 1e6:.1f} MB on the wire (gzip), {seconds:.1f} s  (goal < 10 s and < 15 MB)")
    finally:
        db.dispose()


def fan_out(backend: str, tmp: Path, clients: int, port: int) -> None:
    import asyncio

    import httpx
    import websockets

    db = fresh(backend, tmp, "sync_fanout")
    try:
        setup_catalog(db)
        actor = pusher(db)
        server = served(str(db.engine.url.render_as_string(hide_password=False)), port)
        try:
            token = sign_in(server.url, actor.username)
            url = server.url.replace("http", "ws") + "/api/v1/sync/ws"

            async def listener(ready: asyncio.Event, counter: list[int], arrived: list[float]) -> None:
                async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=2**20) as ws:
                    await ws.recv()  # ready
                    await ws.send(json.dumps({"type": "subscribe", "scopes": ["wh:WH"], "items": ["SKU-00001"]}))
                    while json.loads(await ws.recv())["type"] != "subscribed":
                        pass
                    counter[0] += 1
                    if counter[0] == clients:
                        ready.set()
                    while True:
                        message = json.loads(await ws.recv())
                        if message["type"] == "stock":
                            arrived.append(time.perf_counter())
                            return

            async def run() -> list[float]:
                ready, counter, arrived = asyncio.Event(), [0], []
                tasks = [asyncio.create_task(listener(ready, counter, arrived)) for _ in range(clients)]
                await asyncio.wait_for(ready.wait(), timeout=120)
                async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
                    sent = time.perf_counter()
                    response = await http.post("/api/v1/stock/moves", json={"sku": "SKU-00001", "qty": "1", "from": "BIN-000", "to": "BIN-001"})
                    response.raise_for_status()
                await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
                return [(t - sent) * 1000 for t in arrived]

            latencies = asyncio.run(run())
        finally:
            server.stop()
        p50, p95 = percentiles(latencies)
        print(f"websocket fan-out: one move to {clients} subscribed clients: p50 {p50:.0f} ms  p95 {p95:.0f} ms  (goal p95 < 250 ms)")
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=10_000, help="operations pushed (and moves posted directly) in all")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--big", type=int, default=1_000_000, help="feed and ledger size for the second pull measurement")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--catalog", type=int, default=100_000, help="items in the bootstrapped catalog")
    parser.add_argument("--clients", type=int, default=500, help="websocket clients for the fan-out")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            print(f"== {backend} ==")
            push_vs_direct(backend, Path(tmp), args.ops, args.rounds)
            pulls(backend, Path(tmp), args.big)
            bootstrap_catalog(backend, Path(tmp), args.catalog, args.port)
            fan_out(backend, Path(tmp), args.clients, args.port)


if __name__ == "__main__":
    main()
