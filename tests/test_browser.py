"""The served app in a real Chromium (Debian's, through Playwright): the page loads and reaches the server."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_app_loads_in_chromium_and_asks_the_user_to_sign_in(browser, live_server):
    page = browser.new_page(locale="zh-CN")
    page.goto(live_server.url + "/")
    assert "仓库" in page.title()
    page.get_by_role("button", name="登录").wait_for()
    assert page.locator("input[name=username]").is_visible() and page.locator("input[name=password]").is_visible()
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Sign in").wait_for()
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
