"""The approval thresholds of purchase orders: which roles approve an order of a given total, and in what order."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.documents.models import ApprovalRule
from server.errors import InvalidInput
from server.quantities import optional_non_negative
from server.schemas import fmt

DEFAULT_APPROVAL_RULES = [
    (Decimal(0), Decimal(10_000), ["approver"]),
    (Decimal(10_000), Decimal(100_000), ["approver", "approver"]),
    (Decimal(100_000), None, ["approver", "approver", "director"]),
]


def ensure_approval_rules(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(ApprovalRule)):
        return
    for above, up_to, levels in DEFAULT_APPROVAL_RULES:
        session.add(ApprovalRule(doc_type="po", above=above, up_to=up_to, levels=levels))
    session.flush()


def approval_rules(session: Session) -> list[ApprovalRule]:
    return list(session.scalars(select(ApprovalRule).where(ApprovalRule.active.is_(True)).order_by(ApprovalRule.above)))


def replace_approval_rules(session: Session, actor: Actor, rules: Sequence[tuple[object, object | None, list[str]]]) -> list[ApprovalRule]:
    """New thresholds: bands (above, up to] that must cover every amount from 0 up, each with its roles in order."""
    from server.auth.permissions import PERMISSIONS

    actor.require("settings.write")
    bands = []
    for above, up_to, levels in rules:
        low = optional_non_negative(above, "above", scale=2) or Decimal(0)
        high = optional_non_negative(up_to, "up_to", scale=2) if up_to is not None else None
        if high is not None and high <= low:
            raise InvalidInput(f"A band must end above where it starts ({low} – {high}).", f"区间上限必须大于下限（{low} – {high}）。")
        for role in levels:
            if role not in PERMISSIONS["purchase.approve"]:
                raise InvalidInput(
                    f"Role {role} cannot approve purchase orders.", f"角色 {role} 不能审批采购订单。", code="role_cannot_approve", role=role
                )
        bands.append((low, high, list(levels)))
    bands.sort(key=lambda b: b[0])
    expected = Decimal(0)
    for low, high, _ in bands:
        if low != expected:
            raise InvalidInput(
                f"The bands must follow each other from 0 with no gap or overlap (one starts at {low}, expected {expected}).",
                f"区间必须从 0 起首尾相接，不能有空档或重叠（某区间从 {low} 开始，应从 {expected} 开始）。",
                code="bad_bands",
            )
        expected = high  # type: ignore[assignment]
        if high is None:
            break
    if not bands or bands[-1][1] is not None or expected is not None:
        raise InvalidInput("The last band must have no upper limit.", "最后一个区间不能有上限。", code="bad_bands")
    for rule in session.scalars(select(ApprovalRule).where(ApprovalRule.active.is_(True))):
        rule.active = False
    for low, high, levels in bands:
        session.add(ApprovalRule(doc_type="po", above=low, up_to=high, levels=levels))
    session.flush()
    record(session, actor, "approval_rules.replace", "approval_rules", "po", bands=[[fmt(lo), fmt(hi), lv] for lo, hi, lv in bands])
    return approval_rules(session)


def roles_for_amount(session: Session, amount: Decimal) -> list[str]:
    for rule in approval_rules(session):
        if (amount > rule.above or (rule.above == 0 and amount >= 0)) and (rule.up_to is None or amount <= rule.up_to):
            return list(rule.levels)
    return []
