"""Labels from the phone: a print that does not reach the warehouse's label printer says so in the phone's language, in
the same words whatever stands in the way."""

from __future__ import annotations

import pytest

from tests.helpers import add_user
from tests.test_label_api import stored_printer
from tests.test_pwa import PHONE, sign_in
from tests.test_pwa_inbox import catalog_on_the_phone

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(("language", "expected"), [
    ("zh", "无法连接标签打印机 Dock 1（127.0.0.1:6379），打印未完成"),
    ("en", "The label printer Dock 1 (127.0.0.1:6379) did not take the job"),
])
def test_a_bin_label_for_a_printer_at_a_refused_address_tells_the_picker_it_did_not_print(browser, live_server, world, db, language, expected):
    """The warehouse's printer is stored at Redis's port (as an older version let it be): the job is never sent, and the
    phone shows the printer's usual "did not take the job" in the picker's language."""
    stored_printer(db, "Dock 1", "127.0.0.1", 6379)
    add_user(db, "picker", ["warehouse"], ["WH1"])
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        sign_in(page, "picker")
        catalog_on_the_phone(page)
        if language == "en":
            page.locator("header [data-action=language]").click()
            page.locator("[data-task=scan]", has_text="Scan anything").wait_for()  # the home screen, drawn again in English
        page.evaluate("location.hash = '#/scan/B2'")
        page.locator("[data-action=print-location]").click()
        page.get_by_role("alert").filter(has_text=expected).wait_for()
    finally:
        context.close()
