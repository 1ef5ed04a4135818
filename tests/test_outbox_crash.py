"""At least once: a server killed while an endpoint holds a delivery sends it again when it comes back, and every event
arrives, each aggregate's in order."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

from sqlalchemy import select

from server.auth.permissions import SYSTEM
from server.inventory.services import move
from server.migrate import prepare
from server.outbox import webhooks
from server.outbox.models import Delivery, OutboxEvent
from server.outbox.schemas import WebhookCreate
from server.printing.services import address_policy
from server.settings import Settings
from server.testing import ServedProcess
from server.wiring import open_database
from tests.conftest import build_world
from tests.outbox_helpers import Receiver


def test_a_server_killed_mid_delivery_sends_the_events_again_when_it_comes_back(tmp_path, backends, backend):
    holding = threading.Event()
    let_go = threading.Event()

    def answer(got) -> int:  # type: ignore[no-untyped-def]
        # The first request is held, as a slow endpoint does, until the server that sent it has been killed.
        if not holding.is_set():
            holding.set()
            let_go.wait(30)
        return 200

    endpoint = Receiver(answer)
    with backends.scratch(backend, tmp_path, "crash") as url:
        db = open_database(url)
        try:
            prepare(db)
            build_world(db)
            settings = Settings(data_dir=tmp_path, database_url=url, allow_local_printers=True)
            db.run_write(lambda s: webhooks.create_webhook(s, SYSTEM.granted("integrations.manage"),
                                                           WebhookCreate(url=endpoint.url, event_types=["stock.moved"]), address_policy(settings)))
            for sku, qty in [("PEN", 1), ("RICE", 1), ("PEN", 2), ("PEN", 3), ("RICE", 2)]:
                db.run_write(lambda s, sku=sku, qty=qty: move(s, SYSTEM, sku=sku, qty=Decimal(qty), source="SUPPLIER", target="B1",
                                                              unit_cost=Decimal(1)))
            with db.read() as session:
                written = {e.event_id: (e.aggregate_id, e.data) for e in session.scalars(select(OutboxEvent).where(OutboxEvent.type == "stock.moved"))}
            environment = {"CANGKU_DATA_DIR": str(tmp_path), "CANGKU_REDIS_URL": None, "CANGKU_ALLOW_LOCAL_PRINTERS": "1",
                           "CANGKU_DISPATCHER_LEASE_SECONDS": "1", "CANGKU_DISPATCHER_POLL_SECONDS": "0.2", "CANGKU_SCHEDULER": "0"}
            server = ServedProcess(tmp_path, "--database-url", url, "--no-migrate", env=environment)
            try:
                server.wait_healthy()
                assert holding.wait(60), server.output[-3000:]
                server.kill()  # while the endpoint holds the first delivery: its answer never reaches the server
                let_go.set()
                server.start()
                server.wait_healthy()
                deadline = time.monotonic() + 60
                while {got.event["id"] for got in endpoint.received} != set(written) and time.monotonic() < deadline:
                    time.sleep(0.1)
            finally:
                server.stop()
            received = [got.event for got in endpoint.received]
            assert {event["id"] for event in received} == set(written)
            first = received[0]["id"]
            assert [event["id"] for event in received].count(first) >= 2  # sent, then sent again after the restart
            # After the restart, each aggregate's events arrived in the order they were written.
            again = received[[event["id"] for event in received].index(first, 1):]
            for sku in ("PEN", "RICE"):
                qtys = [event["data"]["qty"] for event in again if event["aggregate"]["id"] == sku]
                assert qtys == sorted(qtys, key=int) and len(qtys) == len(set(qtys))
            with db.read() as session:
                assert {d.status for d in session.scalars(select(Delivery))} == {"delivered"}
        finally:
            endpoint.close()
            db.dispose()
