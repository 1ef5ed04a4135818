"""Anchors: the audit chain's head written outside the database, so a chain cut short and its head wound back is found.

The hash chain (chain.py) finds an entry edited, deleted or inserted, but someone able to drop the append-only
triggers can delete the newest entries and set the head back to the last one left: the shorter chain is whole.
So every backup, every restore and an hourly job append the head to a file, one JSON line each:

    {"time": "2026-12-02T08:00:00.123456Z", "seq": 1234, "hash": "<64 hex>", "source": "schedule"}

source: "schedule" (the hourly job), "backup" (with "backup": the file written) or "restore" (with "backup": the file
restored). `cangku check` then requires every anchor's entry in the log with the anchored hash. A restore puts the
database back to an earlier head legitimately: its line marks that the chain now stands at its seq, so anchors written
before it beyond that seq (the history the restore took away) are set aside; those at or below it must still match,
since a backup holds the same chain up to its head.

The file is only as safe as the place it is kept: it must be out of reach of whoever could rewrite the database
(another machine's log, an append-only mount); the job also logs each anchor, for the log collector to keep.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Connection, inspect, select
from sqlalchemy.orm import Session

from server.audit.chain import GENESIS, Break, utc_text
from server.settings import Settings

log = logging.getLogger("cangku.audit")

SOURCES = ("schedule", "backup", "restore")
_HASH = re.compile(r"^[0-9a-f]{64}$")
_BATCH = 500


def anchor_file(settings: Settings) -> Path:
    return settings.audit_anchor_file or settings.data_dir / "audit-anchors.log"


def chain_head(connection: Connection) -> tuple[int, str] | None:
    """The head to anchor: the recorded chain head; with that row gone, the last sealed entry; (0, GENESIS) for an empty
    chain. None for a schema older than the chain."""
    from server.audit.models import AuditChainHead, AuditEntry

    if not inspect(connection).has_table(AuditChainHead.__tablename__):
        return None
    head = connection.execute(select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == 1)).first()
    if head is not None:
        return head[0], head[1]
    last = connection.execute(
        select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.is_not(None)).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (last[0], last[1]) if last is not None and last[0] is not None and last[1] is not None else (0, GENESIS)


@dataclasses.dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    time: str
    source: str
    backup: str | None = None
    line: int = 0  # its line in the file, once read back

    def encode(self) -> bytes:
        fields: dict[str, Any] = {"time": self.time, "seq": self.seq, "hash": self.hash, "source": self.source}
        if self.backup is not None:
            fields["backup"] = self.backup
        return msgspec.json.encode(fields) + b"\n"

    def named(self, path: Path) -> tuple[str, str]:
        """How a person finds this anchor: its line, when and by what it was written (English, Chinese)."""
        by_en, by_zh = {
            "schedule": ("by the hourly job", "由每小时的定时任务写入"),
            "backup": (f"by the backup {self.backup}", f"由备份 {self.backup} 写入"),
            "restore": (f"by the restore of {self.backup}", f"由恢复 {self.backup} 时写入"),
        }.get(self.source, (f"by {self.source}", f"由 {self.source} 写入"))
        return (f"the anchor on line {self.line} of {path} (written {self.time} {by_en})",
                f"锚点文件 {path} 第 {self.line} 行的锚点（{self.time} {by_zh}）")


# Writing -------------------------------------------------------------------------------------------------------------


def append_anchor(path: Path, seq: int, hash_: str, source: str, *, backup: Path | None = None, at: dt.datetime | None = None) -> Anchor:
    """Append one anchor line to `path` (created with its folder if need be) and make it durable before returning.

    One write() of one short line to a file opened O_APPEND, so lines written at once by a backup and the job do not
    mix; a line left torn by a crash is ended first, so it costs that line alone."""
    anchor = Anchor(seq=seq, hash=hash_, time=utc_text(at or dt.datetime.now(dt.UTC)), source=source,
                    backup=str(backup.resolve()) if backup is not None else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        data = anchor.encode()
        if not created and os.fstat(descriptor).st_size and not _ends_with_newline(path):
            data = b"\n" + data
        while data:
            data = data[os.write(descriptor, data):]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if created:
        sync_directory(path.parent)
    log.info("audit anchor: seq %s hash %s (%s) written to %s", seq, hash_, source, path)
    return anchor


def anchor_head(connection: Connection, settings: Settings, source: str) -> Anchor | None:
    """Anchor the head `connection` sees in the settings' anchor file, once what was committed unsealed is sealed
    (PostgreSQL: the anchor then holds every entry committed before it); None for a schema older than the chain."""
    if connection.dialect.name == "postgresql" and inspect(connection).has_table("audit_chain"):
        from server.audit.sealer import seal_all

        seal_all(connection)
    head = chain_head(connection)
    if head is None:
        return None
    return append_anchor(anchor_file(settings), head[0], head[1], source)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"


def sync_directory(folder: Path) -> None:
    """Make a file created or renamed in `folder` durable (its directory entry too)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# Reading and verifying -----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class AnchorReport:
    path: Path
    anchors: int = 0  # lines read
    checked: int = 0  # anchors compared with the log
    set_aside: int = 0  # written before a restore, beyond the seq it restored
    breaks: list[Break] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    def summary(self) -> str:
        en = f"audit anchors: {self.checked} of {self.anchors} checked against {self.path}"
        zh = f"审计锚点：{self.path} 中共 {self.anchors} 个，已核对 {self.checked} 个"
        if self.set_aside:
            en += f" ({self.set_aside} written before a restore, beyond what it restored: set aside)"
            zh += f"（{self.set_aside} 个写于恢复之前且超出恢复点：不再适用）"
        return f"{en} / {zh}"


def read_anchors(path: Path) -> tuple[list[Anchor], list[Break]]:
    """Every anchor in the file in order, and a break for each line that is not one (the file was damaged or edited)."""
    anchors, breaks = [], []
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            if not raw.strip():
                continue
            try:
                anchors.append(_parse(raw, number))
            except ValueError as exc:
                breaks.append(Break(
                    "anchor",
                    f"line {number} of {path} is not an audit anchor ({exc}): the anchor file was damaged or edited",
                    f"锚点文件 {path} 第 {number} 行不是审计锚点（{exc}）：锚点文件已损坏或被改动",
                ))
    return anchors, breaks


def _parse(raw: bytes, number: int) -> Anchor:
    try:
        fields = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise ValueError("not JSON") from None
    if not isinstance(fields, dict):
        raise ValueError("not a JSON object")
    seq, hash_, time, source, backup = (fields.get(k) for k in ("seq", "hash", "time", "source", "backup"))
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ValueError("no seq")
    if not isinstance(hash_, str) or not _HASH.match(hash_) or (seq == 0 and hash_ != GENESIS):
        raise ValueError("no hash")
    if not isinstance(time, str) or not isinstance(source, str) or source not in SOURCES:
        raise ValueError("no time or source")
    if backup is not None and not isinstance(backup, str):
        raise ValueError("bad backup")
    return Anchor(seq=seq, hash=hash_, time=time, source=source, backup=backup, line=number)


def in_force(anchors: list[Anchor]) -> tuple[list[Anchor], int]:
    """The anchors the chain must match, and how many were set aside: an anchor written before a restore whose seq is
    beyond the seq that restore (or any later one) put the chain back to describes history the restore took away."""
    kept, aside = [], 0
    floor: int | None = None  # the lowest seq restored to after the anchor at hand
    for anchor in reversed(anchors):
        if floor is not None and anchor.seq > floor:
            aside += 1
        else:
            kept.append(anchor)
        if anchor.source == "restore":
            floor = anchor.seq if floor is None else min(floor, anchor.seq)
    kept.reverse()
    return kept, aside


def verify_anchors(session: Session, path: Path) -> AnchorReport:
    """Compare the log with every anchor in force in the file at `path`: each anchored entry must be there with its hash."""
    from server.audit.models import AuditEntry as E

    report = AnchorReport(path=path)
    anchors, report.breaks = read_anchors(path)
    report.anchors = len(anchors)
    kept, report.set_aside = in_force(anchors)
    report.checked = len(kept)
    wanted = sorted({a.seq for a in kept if a.seq > 0})
    stored: dict[int, str] = {}
    for chunk in _chunks(wanted, _BATCH):
        stored.update((seq, hash_ or "") for seq, hash_ in session.execute(select(E.seq, E.hash).where(E.seq.in_(chunk))) if seq is not None)
    last = session.scalar(select(E.seq).where(E.seq.is_not(None)).order_by(E.seq.desc()).limit(1)) or 0
    for anchor in kept:
        if anchor.seq == 0:
            continue
        en, zh = anchor.named(path)
        found = stored.get(anchor.seq)
        if found == anchor.hash:
            continue
        if anchor.seq > last:
            first = last + 1
            span_en = f"entry #{first}" if first == anchor.seq else f"entries #{first}–#{anchor.seq}"
            span_zh = f"第 {first} 条" if first == anchor.seq else f"第 {first}–{anchor.seq} 条"
            report.breaks.append(Break(
                "rewound",
                f"the audit log ends at entry #{last} but {en} records entry #{anchor.seq}: audit {span_en} and any after were "
                "deleted and the chain head wound back",
                f"审计日志止于第 {last} 条，但{zh}记录了第 {anchor.seq} 条：审计日志{span_zh}及其后的条目已被删除，链头被回拨",
            ))
        elif found is None:
            report.breaks.append(Break(
                "rewound", f"audit entry #{anchor.seq}, recorded by {en}, is missing (deleted)", f"{zh}所记录的审计日志第 {anchor.seq} 条缺失（已被删除）",
            ))
        else:
            report.breaks.append(Break(
                "rewritten",
                f"audit entry #{anchor.seq} does not match {en}: its hash is {found[:12]}…, the anchor's {anchor.hash[:12]}…; "
                "the log was rewritten from this entry or an earlier one",
                f"审计日志第 {anchor.seq} 条与{zh}不符：其哈希为 {found[:12]}…，锚点记录为 {anchor.hash[:12]}…；日志自此条或更早处被改写",
            ))
    return report


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
