"""Job endpoints: the jobs with their schedules and last runs, and running one now (administrators)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from server.api import get, post
from server.auth.permissions import Actor
from server.base import utcnow
from server.db import Database
from server.jobs import services
from server.jobs.models import JobRun
from server.jobs.registry import load_jobs
from server.jobs.schemas import JobList, JobOut, JobRunOut, JobRunRequest
from server.settings import Settings

JobName = Annotated[str, PathParameter(min_length=1, max_length=64)]


def run_out(run: JobRun, username: str | None) -> JobRunOut:
    return JobRunOut(
        id=run.id, job=run.job, slot=run.slot, status=run.status, trigger=run.trigger, attempts=run.attempts or 1, username=username,
        started_at=run.started_at, finished_at=run.finished_at, error=run.error, summary=run.summary if isinstance(run.summary, dict) else {},
    )


class JobController(Controller):
    path = "/api/v1/jobs"
    tags = ["jobs"]

    @get("/", summary="Scheduled jobs and their last runs / 定时任务及最近运行")
    def list_jobs(self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor]) -> JobList:
        """The scheduled jobs: when each runs, the slot it is due for now, and its latest runs."""
        settings: Settings = request.app.state.settings
        specs = load_jobs()
        now = utcnow()
        with db.read() as session:
            runs = services.recent_runs(session, actor, list(specs))
        items = []
        for spec in specs.values():
            slot = spec.current_slot(now, settings)
            schedule_zh, schedule_en = spec.describe()
            items.append(JobOut(
                name=spec.name, title_zh=spec.title_zh, title_en=spec.title_en, schedule=spec.schedule, at=spec.at.strftime("%H:%M"),
                weekday=spec.weekday, schedule_zh=schedule_zh, schedule_en=schedule_en, current_slot=slot.key, due_at=spec.due_at(slot),
                last_runs=[run_out(run, username) for run, username in runs[spec.name]],
            ))
        return JobList(items=items)

    @post("/{name:str}/run", status_code=200, summary="Run a job now / 立即运行任务")
    def run_job(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], name: JobName,
        data: JSONBody[JobRunRequest],
    ) -> JobRunOut:
        """Runs the job for the current slot, or `slot`. A slot that already succeeded answers 409 unless `force`;
        a failed one is retried. A job that fails answers 200 with status "failed" and its error."""
        settings: Settings = request.app.state.settings
        run = services.run_job(db, name, actor=actor, settings=settings, slot=data.slot, force=data.force)
        return run_out(run, actor.username if run.user_id is not None else None)
