"""Readiness: can this process serve — the database answers, Redis answers (when configured), the schema is this code's.

Each check gives up after `ready_timeout_seconds`, so a load balancer learns of a dead database in
about that long instead of waiting on a hung connection. A database check that hangs is left to end
in its thread; until it does, the next probes answer at once that the database is still not answering,
so a flood of probes never piles up threads.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache

import anyio
import anyio.to_thread
from alembic.script import ScriptDirectory

from server.db import Database
from server.migrate import SchemaState, alembic_config
from server.schemas import Out
from server.settings import Settings

log = logging.getLogger("cangku.ready")


class Check(Out, omit_defaults=True):
    ok: bool
    ms: float | None = None  # how long the check took
    skipped: bool = False  # not run, because a check it depends on failed
    configured: bool = True  # Redis: False when the server runs without it (in-process channels)
    current: str | None = None  # migrations: the database's revision
    head: str | None = None  # migrations: this code's revision
    message_en: str | None = None
    message_zh: str | None = None


class Readiness(Out):
    status: str  # "ready" or "not_ready"
    checks: dict[str, Check]
    failed: list[str]  # the checks that failed, in order (a skipped one is not listed: its cause is)
    message: str  # in the asker's language
    message_en: str
    message_zh: str


@lru_cache(maxsize=1)
def code_revisions() -> tuple[str, frozenset[str]]:
    """This code's head revision and every revision it knows (read from the migration scripts once)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return scripts.get_current_head() or "", frozenset(script.revision for script in scripts.walk_revisions())


class _Unreachable(Exception):
    pass


def _schema_revision(db: Database, timeout: float) -> str | None:
    """One connection: SELECT 1 (reachable), then Alembic's revision. Raises _Unreachable when the first fails."""
    try:
        connection = db.engine.connect()
    except Exception as exc:  # noqa: BLE001 - whatever the driver says, the database is not usable
        raise _Unreachable(exc) from exc
    with connection:
        try:
            if connection.dialect.name == "postgresql":  # a database that accepts connections but is stuck answers in time too
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
            connection.exec_driver_sql("SELECT 1")
        except Exception as exc:  # noqa: BLE001
            raise _Unreachable(exc) from exc
        try:
            # Alembic's table, read directly (its MigrationContext logs two INFO lines per probe).
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except Exception:  # noqa: BLE001 - the database answers, so: no table, no schema yet
            revision = None
        connection.rollback()  # ends the transaction SET LOCAL lived in (pooled connections are not reset on return)
    return revision


class Probe:
    """The readiness checks of one app."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.timeout = settings.ready_timeout_seconds
        self._database_busy = False

    async def run(self, language: str) -> Readiness:
        checks: dict[str, Check] = {}

        async def database_and_schema() -> None:
            checks["database"], checks["migrations"] = await self._database()

        async def redis() -> None:
            checks["redis"] = await self._redis()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(database_and_schema)
            tasks.start_soon(redis)
        checks = {name: checks[name] for name in ("database", "migrations", "redis")}
        failed = [name for name, check in checks.items() if not check.ok and not check.skipped]
        if failed:
            en = "Not ready: " + " ".join(checks[name].message_en or "" for name in failed)
            zh = "未就绪：" + "".join(checks[name].message_zh or "" for name in failed)
        else:
            en, zh = "Ready.", "就绪。"
        return Readiness(status="not_ready" if failed else "ready", checks=checks, failed=failed,
                         message=zh if language.startswith("zh") else en, message_en=en, message_zh=zh)

    async def _database(self) -> tuple[Check, Check]:
        not_checked = Check(ok=False, skipped=True, message_en="Not checked: the database is not answering.",
                            message_zh="未检查：数据库无响应。")
        if self._database_busy:
            return Check(ok=False, message_en="The database has not answered the previous check yet.",
                         message_zh="数据库尚未响应上一次检查。"), not_checked
        started = time.perf_counter()
        revision: str | None = None
        self._database_busy = True
        finished = False

        def run() -> str | None:
            try:
                return _schema_revision(self.db, self.timeout)
            finally:
                self._database_busy = False

        try:
            with anyio.move_on_after(self.timeout):
                revision = await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
                finished = True
        except _Unreachable as exc:
            reason = exc.__cause__ or exc
            log.warning("readiness: database unreachable: %s", reason)
            return Check(ok=False, ms=_ms(started), message_en=f"The database is not answering ({type(reason).__name__}).",
                         message_zh=f"数据库无响应（{type(reason).__name__}）。"), not_checked
        if not finished:
            log.warning("readiness: the database did not answer within %s s", self.timeout)
            return Check(ok=False, ms=_ms(started), message_en=f"The database did not answer within {self.timeout:g} s.",
                         message_zh=f"数据库在 {self.timeout:g} 秒内没有响应。"), not_checked
        database = Check(ok=True, ms=_ms(started))
        head, known = code_revisions()
        mismatch = SchemaState(current=revision, head=head, known=revision is None or revision in known).mismatch()
        if mismatch is None:
            return database, Check(ok=True, current=revision, head=head)
        return database, Check(ok=False, current=revision, head=head, message_en=mismatch.en, message_zh=mismatch.zh)

    async def _redis(self) -> Check:
        if not self.settings.redis_url:
            return Check(ok=True, configured=False)
        from redis.asyncio import Redis

        started = time.perf_counter()
        client = Redis.from_url(self.settings.redis_url, socket_connect_timeout=self.timeout, socket_timeout=self.timeout)
        try:
            with anyio.fail_after(self.timeout):
                await client.ping()
            return Check(ok=True, ms=_ms(started))
        except Exception as exc:  # noqa: BLE001 - a timeout, a refused connection, a wrong password: not answering
            log.warning("readiness: redis not answering: %r", exc)
            return Check(ok=False, ms=_ms(started), message_en=f"Redis is not answering ({type(exc).__name__}).",
                         message_zh=f"Redis 无响应（{type(exc).__name__}）。")
        finally:
            with anyio.move_on_after(self.timeout, shield=True):
                await client.aclose()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
