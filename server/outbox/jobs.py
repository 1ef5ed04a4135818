"""Pruning the outbox (daily): events older than the retention that nothing waits for any more."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.jobs.registry import Slot, job
from server.outbox.models import Delivery, OutboxEvent


@job("outbox_prune", schedule="daily", at="03:40", title_zh="清理已投递事件", title_en="Prune delivered events")
def outbox_prune(session: Session, actor: Actor, slot: Slot) -> dict[str, Any]:
    """Events older than CANGKU_OUTBOX_RETENTION_DAYS go with their deliveries, unless one is still pending (an endpoint
    that is paused or failing keeps its backlog). Dead ones go too: past the retention, there is nothing left to replay."""
    before = slot.end - dt.timedelta(days=slot.settings.outbox_retention_days)
    waiting = exists().where(Delivery.event_id == OutboxEvent.id, Delivery.status == "pending")
    old = select(OutboxEvent.id).where(OutboxEvent.occurred_at < before, OutboxEvent.fanned_out.is_(True), ~waiting)
    ids = list(session.scalars(old))
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        session.execute(delete(Delivery).where(Delivery.event_id.in_(chunk)))
        session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(chunk)))
    return {"events": len(ids)}
