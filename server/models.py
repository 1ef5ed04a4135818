"""Imports every domain's models so the metadata (and Alembic) sees all tables."""

from server.audit.models import AuditEntry, IdempotencyKey
from server.auth.models import AuthSession, LoginAttempt, User
from server.base import Base
from server.catalog.models import Barcode, Item, Lot, Serial
from server.finance.models import Account, JournalEntry, JournalLine
from server.inventory.models import Balance, Move, MoveSerial, Reservation, Valuation
from server.locations.models import Location
from server.partners.models import Partner

__all__ = [
    "Account", "AuditEntry", "AuthSession", "JournalEntry", "JournalLine", "Valuation", "Balance", "Barcode", "Base", "IdempotencyKey", "Item",
    "Location", "LoginAttempt", "Lot", "Move", "MoveSerial", "Partner", "Reservation",
    "Serial", "User",
]
