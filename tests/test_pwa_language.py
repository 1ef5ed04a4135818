"""One language at a time, the one the user reads: an English browser gets English on every screen after signing in, the
header's switch turns the whole page (header too) at once, and the choice follows the user through a reload, a sign-out
and onto another device; in Chinese no English words slip in."""

from __future__ import annotations

import re

import pytest

from tests.helpers import PASSWORD, PEN_EACH
from tests.stories import Api
from tests.test_pwa import PHONE, wedge
from tests.test_pwa_inbox import catalog_on_the_phone
from tests.test_pwa_screens import busy_day  # noqa: F401 - the fixture: something on every screen

pytestmark = pytest.mark.browser
DESK = {"viewport": {"width": 1280, "height": 800}}
# Ideographs, CJK punctuation and full-width forms: none of them belongs in English text.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_.:][A-Za-z0-9]+)*")

# What a person reads: the window's title, text that shows, the placeholder, accessible name and chosen option of what
# shows. A part marked with another `lang` is left out: it says which language it is in (an item's Chinese name on an
# English page, the button that offers the other language in that language).
VISIBLE_TEXT = """() => {
  const page = document.documentElement.lang.slice(0, 2);
  const foreign = (element) => {
    const marked = element.closest("[lang]");
    return marked !== document.documentElement && !marked.lang.startsWith(page);
  };
  const shows = (element) => element.checkVisibility({ opacityProperty: true, visibilityProperty: true }) && !foreign(element);
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.textContent.trim() && node.parentElement.closest("option") === null && shows(node.parentElement)) texts.push(node.textContent.trim());
  }
  for (const element of document.body.querySelectorAll("[aria-label], [placeholder], select")) {
    if (!shows(element)) continue;
    texts.push(element.getAttribute("aria-label") || "", element.getAttribute("placeholder") || "");
    if (element.tagName === "SELECT") texts.push(element.selectedOptions[0]?.text || "");
  }
  return texts.filter((text) => text.trim());
}"""


def screens(numbers: dict[str, str]) -> list[tuple[str, str]]:
    """(hash, what shows the screen is drawn) for the phone's screens and the back office's."""
    return [
        ("#/home", "[data-task=pick] .badge"),
        ("#/receive", f"[data-po='{numbers['receive']}']"),
        (f"#/receive/{numbers['receive']}", "tr[data-sku=PEN] [data-field=received]"),
        ("#/pick", "#pick [data-field=location]"),
        ("#/putaway", "#putaway [data-field=suggested]"),
        ("#/count", "main[data-screen=count] li button"),
        (f"#/count/{numbers['count']}", "#count"),
        ("#/stock/PEN", "#stock-result tr[data-warehouse=WH1]"),
        ("#/issues", "[data-state=applied_with_exception] [data-field=exception]"),
        ("#/office/items", "#office-body tr[data-sku=PEN]"),
        ("#/office/items/PEN", "#item-stock tr[data-location=B1]"),
        ("#/office/partners", "#office-body tr[data-partner=SUP1]"),
        ("#/office/locations", "#location-tree li[data-location=WH1]"),
        ("#/office/purchase-orders", f"#office-body tr[data-po='{numbers['receive']}']"),
        ("#/office/sales-orders", f"#office-body tr[data-so='{numbers['pack']}']"),
        ("#/office/reports", "#report-list li[data-report=stock_balance]"),
        ("#/office/users", "#user-list tr[data-user=lead]"),
        ("#/office/printers", "#printer-list tr[data-printer]"),
        ("#/office/webhooks", "#webhook-list"),
    ]


@pytest.fixture
def day(busy_day, client, as_role):  # type: ignore[no-untyped-def]  # noqa: F811 - the fixture imported above
    """The busy day, and goods received at the dock waiting to be put away."""
    warehouse = Api(client, as_role("warehouse"))
    grn = warehouse.post("/api/v1/receipts", {"po": busy_day["receive"]}, expect=201)["number"]
    warehouse.post(f"/api/v1/receipts/{grn}/lines", {"sku": "PEN", "qty": "4"}, expect=201)
    warehouse.post(f"/api/v1/receipts/{grn}/complete")
    warehouse.post(f"/api/v1/receipts/{grn}/lines/1/inspect", {"accepted": "4"})
    return busy_day


def sign_in(page, username: str = "lead") -> None:  # type: ignore[no-untyped-def]
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.locator("[data-task=receive]").wait_for()


def an_issue_from_the_phone(page) -> None:  # type: ignore[no-untyped-def]
    """Move a pen out of an empty bin on the phone: the server books it with a difference, and the inbox shows it."""
    catalog_on_the_phone(page)
    page.evaluate("location.hash = '#/transfer'")
    page.locator("#transfer [data-field=from]").wait_for()
    page.locator("#scan").focus()
    for code in ("B3", PEN_EACH, "B1"):
        wedge(page, code)
    page.wait_for_function("() => document.getElementById('sync').dataset.state === 'issues'", timeout=15000)


def visible_text(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(VISIBLE_TEXT)


def walk(page, numbers: dict[str, str], check) -> None:  # type: ignore[no-untyped-def]
    """Open every screen through the address the app's own links use, and check what it says once it is drawn."""
    for hash_, ready in screens(numbers):
        page.evaluate(f"location.hash = {hash_!r}")
        page.locator(ready).first.wait_for(timeout=15000)
        page.wait_for_function("() => !document.querySelector('[aria-busy=true]')")
        check(hash_, visible_text(page))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_english_browser_signs_in_to_english_on_every_screen_header_included(browser, client, live_server, day):
    context = browser.new_context(**DESK, locale="en-US")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page)
        an_issue_from_the_phone(page)

        def english(hash_: str, texts: list[str]) -> None:
            chinese = [text for text in texts if CJK.search(text)]
            assert chinese == [], f"{hash_} shows Chinese on an English page: {chinese}"
            assert page.evaluate("document.documentElement.lang") == "en"

        walk(page, day, english)
    finally:
        context.close()


# In Chinese, Latin letters are only codes: what the day's data names (SKUs, bins, partners, units, a barcode's pack,
# the printer), the usernames and report names the API lists, document numbers, version marks, and a few terms Chinese
# warehouses write in Latin letters.
DATA_CODES = {"PEN", "MILK", "PHONE", "RICE", "WH1", "WH2", "Z1", "B1", "B2", "B3", "QC", "W2-B1", "WH1-DOCK", "WH1-OUT", "WH1-RET",
              "SUP1", "CUS1", "pcs", "box", "kg", "carton", "CNY", "Dock", "E:SIMSUN.TTF"}
TERMS = {"SKU", "GTIN", "SSCC", "GS1", "PDF", "CSV", "Excel", "A4", "IP", "dpi", "mm", "HTTPS"}
DOCUMENT_NUMBER = re.compile(r"^[A-Z]{2,4}-\d{4}-\d{5}$")
VERSION = re.compile(r"^v\d+$")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_chinese_browser_shows_no_english_words_on_any_screen(browser, client, live_server, day, as_role):
    admin = Api(client, as_role("admin"))
    codes = DATA_CODES | TERMS | {r["name"] for r in admin.get("/api/v1/reports")["items"]} | {u["username"] for u in admin.get("/api/v1/users")}
    context = browser.new_context(**DESK, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page)
        an_issue_from_the_phone(page)

        def chinese(hash_: str, texts: list[str]) -> None:
            words = {word for text in texts for word in WORD.findall(text)}
            english = sorted(w for w in words if w not in codes and not DOCUMENT_NUMBER.match(w) and not VERSION.match(w))
            assert english == [], f"{hash_} shows English words on a Chinese page: {english}"
            assert page.evaluate("document.documentElement.lang") == "zh-CN"

        walk(page, day, chinese)
    finally:
        context.close()


def in_english(page) -> None:  # type: ignore[no-untyped-def]
    chinese = [text for text in visible_text(page) if CJK.search(text)]
    assert chinese == [], f"still Chinese: {chinese}"
    assert page.evaluate("[document.documentElement.lang, document.title, document.querySelector('header h1').textContent]") == ["en", "Cangku", "Cangku"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_english_chosen_on_a_working_screen_turns_the_whole_page_and_follows_the_user_everywhere(browser, client, live_server, day, as_role):
    context = browser.new_context(**PHONE)  # a Chinese phone
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        page.locator("[data-task=pick]").click()
        page.locator("#pick [data-field=location]").wait_for()
        assert page.locator("main h2").inner_text() == "拣货"

        # The header's switch, from the pick screen: header, page, title and `lang` change together, nothing in between.
        page.locator("header").get_by_role("button", name="English").click()
        page.wait_for_function("() => document.querySelector('main h2').textContent === 'Pick'")
        page.locator("#pick [data-field=location]").wait_for()
        in_english(page)

        page.reload()
        page.locator("#pick [data-field=location]").wait_for()
        in_english(page)

        page.locator("#home").click()
        page.get_by_role("button", name="Sign out").click()
        page.locator("input[name=username]").wait_for()
        in_english(page)
        sign_in(page)
        in_english(page)
    finally:
        context.close()
    assert Api(client, as_role("admin")).get("/api/v1/users/lead")["language"] == "en"

    other = browser.new_context(**PHONE)  # the same user's other phone, Chinese too, never used before
    try:
        page = other.new_page()
        page.goto(live_server.url + "/")
        assert page.locator("form button[type=submit]").inner_text() == "登录"  # a first visit follows the browser
        sign_in(page)
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        page.locator("[data-task=receive]", has_text="Receive").wait_for()
        in_english(page)
    finally:
        other.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_user_chooses_their_own_language_and_nobody_elses(client, as_role):
    worker, admin = Api(client, as_role("warehouse")), Api(client, as_role("admin"))
    assert worker.get("/api/v1/auth/me")["language"] is None  # not chosen yet: each device shows its own
    assert worker.patch("/api/v1/auth/me", {"language": "en"})["language"] == "en"
    assert worker.get("/api/v1/auth/me")["language"] == "en"
    assert admin.get("/api/v1/auth/me")["language"] is None
    refused = client.patch("/api/v1/auth/me", headers=worker.headers, json={"language": "fr"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request", refused.text
    assert worker.get("/api/v1/auth/me")["language"] == "en"
    changes = [e for e in admin.get("/api/v1/audit", action="user.language")["items"]]
    assert [(e["username"], e["details"]["language"]) for e in changes] == [("warehouse0", "en")]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_switching_language_mid_task_keeps_what_was_scanned_on_a_transfer_a_count_and_a_box(browser, client, live_server, world, as_role, db):
    from tests.helpers import add_user
    from tests.test_pwa import sign_in
    from tests.test_pwa_pack import picked_order

    number = picked_order(client, as_role)  # 5 pens picked for an order, 3 left in B1
    admin = Api(client, as_role("admin"))
    count = admin.post("/api/v1/counts", {"warehouse": "WH1", "locations": ["B2"]}, expect=201)["number"]
    add_user(db, "keeper", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "keeper")
        catalog_on_the_phone(page)
        page.locator("[data-task=count] .badge").wait_for()
        switch = page.locator("header [data-action=language]")

        page.evaluate("location.hash = '#/transfer'")
        page.locator("#transfer").wait_for()
        page.locator("#scan").focus()
        for code in ("B1", PEN_EACH, PEN_EACH):
            wedge(page, code)
        page.locator("#transfer li[data-sku=PEN] strong").filter(has_text="2").wait_for()
        switch.click()
        page.get_by_text("Scan more items, or the bin to put them in").wait_for()
        assert page.locator("#transfer [data-field=from]").inner_text() == "B1"
        assert page.locator("#transfer li[data-sku=PEN] strong").inner_text() == "2"
        page.locator("#scan").focus()
        wedge(page, "B3")
        page.get_by_role("alert").filter(has_text="B1 → B3").wait_for()

        page.evaluate(f"location.hash = '#/count/{count}'")
        page.locator("#count").wait_for()
        page.locator("#scan").focus()
        for code in ("B2", PEN_EACH):
            wedge(page, code)
        pens = page.locator("#count li[data-sku=PEN] input[name=qty]")
        pens.fill("4")
        pens.press("Enter")
        page.wait_for_function("() => document.querySelector('#count li[data-sku=PEN] input').value === '4'")
        switch.click()
        page.get_by_role("button", name="本库位盘完").wait_for()  # the second switch: Chinese again
        assert page.locator("#count [data-field=bin]").inner_text() == "B2"
        assert pens.input_value() == "4"

        page.evaluate(f"location.hash = '#/pack/{number}'")
        page.locator("#pack").wait_for()
        page.locator("#scan").focus()
        wedge(page, PEN_EACH)
        page.wait_for_function("() => document.querySelector('#pack tr[data-sku=PEN] [data-field=box]').textContent === '1'")
        page.locator("input[name=weight]").fill("0.4")
        switch.click()
        page.get_by_role("button", name="Close the box").wait_for()  # the third switch: English again
        assert page.locator("#pack tr[data-sku=PEN] [data-field=box]").inner_text() == "1"
        assert page.locator("input[name=weight]").input_value() == "0.4"
    finally:
        context.close()
