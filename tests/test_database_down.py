"""When the database cannot be reached, requests fail fast with a clear 503 and nothing half-written."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from server.wiring import open_database


def test_an_unreachable_database_answers_503_with_a_message(tmp_path: Path):
    db = open_database("postgresql://postgres@127.0.0.1:9/nowhere?connect_timeout=2")  # nothing listens on port 9
    app = create_app(Settings(data_dir=tmp_path, database_url=None), db)
    with TestClient(app) as client:
        response = client.post("/api/v1/auth/login", json={"username": "admin", "password": "whatever"})
        assert response.status_code == 503
        body = response.json()
        assert body["error"] == "database_unavailable" and "nothing was written" in body["message"]
        assert response.headers["retry-after"]
        zh = client.post("/api/v1/auth/login", json={"username": "a", "password": "b"}, headers={"Accept-Language": "zh-CN"})
        assert "数据库暂时不可用" in zh.json()["message"]
        assert client.get("/health").status_code == 200  # alive, even when the database is not
    db.dispose()
