"""Every document's state machine, in one place: which action takes which state to which, and what may still change.

A transition not listed here is refused with a message naming the document, its state and the action.
Fields not listed as editable in a state are frozen there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Protocol

from server.documents.services import touch
from server.errors import Conflict

STATE_NAMES = {
    "draft": ("草稿", "draft"),
    "open": ("进行中", "open"),
    "pending": ("待审批", "pending approval"),
    "approved": ("已审批", "approved"),
    "rejected": ("已驳回", "rejected"),
    "ordered": ("已下单", "ordered"),
    "partially_received": ("部分收货", "partially received"),
    "received": ("已收货", "received"),
    "inspecting": ("待质检", "awaiting inspection"),
    "putaway": ("待上架", "awaiting put-away"),
    "done": ("已完成", "done"),
    "blocked": ("匹配不符已冻结", "blocked by a mismatch"),
    "posted": ("已过账", "posted"),
    "partially_paid": ("部分付款", "partially paid"),
    "paid": ("已结清", "paid"),
    "sent": ("已发送", "sent"),
    "accepted": ("已接受", "accepted"),
    "confirmed": ("已确认", "confirmed"),
    "picking": ("拣货中", "picking"),
    "packed": ("已包装", "packed"),
    "shipped": ("已发货", "shipped"),
    "invoiced": ("已开票", "invoiced"),
    "closed": ("已关闭", "closed"),
    "cancelled": ("已取消", "cancelled"),
    "expired": ("已过期", "expired"),
    "counting": ("盘点中", "counting"),
    "short": ("少拣", "picked short"),
    "active": ("生效中", "in force"),
    "in_progress": ("处理中", "in progress"),
    "converted": ("已转请购单", "converted into requisitions"),
    "discarded": ("已作废", "discarded"),
    "resolved": ("已解决", "resolved"),
}

ACTION_NAMES = {
    "submit": ("提交审批", "submit for approval"),
    "approve": ("审批通过", "approve"),
    "reject": ("驳回", "reject"),
    "withdraw": ("撤回", "withdraw"),
    "revise": ("修改", "revise"),
    "edit": ("修改", "edit"),
    "receive": ("收货", "receive"),
    "complete": ("完成收货", "finish receiving"),
    "inspect": ("质检", "inspect"),
    "put_away": ("上架", "put away"),
    "order": ("转采购订单", "turn into a purchase order"),
    "post": ("过账", "post"),
    "block": ("冻结", "block"),
    "pay": ("付款", "pay"),
    "send": ("发送", "send"),
    "accept": ("接受", "accept"),
    "confirm": ("确认", "confirm"),
    "pick": ("拣货", "pick"),
    "pack": ("包装", "pack"),
    "ship": ("发货", "ship"),
    "invoice": ("开票", "invoice"),
    "close": ("关闭", "close"),
    "cancel": ("取消", "cancel"),
    "expire": ("过期", "expire"),
    "return": ("退货", "return"),
    "count": ("录入盘点数", "record counts"),
    "recount": ("要求复盘", "ask for a recount"),
    "sign": ("审批本级", "approve this level"),
    "release": ("免审批下达", "release without approval"),
    "reopen": ("重新打开", "reopen"),
    "uninvoice": ("撤销开票", "take back the invoice"),
    "short": ("少拣", "pick short"),
    "progress": ("推进", "move on"),
    "finish": ("完成", "finish"),
    "activate": ("生效", "put into force"),
    "start": ("开始处理", "start work on it"),
    "resolve": ("解决", "resolve"),
    "replace": ("换货", "ship a replacement"),
    "refund": ("退款", "refund"),
    "convert": ("转为请购单", "convert into requisitions"),
    "discard": ("作废", "discard"),
}


class Permitted(Protocol):
    def can(self, permission: str) -> bool: ...


@dataclasses.dataclass(frozen=True)
class Flow:
    name_zh: str
    name_en: str
    transitions: dict[str, dict[str, str]]  # action -> {from state: to state}
    editable: dict[str, frozenset[str]] = dataclasses.field(default_factory=dict)  # state -> fields that may change
    # What a person does from the document's page: door (its route, `POST …/{number}/{door}`; `edit` is the PATCH) ->
    # (the transition it takes, the permission it needs), in the order the page offers them.
    doors: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    # The states a new document may start in.
    starts: frozenset[str] = frozenset({"draft"})

    def actions_for(self, state: str, actor: Permitted) -> list[str]:
        """The doors `actor` may take now: those the state allows (or, for `edit`, has fields to change in) and the
        user's permissions reach. Documents' responses carry them as `actions`, so the app offers exactly these."""
        return [
            door for door, (action, permission) in self.doors.items()
            if actor.can(permission) and (bool(self.editable.get(state)) if action == "edit" else self.allows(state, action))
        ]

    def target(self, number: str, state: str, action: str) -> str:
        """The state `action` leads to from `state`, or a Conflict saying why it cannot be done."""
        to = self.transitions.get(action, {}).get(state)
        if to is None:
            zh_state, en_state = STATE_NAMES.get(state, (state, state))
            zh_action, en_action = ACTION_NAMES.get(action, (action, action))
            raise Conflict(
                f"{self.name_en} {number} is {en_state}; it cannot {en_action} now.",
                f"{self.name_zh} {number} 当前为“{zh_state}”，不能{zh_action}。",
                code="wrong_state",
                state=state,
                action=action,
            )
        return to

    def check(self, number: str, state: str, action: str) -> None:
        """Refuse, saying why, an action the state does not allow, before the work it needs begins; `transition` takes it."""
        self.target(number, state, action)

    def allows(self, state: str, action: str) -> bool:
        return state in self.transitions.get(action, {})

    def require_editable(self, number: str, state: str, fields: Iterable[str]) -> None:
        frozen = sorted(set(fields) - self.editable.get(state, frozenset()))
        if frozen:
            zh_state, en_state = STATE_NAMES.get(state, (state, state))
            raise Conflict(
                f"{self.name_en} {number} is {en_state}: {', '.join(frozen)} can no longer change.",
                f"{self.name_zh} {number} 当前为“{zh_state}”：{', '.join(frozen)} 已不能修改。",
                code="frozen_field",
                state=state,
                fields=frozen,
            )


_PO_TERMS = frozenset({"supplier", "warehouse", "lines", "discount", "expected_date", "note", "currency"})

_REQUISITION_TERMS = frozenset({"lines", "note", "supplier", "needed_by"})

# One raised by hand by someone who may only ask (no `purchase.write`) waits `pending` for the approvers the approval
# rules name, level by level; a purchaser's, the reorder check's, or one no rule asks approval of, is `open` at once.
# Only an open one is ordered. Its quantities change only while pending (an edit there restarts the approval).
REQUISITION = Flow(
    "请购单", "Requisition",
    {
        "sign": {"pending": "pending"},  # one approval level of several given
        "approve": {"pending": "open"},  # the last level given
        "release": {"pending": "open"},  # changed so that no rule asks approval of it any more
        "reject": {"pending": "rejected"},
        "order": {"open": "ordered"},
        "reopen": {"ordered": "open"},  # its purchase order was cancelled: the need is open again
        "cancel": {"open": "cancelled", "pending": "cancelled"},
    },
    {"pending": _REQUISITION_TERMS, "open": _REQUISITION_TERMS - {"lines"}},
    {
        "approve": ("approve", "purchase.approve"), "reject": ("reject", "purchase.approve"),
        "order": ("order", "purchase.write"), "cancel": ("cancel", "purchase.request"),
    },
    starts=frozenset({"pending", "open"}),
)

PURCHASE_ORDER = Flow(
    "采购订单", "Purchase order",
    {
        "submit": {"draft": "pending"},
        "release": {"draft": "approved", "pending": "approved"},  # submitted, or changed, so that no approval rule asks for one
        "sign": {"pending": "pending"},  # one approval level of several given
        "approve": {"pending": "approved"},  # the last level given
        "reject": {"pending": "rejected"},
        "withdraw": {"pending": "draft"},
        "revise": {"rejected": "draft"},
        "receive": {"approved": "partially_received", "partially_received": "partially_received"},
        "complete": {"approved": "received", "partially_received": "received"},
        "close": {"partially_received": "closed", "received": "closed"},
        "cancel": {"draft": "cancelled", "pending": "cancelled", "rejected": "cancelled", "approved": "cancelled"},
    },
    {
        "draft": _PO_TERMS,
        # An edit while approval is pending is allowed: it voids the approvals already given.
        "pending": _PO_TERMS - {"supplier", "warehouse", "currency"},
        "rejected": frozenset({"note"}),
        "approved": frozenset({"expected_date", "note"}),
        "partially_received": frozenset({"expected_date", "note"}),
    },
    {
        "submit": ("submit", "purchase.write"), "approve": ("approve", "purchase.approve"), "reject": ("reject", "purchase.approve"),
        "edit": ("edit", "purchase.write"), "withdraw": ("withdraw", "purchase.write"), "revise": ("revise", "purchase.write"),
        "close": ("close", "purchase.write"), "cancel": ("cancel", "purchase.write"),
    },
)

RECEIPT = Flow(
    "收货单", "Receipt",
    {
        "receive": {"open": "open"},
        "complete": {"open": "inspecting"},
        "inspect": {"inspecting": "inspecting"},
        "put_away": {"inspecting": "putaway", "putaway": "putaway"},
        "close": {"inspecting": "done", "putaway": "done"},
        "cancel": {"open": "cancelled"},
    },
    {"open": frozenset({"note"}), "inspecting": frozenset({"note"})},
    {"complete": ("complete", "purchase.receive"), "inspect": ("inspect", "purchase.receive")},
    starts=frozenset({"open"}),
)

PUTAWAY_TASK = Flow(
    "上架任务", "Put-away task", {"put_away": {"open": "done"}, "cancel": {"open": "cancelled"}}, doors={"confirm": ("put_away", "purchase.receive")},
    starts=frozenset({"open"}),
)

BILL = Flow(
    "供应商发票", "Supplier bill",
    {
        "post": {"draft": "posted", "blocked": "posted"},
        "block": {"draft": "blocked", "blocked": "blocked"},
        "pay": {"posted": "partially_paid", "partially_paid": "partially_paid"},
        "close": {"posted": "paid", "partially_paid": "paid"},
        "cancel": {"draft": "cancelled", "blocked": "cancelled"},
    },
    {
        "draft": frozenset({"lines", "supplier_ref", "bill_date", "due_date", "note", "exchange_rate"}),
        "blocked": frozenset({"lines", "supplier_ref", "bill_date", "due_date", "note", "exchange_rate"}),
        "posted": frozenset({"note"}),
        "partially_paid": frozenset({"note"}),
    },
    {
        "post": ("post", "purchase.bill"), "edit": ("edit", "purchase.bill"), "cancel": ("cancel", "purchase.bill"),
        "record-payment": ("pay", "payments.write"),  # on the payments page
    },
)

# A purchase return is agreed (open), then the goods leave for the supplier (shipped) with a debit note for what was billed.
PURCHASE_RETURN = Flow(
    "采购退货单", "Purchase return",
    {"ship": {"open": "shipped"}, "cancel": {"open": "cancelled"}},
    {"open": frozenset({"note", "supplier_ref"})},
    {"ship": ("ship", "purchase.receive"), "cancel": ("cancel", "purchase.write")},
    starts=frozenset({"open"}),
)

# A transfer order is asked for (draft, then pending), approved level by level as the approval rules ask (or at once
# when none does), shipped into TRANSIT and received at the other end. Its lines change until it is shipped: a change
# while it waits for approval, or once approved, voids the approvals given and it is approved afresh.
TRANSFER = Flow(
    "调拨单", "Transfer order",
    {
        "submit": {"draft": "pending"},
        "release": {"draft": "approved", "pending": "approved"},  # submitted, or changed, so that no approval rule asks for one
        "sign": {"pending": "pending"},  # one approval level of several given
        "approve": {"pending": "approved"},  # the last level given
        "reject": {"pending": "rejected"},
        "revise": {"rejected": "draft"},
        "edit": {"approved": "pending"},  # its lines changed after approval, and the rules ask approval of what it now is
        "ship": {"approved": "shipped"},
        "receive": {"shipped": "received"},
        "cancel": {"draft": "cancelled", "pending": "cancelled", "rejected": "cancelled", "approved": "cancelled"},
    },
    {"draft": frozenset({"note", "needed_by", "lines"}), "pending": frozenset({"note", "lines"}), "approved": frozenset({"note", "lines"})},
    {"submit": ("submit", "transfers.request"), "approve": ("approve", "transfers.approve"), "reject": ("reject", "transfers.approve"),
     "revise": ("revise", "transfers.request"), "ship": ("ship", "stock.move"), "receive": ("receive", "stock.move"),
     "edit": ("edit", "transfers.request"), "cancel": ("cancel", "transfers.request")},
)

QUOTE = Flow(
    "报价单", "Quote",
    {
        "send": {"draft": "sent"},
        "accept": {"draft": "accepted", "sent": "accepted"},
        "expire": {"sent": "expired"},
        "cancel": {"draft": "cancelled", "sent": "cancelled"},
    },
    {"draft": frozenset({"customer", "lines", "discount", "valid_until", "note"}), "sent": frozenset({"note", "valid_until"})},
    {"send": ("send", "sales.write"), "accept": ("accept", "sales.write"), "cancel": ("cancel", "sales.write")},
)

SALES_ORDER = Flow(
    "销售订单", "Sales order",
    {
        "confirm": {"draft": "confirmed"},
        "pick": {"confirmed": "picking", "picking": "picking"},
        "pack": {"picking": "packed", "packed": "packed"},
        "ship": {"packed": "shipped", "picking": "shipped"},
        "invoice": {"shipped": "invoiced"},
        "uninvoice": {"invoiced": "shipped"},  # its draft invoice was cancelled
        "close": {"invoiced": "closed"},
        "cancel": {"draft": "cancelled", "confirmed": "cancelled"},
    },
    {"draft": frozenset({"customer", "warehouse", "lines", "discount", "note", "ship_to", "contract"}), "confirmed": frozenset({"note", "ship_to"})},
    {
        "confirm": ("confirm", "sales.write"), "credit-release": ("confirm", "sales.credit_override"), "edit": ("edit", "sales.write"),
        "invoice": ("invoice", "sales.invoice"), "cancel": ("cancel", "sales.write"),
    },
)

# A sales contract is written (draft), put into force (active: orders may draw it), and ends closed, or cancelled while
# nothing has drawn it.
SALES_CONTRACT = Flow(
    "销售合同", "Sales contract",
    {"activate": {"draft": "active"}, "close": {"active": "closed"}, "cancel": {"draft": "cancelled", "active": "cancelled"}},
    {"draft": frozenset({"customer", "currency", "valid_from", "valid_to", "lines", "note"})},
    {"activate": ("activate", "sales.contracts"), "edit": ("edit", "sales.contracts"), "close": ("close", "sales.contracts"),
     "cancel": ("cancel", "sales.contracts")},
)

INVOICE = Flow(
    "销售发票", "Invoice",
    {
        "post": {"draft": "posted"},
        "pay": {"posted": "partially_paid", "partially_paid": "partially_paid"},
        "close": {"posted": "paid", "partially_paid": "paid"},
        "cancel": {"draft": "cancelled"},
    },
    {"draft": frozenset({"lines", "note", "due_date"}), "posted": frozenset({"note"}), "partially_paid": frozenset({"note"})},
    {"post": ("post", "sales.invoice"), "cancel": ("cancel", "sales.invoice"), "record-payment": ("pay", "payments.write")},
)

RETURN = Flow(
    "退货单", "Return",
    {"receive": {"open": "received"}, "close": {"received": "done"}, "cancel": {"open": "cancelled"}},
    {"open": frozenset({"lines", "note"})},
    # `dispose` (restock or scrap a line, `POST …/lines/{n}/dispose`) is offered once the goods are in, until every line is done.
    {"receive": ("receive", "sales.fulfil"), "dispose": ("close", "sales.fulfil")},
    starts=frozenset({"open"}),
)

# An after-sales service ticket is reported (open), worked on (in progress) and resolved, then closed once the customer is
# content; or cancelled while open. Taking the goods back (`return`), shipping a replacement and refunding are steps
# within open work: each is a new version, the state stays.
SERVICE_TICKET = Flow(
    "售后服务单", "Service ticket",
    {
        "start": {"open": "in_progress"},
        "return": {"open": "open", "in_progress": "in_progress"},
        "replace": {"open": "open", "in_progress": "in_progress"},
        "refund": {"open": "open", "in_progress": "in_progress"},
        "resolve": {"open": "resolved", "in_progress": "resolved"},
        "reopen": {"resolved": "in_progress"},
        "close": {"resolved": "closed"},
        "cancel": {"open": "cancelled", "in_progress": "cancelled"},
    },
    {
        "open": frozenset({"problem", "resolution", "warranty_days", "assigned_to", "note"}),
        "in_progress": frozenset({"resolution", "assigned_to", "note"}),
    },
    {
        "start": ("start", "service.write"), "edit": ("edit", "service.write"), "create-return": ("return", "service.write"),
        "replace": ("replace", "service.write"), "refund": ("refund", "service.write"), "resolve": ("resolve", "service.write"),
        "reopen": ("reopen", "service.write"), "close": ("close", "service.write"), "cancel": ("cancel", "service.write"),
    },
    starts=frozenset({"open"}),
)

# A stocktake stays `counting` while lines are counted, reviewed and sent back for recount; posting ends it.
COUNT = Flow(
    "盘点单", "Stocktake",
    {
        "count": {"counting": "counting"},
        "recount": {"counting": "counting"},
        "post": {"counting": "posted"},
        "cancel": {"counting": "cancelled"},
    },
    {"counting": frozenset({"lines", "note"})},
    {"recount": ("recount", "stock.count_post"), "post": ("post", "stock.count_post"), "cancel": ("cancel", "stock.count_post")},
    starts=frozenset({"counting"}),
)

# A wave is open while any of its pick tasks is; each task done or cancelled moves it on (a new version).
WAVE = Flow("拣货波次", "Pick wave", {"progress": {"open": "open"}, "finish": {"open": "done"}}, starts=frozenset({"open"}))

# A task is picked in full or short, or cancelled when its order ships without it.
PICK_TASK = Flow(
    "拣货任务", "Pick task", {"pick": {"open": "done"}, "short": {"open": "short"}, "cancel": {"open": "cancelled"}},
    doors={"confirm": ("pick", "sales.fulfil")}, starts=frozenset({"open"}),
)

# Each flow by the table its documents are kept in: `transition` finds a document's flow by it.
# A purchase plan (采购计划): the purchaser changes a draft, then converts it into requisitions or discards it.
PURCHASE_PLAN = Flow(
    "采购计划", "Purchase plan",
    {"convert": {"draft": "converted"}, "discard": {"draft": "discarded"}, "edit": {"draft": "draft"}},
    {"draft": frozenset({"lines", "note"})},
    {"edit": ("edit", "purchase.write"), "convert": ("convert", "purchase.write"), "discard": ("discard", "purchase.write")},
)

FLOWS = {
    "requisitions": REQUISITION, "purchase_orders": PURCHASE_ORDER, "receipts": RECEIPT, "putaway_tasks": PUTAWAY_TASK, "bills": BILL,
    "purchase_returns": PURCHASE_RETURN,
    "transfer_orders": TRANSFER,
    "quotes": QUOTE, "sales_orders": SALES_ORDER, "sales_contracts": SALES_CONTRACT, "invoices": INVOICE, "returns": RETURN, "stocktakes": COUNT, "waves": WAVE,
    "pick_tasks": PICK_TASK,
    "service_tickets": SERVICE_TICKET,
    "purchase_plans": PURCHASE_PLAN,
}


def transition(doc: Any, action: str, *, new_version: bool = True) -> str:
    """The one door through which a document's state changes: `action` is checked against the document's flow (a
    Conflict names the document, its state and the action when it is not allowed), the new state is set and the
    document is a new version — unless `new_version` is False because the same business action already made it one.
    Returns the new state."""
    flow = FLOWS[doc.__tablename__]
    doc.status = flow.target(getattr(doc, "number", None) or f"#{doc.id}", doc.status, action)
    if new_version:
        touch(doc)
    return str(doc.status)
