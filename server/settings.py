"""The one place that reads the environment: settings for the server, the CLI and the tests."""

from __future__ import annotations

import dataclasses
import os
from functools import lru_cache
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None  # None: SQLite file under data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = 12
    login_max_failures: int = 5
    login_window_seconds: int = 300
    # Argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    timezone: str = "Asia/Shanghai"  # the company's: day boundaries of reports and of scheduled jobs
    # Live events between processes; None: in-process only (Litestar Channels' memory backend).
    redis_url: str | None = None
    redis_prefix: str = "cangku"  # keeps the channels of installations sharing one Redis apart
    scheduler: bool | None = None  # run scheduled jobs in this process; None: off, but `cangku serve` turns it on
    scheduler_interval_seconds: int = 30
    expiry_warning_days: int = 30
    stocktake_reminder_days: int = 90
    gs1_company_prefix: str = "6901234"  # the company's GS1 prefix, for the SSCCs of its packages

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cangku.db').resolve()}"

    def with_overrides(self, **changes: object) -> Settings:
        changes = {k: v for k, v in changes.items() if v is not None}
        if "data_dir" in changes:
            changes["data_dir"] = Path(str(changes["data_dir"]))
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _env_bool(name: str) -> bool | None:
    raw = os.environ.get(name, "").strip().lower()
    return None if not raw else raw in ("1", "true", "yes", "on")


def load_settings() -> Settings:
    return Settings(
        data_dir=Path(os.environ.get("CANGKU_DATA_DIR", "cangku-data")),
        database_url=os.environ.get("CANGKU_DATABASE_URL") or None,
        host=os.environ.get("CANGKU_HOST", "127.0.0.1"),
        port=_env_int("CANGKU_PORT", 8000),
        session_hours=_env_int("CANGKU_SESSION_HOURS", 12),
        login_max_failures=_env_int("CANGKU_LOGIN_MAX_FAILURES", 5),
        login_window_seconds=_env_int("CANGKU_LOGIN_WINDOW_SECONDS", 300),
        argon2_time_cost=_env_int("CANGKU_ARGON2_TIME_COST", 3),
        argon2_memory_kib=_env_int("CANGKU_ARGON2_MEMORY_KIB", 65536),
        timezone=os.environ.get("CANGKU_TIMEZONE") or "Asia/Shanghai",
        redis_url=os.environ.get("CANGKU_REDIS_URL") or None,
        redis_prefix=os.environ.get("CANGKU_REDIS_PREFIX") or "cangku",
        scheduler=_env_bool("CANGKU_SCHEDULER"),
        scheduler_interval_seconds=_env_int("CANGKU_SCHEDULER_INTERVAL_SECONDS", 30),
        expiry_warning_days=_env_int("CANGKU_EXPIRY_WARNING_DAYS", 30),
        stocktake_reminder_days=_env_int("CANGKU_STOCKTAKE_REMINDER_DAYS", 90),
        gs1_company_prefix=os.environ.get("CANGKU_GS1_COMPANY_PREFIX", "6901234"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
