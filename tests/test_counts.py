"""Stocktakes through the HTTP API, on SQLite and PostgreSQL: freeze the book, count blind, review, recount, post.

The small warehouse of `world`: WH1 with zone Z1 (bins B1, B2, B3) and a quarantine bin QC; WH2 with W2-B1.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.check import check_ledger
from server.counts.models import StocktakeLine
from server.dates import local_today
from server.inventory.models import Move
from tests.helpers import post_move
from tests.stories import Api

YEAR = local_today().year


@pytest.fixture
def admin_api(client, as_role) -> Api:  # type: ignore[no-untyped-def]
    return Api(client, as_role("admin"))


@pytest.fixture
def counter(client, as_role, world) -> Api:  # type: ignore[no-untyped-def]
    return Api(client, as_role("warehouse"))


def stock_in(client, headers, sku: str, qty: object, location: str, cost: str, lot: str | None = None) -> None:  # type: ignore[no-untyped-def]
    extra = {"lot": lot} if lot else {}
    response = post_move(client, headers, sku, qty, "SUPPLIER", location, unit_cost=cost, **extra)
    assert response.status_code == 201, response.text


def lines_of(api: Api, number: str, **params: object) -> dict[tuple[str, str, str | None], dict]:
    count = api.get(f"/api/v1/counts/{number}", limit=500, **params)
    return {(line["location"], line["sku"], line["lot"]): line for line in count["lines"]}


def ledger_is_sound(db) -> None:  # type: ignore[no-untyped-def]
    with db.read() as session:
        report = check_ledger(session)
    assert report.ok, report.problems


def moves_of_count(db, number: str) -> list[tuple[str, str, str, str, str]]:  # type: ignore[no-untyped-def]
    """(sku, from, to, qty, value) of the moves a stocktake posted, by SKU and direction."""
    from server.catalog.models import Item
    from server.locations.models import Location
    from server.schemas import fmt

    source, target = Location.__table__.alias("source"), Location.__table__.alias("target")
    with db.read() as session:
        rows = session.execute(
            select(Item.sku, source.c.code, target.c.code, Move.qty, Move.value)
            .join(Item, Item.id == Move.item_id)
            .join(source, source.c.id == Move.from_location_id)
            .join(target, target.c.id == Move.to_location_id)
            .where(Move.ref_type == "stocktake", Move.ref_id == number)
        ).all()
    return sorted((sku, a, b, fmt(q) or "0", fmt(v) or "0") for sku, a, b, q, v in rows)


def test_a_count_with_a_gain_a_loss_an_unchanged_line_and_a_found_item_posts_exactly_those_adjustments(client, world, admin_api, counter):
    stock_in(client, counter.headers, "PEN", 10, "B1", "2")
    stock_in(client, counter.headers, "PEN", 5, "B2", "2")
    stock_in(client, counter.headers, "MILK", 6, "B1", "10", lot="L1")
    stock_in(client, counter.headers, "RICE", 3, "B2", "4")

    count = admin_api.post("/api/v1/counts", {"warehouse": "WH1", "note": "year-end"}, expect=201)
    number = count["number"]
    assert number == f"CNT-{YEAR}-00001" and count["status"] == "counting" and count["version"] == 1
    # The book is frozen into a count sheet in walking order: location, item, lot.
    assert [(line["line"], line["location"], line["sku"], line["lot"], line["book_qty"]) for line in count["lines"]] == [
        (1, "B1", "MILK", "L1", "6"), (2, "B1", "PEN", None, "10"), (3, "B2", "PEN", None, "5"), (4, "B2", "RICE", None, "3"),
    ]

    # The scanner sends a batch: two pens more in B1, one missing in B2, the milk as booked, rice found in B3 that the book
    # does not know of. The rice in B2 is not counted.
    counted = counter.post(f"/api/v1/counts/{number}/lines", {"lines": [
        {"location": "B1", "sku": "PEN", "qty": "12"},
        {"location": "B2", "sku": "PEN", "qty": "4"},
        {"location": "B1", "sku": "MILK", "lot": "L1", "qty": "6"},
        {"location": "B3", "sku": "RICE", "qty": "1.5"},
    ]})
    assert [(line["line"], line["counted_qty"], line["on_book"]) for line in counted["lines"]] == [
        (2, "12", True), (3, "4", True), (1, "6", True), (5, "1.5", False),
    ]

    # The reviewer sees each variance and its value at the moving-average cost (pens 2, rice 4).
    review = admin_api.get(f"/api/v1/counts/{number}", variance_only="true")
    assert [(line["location"], line["sku"], line["expected_qty"], line["variance"], line["value"]) for line in review["lines"]] == [
        ("B1", "PEN", "10", "2", "4"), ("B2", "PEN", "5", "-1", "-2"), ("B3", "RICE", "0", "1.5", "6"),
    ]
    assert (review["lines_with_variance"], review["gain_value"], review["loss_value"]) == (3, "10", "2")
    assert (review["lines_total"], review["lines_counted"], review["lines_open"]) == (5, 4, 1)

    posted = admin_api.post(f"/api/v1/counts/{number}/post", {"version": review["version"]})
    assert posted["status"] == "posted" and posted["posted_by"] == "admin0"
    assert (posted["lines_with_variance"], posted["gain_value"], posted["loss_value"]) == (3, "10", "2")  # the same figures once posted
    assert moves_of_count(world, number) == [
        ("PEN", "ADJUSTMENT", "B1", "2", "4"), ("PEN", "B2", "ADJUSTMENT", "1", "2"), ("RICE", "ADJUSTMENT", "B3", "1.5", "6"),
    ]
    assert counter.stock("PEN", "B1") == ("12", "0") and counter.stock("PEN", "B2") == ("4", "0")
    assert counter.stock("RICE", "B3") == ("1.5", "0") and counter.stock("RICE", "B2") == ("3", "0")  # not counted: left alone
    assert counter.stock("MILK", "B1", "L1") == ("6", "0")
    assert admin_api.get("/api/v1/finance/valuation/PEN") == {"sku": "PEN", "qty": "16", "value": "32", "average_cost": "2"}
    assert admin_api.get("/api/v1/finance/valuation/RICE") == {"sku": "RICE", "qty": "4.5", "value": "18", "average_cost": "4"}
    lines = lines_of(admin_api, number)
    gain, loss, found = lines[("B1", "PEN", None)], lines[("B2", "PEN", None)], lines[("B3", "RICE", None)]
    assert admin_api.journal("move", str(gain["move"])) == [("1405", "4", "0"), ("1901", "0", "4")]
    assert admin_api.journal("move", str(loss["move"])) == [("1901", "2", "0"), ("1405", "0", "2")]
    assert admin_api.journal("move", str(found["move"])) == [("1405", "6", "0"), ("1901", "0", "6")]
    assert lines[("B1", "MILK", "L1")]["move"] is None and lines[("B2", "RICE", None)]["status"] == "open"
    assert admin_api.account("1901") == "-8"  # gains 10 less losses 2 wait in the pending account for approval
    ledger_is_sound(world)


def test_a_pick_during_the_count_is_carried_forward_not_taken_for_a_loss(client, world, admin_api, counter):
    stock_in(client, counter.headers, "PEN", 10, "B1", "2")
    stock_in(client, counter.headers, "PEN", 5, "B2", "2")
    number = admin_api.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["Z1"]}, expect=201)["number"]

    # B1: three pens picked before the counter gets there; the seven left are counted.
    assert post_move(client, counter.headers, "PEN", 3, "B1", "CUSTOMER").status_code == 201
    counter.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "7"}]})
    # B2: counted first (all five there), then two picked: the count was right when it was made.
    counter.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B2", "sku": "PEN", "qty": "5"}]})
    assert post_move(client, counter.headers, "PEN", 2, "B2", "CUSTOMER").status_code == 201
    # B3: ten pens put away during the count, counted after.
    assert post_move(client, counter.headers, "PEN", 10, "SUPPLIER", "B3", unit_cost="2").status_code == 201
    counter.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B3", "sku": "PEN", "qty": "10"}]})

    lines = lines_of(admin_api, number)
    assert [(k[0], v["book_qty"], v["moved_qty"], v["expected_qty"], v["variance"]) for k, v in sorted(lines.items())] == [
        ("B1", "10", "-3", "7", "0"), ("B2", "5", "0", "5", "0"), ("B3", "0", "10", "10", "0"),
    ]
    admin_api.post(f"/api/v1/counts/{number}/post", {})
    assert moves_of_count(world, number) == []
    assert counter.stock("PEN", "B1") == ("7", "0") and counter.stock("PEN", "B2") == ("3", "0") and counter.stock("PEN", "B3") == ("10", "0")
    ledger_is_sound(world)


def test_lines_with_a_large_variance_go_back_for_a_recount_and_posting_waits_for_them(client, world, admin_api, counter):
    stock_in(client, counter.headers, "PEN", 10, "B1", "2")
    stock_in(client, counter.headers, "PEN", 10, "B2", "2")
    stock_in(client, counter.headers, "PEN", 10, "B3", "2")
    number = admin_api.post("/api/v1/counts", {"warehouse": "WH1"}, expect=201)["number"]
    counter.post(f"/api/v1/counts/{number}/lines", {"lines": [
        {"location": "B1", "sku": "PEN", "qty": "9"}, {"location": "B2", "sku": "PEN", "qty": "2"}, {"location": "B3", "sku": "PEN", "qty": "10"},
    ]})

    # Anything worth 10 or more (5 pens at 2) is counted again; line 1 is sent back by hand as well.
    flagged = admin_api.post(f"/api/v1/counts/{number}/recount", {"min_value": "10", "lines": [1], "comment": "double-check"})
    assert [(line["location"], line["status"], line["counted_qty"]) for line in flagged["lines"]] == [("B1", "recount", "9"), ("B2", "recount", "2")]
    assert flagged["lines_recount"] == 2
    refused = client.post(f"/api/v1/counts/{number}/post", headers=admin_api.headers, json={})
    assert refused.status_code == 409 and refused.json()["error"] == "recount_pending" and refused.json()["details"]["lines"] == [1, 2]

    # The recount replaces the first count and keeps who made it.
    counter.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "10"}, {"location": "B2", "sku": "PEN", "qty": "8"}]})
    lines = lines_of(admin_api, number)
    assert lines[("B2", "PEN", None)]["counted_qty"] == "8" and lines[("B2", "PEN", None)]["counted_by"] == "warehouse1"
    admin_api.post(f"/api/v1/counts/{number}/post", {})
    assert moves_of_count(world, number) == [("PEN", "B2", "ADJUSTMENT", "2", "4")]
    ledger_is_sound(world)


def test_a_stocktake_cannot_be_posted_twice(client, world, admin_api, counter):
    stock_in(client, counter.headers, "PEN", 10, "B1", "2")
    number = admin_api.post("/api/v1/counts", {"warehouse": "WH1"}, expect=201)["number"]
    counter.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "8"}]})
    key = {**admin_api.headers, "Idempotency-Key": "post-once"}
    first = client.post(f"/api/v1/counts/{number}/post", headers=key, json={})
    assert first.status_code == 200, first.text
    # A retry with the same key gets the same answer and posts nothing; without it, the stocktake is already posted.
    again = client.post(f"/api/v1/counts/{number}/post", headers=key, json={})
    assert again.status_code == 200 and again.json() == first.json()
    twice = client.post(f"/api/v1/counts/{number}/post", headers=admin_api.headers, json={})
    assert twice.status_code == 409 and twice.json()["error"] == "wrong_state", twice.text
    assert "posted" in twice.json()["details"]["message_en"] and "已过账" in twice.json()["details"]["message_zh"]
    late = client.post(f"/api/v1/counts/{number}/lines", headers=counter.headers, json={"lines": [{"location": "B1", "sku": "PEN", "qty": "1"}]})
    assert late.status_code == 409 and late.json()["error"] == "wrong_state"
    assert moves_of_count(world, number) == [("PEN", "B1", "ADJUSTMENT", "2", "4")]
    assert counter.stock("PEN", "B1") == ("8", "0")
    ledger_is_sound(world)


def test_posting_a_version_other_than_the_one_reviewed_is_refused(client, world, admin_api, counter):
    stock_in(client, counter.headers, "PEN", 10, "B1", "2")
    count = admin_api.post("/api/v1/counts", {"warehouse": "WH1"}, expect=201)
    counter.post(f"/api/v1/counts/{count['number']}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "8"}]})
    stale = client.post(f"/api/v1/counts/{count['number']}/post", headers=admin_api.headers, json={"version": count["version"]})
    assert stale.status_code == 409 and stale.json()["error"] == "stale_version" and stale.json()["details"]["current_version"] == 2
    assert moves_of_count(world, count["number"]) == []


def test_the_warehouse_counts_blind_until_the_stocktake_is_posted(client, world, admin_api, counter, as_role):
    stock_in(client, counter.headers, "PEN", 10, "B1", "2")
    number = admin_api.post("/api/v1/counts", {"warehouse": "WH1"}, expect=201)["number"]
    counted = counter.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "7"}]})["lines"][0]
    assert counted["counted_qty"] == "7" and counted["book_qty"] is None and counted["variance"] is None

    sheet = counter.get(f"/api/v1/counts/{number}")
    assert sheet["blind"] is True and sheet["lines_with_variance"] is None and sheet["gain_value"] is None
    line = sheet["lines"][0]
    assert (line["location"], line["sku"], line["counted_qty"]) == ("B1", "PEN", "7")
    assert all(line[field] is None for field in ("book_qty", "moved_qty", "expected_qty", "variance", "value"))
    refused = client.get(f"/api/v1/counts/{number}", headers=counter.headers, params={"variance_only": "true"})
    assert refused.status_code == 403 and refused.json()["error"] == "blind_count"
    # The reviewer sees the book; a viewer sees quantities but not what they are worth.
    assert admin_api.get(f"/api/v1/counts/{number}")["lines"][0]["variance"] == "-3"
    viewer = Api(client, as_role("viewer")).get(f"/api/v1/counts/{number}")["lines"][0]
    assert viewer["variance"] == "-3" and viewer["value"] is None

    admin_api.post(f"/api/v1/counts/{number}/post", {})
    after = counter.get(f"/api/v1/counts/{number}")
    assert after["blind"] is False and after["lines"][0]["book_qty"] == "10" and after["lines"][0]["variance"] == "-3"


def test_counting_is_warehouse_work_and_posting_needs_someone_who_sees_the_book(client, world, admin_api, counter, as_role):
    stock_in(client, counter.headers, "PEN", 10, "B1", "2")
    sales = Api(client, as_role("sales"))
    sales.post("/api/v1/counts", {"warehouse": "WH1"}, expect=403)
    number = counter.post("/api/v1/counts", {"warehouse": "WH1"}, expect=201)["number"]
    sales.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "9"}]}, expect=403)
    counter.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "9"}]})
    for action in ("post", "cancel"):
        response = client.post(f"/api/v1/counts/{number}/{action}", headers=counter.headers, json={})
        assert response.status_code == 403 and response.json()["details"]["permission"] == "stock.count_post", response.text
    # Staff limited to WH2 may not count in WH1.
    other = Api(client, as_role("warehouse", ("WH2",)))
    assert other.post("/api/v1/counts", {"warehouse": "WH1", "skus": ["RICE"]}, expect=403)["error"] == "warehouse_not_allowed"
    assert other.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "1"}]}, expect=403)["error"] == (
        "warehouse_not_allowed"
    )
    assert admin_api.post(f"/api/v1/counts/{number}/cancel", {"reason": "wrong day"})["status"] == "cancelled"
    assert moves_of_count(world, number) == []


BAD_COUNTS = [
    ("unknown SKU", {"location": "B1", "sku": "NOPE", "qty": "1"}, 422, "unknown_sku"),
    ("unknown location", {"location": "NOWHERE", "sku": "PEN", "qty": "1"}, 422, "unknown_location"),
    ("location of another warehouse", {"location": "W2-B1", "sku": "PEN", "qty": "1"}, 422, "outside_count"),
    ("location outside the counted zone", {"location": "QC", "sku": "PEN", "qty": "1"}, 422, "outside_count"),
    ("negative count", {"location": "B1", "sku": "PEN", "qty": "-1"}, 422, "invalid"),
    ("fraction of a piece", {"location": "B1", "sku": "PEN", "qty": "1.5"}, 422, "invalid"),
    ("not a number", {"location": "B1", "sku": "PEN", "qty": "lots"}, 400, "invalid_request"),
    ("lot missing for a lot item", {"location": "B1", "sku": "MILK", "qty": "1"}, 422, "lot_required"),
    ("unknown lot", {"location": "B1", "sku": "MILK", "lot": "L9", "qty": "1"}, 422, "unknown_lot"),
    ("lot for an item without lots", {"location": "B1", "sku": "PEN", "lot": "L1", "qty": "1"}, 422, "lot_not_tracked"),
    ("serial-numbered item", {"location": "B1", "sku": "PHONE", "qty": "1"}, 422, "serial_not_counted"),
    ("unknown field", {"location": "B1", "sku": "PEN", "qty": "1", "bin": "B2"}, 400, "invalid_request"),
]


@pytest.mark.parametrize("case,bad,status,code", BAD_COUNTS, ids=[c[0] for c in BAD_COUNTS])
def test_a_bad_count_is_refused_clearly_and_nothing_of_its_batch_is_written(client, world, admin_api, counter, case, bad, status, code):
    stock_in(client, counter.headers, "PEN", 10, "B1", "2")
    count = admin_api.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["Z1"]}, expect=201)
    good = {"location": "B1", "sku": "PEN", "qty": "9"}
    response = client.post(f"/api/v1/counts/{count['number']}/lines", headers=counter.headers, json={"lines": [good, bad]})
    assert response.status_code == status and response.json()["error"] == code, response.text
    assert response.json()["message"]
    after = admin_api.get(f"/api/v1/counts/{count['number']}")
    assert after["version"] == count["version"] and after["lines_counted"] == 0 and after["lines_total"] == 1
    with world.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "count.record")) == 0


def test_bad_starts_and_reviews_are_refused_with_a_reason(client, world, admin_api, counter):
    def refused(path: str, body: dict, status: int, code: str) -> None:
        response = client.post(path, headers=admin_api.headers, json=body)
        assert response.status_code == status and response.json()["error"] == code, response.text

    refused("/api/v1/counts", {"warehouse": "B1"}, 422, "unknown_warehouse")
    refused("/api/v1/counts", {"warehouse": "WH1", "locations": ["W2-B1"]}, 422, "outside_warehouse")
    refused("/api/v1/counts", {"warehouse": "WH1", "locations": ["NOWHERE"]}, 422, "unknown_location")
    refused("/api/v1/counts", {"warehouse": "WH1", "skus": ["NOPE"]}, 422, "unknown_sku")
    refused("/api/v1/counts", {"warehouse": "WH1", "skus": ["PHONE"]}, 422, "serial_not_counted")
    number = admin_api.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B1"]}, expect=201)["number"]
    refused(f"/api/v1/counts/{number}/recount", {}, 422, "nothing_to_recount")
    refused(f"/api/v1/counts/{number}/recount", {"lines": [7]}, 422, "unknown_line")
    refused(f"/api/v1/counts/{number}/recount", {"min_qty": "-1"}, 422, "invalid")
    refused("/api/v1/counts/CNT-1999-00001/post", {}, 404, "not_found")
    assert admin_api.get(f"/api/v1/counts/{number}")["version"] == 1


def test_two_stocktakes_cannot_count_the_same_place_and_item_at_once(client, world, admin_api):
    first = admin_api.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["Z1"], "skus": ["PEN"]}, expect=201)["number"]
    overlap = client.post("/api/v1/counts", headers=admin_api.headers, json={"warehouse": "WH1", "locations": ["B2"]})
    assert overlap.status_code == 409 and overlap.json()["error"] == "count_overlap" and overlap.json()["details"]["other"] == first
    # Other items in the same bins, or the same item elsewhere, may be counted meanwhile.
    admin_api.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B2"], "skus": ["RICE"]}, expect=201)
    admin_api.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["QC"], "skus": ["PEN"]}, expect=201)
    assert [c["number"] for c in admin_api.get("/api/v1/counts", status="counting")["items"]] == [
        f"CNT-{YEAR}-00003", f"CNT-{YEAR}-00002", first,
    ]


def test_posting_with_zero_uncounted_empties_the_places_nobody_counted(client, world, admin_api, counter):
    stock_in(client, counter.headers, "PEN", 10, "B1", "2")
    stock_in(client, counter.headers, "PEN", 4, "B2", "2")
    number = admin_api.post("/api/v1/counts", {"warehouse": "WH1"}, expect=201)["number"]
    counter.post(f"/api/v1/counts/{number}/lines", {"lines": [{"location": "B1", "sku": "PEN", "qty": "10"}]})
    posted = admin_api.post(f"/api/v1/counts/{number}/post", {"zero_uncounted": True})
    assert [(line["location"], line["counted_qty"], line["variance"], line["counted_by"]) for line in posted["lines"]] == [
        ("B2", "0", "-4", "admin0"),
    ]
    assert counter.stock("PEN", "B2") == ("0", "0") and moves_of_count(world, number) == [("PEN", "B2", "ADJUSTMENT", "4", "8")]
    ledger_is_sound(world)


def test_a_scanner_batch_counting_the_same_line_twice_keeps_the_last_count(client, world, admin_api, counter):
    stock_in(client, counter.headers, "MILK", 6, "B1", "10", lot="L1")
    number = admin_api.post("/api/v1/counts", {"warehouse": "WH1"}, expect=201)["number"]
    key = {**counter.headers, "Idempotency-Key": "scan-batch-1"}
    body = {"lines": [{"location": "B1", "sku": "MILK", "lot": "L1", "qty": "5"}, {"location": "B1", "sku": "MILK", "lot": "L2", "qty": "2"},
                      {"location": "B1", "sku": "MILK", "lot": "L1", "qty": "6"}]}
    first = client.post(f"/api/v1/counts/{number}/lines", headers=key, json=body)
    assert first.status_code == 200, first.text
    assert [(line["line"], line["lot"], line["counted_qty"]) for line in first.json()["lines"]] == [(1, "L1", "6"), (2, "L2", "2"), (1, "L1", "6")]
    assert client.post(f"/api/v1/counts/{number}/lines", headers=key, json=body).json() == first.json()  # a resend changes nothing
    with world.read() as session:
        assert session.scalar(select(func.count()).select_from(StocktakeLine)) == 2
    admin_api.post(f"/api/v1/counts/{number}/post", {})
    assert moves_of_count(world, number) == [("MILK", "ADJUSTMENT", "B1", "2", "20")]
    assert counter.stock("MILK", "B1", "L2") == ("2", "0")
    ledger_is_sound(world)
