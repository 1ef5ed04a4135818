"""The `cangku` command: demo (idempotent), check (finds broken invariants), user create, serve."""

from __future__ import annotations

import os
import sqlite3
import subprocess

import httpx
import pytest

from server.testing import CANGKU, ServedProcess


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CANGKU, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, input=input, timeout=300)


@pytest.fixture
def database_env(backend, tmp_path, backends):  # type: ignore[no-untyped-def]
    """Settings for a fresh, empty database of the backend, given the way an operator gives them."""
    if backend == "sqlite":
        yield {"CANGKU_DATA_DIR": str(tmp_path / "data")}
        return
    with backends.scratch(backend, tmp_path, "cli") as url:
        yield {"CANGKU_DATABASE_URL": url}


def counts(env: dict[str, str]) -> dict[str, int]:
    from sqlalchemy import func, select

    from server.db import Database
    from server.models import Base
    from server.settings import Settings

    url = env.get("CANGKU_DATABASE_URL") or Settings(data_dir=__import__("pathlib").Path(env["CANGKU_DATA_DIR"]), database_url=None).effective_database_url
    db = Database(url)
    try:
        with db.read() as session:
            return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    finally:
        db.dispose()


def test_the_demo_company_loads_once_and_passes_the_check(database_env):
    first = run("demo", env=database_env)
    assert first.returncode == 0, first.stderr
    assert "admin" in first.stdout and "demo" in first.stdout
    loaded = counts(database_env)
    assert loaded["items"] >= 190 and loaded["locations"] > 50 and loaded["partners"] >= 10 and loaded["moves"] > 300
    assert loaded["lots"] > 0 and loaded["serials"] > 0 and loaded["users"] >= 5
    second = run("demo", env=database_env)
    assert second.returncode == 0 and "nothing changed" in second.stdout
    assert counts(database_env) == loaded
    check = run("check", env=database_env)
    assert check.returncode == 0 and "OK" in check.stdout, check.stdout + check.stderr


def test_check_reports_a_balance_that_disagrees_with_its_moves(tmp_path):
    env = {"CANGKU_DATA_DIR": str(tmp_path / "data")}
    assert run("demo", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "data" / "cangku.db") as conn:
        conn.execute("UPDATE balances SET qty = qty + 10000 WHERE id = (SELECT MIN(id) FROM balances WHERE internal = 1)")
    check = run("check", env=env)
    assert check.returncode == 1
    assert "[1]" in check.stderr and "[2]" in check.stderr and "balance" in check.stderr


def test_user_create_from_the_command_line(tmp_path):
    env = {"CANGKU_DATA_DIR": str(tmp_path / "data")}
    created = run("user", "create", "chen", "--role", "purchaser", "--password", "long enough pw", env=env)
    assert created.returncode == 0, created.stderr
    again = run("user", "create", "chen", "--role", "purchaser", "--password", "long enough pw", env=env)
    assert again.returncode != 0 and "already exists" in again.stderr
    weak = run("user", "create", "wu", "--role", "viewer", "--password", "short", env=env)
    assert weak.returncode != 0 and "8" in weak.stderr


def test_serve_with_the_demo_answers_health_and_signs_in_the_demo_admin(tmp_path):
    with ServedProcess(tmp_path, "--demo", "--data-dir", str(tmp_path / "data"), env={"CANGKU_DATABASE_URL": None}) as server:
        health = server.wait_healthy()
        assert health.json()["status"] == "ok" and health.json()["database"] == "sqlite"
        login = httpx.post(f"{server.url}/api/v1/auth/login", json={"username": "admin", "password": "demo"})
        assert login.status_code == 200
        assert (tmp_path / "data" / "cangku.db").exists()
        mode = sqlite3.connect(tmp_path / "data" / "cangku.db").execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    assert "admin" in server.output and "password" in server.output
