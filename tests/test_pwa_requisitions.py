"""A storekeeper asks for goods at the desk; an approver decides on the phone: each requisition arrives while the app is
open and reads as what is asked for, where, by whom and by when; a rejection needs a reason; a decision made offline is
sent when the phone is back online; the purchaser may order only what was approved. The steps are the approver's and
the warehouse worker's guide to requisitions, in both languages."""

from __future__ import annotations

import pytest

from tests.desk import open_desk
from tests.guide import Guide
from tests.helpers import PASSWORD, add_user
from tests.stories import Api, supplier_and_dock
from tests.test_desk_purchasing import open_section, status_shows
from tests.test_pwa import PHONE, pending

pytestmark = pytest.mark.browser
PART = "requisitions"
WORDS = {
    "zh": {"new": "新建请购单", "warehouse": "仓库", "needed": "需求日期", "pending": "待审批", "open": "进行中", "rejected": "已驳回",
           "requisition": "请购单", "approved": "已批准", "rejected_": "已驳回", "reason": "驳回时请填写意见", "none": "没有待审批的单据",
           "note": "季度备货", "agree": "同意", "why": "库存够用"},
    "en": {"new": "New requisition", "warehouse": "Warehouse", "needed": "Needed by", "pending": "Pending approval", "open": "Open",
           "rejected": "Rejected", "requisition": "Requisition", "approved": "Approved", "rejected_": "Rejected", "reason": "Say why you reject it",
           "none": "Nothing to approve", "note": "Stock for the quarter", "agree": "Agreed", "why": "Enough in stock"},
}


def raise_requisition(page, words: dict[str, str], sku: str, qty: str, needed_by: str = "", note: str = "") -> str:  # type: ignore[no-untyped-def]
    """The storekeeper's form at the desk, sent with Enter in the last quantity; the requisition's number."""
    open_section(page, "requisitions")
    page.get_by_role("button", name=words["new"]).click()
    form = page.locator("#requisition-form")
    form.get_by_label(words["warehouse"]).fill("WH1")
    if needed_by:
        form.get_by_label(words["needed"]).fill(needed_by)
    if note:
        form.locator("[name=note]").fill(note)
    form.locator("[name=line-0-sku]").fill(sku)
    form.locator("[name=line-0-qty]").fill(qty)
    form.locator("[name=line-0-qty]").press("Enter")
    page.locator(f"#req-lines tr[data-sku={sku}]").wait_for()
    return page.locator("#app h3").inner_text().split(" · ")[0]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_approver_approves_one_requisition_and_rejects_another_offline_from_the_phone(browser, client, live_server, world, as_role, db, lang):
    words = WORDS[lang]
    approver_guide = Guide("approver", lang, PART, "审批请购单", "Deciding on requisitions")
    keeper_guide = Guide("warehouse", lang, PART, "提交请购单", "Asking for goods: a requisition")
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    supplier_and_dock(admin)
    add_user(db, "keeper", ["warehouse"], ["WH1"])
    add_user(db, "boss", ["approver"], ["WH1"])
    phone_context = browser.new_context(**(PHONE | {"locale": "zh-CN" if lang == "zh" else "en-US"}))
    desk_context, desk = open_desk(browser, live_server, "keeper", lang)
    try:
        phone = phone_context.new_page()
        phone.goto(live_server.url + "/")
        phone.locator("input[name=username]").fill("boss")
        phone.locator("input[name=password]").fill(PASSWORD)
        phone.locator("form button[type=submit]").click()
        tile = phone.locator("[data-task=approvals]")
        tile.wait_for()
        assert tile.locator(".badge").count() == 0

        # The storekeeper asks for pens, then rice: each shows up on the approver's phone as it is raised.
        pens = raise_requisition(desk, words, "PEN", "30", "2027-03-01", words["note"])
        status_shows(desk, words["pending"])
        assert [b.get_attribute("data-action") for b in desk.locator("[data-field=actions] button").all()] == ["cancel"]
        keeper_guide.step(desk, "在后台“请购单”中点“新建请购单”，填写仓库、需求日期和要的商品与数量，保存：请购单等待审批。",
                          "In Requisitions at the desk, choose “New requisition”, give the warehouse, the date needed and the items, and save: "
                          "it waits for approval.")
        phone.get_by_role("alert").filter(has_text=pens).wait_for(timeout=10000)
        rice = raise_requisition(desk, words, "RICE", "5")
        phone.wait_for_function("() => document.querySelector('[data-task=approvals] .badge')?.textContent === '2'", timeout=10000)
        approver_guide.step(phone, "有人提交请购单时，手机上会收到通知，“审批”上的数字随之增加。",
                            "When someone raises a requisition the phone is told at once, and the number on Approvals goes up.")

        tile.click()
        entry = phone.locator(f"[data-req='{pens}']")
        assert words["requisition"] in entry.inner_text() and "keeper" in entry.inner_text()
        approver_guide.step(phone, "点“审批”：待审批的采购订单和请购单都在这里。", "Tap Approvals: the purchase orders and requisitions waiting for you.")
        entry.locator("button").click()
        phone.locator("#req-lines tr[data-sku=PEN]").wait_for()
        assert phone.locator("#req-facts tbody td").all_inner_texts() == ["WH1", "keeper", "2027-03-01"]
        assert phone.locator("#req-lines tr[data-sku=PEN] td.num").inner_text().startswith("30")
        assert words["note"] in phone.locator("[data-field=note]").inner_text()
        phone.locator("input[name=comment]").fill(words["agree"])
        approver_guide.step(phone, "打开请购单：看到仓库、申请人、需求日期、商品和数量；填写意见后点“批准”。",
                            "Open it: the warehouse, who asks, by when, the items and quantities. Add a comment and tap Approve.")
        phone.locator("[data-action=approve]").click()
        phone.get_by_role("alert").filter(has_text=f"{words['approved']} {pens}").wait_for()
        phone.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=10000)

        # Offline: the other is rejected on what the phone holds, and sent once the signal is back.
        phone_context.set_offline(True)
        phone.locator(f"[data-req='{rice}'] button").click()
        phone.locator("#req-lines tr[data-sku=RICE]").wait_for()
        phone.locator("[data-action=reject]").click()  # a rejection needs a reason
        phone.get_by_role("alert").filter(has_text=words["reason"]).wait_for()
        phone.locator("input[name=comment]").fill(words["why"])
        approver_guide.step(phone, "驳回时必须写明原因。没有信号也可以审批：决定先保存在手机上。",
                            "A rejection needs its reason. No signal is needed: the decision is kept on the phone.")
        phone.locator("[data-action=reject]").click()
        phone.get_by_role("alert").filter(has_text=f"{words['rejected_']} {rice}").wait_for()
        phone.get_by_text(words["none"]).wait_for()
        assert pending(phone) == 1
        phone_context.set_offline(False)
        phone.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=20000)
        approver_guide.step(phone, "有信号后决定自动发送；请购单从清单中消失。", "Once there is a signal the decision is sent by itself, and the list is empty.")
        assert phone.evaluate("[...globalThis.cangkuMissingText]") == []

        # The storekeeper sees both decided at the desk: who decided, and why.
        open_section(desk, "requisitions")
        desk.locator(f"#office-body tr[data-req='{rice}']", has_text=words["rejected"]).locator(f"a[href='#/office/requisitions/{rice}']").click()
        status_shows(desk, words["rejected"])
        desk.locator("#req-approvals tr[data-decision=rejected]", has_text=words["why"]).wait_for()
        keeper_guide.step(desk, "审批后，请购单显示结果、审批人和意见；批准的由采购员下单。",
                          "Once decided, the requisition shows the decision, who made it and why; an approved one is ordered by the purchaser.")
        assert desk.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        phone_context.close()
        desk_context.close()
    approver_guide.write()
    keeper_guide.write()

    approved, rejected = (purchaser.get(f"/api/v1/requisitions/{number}") for number in (pens, rice))
    assert (approved["status"], [(a["user"], a["decision"], a["comment"]) for a in approved["approvals"]]) == ("open", [("boss", "approved", words["agree"])])
    assert (rejected["status"], [(a["user"], a["decision"], a["comment"]) for a in rejected["approvals"]]) == ("rejected", [("boss", "rejected", words["why"])])
    purchaser.post(f"/api/v1/requisitions/{rice}/order", {"supplier": "SUP1"}, expect=409)
    po = purchaser.post(f"/api/v1/requisitions/{pens}/order", {"supplier": "SUP1"}, expect=201)
    assert [(line["sku"], line["qty"]) for line in po["lines"]] == [("PEN", "30")]
