"""Printed documents: a purchase order, a goods received note (入库单), a picking list (拣货单), a delivery note
(送货单), a sales invoice or credit note (红字发票) and a customer or supplier statement (对账单), each read as its JSON view shows it to the same person — prices
only for those who may see them — and laid out on A4 in one language.

They are drawn in a report worker process (server.reports.worker), so a long document never holds up a scan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.catalog.models import Item, Lot
from server.dates import company_zone
from server.documents.flows import STATE_NAMES
from server.documents.lines import PRICE_PLACES, line_amounts, net_price
from server.errors import Conflict
from server.finance.models import Currency
from server.locations.models import Location
from server.partners.models import Partner
from server.printing.sheets import Column, Letterhead, Sheet, render_pdf, said
from server.printing.words import in_capitals, in_english
from server.purchasing import services as purchasing
from server.purchasing.schemas import ApprovalOut
from server.purchasing.views import po_out, receipt_out
from server.reports.statement import StatementParams, partner_statement
from server.reports.worker import Rendered, database
from server.sales import services as sales
from server.sales.models import PickTask, SalesOrder, SalesOrderLine
from server.sales.views import invoice_out, so_out, wave_out
from server.schemas import fmt

PDF = "application/pdf"
Builder = Callable[[Session, Actor, str, str], Sheet]


def print_document(url: str, kind: str, number: str, actor: Actor, lang: str, company: Letterhead) -> Rendered:
    """A document drawn as a PDF for `actor` (run in a report worker): read in one snapshot, then laid out."""
    with database(url).read() as session:
        sheet = BUILDERS[kind](session, actor, number, lang)
    return Rendered(render_pdf(sheet, company), PDF, sheet.file_name)


# What every document shows the same way ------------------------------------------------------------------------------


def _named(lang: str, zh: str, en: str) -> str:
    return (zh or en) if lang == "zh" else (en or zh)


def _day(moment: dt.datetime | dt.date | None) -> str:
    """A date as the company reads it: an instant on the company's calendar (Asia/Shanghai unless set)."""
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        return moment.astimezone(company_zone()).date().isoformat()
    return moment.isoformat()


def _money(value: str | Decimal | None) -> str:
    """An amount to the cent with thousands separated: 1,234.50."""
    return "" if value is None else f"{Decimal(value):,.2f}"


def _price(value: str | None) -> str:
    """A unit price: to the cent, or to as many places as it was given (0.125)."""
    if value is None:
        return ""
    price = Decimal(value)
    return f"{price:,.2f}" if price == price.quantize(Decimal("0.01")) else f"{price.normalize():,f}"


def _state(lang: str, state: str) -> str:
    zh, en = STATE_NAMES.get(state, (state, state))
    return said(lang, zh, en)


def _items(session: Session, skus: Iterable[str]) -> dict[str, Item]:
    wanted = set(skus)
    return {item.sku: item for item in session.scalars(select(Item).where(Item.sku.in_(wanted)))} if wanted else {}


def _base_price(line: Any, doc_discount: str | None) -> Decimal:
    """What one base unit of an order line comes to, net of its and its document's discounts (what warehouse papers, counted
    in base units, value it at)."""
    price = net_price(Decimal(line.unit_price or "0"), Decimal(line.discount or "0"), Decimal(doc_discount or "0"))
    return price / Decimal(line.unit_factor or "1")


def _discounts(lang: str, lines: Sequence[Any], doc_discount: str | None) -> tuple[bool, list[tuple[str, str]]]:
    """Whether any line carries its own discount (a column then shows it), and the document's discount as a fact."""
    fact = [(said(lang, "整单折扣", "Discount on the whole order"), f"{doc_discount} %")] if doc_discount and Decimal(doc_discount) else []
    return any(Decimal(line.discount or "0") for line in lines), fact


def _unit(items: dict[str, Item], sku: str) -> str:
    return items[sku].unit if sku in items else ""


def _place(session: Session, lang: str, code: str) -> str:
    """A warehouse or bin by its code and name: WH1 上海仓."""
    location = session.scalar(select(Location).where(Location.code == code))
    name = _named(lang, location.name_zh, location.name_en) if location else ""
    return f"{code} {name}".strip()


def _currency(session: Session, code: str) -> tuple[str, str]:
    """A currency's names (zh, en), as finance keeps them; its code when it has none."""
    row = session.get(Currency, code)
    return (row.name_zh or code, row.name_en or code) if row else (code, code)


def _partner(session: Session, code: str) -> Partner:
    return session.scalars(select(Partner).where(Partner.code == code)).one()


def _partner_facts(
    lang: str, role: tuple[str, str], partner: Partner, *, tax_id: bool = False, address: str | None = None
) -> list[tuple[str, str]]:
    """Who the document is with: name and code, address, phone, and (on money documents) their tax id."""
    facts = [(said(lang, *role), f"{_named(lang, partner.name_zh, partner.name_en)} ({partner.code})")]
    where = partner.address if address is None else address
    if where:
        facts.append((said(lang, "地址", "Address"), where))
    if partner.phone or partner.contact:
        facts.append((said(lang, "联系人", "Contact"), " ".join(part for part in (partner.contact, partner.phone) if part)))
    if tax_id and partner.tax_id:
        facts.append((said(lang, "纳税人识别号", "Tax ID"), partner.tax_id))
    return facts


def _currency_fact(session: Session, lang: str, code: str) -> tuple[str, str]:
    zh, en = _currency(session, code)
    return said(lang, "币种", "Currency"), f"{said(lang, zh, en)} ({code})"


def _money_totals(lang: str, currency: str, subtotal: Decimal | str, tax: Decimal | str, total: Decimal | str) -> list[tuple[str, str]]:
    return [(said(lang, "金额合计", "Subtotal"), _money(subtotal)), (said(lang, "税额", "VAT"), _money(tax)),
            (f"{said(lang, '价税合计', 'Total')} ({currency})", _money(total))]


def _in_words(session: Session, lang: str, total: Decimal, currency: str) -> list[str]:
    """The total in Chinese capitals (人民币大写, what a Chinese reader checks an amount by), and in English words on an
    English document."""
    zh, en = _currency(session, currency)
    lines = [f"{said(lang, '价税合计（大写）：', 'Total in Chinese capitals: ')}{in_capitals(total, zh)}"]
    if lang == "en":
        lines.append(f"Total in words: {in_english(total, en)}")
    return lines


def _priced_totals(lines: Iterable[tuple[Decimal, Decimal, Decimal]]) -> tuple[Decimal, Decimal, Decimal]:
    """Subtotal, VAT and total of lines (quantity, unit price, VAT rate), each line's amounts to the cent as the documents
    figure them."""
    subtotal = tax = Decimal(0)
    for qty, price, rate in lines:
        net, vat = line_amounts(qty, price, rate)
        subtotal += net
        tax += vat
    return subtotal, tax, subtotal + tax


def _columns(lang: str, *specs: tuple[str, str, float] | tuple[str, str, float, str]) -> list[Column]:
    """Columns from (zh, en, width[, "figure" | "wraps"])."""
    return [Column(said(lang, spec[0], spec[1]), spec[2], figure=spec[3:] == ("figure",), wraps=spec[3:] == ("wraps",)) for spec in specs]


LINE = ("行", "Line", 0.45, "figure")
SKU = ("商品编码", "SKU", 1.35)
NAME = ("商品名称", "Item", 2.6, "wraps")
UNIT = ("单位", "Unit", 0.6)


def _approved_by(lang: str, approvals: Sequence[ApprovalOut]) -> str:
    return ", ".join(f"{a.user} {_day(a.at)}" for a in approvals if a.decision == "approved" and not a.void)


# The documents ---------------------------------------------------------------------------------------------------


def purchase_order(session: Session, actor: Actor, number: str, lang: str) -> Sheet:
    """采购订单: what is ordered from the supplier, at what price (to those who may see prices), delivered where and when."""
    view = po_out(session, actor, purchasing.get_po(session, number))
    priced = view.total is not None
    items = _items(session, (line.sku for line in view.lines))
    columns = _columns(lang, LINE, SKU, NAME, UNIT, ("数量", "Qty", 0.9, "figure"))
    discounted, discount_fact = _discounts(lang, view.lines, view.discount) if priced else (False, [])
    if priced:
        columns += _columns(lang, ("单价", "Unit price", 1.0, "figure"), *([("折扣%", "Disc. %", 0.6, "figure")] if discounted else []),
                            ("税率%", "VAT %", 0.6, "figure"), ("金额", "Amount", 1.2, "figure"))
    rows = [
        [str(line.line), line.sku, _named(lang, line.name_zh, line.name_en), line.unit or _unit(items, line.sku), line.unit_qty,
         *([_price(line.unit_price), *([line.discount or "0"] if discounted else []), line.vat_rate, _money(line.net)] if priced else [])]
        for line in view.lines
    ]
    facts = [
        *discount_fact,
        *_partner_facts(lang, ("供应商", "Supplier"), _partner(session, view.supplier), tax_id=True),
        (said(lang, "订单日期", "Order date"), _day(view.created_at)),
        (said(lang, "交货日期", "Delivery date"), _day(view.expected_date)),
        (said(lang, "收货仓库", "Deliver to"), _place(session, lang, view.warehouse)),
        _currency_fact(session, lang, view.currency),
        (said(lang, "状态", "Status"), _state(lang, view.status)),
        (said(lang, "采购员", "Buyer"), view.created_by or ""),
        (said(lang, "审批", "Approved by"), _approved_by(lang, view.approvals)),
    ]
    return Sheet(
        lang=lang, title=said(lang, "采购订单", "Purchase order"), number=view.number, facts=[f for f in facts if f[1]], columns=columns,
        rows=rows,
        totals=_money_totals(lang, view.currency, view.subtotal or "0", view.tax or "0", view.total or "0") if priced else (),
        words=_in_words(session, lang, Decimal(view.total or "0"), view.currency) if priced else (),
        remarks=[(said(lang, "备注", "Note"), view.note)],
        signatures=[said(lang, "采购员", "Buyer"), said(lang, "审批", "Approved by"), said(lang, "供应商确认", "Supplier's confirmation")],
        file_name=f"{view.number}.pdf",
    )


QC = {
    "pending": ("待检", "to inspect"), "accepted": ("合格", "accepted"), "rejected": ("不合格", "rejected"),
    "partial": ("部分合格", "partly accepted"),
}


def goods_received_note(session: Session, actor: Actor, number: str, lang: str) -> Sheet:
    """入库单: what arrived against a purchase order, lot by lot, and what inspection accepted; valued at the order's prices
    for those who may see prices."""
    view = receipt_out(session, actor, purchasing.get_receipt(session, number))
    po = po_out(session, actor, purchasing.get_po(session, view.po))
    ordered = {line.line: line for line in po.lines}
    priced = po.total is not None
    items = _items(session, (line.sku for line in view.lines))
    columns = _columns(lang, LINE, SKU, NAME, UNIT, ("批次 / 有效期", "Lot / expiry", 1.5, "wraps"), ("实收", "Received", 0.9, "figure"),
                       ("合格", "Accepted", 0.9, "figure"), ("不合格", "Rejected", 0.9, "figure"), ("质检", "QC", 0.8))
    if priced:
        columns += _columns(lang, ("单价", "Unit price", 1.0, "figure"), ("金额", "Amount", 1.1, "figure"))
    rows = []
    for line in view.lines:
        po_line = ordered[line.po_line]
        lot = " / ".join(part for part in (line.lot or "", _day(line.expiry)) if part)
        row = [str(line.line), line.sku, _named(lang, po_line.name_zh, po_line.name_en), _unit(items, line.sku), lot, line.qty,
               line.accepted, line.rejected, said(lang, *QC.get(line.qc_status, (line.qc_status, line.qc_status)))]
        if priced:
            price = _base_price(po_line, po.discount)
            net, _ = line_amounts(Decimal(line.qty), price, Decimal(po_line.vat_rate))
            row += [_price(str(price.quantize(PRICE_PLACES))), _money(net)]
        rows.append(row)
    totals: list[tuple[str, str]] = []
    if priced:
        received = [(Decimal(line.qty), _base_price(ordered[line.po_line], po.discount), Decimal(ordered[line.po_line].vat_rate))
                    for line in view.lines]
        totals = _money_totals(lang, po.currency, *_priced_totals(received))
    facts = [
        *_partner_facts(lang, ("供应商", "Supplier"), _partner(session, po.supplier)),
        (said(lang, "采购订单", "Purchase order"), view.po),
        (said(lang, "收货日期", "Received on"), _day(view.created_at)),
        (said(lang, "仓库", "Warehouse"), _place(session, lang, view.warehouse)),
        (said(lang, "收货区", "Dock"), _place(session, lang, view.dock)),
        (said(lang, "状态", "Status"), _state(lang, view.status)),
        *([_currency_fact(session, lang, po.currency)] if priced else []),
    ]
    return Sheet(
        lang=lang, title=said(lang, "入库单", "Goods received note"), number=view.number, facts=facts, columns=columns, rows=rows,
        totals=totals,
        remarks=[(said(lang, "备注", "Note"), view.note)],
        signatures=[said(lang, "送货人", "Delivered by"), said(lang, "收货人", "Received by"), said(lang, "质检", "Inspected by")],
        file_name=f"{view.number}.pdf",
    )


def picking_list(session: Session, actor: Actor, number: str, lang: str) -> Sheet:
    """拣货单: a wave's pick tasks in route order, bin by bin, with a column to write what was taken. No prices."""
    view = wave_out(session, actor, sales.get_wave(session, number))
    items = _items(session, (task.sku for task in view.tasks))
    columns = _columns(lang, ("顺序", "Seq", 0.5, "figure"), ("货位", "Bin", 1.1), SKU, NAME, ("批次", "Lot", 0.9), ("有效期", "Expiry", 1.0),
                       ("应拣", "To pick", 0.8, "figure"), UNIT, ("实拣", "Picked", 0.8, "figure"), ("订单 / 行", "Order / line", 1.6))
    rows = [
        [str(task.seq), task.location, task.sku, _named(lang, task.name_zh, task.name_en), task.lot or "", _day(task.expiry), task.qty,
         _unit(items, task.sku), "" if task.status == "open" else task.picked, f"{task.order} / {task.order_line}"]
        for task in view.tasks if task.status != "cancelled"
    ]
    facts = [
        (said(lang, "仓库", "Warehouse"), _place(session, lang, view.warehouse)),
        (said(lang, "日期", "Date"), _day(view.created_at)),
        (said(lang, "订单", "Orders"), ", ".join(view.orders)),
        (said(lang, "拣货任务", "Pick tasks"), str(len(rows))),
        (said(lang, "状态", "Status"), _state(lang, view.status)),
    ]
    return Sheet(
        lang=lang, title=said(lang, "拣货单", "Picking list"), number=view.number, facts=facts, columns=columns, rows=rows,
        signatures=[said(lang, "拣货人", "Picked by"), said(lang, "复核", "Checked by")], file_name=f"{view.number}.pdf",
    )


def delivery_note(session: Session, actor: Actor, number: str, lang: str) -> Sheet:
    """送货单: what a shipped order delivered, line by line with its lots and packages, for the customer to sign; valued
    at the order's prices for those who may see prices."""
    order = sales.get_so(session, number)
    if order.shipped_at is None:
        raise Conflict(f"Sales order {number} has not shipped yet: its delivery note is printed once it ships.",
                       f"销售订单 {number} 尚未发货，发货后才能打印送货单。", code="not_shipped", number=number)
    view = so_out(session, actor, order)
    priced = view.total is not None
    items = _items(session, (line.sku for line in view.lines))
    lots = _lots_shipped(session, order)
    columns = _columns(lang, LINE, SKU, NAME, UNIT, ("批次", "Lot", 1.2, "wraps"), ("订购", "Ordered", 0.85, "figure"),
                       ("实发", "Shipped", 0.85, "figure"))
    if priced:
        columns += _columns(lang, ("单价", "Unit price", 1.0, "figure"), ("金额", "Amount", 1.1, "figure"))
    rows = []
    for line in view.lines:
        row = [str(line.line), line.sku, _named(lang, line.name_zh, line.name_en), _unit(items, line.sku), lots.get(line.line, ""), line.qty,
               line.shipped]
        if priced:
            price = _base_price(line, view.discount)
            net, _ = line_amounts(Decimal(line.shipped), price, Decimal(line.vat_rate))
            row += [_price(str(price.quantize(PRICE_PLACES))), _money(net)]
        rows.append(row)
    totals: list[tuple[str, str]] = []
    if priced:
        shipped = [(Decimal(line.shipped), _base_price(line, view.discount), Decimal(line.vat_rate)) for line in view.lines]
        totals = _money_totals(lang, view.currency, *_priced_totals(shipped))
    customer = _partner(session, view.customer)
    facts = [
        *_partner_facts(lang, ("客户", "Customer"), customer, address=view.ship_to or customer.address),
        (said(lang, "销售订单", "Sales order"), view.number),
        (said(lang, "发货日期", "Shipped on"), _day(order.shipped_at)),
        (said(lang, "发货仓库", "Shipped from"), _place(session, lang, view.warehouse)),
        *([_currency_fact(session, lang, view.currency)] if priced else []),
    ]
    packages = "; ".join(
        f"{p.sscc}" + (f" ({p.weight_kg} kg)" if p.weight_kg else "") for p in view.packages
    )
    return Sheet(
        lang=lang, title=said(lang, "送货单", "Delivery note"), number=view.number, facts=facts, columns=columns, rows=rows, totals=totals,
        remarks=[(said(lang, f"包裹（{len(view.packages)}）", f"Packages ({len(view.packages)})"), packages),
                 (said(lang, "欠货另发", "To follow on backorder"), ", ".join(view.backorders)), (said(lang, "备注", "Note"), view.note)],
        signatures=[said(lang, "发货人", "Shipped by"), said(lang, "承运人", "Carrier"), said(lang, "收货人签收", "Received in good order by")],
        file_name=f"{view.number}-delivery-note.pdf",
    )


def _lots_shipped(session: Session, order: SalesOrder) -> dict[int, str]:
    """Per order line, the lots its goods were picked from: "L1", or "L1 × 4, L2 × 2" when several."""
    found: dict[int, list[tuple[str, Decimal]]] = {}
    for line_no, lot, qty in session.execute(
        select(SalesOrderLine.line_no, Lot.code, func.sum(PickTask.picked_qty))
        .join(PickTask, PickTask.so_line_id == SalesOrderLine.id).join(Lot, Lot.id == PickTask.lot_id)
        .where(SalesOrderLine.so_id == order.id, PickTask.picked_qty > 0)
        .group_by(SalesOrderLine.line_no, Lot.code).order_by(SalesOrderLine.line_no, Lot.code)
    ).all():
        found.setdefault(line_no, []).append((lot, qty))
    return {n: lots[0][0] if len(lots) == 1 else ", ".join(f"{lot} × {fmt(qty)}" for lot, qty in lots) for n, lots in found.items()}


def invoice(session: Session, actor: Actor, number: str, lang: str) -> Sheet:
    """销售发票 or 红字发票: what the customer is charged, line by line with VAT, and the total in words. A credit note's
    quantities and amounts are printed negative, as a red-letter invoice states them."""
    row = sales.get_invoice(session, number)
    view = invoice_out(session, actor, row)
    credit = view.kind == "credit_note"

    def signed(value: str | None) -> str:
        return fmt(-Decimal(value)) if credit and value is not None else value or "0"

    items = _items(session, (line.sku for line in view.lines))
    columns = _columns(lang, LINE, SKU, NAME, UNIT, ("数量", "Qty", 0.8, "figure"), ("单价", "Unit price", 1.0, "figure"),
                       ("税率%", "VAT %", 0.55, "figure"), ("金额", "Amount", 1.15, "figure"), ("税额", "VAT", 1.0, "figure"))
    rows = [
        [str(line.line), line.sku, _named(lang, items[line.sku].name_zh, items[line.sku].name_en) if line.sku in items else "",
         line.unit or _unit(items, line.sku), signed(line.unit_qty), _price(line.unit_price), line.vat_rate, _money(signed(line.net)),
         _money(signed(line.tax))]
        for line in view.lines
    ]
    facts = [
        *_partner_facts(lang, ("购买方", "Bill to"), _partner(session, view.customer), tax_id=True),
        (said(lang, "开票日期", "Invoice date"), _day(view.invoice_date)),
        (said(lang, "到期日", "Due date"), _day(view.due_date)),
        (said(lang, "销售订单", "Sales order"), view.order),
        *([(said(lang, "冲红发票", "Credits invoice"), view.credits)] if view.credits else []),
        _currency_fact(session, lang, view.currency),
        (said(lang, "状态", "Status"), _state(lang, view.status)),
    ]
    total = signed(view.total)
    return Sheet(
        lang=lang, title=said(lang, "红字发票（贷项通知单）", "Credit note") if credit else said(lang, "销售发票", "Sales invoice"), number=view.number,
        facts=facts, columns=columns, rows=rows,
        totals=_money_totals(lang, view.currency, signed(view.subtotal), signed(view.tax), total),
        words=_in_words(session, lang, Decimal(total), view.currency), remarks=[(said(lang, "备注", "Note"), row.note)],
        signatures=[said(lang, "收款人", "Payee"), said(lang, "复核", "Checked by"), said(lang, "开票人", "Issued by")],
        file_name=f"{view.number}.pdf",
    )


KIND_NAMES = {
    "invoice": ("销售发票", "Invoice"), "opening": ("期初余额", "Opening balance"), "credit_note": ("红字发票", "Credit note"),
    "payment": ("收付款", "Payment"), "bill": ("供应商发票", "Bill"), "debit_note": ("红字发票", "Debit note"),
}


def statement_sheet(session: Session, actor: Actor, lang: str, side: str, params: StatementParams) -> Sheet:
    """对账单: the partner's account over the period — the balance brought forward, each document with the running
    balance and what is still open on it, the balance carried forward in words — and a slip for the partner to confirm
    it or say where the figures differ."""
    actor.require("finance.read")
    found = partner_statement(session, params, side)
    customer = found.side == "customer"
    columns = _columns(lang, ("日期", "Date", 0.9), ("单据号", "Document", 1.45), ("类型", "Kind", 0.9), ("参考号", "Reference", 1.2, "wraps"),
                       ("到期日", "Due", 0.9),
                       (*(("应收增加", "Invoiced") if customer else ("应付增加", "Billed")), 1.05, "figure"),
                       (*(("收款及冲红", "Received") if customer else ("付款及冲红", "Paid")), 1.05, "figure"),
                       ("余额", "Balance", 1.1, "figure"), ("尚未结清", "Still open", 1.0, "figure"))
    rows = [[_day(found.date_from), said(lang, "期初余额", "Brought forward"), "", "", "", "", "", _money(found.opening), ""]]
    rows += [
        [_day(line.date), line.number, said(lang, *KIND_NAMES.get(line.kind, (line.kind, line.kind))), line.reference, _day(line.due_date),
         _money(line.charge) if line.charge else "", _money(line.settle) if line.settle else "", _money(balance), _money(line.open_now)]
        for line, balance in found.lines
    ]
    zh, en = _currency(session, found.currency)
    if not found.closing:
        summary = said(lang, "双方往来已结清。", "Nothing is owed either way.")
    elif (found.closing > 0) == customer:
        summary = f"{said(lang, '贵方尚欠我方', 'You owe us')} {_money(abs(found.closing))} {found.currency}"
    else:
        summary = f"{said(lang, '我方尚欠贵方', 'We owe you')} {_money(abs(found.closing))} {found.currency}"
    return Sheet(
        lang=lang, title=said(lang, "客户对账单", "Customer statement") if customer else said(lang, "供应商对账单", "Supplier statement"),
        number=f"{found.partner.code} {found.date_from.isoformat()} – {found.date_to.isoformat()}",
        facts=[
            *_partner_facts(lang, ("客户", "Customer") if customer else ("供应商", "Supplier"), found.partner, tax_id=True),
            (said(lang, "对账期间", "Period"), f"{found.date_from.isoformat()} – {found.date_to.isoformat()}"),
            _currency_fact(session, lang, found.currency),
        ],
        columns=columns, rows=rows,
        totals=[(said(lang, "期初余额", "Brought forward"), _money(found.opening)),
                (said(lang, "本期增加", "Invoiced" if customer else "Billed"), _money(found.charged)),
                (said(lang, "本期减少", "Received" if customer else "Paid"), _money(found.settled)),
                (f"{said(lang, '期末余额', 'Carried forward')} ({found.currency})", _money(found.closing))],
        words=[f"{said(lang, '期末余额（大写）：', 'Balance in Chinese capitals: ')}{in_capitals(found.closing, zh)}",
               *([f"Balance in words: {in_english(found.closing, en)}"] if lang == "en" else []), summary],
        remarks=[(said(lang, "请核对", "Please check"), said(
            lang, "请核对以上往来，如无误请签字盖章后回传；如有不符，请注明不符之处。",
            "Please check the above. If it agrees with your books, sign and return it; if not, note where the figures differ."))],
        signatures=[said(lang, "我方（盖章）", "For us (stamp)"), said(lang, "贵方确认（盖章）", "Confirmed by you (stamp)"), said(lang, "日期", "Date")],
        file_name=f"statement-{found.partner.code}-{found.date_to.isoformat()}.pdf",
    )


def print_statement(url: str, side: str, params: StatementParams, actor: Actor, lang: str, company: Letterhead) -> Rendered:
    """A partner's statement drawn as a PDF for `actor` (run in a report worker)."""
    with database(url).read() as session:
        sheet = statement_sheet(session, actor, lang, side, params)
    return Rendered(render_pdf(sheet, company), PDF, sheet.file_name)


BUILDERS: dict[str, Builder] = {
    "purchase_order": purchase_order,
    "receipt": goods_received_note,
    "wave": picking_list,
    "delivery_note": delivery_note,
    "invoice": invoice,
}
