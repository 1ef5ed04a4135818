"""`GET /api/v1/scan/{code}`: what is this barcode?"""

from __future__ import annotations

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from server.api import get
from server.db import Database
from server.scan.schemas import ScanResult
from server.scan.services import resolve


class ScanController(Controller):
    path = "/api/v1/scan"
    tags = ["scan"]

    @get("/{code:str}", summary="Resolve a scan / 解析扫码")
    def scan_code(self, db: NamedDependency[Database], code: FromPath[str]) -> ScanResult:
        """What a scanned code is: an item (by barcode, GTIN, SKU or serial number, with the pack it stands for), a location, a lot, or the
        contents of a GS1 label; `unknown` when nothing matches."""
        with db.lookup() as session:
            return resolve(session, code[:200])

    @get("/", summary="Resolve a scan given as ?code= (for codes with slashes) / 解析扫码")
    def scan_query(self, db: NamedDependency[Database], code: str = Parameter(min_length=1, max_length=200)) -> ScanResult:
        """The same as `GET /api/v1/scan/{code}`, for a code given as `?code=`: one holding a slash cannot be a path segment."""
        with db.lookup() as session:
            return resolve(session, code)
