"""Request and response shapes for partners."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from server.partners.models import Partner as PartnerRow
from server.partners.models import PriceList as PriceListRow
from server.schemas import Amount, Code, DecimalStr, Name, Out, Price, Quantity, Struct, Text, fmt, line, plain_as

PartnerKind = Literal["supplier", "customer", "both"]
Short = Annotated[str, line(100)]
Terms = Annotated[int, msgspec.Meta(ge=0, le=3650)]
Fifty = Annotated[str, line(50)]  # phone numbers and tax ids (the columns hold 50)
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]


class ContactIn(Struct):
    name: Annotated[str, line(100, min_length=1)]
    role: Short = ""
    phone: Fifty = ""
    email: Name = ""


class ContactOut(Out):
    name: str
    role: str
    phone: str
    email: str


class PartnerCreate(Struct):
    code: Code
    kind: PartnerKind
    name_zh: Name = ""
    name_en: Name = ""
    contact: Short = ""
    phone: Fifty = ""
    email: Name = ""
    tax_id: Fifty = ""
    address: Text = ""
    payment_terms_days: Terms = 30
    credit_limit: Amount | None = None
    currency: Currency = "CNY"
    price_list: Code | None = None
    contacts: Annotated[list[ContactIn], msgspec.Meta(max_length=50)] = []


class PartnerUpdate(Struct):
    """Fields left out stay as they are; `null` clears the credit limit (no limit) or the price list (list prices)."""

    version: int | None = None
    name_zh: Name | None = None
    name_en: Name | None = None
    contact: Short | None = None
    phone: Fifty | None = None
    email: Name | None = None
    tax_id: Fifty | None = None
    address: Text | None = None
    payment_terms_days: Terms | None = None
    credit_limit: Amount | None | msgspec.UnsetType = msgspec.UNSET
    currency: Currency | None = None
    price_list: Code | None | msgspec.UnsetType = msgspec.UNSET
    contacts: Annotated[list[ContactIn], msgspec.Meta(max_length=50)] | None = None
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
    currency: str
    price_list: str | None
    contacts: list[ContactOut]
    active: bool
    version: int

    @classmethod
    def of(cls, row: PartnerRow, price_list: str | None = None) -> PartnerOut:
        return cls(
            id=row.id, code=row.code, kind=row.kind, name_zh=row.name_zh, name_en=row.name_en,  # type: ignore[arg-type]
            contact=row.contact, phone=row.phone, email=row.email, tax_id=row.tax_id, address=row.address,
            payment_terms_days=row.payment_terms_days, credit_limit=fmt(row.credit_limit), active=row.active,
            currency=row.currency, price_list=price_list,
            contacts=[ContactOut(name=c.name, role=c.role, phone=c.phone, email=c.email) for c in row.contacts],
            version=row.version,
        )


class PartnerPage(Out):
    items: list[PartnerOut]
    total: int


class PriceIn(Struct):
    sku: Code
    price: Price
    min_qty: Quantity = plain_as(Quantity, Decimal(0))


class PriceListCreate(Struct):
    code: Code
    kind: Literal["sales", "purchase"]
    name_zh: Name = ""
    name_en: Name = ""
    currency: Currency = "CNY"
    prices: Annotated[list[PriceIn], msgspec.Meta(max_length=10_000)] = []


class PriceListPrices(Struct):
    """Replaces the list's prices; the version guards against overwriting someone else's change."""

    prices: Annotated[list[PriceIn], msgspec.Meta(max_length=10_000)]
    version: int | None = None


class PriceOut(Out):
    sku: str
    price: DecimalStr
    min_qty: DecimalStr


class PriceListSummary(Out):
    """A price list without its prices: what a form offers to choose from."""

    code: str
    kind: str
    name_zh: str
    name_en: str
    currency: str


class PriceListIndex(Out):
    items: list[PriceListSummary]


class PriceListOut(Out):
    code: str
    kind: str
    name_zh: str
    name_en: str
    currency: str
    version: int
    prices: list[PriceOut]

    @classmethod
    def of(cls, row: PriceListRow, prices: list[tuple[str, Decimal, Decimal]]) -> PriceListOut:
        return cls(
            code=row.code, kind=row.kind, name_zh=row.name_zh, name_en=row.name_en, currency=row.currency, version=row.version,
            prices=[PriceOut(sku=sku, price=fmt(price) or "0", min_qty=fmt(min_qty) or "0") for sku, price, min_qty in prices],
        )
