"""Sales job: yesterday's shipments (moves into CUSTOMER) per item, told to sales and the administrators."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from server.auth.permissions import PERMISSIONS, Actor
from server.catalog.models import Item
from server.inventory.models import Move
from server.jobs.registry import Slot, job
from server.locations.models import Location
from server.notifications.services import notify, recipients
from server.schemas import fmt


class _Shipped(TypedDict):
    """One item's shipments of the day."""

    sku: str
    name_zh: str
    name_en: str
    unit: str
    qty: Decimal
    value: Decimal
    moves: int


@job("sales_summary", schedule="daily", at="01:00", title_zh="销售日报", title_en="Daily sales summary")
def sales_summary(session: Session, actor: Actor, slot: Slot) -> dict[str, Any]:
    """Shipments of the local day before the slot: quantity, value at cost and number of moves per item.

    Moves reversed since (a shipment posted by mistake) are left out. Values are costs, so only those
    who may see costs get them; the other recipients get quantities.
    """
    day = slot.day - dt.timedelta(days=1)
    start, end = slot.midnight(day), slot.midnight(slot.day)
    customer = session.scalar(select(Location.id).where(Location.code == "CUSTOMER"))
    reversal = aliased(Move)
    rows = session.execute(
        select(Item.sku, Item.name_zh, Item.name_en, Item.unit, func.sum(Move.qty), func.sum(Move.value), func.count(Move.id))
        .join(Item, Item.id == Move.item_id)
        .where(Move.to_location_id == customer, Move.created_at >= start, Move.created_at < end)
        .where(~select(reversal.id).where(reversal.reverses_id == Move.id).exists())
        .group_by(Item.id, Item.sku, Item.name_zh, Item.name_en, Item.unit)
        .order_by(Item.sku)
    ).all()
    items: list[_Shipped] = [
        {"sku": sku, "name_zh": zh, "name_en": en, "unit": unit, "qty": qty, "value": value or Decimal(0), "moves": moves}
        for sku, zh, en, unit, qty, value, moves in rows
    ]
    moves = sum(i["moves"] for i in items)
    total = sum((i["value"] for i in items), Decimal(0))
    summary: dict[str, Any] = {
        "day": day.isoformat(), "moves": moves, "value": fmt(total),
        "items": [{**i, "qty": fmt(i["qty"]), "value": fmt(i["value"])} for i in items],
    }

    people = recipients(session, roles=["sales", "admin"])
    sees_costs = [u.id for u in people if PERMISSIONS["costs.read"] & set(u.roles or ())]
    others = [u.id for u in people if u.id not in sees_costs]
    if items:
        title_en = f"Shipments on {day}: {moves} move{'s' if moves != 1 else ''}, {len(items)} item{'s' if len(items) != 1 else ''}"
        title_zh = f"{day} 发货：{moves} 笔，{len(items)} 种商品"
    else:
        title_en, title_zh = f"No shipments on {day}", f"{day} 无发货"
    sent = 0
    for ids, with_value in ((sees_costs, True), (others, False)):
        if not ids:
            continue
        lines_en, lines_zh = [], []
        for i in items:
            at_cost_en = f", ¥{fmt(i['value'])} at cost" if with_value else ""
            at_cost_zh = f"，成本 ¥{fmt(i['value'])}" if with_value else ""
            lines_en.append(f"- {i['sku']} {i['name_en'] or i['sku']}: {fmt(i['qty'])} {i['unit']} in {i['moves']} move{'s' if i['moves'] != 1 else ''}{at_cost_en}")
            lines_zh.append(f"- {i['sku']} {i['name_zh'] or i['sku']}：{fmt(i['qty'])} {i['unit']}，{i['moves']} 笔{at_cost_zh}")
        if with_value and items:
            lines_en.append(f"Total at cost: ¥{fmt(total)}")
            lines_zh.append(f"成本合计：¥{fmt(total)}")
        sent += len(notify(
            session, users=ids, kind="sales_summary", ref_type="day", ref_id=day.isoformat(),
            title_en=title_en, title_zh=title_zh, body_en="\n".join(lines_en), body_zh="\n".join(lines_zh),
        ))
    summary["notifications"] = sent
    return summary
