"""The import endpoint: upload a CSV or XLSX file, get the report (a dry run writes nothing)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.handlers import BaseRouteHandler
from litestar.params import Body, FromPath, FromQuery

from server.api import get, post, run_idempotent
from server.auth.permissions import Actor
from server.db import Database
from server.imports import services
from server.imports.schemas import ImportColumn, ImportColumns, ImportKind, ImportReport, ImportUpload

MAX_UPLOAD_BYTES = 20 * 1_048_576


def may_import(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Refuse before the upload is read: someone who may not import should not make the server take in 20 MiB."""
    connection.user.require("masterdata.import")


class UploadFingerprint(msgspec.Struct):
    """What makes two uploads the same request, for the Idempotency-Key."""

    kind: str
    dry_run: bool
    sha256: str


class ImportController(Controller):
    path = "/api/v1/import"
    tags = ["import"]

    @post(
        "/{kind:str}",
        guards=[may_import],
        request_max_body_size=MAX_UPLOAD_BYTES,
        status_code=200,
        summary="Import categories, items, partners, locations or opening stock from CSV/XLSX / 导入主数据或期初库存",
    )
    def import_file(
        self,
        request: Request[Actor, str, Any],
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        kind: FromPath[ImportKind],
        data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        dry_run: FromQuery[bool] = False,
    ) -> Response[ImportReport]:
        """Imports item categories, items, partners, locations or opening stock, with a report on every row. Send the file as
        multipart/form-data field `file` (CSV in UTF-8 or GB18030, or .xlsx; at most 20 MiB). With `dry_run=true` every row is checked and nothing is
        written: send that first. A real run is all or nothing: any bad row answers 422 with the same report in `details.report`
        and writes nothing."""
        upload = data.file
        content = upload.file.read()
        upload.file.close()
        fingerprint = UploadFingerprint(kind=kind, dry_run=dry_run, sha256=hashlib.sha256(content).hexdigest())
        return run_idempotent(
            db, actor, request, fingerprint,
            lambda s: services.import_file(s, actor, kind, content, filename=upload.filename or "", dry_run=dry_run),
            ImportReport, status_code=200,
        )

    @get("/{kind:str}/columns", guards=[may_import], summary="The columns a file of one kind may have / 导入文件的列")
    def import_columns(self, kind: FromPath[ImportKind]) -> ImportColumns:
        """The columns a file of `kind` may have, in the order the importer lists them: each its field name and Chinese
        header (either works as the header), the other headers read as the same column, and whether it is required."""
        return ImportColumns(kind=kind, columns=[
            ImportColumn(name=c.name, zh=c.zh, aliases=list(c.aliases), required=c.required) for c in services.COLUMNS[kind]])
