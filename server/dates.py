"""The company's calendar: its time zone (CANGKU_TIMEZONE, Asia/Shanghai unless set) and its local days.

Document dates, "today", day filters and reports are read in this zone; times are stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from zoneinfo import ZoneInfo

from server.base import utcnow
from server.errors import InvalidInput

DEFAULT_ZONE = "Asia/Shanghai"
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(9998, 12, 31)


def company_zone() -> ZoneInfo:
    """The zone the company's days are counted in."""
    return _zone(os.environ.get("CANGKU_TIMEZONE") or DEFAULT_ZONE)


@functools.lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_today(now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(company_zone()).date()


def day_range(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The instants [start, end) of local calendar days `date_from` through `date_to` in the company's zone (either open)."""
    for name, day in (("date_from", date_from), ("date_to", date_to)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise InvalidInput(
                f"{name} {day.isoformat()} is out of range (1900 to 9998).", f"{name} {day.isoformat()} 超出范围（1900 至 9998 年）。",
                code="invalid_parameter", field=name,
            )
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(
            f"The range starts after it ends ({date_from} to {date_to}).", f"起始日期晚于结束日期（{date_from} 至 {date_to}）。",
            code="invalid_range", field="date_from",
        )
    zone = company_zone()
    start = dt.datetime.combine(date_from, dt.time(), zone).astimezone(dt.UTC) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC) if date_to else None
    return start, end
