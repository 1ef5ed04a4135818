"""Security headers on every answer — API, static files, errors — and a Content-Security-Policy the whole app lives within:
every screen on a phone and a desk, the back office's charts, and the camera scanner's WebAssembly decoder, in Chromium."""

from __future__ import annotations

import dataclasses

import pytest
from litestar.testing import TestClient

from server.app import create_app
from tests.helpers import PASSWORD, add_user
from tests.test_pwa import PHONE, sign_in, y4m_of
from tests.test_pwa_inbox import catalog_on_the_phone
from tests.test_pwa_screens import busy_day, screens  # noqa: F401 - busy_day is a fixture

DESK = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def answers(client) -> dict:  # type: ignore[no-untyped-def]
    return {
        "api": client.get("/health"),
        "page": client.get("/"),
        "script": client.get("/app.js"),
        "wasm": client.get("/vendor/zxing-wasm/zxing_reader.wasm"),
        "no such file": client.get("/nothing-here.js"),
        "not signed in": client.get("/api/v1/items"),
        "bad json": client.post("/api/v1/auth/login", content=b"{", headers={"Content-Type": "application/json"}),
        "wrong method": client.request("PATCH", "/health"),
        "readiness": client.get("/ready"),
    }


def test_api_static_and_error_answers_all_carry_the_security_headers(client):
    found = answers(client)
    assert [what for what, r in found.items() if r.status_code >= 400] == ["no such file", "not signed in", "bad json", "wrong method"]
    for what, response in found.items():
        csp = directives(response.headers["content-security-policy"])
        assert csp["default-src"] == ["'self'"], what
        assert csp["script-src"] == ["'self'", "'wasm-unsafe-eval'"], what  # no inline script, no eval: only wasm compiles
        assert csp["style-src"] == ["'self'"], what
        assert csp["img-src"] == ["'self'", "data:", "blob:"], what
        assert csp["media-src"] == ["'self'", "blob:", "mediastream:"], what
        assert csp["worker-src"] == ["'self'"] and csp["object-src"] == ["'none'"], what
        assert csp["connect-src"] == ["'self'", "ws://testserver.local", "wss://testserver.local"], what
        assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"], what
        assert response.headers["x-content-type-options"] == "nosniff", what
        assert response.headers["referrer-policy"] == "same-origin", what
        assert "camera=(self)" in response.headers["permissions-policy"] and "microphone=()" in response.headers["permissions-policy"], what
        assert response.headers["cross-origin-opener-policy"] == "same-origin", what
        assert response.headers["x-frame-options"] == "DENY", what
        assert "strict-transport-security" not in response.headers, what  # plain HTTP: HSTS would be ignored, and wrong
        assert response.headers.get_list("content-security-policy") == [response.headers["content-security-policy"]], what
    assert found["wasm"].headers["content-type"] == "application/wasm"


def test_the_api_docs_get_a_policy_that_lets_swagger_load_from_its_cdn(client):
    for path in ("/schema", "/schema/swagger"):
        page = client.get(path)
        assert page.status_code == 200 and "cdn.jsdelivr.net" in page.text
        csp = directives(page.headers["content-security-policy"])
        assert csp["script-src"] == ["'self'", "'unsafe-inline'", "https://cdn.jsdelivr.net"]
        assert "https://cdn.jsdelivr.net" in csp["style-src"] and csp["frame-ancestors"] == ["'none'"]
        assert page.headers["x-content-type-options"] == "nosniff"
    # Only there: a page of the app under a name that merely starts alike keeps the strict policy.
    assert "'unsafe-inline'" not in client.get("/schemas-of-nothing").headers["content-security-policy"]


def test_a_host_header_that_is_not_a_host_name_is_not_written_into_the_policy(client):
    for host in ("evil.example; script-src *", "a b"):
        response = client.get("/health", headers={"Host": host})
        assert directives(response.headers["content-security-policy"])["connect-src"] == ["'self'"]
        assert "evil" not in response.headers["content-security-policy"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_strict_transport_security_only_over_https_or_behind_a_proxy_that_says_so(settings, db):
    with TestClient(create_app(settings, db), base_url="https://cangku.example") as https:
        assert https.get("/health").headers["strict-transport-security"] == "max-age=31536000"
    proxied = dataclasses.replace(settings, served_over_https=True)
    with TestClient(create_app(proxied, db)) as behind_proxy:  # TLS ends at the proxy: plain HTTP arrives here
        assert behind_proxy.get("/health").headers["strict-transport-security"] == "max-age=31536000"
    never = dataclasses.replace(proxied, hsts_max_age=0)
    with TestClient(create_app(never, db), base_url="https://cangku.example") as https:
        assert "strict-transport-security" not in https.get("/health").headers


# In Chromium -----------------------------------------------------------------------------------------

WATCH = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    """A browser context whose pages record every CSP violation (the DOM event and Chromium's console error)."""

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        self.context = context
        self.console: list[str] = []
        context.add_init_script(WATCH)
        context.on("page", self._watch)

    def _watch(self, page) -> None:  # type: ignore[no-untyped-def]
        page.on("console", lambda message: self.console.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text else None)

    def violations(self, page) -> list[str]:  # type: ignore[no-untyped-def]
        return page.evaluate("[...window.cspViolations]") + self.console


def prove_the_watch_works(watched: Watched, page) -> None:  # type: ignore[no-untyped-def]
    """An inline style attribute is refused by style-src 'self': the watch must see it, or its silence proves nothing."""
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<div id=csp-probe style=\"color: red\">x</div>')")
    page.wait_for_function("() => window.cspViolations.length > 0")
    assert any("style-src" in v for v in watched.violations(page))


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_screen_the_back_office_and_its_charts_run_with_no_policy_violation(browser, client, live_server, busy_day):  # noqa: F811
    for options in (PHONE, DESK):
        watched = Watched(browser.new_context(**options, service_workers="allow"))
        try:
            page = watched.context.new_page()
            page.goto(live_server.url + "/")
            page.locator("input[name=username]").fill("lead")
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("form button[type=submit]").click()
            page.locator("[data-task=receive]").wait_for()
            page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
            catalog_on_the_phone(page)  # the sync websocket is open and the pulls are done
            page.locator("[data-task=pick] .badge").wait_for()
            # Something for the inbox screen: an operation the server will refuse.
            page.evaluate("import('/sync.js').then((sync) => sync.queue('transfer.confirm', {sku: 'PEN', qty: '1', from: 'B1', to: 'NOPE'}, 'PEN B1 → NOPE'))")
            for name, hash_, ready in [
                *screens(busy_day),
                ("office-items", "#/office/items", "#office-body tr[data-sku=PEN]"),
                ("office-locations", "#/office/locations", "#location-tree li[data-location=WH1]"),
                ("stock-value-chart", "#/office/reports/stock_value", "#chart-stock-value svg circle"),
                ("top-movers-chart", "#/office/reports/top_movers", "#chart-top-movers svg"),
            ]:
                page.evaluate(f"location.hash = {hash_!r}")
                page.locator(ready).first.wait_for(timeout=15000)
                page.wait_for_timeout(100)
                assert watched.violations(page) == [], f"{name} ({options['viewport']['width']} px wide)"
            page.evaluate("location.hash = '#/home'")
            page.reload()  # from the service worker's cache this time
            page.locator("[data-task=receive]").wait_for()
            assert watched.violations(page) == []
            prove_the_watch_works(watched, page)
        finally:
            watched.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_camera_scanner_compiles_its_webassembly_decoder_and_reads_a_label_within_the_policy(playwright_driver, live_server, world, db,
                                                                                                 tmp_path):
    from labels import render
    from labels.layout import Code, Label
    from labels.symbols import encode
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    camera = tmp_path / "label.y4m"
    y4m_of(render.png(Label(80, 30, (Code(2, 2, 76, 26, encode("code128", "PEN")),)), dpi=203), camera)
    add_user(db, "picker", ["warehouse"], ["WH1"])
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={camera}"])
    try:
        watched = Watched(browser.new_context(**PHONE))
        watched.context.grant_permissions(["camera"], origin=live_server.url)
        page = watched.context.new_page()
        wasm: list[str] = []
        page.on("response", lambda response: wasm.append(response.headers.get("content-type", "")) if response.url.endswith(".wasm") else None)
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        page.locator("[data-task=stock]").click()
        page.wait_for_function("() => document.getElementById('sync').textContent.includes(':')")
        assert page.evaluate("'BarcodeDetector' in window") is False  # the vendored zxing-wasm polyfill does the decoding
        page.locator("#camera").click()
        page.locator("#stock-result h3").wait_for(timeout=15000)
        assert page.locator("#stock-result h3").inner_text() == "PEN · 中性笔"
        assert wasm == ["application/wasm"]
        assert watched.violations(page) == []
        prove_the_watch_works(watched, page)
    finally:
        browser.close()
