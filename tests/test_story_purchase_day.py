"""A purchase day through the app only, in Chinese and in English, writing the user guide as it goes.

At the desk the purchaser runs the reorder check, turns the pen requisition it raises into a purchase order, adds a
line of milk and submits it. On the road the approver finds the order waiting on the phone, reads its lines and
approves it. At the dock a warehouse worker receives it by scanning: pens by the box and by the carton and the rest
with the quantity field, milk by the carton with each lot typed once; at "receiving done" the pens are accepted and part
of one milk lot is rejected into quarantine with its reason; then each put-away task is confirmed by scanning the bin
it suggests. The API only sets up the company before the day and checks afterwards: the order received in full (and
still owed the two refused boxes), the receipt inspected and put away, stock in its bins and in quarantine, the books
sound.
"""

from __future__ import annotations

import pytest

from tests.guide import Guide
from tests.helpers import PASSWORD, PEN_CARTON, PEN_EACH, add_user, post_move
from tests.stories import Api, books_are_sound
from tests.test_office import open_section
from tests.test_pwa_inbox import catalog_on_the_phone
from tests.test_pwa_receiving import counted, settled

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 800}}
LOCALES = {"zh": "zh-CN", "en": "en-US"}
MILK_CARTON = "16901234000020"  # a carton of six boxes
STATE = {"draft": ("草稿", "Draft"), "pending": ("待审批", "Pending approval")}


def the_company(client, as_role, db) -> dict[str, Api]:  # type: ignore[no-untyped-def]
    """What exists before the day: WH1's dock, supplier SUP1 with its price list, four pens in B1 (the reorder level is
    ten), and one person per job, each working in WH1."""
    admin = Api(client, as_role("admin"))
    admin.post("/api/v1/locations", {"code": "WH1-DOCK", "kind": "zone", "parent": "WH1", "name_zh": "收货区", "name_en": "Dock"}, expect=201)
    admin.post("/api/v1/price-lists", {"code": "SUP1-LIST", "kind": "purchase", "prices": [{"sku": "PEN", "price": "2"}, {"sku": "MILK", "price": "8"}]},
               expect=201)
    admin.post("/api/v1/partners", {"code": "SUP1", "kind": "supplier", "name_zh": "晨光文具", "name_en": "Morning Light Supplies",
                                    "payment_terms_days": 30, "price_list": "SUP1-LIST"}, expect=201)
    assert post_move(client, as_role("warehouse"), "PEN", 4, "SUPPLIER", "B1", unit_cost="2").status_code == 201
    admin.put("/api/v1/reorder-rules", {"sku": "PEN", "warehouse": "WH1", "min_qty": "10", "reorder_qty": "50", "supplier": "SUP1"})
    for username, role in [("buyer", "purchaser"), ("boss", "approver"), ("keeper", "warehouse")]:
        add_user(db, username, [role], ["WH1"])
    return {"admin": admin, "finance": Api(client, as_role("finance"))}


def said(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def signed_in(browser, live_server, username: str, lang: str, device: dict):  # type: ignore[no-untyped-def,type-arg]
    """A person's browser in their language, signed in and on the home screen."""
    context = browser.new_context(**device, locale=LOCALES[lang])
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.locator("[data-task=office]").wait_for()
    if not page.evaluate("document.documentElement.lang").startswith(lang):
        page.locator("header [data-action=language]").click()
        page.wait_for_function(f"() => document.documentElement.lang.startsWith('{lang}')")
    return context, page


def wedge(page, code: str) -> None:  # type: ignore[no-untyped-def]
    """A keyboard-wedge scanner: the code as a fast burst of keys, then Enter."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def status_shows(page, lang: str, state: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(".facts [data-field=status] dd", has_text=said(lang, *STATE[state])).wait_for()


def the_purchaser_orders(browser, live_server, lang: str) -> str:  # type: ignore[no-untyped-def]
    guide = Guide("purchaser", lang, "purchase-day", "采购日：从再订货建议到提交采购订单", "Purchase day: from a reorder suggestion to a submitted order")
    context, page = signed_in(browser, live_server, "buyer", lang, DESK)
    try:
        guide.step(page, "登录后，在首页点“后台”。", "After signing in, choose Back office on the home screen.")
        page.locator("[data-task=office]").click()
        page.locator("#office-body").wait_for()
        open_section(page, "requisitions")
        check = page.locator("[data-action=check-reorder]")
        check.wait_for()
        guide.step(page, "在左侧菜单的“采购”下打开“请购单”。", "Open Requisitions under Purchasing in the menu on the left.")

        check.click()
        raised = page.locator("#reorder-result tr[data-req]")
        raised.first.wait_for()
        assert raised.count() == 1 and "PEN × 50" in raised.inner_text()
        requisition = raised.first.get_attribute("data-req")
        guide.step(page, "点“立即检查再订货点”：库存低于再订货点的商品各生成一张请购单，显示在上方（这里是中性笔 50 支）。",
                   "Choose “Check reorder levels now”: each item below its reorder level gets a requisition, shown at the top "
                   "(here 50 gel pens).")

        raised.first.locator(f"[data-pick='{requisition}']").check()
        form = page.locator("#order-form")
        form.wait_for()
        assert form.locator("[name=supplier]").input_value() == "SUP1" and form.locator("[name=warehouse]").input_value() == "WH1"
        form.scroll_into_view_if_needed()
        guide.step(page, "勾选请购单，下方出现“用所选请购单生成采购订单”，供应商和仓库已经填好。",
                   "Tick the requisition: the form “Make a purchase order from the selected requisitions” appears below, with the supplier "
                   "and warehouse filled in.")
        form.locator("[data-action=save]").click()
        page.locator("#po-lines tr[data-sku=PEN]").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        status_shows(page, lang, "draft")
        assert page.locator("#po-lines tr[data-sku=PEN] td").nth(3).inner_text() == "50"
        guide.step(page, "点“生成采购订单”：订单以草稿打开，单价取自供应商价目表。",
                   "Choose “Make a purchase order”: the order opens as a draft, priced from the supplier's price list.")

        page.locator("[data-field=actions] [data-action=edit]").click()
        edit = page.locator("#po-edit")
        edit.locator("[data-action=add-line]").click()
        edit.locator("[name=line-1-sku]").fill("MILK")
        edit.locator("[name=line-1-qty]").fill("18")
        guide.step(page, "点“修改”，再点“添加一行”，填商品编码 MILK 和数量 18；单价留空就用供应商的价格。",
                   "Choose Edit, then “Add a line”, and type the SKU MILK and the quantity 18; an empty price takes the supplier's.")
        edit.locator("[data-action=save]").click()
        milk = page.locator("#po-lines tr[data-sku=MILK]")
        milk.wait_for()
        assert milk.locator("td").nth(4).inner_text() == "8.00"
        guide.step(page, "点“保存”：订单多了一行牛奶，单价 8.00 取自供应商价目表。",
                   "Choose Save: the order has a line of milk now, at 8.00 from the supplier's price list.")

        page.locator("[data-field=actions] [data-action=submit]").click()
        status_shows(page, lang, "pending")
        guide.step(page, "点“提交审批”：订单变为“待审批”，审批人会收到通知。",
                   "Choose “Submit for approval”: the order is pending approval, and the approver is notified.")
    finally:
        context.close()
    guide.write()
    return number


def the_approver_approves(browser, live_server, lang: str, number: str) -> None:  # type: ignore[no-untyped-def]
    guide = Guide("approver", lang, "purchase-day", "采购日：在手机上审批采购订单", "Purchase day: approving a purchase order on the phone")
    context, page = signed_in(browser, live_server, "boss", lang, PHONE)
    try:
        page.wait_for_function("() => document.querySelector('[data-task=approvals] .badge')?.textContent === '1'", timeout=10000)
        guide.step(page, "在手机上登录：首页“审批”上的数字是等你审批的订单数。",
                   "Sign in on the phone: the number on Approvals is how many orders wait for you.")
        page.locator("[data-task=approvals]").click()
        waiting = page.locator(f"li[data-po='{number}']")
        waiting.wait_for()
        guide.step(page, "点“审批”：列出等你审批的订单，每张都有供应商和金额。",
                   "Choose Approvals: the orders waiting for you, each with its supplier and total.")
        waiting.locator("button").click()
        page.locator("[data-action=approve]").wait_for()
        lines = page.locator("main table tbody tr")
        assert lines.count() == 2 and "PEN" in lines.nth(0).inner_text() and "MILK" in lines.nth(1).inner_text()
        guide.step(page, "点“查看”：订单的每一行——商品、数量、单价和金额——以及合计。",
                   "Choose Review: each line of the order — item, quantity, price and amount — and the total.")
        page.locator("input[name=comment]").fill(said(lang, "同意，按时到货", "Approved, deliver on time"))
        guide.step(page, "需要的话在“意见”里写一句（驳回时必须写），然后点“批准”。",
                   "Write a comment if you like (a rejection needs one), then choose Approve.")
        page.locator("[data-action=approve]").click()
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)
        page.get_by_text(said(lang, "没有待审批的单据", "Nothing to approve")).wait_for()
        guide.step(page, "订单离开待审批列表，批准结果发回服务器（没有信号时，联网后自动发送）。",
                   "The order leaves the list and the decision goes to the server (with no signal, by itself once back online).")
    finally:
        context.close()
    guide.write()


def the_warehouse_receives_and_puts_away(browser, live_server, lang: str, number: str) -> None:  # type: ignore[no-untyped-def]
    guide = Guide("warehouse", lang, "purchase-day", "采购日：扫码收货、质检和上架", "Purchase day: receiving by scanning, inspection and put-away")
    context, page = signed_in(browser, live_server, "keeper", lang, PHONE)
    try:
        catalog_on_the_phone(page)
        page.locator("[data-task=receive] .badge").wait_for()
        guide.step(page, "在手机上登录：“收货”上的数字是可以收货的采购订单数。",
                   "Sign in on the phone: the number on Receive is how many purchase orders can be received.")
        page.locator("[data-task=receive]").click()
        page.locator(f"[data-po='{number}'] button").click()
        page.locator("tr[data-sku=MILK]").wait_for()
        guide.step(page, "点“收货”，再点订单旁的“收货”：列出订购、已收和待发送的数量。",
                   "Choose Receive, then Receive beside the order: what was ordered, received and is still to send.")

        # Pens: a box, a carton of twelve, and the quantity field for the rest.
        page.locator("#scan").focus()
        wedge(page, PEN_EACH)
        counted(page, "", "1")
        wedge(page, PEN_CARTON)
        counted(page, "", "13")
        guide.step(page, "扫一支笔的条码记 1，扫一箱的条码记 12：本次共 13。",
                   "Scan a pen's barcode for 1 and a carton's for 12: 13 counted here.")
        current = page.locator("#current")
        current.locator("input[name=qty]").fill("50")
        guide.step(page, "剩下的不用一件件扫：在“数量”里填总数 50。", "No need to scan the rest one by one: type the total, 50, in Quantity.")
        current.locator("[data-action=set-qty]").click()
        counted(page, "", "50")

        # Milk by the carton: the lot is typed once per lot, the next cartons of that lot count into it.
        lot_form = page.locator("form[data-form=lot]")
        page.locator("#scan").focus()
        wedge(page, MILK_CARTON)
        lot_form.locator("input[name=lot]").fill("LM-0601")
        lot_form.locator("input[name=expiry]").fill("2027-06-01")
        guide.step(page, "扫一箱牛奶：按批次管理的商品先问批次，填批号和有效期——每个批次只问一次。",
                   "Scan a carton of milk: an item tracked by lot asks its lot first; type the lot and expiry — once per lot.")
        lot_form.locator("[data-action=lot-ok]").click()
        counted(page, "LM-0601", "6")
        wedge(page, MILK_CARTON)
        counted(page, "LM-0601", "12")
        assert lot_form.count() == 0
        guide.step(page, "同一批次再扫一箱，直接加 6，不再问批次。", "Another carton of the same lot adds 6 without asking again.")
        current.locator("[data-action=new-lot]").click()
        lot_form.locator("input[name=lot]").fill("LM-0615")
        lot_form.locator("input[name=expiry]").fill("2027-06-15")
        lot_form.locator("[data-action=lot-ok]").click()
        page.locator("#scan").focus()
        wedge(page, MILK_CARTON)
        counted(page, "LM-0615", "6")
        settled(page)
        page.wait_for_function("() => document.querySelector('tr[data-sku=MILK] [data-field=received]').textContent === '18'", timeout=15000)
        guide.step(page, "另一批次：点“新批次”，填它的批号和有效期，再扫箱。扫过的数量会自动发到服务器。",
                   "Another lot: choose “New lot”, type its lot and expiry, and scan its carton. What was scanned goes to the server by itself.")

        # Receiving done: the pens and the first lot accepted, two boxes of the second lot rejected as damaged.
        page.locator("[data-action=receiving-done]").click()
        rows = page.locator("li[data-line]")
        rows.nth(2).wait_for()
        assert [rows.nth(i).locator("[data-field=qty]").inner_text() for i in range(3)] == ["50", "12", "6"]
        guide.step(page, "点“收货完成”：逐行质检，默认全部合格。", "Choose “Receiving done”: inspect each line; everything is accepted unless you say otherwise.")
        damaged = rows.filter(has_text="LM-0615")
        damaged.locator("[data-action=reject]").click()
        damaged.locator("input[name=rejected]").fill("2")
        damaged.locator("input[name=reason]").fill(said(lang, "两盒漏液", "two boxes leaking"))
        guide.step(page, "有问题的一行点“拒收”，填拒收数量和原因：拒收的货进待检区。",
                   "On a line with a problem choose Reject and type how many and why: rejected goods go to quarantine.")
        page.locator("[data-action=complete-receipt]").click()
        page.locator("tr[data-sku=MILK]").wait_for()
        settled(page)
        assert page.locator("#sync").get_attribute("data-state") != "issues"

        # Put-away: each task says where to go; scanning that bin confirms it.
        page.locator("#home").click()
        page.locator("[data-task=putaway]").click()
        task = page.locator("#putaway [data-field=sku]")
        for sku, lot in [("PEN", None), ("MILK", "LM-0601"), ("MILK", "LM-0615")]:
            shown = page.locator("#putaway", has_text=lot) if lot else page.locator("#putaway")
            task.filter(has_text=sku).wait_for(timeout=15000)
            shown.wait_for()
            bin_, qty = page.locator("#putaway [data-field=suggested]").inner_text(), page.locator("#putaway td.num").inner_text()
            if sku == "PEN":
                guide.step(page, "点“确认完成收货”，回首页点“上架”：每个任务写着商品、批次、数量和建议库位。",
                           "Choose “Complete the receipt”, go home and choose Put away: each task shows the item, its lot, the quantity "
                           "and the suggested bin.")
            page.locator("#scan").focus()
            wedge(page, bin_)
            page.locator("#notice", has_text=f"{sku} × {qty} → {bin_}").wait_for()
            if sku == "PEN":
                guide.step(page, "把货放到建议库位，扫库位条码确认：下一个任务随即出现。",
                           "Put the goods in the suggested bin and scan the bin's code to confirm: the next task comes up.")
        page.locator("#putaway [data-field=sku]").wait_for(state="detached")
        settled(page)
        guide.step(page, "全部上架后，列表为空。", "When everything is put away, the list is empty.")
    finally:
        context.close()
    guide.write()


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_purchase_day_from_the_reorder_check_to_the_bins(browser, client, live_server, world, as_role, db, lang):
    people = the_company(client, as_role, db)
    number = the_purchaser_orders(browser, live_server, lang)
    the_approver_approves(browser, live_server, lang, number)
    the_warehouse_receives_and_puts_away(browser, live_server, lang, number)

    admin = people["admin"]
    [requisition] = admin.get("/api/v1/requisitions")["items"]
    assert (requisition["status"], requisition["source"], requisition["po"]) == ("ordered", "reorder", number)
    po = admin.get(f"/api/v1/purchase-orders/{number}")
    # Everything ordered has arrived, but two boxes were refused: the order waits for them (or to be closed) until then.
    assert po["status"] == "partially_received", po["status"]
    assert [(line["sku"], line["qty"], line["unit_price"], line["received"], line["accepted"], line["rejected"]) for line in po["lines"]] == [
        ("PEN", "50", "2", "50", "50", "0"), ("MILK", "18", "8", "18", "16", "2")]
    assert [(a["user"], a["decision"]) for a in po["approvals"]] == [("boss", "approved")]
    [receipt] = admin.get("/api/v1/receipts", po=number)["items"]
    assert receipt["status"] == "done"
    assert [(line["sku"], line["lot"], line["qty"], line["accepted"], line["rejected"], line["qc_status"]) for line in receipt["lines"]] == [
        ("PEN", None, "50", "50", "0", "accepted"), ("MILK", "LM-0601", "12", "12", "0", "accepted"), ("MILK", "LM-0615", "6", "4", "2", "partial")]
    assert receipt["lines"][2]["qc_note"] == said(lang, "两盒漏液", "two boxes leaking")
    assert [(t["sku"], t["lot"], t["qty"], t["to"], t["status"]) for t in receipt["putaway"]] == [
        ("PEN", None, "50", "B1", "done"), ("MILK", "LM-0601", "12", "B2", "done"), ("MILK", "LM-0615", "4", "B2", "done")]
    assert admin.get("/api/v1/putaway-tasks", warehouse="WH1")["items"] == []
    assert admin.stock("PEN", "B1") == ("54", "0")
    assert admin.stock("MILK", "B2", "LM-0601") == ("12", "0") and admin.stock("MILK", "B2", "LM-0615") == ("4", "0")
    assert admin.stock("MILK", "QC", "LM-0615") == ("2", "0")
    for sku, lot in [("PEN", None), ("MILK", "LM-0601"), ("MILK", "LM-0615")]:
        assert admin.stock(sku, "WH1-DOCK", lot) == ("0", "0")
    lots = {lot["code"]: lot["expiry"] for lot in admin.get("/api/v1/lots", sku="MILK")["items"]}
    assert (lots["LM-0601"], lots["LM-0615"]) == ("2027-06-01", "2027-06-15")
    books_are_sound(people["finance"], db)
