"""Stock jobs: expiry warnings (daily) and stocktake reminders (weekly), each told to the warehouse it concerns."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.catalog.models import Item, Lot
from server.inventory.models import Balance, Move
from server.jobs.registry import Slot, job
from server.locations.models import Location
from server.notifications.services import notify
from server.schemas import fmt


def _warehouses(session: Session, ids: set[int]) -> dict[int, Location]:
    if not ids:
        return {}
    return {w.id: w for w in session.scalars(select(Location).where(Location.id.in_(ids)))}


# Expiry warnings -----------------------------------------------------------------------------------


@job("expiry_warnings", schedule="daily", at="06:00", title_zh="临期预警", title_en="Expiry warnings")
def expiry_warnings(session: Session, actor: Actor, slot: Slot) -> dict[str, Any]:
    """Lots in stock that expired or expire within N days: one notification per warehouse to its warehouse staff and the purchasers."""
    days = slot.settings.expiry_warning_days
    today = slot.day
    rows = session.execute(
        select(Location.warehouse_id, Location.code, Item.sku, Item.name_zh, Item.name_en, Item.unit, Lot.code, Lot.expiry, Balance.qty)
        .join(Lot, Lot.id == Balance.lot_id)
        .join(Item, Item.id == Balance.item_id)
        .join(Location, Location.id == Balance.location_id)
        .where(Balance.internal.is_(True), Balance.qty > 0, Lot.expiry.is_not(None), Lot.expiry <= today + dt.timedelta(days=days))
        .order_by(Location.warehouse_id, Lot.expiry, Item.sku, Lot.code, Location.code)
    ).all()
    # warehouse -> (sku, lot) -> what is there and where
    found: dict[int, dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
    for warehouse_id, bin_code, sku, name_zh, name_en, unit, lot_code, expiry, qty in rows:
        # Balance.internal: a bin inside a warehouse, whose warehouse_id is always set (only virtual locations have none).
        entry = found[cast(int, warehouse_id)].setdefault(
            (sku, lot_code),
            {"sku": sku, "name_zh": name_zh, "name_en": name_en, "unit": unit, "lot": lot_code, "expiry": expiry,
             "qty": Decimal(0), "bins": []},
        )
        entry["qty"] += qty
        entry["bins"].append(bin_code)
    warehouses = _warehouses(session, set(found))
    summary: dict[str, Any] = {"as_of": today.isoformat(), "days": days, "lots": 0, "expired": 0, "notifications": 0, "warehouses": {}}
    for warehouse_id, lots in found.items():
        warehouse = warehouses[warehouse_id]
        expired = sum(1 for lot in lots.values() if lot["expiry"] < today)
        soon = len(lots) - expired
        lines_zh, lines_en = [], []
        for lot in lots.values():
            left = (lot["expiry"] - today).days
            where = ", ".join(lot["bins"])
            head = f"{lot['sku']} {{name}}, lot {lot['lot']}: {fmt(lot['qty'])} {lot['unit']} in {where}"
            if left < 0:
                en, zh = f"expired {lot['expiry']} ({-left} days ago)", f"已于 {lot['expiry']} 过期（{-left} 天前）"
            elif left == 0:
                en, zh = "expires today", "今天到期"
            else:
                en, zh = f"expires {lot['expiry']} (in {left} days)", f"{lot['expiry']} 到期（还有 {left} 天）"
            lines_en.append(f"- {head.format(name=lot['name_en'] or lot['sku'])} — {en}")
            lines_zh.append(f"- {lot['sku']} {lot['name_zh'] or lot['sku']} 批次 {lot['lot']}：{fmt(lot['qty'])} {lot['unit']}（{where.replace(', ', '、')}）— {zh}")
        parts_en = [f"{n} lot{'s' if n != 1 else ''} {what}" for n, what in ((expired, "expired"), (soon, f"expiring within {days} days")) if n]
        parts_zh = [f"{n} 个批次{what}" for n, what in ((expired, "已过期"), (soon, f" {days} 天内到期")) if n]
        sent = notify(
            session, roles=["warehouse", "purchaser"], warehouse_id=warehouse_id, kind="expiry_warning",
            ref_type="warehouse", ref_id=warehouse.code,
            title_en=f"{warehouse.code}: {', '.join(parts_en)}", title_zh=f"{warehouse.code}：{'，'.join(parts_zh)}",
            body_en="\n".join(lines_en), body_zh="\n".join(lines_zh),
        )
        summary["lots"] += len(lots)
        summary["expired"] += expired
        summary["notifications"] += len(sent)
        summary["warehouses"][warehouse.code] = {"lots": len(lots), "expired": expired, "recipients": len(sent)}
    return summary


# Stocktake reminders -------------------------------------------------------------------------------


@job("stocktake_reminders", schedule="weekly", weekday=0, at="07:00", title_zh="盘点提醒", title_en="Stocktake reminders")
def stocktake_reminders(session: Session, actor: Actor, slot: Slot) -> dict[str, Any]:
    """Bins holding stock with no count adjustment (a move to or from ADJUSTMENT) for N days: one notification per
    warehouse to its warehouse staff. A bin never adjusted counts from the first stock it received.

    (A count that found no difference leaves no adjustment move, so such a bin is reminded again; the
    stocktake documents will give a better "last counted" date when they exist.)
    """
    days = slot.settings.stocktake_reminder_days
    cutoff = slot.midnight(slot.day - dt.timedelta(days=days))
    adjustment = session.scalar(select(Location.id).where(Location.code == "ADJUSTMENT"))
    stocked = (
        select(Balance.location_id, func.count(func.distinct(Balance.item_id)).label("item_count"))
        .where(Balance.internal.is_(True), Balance.qty > 0)
        .group_by(Balance.location_id)
        .subquery()
    )
    legs = union_all(
        select(Move.to_location_id.label("location_id"), Move.created_at.label("at")).where(Move.from_location_id == adjustment),
        select(Move.from_location_id.label("location_id"), Move.created_at.label("at")).where(Move.to_location_id == adjustment),
    ).subquery()
    last_counted = dict(
        session.execute(
            select(legs.c.location_id, func.max(legs.c.at)).where(legs.c.location_id.in_(select(stocked.c.location_id))).group_by(legs.c.location_id)
        ).all()
    )
    first_stocked = dict(
        session.execute(
            select(Move.to_location_id, func.min(Move.created_at))
            .where(Move.to_location_id.in_(select(stocked.c.location_id)))
            .group_by(Move.to_location_id)
        ).all()
    )
    bins = session.execute(
        select(Location, stocked.c.item_count).join(stocked, stocked.c.location_id == Location.id).order_by(Location.warehouse_id, Location.code)
    ).all()
    overdue: dict[int, list[tuple[Location, int, dt.datetime | None, dt.datetime | None]]] = defaultdict(list)
    location: Location  # the subquery's columns are untyped: say what each row holds
    items: int
    for location, items in bins:
        counted, since = last_counted.get(location.id), first_stocked.get(location.id)
        reference = counted or since
        if reference is not None and reference >= cutoff:
            continue
        overdue[cast(int, location.warehouse_id)].append((location, items, counted, since))  # a stocked bin sits in a warehouse
    warehouses = _warehouses(session, set(overdue))
    summary: dict[str, Any] = {"as_of": slot.day.isoformat(), "days": days, "bins": 0, "notifications": 0, "warehouses": {}}
    for warehouse_id, entries in overdue.items():
        warehouse = warehouses[warehouse_id]
        lines_zh, lines_en = [], []
        for location, items, counted, since in entries:
            quarantine_en, quarantine_zh = (" (quarantine)", "（待检区）") if location.quarantine else ("", "")
            day: dt.date | None
            if counted is not None:
                day = counted.astimezone(slot.zone).date()
                ago = (slot.day - day).days
                en, zh = f"last count adjustment {day} ({ago} days ago)", f"上次盘点调整 {day}（{ago} 天前）"
            else:
                day = since.astimezone(slot.zone).date() if since else None
                en = f"never counted (stock since {day})" if day else "never counted"
                zh = f"从未盘点（{day} 起有库存）" if day else "从未盘点"
            lines_en.append(f"- {location.code}{quarantine_en}: {items} item{'s' if items != 1 else ''}, {en}")
            lines_zh.append(f"- {location.code}{quarantine_zh}：{items} 种商品，{zh}")
        sent = notify(
            session, roles=["warehouse"], warehouse_id=warehouse_id, kind="stocktake_reminder", ref_type="warehouse", ref_id=warehouse.code,
            title_en=f"{warehouse.code}: {len(entries)} bin{'s' if len(entries) != 1 else ''} not counted for {days} days",
            title_zh=f"{warehouse.code}：{len(entries)} 个库位超过 {days} 天未盘点",
            body_en="\n".join(lines_en), body_zh="\n".join(lines_zh),
        )
        summary["bins"] += len(entries)
        summary["notifications"] += len(sent)
        summary["warehouses"][warehouse.code] = {"bins": [e[0].code for e in entries], "recipients": len(sent)}
    return summary
