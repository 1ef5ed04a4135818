"""Outbox benchmark: what writing events costs each stock move, and how fast the dispatcher delivers them.

    python bench/outbox.py [--backend sqlite|postgresql|both] [--moves 2000] [--rounds 5] [--events 5000] [--amqp URL]

Per backend (SQLite in a temporary file, PostgreSQL in a scratch schema dropped afterwards):

- Cost per move: stock moves (a receipt of one item into a bin, each its own transaction, as a scanner posts them; 50
  items in turn), posted in blocks of 50 through a database whose writes run the outbox's commit step and through one
  whose writes do not, on the same data, alternately, --rounds × --moves moves each. Prints the median milliseconds per
  move of each, and the added cost of the outbox (goal: at most 10 %).
- Dispatch: --events stock moved events (50 items, so 50 aggregates), delivered by the dispatcher to a local webhook
  receiver (aiohttp, in a process of its own, answering 200), signed, each in its own request; the seconds from the
  dispatcher's start until every delivery is recorded delivered, and events per second. With --amqp, the same to
  RabbitMQ, each message confirmed by the broker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from server.auth.permissions import SYSTEM  # noqa: E402
from server.catalog.schemas import ItemCreate  # noqa: E402
from server.catalog.services import create_item  # noqa: E402
from server.db import Database  # noqa: E402
from server.inventory.services import move  # noqa: E402
from server.locations.schemas import LocationCreate  # noqa: E402
from server.locations.services import create_location  # noqa: E402
from server.migrate import prepare  # noqa: E402
from server.outbox import webhooks  # noqa: E402
from server.outbox.dispatcher import Dispatcher, release_lease  # noqa: E402
from server.outbox.models import Delivery, OutboxEvent, Webhook  # noqa: E402
from server.outbox.schemas import WebhookCreate  # noqa: E402
from server.printing.services import address_policy  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.testing import free_port  # noqa: E402
from server.wiring import COMMIT_STEPS, open_database  # noqa: E402

PG = os.environ.get("CANGKU_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SCHEMA = "cangku_bench_outbox"
ITEMS = 50
BLOCK = 50  # moves per timed block
RECEIVER = """
import sys
from aiohttp import web

async def hook(request):
    await request.read()
    return web.Response(status=200)

app = web.Application()
app.router.add_post("/hook", hook)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def url_of(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'outbox.db'}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
    return f"{PG}?options=-csearch_path%3D{SCHEMA}"


def drop(backend: str) -> None:
    if backend == "postgresql":
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def set_up(db: Database) -> list[str]:
    skus = [f"OB{i:03d}" for i in range(ITEMS)]
    with db.write() as s:
        create_location(s, SYSTEM, LocationCreate(code="WH", kind="warehouse", name_en="Warehouse"))
        create_location(s, SYSTEM, LocationCreate(code="BIN", kind="bin", parent="WH", name_en="Bin"))
        for sku in skus:
            create_item(s, SYSTEM, ItemCreate(sku=sku, name_en=sku))
    return skus


def post_moves(db: Database, skus: list[str], count: int) -> float:
    """Seconds per move, posting `count` receipts one transaction each."""
    start = time.perf_counter()
    for i in range(count):
        sku = skus[i % len(skus)]
        db.run_write(lambda s, sku=sku: move(s, SYSTEM, sku=sku, qty=Decimal(1), source="SUPPLIER", target="BIN", unit_cost=Decimal("2.5")))
    return (time.perf_counter() - start) / count


def cost_per_move(url: str, skus: list[str], moves: int, rounds: int) -> None:
    """Blocks of BLOCK moves, alternately with and without the outbox, so both see the same machine and the same database
    size; the median block of each."""
    with_outbox = Database(url, commit_steps=COMMIT_STEPS)
    without = Database(url, commit_steps=[step for step in COMMIT_STEPS if step.name != "outbox"])
    try:
        post_moves(with_outbox, skus, BLOCK)  # warm both: caches, statements, the file
        post_moves(without, skus, BLOCK)
        timings: dict[str, list[float]] = {"with": [], "without": []}
        for block in range(max(1, rounds * moves // BLOCK)):
            order = [("with", with_outbox), ("without", without)]
            for name, db in order if block % 2 == 0 else order[::-1]:
                timings[name].append(post_moves(db, skus, BLOCK))
        a, b = statistics.median(timings["with"]), statistics.median(timings["without"])
        print(f"cost per move: with the outbox {a * 1000:.3f} ms, without {b * 1000:.3f} ms (medians of {len(timings['with'])} "
              f"alternating blocks of {BLOCK} moves each): {(a / b - 1) * 100:+.1f} %", flush=True)
    finally:
        with_outbox.dispose()
        without.dispose()


async def deliver_all(db: Database, settings: Settings, expected: int) -> float:
    dispatcher = Dispatcher(db, settings)
    start = time.perf_counter()
    try:
        while True:
            busy = await dispatcher.round()
            if not busy:
                with db.read() as s:
                    done = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "delivered")) or 0
                if done >= expected:
                    break
                await asyncio.sleep(0.01)
    finally:
        await dispatcher.webhooks.close()
        if dispatcher.broker is not None:
            await dispatcher.broker.close()
        release_lease(db, dispatcher.holder)
    return time.perf_counter() - start


def dispatch(url: str, tmp: Path, skus: list[str], events: int, amqp: str | None) -> None:
    db = open_database(url)
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    try:
        time.sleep(1.0)
        settings = Settings(data_dir=tmp, database_url=url, allow_local_printers=True, dispatcher_concurrency=16)
        with db.write() as s:
            s.query(Delivery).delete()
            s.query(OutboxEvent).update({"fanned_out": True})  # what the cost measurement wrote is not delivered
        db.run_write(lambda s: webhooks.create_webhook(s, SYSTEM.granted("integrations.manage"),
                                                       WebhookCreate(url=f"http://127.0.0.1:{port}/hook", event_types=["stock.moved"]),
                                                       address_policy(settings)))
        post_moves(db, skus, events)
        seconds = asyncio.run(deliver_all(db, settings, events))
        print(f"dispatch to a webhook: {events:,} events in {seconds:.2f} s, {events / seconds:,.0f} events/s "
              f"({ITEMS} aggregates, concurrency {settings.dispatcher_concurrency})", flush=True)
        if amqp:
            broker = Settings(**{**settings.__dict__, "amqp_url": amqp, "amqp_exchange": "cangku.bench"})
            with db.write() as s:
                s.query(Delivery).delete()
                s.query(OutboxEvent).update({"fanned_out": False})
                s.query(Webhook).update({"active": False})
            total = db.run_write(lambda s: s.scalar(select(func.count()).select_from(OutboxEvent)) or 0)
            seconds = asyncio.run(deliver_all(db, broker, total))
            print(f"dispatch to RabbitMQ: {total:,} events in {seconds:.2f} s, {total / seconds:,.0f} events/s (confirmed one by one)",
                  flush=True)
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--moves", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--amqp", default=None, help="e.g. amqp://guest:guest@127.0.0.1:5672/")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
            print(f"== {backend} ==", flush=True)
            url = url_of(backend, Path(tmpdir))
            try:
                db = open_database(url)
                prepare(db)
                skus = set_up(db)
                db.dispose()
                if args.moves:
                    cost_per_move(url, skus, args.moves, args.rounds)
                if args.events:
                    dispatch(url, Path(tmpdir), skus, args.events, args.amqp)
            finally:
                drop(backend)


if __name__ == "__main__":
    main()
