"""The `cangku` command: demo (idempotent), check (finds broken invariants and a rewound audit chain), user create, serve."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess

import httpx
import pytest

from server.demo import DEMO_PASSWORD
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

    from server.models import Base
    from server.settings import Settings
    from server.wiring import open_database

    url = env.get("CANGKU_DATABASE_URL") or Settings(data_dir=__import__("pathlib").Path(env["CANGKU_DATA_DIR"]), database_url=None).effective_database_url
    db = open_database(url)
    try:
        with db.read() as session:
            return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    finally:
        db.dispose()


def test_the_demo_company_loads_once_and_passes_the_check(database_env):
    first = run("demo", env=database_env)
    assert first.returncode == 0, first.stderr
    assert "admin" in first.stdout and DEMO_PASSWORD in first.stdout
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


def test_check_finds_an_audit_chain_wound_back_behind_an_anchor_only_when_it_has_the_anchors(database_env, tmp_path):
    """Someone able to drop the triggers deletes the newest audit entries and winds the chain head back: the chain alone
    is whole, so a plain check passes; held to an anchor kept elsewhere (`--anchor`), or to the anchor file in its
    default place, the check fails and names the anchor."""
    from server.migrate import prepare
    from server.wiring import open_database
    from tests.conftest import build_world
    from tests.test_audit_chain import receive, rewind

    url = database_env.get("CANGKU_DATABASE_URL") or f"sqlite:///{tmp_path / 'data' / 'cangku.db'}"
    db = open_database(url)
    try:
        prepare(db)
        build_world(db)
        elsewhere = tmp_path / "kept-elsewhere" / "anchors.log"
        anchored = run("jobs", "run", "audit_anchor", env={**database_env, "CANGKU_AUDIT_ANCHOR_FILE": str(elsewhere)})
        assert anchored.returncode == 0, anchored.stderr
        anchor = json.loads(elsewhere.read_text())
        receive(db, 4)
        rewind(db, anchor["seq"] - 2)
    finally:
        db.dispose()
    default = tmp_path / "audit-anchors.log"  # this test's anchor file (tests/conftest.py), where nothing was written
    plain = run("check", env=database_env)
    assert plain.returncode == 0, plain.stdout + plain.stderr  # the limit of the chain alone
    assert f"no audit anchor file at {default}" in plain.stdout and "审计链被回拨将无法发现" in plain.stdout

    held = run("check", "--anchor", str(elsewhere), env=database_env)
    assert held.returncode == 1, held.stdout
    assert f"audit anchors: 1 of 1 checked against {elsewhere}" in held.stdout
    assert f"[anchor] the audit log ends at entry #{anchor['seq'] - 2} but the anchor on line 1 of {elsewhere}" in held.stderr
    assert f"records entry #{anchor['seq']}" in held.stderr and "链头被回拨" in held.stderr

    shutil.copy(elsewhere, default)
    by_default = run("check", env=database_env)
    assert by_default.returncode == 1 and "[anchor]" in by_default.stderr and str(default) in by_default.stderr

    missing = run("check", "--anchor", str(tmp_path / "no-such.log"), env=database_env)
    assert missing.returncode == 1 and "No anchor file at" in missing.stderr and "找不到锚点文件" in missing.stderr


def test_user_create_from_the_command_line(tmp_path):
    env = {"CANGKU_DATA_DIR": str(tmp_path / "data")}
    created = run("user", "create", "chen", "--role", "purchaser", "--password", "long enough pw", env=env)
    assert created.returncode == 0, created.stderr
    again = run("user", "create", "chen", "--role", "purchaser", "--password", "long enough pw", env=env)
    assert again.returncode != 0 and "already exists" in again.stderr
    weak = run("user", "create", "wu", "--role", "viewer", "--password", "short", env=env)
    assert weak.returncode != 0 and "10" in weak.stderr


def test_serve_with_the_demo_answers_health_and_signs_in_the_demo_admin(tmp_path):
    with ServedProcess(tmp_path, "--demo", "--data-dir", str(tmp_path / "data"), env={"CANGKU_DATABASE_URL": None}) as server:
        health = server.wait_healthy()
        assert health.json()["status"] == "ok" and health.json()["database"] == "sqlite"
        login = httpx.post(f"{server.url}/api/v1/auth/login", json={"username": "admin", "password": DEMO_PASSWORD})
        assert login.status_code == 200
        assert (tmp_path / "data" / "cangku.db").exists()
        mode = sqlite3.connect(tmp_path / "data" / "cangku.db").execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    assert "admin" in server.output and "password" in server.output


def test_cangku_version_names_the_installed_version():
    from importlib.metadata import version

    result = run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"cangku {version('cangku')}"
