"""The served app in a real Chromium (Debian's, through Playwright): the page loads and reaches the server."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CANGKU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}; the test command installs Debian's chromium"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_home_page_loads_in_chromium_and_shows_the_server_is_up(browser, live_server):
    page = browser.new_page(locale="zh-CN")
    page.goto(live_server.url + "/")
    assert "仓库" in page.title()
    status = page.locator("#status")
    status.wait_for(state="visible")
    page.wait_for_function("document.getElementById('status').dataset.state === 'ok'", timeout=15000)
    assert "OK" in status.inner_text()
    page.close()
