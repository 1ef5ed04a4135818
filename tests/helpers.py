"""Helpers the tests share: users, sign-in, posting moves, reading balances."""

from __future__ import annotations

from litestar.testing import TestClient

from server.auth.permissions import SYSTEM
from server.auth.services import create_user
from server.db import Database

PASSWORD = "correct horse battery"
PEN_EACH = "6901234000016"
PEN_CARTON = "16901234000013"


def add_user(db: Database, username: str, roles: list[str], warehouses: list[str] | None = None) -> None:
    with db.write() as session:
        create_user(session, SYSTEM, username=username, password=PASSWORD, roles=roles, warehouses=warehouses or [])


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()  # these helpers speak Bearer; cookie sessions are tested on their own
    return {"Authorization": f"Bearer {response.json()['token']}"}


def post_move(client: TestClient, headers: dict[str, str], sku: str, qty: object, source: str, target: str, **extra: object):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/stock/moves", headers=headers, json={"sku": sku, "qty": str(qty), "from": source, "to": target, **extra})


def balance(client: TestClient, headers: dict[str, str], sku: str, location: str, lot: str | None = None) -> dict[str, str]:
    response = client.get("/api/v1/stock/balances", headers=headers, params={"sku": sku, "location": location, "include_zero": "true"})
    assert response.status_code == 200, response.text
    for row in response.json()["items"]:
        if row["lot"] == lot:
            return row
    return {"qty": "0", "reserved": "0", "available": "0"}
