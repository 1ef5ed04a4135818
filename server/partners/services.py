"""Partner rules: unique codes, credit limits in money, every change audited."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.errors import Conflict, NotFound, check_version
from server.partners.models import Partner
from server.partners.schemas import PartnerCreate, PartnerUpdate
from server.quantities import optional_non_negative

_FIELDS = ("name_zh", "name_en", "contact", "phone", "email", "tax_id", "address", "payment_terms_days", "credit_limit", "active")


def get_partner(session: Session, code: str) -> Partner:
    partner = session.scalar(select(Partner).where(Partner.code == code))
    if partner is None:
        raise NotFound(f"No partner {code}.", f"没有往来单位 {code}。", partner=code)
    return partner


def create_partner(session: Session, actor: Actor, data: PartnerCreate) -> Partner:
    actor.require("partners.write")
    if session.scalar(select(Partner.id).where(Partner.code == data.code)) is not None:
        raise Conflict(f"Partner {data.code} already exists.", f"往来单位 {data.code} 已存在。", code="duplicate_partner")
    optional_non_negative(data.credit_limit, "credit_limit", scale=2)
    partner = Partner(code=data.code, kind=data.kind, **{f: getattr(data, f) for f in _FIELDS if f != "active"})
    session.add(partner)
    session.flush()
    record(session, actor, "partner.create", "partner", data.code, kind=data.kind)
    return partner


def update_partner(session: Session, actor: Actor, code: str, data: PartnerUpdate) -> Partner:
    actor.require("partners.write")
    partner = get_partner(session, code)
    check_version("Partner", "往来单位", code, partner.version, data.version)
    optional_non_negative(data.credit_limit, "credit_limit", scale=2)
    changes = {}
    for field in _FIELDS:
        value = getattr(data, field)
        if value is not None and value != getattr(partner, field):
            changes[field] = str(value)
            setattr(partner, field, value)
    if changes:
        partner.version += 1
        session.flush()
        record(session, actor, "partner.update", "partner", code, changes=changes)
    return partner


def list_partners(session: Session, *, kind: str | None, search: str | None, limit: int, offset: int) -> tuple[list[Partner], int]:
    query = select(Partner)
    if kind:
        query = query.where(Partner.kind.in_((kind, "both")))
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(or_(Partner.code.ilike(pattern), Partner.name_zh.ilike(pattern), Partner.name_en.ilike(pattern)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(Partner.code).limit(limit).offset(offset))), total
