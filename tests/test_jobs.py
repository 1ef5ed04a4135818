"""Scheduled jobs: each slot runs exactly once however many servers race for it, failures wait for an administrator,
and the expiry, sales and stocktake jobs tell the right people the right things."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import func, select, update

from server.app import create_app
from server.audit.anchors import anchor_file
from server.audit.models import AuditEntry
from server.auth.models import User
from server.auth.permissions import SYSTEM
from server.catalog.models import Lot
from server.catalog.schemas import LotCreate
from server.catalog.services import create_lot
from server.cli import main
from server.db import Database
from server.errors import InvalidInput
from server.inventory.models import Move
from server.inventory.services import move, reverse_move
from server.jobs import registry
from server.jobs.models import JobRun
from server.jobs.registry import get_job, job, load_jobs
from server.jobs.services import SlotTaken, run_due_jobs, run_job
from server.notifications.models import Notification
from server.notifications.services import notify
from server.wiring import open_database
from tests.helpers import add_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def register(monkeypatch):  # type: ignore[no-untyped-def]
    """`register(name, func, **schedule)` adds a job for this test only."""
    load_jobs()

    def add(name: str, func, **schedule):  # type: ignore[no-untyped-def]
        monkeypatch.setitem(registry._REGISTRY, name, None)  # removed again when the test ends
        job(name, **schedule)(func)

    return add


def local_today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def notifications_of(db: Database, username: str, kind: str | None = None) -> list[Notification]:
    with db.read() as session:
        query = select(Notification).join(User, User.id == Notification.user_id).where(User.username == username)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(session.scalars(query.order_by(Notification.id)))


def runs_of(db: Database, name: str) -> list[JobRun]:
    with db.read() as session:
        return list(session.scalars(select(JobRun).where(JobRun.job == name)))


def receive(db: Database, sku: str, qty: str, target: str, *, lot: str | None = None, unit_cost: str | None = None) -> int:
    with db.write() as session:
        return move(session, SYSTEM, sku=sku, qty=qty, source="SUPPLIER", target=target, lot=lot, unit_cost=unit_cost).id


def shift(db: Database, sku: str, qty: str, source: str, target: str, *, lot: str | None = None) -> int:
    with db.write() as session:
        return move(session, SYSTEM, sku=sku, qty=qty, source=source, target=target, lot=lot).id


def age_moves(db: Database, move_ids: list[int], days: int) -> None:
    """Pretend these moves were posted `days` ago (test set-up only: the ledger never edits a move)."""
    with db.write() as session:
        session.execute(update(Move).where(Move.id.in_(move_ids)).values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days)))


# Slots --------------------------------------------------------------------------------------------


def test_a_daily_slot_is_the_company_date_in_shanghai(settings):
    expiry = get_job("expiry_warnings")
    late_evening_utc = dt.datetime(2026, 11, 25, 17, 30, tzinfo=dt.UTC)  # 01:30 on the 26th in Shanghai
    slot = expiry.current_slot(late_evening_utc, settings)
    assert slot.key == "2026-11-26" and slot.day == dt.date(2026, 11, 26)
    assert slot.start == dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)
    assert slot.end == dt.datetime(2026, 11, 26, 16, 0, tzinfo=dt.UTC)
    assert expiry.due_at(slot) == dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.UTC)  # 06:00 local
    assert late_evening_utc < expiry.due_at(slot)  # so not due yet

    stocktake = get_job("stocktake_reminders")
    weekly = stocktake.current_slot(late_evening_utc, settings)
    assert weekly.key == "2026-W48" and weekly.day == dt.date(2026, 11, 23)  # Monday of ISO week 48
    assert stocktake.due_at(weekly) == dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC)  # Monday 07:00 local
    assert stocktake.describe() == ("每周一 07:00", "every Monday at 07:00")

    for wrong in ("2026-11-31", "26-11-2026", "2026-W48"):
        with pytest.raises(InvalidInput, match="2026-11-26"):
            expiry.slot(wrong, settings)
    with pytest.raises(InvalidInput, match="2026-W48"):
        stocktake.slot("2026-11-26", settings)


def test_an_hourly_slot_is_the_company_hour_and_is_due_at_its_minutes(settings, register):
    register("hourly_probe", lambda session, actor, slot: {}, schedule="hourly", at="00:15")
    probe = get_job("hourly_probe")
    late_evening_utc = dt.datetime(2026, 11, 25, 17, 30, tzinfo=dt.UTC)  # 01:30 on the 26th in Shanghai
    slot = probe.current_slot(late_evening_utc, settings)
    assert (slot.key, slot.day) == ("2026-11-26T01", dt.date(2026, 11, 26))
    assert (slot.start, slot.end) == (dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC), dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC))
    assert probe.due_at(slot) == dt.datetime(2026, 11, 25, 17, 15, tzinfo=dt.UTC) <= late_evening_utc
    assert probe.describe() == ("每小时第 15 分", "hourly at :15")
    for wrong in ("2026-11-26", "2026-11-26T24", "2026-11-26T1", "2026-W48"):
        with pytest.raises(InvalidInput, match="2026-11-26T13") as refused:
            probe.slot(wrong, settings)
        assert "每小时任务" in refused.value.zh


# Exactly once -------------------------------------------------------------------------------------


def test_several_servers_racing_for_the_same_slots_run_each_job_exactly_once(db, world, settings, register):
    add_user(db, "boss", ["admin"])
    add_user(db, "wh1", ["warehouse"], ["WH1"])
    receive(db, "MILK", "6", "B1", lot="L1")
    with db.write() as session:
        session.execute(update(Lot).where(Lot.code == "L1").values(expiry=dt.date(2026, 12, 1)))
    calls: list[str] = []

    def slow_report(session, actor, slot):  # type: ignore[no-untyped-def]
        calls.append(slot.key)
        time.sleep(0.3)  # hold the slot while the others arrive
        notify(session, roles=["admin"], kind="test", title_zh="日报", title_en="report")
        return {"ok": True}

    register("slow_report", slow_report, schedule="daily", at="00:00")
    monday_morning = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)  # every job is due
    servers = [open_database(db.url) for _ in range(4)]  # like four app processes on the one database
    barrier = threading.Barrier(len(servers))
    ran: list[tuple[str, str]] = []
    errors: list[BaseException] = []

    def scheduler_tick(database: Database) -> None:
        try:
            barrier.wait()
            ran.extend((r.job, r.status) for r in run_due_jobs(database, settings, now=monday_morning))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler_tick, args=(server,)) for server in servers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for server in servers:
            server.dispose()
    assert not errors
    assert calls == ["2026-11-30"]
    assert sorted(ran) == sorted((name, "succeeded") for name in load_jobs())
    with db.read() as session:
        per_job = dict(session.execute(select(JobRun.job, func.count()).group_by(JobRun.job)).all())
    assert per_job == {name: 1 for name in load_jobs()}
    assert [n.title_en for n in notifications_of(db, "boss", "test")] == ["report"]
    assert len(notifications_of(db, "wh1", "expiry_warning")) == 1


def test_running_a_slot_that_already_ran_is_refused_unless_forced(db, world, settings, register):
    register("count_me", lambda session, actor, slot: {"slot": slot.key}, schedule="daily", at="00:00")
    first = run_job(db, "count_me", actor=SYSTEM, settings=settings, slot="2026-11-26")
    assert (first.status, first.attempts, first.summary) == ("succeeded", 1, {"slot": "2026-11-26"})
    with pytest.raises(SlotTaken, match="already ran for 2026-11-26"):
        run_job(db, "count_me", actor=SYSTEM, settings=settings, slot="2026-11-26")
    again = run_job(db, "count_me", actor=SYSTEM, settings=settings, slot="2026-11-26", force=True)
    assert (again.status, again.attempts) == ("succeeded", 2)
    assert len(runs_of(db, "count_me")) == 1


# Failures -----------------------------------------------------------------------------------------


def test_a_failed_job_keeps_nothing_it_wrote_and_an_administrator_can_retry_it(client, db, world, admin, register):
    attempts: list[int] = []

    def flaky(session, actor, slot):  # type: ignore[no-untyped-def]
        attempts.append(1)
        notify(session, roles=["admin"], kind="test", title_zh="报告", title_en="report")
        if len(attempts) == 1:
            raise RuntimeError("the supplier feed was down")
        return {"attempt": len(attempts)}

    register("flaky", flaky, schedule="daily", at="00:00")
    url = "/api/v1/jobs/flaky/run"
    failed = client.post(url, json={"slot": "2026-11-26"}, headers=admin)
    assert failed.status_code == 200, failed.text
    assert failed.json()["status"] == "failed" and failed.json()["error"] == "RuntimeError: the supplier feed was down"
    assert notifications_of(db, "admin0", "test") == []  # the failed run's notification was rolled back with it

    retried = client.post(url, json={"slot": "2026-11-26"}, headers=admin).json()
    assert (retried["status"], retried["attempts"], retried["summary"], retried["error"]) == ("succeeded", 2, {"attempt": 2}, None)
    assert retried["username"] == "admin0" and retried["trigger"] == "manual"
    assert [n.title_en for n in notifications_of(db, "admin0", "test")] == ["report"]

    refused = client.post(url, json={"slot": "2026-11-26"}, headers=admin)
    assert refused.status_code == 409 and refused.json()["error"] == "job_already_ran"
    assert "force" in refused.json()["message"]
    forced = client.post(url, json={"slot": "2026-11-26", "force": True}, headers=admin).json()
    assert (forced["status"], forced["attempts"]) == ("succeeded", 3)

    listed = {j["name"]: j for j in client.get("/api/v1/jobs", headers=admin).json()["items"]}
    assert [(r["slot"], r["status"], r["attempts"]) for r in listed["flaky"]["last_runs"]] == [("2026-11-26", "succeeded", 3)]


def test_a_scheduled_job_that_fails_tells_the_administrators_and_the_others_still_run(db, world, settings, register):
    add_user(db, "boss", ["admin"])

    def broken(session, actor, slot):  # type: ignore[no-untyped-def]
        raise ValueError("no such report template")

    register("broken", broken, schedule="daily", at="00:00")
    now = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    runs = {r.job: r for r in run_due_jobs(db, settings, now=now)}
    assert runs["broken"].status == "failed" and runs["broken"].error == "ValueError: no such report template"
    assert {name for name, r in runs.items() if r.status == "succeeded"} == set(load_jobs()) - {"broken"}
    told = notifications_of(db, "boss", "job_failed")
    assert len(told) == 1 and "broken" in told[0].title_en and "no such report template" in told[0].body_en
    assert told[0].ref_type == "job_run" and told[0].ref_id == str(runs["broken"].id)

    assert run_due_jobs(db, settings, now=now + dt.timedelta(minutes=1)) == []  # a failed slot waits for an administrator
    assert runs_of(db, "broken")[0].attempts == 1


# The jobs -----------------------------------------------------------------------------------------


def test_expiry_warnings_list_the_lots_running_out_to_each_warehouses_staff_and_the_purchasers(db, world, settings):
    today = local_today()
    add_user(db, "wh1", ["warehouse"], ["WH1"])
    add_user(db, "wh2", ["warehouse"], ["WH2"])
    add_user(db, "buyer", ["purchaser"])
    add_user(db, "seller", ["sales"])
    with db.write() as session:
        session.execute(update(Lot).where(Lot.code == "L1").values(expiry=today - dt.timedelta(days=3)))
        session.execute(update(Lot).where(Lot.code == "L2").values(expiry=today + dt.timedelta(days=10)))
        create_lot(session, SYSTEM, LotCreate(sku="MILK", code="L3", expiry=today + dt.timedelta(days=100)))
        create_lot(session, SYSTEM, LotCreate(sku="MILK", code="L4", expiry=today + dt.timedelta(days=5)))
    receive(db, "MILK", "12", "B1", lot="L1")
    receive(db, "MILK", "6", "QC", lot="L1")
    receive(db, "MILK", "6", "W2-B1", lot="L2")
    receive(db, "MILK", "6", "B2", lot="L3")  # expires after the 30 days
    receive(db, "MILK", "6", "B3", lot="L4")
    shift(db, "MILK", "6", "B3", "CUSTOMER", lot="L4")  # all shipped: nothing left to warn about

    run = run_job(db, "expiry_warnings", actor=SYSTEM, settings=settings, slot=today.isoformat())
    assert run.status == "succeeded", run.error
    assert run.summary["lots"] == 2 and run.summary["expired"] == 1
    assert run.summary["warehouses"] == {"WH1": {"lots": 1, "expired": 1, "recipients": 2}, "WH2": {"lots": 1, "expired": 0, "recipients": 2}}

    (wh1,) = notifications_of(db, "wh1")
    assert wh1.kind == "expiry_warning" and (wh1.ref_type, wh1.ref_id) == ("warehouse", "WH1")
    assert wh1.title_en == "WH1: 1 lot expired" and wh1.title_zh == "WH1：1 个批次已过期"
    assert wh1.body_en == f"- MILK Milk, lot L1: 18 box in B1, QC — expired {today - dt.timedelta(days=3)} (3 days ago)"
    assert wh1.body_zh == f"- MILK 牛奶 批次 L1：18 box（B1、QC）— 已于 {today - dt.timedelta(days=3)} 过期（3 天前）"
    (wh2,) = notifications_of(db, "wh2")
    assert wh2.title_en == "WH2: 1 lot expiring within 30 days"
    assert wh2.body_en == f"- MILK Milk, lot L2: 6 box in W2-B1 — expires {today + dt.timedelta(days=10)} (in 10 days)"
    assert sorted(n.ref_id for n in notifications_of(db, "buyer")) == ["WH1", "WH2"]  # type: ignore[type-var]
    assert notifications_of(db, "seller") == []


def test_the_sales_summary_counts_yesterdays_shipments_and_shows_costs_only_to_those_who_may_see_them(db, world, settings):
    add_user(db, "boss", ["admin"])
    add_user(db, "seller", ["sales"])
    add_user(db, "buyer", ["purchaser"])
    receive(db, "PEN", "20", "B1", unit_cost="2")
    receive(db, "RICE", "1.5", "B2", unit_cost="4")
    shift(db, "PEN", "5", "B1", "CUSTOMER")
    shift(db, "PEN", "3", "B1", "CUSTOMER")
    mistake = shift(db, "PEN", "1", "B1", "CUSTOMER")
    with db.write() as session:
        reverse_move(session, SYSTEM, mistake, reason="wrong order")
    shift(db, "PEN", "2", "B1", "SCRAP")
    shift(db, "RICE", "0.5", "B2", "CUSTOMER")

    today = local_today()  # the summary run on tomorrow's slot covers today
    run = run_job(db, "sales_summary", actor=SYSTEM, settings=settings, slot=(today + dt.timedelta(days=1)).isoformat())
    assert run.status == "succeeded", run.error
    summary = run.summary
    assert (summary["day"], summary["moves"], summary["value"], summary["notifications"]) == (today.isoformat(), 3, "18", 2)
    assert [(i["sku"], i["qty"], i["value"], i["moves"]) for i in summary["items"]] == [("PEN", "8", "16", 2), ("RICE", "0.5", "2", 1)]

    (to_boss,) = notifications_of(db, "boss", "sales_summary")
    assert to_boss.title_en == f"Shipments on {today}: 3 moves, 2 items" and to_boss.title_zh == f"{today} 发货：3 笔，2 种商品"
    assert to_boss.body_en.splitlines() == [
        "- PEN Gel pen: 8 pcs in 2 moves, ¥16 at cost", "- RICE Rice: 0.5 kg in 1 move, ¥2 at cost", "Total at cost: ¥18",
    ]
    (to_seller,) = notifications_of(db, "seller", "sales_summary")
    assert to_seller.body_en.splitlines() == ["- PEN Gel pen: 8 pcs in 2 moves", "- RICE Rice: 0.5 kg in 1 move"]
    assert "¥" not in to_seller.body_zh
    assert notifications_of(db, "buyer") == []


def test_stocktake_reminders_name_the_bins_nobody_has_counted_for_90_days(db, world, settings):
    add_user(db, "wh1", ["warehouse"], ["WH1"])
    add_user(db, "wh2", ["warehouse"], ["WH2"])
    add_user(db, "boss", ["admin"])
    old_stock = [receive(db, "PEN", "10", "B1"), receive(db, "PEN", "10", "B2"), receive(db, "PEN", "10", "B3")]
    age_moves(db, old_stock, days=200)
    shift(db, "PEN", "1", "B2", "ADJUSTMENT")  # B2 counted today: one short
    age_moves(db, [shift(db, "PEN", "2", "ADJUSTMENT", "B3")], days=120)  # B3 counted, but long ago
    receive(db, "RICE", "1", "W2-B1")  # new stock in WH2: not due yet

    today = local_today()
    week = get_job("stocktake_reminders").slot_key(dt.datetime.now(dt.UTC), SHANGHAI)
    run = run_job(db, "stocktake_reminders", actor=SYSTEM, settings=settings, slot=week)
    assert run.status == "succeeded", run.error
    assert run.summary["bins"] == 2 and run.summary["warehouses"] == {"WH1": {"bins": ["B1", "B3"], "recipients": 1}}

    (reminder,) = notifications_of(db, "wh1")
    assert reminder.kind == "stocktake_reminder" and reminder.title_en == "WH1: 2 bins not counted for 90 days"
    assert reminder.title_zh == "WH1：2 个库位超过 90 天未盘点"
    monday = get_job("stocktake_reminders").slot(week, settings).day
    lines = reminder.body_en.splitlines()
    assert lines[0] == f"- B1: 1 item, never counted (stock since {today - dt.timedelta(days=200)})"
    counted = today - dt.timedelta(days=120)
    assert lines[1] == f"- B3: 1 item, last count adjustment {counted} ({(monday - counted).days} days ago)"
    assert notifications_of(db, "wh2") == [] and notifications_of(db, "boss") == []


# Who may run them, and how ------------------------------------------------------------------------


def test_only_an_administrator_may_list_and_run_jobs(client, db, world, as_role, admin):
    for role in ("warehouse", "purchaser", "finance", "director"):
        headers = as_role(role)
        assert client.get("/api/v1/jobs", headers=headers).status_code == 403
        refused = client.post("/api/v1/jobs/expiry_warnings/run", json={}, headers=headers)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert runs_of(db, "expiry_warnings") == []

    jobs = {j["name"]: j for j in client.get("/api/v1/jobs", headers=admin).json()["items"]}
    assert {"expiry_warnings", "sales_summary", "stocktake_reminders"} <= set(jobs)
    assert (jobs["expiry_warnings"]["schedule"], jobs["expiry_warnings"]["at"], jobs["expiry_warnings"]["last_runs"]) == ("daily", "06:00", [])
    assert jobs["expiry_warnings"]["current_slot"] == local_today().isoformat()
    assert (jobs["stocktake_reminders"]["schedule"], jobs["stocktake_reminders"]["weekday"]) == ("weekly", 0)

    ran = client.post("/api/v1/jobs/expiry_warnings/run", json={}, headers=admin)
    assert ran.status_code == 200 and ran.json()["slot"] == local_today().isoformat() and ran.json()["status"] == "succeeded"
    unknown = client.post("/api/v1/jobs/nightly_magic/run", json={}, headers=admin)
    assert unknown.status_code == 404 and "expiry_warnings" in unknown.json()["message"]
    bad_slot = client.post("/api/v1/jobs/sales_summary/run", json={"slot": "yesterday"}, headers=admin)
    assert bad_slot.status_code == 422 and bad_slot.json()["error"] == "bad_slot"


def test_the_server_runs_due_jobs_by_itself_and_survives_a_failing_tick(db, world, settings, register, monkeypatch):
    import server.jobs.scheduler as scheduler

    register("tick", lambda session, actor, slot: {"ticked": slot.key}, schedule="daily", at="00:00")
    real, ticks = scheduler.run_due_jobs, []

    def first_tick_fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        ticks.append(1)
        if len(ticks) == 1:
            raise ConnectionError("database restarting")
        return real(*args, **kwargs)

    monkeypatch.setattr(scheduler, "run_due_jobs", first_tick_fails)
    app = create_app(dataclasses.replace(settings, scheduler=True, scheduler_interval_seconds=1), db)
    with TestClient(app):
        deadline = time.monotonic() + 30
        while not runs_of(db, "tick") and time.monotonic() < deadline:
            time.sleep(0.1)
    (run,) = runs_of(db, "tick")
    assert run.status == "succeeded" and run.trigger == "schedule" and run.user_id is None
    assert len(ticks) >= 2
    settled = len(ticks)
    time.sleep(1.5)
    assert len(ticks) == settled  # stopped with the server


def test_the_cli_lists_and_runs_jobs(db, world):
    cli = CliRunner()
    listed = cli.invoke(main, ["jobs", "list", "--database-url", db.url])
    assert listed.exit_code == 0, listed.output
    assert "expiry_warnings" in listed.output and "never run" in listed.output

    ran = cli.invoke(main, ["jobs", "run", "stocktake_reminders", "--slot", "2026-W48", "--database-url", db.url])
    assert ran.exit_code == 0, ran.output
    assert "stocktake_reminders 2026-W48: succeeded" in ran.output
    again = cli.invoke(main, ["jobs", "run", "stocktake_reminders", "--slot", "2026-W48", "--database-url", db.url])
    assert again.exit_code == 1 and "already ran" in again.output
    assert "last: 2026-W48 succeeded" in cli.invoke(main, ["jobs", "list", "--database-url", db.url]).output


def test_the_audit_anchor_job_writes_the_chain_head_to_the_anchor_file_each_hour(db, world, settings):
    """Outside the database, so `cangku check` can tell a chain wound back behind it (tests/test_audit_chain.py)."""
    spec = get_job("audit_anchor")
    assert (spec.schedule, spec.describe()) == ("hourly", ("每小时第 00 分", "hourly at :00"))
    ten = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    slots = []
    for now in (ten, ten + dt.timedelta(minutes=20), ten + dt.timedelta(hours=1)):
        ran = {r.job: r for r in run_due_jobs(db, settings, now=now)}
        if now.minute == 20:
            assert "audit_anchor" not in ran  # its slot for 10:00 already ran
            continue
        run = ran["audit_anchor"]
        assert run.status == "succeeded" and run.summary["file"] == str(anchor_file(settings)), run.error
        slots.append(run.slot)
    assert slots == ["2026-11-30T10", "2026-11-30T11"]
    lines = [json.loads(line) for line in anchor_file(settings).read_text().splitlines()]
    assert [a["source"] for a in lines] == ["schedule", "schedule"] and lines[1]["seq"] > lines[0]["seq"]
    with db.read() as session:
        log = {e.seq: e for e in session.scalars(select(AuditEntry))}
    for anchor in lines:  # the head as committed when the job ran: the entry just before the run's own
        assert log[anchor["seq"]].hash == anchor["hash"]
        ran_it = log[anchor["seq"] + 1]
        assert (ran_it.action, ran_it.target_id) == ("job.run", "audit_anchor")


def test_an_anchor_that_cannot_be_written_fails_the_job_and_tells_the_administrators(db, world, settings):
    add_user(db, "boss", ["admin"])
    blocked = dataclasses.replace(settings, audit_anchor_file=settings.data_dir / "a-folder")
    (settings.data_dir / "a-folder").mkdir()
    runs = {r.job: r for r in run_due_jobs(db, blocked, now=dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))}
    assert runs["audit_anchor"].status == "failed" and "a-folder" in runs["audit_anchor"].error
    (told,) = notifications_of(db, "boss", "job_failed")
    assert "Audit chain anchor" in told.title_en and "审计链锚点" in told.title_zh
