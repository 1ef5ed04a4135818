"""Partner endpoints."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from server.api import ERRORS, run_idempotent
from server.auth.permissions import Actor
from server.db import Database
from server.partners import services
from server.partners.schemas import PartnerCreate, PartnerOut, PartnerPage, PartnerUpdate
from server.schemas import Limit, Offset


class PartnerController(Controller):
    path = "/api/v1/partners"
    tags = ["partners"]

    @get("/", sync_to_thread=True, responses=ERRORS, summary="List suppliers and customers / 往来单位列表")
    def list_partners(
        self,
        db: NamedDependency[Database],
        kind: FromQuery[Literal["supplier", "customer"] | None] = None,
        search: str | None = Parameter(default=None, max_length=200),
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PartnerPage:
        with db.read() as session:
            rows, total = services.list_partners(session, kind=kind, search=search, limit=limit, offset=offset)
            return PartnerPage(items=[PartnerOut.of(r) for r in rows], total=total)

    @get("/{code:str}", sync_to_thread=True, responses=ERRORS, summary="One partner / 单个往来单位")
    def get_partner(self, db: NamedDependency[Database], code: FromPath[str]) -> PartnerOut:
        with db.read() as session:
            return PartnerOut.of(services.get_partner(session, code))

    @post("/", sync_to_thread=True, responses=ERRORS, summary="Create a partner / 新建往来单位")
    def create_partner(
        self, request: Request[Actor, str, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[PartnerCreate]
    ) -> Response[PartnerOut]:
        return run_idempotent(db, actor, request, data, lambda s: PartnerOut.of(services.create_partner(s, actor, data)), PartnerOut)

    @patch("/{code:str}", sync_to_thread=True, responses=ERRORS, summary="Change a partner / 修改往来单位")
    def update_partner(self, db: NamedDependency[Database], actor: NamedDependency[Actor], code: FromPath[str], data: JSONBody[PartnerUpdate]) -> PartnerOut:
        return db.run_write(lambda s: PartnerOut.of(services.update_partner(s, actor, code, data)))
