"""`cangku check`: verify the ledger invariants against the database and report each breach."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from server.catalog.models import Item
from server.inventory.models import Balance, Move, Reservation
from server.locations.models import Location
from server.schemas import fmt

log = logging.getLogger("cangku")


@dataclasses.dataclass
class CheckReport:
    problems: list[str] = dataclasses.field(default_factory=list)
    checked: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_ledger(session: Session, *, limit: int = 50, now: dt.datetime | None = None) -> CheckReport:
    """`now`: the time the check takes as the present (how long audit entries have waited to be sealed)."""
    report = CheckReport()
    skus = dict(session.execute(select(Item.id, Item.sku)).all())
    codes = dict(session.execute(select(Location.id, Location.code)).all())
    report.checked["moves"] = session.scalar(select(func.count(Move.id))) or 0
    report.checked["balances"] = session.scalar(select(func.count(Balance.id))) or 0

    # 1. Stock is neither made nor lost: per item, balances over all locations sum to zero.
    for item_id, total in session.execute(select(Balance.item_id, func.sum(Balance.qty)).group_by(Balance.item_id)).all():
        if total != 0:
            report.problems.append(f"[1] item {skus.get(item_id, item_id)}: balances sum to {fmt(total)}, not 0")

    # 2. Each balance equals its moves in minus its moves out.
    legs = union_all(
        select(Move.item_id, Move.to_location_id.label("location_id"), func.coalesce(Move.lot_id, 0).label("lot_key"), Move.qty.label("qty")),
        select(Move.item_id, Move.from_location_id, func.coalesce(Move.lot_id, 0), (-Move.qty).label("qty")),
    ).subquery()
    from_moves: dict[tuple[int, int, int], Decimal] = {}
    for item_id, location_id, lot_key, qty in session.execute(
        select(legs.c.item_id, legs.c.location_id, legs.c.lot_key, func.sum(legs.c.qty)).group_by(legs.c.item_id, legs.c.location_id, legs.c.lot_key)
    ).all():
        from_moves[(item_id, location_id, lot_key)] = qty
    stored = {
        (b.item_id, b.location_id, b.lot_key): b for b in session.scalars(select(Balance))
    }
    for key in set(from_moves) | set(stored):
        expected = from_moves.get(key, Decimal(0))
        balance = stored.get(key)
        actual = balance.qty if balance else Decimal(0)
        if expected != actual:
            item_id, location_id, lot_key = key
            report.problems.append(
                f"[2] {skus.get(item_id, item_id)} at {codes.get(location_id, location_id)} lot {lot_key or '-'}: "
                f"balance {fmt(actual)} but moves say {fmt(expected)}"
            )

    # 3. No internal location below zero, and reserved within what is there.
    for balance in stored.values():
        where = f"{skus.get(balance.item_id)} at {codes.get(balance.location_id)}"
        if balance.internal and balance.qty < 0:
            report.problems.append(f"[3] {where}: negative stock {fmt(balance.qty)} in an internal location")
        if balance.reserved < 0 or (balance.internal and balance.reserved > balance.qty):
            report.problems.append(f"[3] {where}: reserved {fmt(balance.reserved)} outside 0..{fmt(balance.qty)}")

    # Reservations: open reservations add up to each balance's reserved quantity.
    held: dict[tuple[int, int, int], Decimal] = {}
    for r in session.scalars(select(Reservation).where(Reservation.open.is_(True))):
        held[(r.item_id, r.location_id, r.lot_key)] = held.get((r.item_id, r.location_id, r.lot_key), Decimal(0)) + r.qty
    for key, balance in stored.items():
        if held.get(key, Decimal(0)) != balance.reserved:
            report.problems.append(
                f"[3] {skus.get(key[0])} at {codes.get(key[1])}: reserved {fmt(balance.reserved)} but open reservations hold {fmt(held.get(key, Decimal(0)))}"
            )

    # 4. An operation is applied at most once: a move is reversed at most once, and never a reversal.
    doubled = session.execute(
        select(Move.reverses_id, func.count()).where(Move.reverses_id.is_not(None)).group_by(Move.reverses_id).having(func.count() > 1)
    ).all()
    for move_id, count in doubled:
        report.problems.append(f"[4] move {move_id} reversed {count} times")

    _check_op_log(session, report)
    _check_books(session, report, skus)
    _check_audit_chain(session, report, now=now)

    if len(report.problems) > limit:
        extra = len(report.problems) - limit
        report.problems = report.problems[:limit] + [f"... and {extra} more"]
    return report


def _check_op_log(session: Session, report: CheckReport) -> None:
    """4. Each client's operations were applied once each, in seq order: seqs 1..last_seq, each with one stored result."""
    from sync.models import SyncClient, SyncOp

    counts = {
        client_id: (n, low, high)
        for client_id, n, low, high in session.execute(
            select(SyncOp.client_id, func.count(func.distinct(SyncOp.seq)), func.min(SyncOp.seq), func.max(SyncOp.seq)).group_by(SyncOp.client_id)
        ).all()
    }
    report.checked["sync_clients"] = 0
    for client in session.scalars(select(SyncClient)):
        report.checked["sync_clients"] += 1
        n, low, high = counts.get(client.id, (0, None, None))
        if client.last_seq and (n != client.last_seq or low != 1 or high != client.last_seq):
            report.problems.append(f"[4] sync client {client.client_id}: last seq {client.last_seq} but {n} results for seqs {low}..{high}")


def _check_audit_chain(session: Session, report: CheckReport, *, now: dt.datetime | None = None, shown: int = 5) -> None:
    """The audit log is one unbroken hash chain ending at its recorded head: no entry edited, deleted or inserted in the database.
    On PostgreSQL entries committed unsealed are sealed first, so the chain verified holds them; one left unsealed for long
    means no sealer runs."""
    from server.audit.chain import verify_chain
    from server.audit.models import AuditEntry
    from server.audit.sealer import UNSEALED_TOO_LONG
    from server.base import utcnow

    late = session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None), AuditEntry.at < (now or utcnow()) - UNSEALED_TOO_LONG)
    ) or 0
    if late:
        seconds = int(UNSEALED_TOO_LONG.total_seconds())
        entries = "1 audit entry was" if late == 1 else f"{late} audit entries were"
        report.problems.append(
            f"[audit] {entries} written more than {seconds} s ago and {'is' if late == 1 else 'are'} not sealed into the chain: "
            f"is the server's sealer running? / {late} 条审计日志写入已超过 {seconds} 秒仍未封入哈希链：服务器的封链程序是否在运行？"
        )
    _seal_pending(session)
    chain = verify_chain(session)
    report.checked["audit_entries"] = chain.entries
    # The first breaks in chain order (one change to the log can break every entry after it), then how the log ends.
    in_chain = [b for b in chain.breaks if b.kind != "head"]
    for broken in in_chain[:shown]:
        report.problems.append(f"[audit] {broken.en} / {broken.zh}")
    if len(in_chain) > shown:
        more = len(in_chain) - shown
        report.problems.append(f"[audit] ... and {more} more break(s) in the audit chain / 审计链另有 {more} 处断裂")
    report.problems.extend(f"[audit] {b.en} / {b.zh}" for b in chain.breaks if b.kind == "head")


def _seal_pending(session: Session) -> None:
    """Seal what is committed unsealed (PostgreSQL), when the check will see it: not in a snapshot taken before (a backup's,
    which holds those entries unsealed; the database restored from it seals them)."""
    from sqlalchemy.exc import DBAPIError

    from server.audit.chain import AuditChainBroken
    from server.audit.sealer import seal_all

    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.get_isolation_level() != "READ COMMITTED":
        return
    try:
        seal_all(session)
    except AuditChainBroken:
        pass  # the chain head is missing: the walk that follows reports it
    except DBAPIError as exc:  # e.g. a database user that may only read: the sealed chain is verified all the same
        log.warning("cangku check could not seal the audit entries committed unsealed: %s", exc)


def _check_books(session: Session, report: CheckReport, skus: dict[int, str]) -> None:
    """5. Every journal entry balances, and the inventory account equals the stock valuation."""
    from server.finance.services import INVENTORY, account_balance, unbalanced_entries
    from server.inventory.models import Valuation

    for entry_id, debit, credit in unbalanced_entries(session):
        report.problems.append(f"[5] journal entry {entry_id}: debits {fmt(debit)} but credits {fmt(credit)}")
    valuations = {v.item_id: v for v in session.scalars(select(Valuation))}
    report.checked["valuations"] = len(valuations)
    stock_value = sum((v.value for v in valuations.values()), Decimal(0))
    inventory = account_balance(session, INVENTORY)
    if inventory != stock_value:
        report.problems.append(f"[5] inventory account {INVENTORY} holds {fmt(inventory)} but the stock is valued at {fmt(stock_value)}")
    owned: dict[int, Decimal] = {}
    for item_id, qty in session.execute(
        select(Balance.item_id, func.sum(Balance.qty)).where(Balance.internal.is_(True)).group_by(Balance.item_id)
    ).all():
        owned[item_id] = qty
    for item_id in set(owned) | set(valuations):
        valued = valuations[item_id].qty if item_id in valuations else Decimal(0)
        on_hand = owned.get(item_id, Decimal(0))
        if valued != on_hand:
            report.problems.append(f"[5] item {skus.get(item_id, item_id)}: valued quantity {fmt(valued)} but {fmt(on_hand)} on hand")
        if item_id in valuations and valuations[item_id].qty == 0 and valuations[item_id].value != 0:
            report.problems.append(f"[5] item {skus.get(item_id, item_id)}: no stock but a value of {fmt(valuations[item_id].value)}")
