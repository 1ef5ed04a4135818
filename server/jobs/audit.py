"""The audit anchor (hourly): the audit chain's head written to the anchor file, outside the database (server/audit/anchors.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.audit.anchors import anchor_file, anchor_head
from server.auth.permissions import Actor
from server.jobs.registry import Slot, job


@job("audit_anchor", schedule="hourly", at="00:00", title_zh="审计链锚点", title_en="Audit chain anchor")
def audit_anchor(session: Session, actor: Actor, slot: Slot) -> dict[str, Any]:
    """Anchor the head as committed when the job runs: a rewind behind it is then found by `cangku check`, so what can go
    unnoticed is at most the last hour's entries. The file is written even if the run's own transaction rolls back: the
    head it records was committed before."""
    anchor = anchor_head(session.connection(), slot.settings, "schedule")
    assert anchor is not None  # jobs run on this version's schema, which has the chain
    return {"seq": anchor.seq, "hash": anchor.hash, "file": str(anchor_file(slot.settings))}
