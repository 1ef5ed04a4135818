"""A webhook receiver on 127.0.0.1 and a way to run the dispatcher's rounds in a test."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from server.db import Database
from server.outbox.dispatcher import Dispatcher, release_lease
from server.settings import Settings


class Received:
    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.headers = headers
        self.body = body
        self.event = json.loads(body)

    @property
    def type(self) -> str:
        return str(self.event["type"])


class Receiver:
    """An HTTP endpoint that records what it is sent. `answer(received) -> status` decides each answer (200 by default);
    it may block, as an endpoint that hangs does."""

    def __init__(self, answer: Callable[[Received], int] | None = None) -> None:
        self.received: list[Received] = []
        self.answer = answer or (lambda _: 200)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                got = Received({k: v for k, v in self.headers.items()}, body)
                with receiver.lock:
                    receiver.received.append(got)
                status = receiver.answer(got)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/hooks/cangku"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def types(self) -> list[str]:
        with self.lock:
            return [got.type for got in self.received]

    def events(self, type_prefix: str = "") -> list[dict[str, Any]]:
        with self.lock:
            return [got.event for got in self.received if got.type.startswith(type_prefix)]


def dispatch(db: Database, settings: Settings, *, until: Callable[[], bool] | None = None, timeout: float = 20.0) -> int:
    """Run dispatcher rounds until nothing is left to do (or `until` holds, retrying what waits for a retry); returns
    how many rounds ran."""

    async def go() -> int:
        dispatcher = Dispatcher(db, settings)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                busy = await dispatcher.round()
                if until is not None:
                    if until():
                        break
                    if not busy:
                        await asyncio.sleep(0.02)
                elif not busy:
                    break
            else:
                raise AssertionError("the dispatcher did not get there in time")
        finally:
            await dispatcher.webhooks.close()
            if dispatcher.broker is not None:
                await dispatcher.broker.close()
            release_lease(db, dispatcher.holder)  # the next test dispatcher takes over at once
        return dispatcher.rounds

    return asyncio.run(go())
