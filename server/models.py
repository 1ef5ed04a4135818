"""Imports every domain's models so the metadata (and Alembic) sees all tables."""

from server.audit.models import AuditEntry, IdempotencyKey
from server.auth.models import AuthSession, Device, LoginAttempt, SignInThrottle, User
from server.base import Base
from server.catalog.models import Barcode, Item, Lot, Serial
from server.counts.models import Stocktake, StocktakeLine, StocktakeLocation
from server.documents.models import Approval, ApprovalRule, DocumentSequence, DocumentVersion
from server.finance.models import Account, JournalEntry, JournalLine, Payment, PaymentAllocation
from server.inventory.models import Balance, Move, MoveSerial, Reservation, TransferLine, TransferOrder, Valuation
from server.jobs.models import JobRun
from server.locations.models import Location
from server.mail.models import DocumentEmail
from server.notifications.models import Notification
from server.outbox.models import Delivery, DispatcherLease, OutboxEvent, Webhook
from server.partners.models import Partner, PartnerContact, PriceList, PriceListItem
from server.printing.models import Printer
from server.purchasing import reorder  # noqa: F401 - registers the reorder check that runs before every commit
from server.purchasing.models import (
    Bill,
    BillLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReturn,
    PurchaseReturnLine,
    PutawayTask,
    Receipt,
    ReceiptLine,
    ReorderRule,
    Requisition,
    RequisitionLine,
)
from server.purchasing.plan_models import PurchasePlan, PurchasePlanLine
from server.sales.models import (
    Invoice,
    InvoiceLine,
    Package,
    PackageLine,
    PickTask,
    Quote,
    QuoteLine,
    Return,
    ReturnLine,
    SalesContract,
    SalesContractLine,
    SalesOrder,
    SalesOrderLine,
    Wave,
)
from server.sales.ticket_models import ServiceTicket, ServiceTicketEntry
from sync.models import Discrepancy, SyncChange, SyncClient, SyncClock, SyncOp

__all__ = [
    "Account", "AuditEntry", "PurchaseReturn", "PurchaseReturnLine", "TransferLine", "TransferOrder", "Stocktake", "StocktakeLine", "StocktakeLocation", "AuthSession", "JournalEntry", "JournalLine", "Valuation", "Balance", "Barcode", "Base", "IdempotencyKey", "Item",
    "DocumentEmail", "Location", "LoginAttempt", "SignInThrottle", "Lot", "Move", "MoveSerial", "Partner", "Reservation",
    "Serial", "User", "JobRun", "Notification", "OutboxEvent", "Webhook", "Delivery", "DispatcherLease",
    "Approval", "ApprovalRule", "DocumentSequence", "DocumentVersion", "Payment", "PaymentAllocation", "PartnerContact", "PriceList",
    "PriceListItem", "Printer", "Bill", "BillLine", "PurchaseOrder", "PurchaseOrderLine", "PutawayTask", "Receipt", "ReceiptLine", "ReorderRule",
    "Requisition", "RequisitionLine", "PurchasePlan", "PurchasePlanLine", "Invoice", "InvoiceLine", "Package", "PackageLine", "PickTask", "Quote", "QuoteLine", "Return",
    "ReturnLine", "SalesContract", "SalesContractLine", "SalesOrder", "SalesOrderLine", "ServiceTicket", "ServiceTicketEntry", "Wave", "SyncChange", "SyncClient", "SyncClock", "SyncOp", "Device", "Discrepancy",
]
