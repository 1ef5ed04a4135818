"""The audit log is a hash chain: `cangku check` finds an entry edited, deleted or inserted straight in the database,
even by someone who first lifted the append-only triggers; concurrent writers leave one unbroken chain. On PostgreSQL
writers commit their entries unsealed, without waiting for one another, and a sealer links them in just after."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, text

from server.audit.anchors import AnchorReport, anchor_file, append_anchor, verify_anchors
from server.audit.chain import GENESIS, AuditChainBroken, content_digest, link, verify_chain
from server.audit.models import AuditChainHead, AuditEntry
from server.audit.sealer import Sealer, seal, sealing_in_background
from server.audit.services import chain_entries, record
from server.auth.permissions import SYSTEM
from server.base import UTCDateTime, utcnow
from server.catalog.schemas import ItemCreate
from server.catalog.services import create_item
from server.check import check_ledger
from server.db import Database
from server.errors import InsufficientStock
from server.inventory.services import move
from server.jobs.services import run_job
from server.migrate import alembic_config, upgrade
from server.settings import Settings
from server.wiring import open_database


def receive(db: Database, qty: int, sku: str = "PEN", target: str = "B1") -> None:
    db.run_write(lambda s: move(s, SYSTEM, sku=sku, qty=Decimal(qty), source="SUPPLIER", target=target, unit_cost=Decimal("2.50")))


@pytest.fixture
def audited(world: Database) -> Database:
    """The small warehouse (its set-up is audited too) after a few receipts and a shipment."""
    for qty in (12, 5, 7, 3):
        receive(world, qty)
    world.run_write(lambda s: move(s, SYSTEM, sku="PEN", qty=Decimal(4), source="B1", target="CUSTOMER"))
    return world


def entries(db: Database) -> list[AuditEntry]:
    """The log in chain order, once what was committed is sealed (PostgreSQL, where a running app seals in the background)."""
    seal(db.engine)
    with db.read() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def audit_problems(db: Database) -> list[str]:
    with db.read() as session:
        report = check_ledger(session)
    return [p for p in report.problems if p.startswith("[audit]")]


def as_attacker(db: Database, sql: str, **params: Any) -> None:
    """Someone with database access: lifts the append-only triggers (dropped on SQLite, disabled on PostgreSQL and put
    back afterwards, as this schema serves the next test) and changes the log behind the application's back."""
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER ALL")
            conn.exec_driver_sql("ALTER TABLE audit_chain DISABLE TRIGGER ALL")
        else:
            for trigger in ("audit_log_no_update", "audit_log_no_delete", "audit_chain_no_delete", "audit_chain_forward_only"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.execute(text(sql), params)
        if db.dialect == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER ALL")
            conn.exec_driver_sql("ALTER TABLE audit_chain ENABLE TRIGGER ALL")


def json_param(db: Database) -> str:
    return "CAST(:details AS json)" if db.dialect == "postgresql" else ":details"


# A clean log ---------------------------------------------------------------------------------------------------------


def test_a_clean_audit_log_passes_cangku_check(audited):
    with audited.read() as session:
        report = check_ledger(session)
    assert report.ok, report.problems
    log = entries(audited)
    assert report.checked["audit_entries"] == len(log) > 10
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert log[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(log, log[1:], strict=False))
    with audited.read() as session:
        head = session.get_one(AuditChainHead, 1)
    assert (head.seq, head.hash) == (log[-1].seq, log[-1].hash)


def test_each_entry_hashes_its_content_and_the_entry_before(audited):
    """The documented recipe (server/audit/chain.py) recomputes every stored hash; on PostgreSQL the database computed them."""
    log = entries(audited)
    for entry in log:
        digest = content_digest(entry.at, entry.user_id, entry.username, entry.device_id, entry.action, entry.target_type,
                                entry.target_id, entry.details)
        assert entry.hash == link(entry.seq, entry.prev_hash, digest)
    shipped = next(e for e in reversed(log) if e.action == "stock.move")
    assert len(shipped.hash) == 64 and shipped.hash != shipped.prev_hash


def test_the_audit_api_shows_each_entry_with_its_place_in_the_chain(client, admin, audited):
    seal(audited.engine)  # the app's sealer would within moments
    page = client.get("/api/v1/audit", headers=admin, params={"limit": 5}).json()
    newest = page["items"]
    assert [e["seq"] for e in newest] == list(range(page["total"], page["total"] - 5, -1))
    assert all(len(e["hash"]) == 64 for e in newest)
    moves = client.get("/api/v1/audit", headers=admin, params={"action": "stock.move"}).json()
    assert moves["total"] == 5 and {"seq", "hash", "details", "username"} <= set(moves["items"][0])


# Tampering -----------------------------------------------------------------------------------------------------------


def test_cangku_check_finds_an_audit_entry_edited_in_the_database(audited):
    victim = next(e for e in entries(audited) if e.action == "stock.move")
    as_attacker(audited, f"UPDATE audit_log SET details = {json_param(audited)} WHERE id = :id",
                details=msgspec.json.encode({**victim.details, "qty": "1200"}).decode(), id=victim.id)
    problems = audit_problems(audited)
    assert len(problems) == 1, problems
    assert f"audit entry #{victim.seq} (id {victim.id}," in problems[0] and "stock.move move" in problems[0]
    assert "was changed after it was written" in problems[0] and f"审计日志第 {victim.seq} 条" in problems[0] and "被改动" in problems[0]


def test_cangku_check_finds_an_audit_entry_whose_actor_was_changed(audited):
    victim = entries(audited)[3]
    as_attacker(audited, "UPDATE audit_log SET username = 'someone_else' WHERE id = :id", id=victim.id)
    problems = audit_problems(audited)
    assert len(problems) == 1 and f"#{victim.seq} (id {victim.id}," in problems[0] and "changed" in problems[0]


def test_cangku_check_finds_an_edited_entry_even_when_its_hash_was_recomputed(audited):
    """The attacker knows the recipe and re-hashes the entry they changed: the next entry no longer follows it."""
    log = entries(audited)
    victim = log[4]
    digest = content_digest(victim.at, victim.user_id, "intruder", victim.device_id, victim.action, victim.target_type,
                            victim.target_id, victim.details)
    as_attacker(audited, "UPDATE audit_log SET username = 'intruder', hash = :hash WHERE id = :id",
                hash=link(victim.seq, victim.prev_hash, digest), id=victim.id)
    problems = audit_problems(audited)
    assert len(problems) == 1, problems
    assert f"audit entry #{victim.seq + 1} " in problems[0] and f"does not follow entry #{victim.seq}" in problems[0]
    assert f"与第 {victim.seq} 条接不上" in problems[0]


def test_cangku_check_finds_an_audit_entry_deleted_from_the_database(audited):
    log = entries(audited)
    victim = log[len(log) // 2]
    as_attacker(audited, "DELETE FROM audit_log WHERE id = :id", id=victim.id)
    problems = audit_problems(audited)
    assert len(problems) == 1, problems
    assert f"audit entry #{victim.seq} is missing (deleted) before audit entry #{victim.seq + 1}" in problems[0]
    assert f"审计日志第 {victim.seq} 条缺失（已被删除）" in problems[0]


def test_cangku_check_finds_the_newest_audit_entries_deleted(audited):
    """Deleting from the end leaves a chain that is whole but short: the chain head, kept apart, says how long it was."""
    log = entries(audited)
    as_attacker(audited, "DELETE FROM audit_log WHERE seq >= :seq", seq=log[-2].seq)
    problems = audit_problems(audited)
    assert len(problems) == 1, problems
    assert f"ends at entry #{log[-3].seq} but the chain head records #{log[-1].seq}" in problems[0]
    assert f"entries #{log[-2].seq}–#{log[-1].seq} are missing (deleted from the end)" in problems[0]
    assert f"最后的第 {log[-2].seq}–{log[-1].seq} 条已被删除" in problems[0]


def test_cangku_check_finds_the_last_audit_entry_deleted(audited):
    last = entries(audited)[-1]
    as_attacker(audited, "DELETE FROM audit_log WHERE id = :id", id=last.id)
    problems = audit_problems(audited)
    assert len(problems) == 1 and f"audit entry #{last.seq} is missing (deleted from the end)" in problems[0], problems


def test_cangku_check_finds_an_audit_entry_inserted_into_the_middle_of_the_log(audited):
    """A forged entry slipped in after #k, correctly linked to #k, the later entries renumbered to make room."""
    log = entries(audited)
    before = log[5]
    at = before.at + dt.timedelta(seconds=1)
    forged = {"sku": "PEN", "qty": "100", "from": "B1", "to": "CUSTOMER"}
    hashed = link(before.seq + 1, before.hash, content_digest(at, None, "system", None, "stock.move", "move", "999", forged))
    as_attacker(audited, "UPDATE audit_log SET seq = -seq - 1 WHERE seq > :k", k=before.seq)
    as_attacker(audited, "UPDATE audit_log SET seq = -seq WHERE seq < 0")
    with audited.engine.begin() as conn:  # inserting is not even refused by the triggers
        conn.execute(sa.insert(_log_table()), [{
            "at": at, "user_id": None, "username": "system", "device_id": None, "action": "stock.move", "target_type": "move",
            "target_id": "999", "details": forged, "seq": before.seq + 1, "prev_hash": before.hash, "hash": hashed,
        }])
    problems = audit_problems(audited)
    assert f"audit entry #{before.seq + 2} " in problems[0] and f"does not follow entry #{before.seq + 1}" in problems[0]
    assert "replaced or inserted" in problems[0] and "被替换或插入" in problems[0]
    assert problems[-1].startswith(f"[audit] the audit log runs to entry #{len(log) + 1}, past the chain head #{len(log)}"), problems


def test_cangku_check_finds_a_forged_entry_appended_to_the_log(audited):
    last = entries(audited)[-1]
    at = last.at + dt.timedelta(seconds=1)
    hashed = link(last.seq + 1, last.hash, content_digest(at, None, "system", None, "user.create", "user", "99", {}))
    with audited.engine.begin() as conn:
        conn.execute(sa.insert(_log_table()), [{
            "at": at, "user_id": None, "username": "system", "device_id": None, "action": "user.create", "target_type": "user",
            "target_id": "99", "details": {}, "seq": last.seq + 1, "prev_hash": last.hash, "hash": hashed,
        }])
    problems = audit_problems(audited)
    assert len(problems) == 1, problems
    assert f"runs to entry #{last.seq + 1}, past the chain head #{last.seq}: an entry was added outside the application" in problems[0]
    assert f"超出链头（第 {last.seq} 条）" in problems[0]


def test_a_deleted_chain_head_is_found_and_no_further_write_is_chained_onto_nothing(audited):
    as_attacker(audited, "DELETE FROM audit_chain")
    assert audit_problems(audited) == [
        "[audit] the audit chain head is missing (its row in audit_chain was deleted) / 审计链头记录缺失（audit_chain 中的行被删除）"
    ]
    with pytest.raises(AuditChainBroken):
        receive(audited, 1)


def test_the_chain_head_only_moves_forward(audited):
    with pytest.raises(sa.exc.DBAPIError):
        with audited.write() as session:
            session.execute(text("UPDATE audit_chain SET seq = seq - 1"))
    with pytest.raises(sa.exc.DBAPIError):
        with audited.write() as session:
            session.execute(text("DELETE FROM audit_chain"))
    assert audit_problems(audited) == []


def test_truncating_the_audit_log_or_its_chain_head_is_refused(audited):
    """PostgreSQL's TRUNCATE skips row triggers: statement triggers refuse it, also when a TRUNCATE of users cascades to
    the log. SQLite has no TRUNCATE; a DELETE without a WHERE still fires the row triggers that refuse it."""
    log = entries(audited)
    if audited.dialect == "postgresql":
        statements = ["TRUNCATE audit_log", "TRUNCATE audit_chain", "TRUNCATE audit_log, audit_chain", "TRUNCATE users CASCADE"]
    else:
        statements = ["DELETE FROM audit_log", "DELETE FROM audit_chain"]
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match="append-only|only moves forward|cannot be truncated"):
            with audited.engine.begin() as conn:
                conn.exec_driver_sql(statement)
    assert [e.hash for e in entries(audited)] == [e.hash for e in log]
    assert audit_problems(audited) == []


# Anchors: the head written outside the database ----------------------------------------------------------------------


def rewind(db: Database, seq: int) -> None:
    """What someone able to lift the triggers can do unseen by the chain alone: delete every entry after #seq and wind the
    chain head back to #seq, leaving a shorter chain that is whole."""
    kept = next(e for e in entries(db) if e.seq == seq)
    as_attacker(db, "DELETE FROM audit_log WHERE seq > :seq", seq=seq)
    as_attacker(db, "UPDATE audit_chain SET seq = :seq, prev_hash = :prev, hash = :hash", seq=seq, prev=kept.prev_hash, hash=kept.hash)


def anchored(db: Database, path: Path) -> AnchorReport:
    with db.read() as session:
        return verify_anchors(session, path)


def run_anchor_job(db: Database, settings: Settings, hour: str) -> None:
    run = run_job(db, "audit_anchor", actor=SYSTEM, settings=settings, slot=hour)
    assert run.status == "succeeded", run.error


def test_a_chain_cut_short_and_wound_back_behind_an_anchor_is_found_by_the_anchor(audited, settings):
    run_anchor_job(audited, settings, "2026-12-01T09")
    path = anchor_file(settings)
    (line,) = path.read_text().splitlines()
    anchor = msgspec.json.decode(line)
    log = entries(audited)
    assert log[-1].action == "job.run"  # recorded with the run, after the head the job anchored
    assert (anchor["seq"], anchor["hash"], anchor["source"]) == (log[-2].seq, log[-2].hash, "schedule")
    receive(audited, 2)
    receive(audited, 3)
    rewind(audited, anchor["seq"] - 3)

    with audited.read() as session:
        assert verify_chain(session).ok  # the chain alone cannot tell
    report = anchored(audited, path)
    assert (report.anchors, report.checked) == (1, 1) and len(report.breaks) == 1, report.breaks
    found = report.breaks[0]
    assert f"the audit log ends at entry #{anchor['seq'] - 3} but the anchor on line 1 of {path}" in found.en
    assert f"records entry #{anchor['seq']}" in found.en and "by the hourly job" in found.en and "wound back" in found.en
    assert f"审计日志止于第 {anchor['seq'] - 3} 条" in found.zh and "链头被回拨" in found.zh


def test_a_chain_wound_back_and_written_on_past_an_anchor_is_found_by_the_anchor(audited, settings):
    """After the rewind the application keeps writing: the anchored place is filled again, by another entry."""
    run_anchor_job(audited, settings, "2026-12-01T09")
    anchor_seq = msgspec.json.decode(anchor_file(settings).read_text())["seq"]
    rewind(audited, anchor_seq - 2)
    for qty in (1, 2, 3):
        receive(audited, qty)
    with audited.read() as session:
        assert verify_chain(session).ok
    (found,) = anchored(audited, anchor_file(settings)).breaks
    assert f"audit entry #{anchor_seq} does not match the anchor on line 1" in found.en and "rewritten" in found.en
    assert f"审计日志第 {anchor_seq} 条与锚点文件" in found.zh


def test_an_honest_chain_passes_every_anchor_and_a_rewind_after_the_last_one_is_not_seen(audited, settings):
    for hour in ("2026-12-01T09", "2026-12-01T10", "2026-12-01T11"):
        run_anchor_job(audited, settings, hour)
        receive(audited, 1)
    report = anchored(audited, anchor_file(settings))
    assert report.ok and (report.anchors, report.checked) == (3, 3), report.breaks
    assert "audit anchors: 3 of 3 checked" in report.summary()
    # What the anchors cannot see: entries written after the last anchor, removed before the next one.
    last_anchored = msgspec.json.decode(anchor_file(settings).read_text().splitlines()[-1])["seq"]
    rewind(audited, last_anchored)
    assert anchored(audited, anchor_file(settings)).ok


def test_anchors_written_before_a_restore_beyond_the_restored_head_are_set_aside(audited, tmp_path):
    """A restore puts the chain back legitimately: its line in the file says where to, and only anchors written before it
    beyond that place are set aside; one at or below it must still match."""
    path = tmp_path / "anchors.log"
    log = entries(audited)
    append_anchor(path, log[3].seq, log[3].hash, "schedule")
    append_anchor(path, log[-1].seq, log[-1].hash, "backup", backup=tmp_path / "cangku-20261201T020000Z.sqlite3")
    receive(audited, 5)
    later = entries(audited)[-1]
    append_anchor(path, later.seq, later.hash, "schedule")
    rewind(audited, log[-1].seq)  # as restoring the backup does
    assert [b.kind for b in anchored(audited, path).breaks] == ["rewound"]  # without the restore's line: a rewind

    append_anchor(path, log[-1].seq, log[-1].hash, "restore", backup=tmp_path / "cangku-20261201T020000Z.sqlite3")
    report = anchored(audited, path)
    assert report.ok and (report.anchors, report.checked, report.set_aside) == (4, 3, 1), report.breaks
    assert "1 written before a restore" in report.summary()

    append_anchor(path, log[3].seq, "f" * 64, "schedule")  # an anchor the restored chain does not match is still found
    assert [b.kind for b in anchored(audited, path).breaks] == ["rewritten"]


def test_a_damaged_anchor_file_line_is_reported_and_the_next_anchor_starts_a_line_of_its_own(audited, tmp_path):
    path = tmp_path / "anchors.log"
    last = entries(audited)[-1]
    path.write_text('{"time": "2026-12-01T09:00:00.000000Z", "seq": 3, "hash": "abc"}\n{"time": "2026-12-01T10:00:00')
    append_anchor(path, last.seq, last.hash, "schedule")
    assert len(path.read_text().splitlines()) == 3
    report = anchored(audited, path)
    assert report.checked == 1 and [b.kind for b in report.breaks] == ["anchor", "anchor"]
    assert f"line 1 of {path} is not an audit anchor (no hash)" in report.breaks[0].en and "锚点文件" in report.breaks[0].zh
    assert "line 2" in report.breaks[1].en and "not JSON" in report.breaks[1].en


def _log_table() -> sa.TableClause:
    return sa.table(
        "audit_log", sa.column("id", sa.Integer()), sa.column("at", UTCDateTime()), sa.column("user_id", sa.Integer()),
        sa.column("username", sa.String()), sa.column("device_id", sa.String()), sa.column("action", sa.String()),
        sa.column("target_type", sa.String()), sa.column("target_id", sa.String()), sa.column("details", sa.JSON()),
        sa.column("seq", sa.BigInteger()), sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()),
    )


# Transactions --------------------------------------------------------------------------------------------------------


def test_a_refused_write_leaves_no_entry_and_no_gap_in_the_chain(audited):
    before = entries(audited)
    with pytest.raises(InsufficientStock):
        audited.run_write(lambda s: move(s, SYSTEM, sku="PEN", qty=Decimal(1000), source="B1", target="CUSTOMER"))
    receive(audited, 1)
    after = entries(audited)
    assert len(after) == len(before) + 1 and after[-1].seq == before[-1].seq + 1 and after[-1].prev_hash == before[-1].hash
    assert audit_problems(audited) == []


def test_an_entry_recorded_in_a_rolled_back_savepoint_is_not_chained(db):
    with db.write() as session:
        record(session, SYSTEM, "kept.before", "test", 1)
        try:
            with session.begin_nested():
                record(session, SYSTEM, "undone", "test", 2)
                with session.begin_nested():
                    record(session, SYSTEM, "undone.inner", "test", 3)
                raise RuntimeError("refused")
        except RuntimeError:
            pass
        with session.begin_nested():
            record(session, SYSTEM, "kept.savepoint", "test", 4)
        record(session, SYSTEM, "kept.after", "test", 5)
    assert [(e.seq, e.action) for e in entries(db)] == [(1, "kept.before"), (2, "kept.savepoint"), (3, "kept.after")]
    assert audit_problems(db) == []


def test_one_transaction_can_record_many_entries_in_order(db):
    with db.write() as session:
        for n in range(30):
            record(session, SYSTEM, "bulk.entry", "test", n, n=n, amount=Decimal("1.50"), note="中文")
    log = entries(db)
    assert [e.target_id for e in log] == [str(n) for n in range(30)] and log[0].details == {"n": 0, "amount": "1.50", "note": "中文"}
    assert audit_problems(db) == []


def test_a_requisition_raised_at_commit_by_a_reorder_rule_is_in_the_chain(client, world, as_role):
    """The reorder check runs as the shipment commits and records the requisition it raises: that entry is chained too."""
    from tests.helpers import post_move
    from tests.stories import Api, supplier_and_dock

    purchaser, worker = Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    supplier_and_dock(Api(client, as_role("admin")))
    purchaser.put("/api/v1/reorder-rules", {"sku": "PEN", "warehouse": "WH1", "min_qty": "10", "reorder_qty": "50", "supplier": "SUP1"})
    post_move(client, worker.headers, "PEN", 12, "SUPPLIER", "B1", unit_cost="1")
    assert post_move(client, worker.headers, "PEN", 5, "B1", "CUSTOMER").status_code == 201
    log = entries(world)
    assert [e.action for e in log[-3:]] == ["stock.move", "requisition.create", "stock.below_reorder_point"]
    assert audit_problems(world) == []


def _writers(audited, prefix: str, threads: int, each: int):  # type: ignore[no-untyped-def]
    """What each of `threads` writers does once all are ready: `each` writes, receiving stock and creating items in turn."""
    start = threading.Barrier(threads)

    def work(worker: int) -> None:
        start.wait()
        for n in range(each):
            if n % 2:
                item = ItemCreate(sku=f"{prefix}{worker}-{n}", name_zh="测试", name_en="Test")
                audited.run_write(lambda s, item=item: create_item(s, SYSTEM, item))
            else:
                receive(audited, 1, target="B2")

    return work


def test_concurrent_writers_leave_one_unbroken_chain_in_commit_order(audited):
    """Threads receiving stock and creating items at once: every entry gets its own place, none forks the chain."""
    before = len(entries(audited))
    threads, each = 6, 8
    work = _writers(audited, "T", threads, each)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(work, range(threads)))
    log = entries(audited)
    assert len(log) == before + threads * each
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    if audited.dialect == "sqlite":  # ids were drawn under the database's write lock: the API's order is the chain's
        assert [e.id for e in log] == sorted(e.id for e in log)
    # (On PostgreSQL an id is drawn before its transaction commits, and a sealer seals what has committed, in id order:
    # an entry that commits after a later-drawn one has been sealed takes a later place.)
    with audited.read() as session:
        report = verify_chain(session)
        assert report.ok and report.head_seq == len(log), report.breaks
        assert check_ledger(session).ok


# Sealing (PostgreSQL) ------------------------------------------------------------------------------------------------

# The server's sealer, asleep for the test: the process's writes leave their sealing to it, and the test seals by hand.
ASLEEP = 3600


def unsealed(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AuditEntry.action).where(AuditEntry.seq.is_(None)).order_by(AuditEntry.id)))


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_writers_hold_their_audited_transactions_open_at_once_without_waiting_for_each_other(db):
    """The first writer has written its entry and is still open when the second writes, commits and is done: neither takes
    the chain's lock. Sealed afterwards, the chain holds both."""
    first_wrote, second_committed = threading.Event(), threading.Event()

    def second_writer() -> None:
        first_wrote.wait(10)
        with db.write() as session:
            record(session, SYSTEM, "second.writer", "test", 2)
        second_committed.set()

    with sealing_in_background(db, every=ASLEEP):
        writer = threading.Thread(target=second_writer)
        writer.start()
        try:
            with db.write() as session:
                record(session, SYSTEM, "first.writer", "test", 1)
                chain_entries(session)  # its commit step, early: the entry is in the log and the transaction stays open
                first_wrote.set()
                assert second_committed.wait(10), "the second writer waited for the first one's transaction"
                assert unsealed(db) == ["second.writer"]
        finally:
            first_wrote.set()
            writer.join(10)
        assert unsealed(db) == ["first.writer", "second.writer"]
        assert seal(db.engine) == 2 and seal(db.engine) == 0
    assert [e.action for e in entries(db)][-2:] == ["first.writer", "second.writer"]
    with db.read() as session:
        report = verify_chain(session)
        assert report.ok and report.head_seq == report.entries == len(entries(db)), report.breaks
        assert check_ledger(session).ok


@pytest.mark.parametrize("backend", ["postgresql"])
def test_sealers_of_several_processes_sealing_while_writers_write_leave_one_unbroken_chain(audited):
    """Two sealers (as two server processes run) seal all the while six writers commit: each entry is sealed once, in one
    chain; the second sealer waits for the head's lock and then finds the next entries, or none."""
    before = len(entries(audited))
    threads, each = 6, 8
    work = _writers(audited, "S", threads, each)

    sealers = [Sealer(audited.engine, every=0.005) for _ in range(2)]
    with sealing_in_background(audited, every=ASLEEP):  # the writers leave the sealing to the two sealers
        for sealer in sealers:
            sealer.start()
        try:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(work, range(threads)))
        finally:
            for sealer in sealers:
                sealer.stop()
        assert unsealed(audited) == []
    log = entries(audited)
    assert len(log) == before + threads * each
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    with audited.read() as session:
        report = verify_chain(session)
        assert report.ok and report.head_seq == len(log), report.breaks
        assert check_ledger(session).ok


@pytest.mark.parametrize("backend", ["postgresql"])
def test_cangku_check_reports_an_entry_left_unsealed_for_long_then_seals_it(db):
    """No sealer ran for more than ten seconds (the check is told it is later than it is): that is a problem to report,
    not a break in the chain. The check seals what is pending and verifies the chain with it."""
    with sealing_in_background(db, every=ASLEEP):
        with db.write() as session:
            record(session, SYSTEM, "left.waiting", "test", 1)
        assert unsealed(db) == ["left.waiting"]
        with db.read() as session:
            report = check_ledger(session, now=utcnow() + dt.timedelta(seconds=11))
        assert [p for p in report.problems if p.startswith("[audit]")] == [
            "[audit] 1 audit entry was written more than 10 s ago and is not sealed into the chain: is the server's sealer running? / "
            "1 条审计日志写入已超过 10 秒仍未封入哈希链：服务器的封链程序是否在运行？"
        ]
        assert unsealed(db) == [] and report.checked["audit_entries"] == len(entries(db))

        for n in range(2):  # written a moment ago: only sealed
            with db.write() as session:
                record(session, SYSTEM, "just.written", "test", n)
        with db.read() as session:
            report = check_ledger(session)
        assert report.ok, report.problems
        assert unsealed(db) == [] and [e.action for e in entries(db)][-2:] == ["just.written", "just.written"]
        with db.write() as session:
            for n in range(3):
                record(session, SYSTEM, "left.waiting", "test", n)
        with db.read() as session:
            later = check_ledger(session, now=utcnow() + dt.timedelta(minutes=5))
        assert any(p.startswith("[audit] 3 audit entries were written more than 10 s ago and are not sealed") for p in later.problems)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_database_lets_an_unsealed_entry_be_sealed_and_refuses_every_other_change(db):
    """The append-only trigger: an entry takes seq, prev_hash and hash once, with nothing else changed; a sealed entry
    changes no more, and no entry is deleted."""
    with sealing_in_background(db, every=ASLEEP):
        with db.write() as session:
            record(session, SYSTEM, "sealed.entry", "test", 1, qty="12")
        assert seal(db.engine) >= 1
        with db.write() as session:
            record(session, SYSTEM, "unsealed.entry", "test", 2, qty="12")
        log = entries_by_action(db)
        sealed_entry, unsealed_entry = log["sealed.entry"], log["unsealed.entry"]
        assert sealed_entry.seq is not None and unsealed_entry.seq is None
        refused = [
            ("UPDATE audit_log SET details = CAST(:details AS json) WHERE id = :id", sealed_entry.id),
            ("UPDATE audit_log SET username = 'intruder' WHERE id = :id", sealed_entry.id),
            ("UPDATE audit_log SET seq = seq + 1000 WHERE id = :id", sealed_entry.id),
            ("UPDATE audit_log SET seq = NULL, prev_hash = NULL, hash = NULL WHERE id = :id", sealed_entry.id),  # unsealed again
            ("UPDATE audit_log SET details = CAST(:details AS json) WHERE id = :id", unsealed_entry.id),
            ("UPDATE audit_log SET username = 'intruder' WHERE id = :id", unsealed_entry.id),
            # Sealed and changed in the same statement.
            ("UPDATE audit_log SET details = CAST(:details AS json), seq = 1000, prev_hash = :hash, hash = :hash WHERE id = :id",
             unsealed_entry.id),
            ("UPDATE audit_log SET seq = 1000, hash = :hash WHERE id = :id", unsealed_entry.id),  # half sealed
            ("DELETE FROM audit_log WHERE id = :id", unsealed_entry.id),
            ("DELETE FROM audit_log WHERE id = :id", sealed_entry.id),
        ]
        for statement, entry_id in refused:
            with pytest.raises(sa.exc.DBAPIError, match="audit_log is append-only"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement), {"id": entry_id, "details": '{"qty": "1200"}', "hash": "f" * 64})
        assert seal(db.engine) == 1
    after = entries_by_action(db)
    assert after["sealed.entry"].details == after["unsealed.entry"].details == {"qty": "12"}
    assert after["unsealed.entry"].username == "system" and after["unsealed.entry"].seq == after["sealed.entry"].seq + 1  # type: ignore[operator]
    assert audit_problems(db) == []


def entries_by_action(db: Database) -> dict[str, AuditEntry]:
    with db.read() as session:
        return {e.action: e for e in session.scalars(select(AuditEntry))}


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_server_seals_what_its_requests_wrote_within_moments(client, admin, world):
    item = client.post("/api/v1/items", headers=admin, json={"sku": "SEALED", "name_zh": "封", "name_en": "Sealed"})
    assert item.status_code == 201, item.text
    deadline = time.monotonic() + 10
    while unsealed(world) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert unsealed(world) == []
    newest = client.get("/api/v1/audit", headers=admin, params={"limit": 1}).json()["items"][0]
    assert newest["action"] == "item.create" and newest["seq"] == newest_seq(world) and len(newest["hash"]) == 64


def newest_seq(db: Database) -> int | None:
    with db.read() as session:
        return session.scalar(select(func.max(AuditEntry.seq)))


# The upgrade ---------------------------------------------------------------------------------------------------------


def test_the_upgrade_chains_the_entries_written_before_it_in_id_order(backend, tmp_path, backends):
    with backends.scratch(backend, tmp_path, "chain") as url:
        db = open_database(url)
        try:
            upgrade(db.engine, "0008")
            old = sa.table(
                "audit_log", sa.column("id", sa.Integer()), sa.column("at", UTCDateTime()), sa.column("username", sa.String()),
                sa.column("action", sa.String()), sa.column("target_type", sa.String()), sa.column("target_id", sa.String()),
                sa.column("details", sa.JSON()),
            )
            at = dt.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
            with db.engine.begin() as conn:  # ids with gaps, as a PostgreSQL sequence leaves them after rollbacks
                conn.execute(sa.insert(old), [
                    {"id": 3, "at": at, "username": "wang", "action": "stock.move", "target_type": "move", "target_id": "1",
                     "details": {"qty": "12.5000", "sku": "PEN"}},
                    {"id": 7, "at": at, "username": "李", "action": "po.approve", "target_type": "po", "target_id": "PO-2026-00001",
                     "details": {"comment": "同意", "version": 3}},
                    {"id": 12, "at": at + dt.timedelta(minutes=1), "username": "system", "action": "import.items", "target_type": "import",
                     "target_id": "items.csv", "details": {}},
                ])
            upgrade(db.engine)
            assert [(e.id, e.seq) for e in entries(db)] == [(3, 1), (7, 2), (12, 3)]
            with db.read() as session:
                report = verify_chain(session)
            assert report.ok and report.entries == 3 and report.head_seq == 3, report.breaks
            with pytest.raises(sa.exc.DBAPIError):  # still append-only
                with db.write() as session:
                    session.execute(text("UPDATE audit_log SET username = 'x'"))
            with db.write() as session:
                record(session, SYSTEM, "after.upgrade", "test", 1)
            log = entries(db)
            assert (log[-1].seq, log[-1].prev_hash) == (4, log[-2].hash)
            with db.read() as session:
                assert verify_chain(session).ok

            from alembic import command

            with db.engine.begin() as connection:  # and back down, and up again
                config = alembic_config()
                config.attributes["connection"] = connection
                command.downgrade(config, "0008")
            assert "audit_chain" not in sa.inspect(db.engine).get_table_names()
            upgrade(db.engine)
            with db.read() as session:
                assert verify_chain(session).entries == 4 and verify_chain(session).ok
        finally:
            db.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_downgrading_below_the_sealer_seals_what_is_unsealed_and_requires_the_links_again(backend, tmp_path, backends):
    from alembic import command

    def migrate(to: str, how: Any) -> None:
        with db.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            how(config, to)

    with backends.scratch(backend, tmp_path, "sealer") as url:
        db = open_database(url)
        try:
            upgrade(db.engine)
            with sealing_in_background(db, every=ASLEEP):
                with db.write() as session:
                    record(session, SYSTEM, "sealed.before", "test", 1)
                seal(db.engine)
                for n in range(3):
                    with db.write() as session:
                        record(session, SYSTEM, "unsealed.before", "test", n)
                assert unsealed(db) == ["unsealed.before"] * 3
                migrate("0015", command.downgrade)  # the server stopped for it: here its sealer sleeps through it
            columns = {c["name"]: c for c in sa.inspect(db.engine).get_columns("audit_log")}
            assert not any(columns[name]["nullable"] for name in ("seq", "prev_hash", "hash"))
            with db.read() as session:
                report = verify_chain(session)
            assert report.ok and report.entries == 4 and report.head_seq == 4, report.breaks
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):  # no update at all at 0015
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("UPDATE audit_log SET seq = seq WHERE seq = 4")
            migrate("head", command.upgrade)
            with db.write() as session:
                record(session, SYSTEM, "after.upgrade", "test", 1)
            assert [e.action for e in entries(db)] == ["sealed.before"] + ["unsealed.before"] * 3 + ["after.upgrade"]
            assert audit_problems(db) == []
        finally:
            db.dispose()


# What the user sees --------------------------------------------------------------------------------------------------


def test_cangku_check_prints_the_broken_audit_entry_in_english_and_chinese(tmp_path):
    import os
    import subprocess
    import sys

    data = tmp_path / "data"
    db = open_database(f"sqlite:///{data / 'cangku.db'}")
    from server.migrate import prepare

    prepare(db)
    from tests.conftest import build_world

    build_world(db)
    victim = entries(db)[2]
    db.dispose()
    with sqlite3.connect(data / "cangku.db") as conn:
        conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute("DELETE FROM audit_log WHERE id = ?", (victim.id,))
    check = subprocess.run([sys.executable, "-m", "server.cli", "check"], capture_output=True, text=True, timeout=300,
                           env={**os.environ, "CANGKU_DATA_DIR": str(data)})
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"audit entry #{victim.seq} is missing (deleted)" in check.stderr and f"审计日志第 {victim.seq} 条缺失" in check.stderr
