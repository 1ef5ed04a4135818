"""Master data kept up to date at the desk (1280×800): a purchaser adds an item and its carton barcode, which then
scans as twelve; a barcode already on another item or with a wrong check digit is refused at its field; an edit that
someone else overtook is told and the current record loaded; an administrator adds a customer with a credit limit, a
quarantine bin under a zone, and a user who can then sign in. The server's side of it is tested through the API."""

from __future__ import annotations

import httpx
import pytest

from labels.gs1 import with_check_digit
from tests.desk import open_desk
from tests.helpers import PEN_EACH, add_user, post_move
from tests.stories import Api
from tests.test_office import open_section, use_language

TEA_EACH = with_check_digit("690123499001")
TEA_CARTON = with_check_digit("1690123499001")


@pytest.fixture
def staff(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """The world's warehouses and items, an administrator (clerk) and a purchaser (buyer) who sign in at the desk."""
    add_user(db, "clerk", ["admin"])
    add_user(db, "buyer", ["purchaser"])
    return Api(client, as_role("admin"))


def visit(page, hash_: str, ready: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(f"location.hash = {hash_!r}")
    page.locator(ready).first.wait_for()


def focused(page, attribute: str = "name") -> str | None:  # type: ignore[no-untyped-def]
    return page.evaluate(f"document.activeElement.getAttribute({attribute!r})")


# In the browser ---------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_purchaser_adds_an_item_with_a_carton_barcode_that_then_scans_as_twelve(browser, client, live_server, staff):
    context, page = open_desk(browser, live_server, "buyer")
    try:
        open_section(page, "items")
        page.get_by_role("link", name="New item").click()
        form = page.locator("#item-form")
        form.wait_for()
        assert focused(page) == "sku"
        form.get_by_label("SKU").fill("TEA-9")
        form.get_by_label("Chinese name").fill("龙井茶")
        form.get_by_label("English name").fill("Longjing tea")
        form.get_by_label("Unit").fill("box")
        form.get_by_label("Tracking").select_option("lot")
        form.get_by_label("Shelf life (days)").fill("365")
        form.get_by_label("Reorder point").fill("10")
        form.get_by_label("Reorder quantity").fill("48")
        form.get_by_label("Maximum stock").fill("200")
        form.get_by_label("VAT %").select_option("9")
        form.get_by_label("English name").press("Enter")

        # Saved: the item's page, the cursor in the barcode form for its barcodes.
        page.locator("#barcode-form").wait_for()
        page.wait_for_function("() => document.activeElement.name === 'code'")
        assert page.locator("#office-body h3").first.inner_text() == "TEA-9 · Longjing tea"
        assert page.locator(".facts [data-field=tracking] dd").inner_text() == "By lot"
        code = page.locator("#barcode-form input[name=code]")
        code.fill(TEA_EACH)
        code.press("Enter")
        page.locator(f"#item-barcodes tr[data-barcode='{TEA_EACH}']").wait_for()
        page.wait_for_function("() => document.activeElement.name === 'code'")  # ready for the next one
        code = page.locator("#barcode-form input[name=code]")
        code.fill(TEA_CARTON)
        page.locator("#barcode-form select[name=pack]").select_option("carton")
        page.locator("#barcode-form input[name=qty]").fill("12")
        page.locator("#barcode-form [data-action=save]").click()
        page.locator(f"#item-barcodes tr[data-barcode='{TEA_CARTON}']").wait_for()
        assert page.locator(f"#item-barcodes tr[data-barcode='{TEA_CARTON}'] td").nth(1).inner_text() == "carton"
        assert page.locator("#notice").inner_text() == f"Barcode added: {TEA_CARTON}"
    finally:
        context.close()
    item = staff.get("/api/v1/items/TEA-9")
    assert (item["name_zh"], item["unit"], item["tracking"], item["shelf_life_days"], item["reorder_point"], item["reorder_qty"],
            item["max_stock"], item["vat_rate"]) == ("龙井茶", "box", "lot", 365, "10", "48", "200", "9")
    assert [(b["code"], b["pack"], b["qty"]) for b in item["barcodes"]] == [(TEA_EACH, "each", "1"), (TEA_CARTON, "carton", "12")]
    scanned = staff.get(f"/api/v1/scan/{TEA_CARTON}")
    assert (scanned["item"]["sku"], scanned["pack"], scanned["qty"]) == ("TEA-9", "carton", "12")
    assert [e["username"] for e in staff.get("/api/v1/audit", target_type="item", target_id="TEA-9")["items"]] == ["buyer"] * 3


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_barcode_already_on_another_item_is_refused_at_its_field_and_what_was_typed_stays(browser, client, live_server, staff):
    context, page = open_desk(browser, live_server, "buyer")
    try:
        visit(page, "#/office/items/RICE", "#barcode-form")
        code = page.locator("#barcode-form input[name=code]")
        code.fill(PEN_EACH)
        code.press("Enter")
        problem = page.locator("#barcode-form [data-field=form-error]")
        problem.wait_for()
        assert problem.inner_text() == f"Barcode {PEN_EACH} already belongs to item PEN."
        assert (code.input_value(), code.get_attribute("aria-invalid")) == (PEN_EACH, "true")
        assert focused(page) == "code"
        assert page.locator("#item-barcodes tbody tr").count() == 0
    finally:
        context.close()
    assert staff.get("/api/v1/items/RICE")["barcodes"] == []


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_edit_someone_else_saved_first_is_told_and_the_current_record_is_loaded_to_edit_again(browser, client, live_server, staff):
    context, page = open_desk(browser, live_server, "buyer")
    try:
        visit(page, "#/office/items/PEN", "#item-barcodes")
        page.locator("#office-body [data-action=edit]").click()
        form = page.locator("#item-form")
        form.wait_for()
        assert focused(page) == "name_zh"
        form.get_by_label("English name").fill("Blue gel pen")
        staff.patch("/api/v1/items/PEN", {"version": 1, "name_en": "Red gel pen"})  # meanwhile, at another desk
        form.get_by_label("English name").press("Enter")
        problem = form.locator("[data-field=form-error]")
        problem.wait_for()
        assert problem.inner_text().startswith("Item PEN was changed by someone else (you had version 1, it is now 2)")
        assert form.get_by_label("English name").input_value() == "Blue gel pen"  # nothing typed is lost before the person decides
        form.get_by_role("button", name="Load the current record (drops my changes)").click()
        page.locator(".facts [data-field=version] dd", has_text="2").wait_for()
        form = page.locator("#item-form")
        form.wait_for()
        assert form.get_by_label("English name").input_value() == "Red gel pen"
        assert page.locator("#notice").inner_text() == "The record as saved by the other person is loaded"
        form.get_by_label("English name").fill("Blue gel pen")
        form.get_by_label("English name").press("Enter")
        page.locator(".facts [data-field=version] dd", has_text="3").wait_for()
        assert page.locator("#item-form").count() == 0
        assert focused(page, "data-action") == "edit"
    finally:
        context.close()
    assert staff.get("/api/v1/items/PEN")["name_en"] == "Blue gel pen"


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_administrator_adds_a_customer_with_a_credit_limit_and_a_contact_which_a_purchaser_cannot_set(browser, client, live_server, staff):
    context, page = open_desk(browser, live_server, "clerk")
    try:
        open_section(page, "partners")
        page.get_by_role("link", name="New partner").click()
        form = page.locator("#partner-form")
        form.wait_for()
        form.get_by_label("Code").fill("C-77")
        form.get_by_label("Kind").select_option("customer")
        form.get_by_label("Chinese name").fill("华联超市")
        form.get_by_label("English name").fill("Hualian Supermarket")
        form.get_by_label("Phone").first.fill("021-5555 0101")
        form.get_by_label("Tax ID").fill("91310000MA1FL0000X")
        form.get_by_label("Payment terms (days)").fill("45")
        form.get_by_label("Credit limit").fill("25000.50")
        form.get_by_role("button", name="Add a contact").click()
        contact = form.locator("fieldset.contact")
        assert page.evaluate("document.activeElement.dataset.contact") == "name"
        contact.get_by_label("Name").fill("王经理")
        contact.get_by_label("Role").fill("采购")
        form.get_by_role("button", name="Save").click()
        page.locator("#partner-credit tr[data-field=credit]").wait_for()
        assert page.locator(".facts [data-field=credit_limit] dd").inner_text() == "25,000.50"
        assert page.locator("#partner-credit td").first.inner_text() == "25,000.50"
        assert page.locator("#contact-list tbody tr td").first.inner_text() == "王经理"
        assert focused(page, "data-action") == "edit"
    finally:
        context.close()
    customer = staff.get("/api/v1/partners/C-77")
    assert (customer["kind"], customer["name_en"], customer["payment_terms_days"], customer["credit_limit"], customer["tax_id"]) == (
        "customer", "Hualian Supermarket", 45, "25000.5", "91310000MA1FL0000X")
    assert [(c["name"], c["role"]) for c in customer["contacts"]] == [("王经理", "采购")]

    # A purchaser keeps the customer's details, but the credit limit is not theirs to set: the form says so.
    context, page = open_desk(browser, live_server, "buyer")
    try:
        visit(page, "#/office/partners/C-77", "#partner-credit tr[data-field=credit]")
        page.locator("#office-body [data-action=edit]").click()
        form = page.locator("#partner-form")
        form.wait_for()
        assert form.locator("[name=credit_limit]").count() == 0
        assert "Credit limits are set by sales, finance or an administrator" in form.locator("[data-field=credit-limit-note]").inner_text()
        form.get_by_label("Payment terms (days)").fill("60")
        form.get_by_role("button", name="Save").click()
        page.locator(".facts [data-field=version] dd", has_text="2").wait_for()
    finally:
        context.close()
    assert (staff.get("/api/v1/partners/C-77")["payment_terms_days"], staff.get("/api/v1/partners/C-77")["credit_limit"]) == (60, "25000.5")


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_customer_gets_a_price_list_chosen_by_name_and_later_loses_its_credit_limit_and_list_by_emptying_them(browser, client, live_server, staff):
    staff.post("/api/v1/price-lists", {"code": "VIP", "kind": "sales", "name_en": "Good customers", "name_zh": "优质客户"}, expect=201)
    staff.post("/api/v1/partners", {"code": "C-78", "kind": "customer", "name_en": "Corner shop", "credit_limit": "800"}, expect=201)
    context, page = open_desk(browser, live_server, "clerk")
    try:
        visit(page, "#/office/partners/C-78", "#partner-credit tr[data-field=credit]")
        page.locator("#office-body [data-action=edit]").click()
        form = page.locator("#partner-form")
        form.get_by_label("Price list").select_option(label="VIP · Good customers · sales · CNY")
        form.get_by_role("button", name="Save").click()
        page.locator(".facts [data-field=version] dd", has_text="2").wait_for()
        assert staff.get("/api/v1/partners/C-78")["price_list"] == "VIP"

        page.locator("#office-body [data-action=edit]").click()
        form = page.locator("#partner-form")
        assert form.get_by_label("Price list").input_value() == "VIP"
        form.get_by_label("Credit limit").fill("")
        form.get_by_label("Price list").select_option("")
        form.get_by_role("button", name="Save").click()
        page.locator(".facts [data-field=version] dd", has_text="3").wait_for()
        assert page.locator(".facts [data-field=credit_limit] dd").inner_text() == "No limit"
    finally:
        context.close()
    customer = staff.get("/api/v1/partners/C-78")
    assert (customer["credit_limit"], customer["price_list"], customer["name_en"]) == (None, None, "Corner shop")


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_administrator_adds_a_quarantine_bin_under_a_zone_from_the_location_tree(browser, client, live_server, staff):
    context, page = open_desk(browser, live_server, "clerk")
    try:
        open_section(page, "locations")
        page.locator("li[data-location=WH1] > .node .opener").click()
        page.locator("li[data-location=Z1]").wait_for()
        page.get_by_role("button", name="Add a bin · Z1").click()
        form = page.locator("li[data-location=Z1] > .tree-form form")
        form.wait_for()
        assert focused(page) == "code"
        form.get_by_label("Code").fill("B9")
        form.get_by_label("English name").fill("Returns shelf")
        form.get_by_label("Quarantine (its stock is not available)").check()
        form.get_by_label("Code").press("Enter")
        added = page.locator("li[data-location=Z1] li[data-location=B9]")
        added.wait_for()
        assert added.locator("[data-field=quarantine]").inner_text() == "Quarantine"
        assert focused(page, "data-action") == "edit-location"
        assert page.evaluate("[...document.querySelectorAll('li[data-location=Z1] > ul > li')].map((li) => li.dataset.location)") == [
            "B1", "B2", "B3", "B9"]
        # Changed later: its name and out of use; the other bins stay as they were.
        page.get_by_role("button", name="Edit B9").click()
        form = page.locator("li[data-location=B9] > .tree-form form")
        form.get_by_label("Active").uncheck()
        form.get_by_label("Active").press("Enter")
        page.locator("li[data-location=B9] [data-field=inactive]").wait_for()
    finally:
        context.close()
    bin_ = staff.get("/api/v1/locations/B9")
    assert (bin_["kind"], bin_["parent"], bin_["warehouse"], bin_["quarantine"], bin_["active"], bin_["name_en"]) == (
        "bin", "Z1", "WH1", True, False, "Returns shelf")


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_administrator_creates_a_user_with_roles_and_a_warehouse_who_then_signs_in(browser, client, live_server, staff):
    context, page = open_desk(browser, live_server, "clerk")
    try:
        open_section(page, "users")
        page.get_by_role("link", name="New user").click()
        form = page.locator("#user-form")
        form.wait_for()
        assert "At least 10 characters, and not one of the common passwords." in form.inner_text()
        form.get_by_label("Username").fill("li.na")
        form.get_by_label("Display name").fill("李娜")
        form.get_by_label("Initial password").fill("short")
        form.get_by_label("Purchaser").check()
        form.get_by_label("Salesperson").check()
        form.get_by_label("WH2 · WH2 location").check()
        form.get_by_label("Language").select_option("zh-CN")
        form.get_by_role("button", name="Save").click()
        problem = form.locator("[data-field=form-error]")
        problem.wait_for()
        assert problem.inner_text() == "The password must have at least 10 characters."
        password = form.get_by_label("Initial password")
        assert password.get_attribute("aria-invalid") == "true" and focused(page) == "password"
        assert form.get_by_label("Purchaser").is_checked()  # the rest of the form is as it was
        password.fill("plum tree harbour 42")
        password.press("Enter")
        page.locator(".facts [data-field=roles] dd").wait_for()
        assert page.locator(".facts [data-field=roles] dd").inner_text() == "Purchaser, Salesperson"
        assert page.locator(".facts [data-field=warehouses] dd").inner_text() == "WH2"
        visit(page, "#/office/users", "#user-list tr[data-user='li.na']")
        assert "Purchaser, Salesperson" in page.locator("#user-list tr[data-user='li.na']").inner_text()
    finally:
        context.close()
    signed_in = httpx.post(f"{live_server.url}/api/v1/auth/login", json={"username": "li.na", "password": "plum tree harbour 42"})
    assert signed_in.status_code == 200, signed_in.text
    user = signed_in.json()["user"]
    assert (user["display_name"], user["roles"], user["warehouses"], user["language"]) == ("李娜", ["purchaser", "sales"], ["WH2"], "zh-CN")


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_in_chinese_a_barcode_with_a_wrong_check_digit_is_told_at_its_field_and_the_right_one_is_added(browser, client, live_server, staff):
    context, page = open_desk(browser, live_server, "buyer", lang="zh")
    wrong = TEA_EACH[:-1] + str((int(TEA_EACH[-1]) + 1) % 10)
    try:
        visit(page, "#/office/items/RICE", "#barcode-form")
        form = page.locator("#barcode-form")
        assert form.get_by_role("button", name="添加条码").is_visible()
        code = form.get_by_label("条码")
        code.fill(wrong)
        code.press("Enter")
        problem = form.locator("[data-field=form-error]")
        problem.wait_for()
        assert problem.inner_text() == f"条码 {wrong} 的长度是 GTIN，但校验位错误（应以 {TEA_EACH[-1]} 结尾），请核对数字。"
        assert (code.input_value(), code.get_attribute("aria-invalid"), focused(page)) == (wrong, "true", "code")
        code.fill(TEA_EACH)
        code.press("Enter")
        page.locator(f"#item-barcodes tr[data-barcode='{TEA_EACH}']").wait_for()
        assert page.locator("#notice").inner_text() == f"条码已添加: {TEA_EACH}"
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()
    assert [b["code"] for b in staff.get("/api/v1/items/RICE")["barcodes"]] == [TEA_EACH]


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_item_list_shows_sorts_and_filters_by_category_and_the_item_form_keeps_a_minimum_order_quantity(browser, client, live_server, staff):
    staff.post("/api/v1/categories", {"code": "DRINK", "name_zh": "饮料", "name_en": "Drinks"}, expect=201)
    staff.patch("/api/v1/items/MILK", {"category": "DRINK"})
    context, page = open_desk(browser, live_server, "buyer")
    try:
        open_section(page, "items")
        milk = page.locator("#office-body tr[data-sku=MILK]")
        milk.wait_for()
        assert page.locator("#office-body th").nth(2).inner_text() == "Category"
        assert milk.locator("td").nth(2).inner_text() == "DRINK"
        assert milk.locator("[data-field=category]").get_attribute("title") == "Drinks"
        assert page.locator("#office-body tr[data-sku=PEN] td").nth(2).inner_text() == ""
        page.locator("#office-body [data-sort=category]").click()
        page.wait_for_function("() => document.querySelector('#office-body tbody tr')?.dataset.sku === 'MILK'")
        page.locator("#office-body [data-sort=category]").click()  # descending: the items without one still come last
        page.locator("#office-body [data-sort=category]", has_text="▼").wait_for()
        page.wait_for_function("() => document.querySelector('#office-body tbody tr')?.dataset.sku === 'MILK'")
        page.locator("form.filters select[name=category]").select_option("DRINK")
        page.wait_for_function("() => [...document.querySelectorAll('#office-body tbody tr')].map((tr) => tr.dataset.sku).join() === 'MILK'")

        visit(page, "#/office/items/PEN", "#item-barcodes")
        assert page.locator(".facts [data-field=moq] dd").inner_text() == "—"
        page.locator("#office-body [data-action=edit]").click()
        form = page.locator("#item-form")
        form.wait_for()
        form.get_by_label("Minimum order qty").fill("24")
        form.get_by_label("English name").press("Enter")
        page.locator(".facts [data-field=version] dd", has_text="2").wait_for()
        assert page.locator(".facts [data-field=moq] dd").inner_text() == "24"

        use_language(page, "zh")
        page.locator(".facts [data-field=moq] dt", has_text="最小起订量").wait_for()
        page.locator("#office-body [data-action=edit]").click()
        form = page.locator("#item-form")
        form.wait_for()
        assert form.get_by_label("最小起订量").input_value() == "24"
        form.get_by_label("最小起订量").fill("")  # emptied: no minimum
        form.get_by_label("中文名称").press("Enter")
        page.locator(".facts [data-field=version] dd", has_text="3").wait_for()
        assert page.locator(".facts [data-field=moq] dd").inner_text() == "—"
        visit(page, "#/office/items", "#office-body tr[data-sku=MILK]")
        assert page.locator("#office-body th").nth(2).inner_text().startswith("商品分类")
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()
    assert staff.get("/api/v1/items/PEN")["min_order_qty"] is None


# Through the API --------------------------------------------------------------------------------


def test_a_barcode_is_added_and_removed_on_the_version_seen_and_each_change_is_audited(client, world, as_role):
    purchaser = Api(client, as_role("purchaser"))
    added = purchaser.post("/api/v1/items/RICE/barcodes", {"code": TEA_CARTON, "pack": "carton", "qty": "12", "version": 1})
    assert (added["version"], [(b["code"], b["pack"], b["qty"], b["gtin"]) for b in added["barcodes"]]) == (
        2, [(TEA_CARTON, "carton", "12", TEA_CARTON)])
    stale = purchaser.post("/api/v1/items/RICE/barcodes", {"code": TEA_EACH, "version": 1}, expect=409)
    assert stale["error"] == "stale_version"
    duplicate = purchaser.post("/api/v1/items/RICE/barcodes", {"code": PEN_EACH, "version": 2}, expect=409)
    assert (duplicate["error"], duplicate["details"]["field"], duplicate["details"]["sku"]) == ("duplicate_barcode", "code", "PEN")
    fraction = purchaser.post("/api/v1/items/PEN/barcodes", {"code": TEA_EACH, "pack": "inner", "qty": "2.5", "version": 1}, expect=422)
    assert fraction["details"]["field"] == "qty"
    removed = purchaser.post("/api/v1/items/RICE/barcodes/remove", {"code": TEA_CARTON, "version": 2})
    assert (removed["version"], removed["barcodes"]) == (3, [])
    missing = purchaser.post("/api/v1/items/RICE/barcodes/remove", {"code": TEA_CARTON, "version": 3}, expect=404)
    assert missing["details"]["field"] == "code"
    assert Api(client, as_role("warehouse")).post("/api/v1/items/RICE/barcodes", {"code": TEA_EACH}, expect=403)["error"] == "forbidden"
    audit = Api(client, as_role("admin")).get("/api/v1/audit", target_type="item", target_id="RICE")["items"]
    assert sorted(e["action"] for e in audit) == ["item.barcode_add", "item.barcode_remove", "item.create"]


@pytest.mark.parametrize("code", ["6901234000017", "16901234000014", "012345678906", "96385076"])
def test_a_barcode_of_gtin_length_with_a_wrong_check_digit_is_refused_naming_the_right_digit(client, world, as_role, code):
    refused = Api(client, as_role("purchaser")).post("/api/v1/items/RICE/barcodes", {"code": code}, expect=422)
    assert (refused["error"], refused["details"]["field"]) == ("bad_check_digit", "code")
    assert f"should end in {with_check_digit(code[:-1])[-1]}" in refused["details"]["message_en"]


def test_an_internal_barcode_that_is_no_gtin_is_taken_as_it_is(client, world, as_role):
    added = Api(client, as_role("purchaser")).post("/api/v1/items/RICE/barcodes", {"code": "RICE-BAG-5KG", "pack": "bag", "qty": "5"})
    assert [(b["code"], b["qty"], b["gtin"]) for b in added["barcodes"]] == [("RICE-BAG-5KG", "5", None)]


def test_a_frozen_tracking_is_refused_in_words_naming_its_field(client, world, as_role, worker):
    post_move(client, worker, "PEN", 1, "SUPPLIER", "B1")
    refused = Api(client, as_role("purchaser")).patch("/api/v1/items/PEN", {"tracking": "lot"}, expect=409)
    assert (refused["error"], refused["details"]["field"]) == ("frozen_field", "tracking")
    assert refused["details"]["message_en"] == "Item PEN has stock moves, so its tracking can no longer change."
    assert refused["details"]["message_zh"] == "商品 PEN 已有库存移动，追踪方式不能再修改。"


def test_a_purchaser_keeps_partners_but_only_sales_finance_and_administrators_set_credit_limits(client, as_role):
    purchaser, sales = Api(client, as_role("purchaser")), Api(client, as_role("sales"))
    refused = purchaser.post("/api/v1/partners", {"code": "C-1", "kind": "customer", "credit_limit": "5000"}, expect=403)
    assert (refused["details"]["permission"], refused["details"]["field"]) == ("partners.credit", "credit_limit")
    customer = sales.post("/api/v1/partners", {"code": "C-1", "kind": "customer", "credit_limit": "5000"}, expect=201)
    # The purchaser may change the rest, and send the limit back unchanged (as a form does), but not change it.
    assert purchaser.patch("/api/v1/partners/C-1", {"version": customer["version"], "phone": "021-1", "credit_limit": "5000.00"})["version"] == 2
    assert purchaser.patch("/api/v1/partners/C-1", {"version": 2, "credit_limit": "9000"}, expect=403)["details"]["field"] == "credit_limit"
    assert Api(client, as_role("finance")).patch("/api/v1/partners/C-1", {"version": 2, "credit_limit": "9000"})["credit_limit"] == "9000"
    unknown = sales.patch("/api/v1/partners/C-1", {"price_list": "NOPE"}, expect=422)
    assert unknown["details"]["field"] == "price_list"
    assert sales.post("/api/v1/partners", {"code": "C-1", "kind": "customer"}, expect=409)["details"]["field"] == "code"
    me = client.get("/api/v1/auth/me", headers=purchaser.headers).json()
    assert "partners.write" in me["permissions"] and "partners.credit" not in me["permissions"]


def test_a_credit_limit_price_list_or_reorder_point_set_by_mistake_is_cleared_with_null_and_what_is_left_out_stays(client, world, as_role):
    sales, finance, purchaser = Api(client, as_role("sales")), Api(client, as_role("finance")), Api(client, as_role("purchaser"))
    sales.post("/api/v1/price-lists", {"code": "VIP", "kind": "sales", "name_en": "Good customers"}, expect=201)
    customer = sales.post("/api/v1/partners", {"code": "C-2", "kind": "customer", "credit_limit": "5000", "price_list": "VIP"}, expect=201)
    assert [(p["code"], p["kind"]) for p in sales.get("/api/v1/price-lists", kind="sales")["items"]] == [("VIP", "sales")]
    assert sales.get("/api/v1/price-lists", kind="purchase")["items"] == []
    Api(client, as_role("warehouse")).get("/api/v1/price-lists", expect=403)
    # Left out stays; null clears. A limit cleared is a change of credit: not the purchaser's to make.
    assert purchaser.patch("/api/v1/partners/C-2", {"version": customer["version"], "credit_limit": None}, expect=403)["details"]["field"] == "credit_limit"
    changed = sales.patch("/api/v1/partners/C-2", {"version": customer["version"], "phone": "021-2"})
    assert (changed["credit_limit"], changed["price_list"]) == ("5000", "VIP")
    changed = finance.patch("/api/v1/partners/C-2", {"version": changed["version"], "credit_limit": None, "price_list": None})
    assert (changed["credit_limit"], changed["price_list"], changed["phone"]) == (None, None, "021-2")
    assert Api(client, as_role("admin")).get("/api/v1/audit", target_type="partner", target_id="C-2", action="partner.update")["items"][0]["details"][
        "changes"] == {"credit_limit": None, "price_list": None}
    item = purchaser.patch("/api/v1/items/PEN", {"reorder_point": "10", "reorder_qty": "50", "shelf_life_days": 30})
    item = purchaser.patch("/api/v1/items/PEN", {"version": item["version"], "reorder_point": None, "shelf_life_days": None})
    assert (item["reorder_point"], item["reorder_qty"], item["shelf_life_days"]) == (None, "50", None)


def test_a_user_change_on_a_stale_version_is_refused_and_the_account_rules_are_told(client, world, as_role):
    admin = Api(client, as_role("admin"))
    rules = admin.get("/api/v1/auth/account-rules")
    assert rules["password_min_length"] == 10
    assert rules["roles"][:2] == [{"role": "admin", "name_zh": "管理员", "name_en": "Administrator"},
                                  {"role": "purchaser", "name_zh": "采购员", "name_en": "Purchaser"}]
    assert Api(client, as_role("purchaser")).get("/api/v1/auth/account-rules", expect=403)["error"] == "forbidden"
    weak = admin.post("/api/v1/users", {"username": "zhao", "password": "short", "roles": ["sales"]}, expect=422)
    assert (weak["error"], weak["details"]["field"]) == ("weak_password", "password")
    common = admin.post("/api/v1/users", {"username": "zhao", "password": "password123", "roles": ["sales"]}, expect=422)
    assert common["details"]["field"] == "password"
    nowhere = admin.post("/api/v1/users", {"username": "zhao", "password": "plum tree harbour", "roles": ["sales"], "warehouses": ["WH9"]}, expect=422)
    assert nowhere["details"]["field"] == "warehouses"
    created = admin.post("/api/v1/users", {"username": "zhao", "password": "plum tree harbour", "roles": ["sales"], "warehouses": ["WH1"]}, expect=201)
    assert created["version"] == 1
    assert admin.patch("/api/v1/users/zhao", {"version": 1, "roles": ["sales", "warehouse"]})["version"] == 2
    stale = admin.patch("/api/v1/users/zhao", {"version": 1, "active": False}, expect=409)
    assert stale["error"] == "stale_version"
    assert admin.get("/api/v1/users/zhao")["active"] is True
    assert admin.post("/api/v1/users", {"username": "zhao", "password": "plum tree harbour", "roles": ["sales"]}, expect=409)["details"]["field"] == "username"
