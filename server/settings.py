"""The one place that reads the environment: settings for the server, the CLI and the tests."""

from __future__ import annotations

import dataclasses
import ipaddress
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
    # Sign-in throttling (README "Security"): failures per (account, client address), and per address over all accounts.
    login_max_failures: int = 5
    login_window_seconds: int = 300
    login_address_max_failures: int = 50
    # Behind a reverse proxy: the networks of the proxies whose client-address header is believed, and that header.
    trusted_proxies: tuple[str, ...] = ()
    client_address_header: str = "X-Forwarded-For"
    # Label printers on loopback, link-local or this server's own service ports are refused unless this is on.
    allow_local_printers: bool = False
    # Request bodies: JSON larger or nested deeper than this is refused before it is parsed.
    max_json_bytes: int = 2_000_000
    max_json_depth: int = 32
    # The audit chain's head is written here by every backup and by a scheduled job (None: data_dir/audit-anchors.log).
    audit_anchor_file: Path | None = None
    # Argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    timezone: str = "Asia/Shanghai"  # the company's: day boundaries of reports and of scheduled jobs
    # Live events between processes; None: in-process only (Litestar Channels' memory backend).
    redis_url: str | None = None
    redis_prefix: str = "cangku"  # keeps the channels of installations sharing one Redis apart
    scheduler: bool | None = None  # run scheduled jobs in this process; None: off, but `cangku serve` turns it on
    scheduler_interval_seconds: int = 30
    # Events out (README "Events out: webhooks and RabbitMQ"). The dispatcher delivers the outbox; None: off, but
    # `cangku serve` turns it on. One process dispatches at a time: it holds a lease it renews, lost when it stops.
    dispatcher: bool | None = None
    dispatcher_poll_seconds: float = 1.0  # how often it looks for events other processes wrote (its own wake it at once)
    dispatcher_lease_seconds: float = 15.0
    dispatcher_concurrency: int = 16  # aggregates delivered at once; one aggregate's events go one after another
    webhook_timeout_seconds: float = 10.0
    webhook_max_attempts: int = 12  # then the delivery is dead (dead letter) until an administrator replays it
    webhook_retry_base_seconds: float = 10.0  # the first retry's delay; each next one doubles, with jitter, up to the max
    webhook_retry_max_seconds: float = 3600.0
    outbox_retention_days: int = 30  # delivered events older than this are pruned by the daily job
    amqp_url: str | None = None  # RabbitMQ: every event also goes to this broker ("amqp://user:password@host:5672/vhost")
    amqp_exchange: str = "cangku.events"  # a durable topic exchange; the routing key is the event type
    expiry_warning_days: int = 30
    stocktake_reminder_days: int = 90
    warranty_days: int = 365  # an after-sales ticket's warranty from the day the goods shipped, unless the ticket says otherwise
    gs1_company_prefix: str = "6901234"  # the company's GS1 prefix, for the SSCCs of its packages
    # Operating the server (README "Monitoring").
    log_format: str = "auto"  # json | text | auto: text on a terminal, JSON lines otherwise (a service manager, a container)
    log_level: str = "INFO"
    slow_request_ms: int = 500  # requests slower than this are logged at WARNING with their SQL query count
    metrics_token: str | None = None  # /metrics also answers a request bearing this token, from anywhere
    metrics_allow: tuple[str, ...] = ("127.0.0.0/8", "::1/128")  # networks /metrics answers without a token
    # prometheus_client's own variable: set, each worker process writes its metrics there and /metrics adds them up.
    metrics_multiprocess_dir: Path | None = None
    ready_timeout_seconds: float = 1.5  # /ready gives up on a check after this long, so a dead database answers fast
    served_over_https: bool = False  # the public address is https:// (TLS ended by a proxy): send Strict-Transport-Security
    hsts_max_age: int = 31_536_000  # 0: never send Strict-Transport-Security
    # The letterhead of printed documents (purchase orders, receipts, picking lists, delivery notes, invoices).
    company_name_zh: str = "仓库示范贸易有限公司"
    company_name_en: str = "Cangku Demo Trading Co., Ltd."
    company_address_zh: str = "上海市浦东新区示范路 88 号"
    company_address_en: str = "88 Demo Road, Pudong, Shanghai"  # English documents; the Chinese address when left empty
    company_phone: str = "021-5555 0188"
    company_tax_id: str = "91310115MA1K000000"  # 纳税人识别号 (the unified social credit code)
    # Sending documents by e-mail (README "Documents by e-mail"): no host, no e-mail. The port is the security's usual one when left out
    # (587 STARTTLS, 465 SSL, 25 none); the sender is an address, with a display name if wanted ("仓库 <erp@example.com>").
    smtp_host: str = ""
    smtp_port: int | None = None
    smtp_security: str = "starttls"  # starttls | ssl | none
    smtp_username: str = ""
    smtp_password: str = dataclasses.field(default="", repr=False)  # never in a log line or a traceback
    smtp_from: str = ""
    smtp_timeout_seconds: float = 10.0

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


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = os.environ.get(name)
    return default if raw is None else tuple(part.strip() for part in raw.split(",") if part.strip())


def _env_networks(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Networks (CIDR) from a comma-separated variable; a typo stops the server at start-up, not at the first request."""
    networks = _env_list(name, default)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"{name}: {network!r} is not a network (e.g. 10.0.0.0/8 or 127.0.0.1/32)") from None
    return networks


def _env_text(name: str, default: str) -> str:
    """A text setting; set but empty, it is empty (a company without an English name prints none)."""
    raw = os.environ.get(name)
    return default if raw is None else raw.strip()


def _env_bool(name: str) -> bool | None:
    raw = os.environ.get(name, "").strip().lower()
    return None if not raw else raw in ("1", "true", "yes", "on")


SMTP_SECURITY = ("starttls", "ssl", "none")


def _env_choice(name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first when unset); a typo stops the server at start-up, not at the first e-mail."""
    raw = (os.environ.get(name) or choices[0]).strip().lower()
    if raw not in choices:
        raise ValueError(f"{name}: {raw!r} is not one of {', '.join(choices)}")
    return raw


def load_settings() -> Settings:
    return Settings(
        data_dir=Path(os.environ.get("CANGKU_DATA_DIR", "cangku-data")),
        database_url=os.environ.get("CANGKU_DATABASE_URL") or None,
        host=os.environ.get("CANGKU_HOST", "127.0.0.1"),
        port=_env_int("CANGKU_PORT", 8000),
        session_hours=_env_int("CANGKU_SESSION_HOURS", 12),
        login_max_failures=_env_int("CANGKU_LOGIN_MAX_FAILURES", 5),
        login_window_seconds=_env_int("CANGKU_LOGIN_WINDOW_SECONDS", 300),
        login_address_max_failures=_env_int("CANGKU_LOGIN_ADDRESS_MAX_FAILURES", 50),
        trusted_proxies=_env_networks("CANGKU_TRUSTED_PROXIES", ()),
        client_address_header=os.environ.get("CANGKU_CLIENT_ADDRESS_HEADER") or "X-Forwarded-For",
        allow_local_printers=bool(_env_bool("CANGKU_ALLOW_LOCAL_PRINTERS")),
        max_json_bytes=_env_int("CANGKU_MAX_JSON_BYTES", 2_000_000),
        max_json_depth=_env_int("CANGKU_MAX_JSON_DEPTH", 32),
        audit_anchor_file=Path(os.environ["CANGKU_AUDIT_ANCHOR_FILE"]) if os.environ.get("CANGKU_AUDIT_ANCHOR_FILE") else None,
        argon2_time_cost=_env_int("CANGKU_ARGON2_TIME_COST", 3),
        argon2_memory_kib=_env_int("CANGKU_ARGON2_MEMORY_KIB", 65536),
        timezone=os.environ.get("CANGKU_TIMEZONE") or "Asia/Shanghai",
        redis_url=os.environ.get("CANGKU_REDIS_URL") or None,
        redis_prefix=os.environ.get("CANGKU_REDIS_PREFIX") or "cangku",
        scheduler=_env_bool("CANGKU_SCHEDULER"),
        scheduler_interval_seconds=_env_int("CANGKU_SCHEDULER_INTERVAL_SECONDS", 30),
        dispatcher=_env_bool("CANGKU_DISPATCHER"),
        dispatcher_poll_seconds=_env_float("CANGKU_DISPATCHER_POLL_SECONDS", 1.0),
        dispatcher_lease_seconds=_env_float("CANGKU_DISPATCHER_LEASE_SECONDS", 15.0),
        dispatcher_concurrency=_env_int("CANGKU_DISPATCHER_CONCURRENCY", 16),
        webhook_timeout_seconds=_env_float("CANGKU_WEBHOOK_TIMEOUT_SECONDS", 10.0),
        webhook_max_attempts=_env_int("CANGKU_WEBHOOK_MAX_ATTEMPTS", 12),
        webhook_retry_base_seconds=_env_float("CANGKU_WEBHOOK_RETRY_BASE_SECONDS", 10.0),
        webhook_retry_max_seconds=_env_float("CANGKU_WEBHOOK_RETRY_MAX_SECONDS", 3600.0),
        outbox_retention_days=_env_int("CANGKU_OUTBOX_RETENTION_DAYS", 30),
        amqp_url=os.environ.get("CANGKU_AMQP_URL") or None,
        amqp_exchange=os.environ.get("CANGKU_AMQP_EXCHANGE") or "cangku.events",
        expiry_warning_days=_env_int("CANGKU_EXPIRY_WARNING_DAYS", 30),
        stocktake_reminder_days=_env_int("CANGKU_STOCKTAKE_REMINDER_DAYS", 90),
        warranty_days=_env_int("CANGKU_WARRANTY_DAYS", 365),
        gs1_company_prefix=os.environ.get("CANGKU_GS1_COMPANY_PREFIX", "6901234"),
        log_format=(os.environ.get("CANGKU_LOG_FORMAT") or "auto").lower(),
        log_level=(os.environ.get("CANGKU_LOG_LEVEL") or "INFO").upper(),
        slow_request_ms=_env_int("CANGKU_SLOW_REQUEST_MS", 500),
        metrics_token=os.environ.get("CANGKU_METRICS_TOKEN") or None,
        metrics_allow=_env_networks("CANGKU_METRICS_ALLOW", ("127.0.0.0/8", "::1/128")),
        metrics_multiprocess_dir=Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]) if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else None,
        ready_timeout_seconds=_env_float("CANGKU_READY_TIMEOUT_SECONDS", 1.5),
        served_over_https=bool(_env_bool("CANGKU_SERVED_OVER_HTTPS")),
        hsts_max_age=_env_int("CANGKU_HSTS_MAX_AGE", 31_536_000),
        company_name_zh=_env_text("CANGKU_COMPANY_NAME_ZH", Settings.company_name_zh),
        company_name_en=_env_text("CANGKU_COMPANY_NAME_EN", Settings.company_name_en),
        company_address_zh=_env_text("CANGKU_COMPANY_ADDRESS_ZH", Settings.company_address_zh),
        company_address_en=_env_text("CANGKU_COMPANY_ADDRESS_EN", Settings.company_address_en),
        company_phone=_env_text("CANGKU_COMPANY_PHONE", Settings.company_phone),
        company_tax_id=_env_text("CANGKU_COMPANY_TAX_ID", Settings.company_tax_id),
        smtp_host=_env_text("CANGKU_SMTP_HOST", ""),
        smtp_port=_env_int("CANGKU_SMTP_PORT", 0) or None,
        smtp_security=_env_choice("CANGKU_SMTP_SECURITY", SMTP_SECURITY),
        smtp_username=_env_text("CANGKU_SMTP_USERNAME", ""),
        smtp_password=os.environ.get("CANGKU_SMTP_PASSWORD", ""),
        smtp_from=_env_text("CANGKU_SMTP_FROM", ""),
        smtp_timeout_seconds=_env_float("CANGKU_SMTP_TIMEOUT", 10.0),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
