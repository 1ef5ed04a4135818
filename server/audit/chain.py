"""The audit log's hash chain: how an entry is hashed, and the walk that finds where someone broke the chain.

Each entry stores the hash of the one before it (`prev_hash`) and its own `hash`:

    digest = SHA-256(canonical JSON of the content: at, user_id, username, device_id, action, target_type,
                     target_id, details; keys sorted, no whitespace, UTF-8, `at` as UTC ISO 8601 with microseconds)
    hash   = SHA-256("{seq}:{prev_hash}:{digest}")     (hex; the first entry's prev_hash is GENESIS)

`seq` is the entry's place in the chain, 1, 2, 3... without gaps (ids come from a sequence and may skip). SQLite hands
it out at commit, under the database's write lock, so its chain follows commit order. PostgreSQL commits entries
unsealed (seq, prev_hash and hash NULL), and the sealer (sealer.py) links them in just after, in id order of what has
committed by then, under the head's row lock; the chain walk here covers sealed entries. The `audit_chain` row holds the
head: the last seq and hash, updated in the same transaction as the entries it chains, so deleting the newest entries
shows too.

An attacker who can lift the triggers and rewrite the chain and its head from the first changed entry on (deleting
the newest entries and winding the head back is the simplest case) is not caught by this alone: anchors.py writes
the head outside the database, and `cangku check` holds the chain to those anchors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

GENESIS = "0" * 64


class AuditChainBroken(RuntimeError):
    """The chain cannot be extended: its head row is missing while the log has entries (someone deleted it)."""


def utc_text(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_digest(
    at: dt.datetime, user_id: int | None, username: str, device_id: str | None, action: str, target_type: str, target_id: str,
    details: Any,
) -> str:
    """SHA-256 of the entry's content; `details` as decoded from the stored JSON, so writer and checker hash the same value."""
    content = {
        "action": action, "at": utc_text(at), "details": details, "device_id": device_id, "target_id": target_id,
        "target_type": target_type, "user_id": user_id, "username": username,
    }
    return hashlib.sha256(msgspec.json.encode(content, order="sorted")).hexdigest()


def link(seq: int, prev_hash: str, digest: str) -> str:
    """The entry's hash: at commit on SQLite (services.py), by the sealer on PostgreSQL (sealer.py)."""
    return hashlib.sha256(f"{seq}:{prev_hash}:{digest}".encode()).hexdigest()


# Verifying ---------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Break:
    """One place where the chain is broken, said in English and Chinese."""

    kind: str  # changed | missing | inserted | unlinked | head; against anchors (anchors.py): rewound | rewritten | anchor
    en: str
    zh: str


@dataclasses.dataclass
class ChainReport:
    entries: int = 0
    head_seq: int | None = None
    head_hash: str | None = None
    breaks: list[Break] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def _span(first: int, last: int) -> tuple[str, str]:
    """Entries first..last named in English (with its verb) and in Chinese."""
    if first == last:
        return f"entry #{first} is", f"第 {first} 条"
    return f"entries #{first}–#{last} are", f"第 {first}–{last} 条"


class _Row:
    """What the walk needs of an entry, and how to name it so a person can find it."""

    __slots__ = ("id", "seq", "at", "action", "target_type", "target_id", "prev_hash", "hash", "digest")

    def __init__(self, row: Any) -> None:
        (self.id, self.seq, self.at, user_id, username, device_id, self.action, self.target_type, self.target_id, details,
         self.prev_hash, self.hash) = row
        self.digest = content_digest(self.at, user_id, username, device_id, self.action, self.target_type, self.target_id, details)

    @property
    def en(self) -> str:
        return f"audit entry #{self.seq} (id {self.id}, {self.at:%Y-%m-%d %H:%M:%S} UTC, {self.action} {self.target_type} {self.target_id})"

    @property
    def zh(self) -> str:
        return f"审计日志第 {self.seq} 条（id {self.id}，{self.at:%Y-%m-%d %H:%M:%S} UTC，{self.action} {self.target_type} {self.target_id}）"


def walk(rows: Iterable[Any]) -> tuple[int, int, str, list[Break]]:
    """Follow entries in seq order from the genesis value: (entries, last seq, last hash, breaks in the order met).

    After a break the walk goes on from what is stored, so each independent change is reported once.
    """
    expected, prev, count, breaks = 1, GENESIS, 0, []
    for raw in rows:
        count += 1
        row = _Row(raw)
        if row.seq < expected:
            breaks.append(Break(
                "inserted",
                f"{row.en} takes place #{row.seq}, which comes earlier in the chain: it was inserted outside the application",
                f"{row.zh} 占用了链中靠前的第 {row.seq} 条位置：该条目是在应用之外插入的",
            ))
            continue  # the chain goes on from the entry before it
        if row.seq > expected:
            en, zh = _span(expected, row.seq - 1)
            breaks.append(Break(
                "missing",
                f"audit {en} missing (deleted) before {row.en}",
                f"审计日志{zh}缺失（已被删除），位于{row.zh}之前",
            ))
        elif row.prev_hash != prev:
            before_en = "does not start the chain" if row.seq == 1 else f"does not follow entry #{row.seq - 1}"
            before_zh = "不是链的起点" if row.seq == 1 else f"与第 {row.seq - 1} 条接不上"
            breaks.append(Break(
                "unlinked",
                f"{row.en} {before_en}: an entry was replaced or inserted there, or the one before was changed and re-hashed",
                f"{row.zh}{before_zh}：此处有条目被替换或插入，或前一条被改动后重算了哈希",
            ))
        if link(row.seq, row.prev_hash, row.digest) != row.hash:
            breaks.append(Break(
                "changed",
                f"{row.en} was changed after it was written: its content or its place no longer matches its hash",
                f"{row.zh}写入后被改动：内容或位置与其哈希不符",
            ))
        prev, expected = row.hash, row.seq + 1
    return count, expected - 1, prev, breaks


def _head(session: Session) -> tuple[int, str] | None:
    from server.audit.models import AuditChainHead

    row = session.execute(select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == 1)).first()
    return (row[0], row[1]) if row else None


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Walk the sealed log in chain order (streamed) and compare where it ends with the recorded chain head. Entries not
    sealed yet (PostgreSQL, for a moment after their commit) are not in the chain yet: `cangku check` seals them first.

    Race-free under concurrent writers and sealers without a snapshot across statements: the head and the entries it
    chains commit together, so every entry up to a head read first is visible to the walk that follows; entries beyond
    it are judged against the head read again afterwards.
    """
    from server.audit.models import AuditEntry as E

    report = ChainReport()
    head = _head(session)
    query = (
        select(E.id, E.seq, E.at, E.user_id, E.username, E.device_id, E.action, E.target_type, E.target_id, E.details, E.prev_hash, E.hash)
        .where(E.seq.is_not(None))
        .order_by(E.seq, E.id)
        .execution_options(yield_per=batch)
    )
    report.entries, last_seq, last_hash, report.breaks = walk(session.execute(query))
    if head is not None and last_seq > head[0]:
        head = _head(session) or head  # writers may have committed since: judge the tail against the head as it is now
    if head is None:
        if report.entries:
            report.breaks.append(Break(
                "head", "the audit chain head is missing (its row in audit_chain was deleted)", "审计链头记录缺失（audit_chain 中的行被删除）",
            ))
        return report
    report.head_seq, report.head_hash = head
    head_seq, head_hash = head
    if last_seq < head_seq:
        en, zh = _span(last_seq + 1, head_seq)
        report.breaks.append(Break(
            "head",
            f"the audit log ends at entry #{last_seq} but the chain head records #{head_seq}: audit {en} missing (deleted from the end)",
            f"审计日志止于第 {last_seq} 条，但链头记录为第 {head_seq} 条：最后的{zh}已被删除",
        ))
    elif last_seq > head_seq:
        extra = last_seq - head_seq
        report.breaks.append(Break(
            "head",
            f"the audit log runs to entry #{last_seq}, past the chain head #{head_seq}: "
            f"{'an entry was' if extra == 1 else f'{extra} entries were'} added outside the application",
            f"审计日志延续到第 {last_seq} 条，超出链头（第 {head_seq} 条）：有 {extra} 条是在应用之外添加的",
        ))
    elif last_hash != head_hash:
        report.breaks.append(Break(
            "head",
            f"the last audit entry #{last_seq} does not match the chain head: it was changed or replaced",
            f"审计日志最后一条（第 {last_seq} 条）与链头不符：已被改动或替换",
        ))
    return report
