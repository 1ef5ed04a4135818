"""Running jobs: claim a slot by inserting its run row, run the job in that same transaction, record failures.

Exactly once, whatever the number of processes: the first transaction to insert (job, slot)
holds the unique key; another process's insert waits for it on PostgreSQL (or waits for the
write lock on SQLite) and then fails on the key, which is answered "already ran". If the
first one fails, its transaction rolls back, nothing it wrote survives, and the failure is
recorded on the row, which an administrator may retry.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.models import User
from server.auth.permissions import SYSTEM, Actor
from server.base import utcnow
from server.db import Database
from server.errors import Conflict
from server.jobs.models import JobRun
from server.jobs.registry import JobSpec, Slot, get_job, load_jobs
from server.monitoring.metrics import JOB_RUNS
from server.notifications.services import notify
from server.settings import Settings

log = logging.getLogger("cangku.jobs")
ERROR_MAX = 4000


class SlotTaken(Conflict):
    code = "job_already_ran"


class _JobFailed(Exception):
    """Carries the job's own exception out of the transaction it rolled back."""


def run_job(
    db: Database, name: str, *, actor: Actor, settings: Settings, slot: str | None = None, force: bool = False,
    trigger: str = "manual", now: dt.datetime | None = None,
) -> JobRun:
    """Run job `name` for `slot` (default: the slot `now` falls in). A slot that already succeeded is refused
    (SlotTaken, 409) unless `force`; a failed one is retried. Returns the run, succeeded or failed."""
    actor.require("jobs.run")
    spec = get_job(name)
    the_slot = spec.slot(slot, settings) if slot else spec.current_slot(now or utcnow(), settings)
    try:
        with db.write() as session:
            run = _claim(session, spec, the_slot, actor, trigger=trigger, force=force)
            try:
                summary = msgspec.to_builtins(spec.func(session, actor, the_slot) or {})  # Decimals and dates as strings
                session.flush()
            except Exception as exc:
                raise _JobFailed(exc) from exc
            run.status, run.error, run.finished_at, run.summary = "succeeded", None, utcnow(), summary
            record(session, actor, "job.run", "job", spec.name, slot=the_slot.key, trigger=trigger, attempts=run.attempts)
        log.info("job %s %s succeeded: %s", spec.name, the_slot.key, run.summary)
        JOB_RUNS.labels(spec.name, "succeeded").inc()
        return run
    except _JobFailed as failed:
        cause = failed.__cause__ or failed
        log.error("job %s %s failed", spec.name, the_slot.key, exc_info=cause)
        JOB_RUNS.labels(spec.name, "failed").inc()
        return _record_failure(db, spec, the_slot, actor, trigger=trigger, error=f"{type(cause).__name__}: {cause}"[:ERROR_MAX])


def _claim(session: Session, spec: JobSpec, slot: Slot, actor: Actor, *, trigger: str, force: bool) -> JobRun:
    run = session.scalar(select(JobRun).where(JobRun.job == spec.name, JobRun.slot == slot.key).with_for_update())
    now = utcnow()
    if run is None:
        run = JobRun(job=spec.name, slot=slot.key, status="running", trigger=trigger, attempts=1, user_id=actor.user_id, started_at=now)
        session.add(run)
        try:
            session.flush()
        except IntegrityError:
            raise SlotTaken(
                f"Job {spec.name} for {slot.key} is being run, or was just run, by another process.",
                f"任务 {spec.name}（{slot.key}）正由另一进程运行或刚刚运行完毕。",
                job=spec.name, slot=slot.key,
            ) from None
        return run
    if run.status == "succeeded" and not force:
        at = (run.finished_at or run.started_at).astimezone(ZoneInfo(slot.settings.timezone)).strftime("%Y-%m-%d %H:%M")
        raise SlotTaken(
            f"Job {spec.name} already ran for {slot.key} (succeeded at {at}); run it again with force.",
            f"任务 {spec.name} 已于 {at} 成功运行过（{slot.key}）；如需重新运行请使用 force。",
            job=spec.name, slot=slot.key, run_id=run.id,
        )
    run.status, run.trigger, run.user_id, run.started_at, run.finished_at = "running", trigger, actor.user_id, now, None
    run.attempts += 1
    session.flush()
    return run


def _record_failure(db: Database, spec: JobSpec, slot: Slot, actor: Actor, *, trigger: str, error: str) -> JobRun:
    """Keep the failure on the slot's row (nothing else the job wrote survived); tell the administrators if nobody was watching."""
    try:
        with db.write() as session:
            run = session.scalar(select(JobRun).where(JobRun.job == spec.name, JobRun.slot == slot.key).with_for_update())
            if run is None:
                run = JobRun(job=spec.name, slot=slot.key, attempts=1)
                session.add(run)
            else:
                run.attempts += 1
            run.status, run.trigger, run.user_id, run.error = "failed", trigger, actor.user_id, error
            run.started_at, run.finished_at = run.started_at or utcnow(), utcnow()
            session.flush()
            record(session, actor, "job.fail", "job", spec.name, slot=slot.key, trigger=trigger, error=error[:500])
            if trigger == "schedule":
                notify(
                    session, roles=["admin"], kind="job_failed", ref_type="job_run", ref_id=run.id,
                    title_zh=f"定时任务 {spec.title_zh} 运行失败（{slot.key}）", title_en=f"Scheduled job {spec.title_en} failed ({slot.key})",
                    body_zh=f"错误：{error}\n可在任务页面重试。", body_en=f"Error: {error}\nYou can retry it on the jobs page.",
                )
        return run
    except IntegrityError:
        # Another process claimed the slot meanwhile and its run stands: report ours as failed without a row.
        return JobRun(job=spec.name, slot=slot.key, status="failed", trigger=trigger, attempts=1, user_id=actor.user_id,
                      started_at=utcnow(), finished_at=utcnow(), error=error)


def run_due_jobs(db: Database, settings: Settings, now: dt.datetime | None = None) -> list[JobRun]:
    """Run every job whose current slot is due and not yet run (failed slots wait for an administrator)."""
    now = now or utcnow()
    runs = []
    for spec in load_jobs().values():
        try:
            slot = spec.current_slot(now, settings)
            if now < spec.due_at(slot):
                continue
            with db.lookup() as session:
                if session.scalar(select(JobRun.id).where(JobRun.job == spec.name, JobRun.slot == slot.key)) is not None:
                    continue
            runs.append(run_job(db, spec.name, actor=SYSTEM, settings=settings, slot=slot.key, trigger="schedule"))
        except SlotTaken:
            continue
        except Exception:  # noqa: BLE001 - one job's trouble must not keep the others from running
            log.exception("scheduler could not run job %s", spec.name)
    return runs


def recent_runs(session: Session, actor: Actor, names: list[str], per_job: int = 5) -> dict[str, list[tuple[JobRun, str | None]]]:
    """The latest runs of each job, newest first, with the username of who ran it by hand."""
    actor.require("jobs.run")
    found: dict[str, list[tuple[JobRun, str | None]]] = {name: [] for name in names}
    for name in names:
        rows = session.execute(
            select(JobRun, User.username).outerjoin(User, User.id == JobRun.user_id)
            .where(JobRun.job == name).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(per_job)
        ).all()
        found[name] = [(run, username) for run, username in rows]
    return found
