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


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_apps_local_gs1_resolver_reads_every_shared_vector_as_the_server_does(browser, live_server):
    """pwa/gs1.js in Chromium against labels/vectors/gs1_scans.json, the cases the server's parser is tested on."""
    import json
    from pathlib import Path

    cases = json.loads((Path(__file__).resolve().parent.parent / "labels" / "vectors" / "gs1_scans.json").read_text(encoding="utf-8"))["cases"]
    page = browser.new_page()
    page.goto(live_server.url + "/")
    results = page.evaluate(
        """async (cases) => {
            const gs1 = await import('/gs1.js');
            const table = await gs1.loadAiTable();
            return cases.map((c) => gs1.parseGS1(c.scan, table));
        }""",
        cases,
    )
    for case, got in zip(cases, results, strict=True):
        assert got == case["expect"], case["what"]
    assert page.evaluate("async () => (await import('/gs1.js')).checkDigit('629104150021')") == "3"
    page.close()
