"""Live events on Litestar Channels: one channel per user, fed only by transactions that committed.

In one process the channels live in memory; with CANGKU_REDIS_URL set they go through Redis
pub/sub, so an event committed by any app process reaches sockets held by any other.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.config.app import AppConfig
from litestar.plugins import InitPlugin
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from server.db import Database
from server.settings import Settings
from server.work import publish_after_commit

log = logging.getLogger("cangku.live")
REDIS_RETRY_SECONDS = 1


@dataclasses.dataclass(frozen=True)
class LiveEvent:
    """A message for the sockets listening on `channel`, sent once the transaction that queued it commits."""

    channel: str
    data: dict[str, Any]


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def send_after_commit(session: Session, channel: str, data: dict[str, Any]) -> None:
    publish_after_commit(session, LiveEvent(channel, data))


class _PrefixedRedisPubSub(RedisChannelsPubSubBackend):
    """Redis pub/sub is one namespace per server (database numbers do not apply): prefix our channels."""

    def __init__(self, *, prefix: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._prefix = prefix

    async def subscribe(self, channels: Iterable[str]) -> None:
        await super().subscribe([self._prefix + c for c in channels])

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        await super().unsubscribe([self._prefix + c for c in channels])

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        # Redis away (restarting, network): the event is lost, not the app's publishing. Live events are hints;
        # devices pull on reconnect and on a timer, so what they missed still reaches them.
        try:
            await super().publish(data, [self._prefix + c for c in channels])
        except (RedisError, OSError) as error:
            log.warning("live event not published, Redis unavailable: %s", error)

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        # Redis restarted or the connection dropped: wait and listen again (redis-py subscribes the channels
        # again when it reconnects), rather than let the listening end for good.
        while True:
            try:
                async for channel, data in super().stream_events():
                    yield channel.removeprefix(self._prefix), data
            except (RedisError, OSError) as error:
                log.warning("Redis subscription lost, reconnecting in %s s: %s", REDIS_RETRY_SECONDS, error)
                await asyncio.sleep(REDIS_RETRY_SECONDS)


def channels_plugin(settings: Settings) -> tuple[ChannelsPlugin, Callable[[], Any] | None]:
    """The app's channels, and what to close when it stops (the Redis client, if any)."""
    if settings.redis_url:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
        backend: Any = _PrefixedRedisPubSub(redis=redis, prefix=f"{settings.redis_prefix}:")
        close: Callable[[], Any] | None = redis.aclose
    else:
        backend, close = MemoryChannelsBackend(), None
    # A slow socket loses its oldest events rather than holding memory: clients re-read the list on reconnect.
    plugin = ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True, subscriber_max_backlog=500, subscriber_backlog_strategy="dropleft")
    return plugin, close


def redis_publisher(settings: Settings) -> Callable[[list[Any]], None] | None:
    """For a process without an app (`cangku jobs run`): a commit listener that publishes straight to Redis,
    in the form the app's channels use, so the servers' sockets get the events. None without Redis."""
    if not settings.redis_url:
        return None
    import msgspec
    from redis import Redis

    redis = Redis.from_url(settings.redis_url)
    prefix = f"{settings.redis_prefix}:"

    def publish(events: list[Any]) -> None:
        for event in events:
            if isinstance(event, LiveEvent):
                try:
                    redis.publish(prefix + event.channel, msgspec.json.encode(event.data))
                except (RedisError, OSError) as error:  # committed already: a lost hint, not a failed job
                    log.warning("live event not published, Redis unavailable: %s", error)

    return publish


@asynccontextmanager
async def publishing_commits(app: Litestar) -> AsyncIterator[None]:
    """While the app runs, the live events of every transaction committed on its database go out on its channels.

    Commits happen in worker threads; the channels belong to the event loop, so hand each event over to it.
    """
    channels = app.plugins.get(ChannelsPlugin)
    database: Database = app.state.db
    loop = asyncio.get_running_loop()

    def publish(events: list[Any]) -> None:
        for event in events:
            if isinstance(event, LiveEvent):
                loop.call_soon_threadsafe(channels.publish, event.data, event.channel)

    database.commit_listeners.append(publish)
    try:
        yield
    finally:
        database.commit_listeners.remove(publish)


class WhileLive(InitPlugin):
    """Lifespan managers that need the live channels: entered after the channels start, left before they stop.

    (Litestar enters plugins' lifespans in plugin order, after the app's own `lifespan=`.)
    """

    def __init__(self, *managers: Callable[[Litestar], AbstractAsyncContextManager[Any]]) -> None:
        self.managers = managers

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.lifespan.extend(self.managers)
        return app_config
