"""Traceability endpoints: a lot's or a serial number's way in, way out and every move."""

from __future__ import annotations

from litestar import Controller
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from server.api import get
from server.db import Database
from server.inventory import trace
from server.inventory.trace import LotTrace, SerialTrace


class TraceController(Controller):
    path = "/api/v1/trace"
    tags = ["stock"]

    @get("/lots/{sku:str}/{lot:str}", summary="Trace a lot / 批次追溯")
    def trace_lot(self, db: NamedDependency[Database], sku: FromPath[str], lot: FromPath[str]) -> LotTrace:
        """Where a lot of an item is now, where it came from (receipts with their purchase order and supplier, opening stock,
        customer returns), where it went (shipments by sales order and customer, returns to the supplier, scrapping, count
        losses) and every move of it in time order. Anyone who may read the stock ledger may trace, in every warehouse."""
        with db.read() as session:
            return trace.trace_lot(session, sku, lot)

    @get("/serials/{serial:str}", summary="Trace a serial number / 序列号追溯")
    def trace_serial(
        self, db: NamedDependency[Database], serial: FromPath[str],
        sku: str | None = Parameter(default=None, max_length=64, description="the item, when several items have this serial number"),
    ) -> SerialTrace:
        """Where one serial-numbered unit is now, its lot, the receipt and supplier it came from, the customers it went to and
        came back from, and every move that carried it."""
        with db.read() as session:
            return trace.trace_serial(session, serial, sku)
