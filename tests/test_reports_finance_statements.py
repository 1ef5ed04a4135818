"""Financial statements: the balance sheet at a month's end and the income statement of a month, from the journal.

Two sets of books give the figures. The first is the document reports' purchases and sales (tests/test_reports_documents.py:
orders received, billed and paid; orders shipped, invoiced, paid in part and returned), all posted this month: the
statements must agree with the trial balance line by line and the balance sheet must balance.

The second is a journal of a few entries dated in five months (times in Shanghai), posted through the journal service:

    2024-03-01  bought stock on credit           1405 D 500    / 2202 C 500
    2024-03-15  sold: 100 + 13 VAT, cost 60      1122 D 113    / 6001 C 100, 22210102 C 13;  6401 D 60 / 1405 C 60
    2024-12-20  scrapped stock                   6711 D 10     / 1405 C 10
    2025-01-10  the customer paid                1002 D 113    / 1122 C 113
    2025-02-10  sold: 200 + 26 VAT, cost 120     1122 D 226    / 6001 C 200, 22210102 C 26;  6401 D 120 / 1405 C 120
    2025-03-31 23:30  sold: 300 + 39, cost 180   1122 D 339    / 6001 C 300, 22210102 C 39;  6401 D 180 / 1405 C 180
    2025-04-01 00:10  bank charges (April: in Shanghai it is past midnight; in UTC still 31 March)
                                                 6603 D 5      / 1002 C 5
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from server.auth.permissions import SYSTEM
from server.finance.models import JournalEntry
from server.finance.services import post_journal
from server.reports.statements import MonthParams, comparison_month
from tests.stories import Api
from tests.test_reports import report
from tests.test_reports_documents import purchases, sales, same_in_every_format  # noqa: F401 - purchases and sales are fixtures

REPORTS = "/api/v1/reports"
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def lines(body: dict, *keys: str) -> dict[str, tuple]:
    """Each line of a statement by its account code (or, for a subtotal, its English name): the figures asked for."""
    return {row["code"] or row["name_en"]: tuple(None if row[k] is None else D(row[k]) for k in keys) for row in body["rows"]}


# Pure parts ----------------------------------------------------------------------------------------


def test_a_month_is_compared_with_the_one_before_or_the_same_one_a_year_before():
    assert comparison_month(dt.date(2025, 3, 1), "previous_month") == dt.date(2025, 2, 1)
    assert comparison_month(dt.date(2025, 1, 1), "previous_month") == dt.date(2024, 12, 1)
    assert comparison_month(dt.date(2024, 2, 1), "same_month_last_year") == dt.date(2023, 2, 1)
    assert comparison_month(dt.date(2025, 3, 1), "none") is None
    assert MonthParams(month="2025-03").first_day() == dt.date(2025, 3, 1)
    assert MonthParams().first_day() == MonthParams().today().replace(day=1)


# On the document stories ---------------------------------------------------------------------------


def test_the_balance_sheet_balances_and_agrees_with_the_trial_balance_after_purchases_sales_a_return_and_payments(
    client, world, as_role, purchases, sales,  # noqa: F811 - fixtures
):
    finance = Api(client, as_role("finance"))
    trial = {line["code"]: (line["kind"], D(line["balance"])) for line in finance.get("/api/v1/finance/trial-balance")["lines"]}
    sheet = same_in_every_format(client, finance.headers, "balance_sheet", compare="none")
    assert sheet["title_zh"] == "资产负债表" and sheet["title_en"] == "Balance sheet"
    assert [c["key"] for c in sheet["columns"]] == ["line", "kind", "code", "name_zh", "name_en", "amount"]  # nothing to compare with
    figures = lines(sheet, "amount")
    # Every account line is the journal's balance on it, on the side its kind is read on.
    for row in sheet["rows"]:
        if row["line"] == "account":
            kind, balance = trial.get(row["code"], (row["kind"], D(0)))
            assert D(row["amount"]) == (balance if kind == "asset" else -balance), row
    # Received 252.60 from customers (200 + 22.60 + an advance of 30), paid 150 to suppliers (100 + an advance of 50).
    assert figures["1002"] == (D("102.6"),)
    profit = -sum(balance for kind, balance in trial.values() if kind in ("income", "expense"))
    assert figures["Profit for the year to date"] == (profit,) and figures["Retained profit of earlier years"] == (D(0),)
    assets, liabilities, equity = figures["Total assets"][0], figures["Total liabilities"][0], figures["Total equity"][0]
    assert assets == sum(balance for kind, balance in trial.values() if kind == "asset") and assets != 0
    assert figures["Total liabilities and equity"] == (liabilities + equity,) == (assets,)
    assert [row["line"] for row in sheet["rows"]][-1] == "total"

    # The income statement's net profit is the balance sheet's profit of the year; revenue is the invoices' net less the
    # credit notes': 400 + 50 + 20 + 30 − 5 − 5.
    income = same_in_every_format(client, finance.headers, "income_statement", compare="none")
    assert income["title_zh"] == "利润表" and income["title_en"] == "Income statement"
    statement = lines(income, "month", "year_to_date")
    assert statement["6001"] == (D(490), D(490)) and statement["6401"] == (trial["6401"][1],) * 2
    assert statement["Net profit"] == (profit, profit)
    assert statement["Total income"][0] - statement["Total expenses"][0] == profit

    # Compared with last month, when nothing had happened yet: the change is all of it.
    compared = report(client, finance.headers, "balance_sheet").json()
    assert [c["key"] for c in compared["columns"]][-3:] == ["amount", "compare_amount", "change"]
    assert lines(compared, "amount", "compare_amount", "change")["Total assets"] == (assets, D(0), assets)


# On a journal of several months --------------------------------------------------------------------


def _post(db, at: dt.datetime, *entry: tuple[str, str, str]) -> None:  # type: ignore[no-untyped-def]
    with db.write() as session:
        entry_id = post_journal(session, SYSTEM, source_type="manual", source_id=at.isoformat(), memo="test",
                                lines=[(code, D(debit), D(credit)) for code, debit, credit in entry])
        session.execute(update(JournalEntry).where(JournalEntry.id == entry_id).values(at=at.astimezone(dt.UTC)))


@pytest.fixture
def months(world, db):  # type: ignore[no-untyped-def]
    def at(day: str, hour: int = 12, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), SHANGHAI)

    _post(db, at("2024-03-01"), ("1405", "500", "0"), ("2202", "0", "500"))
    _post(db, at("2024-03-15"), ("1122", "113", "0"), ("6001", "0", "100"), ("22210102", "0", "13"))
    _post(db, at("2024-03-15"), ("6401", "60", "0"), ("1405", "0", "60"))
    _post(db, at("2024-12-20"), ("6711", "10", "0"), ("1405", "0", "10"))
    _post(db, at("2025-01-10"), ("1002", "113", "0"), ("1122", "0", "113"))
    _post(db, at("2025-02-10"), ("1122", "226", "0"), ("6001", "0", "200"), ("22210102", "0", "26"))
    _post(db, at("2025-02-10"), ("6401", "120", "0"), ("1405", "0", "120"))
    _post(db, at("2025-03-31", 23, 30), ("1122", "339", "0"), ("6001", "0", "300"), ("22210102", "0", "39"))
    _post(db, at("2025-03-31", 23, 30), ("6401", "180", "0"), ("1405", "0", "180"))
    _post(db, at("2025-04-01", 0, 10), ("6603", "5", "0"), ("1002", "0", "5"))


def test_the_balance_sheet_compares_a_months_end_with_the_month_before_and_the_same_month_a_year_before(client, months, admin):
    body = report(client, admin, "balance_sheet", month="2025-03", compare="previous_month").json()
    got = lines(body, "amount", "compare_amount", "change")
    assert got["1002"] == (D(113), D(113), D(0))  # April's bank charge is not March's, whatever the UTC date
    assert got["1405"] == (D(130), D(310), D(-180))
    assert got["1122"] == (D(565), D(226), D(339))
    assert got["Total assets"] == (D(808), D(649), D(159))
    assert got["2202"] == (D(500), D(500), D(0)) and got["22210102"] == (D(78), D(39), D(39))
    assert got["Total liabilities"] == (D(578), D(539), D(39))
    # The year's profit to date (500 − 300; 200 − 120 in February) and 2024's (100 − 60 − 10) make equity.
    assert got["Profit for the year to date"] == (D(200), D(80), D(120))
    assert got["Retained profit of earlier years"] == (D(30), D(30), D(0))
    assert got["Total equity"] == (D(230), D(110), D(120))
    assert got["Total liabilities and equity"] == (D(808), D(649), D(159))
    assert [(row["kind"], row["line"]) for row in body["rows"] if row["line"] != "account"] == [
        ("asset", "subtotal"), ("liability", "subtotal"), ("equity", "profit"), ("equity", "profit"), ("equity", "subtotal"), (None, "total"),
    ]

    year_before = lines(report(client, admin, "balance_sheet", month="2025-03", compare="same_month_last_year").json(), "compare_amount")
    assert year_before["1405"] == (D(440),) and year_before["1122"] == (D(113),) and year_before["1002"] == (D(0),)
    assert year_before["Total assets"] == (D(553),) == year_before["Total liabilities and equity"]
    assert year_before["Profit for the year to date"] == (D(40),) and year_before["Retained profit of earlier years"] == (D(0),)

    april = lines(report(client, admin, "balance_sheet", month="2025-04", compare="none").json(), "amount")
    assert april["1002"] == (D(108),) and april["Profit for the year to date"] == (D(195),)
    assert april["Total assets"] == april["Total liabilities and equity"] == (D(803),)


def test_the_income_statement_shows_the_month_and_the_year_to_date_beside_the_comparison(client, months, admin):
    figures = ("month", "compare_month", "change", "year_to_date", "compare_year_to_date")
    body = same_in_every_format(client, admin, "income_statement", month="2025-03", compare="previous_month")
    assert [c["key"] for c in body["columns"]][5:] == list(figures)
    got = lines(body, *figures)
    assert got["6001"] == (D(300), D(200), D(100), D(500), D(200))
    assert got["6401"] == (D(180), D(120), D(60), D(300), D(120))
    assert got["6603"] == (D(0), D(0), D(0), D(0), D(0))  # April's
    assert got["6711"] == (D(0), D(0), D(0), D(0), D(0))  # last December's
    assert got["Total income"] == (D(300), D(200), D(100), D(500), D(200))
    assert got["Total expenses"] == (D(180), D(120), D(60), D(300), D(120))
    assert got["Net profit"] == (D(120), D(80), D(40), D(200), D(80))

    year_before = lines(report(client, admin, "income_statement", month="2025-03", compare="same_month_last_year").json(), *figures)
    assert year_before["6001"] == (D(300), D(100), D(200), D(500), D(100))
    assert year_before["Net profit"] == (D(120), D(40), D(80), D(200), D(40))

    # January compared with December (the scrapping): the year to date starts again, the comparison's is the whole of 2024.
    january = lines(report(client, admin, "income_statement", month="2025-01").json(), *figures)
    assert january["Net profit"] == (D(0), D(-10), D(10), D(0), D(30))
    assert january["6711"] == (D(0), D(10), D(-10), D(0), D(10))

    april = lines(report(client, admin, "income_statement", month="2025-04", compare="none").json(), "month", "year_to_date")
    assert april["6603"] == (D(5), D(5)) and april["Net profit"] == (D(-5), D(195))


def test_the_statements_are_for_finance_and_take_a_real_month(client, world, as_role):
    for name in ("balance_sheet", "income_statement"):
        assert client.get(f"{REPORTS}/{name}", headers=as_role("warehouse")).status_code == 403
        assert client.get(f"{REPORTS}/{name}", headers=as_role("sales")).status_code == 403
        for month, status in (("2025-13", 400), ("2025-3", 400), ("25-03", 400), ("0000-01", 422)):
            response = client.get(f"{REPORTS}/{name}", headers=as_role("finance"), params={"month": month})
            assert response.status_code == status and "month" in response.json()["message"], (month, response.text)
        bad = client.get(f"{REPORTS}/{name}", headers=as_role("finance"), params={"compare": "last_week"})
        assert bad.status_code == 400 and "compare" in bad.text
