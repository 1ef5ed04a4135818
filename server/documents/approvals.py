"""Approval rules and the approvals they ask for: which roles must approve a purchase order, a requisition or a transfer
order, in what order, by its amount, its items' categories and its warehouses; each level signed on the version seen.

A kind's active rules are tried by priority and the first that matches decides the levels; a document no rule matches
needs no approval. A rule matches a document whose amount in yuan is in its band (above, up_to] (a band from 0 takes 0
too), that has at least one line of an item in the rule's category, if it names one, and that is of the rule's
warehouse, if it names one (a transfer order is of both the warehouse it leaves and the one it goes to).

The amount is what each document's module says (`Facts`): a purchase order's total in yuan with VAT, a requisition's
estimated value, a transfer order's value at average cost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import PERMISSIONS, ROLE_NAMES, Actor
from server.catalog.models import Category, Item
from server.catalog.services import find_category, unknown_category
from server.documents.models import Approval, ApprovalRule
from server.errors import Conflict, Forbidden, InvalidInput
from server.locations.models import Location
from server.locations.services import get_warehouse
from server.quantities import optional_non_negative
from server.schemas import fmt


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str  # as the API names it: purchase_order
    doc_type: str  # as its approvals and audit entries name it: po
    permission: str  # approving one at all
    en: str
    zh: str


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("purchase_order", "po", "purchase.approve", "purchase order", "采购订单"),
        Kind("requisition", "requisition", "purchase.approve", "requisition", "请购单"),
        Kind("transfer_order", "transfer", "transfers.approve", "transfer order", "调拨单"),
    )
}

# What a company starts with: purchase orders by their total, every requisition (of someone who may only ask) and every
# transfer order by one approver — what Cangku asked for before rules could be set.
DEFAULT_RULES: dict[str, list[tuple[Decimal, Decimal | None, list[str]]]] = {
    "purchase_order": [
        (Decimal(0), Decimal(10_000), ["approver"]),
        (Decimal(10_000), Decimal(100_000), ["approver", "approver"]),
        (Decimal(100_000), None, ["approver", "approver", "director"]),
    ],
    "requisition": [(Decimal(0), None, ["approver"])],
    "transfer_order": [(Decimal(0), None, ["approver"])],
}


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the rules judge a document by."""

    amount: Decimal  # in yuan
    warehouse_ids: frozenset[int]
    item_ids: frozenset[int]


@dataclasses.dataclass(frozen=True)
class RuleIn:
    above: object
    up_to: object | None
    levels: Sequence[str]
    category: str | None = None
    warehouse: str | None = None


def average_costs(session: Session, item_ids: Collection[int]) -> dict[int, Decimal]:
    """Each item's moving-average cost per base unit in yuan, of those the company holds some of."""
    from server.inventory.models import Valuation

    if not item_ids:
        return {}
    return {v.item_id: v.value / v.qty for v in session.scalars(select(Valuation).where(Valuation.item_id.in_(item_ids), Valuation.qty > 0))}


def kind_of(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise InvalidInput(
            f"Approval rules are for {', '.join(KINDS)}, not {name}.", f"审批规则适用于 {', '.join(KINDS)}，没有 {name}。",
            code="unknown_kind", field="kind", kinds=list(KINDS),
        )
    return kind


# The rules --------------------------------------------------------------------------------------


def ensure_rules(session: Session) -> None:
    """Each kind's default rules, for a kind that never had any (rules replaced since are kept, inactive)."""
    have = set(session.scalars(select(ApprovalRule.doc_type).distinct()))
    for kind, bands in DEFAULT_RULES.items():
        if kind in have:
            continue
        for priority, (above, up_to, levels) in enumerate(bands, 1):
            session.add(ApprovalRule(doc_type=kind, above=above, up_to=up_to, levels=levels, priority=priority))
    session.flush()


def rules_of(session: Session, kind: str) -> list[ApprovalRule]:
    """A kind's rules in force, first tried first."""
    return list(session.scalars(
        select(ApprovalRule).where(ApprovalRule.doc_type == kind_of(kind).name, ApprovalRule.active.is_(True))
        .order_by(ApprovalRule.priority, ApprovalRule.id)
    ))


def scope_codes(session: Session, rules: Sequence[ApprovalRule]) -> tuple[dict[int, str], dict[int, str]]:
    """The codes of the categories and warehouses the rules name, by id."""
    categories = {r.category_id for r in rules if r.category_id is not None}
    warehouses = {r.warehouse_id for r in rules if r.warehouse_id is not None}
    return (
        dict(session.execute(select(Category.id, Category.code).where(Category.id.in_(categories))).all()) if categories else {},
        dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(warehouses))).all()) if warehouses else {},
    )


def _in_band(above: Decimal, up_to: Decimal | None, amount: Decimal) -> bool:
    return (amount > above or (above == 0 and amount >= 0)) and (up_to is None or amount <= up_to)


def levels_for(session: Session, kind: str, facts: Facts) -> list[str]:
    """The roles that must approve a document of `kind` with these facts, in order; none: it needs no approval."""
    rules = rules_of(session, kind)
    categories: set[int] = set()
    if facts.item_ids and any(r.category_id is not None for r in rules):
        categories = set(session.scalars(select(Item.category_id).where(Item.id.in_(facts.item_ids), Item.category_id.isnot(None))))
    for rule in rules:
        if (
            _in_band(rule.above, rule.up_to, facts.amount)
            and (rule.category_id is None or rule.category_id in categories)
            and (rule.warehouse_id is None or rule.warehouse_id in facts.warehouse_ids)
        ):
            return list(rule.levels)
    return []


@dataclasses.dataclass(frozen=True)
class _Rule:
    n: int  # its place, from 1: its priority
    low: Decimal
    high: Decimal | None
    levels: list[str]
    category_id: int | None
    warehouse_id: int | None
    category: str | None
    warehouse: str | None

    def band(self) -> str:
        return f"{fmt(self.low)} – {fmt(self.high) if self.high is not None else '∞'}"

    def scope(self) -> tuple[str, str]:
        parts = [p for p in (self.category and f"category {self.category}", self.warehouse and f"warehouse {self.warehouse}") if p]
        parts_zh = [p for p in (self.category and f"分类 {self.category}", self.warehouse and f"仓库 {self.warehouse}") if p]
        return (", ".join(parts) or "every document", "，".join(parts_zh) or "所有单据")

    def within(self, other: _Rule) -> bool:
        """Whether every document this rule's scope holds is in `other`'s scope too."""
        return (other.category_id is None or other.category_id == self.category_id) and (
            other.warehouse_id is None or other.warehouse_id == self.warehouse_id)


def _overlap(a: _Rule, b: _Rule) -> bool:
    """Whether an amount is in both bands: (low, high], 0 counted in a band from 0."""
    if a.low == 0 and b.low == 0:
        return True
    return (b.high is None or a.low < b.high) and (a.high is None or b.low < a.high)


def _covered(rule: _Rule, before: Sequence[_Rule]) -> bool:
    """Whether the bands before cover every amount of `rule`'s band between them."""
    reached: Decimal | None = rule.low  # covered up to here (None: to no end)
    for other in sorted(before, key=lambda r: r.low):
        if reached is None or (rule.high is not None and reached >= rule.high):
            break
        if other.low <= reached:
            reached = None if other.high is None else max(reached, other.high)
    return reached is None or (rule.high is not None and reached >= rule.high)


def _parse(session: Session, kind: Kind, n: int, rule: RuleIn) -> _Rule:
    field = f"rules[{n - 1}]"
    low = optional_non_negative(rule.above, f"{field}.above", scale=2) or Decimal(0)
    high = optional_non_negative(rule.up_to, f"{field}.up_to", scale=2) if rule.up_to is not None else None
    if high is not None and high <= low:
        raise InvalidInput(f"A band must end above where it starts ({fmt(low)} – {fmt(high)}).", f"区间上限必须大于下限（{fmt(low)} – {fmt(high)}）。",
                           code="bad_bands", field=f"{field}.up_to")
    levels = list(rule.levels)
    if not levels:
        raise InvalidInput(f"Rule {n} names no one to approve.", f"第 {n} 条规则没有指定审批人。", field=f"{field}.levels")
    approving = sorted(PERMISSIONS[kind.permission])
    for role in levels:
        if role not in approving:
            zh_role = ROLE_NAMES.get(role, (role, role))[0]
            raise InvalidInput(
                f"Role {role} cannot approve {kind.en}s; those who can: {', '.join(approving)}.",
                f"角色 {zh_role} 不能审批{kind.zh}；可以审批的角色：{'、'.join(ROLE_NAMES[r][0] for r in approving)}。",
                code="role_cannot_approve", role=role, field=f"{field}.levels", roles=approving,
            )
    category_id = warehouse_id = None
    if rule.category:
        category = find_category(session, rule.category)
        if category is None:
            raise unknown_category(rule.category, f"{field}.category")
        category_id = category.id
    if rule.warehouse:
        warehouse_id = get_warehouse(session, rule.warehouse, f"{field}.warehouse").id
    return _Rule(n, low, high, levels, category_id, warehouse_id, rule.category or None, rule.warehouse or None)


def _check_rules(rules: Sequence[_Rule]) -> None:
    for rule in rules:
        for earlier in rules[: rule.n - 1]:
            if (earlier.category_id, earlier.warehouse_id) == (rule.category_id, rule.warehouse_id) and _overlap(earlier, rule):
                en, zh = rule.scope()
                raise InvalidInput(
                    f"Rules {earlier.n} and {rule.n} ({en}) overlap: {earlier.band()} and {rule.band()}; a document in both would "
                    f"only ever meet rule {earlier.n}.",
                    f"第 {earlier.n} 条和第 {rule.n} 条规则（{zh}）的金额区间重叠：{earlier.band()} 与 {rule.band()}；两者都符合的单据"
                    f"只会用到第 {earlier.n} 条。",
                    code="overlapping_bands", field=f"rules[{rule.n - 1}]", rules=[earlier.n, rule.n],
                )
    general = sorted((r for r in rules if r.category_id is None and r.warehouse_id is None), key=lambda r: r.low)
    for before, after in zip(general, general[1:], strict=False):
        if before.high != after.low:
            raise InvalidInput(
                f"The bands for every document must follow each other with no gap: one ends at {fmt(before.high)}, the next starts "
                f"at {fmt(after.low)}.",
                f"适用于所有单据的区间必须首尾相接，中间不能有空档：一个区间止于 {fmt(before.high)}，下一个从 {fmt(after.low)} 开始。",
                code="bad_bands", field=f"rules[{after.n - 1}].above",
            )
    if general and general[-1].high is not None:
        raise InvalidInput("The last band must have no upper limit.", "最后一个区间不能有上限。", code="bad_bands",
                           field=f"rules[{general[-1].n - 1}].up_to")
    for rule in rules:
        wider = [earlier for earlier in rules[: rule.n - 1] if rule.within(earlier)]
        if wider and _covered(rule, wider):
            en, zh = rule.scope()
            raise InvalidInput(
                f"Rule {rule.n} ({en}, {rule.band()}) can never apply: rules before it ({', '.join(str(r.n) for r in wider)}) decide every "
                f"document it would. Move it up, or remove it.",
                f"第 {rule.n} 条规则（{zh}，{rule.band()}）永远不会用到：排在它前面的规则（第 {'、'.join(str(r.n) for r in wider)} 条）"
                f"已经决定了它适用的所有单据。请把它上移，或删除它。",
                code="unreachable_rule", field=f"rules[{rule.n - 1}]", rule=rule.n,
            )


def replace_rules(session: Session, actor: Actor, kind: str, rules: Sequence[RuleIn]) -> list[ApprovalRule]:
    """A kind's new rules, tried in the order given. Bands of the same category and warehouse may not overlap; the bands for
    every document (no category, no warehouse) follow each other with no gap up to no limit (below the first, no approval
    is needed); a rule the ones before it always pre-empt is refused. No rules: no document of the kind needs approval."""
    actor.require("settings.write")
    spec = kind_of(kind)
    parsed = [_parse(session, spec, n, rule) for n, rule in enumerate(rules, 1)]
    _check_rules(parsed)
    for row in session.scalars(select(ApprovalRule).where(ApprovalRule.doc_type == spec.name, ApprovalRule.active.is_(True))):
        row.active = False
    for rule in parsed:
        session.add(ApprovalRule(doc_type=spec.name, above=rule.low, up_to=rule.high, levels=rule.levels, priority=rule.n,
                                 category_id=rule.category_id, warehouse_id=rule.warehouse_id))
    session.flush()
    record(session, actor, "approval_rules.replace", "approval_rules", spec.name,
           rules=[[fmt(r.low), fmt(r.high), r.levels, r.category, r.warehouse] for r in parsed])
    return rules_of(session, spec.name)


# The approvals a document waits for ----------------------------------------------------------------


def given(session: Session, kind: str, doc_id: int) -> list[Approval]:
    """The approvals standing on a document (not voided by an edit), by level."""
    return list(session.scalars(
        select(Approval)
        .where(Approval.doc_type == KINDS[kind].doc_type, Approval.doc_id == doc_id, Approval.void.is_(False), Approval.decision == "approved")
        .order_by(Approval.level)
    ))


def void(session: Session, kind: str, doc_id: int) -> int:
    """Every decision standing on a document voided (it changed, or went back to draft): approval starts again at level 1."""
    rows = list(session.scalars(
        select(Approval).where(Approval.doc_type == KINDS[kind].doc_type, Approval.doc_id == doc_id, Approval.void.is_(False))
    ))
    for row in rows:
        row.void = True
    return len(rows)


def next_role(session: Session, kind: str, doc: Any) -> tuple[int, str] | None:
    """The level a pending document waits at, and the role it waits for; None when it waits for no one."""
    roles = list(doc.approval_roles or [])
    level = len(given(session, kind, doc.id)) + 1
    if doc.status != "pending" or level > len(roles):
        return None
    return level, roles[level - 1]


def may_approve_next(session: Session, actor: Actor, kind: str, doc: Any, warehouse_ids: Collection[int]) -> bool:
    """Whether the next level a pending document waits for is `actor`'s to sign: of its role (or an administrator), in one of
    its warehouses, neither its creator nor one who signed an earlier level."""
    if doc.status != "pending" or not actor.can(KINDS[kind].permission):
        return False
    if doc.created_by is not None and doc.created_by == actor.user_id:
        return False
    approvals = given(session, kind, doc.id)
    roles = list(doc.approval_roles or [])
    if any(a.user_id == actor.user_id for a in approvals) or len(approvals) >= len(roles):
        return False
    if not any(actor.may_use_warehouse(w) for w in warehouse_ids):
        return False
    role = roles[len(approvals)]
    return role in actor.roles or "admin" in actor.roles


def _not_own(actor: Actor, kind: Kind, doc: Any) -> None:
    if doc.created_by is not None and doc.created_by == actor.user_id:
        raise Forbidden(
            f"You created {kind.en} {doc.number}; someone else must decide on it.", f"{kind.zh} {doc.number} 是您创建的，须由他人审批。",
            code="own_document",
        )


def _in_warehouse(actor: Actor, warehouses: Sequence[Location]) -> None:
    if not any(actor.may_use_warehouse(w.id) for w in warehouses):
        codes = " / ".join(w.code for w in warehouses)
        raise Forbidden(f"You may not work in warehouse {codes}.", f"您无权操作仓库 {codes}。", code="warehouse_not_allowed")


def sign(session: Session, actor: Actor, kind: str, doc: Any, *, version: int, comment: str, warehouses: Sequence[Location]) -> int:
    """The next level of approval given by `actor` on the version they saw, or refused saying why (their own document, a
    level they signed already, another role's level, another warehouse's document). Returns the level signed; the caller
    moves the document on (signed, or approved when it was the last)."""
    spec = KINDS[kind]
    _not_own(actor, spec, doc)
    approvals = given(session, kind, doc.id)
    if any(a.user_id == actor.user_id for a in approvals):
        raise Conflict(
            f"You already approved {spec.en} {doc.number}; the next level needs another approver.",
            f"您已审批过{spec.zh} {doc.number}，下一级需由其他人审批。",
            code="already_approved_by_you",
        )
    roles = list(doc.approval_roles or [])
    level = len(approvals) + 1
    if level > len(roles):
        raise Conflict(f"{spec.en.capitalize()} {doc.number} waits for no approval.", f"{spec.zh} {doc.number} 无需审批。", code="wrong_state",
                       state=doc.status, action="approve")
    role = roles[level - 1]
    if role not in actor.roles and "admin" not in actor.roles:
        zh_role = ROLE_NAMES.get(role, (role, role))[0]
        raise Forbidden(
            f"Level {level} of {spec.en} {doc.number} must be approved by a {role}.",
            f"{spec.zh} {doc.number} 的第 {level} 级须由{zh_role}审批。",
            code="wrong_approver_role", level=level, role=role,
        )
    _in_warehouse(actor, warehouses)
    session.add(Approval(doc_type=spec.doc_type, doc_id=doc.id, level=level, role=role, version=version, decision="approved", comment=comment,
                         user_id=actor.user_id))
    return level


def require_comment(kind: str, comment: str) -> None:
    if not comment.strip():
        raise InvalidInput(f"Say why the {KINDS[kind].en} is rejected.", "请填写驳回原因。", code="comment_required", field="comment")


def refuse(session: Session, actor: Actor, kind: str, doc: Any, *, version: int, comment: str, warehouses: Sequence[Location]) -> int:
    """A rejection at the level the document waits at, by anyone who may approve its kind in its warehouse (not its creator),
    saying why. Returns the level; the caller moves the document to rejected."""
    spec = KINDS[kind]
    require_comment(kind, comment)
    _not_own(actor, spec, doc)
    _in_warehouse(actor, warehouses)
    roles = list(doc.approval_roles or [])
    level = len(given(session, kind, doc.id)) + 1
    role = roles[level - 1] if level <= len(roles) else "approver"
    session.add(Approval(doc_type=spec.doc_type, doc_id=doc.id, level=level, role=role, version=version, decision="rejected", comment=comment,
                         user_id=actor.user_id))
    return level


def tell_next_approvers(
    session: Session, kind: str, doc: Any, *, warehouse_ids: Collection[int], title_zh: str, title_en: str, body_zh: str, body_en: str,
    with_admins: bool = False,
) -> None:
    """Those who may sign the level a pending document waits at hear of it (its creator and who signed before aside): of that
    level's role (and administrators, when `with_admins`), allowed in one of its warehouses. Sent after the commit."""
    from server.notifications.services import notify, recipients

    waiting = next_role(session, kind, doc)
    if waiting is None:
        return
    level, role = waiting
    roles = [role, "admin"] if with_admins else [role]
    skip = {doc.created_by, *(a.user_id for a in given(session, kind, doc.id))}
    users: dict[int, None] = {}
    for warehouse_id in warehouse_ids:
        for user in recipients(session, roles=roles, warehouse_id=warehouse_id):
            if user.id not in skip:
                users[user.id] = None
    if not users:
        return
    of = len(doc.approval_roles)
    notify(
        session, users=list(users), kind="approval.pending", title_zh=title_zh, title_en=title_en,
        body_zh=f"{body_zh}，第 {level}/{of} 级", body_en=f"{body_en}, level {level} of {of}",
        ref_type=KINDS[kind].doc_type, ref_id=doc.number,
    )
