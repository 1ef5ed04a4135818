"""Log lines: one JSON object per line for machines, or readable text on a terminal, each with its request's id.

Every record made while a request is served carries that request (`RequestContext`), whichever
logger made it and in whichever thread, so an error logged deep in a service names the request id
the client was given. The server's own per-request line comes from `RequestMonitor`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

from server.monitoring import context
from server.settings import Settings

# Fields a record may carry as `extra=`; the request's own (id, method, path, user, error) come from its context.
EXTRA_FIELDS = ("status", "duration_ms", "queries", "route", "client")
REQUEST_LOGGER = "cangku.requests"


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", "request_id", "method", "path", "status", "duration_ms", "user", "error", ...}"""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record.created).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2026-03-01 09:30:12.345 WARNING cangku.requests: GET /api/v1/items 200 812 ms  request_id=… queries=41 user=wang`"""

    def format(self, record: logging.LogRecord) -> str:
        when = _utc(record.created).astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        fields = _fields(record)
        if record.name == REQUEST_LOGGER:  # its message already says these
            for shown in ("method", "path", "status", "duration_ms"):
                fields.pop(shown, None)
        tail = "  " + " ".join(f"{key}={value}" for key, value in fields.items()) if fields else ""
        line = f"{when} {record.levelname} {record.name}: {record.getMessage()}{tail}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def _utc(created: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(created, dt.UTC)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    request: context.RequestContext | None = getattr(record, "cangku_request", None)
    if request is not None:
        fields.update(request_id=request.request_id, method=request.method, path=request.path)
        if (user := request.user) is not None:
            fields["user"] = user
        if request.error is not None:
            fields["error"] = request.error
    for name in EXTRA_FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            fields[name] = value
    return fields


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when the line is written (a test capturing it, a redirected service)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:
        return sys.stderr


def _with_request(factory: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = factory(*args, **kwargs)
        record.cangku_request = context.current()
        return record

    make.cangku = True  # type: ignore[attr-defined]
    return make


def log_format(settings: Settings) -> str:
    """json or text: `auto` is text when a person watches a terminal, JSON for a service manager, a container or a file."""
    if settings.log_format in ("json", "text"):
        return settings.log_format
    if settings.log_format != "auto":
        raise ValueError(f"CANGKU_LOG_FORMAT must be json, text or auto, not {settings.log_format!r}")
    return "text" if sys.stderr.isatty() else "json"


def configure_logging(settings: Settings) -> None:
    """The root logger writes to stderr in the chosen format; done again (by a second app in one process) it replaces its handler."""
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        raise ValueError(f"CANGKU_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {settings.log_level!r}")
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format(settings) == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    if not getattr(logging.getLogRecordFactory(), "cangku", False):
        logging.setLogRecordFactory(_with_request(logging.getLogRecordFactory()))


def adopt_server_loggers() -> None:
    """Once uvicorn has set up its loggers (it does so before the app starts): its messages go through ours, in our
    format, and its access log is off — every request already has a line of ours, with more in it."""
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
