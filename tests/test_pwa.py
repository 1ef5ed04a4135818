"""The app in a real Chromium (Debian's, through Playwright) on a phone-sized screen: installable, starting from its
cache with no network, receiving by keyboard-wedge scans while offline, and sending them when the network is back."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, PEN_CARTON, PEN_EACH, add_user
from tests.stories import Api, supplier_and_dock

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def approved_order(client, as_role, lines: list[dict]) -> str:  # type: ignore[no-untyped-def]
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
    supplier_and_dock(admin)
    po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": lines}, expect=201)
    po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
    Api(client, as_role("approver")).post(f"/api/v1/purchase-orders/{po['number']}/approve", {"version": po["version"]})
    return po["number"]


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def wedge(page, code: str) -> None:  # type: ignore[no-untyped-def]
    """A keyboard-wedge scanner: the code as a fast burst of keys, then Enter."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def pending(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator("#sync").get_attribute("data-pending") or "-1")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_phone_receives_an_order_offline_by_wedge_scans_and_sends_them_when_back_online(browser, client, live_server, world, as_role, db):
    number = approved_order(client, as_role, [{"sku": "PEN", "qty": "20", "unit_price": "2"}, {"sku": "RICE", "qty": "5", "unit_price": "4"}])
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE, service_workers="allow")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        page.locator("[data-task=receive]").wait_for()

        # Install-ready: a manifest with icons, a service worker in control, persistent storage asked for.
        manifest = page.evaluate("async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json()")
        assert manifest["display"] == "standalone" and {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
        assert page.evaluate("async () => (await navigator.serviceWorker.ready).active.state") == "activated"

        page.locator("[data-task=receive]").click()
        page.get_by_text(number).wait_for()
        page.get_by_role("button", name="收货").first.click()
        page.locator("tr[data-sku=PEN]").wait_for()
        page.wait_for_function("() => document.getElementById('sync').textContent.includes(':')")  # the first sync is done

        # No signal: the app reloads from its cache and still knows the order.
        context.set_offline(True)
        page.reload()
        page.locator("tr[data-sku=PEN]").wait_for()
        assert page.locator("#sync").get_attribute("data-state") == "offline"
        page.locator("#scan").focus()
        for code in (PEN_EACH, PEN_CARTON, "RICE"):  # one each, a carton of 12, a kilo of rice by its SKU
            wedge(page, code)
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '3'")
        assert page.locator("tr[data-sku=PEN] [data-field=pending]").inner_text() == "13"
        assert page.locator("tr[data-sku=RICE] [data-field=pending]").inner_text() == "1"
        assert page.locator("tr[data-sku=PEN] [data-field=received]").inner_text() == "0"

        # Back online: the outbox empties and the server has exactly what was scanned.
        context.set_offline(False)
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)
        page.wait_for_function("() => document.querySelector('tr[data-sku=PEN] [data-field=received]').textContent === '13'", timeout=15000)
        outbox = page.evaluate("""() => new Promise((resolve) => {
            const open = indexedDB.open('cangku');
            open.onsuccess = () => { const r = open.result.transaction('outbox').objectStore('outbox').count(); r.onsuccess = () => resolve(r.result); };
        })""")
        assert outbox == 0
    finally:
        context.close()
    worker = Api(client, as_role("warehouse"))
    lines = {line["sku"]: line["received"] for line in worker.get(f"/api/v1/purchase-orders/{number}")["lines"]}
    assert lines == {"PEN": "13", "RICE": "1"}
    assert worker.stock("PEN", "WH1-DOCK") == ("13", "0") and worker.stock("RICE", "WH1-DOCK") == ("1", "0")
    receipts = worker.get("/api/v1/receipts", po=number)["items"]
    # The box and the carton of pens are one receipt line.
    assert len(receipts) == 1 and [(line["sku"], line["qty"]) for line in receipts[0]["lines"]] == [("PEN", "13"), ("RICE", "1")]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_pick_on_one_phone_changes_the_salespersons_stock_lookup_on_another_without_a_reload(browser, client, live_server, world, as_role, db):
    from tests.helpers import post_move
    from tests.stories import customer_and_areas

    admin, sales = Api(client, as_role("admin")), Api(client, as_role("sales"))
    customer_and_areas(admin)
    post_move(client, as_role("warehouse"), "PEN", 8, "SUPPLIER", "B1", unit_cost="1")
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "5", "unit_price": "3"}]},
                       expect=201)
    sales.post(f"/api/v1/sales-orders/{order['number']}/confirm", {"version": order["version"]})
    Api(client, as_role("warehouse")).post("/api/v1/waves", {"warehouse": "WH1", "orders": [order["number"]]}, expect=201)
    add_user(db, "picker", ["warehouse"], ["WH1"])
    add_user(db, "seller", ["sales"], ["WH1"])

    picker_context, seller_context = browser.new_context(**PHONE), browser.new_context(**PHONE)
    try:
        seller = seller_context.new_page()
        seller.goto(live_server.url + "/")
        sign_in(seller, "seller")
        seller.locator("[data-task=stock]").click()
        seller.wait_for_function("() => document.getElementById('sync').textContent.includes(':')")
        seller.locator("#scan").focus()
        wedge(seller, PEN_EACH)
        b1 = seller.locator("#stock-result tr", has_text="B1")
        b1.wait_for()
        assert b1.locator("td").nth(2).inner_text() == "8" and b1.locator("td").nth(3).inner_text() == "3"  # 5 reserved for the order

        picker = picker_context.new_page()
        picker.goto(live_server.url + "/")
        sign_in(picker, "picker")
        picker.locator("[data-task=pick]").click()
        picker.locator("#pick [data-field=location]").wait_for()
        assert picker.locator("#pick [data-field=location]").inner_text().startswith("B1")
        picker.locator("#scan").focus()
        wedge(picker, "B2")  # the wrong bin is refused
        picker.get_by_role("alert").filter(has_text="B2").wait_for()
        wedge(picker, "B1")
        wedge(picker, PEN_EACH)
        picker.locator("[data-action=confirm-pick]").click()
        picker.get_by_role("alert").filter(has_text="已拣 PEN × 5").wait_for()  # queued in the outbox
        picker.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=10000)  # and sent

        # The salesperson's screen follows within a second, no reload: B1 is down to 3, the shipping area holds the 5.
        seller.wait_for_function(
            "() => [...document.querySelectorAll('#stock-result tr')].some((r) => r.cells[0]?.textContent === 'B1' && r.cells[2].textContent === '3')",
            timeout=1000)
        out = seller.locator("#stock-result tr", has_text="WH1-OUT")
        assert out.locator("td").nth(2).inner_text() == "5" and out.locator("td").nth(3).inner_text() == "0"
    finally:
        picker_context.close()
        seller_context.close()
    assert Api(client, as_role("warehouse")).stock("PEN", "B1") == ("3", "0")


def y4m_of(png: bytes, path, frames: int = 15) -> None:  # type: ignore[no-untyped-def]
    """A video file Chromium plays as its camera: the picture, grey on white, centred in 640×480, 4:2:0."""
    import io

    from PIL import Image

    picture = Image.open(io.BytesIO(png)).convert("L")
    picture.thumbnail((600, 440))
    frame = Image.new("L", (640, 480), 255)
    frame.paste(picture, ((640 - picture.width) // 2, (480 - picture.height) // 2))
    luma, chroma = frame.tobytes(), bytes([128]) * (320 * 240)
    with open(path, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_camera_reads_a_code128_label_and_the_app_resolves_the_item(playwright_driver, live_server, world, db, tmp_path):
    from labels import render
    from labels.layout import Code, Label
    from labels.symbols import encode
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    png = render.png(Label(80, 30, (Code(2, 2, 76, 26, encode("code128", "PEN")),)), dpi=203)
    camera = tmp_path / "label.y4m"
    y4m_of(png, camera)
    add_user(db, "picker", ["warehouse"], ["WH1"])
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={camera}"])
    try:
        context = browser.new_context(**PHONE)
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        page.locator("[data-task=stock]").click()
        page.wait_for_function("() => document.getElementById('sync').textContent.includes(':')")
        assert page.evaluate("'BarcodeDetector' in window") is False  # Chromium on Linux: the vendored polyfill does the work
        page.locator("#camera").click()
        page.locator("#stock-result h3").wait_for(timeout=15000)
        assert page.locator("#stock-result h3").inner_text() == "PEN · 中性笔"
        assert page.locator("#viewfinder").is_hidden()
    finally:
        browser.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_approver_sees_a_new_order_arrive_live_reviews_what_changed_and_approves_it_from_the_phone(browser, client, live_server, world, as_role, db):
    admin, purchaser = Api(client, as_role("admin")), Api(client, as_role("purchaser"))
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

        # Submitted, then changed while waiting: the phone hears of it without a reload.
        po = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "10", "unit_price": "2"}]},
                            expect=201)
        po = purchaser.post(f"/api/v1/purchase-orders/{po['number']}/submit", {"version": po["version"]})
        po = purchaser.patch(f"/api/v1/purchase-orders/{po['number']}", {"version": po["version"], "lines": [{"sku": "PEN", "qty": "40", "unit_price": "2"}]})
        page.get_by_role("alert").filter(has_text=po["number"]).wait_for(timeout=10000)
        page.wait_for_function("() => document.querySelector('[data-task=approvals] .badge')?.textContent === '1'", timeout=10000)

        tile.click()
        page.locator(f"[data-po='{po['number']}'] button").click()
        page.locator("#changes li").first.wait_for()
        changes = page.locator("#changes").inner_text()
        assert "数量 10 → 40" in changes
        page.locator("[data-action=reject]").click()  # a rejection needs a reason
        page.get_by_role("alert").filter(has_text="驳回时请填写意见").wait_for()
        page.locator("input[name=comment]").fill("同意 OK")
        page.locator("[data-action=approve]").click()
        page.get_by_role("alert").filter(has_text=f"已批准 {po['number']}").wait_for()  # queued in the outbox
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=10000)  # and sent
    finally:
        context.close()
    approved = purchaser.get(f"/api/v1/purchase-orders/{po['number']}")
    assert approved["status"] == "approved" and [(a["user"], a["decision"], a["comment"]) for a in approved["approvals"]] == [("boss", "approved", "同意 OK")]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_worker_moves_stock_bin_to_bin_and_counts_bins_blind_offline(browser, client, live_server, world, as_role, db):
    from tests.helpers import post_move

    admin = Api(client, as_role("admin"))
    worker = as_role("warehouse")
    post_move(client, worker, "PEN", 6, "SUPPLIER", "B1", unit_cost="1")
    post_move(client, worker, "MILK", 2, "SUPPLIER", "B2", lot="L1", unit_cost="3")
    count = admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B2", "B3"]}, expect=201)["number"]
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        page.locator("[data-task=count] .badge").wait_for()  # the count in progress is on the device
        page.wait_for_function("() => document.getElementById('sync').textContent.includes(':')")
        context.set_offline(True)

        page.locator("[data-task=transfer]").click()
        page.locator("#scan").focus()
        for code in ("B1", PEN_EACH, PEN_EACH, "B3"):
            wedge(page, code)
        page.get_by_role("alert").filter(has_text="B1 → B3").wait_for()

        page.evaluate("location.hash = '#/count'")
        page.get_by_role("button", name="盘点").click()
        page.locator("#count").wait_for()
        page.locator("#scan").focus()
        for code in ("B3", PEN_EACH, PEN_EACH):
            wedge(page, code)
        page.wait_for_function("() => document.querySelector('#count li[data-sku=PEN] input').value === '2'")
        page.locator("[data-action=bin-done]").click()
        wedge(page, "B2")  # nothing found in B2: the book's milk there is counted as none, without being shown
        page.locator("[data-action=bin-done]").click()
        assert "2" not in page.locator("#count").inner_text().replace("B2", "")
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '3'")

        context.set_offline(False)
        page.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=15000)
    finally:
        context.close()
    assert Api(client, worker).stock("PEN", "B1") == ("4", "0") and Api(client, worker).stock("PEN", "B3") == ("2", "0")
    lines = {(line["location"], line["sku"], line["lot"]): line for line in admin.get(f"/api/v1/counts/{count}")["lines"]}
    assert lines[("B3", "PEN", None)]["counted_qty"] == "2" and lines[("B3", "PEN", None)]["variance"] == "0"  # the transfer carried forward
    assert lines[("B2", "MILK", "L1")]["counted_qty"] == "0" and lines[("B2", "MILK", "L1")]["variance"] == "-2"
