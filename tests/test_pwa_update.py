"""A new version of the app waits for the outbox: the service worker of the next version installs beside the running
one and takes over only once nothing is left to send, and the page then runs the new version."""

from __future__ import annotations

import re
import shutil

import pytest

from server import app as app_module
from tests.helpers import add_user
from tests.test_pwa import PHONE, pending, sign_in
from tests.test_pwa_inbox import until

pytestmark = pytest.mark.browser


@pytest.fixture
def pwa_copy(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The app's files served from a copy, so a test can publish a new version of it."""
    copy = tmp_path / "pwa"
    shutil.copytree(app_module.PWA_DIR, copy)
    monkeypatch.setattr(app_module, "PWA_DIR", copy)
    return copy


def served_version(client) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'^const VERSION = "([0-9a-f]+)";$', client.get("/sw.js").text, re.M).group(1)


def version_of(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate("""() => new Promise((resolve) => {
      navigator.serviceWorker.addEventListener('message', (e) => { if (e.data.type === 'version') resolve(e.data.version); }, {once: true});
      navigator.serviceWorker.controller.postMessage({type: 'version'});
    })""")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_new_version_waits_until_the_outbox_is_empty_then_takes_over(pwa_copy, browser, client, live_server, world, db):
    add_user(db, "picker", ["warehouse"], ["WH1"])
    old = served_version(client)
    context = browser.new_context(**PHONE, service_workers="allow")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        page.locator("[data-task=receive]").wait_for()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
        assert version_of(page) == old

        # An operation that cannot be sent (the server is out of reach for pushes) waits in the outbox.
        page.route("**/api/v1/sync/push", lambda route: route.abort())
        page.evaluate("import('/sync.js').then((sync) => sync.queue('transfer.confirm', {sku: 'PEN', qty: '1', from: 'B1', to: 'B2'}, 'PEN B1 → B2'))")
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '1'")

        # The next version is published (a file of the app changed) and found: it installs and waits while the operation is there.
        changed = pwa_copy / "style.css"
        changed.write_text(changed.read_text() + "\n/* the next version */\n")
        new = served_version(client)
        assert new != old
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        until(page, "navigator.serviceWorker.getRegistration().then((r) => r.waiting !== null)")
        page.wait_for_timeout(1000)  # time enough to take over, were it not waiting
        assert page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.waiting !== null)")
        assert version_of(page) == old and pending(page) == 1

        # Once the operation is sent, the new version takes over and the page reloads into it.
        page.unroute("**/api/v1/sync/push")
        with page.expect_event("load", timeout=20000):
            page.evaluate("import('/sync.js').then((sync) => sync.syncNow())")
        page.locator("[data-task=receive]").wait_for()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        assert version_of(page) == new
        assert pending(page) == 0
        caches = page.evaluate("caches.keys()")
        assert caches == [f"cangku-shell-{new}"]  # the old version's cache was pruned
    finally:
        context.close()
