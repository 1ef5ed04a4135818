"""An administrator connects the company's events to another system on the desk: registers a webhook, keeps the secret
shown once, sends a test event, sees deliveries arrive, and sends the dead ones again once the receiver works."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from server.outbox import signing
from server.settings import Settings
from tests.guide import Guide
from tests.helpers import add_user, post_move
from tests.outbox_helpers import Receiver
from tests.test_office import open_office, open_section, use_language

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The server delivers as it would in production (the dispatcher on), to a receiver on this machine.
    return Settings(data_dir=tmp_path, database_url=None, allow_local_printers=True, dispatcher=True, dispatcher_poll_seconds=0.2,
                    webhook_retry_base_seconds=0.05, webhook_retry_max_seconds=0.2, webhook_max_attempts=2)


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def wait_until(check, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def refreshed_until(page, selector: str, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    """Refresh the deliveries, as a person would, until `selector` shows (the dispatcher records an answer just after it)."""
    deadline = time.monotonic() + timeout
    while True:
        page.locator("[data-action=refresh]").click()
        try:
            page.locator(selector).first.wait_for(timeout=500)
            return
        except Exception:  # noqa: BLE001 - not yet
            assert time.monotonic() < deadline, f"{selector} did not show"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_admin_registers_a_webhook_tests_it_and_sends_dead_deliveries_again(browser, live_server, client, world, db, as_role, lang):
    working = threading.Event()
    working.set()
    receiver = Receiver(lambda _: 200 if working.is_set() else 500)
    add_user(db, "clerk", ["admin"])
    worker = as_role("warehouse")
    guide = Guide("admin", lang, "webhooks", "把业务事件推送到其他系统", "Sending business events to another system (webhooks)")
    context, page = open_office(browser, live_server)
    try:
        use_language(page, lang)
        open_section(page, "webhooks")
        page.locator("#webhook-list").wait_for()
        assert page.locator("#webhook-list").inner_text() in ("No webhooks yet", "还没有推送地址")
        form = page.locator("#webhook-form")
        form.locator("input[name=url]").fill(receiver.url)
        form.locator("input[name=description]").fill("Shop stock sync")
        form.locator("[data-field=form-error]").wait_for(state="hidden")
        form.locator("[data-action=save]").click()  # no event type chosen yet: refused, nothing saved
        form.locator("[data-field=form-error]").wait_for()
        form.locator("details[data-topic=stock] summary").click()
        form.locator("input[name=event_type][value='stock.*']").check()
        guide.step(page, "在“系统管理 › 事件推送”中填写接收地址，选择要推送的事件（例如全部库存事件），然后保存。",
                   "In Administration › Webhooks, enter the receiver's address, choose the events it wants (here every stock event) and save.",
                   full_page=True)
        form.locator("[data-action=save]").click()

        secret = page.locator("#webhook-secret [data-field=secret]")
        secret.wait_for()
        shown = secret.inner_text()
        assert shown.startswith("whsec_")
        assert page.locator("[data-field=status] dd").inner_text() in ("Running", "运行中")
        guide.step(page, "立即复制签名密钥交给接收端：它只显示这一次。", "Copy the signing secret to the receiver now: it is shown only this once.")

        page.locator("[data-action=ping]").click()
        wait_until(lambda: receiver.types() == ["ping"])
        ping = receiver.received[0]
        assert signing.verify(shown, ping.headers[signing.HEADER], ping.body)
        refreshed_until(page, "#delivery-list tr[data-status=delivered]")
        guide.step(page, "点“发送测试事件”，投递记录显示接收端已收到。", "Send a test event: the deliveries show the receiver took it.")

        # Stock moves on the floor: the shop's system hears of each.
        assert post_move(client, worker, "PEN", 10, "SUPPLIER", "B1", unit_cost="2").status_code == 201
        wait_until(lambda: receiver.types() == ["ping", "stock.moved"])
        moved = receiver.received[1]
        assert signing.verify(shown, moved.headers[signing.HEADER], moved.body)
        assert moved.event["data"]["qty"] == "10"

        # The receiver breaks: the next event fails every retry and is set aside.
        working.clear()
        assert post_move(client, worker, "PEN", 3, "B1", "CUSTOMER").status_code == 201
        wait_until(lambda: len(receiver.received) == 4)  # two attempts, then dead
        time.sleep(0.5)
        page.reload()
        page.locator("[data-field=dead] dd", has_text="1").wait_for()
        page.locator("#delivery-list tr[data-status=dead]").wait_for()
        guide.step(page, "接收端故障时，事件多次重试后进入“失败”，管理员会收到通知。",
                   "When the receiver is down, an event is retried and then set aside as dead; administrators are notified.")
        # It works again: the administrator sends the dead one again, and it arrives.
        working.set()
        page.locator("[data-action=replay-dead]").click()
        wait_until(lambda: len(receiver.received) == 5)
        assert receiver.received[4].event["id"] == receiver.received[3].event["id"]
        refreshed_until(page, "#delivery-list tr[data-status=delivered] >> nth=2")
        assert page.locator("#delivery-list tr[data-status=dead]").count() == 0
        guide.step(page, "接收端恢复后，点“重新发送全部失败投递”，事件按原顺序送达。",
                   "Once it works again, send all dead deliveries again: they arrive, in their order.")

        # A new secret: the old one stops working at once.
        page.locator("[data-action=rotate]").click()
        page.locator("dialog [data-action=yes]").click()
        page.locator("#webhook-secret [data-field=secret]").wait_for()
        rotated = page.locator("#webhook-secret [data-field=secret]").inner_text()
        assert rotated.startswith("whsec_") and rotated != shown
        page.locator("[data-action=ping]").click()
        wait_until(lambda: len(receiver.received) == 6)
        assert signing.verify(rotated, receiver.received[5].headers[signing.HEADER], receiver.received[5].body)
        assert not signing.verify(shown, receiver.received[5].headers[signing.HEADER], receiver.received[5].body)
        shown = rotated

        # The secret is not shown again.
        page.reload()
        page.locator("[data-field=status]").wait_for()
        assert page.locator("#webhook-secret").count() == 0
        assert shown not in page.content()
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
        guide.write()
    finally:
        context.close()
        receiver.close()
