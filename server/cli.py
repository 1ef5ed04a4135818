"""The `cangku` command: serve, demo, check, migrate, import, user create. Every command takes the same database settings."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from server.settings import Settings, get_settings


def database_options(command: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Data directory (SQLite file) / 数据目录")
    @click.option("--database-url", default=None, help="sqlite:///path or postgresql://user@host:port/db (env CANGKU_DATABASE_URL)")
    @functools.wraps(command)
    def wrapper(*args: Any, data_dir: str | None, database_url: str | None, **kwargs: Any) -> Any:
        settings = get_settings().with_overrides(data_dir=data_dir, database_url=database_url)
        return command(*args, settings=settings, **kwargs)

    return wrapper


def _open(settings: Settings):  # type: ignore[no-untyped-def]
    from server.db import Database
    from server.migrate import prepare

    db = Database(settings.effective_database_url)
    prepare(db)
    return db


def _print_demo_users() -> None:
    from server.demo import DEMO_PASSWORD, DEMO_USERS

    click.echo(f"演示账号 / demo users (password 密码: {DEMO_PASSWORD}):")
    for username, name, roles, warehouses in DEMO_USERS:
        scope = f" [{', '.join(warehouses)}]" if warehouses else ""
        click.echo(f"  {username:<10} {', '.join(roles)}{scope}  {name}")


@click.group()
def main() -> None:
    """Cangku (仓库): warehouse-first purchasing, sales and inventory."""


@main.command()
@database_options
@click.option("--host", default=None, help="Listen address / 监听地址")
@click.option("--port", type=int, default=None, help="Port / 端口")
@click.option("--demo", is_flag=True, help="Load the demo company first / 先加载演示公司")
@click.option("--scheduler/--no-scheduler", default=None, help="Run scheduled jobs in this process (default on; env CANGKU_SCHEDULER) / 运行定时任务")
def serve(settings: Settings, host: str | None, port: int | None, demo: bool, scheduler: bool | None) -> None:
    """Migrate the database and start the server / 迁移数据库并启动服务。"""
    import uvicorn

    from server.app import create_app

    settings = settings.with_overrides(host=host, port=port, scheduler=scheduler if scheduler is not None else settings.scheduler is not False)
    db = _open(settings)
    if demo:
        from server.demo import load_demo

        if load_demo(db):
            click.echo("演示公司已加载 / demo company loaded")
        _print_demo_users()
    click.echo(f"Cangku 仓库 on http://{settings.host}:{settings.port}  ({db.dialect}: {db.engine.url.render_as_string(hide_password=True)})")
    from labels.layout import cjk_font

    if cjk_font() is None:
        click.echo("注意：未找到中文字体，标签中的中文无法显示；请安装 fonts-wqy-microhei 或设置 CANGKU_LABEL_FONT。\n"
                   "Note: no Chinese font found, so labels cannot show Chinese; install fonts-wqy-microhei or set CANGKU_LABEL_FONT.",
                   err=True)
    uvicorn.run(create_app(settings, db), host=settings.host, port=settings.port, log_level="info")


@main.command()
@database_options
def migrate(settings: Settings) -> None:
    """Upgrade the database schema to the latest version / 升级数据库结构。"""
    from server.migrate import current_revision

    db = _open(settings)
    click.echo(f"schema at {current_revision(db.engine)}")


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
def check(settings: Settings) -> None:
    """Verify the ledger invariants; exit 1 with a report if one fails / 校验库存账不变量。"""
    from server.inventory.check import check_ledger

    db = _open(settings)
    with db.read() as session:
        report = check_ledger(session)
    click.echo(f"checked {report.checked.get('moves', 0)} moves, {report.checked.get('balances', 0)} balances")
    if report.ok:
        click.echo("OK: all invariants hold / 所有不变量成立")
        return
    click.echo(f"FAILED: {len(report.problems)} problem(s) / 发现问题:", err=True)
    for problem in report.problems:
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
        click.echo(f"{spec.name:<22} {spec.describe()[1]:<24} slot {slot.key:<11} {state}  {spec.title_zh} / {spec.title_en}")


@jobs.command("run")
@database_options
@click.argument("name")
@click.option("--slot", default=None, help="2026-11-26 (daily) or 2026-W48 (weekly); default: the current one / 默认当前时段")
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
