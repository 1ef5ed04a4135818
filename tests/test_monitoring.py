"""Operating the server: /ready says what is wrong and says it fast, /metrics counts what happened, and every request
leaves one JSON log line whose request id is the one its answer carries."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import socket
import time
import uuid

import httpx
import pytest
from alembic.script import ScriptDirectory
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, event, text

from server.app import create_app
from server.auth.permissions import SYSTEM
from server.inventory.services import move
from server.migrate import alembic_config, head_revision
from server.monitoring.metrics import may_scrape
from server.settings import Settings
from server.wiring import open_database
from tests.conftest import REDIS_URL, require_redis
from tests.helpers import PEN_EACH, add_user, post_move, sign_in

TOKEN = "scrape-" + uuid.uuid4().hex
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    """The tests' settings, with a metrics token (TestClient's requests come from no network address) and JSON logs."""
    return Settings(data_dir=tmp_path, database_url=None, metrics_token=TOKEN, log_format="json")


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:  # type: ignore[no-untyped-def]
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# /ready ------------------------------------------------------------------------------------------


def test_ready_answers_200_with_each_check_when_the_database_answers_and_the_schema_is_at_head(client):
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["failed"] == [] and body["message"] == "Ready."
    assert body["checks"]["database"]["ok"] is True and body["checks"]["database"]["ms"] >= 0
    assert body["checks"]["migrations"] == {"ok": True, "current": head_revision(), "head": head_revision()}
    assert body["checks"]["redis"] == {"ok": True, "configured": False}  # in-process channels: nothing to check
    assert response.headers["cache-control"] == "no-store"
    assert client.get("/health").json()["status"] == "ok"  # liveness stays as it was


@pytest.mark.parametrize("backend", ["sqlite"])
def test_ready_checks_redis_when_the_server_uses_it(db, tmp_path):
    require_redis()
    live = Settings(data_dir=tmp_path, database_url=None, redis_url=REDIS_URL, redis_prefix=f"cangku-test-{uuid.uuid4().hex}")
    with TestClient(create_app(live, db)) as client:
        response = client.get("/ready")
        assert response.status_code == 200 and response.json()["checks"]["redis"]["ok"] is True
    gone = dataclasses.replace(live, redis_url="redis://127.0.0.1:9/0")  # nothing listens on port 9
    app = create_app(gone, db)
    response = TestClient(app).get("/ready", headers={"Accept-Language": "zh-CN"})  # no lifespan: the channels never connect
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["redis"] and body["checks"]["database"]["ok"] is True
    assert body["message"].startswith("未就绪：Redis 无响应") and body["message_en"].startswith("Not ready: Redis is not answering")


def test_a_database_that_refuses_connections_makes_ready_answer_503_at_once(tmp_path):
    db = open_database("postgresql://postgres@127.0.0.1:9/nowhere")  # nothing listens on port 9
    try:
        with TestClient(create_app(Settings(data_dir=tmp_path, database_url=None), db)) as client:
            started = time.monotonic()
            response = client.get("/ready", headers={"Accept-Language": "zh-CN"})
            assert time.monotonic() - started < 2
            assert response.status_code == 503
            body = response.json()
            assert body["status"] == "not_ready" and body["failed"] == ["database"]
            assert body["checks"]["database"]["ok"] is False and body["checks"]["migrations"]["skipped"] is True
            assert body["message"] == "未就绪：数据库无响应（OperationalError）。"
            assert body["message_en"] == "Not ready: The database is not answering (OperationalError)."
            assert "127.0.0.1" not in response.text  # the reason is logged, not told to whoever asks
            assert client.get("/health").status_code == 200  # alive all the same
    finally:
        db.dispose()


def test_a_database_that_never_answers_makes_ready_answer_503_within_two_seconds(tmp_path):
    """A server that accepts the connection and then says nothing (a hung database, a dead network path)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever answers
        db = open_database(f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/hung")
        settings = Settings(data_dir=tmp_path, database_url=None, ready_timeout_seconds=1.0)
        try:
            with TestClient(create_app(settings, db)) as client:
                started = time.monotonic()
                first = client.get("/ready")
                assert time.monotonic() - started < 2
                assert first.status_code == 503 and first.json()["failed"] == ["database"]
                assert first.json()["checks"]["database"]["message_en"] == "The database did not answer within 1 s."
                # The first check is still stuck in its thread: the next probe does not start another, it answers at once.
                started = time.monotonic()
                second = client.get("/ready")
                assert time.monotonic() - started < 0.5
                assert second.status_code == 503
                assert second.json()["checks"]["database"]["message_en"] == "The database has not answered the previous check yet."
                silent.close()  # the stuck connection attempt fails now, and its thread ends
                for _ in range(50):
                    message = client.get("/ready").json()["checks"]["database"]["message_en"]
                    if "previous check" not in message:
                        break
                    time.sleep(0.1)
                assert message == "The database is not answering (OperationalError)."
        finally:
            db.dispose()


def test_ready_answers_503_while_the_schema_is_behind_the_code(client, db):
    head = head_revision()
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    assert isinstance(previous, str)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    try:
        response = client.get("/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["failed"] == ["migrations"] and body["checks"]["database"]["ok"] is True
        assert body["checks"]["migrations"]["current"] == previous and body["checks"]["migrations"]["head"] == head
        assert "cangku migrate" in body["message_en"] and "cangku migrate" in body["message_zh"]
        assert f"{previous}" in body["message"]
    finally:
        with db.engine.begin() as connection:  # the PostgreSQL schema is reused by the next test
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert client.get("/ready").status_code == 200


# /metrics ----------------------------------------------------------------------------------------


def test_the_moves_counter_goes_up_by_exactly_the_moves_that_committed(client, worker, world, db):
    before = scrape(client)
    for qty, target in [(5, "B1"), (3, "B2"), (2, "B1")]:
        assert post_move(client, worker, "PEN", qty, "SUPPLIER", target, unit_cost="1").status_code == 201
    assert post_move(client, worker, "PEN", 99, "B1", "CUSTOMER").status_code == 409  # refused: nothing committed
    with contextlib.suppress(RuntimeError), db.write() as session:  # posted, then rolled back with its transaction
        move(session, SYSTEM, sku="PEN", qty="1", source="SUPPLIER", target="B3", unit_cost="1")
        raise RuntimeError("the rest of the business action failed")
    after = scrape(client)
    assert value(after, "cangku_moves_posted_total") - value(before, "cangku_moves_posted_total") == 3


def test_request_latency_is_kept_by_route_template_method_and_status_class(client, worker, world):
    before = scrape(client)
    for _ in range(2):
        assert client.get("/api/v1/items/PEN", headers=worker).status_code == 200
    assert client.get("/api/v1/items/NOPE", headers=worker).status_code == 404
    after = scrape(client)
    routes = {dict(labels)["route"] for name, labels in after if name == "cangku_http_request_duration_seconds_count"}
    template = next(route for route in routes if re.fullmatch(r"/api/v1/items/\{[^/]+\}", route))  # one item, not its barcodes
    assert not any("PEN" in route or "NOPE" in route for route in routes)  # one series per route, not per item
    count = "cangku_http_request_duration_seconds_count"
    assert value(after, count, route=template, method="GET", status="2xx") - value(before, count, route=template, method="GET", status="2xx") == 2
    assert value(after, count, route=template, method="GET", status="4xx") - value(before, count, route=template, method="GET", status="4xx") == 1
    assert value(after, "cangku_http_request_duration_seconds_bucket", route=template, method="GET", status="2xx", le="+Inf") >= 2


def test_sync_ops_pull_lag_jobs_and_open_websockets_are_counted(client, worker, admin, world):
    before = scrape(client)
    op = {"op_id": f"op-{uuid.uuid4()}", "seq": 1, "type": "stock.move",
          "payload": {"sku": "PEN", "qty": "4", "from": "SUPPLIER", "to": "B1", "unit_cost": "1"}}
    refused = {"op_id": f"op-{uuid.uuid4()}", "seq": 2, "type": "stock.move", "payload": {"sku": "NOPE", "qty": "1", "from": "SUPPLIER", "to": "B1"}}
    body = {"client_id": "phone-0001-metrics", "device_time": "2030-01-01T00:00:00Z", "schema_version": 1, "ops": [op, refused]}
    answer = client.post("/api/v1/sync/push", headers=worker, json=body)
    assert [r["status"] for r in answer.json()["results"]] == ["applied", "rejected"]
    assert client.get("/api/v1/sync/pull", headers=worker, params={"scope": "wh:WH1"}).status_code == 200  # from the start
    assert client.post("/api/v1/jobs/expiry_warnings/run", headers=admin, json={}).status_code == 200
    with client.websocket_connect("/api/v1/sync/ws", headers=worker) as ws:
        assert ws.receive_json(timeout=10)["type"] == "ready"
        during = scrape(client)
    after = scrape(client)
    for _ in range(50):  # the socket's handler ends just after the client has gone
        if value(after, "cangku_websocket_connections", route="/api/v1/sync/ws") == value(before, "cangku_websocket_connections", route="/api/v1/sync/ws"):
            break
        time.sleep(0.05)
        after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("cangku_sync_ops_total", status="applied") == 1 and grew("cangku_sync_ops_total", status="rejected") == 1
    assert grew("cangku_moves_posted_total") == 1
    assert grew("cangku_sync_pull_lag_versions_count") == 1 and grew("cangku_sync_pull_lag_versions_sum") >= 1  # it started at nothing
    assert grew("cangku_job_runs_total", job="expiry_warnings", status="succeeded") == 1
    ws_route = {"route": "/api/v1/sync/ws"}
    assert value(during, "cangku_websocket_connections", **ws_route) == value(before, "cangku_websocket_connections", **ws_route) + 1
    assert value(after, "cangku_websocket_connections", **ws_route) == value(before, "cangku_websocket_connections", **ws_route)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_metrics_answer_local_scrapers_and_the_token_and_no_one_else(client, live_server):
    # The live server is reached from 127.0.0.1: allowed without a token.
    local = httpx.get(f"{live_server.url}/metrics")
    assert local.status_code == 200 and "cangku_http_request_duration_seconds" in local.text
    assert httpx.get(f"{live_server.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403  # via a proxy
    # TestClient's requests come from no address: only the token lets them in.
    refused = client.get("/metrics")
    assert refused.status_code == 403 and refused.json()["error"] == "metrics_forbidden"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers=SCRAPER).status_code == 200
    assert "/metrics" not in client.get("/schema/openapi.json").json()["paths"]


def test_who_may_scrape_the_metrics():
    settings = Settings(data_dir=None, database_url=None, metrics_allow=("127.0.0.0/8", "::1/128", "10.1.0.0/16"))  # type: ignore[arg-type]
    assert may_scrape(settings, "127.0.0.1", [], None)
    assert may_scrape(settings, "::1", [], None)
    assert may_scrape(settings, "::ffff:127.0.0.1", [], None)  # an IPv4 client on a dual-stack socket
    assert may_scrape(settings, "10.1.2.3", [], None)
    assert not may_scrape(settings, "10.2.0.1", [], None)
    assert not may_scrape(settings, "127.0.0.1", [(b"x-forwarded-for", b"198.51.100.7")], None)
    assert not may_scrape(settings, "testclient", [], None)
    assert not may_scrape(Settings(data_dir=None, database_url=None, metrics_allow=()), "127.0.0.1", [], None)  # type: ignore[arg-type]
    with_token = dataclasses.replace(settings, metrics_token="t0ken")
    assert may_scrape(with_token, "198.51.100.7", [(b"x-forwarded-for", b"198.51.100.7")], "t0ken")
    assert not may_scrape(with_token, "127.0.0.1", [], "wrong")  # a wrong token is refused even from an allowed address


# Logs ---------------------------------------------------------------------------------------------


def json_lines(captured: str) -> list[dict]:
    lines = [line for line in captured.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(entry, dict) and {"time", "level", "logger", "message"} <= set(entry) for entry in parsed)
    return parsed


def test_a_request_logs_one_json_line_with_the_request_id_its_answer_and_error_body_carry(client, world, as_role, capsys):
    headers = as_role("warehouse")
    capsys.readouterr()
    response = client.post("/api/v1/stock/moves", headers={**headers, "X-Request-Id": "trace-42.a"},
                           json={"sku": "NOPE", "qty": "1", "from": "SUPPLIER", "to": "B1"})
    assert response.status_code == 422
    body = response.json()
    assert response.headers["x-request-id"] == body["request_id"] == "trace-42.a"
    logged = [e for e in json_lines(capsys.readouterr().err) if e["logger"] == "cangku.requests"]
    assert len(logged) == 1
    line = logged[0]
    assert line["request_id"] == "trace-42.a" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"], line["error"]) == ("POST", "/api/v1/stock/moves", 422, body["error"])
    assert line["user"] == "warehouse0" and line["route"] == "/api/v1/stock/moves"
    assert isinstance(line["duration_ms"], float) and isinstance(line["queries"], int)
    assert line["time"].endswith("Z")


def test_a_malformed_request_id_is_replaced_and_every_answer_has_one(client):
    for sent in (b"has spaces", b"x" * 200, b"<script>", "ünïcode".encode(), b""):
        response = client.get("/api/v1/items", headers={"X-Request-Id": sent})
        assert response.status_code == 401
        given = response.headers["x-request-id"]
        assert given.encode() != sent and len(given) == 32 and response.json()["request_id"] == given
    a, b = client.get("/health"), client.get("/health")
    assert a.headers["x-request-id"] != b.headers["x-request-id"]
    assert client.get("/", headers={"X-Request-Id": "from-the-proxy"}).headers["x-request-id"] == "from-the-proxy"


def test_a_slow_request_is_logged_as_a_warning_with_its_sql_query_count(db, world, settings, capsys):
    app = create_app(dataclasses.replace(settings, slow_request_ms=0), db)  # every request is "slow"
    with TestClient(app) as client:
        add_user(db, "reader", ["viewer"])
        headers = sign_in(client, "reader")
        statements: list[str] = []

        def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(Engine, "before_cursor_execute", seen)
        try:
            capsys.readouterr()
            response = client.get(f"/api/v1/scan/{PEN_EACH}", headers={**headers, "X-Request-Id": "slow-1"})
        finally:
            event.remove(Engine, "before_cursor_execute", seen)
        assert response.status_code == 200, response.text
        line = next(e for e in json_lines(capsys.readouterr().err) if e["logger"] == "cangku.requests" and e.get("request_id") == "slow-1")
    assert line["level"] == "WARNING" and "slow" in line["message"]
    assert line["queries"] == len(statements) > 0


WORKER = """
import sys
from pathlib import Path
from server.monitoring import metrics
from server.settings import Settings

metrics.MOVES_POSTED.inc(int(sys.argv[1]))
metrics.WEBSOCKETS.labels("/api/v1/sync/ws").inc()
metrics.HTTP_REQUESTS.labels("/api/v1/stock/moves", "POST", "2xx").observe(0.01)
if sys.argv[2] == "stopped":
    metrics.process_ended(Settings(data_dir=Path("."), database_url=None, metrics_multiprocess_dir=Path(sys.argv[3])))
"""


def test_with_a_multiprocess_directory_metrics_add_up_across_worker_processes(tmp_path):
    import os
    import subprocess
    import sys

    from server.monitoring.metrics import exposition, prepare_multiprocess_dir

    directory = tmp_path / "metrics"
    (directory).mkdir()
    (directory / "counter_999999.db").write_bytes(b"left over from an earlier run")
    prepare_multiprocess_dir(directory)  # what the command starting the workers does first
    assert list(directory.iterdir()) == []
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    for moves, state in ((3, "running"), (4, "running"), (5, "stopped")):
        subprocess.run([sys.executable, "-c", WORKER, str(moves), state, str(directory)], env=environment, check=True, timeout=60)
    settings = Settings(data_dir=tmp_path, database_url=None, metrics_multiprocess_dir=directory)
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition(settings).decode())
        for sample in family.samples
    }
    assert value(samples, "cangku_moves_posted_total") == 12  # every worker's moves, whichever answers the scrape
    assert value(samples, "cangku_http_request_duration_seconds_count", route="/api/v1/stock/moves", method="POST", status="2xx") == 3
    assert value(samples, "cangku_websocket_connections", route="/api/v1/sync/ws") == 2  # a stopped worker's sockets are gone
