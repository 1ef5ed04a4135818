"""Reports as the JSON API shows them: the list of reports, and one report's columns, rows and totals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from server.schemas import Out


class ReportColumnOut(Out):
    key: str
    title_zh: str
    title_en: str
    type: str  # text, qty, money, cost, date, datetime, int


class ReportOut(Out):
    """Decimals are strings (12, 1.5); dates are YYYY-MM-DD; times are UTC (ISO 8601); missing values are null."""

    report: str
    title_zh: str
    title_en: str
    columns: list[ReportColumnOut]
    rows: list[dict[str, str | int | None]]
    totals: dict[str, str | int]
    generated_at: dt.datetime
    params: dict[str, Any]


class ReportParamOut(Out):
    name: str  # the query parameter
    type: str  # text, int, date, choice
    required: bool
    default: str | int | bool | None
    title_zh: str
    title_en: str
    choices: list[str] | None = None
    minimum: int | None = None
    maximum: int | None = None


class ReportInfo(Out):
    name: str
    title_zh: str
    title_en: str
    permission: str
    path: str
    formats: list[str]
    params: list[ReportParamOut]
    columns: list[ReportColumnOut]  # those this user would see


class ReportList(Out):
    items: list[ReportInfo]
