"""The unit of work: every write is finished by the commit steps, in their order, before it commits."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.models import AuditEntry
from server.auth.permissions import SYSTEM
from server.db import Database
from server.inventory.models import Move
from server.inventory.services import move
from server.partners.schemas import PartnerCreate
from server.partners.services import create_partner
from server.purchasing.models import Requisition
from server.purchasing.reorder import set_rule
from server.wiring import COMMIT_STEPS
from server.work import CommitStep, UnfinishedWork, Work, publish_after_commit
from sync.feed import Cursor, changes_after


def test_the_commit_steps_are_the_reorder_check_the_change_feed_the_outbox_then_the_audit_chain():
    assert [step.name for step in COMMIT_STEPS] == ["reorder check", "change feed", "outbox", "audit chain"]


def test_a_write_runs_the_steps_in_their_order_and_a_requisition_raised_by_the_reorder_check_is_in_the_feed_and_the_chain(world):
    ran: list[str] = []

    def noted(step: CommitStep) -> CommitStep:
        return CommitStep(step.name, lambda work: (ran.append(step.name), step.run(work))[1])

    db = Database(world.url, commit_steps=[noted(step) for step in COMMIT_STEPS])
    try:
        with db.write() as work:
            move(work, SYSTEM, sku="PEN", qty=12, source="SUPPLIER", target="B1", unit_cost=1)
            create_partner(work, SYSTEM, PartnerCreate(code="SUP1", kind="supplier", name_en="Supplier"))
            set_rule(work, SYSTEM, sku="PEN", warehouse="WH1", min_qty="10", reorder_qty="50", supplier="SUP1")
        assert ran == ["reorder check", "change feed", "outbox", "audit chain"]
        ran.clear()
        with db.write() as work:
            move(work, SYSTEM, sku="PEN", qty=5, source="B1", target="CUSTOMER")  # 7 left: under the reorder point
        assert ran == ["reorder check", "change feed", "outbox", "audit chain"]
        with db.read() as session:
            requisition = session.scalar(select(Requisition))
            assert requisition is not None
            # The reorder check ran before the audit chain: the requisition it raised was chained with the move.
            actions = [entry.action for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(3))]
            assert sorted(actions) == ["requisition.create", "stock.below_reorder_point", "stock.move"]
            page = changes_after(session, ["wh:WH1"], Cursor(), 100)
            assert [json.loads(c.data)["qty"] for c in page.changes if c.kind == "balance"][-1] == "7"
    finally:
        db.dispose()


def test_a_write_that_leaves_work_no_step_takes_is_refused_and_writes_nothing(world):
    bare = Database(world.url, commit_steps=())
    try:
        with pytest.raises(UnfinishedWork, match="change feed"), bare.write() as work:
            move(work, SYSTEM, sku="PEN", qty=3, source="SUPPLIER", target="B1", unit_cost=1)
        with bare.read() as session:
            assert session.scalar(select(func.count()).select_from(Move)) == 0
    finally:
        bare.dispose()


def test_a_savepoint_rolled_back_takes_its_audit_entries_and_events_but_the_rest_of_the_transaction_keeps_its_own(db):
    delivered: list[list[object]] = []
    db.commit_listeners.append(delivered.append)
    try:
        with db.write() as work:
            publish_after_commit(work, "kept")
            with pytest.raises(RuntimeError), work.begin_nested():
                publish_after_commit(work, "dropped")
                from server.audit.services import record

                record(work, SYSTEM, "test.dropped", "test", 1)
                raise RuntimeError("the savepoint fails")
            assert [event for _, event in work.events] == ["kept"] and work.audit_entries == []
    finally:
        db.commit_listeners.remove(delivered.append)
    assert delivered == [["kept"]]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.dropped")) == 0


def test_events_of_a_transaction_that_rolls_back_are_never_delivered(db):
    delivered: list[list[object]] = []
    db.commit_listeners.append(delivered.append)
    try:
        with pytest.raises(RuntimeError), db.write() as work:
            publish_after_commit(work, "never")
            raise RuntimeError("the action fails")
    finally:
        db.commit_listeners.remove(delivered.append)
    assert delivered == []


def test_no_business_behaviour_listens_on_every_session():
    """The commit steps are the unit of work's; nothing hooks into every SQLAlchemy session's commit."""
    plain = Session()
    for name in ("before_commit", "after_commit", "after_rollback", "after_soft_rollback", "after_transaction_end"):
        assert list(getattr(plain.dispatch, name)) == [], name
    assert list(Work().dispatch.before_commit) == []  # the unit of work runs its steps itself (Database.write)
