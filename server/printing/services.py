"""Labels from the books: what an item's, a bin's, a lot's or a package's label says, rendered as a file or sent to a
warehouse's label printer; the printers themselves."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from decimal import Decimal
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from labels import render, templates
from labels.gs1 import GS1Error
from labels.layout import Label
from labels.printers import AddressPolicy, AddressRefused, PrinterError, checked_addresses, send
from labels.symbols import SymbolError
from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.catalog.models import Barcode, Item, Lot
from server.catalog.services import get_item, get_lot
from server.documents.services import get_document
from server.errors import Conflict, Forbidden, InvalidInput, NotFound, check_version
from server.locations.models import Location
from server.locations.services import codes_by_id, get_location
from server.partners.models import Partner, PriceList
from server.partners.services import list_price
from server.printing.models import Printer
from server.printing.schemas import PrinterCreate, PrinterOut, PrinterUpdate, PrintRequest
from server.purchasing.models import Receipt
from server.sales.models import Package, SalesOrder, SalesOrderLine
from server.schemas import fmt
from server.settings import Settings

log = logging.getLogger("cangku.printing")

MAX_LABELS = 5000
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf", "zpl": "application/vnd.zebra.zpl; charset=utf-8"}


class PrinterUnreachable(Conflict):
    """The printer did not take the job: the request was fine, the printer's state (off, unplugged, out of reach) is
    what stands in the way, and a person fixes that (or picks another printer) — a 409, not a server failure.

    One answer whatever the reason (refused, timed out, reset, or an address no printer may have): a print, or a test
    print, tells nothing about what listens at an address. The reason goes to the server's log."""

    code = "printer_unreachable"

    def __init__(self, printer: Printer) -> None:
        where = f"{printer.host}:{printer.port}"
        super().__init__(f"The label printer {printer.name} ({where}) did not take the job; check that it is on and on the network, "
                         "and its address and port.",
                         f"无法连接标签打印机 {printer.name}（{where}），打印未完成；请检查打印机是否开机并已联网，以及其地址和端口。",
                         printer=printer.name)


def _label_error(error: GS1Error | SymbolError | templates.TemplateError) -> InvalidInput:
    return InvalidInput(f"This label cannot be printed: {error.en}", f"无法打印此标签：{error.zh}", code="bad_label_data")


# What each label says -----------------------------------------------------------------------------


def _each(item: Item) -> Barcode | None:
    """The barcode of one unit of the item (the one that counts 1), a GTIN preferred."""
    units = [b for b in item.barcodes if b.qty == 1]
    return next((b for b in units if b.gtin), units[0] if units else None)


def item_label(session: Session, sku: str, *, price_list: str | None = None) -> templates.Product:
    item = get_item(session, sku)
    each = _each(item)
    price = None
    if price_list:
        listed = session.scalar(select(PriceList).where(PriceList.code == price_list))
        if listed is None:
            raise NotFound(f"No price list {price_list}.", f"没有价格表 {price_list}。", price_list=price_list)
        value = list_price(session, listed.id, item.id, Decimal(1))
        price = f"{value.quantize(Decimal('0.01'))}" if value is not None else None
    return templates.Product(item.sku, item.name_zh, item.name_en, item.unit, price, each.code if each else None)


def location_label(session: Session, code: str) -> templates.Bin:
    location = get_location(session, code)
    if location.kind == "virtual":
        raise InvalidInput(f"{code} is a virtual location; it has no label.", f"{code} 是虚拟库位，没有标签。", code="virtual_location")
    warehouse = codes_by_id(session, [location.warehouse_id]).get(location.warehouse_id or 0, "")
    return templates.Bin(location.code, warehouse, location.name_zh or location.name_en)


def lot_label(session: Session, sku: str, code: str) -> templates.Lot:
    lot = get_lot(session, sku, code)
    item = get_item(session, sku)
    each = _each(item)
    return templates.Lot(item.sku, item.name_zh, item.name_en, lot.code, lot.expiry, each.gtin if each else None)


def package_label(session: Session, sscc: str) -> templates.Package:
    package = session.scalar(select(Package).where(Package.sscc == sscc))
    if package is None:
        raise NotFound(f"No package with SSCC {sscc}.", f"没有 SSCC 为 {sscc} 的包装。", sscc=sscc)
    order = session.get(SalesOrder, package.so_id)
    assert order is not None
    customer = session.get(Partner, order.customer_id)
    lines = {line.id: line for line in session.scalars(select(SalesOrderLine).where(SalesOrderLine.so_id == order.id))}
    skus = dict(session.execute(select(Item.id, Item.sku).where(Item.id.in_({line.item_id for line in lines.values()}))).all())
    contents = ", ".join(f"{skus[lines[c.so_line_id].item_id]} × {fmt(c.qty)}" for c in package.contents)
    ship_from = codes_by_id(session, [order.warehouse_id]).get(order.warehouse_id, "")
    name = customer.name_zh or customer.name_en if customer else ""
    return templates.Package(package.sscc, name, order.ship_to, order.number, ship_from, contents)


def build(kind: str, data: object, size: str | None) -> Label:
    try:
        return templates.build(kind, data, size)
    except (GS1Error, SymbolError, templates.TemplateError) as error:
        raise _label_error(error) from None


def one_label(session: Session, kind: str, key: Sequence[str], size: str | None, price_list: str | None = None) -> Label:
    if kind == "item":
        data: object = item_label(session, key[0], price_list=price_list)
    elif kind == "location":
        data = location_label(session, key[0])
    elif kind == "lot":
        data = lot_label(session, key[0], key[1])
    else:
        data = package_label(session, key[0])
    return build(kind, data, size)


def render_file(labels: Sequence[Label], file_format: str, size: str | None, dpi: int) -> bytes:
    """Labels as a file: SVG and PNG hold one label, PDF any number (on sheets for a sheet size), ZPL any number."""
    if file_format == "svg":
        return render.svg(labels[0]).encode("utf-8")
    if file_format == "png":
        return render.png(labels[0], dpi)
    if file_format == "zpl":
        return render.zpl_batch(labels, dpi).encode("utf-8")
    sheet = templates.SIZES[size].sheet if size else None
    return render.pdf(labels, sheet=sheet)


# Batches ------------------------------------------------------------------------------------------


def batch(session: Session, request: PrintRequest, size: str | None) -> list[Label]:
    """Every label a print request names, in a stable order (bins by code, lots in receipt line order)."""
    keys: list[tuple[str, ...]] = [(c,) for c in request.codes or ()]
    keys += [(ref.sku, ref.lot) for ref in request.lots or ()]
    if request.under:
        if request.kind != "location":
            raise InvalidInput("`under` picks the bins of a zone or warehouse: use it with kind location.",
                               "`under` 用于选择库区或仓库下的库位：请与 kind location 一起使用。", code="bad_print_request")
        place = get_location(session, request.under)
        column = Location.warehouse_id if place.kind == "warehouse" else Location.parent_id
        keys += [(code,) for code in session.scalars(
            select(Location.code).where(column == place.id, Location.kind == "bin", Location.active.is_(True)).order_by(Location.code))]
    if request.receipt:
        if request.kind != "lot":
            raise InvalidInput("`receipt` picks the lots received: use it with kind lot.", "`receipt` 用于选择收货的批次：请与 kind lot 一起使用。",
                               code="bad_print_request")
        receipt = get_document(session, Receipt, request.receipt, "receipt", "收货单")
        seen: dict[tuple[str, str], None] = {}
        for line in receipt.lines:
            if line.lot_id is not None:
                lot = session.get(Lot, line.lot_id)
                item = session.get(Item, line.item_id)
                assert lot is not None and item is not None
                seen[(item.sku, lot.code)] = None
        keys += list(seen)
    if request.order:
        if request.kind != "package":
            raise InvalidInput("`order` picks the packages of a sales order: use it with kind package.",
                               "`order` 用于选择销售订单的包装：请与 kind package 一起使用。", code="bad_print_request")
        order = get_document(session, SalesOrder, request.order, "sales order", "销售订单")
        keys += [(sscc,) for sscc in session.scalars(select(Package.sscc).where(Package.so_id == order.id).order_by(Package.id))]
    if request.kind == "lot" and any(len(k) != 2 for k in keys):
        raise InvalidInput("Lot labels are named by `lots` ({sku, lot}) or `receipt`.", "批次标签请用 `lots`（{sku, lot}）或 `receipt` 指定。",
                           code="bad_print_request")
    if request.kind != "lot" and request.lots:
        raise InvalidInput("`lots` names lot labels: use it with kind lot.", "`lots` 用于批次标签：请与 kind lot 一起使用。", code="bad_print_request")
    if not keys:
        raise InvalidInput("Nothing to print: name the labels (codes, lots) or where they come from (under, receipt, order).",
                           "没有要打印的标签：请指定标签（codes、lots）或来源（under、receipt、order）。", code="nothing_to_print")
    if len(keys) * request.copies > MAX_LABELS:
        raise InvalidInput(f"At most {MAX_LABELS} labels in one batch; this is {len(keys) * request.copies}.",
                           f"一批最多 {MAX_LABELS} 张标签；本次为 {len(keys) * request.copies} 张。", code="too_many_labels")
    labels = [one_label(session, request.kind, key, size) for key in keys]
    return [label for label in labels for _ in range(request.copies)]


def labels_to_download(session: Session, actor: Actor, request: PrintRequest) -> list[Label]:
    """The labels of a request that names no printer: the browser prints them (PDF) or saves them (ZPL)."""
    actor.require("labels.print")
    return batch(session, request, request.size)


@dataclasses.dataclass(frozen=True)
class Job:
    printer: Printer
    where: str
    labels: list[Label]


def print_job(session: Session, actor: Actor, request: PrintRequest) -> Job:
    """The labels of a request for its printer (checked: it exists, is active, and the user works in its warehouse)."""
    actor.require("labels.print")
    assert request.printer is not None
    printer = get_printer(session, actor, request.printer)
    if not printer.active:
        raise Conflict(f"Printer {printer.name} is switched off in the settings.", f"打印机 {printer.name} 已在设置中停用。", code="printer_inactive")
    return _job(session, printer, batch(session, request, request.size or printer.size))


def _job(session: Session, printer: Printer, labels: list[Label]) -> Job:
    session.expunge(printer)  # sent after the transaction ends: a slow printer holds no database lock
    return Job(printer, f"{printer.name} ({printer.host}:{printer.port})", labels)


def send_job(job: Job, policy: AddressPolicy) -> int:
    """Send the job's ZPL to its printer (outside any transaction: a slow printer holds no lock). The address is checked
    again here, as it resolves now, and the job goes to the address checked."""
    printer = job.printer
    data = "".join(render.zpl(label, printer.dpi, font=printer.font) for label in job.labels)
    try:
        return send(printer.host, data, port=printer.port, policy=policy)
    except PrinterError as error:
        log.warning("label printer %s (%s:%s) did not take the job: %s", printer.name, printer.host, printer.port, error.en)
        raise PrinterUnreachable(printer) from None


def record_print(session: Session, actor: Actor, job: Job, sent: int) -> None:
    record(session, actor, "labels.print", "printer", job.printer.id, labels=len(job.labels), bytes=sent,
           names=[label.name for label in job.labels[:50]])


# Printers -----------------------------------------------------------------------------------------

def address_policy(settings: Settings) -> AddressPolicy:
    """Where this server's print jobs may go. Never to its own services: its web port, its database's and Redis's (as
    configured, and PostgreSQL's and Redis's usual ports in any case); loopback and link-local printers, on any other
    port, only when the administrator allows local printers (CANGKU_ALLOW_LOCAL_PRINTERS)."""
    ports = {settings.port, 5432, 6379}
    try:
        database = make_url(settings.effective_database_url)
        if database.get_backend_name() != "sqlite":
            ports.add(database.port or 5432)
    except ArgumentError:
        pass
    if settings.redis_url:
        try:
            ports.add(urlsplit(settings.redis_url).port or 6379)
        except ValueError:
            pass
    return AddressPolicy(allow_local=settings.allow_local_printers, service_ports=frozenset(ports))


def _check_address(host: str, port: int, policy: AddressPolicy) -> None:
    """A printer's address is refused before it is stored (422) when no print job could go there."""
    try:
        checked_addresses(host, port, policy)
    except AddressRefused as refused:
        hint_en = hint_zh = ""
        if refused.code in ("printer_address_loopback", "printer_address_link_local"):
            hint_en = " A print server on this machine or on a link-local network needs the setting CANGKU_ALLOW_LOCAL_PRINTERS=1."
            hint_zh = " 若打印服务器在本机或链路本地网络上，需要将服务器设置 CANGKU_ALLOW_LOCAL_PRINTERS 设为 1。"
        elif refused.code == "printer_port_refused" and port not in policy.service_ports:
            hint_en = " A print server listening on another port needs the setting CANGKU_ALLOW_LOCAL_PRINTERS=1."
            hint_zh = " 若打印服务器监听其他端口，需要将服务器设置 CANGKU_ALLOW_LOCAL_PRINTERS 设为 1。"
        raise InvalidInput(refused.en + hint_en, refused.zh + hint_zh, code=refused.code, host=host, port=port) from None


def _warehouse(session: Session, actor: Actor, code: str) -> Location:
    place = get_location(session, code)
    if place.kind != "warehouse":
        raise InvalidInput(f"{code} is not a warehouse.", f"{code} 不是仓库。", code="not_a_warehouse")
    if not actor.may_use_warehouse(place.id):
        raise Forbidden(f"You do not work in warehouse {code}.", f"您不在仓库 {code} 工作。", code="warehouse_not_allowed")
    return place


def get_printer(session: Session, actor: Actor, printer_id: int) -> Printer:
    printer = session.get(Printer, printer_id)
    if printer is None:
        raise NotFound(f"No printer {printer_id}.", f"没有打印机 {printer_id}。", printer=printer_id)
    if not actor.may_use_warehouse(printer.warehouse_id):
        raise Forbidden("This printer is in a warehouse you do not work in.", "此打印机所在的仓库不在您的工作范围内。", code="warehouse_not_allowed")
    return printer


def list_printers(session: Session, actor: Actor, warehouse: str | None) -> list[Printer]:
    query = select(Printer).order_by(Printer.warehouse_id, Printer.name)
    if warehouse:
        query = query.where(Printer.warehouse_id == _warehouse(session, actor, warehouse).id)
    return [p for p in session.scalars(query) if actor.may_use_warehouse(p.warehouse_id)]


def _unique(session: Session, warehouse_id: int, name: str, but: int | None = None) -> None:
    clash = session.scalar(select(Printer.id).where(Printer.warehouse_id == warehouse_id, Printer.name == name))
    if clash is not None and clash != but:
        raise Conflict(f"This warehouse already has a printer named {name}.", f"此仓库已有名为 {name} 的打印机。", code="duplicate_printer")


def create_printer(session: Session, actor: Actor, data: PrinterCreate, policy: AddressPolicy) -> Printer:
    actor.require("settings.write")
    warehouse = _warehouse(session, actor, data.warehouse)
    _unique(session, warehouse.id, data.name)
    _check_address(data.host, data.port, policy)
    printer = Printer(warehouse_id=warehouse.id, name=data.name, host=data.host, port=data.port, dpi=data.dpi, size=data.size, font=data.font)
    session.add(printer)
    session.flush()
    record(session, actor, "printer.create", "printer", printer.id, warehouse=data.warehouse, name=data.name, host=data.host, port=data.port)
    return printer


def update_printer(session: Session, actor: Actor, printer_id: int, data: PrinterUpdate, policy: AddressPolicy) -> Printer:
    actor.require("settings.write")
    printer = get_printer(session, actor, printer_id)
    check_version("Printer", "打印机", str(printer_id), printer.version, data.version)
    changed = {}
    for field in ("name", "host", "port", "dpi", "size", "font", "active"):
        value = getattr(data, field)
        if value is not None and value != getattr(printer, field):
            changed[field] = value
    if "name" in changed:
        _unique(session, printer.warehouse_id, changed["name"], but=printer.id)
    if "host" in changed or "port" in changed:
        _check_address(changed.get("host", printer.host), changed.get("port", printer.port), policy)
    if changed:
        for field, value in changed.items():
            setattr(printer, field, value)
        printer.version += 1
        printer.updated_at = utcnow()
        session.flush()
        record(session, actor, "printer.update", "printer", printer.id, changes=changed)
    return printer


def printer_out(session: Session, printer: Printer) -> PrinterOut:
    warehouse = codes_by_id(session, [printer.warehouse_id]).get(printer.warehouse_id, "")
    return PrinterOut(id=printer.id, warehouse=warehouse, name=printer.name, host=printer.host, port=printer.port, dpi=printer.dpi,
                      size=printer.size, font=printer.font, active=printer.active, version=printer.version)


def printer_test_job(session: Session, actor: Actor, printer_id: int) -> Job:
    """One label that says which printer it came from: to check the address, the media size and the Chinese font."""
    actor.require("labels.print")
    printer = get_printer(session, actor, printer_id)
    warehouse = codes_by_id(session, [printer.warehouse_id]).get(printer.warehouse_id, "")
    label = templates.build("location", templates.Bin(f"TEST-{printer.id}", warehouse, f"{printer.name} 测试 test"), printer.size)
    return _job(session, printer, [label])
