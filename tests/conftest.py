"""Fixtures for every tier: a fresh database on SQLite and on PostgreSQL, the app, signed-in clients, a small warehouse.

Database tests run twice, once per backend. PostgreSQL is the server at
CANGKU_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); each xdist worker
gets its own schema there. When it is unreachable the PostgreSQL half is skipped, except
under CI=true, where that is a failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os

# Cheaper Argon2id parameters keep sign-in fast in tests; the algorithm and code path are the production ones.
os.environ.setdefault("CANGKU_ARGON2_TIME_COST", "1")
os.environ.setdefault("CANGKU_ARGON2_MEMORY_KIB", "1024")
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from server.app import create_app
from server.auth.permissions import SYSTEM
from server.base import Base
from server.catalog.schemas import BarcodeIn, ItemCreate, LotCreate
from server.catalog.services import create_item, create_lot
from server.db import Database
from server.locations.schemas import LocationCreate
from server.locations.services import create_location
from server.migrate import ensure_fixed_data, prepare
from server.settings import Settings
from server.wiring import open_database
from tests.helpers import PEN_CARTON, PEN_EACH, add_user, sign_in

POSTGRES_URL = os.environ.get("CANGKU_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", "postgresql"]


def postgres_reachable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; the reason is reported
        return str(exc)


REDIS_URL = os.environ.get("CANGKU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    """Like PostgreSQL: the Redis half is skipped on a machine without Redis, and fails under CI=true."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; the reason is reported
        unavailable(f"Redis at {REDIS_URL} is not reachable: {exc}")


AMQP_URL = os.environ.get("CANGKU_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def require_rabbitmq() -> None:
    """Like PostgreSQL: the broker tests are skipped on a machine without RabbitMQ, and fail under CI=true (the test
    command starts Debian's rabbitmq-server)."""
    import asyncio

    import aio_pika

    async def connect() -> None:
        connection = await aio_pika.connect(AMQP_URL, timeout=5)
        await connection.close()

    try:
        asyncio.run(connect())
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; the reason is reported
        unavailable(f"RabbitMQ at {AMQP_URL} is not reachable: {exc}")


def require_postgres() -> None:
    problem = postgres_reachable()
    if problem is None:
        return
    unavailable(f"PostgreSQL at {POSTGRES_URL} is not reachable: {problem}")


def unavailable(message: str) -> None:
    """A service the tests need is missing: a failure under CI=true (where the project's own files install or start
    everything), a skip on a developer's machine that lacks it."""
    if IN_CI:
        pytest.fail(message + " (CI=true: it is required)")
    pytest.skip(message)


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "6m") -> Iterator[Path]:
    """A tmpfs of `size` mounted at `folder` (made if missing) while the block runs: a disk that can be filled."""
    folder.mkdir(exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True).returncode != 0:
        unavailable("mounting a small tmpfs needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill_disk(path: Path) -> None:
    """Write `path` until the disk it is on has no free block left."""
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass


@contextlib.contextmanager
def postgres_database(purpose: str) -> Iterator[str]:
    """A PostgreSQL database of its own (a backup holds a whole database), dropped afterwards."""
    require_postgres()
    name = f"cangku_{purpose}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Clock:
    """The clock sign-in reads (throttle waits, TOTP time steps), moved by hand; it starts a few seconds into a time step."""

    def __init__(self) -> None:
        step = int(dt.datetime.now(dt.UTC).timestamp()) // 30
        self.now = dt.datetime.fromtimestamp(step * 30 + 5, dt.UTC)  # a few seconds into a time step

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:  # type: ignore[no-untyped-def]
    clock = Clock()
    monkeypatch.setattr("server.auth.services.utcnow", clock)
    return clock


def worker_name(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


# Fresh databases ---------------------------------------------------------------------------------


# Tables with an integer id of their own (a sequence behind it).
ID_TABLES = [t.name for t in Base.metadata.sorted_tables if "id" in t.c and t.c.id.primary_key and t.c.id.autoincrement in (True, "auto")]


class Backends:
    """Makes fresh, migrated databases quickly: SQLite by copying a migrated template file,
    PostgreSQL by emptying one migrated schema per worker."""

    def __init__(self, tmp: Path, worker: str) -> None:
        self.tmp = tmp
        self.worker = worker
        self._sqlite_template: Path | None = None
        self._pg: Database | None = None
        self._count = 0

    def sqlite_template(self) -> Path:
        if self._sqlite_template is None:
            path = self.tmp / "template.db"
            db = open_database(f"sqlite:///{path}")
            prepare(db)
            db.dispose()
            with sqlite3.connect(path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._sqlite_template = path
        return self._sqlite_template

    def fresh_sqlite(self) -> Database:
        self._count += 1
        path = self.tmp / f"db{self._count}.db"
        shutil.copy(self.sqlite_template(), path)
        return open_database(f"sqlite:///{path}")

    @property
    def pg_schema(self) -> str:
        # The process id keeps test runs that share the server (two checkouts, two terminals) out of each other's way.
        return f"cangku_{self.worker}_{os.getpid()}".lower()

    def pg_url(self, schema: str | None = None) -> str:
        return f"{POSTGRES_URL}?options=-csearch_path%3D{schema or self.pg_schema}"

    def fresh_postgres(self) -> Database:
        require_postgres()
        if self._pg is None:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.pg_schema} CASCADE")
                conn.execute(f"CREATE SCHEMA {self.pg_schema}")
            self._pg = open_database(self.pg_url())
            prepare(self._pg)
        else:
            with self._pg.engine.begin() as conn:
                # Only the tables the last test wrote to are emptied, row by row with triggers (foreign keys, the audit
                # tables' append-only guards) off for the transaction: truncating every table takes seconds; this, for a
                # test's few rows, milliseconds. Then every table's id sequence starts again, written to or not.
                probe = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {t.name})" for t in Base.metadata.sorted_tables)
                written = [row[0] for row in conn.execute(text(probe))]
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for table in written:
                    conn.execute(text(f"DELETE FROM {table}"))
                conn.execute(text(
                    "SELECT setval(pg_get_serial_sequence(t, 'id'), 1, false) FROM unnest(CAST(:tables AS text[])) AS t"
                    " WHERE pg_get_serial_sequence(t, 'id') IS NOT NULL"
                ), {"tables": ID_TABLES})
            with self._pg.write() as session:
                ensure_fixed_data(session)
        return self._pg

    @contextlib.contextmanager
    def scratch(self, backend: str, tmp: Path, name: str) -> Iterator[str]:
        """The URL of an empty database of the backend, dropped afterwards: a file on SQLite, a schema on PostgreSQL."""
        if backend == "sqlite":
            yield f"sqlite:///{tmp / (name + '.db')}"
            return
        require_postgres()
        schema = f"{self.pg_schema}_{name}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            yield self.pg_url(schema)
        finally:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    def fresh(self, backend: str) -> Database:
        return self.fresh_sqlite() if backend == "sqlite" else self.fresh_postgres()

    def close(self) -> None:
        if self._pg is not None:
            self._pg.dispose()
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.pg_schema} CASCADE")


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Backends]:
    factory = Backends(tmp_path_factory.mktemp("databases"), worker_name(request))
    yield factory
    factory.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db(backends: Backends, backend: str) -> Iterator[Database]:
    database = backends.fresh(backend)
    yield database
    if backend == "sqlite":
        database.dispose()


@pytest.fixture(autouse=True)
def audit_anchor_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test's backups, restores and anchor jobs write the audit anchor file in its own folder, and `cangku check`
    reads that one: anchors of one test's database never meet another's (nor land in ./cangku-data)."""
    from server.settings import get_settings

    path = tmp_path / "audit-anchors.log"
    monkeypatch.setenv("CANGKU_AUDIT_ANCHOR_FILE", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=None, login_max_failures=5, login_window_seconds=300)


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


class LiveServer:
    """The app served by uvicorn on a free local port, in a background thread: real sockets, real concurrency."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        import threading

        import uvicorn

        from server.cli import UVICORN_OPTIONS
        from server.testing import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # As `cangku serve` runs it (keep-alive, websocket options), so the browser tests see the production server.
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
                                                    **UVICORN_OPTIONS))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app, client) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    # After the test client (and so stopped before it): the app's shutdown, which the client runs, must not find the
    # live server's websockets still subscribed on the server's own event loop.
    with LiveServer(app) as server:
        yield server


# Users and sign-in -------------------------------------------------------------------------------


@pytest.fixture
def as_role(client: TestClient, db: Database):  # type: ignore[no-untyped-def]
    """`as_role("warehouse")` -> headers of a signed-in user with that role (created on first use)."""
    cache: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}

    def headers(role: str, warehouses: tuple[str, ...] = ()) -> dict[str, str]:
        key = (role, warehouses)
        if key not in cache:
            username = f"{role}{len(cache)}"
            add_user(db, username, [role], list(warehouses))
            cache[key] = sign_in(client, username)
        return cache[key]

    return headers


@pytest.fixture
def admin(as_role) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return as_role("admin")


@pytest.fixture
def worker(as_role, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return as_role("warehouse")


# A small warehouse -------------------------------------------------------------------------------

@pytest.fixture
def world(db: Database) -> Database:
    return build_world(db)


def build_world(db: Database) -> Database:
    """Two warehouses (WH1 with zone Z1 and bins, a quarantine bin; WH2 with one bin) and three items:
    PEN (plain, carton of 12), MILK (lot-tracked, carton of 6), PHONE (serial-numbered)."""
    with db.write() as s:
        for code, kind, parent, quarantine in [
            ("WH1", "warehouse", None, False),
            ("Z1", "zone", "WH1", False),
            ("B1", "bin", "Z1", False),
            ("B2", "bin", "Z1", False),
            ("B3", "bin", "Z1", False),
            ("QC", "bin", "WH1", True),
            ("WH2", "warehouse", None, False),
            ("W2-B1", "bin", "WH2", False),
        ]:
            create_location(s, SYSTEM, LocationCreate(code=code, kind=kind, parent=parent, quarantine=quarantine,  # type: ignore[arg-type]
                                                      name_zh=f"{code} 库位", name_en=f"{code} location"))
        create_item(s, SYSTEM, ItemCreate(sku="PEN", name_zh="中性笔", name_en="Gel pen", unit="pcs", barcodes=[
            BarcodeIn(code=PEN_EACH), BarcodeIn(code=PEN_CARTON, pack="carton", qty=Decimal(12))]))
        create_item(s, SYSTEM, ItemCreate(sku="MILK", name_zh="牛奶", name_en="Milk", unit="box", tracking="lot", shelf_life_days=30,
                                          barcodes=[BarcodeIn(code="6901234000023"), BarcodeIn(code="16901234000020", pack="carton", qty=Decimal(6))]))
        create_item(s, SYSTEM, ItemCreate(sku="PHONE", name_zh="手机", name_en="Phone", tracking="serial"))
        create_item(s, SYSTEM, ItemCreate(sku="RICE", name_zh="大米", name_en="Rice", unit="kg", unit_decimals=3))
        create_lot(s, SYSTEM, LotCreate(sku="MILK", code="L1"))
        create_lot(s, SYSTEM, LotCreate(sku="MILK", code="L2"))
    return db


# A real browser ---------------------------------------------------------------------------------

CHROMIUM = os.environ.get("CANGKU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def playwright_driver():  # type: ignore[no-untyped-def]
    """Playwright, driving Debian's Chromium (one per test module: browsers with their own flags start from it)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        unavailable(f"Chromium not found at {CHROMIUM}; the test command installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_driver):  # type: ignore[no-untyped-def]
    instance = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield instance
    instance.close()
