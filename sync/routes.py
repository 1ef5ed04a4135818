"""Sync endpoints: push operations, pull changes, bootstrap a device's slices; the devices users sync from."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller
from litestar.config.compression import CompressionConfig
from litestar.di import NamedDependency
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.compression import CompressionMiddleware
from litestar.params import FromQuery, JSONBody, QueryParameter

from server.api import get, post
from server.auth import devices
from server.auth.devices import DeviceOut, DevicePage
from server.auth.permissions import Actor
from server.db import Database
from server.schemas import Limit, Offset, RowId
from sync.bootstrap import BootstrapPage, bootstrap
from sync.messages import PullResponse, PushRequest, PushResponse
from sync.pull import pull
from sync.push import push

ClientParam = Annotated[str | None, QueryParameter(max_length=64, description="the sync client, naming the device when no X-Device-Id is sent")]
# Bootstrap pages are the big answers of the API (a whole catalog): gzip them for clients that accept it.
GZIP = DefineMiddleware(CompressionMiddleware, config=CompressionConfig(backend="gzip", gzip_compress_level=6, minimum_size=1024))


class SyncController(Controller):
    path = "/api/v1"

    @post("/sync/push", status_code=200, summary="Push operations / 上传操作",
          request_max_body_size=4_194_304, tags=["sync"])
    def push(self, db: NamedDependency[Database], actor: NamedDependency[Actor], data: JSONBody[PushRequest]) -> PushResponse:
        """Applies a device's queued operations in order, each in its own transaction, and answers with each one's result; an operation sent
        again gets its first result and changes nothing."""
        return push(db, actor, data)

    @get("/sync/pull", summary="Pull changes after a cursor / 拉取变更", tags=["sync"])
    def pull(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor],
        scopes: Annotated[list[str], QueryParameter(name="scope", min_items=1, max_items=20)],
        cursor: Annotated[str | None, QueryParameter(description="the cursor the last pull gave (opaque); none: from the start")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=5000)] = 1000,
        client_id: ClientParam = None,
    ) -> PullResponse:
        """The changes to the scopes asked for after a cursor, and the cursor to pull from next; a device that must start again is told
        so."""
        devices.check_in(db, actor, client_id)
        with db.lookup() as session:
            return pull(session, actor, scopes, cursor, limit)

    @get("/sync/bootstrap", summary="A device's first sync, page by page / 初始同步（分页）",
         tags=["sync"], middleware=[GZIP])
    def bootstrap(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor],
        scope_name: Annotated[str, QueryParameter(name="scope", min_length=1, max_length=64)],
        page_token: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=5000)] = 1000,
        client_id: ClientParam = None,
    ) -> BootstrapPage:
        """One page of what a device keeps of a scope, for its first sync; ask with `page_token` until there is none, then pull from
        `cursor`."""
        devices.check_in(db, actor, client_id)
        with db.lookup() as session:
            return bootstrap(session, actor, scope_name, page_token, limit)

    @get("/devices", summary="Devices that sync / 同步设备", tags=["devices"])
    def list_devices(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor],
        user: Annotated[str | None, QueryParameter(max_length=64)] = None, limit: Limit = 100, offset: Offset = 0,
    ) -> DevicePage:
        """The devices that sync: administrators see everyone's (`user` narrows them to one user's), everyone else their own."""
        with db.read() as session:
            return devices.list_devices(session, actor, username=user, limit=limit, offset=offset)

    @post("/devices/{device:int}/revoke", status_code=200,
          summary="Revoke a device / 停用设备", tags=["devices"])
    def revoke_device(self, db: NamedDependency[Database], actor: NamedDependency[Actor], device: RowId) -> DeviceOut:
        """Refuses a device's later syncs and ends the sessions signed in from it."""
        return db.run_write(lambda session: devices.revoke(session, actor, device))

    @post("/devices/{device:int}/restore", status_code=200,
          summary="Restore a revoked device / 恢复设备", tags=["devices"])
    def restore_device(self, db: NamedDependency[Database], actor: NamedDependency[Actor], device: RowId) -> DeviceOut:
        """Lets a revoked device sync again, once its user signs in again."""
        return db.run_write(lambda session: devices.restore(session, actor, device))
