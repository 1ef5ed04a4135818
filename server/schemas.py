"""Types shared by every domain's msgspec schemas: codes, names, pagination, decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec
from litestar.params import PathParameter, QueryParameter

# Codes appear in URL paths (/items/{sku}), so no slash.
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]
ScanText = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
Name = Annotated[str, msgspec.Meta(max_length=200)]
Text = Annotated[str, msgspec.Meta(max_length=500)]
# Query parameters for paging (constraints a query string is checked against).
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
# A record id in a path: within the database's integer range.
RowId = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]
DecimalStr = Annotated[str, msgspec.Meta(pattern=r"^-?\d+(\.\d+)?$", examples=["12", "1.5"])]


def fmt(value: Decimal | None) -> str | None:
    """A decimal as the plain string the API speaks: 12, 1.5, -3 (never 1.2E+1)."""
    if value is None:
        return None
    text = str(value)  # plain digits unless the exponent asks for E notation; cheaper than normalize() on every figure
    if "E" in text:
        text = f"{value.normalize():f}"
    elif "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text


class Struct(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base for request bodies: unknown fields are an error, not silently ignored."""


class Out(msgspec.Struct, kw_only=True):
    """Base for responses."""
