"""Stocktakes as the API shows them: codes instead of ids, the book side only to those who may see it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.permissions import Actor
from server.auth.visibility import visible
from server.counts import services
from server.counts.models import Stocktake
from server.counts.schemas import CountedOut, CountLineOut, CountOut, CountSummary
from server.documents import flows
from server.locations.models import Location
from server.schemas import fmt


def line_out(row: services.LineRow) -> CountLineOut:
    return CountLineOut(
        line=row.line, location=row.location, sku=row.sku, name_zh=row.name_zh, name_en=row.name_en, unit=row.unit, lot=row.lot,
        status=row.status, on_book=row.on_book, book_qty=fmt(row.book_qty), counted_qty=fmt(row.counted_qty), counted_by=row.counted_by,
        counted_at=row.counted_at, moved_qty=fmt(row.moved_qty), expected_qty=fmt(row.expected_qty), variance=fmt(row.variance),
        value=fmt(row.value), move=row.move,
    )


def summaries(session: Session, actor: Actor, counts: Sequence[Stocktake]) -> list[CountSummary]:
    """Headers of several stocktakes, with their codes, users and line tallies read in bulk."""
    tally = services.tallies(session, [c.id for c in counts])
    codes = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_({c.warehouse_id for c in counts}))).all())
    user_ids = {u for c in counts for u in (c.created_by, c.posted_by) if u}
    users = dict(session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()) if user_ids else {}
    return [
        CountSummary(
            number=c.number, status=c.status, warehouse=codes[c.warehouse_id], locations=list(c.scope.get("locations", [])),
            skus=list(c.scope.get("skus", [])), note=c.note, version=c.version, blind=services.hides_book(actor, c),
            lines_total=sum(tally[c.id].values()), lines_open=tally[c.id]["open"], lines_counted=tally[c.id]["counted"],
            lines_recount=tally[c.id]["recount"], started_at=c.started_at, posted_at=c.posted_at,
            created_by=users.get(c.created_by) if c.created_by else None, posted_by=users.get(c.posted_by) if c.posted_by else None,
        )
        for c in counts
    ]


def count_out(
    session: Session, actor: Actor, count: Stocktake, *, status: str | None = None, variance_only: bool = False, limit: int = 100,
    offset: int = 0,
) -> CountOut:
    """One stocktake with a page of its lines and, for those who may see the book, its variance totals."""
    head = summaries(session, actor, [count])[0]
    rows, matching = services.count_lines(session, actor, count, status=status, variance_only=variance_only, limit=limit, offset=offset)
    blind, costs = services.hides_book(actor, count), actor.can("costs.read")
    totals = None if blind else services.variances(session, count)
    return visible(actor, CountOut(
        **{f: getattr(head, f) for f in head.__struct_fields__},
        lines_with_variance=totals.lines if totals else None,
        gain_value=fmt(totals.gain_value) if totals and costs else None,
        loss_value=fmt(totals.loss_value) if totals and costs else None,
        lines=[line_out(r) for r in rows], lines_matching=matching, actions=flows.COUNT.actions_for(count.status, actor),
    ))


def counted_out(session: Session, actor: Actor, count: Stocktake, line_nos: list[int]) -> CountedOut:
    """The lines a batch recorded, in the batch's order."""
    wanted = set(line_nos)
    found, _ = services.count_lines(session, actor, count, lines=wanted, limit=max(len(wanted), 1))
    rows = {r.line: r for r in found}
    return visible(actor, CountedOut(number=count.number, version=count.version, lines=[line_out(rows[n]) for n in line_nos]))
