"""Signing webhook requests: HMAC-SHA256 of the timestamp and the body, with the webhook's secret.

Each request carries `Cangku-Signature: t=<unix seconds>,v1=<hex digest>`, the digest of `<t>.<body>`. A receiver
recomputes it over the body exactly as received and compares in constant time, and refuses a timestamp too far from its
own clock (a replayed request). `verify` is what a Python receiver runs; examples/webhook_receiver.py shows it in use.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Cangku-Signature"
TOLERANCE_SECONDS = 300


def digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header's value for `body`, signed now (or at `timestamp`)."""
    at = int(time.time()) if timestamp is None else timestamp
    return f"t={at},v1={digest(secret, at, body)}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = TOLERANCE_SECONDS, now: float | None = None) -> bool:
    """Whether `header` signs `body` with `secret`, at a time within `tolerance` seconds of now."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        at = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - at) > tolerance:
        return False
    expected = digest(secret, at, body)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))
