"""Security headers on every response: a Content-Security-Policy the PWA lives within, and its usual companions.

The PWA is plain ES modules, stylesheets and vendored files from this server, with no inline script
or style (its screens set `element.style` from JavaScript at most, which CSP allows), so the policy
is "self" throughout. Three exceptions, each for a named reason:

- `script-src 'wasm-unsafe-eval'`: the vendored zxing-wasm barcode decoder (pwa/vendor) compiles
  WebAssembly — it allows compiling wasm, not `eval` of JavaScript;
- `img-src data: blob:` and `media-src blob: mediastream:`: decoded camera frames and the camera stream;
- `connect-src ws://host wss://host`: the sync and notification websockets, spelled out for browsers
  whose 'self' does not yet cover ws: (CSP level 3 says it should).

The OpenAPI pages under /schema are Litestar's Swagger UI, which loads its script and stylesheet from
the jsDelivr CDN and starts with an inline script: they get a policy of their own allowing just that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

from server.settings import Settings

APP_POLICY = (
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "font-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)
CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = "; ".join((
    "default-src 'self'",
    f"script-src 'self' 'unsafe-inline' {CDN}",
    f"style-src 'self' 'unsafe-inline' {CDN}",
    f"img-src 'self' data: {CDN}",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
))
DOCS_PATH = re.compile(r"^/schema(/|$)")
# A Host header worth naming in the policy: a name or an IPv6 literal, with a port. Anything else gets plain 'self'.
HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$")

COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


def app_policy(host: str | None) -> str:
    connect = "connect-src 'self'" + (f" ws://{host} wss://{host}" if host and HOST.match(host) else "")
    return "; ".join((*APP_POLICY, connect))


def security_headers(settings: Settings) -> Callable[[Any, Any], Coroutine[Any, Any, None]]:
    """A `before_send` hook adding the headers to every HTTP response (a header a route set itself is left alone)."""
    hsts = f"max-age={settings.hsts_max_age}".encode() if settings.hsts_max_age > 0 else None
    policies: dict[str, bytes] = {}  # by Host header: one server answers to few names

    def policy_for(host: str) -> bytes:
        policy = policies.get(host)
        if policy is None:
            if len(policies) > 64:
                policies.clear()
            policy = policies[host] = app_policy(host).encode()
        return policy

    async def add(message: Any, scope: Any) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", ()))
        present = {name.lower() for name, _ in headers}
        wanted = list(COMMON)
        path = scope.get("raw_path", b"").decode("latin-1") or scope.get("path", "")
        if DOCS_PATH.match(path):
            wanted.append((b"content-security-policy", DOCS_POLICY.encode()))
        else:
            host = next((value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"host"), "")
            wanted.append((b"content-security-policy", policy_for(host)))
        if hsts is not None and (settings.served_over_https or scope.get("scheme") in ("https", "wss")):
            wanted.append((b"strict-transport-security", hsts))
        headers.extend((name, value) for name, value in wanted if name not in present)
        message["headers"] = headers

    return add
