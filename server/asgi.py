"""The app for worker processes: `uvicorn server.asgi:create_app --factory --workers N` (what `cangku serve --workers N` runs).

Each worker reads its settings from the environment, like every other entry point, and
refuses to start on a database whose schema is not this code's: workers never migrate
(several start at once; `cangku migrate` or `cangku serve` does it once, before them).
Scheduled jobs run in one worker per machine: the first to lock `<data dir>/scheduler.lock`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import IO

from litestar import Litestar
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from server.db import normalize_url
from server.migrate import SchemaMismatch, require_current_schema
from server.settings import Settings, load_settings

log = logging.getLogger("uvicorn.error")  # configured in every worker, so operators see these lines beside uvicorn's
_scheduler_lock: IO[bytes] | None = None  # held open for the life of the process: the lock goes when the process does


def worker_environment(settings: Settings) -> dict[str, str]:
    """The environment that makes `load_settings()` in a worker give what the `cangku serve` command resolved from its
    flags. (Settings without a flag already reach the workers: they inherit the whole environment.)"""
    environment = {
        "CANGKU_DATA_DIR": str(settings.data_dir.resolve()),
        "CANGKU_DATABASE_URL": settings.database_url or "",
        "CANGKU_HOST": settings.host,
        "CANGKU_PORT": str(settings.port),
    }
    if settings.scheduler is not None:
        environment["CANGKU_SCHEDULER"] = "true" if settings.scheduler else "false"
    if settings.dispatcher is not None:  # every worker runs one; the lease lets one of them deliver at a time
        environment["CANGKU_DISPATCHER"] = "true" if settings.dispatcher else "false"
    if settings.metrics_multiprocess_dir is not None:
        environment["PROMETHEUS_MULTIPROC_DIR"] = str(settings.metrics_multiprocess_dir)
    return environment


def create_app() -> Litestar:
    from server.app import create_app as create_litestar_app

    settings = load_settings()
    engine = create_engine(normalize_url(settings.effective_database_url), poolclass=NullPool)
    try:
        require_current_schema(engine)
    except SchemaMismatch as exc:
        log.error("%s\n%s", exc.zh, exc.en)
        raise SystemExit(3) from None  # uvicorn's "failed to start": the supervisor stops instead of restarting it forever
    except OperationalError as exc:
        # A worker replaced while the database is down still starts: requests answer 503 until it is back.
        log.warning("database unreachable, schema not checked / 数据库无法连接，未检查结构版本: %s", exc.orig or exc)
    finally:
        engine.dispose()
    if settings.scheduler:
        settings = dataclasses.replace(settings, scheduler=_elect_scheduler(settings))
    return create_litestar_app(settings)


def _elect_scheduler(settings: Settings) -> bool:
    """True in the one worker that takes the scheduler lock. Running a job twice is impossible anyway (a unique row per job
    and slot claims each run); the lock only keeps N workers from all polling for due jobs."""
    global _scheduler_lock
    try:
        import fcntl
    except ImportError:  # no flock (Windows): every worker polls; the slot claim still runs each job once
        return True
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(settings.data_dir / "scheduler.lock", "ab")  # noqa: SIM115 - kept open on purpose
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _scheduler_lock = handle
    log.info("scheduled jobs run in this worker (pid %s) / 本工作进程运行定时任务", os.getpid())
    return True
