"""Signing in at the desk (1280×800) as a person does, for the back-office browser tests."""

from __future__ import annotations

from tests.helpers import PASSWORD

DESK = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}


def open_desk(browser, live_server, username: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    """A signed-in person's page on the back office, in `lang` (the browser's language too). Someone who may work in
    every warehouse is asked which one first: WH1."""
    context = browser.new_context(**(DESK | {"locale": "zh-CN" if lang == "zh" else "en-US"}))
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    first = page.locator("[data-task=office], #app button:text-is('WH1')").first
    first.wait_for()
    if first.get_attribute("data-task") != "office":
        first.click()
    page.locator("[data-task=office]").click()
    page.locator("#office-body").wait_for()
    if not page.evaluate("document.documentElement.lang").startswith(lang):
        page.locator("header [data-action=language]").click()
        page.wait_for_function(f"() => document.documentElement.lang.startsWith('{lang}')")
    page.wait_for_function("() => !document.querySelector('[aria-busy=true]')")
    return context, page
