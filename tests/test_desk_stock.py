"""Stock on the desk: a stocktake started for a zone, counted on the phones, reviewed, sent back for a recount and posted;
a move reversed with a reason; reservations listed by order and released. Plus the API the desk needed for it: the
ledger's filters, reversals linked both ways, the list of reservations, a stocktake cancelled at the version seen."""

from __future__ import annotations

import pytest

from server.dates import local_today
from tests.helpers import add_user, post_move
from tests.stories import Api, customer_and_areas
from tests.test_office import DESK, cells, open_office, open_section, use_language, visit

TODAY = local_today().isoformat()


def stock_in(client, headers, sku: str, qty: object, location: str, cost: str) -> int:  # type: ignore[no-untyped-def]
    response = post_move(client, headers, sku, qty, "SUPPLIER", location, unit_cost=cost)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def stocked(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """PEN in B1 (zone Z1) and W2-B1 (WH2), RICE in B2 (zone Z1), and a clerk who is an administrator."""
    worker = as_role("warehouse")
    stock_in(client, worker, "PEN", 30, "B1", "2")
    stock_in(client, worker, "RICE", 10, "B2", "4")
    stock_in(client, worker, "PEN", 5, "W2-B1", "2")
    add_user(db, "clerk", ["admin"])
    return {"admin": Api(client, as_role("admin")), "worker": Api(client, worker)}


# The API the desk uses ---------------------------------------------------------------------------


def test_the_ledger_filters_by_warehouse_day_and_document_and_a_reversal_is_linked_both_ways(client, stocked):
    admin = stocked["admin"]
    transfer = admin.post("/api/v1/stock/moves", {"sku": "PEN", "qty": "2", "from": "B1", "to": "B3"}, expect=201)
    assert transfer["actions"] == ["reverse"] and transfer["reversed_by"] is None
    assert [m["to"] for m in admin.get("/api/v1/stock/moves", warehouse="WH2")["items"]] == ["W2-B1"]
    assert admin.get("/api/v1/stock/moves", warehouse="WH1", date_from=TODAY, date_to=TODAY)["total"] == 3
    assert admin.get("/api/v1/stock/moves", date_to="2000-01-01")["total"] == 0
    refused = admin.get("/api/v1/stock/moves", expect=422, date_from=TODAY, date_to="2000-01-01")
    assert refused["details"]["field"] == "date_from"
    admin.get("/api/v1/stock/moves", expect=404, warehouse="NOWHERE")

    reversal = admin.post(f"/api/v1/stock/moves/{transfer['id']}/reverse", {"reason": "wrong bin"}, expect=201)
    assert (reversal["reverses"], reversal["reason"], reversal["from"], reversal["to"], reversal["actions"]) == (transfer["id"], "wrong bin", "B3", "B1", [])
    original = admin.get(f"/api/v1/stock/moves/{transfer['id']}")
    assert original["reversed_by"] == reversal["id"] and original["actions"] == []
    # A warehouse worker may reverse; a viewer may not, and is not offered to.
    assert stocked["worker"].get(f"/api/v1/stock/moves/{stocked['worker'].get('/api/v1/stock/moves', warehouse='WH2')['items'][0]['id']}")["actions"] == ["reverse"]


def test_a_viewer_is_not_offered_to_reverse_a_move(client, stocked, as_role):
    viewer = Api(client, as_role("viewer"))
    assert {tuple(m["actions"]) for m in viewer.get("/api/v1/stock/moves")["items"]} == {()}


def test_the_ledger_finds_the_moves_a_stocktake_posted(client, stocked):
    admin = stocked["admin"]
    count = admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B2"]}, expect=201)
    stocked["worker"].post(f"/api/v1/counts/{count['number']}/lines", {"lines": [{"location": "B2", "sku": "RICE", "qty": "9"}]})
    admin.post(f"/api/v1/counts/{count['number']}/post", {"version": admin.get(f"/api/v1/counts/{count['number']}")["version"]})
    found = admin.get("/api/v1/stock/moves", ref=f"stocktake:{count['number']}")["items"]
    assert [(m["sku"], m["qty"], m["from"], m["to"]) for m in found] == [("RICE", "1", "B2", "ADJUSTMENT")]
    assert admin.get("/api/v1/stock/moves", ref=count["number"])["total"] == 1
    assert admin.get("/api/v1/stock/moves", ref=f"so:{count['number']}")["total"] == 0


def test_a_stocktake_cancelled_on_an_old_version_is_refused_and_on_the_current_one_is_cancelled(client, stocked):
    admin = stocked["admin"]
    count = admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["Z1"]}, expect=201)
    stocked["worker"].post(f"/api/v1/counts/{count['number']}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "30"}]})
    stale = admin.post(f"/api/v1/counts/{count['number']}/cancel", {"version": count["version"], "reason": "wrong zone"}, expect=409)
    assert stale["error"] == "stale_version"
    current = admin.get(f"/api/v1/counts/{count['number']}")["version"]
    cancelled = admin.post(f"/api/v1/counts/{count['number']}/cancel", {"version": current, "reason": "wrong zone"})
    assert cancelled["status"] == "cancelled" and cancelled["actions"] == []


def test_reservations_are_listed_by_item_warehouse_and_order_and_released(client, stocked, as_role):
    admin = stocked["admin"]
    customer_and_areas(admin)
    sales = Api(client, as_role("sales"))
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "4", "unit_price": "3"}]}, expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    held = admin.post("/api/v1/stock/reservations", {"sku": "PEN", "location": "W2-B1", "qty": "1", "ref_type": "manual", "ref_id": "HOLD-1"}, expect=201)

    mine = admin.get("/api/v1/stock/reservations", ref=order["number"])["items"]
    assert [(r["sku"], r["location"], r["qty"], r["order"]) for r in mine] == [("PEN", "B1", "4", order["number"])]
    assert [r["id"] for r in admin.get("/api/v1/stock/reservations", warehouse="WH2")["items"]] == [held["id"]]
    assert admin.get("/api/v1/stock/reservations", sku="RICE")["total"] == 0
    admin.post(f"/api/v1/stock/reservations/{held['id']}/release")
    assert admin.get("/api/v1/stock/reservations", warehouse="WH2")["total"] == 0
    closed = admin.get("/api/v1/stock/reservations", warehouse="WH2", include_closed="true")["items"]
    assert [(r["id"], r["open"], r["qty"]) for r in closed] == [(held["id"], False, "0")]


# On the desk ------------------------------------------------------------------------------------

def count_lines(admin: Api, number: str) -> dict[tuple[str, str], dict]:
    return {(line["location"], line["sku"]): line for line in admin.get(f"/api/v1/counts/{number}", limit=500)["lines"]}


def reopen(page, number: str, ready: str) -> None:  # type: ignore[no-untyped-def]
    """Back to the list and into the stocktake again, to see what the phones did meanwhile."""
    visit(page, "#/office/stocktakes", f"tr[data-count='{number}']")
    visit(page, f"#/office/stocktakes/{number}", ready)


@pytest.mark.browser
def test_a_stocktake_of_a_zone_is_started_reviewed_sent_back_for_a_recount_and_posted_from_the_desk(browser, client, live_server, stocked):
    admin, worker = stocked["admin"], stocked["worker"]
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        open_section(page, "stocktakes")
        page.get_by_role("link", name="New stocktake").click()
        form = page.locator("#stocktake-form")
        form.get_by_label("Warehouse").select_option("WH1")
        form.get_by_label("Z1 · Z1 location").check()
        form.get_by_label("Note").fill("zone Z1, quarterly")
        form.get_by_role("button", name="Start the stocktake").click()
        page.locator("#count-lines tr[data-sku=PEN]").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        count = admin.get(f"/api/v1/counts/{number}")
        assert (count["warehouse"], count["locations"], count["note"], count["lines_total"]) == ("WH1", ["Z1"], "zone Z1, quarterly", 2)
        assert page.locator("[data-field=lines-open] dd").inner_text() == "2"

        # The counting happens on the phones.
        worker.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "27"}, {"location": "B2", "sku": "RICE", "qty": "10"}]})
        reopen(page, number, "#count-lines tr[data-sku=PEN][data-status=counted]")
        assert page.locator("[data-field=lines-counted] dd").inner_text() == "2"
        pen = cells(page, "#count-lines tr[data-sku=PEN]")[0]
        # choose, line, location, sku, name, lot, status, book, counted, moved, expected, variance, value
        assert pen[1:4] + pen[6:13] == ["1", "B1", "PEN", "Counted", "30", "27", "0", "30", "-3", "-6.00"]
        assert page.locator("[data-field=loss-value] dd").inner_text() == "6.00"  # a loss, worth 3 × 2
        page.get_by_label("Only lines with a variance").check()
        page.get_by_role("button", name="Find").click()
        page.wait_for_function("() => document.querySelectorAll('#count-lines tbody tr').length === 1")

        # A recount of the PEN line, asked from the desk.
        page.get_by_label("Choose line 1").check()
        page.locator("[data-field=actions] [data-action=recount]").click()
        page.locator("dialog textarea").fill("count the top shelf too")
        page.locator("dialog [data-action=ok]").click()
        page.locator("#count-lines tr[data-sku=PEN][data-status=recount]").wait_for()
        assert count_lines(admin, number)[("B1", "PEN")]["status"] == "recount"
        assert count_lines(admin, number)[("B2", "RICE")]["status"] == "counted"

        worker.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "28"}]})
        reopen(page, number, "#count-lines tr[data-sku=PEN][data-status=counted]")
        page.locator("[data-field=actions] [data-action=post]").click()
        page.locator("[data-field=status] dd", has_text="Posted").wait_for()
        assert admin.get(f"/api/v1/counts/{number}")["status"] == "posted"
        assert admin.stock("PEN", "B1") == ("28", "0")
        assert admin.stock("RICE", "B2") == ("10", "0")
        # The posted line links to its adjustment move.
        page.locator("#count-lines tr[data-sku=PEN] a[href^='#/office/moves/']").click()
        page.locator(f"#office-body dd a[href='#/office/stocktakes/{number}']").wait_for()
        assert page.locator("#app h3").inner_text().endswith("· PEN")
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()


@pytest.mark.browser
def test_a_move_is_reversed_from_the_desk_in_chinese_with_a_reason_and_each_links_to_the_other(browser, client, live_server, stocked):
    admin = stocked["admin"]
    transfer = admin.post("/api/v1/stock/moves", {"sku": "PEN", "qty": "4", "from": "B1", "to": "B3"}, expect=201)
    context, page = open_office(browser, live_server, {**DESK, "locale": "zh-CN"})
    try:
        use_language(page, "zh")
        open_section(page, "moves")
        page.get_by_label("商品").fill("PEN")
        page.get_by_label("仓库").fill("WH1")
        page.get_by_role("button", name="查找").click()
        page.wait_for_function("() => document.querySelectorAll('#office-body tbody tr').length === 2")
        page.locator(f"tr[data-move='{transfer['id']}'] a[href='#/office/moves/{transfer['id']}']").click()
        page.get_by_role("button", name="冲销移动").click()
        page.get_by_label("冲销原因：").fill("放错货位")
        page.get_by_role("button", name="保存").click()
        page.locator("[data-field=reverses] a").wait_for()
        reversal = admin.get("/api/v1/stock/moves", sku="PEN", location="B3")["items"][0]
        assert (reversal["reverses"], reversal["reason"], reversal["from"], reversal["to"]) == (transfer["id"], "放错货位", "B3", "B1")
        assert admin.stock("PEN", "B3") == ("0", "0") and admin.stock("PEN", "B1") == ("30", "0")
        assert page.locator("#app h3").inner_text().startswith(f"移动 {reversal['id']}")
        assert page.get_by_role("button", name="冲销移动").count() == 0  # a reversal is not reversed again
        page.locator("[data-field=reverses] a").click()
        page.locator("[data-field=reversed-by] a", has_text=str(reversal["id"])).wait_for()
        assert page.get_by_role("button", name="冲销移动").count() == 0
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()


@pytest.mark.browser
def test_a_reservation_of_an_order_is_found_by_its_number_and_released_from_the_desk(browser, client, live_server, stocked, as_role):
    admin = stocked["admin"]
    customer_and_areas(admin)
    sales = Api(client, as_role("sales"))
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "4", "unit_price": "3"}]}, expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        open_section(page, "reservations")
        page.get_by_label("Order").fill(order["number"])
        page.get_by_label("Order").press("Enter")
        page.locator(f"#office-body tbody tr a[href='#/office/sales-orders/{order['number']}']").wait_for()
        reservation = admin.get("/api/v1/stock/reservations", ref=order["number"])["items"][0]
        assert admin.stock("PEN", "B1") == ("30", "4")
        page.get_by_role("button", name=f"Release reservation {reservation['id']}").click()
        page.locator("#office-body p.muted", has_text="Nothing found").wait_for()
        assert admin.stock("PEN", "B1") == ("30", "0")
    finally:
        context.close()
