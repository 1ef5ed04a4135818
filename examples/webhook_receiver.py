"""A receiver for Cangku's webhooks: checks each request's signature and time, handles each event once, answers 2xx.

    CANGKU_WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py [--port 8080]

Register it in Cangku (Administration › Webhooks) with its URL — behind HTTPS in production; on this machine, for a
try, `http://127.0.0.1:8080/` with CANGKU_ALLOW_LOCAL_PRINTERS=1 on the server — and paste the secret shown there into
CANGKU_WEBHOOK_SECRET. Only the standard library: copy `verified` into any Python service.

Cangku delivers at least once: a retry after a lost answer brings an event again, so this remembers the event ids it
handled (in a SQLite file) and answers 200 to a repeat without handling it twice.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sqlite3
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verified(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """Whether `Cangku-Signature: t=<unix seconds>,v1=<hex>` signs this body: HMAC-SHA256 of `<t>.<body>` with the
    secret, compared in constant time, and `t` within five minutes of this machine's clock."""
    fields = dict(part.strip().partition("=")[::2] for part in header.split(","))
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


def handle(event: dict) -> None:
    """What your system does with an event: here, print it."""
    about = event["aggregate"]
    print(f"{event['occurred_at']}  {event['type']:<32} {about['type']} {about['id']}  {json.dumps(event['data'], ensure_ascii=False)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seen", default="cangku-events-seen.db", help="where handled event ids are kept")
    args = parser.parse_args()
    secret = os.environ.get("CANGKU_WEBHOOK_SECRET", "")
    if not secret:
        raise SystemExit("Set CANGKU_WEBHOOK_SECRET to the secret Cangku showed when the webhook was registered.")
    seen = sqlite3.connect(args.seen, check_same_thread=False, isolation_level=None)
    seen.execute("CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY)")

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not verified(secret, self.headers.get("Cangku-Signature", ""), body):
                self.answer(401)  # not from Cangku, changed on the way, or too old: Cangku retries a real one
                return
            event = json.loads(body)
            if seen.execute("INSERT OR IGNORE INTO seen VALUES (?)", (event["id"],)).rowcount:
                try:
                    handle(event)
                except Exception:
                    seen.execute("DELETE FROM seen WHERE event_id = ?", (event["id"],))
                    self.answer(500)  # not handled: Cangku sends it again later
                    raise
            self.answer(200)

        def answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    print(f"listening on http://{args.host}:{args.port}/")
    ThreadingHTTPServer((args.host, args.port), Receiver).serve_forever()


if __name__ == "__main__":
    main()
