"""`cangku serve` in production: PostgreSQL is never migrated by a starting server, a schema behind or ahead of the code
is refused with both revisions named, `cangku migrate` upgrades, and N workers share one port with one scheduler."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from server.cli import main
from server.db import Database
from server.migrate import current_revision, head_revision, upgrade
from server.testing import CANGKU, ServedProcess, free_port
from server.wiring import open_database
from tests.conftest import REDIS_URL, require_redis

FUTURE = "9999_from_a_newer_cangku"


def isolated(**extra: str) -> dict[str, str | None]:
    """Environment changes that leave out this machine's own database, data folder and Redis (None removes)."""
    return {"CANGKU_DATABASE_URL": None, "CANGKU_DATA_DIR": None, "CANGKU_REDIS_URL": None, **extra}


def environment(**extra: str) -> dict[str, str]:
    return {k: v for k, v in {**os.environ, **isolated(**extra)}.items() if v is not None}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[..., ServedProcess]]:
    """`cangku serve <args>` in a process of its own, stopped after the test."""
    started: list[ServedProcess] = []

    def serve(*args: str, env: dict[str, str | None] | None = None) -> ServedProcess:
        started.append(ServedProcess(tmp_path, *args, env=env or isolated()))
        return started[-1]

    yield serve
    for server in started:
        server.stop()


def refused(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `cangku serve ...`, which must exit by itself (a server that started would time the test out)."""
    done = subprocess.run([*CANGKU, "serve", "--port", str(free_port()), *args], capture_output=True, text=True, env=env or environment(), timeout=120)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def database(backend, backends, tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """An empty database of the backend (a schema of its own on PostgreSQL), not migrated."""
    with backends.scratch(backend, tmp_path, "serve") as url:
        db = open_database(url)
        yield db
        db.dispose()


def at_revision(db: Database, revision: str | None) -> Database:
    if revision == FUTURE:
        upgrade(db.engine)
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
    elif revision is not None:
        upgrade(db.engine, revision)
    return db


# The schema at start -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("revision", [None, "0001"], ids=["empty", "older"])
def test_serve_refuses_a_postgresql_database_behind_this_version_and_leaves_it_alone(database, revision):
    at_revision(database, revision)
    done = refused("--database-url", database.url)
    assert "cangku migrate" in done.stderr and head_revision() in done.stderr
    assert (revision or "none") in done.stderr and "请先运行" in done.stderr
    assert current_revision(database.engine) == revision  # a starting server never migrates PostgreSQL


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_serve_refuses_a_database_a_newer_cangku_migrated(database):
    at_revision(database, FUTURE)
    done = refused("--database-url", database.url)
    assert FUTURE in done.stderr and head_revision() in done.stderr
    assert "Upgrade Cangku" in done.stderr and "请升级仓库" in done.stderr
    assert current_revision(database.engine) == FUTURE


@pytest.mark.parametrize("backend", ["sqlite"])
def test_serve_without_migrating_refuses_an_older_sqlite_schema(database):
    at_revision(database, "0001")
    done = refused("--database-url", database.url, "--no-migrate")
    assert "0001" in done.stderr and head_revision() in done.stderr and "cangku migrate" in done.stderr
    assert current_revision(database.engine) == "0001"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrate_upgrades_once_and_refuses_a_database_from_a_newer_cangku(database):
    at_revision(database, "0001")
    cli = CliRunner()
    first = cli.invoke(main, ["migrate", "--database-url", database.url])
    assert first.exit_code == 0, first.output
    assert f"from 0001 to {head_revision()}" in first.output
    again = cli.invoke(main, ["migrate", "--database-url", database.url])
    assert again.exit_code == 0 and f"already at {head_revision()}" in again.output
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
    newer = cli.invoke(main, ["migrate", "--database-url", database.url])
    assert newer.exit_code == 1 and FUTURE in newer.output and "Upgrade Cangku" in newer.output
    assert current_revision(database.engine) == FUTURE


@pytest.mark.parametrize("backend", ["postgresql"])
def test_serve_starts_on_a_postgresql_database_at_head(database, served):
    assert CliRunner().invoke(main, ["migrate", "--database-url", database.url]).exit_code == 0
    server = served("--database-url", database.url, "--no-scheduler")
    health = server.wait_healthy()
    assert health.json()["status"] == "ok" and health.json()["database"] == "postgresql"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_serve_with_migrate_upgrades_an_older_postgresql_database_first(database, served):
    at_revision(database, "0001")
    server = served("--database-url", database.url, "--migrate", "--no-scheduler")
    assert server.wait_healthy().json()["database"] == "postgresql"
    assert current_revision(database.engine) == head_revision()


# Workers -------------------------------------------------------------------------------------------


def worker_processes(parent: int) -> list[int]:
    """The processes whose parent is `parent` and that run a worker (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"spawn_main" in command and b"resource_tracker" not in command:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("backend", ["postgresql"])
def test_workers_share_one_port_and_only_one_runs_the_scheduled_jobs(database, served, tmp_path):
    require_redis()
    assert CliRunner().invoke(main, ["migrate", "--database-url", database.url]).exit_code == 0
    env = isolated(CANGKU_REDIS_URL=REDIS_URL, CANGKU_REDIS_PREFIX=f"cangku-test-{uuid.uuid4().hex}")
    server = served("--database-url", database.url, "--workers", "3", "--data-dir", str(tmp_path / "data"), env=env)
    server.wait_healthy(until="3 workers")
    deadline = time.monotonic() + 60
    while len(workers := worker_processes(server.process.pid)) < 3 or server.output.count("Application startup complete") < 3:
        assert time.monotonic() < deadline, server.output
        time.sleep(0.2)
    assert len(workers) == 3
    for _ in range(20):
        assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
    assert server.output.count("scheduled jobs run in this worker") == 1, server.output
    server.stop()
    assert worker_processes(server.process.pid) == []


def test_workers_on_sqlite_start_with_a_warning_that_postgresql_is_recommended(served, tmp_path):
    require_redis()
    env = isolated(CANGKU_REDIS_URL=REDIS_URL, CANGKU_REDIS_PREFIX=f"cangku-test-{uuid.uuid4().hex}")
    server = served("--data-dir", str(tmp_path / "data"), "--workers", "2", "--no-scheduler", env=env)
    assert server.wait_healthy().json()["database"] == "sqlite"
    assert "SQLite" in server.output and "PostgreSQL" in server.output and "单机数据库" in server.output


def test_workers_need_redis_to_share_live_events(tmp_path):
    done = refused("--data-dir", str(tmp_path / "data"), "--workers", "2")
    assert "CANGKU_REDIS_URL" in done.stderr and "Redis" in done.stderr and "需要" in done.stderr
    assert not (tmp_path / "data").exists()  # refused before touching anything


def test_workers_build_the_settings_the_command_resolved(tmp_path, monkeypatch):
    from server.asgi import worker_environment
    from server.settings import Settings, load_settings

    resolved = Settings(data_dir=tmp_path / "data", database_url="postgresql://cangku@db.example:5432/cangku", host="0.0.0.0", port=9123,
                        scheduler=False, metrics_multiprocess_dir=tmp_path / "metrics")
    for name, value in worker_environment(resolved).items():
        monkeypatch.setenv(name, value)
    loaded = load_settings()
    for field in ("data_dir", "database_url", "host", "port", "scheduler", "metrics_multiprocess_dir"):
        assert getattr(loaded, field) == getattr(resolved, field), field


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_worker_refuses_a_schema_it_was_not_written_for(database, monkeypatch, tmp_path):
    from server import asgi

    at_revision(database, "0001")
    monkeypatch.setenv("CANGKU_DATABASE_URL", database.url)
    monkeypatch.setenv("CANGKU_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exited:
        asgi.create_app()
    assert exited.value.code == 3  # uvicorn's "failed to start": its supervisor stops rather than restarting it forever
    assert current_revision(database.engine) == "0001"


def test_one_worker_per_machine_takes_the_scheduler(tmp_path, monkeypatch):
    from server import asgi
    from server.settings import Settings

    monkeypatch.setattr(asgi, "_scheduler_lock", None)
    settings = Settings(data_dir=tmp_path, database_url=None)
    assert asgi._elect_scheduler(settings) is True
    held = asgi._scheduler_lock
    assert asgi._elect_scheduler(settings) is False  # another open of the lock file, as another worker would
    assert held is not None
    held.close()  # the worker stops: the next one to start takes the scheduler
    assert asgi._elect_scheduler(settings) is True
    asgi._scheduler_lock.close()  # type: ignore[union-attr]
