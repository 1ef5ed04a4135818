"""Stocktake day, done entirely in the app: the administrator adds a new item and a new warehouse worker at the desk and
starts a stocktake of zone Z1; two workers count its bins blind on two phones while one of them moves pens from B3 to B2;
the administrator reviews the variances, sends a line back, the phone counts it again, and the stocktake is posted.
The user guide's "stocktake-day" parts (administrator and warehouse worker) are written from the screens as it goes."""

from __future__ import annotations

import pytest

from labels.gs1 import with_check_digit
from tests.guide import Guide
from tests.helpers import PASSWORD, PEN_CARTON, PEN_EACH, add_user, post_move
from tests.stories import Api, books_are_sound
from tests.test_office import open_section
from tests.test_pwa_inbox import catalog_on_the_phone

pytestmark = pytest.mark.browser
LOCALES = {"zh": "zh-CN", "en": "en-US"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 800}}
NOTE_EACH = with_check_digit("690123499002")
NOTE_CARTON = with_check_digit("1690123499002")
NEW_PASSWORD = "maple river lantern 7"


def in_language(page, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The app in the run's language (once it has drawn its first screen): the header's language button when it shows the
    other one."""
    page.locator("#app h2").first.wait_for()
    if not page.evaluate("document.documentElement.lang").startswith(lang):
        page.locator("header [data-action=language]").click()
        page.wait_for_function(f"() => document.documentElement.lang.startsWith('{lang}')")


def sign_in(page, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()


def wedge(page, code: str) -> None:  # type: ignore[no-untyped-def]
    """A keyboard-wedge scanner: the code as a fast burst of keys, then Enter."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def sent(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)


def shows_counted(page, sku: str, qty: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("([sku, qty]) => document.querySelector(`#count li[data-sku='${sku}'] input[name=qty]`)?.value === qty", arg=[sku, qty])


def open_count(page, number: str) -> None:  # type: ignore[no-untyped-def]
    """From wherever the phone is: home, Count, the stocktake, ready for a bin's scan."""
    page.locator("#home").click()
    page.locator("[data-task=count]").click()
    page.locator("main[data-screen=count] li", has=page.locator("strong", has_text=number)).locator("button").click()
    page.locator("#count").wait_for()


def bin_done(page, lang: str, where: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("[data-action=bin-done]").click()
    page.get_by_role("alert").filter(has_text={"zh": f"{where} 已盘点", "en": f"{where} counted"}[lang]).wait_for()
    sent(page)


def scroll_sideways_to(page, table: str, column: int) -> None:  # type: ignore[no-untyped-def]
    """Scroll a wide table sideways, as a person does, until its `column` (counted from 0) shows at the right edge."""
    page.evaluate("""([table, column]) => {
        const th = document.querySelector(table).tHead.rows[0].cells[column];
        const box = th.closest('.scroll');
        box.scrollLeft = th.offsetLeft + th.offsetWidth - box.clientWidth;
    }""", [table, column])


def reopen(page, number: str, ready: str) -> None:  # type: ignore[no-untyped-def]
    """Back to the list of stocktakes and into this one again, to see what the phones did meanwhile."""
    page.locator("#office-body a.back").click()
    page.locator(f"#office-body tr[data-count='{number}'] a").click()
    page.locator(ready).wait_for()


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_stocktake_day_a_zone_counted_blind_on_two_phones_while_stock_moves_recounted_and_posted(
        browser, client, live_server, world, as_role, db, lang, backend):
    zh = lang == "zh"
    admin_guide = Guide("admin", lang, "stocktake-day", "盘点日：新商品、新同事、盘点的开始、复核与过账",
                        "Stocktake day: a new item, a new colleague, a stocktake started, reviewed and posted")
    floor_guide = Guide("warehouse", lang, "stocktake-day", "盘点日：用手机盲盘、盘点中移库、复盘",
                        "Stocktake day: counting blind on the phone, moving stock meanwhile, counting again")

    # Before the day: stock in zone Z1 of WH1, an administrator, and a warehouse worker who already has an account.
    api = Api(client, as_role("admin"))
    for sku, qty, where, cost in [("PEN", 24, "B1", "2"), ("RICE", 5, "B1", "4"), ("PEN", 10, "B2", "2"), ("PEN", 30, "B3", "2"), ("RICE", 3, "B3", "4")]:
        assert post_move(client, api.headers, sku, qty, "SUPPLIER", where, unit_cost=cost).status_code == 201
    add_user(db, "chief", ["admin"])
    add_user(db, "counter1", ["warehouse"], ["WH1"])

    desk_context = browser.new_context(**DESK, locale=LOCALES[lang])
    phone_a_context = browser.new_context(**PHONE, locale=LOCALES[lang])
    phone_b_context = browser.new_context(**PHONE, locale=LOCALES[lang])
    try:
        # 1. The administrator at the desk.
        desk = desk_context.new_page()
        desk.goto(live_server.url + "/")
        in_language(desk, lang)
        sign_in(desk, "chief")
        desk.locator("#app button", has_text="WH1").wait_for()
        admin_guide.step(desk, "在电脑上登录。管理员可以在所有仓库工作，先选择今天的仓库 WH1，再在首页点“后台”。",
                         "Sign in at the desk. An administrator works in every warehouse: choose today's, WH1, then Back office on the "
                         "home screen.")
        desk.locator("#app button", has_text="WH1").click()
        desk.locator("[data-task=office]").click()
        desk.locator("#office-body table").first.wait_for()
        desk.wait_for_function("() => !document.querySelector('[aria-busy=true]')")

        # A new item: sticky notes, sold by the pad and delivered in cartons of ten.
        open_section(desk, "items")
        desk.locator("#office-body [data-action=new]").click()
        form = desk.locator("#item-form")
        form.locator("[name=sku]").fill("NOTE")
        form.locator("[name=name_zh]").fill("便利贴")
        form.locator("[name=name_en]").fill("Sticky notes")
        form.locator("[name=unit]").fill("pad")
        admin_guide.step(desk, "在“商品”中点“新建商品”，填写 SKU、中英文名称和单位（这里是“本”：按本计数），再点“保存”。",
                         "In Items, choose New item; type the SKU, the Chinese and English names and the unit (a pad: counted by the pad), "
                         "then Save.")
        form.locator("[data-action=save]").click()
        barcodes = desk.locator("#barcode-form")
        barcodes.wait_for()
        desk.wait_for_function("() => document.activeElement.name === 'code'")
        barcodes.locator("[name=code]").fill(NOTE_EACH)
        barcodes.locator("[name=code]").press("Enter")
        desk.locator(f"#item-barcodes tr[data-barcode='{NOTE_EACH}']").wait_for()
        desk.wait_for_function("() => document.activeElement.name === 'code'")
        barcodes = desk.locator("#barcode-form")
        barcodes.locator("[name=code]").fill(NOTE_CARTON)
        barcodes.locator("[name=pack]").select_option("carton")
        barcodes.locator("[name=qty]").fill("10")
        admin_guide.step(desk, "保存后光标在“添加条码”：扫入（或输入）一本的条码，按回车；再输入箱码，包装选“箱”、数量填 10，点“添加条码”。"
                               "以后扫到箱码就算 10 本。",
                         "Once saved, the cursor is in Add a barcode: scan (or type) the barcode of one pad and press Enter; then the "
                         "carton's, with the pack set to carton and 10 in it, and choose Add a barcode. A scan of the carton then counts "
                         "ten pads.")
        barcodes.locator("[data-action=save]").click()
        desk.locator(f"#item-barcodes tr[data-barcode='{NOTE_CARTON}']").wait_for()

        # A new colleague for the count: a warehouse worker of WH1.
        open_section(desk, "users")
        desk.locator("#office-body [data-action=new]").click()
        form = desk.locator("#user-form")
        form.locator("[name=username]").fill("counter2")
        form.locator("[name=display_name]").fill("王芳" if zh else "Wang Fang")
        form.locator("[name=password]").fill(NEW_PASSWORD)
        form.locator("input[name=roles][value=warehouse]").check()
        form.locator("input[name=warehouses][value=WH1]").check()
        form.locator("[data-action=save]").scroll_into_view_if_needed()
        admin_guide.step(desk, "在“用户”中点“新建用户”：填写用户名、显示名称和初始密码（至少 10 个字符），勾选角色“仓库员”和仓库 WH1，"
                               "再点“保存”。",
                         "In Users, choose New user: type the username, the display name and an initial password (10 characters or more), "
                         "tick the Warehouse staff role and warehouse WH1, then Save.")
        form.locator("[data-action=save]").click()
        desk.locator(".facts [data-field=roles] dd").wait_for()
        assert desk.locator(".facts [data-field=warehouses] dd").inner_text() == "WH1"
        admin_guide.step(desk, "保存后显示新用户的角色和仓库。把用户名和初始密码交给新同事，他就能在手机上登录。",
                         "The new user's page shows the role and the warehouse. Give the colleague the username and the initial password: "
                         "they can sign in on a phone now.")

        # The stocktake of zone Z1.
        open_section(desk, "stocktakes")
        desk.locator("#office-body [data-action=new-stocktake]").click()
        form = desk.locator("#stocktake-form")
        form.locator("select[name=warehouse]").select_option("WH1")
        form.locator("input[name=zone][value=Z1]").check()
        form.locator("[name=note]").fill("Z1 月末盘点" if zh else "Z1, month end")
        admin_guide.step(desk, "在“盘点”中点“新建盘点”：选择仓库 WH1，勾选要盘的库区 Z1，可写备注，再点“开始盘点”。",
                         "In Stocktakes, choose New stocktake: pick warehouse WH1, tick zone Z1, add a note if you like, then Start the "
                         "stocktake.")
        form.locator("[data-action=save]").click()
        desk.locator("#count-lines tr[data-location=B1][data-sku=PEN]").wait_for()
        number = desk.locator("#app h3").inner_text().split(" · ")[0]
        assert desk.locator("[data-field=lines-open] dd").inner_text() == "5"
        admin_guide.step(desk, f"盘点单 {number} 已开始：Z1 各库位的账面数已冻结，共 5 行待盘。手机上的盘点是盲盘，看不到账面数。",
                         f"Stocktake {number} has started: the book of every bin in Z1 is frozen, 5 lines to count. On the phones the "
                         "count is blind: the book is not shown.")

        # 2. Two phones. The new colleague signs in with the password the administrator set.
        phone_b = phone_b_context.new_page()
        phone_b.goto(live_server.url + "/")
        in_language(phone_b, lang)
        phone_b.locator("input[name=username]").fill("counter2")
        phone_b.locator("input[name=password]").fill(NEW_PASSWORD)
        floor_guide.step(phone_b, "用管理员给你的用户名和初始密码登录。",
                         "Sign in with the username and initial password the administrator gave you.")
        phone_b.locator("form button[type=submit]").click()
        phone_b.locator("[data-task=count] .badge").wait_for()
        floor_guide.step(phone_b, "首页的“盘点”上的数字是进行中的盘点单数。点“盘点”。",
                         "The number on Count is how many stocktakes are in progress. Choose Count.")
        phone_a = phone_a_context.new_page()
        phone_a.goto(live_server.url + "/")
        in_language(phone_a, lang)
        sign_in(phone_a, "counter1")
        phone_a.locator("[data-task=count] .badge").wait_for()
        catalog_on_the_phone(phone_a)
        catalog_on_the_phone(phone_b)

        # Phone A counts B3 first: two cartons and six loose pens, three kilos of rice (each scan of the rice's code, a kilo).
        phone_a.locator("[data-task=count]").click()
        choose = phone_a.locator("main[data-screen=count] li", has=phone_a.locator("strong", has_text=number)).locator("button")
        choose.wait_for()
        floor_guide.step(phone_a, "列表中是本仓库进行中的盘点单，点要盘的那一张。",
                         "The list shows the stocktakes in progress in your warehouse: choose the one to count.")
        choose.click()
        phone_a.locator("#count").wait_for()
        wedge(phone_a, "B3")
        phone_a.locator("#count [data-field=bin]").filter(has_text="B3").wait_for()
        for code in [PEN_CARTON, PEN_CARTON] + [PEN_EACH] * 7 + ["RICE"] * 3:
            wedge(phone_a, code)
        shows_counted(phone_a, "PEN", "31")
        shows_counted(phone_a, "RICE", "3")
        floor_guide.step(phone_a, "扫描库位 B3，再扫描库位里的商品：箱码一次算一箱（12 支），单件条码一次算 1。"
                                  "屏幕只显示你点到的数量，不显示账面数。",
                         "Scan bin B3, then scan what is in it: a carton's code counts the carton (12 pens), an "
                         "item's own code counts one. The screen shows what you counted, never the book.")
        # One pen was scanned twice: the count is typed over.
        pens = phone_a.locator("#count li[data-sku=PEN] input[name=qty]")
        pens.fill("30")
        pens.press("Enter")
        shows_counted(phone_a, "PEN", "30")
        floor_guide.step(phone_a, "同一件扫了两次？直接在该行的数量框里改成实点数（称重的商品也可以输入重量，如 2.35），按回车。",
                         "Scanned the same one twice? Type the right count into the line's quantity box (for goods sold by weight, "
                         "the weight, such as 2.35) and press Enter.")
        bin_done(phone_a, lang, "B3")
        floor_guide.step(phone_a, "点“本库位盘完”：B3 的结果发送到服务器（没有信号时先存在手机上）。账面上有、但你没扫到的商品按 0 计。",
                         "Choose Bin done: B3's count goes to the server (kept on the phone until there is a signal). Anything the book "
                         "has in the bin and you did not scan counts as none.")

        # Meanwhile the pick face in B2 runs low: phone A moves six pens there from B3 while the count is open.
        phone_a.locator("#home").click()
        phone_a.locator("[data-task=transfer]").click()
        phone_a.locator("#transfer").wait_for()
        wedge(phone_a, "B3")
        phone_a.locator("#transfer [data-field=from]").filter(has_text="B3").wait_for()
        for _ in range(6):
            wedge(phone_a, PEN_EACH)
        phone_a.locator("#transfer li[data-sku=PEN] strong").filter(has_text="6").wait_for()
        phone_a.locator("#notice").wait_for(state="hidden")  # B3's "counted" has faded
        floor_guide.step(phone_a, "盘点进行中也可以移库：在“移库”中扫描来源库位 B3，再扫描要移的商品（这里 6 支笔）……",
                         "Stock may move while the count is open: in Transfer, scan the bin it comes from, B3, then what moves (six pens "
                         "here)…")
        wedge(phone_a, "B2")
        phone_a.get_by_role("alert").filter(has_text="B3 → B2").wait_for()
        sent(phone_a)
        floor_guide.step(phone_a, "……最后扫描目标库位 B2，移库即完成。服务器会把盘点开始后的移库算进各库位的应有数。",
                         "…and last the bin it goes to, B2: done. The server takes moves made after the count started into account in "
                         "each bin's expected quantity.")

        # Phone B (the new colleague) counts B2 after the move: one carton and two pens (a shelf behind is missed).
        phone_b.locator("[data-task=count]").click()
        phone_b.locator("main[data-screen=count] li", has=phone_b.locator("strong", has_text=number)).locator("button").click()
        phone_b.locator("#count").wait_for()
        wedge(phone_b, "B2")
        phone_b.locator("#count [data-field=bin]").filter(has_text="B2").wait_for()
        for code in (PEN_CARTON, PEN_EACH, PEN_EACH):
            wedge(phone_b, code)
        shows_counted(phone_b, "PEN", "14")
        floor_guide.step(phone_b, "另一台手机上，新同事盘 B2：扫描库位 B2，再扫描箱码和单件条码。",
                         "On another phone the new colleague counts B2: scan bin B2, then the carton and the loose pens.")
        bin_done(phone_b, lang, "B2")

        # Phone A counts B1: two cartons of pens, four kilos of rice, and a carton of the new sticky notes, not on the book.
        open_count(phone_a, number)
        wedge(phone_a, "B1")
        phone_a.locator("#count [data-field=bin]").filter(has_text="B1").wait_for()
        for code in [PEN_CARTON, PEN_CARTON] + ["RICE"] * 4 + [NOTE_CARTON]:
            wedge(phone_a, code)
        shows_counted(phone_a, "PEN", "24")
        shows_counted(phone_a, "RICE", "4")
        shows_counted(phone_a, "NOTE", "10")
        phone_a.locator("#notice").wait_for(state="hidden")  # the transfer's "moved" has faded
        floor_guide.step(phone_a, "在 B1 找到一箱账上没有的新商品（便利贴）：照样扫描它的箱码，算 10 本。",
                         "In B1 there is a carton of an item the book does not have there (the new sticky notes): scan its carton code "
                         "like any other, it counts ten pads.")
        bin_done(phone_a, lang, "B1")

        # 3. Back at the desk: the variances.
        reopen(desk, number, "#count-lines tr[data-location=B1][data-sku=NOTE]")
        assert desk.locator("[data-field=lines-open] dd").inner_text() == "0"
        desk.locator("#office-body input[name=variance_only]").check()
        desk.locator("#office-body form.filters button[type=submit]").click()
        desk.wait_for_function("() => document.querySelectorAll('#count-lines tbody tr').length === 3")
        variances = {(row[0], row[1]): row[2] for row in desk.evaluate(
            "() => [...document.querySelectorAll('#count-lines tbody tr')].map((r) => [r.dataset.location, r.dataset.sku, "
            "r.cells[11].textContent])")}
        assert variances == {("B1", "RICE"): "-1", ("B1", "NOTE"): "10", ("B2", "PEN"): "-2"}, variances
        scroll_sideways_to(desk, "#count-lines", 12)  # book, counted, moved, expected, variance and value in view
        admin_guide.step(desk, "手机盘完后重新打开盘点单，勾选“只看有差异的行”再点“查找”：每行有账面数、实盘数、盘点中移动的数量、应有数和差异（表格可左右滑动）。"
                               "B2 的应有数已算上盘点中移入的 6 支。",
                         "Once the phones are done, open the stocktake again, tick Only lines with a variance and choose Find: each line "
                         "shows the book, the count, what moved since the start, what was expected and the variance (scroll the "
                         "table sideways to see them all). B2's expected quantity includes the six pens moved in during the count.",
                         full_page=True)
        desk.locator("#count-lines tr[data-location=B2][data-sku=PEN] input[name=line]").check()
        desk.locator("[data-field=actions] [data-action=recount]").click()
        desk.locator("dialog textarea").fill("B2 后排也要点" if zh else "Count the back row of B2 too")
        admin_guide.step(desk, "B2 少了 2 支，可能没点全：勾选这一行，点“复盘”，写上意见后点“保存”。",
                         "B2 is two pens short, perhaps not all counted: tick the line, choose Recount, write a comment and Save.")
        desk.locator("dialog [data-action=ok]").click()
        desk.locator("#count-lines tr[data-location=B2][data-sku=PEN][data-status=recount]").wait_for()
        desk.locator("[data-field=actions] [data-action=post]").click()
        desk.get_by_role("alert").filter(has_text="第 3 行" if zh else "lines 3").wait_for()
        desk.evaluate("window.scrollTo(0, 0)")  # up to the message
        admin_guide.step(desk, "这一行变为“待复盘”。此时点“过账”会被拒绝，并说明哪几行还在等复盘。",
                         "The line is now To recount. Post is refused meanwhile, naming the lines still waiting for their recount.",
                         full_page=True)

        # The phone counts B2 again, all of it this time.
        open_count(phone_b, number)
        phone_b.locator("#count p.pending").filter(has_text="B2").wait_for()
        floor_guide.step(phone_b, "管理员要求复盘后，重新打开盘点单：屏幕上方列出需要复盘的库位。",
                         "When a recount is asked, open the stocktake again: the bins to count again are listed at the top.")
        wedge(phone_b, "B2")
        phone_b.locator("#count [data-field=bin]").filter(has_text="B2").wait_for()
        for code in (PEN_CARTON, PEN_EACH, PEN_EACH, PEN_EACH, PEN_EACH):
            wedge(phone_b, code)
        shows_counted(phone_b, "PEN", "16")
        floor_guide.step(phone_b, "把 B2 整个重新点一遍（包括后排），再点“本库位盘完”。",
                         "Count all of B2 again, the back row too, then choose Bin done.")
        bin_done(phone_b, lang, "B2")

        # The administrator posts it.
        reopen(desk, number, "#count-lines tr[data-location=B2][data-sku=PEN][data-status=counted]")
        assert desk.locator("#count-lines tr[data-location=B2][data-sku=PEN] td").nth(11).inner_text() == "0"
        admin_guide.step(desk, "复盘后 B2 的差异为 0。核对无误后点“过账”。",
                         "After the recount B2 has no variance. When everything is right, choose Post.")
        desk.locator("[data-field=actions] [data-action=post]").click()
        desk.locator("[data-field=status] dd", has_text="已过账" if zh else "Posted").wait_for()
        desk.locator("#count-lines tr[data-location=B1][data-sku=NOTE] a[href^='#/office/moves/']").wait_for()
        admin_guide.step(desk, "已过账：账面按实盘数更新，盘盈盘亏各生成一笔调整移动。点“相关移动”查看。",
                         "Posted: the book now agrees with the count; each gain or loss became one adjustment move. Choose Its moves to "
                         "see them.")
        desk.locator("[data-action=count-moves]").click()
        desk.wait_for_function("() => document.querySelectorAll('#office-body tbody tr[data-move]').length === 2")
        admin_guide.step(desk, "库存流水中是这次盘点的两笔调整：B1 的大米少 1 公斤（转入盘点调整），B1 多出 10 本便利贴（新商品还没有成本，"
                               "金额为 0）。",
                         "The ledger shows the stocktake's two adjustments: a kilo of rice less in B1 (to ADJUSTMENT) and ten sticky-note "
                         "pads more in B1 (a new item with no cost yet, so worth 0).")
        assert desk.evaluate("[...globalThis.cangkuMissingText]") == []
        for phone in (phone_a, phone_b):
            assert phone.evaluate("[...(globalThis.cangkuMissingText || [])]") == []
    finally:
        desk_context.close()
        phone_a_context.close()
        phone_b_context.close()
    admin_guide.write()
    floor_guide.write()

    # 4. What the server holds.
    item = api.get("/api/v1/items/NOTE")
    assert (item["name_zh"], item["name_en"], item["unit"]) == ("便利贴", "Sticky notes", "pad")
    assert [(b["code"], b["pack"], b["qty"]) for b in item["barcodes"]] == [(NOTE_EACH, "each", "1"), (NOTE_CARTON, "carton", "10")]
    user = api.get("/api/v1/users/counter2")
    assert (user["roles"], user["warehouses"], user["active"]) == (["warehouse"], ["WH1"], True)

    count = api.get(f"/api/v1/counts/{number}", limit=500)
    assert (count["status"], count["warehouse"], count["locations"], count["posted_by"]) == ("posted", "WH1", ["Z1"], "chief")
    lines = {(line["location"], line["sku"]): line for line in count["lines"]}
    assert {key: (line["book_qty"], line["moved_qty"], line["counted_qty"], line["variance"], line["counted_by"]) for key, line in lines.items()} == {
        ("B1", "PEN"): ("24", "0", "24", "0", "counter1"),
        ("B1", "RICE"): ("5", "0", "4", "-1", "counter1"),
        ("B1", "NOTE"): ("0", "0", "10", "10", "counter1"),
        # B2 was counted after six pens came in from B3: expected 16, counted 16 on the recount.
        ("B2", "PEN"): ("10", "6", "16", "0", "counter2"),
        # B3 was counted before the six left it: the move after its count does not make the count wrong.
        ("B3", "PEN"): ("30", "0", "30", "0", "counter1"),
        ("B3", "RICE"): ("3", "0", "3", "0", "counter1"),
    }
    assert lines[("B1", "NOTE")]["on_book"] is False
    adjustments = api.get("/api/v1/stock/moves", ref=f"stocktake:{number}")["items"]
    assert sorted((m["sku"], m["qty"], m["from"], m["to"]) for m in adjustments) == [("NOTE", "10", "ADJUSTMENT", "B1"), ("RICE", "1", "B1", "ADJUSTMENT")]
    moves = {m["sku"]: m for m in adjustments}
    assert lines[("B1", "RICE")]["move"] == moves["RICE"]["id"] and lines[("B1", "NOTE")]["move"] == moves["NOTE"]["id"]
    # The lost kilo of rice, at its cost of 4, waits in 1901 for the loss to be approved; the notes, with no cost yet, are worth 0.
    assert api.journal("move", str(moves["RICE"]["id"])) == [("1901", "4", "0"), ("1405", "0", "4")]
    assert moves["NOTE"]["value"] == "0"
    assert api.account("1901") == "4"
    transfers = api.get("/api/v1/stock/moves", sku="PEN", location="B2")["items"]
    assert [(m["qty"], m["from"], m["to"], m["user"]) for m in transfers if m["from"] == "B3"] == [("6", "B3", "B2", "counter1")]
    for sku, where, qty in [("PEN", "B1", "24"), ("PEN", "B2", "16"), ("PEN", "B3", "24"), ("RICE", "B1", "4"), ("RICE", "B3", "3"), ("NOTE", "B1", "10")]:
        assert api.stock(sku, where) == (qty, "0"), (sku, where)
    books_are_sound(api, db)
