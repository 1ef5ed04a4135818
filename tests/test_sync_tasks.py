"""The scope `tasks:<warehouse>`: a phone holds its warehouse's open pick and put-away tasks as a synced slice. A task
confirmed (on any phone, through the API or a pushed operation) leaves it by the next pull, a new one arrives by it and
is poked live, and a user who may not work in the warehouse gets none of it; on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.helpers import post_move
from tests.stories import Api, customer_and_areas, supplier_and_dock
from tests.test_sync import op, push
from tests.test_sync_bootstrap import bootstrap_all, pull_all
from tests.test_sync_live import WS, subscribe, version_of

PICK_FIELDS = ["key", "wave", "order", "sku", "name_zh", "name_en", "location", "lot", "qty", "status", "seq"]
PUTAWAY_FIELDS = ["key", "receipt", "sku", "name_zh", "name_en", "lot", "qty", "from", "suggested"]


def receipt_to_inspect(client, as_role, lines: list[dict]) -> str:  # type: ignore[no-untyped-def]
    """An approved order for WH1, its goods received at the dock and the receipt completed: each line waits for inspection."""
    purchaser, worker = Api(client, as_role("purchaser")), Api(client, as_role("warehouse"))
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1",
                                                    "lines": [{"sku": line["sku"], "qty": line["qty"], "unit_price": "2"} for line in lines]},
                        expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    grn = worker.post("/api/v1/receipts", {"po": po["number"]}, expect=201)["number"]
    for line in lines:
        worker.post(f"/api/v1/receipts/{grn}/lines", line, expect=201)
    worker.post(f"/api/v1/receipts/{grn}/complete")
    return grn


def wave_of(client, as_role, warehouse: str, lines: list[dict]) -> dict:  # type: ignore[no-untyped-def]
    """A confirmed order of CUS1 from `warehouse`, put in a new wave: one pick task per bin it was reserved in."""
    sales = Api(client, as_role("sales"))
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": warehouse, "lines": lines}, expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    return Api(client, as_role("warehouse")).post("/api/v1/waves", {"warehouse": warehouse, "orders": [order["number"]]}, expect=201)


def view(pages: list[dict], changes: list[dict] = ()) -> dict[tuple[str, str], dict]:  # type: ignore[assignment]
    """What a phone holds of the scope: the pages' rows by (kind, key), then the pulled changes on top (`null` removes)."""
    held = {(page["kind"], row[0]): dict(zip(page["fields"][1:], row[1:], strict=True)) for page in pages for row in page["items"]}
    for change in changes:
        if change["data"] is None:
            held.pop((change["kind"], change["key"]), None)
        else:
            held[(change["kind"], change["key"])] = change["data"]
    return held


def open_tasks(api: Api, warehouse: str) -> dict[tuple[str, str], dict]:
    """The warehouse's open tasks as the API lists them, in the scope's row shape."""
    tasks = {}
    for wave in api.get("/api/v1/waves", warehouse=warehouse)["items"]:
        for t in wave["tasks"]:
            if t["status"] == "open":
                tasks[("pick", str(t["id"]))] = {"wave": wave["number"], "order": t["order"], "sku": t["sku"], "name_zh": t["name_zh"],
                                                 "name_en": t["name_en"], "location": t["location"], "lot": t["lot"], "qty": t["qty"],
                                                 "status": "open", "seq": t["seq"]}
    for t in api.get("/api/v1/putaway-tasks", warehouse=warehouse)["items"]:
        tasks[("putaway", str(t["id"]))] = {"receipt": t["receipt"], "sku": t["sku"], "name_zh": t["name_zh"], "name_en": t["name_en"],
                                            "lot": t["lot"], "qty": t["qty"], "from": t["from"], "suggested": t["suggested"]}
    return tasks


def stocked_for_picking(client, as_role) -> None:  # type: ignore[no-untyped-def]
    admin, worker = Api(client, as_role("admin")), as_role("warehouse")
    supplier_and_dock(admin)
    customer_and_areas(admin)
    for sku, qty, bin_ in (("PEN", 8, "B1"), ("RICE", 5, "B2"), ("PEN", 3, "W2-B1")):
        assert post_move(client, worker, sku, qty, "SUPPLIER", bin_, unit_cost="1").status_code == 201


def test_a_phone_holds_the_open_picks_and_put_aways_of_its_warehouse_and_pulls_the_done_ones_away(client, world, db, as_role):
    stocked_for_picking(client, as_role)
    worker = Api(client, as_role("warehouse"))
    wave = wave_of(client, as_role, "WH1", [{"sku": "PEN", "qty": "5", "unit_price": "3"}, {"sku": "RICE", "qty": "2", "unit_price": "4"}])
    wave_of(client, as_role, "WH2", [{"sku": "PEN", "qty": "3", "unit_price": "3"}])  # another warehouse's task: not in this scope
    grn = receipt_to_inspect(client, as_role, [{"sku": "PEN", "qty": "10"}, {"sku": "RICE", "qty": "4"}, {"sku": "MILK", "qty": "6", "lot": "L1"}])
    putaway = [worker.post(f"/api/v1/receipts/{grn}/lines/{n}/inspect", {"accepted": qty})["putaway"] for n, qty in ((1, "10"), (2, "4"))][-1]

    # The first sync, a row a page: every open task of WH1 exactly once, in the API's figures.
    pages, cursor = bootstrap_all(client, worker.headers, "tasks:WH1", 1)
    assert {page["kind"]: page["fields"] for page in pages} == {"pick": PICK_FIELDS, "putaway": PUTAWAY_FIELDS}
    held = view(pages)
    assert held == open_tasks(worker, "WH1") and len(held) == 4
    first, second = wave["tasks"]
    assert held[("pick", str(first["id"]))] == {"wave": wave["number"], "order": first["order"], "sku": "PEN", "name_zh": "中性笔",
                                                "name_en": "Gel pen", "location": "B1", "lot": None, "qty": "5", "status": "open", "seq": 1}
    pen, rice = sorted(putaway, key=lambda t: t["id"])
    assert held[("putaway", str(pen["id"]))] == {"receipt": grn, "sku": "PEN", "name_zh": "中性笔", "name_en": "Gel pen", "lot": None, "qty": "10",
                                                 "from": "WH1-DOCK", "suggested": pen["suggested"]}

    # A pick confirmed through the API, a put-away pushed from a phone, a new put-away task from the last inspection.
    worker.post(f"/api/v1/pick-tasks/{first['id']}/confirm", {"qty": "5", "location": "B1"})
    answer = push(client, worker.headers, [op(1, "putaway.confirm", {"task": rice["id"], "location": "B3"})])
    assert [r["status"] for r in answer["results"]] == ["applied"]
    milk = worker.post(f"/api/v1/receipts/{grn}/lines/3/inspect", {"accepted": "6"})["putaway"]
    milk_task = next(t for t in milk if t["sku"] == "MILK")

    changes, _ = pull_all(client, worker.headers, "tasks:WH1", cursor)
    assert {c["scope"] for c in changes} == {"tasks:WH1"}
    gone = {(c["kind"], c["key"]) for c in changes if c["data"] is None}
    assert gone == {("pick", str(first["id"])), ("putaway", str(rice["id"]))}
    held = view(pages, changes)
    assert held == open_tasks(worker, "WH1") == view(bootstrap_all(client, worker.headers, "tasks:WH1", 1000)[0])
    assert set(held) == {("pick", str(second["id"])), ("putaway", str(pen["id"])), ("putaway", str(milk_task["id"]))}
    assert held[("putaway", str(milk_task["id"]))]["lot"] == "L1" and held[("pick", str(second["id"]))]["location"] == "B2"

    # The last pick done short leaves too, and the other warehouse holds its own task.
    worker.post(f"/api/v1/pick-tasks/{second['id']}/confirm", {"qty": "1", "location": "B2", "short_reason": "破损"})
    later, _ = pull_all(client, worker.headers, "tasks:WH1", cursor)
    assert ("pick", str(second["id"])) not in view(pages, later)
    other, _ = bootstrap_all(client, worker.headers, "tasks:WH2", 1000)
    assert [(row[3], row[6]) for page in other if page["kind"] == "pick" for row in page["items"]] == [("PEN", "W2-B1")]


def test_a_user_who_may_not_work_in_the_warehouse_gets_none_of_its_tasks(client, world, db, as_role):
    stocked_for_picking(client, as_role)
    wave_of(client, as_role, "WH1", [{"sku": "PEN", "qty": "5", "unit_price": "3"}])
    limited = as_role("warehouse", ("WH2",))
    refused = client.get("/api/v1/sync/bootstrap", headers=limited, params={"scope": "tasks:WH1"})
    assert refused.status_code == 403 and refused.json()["error"] == "warehouse_not_allowed"
    pulled = client.get("/api/v1/sync/pull", headers=limited, params=[("scope", "tasks:WH1"), ("scope", "tasks:WH2")]).json()
    assert pulled["reset_required"] is True and pulled["reset_scopes"] == ["tasks:WH1"] and pulled["changes"] == []
    own = client.get("/api/v1/sync/bootstrap", headers=limited, params={"scope": "tasks:WH2"})
    assert own.status_code == 200 and own.json()["items"] == []
    for scope in ("tasks:", "tasks:B1", "tasks:NOWHERE", "task:WH1"):
        response = client.get("/api/v1/sync/bootstrap", headers=limited, params={"scope": scope})
        assert response.status_code == 422 and response.json()["error"] == "unknown_scope", scope
    for scope in ("tasks:", "task:WH1"):
        response = client.get("/api/v1/sync/pull", headers=limited, params={"scope": scope})
        assert response.status_code == 422 and response.json()["error"] == "unknown_scope", scope
    with client.websocket_connect(WS, headers=limited) as socket:
        socket.receive_json(timeout=10)
        socket.send_json({"type": "subscribe", "scopes": ["tasks:WH1", "tasks:WH2"]})
        assert socket.receive_json(timeout=10)["error"] == "scope_not_allowed"
        assert socket.receive_json(timeout=10)["scopes"] == ["tasks:WH2"]


def test_a_new_wave_pokes_the_phones_of_its_warehouse_and_the_pull_brings_its_tasks(client, world, db, as_role):
    stocked_for_picking(client, as_role)
    worker = as_role("warehouse")
    _, cursor = bootstrap_all(client, worker, "tasks:WH1", 1000)
    with client.websocket_connect(WS, headers=worker) as socket:
        socket.receive_json(timeout=10)
        subscribe(socket, ["tasks:WH1"])
        wave = wave_of(client, as_role, "WH1", [{"sku": "PEN", "qty": "5", "unit_price": "3"}, {"sku": "RICE", "qty": "2", "unit_price": "4"}])
        poke = socket.receive_json(timeout=10)
        while poke["type"] != "poke":
            poke = socket.receive_json(timeout=10)
        assert poke["scope"] == "tasks:WH1" and version_of(poke["cursor"]) > version_of(cursor)
    changes, _ = pull_all(client, worker, "tasks:WH1", cursor)
    assert sorted((c["kind"], c["key"], c["data"]["location"]) for c in changes) == sorted(
        ("pick", str(t["id"]), t["location"]) for t in wave["tasks"])
