"""Purchase plan benchmark: the forecasts of a warehouse of a few hundred items, and the whole plan.

    python bench/purchase_plan.py [--items 300] [--weeks 104] [--rounds 3]

Builds, in a temporary SQLite database, a warehouse of --items items each sold every week for --weeks weeks (a mix of
histories: a fifth trending, a fifth seasonal, a fifth flat and noisy, a fifth sold only the last six weeks, a fifth
sold now and then), then prints the median over the rounds of:

- forecast: `purchasing.forecast.forecast` of every item's weekly history (the models fitted, the holdout scored), in
  seconds and milliseconds per item, with how many items each method took;
- plan: `purchasing.plans.compute_plan` for the warehouse (reading the history, stock, orders and lead times, and every
  forecast) and `create_plan` saving it, in seconds.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import math
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("CANGKU_ARGON2_TIME_COST", "1")

from sqlalchemy import update  # noqa: E402

from server.auth.permissions import SYSTEM  # noqa: E402
from server.catalog.schemas import ItemCreate  # noqa: E402
from server.catalog.services import create_item  # noqa: E402
from server.dates import company_zone, local_today  # noqa: E402
from server.inventory.models import Move  # noqa: E402
from server.inventory.services import move  # noqa: E402
from server.locations.schemas import LocationCreate  # noqa: E402
from server.locations.services import create_location  # noqa: E402
from server.migrate import prepare  # noqa: E402
from server.purchasing.forecast import forecast, period_start  # noqa: E402
from server.purchasing.plans import compute_plan, create_plan, history_window  # noqa: E402
from server.wiring import open_database  # noqa: E402


def weekly(kind: int, weeks: int, rng: random.Random) -> list[int]:
    """One item's sales per week, oldest first."""
    out = []
    for week in range(weeks):
        noise = rng.gauss(0, 4)
        if kind == 0:
            value = 20 + 0.4 * week + noise
        elif kind == 1:
            value = 40 + 25 * math.sin(2 * math.pi * week / 52) + noise
        elif kind == 2:
            value = 30 + 2 * noise
        elif kind == 3:
            value = 25 + noise if week >= weeks - 6 else 0
        else:
            value = rng.choice((0, 0, 0, 12))
        out.append(max(0, round(value)))
    return out


def build(path: Path, items: int, weeks: int) -> tuple[object, dict[str, list[int]]]:
    db = open_database(f"sqlite:///{path}")
    prepare(db)
    rng = random.Random(7)
    sales: dict[str, list[int]] = {}
    this_week = period_start(local_today(), "week")
    with db.write() as session:
        for code, kind, parent in (("WH1", "warehouse", None), ("B1", "bin", "WH1")):
            create_location(session, SYSTEM, LocationCreate(code=code, kind=kind, parent=parent))  # type: ignore[arg-type]
        for n in range(items):
            create_item(session, SYSTEM, ItemCreate(sku=f"SKU{n:04d}"))
    for n in range(items):
        sku = f"SKU{n:04d}"
        history = weekly(n % 5, weeks, rng)
        sales[sku] = history
        with db.write() as session:
            move(session, SYSTEM, sku=sku, qty=Decimal(sum(history) + 100), source="SUPPLIER", target="B1", unit_cost=Decimal(1))
            for week, qty in enumerate(history):
                if qty:
                    posted = move(session, SYSTEM, sku=sku, qty=Decimal(qty), source="B1", target="CUSTOMER")
                    day = this_week - dt.timedelta(weeks=weeks - week) + dt.timedelta(days=2)
                    at = dt.datetime.combine(day, dt.time(12), company_zone()).astimezone(dt.UTC)
                    session.execute(update(Move).where(Move.id == posted.id).values(created_at=at))
    return db, sales


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        db, sales = build(Path(folder) / "bench.db", args.items, args.weeks)
        print(f"built {args.items} items × {args.weeks} weeks in {time.perf_counter() - started:.1f} s")
        window = len(history_window(local_today(), "week")) - 1
        histories = {sku: [Decimal(q) for q in ([0] * max(0, window - len(h)) + h)[-window:]] for sku, h in sales.items()}
        forecast(histories["SKU0000"], "week", 6)  # statsmodels imported before the clock starts
        fits, plans = [], []
        methods: collections.Counter[str] = collections.Counter()
        for _ in range(args.rounds):
            started = time.perf_counter()
            methods = collections.Counter(forecast(h, "week", 6).labelled for h in histories.values())
            fits.append(time.perf_counter() - started)
            started = time.perf_counter()
            with db.read() as session:  # type: ignore[attr-defined]
                draft = compute_plan(session, SYSTEM, warehouse="WH1")
            with db.write() as session:  # type: ignore[attr-defined]
                plan = create_plan(session, SYSTEM, draft)
                lines = len(plan.lines)
            plans.append(time.perf_counter() - started)
        fit = statistics.median(fits)
        print(f"forecast: {fit:.2f} s for {len(histories)} items, {fit / len(histories) * 1000:.1f} ms an item; methods {dict(methods)}")
        print(f"plan: {statistics.median(plans):.2f} s for {lines} lines (computed and saved)")
        db.dispose()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
