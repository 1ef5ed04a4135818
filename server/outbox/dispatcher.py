"""The dispatcher: delivers the outbox's events at least once, in order per aggregate, to webhooks and to RabbitMQ.

It runs in the server's process (`cangku serve`, or CANGKU_DISPATCHER=1), one process at a time: each round it renews a
lease in the database, and only the holder delivers. A round

1. fans new events out: one delivery per active webhook that subscribes to the event's type, and one for the broker when
   CANGKU_AMQP_URL is set; the event is then marked fanned out (all in one transaction);
2. takes the deliveries that are due, in event order, leaving out every aggregate whose earliest undelivered delivery
   waits for a retry — so an aggregate's events never overtake one another;
3. sends them: the aggregates side by side, each aggregate's deliveries one after another, stopping at its first
   failure; webhooks get a signed POST (signing.py), the broker a persistent message confirmed by RabbitMQ;
4. records what happened: delivered; or failed, to be retried after an exponential backoff with jitter; or, after
   CANGKU_WEBHOOK_MAX_ATTEMPTS failures, dead (the dead letter), which an administrator can replay.

A delivery is marked delivered only after the endpoint answered 2xx (or the broker confirmed it). A process killed
between the two sends it again later: consumers deduplicate by the event's id, which every delivery carries.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import ipaddress
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any, cast

import aio_pika
import anyio.to_thread
import httpx
import msgspec
from litestar import Litestar
from sqlalchemy import Table, and_, bindparam, exists, false, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from labels.printers import AddressPolicy
from server.base import utcnow
from server.db import Database
from server.errors import InvalidInput
from server.monitoring.metrics import OUTBOX_DELIVERIES
from server.notifications.services import notify
from server.outbox import signing
from server.outbox.catalog import TOPICS, wanted
from server.outbox.events import EVENTS_WRITTEN
from server.outbox.models import Delivery, DispatcherLease, OutboxEvent, Webhook
from server.outbox.webhooks import check_addresses, parse_url
from server.printing.services import address_policy
from server.settings import Settings

log = logging.getLogger("cangku.outbox")
FAN_OUT_BATCH = 1000
SEND_BATCH = 500
# A new webhook also gets the events of this long before it was registered that were not yet handed out: longer than any
# business transaction lasts, so none committed after the registration is missed.
REGISTERED_GRACE = dt.timedelta(minutes=5)
ERROR_MAX = 500
ANSWER_READ = 4096  # of an answer, at most this much is read (a failure's reason shows its start)
USER_AGENT = f"Cangku-Webhooks/{version('cangku')}"
_PATHS = {topic.name: topic.path for topic in TOPICS.values() if topic.path}


# What a round reads and writes -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Job:
    """One delivery to attempt, with its event and, for a webhook, where it goes."""

    delivery_id: int
    sink: str
    webhook_id: int | None
    aggregate: str
    attempts: int
    url: str | None
    secret: str | None
    event_id: str
    sequence: int
    type: str
    aggregate_type: str
    aggregate_id: str
    occurred_at: dt.datetime
    actor: str
    data: str


@dataclasses.dataclass(frozen=True)
class Outcome:
    job: Job
    delivered: bool
    status: int | None = None
    error: str | None = None

    @property
    def endpoint_down(self) -> bool:
        """The endpoint itself failed (unreachable, no answer, 5xx, 429), not this one event: it is left to rest."""
        return not self.delivered and (self.status is None or self.status >= 500 or self.status == 429)


def body_of(job: Job) -> bytes:
    """What a consumer receives: the event, its data as it was recorded, and where the API has what it is about."""
    path = _PATHS.get(job.aggregate_type)
    event: dict[str, Any] = {
        "id": job.event_id, "sequence": job.sequence, "type": job.type, "occurred_at": job.occurred_at,
        "aggregate": {"type": job.aggregate_type, "id": job.aggregate_id}, "actor": job.actor, "data": msgspec.Raw(job.data.encode()),
    }
    if path:
        event["links"] = {"self": path.format(id=job.aggregate_id)}
    return msgspec.json.encode(event)


def take_lease(db: Database, holder: str, seconds: float) -> bool:
    """Whether this process dispatches now: it holds the lease, renewed when half of it has run, or takes one that ran out."""
    now = utcnow()
    with db.lookup() as session:
        lease = session.get(DispatcherLease, 1)
        if lease is not None and lease.holder == holder and lease.expires_at - now > dt.timedelta(seconds=seconds / 2):
            return True
        if lease is not None and lease.holder != holder and lease.expires_at > now:
            return False
    try:
        with db.write() as work:
            lease = work.get(DispatcherLease, 1, with_for_update=True)
            if lease is None:
                work.add(DispatcherLease(id=1, holder=holder, expires_at=now + dt.timedelta(seconds=seconds)))
                return True
            if lease.holder != holder and lease.expires_at > now:
                return False
            lease.holder, lease.expires_at = holder, now + dt.timedelta(seconds=seconds)
            return True
    except IntegrityError:  # another process made the lease first
        return False


def release_lease(db: Database, holder: str) -> None:
    with db.write() as work:
        work.execute(update(DispatcherLease).where(DispatcherLease.id == 1, DispatcherLease.holder == holder)
                     .values(expires_at=utcnow() - dt.timedelta(seconds=1)))


def fan_out(db: Database, *, broker: bool, limit: int = FAN_OUT_BATCH) -> int:
    """One delivery per active webhook that wants each new event (and one for the broker); returns how many events."""
    with db.write() as work:
        events = work.execute(
            select(OutboxEvent.id, OutboxEvent.type, OutboxEvent.aggregate_type, OutboxEvent.aggregate_id, OutboxEvent.occurred_at)
            .where(~OutboxEvent.fanned_out).order_by(OutboxEvent.id).limit(limit)  # the partial index of new events
        ).all()
        if not events:
            return 0
        # A webhook gets the events written since it was registered (older ones only when an administrator replays them);
        # a paused one too: they wait until it is switched on again. "Since" reaches back REGISTERED_GRACE: an event is
        # stamped when its action happens, and its transaction may commit only after the webhook was registered.
        hooks = [(hook_id, patterns, created - REGISTERED_GRACE)
                 for hook_id, patterns, created in work.execute(select(Webhook.id, Webhook.event_types, Webhook.created_at))]
        now = utcnow()
        rows: list[dict[str, Any]] = []
        for event_id, event_type, aggregate_type, aggregate_id, occurred_at in events:
            aggregate = f"{aggregate_type}:{aggregate_id}"
            for hook_id, patterns, since in hooks:
                if occurred_at >= since and wanted(patterns, event_type):
                    rows.append({"event_id": event_id, "sink": "webhook", "webhook_id": hook_id, "aggregate": aggregate, "status": "pending",
                                 "attempts": 0, "next_attempt_at": now, "replays": 0})
            if broker:
                rows.append({"event_id": event_id, "sink": "amqp", "webhook_id": None, "aggregate": aggregate, "status": "pending",
                             "attempts": 0, "next_attempt_at": now, "replays": 0})
        if rows:
            work.execute(insert(Delivery), rows)
        ids = [event_id for event_id, *_ in events]
        work.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(fanned_out=True).execution_options(synchronize_session=False))
        return len(events)


def due_jobs(db: Database, *, broker: bool, resting: frozenset[int] = frozenset(), limit: int = SEND_BATCH) -> list[Job]:
    """The deliveries to attempt now, in event order, none behind an earlier delivery of its aggregate that waits for a
    retry; none to the broker unless `broker`, none to the webhooks `resting`."""
    now = utcnow()
    earlier = aliased(Delivery)
    waiting = exists().where(
        earlier.sink == Delivery.sink, earlier.webhook_id.is_not_distinct_from(Delivery.webhook_id), earlier.aggregate == Delivery.aggregate,
        earlier.status == "pending", earlier.event_id < Delivery.event_id, earlier.next_attempt_at > now,
    )
    webhooks = and_(Delivery.sink == "webhook", Webhook.active.is_(True), Webhook.id.not_in(resting) if resting else true())
    sinks = or_(webhooks, Delivery.sink == "amqp" if broker else false())
    query = (
        select(Delivery.id, Delivery.sink, Delivery.webhook_id, Delivery.aggregate, Delivery.attempts, Webhook.url, Webhook.secret,
               OutboxEvent.event_id, OutboxEvent.id, OutboxEvent.type, OutboxEvent.aggregate_type, OutboxEvent.aggregate_id,
               OutboxEvent.occurred_at, OutboxEvent.actor, OutboxEvent.data)
        .join(OutboxEvent, Delivery.event_id == OutboxEvent.id)
        .outerjoin(Webhook, Delivery.webhook_id == Webhook.id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now, sinks, ~waiting)
        .order_by(Delivery.event_id, Delivery.id)
        .limit(limit)
    )
    with db.read() as session:
        return [Job(*row) for row in session.execute(query)]  # type: ignore[call-arg]


def retry_delay(attempts: int, settings: Settings) -> float:
    """Seconds before the next attempt after `attempts` failures: doubling from the base up to the max, the upper half
    of it at random (jitter), so endpoints coming back are not hit by every retry at once."""
    delay = min(settings.webhook_retry_max_seconds, settings.webhook_retry_base_seconds * 2.0 ** max(0, attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def record_outcomes(db: Database, outcomes: list[Outcome], settings: Settings) -> int:
    """Write down what the round's attempts came to; returns how many deliveries died."""
    if not outcomes:
        return 0
    now = utcnow()
    rows: list[dict[str, Any]] = []
    dead: dict[int | None, int] = {}
    for outcome in outcomes:
        attempts = outcome.job.attempts + 1
        said = "delivered" if outcome.delivered else "dead" if attempts >= settings.webhook_max_attempts else "failed"
        OUTBOX_DELIVERIES.labels(outcome.job.sink, said).inc()
        row: dict[str, Any] = {"delivery": outcome.job.delivery_id, "attempts": attempts, "last_attempt_at": now, "answer_code": outcome.status}
        if outcome.delivered:
            row.update(status="delivered", delivered_at=now, last_error=None)
        elif attempts >= settings.webhook_max_attempts:
            row.update(status="dead", last_error=outcome.error)
            dead[outcome.job.webhook_id] = dead.get(outcome.job.webhook_id, 0) + 1
        else:
            row.update(last_error=outcome.error, next_attempt_at=now + dt.timedelta(seconds=retry_delay(attempts, settings)))
        rows.append(row)
    table = cast(Table, Delivery.__table__)
    with db.write() as work:
        # Grouped by the columns each row sets: an executemany needs one shape. Only a delivery still pending is written:
        # one replayed, or deleted with its webhook, while the round ran is left as it is now.
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            shapes.setdefault(tuple(sorted(row)), []).append(row)
        for columns, group in shapes.items():
            statement = (update(table).where(table.c.id == bindparam("delivery"), table.c.status == "pending")
                         .values({column: bindparam(column) for column in columns if column != "delivery"}))
            work.execute(statement, group)
        for webhook_id, count in dead.items():
            _tell_admins(work, webhook_id, count)
    return sum(dead.values())


def _tell_admins(work: Any, webhook_id: int | None, count: int) -> None:
    where_en, where_zh = (f"webhook {webhook_id}", f"推送地址 {webhook_id}") if webhook_id is not None else ("RabbitMQ", "RabbitMQ")
    notify(
        work, roles=["admin"], kind="outbox.dead",
        title_zh=f"{where_zh} 有 {count} 个事件投递失败", title_en=f"{count} event(s) could not be delivered to {where_en}",
        body_zh="已达到最大重试次数，事件已移入失败队列。修复接收端后，可在“系统管理 › 事件推送”中重新发送。",
        body_en="They failed every retry and were set aside (dead letter). Once the receiver works, send them again from "
                "Administration › Webhooks.",
        ref_type="webhook" if webhook_id is not None else None, ref_id=webhook_id,
    )


# Sending -----------------------------------------------------------------------------------------------------------------


def _clip(text: str) -> str:
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


class WebhookSender:
    """POSTs events to webhooks: to an address checked against the policy just before, signed, each request done within
    the timeout (a receiver that trickles its answer is cut off) and no more than the start of its answer read."""

    def __init__(self, policy: AddressPolicy, timeout: float) -> None:
        self.policy = policy
        self.timeout = timeout
        # One client (connection pool) per host name: a pooled TLS connection is found by address and port, so two names
        # on one address must not share one, or a request would go over a connection whose certificate was another's.
        self.clients: dict[str, httpx.AsyncClient] = {}

    def _client(self, host: str) -> httpx.AsyncClient:
        if host not in self.clients:
            self.clients[host] = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, trust_env=False,
                                                   limits=httpx.Limits(max_connections=16, max_keepalive_connections=8))
        return self.clients[host]

    async def close(self) -> None:
        clients, self.clients = self.clients, {}
        for client in clients.values():
            await client.aclose()

    async def send(self, job: Job) -> Outcome:
        try:
            return await self._send(job)
        except Exception as error:  # noqa: BLE001 - whatever went wrong with this request is this delivery's failure, not the round's
            log.warning("webhook delivery %s failed: %r", job.delivery_id, error)
            return Outcome(job, False, error=_clip(f"Could not deliver: {error or type(error).__name__}"))

    async def _send(self, job: Job) -> Outcome:
        assert job.url is not None and job.secret is not None
        try:
            target = parse_url(job.url)
            found = await asyncio.get_running_loop().getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
            address = check_addresses(target, found, self.policy, job.url)[0]
        except InvalidInput as refused:
            return Outcome(job, False, error=_clip(refused.en))
        except (OSError, UnicodeError):
            return Outcome(job, False, error=f"The host name {job.url[:200]} cannot be found.")
        body = body_of(job)
        literal = f"[{address}]" if ":" in address else address
        default_port = 443 if target.scheme == "https" else 80
        name = target.host.encode("idna").decode("ascii")  # an internationalised domain name as the wire spells it
        headers = {
            "Host": name if target.port == default_port else f"{name}:{target.port}",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Cangku-Event-Id": job.event_id,
            "Cangku-Event-Type": job.type,
            "Cangku-Delivery": str(job.delivery_id),
            "Cangku-Attempt": str(job.attempts + 1),
            signing.HEADER: signing.sign(job.secret, body),
        }
        extensions = {"sni_hostname": name} if target.scheme == "https" and not _is_address(target.host) else {}
        try:
            async with asyncio.timeout(self.timeout):
                request = self._client(name).build_request("POST", f"{target.scheme}://{literal}:{target.port}{target.path}", content=body,
                                                           headers=headers, extensions=extensions)
                response = await self._client(name).send(request, stream=True)
                try:
                    answer = b""
                    async for chunk in response.aiter_bytes():
                        answer += chunk
                        if len(answer) >= ANSWER_READ:
                            break
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return Outcome(job, False, error=f"No answer within {self.timeout:g} s.")
        except httpx.HTTPError as error:
            return Outcome(job, False, error=_clip(f"Could not deliver: {error or type(error).__name__}"))
        if 200 <= response.status_code < 300:
            return Outcome(job, True, status=response.status_code)
        text = answer[:ANSWER_READ].decode("utf-8", "replace").strip().replace("\n", " ")
        return Outcome(job, False, status=response.status_code, error=_clip(f"HTTP {response.status_code}" + (f": {text}" if text else "")))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class BrokerSender:
    """Publishes events to RabbitMQ: a durable topic exchange, routing key the event type, persistent messages each
    confirmed by the broker (publisher confirms) before the delivery counts."""

    def __init__(self, url: str, exchange: str, timeout: float) -> None:
        self.url, self.exchange_name, self.timeout = url, exchange, timeout
        self._connection: Any = None
        self._exchange: Any = None

    async def _ready(self) -> Any:
        if self._exchange is None:
            self._connection = await asyncio.wait_for(aio_pika.connect(self.url, timeout=self.timeout), self.timeout)
            channel = await self._connection.channel(publisher_confirms=True)
            self._exchange = await channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
        return self._exchange

    async def close(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # noqa: BLE001 - closing a connection that already broke
                pass

    async def send(self, job: Job) -> Outcome:
        try:
            exchange = await self._ready()
            message = aio_pika.Message(
                body_of(job), content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=job.event_id,
                type=job.type, timestamp=job.occurred_at, app_id="cangku",
                headers={"aggregate_type": job.aggregate_type, "aggregate_id": job.aggregate_id, "sequence": job.sequence},
            )
            await exchange.publish(message, routing_key=job.type, timeout=self.timeout)
        except Exception as error:  # noqa: BLE001 - the broker away, refusing, or the connection broken: retried later
            await self.close()
            return Outcome(job, False, error=_clip(f"RabbitMQ: {error or type(error).__name__}"))
        return Outcome(job, True)


# The loop ----------------------------------------------------------------------------------------------------------------


class Dispatcher:
    def __init__(self, db: Database, settings: Settings, *, policy: AddressPolicy | None = None) -> None:
        self.db = db
        self.settings = settings
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.webhooks = WebhookSender(policy or address_policy(settings), settings.webhook_timeout_seconds)
        self.broker = BrokerSender(settings.amqp_url, settings.amqp_exchange, settings.webhook_timeout_seconds) if settings.amqp_url else None
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # An endpoint that failed is left alone until then, so a round does not try each of its waiting aggregates.
        self._resting: dict[tuple[str, int | None], float] = {}
        self._failures: dict[tuple[str, int | None], int] = {}
        self.rounds = 0
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request would drown the server's log

    # Started and stopped with the app (see `dispatching`).
    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="cangku-dispatcher")

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.webhooks.close()
        if self.broker is not None:
            await self.broker.close()
        try:
            await anyio.to_thread.run_sync(release_lease, self.db, self.holder)
        except Exception:  # noqa: BLE001 - the database is away: the lease runs out by itself
            pass

    def on_commit(self, events: list[Any]) -> None:
        """The database's commit listener: a transaction wrote events, deliver them now rather than at the next poll."""
        if EVENTS_WRITTEN in events and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        log.info("dispatcher started (%s)", self.holder)
        while not self._stop.is_set():
            busy = False
            try:
                busy = await self.round()
            except Exception:  # noqa: BLE001 - the database away, say: try again at the next poll
                log.exception("dispatcher round failed; trying again in %s s", self.settings.dispatcher_poll_seconds)
            if busy:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.dispatcher_poll_seconds)
            except TimeoutError:
                pass
        log.info("dispatcher stopped")

    async def round(self) -> bool:
        """One round (see the module's docstring); whether it did anything, so the next follows at once."""
        self.rounds += 1
        if not await anyio.to_thread.run_sync(take_lease, self.db, self.holder, self.settings.dispatcher_lease_seconds):
            return False
        fanned = await anyio.to_thread.run_sync(lambda: fan_out(self.db, broker=self.broker is not None))
        now = time.monotonic()
        resting = {endpoint for endpoint, until in self._resting.items() if until > now}
        broker = self.broker is not None and ("amqp", None) not in resting
        hooks = frozenset(webhook_id for sink, webhook_id in resting if sink == "webhook" and webhook_id is not None)
        jobs = await anyio.to_thread.run_sync(lambda: due_jobs(self.db, broker=broker, resting=hooks))
        if not jobs:
            return fanned > 0
        renewing = asyncio.create_task(self._keep_lease())  # a round may outlast the lease: slow receivers, long chains
        try:
            outcomes = await self._send(jobs)
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
        await anyio.to_thread.run_sync(record_outcomes, self.db, outcomes, self.settings)
        return bool(outcomes) or fanned > 0

    async def _keep_lease(self) -> None:
        while True:
            await asyncio.sleep(self.settings.dispatcher_lease_seconds / 3)
            try:
                await anyio.to_thread.run_sync(take_lease, self.db, self.holder, self.settings.dispatcher_lease_seconds)
            except Exception:  # noqa: BLE001 - the database away: the round's outcomes wait for it anyway
                log.warning("dispatcher lease not renewed", exc_info=True)

    async def _send(self, jobs: list[Job]) -> list[Outcome]:
        """Each aggregate's jobs in order, stopping at its first failure; the aggregates side by side."""
        chains: dict[tuple[str, int | None, str], list[Job]] = {}
        for job in jobs:
            if job.sink == "webhook":
                chains.setdefault((job.sink, job.webhook_id, job.aggregate), []).append(job)
        outcomes: list[Outcome] = []
        gate = asyncio.Semaphore(max(1, self.settings.dispatcher_concurrency))

        async def deliver(chain: list[Job]) -> None:
            endpoint = (chain[0].sink, chain[0].webhook_id)
            async with gate:
                for job in chain:
                    if self._resting.get(endpoint, 0) > time.monotonic():
                        return
                    sender: Callable[[Job], Any] = self.webhooks.send if job.sink == "webhook" else self._broker_send
                    outcome = await sender(job)
                    outcomes.append(outcome)
                    if outcome.endpoint_down:
                        failures = self._failures[endpoint] = self._failures.get(endpoint, 0) + 1
                        self._resting[endpoint] = time.monotonic() + retry_delay(failures, self.settings)
                    if not outcome.delivered:
                        return  # the aggregate's later events wait for this one
                    self._failures.pop(endpoint, None)

        # The broker takes one message at a time, in the order the events were written (so in order per aggregate too),
        # stopping at the first it does not confirm.
        broker_jobs = [job for job in jobs if job.sink == "amqp"]
        chained = list(chains.values()) + ([broker_jobs] if broker_jobs else [])
        await asyncio.gather(*(deliver(chain) for chain in chained))
        return outcomes

    async def _broker_send(self, job: Job) -> Outcome:
        assert self.broker is not None
        return await self.broker.send(job)


@asynccontextmanager
async def dispatching(app: Litestar) -> AsyncIterator[None]:
    """Runs the dispatcher while the app runs, when the settings turn it on."""
    settings: Settings = app.state.settings
    if not settings.dispatcher:
        yield
        return
    db: Database = app.state.db
    dispatcher = Dispatcher(db, settings)
    db.commit_listeners.append(dispatcher.on_commit)
    dispatcher.start()
    app.state.dispatcher = dispatcher
    try:
        yield
    finally:
        db.commit_listeners.remove(dispatcher.on_commit)
        await dispatcher.stop()
