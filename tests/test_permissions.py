"""The permission matrix: every write endpoint refused (403) for every role that must not use it, and (401) without credentials."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from server.auth.permissions import ROLES

ALL = set(ROLES)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# (method, path template, concrete path, body, roles allowed)
MATRIX = [
    ("POST", "/api/v1/items", "/api/v1/items", {"sku": "X1"}, {"admin", "purchaser"}),
    ("PATCH", "/api/v1/items/{sku}", "/api/v1/items/PEN", {"name_en": "x"}, {"admin", "purchaser"}),
    ("POST", "/api/v1/lots", "/api/v1/lots", {"sku": "MILK", "code": "LX"}, {"admin", "purchaser", "warehouse"}),
    ("PATCH", "/api/v1/lots/{sku}/{code}", "/api/v1/lots/MILK/L1", {"expiry": "2027-01-01"}, {"admin", "purchaser", "warehouse"}),
    ("POST", "/api/v1/locations", "/api/v1/locations", {"code": "NEWWH", "kind": "warehouse"}, {"admin"}),
    ("PATCH", "/api/v1/locations/{code}", "/api/v1/locations/B1", {"name_en": "x"}, {"admin"}),
    ("POST", "/api/v1/partners", "/api/v1/partners", {"code": "P1", "kind": "supplier"}, {"admin", "purchaser", "sales", "finance"}),
    ("PATCH", "/api/v1/partners/{code}", "/api/v1/partners/P1", {"name_en": "x"}, {"admin", "purchaser", "sales", "finance"}),
    ("POST", "/api/v1/stock/moves", "/api/v1/stock/moves", {"sku": "PEN", "qty": "1", "from": "SUPPLIER", "to": "B1"}, {"admin", "warehouse"}),
    ("POST", "/api/v1/stock/moves/{move_id}/reverse", "/api/v1/stock/moves/1/reverse", {}, {"admin", "warehouse"}),
    ("POST", "/api/v1/stock/reservations", "/api/v1/stock/reservations", {"sku": "PEN", "location": "B1", "qty": "1"}, {"admin", "sales", "warehouse"}),
    ("POST", "/api/v1/stock/reservations/{reservation_id}/release", "/api/v1/stock/reservations/1/release", None, {"admin", "sales", "warehouse"}),
    ("POST", "/api/v1/users", "/api/v1/users", {"username": "newbie", "password": "long enough pw", "roles": ["viewer"]}, {"admin"}),
    ("PATCH", "/api/v1/users/{username}", "/api/v1/users/nobody", {"display_name": "x"}, {"admin"}),
    ("POST", "/api/v1/auth/totp/setup", "/api/v1/auth/totp/setup", None, ALL),
    ("POST", "/api/v1/auth/totp/enable", "/api/v1/auth/totp/enable", {"code": "123456"}, ALL),
    ("POST", "/api/v1/auth/totp/disable", "/api/v1/auth/totp/disable", {"code": "123456"}, ALL),
    ("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", None, ALL),
]
PUBLIC_WRITES = {("POST", "/api/v1/auth/login")}
RESTRICTED_READS = [
    ("/api/v1/users", {"admin"}),
    ("/api/v1/users/admin0", {"admin"}),
    ("/api/v1/audit", {"admin", "finance"}),
]


def _template(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path).rstrip("/") or "/"


def test_the_matrix_lists_every_write_endpoint(app):
    routes = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method in route.methods & WRITE_METHODS:
                routes.add((method, _template(route.path)))
    assert routes - PUBLIC_WRITES == {(m, t) for m, t, *_ in MATRIX}


@pytest.mark.parametrize("method,template,path,body,allowed", MATRIX, ids=[f"{m} {t}" for m, t, *_ in MATRIX])
def test_write_endpoints_refuse_anonymous_requests(client, world, method, template, path, body, allowed):
    response = client.request(method, path, json=body)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "not_authenticated"


def test_every_role_is_refused_what_it_must_not_do_and_let_through_what_it_may(client, world, as_role):
    refused, let_through = [], []
    headers = {role: as_role(role) for role in ROLES}
    for method, _template_path, path, body, allowed in MATRIX:
        for role in ROLES:
            response = client.request(method, path, json=body, headers=headers[role])
            if role in allowed:
                assert response.status_code not in (401, 403), (method, path, role, response.text)
                let_through.append((method, path, role))
            else:
                assert response.status_code == 403, (method, path, role, response.text)
                assert response.json()["error"] in ("forbidden", "warehouse_not_allowed"), response.text
                refused.append((method, path, role))
    assert refused and let_through


def test_admin_only_reads_are_refused_to_other_roles(client, world, as_role):
    for path, allowed in RESTRICTED_READS:
        for role in ROLES:
            status = client.get(path, headers=as_role(role)).status_code
            assert (status != 403) if role in allowed else (status == 403), (path, role, status)
