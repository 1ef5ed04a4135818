"""Webhooks: the HTTPS endpoints events are delivered to, their signing secrets, deliveries and replays (administrators).

An endpoint's address is checked when it is registered and again before every request (a name may come to resolve
elsewhere): HTTPS, on the network, never one of this server's own service ports; an endpoint on this machine (loopback)
or on a link-local network only with the setting that allows local label printers (CANGKU_ALLOW_LOCAL_PRINTERS), and
then plain HTTP too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import secrets
import socket
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from labels.printers import AddressPolicy, address_refusal
from server.audit.services import record
from server.auth.permissions import Actor
from server.base import utcnow
from server.errors import InvalidInput, NotFound, check_version
from server.outbox.catalog import EVENTS, PING, TOPICS, pattern_error, wanted
from server.outbox.models import Delivery, OutboxEvent, Webhook
from server.outbox.schemas import DeliveryOut, EventTypeOut, ReplayRequest, WebhookCreate, WebhookOut, WebhookUpdate

PERMISSION = "integrations.manage"
SECRET_PREFIX = "whsec_"


# Where a webhook may point ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Target:
    """A webhook URL taken apart: where to connect, and what to say the host is."""

    scheme: str
    host: str  # as written (a name or an address), for the Host header and TLS's server name
    port: int
    path: str  # with the query


def _refused(en: str, zh: str, *, code: str, url: str) -> InvalidInput:
    return InvalidInput(en, zh, code=code, url=url[:200])


def parse_url(url: str) -> Target:
    """The parts of a webhook URL, refused (422) unless it is an absolute http(s) URL without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused(f"{url[:200]} is not a URL.", f"{url[:200]} 不是有效的网址。", code="webhook_url_invalid", url=url) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _refused("A webhook's address is an https:// URL, e.g. https://shop.example.com/hooks/cangku.",
                       "推送地址须为 https:// 网址，例如 https://shop.example.com/hooks/cangku。", code="webhook_url_invalid", url=url)
    if parts.username is not None or parts.password is not None:
        raise _refused("Leave credentials out of the webhook's URL: each request is signed with the webhook's secret instead.",
                       "推送地址中不能包含用户名或密码：每个请求都以 推送地址的密钥签名。", code="webhook_url_invalid", url=url)
    if any(ch.isspace() for ch in url):
        raise _refused("A webhook's URL has no spaces.", "推送地址不能包含空格。", code="webhook_url_invalid", url=url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def _local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    refusal = address_refusal(address, "")
    return refusal is not None and refusal.code in ("printer_address_loopback", "printer_address_link_local")


def check_addresses(target: Target, found: Iterable[tuple[Any, ...]], policy: AddressPolicy, url: str) -> list[str]:
    """The addresses (from getaddrinfo) a request to `target` may go to, each allowed by the policy; refused (422) if any
    is not. Requests go to these addresses, never to the name again."""
    where = f"{target.host}:{target.port}"
    if target.port in policy.service_ports:
        raise _refused(f"Port {target.port} is one of this server's own services (its web, database or Redis port), not a webhook's.",
                       f"端口 {target.port} 是本服务器自身服务（网页、数据库或 Redis）的端口，不能作为 推送地址。",
                       code="webhook_port_refused", url=url)
    addresses: list[str] = []
    for family, _, _, _, sockaddr in found:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        text = str(sockaddr[0]).partition("%")[0]
        address = ipaddress.ip_address(text)
        refusal = address_refusal(address, where)
        if refusal is not None:
            if not _local(address):
                raise _refused(f"{where} is not the address of one machine on the network (unspecified, multicast or reserved).",
                               f"{where} 不是网络上某台设备的地址（未指定、组播或保留地址）。", code="webhook_address_invalid", url=url)
            if not policy.allow_local:
                raise _refused(
                    f"{where} is this server or a link-local address. A webhook receiver on this machine needs the setting "
                    "CANGKU_ALLOW_LOCAL_PRINTERS=1 (the one that allows local label printers).",
                    f"{where} 是本服务器自身或链路本地地址。若 接收端在本机，需要将服务器设置 CANGKU_ALLOW_LOCAL_PRINTERS 设为 1"
                    "（与允许本地标签打印机的设置相同）。", code="webhook_address_local", url=url)
        elif target.scheme != "https":
            raise _refused("A webhook's address is an https:// URL: events carry business data, which must not cross the network "
                           "unencrypted.", "推送地址须为 https:// 网址：事件含有业务数据，不能在网络上明文传输。",
                           code="webhook_https_required", url=url)
        addresses.append(text)
    if not addresses:
        raise _refused(f"The webhook's host name {target.host} cannot be found; check its spelling.",
                       f"找不到 推送地址的主机名 {target.host}；请检查拼写。", code="webhook_host_unknown", url=url)
    return addresses


def resolve(target: Target, policy: AddressPolicy, url: str) -> list[str]:
    """Resolve and check a webhook's host (blocking: at registration)."""
    try:
        found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise _refused(f"The webhook's host name {target.host} cannot be found; check its spelling.",
                       f"找不到 推送地址的主机名 {target.host}；请检查拼写。", code="webhook_host_unknown", url=url) from None
    return check_addresses(target, found, policy, url)


def _check_patterns(patterns: list[str]) -> list[str]:
    unique = list(dict.fromkeys(patterns))
    for pattern in unique:
        error = pattern_error(pattern)
        if error is not None:
            raise InvalidInput(f"Unknown event type {pattern!r}: see GET /api/v1/webhooks/event-types for the list.",
                               f"未知的事件类型“{pattern}”：可用类型见 GET /api/v1/webhooks/event-types。",
                               code="unknown_event_type", event_type=pattern)
    return unique


# Webhooks ----------------------------------------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def get_webhook(session: Session, actor: Actor, webhook_id: int) -> Webhook:
    actor.require(PERMISSION)
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(f"No webhook {webhook_id}.", f"没有编号为 {webhook_id} 的推送地址。", code="webhook_not_found", webhook=webhook_id)
    return hook


def check_url(actor: Actor, url: str | None, policy: AddressPolicy) -> None:
    """Refuse (422) a webhook URL no event could go to, looking its host up in DNS: done before the write's transaction
    begins (the routes), so no writer waits for a name server. The address is checked again before every request."""
    actor.require(PERMISSION)
    if url is not None:
        resolve(parse_url(url), policy, url)


def create_webhook(session: Session, actor: Actor, data: WebhookCreate, policy: AddressPolicy, *, checked: bool = False) -> tuple[Webhook, str]:
    """A new webhook and its secret (shown this once). It receives the events written from now on. `checked`: its URL
    was (`check_url`)."""
    actor.require(PERMISSION)
    patterns = _check_patterns(data.event_types)
    if not checked:
        check_url(actor, data.url, policy)
    secret = new_secret()
    hook = Webhook(url=data.url, description=data.description, event_types=patterns, secret=secret, active=True, created_by=actor.user_id)
    session.add(hook)
    session.flush()
    record(session, actor, "webhook.create", "webhook", hook.id, url=data.url, event_types=patterns)
    return hook, secret


def update_webhook(session: Session, actor: Actor, webhook_id: int, data: WebhookUpdate, policy: AddressPolicy, *,
                   checked: bool = False) -> Webhook:
    hook = get_webhook(session, actor, webhook_id)
    check_version("Webhook", "Webhook", str(webhook_id), hook.version, data.version)
    changed: dict[str, Any] = {}
    if data.url is not None and data.url != hook.url:
        if not checked:
            check_url(actor, data.url, policy)
        changed["url"] = data.url
    if data.event_types is not None:
        patterns = _check_patterns(data.event_types)
        if patterns != hook.event_types:
            changed["event_types"] = patterns
    for field in ("description", "active"):
        value = getattr(data, field)
        if value is not None and value != getattr(hook, field):
            changed[field] = value
    if changed:
        for field, value in changed.items():
            setattr(hook, field, value)
        hook.version += 1
        session.flush()
        record(session, actor, "webhook.update", "webhook", hook.id, **changed)
    return hook


def delete_webhook(session: Session, actor: Actor, webhook_id: int) -> None:
    """The webhook and its deliveries go; the events stay (other endpoints, and the broker, may still want them)."""
    hook = get_webhook(session, actor, webhook_id)
    session.execute(delete(Delivery).where(Delivery.webhook_id == hook.id))
    url = hook.url
    session.delete(hook)
    session.flush()
    record(session, actor, "webhook.delete", "webhook", webhook_id, url=url)


def rotate_secret(session: Session, actor: Actor, webhook_id: int) -> tuple[Webhook, str]:
    """A new secret (shown this once); requests are signed with it from now on, retries of earlier ones included."""
    hook = get_webhook(session, actor, webhook_id)
    secret = new_secret()
    hook.secret = secret
    hook.version += 1
    session.flush()
    record(session, actor, "webhook.rotate_secret", "webhook", hook.id)
    return hook, secret


def ping(session: Session, actor: Actor, webhook_id: int) -> Delivery:
    """A test event ("ping") to this webhook alone, delivered like any other: see its delivery for the answer."""
    hook = get_webhook(session, actor, webhook_id)
    now = utcnow()
    event = OutboxEvent(event_id=str(uuid.uuid4()), type=PING.type, aggregate_type="webhook", aggregate_id=str(hook.id), occurred_at=now,
                        actor=actor.username or "", data='{"message":"Cangku webhook test / 仓库事件推送测试"}', fanned_out=True)
    session.add(event)
    session.flush()
    delivery = Delivery(event_id=event.id, sink="webhook", webhook_id=hook.id, aggregate=f"webhook:{hook.id}", status="pending",
                        attempts=0, next_attempt_at=now)
    session.add(delivery)
    session.flush()
    record(session, actor, "webhook.ping", "webhook", hook.id, event_id=event.event_id)
    return delivery


def webhook_outs(session: Session, hooks: list[Webhook]) -> list[WebhookOut]:
    """The webhooks with their deliveries counted: waiting, dead, delivered; the last delivery and the last error."""
    ids = [hook.id for hook in hooks]
    counts: dict[int, dict[str, int]] = {hook_id: {} for hook_id in ids}
    last: dict[int, dt.datetime | None] = {}
    if ids:
        rows = session.execute(
            select(Delivery.webhook_id, Delivery.status, func.count(), func.max(Delivery.delivered_at))
            .where(Delivery.webhook_id.in_(ids)).group_by(Delivery.webhook_id, Delivery.status)
        )
        for hook_id, status, count, latest in rows:
            assert hook_id is not None
            counts[hook_id][status] = count
            if status == "delivered":
                last[hook_id] = latest
    # Each webhook's latest error among the deliveries not delivered, in one query.
    failing = (Delivery.webhook_id.in_(ids), Delivery.last_error.is_not(None), Delivery.status != "delivered")
    newest = select(Delivery.webhook_id, func.max(Delivery.last_attempt_at).label("at")).where(*failing).group_by(Delivery.webhook_id).subquery()
    errors: dict[int | None, str | None] = dict(session.execute(
        select(Delivery.webhook_id, Delivery.last_error).where(*failing)
        .join(newest, and_(Delivery.webhook_id == newest.c.webhook_id, Delivery.last_attempt_at == newest.c.at))
    ).all()) if ids else {}
    return [
        WebhookOut(
            id=hook.id, url=hook.url, description=hook.description, event_types=list(hook.event_types), active=hook.active,
            created_at=hook.created_at, version=hook.version, pending=counts[hook.id].get("pending", 0), dead=counts[hook.id].get("dead", 0),
            delivered=counts[hook.id].get("delivered", 0), last_delivered_at=last.get(hook.id), last_error=errors.get(hook.id),
        )
        for hook in hooks
    ]


def list_webhooks(session: Session, actor: Actor) -> list[Webhook]:
    actor.require(PERMISSION)
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


# Deliveries and replays ----------------------------------------------------------------------------------------------------


def list_deliveries(
    session: Session, actor: Actor, webhook_id: int, *, status: str | None, limit: int, offset: int
) -> tuple[list[DeliveryOut], int]:
    """A webhook's deliveries, newest event first."""
    get_webhook(session, actor, webhook_id)
    query = select(Delivery, OutboxEvent).join(OutboxEvent, Delivery.event_id == OutboxEvent.id).where(Delivery.webhook_id == webhook_id)
    if status:
        query = query.where(Delivery.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Delivery.event_id.desc(), Delivery.id.desc()).limit(limit).offset(offset))
    return [delivery_out(delivery, event) for delivery, event in rows], total


def delivery_out(delivery: Delivery, event: OutboxEvent) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id, event_id=event.event_id, sequence=event.id, type=event.type, aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id, occurred_at=event.occurred_at, status=delivery.status,  # type: ignore[arg-type]
        attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_attempt_at=delivery.last_attempt_at, last_status=delivery.answer_code, last_error=delivery.last_error,
        delivered_at=delivery.delivered_at, replays=delivery.replays,
    )


def _send_again(session: Session, *conditions: Any) -> int:
    again = {"status": "pending", "attempts": 0, "next_attempt_at": utcnow(), "replays": Delivery.replays + 1}
    result = session.execute(update(Delivery).where(*conditions).values(**again).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def replay_delivery(session: Session, actor: Actor, webhook_id: int, delivery_id: int) -> Delivery:
    """Send one delivery again (dead or delivered; one still pending is left as it is), as soon as the dispatcher can."""
    get_webhook(session, actor, webhook_id)
    delivery = session.scalar(select(Delivery).where(Delivery.id == delivery_id, Delivery.webhook_id == webhook_id))
    if delivery is None:
        raise NotFound(f"Webhook {webhook_id} has no delivery {delivery_id}.", f"推送地址 {webhook_id} 没有编号为 {delivery_id} 的投递。",
                       code="delivery_not_found", delivery=delivery_id)
    if delivery.status != "pending":
        _send_again(session, Delivery.id == delivery.id)
        record(session, actor, "webhook.replay", "webhook", webhook_id, deliveries=1, delivery=delivery_id)
        session.refresh(delivery)
    return delivery


def replay(session: Session, actor: Actor, webhook_id: int, data: ReplayRequest) -> int:
    """Send again the webhook's dead deliveries (`dead`), or all its deliveries of events since `since`: the events of that
    time that it did not get yet (it was not subscribed, or did not exist) are added. Returns how many will go."""
    hook = get_webhook(session, actor, webhook_id)
    if not data.dead and data.since is None:
        raise InvalidInput("Say what to send again: the dead deliveries, or everything since a moment.",
                           "请指定要重新发送的内容：失败的投递，或某一时刻以来的全部事件。", code="replay_what")
    count = 0
    if data.dead:
        count += _send_again(session, Delivery.webhook_id == hook.id, Delivery.status == "dead")
    if data.since is not None:
        since = data.since if data.since.tzinfo else data.since.replace(tzinfo=dt.UTC)
        events = select(OutboxEvent.id).where(OutboxEvent.occurred_at >= since, OutboxEvent.fanned_out.is_(True))
        count += _send_again(session, Delivery.webhook_id == hook.id, Delivery.status != "pending", Delivery.event_id.in_(events))
        have = select(Delivery.event_id).where(Delivery.webhook_id == hook.id)
        missing = session.execute(
            select(OutboxEvent.id, OutboxEvent.type, OutboxEvent.aggregate_type, OutboxEvent.aggregate_id)
            .where(OutboxEvent.occurred_at >= since, OutboxEvent.fanned_out.is_(True), OutboxEvent.type != PING.type,
                   OutboxEvent.id.not_in(have))
            .order_by(OutboxEvent.id)
        ).all()
        now = utcnow()
        rows = [{"event_id": event_id, "sink": "webhook", "webhook_id": hook.id, "aggregate": f"{kind}:{key}", "status": "pending",
                 "attempts": 0, "next_attempt_at": now, "replays": 1}
                for event_id, event_type, kind, key in missing if wanted(hook.event_types, event_type)]
        if rows:
            session.execute(insert(Delivery), rows)
        count += len(rows)
    record(session, actor, "webhook.replay", "webhook", hook.id, deliveries=count, dead=data.dead,
           since=data.since.isoformat() if data.since else None)
    return count


def event_types() -> list[EventTypeOut]:
    return [
        EventTypeOut(type=event.type, topic=TOPICS[event.topic].name, topic_zh=TOPICS[event.topic].zh, topic_en=TOPICS[event.topic].en,
                     zh=event.zh, en=event.en)
        for event in EVENTS.values()
    ]
