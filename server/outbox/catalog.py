"""The events Cangku publishes: every audited business action, under a public name.

A business action records one audit entry (`server.audit.services.record(session, actor, action, target_type, id)`); the
outbox turns the entries of the actions named here into events, in the same transaction. The event's type is its
topic and what happened to it (`po.approve` on a "po" → `purchase_order.approved`), its aggregate what it is about
(the document number, the item's SKU): an aggregate's events are delivered in the order they happened.

Sign-ins, users, devices, printers and jobs are not business events: they are not published (PRIVATE).
"""

from __future__ import annotations

import dataclasses
import fnmatch


@dataclasses.dataclass(frozen=True)
class Topic:
    """What events are about, by the audit's target type: its public name, a person's name for it, where the API has one."""

    name: str
    zh: str
    en: str
    path: str | None = None  # the API path of one, "{id}" the aggregate id


TOPICS: dict[str, Topic] = {
    "requisition": Topic("requisition", "请购单", "Requisition", "/api/v1/requisitions/{id}"),
    "purchase_plan": Topic("purchase_plan", "采购计划", "Purchase plan", "/api/v1/purchase-plans/{id}"),
    "po": Topic("purchase_order", "采购订单", "Purchase order", "/api/v1/purchase-orders/{id}"),
    "receipt": Topic("receipt", "收货单", "Goods receipt", "/api/v1/receipts/{id}"),
    "putaway_task": Topic("putaway_task", "上架任务", "Put-away task", "/api/v1/putaway-tasks/{id}"),
    "bill": Topic("bill", "采购发票", "Supplier bill", "/api/v1/bills/{id}"),
    "purchase_return": Topic("purchase_return", "采购退货单", "Purchase return", "/api/v1/purchase-returns/{id}"),
    "quote": Topic("quote", "报价单", "Quote", "/api/v1/quotes/{id}"),
    "sales_contract": Topic("sales_contract", "销售合同", "Sales contract", "/api/v1/sales-contracts/{id}"),
    "service_ticket": Topic("service_ticket", "售后服务单", "Service ticket", "/api/v1/service-tickets/{id}"),
    "so": Topic("sales_order", "销售订单", "Sales order", "/api/v1/sales-orders/{id}"),
    "wave": Topic("wave", "拣货波次", "Picking wave", "/api/v1/waves/{id}"),
    "pick_task": Topic("pick_task", "拣货任务", "Pick task", "/api/v1/pick-tasks/{id}"),
    "invoice": Topic("invoice", "销售发票", "Invoice", "/api/v1/invoices/{id}"),
    "return": Topic("sales_return", "销售退货单", "Sales return", "/api/v1/returns/{id}"),
    "payment": Topic("payment", "收付款", "Payment", "/api/v1/payments/{id}"),
    "transfer": Topic("transfer_order", "调拨单", "Transfer order", "/api/v1/transfers/{id}"),
    "stocktake": Topic("stocktake", "盘点单", "Stocktake", "/api/v1/counts/{id}"),
    "move": Topic("stock", "库存", "Stock"),
    "reservation": Topic("reservation", "库存预留", "Stock reservation"),
    "stock": Topic("stock", "库存", "Stock"),
    "item": Topic("item", "商品", "Item", "/api/v1/items/{id}"),
    "lot": Topic("lot", "批次", "Lot"),
    "category": Topic("category", "商品分类", "Category"),
    "location": Topic("location", "库位", "Location", "/api/v1/locations/{id}"),
    "partner": Topic("partner", "往来单位", "Partner", "/api/v1/partners/{id}"),
    "price_list": Topic("price_list", "价目表", "Price list"),
    "reorder_rule": Topic("reorder_rule", "再订货规则", "Reorder rule"),
    "exchange_rate": Topic("exchange_rate", "汇率", "Exchange rate"),
    "period": Topic("period", "会计期间", "Accounting period"),
}


@dataclasses.dataclass(frozen=True)
class EventType:
    type: str  # "sales_order.confirmed"
    topic: str  # the audit target type it is recorded on
    zh: str
    en: str


def _events(*rows: tuple[str, str, str, str, str]) -> dict[str, EventType]:
    return {action: EventType(type, topic, zh, en) for action, topic, type, zh, en in rows}


# Audited action -> the event it publishes. Ordered as a reader of the catalog meets them: purchasing, stock, sales, money,
# master data.
EVENTS: dict[str, EventType] = _events(
    ("requisition.create", "requisition", "requisition.created", "请购单已创建", "A requisition was raised"),
    ("requisition.update", "requisition", "requisition.updated", "请购单已修改", "A requisition was changed"),
    ("requisition.order", "requisition", "requisition.ordered", "请购单已转采购订单", "A requisition was turned into purchase orders"),
    ("requisition.cancel", "requisition", "requisition.cancelled", "请购单已取消", "A requisition was cancelled"),
    ("requisition.reopen", "requisition", "requisition.reopened", "请购单已重新打开", "A requisition was reopened"),
    ("requisition.submit", "requisition", "requisition.submitted", "请购单已提交审批", "A requisition was submitted for approval"),
    ("requisition.approve", "requisition", "requisition.approved", "请购单已审批通过", "A requisition was approved"),
    ("requisition.reject", "requisition", "requisition.rejected", "请购单已驳回", "A requisition was rejected"),
    ("purchase_plan.create", "purchase_plan", "purchase_plan.created", "采购计划已生成", "A purchase plan was made"),
    ("purchase_plan.update", "purchase_plan", "purchase_plan.updated", "采购计划已修改", "A purchase plan's lines were changed"),
    ("purchase_plan.convert", "purchase_plan", "purchase_plan.converted", "采购计划已转为请购单", "A purchase plan was converted into requisitions"),
    ("purchase_plan.discard", "purchase_plan", "purchase_plan.discarded", "采购计划已作废", "A purchase plan was discarded"),
    ("po.create", "po", "purchase_order.created", "采购订单已创建", "A purchase order was created"),
    ("po.update", "po", "purchase_order.updated", "采购订单已修改", "A purchase order was changed"),
    ("po.submit", "po", "purchase_order.submitted", "采购订单已提交审批", "A purchase order was submitted for approval"),
    ("po.approve", "po", "purchase_order.approved", "采购订单已审批通过", "A purchase order was approved"),
    ("po.reject", "po", "purchase_order.rejected", "采购订单已驳回", "A purchase order was rejected"),
    ("po.withdraw", "po", "purchase_order.withdrawn", "采购订单已撤回", "A purchase order was withdrawn from approval"),
    ("po.sign", "po", "purchase_order.signed", "采购订单已通过一级审批", "A purchase order passed one level of approval"),
    ("po.release", "po", "purchase_order.released", "采购订单已免审批下达", "A purchase order was released without approval"),
    ("po.close", "po", "purchase_order.closed", "采购订单已关闭", "A purchase order was closed"),
    ("po.cancel", "po", "purchase_order.cancelled", "采购订单已取消", "A purchase order was cancelled"),
    ("receipt.create", "receipt", "receipt.created", "收货单已创建", "A goods receipt was started"),
    ("receipt.line", "receipt", "receipt.goods_received", "已收货", "Goods were received"),
    ("receipt.inspect", "receipt", "receipt.inspected", "收货已质检", "Received goods were inspected"),
    ("receipt.complete", "receipt", "receipt.completed", "收货已完成", "A goods receipt was completed"),
    ("putaway.confirm", "putaway_task", "putaway_task.confirmed", "上架已确认", "Goods were put away"),
    ("bill.create", "bill", "bill.created", "采购发票已录入", "A supplier bill was entered"),
    ("bill.update", "bill", "bill.updated", "采购发票已修改", "A supplier bill was changed"),
    ("bill.post", "bill", "bill.posted", "采购发票已过账", "A supplier bill was posted"),
    ("bill.block", "bill", "bill.blocked", "采购发票已冻结", "A supplier bill was blocked by the three-way match"),
    ("bill.cancel", "bill", "bill.cancelled", "采购发票已取消", "A supplier bill was cancelled"),
    ("bill.debit_note", "bill", "bill.debit_note_issued", "已开具红字发票（采购）", "A debit note was issued"),
    ("bill.apply", "bill", "bill.applied", "红字发票已核销", "A debit note was applied to a bill"),
    ("bill.opening", "bill", "bill.opening_entered", "已登记期初应付", "An opening payable was entered"),
    ("purchase_return.create", "purchase_return", "purchase_return.created", "采购退货单已创建", "A purchase return was created"),
    ("purchase_return.update", "purchase_return", "purchase_return.updated", "采购退货单已修改", "A purchase return was changed"),
    ("purchase_return.ship", "purchase_return", "purchase_return.shipped", "采购退货已发出", "Goods were returned to the supplier"),
    ("purchase_return.cancel", "purchase_return", "purchase_return.cancelled", "采购退货单已取消", "A purchase return was cancelled"),
    ("stock.move", "move", "stock.moved", "库存已移动", "Stock moved (received, shipped, transferred or counted)"),
    ("stock.below_reorder_point", "stock", "stock.below_reorder_point", "库存低于再订货点", "Stock fell below its reorder point"),
    ("stock.reserve", "reservation", "stock.reserved", "库存已预留", "Stock was reserved"),
    ("stock.release", "reservation", "stock.released", "库存预留已释放", "A stock reservation was released"),
    ("transfer.create", "transfer", "transfer_order.created", "调拨单已创建", "A transfer order was created"),
    ("transfer.update", "transfer", "transfer_order.updated", "调拨单已修改", "A transfer order was changed"),
    ("transfer.submit", "transfer", "transfer_order.submitted", "调拨单已提交审批", "A transfer order was submitted for approval"),
    ("transfer.approve", "transfer", "transfer_order.approved", "调拨单已审批通过", "A transfer order was approved"),
    ("transfer.reject", "transfer", "transfer_order.rejected", "调拨单已驳回", "A transfer order was rejected"),
    ("transfer.ship", "transfer", "transfer_order.shipped", "调拨已发出", "A transfer was shipped"),
    ("transfer.receive", "transfer", "transfer_order.received", "调拨已收货", "A transfer was received"),
    ("transfer.cancel", "transfer", "transfer_order.cancelled", "调拨单已取消", "A transfer order was cancelled"),
    ("count.start", "stocktake", "stocktake.started", "盘点已开始", "A stocktake was started"),
    ("count.record", "stocktake", "stocktake.counted", "已录入盘点数", "Counts were entered"),
    ("count.recount", "stocktake", "stocktake.recount_requested", "已要求复盘", "A recount was asked for"),
    ("count.post", "stocktake", "stocktake.posted", "盘点已过账", "A stocktake was posted"),
    ("count.cancel", "stocktake", "stocktake.cancelled", "盘点已取消", "A stocktake was cancelled"),
    ("quote.create", "quote", "quote.created", "报价单已创建", "A quote was created"),
    ("quote.send", "quote", "quote.sent", "报价单已发送", "A quote was sent"),
    ("quote.accept", "quote", "quote.accepted", "报价单已接受", "A quote was accepted"),
    ("quote.cancel", "quote", "quote.cancelled", "报价单已取消", "A quote was cancelled"),
    ("sales_contract.create", "sales_contract", "sales_contract.created", "销售合同已创建", "A sales contract was created"),
    ("sales_contract.update", "sales_contract", "sales_contract.updated", "销售合同已修改", "A sales contract was changed"),
    ("sales_contract.activate", "sales_contract", "sales_contract.activated", "销售合同已生效", "A sales contract took effect"),
    ("sales_contract.close", "sales_contract", "sales_contract.closed", "销售合同已关闭", "A sales contract was closed"),
    ("sales_contract.cancel", "sales_contract", "sales_contract.cancelled", "销售合同已取消", "A sales contract was cancelled"),
    ("service_ticket.create", "service_ticket", "service_ticket.created", "售后服务单已创建", "An after-sales service ticket was opened"),
    ("service_ticket.update", "service_ticket", "service_ticket.updated", "售后服务单已修改", "A service ticket was changed"),
    ("service_ticket.start", "service_ticket", "service_ticket.started", "售后服务单已开始处理", "Work on a service ticket started"),
    ("service_ticket.return", "service_ticket", "service_ticket.return_created", "售后服务单已办理退货", "A service ticket's goods are coming back on a return"),
    ("service_ticket.replace", "service_ticket", "service_ticket.replacement_ordered", "售后服务单已下换货订单", "A replacement was ordered for a service ticket"),
    ("service_ticket.refund", "service_ticket", "service_ticket.refunded", "售后服务单已退款", "A service ticket was refunded"),
    ("service_ticket.resolve", "service_ticket", "service_ticket.resolved", "售后服务单已解决", "A service ticket was resolved"),
    ("service_ticket.reopen", "service_ticket", "service_ticket.reopened", "售后服务单已重新打开", "A service ticket was reopened"),
    ("service_ticket.close", "service_ticket", "service_ticket.closed", "售后服务单已关闭", "A service ticket was closed"),
    ("service_ticket.cancel", "service_ticket", "service_ticket.cancelled", "售后服务单已取消", "A service ticket was cancelled"),
    ("service_ticket.note", "service_ticket", "service_ticket.noted", "售后服务单已添加备注", "A note was added to a service ticket"),
    ("so.create", "so", "sales_order.created", "销售订单已创建", "A sales order was created"),
    ("so.update", "so", "sales_order.updated", "销售订单已修改", "A sales order was changed"),
    ("so.shop_order", "so", "sales_order.from_shop", "电商订单已接收", "An online shop's order was taken"),
    ("so.confirm", "so", "sales_order.confirmed", "销售订单已确认", "A sales order was confirmed"),
    ("so.credit_override", "so", "sales_order.credit_released", "销售订单已超信用额度放行", "A sales order was released over the credit limit"),
    ("so.pack", "so", "sales_order.packed", "销售订单已包装", "A sales order was packed"),
    ("so.ship", "so", "sales_order.shipped", "销售订单已发货", "A sales order was shipped"),
    ("so.backorder", "so", "sales_order.backordered", "销售订单剩余已转欠货单", "The rest of a sales order was back-ordered"),
    ("so.cancel_rest", "so", "sales_order.rest_cancelled", "销售订单未发部分已取消", "What was not shipped of a sales order was cancelled"),
    ("so.cancel", "so", "sales_order.cancelled", "销售订单已取消", "A sales order was cancelled"),
    ("wave.create", "wave", "wave.created", "拣货波次已创建", "A picking wave was created"),
    ("pick.confirm", "pick_task", "pick_task.confirmed", "拣货已确认", "Goods were picked"),
    ("invoice.create", "invoice", "invoice.created", "销售发票已开具", "An invoice was created"),
    ("invoice.post", "invoice", "invoice.posted", "销售发票已过账", "An invoice was posted"),
    ("invoice.cancel", "invoice", "invoice.cancelled", "销售发票已取消", "An invoice was cancelled"),
    ("invoice.credit_note", "invoice", "invoice.credit_note_issued", "已开具红字发票（销售）", "A credit note was issued"),
    ("invoice.apply", "invoice", "invoice.applied", "红字发票已核销", "A credit note was applied to an invoice"),
    ("invoice.opening", "invoice", "invoice.opening_entered", "已登记期初应收", "An opening receivable was entered"),
    ("return.create", "return", "sales_return.created", "销售退货单已创建", "A customer return was registered"),
    ("return.receive", "return", "sales_return.received", "退货已收货", "Returned goods were received"),
    ("return.dispose", "return", "sales_return.disposed", "退货已处置", "Returned goods were restocked or scrapped"),
    ("payment.record", "payment", "payment.recorded", "收付款已登记", "A payment was recorded"),
    ("payment.allocate", "payment", "payment.allocated", "收付款已核销", "A payment was allocated to documents"),
    ("period.close", "period", "period.closed", "会计期间已结账", "An accounting period was closed"),
    ("period.reopen", "period", "period.reopened", "会计期间已反结账", "An accounting period was reopened"),
    ("exchange_rate.set", "exchange_rate", "exchange_rate.set", "汇率已设置", "An exchange rate was set"),
    ("item.create", "item", "item.created", "商品已创建", "An item was created"),
    ("item.update", "item", "item.updated", "商品已修改", "An item was changed"),
    ("lot.create", "lot", "lot.created", "批次已创建", "A lot was created"),
    ("lot.update", "lot", "lot.updated", "批次已修改", "A lot was changed"),
    ("category.create", "category", "category.created", "商品分类已创建", "A category was created"),
    ("category.update", "category", "category.updated", "商品分类已修改", "A category was changed"),
    ("location.create", "location", "location.created", "库位已创建", "A location was created"),
    ("location.update", "location", "location.updated", "库位已修改", "A location was changed"),
    ("partner.create", "partner", "partner.created", "往来单位已创建", "A customer or supplier was created"),
    ("partner.update", "partner", "partner.updated", "往来单位已修改", "A customer or supplier was changed"),
    ("price_list.create", "price_list", "price_list.created", "价目表已创建", "A price list was created"),
    ("price_list.prices", "price_list", "price_list.prices_changed", "价目表价格已修改", "Prices on a price list were changed"),
    ("reorder_rule.set", "reorder_rule", "reorder_rule.set", "再订货规则已设置", "A reorder rule was set"),
)

# A message an administrator sends to a webhook to see that it answers; it never goes to the broker.
PING = EventType("ping", "", "测试消息", "A test message")

# Audited actions that are not business events, and are never published.
PRIVATE_PREFIXES = ("auth.", "user.", "device.", "printer.", "labels.", "job.", "approval_rules.", "document.", "webhook.", "import.")

TYPES: dict[str, EventType] = {event.type: event for event in EVENTS.values()}


def is_private(action: str) -> bool:
    return action.startswith(PRIVATE_PREFIXES)


def pattern_error(pattern: str) -> str | None:
    """Why a subscription pattern matches no event type ("*", "sales_order.*" or an exact type), None if it is good."""
    if pattern == "*":
        return None
    if pattern.endswith(".*"):
        prefix = pattern[:-1]
        return None if any(name.startswith(prefix) for name in TYPES) else f"no event type starts with {prefix!r}"
    return None if pattern in TYPES else f"{pattern!r} is not an event type"


def wanted(patterns: list[str], event_type: str) -> bool:
    """Whether a webhook subscribed to `patterns` receives events of `event_type` (a ping reaches every webhook)."""
    return event_type == PING.type or any(fnmatch.fnmatchcase(event_type, pattern) for pattern in patterns)
