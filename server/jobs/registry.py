"""The job registry and schedule arithmetic: which slot a moment falls in, and when a slot is due.

A job is a function `(session, actor, slot) -> summary dict`, registered with `@job(...)` in a
module listed in JOB_MODULES. It runs inside the transaction that claims its slot, so whatever it
writes (notifications, documents) commits together with the record that it ran, exactly once.

To add a job from another domain, e.g. `server/purchasing/jobs.py`:

    from server.jobs.registry import Slot, job

    @job("reorder_check", schedule="daily", at="06:30", title_zh="补货检查", title_en="Reorder check")
    def reorder_check(session: Session, actor: Actor, slot: Slot) -> dict[str, object]:
        ...
        return {"requisitions": 3}

and add "server.purchasing.jobs" to JOB_MODULES below.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import re
from collections.abc import Callable
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.errors import InvalidInput, NotFound
from server.settings import Settings

# Every module that registers jobs; imported by load_jobs().
JOB_MODULES: tuple[str, ...] = (
    "server.jobs.stock",
    "server.jobs.sales",
    "server.jobs.audit",
    "server.purchasing.jobs",
    "server.outbox.jobs",
)

Schedule = Literal["hourly", "daily", "weekly"]
SCHEDULES: tuple[str, ...] = ("hourly", "daily", "weekly")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_HOURLY_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2})$")
_DAILY_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEKLY_KEY = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclasses.dataclass(frozen=True)
class Slot:
    """One period of a job's schedule: `key` names it ("2026-11-26T13", "2026-11-26", "2026-W48"), `day` is its first local day,
    `start`/`end` its bounds in UTC; `settings` are those the run happens under."""

    key: str
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    settings: Settings

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def midnight(self, day: dt.date) -> dt.datetime:
        """The start of a local day, in UTC."""
        return local_midnight(day, self.zone)


JobFunction = Callable[[Session, Actor, Slot], dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class JobSpec:
    name: str
    func: JobFunction
    schedule: Schedule
    at: dt.time  # hourly jobs: only its minutes count
    weekday: int | None  # weekly jobs: 0 = Monday
    title_zh: str
    title_en: str

    def slot_key(self, when: dt.datetime, zone: ZoneInfo) -> str:
        """The key of the slot `when` falls in."""
        if self.schedule == "hourly":
            return when.astimezone(zone).strftime("%Y-%m-%dT%H")
        local = when.astimezone(zone).date()
        if self.schedule == "daily":
            return local.isoformat()
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"

    def slot(self, key: str, settings: Settings) -> Slot:
        """The slot named `key`; a key that does not fit the schedule is refused, saying what would."""
        zone = ZoneInfo(settings.timezone)
        day = self._first_day(key)
        if self.schedule == "hourly":
            # Local hours: where the clock is put back, the repeated hour is one slot; where it skips an hour, that hour has none.
            start = dt.datetime.combine(day, dt.time(int(key[11:13])), tzinfo=zone).astimezone(dt.UTC)
            return Slot(key=key, day=day, start=start, end=start + dt.timedelta(hours=1), settings=settings)
        last = day + dt.timedelta(days=1 if self.schedule == "daily" else 7)
        return Slot(key=key, day=day, start=local_midnight(day, zone), end=local_midnight(last, zone), settings=settings)

    def current_slot(self, now: dt.datetime, settings: Settings) -> Slot:
        return self.slot(self.slot_key(now, ZoneInfo(settings.timezone)), settings)

    def due_at(self, slot: Slot) -> dt.datetime:
        """When the scheduler runs this slot: `at` on its day (weekly: on `weekday` of its week; hourly: `at`'s minutes
        past its hour), in UTC."""
        if self.schedule == "hourly":
            return slot.start + dt.timedelta(minutes=self.at.minute)
        day = slot.day + dt.timedelta(days=self.weekday or 0) if self.schedule == "weekly" else slot.day
        return dt.datetime.combine(day, self.at, tzinfo=slot.zone).astimezone(dt.UTC)

    def describe(self) -> tuple[str, str]:
        """The schedule in words: ("每天 02:00", "daily at 02:00")."""
        at = self.at.strftime("%H:%M")
        if self.schedule == "hourly":
            return f"每小时第 {self.at.minute:02d} 分", f"hourly at :{self.at.minute:02d}"
        if self.schedule == "daily":
            return f"每天 {at}", f"daily at {at}"
        day = self.weekday or 0
        return f"每{WEEKDAYS_ZH[day]} {at}", f"every {WEEKDAYS_EN[day]} at {at}"

    def _first_day(self, key: str) -> dt.date:
        try:
            hourly = _HOURLY_KEY.match(key)
            if self.schedule == "hourly" and hourly and int(hourly[2]) < 24:
                return dt.date.fromisoformat(hourly[1])
            if self.schedule == "daily" and _DAILY_KEY.match(key):
                return dt.date.fromisoformat(key)
            match = _WEEKLY_KEY.match(key)
            if self.schedule == "weekly" and match:
                return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
        example = {"hourly": "2026-11-26T13", "daily": "2026-11-26", "weekly": "2026-W48"}[self.schedule]
        every = {"hourly": "每小时", "daily": "每日", "weekly": "每周"}[self.schedule]
        raise InvalidInput(
            f"{key!r} is not a slot of the {self.schedule} job {self.name}; write it like {example}.",
            f"{key!r} 不是{every}任务 {self.name} 的时段，格式如 {example}。",
            code="bad_slot",
            slot=key,
        )


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


_REGISTRY: dict[str, JobSpec] = {}


def job(
    name: str, *, schedule: Schedule = "daily", at: str = "02:00", weekday: int | None = None, title_zh: str = "", title_en: str = ""
) -> Callable[[JobFunction], JobFunction]:
    """Register a job under `name`: `schedule` hourly (at `at`'s minutes past each hour), daily or weekly (on `weekday`,
    0 = Monday), at local time `at` ("HH:MM")."""
    if schedule not in SCHEDULES:
        raise ValueError(f"job {name}: schedule must be one of {SCHEDULES}")
    if schedule == "weekly" and weekday is not None and not 0 <= weekday <= 6:
        raise ValueError(f"job {name}: weekday must be 0 (Monday) to 6 (Sunday)")
    at_time = dt.time.fromisoformat(at)

    def register(func: JobFunction) -> JobFunction:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.func.__qualname__ != func.__qualname__:
            raise ValueError(f"job {name} is registered twice ({existing.func.__module__} and {func.__module__})")
        _REGISTRY[name] = JobSpec(
            name=name, func=func, schedule=schedule, at=at_time, weekday=(weekday or 0) if schedule == "weekly" else None,
            title_zh=title_zh or name, title_en=title_en or name,
        )
        return func

    return register


def load_jobs() -> dict[str, JobSpec]:
    """Every registered job, by name (importing the modules that register them)."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


def get_job(name: str) -> JobSpec:
    spec = load_jobs().get(name)
    if spec is None:
        known = ", ".join(sorted(_REGISTRY))
        raise NotFound(f"No job {name}; the jobs are {known}.", f"没有任务 {name}；现有任务：{known}。", job=name)
    return spec
