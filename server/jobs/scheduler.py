"""The scheduler: every few seconds, in the app's process, run the jobs that are due. It logs and carries on; it never stops the server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from litestar import Litestar

from server.db import Database
from server.jobs.services import run_due_jobs
from server.settings import Settings

log = logging.getLogger("cangku.jobs")


class Scheduler:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="cangku-scheduler")

    async def stop(self) -> None:
        """Let a job that is running finish (its transaction commits or rolls back whole), then stop."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _loop(self) -> None:
        interval = max(1, self.settings.scheduler_interval_seconds)
        log.info("scheduler started: checking for due jobs every %s s", interval)
        while not self._stop.is_set():
            try:
                await anyio.to_thread.run_sync(run_due_jobs, self.db, self.settings)
            except Exception:  # noqa: BLE001 - e.g. the database is down: try again next time
                log.exception("scheduler tick failed; trying again in %s s", interval)
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=interval)
            except TimeoutError:
                pass
        log.info("scheduler stopped")


@asynccontextmanager
async def scheduling(app: Litestar) -> AsyncIterator[None]:
    """Runs the scheduler while the app runs, when the settings turn it on."""
    settings: Settings = app.state.settings
    if not settings.scheduler:
        yield
        return
    scheduler = Scheduler(app.state.db, settings)
    scheduler.start()
    app.state.scheduler = scheduler
    try:
        yield
    finally:
        await scheduler.stop()
