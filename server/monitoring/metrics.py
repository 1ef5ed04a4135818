"""The Prometheus metrics the server keeps, and their exposition for `/metrics`.

With several worker processes, set PROMETHEUS_MULTIPROC_DIR (an empty directory, emptied again before
each start) in the environment of all of them: prometheus_client then keeps each process's values in
files there, and `/metrics`, whichever worker answers it, adds them up. Without it the values live in
this process's default registry, with the process and Python collectors beside them.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

from server.settings import Settings

HTTP_REQUESTS = Histogram(
    "cangku_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template (not the raw path), method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
MOVES_POSTED = Counter("cangku_moves_posted", "Stock moves committed to the ledger (rolled-back moves are not counted).")
SYNC_OPS = Counter(
    "cangku_sync_ops",
    "Operations answered by sync pushes, by result: applied, applied_with_exception, rejected, conflict "
    "(a repeated operation is answered, and counted, again with its stored result).",
    ["status"],
)
SYNC_PULL_LAG = Histogram(
    "cangku_sync_pull_lag_versions",
    "How far behind the change feed's head a pull's cursor was, in feed versions (committed transactions that changed "
    "synced data, server-wide): 0 to a few for devices that pull on every poke; a long tail means devices that were "
    "offline or missed pokes.",
    buckets=(0, 1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000, 25000),
)
WEBSOCKETS = Gauge(
    "cangku_websocket_connections",
    "Open websocket connections, by route.",
    ["route"],
    multiprocess_mode="livesum",
)
OUTBOX_DELIVERIES = Counter(
    "cangku_outbox_deliveries",
    "Attempts to deliver an event, by sink (webhook, amqp) and outcome: delivered, failed (retried later) or dead (given up "
    "until an administrator replays it). A rising failed or dead count means a receiver is down.",
    ["sink", "outcome"],
)
JOB_RUNS = Counter("cangku_job_runs", "Runs of scheduled or manual jobs, by job and outcome (succeeded, failed).", ["job", "status"])

MOVE_POSTED = object()
"""What `post_move` queues with `publish_after_commit`: one per move, delivered only if its transaction commits."""


def count_committed(events: list[Any]) -> None:
    """A database commit listener: counts the moves a committed transaction posted."""
    moves = sum(1 for event in events if event is MOVE_POSTED)
    if moves:
        MOVES_POSTED.inc(moves)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def exposition(settings: Settings) -> bytes:
    """The metrics in Prometheus' text format: this process's, or every worker's in multiprocess mode."""
    if settings.metrics_multiprocess_dir is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    # prometheus_client ships py.typed but leaves its multiprocess functions unannotated.
    multiprocess.MultiProcessCollector(registry, path=str(settings.metrics_multiprocess_dir))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def process_ended(settings: Settings) -> None:
    """In multiprocess mode, a stopping worker's live gauges (its open websockets) stop counting."""
    if settings.metrics_multiprocess_dir is not None:
        # prometheus_client ships py.typed but leaves its multiprocess functions unannotated.
        multiprocess.mark_process_dead(os.getpid(), path=str(settings.metrics_multiprocess_dir))  # type: ignore[no-untyped-call]


def prepare_multiprocess_dir(directory: Path) -> None:
    """Empty the metrics directory before the workers start: files of earlier runs would be added to this one's."""
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("*.db"):
        leftover.unlink()


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in allowed)


FORWARDED_HEADERS = (b"x-forwarded-for", b"x-real-ip", b"forwarded")


def may_scrape(settings: Settings, client_host: str | None, headers: Iterable[tuple[bytes, bytes]], bearer: str | None) -> bool:
    """A scrape with the configured token, or from an allowed network. A request a proxy forwarded (it says whom for) is
    not taken for local: behind a reverse proxy on the same machine every visitor would seem to come from 127.0.0.1."""
    if settings.metrics_token and bearer is not None:
        import hmac

        return hmac.compare_digest(bearer.encode(), settings.metrics_token.encode())
    if any(name in FORWARDED_HEADERS for name, _ in headers):
        return False
    try:
        address = ipaddress.ip_address(client_host or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
    return any(address in network for network in _networks(settings.metrics_allow))
