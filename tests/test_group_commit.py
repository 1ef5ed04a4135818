"""SQLite group commit: writes that arrive together share one commit; each is answered only once it is durable, a failed
write takes back only its own changes, and a failed commit fails every write it held."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from server.auth.permissions import SYSTEM
from server.catalog.schemas import ItemCreate
from server.catalog.services import create_item
from server.check import check_ledger
from server.db import Database
from server.inventory.models import Move
from server.inventory.services import move
from server.wiring import open_database
from tests.conftest import build_world, fill_disk, small_disk

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])


def _moves(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Move)) or 0


def _queued(db: Database, writers: int) -> None:
    """Until `writers` writers wait for a turn."""
    assert db.group_commit is not None
    deadline = time.monotonic() + 30
    while db.group_commit.waiting < writers:
        assert time.monotonic() < deadline, "the second writer never queued"
        time.sleep(0.005)


def _receive_rice(db: Database) -> None:
    """One write of its own: a unit of RICE received into B2."""
    with db.write() as session:
        move(session, SYSTEM, sku="RICE", qty=Decimal(1), source="SUPPLIER", target="B2", unit_cost=Decimal(1))


def _in_thread(target: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@SQLITE
def test_eight_writers_at_once_share_commits_and_every_move_is_kept(world):
    skus = [f"PART-{n}" for n in range(8)]
    with world.write() as session:
        for sku in skus:
            create_item(session, SYSTEM, ItemCreate(sku=sku, name_en=sku, name_zh=sku))
            move(session, SYSTEM, sku=sku, qty=Decimal(100), source="SUPPLIER", target="B1", unit_cost=Decimal(1))
    assert world.group_commit is not None
    before = world.group_commit.stats
    start = threading.Barrier(len(skus))

    def writer(sku: str) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            for _ in range(25):
                with world.write() as session:
                    move(session, SYSTEM, sku=sku, qty=Decimal(1), source="B1", target="CUSTOMER")

        return run

    started = [_in_thread(writer(sku)) for sku in skus]
    for thread, errors in started:
        thread.join(timeout=120)
        assert errors == []
    after = world.group_commit.stats
    assert after.writes - before.writes == 200
    assert after.commits - before.commits < 200  # some commits carried several writes
    with world.read() as session:
        report = check_ledger(session)
        assert report.ok, report.problems
        from server.inventory.services import balances

        rows, _ = balances(session, location="CUSTOMER")
    assert {r.sku: r.qty for r in rows if r.sku in skus} == {sku: Decimal(25) for sku in skus}


@SQLITE
def test_a_write_that_fails_in_a_group_takes_back_only_its_own_and_the_other_is_answered_once_durable(world):
    before = _moves(world)

    def second() -> None:
        with world.write() as session:
            move(session, SYSTEM, sku="RICE", qty=Decimal(1), source="SUPPLIER", target="B2", unit_cost=Decimal(1))
            raise ValueError("the second write fails after its move")

    with world.write() as session:
        move(session, SYSTEM, sku="PEN", qty=Decimal(3), source="SUPPLIER", target="B1", unit_cost=Decimal(1))
        thread, errors = _in_thread(second)
        _queued(world, 1)  # the second waits for its turn in the same group: this write will not commit alone
    # Leaving the block means the group's commit holds this write: a new connection sees it.
    assert _moves(world) == before + 1
    thread.join(timeout=30)
    assert [type(e) for e in errors] == [ValueError]
    with world.read() as session:
        assert session.scalars(select(Move.qty).where(Move.id > 0).order_by(Move.id.desc())).first() == Decimal(3)
        assert check_ledger(session).ok


def test_a_commit_that_fails_fails_every_write_of_its_group(tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        db = open_database(f"sqlite:///{disk / 'cangku.db'}")
        try:
            from server.migrate import prepare

            prepare(db)
            build_world(db)
            before = _moves(db)
            filler = disk / "filler"

            def second() -> None:
                _receive_rice(db)

            with pytest.raises(OperationalError):
                with db.write() as session:
                    move(session, SYSTEM, sku="PEN", qty=Decimal(3), source="SUPPLIER", target="B1", unit_cost=Decimal(1))
                    thread, errors = _in_thread(second)
                    _queued(db, 1)
                    fill_disk(filler)  # the group's commit cannot be written
            thread.join(timeout=30)
            assert [type(e) for e in errors] == [OperationalError]  # the write that ran last failed with the commit too
            filler.unlink()
            assert _moves(db) == before  # neither was kept
            second()  # space again: the next write starts a new group and is kept
            assert _moves(db) == before + 1
            with db.read() as session:
                report = check_ledger(session)
                assert report.ok, report.problems
        finally:
            db.dispose()


@SQLITE
def test_a_write_inside_a_write_on_the_same_thread_is_refused_not_left_waiting_for_itself(world):
    with world.write():
        with pytest.raises(RuntimeError, match="inside another write"):
            with world.write():
                pass


@SQLITE
def test_when_the_first_write_of_a_group_fails_the_one_waiting_behind_it_is_kept(world):
    before = _moves(world)

    def second() -> None:
        _receive_rice(world)

    with pytest.raises(ValueError):
        with world.write() as session:
            move(session, SYSTEM, sku="PEN", qty=Decimal(3), source="SUPPLIER", target="B1", unit_cost=Decimal(1))
            thread, errors = _in_thread(second)
            _queued(world, 1)
            raise ValueError("the first write fails after its move")
    thread.join(timeout=30)
    assert errors == [] and _moves(world) == before + 1
    with world.read() as session:
        assert session.scalars(select(Move.qty).order_by(Move.id.desc())).first() == Decimal(1)
        assert check_ledger(session).ok
    second()  # and the next writes go on as before
    assert _moves(world) == before + 2
