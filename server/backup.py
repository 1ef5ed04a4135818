"""Backups and restores, each verified: SQLite through its online backup API, PostgreSQL through pg_dump and pg_restore.

SQLite: the backup API copies the database in one step inside one read transaction, so the
copy is a committed state even while the server writes (WAL lets writers go on meanwhile);
the copy is then opened read-only and checked (integrity, then the checks of `cangku check`).
PostgreSQL: one connection opens a repeatable-read transaction and exports its snapshot;
pg_dump dumps exactly that snapshot (`--snapshot`), and the same transaction runs the checks
of `cangku check`, so they vouch for the data in the file. The file is then read back with
`pg_restore --list`. A full proof is a test restore into a scratch database, which
`cangku restore` verifies the same way.

Each backup appends the audit chain's head it holds to the audit anchor file, and each restore the head it put the
database back to (server/audit/anchors.py), so `cangku check` can tell a rewound audit log from a restored one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from server.audit.anchors import anchor_file, append_anchor, chain_head, sync_directory
from server.audit.chain import GENESIS
from server.check import CheckReport
from server.db import normalize_url
from server.errors import CangkuError
from server.migrate import SchemaState, schema_state
from server.settings import Settings
from sync.feed import start_new_epoch

Check = Callable[[Session], CheckReport]  # what `cangku check` runs, handed in by the CLI

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".dump"}
BACKUP_NAME = re.compile(r"^cangku-(\d{8}T\d{6}Z)(?:-(\d+))?\.(?:sqlite3|dump)$")


class BackupError(CangkuError):
    code = "backup_failed"


@dataclasses.dataclass
class Outcome:
    """What a backup or a restore wrote and what was verified; `problems` are the checks that failed."""

    path: Path
    revision: str | None
    verified: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    removed: list[Path] = dataclasses.field(default_factory=list)
    audit_head: tuple[int, str] | None = None  # the audit chain's head in the copy (seq, hash); None before the chain

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def ok(self) -> bool:
        return not self.problems


def backend_of(settings: Settings) -> str:
    return make_url(normalize_url(settings.effective_database_url)).get_backend_name()


def backup_kind(path: Path) -> str | None:
    """"sqlite" or "postgresql" by the file's first bytes; None for anything else."""
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return None


# Backup --------------------------------------------------------------------------------------------


def backup(settings: Settings, target: Path | None, *, check: Check, keep: int | None = None) -> Outcome:
    """Back the database up to `target` (a file, or a folder for a timestamped name; default: `<data dir>/backups/`),
    verify the copy, and then, with `keep`, delete all but the newest `keep` timestamped backups in that folder."""
    backend = backend_of(settings)
    source = _sqlite_path(settings) if backend == "sqlite" else None
    if source is not None and not source.is_file():
        raise BackupError(f"no database at {source}: nothing to back up (check --data-dir / --database-url)",
                          f"{source} 处没有数据库，无可备份（请检查 --data-dir / --database-url）")
    path = _target_path(settings, target, backend, dt.datetime.now(dt.UTC))
    partial = path.with_name(path.name + ".partial")
    try:
        if source is not None:
            outcome = _backup_sqlite(source, partial, check)
        else:
            outcome = _backup_postgresql(settings, partial, check)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    sync_directory(path.parent)
    outcome.path = path
    _anchor(settings, outcome, "backup", path)
    if keep is not None and outcome.ok:
        outcome.removed = prune(path.parent, keep)
    return outcome


def _target_path(settings: Settings, target: Path | None, backend: str, now: dt.datetime) -> Path:
    folder = target if target is not None and target.is_dir() else None
    if target is None:
        folder = settings.data_dir / "backups"
    if folder is None:
        assert target is not None
        if target.exists():
            raise BackupError(f"{target} already exists; a backup never overwrites a file. Name a new file or a folder.",
                              f"{target} 已存在；备份不会覆盖文件。请指定新的文件名或文件夹。")
        if not target.parent.is_dir():
            raise BackupError(f"folder {target.parent} not found", f"找不到文件夹 {target.parent}")
        return target
    folder.mkdir(parents=True, exist_ok=True)
    stem = now.astimezone(dt.UTC).strftime("cangku-%Y%m%dT%H%M%SZ")
    # Two backups in one second are numbered after the highest number already there, even when an earlier one of
    # that second was pruned, so the newest backup always sorts last and retention never deletes it.
    taken = [int(match.group(2) or 0) for p in folder.iterdir()
             if (match := BACKUP_NAME.match(p.name)) and match.group(1) == stem.removeprefix("cangku-")]
    if not taken:
        return folder / (stem + SUFFIX[backend])
    return folder / f"{stem}-{max(taken) + 1}{SUFFIX[backend]}"


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups named by `cangku backup` in `folder`; other files are never touched."""
    if keep < 1:
        raise BackupError("--keep must be at least 1", "--keep 至少为 1")

    def age(path: Path) -> tuple[str, int]:
        match = BACKUP_NAME.match(path.name)
        assert match is not None
        return match.group(1), int(match.group(2) or 0)

    backups = sorted((p for p in folder.iterdir() if BACKUP_NAME.match(p.name) and p.is_file()), key=age)
    removed = backups[:-keep]
    for path in removed:
        path.unlink()
    return removed


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(normalize_url(settings.effective_database_url)).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up", "内存中的 SQLite 数据库无法备份")
    return Path(database)


def _backup_sqlite(source: Path, partial: Path, check: Check) -> Outcome:
    try:
        # mode=rw: never create the source; the copy is one step, so it is one committed state of the database.
        with _sqlite_connect(source, "rw") as src, _sqlite_connect(partial, "rwc") as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, readable without -wal/-shm beside it
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the database {source}: {exc}", f"无法读取数据库 {source}：{exc}") from None
    with _sqlite_engine(partial, "ro") as engine:
        if schema_state(engine).current is None:
            raise BackupError(f"{source} holds no Cangku schema: nothing to back up", f"{source} 中没有仓库的表结构，无可备份")
        return _verify_sqlite(engine, partial, check, "the copy", "副本")


def _backup_postgresql(settings: Settings, partial: Path, check: Check) -> Outcome:
    pg_dump = _tool("pg_dump")
    with _pg_engine(settings, isolation_level="REPEATABLE READ") as engine, _connect(engine, settings) as connection:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        state = schema_state(connection)
        if state.current is None:
            raise BackupError(f"{_safe_url(settings)} holds no Cangku schema: nothing to back up",
                              f"{_safe_url(settings)} 中没有仓库的表结构，无可备份")
        # The transaction stays open until the checks below ran: pg_dump and the checks see the same snapshot.
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password", f"--file={partial}", f"--dbname={_libpq_url(settings)}"],
             settings, "pg_dump")
        outcome = Outcome(path=partial, revision=state.current)
        _check_into(outcome, check, connection, state, "the dumped snapshot", "备份所取的快照")
    outcome.verified.insert(0, _list_archive(partial))
    return outcome


# Restore -------------------------------------------------------------------------------------------


def restore(settings: Settings, source: Path, *, check: Check, force: bool = False) -> Outcome:
    """Restore a backup into the configured database, which must be empty unless `force` (then what it holds is replaced),
    and verify the result with the checks of `cangku check`."""
    backend = backend_of(settings)
    if not source.is_file():
        raise BackupError(f"backup file {source} not found", f"找不到备份文件 {source}")
    try:
        kind = backup_kind(source)
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror}", f"无法读取 {source}：{exc.strerror}") from None
    if kind is None:
        raise BackupError(
            f"{source} is not a Cangku backup: neither a SQLite database nor a pg_dump custom-format archive",
            f"{source} 不是仓库的备份：既不是 SQLite 数据库，也不是 pg_dump 自定义格式归档",
        )
    if kind != backend:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"{source} is a {names[kind]} backup but the database is {names[backend]}: "
            f"restore it with the database settings of a {names[kind]} database (--database-url / --data-dir)",
            f"{source} 是 {names[kind]} 备份，而目标数据库是 {names[backend]}：请用 {names[kind]} 数据库的设置恢复（--database-url / --data-dir）",
        )
    if backend == "sqlite":
        outcome = _restore_sqlite(source, _sqlite_path(settings), check, force)
    else:
        outcome = _restore_postgresql(settings, source, check, force)
    _anchor(settings, outcome, "restore", source)
    return outcome


def _restore_sqlite(source: Path, target: Path, check: Check, force: bool) -> Outcome:
    try:
        with _sqlite_engine(source, "ro") as engine:
            if schema_state(engine).current is None:
                raise BackupError(f"{source} holds no Cangku schema: not a Cangku backup", f"{source} 中没有仓库的表结构，不是仓库的备份")
    except DBAPIError as exc:
        raise BackupError(f"cannot read the backup {source}: {exc.orig}", f"无法读取备份 {source}：{exc.orig}") from None
    tables = _sqlite_tables(target)
    if tables and not force:
        raise _not_empty(str(target), tables)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Page by page into the target through SQLite itself: one transaction, so a crash leaves the old or the new database.
        with _sqlite_connect(source, "ro") as src, _sqlite_connect(target, "rwc") as dst:
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot restore into {target}: {exc} (is the server still running? stop it first)",
                          f"无法恢复到 {target}：{exc}（服务是否仍在运行？请先停止）") from None
    with _sqlite_engine(target, "rw") as engine:
        with engine.begin() as connection:
            epoch = start_new_epoch(connection)
        outcome = _verify_sqlite(engine, source, check, "the restored database", "恢复后的数据库")
    _note_new_epoch(outcome, epoch)
    return outcome


def _restore_postgresql(settings: Settings, source: Path, check: Check, force: bool) -> Outcome:
    pg_restore = _tool("pg_restore")
    listed = _list_archive(source)
    with _pg_engine(settings) as engine:
        with _connect(engine, settings) as connection:
            drops = _pg_user_objects(connection)
            if drops and not force:
                raise _not_empty(_safe_url(settings), [name for name, _ in drops])
            for _, statement in drops:
                connection.exec_driver_sql(statement)
            connection.commit()
        # One transaction, stopping at the first error: a restore that fails leaves nothing of itself behind.
        try:
            _run([pg_restore, "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error", "--no-password",
                  f"--dbname={_libpq_url(settings)}", str(source)], settings, "pg_restore")
        except BackupError as exc:
            if drops:
                exc.en += " (--force emptied the target first; restore again once the cause is fixed)"
                exc.zh += "（--force 已先清空目标数据库；排除原因后请重新恢复）"
            raise
        with _connect(engine, settings) as connection:
            epoch = start_new_epoch(connection)
            connection.commit()
            state = schema_state(connection)
            outcome = Outcome(path=source, revision=state.current, verified=[listed])
            _check_into(outcome, check, connection, state, "the restored database", "恢复后的数据库")
    _note_new_epoch(outcome, epoch)
    return outcome


def _note_new_epoch(outcome: Outcome, epoch: int | None) -> None:
    if epoch is not None:
        outcome.notes.append("the sync feed starts a new epoch: each phone downloads its data again on its next sync, and sends again "
                             "what it did after the backup / 同步变更流进入新纪元：各手机下次同步时重新下载数据，并重新发送备份之后所做的操作")


def _anchor(settings: Settings, outcome: Outcome, source: str, backup: Path) -> None:
    """Write the audit chain's head to the anchor file (server/audit/anchors.py): for a backup, the head it holds; for a
    restore, the head the database is now back at, which sets aside the anchors written since beyond it."""
    head = outcome.audit_head
    if head is None:
        if source == "backup":
            return  # a schema older than the audit chain: nothing to anchor
        head = (0, GENESIS)  # the chain, built by `cangku migrate`, starts again from nothing
    seq, path = head[0], anchor_file(settings)
    try:
        append_anchor(path, seq, head[1], source, backup=backup)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        outcome.problems.append(f"the audit chain head #{seq} could not be written to the anchor file {path}: {reason} / "
                                f"审计链头（第 {seq} 条）无法写入锚点文件 {path}：{reason}")
        return
    if source == "backup":
        outcome.verified.append(f"audit chain head #{seq} anchored in {path} / 审计链头（第 {seq} 条）已记入锚点文件 {path}")
    else:
        outcome.notes.append(f"the audit chain is back at entry #{seq}, as recorded in {path}: `cangku check` sets aside the anchors "
                             f"written before beyond it / 审计链回到第 {seq} 条，已记入 {path}：`cangku check` 不再核对此前写下、超出此处的锚点")


def _not_empty(where: str, objects: list[str]) -> BackupError:
    sample = ", ".join(objects[:5]) + (f" … (+{len(objects) - 5})" if len(objects) > 5 else "")
    return BackupError(
        f"the target database {where} is not empty ({sample}): restore into an empty database, "
        "or add --force to replace everything it holds",
        f"目标数据库 {where} 不是空的（{sample}）：请恢复到空数据库，或加 --force 替换其中的全部内容",
    )


# Verification --------------------------------------------------------------------------------------


def _verify_sqlite(engine: Engine, path: Path, check: Check, what_en: str, what_zh: str) -> Outcome:
    """Integrity, then `cangku check`, on the database `engine` opens; the outcome is about the file at `path`."""
    with engine.connect() as connection:
        result = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
        state = schema_state(connection)
        outcome = Outcome(path=path, revision=state.current)
        if result == ["ok"]:
            outcome.verified.append("SQLite integrity check: ok / SQLite 完整性检查：通过")
        else:
            outcome.problems += [f"SQLite integrity check / 完整性检查: {line}" for line in result]
            return outcome
        _check_into(outcome, check, connection, state, what_en, what_zh)
    return outcome


def _check_into(outcome: Outcome, check: Check, connection: Connection, state: SchemaState, what_en: str, what_zh: str) -> None:
    """Run the checks of `cangku check` in `connection`'s transaction and note the result; a schema other than this code's
    is not checked (the models would not match it), which is said. The audit chain's head is read in the same transaction."""
    outcome.audit_head = chain_head(connection)
    if not state.at_head:
        outcome.notes.append(
            f"schema revision {state.current} is not this version's ({state.head}): the ledger check was skipped; "
            "after `cangku migrate`, run `cangku check` / "
            f"结构版本 {state.current} 与本版本（{state.head}）不同：未做账目校验；`cangku migrate` 后请运行 `cangku check`"
        )
        return
    with Session(bind=connection) as session:
        report = check(session)
    counts = ", ".join(f"{n} {name}" for name, n in report.checked.items())
    if report.ok:
        outcome.verified.append(f"`cangku check` on {what_en} / 对{what_zh}执行 `cangku check`: {counts} — all invariants hold / 所有不变量成立")
    else:
        outcome.problems += [f"`cangku check` on {what_en}: {problem}" for problem in report.problems]


def _list_archive(path: Path) -> str:
    """Read the archive's table of contents back; it must hold the schema revision and the ledger's rows."""
    listing = subprocess.run([_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{path} is not a readable pg_dump archive: {listing.stderr.strip()}",
                          f"{path} 不是可读的 pg_dump 归档：{listing.stderr.strip()}")
    entries = [line for line in listing.stdout.splitlines() if line and not line.startswith(";")]
    data = {line.split()[-2] for line in entries if " TABLE DATA " in line}
    missing = [t for t in ("alembic_version", "moves", "balances") if t not in data]
    if missing:
        raise BackupError(f"{path} is not a Cangku backup: it has no data for {', '.join(missing)}",
                          f"{path} 不是仓库的备份：其中没有 {', '.join(missing)} 的数据")
    return f"pg_restore --list: archive readable, {len(entries)} entries, data of {len(data)} tables / 归档可读，{len(entries)} 项，{len(data)} 张表的数据"


# PostgreSQL plumbing -------------------------------------------------------------------------------


@contextmanager
def _pg_engine(settings: Settings, **options: object) -> Iterator[Engine]:
    engine = create_engine(normalize_url(settings.effective_database_url), poolclass=NullPool, **options)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _connect(engine: Engine, settings: Settings) -> Iterator[Connection]:
    try:
        connection = engine.connect()
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise BackupError(f"cannot connect to {_safe_url(settings)}: {reason}", f"无法连接 {_safe_url(settings)}：{reason}") from None
    with connection:
        yield connection


def _pg_user_objects(connection: Connection) -> list[tuple[str, str]]:
    """Everything a restore would collide with, each with the statement that drops it: user schemas other than public
    (whole), and the tables, views, sequences, functions and types in public. Extensions' objects are left alone."""
    not_extension = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
    rows = connection.execute(text(f"""
        SELECT 0, quote_ident(n.nspname), 'DROP SCHEMA ' || quote_ident(n.nspname) || ' CASCADE'
          FROM pg_namespace n
         WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
           AND {not_extension.format(oid='n.oid')}
        UNION ALL
        SELECT 1, c.oid::regclass::text,
               'DROP ' || CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                         WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END
               || ' IF EXISTS ' || c.oid::regclass::text || ' CASCADE'
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {not_extension.format(oid='c.oid')}
        UNION ALL
        SELECT 2, p.oid::regprocedure::text,
               'DROP ' || CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END
               || ' IF EXISTS ' || p.oid::regprocedure::text || ' CASCADE'
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND {not_extension.format(oid='p.oid')}
        UNION ALL
        SELECT 3, t.oid::regtype::text, 'DROP TYPE IF EXISTS ' || t.oid::regtype::text || ' CASCADE'
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm') AND {not_extension.format(oid='t.oid')}
         ORDER BY 1, 2
    """)).all()
    return [(name, statement) for _, name, statement in rows]


def _libpq_url(settings: Settings) -> str:
    """The URL for pg_dump/pg_restore: libpq's own scheme, the password left out (it goes in PGPASSWORD, not on a command line)."""
    url = make_url(settings.effective_database_url).set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False)


def _safe_url(settings: Settings) -> str:
    return make_url(settings.effective_database_url).render_as_string(hide_password=True)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found on PATH: install the PostgreSQL client tools of the server's major version or newer "
            "(Debian: apt-get install postgresql-client)",
            f"在 PATH 中找不到 {name}：请安装与服务器主版本相同或更新的 PostgreSQL 客户端工具（Debian：apt-get install postgresql-client）",
        )
    return found


def _run(command: list[str], settings: Settings, name: str) -> None:
    environment = dict(os.environ)
    password = make_url(settings.effective_database_url).password
    if password:
        environment["PGPASSWORD"] = str(password)
    done = subprocess.run(command, capture_output=True, text=True, env=environment)
    if done.returncode != 0:
        reason = done.stderr.strip() or f"exit status {done.returncode}"
        raise BackupError(f"{name} failed: {reason}", f"{name} 失败：{reason}")


# SQLite plumbing -----------------------------------------------------------------------------------


def _sqlite_connect(path: Path, mode: str) -> closing[sqlite3.Connection]:
    """A connection closed at the end of the `with` (sqlite3's own `with` only commits)."""
    return closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=60))


@contextmanager
def _sqlite_engine(path: Path, mode: str) -> Iterator[Engine]:
    """A plain engine on one file (not the app's: that one would switch a backup file to WAL on connecting)."""
    engine = create_engine("sqlite+pysqlite://", creator=lambda: sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True),
                           poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def _sqlite_tables(path: Path) -> list[str]:
    """The tables in the SQLite file at `path` ([] when there is no file or it is empty); a file that is not a database
    counts as not empty."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        with _sqlite_connect(path, "ro") as connection:
            return [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    except sqlite3.Error as exc:
        return [f"{path.name}: {exc}"]
