"""An approver decides on a storekeeper's requisitions from the phone: each arrives while the app is open, reads as what
is asked for, where, by whom and by when; a rejection needs a reason; a decision made offline is sent when the phone is
back online, and the purchaser may order only what was approved."""

from __future__ import annotations

import pytest

from tests.helpers import add_user
from tests.stories import Api, supplier_and_dock
from tests.test_pwa import PHONE, pending, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_approver_approves_one_requisition_and_rejects_another_offline_from_the_phone(browser, client, live_server, world, as_role, db):
    admin, purchaser, keeper = Api(client, as_role("admin")), Api(client, as_role("purchaser")), Api(client, as_role("warehouse", ("WH1",)))
    supplier_and_dock(admin)
    add_user(db, "boss", ["approver"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "boss")
        tile = page.locator("[data-task=approvals]")
        tile.wait_for()
        assert tile.locator(".badge").count() == 0

        # The storekeeper asks for pens, then rice: each shows up on the phone as it is raised.
        pens = keeper.post("/api/v1/requisitions", {"warehouse": "WH1", "needed_by": "2027-03-01", "note": "季度备货",
                                                    "lines": [{"sku": "PEN", "qty": "30"}]}, expect=201)
        assert pens["status"] == "pending"
        page.get_by_role("alert").filter(has_text=pens["number"]).wait_for(timeout=10000)
        rice = keeper.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "RICE", "qty": "5"}]}, expect=201)
        page.wait_for_function("() => document.querySelector('[data-task=approvals] .badge')?.textContent === '2'", timeout=10000)

        tile.click()
        entry = page.locator(f"[data-req='{pens['number']}']")
        assert "请购单" in entry.inner_text() and pens["requested_by"] in entry.inner_text()
        entry.locator("button").click()
        page.locator("#req-lines tr[data-sku=PEN]").wait_for()
        assert page.locator("#req-facts tbody td").all_inner_texts() == ["WH1", pens["requested_by"], "2027-03-01"]
        assert page.locator("#req-lines tr[data-sku=PEN] td.num").inner_text().startswith("30")
        assert "季度备货" in page.locator("[data-field=note]").inner_text()
        page.locator("input[name=comment]").fill("同意")
        page.locator("[data-action=approve]").click()
        page.get_by_role("alert").filter(has_text=f"已批准 {pens['number']}").wait_for()
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=10000)

        # Offline: the other is rejected on what the phone holds, and sent once the signal is back.
        context.set_offline(True)
        page.locator(f"[data-req='{rice['number']}'] button").click()
        page.locator("#req-lines tr[data-sku=RICE]").wait_for()
        page.locator("[data-action=reject]").click()  # a rejection needs a reason
        page.get_by_role("alert").filter(has_text="驳回时请填写意见").wait_for()
        page.locator("input[name=comment]").fill("库存够用")
        page.locator("[data-action=reject]").click()
        page.get_by_role("alert").filter(has_text=f"已驳回 {rice['number']}").wait_for()
        page.get_by_text("没有待审批的单据").wait_for()
        assert pending(page) == 1
        context.set_offline(False)
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=20000)
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()

    approved, rejected = (purchaser.get(f"/api/v1/requisitions/{r['number']}") for r in (pens, rice))
    assert (approved["status"], [(a["user"], a["decision"], a["comment"]) for a in approved["approvals"]]) == ("open", [("boss", "approved", "同意")])
    assert (rejected["status"], [(a["user"], a["decision"], a["comment"]) for a in rejected["approvals"]]) == ("rejected", [("boss", "rejected", "库存够用")])
    purchaser.post(f"/api/v1/requisitions/{rice['number']}/order", {"supplier": "SUP1"}, expect=409)
    po = purchaser.post(f"/api/v1/requisitions/{pens['number']}/order", {"supplier": "SUP1"}, expect=201)
    assert [(line["sku"], line["qty"]) for line in po["lines"]] == [("PEN", "30")]
