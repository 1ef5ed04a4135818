"""An administrator sets the approval rules of requisitions and transfer orders at the desk (a refused rule is pointed
at); a storekeeper's requisition over the band and a transfer order then wait for the approver, who approves both on
the phone's approvals screen, the transfer order offline."""

from __future__ import annotations

import pytest

from tests.desk import open_desk
from tests.helpers import PASSWORD, add_user, post_move, sign_in
from tests.stories import Api, supplier_and_dock
from tests.test_pwa import PHONE, pending

pytestmark = pytest.mark.browser


def open_rules(page, kind: str) -> None:  # type: ignore[no-untyped-def]
    group = page.locator(".office-nav details[data-group=admin]")
    if group.get_attribute("open") is None:
        group.locator("summary").click()
    page.locator(".office-nav a[data-nav=approval-rules]").click()
    page.locator(f"#office-body a[data-kind={kind}]").click()
    page.locator(f"#office-body a[data-kind={kind}][aria-current=page]").wait_for()


def save_rules(page) -> int:  # type: ignore[no-untyped-def]
    """Save the rules on the page as the administrator does; the server's answer's status."""
    with page.expect_response(lambda r: "/api/v1/approval-rules" in r.url and r.request.method == "PUT") as answer:
        page.locator("#approval-rules-form [data-action=save]").click()
    return answer.value.status  # type: ignore[no-any-return]


def fill_rule(page, index: int, above: str, up_to: str = "", category: str = "", warehouse: str = "",  # type: ignore[no-untyped-def]
              levels: tuple[str, ...] = ("approver",)) -> None:
    rule = page.locator(f"#approval-rules tr[data-rule='{index}']")
    rule.locator("[name=above]").fill(above)
    rule.locator("[name=up_to]").fill(up_to)
    rule.locator("[name=category]").select_option(category)
    rule.locator("[name=warehouse]").select_option(warehouse)
    selects = rule.locator("[name=level]")
    for n in range(selects.count()):
        selects.nth(n).select_option(levels[n] if n < len(levels) else "")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_admin_sets_rules_at_the_desk_and_the_approver_approves_a_requisition_and_a_transfer_on_the_phone(
        browser, client, live_server, world, as_role, db):
    admin = Api(client, as_role("admin"))
    supplier_and_dock(admin)
    admin.post("/api/v1/categories", {"code": "ELEC", "name_zh": "电子产品", "name_en": "Electronics"}, expect=201)
    admin.patch("/api/v1/items/PHONE", {"category": "ELEC"})
    assert post_move(client, as_role("warehouse"), "PEN", "100", "SUPPLIER", "B1", unit_cost="2").status_code == 201
    add_user(db, "root", ["admin"])
    add_user(db, "keeper", ["warehouse"], ["WH1"])
    add_user(db, "boss", ["approver"], ["WH1"])
    keeper = Api(client, sign_in(client, "keeper"))

    desk_context, desk = open_desk(browser, live_server, "root", "en")
    try:
        # Requisitions: electronics by a director, first; then anything above 100 by an approver.
        open_rules(desk, "requisition")
        assert desk.locator("#approval-rules tr[data-rule]").count() == 1  # the default: every requisition, one approver
        desk.locator("[data-action=add-rule]").click()
        fill_rule(desk, 0, "0", levels=("director",), category="ELEC")
        fill_rule(desk, 1, "0", levels=("approver",), category="ELEC")  # the same band twice: refused
        assert save_rules(desk) == 422
        desk.locator("#approval-rules-form [data-field=form-error]", has_text="overlap").wait_for()
        assert desk.locator("#approval-rules tr[data-rule='1'] [name=above]").get_attribute("aria-invalid") == "true"
        fill_rule(desk, 1, "100")
        assert save_rules(desk) == 200
        desk.get_by_role("alert").filter(has_text="Approval rules saved").wait_for()
        desk.locator("#approval-rules-form [data-field=form-error][hidden]").wait_for(state="attached")
        assert desk.evaluate("[...globalThis.cangkuMissingText]") == []

        # Transfer orders: only those above 10 need an approver.
        open_rules(desk, "transfer_order")
        fill_rule(desk, 0, "10")
        assert save_rules(desk) == 200
    finally:
        desk_context.close()
    assert [(r["priority"], r["above"], r["up_to"], r["category"], r["levels"]) for r in admin.get("/api/v1/approval-rules", kind="requisition")] == [
        (1, "0", None, "ELEC", ["director"]), (2, "100", None, None, ["approver"])]
    assert [(r["above"], r["levels"]) for r in admin.get("/api/v1/approval-rules", kind="transfer_order")] == [("10", ["approver"])]

    small = keeper.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "5"}]}, expect=201)  # 10 at cost
    assert small["status"] == "open"
    big = keeper.post("/api/v1/requisitions", {"warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "80"}], "note": "开学季"}, expect=201)
    assert (big["status"], big["approval_roles"]) == ("pending", ["approver"])
    # The storekeeper asks for more at the desk while it waits: it is approved afresh, at the new quantity.
    keeper_context, desk = open_desk(browser, live_server, "keeper", "en")
    try:
        desk.evaluate(f"location.hash = '#/office/requisitions/{big['number']}'")
        desk.locator("#req-approvals [data-field=approval-roles]", has_text="Approver").wait_for()
        desk.locator("[data-field=edit] summary").click()
        assert "approved afresh" in desk.locator("[data-field=edit] [data-field=restarts-approval]").inner_text()
        desk.locator("#requisition-edit [name=line-0-qty]").fill("90")
        with desk.expect_response(lambda r: r.request.method == "PATCH") as answer:
            desk.locator("#requisition-edit [data-action=save]").click()
        assert answer.value.status == 200
        desk.locator("#req-lines tr[data-sku=PEN]", has_text="90").wait_for()
        assert desk.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        keeper_context.close()
    assert keeper.get(f"/api/v1/requisitions/{big['number']}")["version"] == big["version"] + 1

    order = keeper.post("/api/v1/transfers", {"from_warehouse": "WH1", "to_warehouse": "WH2", "lines": [{"sku": "PEN", "qty": "20"}]}, expect=201)
    order = keeper.post(f"/api/v1/transfers/{order['number']}/submit", {"version": order["version"]})
    assert order["status"] == "pending"

    phone_context = browser.new_context(**(PHONE | {"locale": "en-US"}))
    try:
        phone = phone_context.new_page()
        phone.goto(live_server.url + "/")
        phone.locator("input[name=username]").fill("boss")
        phone.locator("input[name=password]").fill(PASSWORD)
        phone.locator("form button[type=submit]").click()
        phone.wait_for_function("() => document.querySelector('[data-task=approvals] .badge')?.textContent === '2'", timeout=10000)
        phone.locator("[data-task=approvals]").click()
        assert "Requisition" in phone.locator(f"[data-req='{big['number']}']").inner_text()
        assert "WH1 → WH2" in phone.locator(f"[data-transfer='{order['number']}']").inner_text()

        phone.locator(f"[data-req='{big['number']}'] button").click()
        phone.locator("#req-lines tr[data-sku=PEN]").wait_for()
        assert "180" in phone.locator("[data-field=value]").inner_text()  # what the rule judged: 90 at 2
        assert "Level 1 of 1" in phone.locator("[data-field=levels]").inner_text()
        phone.locator("input[name=comment]").fill("OK")
        phone.locator("[data-action=approve]").click()
        phone.get_by_role("alert").filter(has_text=f"Approved {big['number']}").wait_for()
        phone.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=10000)

        # The transfer order, with no signal: a rejection needs a reason; the approval is sent once online.
        phone_context.set_offline(True)
        phone.locator(f"[data-transfer='{order['number']}'] button").click()
        phone.locator("#transfer-lines tr[data-sku=PEN]").wait_for()
        assert phone.locator("#transfer-facts tbody td").all_inner_texts()[:2] == ["WH1 → WH2", "keeper"]
        phone.locator("[data-action=reject]").click()
        phone.get_by_role("alert").filter(has_text="Say why you reject it").wait_for()
        phone.locator("[data-action=approve]").click()
        phone.get_by_role("alert").filter(has_text=f"Approved {order['number']}").wait_for()
        phone.get_by_text("Nothing to approve").wait_for()
        assert pending(phone) == 1
        phone_context.set_offline(False)
        phone.wait_for_function("() => document.getElementById('sync').dataset.pending === '0'", timeout=20000)
        assert phone.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        phone_context.close()

    done = keeper.get(f"/api/v1/requisitions/{big['number']}")
    assert done["status"] == "open" and [(a["user"], a["decision"], a["comment"]) for a in done["approvals"]] == [("boss", "approved", "OK")]
    shipped = keeper.get(f"/api/v1/transfers/{order['number']}")
    assert (shipped["status"], shipped["approved_by"]) == ("approved", "boss")
