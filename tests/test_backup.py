"""`cangku backup` and `cangku restore`: a backup taken while the warehouse keeps posting restores whole into an empty
database and passes `cangku check`; a target that is not empty, a missing source and the wrong kind of file are refused
with a message, never a traceback."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.engine import make_url

from server.audit.models import AuditChainHead
from server.auth.permissions import SYSTEM
from server.backup import _target_path, prune
from server.cli import main
from server.db import Database
from server.inventory.models import Move
from server.inventory.services import move
from server.migrate import head_revision, prepare, upgrade
from server.settings import Settings, get_settings
from server.wiring import open_database
from tests.conftest import POSTGRES_URL, build_world, postgres_database, require_postgres


def cangku(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def new_database(backend, tmp_path) -> Iterator[Callable[[str], str]]:  # type: ignore[no-untyped-def]
    """`new_database("target")` -> the URL of an empty database of the backend."""
    with contextlib.ExitStack() as stack:

        def make(purpose: str) -> str:
            if backend == "sqlite":
                return f"sqlite:///{tmp_path / purpose / 'cangku.db'}"
            return stack.enter_context(postgres_database(purpose))

        yield make


@pytest.fixture
def warehouse(new_database) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """A live database with the small warehouse of the other tests."""
    db = open_database(new_database("live"))
    prepare(db)
    build_world(db)
    yield db
    db.dispose()


class Posting(threading.Thread):
    """Posts business actions until stopped, each one committed whole or not at all: receipts (a move and its journal
    entry) and two-leg transfers (B1 → B2 → B3 in one transaction). Records the move ids of each action once committed."""

    def __init__(self, db: Database) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.committed: list[tuple[int, ...]] = []
        self.error: BaseException | None = None
        self.halt = threading.Event()

    def run(self) -> None:
        n = 0
        try:
            while not self.halt.is_set():
                n += 1
                self.committed.append(self.db.run_write(self.receipt if n % 2 else self.transfer))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    @staticmethod
    def receipt(session) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
        return (move(session, SYSTEM, sku="PEN", qty=Decimal(5), source="SUPPLIER", target="B1", unit_cost=Decimal("1.25")).id,)

    @staticmethod
    def transfer(session) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
        first = move(session, SYSTEM, sku="PEN", qty=Decimal(2), source="B1", target="B2")
        second = move(session, SYSTEM, sku="PEN", qty=Decimal(2), source="B2", target="B3")
        return first.id, second.id

    def wait_for(self, actions: int) -> None:
        while len(self.committed) < actions:
            assert self.is_alive(), self.error
            self.halt.wait(0.01)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=60)
        assert self.error is None, self.error


def the_backup(folder: Path) -> Path:
    files = sorted(folder.glob("cangku-*"))
    assert len(files) == 1, files
    return files[0]


def move_ids(url: str) -> set[int]:
    db = open_database(url)
    try:
        with db.read() as session:
            return set(session.scalars(select(Move.id)))
    finally:
        db.dispose()


# Backup while posting, restore, check --------------------------------------------------------------


def test_a_backup_taken_while_the_warehouse_posts_restores_whole_into_an_empty_database(backend, warehouse, new_database, tmp_path):
    posting = Posting(warehouse)
    posting.start()
    try:
        posting.wait_for(30)
        before = list(posting.committed)  # every action committed before the backup started
        backed_up = cangku("backup", "--database-url", warehouse.url, "--data-dir", str(tmp_path / "data"))
        during = len(posting.committed)
        posting.wait_for(during + 10)  # the warehouse went on posting: the backup did not stop it
    finally:
        posting.stop()
    assert backed_up.exit_code == 0, backed_up.output
    assert "all invariants hold" in backed_up.output and f"结构版本: {head_revision()}" in backed_up.output
    backup = the_backup(tmp_path / "data" / "backups")
    assert str(backup) in backed_up.output and "bytes" in backed_up.output
    assert backup.suffix == (".sqlite3" if backend == "sqlite" else ".dump")
    if backend == "postgresql":
        assert "pg_restore --list: archive readable" in backed_up.output and "dumped snapshot" in backed_up.output
    else:
        assert "SQLite integrity check: ok" in backed_up.output

    target = new_database("restored")
    restored = cangku("restore", "--database-url", target, str(backup))
    assert restored.exit_code == 0, restored.output
    assert "restored database" in restored.output and "all invariants hold" in restored.output
    check = cangku("check", "--database-url", target)
    assert check.exit_code == 0 and "OK" in check.output, check.output

    in_backup = move_ids(target)
    assert {i for action in before for i in action} <= in_backup  # nothing committed before the backup is missing
    every_move = {i for action in posting.committed for i in action}
    assert in_backup <= every_move
    assert len(in_backup) < len(every_move)  # and it is a moment's state: what came after is not in it
    for action in posting.committed:  # each action is in the backup whole or not at all
        assert {i in in_backup for i in action} in ({True}, {False}), action


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(backend, warehouse, tmp_path):
    assert cangku("backup", "--database-url", warehouse.url, str(tmp_path)).exit_code == 0
    backup = the_backup(tmp_path)
    with warehouse.write() as session:
        move(session, SYSTEM, sku="PEN", qty=Decimal(7), source="SUPPLIER", target="B1")
    refused = cangku("restore", "--database-url", warehouse.url, str(backup))
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "不是空的" in refused.output and "--force" in refused.output
    assert len(move_ids(warehouse.url)) == 1  # untouched
    warehouse.dispose()  # the server is stopped for a restore
    forced = cangku("restore", "--force", "--database-url", warehouse.url, str(backup))
    assert forced.exit_code == 0, forced.output
    assert move_ids(warehouse.url) == set()  # back to the moment of the backup
    assert cangku("check", "--database-url", warehouse.url).exit_code == 0


# Refusals ------------------------------------------------------------------------------------------


def test_a_backup_of_a_missing_or_unreadable_sqlite_database_fails_clearly(tmp_path):
    missing = cangku("backup", "--data-dir", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "no database at" in missing.output and "没有数据库" in missing.output
    assert not (tmp_path / "nowhere").exists()  # a backup never creates the database it was to copy, nor its folder
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "cangku.db").write_bytes(b"this is not a database at all" * 200)
    junk = cangku("backup", "--data-dir", str(tmp_path / "junk"))
    assert junk.exit_code == 1 and "cannot read the database" in junk.output and "无法读取数据库" in junk.output
    assert not list((tmp_path / "junk" / "backups").glob("*"))  # no partial file left behind


def test_a_backup_of_a_missing_postgresql_database_or_without_pg_dump_fails_clearly(tmp_path, monkeypatch):
    require_postgres()
    url = make_url(POSTGRES_URL).set(database=f"cangku_no_such_{uuid.uuid4().hex[:8]}").render_as_string(hide_password=False)
    missing = cangku("backup", "--database-url", url, "--data-dir", str(tmp_path))
    assert missing.exit_code == 1 and "cannot connect" in missing.output and "does not exist" in missing.output
    monkeypatch.setenv("PATH", str(tmp_path))
    no_tool = cangku("backup", "--database-url", POSTGRES_URL, "--data-dir", str(tmp_path))
    assert no_tool.exit_code == 1 and "pg_dump not found" in no_tool.output and "postgresql-client" in no_tool.output
    assert not list((tmp_path / "backups").glob("*"))


def test_restore_refuses_a_missing_file_and_the_wrong_kind_of_file(tmp_path):
    target = ["--data-dir", str(tmp_path / "data")]
    missing = cangku("restore", *target, str(tmp_path / "no-such.sqlite3"))
    assert missing.exit_code == 1 and "not found" in missing.output and "找不到备份文件" in missing.output
    (tmp_path / "notes.txt").write_text("SELECT 1;\n" * 10)
    text_file = cangku("restore", *target, str(tmp_path / "notes.txt"))
    assert text_file.exit_code == 1 and "not a Cangku backup" in text_file.output and "不是仓库的备份" in text_file.output
    (tmp_path / "fake.dump").write_bytes(b"PGDMP" + bytes(100))
    postgres_kind = cangku("restore", *target, str(tmp_path / "fake.dump"))
    assert postgres_kind.exit_code == 1 and "PostgreSQL backup but the database is SQLite" in postgres_kind.output
    with sqlite3.connect(tmp_path / "other.sqlite3") as conn:
        conn.execute("CREATE TABLE hello (x)")
    not_ours = cangku("restore", *target, str(tmp_path / "other.sqlite3"))
    assert not_ours.exit_code == 1 and "no Cangku schema" in not_ours.output
    assert not (tmp_path / "data" / "cangku.db").exists()
    on_postgres = cangku("restore", "--database-url", POSTGRES_URL, str(tmp_path / "other.sqlite3"))
    assert on_postgres.exit_code == 1 and "SQLite backup but the database is PostgreSQL" in on_postgres.output


# What a backup verifies, and retention -------------------------------------------------------------


def test_a_backup_of_a_broken_ledger_is_kept_but_fails(warehouse, tmp_path):
    from sqlalchemy import text

    with warehouse.write() as session:
        move(session, SYSTEM, sku="PEN", qty=Decimal(5), source="SUPPLIER", target="B1")
        session.execute(text("UPDATE balances SET qty = qty + 1000 WHERE qty > 0"))
    failed = cangku("backup", "--database-url", warehouse.url, str(tmp_path))
    assert failed.exit_code == 1
    assert "[2]" in failed.output and "FAILED" in failed.output
    assert the_backup(tmp_path).stat().st_size > 0  # the copy is still the best there is of that database


def test_a_database_not_yet_migrated_can_be_backed_up_before_the_upgrade(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'old' / 'cangku.db'}")
    upgrade(db.engine, "0002")
    db.dispose()
    backed_up = cangku("backup", "--data-dir", str(tmp_path / "old"))
    assert backed_up.exit_code == 0, backed_up.output
    assert "结构版本: 0002" in backed_up.output and "SQLite integrity check: ok" in backed_up.output
    assert "ledger check was skipped" in backed_up.output and "cangku migrate" in backed_up.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_keep_prunes_old_backups_and_nothing_else(warehouse, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    (folder / "cangku-20200101T000000Z.sqlite3").write_bytes(b"an old backup")
    for _ in range(3):
        assert cangku("backup", "--database-url", warehouse.url, str(folder), "--keep", "2").exit_code == 0
    left = sorted(p.name for p in folder.iterdir())
    assert "notes.txt" in left and "cangku-20200101T000000Z.sqlite3" not in left
    assert len([name for name in left if name.startswith("cangku-")]) == 2
    third = cangku("backup", "--database-url", warehouse.url, str(folder), "--keep", "1")
    assert "removed old backup" in third.output
    assert len(list(folder.glob("cangku-*"))) == 1


def test_a_second_backup_in_the_same_second_is_kept_even_after_an_earlier_one_of_that_second_was_pruned(tmp_path):
    """Retention sorts by the name's time and number: a new backup must never reuse a pruned name and sort first."""
    now = dt.datetime(2026, 11, 26, 8, 30, 0, tzinfo=dt.UTC)
    settings = Settings(data_dir=tmp_path, database_url=None)
    (tmp_path / "cangku-20261126T083000Z-1.sqlite3").write_bytes(b"one")
    (tmp_path / "cangku-20261126T083000Z-2.sqlite3").write_bytes(b"two")
    newest = _target_path(settings, tmp_path, "sqlite", now)
    assert newest.name == "cangku-20261126T083000Z-3.sqlite3"
    newest.write_bytes(b"three")
    prune(tmp_path, 1)
    assert [p.name for p in tmp_path.iterdir()] == [newest.name]


# The audit anchor -----------------------------------------------------------------------------------


def anchors(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def audit_head(db: Database) -> tuple[int, str]:
    with db.read() as session:
        head = session.get_one(AuditChainHead, 1)
        return head.seq, head.hash


def test_a_backup_anchors_the_audit_chain_head_it_holds(backend, warehouse, tmp_path, audit_anchor_file):
    backed_up = cangku("backup", "--database-url", warehouse.url, str(tmp_path))
    assert backed_up.exit_code == 0, backed_up.output
    backup = the_backup(tmp_path)
    seq, hash_ = audit_head(warehouse)
    (anchor,) = anchors(audit_anchor_file)
    assert (anchor["seq"], anchor["hash"], anchor["source"], anchor["backup"]) == (seq, hash_, "backup", str(backup.resolve()))
    assert f"audit chain head #{seq} anchored in {audit_anchor_file}" in backed_up.output and "已记入锚点文件" in backed_up.output


def test_a_backup_without_a_setting_anchors_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("CANGKU_AUDIT_ANCHOR_FILE")
    get_settings.cache_clear()
    db = open_database(f"sqlite:///{tmp_path / 'data' / 'cangku.db'}")
    prepare(db)
    build_world(db)
    db.dispose()
    assert cangku("backup", "--data-dir", str(tmp_path / "data")).exit_code == 0
    (anchor,) = anchors(tmp_path / "data" / "audit-anchors.log")
    assert anchor["source"] == "backup" and anchor["backup"] == str(the_backup(tmp_path / "data" / "backups").resolve())


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_backup_whose_anchor_cannot_be_written_is_kept_but_fails(warehouse, tmp_path, monkeypatch):
    (tmp_path / "a-folder").mkdir()
    monkeypatch.setenv("CANGKU_AUDIT_ANCHOR_FILE", str(tmp_path / "a-folder"))
    get_settings.cache_clear()
    failed = cangku("backup", "--database-url", warehouse.url, str(tmp_path))
    assert failed.exit_code == 1 and "FAILED" in failed.output
    assert f"could not be written to the anchor file {tmp_path / 'a-folder'}" in failed.output and "无法写入锚点文件" in failed.output
    assert the_backup(tmp_path).stat().st_size > 0


def test_a_restore_marks_where_it_put_the_audit_chain_back_so_later_anchors_are_not_taken_for_a_rewind(
    backend, warehouse, tmp_path, audit_anchor_file
):
    assert cangku("backup", "--database-url", warehouse.url, str(tmp_path)).exit_code == 0
    backup = the_backup(tmp_path)
    backed_up_seq, _ = audit_head(warehouse)
    for _ in range(3):
        with warehouse.write() as session:
            move(session, SYSTEM, sku="PEN", qty=Decimal(7), source="SUPPLIER", target="B1")
    assert cangku("jobs", "run", "audit_anchor", "--database-url", warehouse.url).exit_code == 0
    assert anchors(audit_anchor_file)[-1]["seq"] > backed_up_seq  # the job anchored history the restore will take away
    warehouse.dispose()  # the server is stopped for a restore

    restored = cangku("restore", "--force", "--database-url", warehouse.url, str(backup))
    assert restored.exit_code == 0, restored.output
    assert f"the audit chain is back at entry #{backed_up_seq}" in restored.output and "审计链回到" in restored.output
    marker = anchors(audit_anchor_file)[-1]
    assert (marker["source"], marker["seq"], marker["backup"]) == ("restore", backed_up_seq, str(backup.resolve()))
    check = cangku("check", "--database-url", warehouse.url)
    assert check.exit_code == 0, check.output
    assert "audit anchors: 2 of 3 checked" in check.output and "1 written before a restore" in check.output

    # Without the restore's line the same database is a chain wound back behind the job's anchor.
    audit_anchor_file.write_text("".join(line + "\n" for line in audit_anchor_file.read_text().splitlines()[:-1]))
    rewound = cangku("check", "--database-url", warehouse.url)
    assert rewound.exit_code == 1
    assert f"[anchor] the audit log ends at entry #{backed_up_seq} but the anchor on line 2 of {audit_anchor_file}" in rewound.output
    assert "by the hourly job" in rewound.output and "链头被回拨" in rewound.output
