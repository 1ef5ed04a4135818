"""Purchasing at the desk (1280×800, Debian's Chromium): a purchaser orders what the reorder check suggests and an
approver approves it in another browser; an order changed after submission reads as sentences in its history; a bill
that does not match its order is shown blocked with its reasons, corrected and posted; a refused form keeps what was
typed and marks the field; a requisition in Chinese. And the API the desk leans on: a version's changes in words, a
refusal naming the line's field, one requisition ordered from its page, the lists' filters."""

from __future__ import annotations

import pytest

from tests.desk import open_desk
from tests.helpers import add_user
from tests.stories import Api, books_are_sound, supplier_and_dock

browser_test = pytest.mark.browser


@pytest.fixture
def purchasing(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """(Browser tests ask for `client` before `live_server`, so the live server stops first: both serve one app.)
    SUP1 and WH1's dock, and one person per job: a purchaser, an approver, a finance clerk, a storekeeper."""
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    for username, role in [("buyer", "purchaser"), ("boss", "approver"), ("clerk", "finance"), ("keeper", "warehouse")]:
        add_user(db, username, [role], ["WH1"])
    return {"admin": admin, "purchaser": Api(client, as_role("purchaser", ("WH1",))), "approver": Api(client, as_role("approver", ("WH1",))),
            "warehouse": Api(client, as_role("warehouse", ("WH1",))), "finance": Api(client, as_role("finance", ("WH1",)))}


def open_section(page, key: str) -> None:  # type: ignore[no-untyped-def]
    """Choose a purchasing section from the menu, opening its group first when it is closed."""
    group = page.locator(".office-nav details[data-group=purchasing]")
    if group.count() and group.get_attribute("open") is None:
        group.locator("summary").click()
    page.locator(f".office-nav a[data-nav={key}]").click()


def visit(page, hash_: str, ready: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(f"location.hash = {hash_!r}")
    page.locator(ready).first.wait_for()


def status_shows(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(".facts [data-field=status] dd", has_text=text).wait_for()


def no_text_missing(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("[...globalThis.cangkuMissingText]") == []


def nothing_overflows(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def draft_order(purchaser: Api, lines: list[dict[str, str]] | None = None) -> dict:  # type: ignore[type-arg]
    return purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "expected_date": "2027-01-10", "lines": lines or [
        {"sku": "PEN", "qty": "20", "unit_price": "2.5"}, {"sku": "RICE", "qty": "5", "unit_price": "4"}]}, expect=201)


# The desk ---------------------------------------------------------------------------------------


@browser_test
def test_a_purchaser_orders_what_the_reorder_check_suggests_and_an_approver_approves_it_on_the_desk(browser, client, live_server, purchasing):
    purchasing["purchaser"].put("/api/v1/reorder-rules", {"sku": "PEN", "warehouse": "WH1", "min_qty": "10", "reorder_qty": "50", "supplier": "SUP1"})
    buyer, page = open_desk(browser, live_server, "buyer")
    boss = None
    try:
        open_section(page, "requisitions")
        page.get_by_role("button", name="Check reorder levels now").click()
        raised = page.locator("#reorder-result tr[data-req]")
        raised.first.wait_for()
        number = raised.first.get_attribute("data-req")
        assert raised.count() == 1 and "PEN × 50" in raised.inner_text() and "Reorder suggestion" in raised.inner_text()
        page.get_by_role("checkbox", name=f"Select requisition {number}").first.check()
        form = page.locator("#order-form")
        assert form.locator("[name=supplier]").input_value() == "SUP1" and form.locator("[name=warehouse]").input_value() == "WH1"
        form.get_by_role("button", name="Make a purchase order").click()
        page.locator("#po-lines tr[data-sku=PEN]").wait_for()
        po = page.locator("#app h3").inner_text().split(" · ")[0]
        assert page.locator("#po-lines tr[data-sku=PEN] td").nth(3).inner_text() == "50"
        status_shows(page, "Draft")
        page.locator("[data-field=actions] button[data-action=edit]").click()
        page.locator("#po-edit").get_by_label("Expected date").fill("2027-02-01")
        page.locator("#po-edit button[data-action=save]").click()
        page.locator("[data-field=expected_date]", has_text="2027-02-01").wait_for()
        page.get_by_role("button", name="Submit for approval").click()
        status_shows(page, "Pending approval")
        assert page.locator("[data-field=actions] [data-action=approve]").count() == 0  # a purchaser does not approve

        boss, other = open_desk(browser, live_server, "boss")
        open_section(other, "purchase-orders")
        other.locator("select[name=awaiting_me]").select_option("true")
        other.locator(f"a[href='#/office/purchase-orders/{po}']").click()
        status_shows(other, "Pending approval")
        other.get_by_role("button", name="Approve").click()
        status_shows(other, "Approved")
        other.locator("#po-approvals tr[data-approval='1']", has_text="boss").wait_for()
        assert other.locator("[data-field=promised_date]").count() == 0  # promised as expected: the date shows once

        # The supplier will be late: the purchaser moves the expected date. What the supplier promised stays beside it.
        visit(page, "#/office/purchase-orders", f"a[href='#/office/purchase-orders/{po}']")  # the list, then the order as it is now
        visit(page, f"#/office/purchase-orders/{po}", "#po-lines")
        status_shows(page, "Approved")
        page.locator("[data-field=actions] button[data-action=edit]").click()
        page.locator("#po-edit").get_by_label("Expected date").fill("2027-02-15")
        page.locator("#po-edit button[data-action=save]").click()
        page.locator("[data-field=expected_date]", has_text="2027-02-15").wait_for()
        promised = page.locator("[data-field=promised_date]")
        assert promised.locator("dt").inner_text() == "Promised by the supplier" and promised.locator("dd").inner_text() == "2027-02-01"
        no_text_missing(page)
        no_text_missing(other)
    finally:
        buyer.close()
        if boss:
            boss.close()
    order = purchasing["admin"].get(f"/api/v1/purchase-orders/{po}")
    assert order["status"] == "approved" and [(line["sku"], line["qty"]) for line in order["lines"]] == [("PEN", "50")]
    assert (order["expected_date"], order["promised_date"]) == ("2027-02-15", "2027-02-01")
    assert [(a["user"], a["decision"]) for a in order["approvals"]] == [("boss", "approved")]
    requisition = purchasing["admin"].get(f"/api/v1/requisitions/{number}")
    assert (requisition["status"], requisition["po"]) == ("ordered", po)


@browser_test
def test_an_order_changed_after_submission_reads_as_sentences_in_its_history(browser, client, live_server, purchasing):
    purchaser = purchasing["purchaser"]
    po = draft_order(purchaser)
    purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": 1})
    context, page = open_desk(browser, live_server, "buyer")
    try:
        visit(page, f"#/office/purchase-orders/{po['number']}", "#po-lines tr[data-sku=PEN]")
        status_shows(page, "Pending approval")
        page.get_by_role("button", name="Edit").click()
        form = page.locator("#po-edit")
        form.get_by_label("Quantity · Line 1").fill("25")
        form.get_by_label("Unit price · Line 2").fill("4.2")
        form.get_by_role("button", name="Add a line").click()
        form.get_by_label("SKU · Line 3").fill("MILK")
        form.get_by_label("Quantity · Line 3").fill("6")
        form.get_by_label("Unit price · Line 3").press("End")
        form.get_by_label("Unit price · Line 3").fill("8")
        form.get_by_label("Expected date").fill("2027-01-20")
        form.get_by_label("Unit price · Line 3").press("Enter")  # Enter saves the form
        page.locator("#po-lines tr[data-sku=MILK]").wait_for()
        changes = page.locator("#po-changes ul.changes li")
        changes.first.wait_for()
        said = changes.all_inner_texts()
        assert "line 1 (PEN) quantity 20 → 25" in said
        assert "line 2 (RICE) price 4 → 4.2" in said
        assert "line 3 added: MILK × 6 at 8" in said
        assert "expected date 2027-01-10 → 2027-01-20" in said
        assert not any("{" in s or "null" in s for s in said)  # sentences, not the raw JSON
        assert page.locator("[data-version='3'][aria-pressed=true]").count() == 1
        page.locator("[data-version='2']").click()  # submitting changed only the status
        page.locator("#po-changes li[data-change=status]", has_text="status draft → pending approval").wait_for()
        nothing_overflows(page)
        no_text_missing(page)
    finally:
        context.close()
    order = purchaser.get(f"/api/v1/purchase-orders/{po['number']}")
    assert order["version"] == 3 and order["status"] == "pending" and order["expected_date"] == "2027-01-20"
    assert [(line["sku"], line["qty"], line["unit_price"]) for line in order["lines"]] == [("PEN", "25", "2.5"), ("RICE", "5", "4.2"), ("MILK", "6", "8")]


@browser_test
def test_a_bill_that_does_not_match_shows_why_it_is_blocked_and_posts_once_corrected(browser, client, live_server, purchasing, db):
    purchaser, warehouse = purchasing["purchaser"], purchasing["warehouse"]
    po = draft_order(purchaser, [{"sku": "MILK", "qty": "20", "unit_price": "6"}])["number"]
    purchaser.post(f"/api/v1/purchase-orders/{po}/submit", {"version": 1})
    purchasing["approver"].post(f"/api/v1/purchase-orders/{po}/approve", {"version": 2})
    grn = warehouse.post("/api/v1/receipts", {"po": po}, expect=201)["number"]
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "MILK", "qty": "20", "lot": "L9", "expiry": "2027-03-01"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn}/complete", {"lines": [{"line": 1, "accepted": "15", "rejected": "5", "reason": "damaged cartons"}]})
    context, page = open_desk(browser, live_server, "clerk")
    try:
        # The receipt, from the order: lot and expiry, what inspection kept and refused, and where it goes.
        visit(page, f"#/office/purchase-orders/{po}", f"#po-receipts tr[data-receipt='{grn}']")
        page.locator(f"#po-receipts a[href='#/office/receipts/{grn}']").click()
        page.locator("#receipt-lines tr[data-sku=MILK]").wait_for()
        line = page.locator("#receipt-lines tr[data-sku=MILK]").inner_text()
        assert all(text in line for text in ("L9", "2027-03-01", "15", "5", "Partly rejected", "damaged cartons"))
        assert page.locator("#receipt-putaway tr[data-sku=MILK]").count() == 1
        page.go_back()

        # Entered from the order: the line comes with what was accepted and the order's price; the clerk types the bill's.
        page.get_by_role("button", name="Enter a bill").click()
        form = page.locator("#bill-form")
        assert form.get_by_label("Quantity · Line 1").input_value() == "15" and form.get_by_label("Unit price · Line 1").input_value() == "6"
        form.get_by_label("Supplier's bill number").fill("INV-778")
        form.get_by_label("Quantity · Line 1").fill("20")
        form.get_by_label("Unit price · Line 1").fill("6.5")
        form.get_by_role("button", name="Create").click()
        status_shows(page, "Draft")
        bill = page.locator("#app h3").inner_text().split(" · ")[0]
        page.get_by_role("button", name="Post").click()
        status_shows(page, "Blocked by a mismatch")
        issues = page.locator("#bill-issues li")
        assert issues.count() == 2
        assert "bills 20, but only 15 was received, accepted and not yet billed" in page.locator("#bill-issues li[data-issue=qty]").inner_text()
        assert "the order says 6" in page.locator("#bill-issues li[data-issue=price]").inner_text()
        assert "post again" in page.locator("#bill-issues [data-field=what-to-do]").inner_text()
        assert "only 15" in page.locator("#bill-lines tr[data-line='1']").inner_text()  # the line says its problem too

        page.get_by_role("button", name="Correct the lines").click()
        form = page.locator("#bill-edit")
        form.get_by_label("Quantity · Line 1").fill("15")
        form.get_by_label("Unit price · Line 1").fill("6")
        form.get_by_role("button", name="Save").click()
        page.locator("#bill-lines tr[data-line='1']", has_text="90.00").wait_for()
        page.get_by_role("button", name="Post").click()
        status_shows(page, "Posted")
        assert page.locator("#bill-issues").count() == 0
        assert page.locator("[data-action=record-payment]").get_attribute("href") == "#/office/payments"
        no_text_missing(page)
    finally:
        context.close()
    posted = purchasing["finance"].get(f"/api/v1/bills/{bill}")
    assert (posted["status"], posted["supplier_ref"], posted["total"], posted["match_issues"]) == ("posted", "INV-778", "101.7", [])
    assert purchaser.get(f"/api/v1/purchase-orders/{po}")["lines"][0]["billed"] == "15"
    books_are_sound(purchasing["admin"], db)


@browser_test
def test_a_refused_purchase_order_form_keeps_what_was_typed_and_marks_the_field(browser, client, live_server, purchasing):
    context, page = open_desk(browser, live_server, "buyer")
    try:
        visit(page, "#/office/purchase-orders", "#office-body [data-action=new-po]")
        page.get_by_role("button", name="New purchase order").click()
        form = page.locator("#po-form")
        form.wait_for()
        assert page.evaluate("document.activeElement.name") == "supplier"
        form.get_by_label("Supplier", exact=True).fill("NOSUCH")
        form.get_by_label("Warehouse").fill("WH1")
        form.get_by_label("SKU · Line 1").fill("PEN")
        form.get_by_label("Quantity · Line 1").fill("10")
        form.get_by_role("button", name="Add a line").click()
        form.get_by_label("SKU · Line 2").fill("RICE")
        form.get_by_label("Quantity · Line 2").fill("0")
        form.get_by_role("button", name="Create").click()
        error = form.locator("[data-field=form-error]")
        error.wait_for()
        assert "NOSUCH" in error.inner_text()
        assert form.locator("[name=supplier]").get_attribute("aria-invalid") == "true"

        form.get_by_label("Supplier", exact=True).fill("SUP1")
        form.get_by_role("button", name="Create").click()
        form.locator("[name=line-1-qty][aria-invalid=true]").wait_for()
        assert "qty must be greater than zero" in error.inner_text()
        assert page.evaluate("document.activeElement.name") == "line-1-qty"
        assert form.locator("[name=supplier]").get_attribute("aria-invalid") is None
        assert [form.get_by_label(label).input_value() for label in ("SKU · Line 1", "Quantity · Line 1", "SKU · Line 2", "Quantity · Line 2")] == [
            "PEN", "10", "RICE", "0"]
        assert page.url.endswith("#/office/purchase-orders/new")

        form.get_by_role("button", name="Remove line 2").click()
        form.get_by_role("button", name="Create").click()
        page.locator("#po-lines tr[data-sku=PEN]").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        nothing_overflows(page)
        no_text_missing(page)
    finally:
        context.close()
    order = purchasing["purchaser"].get(f"/api/v1/purchase-orders/{number}")
    assert (order["supplier"], order["status"], [(line["sku"], line["qty"]) for line in order["lines"]]) == ("SUP1", "draft", [("PEN", "10")])


@browser_test
def test_a_storekeeper_raises_a_requisition_and_cancels_it_in_chinese(browser, client, live_server, purchasing):
    context, page = open_desk(browser, live_server, "keeper", lang="zh")
    try:
        open_section(page, "requisitions")
        page.get_by_role("button", name="新建请购单").click()
        form = page.locator("#requisition-form")
        form.get_by_label("仓库").fill("WH1")
        form.get_by_label("需求日期").fill("2027-02-01")
        sku, qty = form.locator("[name=line-0-sku]"), form.locator("[name=line-0-qty]")
        sku.fill("RICE")
        qty.fill("12.5")
        qty.press("Enter")
        page.locator("#req-lines tr[data-sku=RICE]").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        status_shows(page, "待审批")  # a storekeeper asks; an approver decides, and the purchaser orders
        assert page.locator("[data-field=requested-by] dd").inner_text() == "keeper"
        assert [b.get_attribute("data-action") for b in page.locator("[data-field=actions] button").all()] == ["cancel"]
        page.get_by_role("button", name="取消单据").click()
        dialog = page.locator("dialog.ask")
        dialog.locator("textarea").fill("已从别的仓库调拨")
        dialog.get_by_role("button", name="保存").click()
        status_shows(page, "已取消")
        assert page.locator("#app h2").inner_text() == "后台 · 请购单"
        no_text_missing(page)
    finally:
        context.close()
    requisition = purchasing["admin"].get(f"/api/v1/requisitions/{number}")
    assert (requisition["status"], requisition["needed_by"], requisition["lines"][0]["qty"]) == ("cancelled", "2027-02-01", "12.5")


# The API the desk leans on ----------------------------------------------------------------------


def test_a_version_of_a_purchase_order_says_what_changed_in_words(client, world, as_role):
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    supplier_and_dock(admin)
    po = draft_order(purchaser)
    purchaser.patch(f"/api/v1/purchase-orders/{po['number']}", {"version": 1, "expected_date": "2027-01-12", "lines": [
        {"sku": "PEN", "qty": "24", "unit_price": "2.5"}]})
    changes = purchaser.get(f"/api/v1/purchase-orders/{po['number']}/versions/2")["changes_since_previous"]
    said = {(c["line"], c["field"]): (c["said_en"], c["said_zh"]) for c in changes}
    assert said[(1, "qty")] == ("line 1 (PEN) quantity 20 → 24", "第 1 行（PEN）数量 20 → 24")
    assert said[(2, "line")] == ("line 2 removed: RICE × 5 at 4", "删除第 2 行：RICE × 5，单价 4")
    assert said[(None, "expected_date")] == ("expected date 2027-01-10 → 2027-01-12", "预计到货日期 2027-01-10 → 2027-01-12")
    assert said[(None, "total")][0] == "total 79.1 → 67.8"
    purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": 2})
    submitted = purchaser.get(f"/api/v1/purchase-orders/{po['number']}/versions/3")["changes_since_previous"]
    assert [(c["said_en"], c["said_zh"]) for c in submitted] == [("status draft → pending approval", "状态 草稿 → 待审批")]
    # One who may not see prices reads the change of quantity, and no price.
    viewer = Api(client, as_role("warehouse"))
    hidden = viewer.get(f"/api/v1/purchase-orders/{po['number']}/versions/2")["changes_since_previous"]
    assert ("line 2 removed: RICE × 5", "删除第 2 行：RICE × 5") in [(c["said_en"], c["said_zh"]) for c in hidden]
    assert not any("total" in c["said_en"] for c in hidden)


def test_a_refused_line_names_the_line_and_field_it_is_about(client, world, as_role):
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    supplier_and_dock(admin)
    order = {"supplier": "SUP1", "warehouse": "WH1"}
    for lines, field in [([{"sku": "PEN", "qty": "1"}, {"sku": "RICE", "qty": "0"}], "lines[1].qty"),
                         ([{"sku": "NOPE", "qty": "1"}], "lines[0].sku")]:
        refusal = purchaser.post("/api/v1/purchase-orders", order | {"lines": lines}, expect=422)
        assert refusal["details"]["field"] == field, refusal
    malformed = purchaser.post("/api/v1/purchase-orders", order | {"lines": [{"sku": "PEN", "qty": "1", "vat_rate": "7"}]}, expect=400)
    assert malformed["details"]["errors"][0]["key"] == "lines[0].vat_rate"  # what the form reads for a request the schema refuses
    assert purchaser.post("/api/v1/purchase-orders", {"supplier": "NOSUCH", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1"}]},
                          expect=422)["details"]["field"] == "supplier"
    assert purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH9", "lines": [{"sku": "PEN", "qty": "1"}]},
                          expect=422)["details"]["field"] == "warehouse"
    assert purchaser.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1"}, {"sku": "PEN", "qty": "0.5"}]},
                          expect=422)["details"]["field"] == "lines[1].qty"  # pens come whole


def test_a_purchaser_orders_one_requisition_from_its_page_and_a_storekeeper_may_not(client, world, as_role):
    admin, purchaser, keeper = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("warehouse", ("WH1",)))
    approver = Api(client, as_role("approver"))
    supplier_and_dock(admin)
    with_supplier = keeper.post("/api/v1/requisitions", {"warehouse": "WH1", "supplier": "SUP1", "needed_by": "2027-03-01",
                                                         "lines": [{"sku": "PEN", "qty": "30"}]}, expect=201)
    without = keeper.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "RICE", "qty": "2"}]}, expect=201)
    # A storekeeper asks for goods; an approver agrees; ordering is the purchaser's.
    assert (with_supplier["status"], with_supplier["actions"]) == ("pending", ["cancel"])
    assert purchaser.get(f"/api/v1/requisitions/{with_supplier['number']}")["actions"] == ["cancel"]
    purchaser.post(f"/api/v1/requisitions/{with_supplier['number']}/order", {"version": 1}, expect=409)  # not approved yet
    for req in (with_supplier, without):
        assert approver.post(f"/api/v1/requisitions/{req['number']}/approve", {"version": 1})["status"] == "open"
    assert purchaser.get(f"/api/v1/requisitions/{with_supplier['number']}")["actions"] == ["order", "cancel"]
    keeper.post(f"/api/v1/requisitions/{with_supplier['number']}/order", {"version": 2}, expect=403)
    purchaser.post(f"/api/v1/requisitions/{with_supplier['number']}/order", {"version": 7}, expect=409)  # not the version seen
    po = purchaser.post(f"/api/v1/requisitions/{with_supplier['number']}/order", {"version": 2}, expect=201)
    assert (po["supplier"], po["warehouse"], po["expected_date"], po["status"]) == ("SUP1", "WH1", "2027-03-01", "draft")
    assert [(line["sku"], line["qty"]) for line in po["lines"]] == [("PEN", "30")]
    ordered = purchaser.get(f"/api/v1/requisitions/{with_supplier['number']}")
    assert (ordered["status"], ordered["po"], ordered["actions"]) == ("ordered", po["number"], [])
    purchaser.post(f"/api/v1/requisitions/{with_supplier['number']}/order", {"version": 3}, expect=409)
    refusal = purchaser.post(f"/api/v1/requisitions/{without['number']}/order", {}, expect=422)
    assert (refusal["error"], refusal["details"]["field"]) == ("supplier_required", "supplier")
    assert purchaser.post(f"/api/v1/requisitions/{without['number']}/order", {"supplier": "SUP1"}, expect=201)["lines"][0]["sku"] == "RICE"
    assert [r["number"] for r in purchaser.get("/api/v1/requisitions", supplier="SUP1")["items"]] == [with_supplier["number"]]


def test_an_order_line_says_what_may_still_be_billed_and_bills_filter_by_order(client, world, as_role):
    admin, purchaser, warehouse = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("warehouse", ("WH1",)))
    finance = Api(client, as_role("finance"))
    supplier_and_dock(admin)
    numbers = []
    for _ in range(2):
        po = draft_order(purchaser, [{"sku": "PEN", "qty": "10", "unit_price": "2"}])["number"]
        purchaser.post(f"/api/v1/purchase-orders/{po}/submit", {"version": 1})
        Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po}/approve", {"version": 2})
        grn = warehouse.post("/api/v1/receipts", {"po": po}, expect=201)["number"]
        warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PEN", "qty": "8"}, expect=201)
        warehouse.post(f"/api/v1/receipts/{grn}/complete", {"lines": [{"line": 1, "accepted": "8"}]})
        numbers.append(po)
    assert purchaser.get(f"/api/v1/purchase-orders/{numbers[0]}")["lines"][0]["to_bill"] == "8"
    bill = finance.post("/api/v1/bills", {"po": numbers[0], "lines": [{"line": 1, "qty": "3", "unit_price": "2"}]}, expect=201)
    finance.post(f"/api/v1/bills/{bill['number']}/post", {"version": bill["version"]})
    assert purchaser.get(f"/api/v1/purchase-orders/{numbers[0]}")["lines"][0]["to_bill"] == "5"
    assert [b["number"] for b in finance.get("/api/v1/bills", po=numbers[0])["items"]] == [bill["number"]]
    assert finance.get("/api/v1/bills", po=numbers[1])["items"] == []
    refusal = finance.post("/api/v1/bills", {"po": numbers[1], "lines": [{"line": 1, "qty": "1", "unit_price": "2"}, {"line": 4, "qty": "1",
                                                                                                                    "unit_price": "2"}]}, expect=422)
    assert refusal["details"]["field"] == "lines[1].line"
    # The desk's buttons post {"version"} to every door; cancelling a bill takes it too.
    draft = finance.post("/api/v1/bills", {"po": numbers[1], "lines": [{"line": 1, "qty": "1", "unit_price": "2"}]}, expect=201)
    assert draft["actions"] == ["post", "edit", "cancel"]
    assert finance.post(f"/api/v1/bills/{draft['number']}/cancel", {"version": draft["version"]})["status"] == "cancelled"


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_storekeeper_finishes_a_receipt_at_the_desk_and_inspects_each_line_rejecting_damaged_goods_with_a_reason(
        browser, client, live_server, purchasing):
    purchaser, worker = purchasing["purchaser"], purchasing["warehouse"]
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [
        {"sku": "PEN", "qty": "12", "unit_price": "1"}, {"sku": "RICE", "qty": "5", "unit_price": "4"}]}, expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    purchasing["approver"].post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    grn = worker.post("/api/v1/receipts", {"po": po["number"]}, expect=201)["number"]
    worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PEN", "qty": "12"}, expect=201)
    worker.post(f"/api/v1/receipts/{grn}/lines", {"sku": "RICE", "qty": "5"}, expect=201)
    context, page = open_desk(browser, live_server, "keeper")
    try:
        visit(page, f"#/office/receipts/{grn}", "#receipt-lines")
        assert page.locator("form[id^=inspect-]").count() == 0  # still receiving: nothing to inspect yet
        page.locator("[data-field=actions] [data-action=complete]").click()
        status_shows(page, "awaiting inspection")
        pens = page.locator("#inspect-1")
        pens.get_by_label("Accepted").fill("10")
        pens.get_by_label("Rejected", exact=True).fill("2")
        pens.get_by_role("button", name="Record the inspection").click()
        pens.locator("[data-field=form-error]").wait_for()  # a reject without a reason is refused, the figures stay
        assert pens.get_by_label("Accepted").input_value() == "10"
        pens.get_by_label("Inspection note").fill("two crushed in transit")
        pens.get_by_role("button", name="Record the inspection").click()
        page.locator("#receipt-lines tr[data-line='1'] td", has_text="Partly rejected").wait_for()
        page.locator("#inspect-2").get_by_role("button", name="Record the inspection").click()  # the rice: all of it accepted
        page.locator("#receipt-lines tr[data-line='2'] td", has_text="Accepted").wait_for()
        assert page.locator("form[id^=inspect-]").count() == 0
        page.locator("#receipt-putaway tr[data-sku=RICE]").wait_for()
        page.locator("[data-field=history] summary").click()
        page.locator("[data-field=history] tr[data-action='receipt.inspect']").first.wait_for()
    finally:
        context.close()
    receipt = worker.get(f"/api/v1/receipts/{grn}")
    assert [(l["sku"], l["accepted"], l["rejected"], l["qc_status"], l["qc_note"]) for l in receipt["lines"]] == [  # noqa: E741
        ("PEN", "10", "2", "partial", "two crushed in transit"), ("RICE", "5", "0", "accepted", "")]
    assert sorted((t["sku"], t["qty"]) for t in receipt["putaway"]) == [("PEN", "10"), ("RICE", "5")]
    assert worker.stock("PEN", "QC") == ("2", "0")  # rejected goods in the quarantine bin
