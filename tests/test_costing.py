"""Moving-average costing and the journal entries stock moves post, through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import update

from server.check import check_ledger
from server.finance.models import JournalLine
from tests.helpers import post_move


def valuation(client, headers, sku):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/finance/valuation/{sku}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def journal(client, headers, move_id):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/finance/journal", headers=headers, params={"source_type": "move", "source_id": str(move_id)})
    assert response.status_code == 200, response.text
    return [(line["account"], line["debit"], line["credit"]) for entry in response.json() for line in entry["lines"]]


def books_balance(client, headers, db):  # type: ignore[no-untyped-def]
    trial = client.get("/api/v1/finance/trial-balance", headers=headers).json()
    assert trial["balanced"] is True and trial["total_debit"] == trial["total_credit"]
    with db.read() as session:
        report = check_ledger(session)
    assert report.ok, report.problems
    return {line["code"]: line["balance"] for line in trial["lines"]}


def test_two_receipts_at_different_costs_give_the_moving_average(client, worker, as_role, world):
    finance = as_role("finance")
    first = post_move(client, worker, "PEN", 10, "SUPPLIER", "B1", unit_cost="5.00").json()
    post_move(client, worker, "PEN", 10, "SUPPLIER", "B2", unit_cost="7.00")
    assert valuation(client, finance, "PEN") == {"sku": "PEN", "qty": "20", "value": "120", "average_cost": "6"}
    assert journal(client, finance, first["id"]) == [("1405", "50", "0"), ("220202", "0", "50")]
    shipped = post_move(client, worker, "PEN", 5, "B1", "CUSTOMER").json()
    assert shipped["unit_cost"] is None  # the warehouse moves the goods; what they cost is for those who may see costs
    assert client.get(f"/api/v1/stock/moves/{shipped['id']}", headers=finance).json()["unit_cost"] == "6"
    assert journal(client, finance, shipped["id"]) == [("6401", "30", "0"), ("1405", "0", "30")]
    balances = books_balance(client, finance, world)
    assert balances["1405"] == "90" and balances["6401"] == "30" and balances["220202"] == "-120"


def test_moving_stock_between_bins_posts_nothing_and_keeps_its_value(client, worker, as_role, world):
    finance = as_role("finance")
    post_move(client, worker, "PEN", 4, "SUPPLIER", "B1", unit_cost="2.50")
    transfer = post_move(client, worker, "PEN", 4, "B1", "W2-B1").json()
    assert journal(client, finance, transfer["id"]) == []
    assert valuation(client, finance, "PEN")["value"] == "10"
    books_balance(client, finance, world)


def test_the_last_unit_takes_the_rounding_so_no_cent_is_stranded(client, worker, as_role, world):
    finance = as_role("finance")
    post_move(client, worker, "PEN", 3, "SUPPLIER", "B1", unit_cost="0.333333")  # worth 1.00 in all
    values = [journal(client, finance, post_move(client, worker, "PEN", 1, "B1", "CUSTOMER").json()["id"])[0][1] for _ in range(3)]
    assert sorted(values) == ["0.33", "0.33", "0.34"]  # 1.00 in all: each at the average of what is left
    assert valuation(client, finance, "PEN") == {"sku": "PEN", "qty": "0", "value": "0", "average_cost": "0"}
    books_balance(client, finance, world)


def test_a_count_gain_is_valued_at_the_average_and_scrap_is_a_loss(client, worker, as_role, world):
    finance = as_role("finance")
    post_move(client, worker, "PEN", 10, "SUPPLIER", "B1", unit_cost="3.00")
    gain = post_move(client, worker, "PEN", 2, "ADJUSTMENT", "B1").json()
    assert journal(client, finance, gain["id"]) == [("1405", "6", "0"), ("1901", "0", "6")]
    scrap = post_move(client, worker, "PEN", 1, "B1", "SCRAP").json()
    assert journal(client, finance, scrap["id"]) == [("6711", "3", "0"), ("1405", "0", "3")]
    assert valuation(client, finance, "PEN")["value"] == "33"
    books_balance(client, finance, world)


def test_reversing_a_shipment_brings_the_goods_back_at_the_cost_they_left_with(client, worker, as_role, world):
    finance = as_role("finance")
    post_move(client, worker, "PEN", 10, "SUPPLIER", "B1", unit_cost="4.00")
    shipped = post_move(client, worker, "PEN", 2, "B1", "CUSTOMER").json()
    post_move(client, worker, "PEN", 10, "SUPPLIER", "B1", unit_cost="10.00")  # the average moves on to 7.50
    back = client.post(f"/api/v1/stock/moves/{shipped['id']}/reverse", headers=worker, json={}).json()
    assert client.get(f"/api/v1/stock/moves/{back['id']}", headers=finance).json()["unit_cost"] == "4"
    assert journal(client, finance, back["id"]) == [("1405", "8", "0"), ("6401", "0", "8")]
    books_balance(client, finance, world)


def test_check_finds_an_unbalanced_journal_entry(client, worker, world):
    post_move(client, worker, "PEN", 1, "SUPPLIER", "B1", unit_cost="9.99")
    with world.write() as session:
        session.execute(update(JournalLine).where(JournalLine.debit > 0).values(debit=JournalLine.debit + 1))
    with world.read() as session:
        problems = check_ledger(session).problems
    assert any(p.startswith("[5] journal entry") for p in problems)
    assert any("inventory account" in p for p in problems)


def test_costs_and_books_are_not_for_every_role(client, as_role, world):
    assert client.get("/api/v1/finance/trial-balance", headers=as_role("warehouse")).status_code == 403
    assert client.get("/api/v1/finance/valuation/PEN", headers=as_role("sales")).status_code == 403
    assert client.get("/api/v1/finance/valuation/PEN", headers=as_role("purchaser")).status_code == 200
    assert client.get("/api/v1/finance/trial-balance", headers=as_role("finance")).status_code == 200
