"""Sync endpoints: push operations, pull changes."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from server.api import ERRORS
from server.auth.permissions import Actor
from server.db import Database
from sync.messages import PullResponse, PushRequest, PushResponse
from sync.pull import pull
from sync.push import push


class SyncController(Controller):
    path = "/api/v1/sync"
    tags = ["sync"]

    @post("/push", sync_to_thread=True, responses=ERRORS, status_code=200, summary="Push operations / 上传操作",
          request_max_body_size=4_194_304)
    def push(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[PushRequest]) -> PushResponse:
        return push(db, actor, data)

    @get("/pull", sync_to_thread=True, responses=ERRORS, summary="Pull changes after a cursor / 拉取变更")
    def pull(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor],
        scopes: Annotated[list[str], Parameter(query="scope", min_items=1, max_items=20)],
        cursor: str | None = Parameter(default=None, max_length=64),
        limit: Annotated[int, Parameter(ge=1, le=5000)] = 1000,
    ) -> PullResponse:
        with db.lookup() as session:
            return pull(session, actor, scopes, cursor, limit)
