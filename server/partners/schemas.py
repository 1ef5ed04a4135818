"""Request and response shapes for partners."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from server.partners.models import Partner as PartnerRow
from server.schemas import Code, DecimalStr, Name, Out, Struct, Text, fmt

PartnerKind = Literal["supplier", "customer", "both"]
Short = Annotated[str, msgspec.Meta(max_length=100)]
Terms = Annotated[int, msgspec.Meta(ge=0, le=3650)]


class PartnerCreate(Struct):
    code: Code
    kind: PartnerKind
    name_zh: Name = ""
    name_en: Name = ""
    contact: Short = ""
    phone: Short = ""
    email: Name = ""
    tax_id: Short = ""
    address: Text = ""
    payment_terms_days: Terms = 30
    credit_limit: Decimal | None = None


class PartnerUpdate(Struct):
    version: int | None = None
    name_zh: Name | None = None
    name_en: Name | None = None
    contact: Short | None = None
    phone: Short | None = None
    email: Name | None = None
    tax_id: Short | None = None
    address: Text | None = None
    payment_terms_days: Terms | None = None
    credit_limit: Decimal | None = None
    active: bool | None = None


class PartnerOut(Out):
    id: int
    code: str
    kind: PartnerKind
    name_zh: str
    name_en: str
    contact: str
    phone: str
    email: str
    tax_id: str
    address: str
    payment_terms_days: int
    credit_limit: DecimalStr | None
    active: bool
    version: int

    @classmethod
    def of(cls, row: PartnerRow) -> PartnerOut:
        return cls(
            id=row.id, code=row.code, kind=row.kind, name_zh=row.name_zh, name_en=row.name_en,  # type: ignore[arg-type]
            contact=row.contact, phone=row.phone, email=row.email, tax_id=row.tax_id, address=row.address,
            payment_terms_days=row.payment_terms_days, credit_limit=fmt(row.credit_limit), active=row.active,
            version=row.version,
        )


class PartnerPage(Out):
    items: list[PartnerOut]
    total: int
