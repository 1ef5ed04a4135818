"""The JSON examples of sync/PROTOCOL.md (sync/vectors/*.json), run against the server: the contract holds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

VECTORS = sorted((Path(__file__).resolve().parent.parent / "sync" / "vectors").glob("*.json"))


def contains(actual: Any, expected: Any, where: str = "") -> None:
    """Every key and list item given in `expected` is in `actual` with the same value (lists compare item by item)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing in {actual!r}"
            contains(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: expected {len(expected)} items, got {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            contains(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


def test_there_are_vectors():
    assert len(VECTORS) >= 4


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_the_server_answers_each_sync_vector_as_written(client, worker, world, path):
    vector = json.loads(path.read_text(encoding="utf-8"))
    last_cursor = None
    for n, step in enumerate(vector["steps"], 1):
        if "push" in step:
            body = {**step["push"], "device_time": dt.datetime.now(dt.UTC).isoformat()}
            response = client.post("/api/v1/sync/push", headers=worker, json=body)
        else:
            params = dict(step["pull"])
            if params.get("cursor") == "$last":
                params["cursor"] = last_cursor
            response = client.get("/api/v1/sync/pull", headers=worker, params=params)
        assert response.status_code == step.get("status", 200), response.text
        answer = response.json()
        last_cursor = answer.get("cursor", last_cursor)
        contains(answer, step["expect"], f"{path.stem} step {n}")
