"""A document's history: the audit entries recorded on it, for whoever may read the document, each named for a person."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit.models import AuditEntry
from server.auth.permissions import Actor
from server.counts.services import get_count
from server.documents.flows import ACTION_NAMES
from server.errors import NotFound
from server.finance.payments import get_payment
from server.inventory.transfers import get_transfer
from server.purchasing.plans import get_plan, read_plan
from server.purchasing.services import get_bill, get_po, get_purchase_return, get_receipt, get_requisition
from server.sales.services import get_contract, get_invoice, get_quote, get_return, get_so, get_wave
from server.sales.services.tickets import get_ticket

# The entries' details may carry totals, prices and costs (an order's total, a payment's amount): only those who may
# read the whole audit log see them; everyone else reads who did what and when.
DETAILS = "audit.read"


@dataclasses.dataclass(frozen=True)
class DocumentKind:
    target_type: str  # what the services record it as (`record(session, actor, action, target_type, number)`)
    permission: str | None  # what its own GET /{number} route requires; None: every signed-in user reads it
    find: Callable[[Session, str], object]  # its get function, raising NotFound for a number that is not there
    # For a document its route shows only to some of those with the permission (a plan: to those of its warehouse), the
    # route's own read, refusing everyone else the same way.
    read: Callable[[Session, Actor, str], object] | None = None


# The kinds a history is kept for, by the name the API takes. Each permission is exactly its document route's guard:
# a history tells no more than the document's own page would.
KINDS: dict[str, DocumentKind] = {
    "requisition": DocumentKind("requisition", None, get_requisition),
    "po": DocumentKind("po", None, get_po),
    "receipt": DocumentKind("receipt", None, get_receipt),
    "bill": DocumentKind("bill", "prices.read", get_bill),
    "purchase_return": DocumentKind("purchase_return", None, get_purchase_return),
    "quote": DocumentKind("quote", "prices.read", get_quote),
    "so": DocumentKind("so", None, get_so),
    "invoice": DocumentKind("invoice", "prices.read", get_invoice),
    "return": DocumentKind("return", None, get_return),
    "payment": DocumentKind("payment", "finance.read", get_payment),
    "stocktake": DocumentKind("stocktake", None, get_count),
    "transfer": DocumentKind("transfer", None, get_transfer),
    "wave": DocumentKind("wave", None, get_wave),
    "sales_contract": DocumentKind("sales_contract", "prices.read", get_contract),
    "purchase_plan": DocumentKind("purchase_plan", "purchase.plan", get_plan, read_plan),
    "service_ticket": DocumentKind("service_ticket", None, get_ticket),
}

# What the flows do not name (server.documents.flows.ACTION_NAMES), by the verb after the dot.
VERB_NAMES: dict[str, tuple[str, str]] = {
    "create": ("创建", "create"),
    "update": ("修改", "change"),
    "reopen": ("重新打开", "reopen"),
    "credit_override": ("超信用额度放行", "release over the credit limit"),
    "backorder": ("剩余转欠货单", "back-order the rest"),
    "cancel_rest": ("取消未发部分", "cancel what was not shipped"),
    "credit_note": ("开具红字发票", "issue a credit note"),
    "debit_note": ("开具红字发票", "issue a debit note"),
    "opening": ("登记期初余额", "enter the opening balance"),
    "apply": ("核销红字发票", "apply the note to a document"),
    "dispose": ("处置退货", "restock or scrap returned goods"),
    "record": ("登记", "record"),
    "allocate": ("核销到单据", "allocate to documents"),
    "email": ("发送邮件", "send by e-mail"),
    "email_failed": ("邮件未发出", "e-mail not sent"),
    "convert": ("转为请购单", "convert into requisitions"),
    "discard": ("作废", "discard"),
    "note": ("添加备注", "add a note"),
}

# Actions whose verb reads otherwise on their document: a stocktake's `record` is entering counts, a payment's is the
# payment itself, a receipt's `line` is goods received.
ACTION_OVERRIDES: dict[str, tuple[str, str]] = {
    "count.start": ("开始盘点", "start the count"),
    "count.record": ACTION_NAMES["count"],
    "receipt.line": ("收货", "receive goods"),
    "service_ticket.return": ("办理退货", "take the goods back on a return"),
    "payment.record": ("登记收付款", "record the payment"),
    "so.shop_order": ("接收电商订单", "take the order from the online shop"),
}


def said(action: str) -> tuple[str, str]:
    """A person's name for a recorded action, (Chinese, English): `so.confirm` -> ("确认", "confirm"). An action no one
    has named yet reads as itself."""
    if action in ACTION_OVERRIDES:
        return ACTION_OVERRIDES[action]
    verb = action.rpartition(".")[2]
    return ACTION_NAMES.get(verb) or VERB_NAMES.get(verb) or (action, action)


def details_for(actor: Actor, entry: AuditEntry) -> dict[str, Any] | None:
    """What the entry recorded, for those who may read the audit log; None for everyone else."""
    return (entry.details or {}) if actor.can(DETAILS) else None


def document_kind(kind: str) -> DocumentKind:
    found = KINDS.get(kind)
    if found is None:
        names = ", ".join(KINDS)
        raise NotFound(
            f"There is no history for {kind!r}: the kinds of documents with one are {names}.",
            f"没有“{kind}”这类单据的历史记录；可查看历史的单据类型为：{names}。",
            code="unknown_kind", kinds=list(KINDS),
        )
    return found


def document_history(
    session: Session, actor: Actor, kind: str, number: str, *, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """The entries recorded on one document, oldest first (in the audit chain's order), for those who may read it:
    the kind's permission first, then the document itself, so no history is told of a document the user may not see
    nor of one that does not exist."""
    document = document_kind(kind)
    if document.permission is not None:
        actor.require(document.permission)
    if document.read is not None:
        document.read(session, actor, number)
    else:
        document.find(session, number)
    on_it = (AuditEntry.target_type == document.target_type, AuditEntry.target_id == number)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*on_it)) or 0
    # An entry committed a moment ago may not be sealed into the chain yet (PostgreSQL): it comes after the sealed ones,
    # as it will in the chain.
    rows = session.scalars(
        select(AuditEntry).where(*on_it).order_by(AuditEntry.seq.asc().nulls_last(), AuditEntry.id).limit(limit).offset(offset)
    )
    return list(rows), total
