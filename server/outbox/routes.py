"""Webhook endpoints (administrators): register, change, delete, rotate the secret, ping; deliveries and replays; the event catalog."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from server.api import delete, get, patch, post
from server.auth.permissions import Actor
from server.db import Database
from server.outbox import webhooks as services
from server.outbox.models import OutboxEvent
from server.outbox.schemas import (
    DeliveryOut,
    DeliveryPage,
    EventTypeList,
    ReplayOut,
    ReplayRequest,
    WebhookCreate,
    WebhookList,
    WebhookOut,
    WebhookSecretOut,
    WebhookUpdate,
)
from server.printing.services import address_policy
from server.schemas import Limit, Offset, RowId

Status = Annotated[Literal["pending", "delivered", "dead"] | None, QueryParameter(description="pending, delivered or dead / 投递状态")]


def _policy(request: Request[Any, Any, Any]) -> Any:
    return address_policy(request.app.state.settings)


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["integrations"]

    @get("/", summary="Webhooks / 推送地址列表")
    def list_webhooks(self, db: NamedDependency[Database], actor: NamedDependency[Actor]) -> WebhookList:
        """The registered webhooks with their deliveries counted (waiting, dead, delivered) and the last error."""
        with db.read() as session:
            return WebhookList(items=services.webhook_outs(session, services.list_webhooks(session, actor)))

    @get("/event-types", summary="Event types / 事件类型")
    def event_types(self, actor: NamedDependency[Actor]) -> EventTypeList:
        """Every event type a webhook can subscribe to, with what it means."""
        actor.require(services.PERMISSION)
        return EventTypeList(items=services.event_types())

    @post("/", summary="Register a webhook / 添加推送地址")
    def create_webhook(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                       data: JSONBody[WebhookCreate]) -> Response[WebhookSecretOut]:
        """Registers an HTTPS endpoint for the event types given. The answer holds the signing secret, shown only this once."""
        policy = _policy(request)
        services.check_url(actor, data.url, policy)

        def create(session: Any) -> WebhookSecretOut:
            hook, secret = services.create_webhook(session, actor, data, policy, checked=True)
            return WebhookSecretOut(webhook=services.webhook_outs(session, [hook])[0], secret=secret)

        return Response(db.run_write(create), status_code=201)

    @get("/{webhook_id:int}", summary="One webhook / 推送地址详情")
    def get_webhook(self, db: NamedDependency[Database], actor: NamedDependency[Actor], webhook_id: FromPath[RowId]) -> WebhookOut:
        """The webhook (never its secret) with its deliveries counted."""
        with db.read() as session:
            return services.webhook_outs(session, [services.get_webhook(session, actor, webhook_id)])[0]

    @patch("/{webhook_id:int}", summary="Change a webhook / 修改推送地址")
    def update_webhook(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor],
                       webhook_id: FromPath[RowId], data: JSONBody[WebhookUpdate]) -> WebhookOut:
        """Changes the URL, the event types or the description, or pauses it (`active`: false; its deliveries wait)."""
        policy = _policy(request)
        services.check_url(actor, data.url, policy)
        return db.run_write(lambda s: services.webhook_outs(s, [services.update_webhook(s, actor, webhook_id, data, policy, checked=True)])[0])

    @delete("/{webhook_id:int}", status_code=204, summary="Delete a webhook / 删除推送地址")
    def delete_webhook(self, db: NamedDependency[Database], actor: NamedDependency[Actor], webhook_id: FromPath[RowId]) -> None:
        """Deletes the webhook and its deliveries."""
        db.run_write(lambda s: services.delete_webhook(s, actor, webhook_id))

    @post("/{webhook_id:int}/secret", status_code=200, summary="Rotate the secret / 更换签名密钥")
    def rotate_secret(self, db: NamedDependency[Database], actor: NamedDependency[Actor], webhook_id: FromPath[RowId]) -> WebhookSecretOut:
        """A new signing secret, shown only this once; requests are signed with it from now on."""

        def rotate(session: Any) -> WebhookSecretOut:
            hook, secret = services.rotate_secret(session, actor, webhook_id)
            return WebhookSecretOut(webhook=services.webhook_outs(session, [hook])[0], secret=secret)

        return db.run_write(rotate)

    @post("/{webhook_id:int}/ping", status_code=202, summary="Send a test event / 发送测试事件")
    def ping(self, db: NamedDependency[Database], actor: NamedDependency[Actor], webhook_id: FromPath[RowId]) -> DeliveryOut:
        """Queues a `ping` event to this webhook alone; its delivery shows whether the endpoint answered."""

        def send(session: Any) -> DeliveryOut:
            delivery = services.ping(session, actor, webhook_id)
            return services.delivery_out(delivery, session.get(OutboxEvent, delivery.event_id))

        return db.run_write(send)

    @get("/{webhook_id:int}/deliveries", summary="A webhook's deliveries / 投递记录")
    def deliveries(self, db: NamedDependency[Database], actor: NamedDependency[Actor], webhook_id: FromPath[RowId], status: Status = None,
                   limit: Limit = 50, offset: Offset = 0) -> DeliveryPage:
        """The webhook's deliveries, newest event first: waiting, delivered or dead, with attempts and the last error."""
        with db.read() as session:
            items, total = services.list_deliveries(session, actor, webhook_id, status=status, limit=limit, offset=offset)
        return DeliveryPage(items=items, total=total)

    @post("/{webhook_id:int}/deliveries/{delivery_id:int}/replay", status_code=200, summary="Send one again / 重新发送")
    def replay_delivery(self, db: NamedDependency[Database], actor: NamedDependency[Actor], webhook_id: FromPath[RowId],
                        delivery_id: FromPath[RowId]) -> DeliveryOut:
        """Sends a dead (or delivered) delivery again, as soon as the dispatcher can."""

        def replay(session: Any) -> DeliveryOut:
            delivery = services.replay_delivery(session, actor, webhook_id, delivery_id)
            return services.delivery_out(delivery, session.get(OutboxEvent, delivery.event_id))

        return db.run_write(replay)

    @post("/{webhook_id:int}/replay", status_code=200, summary="Send again / 批量重新发送")
    def replay(self, db: NamedDependency[Database], actor: NamedDependency[Actor], webhook_id: FromPath[RowId],
               data: JSONBody[ReplayRequest]) -> ReplayOut:
        """Sends again the dead deliveries (`dead`: true), or every event since a moment (`since`), in their order."""
        return ReplayOut(replayed=db.run_write(lambda s: services.replay(s, actor, webhook_id, data)))
