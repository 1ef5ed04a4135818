"""Month-end close (月结): a closed month takes nothing more, until a director reopens it with a reason.

A month may be closed once it has ended. Its close checklist must be clear of what would still post into it — bills
and invoices dated in it that are not yet posted, receipts and stocktakes begun in it and not finished — and the books
must hold together (every entry balanced, the inventory account equal to the stock valuation); goods received and not yet billed for more than 30 days are shown as a warning, not a block.

Closed, the month refuses every document dated in it (a bill, an invoice, a payment), with a message that says which
month and what to do: date it in an open month, or have a director reopen the month. Stock moves and journal entries
are dated when they are made, in the month that is open now, so a closed month (one that has ended) never receives
them. Every close and reopen is in the audit log, the reopen with its reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.dates import day_range, local_today
from server.errors import Conflict, InvalidInput
from server.finance.models import Period
from server.schemas import fmt

GRNI_WARNING_DAYS = 30
_MONTHS_ZH = "{y} 年 {m} 月"


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    """The last day of the month that starts on `month`."""
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def month_text(month: dt.date) -> tuple[str, str]:
    """How people write a month: ("November 2026", "2026 年 11 月")."""
    return month.strftime("%B %Y"), _MONTHS_ZH.format(y=month.year, m=month.month)


def parse_month(text: str) -> dt.date:
    """A month as the API names it: YYYY-MM."""
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise InvalidInput(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-11.", f"{text!r} 不是月份：请写作 YYYY-MM，例如 2026-11。",
                           code="invalid_parameter", field="month") from None


def is_closed(session: Session, day: dt.date, *, hold: bool = False) -> bool:
    """Whether the month of `day` is closed; `hold`: and keep it so until the transaction ends (a share lock on its row,
    which a close or reopen waits for)."""
    query = select(Period.closed).where(Period.month == month_of(day))
    return bool(session.scalar(query.with_for_update(read=True) if hold else query))


def require_open(session: Session, day: dt.date, what_en: str, what_zh: str) -> None:
    """Refuse (409 period_closed) a document dated `day` in a closed month; an open one stays open until the document commits."""
    if not is_closed(session, day, hold=True):
        return
    en, zh = month_text(month_of(day))
    raise Conflict(
        f"{en} is closed: {what_en} dated {day.isoformat()} cannot go into it. Date it in an open month, or ask a director to reopen {en}.",
        f"{zh}已结账：日期为 {day.isoformat()} 的{what_zh}不能记入该月。请改用未结账月份的日期，或请总监反结账{zh}。",
        code="period_closed", month=month_of(day).isoformat()[:7], date=day.isoformat(),
    )


@dataclasses.dataclass(frozen=True)
class CheckItem:
    """One line of a month's close checklist: what was looked at, what was found, and whether it stops the close."""

    code: str
    blocking: bool
    count: int
    message_en: str
    message_zh: str
    documents: list[str]

    @property
    def ok(self) -> bool:
        return self.count == 0


def checklist(session: Session, actor: Actor, month: dt.date) -> list[CheckItem]:
    """What stands between a month and its close."""
    from server.counts.models import Stocktake
    from server.purchasing.models import Bill, PurchaseOrder, PurchaseOrderLine, Receipt
    from server.sales.models import Invoice

    actor.require("finance.read")
    first, last = month, month_end(month)
    start, end = day_range(first, last)
    _, cutoff = day_range(None, last - dt.timedelta(days=GRNI_WARNING_DAYS))
    assert start is not None and end is not None and cutoff is not None  # both days given
    en, zh = month_text(month)

    def numbers(query: Any) -> list[str]:
        return list(session.scalars(query.limit(50)))

    def count(query: Any) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    items = []
    bills = select(Bill.number).where(Bill.bill_date.between(first, last), Bill.status.in_(("draft", "blocked"))).order_by(Bill.number)
    items.append(CheckItem("unposted_bills", True, count(bills), f"Supplier bills dated in {en} and not yet posted (or blocked by their match).",
                           f"{zh}日期的供应商发票尚未过账（或匹配不符被阻止）。", numbers(bills)))
    invoices = select(Invoice.number).where(Invoice.invoice_date.between(first, last), Invoice.status == "draft").order_by(Invoice.number)
    items.append(CheckItem("unposted_invoices", True, count(invoices), f"Sales invoices dated in {en} and not yet posted.",
                           f"{zh}日期的销售发票尚未过账。", numbers(invoices)))
    receipts = select(Receipt.number).where(Receipt.created_at >= start, Receipt.created_at < end,
                                            Receipt.status.in_(("open", "inspecting", "putaway"))).order_by(Receipt.number)
    items.append(CheckItem("open_receipts", True, count(receipts), f"Receipts begun in {en} and not finished (receiving, inspection or put-away).",
                           f"{zh}开始的收货单尚未完成（收货、检验或上架）。", numbers(receipts)))
    counts = select(Stocktake.number).where(Stocktake.started_at >= start, Stocktake.started_at < end,
                                            Stocktake.status == "counting").order_by(Stocktake.number)
    items.append(CheckItem("open_stocktakes", True, count(counts), f"Stocktakes begun in {en} and not posted.",
                           f"{zh}开始的盘点单尚未过账。", numbers(counts)))
    problems = books_problems(session)
    items.append(CheckItem("books", True, len(problems), "The books: every journal entry balances and the inventory account equals the stock valuation.",
                           "账务检查：每张凭证借贷平衡，库存商品科目等于库存估值。", problems[:50]))
    # Goods received and not yet billed, on orders placed before the warning age: a reminder to chase the suppliers' bills.
    unbilled = (
        select(PurchaseOrder.number).distinct()
        .join(PurchaseOrderLine, PurchaseOrderLine.po_id == PurchaseOrder.id)
        .where(PurchaseOrderLine.accepted_qty > PurchaseOrderLine.billed_qty, PurchaseOrder.created_at < cutoff)
        .order_by(PurchaseOrder.number)
    )
    items.append(CheckItem("grni_ageing", False, count(unbilled),
                           f"Orders with goods received over {GRNI_WARNING_DAYS} days before the month's end and not yet billed.",
                           f"月末前超过 {GRNI_WARNING_DAYS} 天已收货但尚未收到发票的采购订单。", numbers(unbilled)))
    return items


def books_problems(session: Session) -> list[str]:
    """What is wrong with the books as a whole (`cangku check` looks further: balances, sync, the audit chain)."""
    from server.finance.services import INVENTORY, account_balance, unbalanced_entries
    from server.inventory.models import Valuation

    problems = [f"journal entry {entry_id}: debits {fmt(debit)}, credits {fmt(credit)}" for entry_id, debit, credit in unbalanced_entries(session)]
    valued = session.scalar(select(func.coalesce(func.sum(Valuation.value), 0))) or Decimal(0)
    held = account_balance(session, INVENTORY)
    if held != valued:
        problems.append(f"inventory account {INVENTORY}: {fmt(held)}, stock valued at {fmt(Decimal(valued))}")
    return problems


def _period(session: Session, month: dt.date) -> Period:
    row = session.scalar(select(Period).where(Period.month == month).with_for_update())
    if row is None:
        row = Period(month=month, closed=False)
        session.add(row)
        session.flush()
    return row


def close_period(session: Session, actor: Actor, month: dt.date) -> Period:
    """Close a month that has ended and whose checklist has nothing blocking."""
    actor.require("periods.close")
    en, zh = month_text(month)
    if month_end(month) >= local_today():
        raise Conflict(f"{en} has not ended yet; it can be closed from the first day of the next month.",
                       f"{zh}尚未结束，下月起才能结账。", code="period_not_ended", month=month.isoformat()[:7])
    row = _period(session, month)
    if row.closed:
        raise Conflict(f"{en} is already closed.", f"{zh}已结账。", code="wrong_state", month=month.isoformat()[:7])
    blocking = [item for item in checklist(session, actor, month) if item.blocking and not item.ok]
    if blocking:
        raise Conflict(
            f"{en} cannot be closed yet: " + "; ".join(f"{i.message_en} ({i.count}: {', '.join(i.documents[:5])})" for i in blocking),
            f"{zh}暂不能结账：" + "；".join(f"{i.message_zh}（{i.count}：{'、'.join(i.documents[:5])}）" for i in blocking),
            code="close_checklist", month=month.isoformat()[:7], blocking=[i.code for i in blocking],
        )
    row.closed, row.closed_at, row.closed_by = True, utcnow(), actor.user_id
    row.version += 1
    session.flush()
    record(session, actor, "period.close", "period", month.isoformat()[:7])
    return row


def reopen_period(session: Session, actor: Actor, month: dt.date, reason: str) -> Period:
    """Reopen a closed month (反结账): a director's decision, with the reason on record."""
    actor.require("periods.reopen")
    en, zh = month_text(month)
    if not reason.strip():
        raise InvalidInput("Say why the month is reopened.", "请填写反结账的原因。", code="comment_required", field="reason")
    row = _period(session, month)
    if not row.closed:
        raise Conflict(f"{en} is not closed.", f"{zh}未结账。", code="wrong_state", month=month.isoformat()[:7])
    row.closed, row.reopened_at, row.reopened_by, row.reopen_reason = False, utcnow(), actor.user_id, reason.strip()
    row.version += 1
    session.flush()
    record(session, actor, "period.reopen", "period", month.isoformat()[:7], reason=reason.strip())
    return row


@dataclasses.dataclass(frozen=True)
class MonthState:
    month: dt.date
    closed: bool
    closed_at: dt.datetime | None
    closed_by: int | None
    reopened_at: dt.datetime | None
    reopen_reason: str


def months(session: Session, count: int = 12) -> list[MonthState]:
    """The last `count` months up to this one, the latest first, each closed or open."""
    this = month_of(local_today())
    wanted = [this]
    while len(wanted) < count:
        wanted.append(month_of(wanted[-1] - dt.timedelta(days=1)))
    rows = {p.month: p for p in session.scalars(select(Period).where(Period.month.in_(wanted)))}
    out = []
    for month in wanted:
        p = rows.get(month)
        out.append(MonthState(month, bool(p and p.closed), p.closed_at if p else None, p.closed_by if p else None,
                              p.reopened_at if p else None, p.reopen_reason if p else ""))
    return out
