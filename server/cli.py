"""The `cangku` command: serve, demo, check, migrate, user create. Every command takes the same database settings."""

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
def serve(settings: Settings, host: str | None, port: int | None, demo: bool) -> None:
    """Migrate the database and start the server / 迁移数据库并启动服务。"""
    import uvicorn

    from server.app import create_app

    settings = settings.with_overrides(host=host, port=port)
    db = _open(settings)
    if demo:
        from server.demo import load_demo

        if load_demo(db):
            click.echo("演示公司已加载 / demo company loaded")
        _print_demo_users()
    click.echo(f"Cangku 仓库 on http://{settings.host}:{settings.port}  ({db.dialect}: {db.engine.url.render_as_string(hide_password=True)})")
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


if __name__ == "__main__":
    main()
