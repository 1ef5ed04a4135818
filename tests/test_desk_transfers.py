"""Transfer orders at the desk (1280×800, Debian's Chromium): WH2's storekeeper asks WH1 for pens, an approver approves,
WH1 ships them from a bin, and WH2 receives one fewer, saying why. In Chinese, the page reads in Chinese."""

from __future__ import annotations

import pytest

from tests.desk import open_desk
from tests.helpers import add_user, post_move, sign_in
from tests.stories import Api, books_are_sound
from tests.test_desk_purchasing import no_text_missing, nothing_overflows, status_shows, visit

browser_test = pytest.mark.browser


@pytest.fixture
def stocked(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """10 pens in WH1's B1; a storekeeper for each warehouse and an approver."""
    warehouse = Api(client, as_role("warehouse"))
    assert post_move(client, warehouse.headers, "PEN", 10, "SUPPLIER", "B1", unit_cost="5").status_code == 201
    add_user(db, "keeper1", ["warehouse"], ["WH1"])
    add_user(db, "keeper2", ["warehouse"], ["WH2"])
    add_user(db, "boss", ["approver"], ["WH1", "WH2"])
    return {"finance": Api(client, as_role("finance")), "keeper": Api(client, sign_in(client, "keeper2"))}


def act(page, action: str, state: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(f"[data-field=actions] button[data-action={action}]").click()
    status_shows(page, state)


@browser_test
def test_a_transfer_is_asked_for_approved_shipped_and_received_short_on_the_desk(browser, client, live_server, stocked, world):
    contexts = []
    try:
        asker, page = open_desk(browser, live_server, "keeper2")
        contexts.append(asker)
        visit(page, "#/office/transfers/new", "#transfer-form")
        form = page.locator("#transfer-form")
        form.get_by_label("From warehouse").select_option("WH1")
        form.get_by_label("To warehouse").select_option("WH2")
        form.get_by_label("SKU 1").fill("PEN")
        form.get_by_label("Quantity 1").fill("5")
        form.get_by_role("button", name="Create the transfer").click()
        status_shows(page, "Draft")
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        act(page, "submit", "Pending approval")
        no_text_missing(page)

        # Waiting for approval, the storekeeper asks for one more pen; a line added and taken away again is no line.
        page.locator("[data-field=actions] button[data-action=edit]").click()
        edit = page.locator("#transfer-edit")
        edit.wait_for()
        assert "approved afresh" in edit.locator("[data-field=restarts-approval]").inner_text()
        assert edit.get_by_label("SKU 1").input_value() == "PEN" and edit.get_by_label("Quantity 1").input_value() == "5"
        edit.get_by_label("Quantity 1").fill("6")
        edit.get_by_role("button", name="Add a line").click()
        edit.get_by_label("SKU 2").fill("RICE")
        edit.get_by_label("Remove line 2").click()
        no_text_missing(page)
        edit.locator("button[data-action=save]").click()
        page.locator("#transfer-edit").wait_for(state="detached")
        status_shows(page, "Pending approval")
        cells = page.locator("#transfer-lines-table tbody tr").all_inner_texts()
        assert len(cells) == 1 and "PEN" in cells[0]
        assert page.locator("#transfer-lines-table tr[data-sku=PEN] td").nth(4).inner_text().strip() == "6"

        approver, desk = open_desk(browser, live_server, "boss")
        contexts.append(approver)
        visit(desk, f"#/office/transfers/{number}", "#transfer-lines-table")
        act(desk, "approve", "Approved")

        sender, ship = open_desk(browser, live_server, "keeper1")
        contexts.append(sender)
        visit(ship, f"#/office/transfers/{number}", "#ship-transfer")
        ship.get_by_label("Ship from 1 PEN").fill("B1")
        ship.locator("#ship-transfer").get_by_role("button", name="Ship the transfer").click()
        status_shows(ship, "In transit")

        visit(page, "#/office/transfers", f"tr[data-transfer='{number}']")  # back to the list, then the order as it is now
        visit(page, f"#/office/transfers/{number}", "#receive-transfer")
        page.get_by_label("Qty received 1 PEN").fill("5")
        page.get_by_label("Receive into 1 PEN").fill("W2-B1")
        page.locator("#receive-transfer").get_by_role("button", name="Receive the transfer").click()
        problem = page.locator("#receive-transfer [data-field=form-error]")
        problem.wait_for()
        assert "say why" in problem.inner_text()
        page.get_by_label("Why less arrived 1 PEN").fill("one box crushed")
        page.locator("#receive-transfer").get_by_role("button", name="Receive the transfer").click()
        status_shows(page, "Received")
        cells = page.locator("#transfer-lines-table tr[data-sku=PEN] td").all_inner_texts()
        assert [c.strip() for c in cells[4:8]] == ["6", "6", "5", "1"] and "one box crushed" in cells[-1]
        nothing_overflows(page)
    finally:
        for context in contexts:
            context.close()
    finance = stocked["finance"]
    assert finance.account("1402") == "0" and finance.account("1901") == "5"
    books_are_sound(finance, world)


@browser_test
def test_the_transfer_pages_read_in_chinese(browser, client, live_server, stocked):
    asker, page = open_desk(browser, live_server, "keeper2", lang="zh")
    try:
        visit(page, "#/office/transfers/new", "#transfer-form")
        text = page.locator("#app").inner_text()
        assert "新建调拨单" in text and "调出仓库" in text and "调入仓库" in text
        no_text_missing(page)
        order = stocked["keeper"].post("/api/v1/transfers", {"from_warehouse": "WH1", "to_warehouse": "WH2", "lines": [{"sku": "PEN", "qty": "2"}]},
                                       expect=201)
        visit(page, f"#/office/transfers/{order['number']}", "#transfer-lines-table")
        page.locator("[data-field=actions] button[data-action=edit]").click()
        page.locator("#transfer-edit").wait_for()
        text = page.locator("#transfer-edit").inner_text()
        assert "修改调拨单" in text and "添加一行" in text and "删除行" in text
        no_text_missing(page)
    finally:
        asker.close()
