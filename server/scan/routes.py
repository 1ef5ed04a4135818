"""`GET /api/v1/scan/{code}`: what is this barcode?"""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from server.api import ERRORS
from server.db import Database
from server.scan.schemas import ScanResult
from server.scan.services import resolve


class ScanController(Controller):
    path = "/api/v1/scan"
    tags = ["scan"]

    @get("/{code:str}", sync_to_thread=True, responses=ERRORS, summary="Resolve a scan / 解析扫码")
    def scan_code(self, db: NamedDependency[Database], code: FromPath[str]) -> ScanResult:
        with db.lookup() as session:
            return resolve(session, code[:200])

    @get("/", sync_to_thread=True, responses=ERRORS, summary="Resolve a scan given as ?code= (for codes with slashes) / 解析扫码")
    def scan_query(self, db: NamedDependency[Database], code: str = Parameter(min_length=1, max_length=200)) -> ScanResult:
        with db.lookup() as session:
            return resolve(session, code)
