"""A purchase order's version history as a person reads it: one short sentence per change, in English and Chinese."""

from __future__ import annotations

from typing import Any

from server.documents.flows import STATE_NAMES
from server.documents.services import describe_changes


def _goods(line: dict[str, Any]) -> tuple[str, str]:
    """What a line orders: `PEN × 20 at 2.50` (no price for one who may not see it)."""
    if line.get("unit_price") is None:
        return f"{line.get('sku')} × {line.get('qty')}", f"{line.get('sku')} × {line.get('qty')}"
    return f"{line.get('sku')} × {line.get('qty')} at {line['unit_price']}", f"{line.get('sku')} × {line.get('qty')}，单价 {line['unit_price']}"


def describe_change(change: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> tuple[str, str]:
    """One change between two snapshots as (English, Chinese); the wording of `describe_changes`, with the goods of a
    line added or removed, the item of a changed line, the status and the approvals a person also reads in a history."""
    field, line = change["field"], change["line"]
    if field == "status":
        old, new = (STATE_NAMES.get(s, (s, s)) if s else ("—", "—") for s in (change["before"], change["after"]))
        return f"status {old[1]} → {new[1]}", f"状态 {old[0]} → {new[0]}"
    if field == "approvals":
        signed = [a for a in change["after"] or [] if a not in (change["before"] or [])]
        if signed:
            return (f"approved by {', '.join(a.split(':', 1)[-1] for a in signed)}",
                    f"{'、'.join(a.split(':', 1)[-1] for a in signed)} 审批通过")
        return "approvals given so far void", "已有的审批作废"
    if field == "line":
        en, zh = _goods(change["after"] or change["before"] or {})
        if change["before"] is None:
            return f"line {line} added: {en}", f"新增第 {line} 行：{zh}"
        return f"line {line} removed: {en}", f"删除第 {line} 行：{zh}"
    en, zh = describe_changes([change])
    if line is not None:
        sku = (after.get("lines", {}).get(str(line)) or before.get("lines", {}).get(str(line)) or {}).get("sku")
        if sku and field != "sku":
            en = en.replace(f"line {line} ", f"line {line} ({sku}) ", 1)
            zh = zh.replace(f"第 {line} 行", f"第 {line} 行（{sku}）", 1)
    return en, zh
