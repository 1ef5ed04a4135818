"""Stocktake endpoints: start, count (batches from scanners), review and recount, post, cancel."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.orm import Session

from server.api import get, post, run_idempotent
from server.auth.permissions import Actor
from server.counts import services
from server.counts.schemas import (
    CountBatch,
    CountCancel,
    CountCreate,
    CountedOut,
    CountOut,
    CountPage,
    CountPost,
    CountState,
    LineState,
    RecountRequest,
)
from server.counts.views import count_out, counted_out, summaries
from server.db import Database
from server.schemas import Limit, Offset, Sort

DocNumber = FromPath[str]


class CountController(Controller):
    path = "/api/v1/counts"
    tags = ["stock"]

    @get("/", summary="Stocktakes / 盘点单列表")
    def list_counts(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], status: CountState | None = Parameter(default=None),
        warehouse: str | None = Parameter(default=None, max_length=64), limit: Limit = 50, offset: Offset = 0, sort: Sort = None,
    ) -> CountPage:
        """Stocktakes, newest first or as `sort` asks, each with how many of its lines are open, counted or sent for recount."""
        with db.read() as session:
            rows, total = services.list_counts(session, status=status, warehouse=warehouse, limit=limit, offset=offset, sort=sort)
            return CountPage(items=summaries(session, actor, rows), total=total)

    @get("/{number:str}", summary="One stocktake with a page of its lines / 单个盘点单")
    def get_count(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber,
        status: LineState | None = Parameter(default=None), variance_only: bool = Parameter(default=False),
        limit: Limit = 100, offset: Offset = 0,
    ) -> CountOut:
        """One stocktake with a page of its count sheet, narrowed to a line state or to the lines counted differently from the book. A blind
        count hides the book from those counting."""
        with db.read() as session:
            count = services.get_count(session, number)
            return count_out(session, actor, count, status=status, variance_only=variance_only, limit=limit, offset=offset)

    @post("/", summary="Start a stocktake: freeze the book / 开始盘点")
    def start(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[CountCreate]
    ) -> Response[CountOut]:
        """Starts a stocktake of a warehouse, or of some of its locations and items: their book quantities are frozen into lines to
        count."""

        def action(session: Session) -> CountOut:
            count = services.start_count(session, actor, warehouse=data.warehouse, locations=data.locations, skus=data.skus, note=data.note)
            return count_out(session, actor, count)

        return run_idempotent(db, actor, request, data, action, CountOut)

    @post("/{number:str}/lines", summary="Record counted quantities / 录入盘点数")
    def record(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber,
        data: JSONBody[CountBatch],
    ) -> Response[CountedOut]:
        """Records a batch of counted quantities: a line counted again keeps its last count, and something found that is not on the book
        becomes a new line."""

        def action(session: Session) -> CountedOut:
            counts = [services.CountIn(location=c.location, sku=c.sku, qty=c.qty, lot=c.lot) for c in data.lines]
            line_nos = services.record_counts(session, actor, number, counts)
            return counted_out(session, actor, services.get_count(session, number), line_nos)

        return run_idempotent(db, actor, request, data, action, CountedOut, status_code=200)

    @post("/{number:str}/recount", status_code=200, summary="Send lines back for a recount / 要求复盘")
    def recount(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[RecountRequest]) -> CountOut:
        """Sends counted lines back to be counted again: those named, and those whose difference reaches a quantity or a value."""

        def action(session: Session) -> CountOut:
            services.request_recount(
                session, actor, number, lines=data.lines, min_qty=data.min_qty, min_value=data.min_value, comment=data.comment
            )
            return count_out(session, actor, services.get_count(session, number), status="recount")

        return db.run_write(action)

    @post("/{number:str}/post", summary="Post the differences as adjustment moves / 盘点过账")
    def post_count(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber,
        data: JSONBody[CountPost],
    ) -> Response[CountOut]:
        """Posts every counted difference as an adjustment move, all in one transaction, and ends the stocktake; with `zero_uncounted`,
        lines nobody counted count as 0."""

        def action(session: Session) -> CountOut:
            count = services.post_count(session, actor, number, version=data.version, zero_uncounted=data.zero_uncounted)
            return count_out(session, actor, count, variance_only=True)

        return run_idempotent(db, actor, request, data, action, CountOut, status_code=200)

    @post("/{number:str}/cancel", status_code=200, summary="Cancel a stocktake / 取消盘点")
    def cancel(self, db: NamedDependency[Database], actor: NamedDependency[Actor], number: DocNumber, data: JSONBody[CountCancel]) -> CountOut:
        """Abandons a stocktake: nothing is posted, and its counts stay on it for the record."""
        return db.run_write(lambda s: count_out(s, actor, services.cancel_count(s, actor, number, reason=data.reason, version=data.version)))
