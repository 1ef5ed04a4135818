"""Location endpoints."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from server.api import get, patch, post, run_idempotent
from server.auth.permissions import Actor
from server.db import Database
from server.locations import services
from server.locations.schemas import Kind, LocationCreate, LocationOut, LocationPage, LocationUpdate
from server.schemas import Limit, Offset


def _out(session, row) -> LocationOut:  # type: ignore[no-untyped-def]
    return LocationOut.of(row, services.codes_by_id(session, [row.parent_id, row.warehouse_id]))


class LocationController(Controller):
    path = "/api/v1/locations"
    tags = ["locations"]

    @get("/", summary="List locations / 库位列表")
    def list_locations(
        self,
        db: NamedDependency[Database],
        warehouse: str | None = Parameter(default=None, max_length=64),
        kind: FromQuery[Kind | None] = None,
        parent: str | None = Parameter(default=None, max_length=64),
        search: str | None = Parameter(default=None, max_length=200),
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> LocationPage:
        """Locations by code, narrowed by warehouse, kind or parent, or found by part of their code or name."""
        with db.read() as session:
            rows, total = services.list_locations(
                session, warehouse=warehouse, kind=kind, parent=parent, search=search, limit=limit, offset=offset
            )
            codes = services.codes_by_id(session, [i for r in rows for i in (r.parent_id, r.warehouse_id)])
            return LocationPage(items=[LocationOut.of(r, codes) for r in rows], total=total)

    @get("/{code:str}", summary="One location / 单个库位")
    def get_location(self, db: NamedDependency[Database], code: FromPath[str]) -> LocationOut:
        """One location, with its parent and its warehouse."""
        with db.read() as session:
            return _out(session, services.get_location(session, code))

    @post("/", summary="Create a location / 新建库位")
    def create_location(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[LocationCreate]
    ) -> Response[LocationOut]:
        """Creates a warehouse, a zone or a bin under its parent."""
        return run_idempotent(db, actor, request, data, lambda s: _out(s, services.create_location(s, actor, data)), LocationOut)

    @patch("/{code:str}", summary="Change a location / 修改库位")
    def update_location(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], code: FromPath[str], data: JSONBody[LocationUpdate]
    ) -> LocationOut:
        """Changes a location's names or quarantine flag, or deactivates it; fields left out stay as they are."""
        return db.run_write(lambda s: _out(s, services.update_location(s, actor, code, data)))
