"""Stock endpoints: post and reverse moves, read balances and the ledger, reserve stock and list reservations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, Parameter
from sqlalchemy.orm import Session

from server.api import get, post, run_idempotent
from server.auth.permissions import Actor
from server.db import Database
from server.inventory import services
from server.inventory.schemas import (
    BalanceOut,
    BalancePage,
    MoveCreate,
    MoveOut,
    MovePage,
    MoveReverse,
    ReservationCreate,
    ReservationOut,
    ReservationPage,
)
from server.inventory.views import move_out, reservation_out, reservations_out
from server.schemas import Limit, Offset, RowId, Sort, fmt
from server.sorting import unseen


class StockController(Controller):
    path = "/api/v1/stock"
    tags = ["stock"]

    @post("/moves", summary="Post a stock move / 登记库存移动")
    def post_move(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[MoveCreate]
    ) -> Response[MoveOut]:
        """Moves stock of an item from one location to another and updates both balances. Suppliers, customers and adjustments are locations
        too, so this receives, issues, transfers and corrects."""

        def action(session: Session) -> MoveOut:
            row = services.move(
                session, actor, sku=data.sku, qty=data.qty, source=data.from_, target=data.to, lot=data.lot,
                serials=data.serials, reason=data.reason, unit_cost=data.unit_cost, reservation_id=data.reservation,
                op_id=request.headers.get("idempotency-key"),
            )
            return move_out(session, actor, [row])[0]

        return run_idempotent(db, actor, request, data, action, MoveOut)

    @post("/moves/{move_id:int}/reverse", summary="Reverse a move / 冲销移动")
    def reverse_move(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], move_id: RowId,
        data: JSONBody[MoveReverse],
    ) -> Response[MoveOut]:
        """Corrects a mistaken move by posting the opposite one; the original stays in the ledger."""

        def action(session: Session) -> MoveOut:
            row = services.reverse_move(session, actor, move_id, reason=data.reason, op_id=request.headers.get("idempotency-key"))
            return move_out(session, actor, [row])[0]

        return run_idempotent(db, actor, request, data, action, MoveOut)

    @get("/moves", summary="The stock ledger / 库存流水")
    def list_moves(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        sku: str | None = Parameter(default=None, max_length=64),
        location: str | None = Parameter(default=None, max_length=64),
        warehouse: str | None = Parameter(default=None, max_length=64),
        date_from: dt.date | None = Parameter(default=None),
        date_to: dt.date | None = Parameter(default=None),
        ref: str | None = Parameter(default=None, max_length=100),
        limit: Limit = 100,
        offset: Offset = 0,
        sort: Sort = None,
    ) -> MovePage:
        """The stock ledger, newest first or as `sort` asks: moves of an item, at either end in a location or warehouse, on days in a range,
        or caused by a document."""
        with db.read() as session:
            rows, total = services.moves_of(
                session, sku=sku, location=location, warehouse=warehouse, date_from=date_from, date_to=date_to, ref=ref,
                limit=limit, offset=offset, sort=sort, hidden=unseen(actor, MoveOut),
            )
            return MovePage(items=move_out(session, actor, rows), total=total)

    @get("/moves/{move_id:int}", summary="One move / 单条移动")
    def get_move(self, db: NamedDependency[Database], actor: NamedDependency[Actor], move_id: RowId) -> MoveOut:
        """One move of the ledger, with the move that reversed it, if any."""
        with db.read() as session:
            return move_out(session, actor, [services.get_move(session, move_id)])[0]

    @get("/balances", summary="Stock balances / 库存余额")
    def list_balances(
        self,
        db: NamedDependency[Database],
        sku: str | None = Parameter(default=None, max_length=64),
        location: str | None = Parameter(default=None, max_length=64),
        warehouse: str | None = Parameter(default=None, max_length=64),
        include_zero: FromQuery[bool] = False,
        limit: Limit = 500,
        offset: Offset = 0,
        sort: Sort = None,
    ) -> BalancePage:
        """What is on hand, reserved and available, by item, location and lot; empty balances only with `include_zero`."""
        with db.lookup() as session:  # stock changes all the time; a snapshot across the page and its count buys nothing
            rows, total = services.balances(
                session, sku=sku, location=location, warehouse=warehouse, include_zero=include_zero, limit=limit, offset=offset, sort=sort
            )
        return BalancePage(
            items=[
                BalanceOut(
                    sku=r.sku, location=r.location, warehouse=r.warehouse, lot=r.lot, expiry=r.expiry,  # type: ignore[arg-type]
                    qty=fmt(r.qty) or "0", reserved=fmt(r.reserved) or "0", available=fmt(r.available) or "0",
                    quarantine=r.quarantine,
                )
                for r in rows
            ],
            total=total,
        )

    @get("/reservations", summary="Reservations / 库存预留列表")
    def list_reservations(
        self,
        db: NamedDependency[Database],
        sku: str | None = Parameter(default=None, max_length=64),
        warehouse: str | None = Parameter(default=None, max_length=64),
        ref: str | None = Parameter(default=None, max_length=64, description="a document number; a sales order's finds its lines'"),
        include_closed: FromQuery[bool] = False,
        limit: Limit = 50,
        offset: Offset = 0,
        sort: Sort = None,
    ) -> ReservationPage:
        """Stock held for documents, newest first or as `sort` asks; released and used ones only with `include_closed`."""
        with db.read() as session:
            rows, total = services.reservations_of(
                session, sku=sku, warehouse=warehouse, ref=ref, open_only=not include_closed, limit=limit, offset=offset, sort=sort
            )
            return ReservationPage(items=reservations_out(session, rows), total=total)

    @post("/reservations", summary="Reserve stock / 预留库存")
    def reserve(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
        data: JSONBody[ReservationCreate],
    ) -> Response[ReservationOut]:
        """Holds available stock at a location for a document line: it stays on hand but is no longer available."""

        def action(session: Session) -> ReservationOut:
            row = services.reserve(
                session, actor, sku=data.sku, location=data.location, qty=data.qty, lot=data.lot,
                ref_type=data.ref_type, ref_id=data.ref_id,
            )
            return reservation_out(session, row)

        return run_idempotent(db, actor, request, data, action, ReservationOut)

    @post("/reservations/{reservation_id:int}/release", status_code=200, summary="Release a reservation / 释放预留")
    def release(self, db: NamedDependency[Database], actor: NamedDependency[Actor], reservation_id: RowId) -> ReservationOut:
        """Releases a reservation: its stock is available again."""
        return db.run_write(lambda s: reservation_out(s, services.release(s, actor, reservation_id)))
