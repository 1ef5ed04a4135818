"""Roles and what each may do: least privilege, written down in one table."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from server.errors import Forbidden

ROLES = ("admin", "purchaser", "approver", "director", "warehouse", "sales", "finance", "viewer")

ROLE_NAMES = {
    "admin": ("管理员", "Administrator"),
    "purchaser": ("采购员", "Purchaser"),
    "approver": ("审批人", "Approver"),
    "director": ("总监", "Director"),
    "warehouse": ("仓库员", "Warehouse staff"),
    "sales": ("销售员", "Salesperson"),
    "finance": ("财务", "Finance"),
    "viewer": ("只读用户", "Viewer"),
}

# Every authenticated user may read master data and stock; these are the writes.
PERMISSIONS: dict[str, frozenset[str]] = {
    "catalog.write": frozenset({"admin", "purchaser"}),
    "lots.write": frozenset({"admin", "purchaser", "warehouse"}),
    "locations.write": frozenset({"admin"}),
    "partners.write": frozenset({"admin", "purchaser", "sales", "finance"}),
    # How much a customer may owe: set by those who answer for the receivables, not by the buyers.
    "partners.credit": frozenset({"admin", "sales", "finance"}),
    # Price lists: what customers pay is the sales side's, what suppliers charge the buyers'.
    "pricelists.sales.write": frozenset({"admin", "sales"}),
    "pricelists.purchase.write": frozenset({"admin", "purchaser"}),
    "stock.move": frozenset({"admin", "warehouse"}),
    "stock.reverse": frozenset({"admin", "warehouse"}),
    "transfers.request": frozenset({"admin", "warehouse", "purchaser"}),
    "transfers.approve": frozenset({"admin", "approver", "director"}),
    "stock.reserve": frozenset({"admin", "sales", "warehouse"}),
    # Reviewing and posting a stocktake writes its differences to the books.
    "stock.count_post": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "audit.read": frozenset({"admin", "finance"}),
    "finance.read": frozenset({"admin", "finance", "director"}),
    "costs.read": frozenset({"admin", "finance", "purchaser", "director"}),
    "prices.read": frozenset({"admin", "purchaser", "approver", "director", "sales", "finance"}),
    "purchase.request": frozenset({"admin", "purchaser", "warehouse"}),
    "purchase.write": frozenset({"admin", "purchaser"}),
    "purchase.approve": frozenset({"admin", "approver", "director"}),
    "purchase.receive": frozenset({"admin", "warehouse"}),
    "purchase.bill": frozenset({"admin", "finance"}),
    # Sales forecasts and purchase plans: read by the buyers and those who approve what they buy; changed with purchase.write.
    "purchase.plan": frozenset({"admin", "purchaser", "approver", "director"}),
    # Supplier scorecards: the buyers, those who approve what they buy, and those who receive and pay for it.
    "suppliers.evaluate": frozenset({"admin", "purchaser", "approver", "director", "warehouse", "finance"}),
    "payments.write": frozenset({"admin", "finance"}),
    "finance.rates": frozenset({"admin", "finance"}),
    # Month-end close: finance closes a month; reopening one that was closed is a director's decision.
    "periods.close": frozenset({"admin", "finance"}),
    "periods.reopen": frozenset({"admin", "director"}),
    "sales.write": frozenset({"admin", "sales"}),
    "sales.credit_override": frozenset({"admin", "finance", "director"}),
    "sales.below_cost": frozenset({"admin"}),  # confirm an order that sells below cost
    # Sales contracts (framework agreements orders draw down): written by sales, or by a director as their manager.
    "sales.contracts": frozenset({"admin", "sales", "director"}),
    "sales.fulfil": frozenset({"admin", "warehouse"}),
    "sales.invoice": frozenset({"admin", "finance"}),
    # After-sales service tickets: kept by sales (the warehouse receives what comes back on the return, as any return).
    "service.write": frozenset({"admin", "sales"}),
    "settings.write": frozenset({"admin"}),
    "labels.print": frozenset({"admin", "purchaser", "warehouse", "sales"}),
    "jobs.run": frozenset({"admin"}),
    "integrations.manage": frozenset({"admin"}),  # webhooks: their URLs, secrets and deliveries
    "masterdata.import": frozenset({"admin"}),
    "reports.read": frozenset({"admin", "purchaser", "approver", "director", "warehouse", "sales", "finance", "viewer"}),
}

PERMISSION_NAMES = {
    "catalog.write": ("维护商品", "maintain items"),
    "lots.write": ("维护批次", "maintain lots"),
    "locations.write": ("维护库位", "maintain locations"),
    "partners.write": ("维护往来单位", "maintain partners"),
    "partners.credit": ("设置客户信用额度", "set customers' credit limits"),
    "pricelists.sales.write": ("维护销售价目表", "maintain sales price lists"),
    "pricelists.purchase.write": ("维护采购价目表", "maintain purchase price lists"),
    "stock.move": ("移动库存", "move stock"),
    "stock.reverse": ("冲销库存移动", "reverse stock moves"),
    "transfers.request": ("申请调拨", "ask for transfers between warehouses"),
    "transfers.approve": ("审批调拨", "approve transfers"),
    "stock.reserve": ("预留库存", "reserve stock"),
    "stock.count_post": ("复核并过账盘点", "review and post stocktakes"),
    "users.manage": ("管理用户", "manage users"),
    "audit.read": ("查看审计日志", "read the audit log"),
    "finance.read": ("查看账务", "read the books"),
    "costs.read": ("查看成本", "see costs"),
    "prices.read": ("查看价格", "see prices"),
    "purchase.request": ("提交请购", "request purchases"),
    "purchase.write": ("维护采购订单", "maintain purchase orders"),
    "purchase.approve": ("审批采购订单", "approve purchase orders"),
    "purchase.receive": ("采购收货", "receive goods"),
    "purchase.bill": ("登记供应商发票", "enter supplier bills"),
    "purchase.plan": ("查看销售预测和采购计划", "see sales forecasts and purchase plans"),
    "suppliers.evaluate": ("查看供应商评估", "see supplier scorecards"),
    "payments.write": ("登记收付款", "record payments"),
    "finance.rates": ("维护汇率", "maintain exchange rates"),
    "periods.close": ("月末结账", "close a month"),
    "periods.reopen": ("反结账", "reopen a closed month"),
    "sales.write": ("维护报价和销售订单", "maintain quotes and sales orders"),
    "sales.credit_override": ("超信用额度放行", "override credit limits"),
    "sales.below_cost": ("确认低于成本的销售", "confirm sales below cost"),
    "sales.contracts": ("维护销售合同", "maintain sales contracts"),
    "sales.fulfil": ("拣货、包装和发货", "pick, pack and ship"),
    "sales.invoice": ("开具销售发票", "issue sales invoices"),
    "service.write": ("处理售后服务单", "handle after-sales service tickets"),
    "settings.write": ("修改系统设置", "change settings"),
    "labels.print": ("打印标签", "print labels"),
    "jobs.run": ("运行定时任务", "run scheduled jobs"),
    "integrations.manage": ("管理事件推送", "manage integrations (webhooks)"),
    "masterdata.import": ("导入主数据", "import master data"),
    "reports.read": ("查看报表", "read reports"),
}


def permissions_of(roles: Iterable[str]) -> list[str]:
    """Every permission the roles hold between them, in the order of the table."""
    held = frozenset(roles)
    return [permission for permission, allowed in PERMISSIONS.items() if allowed & held]


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who is acting, from which device: passed to every service function that writes."""

    user_id: int | None
    username: str
    roles: frozenset[str]
    warehouse_ids: frozenset[int] = frozenset()
    device_id: str | None = None
    language: str = "en"
    # The acting session, when it was signed in without naming its device: the first device it syncs as names it,
    # so that revoking that device ends the session too (server/auth/devices.py).
    unnamed_session_id: int | None = None
    # Permissions lent for one action on a document's authority (see `granted`), beyond what the roles allow.
    grants: frozenset[str] = frozenset()

    def can(self, permission: str) -> bool:
        return permission in self.grants or bool(self.roles & PERMISSIONS[permission])

    def granted(self, *permissions: str) -> Actor:
        """The same person acting on a document's authority: only the permissions the document's action implies are lent
        (a salesperson's shipment moves stock, a receipt creates the lots it names), never the whole role that usually
        holds them. Everything they do is still recorded as theirs."""
        unknown = [permission for permission in permissions if permission not in PERMISSIONS]
        if unknown:
            raise ValueError(f"unknown permissions: {unknown}")
        lent = frozenset(permission for permission in permissions if not self.can(permission))
        return dataclasses.replace(self, grants=self.grants | lent) if lent else self

    def require(self, permission: str) -> None:
        if not self.can(permission):
            zh, en = PERMISSION_NAMES[permission]
            raise Forbidden(
                f"Your role does not allow you to {en}.",
                f"您的角色无权{zh}。",
                permission=permission,
            )

    def may_use_warehouse(self, warehouse_id: int | None) -> bool:
        return warehouse_id is None or not self.warehouse_ids or warehouse_id in self.warehouse_ids


SYSTEM = Actor(user_id=None, username="system", roles=frozenset({"admin"}))
