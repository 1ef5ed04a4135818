"""Finance on the desk: a customer's payment recorded against two invoices, the receivables ageing drilled down to the
invoice still open, the trial balance balancing and an account opening onto its journal lines. Plus the API the desk
needed for it: the journal filtered and paged, the trial balance of a range of days, payments by date."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.dates import local_today
from tests.helpers import add_user, post_move
from tests.stories import Api, books_are_sound, customer_and_areas
from tests.test_office import DESK, open_office, open_section, use_language, visit

TODAY = local_today().isoformat()


def invoiced(client, as_role, qty: str, price: str) -> dict:  # type: ignore[no-untyped-def]
    """An order of PEN for CUS1, picked, shipped and invoiced (the invoice posted)."""
    sales, worker, finance = Api(client, as_role("sales")), Api(client, as_role("warehouse")), Api(client, as_role("finance"))
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": qty, "unit_price": price}]},
                       expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    wave = worker.post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    worker.post(f"/api/v1/pick-tasks/{wave['tasks'][0]['id']}/confirm", {"qty": qty})
    worker.post(f"/api/v1/sales-orders/{order['number']}/ship")
    return finance.post(f"/api/v1/sales-orders/{order['number']}/invoice", {}, expect=201)


@pytest.fixture
def books(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """PEN bought in at 2, two invoices to CUS1 (5 at 10, 3 at 10), and a clerk who is an administrator."""
    admin = Api(client, as_role("admin"))
    customer_and_areas(admin)
    assert post_move(client, as_role("warehouse"), "PEN", "30", "SUPPLIER", "B1", unit_cost="2").status_code == 201
    first, second = invoiced(client, as_role, "5", "10"), invoiced(client, as_role, "3", "10")
    add_user(db, "clerk", ["admin"])
    return {"finance": Api(client, as_role("finance")), "first": first, "second": second}


# The API the desk uses ---------------------------------------------------------------------------


def test_the_journal_is_filtered_by_account_source_and_day_and_each_entry_carries_its_totals(client, books):
    finance = books["finance"]
    everything = finance.get("/api/v1/finance/journal-entries", limit=200)
    assert everything["total"] == len(everything["items"]) > 0
    assert all(e["debit"] == e["credit"] for e in everything["items"])
    receivable = finance.get("/api/v1/finance/journal-entries", account="1122")
    assert {(e["source_type"], e["source_id"]) for e in receivable["items"]} == {("invoice", books["first"]["number"]), ("invoice", books["second"]["number"])}
    line = next(x for x in receivable["items"][0]["lines"] if x["account"] == "1122")
    assert (line["name_zh"], line["name_en"]) == ("应收账款", "Accounts receivable")
    one = finance.get("/api/v1/finance/journal-entries", source_type="invoice", source_id=books["first"]["number"])["items"]
    assert [(x["account"], x["debit"], x["credit"]) for x in one[0]["lines"]] == finance.journal("invoice", books["first"]["number"])
    assert finance.get("/api/v1/finance/journal-entries", date_from=TODAY, date_to=TODAY)["total"] == everything["total"]
    assert finance.get("/api/v1/finance/journal-entries", date_to="2001-01-01")["total"] == 0
    assert finance.get("/api/v1/finance/journal-entries", expect=404, account="9999")["details"]["field"] == "account"
    finance.get("/api/v1/finance/journal-entries", expect=422, date_from="2030-01-02", date_to="2030-01-01")
    Api(client, finance.headers).get("/api/v1/finance/journal-entries", limit=1)  # pages


def test_the_journal_and_the_trial_balance_are_for_those_who_read_the_books(client, books, as_role):
    worker = Api(client, as_role("warehouse"))
    worker.get("/api/v1/finance/journal-entries", expect=403)
    worker.get("/api/v1/finance/trial-balance", expect=403, date_from=TODAY)


def test_the_trial_balance_of_a_range_of_days_counts_only_the_entries_made_then(client, books):
    finance = books["finance"]
    whole = finance.get("/api/v1/finance/trial-balance")
    today = finance.get("/api/v1/finance/trial-balance", date_from=TODAY, date_to=TODAY)
    assert today == whole and whole["balanced"] is True
    before = finance.get("/api/v1/finance/trial-balance", date_to="2001-12-31")
    assert (before["lines"], before["total_debit"], before["total_credit"], before["balanced"]) == ([], "0", "0", True)


def test_payments_are_found_by_the_day_they_were_made(client, books):
    finance = books["finance"]
    made = finance.post("/api/v1/payments", {"kind": "customer", "partner": "CUS1", "amount": "5", "paid_on": "2030-05-01"}, expect=201)
    assert [p["number"] for p in finance.get("/api/v1/payments", date_from="2030-05-01", date_to="2030-05-01")["items"]] == [made["number"]]
    assert finance.get("/api/v1/payments", date_to="2030-04-30")["total"] == 0


# On the desk ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_customer_payment_is_recorded_against_two_invoices_and_the_ageing_leads_to_the_invoice_still_open(browser, client, live_server, books):
    finance, first, second = books["finance"], books["first"], books["second"]
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        open_section(page, "payments")
        page.get_by_role("link", name="Record a payment").click()
        form = page.locator("#payment-form")
        form.get_by_label("Kind").select_option("customer")
        form.get_by_label("Partner code").fill("CUS1")
        form.get_by_label("Partner code").press("Tab")
        page.locator(f"#allocation-table tr[data-document='{first['number']}']").wait_for()
        # Each open invoice with what is left to pay on it, as the server figures it.
        shown = page.locator(f"#allocation-table tr[data-document='{second['number']}'] td").nth(4).inner_text()
        assert shown == f"{float(second['open']):,.2f}"
        total = Decimal(first["open"]) + Decimal("3.5")
        form.get_by_label("Amount", exact=True).fill(str(total))
        page.get_by_role("button", name=f"Allocate in full to {first['number']}").click()
        form.get_by_label(f"Allocate to {second['number']}").fill("3.5")
        assert page.locator("[data-field=allocated]").inner_text() == f"{total:,.2f}"
        form.get_by_label("Reference (bank statement line, …)").fill("BANK 0001")
        form.get_by_role("button", name="Record a payment").click()
        page.locator("#payment-allocations").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]

        payment = finance.get(f"/api/v1/payments/{number}")
        assert (payment["kind"], payment["partner"], payment["amount"], payment["unallocated"], payment["reference"]) == ("customer", "CUS1", f"{total.normalize():f}", "0", "BANK 0001")
        assert [(a["document"], a["amount"]) for a in payment["allocations"]] == [(first["number"], first["open"]), (second["number"], "3.5")]
        assert finance.get(f"/api/v1/invoices/{first['number']}")["status"] == "paid"
        left = finance.get(f"/api/v1/invoices/{second['number']}")
        assert left["status"] == "partially_paid"
        assert page.locator(f"#payment-allocations tr[data-document='{second['number']}'] a[href='#/office/invoices/{second['number']}']").count() == 1

        # The receivables ageing: CUS1 owes what is left on the second invoice; its figure opens onto that invoice alone.
        open_section(page, "ageing")
        page.locator("#ageing-table tr[data-partner=CUS1]").wait_for()
        row = finance.get("/api/v1/reports/ar_ageing", format="json", partner="CUS1")["rows"][0]
        bucket = next(key for key in ("not_due", "d1_30", "d31_60", "d61_90", "over_90") if row[key] != "0")
        assert row["total_open"] == left["open"]
        figure = page.locator(f"#ageing-table tr[data-partner=CUS1] a[data-bucket={bucket}]")
        assert figure.inner_text() == f"{float(left['open']):,.2f}"
        figure.click()
        page.locator("#ageing-documents").wait_for()
        assert page.locator("#ageing-documents tbody tr").count() == 1
        page.locator(f"#ageing-documents tr[data-document='{second['number']}'] a").click()
        page.wait_for_function(f"() => location.hash === '#/office/invoices/{second['number']}'")
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()


@pytest.mark.browser
def test_the_trial_balance_balances_in_chinese_and_an_account_opens_onto_its_journal_lines(browser, client, live_server, books, db):
    finance = books["finance"]
    books_are_sound(finance, db)
    trial = finance.get("/api/v1/finance/trial-balance")
    context, page = open_office(browser, live_server, {**DESK, "locale": "zh-CN"})
    try:
        use_language(page, "zh")
        open_section(page, "trial-balance")
        page.locator("#trial-balance-table tr[data-account='1122']").wait_for()
        assert page.locator("#trial-balance [data-field=balanced]").inner_text() == "试算平衡"
        debit, credit = page.locator("[data-field=total-debit]").inner_text(), page.locator("[data-field=total-credit]").inner_text()
        assert debit == credit == f"{float(trial['total_debit']):,.2f}"
        assert page.locator("#trial-balance-table tr[data-account='1122'] td").nth(1).inner_text() == "应收账款"
        page.locator("#trial-balance-table a[data-account='1122']").click()
        page.locator("#journal-table").wait_for()
        assert page.locator("[data-field=account-filter]").inner_text() == "科目明细 1122"
        entries = finance.get("/api/v1/finance/journal-entries", account="1122")["items"]
        assert page.locator("#journal-table tr.entry").count() == len(entries) == 2
        assert page.locator("#journal-table tr[data-account='1122']").count() == 2
        # Every row has a cell under every heading: an account line's amounts stand under Debit and Credit.
        assert page.evaluate("""() => { const width = document.querySelector('#journal-table thead tr').cells.length;
            return [...document.querySelectorAll('#journal-table tbody tr')].every((tr) => tr.cells.length === width); }""")
        assert set(page.locator("#journal-table [data-field=balanced]").all_inner_texts()) == {"借贷平衡"}
        # Each entry names its source document, linked to its page.
        for entry in entries:
            assert page.locator(f"#journal-table tr[data-entry='{entry['id']}'] a[href='#/office/invoices/{entry['source_id']}']").count() == 1
        visit(page, "#/office/trial-balance", "#trial-balance-table")
        page.get_by_label("截止日期").fill("2001-12-31")
        page.get_by_role("button", name="显示").click()
        page.wait_for_function("() => !document.querySelector('#trial-balance-table tr[data-account]')")
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()


@pytest.mark.browser
def test_money_received_before_its_invoice_is_allocated_later_from_the_payment_and_its_history_says_who_did_what(browser, client, live_server, books):
    finance, first, second = books["finance"], books["first"], books["second"]
    # A customer paid more than one invoice's worth without saying what for: the rest waits on the payment.
    paid = finance.post("/api/v1/payments", {"kind": "customer", "partner": "CUS1", "amount": "100", "reference": "BANK 0002",
                                             "allocations": [{"document": first["number"], "amount": first["open"]}]}, expect=201)
    rest = Decimal("100") - Decimal(first["open"])
    assert Decimal(paid["unallocated"]) == rest
    context, page = open_office(browser, live_server)
    try:
        use_language(page, "en")
        visit(page, f"#/office/payments/{paid['number']}", "[data-action=allocate-rest]")
        page.locator("[data-action=allocate-rest]").click()
        page.locator(f"#allocate-form tr[data-document='{second['number']}']").wait_for()
        assert page.locator(f"#allocate-form tr[data-document='{first['number']}']").count() == 0  # paid in full already
        assert page.get_by_label(f"Allocate to {second['number']}").evaluate("(e) => e === document.activeElement")
        page.get_by_role("button", name=f"Allocate in full to {second['number']}").click()
        assert page.locator("#allocate-form [data-field=allocated]").inner_text() == f"{Decimal(second['open']):,.2f}"
        page.locator("#allocate-form [data-action=save]").click()
        page.locator(f"#payment-allocations tr[data-document='{second['number']}']").wait_for()
        left = rest - Decimal(second["open"])
        assert page.locator("[data-field=unallocated] dd").inner_text() == f"{left:,.2f}"

        # With every invoice paid, allocating the rest finds nothing open, and going back leaves the page as it was.
        page.locator("[data-action=allocate-rest]").click()
        page.locator("#allocate-form [data-field=no-open]").wait_for()  # nothing open any more
        page.locator("#allocate-form [data-action=cancel]").click()
        assert page.locator("#allocate-form").count() == 0

        page.locator("[data-field=history] summary").click()
        page.locator("[data-field=history] tr[data-action='payment.allocate']").wait_for()
        actions = page.evaluate("() => [...document.querySelectorAll('[data-field=history] tbody tr')].map((tr) => tr.dataset.action)")
        assert actions == ["payment.record", "payment.allocate"]
        said = page.locator("[data-field=history] tr[data-action='payment.allocate'] td").all_inner_texts()
        assert said[1:] == ["clerk", "Allocate to documents", f"allocations: {second['number']} {Decimal(second['open']).normalize():f}"], said
    finally:
        context.close()
    payment = finance.get(f"/api/v1/payments/{paid['number']}")
    assert [a["document"] for a in payment["allocations"]] == [first["number"], second["number"]]
    assert Decimal(payment["unallocated"]) == left
    assert finance.get(f"/api/v1/invoices/{second['number']}")["status"] == "paid"
