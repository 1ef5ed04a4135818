"""Request and response shapes for stocktakes.

In a blind count (see `server.counts.services`) the book side of a line — `book_qty`, `moved_qty`,
`expected_qty`, `variance`, `value` — is null, and so are the stocktake's variance totals.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from server.schemas import Amount, Code, DecimalStr, Out, Quantity, Struct, Text, lines

Comment = Annotated[str, lines(500)]
LineNo = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
Version = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
LineState = Literal["open", "counted", "recount"]
CountState = Literal["counting", "posted", "cancelled"]


class CountCreate(Struct):
    """Start a stocktake: a whole warehouse, or some of its locations (each with everything under it), and/or some items."""

    warehouse: Code
    locations: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []
    skus: Annotated[list[Code], msgspec.Meta(max_length=10_000)] = []
    note: Text = ""


class CountedLine(Struct):
    """A counted quantity in base units (0 when the place is empty); `lot` for lot-tracked items."""

    location: Code
    sku: Code
    qty: Quantity
    lot: Code | None = None


class CountBatch(Struct):
    lines: Annotated[list[CountedLine], msgspec.Meta(min_length=1, max_length=10_000)]


class RecountRequest(Struct):
    """Lines to count again: by number, and/or every counted line whose variance reaches a quantity or a value."""

    lines: Annotated[list[LineNo], msgspec.Meta(max_length=10_000)] = []
    min_qty: Quantity | None = None
    min_value: Amount | None = None
    comment: Comment = ""


class CountPost(Struct):
    """Post the differences; `version` (if given) must be the version reviewed. `zero_uncounted`: lines
    nobody counted count as 0 (by default they are left as they are)."""

    version: Version | None = None
    zero_uncounted: bool = False


class CountCancel(Struct):
    """Cancel; `version` (if given) must be the version seen."""

    version: Version | None = None
    reason: Comment = ""


class CountLineOut(Out):
    line: int
    location: str
    sku: str
    name_zh: str
    name_en: str
    unit: str
    lot: str | None
    status: str
    on_book: bool  # false: found during the count, not on the book
    book_qty: DecimalStr | None  # frozen at the start
    counted_qty: DecimalStr | None
    counted_by: str | None
    counted_at: dt.datetime | None
    moved_qty: DecimalStr | None  # net moves after the start, up to when the line was counted
    expected_qty: DecimalStr | None  # book_qty + moved_qty
    variance: DecimalStr | None  # counted_qty - expected_qty
    value: DecimalStr | None  # the variance at moving-average cost (the posted move's value once posted)
    move: int | None  # the adjustment move, once posted


class CountSummary(Out):
    number: str
    status: str
    warehouse: str
    locations: list[str]
    skus: list[str]
    note: str
    version: int
    blind: bool  # true: the book side is hidden from you until the count is posted
    lines_total: int
    lines_open: int
    lines_counted: int
    lines_recount: int
    started_at: dt.datetime
    posted_at: dt.datetime | None
    created_by: str | None
    posted_by: str | None


class CountOut(CountSummary):
    lines_with_variance: int | None
    gain_value: DecimalStr | None
    loss_value: DecimalStr | None
    lines: list[CountLineOut]  # one page, in line order
    lines_matching: int  # lines matching the filter, for paging
    actions: list[str] = msgspec.field(default_factory=list)  # what this user may do to it now (flows.py doors)


class CountPage(Out):
    items: list[CountSummary]
    total: int


class CountedOut(Out):
    """The lines a batch of counts recorded, in the batch's order."""

    number: str
    version: int
    lines: list[CountLineOut]
