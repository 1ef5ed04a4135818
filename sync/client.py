"""A Python sync client: an outbox of operations pushed in seq order, a change feed pulled into a local view (see sync/PROTOCOL.md).

For tests, benchmarks and anyone scripting a scanner. It speaks to any httpx.Client-like object with
`get` and `post` taking relative paths: an `httpx.Client(base_url=...)` for a live server, or a Litestar
`TestClient`. One client object is meant for one thread.

    client = SyncClient.connect("http://127.0.0.1:8000", "picker", "secret", state_path="phone.json")
    client.move("PEN", 3, "B1", "CUSTOMER")       # queued offline: op id and seq assigned now, saved at once
    client.push_all()                             # in order, at most `batch_size` per request
    client.pull(["wh:WH1"])                       # follows has_more; last write wins per key
    client.balances("wh:WH1")[("PEN", "B1", None)]["qty"]

A push whose answer never arrives (a dropped connection, a timeout) raises httpx's transport error and
leaves the outbox as it was: the next push sends the same ops again, and the server answers a repeat
with the result it stored. With `state_path` (say `phone.json`), every change to the outbox, the numbering,
the results and the cursors is written to that JSON file, and the view to `phone.view.json`, atomically,
before the call returns, so a restarted client built on the same path carries on where the old one
stopped. The bearer token is not written.

A server restored from a backup forgets what came after it: a pull then answers `reset_required` (its
cursors are of the feed before the restore) and the slices start again, and the ops the server lost,
still kept in `sent`, go back to the outbox to be pushed again (see `push`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
MAX_BATCH = 500  # the server's limit per push
KEEP_SENT = 1000  # ops kept after their result, to send again if the server loses them (restored from a backup)
STATE_FORMAT = 1
ViewKey = tuple[str, str, str]  # (scope, kind, key)


class SyncError(Exception):
    """The server answered a push or pull with an error (`{"error", "message", "details"}`) instead of a result."""

    def __init__(self, status: int, error: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error, self.message, self.details = status, error, message, details or {}


@dataclasses.dataclass
class PendingOp:
    """An operation waiting in the outbox for its result."""

    op_id: str
    seq: int
    type: str
    payload: dict[str, Any]
    device_time: str  # when the user acted, by the device's clock (ISO 8601)

    def wire(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class PushReport:
    sent: int  # ops in the request
    results: list[dict[str, Any]]  # the results received, in seq order (repeats included)
    last_seq: int
    resend_from: int | None = None
    renumbered_from: int | None = None  # the outbox was renumbered from this seq (see SyncClient.push)
    resent: int = 0  # ops that had a result, put back in the outbox because the server no longer has them
    cursor: str | None = None
    clock_offset_ms: int = 0


@dataclasses.dataclass
class PullReport:
    changes: int = 0  # changes applied to the view
    requests: int = 0
    reset: list[str] = dataclasses.field(default_factory=list)  # scopes dropped and pulled again from the beginning
    refused: list[str] = dataclasses.field(default_factory=list)  # scopes the user may not see at all (left empty)


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(value, file, ensure_ascii=False, separators=(",", ":"))
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _plain(value: Any) -> Any:
    """Decimals go over the wire as strings, as the API wants quantities (ids stay numbers)."""
    if isinstance(value, Decimal | float):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class SyncClient:
    """One install of the app for one user: `client_id`, outbox, numbering, cursors and the local view."""

    def __init__(
        self, http: Any, *, client_id: str | None = None, token: str | None = None, state_path: str | os.PathLike[str] | None = None,
        batch_size: int = 100, device_id: str | None = None, language: str | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}")
        self.http = http
        self.token = token
        self.batch_size = batch_size
        self.device_id = device_id
        self.language = language
        self.state_path = Path(state_path) if state_path is not None else None
        self.client_id = client_id or f"py-{uuid.uuid4().hex[:20]}"
        self.next_seq = 1
        self.server_last_seq = 0  # as the last push answer said
        self.outbox: list[PendingOp] = []
        self.sent: list[PendingOp] = []  # the last KEEP_SENT ops that got a result, oldest first
        self.results: dict[str, dict[str, Any]] = {}  # op_id -> the result the server gave it
        self.cursors: dict[str, str] = {}  # scope -> the cursor its last complete pull ended at
        self.view: dict[ViewKey, dict[str, Any]] = {}
        self._view_version = self._view_saved = 0  # the view is written again only when it changed
        if self.state_path is not None:
            if self.state_path.exists():
                self._load(client_id)
            else:
                self.save()  # the client's identity outlives a restart before its first op

    @classmethod
    def connect(cls, url: str, username: str, password: str, *, timeout: float = 60, **options: Any) -> SyncClient:
        """A client of a live server at `url`, signed in."""
        import httpx

        client = cls(httpx.Client(base_url=url, timeout=timeout), **options)
        client.login(username, password)
        return client

    # Identity --------------------------------------------------------------------------------------

    def login(self, username: str, password: str, *, totp: str | None = None) -> str:
        body: dict[str, Any] = {"username": username, "password": password}
        if totp:
            body["totp"] = totp
        if self.device_id:
            body["device_id"] = self.device_id
        response = self.http.post("/api/v1/auth/login", json=body)
        self.token = self._answer(response)["token"]
        return self.token

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.device_id:
            headers["X-Device-Id"] = self.device_id
        if self.language:
            headers["Accept-Language"] = self.language
        return headers

    # The outbox ------------------------------------------------------------------------------------

    def queue(self, type: str, payload: dict[str, Any], *, device_time: str | None = None, save: bool = True) -> PendingOp:
        """Record what the user did: a new op id and the next seq, saved before anything is sent."""
        op = PendingOp(op_id=str(uuid.uuid4()), seq=self.next_seq, type=type, payload=_plain(payload),
                       device_time=device_time or _now())
        self.next_seq += 1
        self.outbox.append(op)
        if save:
            self.save()
        return op

    def queue_many(self, ops: Iterable[tuple[str, dict[str, Any]]]) -> list[PendingOp]:
        queued = [self.queue(type, payload, save=False) for type, payload in ops]
        self.save()
        return queued

    def move(self, sku: str, qty: Any, source: str, target: str, **extra: Any) -> PendingOp:
        """Queue a `stock.move` (receipt: SUPPLIER → bin, pick: bin → CUSTOMER, transfer: bin → bin)."""
        return self.queue("stock.move", {"sku": sku, "qty": qty, "from": source, "to": target, **extra})

    def pending(self) -> int:
        return len(self.outbox)

    # Push ------------------------------------------------------------------------------------------

    def push(self, *, limit: int | None = None) -> PushReport:
        """Send the first ops of the outbox (at most `limit`, default `batch_size`) and take in the answer.

        An op with a result leaves the outbox; its result stays in `results`, and an applied one is kept a while in
        `sent`. An answer whose `last_seq` is below a kept op's seq, or a gap (`resend_from`), means the server's
        numbering for this client is behind ours: it was restored from a backup and lost the ops after it. The
        kept ops beyond its last seq go back to the outbox, before those waiting, and all of them are numbered
        from there, in their order, so the gap closes and what the server lost is done again (a refused op it lost
        is not: refused, it changed nothing). `seq_reused` means the server's numbering is ahead of ours (the state file was older than
        the server's log): the ops still waiting are renumbered after the server's last seq, in their order, and
        sent again. Transport errors propagate and change nothing.
        """
        batch = self.outbox[: min(self.batch_size if limit is None else limit, MAX_BATCH)]
        body = {"client_id": self.client_id, "device_time": _now(), "schema_version": SCHEMA_VERSION, "ops": [op.wire() for op in batch]}
        answer = self._answer(self.http.post("/api/v1/sync/push", json=body, headers=self.headers()))
        sent = {op.op_id for op in batch}
        done: set[str] = set()
        kept: dict[str, int] = {}  # op id -> the seq the server applied it at (an earlier one for an op applied before)
        reused = False
        for result in answer["results"]:
            op_id = result["op_id"]
            if op_id not in sent:
                continue
            if result["status"] == "rejected" and (result.get("details") or {}).get("error") == "seq_reused":
                reused = True  # not applied and nothing stored: it goes again under a new seq
                continue
            self.results[op_id] = result
            done.add(op_id)
            if result["status"] in ("applied", "applied_with_exception"):  # done: kept in case the server loses it
                kept[op_id] = result["seq"]
        self.sent = (self.sent + [dataclasses.replace(op, seq=kept[op.op_id]) for op in self.outbox if op.op_id in kept])[-KEEP_SENT:]
        self.outbox = [op for op in self.outbox if op.op_id not in done]
        last_seq = self.server_last_seq = answer["last_seq"]
        renumbered = None
        resend_from = answer.get("resend_from")
        # The server stores each result with the client's last seq, so a kept op beyond its last seq is one it lost:
        # it was restored from a backup taken before that op.
        lost = [] if reused else [op for op in self.sent if op.seq > last_seq]
        if reused:
            renumbered = self._renumber(last_seq + 1)
        elif lost or (resend_from is not None and self.outbox and self.outbox[0].seq > resend_from):
            # Send the lost ops again, first and in their order, and close the gap rather than block everything behind
            # it (an op lost on both sides, older than what is kept, cannot be sent again).
            self.sent = [op for op in self.sent if op.seq <= last_seq]
            self.outbox = sorted(lost, key=lambda op: op.seq) + self.outbox
            renumbered = self._renumber(last_seq + 1)
        self.save()
        return PushReport(sent=len(batch), results=answer["results"], last_seq=answer["last_seq"], resend_from=resend_from,
                          renumbered_from=renumbered, resent=len(lost), cursor=answer.get("cursor"),
                          clock_offset_ms=answer.get("clock_offset_ms", 0))

    def push_all(self, *, max_rounds: int = 10_000) -> list[PushReport]:
        """Push until the outbox is empty (or a push makes no progress, which raises)."""
        reports: list[PushReport] = []
        for _ in range(max_rounds):
            if not self.outbox:
                return reports
            before = (len(self.outbox), self.outbox[0].seq)
            reports.append(self.push())
            if self.outbox and (len(self.outbox), self.outbox[0].seq) == before and reports[-1].renumbered_from is None:
                raise SyncError(200, "no_progress", f"the server gave no result for seq {before[1]} (last seq {reports[-1].last_seq})")
        raise SyncError(200, "no_progress", f"outbox not empty after {max_rounds} pushes")

    def _renumber(self, start: int) -> int:
        for offset, op in enumerate(self.outbox):
            op.seq = start + offset
        self.next_seq = start + len(self.outbox)
        return start

    # Pull ------------------------------------------------------------------------------------------

    def pull(self, scopes: Sequence[str], *, limit: int = 1000) -> PullReport:
        """Catch up on `scopes`: every page until `has_more` is false, applied to the view at the end.

        Scopes that stand at the same cursor are pulled together; a scope new to this client starts from
        the beginning. `reset_required` drops the scopes' data and pulls them again from the beginning,
        one by one; one that still answers `reset_required` is one the user may not see (report.refused).
        A cursor the server's feed never reached (the server was restored from a backup) resets every scope
        pulled with it.
        """
        report = PullReport()
        groups: dict[str | None, list[str]] = {}
        for scope in dict.fromkeys(scopes):
            groups.setdefault(self.cursors.get(scope), []).append(scope)
        for cursor, group in groups.items():
            self._pull_group(group, cursor, limit, report)
        self.save()
        if report.reset and self.sent:
            # The feed was restored from a backup, perhaps, and the op log with it: an empty push asks where this
            # client's numbering stands, and puts the ops the server lost back in the outbox (see push).
            self.push(limit=0)
        return report

    def _pull_group(self, group: list[str], cursor: str | None, limit: int, report: PullReport) -> None:
        staged: list[dict[str, Any]] = []
        position = cursor
        while True:
            params: list[tuple[str, str | int]] = [("scope", s) for s in group] + [("limit", limit), ("client_id", self.client_id)]
            if position:
                params.append(("cursor", position))
            page = self._answer(self.http.get("/api/v1/sync/pull", params=params, headers=self.headers()))
            report.requests += 1
            if page.get("reset_required"):
                gone = [s for s in page.get("reset_scopes") or group if s in group]
                self.drop(gone)
                if cursor is None and len(group) == 1:
                    report.refused.extend(group)
                    return
                report.reset.extend(gone)
                for scope in group:  # one by one: a scope the user may not see is refused on its own
                    self._pull_group([scope], None if scope in gone else cursor, limit, report)
                return
            staged.extend(page["changes"])
            position = page["cursor"]
            if not page["has_more"]:
                break
        for change in staged:
            key = (change["scope"], change["kind"], change["key"])
            if change["data"] is None:
                self.view.pop(key, None)
            else:
                self.view[key] = change["data"]
        report.changes += len(staged)
        self._view_version += bool(staged)
        for scope in group:
            self.cursors[scope] = position

    def drop(self, scopes: Iterable[str]) -> None:
        """Forget what this client holds of `scopes` (its next pull of them starts from the beginning)."""
        gone = set(scopes)
        self.view = {k: v for k, v in self.view.items() if k[0] not in gone}
        self._view_version += 1
        for scope in gone:
            self.cursors.pop(scope, None)

    def balances(self, scope: str) -> dict[tuple[str, str, str | None], dict[str, Any]]:
        """The view's balances of a scope: (sku, location, lot) -> {"qty", "reserved", "available", ...}."""
        return {(d["sku"], d["location"], d["lot"]): d for (s, kind, _), d in self.view.items() if s == scope and kind == "balance"}

    # Live ------------------------------------------------------------------------------------------

    def listen(self, scopes: Sequence[str] = (), *, path: str = "/api/v1/sync/ws", timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """Messages of the sync websocket as they come, until it closes: `ready`, `subscribed`, then `poke`
        (`{"type": "poke", "scope", "cursor"}`), `stock`, `reset_required`, `error`.

        Subscribes to `scopes` first (`{"type": "subscribe", "scopes": [...]}`). `timeout`: seconds to wait for
        each message before TimeoutError. Uses the test client's own websocket when given a Litestar
        TestClient, else the `websockets` library against the http client's base URL."""
        subscribe = {"type": "subscribe", "scopes": list(scopes)}
        if hasattr(self.http, "websocket_connect"):  # Litestar's (Starlette-style) TestClient
            import queue

            from litestar.exceptions import WebSocketDisconnect

            with self.http.websocket_connect(path, headers=self.headers()) as socket:
                if scopes:
                    socket.send_json(subscribe)
                while True:
                    try:
                        yield socket.receive_json(timeout=timeout)
                    except queue.Empty:
                        raise TimeoutError(f"no message on {path} for {timeout} s") from None
                    except WebSocketDisconnect:
                        return
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        base = str(self.http.base_url).rstrip("/")
        url = ("ws" + base[len("http"):] if base.startswith("http") else base) + path
        with connect(url, additional_headers=self.headers()) as socket:
            if scopes:
                socket.send(json.dumps(subscribe))
            while True:
                try:
                    message = socket.recv(timeout=timeout)
                except ConnectionClosed:
                    return
                yield json.loads(message)

    def follow(self, scopes: Sequence[str], *, limit: int = 1000, timeout: float | None = None) -> Iterator[PullReport]:
        """Keep `scopes` up to date: pull once subscribed (nothing committed after that goes unpoked), then on every
        poke for one of them, and start a slice again on `reset_required`. Yields each pull's report."""
        for message in self.listen(scopes, timeout=timeout):
            kind = message.get("type")
            if kind == "reset_required":
                self.drop(message.get("scopes") or ())
            if kind in ("subscribed", "reset_required") or (kind == "poke" and message.get("scope") in scopes):
                yield self.pull(scopes, limit=limit)  # a poke is a hint: the pull says what is new, if anything

    # State -----------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """What the state file holds (the view goes in a file of its own: it is big, and changes only on a pull)."""
        return {
            "format": STATE_FORMAT, "client_id": self.client_id, "next_seq": self.next_seq, "server_last_seq": self.server_last_seq,
            "outbox": [op.wire() for op in self.outbox], "sent": [op.wire() for op in self.sent], "results": self.results,
            "cursors": self.cursors,
        }

    @property
    def view_path(self) -> Path | None:
        return None if self.state_path is None else self.state_path.with_name(f"{self.state_path.stem}.view{self.state_path.suffix}")

    def save(self) -> None:
        """Write the state atomically (a crash leaves the old file or the new one, never half of one).

        The view is written before the cursors that say how far it goes: after a crash between the two, the
        view may be ahead of its cursor (the next pull brings some changes again, harmlessly), never behind."""
        if self.state_path is None or self.view_path is None:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        if self._view_saved != self._view_version or not self.view_path.exists():
            _write_json(self.view_path, [[*key, data] for key, data in self.view.items()])
            self._view_saved = self._view_version
        _write_json(self.state_path, self.state())

    def _load(self, client_id: str | None) -> None:
        assert self.state_path is not None and self.view_path is not None
        state = json.loads(self.state_path.read_text(encoding="utf-8"))
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"{self.state_path}: state format {state.get('format')!r}, expected {STATE_FORMAT}")
        if client_id is not None and client_id != state["client_id"]:
            raise ValueError(f"{self.state_path} belongs to client {state['client_id']}, not {client_id}")
        self.client_id = state["client_id"]
        self.next_seq = state["next_seq"]
        self.server_last_seq = state.get("server_last_seq", 0)
        self.outbox = [PendingOp(**op) for op in state["outbox"]]
        self.sent = [PendingOp(**op) for op in state.get("sent", [])]
        self.results = state["results"]
        self.cursors = state["cursors"]
        if self.view_path.exists():
            self.view = {(scope, kind, key): data for scope, kind, key, data in json.loads(self.view_path.read_text(encoding="utf-8"))}
        else:
            self.cursors = {}  # no view to go with them: start every slice again

    # HTTP ------------------------------------------------------------------------------------------

    @staticmethod
    def _answer(response: Any) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not isinstance(body, dict):
            body = body if isinstance(body, dict) else {}
            raise SyncError(response.status_code, body.get("error", "http_error"), body.get("message", response.text[:200]), body.get("details"))
        return body
