"""The approval rules as purchasing's services offer them. The rules of every kind of document — purchase orders,
requisitions, transfer orders — and their matching live in `server.documents.approvals`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.documents.approvals import DEFAULT_RULES, RuleIn, ensure_rules, replace_rules, rules_of
from server.documents.models import ApprovalRule

DEFAULT_APPROVAL_RULES = DEFAULT_RULES["purchase_order"]


def ensure_approval_rules(session: Session) -> None:
    ensure_rules(session)


def approval_rules(session: Session, kind: str = "purchase_order") -> list[ApprovalRule]:
    return rules_of(session, kind)


def replace_approval_rules(
    session: Session, actor: Actor, rules: Sequence[RuleIn | tuple[object, object | None, list[str]]], kind: str = "purchase_order",
) -> list[ApprovalRule]:
    """A kind's new rules (by default purchase orders'), tried in the order given; a rule may be a plain band
    (above, up to, roles)."""
    return replace_rules(session, actor, kind, [rule if isinstance(rule, RuleIn) else RuleIn(*rule) for rule in rules])
