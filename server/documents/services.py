"""Gapless document numbers, version snapshots and what changed between two versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.base import utcnow
from server.dates import local_today
from server.documents.models import DocumentSequence, DocumentVersion
from server.errors import Conflict, NotFound
from server.sorting import sorted_by


def next_number(session: Session, prefix: str, *, on: dt.date | None = None) -> str:
    """The next number for a prefix in the current year: PO-2026-00001, PO-2026-00002, ...

    Taken in the caller's transaction under the sequence row's lock: a document that rolls back
    gives its number back, so numbers have no gaps."""
    year = (on or local_today()).year
    step = (
        update(DocumentSequence)
        .where(DocumentSequence.prefix == prefix, DocumentSequence.year == year)
        .values(last=DocumentSequence.last + 1)
        .returning(DocumentSequence.last)
        .execution_options(synchronize_session=False)
    )
    last = session.scalar(step)
    if last is None:
        try:
            with session.begin_nested():
                session.add(DocumentSequence(prefix=prefix, year=year, last=0))
        except IntegrityError:
            pass  # another transaction created the row first; its lock orders us after it
        last = session.scalar(step)
    return f"{prefix}-{year}-{last:05d}"


_Document = TypeVar("_Document")


def get_document(session: Session, model: type[_Document], number: str, name_en: str, name_zh: str, *, lock: bool = False) -> _Document:
    """A document by its number (locked for update when about to change it), or a 404 naming what was looked for."""
    numbered: Any = model  # every document model has a `number` column; a TypeVar cannot say so
    query = select(model).where(numbered.number == number)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"No {name_en} {number}.", f"没有{name_zh} {number}。", number=number)
    return row


def page(
    session: Session, query: Any, model: Any, limit: int, offset: int, *, sort: str | None = None, fields: Mapping[str, Any] | None = None,
    hidden: Collection[str] = (),
) -> tuple[list[Any], int]:
    """One page of documents, newest first or as `sort` asks (one of `fields`, see `server.sorting`), and how many there are in all."""
    ordered = sorted_by(query, sort, fields or {}, default=(model.id.desc(),), tiebreak=model.id, hidden=hidden)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(ordered.limit(limit).offset(offset))), total


def touch(doc: Any) -> None:
    """Every change to a document is a new version."""
    doc.version += 1
    if hasattr(type(doc), "updated_at"):
        doc.updated_at = utcnow()


def check_signed_version(doc: Any, version: int | None, name_en: str, name_zh: str) -> None:
    """An action taken on an older version of a document is refused, saying so."""
    if version is not None and version != doc.version:
        raise Conflict(
            f"{name_en} {doc.number} was changed by someone else (you had version {version}, it is now {doc.version}); reload and try again.",
            f"{name_zh} {doc.number} 已被他人修改（您的版本 {version}，当前版本 {doc.version}），请刷新后重试。",
            code="stale_version",
            current_version=doc.version,
        )


def save_version(session: Session, actor: Actor, doc_type: str, doc_id: int, version: int, snapshot: dict[str, Any]) -> None:
    session.add(DocumentVersion(doc_type=doc_type, doc_id=doc_id, version=version, snapshot=snapshot, user_id=actor.user_id))
    session.flush()


def snapshot_of(session: Session, doc_type: str, doc_id: int, version: int) -> dict[str, Any] | None:
    return session.scalar(
        select(DocumentVersion.snapshot).where(
            DocumentVersion.doc_type == doc_type, DocumentVersion.doc_id == doc_id, DocumentVersion.version == version
        )
    )


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-by-field differences of two snapshots ({"header": {...}, "lines": {"1": {...}}})."""
    out: list[dict[str, Any]] = []
    for field in sorted(set(before.get("header", {})) | set(after.get("header", {}))):
        old, new = before.get("header", {}).get(field), after.get("header", {}).get(field)
        if old != new:
            out.append({"line": None, "field": field, "before": old, "after": new})
    old_lines, new_lines = before.get("lines", {}), after.get("lines", {})
    for line in sorted(set(old_lines) | set(new_lines), key=lambda k: int(k)):
        old, new = old_lines.get(line), new_lines.get(line)
        if old == new:
            continue
        if old is None or new is None:
            out.append({"line": int(line), "field": "line", "before": old, "after": new})
            continue
        for field in sorted(set(old) | set(new)):
            if old.get(field) != new.get(field):
                out.append({"line": int(line), "field": field, "before": old.get(field), "after": new.get(field)})
    return out


# Bookkeeping a version records that is no change to the document a person decides on.
_BOOKKEEPING = frozenset({"approvals", "status"})
_FIELD_NAMES = {
    "supplier": ("供应商", "supplier"), "customer": ("客户", "customer"), "expected_date": ("预计到货日期", "expected date"),
    "note": ("备注", "note"), "total": ("合计", "total"), "sku": ("商品", "item"), "qty": ("数量", "quantity"),
    "unit_price": ("单价", "price"), "vat_rate": ("税率", "VAT rate"),
}


def describe_changes(changes: list[dict[str, Any]]) -> tuple[str, str]:
    """The changes as short sentences in English and Chinese; bookkeeping (who approved, the status) is left out."""
    en, zh = [], []
    for c in changes:
        if c["field"] in _BOOKKEEPING:
            continue
        if c["field"] == "line":
            what_en = "added" if c["before"] is None else "removed"
            what_zh = "新增" if c["before"] is None else "删除"
            en.append(f"line {c['line']} {what_en}")
            zh.append(f"第 {c['line']} 行{what_zh}")
            continue
        name_zh, name_en = _FIELD_NAMES.get(c["field"], (c["field"], c["field"]))
        before, after = ("—" if value is None or value == "" else value for value in (c["before"], c["after"]))
        if c["line"] is None:
            en.append(f"{name_en} {before} → {after}")
            zh.append(f"{name_zh} {before} → {after}")
        else:
            en.append(f"line {c['line']} {name_en} {before} → {after}")
            zh.append(f"第 {c['line']} 行{name_zh} {before} → {after}")
    return "; ".join(en), "；".join(zh)


def stale_version(
    session: Session, *, doc_type: str, doc_id: int, number: str, name_en: str, name_zh: str, signed: int, current: int,
    current_snapshot: dict[str, Any],
) -> Conflict:
    """The refusal of an action signed on an older version, saying what changed since."""
    before = snapshot_of(session, doc_type, doc_id, signed) or {}
    changes = changes_between(before, current_snapshot) if before else []
    text_en, text_zh = describe_changes(changes)
    return Conflict(
        f"{name_en} {number} changed since version {signed} (it is now version {current}): {text_en or 'see its history'}. "
        "Review it and approve the current version.",
        f"{name_zh} {number} 在版本 {signed} 之后已修改（当前版本 {current}）：{text_zh or '请查看历史'}。请审阅后审批当前版本。",
        code="stale_version",
        signed_version=signed,
        current_version=current,
        changes=changes,
    )
