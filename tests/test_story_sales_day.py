"""A sales day, done only through the screens, in Chinese and in English; it writes the sales, finance and warehouse
guides ("sales-day") as it goes.

A salesperson on the road looks up Hualian Supermarket on the phone and places an order by scanning a carton of pens
and a bag of rice: confirmed at once. A second, bigger order is over the customer's credit limit and waits as a draft;
finance, at the desk, releases the hold with a reason, and the salesperson confirms it from the order's page. The
warehouse lead makes a pick wave of both orders at the desk; a worker picks it on a phone (scan the bin, scan the item,
confirm), one line short for damaged cartons, packs each order into boxes by scanning, and ships: the order picked
short asks, and the rest is kept on a backorder. Finance invoices both orders, posts the invoices and records the
customer's payment against them. The salesperson takes part of the first order back at the desk; the warehouse lead
receives it, restocks the pens and scraps the torn bag of rice. The API sets up the company before the day begins and
checks what came of it afterwards: documents, stock, payments, the credit note and the books.
"""

from __future__ import annotations

import pytest

from labels.gs1 import with_check_digit
from tests.guide import Guide
from tests.helpers import PASSWORD, PEN_CARTON, add_user, post_move
from tests.stories import Api, books_are_sound, customer_and_areas
from tests.test_office import open_section, use_language

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 800}}
LOCALE = {"zh": "zh-CN", "en": "en-US"}
RICE_BAG = with_check_digit("690123400004")  # a 10 kg bag of rice
PART = "sales-day"

# What the screens say, where a wait needs the words: each language's own.
WORDS = {
    "zh": {"confirmed": "已确认", "draft": "草稿", "posted": "已过账", "done": "已完成", "packed": "已包装", "shipped": "已发货",
           "backorder": "其余转为欠货单", "no picks": "没有待拣的任务", "nothing to pack": "没有待包装的订单", "in": "华联"},
    "en": {"confirmed": "Confirmed", "draft": "Draft", "posted": "Posted", "done": "Done", "packed": "Packed", "shipped": "Shipped",
           "backorder": "the rest kept on a backorder", "no picks": "Nothing to pick", "nothing to pack": "No orders to pack",
           "in": "Hualian"},
}


@pytest.fixture
def company(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """Before the day: Hualian Supermarket (CUS1, credit limit 1,000, price list RETAIL: pens 12, rice 10 a kg) and another
    customer; WH1's shipping and returns areas; 100 pens in B1 and 100 kg of rice in B2 (sold in 10 kg bags with their
    own barcode); and the people: Sally (sales), Fiona (finance), Wendy (WH1's lead) and Wang (WH1's floor)."""
    admin = Api(client, as_role("admin"))
    customer_and_areas(admin, credit_limit="1000")
    admin.post("/api/v1/price-lists", {"code": "RETAIL", "kind": "sales", "prices": [{"sku": "PEN", "price": "12"}, {"sku": "RICE", "price": "10"}]},
               expect=201)
    customer = admin.get("/api/v1/partners/CUS1")
    admin.patch("/api/v1/partners/CUS1", {"version": customer["version"], "name_zh": "华联超市", "name_en": "Hualian Supermarket",
                                                "contact": "李经理 Manager Li", "phone": "021-5555 0188", "price_list": "RETAIL"})
    admin.post("/api/v1/partners", {"code": "CUS2", "kind": "customer", "name_zh": "联华便利店", "name_en": "Lianhua Corner Shop"}, expect=201)
    rice = admin.get("/api/v1/items/RICE")
    admin.post("/api/v1/items/RICE/barcodes", {"code": RICE_BAG, "pack": "bag", "qty": "10", "version": rice["version"]})
    worker = as_role("warehouse")
    assert post_move(client, worker, "PEN", 100, "SUPPLIER", "B1", unit_cost="5").status_code == 201
    assert post_move(client, worker, "RICE", 100, "SUPPLIER", "B2", unit_cost="6").status_code == 201
    add_user(db, "sally", ["sales"])
    add_user(db, "fiona", ["finance"])
    add_user(db, "wendy", ["warehouse"], ["WH1"])
    add_user(db, "wang", ["warehouse"], ["WH1"])
    return {"sales": Api(client, as_role("sales")), "finance": Api(client, as_role("finance")), "warehouse": Api(client, worker)}


# People and their screens ---------------------------------------------------------------------------


def signed_in(browser, live_server, lang: str, username: str, device: dict):  # type: ignore[no-untyped-def,type-arg]
    """A person's browser in their language, signed in and on their home screen."""
    context = browser.new_context(**device, locale=LOCALE[lang])
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


def on_phone(browser, live_server, lang: str, username: str, scopes: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A phone with what it works on offline synced to it (the catalog, and the warehouse's slices for a worker)."""
    context, page = signed_in(browser, live_server, lang, username, PHONE)
    page.wait_for_function("(scopes) => import('/store.js').then(async (store) => { const c = (await store.get('cursors')) || {}; "
                           "return scopes.every((s) => s in c); })", arg=list(scopes), timeout=20000)
    return context, page


def at_desk(browser, live_server, lang: str, username: str):  # type: ignore[no-untyped-def]
    context, page = signed_in(browser, live_server, lang, username, DESK)
    page.locator("[data-task=office]").click()
    page.locator("#office-body").wait_for()
    use_language(page, lang)
    return context, page


def scan(page, code: str) -> None:  # type: ignore[no-untyped-def]
    """A scan: the code typed into the scan bar and sent, as a scanner's Enter does."""
    page.locator("#scan").fill(code)
    page.locator("#scan").press("Enter")


def sent(page) -> None:  # type: ignore[no-untyped-def]
    """Everything the phone queued has reached the server."""
    page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=20000)


def desk_status(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(".facts [data-field=status] dd", has_text=text).wait_for()


def no_missing_text(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("[...globalThis.cangkuMissingText]") == []


def open_from_list(page, section: str, number: str) -> None:  # type: ignore[no-untyped-def]
    """Choose a section from the menu and open one of its documents from the list."""
    open_section(page, section)
    page.locator(f"#office-body a[href='#/office/{section}/{number}']").click()
    page.wait_for_function(f"() => location.hash === '#/office/{section}/{number}' && !document.querySelector('#office-body[aria-busy=true]')")


# The day --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_sales_day_from_the_phone_order_to_the_payment_and_a_return(browser, client, live_server, company, db, lang):
    words = WORDS[lang]
    sales_guide = Guide("sales", lang, PART, "销售的一天：手机下单、信用放行与退货", "A sales day: orders on the phone, a credit hold and a return")
    finance_guide = Guide("finance", lang, PART, "销售的一天：信用放行、开票与收款", "A sales day: credit release, invoices and the payment")
    warehouse_guide = Guide("warehouse", lang, PART, "销售的一天：波次拣货、包装、发货与退货入库",
                            "A sales day: a pick wave, packing, shipping and a return")

    # 1. Sally, on the road: finds the customer, places an order by scanning; the second, bigger one waits for finance.
    sales_context, phone = on_phone(browser, live_server, lang, "sally", ("catalog",))
    phone.locator("[data-task=customers]").click()
    phone.locator("#customer-list [data-customer=CUS2]").wait_for()
    phone.locator("input[name=search]").fill(words["in"])
    phone.locator("input[name=search]").press("Enter")
    phone.wait_for_function("() => [...document.querySelectorAll('#customer-list [data-customer]')].map((b) => b.dataset.customer).join() === 'CUS1'")
    sales_guide.step(phone, "在手机上点“客户”，输入客户名称的一部分（如“华联”）查找客户。",
                     "On the phone, tap Customers and type part of the customer's name (here “Hualian”) to find them.")
    phone.locator("[data-customer=CUS1]").click()
    phone.locator("#customer-credit").wait_for()
    assert phone.locator("#customer-credit").inner_text().count("1,000.00") == 2  # the limit, and all of it still available
    sales_guide.step(phone, "客户页显示联系人、信用额度、未收应收款、可用额度和最近订单。点“为此客户下单”。",
                     "The customer's page shows the contact, the credit limit, what they owe, the credit left and their recent orders. Tap “New order for this customer”.")
    phone.locator("[data-action=new-order]").click()
    phone.locator("#new-order select[name=warehouse]").select_option("WH1")
    scan(phone, PEN_CARTON)
    phone.wait_for_function("() => document.querySelector('#order-lines tr[data-sku=PEN] input')?.value === '12'")
    scan(phone, RICE_BAG)
    phone.wait_for_function("() => document.querySelector('#order-lines tr[data-sku=RICE] input')?.value === '10'")
    sales_guide.step(phone, "扫描商品条码添加明细：一箱笔算 12 支，一袋大米算 10 千克；数量可以直接修改。",
                     "Scan the items to add lines: a carton of pens counts 12, a bag of rice 10 kg; any quantity can be typed over.")
    phone.locator("[data-action=place-order]").click()
    phone.locator("[data-field=status]", has_text=words["confirmed"]).wait_for()
    first = phone.evaluate("decodeURIComponent(location.hash.split('/').pop())")
    assert phone.locator("tr[data-sku=PEN] [data-field=reserved]").inner_text() == "12"
    sales_guide.step(phone, "点“下单”：订单即时确认，库存已为客户预留（“预留”一栏）。",
                     "Tap “Place the order”: it is confirmed at once and the stock is reserved for the customer (the Reserved column).")

    phone.locator("#home").click()
    phone.locator("[data-task=order]").click()
    phone.locator("#new-order select[name=customer]").select_option("CUS1")
    phone.locator("#new-order select[name=warehouse]").select_option("WH1")
    scan(phone, PEN_CARTON)
    scan(phone, RICE_BAG)
    scan(phone, RICE_BAG)
    phone.wait_for_function("() => document.querySelector('#order-lines tr[data-sku=RICE] input')?.value === '20'")
    phone.locator("#order-lines tr[data-sku=PEN] input").fill("48")
    sales_guide.step(phone, "第二张订单更大：扫描一箱笔后把数量改为 48，再扫两袋大米（20 千克）。",
                     "The second order is bigger: scan a carton of pens and type 48 over its quantity, then scan two bags of rice (20 kg).")
    phone.locator("[data-action=place-order]").click()
    phone.locator("[data-field=credit]").wait_for()
    assert phone.locator("[data-field=status]").inner_text() == words["draft"]
    second = phone.evaluate("decodeURIComponent(location.hash.split('/').pop())")
    sales_guide.step(phone, "超出客户信用额度：订单保留为草稿，页面提示等待财务放行。",
                     "Over the customer's credit limit: the order stays a draft, and its page says it waits for finance to release it.")

    # 2. Fiona, at the desk: opens the held order, sees the figures, releases it with a reason; Sally confirms it.
    finance_context, office = at_desk(browser, live_server, lang, "fiona")
    open_from_list(office, "sales-orders", second)
    office.locator("#so-credit [data-field=this-order] dd", has_text="876.88").wait_for()
    finance_guide.step(office, "在后台“销售订单”中打开等待放行的草稿订单：页面列出客户的信用额度、未结订单、本单金额和本单之前的可用额度。",
                       "In the back office, open the draft order waiting in Sales orders: it shows the customer's credit limit, open orders, this "
                       "order and the credit left before it.")
    office.locator("[data-action=credit-release]").click()
    dialog = office.locator("dialog.ask")
    dialog.locator("textarea").fill("老客户，月底回款" if lang == "zh" else "A regular customer; pays at month end")
    finance_guide.step(office, "点“信用放行”，填写放行原因。", "Choose “Release credit hold” and give the reason.")
    dialog.locator("[data-action=ok]").click()
    office.locator(".facts [data-field=credit-released] dd", has_text="fiona").wait_for()
    finance_guide.step(office, "保存后，订单上记录了放行人和原因；销售员现在可以确认订单。",
                       "Saved: the order records who released it and why; the salesperson can now confirm it.")

    phone.locator("#home").click()
    phone.locator("[data-task=orders]").click()
    phone.locator(f"tr[data-so='{second}'] a").click()
    phone.locator("[data-action=confirm]").wait_for()
    assert phone.locator("[data-field=credit]").count() == 0  # released: it no longer waits
    sales_guide.step(phone, "财务放行后，在“销售订单”中打开这张订单：不再提示等待，点“确认订单”。",
                     "Once finance has released it, open the order from Sales orders: it no longer waits. Tap “Confirm the order”.")
    phone.locator("[data-action=confirm]").click()
    phone.locator("[data-field=status]", has_text=words["confirmed"]).wait_for()
    phone.locator("tr[data-sku=PEN] [data-field=reserved]", has_text="48").wait_for()
    sales_guide.step(phone, "订单已确认，库存已预留。", "The order is confirmed and its stock reserved.")
    no_missing_text(phone)
    sales_context.close()

    # 3. Wendy makes a wave of both orders at the desk; Wang picks, packs and ships them on a phone.
    lead_context, lead = at_desk(browser, live_server, lang, "wendy")
    open_section(lead, "waves")
    lead.locator("#office-body a[data-action=new]").click()
    lead.locator("#wave-form select[name=warehouse]").select_option("WH1")
    lead.locator(f"#wave-candidates tr[data-so='{second}']").wait_for()
    for number in (first, second):
        lead.locator(f"#wave-candidates input[name=order][value='{number}']").check()
    warehouse_guide.step(lead, "仓库主管在后台“拣货波次”中点“新建拣货波次”，选择仓库，勾选已确认的订单。",
                         "The warehouse lead opens Pick waves in the back office, chooses “New pick wave”, the warehouse, and ticks the confirmed orders.")
    lead.locator("#wave-form [data-action=save]").click()
    lead.locator("#wave-tasks tbody tr").nth(3).wait_for()
    wave = lead.locator("#app h3").inner_text().split(" · ")[0]
    warehouse_guide.step(lead, "点“创建波次”：拣货任务按库位顺序排好，推送到仓库的手机上。",
                         "“Create the wave”: the pick tasks are laid out in bin order, and go to the warehouse's phones.")

    floor_context, floor = on_phone(browser, live_server, lang, "wang", ("catalog", "wh:WH1", "stock:WH1", "tasks:WH1"))
    floor.locator("[data-task=pick] .badge", has_text="4").wait_for()
    floor.locator("[data-task=pick]").click()
    where, task = floor.locator("#pick [data-field=location]"), floor.locator("#pick p.muted")
    for number, left, bin_, code, short in ((first, 4, "B1", PEN_CARTON, None), (second, 3, "B1", PEN_CARTON, "36"),
                                            (first, 2, "B2", RICE_BAG, None), (second, 1, "B2", RICE_BAG, None)):
        task.filter(has_text=f"{number} · {left} ").wait_for()
        if left == 4:
            warehouse_guide.step(floor, "作业员在手机上点“拣货”：屏幕显示第一项任务的库位、商品和数量。",
                                 "The worker taps Pick on the phone: it shows the first task's bin, item and quantity.")
        scan(floor, bin_)
        where.filter(has_text="✓").wait_for()
        scan(floor, code)
        floor.locator("[data-action=confirm-pick]").wait_for()
        if left == 4:
            warehouse_guide.step(floor, "扫描库位条码，再扫描商品条码，两项都打勾后确认数量。",
                                 "Scan the bin's label, then the item: both ticked, confirm the quantity.")
        if short:
            floor.locator("#pick input[name=qty]").fill(short)
            floor.locator("#pick input[name=short_reason]").fill("一箱受潮" if lang == "zh" else "One carton damp")
            warehouse_guide.step(floor, "少拣时改成实际拣到的数量，并填写少拣原因。",
                                 "Picking short: type the quantity actually taken and the reason.")
        floor.locator("[data-action=confirm-pick]").click()
    floor.get_by_text(words["no picks"]).wait_for()
    sent(floor)
    warehouse_guide.step(floor, "全部拣完：任务清单为空，拣货记录已发送到服务器。",
                         "All picked: nothing left on the list, and the picks have reached the server.")

    floor.locator("#home").click()
    floor.locator("[data-task=pack] .badge", has_text="2").wait_for()
    floor.locator("[data-task=pack]").click()
    floor.locator(f"[data-so='{second}'] button").wait_for()
    warehouse_guide.step(floor, "点“包装发货”：列出已拣货、待包装的订单。", "Tap “Pack & ship”: the orders picked and waiting to be packed.")
    floor.locator(f"[data-so='{first}'] button").click()
    boxed = "([sku, qty]) => document.querySelector(`#pack tr[data-sku=${sku}] [data-field=box]`)?.textContent === qty"
    scan(floor, PEN_CARTON)
    floor.wait_for_function(boxed, arg=["PEN", "12"])
    scan(floor, RICE_BAG)
    floor.wait_for_function(boxed, arg=["RICE", "10"])
    warehouse_guide.step(floor, "扫描装进箱子的每件商品，“本箱”一栏随之增加。", "Scan each item as it goes into the box: the “This box” column counts it.")
    floor.locator("[data-action=close-box]").click()
    floor.locator("[data-action=send-packing]").click()
    floor.get_by_role("alert").filter(has_text=f"{words['packed']} {first}").wait_for()
    warehouse_guide.step(floor, "点“封箱”，再点“提交装箱”：箱子和箱内商品记录下来（可打印箱标签）。",
                         "Tap “Close the box”, then “Send the packing”: the boxes and what is in them are recorded (their labels can be printed).")
    floor.locator("[data-action=ship]").click()
    floor.get_by_role("alert").filter(has_text=f"{words['shipped']} {first}").wait_for()

    floor.locator(f"[data-so='{second}'] button").click()
    for _ in range(3):
        scan(floor, PEN_CARTON)
    floor.wait_for_function(boxed, arg=["PEN", "36"])
    floor.locator("[data-action=close-box]").click()
    scan(floor, RICE_BAG)
    scan(floor, RICE_BAG)
    floor.wait_for_function(boxed, arg=["RICE", "20"])
    floor.locator("[data-action=send-packing]").click()
    floor.get_by_role("alert").filter(has_text=f"{words['packed']} {second}").wait_for()
    floor.locator("[data-action=ship]").click()
    short = floor.locator("dialog#ship-short")
    short.locator("tr[data-sku=PEN] [data-field=picked]", has_text="36").wait_for()
    warehouse_guide.step(floor, "发货时，少拣的订单会列出未拣足的商品，并询问其余部分：保留欠货单，或取消。",
                         "Shipping the order picked short: the phone lists what is short and asks what becomes of the rest — a backorder, or cancelled.")
    short.locator("[data-action=backorder]").click()
    floor.get_by_role("alert").filter(has_text=words["backorder"]).wait_for()
    sent(floor)
    warehouse_guide.step(floor, "选择“发货并保留欠货单”：订单发出，其余部分转为新的欠货单，等到货后再拣。",
                         "“Ship and keep a backorder”: the order ships and the rest becomes a new backorder, picked when stock allows.")
    floor.locator("#home").click()
    floor.locator("[data-task=pack]").click()
    floor.get_by_text(words["nothing to pack"]).wait_for()
    warehouse_guide.step(floor, "回到“包装发货”：两张订单都已发出，没有待包装的订单了。",
                         "Back on “Pack & ship”: both orders have gone, nothing is left to pack.")
    no_missing_text(floor)
    floor_context.close()

    # 4. Fiona invoices what shipped, posts the invoices and records the customer's payment against them.
    invoices = []
    for number in (first, second):
        open_from_list(office, "sales-orders", number)
        desk_status(office, words["shipped"])
        if number == first:
            finance_guide.step(office, "打开已发货的销售订单，点“开票”。", "Open a shipped sales order and choose Invoice.")
        office.locator("[data-action=invoice]").click()
        office.locator("#invoice-lines tbody tr").first.wait_for()
        invoices.append(office.locator("#app h3").inner_text().split(" ")[1])
        if number == first:
            finance_guide.step(office, "生成发票草稿：核对已发货的明细和金额。", "A draft invoice of what shipped: check its lines and amounts.")
        office.locator("[data-action=post]").click()
        desk_status(office, words["posted"])
        if number == first:
            finance_guide.step(office, "点“过账”：发票生效，记入应收账款。", "Post it: the invoice counts, in the receivables.")
    open_section(office, "payments")
    office.locator("#office-body [data-action=record-payment]").click()
    form = office.locator("#payment-form")
    form.locator("[name=kind]").select_option("customer")
    form.locator("[name=partner]").fill("CUS1")
    form.locator("[name=partner]").press("Tab")
    for number in invoices:
        office.locator(f"#allocation-table tr[data-document='{number}'] [data-action=in-full]").click()
    assert office.locator("[data-field=allocated]").inner_text() == "989.88"  # 275.72 + 714.16
    form.locator("[name=amount]").fill("989.88")
    form.locator("[name=reference]").fill("BANK 0426-01")
    finance_guide.step(office, "在“收付款”中点“登记收付款”：选客户收款，输入客户编码后列出其未结发票；逐张点“全额”核销，填写金额和银行流水号。",
                       "In Payments, choose “Record a payment”: a customer's payment; the customer's code lists their open invoices. Allocate each "
                       "“In full”, then type the amount and the bank reference.")
    form.locator("[data-action=save]").click()
    office.locator("#payment-allocations").wait_for()
    finance_guide.step(office, "保存后显示收款的核销明细和会计分录。", "Saved: the payment shows what it settled and its journal entry.")
    no_missing_text(office)
    finance_context.close()

    # 5. Sally takes part of the first order back at the desk; Wendy receives it, restocks the pens and scraps the rice.
    clerk_context, clerk = at_desk(browser, live_server, lang, "sally")
    open_from_list(clerk, "sales-orders", first)
    clerk.locator("[data-action=new-return]").click()
    clerk.locator("#return-candidates tr[data-line='2']").wait_for()
    clerk.locator("#return-candidates [name=qty-1]").fill("2")
    clerk.locator("#return-candidates [name=reason-1]").fill("颜色不对" if lang == "zh" else "Wrong colour")
    clerk.locator("#return-candidates [name=qty-2]").fill("10")
    clerk.locator("#return-candidates [name=reason-2]").fill("袋子破了" if lang == "zh" else "Bag torn")
    sales_guide.step(clerk, "客户退回部分货物：在后台打开已发货的订单，点“新建退货单”，填写每行的退货数量和原因。",
                     "The customer sends part of an order back: at the desk, open the shipped order, choose “New return” and give each line's "
                     "quantity and reason.")
    clerk.locator("#return-form [data-action=save]").click()
    clerk.locator("#return-lines tr[data-line='2']").wait_for()
    rma = clerk.locator("#app h3").inner_text().split(" · ")[0]
    sales_guide.step(clerk, "退货单已创建，等待仓库收货。", "The return is made, waiting for the warehouse to receive it.")
    no_missing_text(clerk)
    clerk_context.close()

    open_from_list(lead, "returns", rma)
    lead.locator("[data-action=receive]").click()
    lead.locator("form.dispose[data-line='2']").wait_for()
    lead.locator("form.dispose[data-line='1'] [name=location]").fill("B1")
    warehouse_guide.step(lead, "货物退回仓库：在后台“退货单”中打开它，点“收货”（系统自动开出红字发票），再逐行选择重新入库到货位或报废。",
                         "The goods are back: open the return in Returns, choose Receive (a credit note is made), then restock each line to a bin or "
                         "scrap it.")
    lead.locator("form.dispose[data-line='1'] [data-action=dispose]").click()
    lead.locator("form.dispose[data-line='1']").wait_for(state="detached")
    lead.locator("form.dispose[data-line='2'] [name=disposition]").select_option("scrap")
    lead.locator("form.dispose[data-line='2'] [data-action=dispose]").click()
    desk_status(lead, words["done"])
    warehouse_guide.step(lead, "两行都处理完，退货单完成：笔回到 B1，破袋的大米报废。",
                         "Both lines dealt with, the return is done: the pens are back in B1, the torn bag of rice is scrapped.")
    no_missing_text(lead)
    lead_context.close()

    for guide in (sales_guide, finance_guide, warehouse_guide):
        guide.write()

    # 6. What came of the day, through the API.
    sales, finance, warehouse = company["sales"], company["finance"], company["warehouse"]
    one, two = sales.get(f"/api/v1/sales-orders/{first}"), sales.get(f"/api/v1/sales-orders/{second}")
    assert (one["status"], one["customer"], one["total"]) == ("invoiced", "CUS1", "275.72")
    assert [(line["sku"], line["qty"], line["unit_price"], line["shipped"], line["invoiced"], line["returned"]) for line in one["lines"]] == [
        ("PEN", "12", "12", "12", "10", "2"), ("RICE", "10", "10", "10", "0", "10")]
    assert (two["status"], two["credit_released_by"]) == ("invoiced", "fiona")
    assert [(line["sku"], line["qty"], line["picked"], line["shipped"], line["backordered"]) for line in two["lines"]] == [
        ("PEN", "48", "36", "36", "12"), ("RICE", "20", "20", "20", "0")]
    assert [len(so["packages"]) for so in (one, two)] == [1, 2]
    backorder = sales.get(f"/api/v1/sales-orders/{two['backorders'][0]}")
    assert (backorder["status"], backorder["backorder_of"]) == ("confirmed", second)
    assert [(line["sku"], line["qty"], line["reserved"]) for line in backorder["lines"]] == [("PEN", "12", "12")]
    tasks = warehouse.get(f"/api/v1/waves/{wave}")
    assert (tasks["orders"], tasks["tasks_done"], tasks["tasks_short"], tasks["tasks_open"]) == ([first, second], 3, 1, 0)
    assert {t["short_reason"] for t in tasks["tasks"] if t["status"] == "short"} == {"一箱受潮" if lang == "zh" else "One carton damp"}

    posted = [finance.get(f"/api/v1/invoices/{number}") for number in invoices]
    assert [(i["order"], i["status"], i["total"], i["paid"], i["open"]) for i in posted] == [
        (first, "paid", "275.72", "275.72", "0"), (second, "paid", "714.16", "714.16", "0")]
    payment = finance.get("/api/v1/payments", partner="CUS1")["items"]
    assert [(p["amount"], p["unallocated"], p["reference"], [(a["document"], a["amount"]) for a in p["allocations"]]) for p in payment] == [
        ("989.88", "0", "BANK 0426-01", [(invoices[0], "275.72"), (invoices[1], "714.16")])]

    returned = sales.get(f"/api/v1/returns/{rma}")
    assert (returned["order"], returned["status"]) == (first, "done")
    assert [(line["sku"], line["qty"], line["disposition"]) for line in returned["lines"]] == [("PEN", "2", "restock"), ("RICE", "10", "scrap")]
    note = finance.get(f"/api/v1/invoices/{returned['credit_note']}")
    assert (note["kind"], note["status"], note["total"]) == ("credit_note", "posted", "140.12")  # (2 × 12 + 10 × 10) + 13 % VAT, owed back
    assert finance.get("/api/v1/customers/CUS1/credit")["open_receivables"] == "-140.12"

    assert warehouse.stock("PEN", "B1") == ("54", "12")  # 100 − 12 − 36 + 2 restocked; the backorder's 12 held
    assert warehouse.stock("RICE", "B2") == ("70", "0")
    assert warehouse.stock("PEN", "WH1-OUT") == ("0", "0") and warehouse.stock("RICE", "WH1-OUT") == ("0", "0")
    assert warehouse.stock("PEN", "WH1-RET") == ("0", "0") and warehouse.stock("RICE", "WH1-RET") == ("0", "0")
    assert finance.account("1122") == "-140.12"  # invoiced 989.88, paid 989.88, credited 140.12
    books_are_sound(finance, db)
