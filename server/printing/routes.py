"""Label endpoints: one label as SVG/PNG/PDF/ZPL, a batch to a printer or as a file; the printers of each warehouse."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from labels.printers import AddressPolicy
from server.api import get, patch, post
from server.auth.permissions import Actor
from server.db import Database
from server.errors import InvalidInput
from server.printing import services
from server.printing.schemas import Dpi, PrinterCreate, PrinterList, PrinterOut, PrinterUpdate, PrintOut, PrintRequest, SizeName
from server.schemas import Code, RowId

Size = Annotated[SizeName | None, QueryParameter(description="50x30, 100x150 or a4-3x8 (the kind's usual size if left out) / 标签尺寸")]
Resolution = Annotated[Dpi, QueryParameter(description="PNG and ZPL: the printer's dots per inch / 分辨率")]
FORMATS = tuple(services.MEDIA_TYPES)


def _file(name: str) -> tuple[str, str]:
    stem, dot, extension = name.rpartition(".")
    if not dot or extension not in FORMATS or not stem:
        raise InvalidInput(f"Ask for {name}.svg, .png, .pdf or .zpl.", "请使用 .svg、.png、.pdf 或 .zpl 结尾。", code="bad_label_format")
    return stem, extension


def _policy(request: Request[Any, Any, Any]) -> AddressPolicy:
    return services.address_policy(request.app.state.settings)


def _answer(content: bytes, extension: str, stem: str) -> Response[bytes]:
    return Response(content, media_type=services.MEDIA_TYPES[extension],
                    headers={"Content-Disposition": f'inline; filename="label-{stem}.{extension}"'})


class LabelController(Controller):
    path = "/api/v1/labels"
    tags = ["labels"]

    def _one(self, db: Database, kind: str, key: tuple[str, ...], extension: str, stem: str, size: str | None, dpi: int,
             price_list: str | None = None) -> Response[bytes]:
        with db.read() as session:
            label = services.one_label(session, kind, key, size, price_list)
        return _answer(services.render_file([label], extension, size, dpi), extension, stem)

    @get("/item/{file:str}", summary="An item's label / 商品标签", media_type="application/octet-stream")
    def item(self, db: NamedDependency[Database], file: FromPath[str], size: Size = None, dpi: Resolution = 203,
             price_list: Annotated[Code | None, QueryParameter(description="Print this price list's price / 打印此价格表的价格")] = None
             ) -> Response[bytes]:
        """An item's label as SVG, PNG, PDF or ZPL (the file name's extension picks which), with a price list's price if asked."""
        stem, extension = _file(file)
        return self._one(db, "item", (stem,), extension, stem, size, dpi, price_list)

    @get("/location/{file:str}", summary="A bin's label / 库位标签", media_type="application/octet-stream")
    def location(self, db: NamedDependency[Database], file: FromPath[str], size: Size = None, dpi: Resolution = 203) -> Response[bytes]:
        """A bin's label as SVG, PNG, PDF or ZPL (the file name's extension picks which)."""
        stem, extension = _file(file)
        return self._one(db, "location", (stem,), extension, stem, size, dpi)

    @get("/lot/{sku:str}/{file:str}", summary="A lot's label / 批次标签", media_type="application/octet-stream")
    def lot(self, db: NamedDependency[Database], sku: FromPath[str], file: FromPath[str], size: Size = None, dpi: Resolution = 203
            ) -> Response[bytes]:
        """A lot's label as SVG, PNG, PDF or ZPL (the file name's extension picks which)."""
        stem, extension = _file(file)
        return self._one(db, "lot", (sku, stem), extension, f"{sku}-{stem}", size, dpi)

    @get("/package/{file:str}", summary="A package's label / 包装标签", media_type="application/octet-stream")
    def package(self, db: NamedDependency[Database], file: FromPath[str], size: Size = None, dpi: Resolution = 203) -> Response[bytes]:
        """A shipping package's label, by its SSCC, as SVG, PNG, PDF or ZPL (the file name's extension picks which)."""
        stem, extension = _file(file)
        return self._one(db, "package", (stem,), extension, stem, size, dpi)

    @post("/print", status_code=200, summary="Print a batch of labels / 批量打印标签",
          media_type="application/json")
    def print_batch(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                    data: JSONBody[PrintRequest]) -> Response[Any]:
        """With `printer`: the labels go to it as ZPL and the answer says how many. Without: the answer is the PDF (A4 sheets
        for the a4-3x8 size, one page per label otherwise) or the ZPL, for the browser to print or save."""
        if data.printer is None:
            with db.read() as session:
                labels = services.labels_to_download(session, actor, data)
            content = services.render_file(labels, data.format, data.size, 203)
            return _answer(content, data.format, f"{data.kind}-{len(labels)}")
        with db.read() as session:
            job = services.print_job(session, actor, data)
        sent = services.send_job(job, _policy(request))
        db.run_write(lambda s: services.record_print(s, actor, job, sent))
        return Response(PrintOut(printer=job.where, labels=len(job.labels), bytes=sent))


class PrinterController(Controller):
    path = "/api/v1/printers"
    tags = ["labels"]

    @get("/", summary="Label printers / 标签打印机")
    def list_printers(self, db: NamedDependency[Database], actor: NamedDependency[Actor], warehouse: FromQuery[Code | None] = None) -> PrinterList:
        """The label printers of the warehouses you work in, or of one of them."""
        with db.read() as session:
            return PrinterList(items=[services.printer_out(session, p) for p in services.list_printers(session, actor, warehouse)])

    @post("/", summary="Add a label printer / 添加标签打印机")
    def create_printer(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                       data: JSONBody[PrinterCreate]) -> Response[PrinterOut]:
        """Adds a network label printer to a warehouse; its address must be one this server may send print jobs to."""
        policy = _policy(request)
        out = db.run_write(lambda s: services.printer_out(s, services.create_printer(s, actor, data, policy)))
        return Response(out, status_code=201)

    @patch("/{printer_id:int}", summary="Change a label printer / 修改标签打印机")
    def update_printer(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                       printer_id: FromPath[RowId], data: JSONBody[PrinterUpdate]) -> PrinterOut:
        """Changes a label printer's name, address, resolution, label size or font, or deactivates it."""
        policy = _policy(request)
        return db.run_write(lambda s: services.printer_out(s, services.update_printer(s, actor, printer_id, data, policy)))

    @post("/{printer_id:int}/test", status_code=200, summary="Print a test label / 打印测试标签")
    def test_printer(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                     printer_id: FromPath[RowId]) -> PrintOut:
        """Prints one label saying which printer it came from, to check the address, the label size and the Chinese font."""
        with db.read() as session:
            job = services.printer_test_job(session, actor, printer_id)
        sent = services.send_job(job, _policy(request))
        db.run_write(lambda s: services.record_print(s, actor, job, sent))
        return PrintOut(printer=job.where, labels=1, bytes=sent)
