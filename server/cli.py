"""The `cangku` command: serve, migrate, demo, check, backup, restore, import, user create, jobs. Every command takes the
same database settings."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import click

from server.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from server.backup import Outcome
    from server.check import CheckReport
    from server.db import Database


def database_options(command: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Data directory (SQLite file) / 数据目录")
    @click.option("--database-url", default=None, help="sqlite:///path or postgresql://user@host:port/db (env CANGKU_DATABASE_URL)")
    @functools.wraps(command)
    def wrapper(*args: Any, data_dir: str | None, database_url: str | None, **kwargs: Any) -> Any:
        settings = get_settings().with_overrides(data_dir=data_dir, database_url=database_url)
        return command(*args, settings=settings, **kwargs)

    return wrapper


@contextlib.contextmanager
def _refusals(settings: Settings) -> Iterator[None]:
    """A refusal or an unreachable database ends the command with a message in both languages and exit status 1,
    not a traceback."""
    from sqlalchemy.exc import OperationalError

    from server.errors import CangkuError

    try:
        yield
    except CangkuError as exc:
        raise click.ClickException(f"{exc.zh}\n{exc.en}") from None
    except OperationalError as exc:
        where = _hide_password(settings.effective_database_url)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise click.ClickException(f"无法连接数据库 {where}：{reason}\nCannot reach the database {where}: {reason}") from None


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _start(settings: Settings, *, migrate: bool | None) -> Database:
    """The database, migrated to this version (`migrate`) or refused unless it is already there.
    migrate=None: migrate SQLite only. SQLite is one box and one file: migrating on start keeps `cangku serve --demo` a
    one-line start. On PostgreSQL several processes may start at once, so its schema changes only when asked."""
    from server.migrate import prepare, require_current_schema
    from server.wiring import open_database

    db = open_database(settings.effective_database_url)
    if migrate is None:
        migrate = db.dialect == "sqlite"
    with _refusals(settings):
        if migrate:
            prepare(db)
        else:
            require_current_schema(db.engine)
    return db


def _open(settings: Settings) -> Database:
    return _start(settings, migrate=True)


def _database_checks(session: Session) -> CheckReport:
    """Everything `cangku check` verifies. Backups and restores verify with this same function, so a new check belongs here."""
    from server.check import check_ledger

    return check_ledger(session)


def _print_demo_users() -> None:
    from server.demo import DEMO_PASSWORD, DEMO_USERS

    click.echo(f"演示账号 / demo users (password 密码: {DEMO_PASSWORD}):")
    for username, name, roles, warehouses in DEMO_USERS:
        scope = f" [{', '.join(warehouses)}]" if warehouses else ""
        click.echo(f"  {username:<10} {', '.join(roles)}{scope}  {name}")


@click.group()
@click.version_option(package_name="cangku", prog_name="cangku", message="%(prog)s %(version)s")
def main() -> None:
    """Cangku (仓库): warehouse-first purchasing, sales and inventory."""


# Kept-alive connections stay open longer than a proxy keeps its idle ones (nginx: 60 s), so the proxy never sends a
# request down a connection the server is just closing. Websocket messages are small JSON: compressing each costs
# CPU and a zlib context per socket for a few bytes saved. The event loop and the HTTP parser are the compiled ones
# (uvloop, httptools), named so a missing one fails at start instead of falling back to the slower pure-Python ones.
class UvicornOptions(TypedDict):
    timeout_keep_alive: int
    ws_per_message_deflate: bool
    loop: str
    http: str


UVICORN_OPTIONS: UvicornOptions = {"timeout_keep_alive": 75, "ws_per_message_deflate": False, "loop": "uvloop", "http": "httptools"}


@main.command()
@database_options
@click.option("--host", default=None, help="Listen address / 监听地址")
@click.option("--port", type=int, default=None, help="Port / 端口")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes sharing the port; more than 1 needs CANGKU_REDIS_URL / 共用端口的工作进程数；多于 1 个需要 Redis")
@click.option("--migrate/--no-migrate", "migrate_first", default=None,
              help="Migrate the schema before starting (default: yes on SQLite; no on PostgreSQL, where `cangku migrate` does it) / 启动前迁移数据库结构")
@click.option("--demo", is_flag=True, help="Load the demo company first / 先加载演示公司")
@click.option("--scheduler/--no-scheduler", default=None, help="Run scheduled jobs (default on; env CANGKU_SCHEDULER) / 运行定时任务")
@click.option("--dispatcher/--no-dispatcher", default=None,
              help="Deliver events to webhooks and RabbitMQ (default on; env CANGKU_DISPATCHER) / 投递事件到推送地址和 RabbitMQ")
def serve(settings: Settings, host: str | None, port: int | None, workers: int, migrate_first: bool | None, demo: bool,
          scheduler: bool | None, dispatcher: bool | None) -> None:
    """Start the server (SQLite: migrated first; PostgreSQL: refused when its schema is behind or ahead of this version)
    / 启动服务（SQLite 先迁移；PostgreSQL 结构版本不符时拒绝启动）。"""
    settings = settings.with_overrides(host=host, port=port, scheduler=scheduler if scheduler is not None else settings.scheduler is not False,
                                       dispatcher=dispatcher if dispatcher is not None else settings.dispatcher is not False)
    if workers > 1 and not settings.redis_url:
        raise click.ClickException(
            f"--workers {workers} 需要 Redis 在进程之间传递实时事件（扫码更新、通知）：请设置 CANGKU_REDIS_URL，例如 redis://127.0.0.1:6379/0。\n"
            f"--workers {workers} needs Redis to carry live events (stock updates, notifications) between the worker processes: "
            "set CANGKU_REDIS_URL, e.g. redis://127.0.0.1:6379/0."
        )
    db = _start(settings, migrate=migrate_first)
    if demo:
        from server.demo import load_demo

        if load_demo(db):
            click.echo("演示公司已加载 / demo company loaded")
        _print_demo_users()
    processes = f", {workers} workers / 个工作进程" if workers > 1 else ""
    click.echo(f"Cangku 仓库 on http://{settings.host}:{settings.port}  ({db.dialect}: {db.engine.url.render_as_string(hide_password=True)}{processes})")
    if workers > 1 and db.dialect == "sqlite":
        click.echo("注意：SQLite 是单机数据库，多个工作进程共用一个文件，写入在文件锁上排队；多进程的生产部署请使用 PostgreSQL（CANGKU_DATABASE_URL）。\n"
                   f"Note: SQLite is a single-machine database: the {workers} workers share one file and their writes queue on its lock. "
                   "For several processes in production use PostgreSQL (CANGKU_DATABASE_URL).", err=True)
    from labels.layout import cjk_font

    if cjk_font() is None:
        click.echo("注意：未找到中文字体，标签中的中文无法显示；请安装 fonts-wqy-microhei 或设置 CANGKU_LABEL_FONT。\n"
                   "Note: no Chinese font found, so labels cannot show Chinese; install fonts-wqy-microhei or set CANGKU_LABEL_FONT.",
                   err=True)
    import uvicorn

    if workers == 1:
        from server.app import create_app

        uvicorn.run(create_app(settings, db), host=settings.host, port=settings.port, log_level="info", **UVICORN_OPTIONS)
        return
    from server.asgi import worker_environment
    from server.monitoring.metrics import prepare_multiprocess_dir

    db.dispose()
    # /metrics, whichever worker answers it, adds up every worker's figures from files in one directory.
    metrics_dir = settings.metrics_multiprocess_dir or settings.data_dir.resolve() / "metrics"
    settings = settings.with_overrides(metrics_multiprocess_dir=metrics_dir)
    prepare_multiprocess_dir(metrics_dir)
    # Workers are fresh processes: they build the app from the environment, so hand them what the flags resolved.
    os.environ.update(worker_environment(settings))
    uvicorn.run("server.asgi:create_app", factory=True, workers=workers, host=settings.host, port=settings.port, log_level="info",
                **UVICORN_OPTIONS)


@main.command()
@database_options
def migrate(settings: Settings) -> None:
    """Upgrade the database schema to this version's; a database a newer Cangku migrated is refused / 升级数据库结构。"""
    from server.migrate import current_revision, prepare
    from server.wiring import open_database

    db = open_database(settings.effective_database_url)
    with _refusals(settings):
        before = current_revision(db.engine)
        prepare(db)
        after = current_revision(db.engine)
    if before == after:
        click.echo(f"schema already at {after}, this version's newest / 数据库结构已是最新版本 {after}")
    else:
        click.echo(f"schema upgraded from {before or 'empty'} to {after} / 数据库结构已从 {before or '空'} 升级到 {after}")


@main.command()
@database_options
def demo(settings: Settings) -> None:
    """Load the demo company (does nothing if it is already there) / 加载演示公司。"""
    from server.demo import load_demo

    db = _open(settings)
    click.echo("演示公司已加载 / demo company loaded" if load_demo(db) else "演示公司已存在，未做更改 / demo company already present; nothing changed")
    _print_demo_users()


@main.command()
@database_options
@click.option("--anchor", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Audit anchor file to hold the audit chain to (default: the anchor file, if there is one; "
                   "env CANGKU_AUDIT_ANCHOR_FILE) / 用以核对审计链的锚点文件（默认：已有的锚点文件）")
def check(settings: Settings, anchor: Path | None) -> None:
    """Verify the ledger invariants and the audit chain, also against the audit anchors; exit 1 with a report if one fails
    / 校验库存账不变量与审计链（并核对审计锚点）。"""
    from server.audit.anchors import anchor_file, chain_head, verify_anchors

    anchors = anchor if anchor is not None else anchor_file(settings)
    if anchor is not None and not anchor.is_file():
        raise click.ClickException(f"找不到锚点文件 {anchor}\nNo anchor file at {anchor}")
    db = _open(settings)
    try:
        with db.read() as session:
            report = _database_checks(session)
            head = chain_head(session.connection())
            anchored = verify_anchors(session, anchors) if anchors.is_file() else None
    except OSError as exc:
        raise click.ClickException(f"无法读取锚点文件 {anchors}：{exc.strerror}\nCannot read the anchor file {anchors}: {exc.strerror}") from None
    click.echo(f"checked {report.checked.get('moves', 0)} moves, {report.checked.get('balances', 0)} balances")
    if head is not None:
        click.echo(f"audit chain head / 审计链头: #{head[0]} {head[1]}")
    if anchored is not None:
        click.echo(anchored.summary())
        report.problems += [f"[anchor] {b.en} / {b.zh}" for b in anchored.breaks]
    else:
        click.echo(f"no audit anchor file at {anchors}: a rewound audit chain would go unnoticed / "
                   f"{anchors} 处没有审计锚点文件：审计链被回拨将无法发现")
    if report.ok:
        click.echo("OK: all invariants hold / 所有不变量成立")
        return
    click.echo(f"FAILED: {len(report.problems)} problem(s) / 发现问题:", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@main.command("backup")
@database_options
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Then delete all but the newest N backups in that folder / 之后只保留该文件夹中最新的 N 个备份")
def backup_command(settings: Settings, path: Path | None, keep: int | None) -> None:
    """Write a consistent copy of the database while the server runs, and verify it; exit 1 if it fails.
    PATH: a new file or a folder (default: <data dir>/backups/, named by the UTC time) / 备份数据库并校验。"""
    from server.backup import backup

    with _refusals(settings):
        outcome = backup(settings, path, check=_database_checks, keep=keep)
    _report(outcome, f"backup written / 备份已写入: {outcome.path} ({_size(outcome.size)})")


@main.command("restore")
@database_options
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", "--clean", "force", is_flag=True, help="Replace everything the target database holds / 替换目标数据库中的全部内容")
def restore_command(settings: Settings, path: Path, force: bool) -> None:
    """Restore a backup into the database, which must be empty unless --force, then verify it; stop the server first.
    / 将备份恢复到数据库（须为空，除非 --force）并校验；请先停止服务。"""
    from server.backup import restore

    with _refusals(settings):
        outcome = restore(settings, path, check=_database_checks, force=force)
    _report(outcome, f"restored / 已恢复: {path} ({_size(outcome.size)}) → {_hide_password(settings.effective_database_url)}")


def _size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MiB, {size} bytes"


def _report(outcome: Outcome, headline: str) -> None:
    click.echo(headline)
    click.echo(f"schema revision / 结构版本: {outcome.revision}")
    for line in outcome.verified:
        click.echo(f"verified / 已校验: {line}")
    for line in outcome.notes:
        click.echo(f"note / 注意: {line}")
    for removed in outcome.removed:
        click.echo(f"removed old backup / 已删除旧备份: {removed}")
    if not outcome.ok:
        click.echo(f"FAILED: {len(outcome.problems)} problem(s) / 校验发现问题:", err=True)
        for problem in outcome.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)


@main.command("import")
@database_options
@click.argument("kind", type=click.Choice(["items", "partners", "locations", "stock"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing / 只检查，不写入")
def import_(settings: Settings, kind: str, file: str, dry_run: bool) -> None:
    """Import a CSV/XLSX file, all or nothing; exit 1 with a report if a row is bad / 导入 CSV/XLSX 文件。"""
    from pathlib import Path

    from server.auth.permissions import SYSTEM
    from server.imports.services import ImportRefused, describe, import_file

    db = _open(settings)
    path = Path(file)
    try:
        report = db.run_write(lambda s: import_file(s, SYSTEM, kind, path.read_bytes(), filename=path.name, dry_run=dry_run))
    except ImportRefused as exc:
        report = exc.report
    for line in describe(report):
        click.echo(line)
    if report.errors:
        sys.exit(1)


@main.group()
def user() -> None:
    """Manage users / 用户管理。"""


@user.command("create")
@database_options
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="admin, purchaser, approver, warehouse, sales, finance, viewer")
@click.option("--warehouse", "warehouses", multiple=True, help="Limit to these warehouses / 限定仓库")
@click.option("--name", "display_name", default="", help="Display name / 显示名称")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_create(settings: Settings, username: str, roles: tuple[str, ...], warehouses: tuple[str, ...], display_name: str, password: str) -> None:
    """Create a user / 新建用户。"""
    from server.auth.permissions import SYSTEM
    from server.auth.services import create_user
    from server.errors import CangkuError

    db = _open(settings)
    try:
        with db.write() as session:
            create_user(session, SYSTEM, username=username, password=password, roles=roles, display_name=display_name, warehouses=warehouses)
    except CangkuError as exc:
        raise click.ClickException(f"{exc.en} / {exc.zh}") from None
    click.echo(f"user {username} created / 用户已创建")


@main.group()
def jobs() -> None:
    """Scheduled jobs / 定时任务。"""


@jobs.command("list")
@database_options
def jobs_list(settings: Settings) -> None:
    """List the jobs, their schedules and last runs / 列出任务、计划和最近运行。"""
    from server.auth.permissions import SYSTEM
    from server.base import utcnow
    from server.jobs.registry import load_jobs
    from server.jobs.services import recent_runs

    db = _open(settings)
    specs = load_jobs()
    with db.read() as session:
        runs = recent_runs(session, SYSTEM, list(specs), per_job=1)
    for spec in specs.values():
        slot = spec.current_slot(utcnow(), settings)
        last = runs[spec.name][0][0] if runs[spec.name] else None
        state = f"last: {last.slot} {last.status}" if last else "never run / 从未运行"
        click.echo(f"{spec.name:<22} {spec.describe()[1]:<24} slot {slot.key:<13} {state}  {spec.title_zh} / {spec.title_en}")


@jobs.command("run")
@database_options
@click.argument("name")
@click.option("--slot", default=None,
              help="2026-11-26T13 (hourly), 2026-11-26 (daily) or 2026-W48 (weekly); default: the current one / 默认当前时段")
@click.option("--force", is_flag=True, help="Run again a slot that already succeeded / 重新运行已成功的时段")
def jobs_run(settings: Settings, name: str, slot: str | None, force: bool) -> None:
    """Run a job now; exit 1 if it fails or already ran / 立即运行任务。"""
    from server.auth.permissions import SYSTEM
    from server.errors import CangkuError
    from server.jobs.services import run_job
    from server.notifications.live import redis_publisher

    db = _open(settings)
    publisher = redis_publisher(settings)  # with Redis, connected screens get the notifications live
    if publisher is not None:
        db.commit_listeners.append(publisher)
    try:
        run = run_job(db, name, actor=SYSTEM, settings=settings, slot=slot, force=force)
    except CangkuError as exc:
        raise click.ClickException(f"{exc.en} / {exc.zh}") from None
    if run.status != "succeeded":
        click.echo(f"{run.job} {run.slot}: FAILED / 失败 (attempt {run.attempts}): {run.error}", err=True)
        sys.exit(1)
    click.echo(f"{run.job} {run.slot}: succeeded / 成功 {run.summary}")


if __name__ == "__main__":
    main()
