"""Applying pushed operations: in seq order, each in its own transaction with its result and the client's last seq.

A repeat (same op id) gets the stored result and changes nothing. A gap in seq stops the push and
says where to resend from. A business rule saying no is `rejected`, data changed under the
operation is a `conflict`; either way the seq advances, so nothing behind it is blocked, and the
result is kept for the client to show until someone resolves it.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.base import utcnow
from server.db import Database
from server.errors import CangkuError, Conflict, Forbidden, InsufficientStock, InvalidInput
from server.monitoring.metrics import SYNC_OPS
from server.raw import dialect_of, driver_cursor, statements
from server.schemas import fmt
from server.work import work_of
from sync.discrepancies import PHYSICAL, describe, record_shortfall
from sync.feed import head
from sync.messages import SCHEMA_VERSION, Op, OpResult, PushRequest, PushResponse
from sync.models import SyncClient
from sync.registry import Context, OpType, parse


def check_schema(request: PushRequest) -> None:
    if request.schema_version != SCHEMA_VERSION:
        raise InvalidInput(
            f"This app speaks sync schema {request.schema_version}; the server speaks {SCHEMA_VERSION}. Update the app.",
            f"本应用使用同步协议版本 {request.schema_version}，服务器为 {SCHEMA_VERSION}，请更新应用。",
            code="schema_version", server=SCHEMA_VERSION,
        )


def _client(session: Session, actor: Actor, client_id: str, *, lock: bool) -> SyncClient:
    """The client row, registered on its first push; one client belongs to one user."""
    query = select(SyncClient).where(SyncClient.client_id == client_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        row = SyncClient(client_id=client_id, user_id=actor.user_id, device_id=actor.device_id, last_seq=0)
        session.add(row)
        session.flush()
    elif row.user_id != actor.user_id:
        raise Forbidden(
            "This client id belongs to another user; sign-in on a shared device starts a new client.",
            "该客户端属于其他用户；在共用设备上登录会创建新的客户端。",
            code="client_of_another_user",
        )
    return row


def push(db: Database, actor: Actor, request: PushRequest) -> PushResponse:
    check_schema(request)
    from server.auth.devices import check_in  # registers the device on its first push; a revoked one is refused before anything is applied

    check_in(db, actor, request.client_id)
    now = utcnow()
    offset = now - request.device_time.astimezone(dt.UTC) if request.device_time.tzinfo else now - request.device_time.replace(tzinfo=dt.UTC)
    offset_ms = int(offset.total_seconds() * 1000)

    def register(session: Session) -> int:
        client = _client(session, actor, request.client_id, lock=True)
        client.clock_offset_ms, client.last_push_at = offset_ms, now
        return client.last_seq

    def known(session: Session) -> int:
        client = session.scalar(select(SyncClient).where(SyncClient.client_id == request.client_id))
        if client is not None and client.user_id != actor.user_id:
            _client(session, actor, request.client_id, lock=False)  # refuses it
        return client.last_seq if client is not None else 0

    # A client is registered by its first push that carries operations; an empty push only asks where it stands.
    if request.ops:
        last_seq = db.run_write(register)
    else:
        with db.read() as session:
            last_seq = known(session)
    results: list[OpResult] = []
    resend_from = None
    for op in sorted(request.ops, key=lambda o: o.seq):
        try:
            outcome = db.run_write(functools.partial(_apply_one, actor=actor, client_id=request.client_id, op=op, offset=offset))
        except _Refused as no:
            outcome = db.run_write(
                functools.partial(_apply_one, actor=actor, client_id=request.client_id, op=op, offset=offset, refused=no.error)
            )
        if outcome is None:  # a gap: stop here, the client resends from the next seq it owes
            resend_from = last_seq + 1
            break
        result, last_seq = outcome
        results.append(result)
        SYNC_OPS.labels(result.status).inc()  # its transaction has committed
    with db.lookup() as session:
        feed_head = head(session)
    return PushResponse(results=results, cursor=str(feed_head), last_seq=last_seq, resend_from=resend_from, clock_offset_ms=offset_ms)


# Each op touches the op log with these; they run on the driver's cursor (see server.raw).
_OPLOG = statements(
    client="SELECT id, user_id, last_seq FROM sync_clients WHERE client_id = {p}{for_update}",
    stored="SELECT client_id, result FROM sync_ops WHERE op_id = {p}",
    insert="INSERT INTO sync_ops (op_id, client_id, seq, type, status, result, device_time, applied_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
    advance="UPDATE sync_clients SET last_seq = {p} WHERE id = {p}",
)


def _apply_one(
    session: Session, actor: Actor, client_id: str, op: Op, offset: dt.timedelta, refused: CangkuError | None = None
) -> tuple[OpResult, int] | None:
    ledger = dialect_of(session)
    sql = _OPLOG[ledger.name]
    cursor = driver_cursor(session)
    cursor.execute(sql["client"], (client_id,))
    found = cursor.fetchall()
    if not found:
        _client(session, actor, client_id, lock=True)  # registers it (first push from another process racing us)
        cursor = driver_cursor(session)
        cursor.execute(sql["client"], (client_id,))
        found = cursor.fetchall()
    client_key, owner, last_seq = found[0]
    if owner != actor.user_id:
        _client(session, actor, client_id, lock=False)  # refuses it
    cursor.execute(sql["stored"], (op.op_id,))
    stored = cursor.fetchall()
    if stored:
        if stored[0][0] != client_key:
            return _result(op, "rejected", actor, _op_id_taken()), last_seq
        result = stored[0][1]
        return msgspec.convert(msgspec.json.decode(result) if isinstance(result, str | bytes) else result, OpResult), last_seq
    if op.seq > last_seq + 1:
        return None
    if op.seq <= last_seq:
        # A new op under a seq already used: the client lost track; refuse it without consuming anything.
        error = InvalidInput(
            f"Sequence number {op.seq} was already used by this client (last {last_seq}); number new operations from {last_seq + 1}.",
            f"序号 {op.seq} 已被本客户端使用（最后为 {last_seq}），新操作请从 {last_seq + 1} 开始编号。",
            code="seq_reused", last_seq=last_seq,
        )
        return _result(op, "rejected", actor, error), last_seq
    device_time = None
    if op.device_time is not None:
        try:
            device_time = (op.device_time if op.device_time.tzinfo else op.device_time.replace(tzinfo=dt.UTC)) + offset
        except OverflowError:  # a clock centuries off: the op's own time means nothing, the server's time stands
            device_time = None
    try:
        result = _run(session, actor, op, Context(op_id=op.op_id, device_time=device_time), refused)
    finally:
        work_of(session).occurred_at = None
    body = ledger.json(result)
    cursor = driver_cursor(session)
    cursor.execute(sql["insert"], (
        op.op_id, client_key, op.seq, op.type, result.status, body, ledger.time(device_time) if device_time else None, ledger.time(utcnow()),
    ))
    cursor.execute(sql["advance"], (op.seq, client_key))
    return result, op.seq


class _Refused(Exception):
    """An operation's service said no: its transaction is rolled back, and the result is stored by a second one."""

    def __init__(self, error: CangkuError) -> None:
        self.error = error


def _run(session: Session, actor: Actor, op: Op, ctx: Context, refused: CangkuError | None) -> OpResult:
    """The operation through its service. The first try runs without a savepoint (the common case costs nothing extra);
    if the service refuses, that transaction rolls back and a second one tries again, then stores the refusal or records a
    physical fact."""
    try:
        spec, payload = parse(op.type, op.payload)
    except CangkuError as error:
        return _result(op, "rejected", actor, error)
    work_of(session).occurred_at = ctx.device_time  # moves are dated when they happened, not when they were sent
    if refused is None:
        try:
            details = spec.handler(session, actor, payload, ctx)
        except CangkuError as error:
            raise _Refused(error) from None
        return OpResult(op_id=op.op_id, seq=op.seq, status="applied", details=msgspec.to_builtins(details))
    # Between the two transactions another writer may have changed what refused it (stock arrived, a line was edited):
    # judge the operation again on the data as it is now, under a savepoint so a second refusal leaves nothing behind.
    try:
        with session.begin_nested():
            details = spec.handler(session, actor, payload, ctx)
    except CangkuError as error:
        refused = error
    else:
        return OpResult(op_id=op.op_id, seq=op.seq, status="applied", details=msgspec.to_builtins(details))
    if isinstance(refused, InsufficientStock):
        if op.type in PHYSICAL:
            return _as_physical_fact(session, actor, op, ctx, spec, payload, refused)
        return _result(op, "rejected", actor, refused)
    return _result(op, "conflict" if isinstance(refused, Conflict) else "rejected", actor, refused)


def _as_physical_fact(
    session: Session, actor: Actor, op: Op, ctx: Context, spec: OpType, payload: Any, shortage: InsufficientStock
) -> OpResult:
    """Someone took more from a bin than the book holds: book the difference, recount the bin, and apply what they did."""
    try:
        with session.begin_nested():
            found = record_shortfall(session, actor, op_type=op.type, op_id=op.op_id, shortage=shortage)
            if found is None:
                raise shortage
            details = spec.handler(session, actor, payload, ctx)
    except CangkuError as error:
        stale = isinstance(error, Conflict) and not isinstance(error, InsufficientStock)
        return _result(op, "conflict" if stale else "rejected", actor, error)
    info = shortage.details
    return OpResult(
        op_id=op.op_id, seq=op.seq, status="applied_with_exception", message=describe(found, info["sku"], info["location"], actor.language),
        details={
            **msgspec.to_builtins(details), "discrepancy": found.id, "book_available": info["available"], "taken": info["requested"],
            "shortfall": fmt(found.shortfall), "recount": found.count_number,
            # Both languages, as a refusal carries them: the phone shows the one its user reads at the time.
            "message_zh": describe(found, info["sku"], info["location"], "zh"), "message_en": describe(found, info["sku"], info["location"], "en"),
        },
    )


def _result(op: Op, status: str, actor: Actor, error: CangkuError) -> OpResult:
    details: dict[str, Any] = {"error": error.code, **msgspec.to_builtins(error.details), "message_zh": error.zh, "message_en": error.en}
    return OpResult(op_id=op.op_id, seq=op.seq, status=status, message=error.message(actor.language), details=details)  # type: ignore[arg-type]


def _op_id_taken() -> InvalidInput:
    return InvalidInput("This operation id was already used by another client.", "该操作编号已被其他客户端使用。", code="op_id_taken")
