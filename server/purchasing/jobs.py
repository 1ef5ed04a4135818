"""Purchasing's scheduled job: the daily reorder check over every rule (moves check their own rules as they commit)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.jobs.registry import Slot, job
from server.purchasing.reorder import check_all


@job("reorder_check", schedule="daily", at="06:30", title_zh="再订货检查", title_en="Reorder check")
def reorder_check(session: Session, actor: Actor, slot: Slot) -> dict[str, Any]:
    raised = check_all(session, actor)
    return {"requisitions": [r.number for r in raised]}
