"""Sync benchmark: pushing operations vs posting the same moves directly, and pull latency as the feed grows.

    python bench/sync.py [--ops 10000] [--rounds 2] [--big 1000000] [--backends sqlite,postgresql]

Prints, per backend, in one run:
  - ops/s for `stock.move` operations pushed through the sync layer (`sync.push.push`, 500 ops a request,
    each op its own transaction with its op-log row and result) and moves/s for the same kind of moves
    posted directly through the service layer (one transaction each), in alternating rounds; the ratio;
  - pull latency (p50/p95) for a page of 100 changes of one warehouse, with 10k and with 1M changes
    (and moves) in the database: the cost should follow the answer, not the size of the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
        version = s.execute(text("SELECT version FROM sync_clock WHERE id = 1")).scalar_one()
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
        cursor.execute(f"UPDATE sync_clock SET version = {version} WHERE id = 1")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=10_000, help="operations pushed (and moves posted directly) in all")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--big", type=int, default=1_000_000, help="feed and ledger size for the second pull measurement")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            print(f"== {backend} ==")
            push_vs_direct(backend, Path(tmp), args.ops, args.rounds)
            pulls(backend, Path(tmp), args.big)


if __name__ == "__main__":
    main()
