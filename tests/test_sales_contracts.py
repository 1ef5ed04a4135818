"""Sales contracts (销售合同): a customer's agreed prices and quantities for a period, drawn down by the sales orders that
name them. The API story on SQLite and PostgreSQL — priced by the contract before the price list, what remains after each
confirmed order, the warning (and the record) when an order goes beyond it, what cancelling gives back, the contracts and
orders refused — then a salesperson doing it at the desk."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from server.dates import local_today
from server.sales.models import SalesContract
from tests.helpers import add_user, post_move
from tests.stories import Api, customer_and_areas

CONTRACTS = "/api/v1/sales-contracts"


def day(offset: int) -> str:
    return (local_today() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def shop(client, world, as_role, db):  # type: ignore[no-untyped-def]
    """CUS1 on price list RETAIL (pens at 12), CUS2, WH1's shipping and returns areas, 300 pens in B1 and 50 kg of rice in B2."""
    admin = Api(client, as_role("admin"))
    customer_and_areas(admin)
    admin.post("/api/v1/partners", {"code": "CUS2", "kind": "customer", "name_zh": "客户二", "name_en": "Customer Two"}, expect=201)
    admin.post("/api/v1/price-lists", {"code": "RETAIL", "kind": "sales", "prices": [{"sku": "PEN", "price": "12"}, {"sku": "RICE", "price": "9"}]},
               expect=201)
    customer = admin.get("/api/v1/partners/CUS1")
    admin.patch("/api/v1/partners/CUS1", {"version": customer["version"], "price_list": "RETAIL"})
    worker = as_role("warehouse")
    assert post_move(client, worker, "PEN", 300, "SUPPLIER", "B1", unit_cost="2").status_code == 201
    assert post_move(client, worker, "RICE", 50, "SUPPLIER", "B2", unit_cost="4").status_code == 201
    return {"admin": admin, "sales": Api(client, as_role("sales")), "warehouse": Api(client, worker)}


def in_force(sales: Api, customer: str = "CUS1", **terms: object) -> dict:
    """A contract put into force: pens at 120 a carton of 12, ten cartons; rice at 8 a kg, on price only."""
    body = {"customer": customer, "valid_from": day(-1), "valid_to": day(30), "lines": [
        {"sku": "PEN", "unit": "carton", "unit_price": "120", "qty": "10"}, {"sku": "RICE", "unit_price": "8"}], **terms}
    draft = sales.post(CONTRACTS, body, expect=201)
    return sales.post(f"{CONTRACTS}/{draft['number']}/activate", {"version": draft["version"]})


def order(sales: Api, contract: str | None, lines: list[dict[str, str]], expect: int = 201, **more: object) -> dict:
    return sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": lines, **({"contract": contract} if contract else {}),
                                               **more}, expect=expect)


def confirmed(sales: Api, contract: str | None, lines: list[dict[str, str]]) -> dict:
    so = order(sales, contract, lines)
    return sales.post(f"/api/v1/sales-orders/{so['number']}/confirm", {"version": so["version"]})


def so_made_by(admin: Api, number: str) -> str:
    return admin.get(f"/api/v1/history/so/{number}")["items"][0]["user"]


def pen(contract: dict) -> dict:
    return next(line for line in contract["lines"] if line["sku"] == "PEN")


def test_a_contract_in_force_prices_the_orders_drawing_it_and_says_what_remains(client, shop):
    sales = shop["sales"]
    draft = sales.post(CONTRACTS, {"customer": "CUS1", "valid_from": day(0), "valid_to": day(30), "note": "年度框架协议 annual agreement", "lines": [
        {"sku": "PEN", "unit": "carton", "unit_price": "120", "qty": "10"}, {"sku": "RICE", "unit_price": "8"}]}, expect=201)
    assert draft["number"].startswith("SC-") and draft["status"] == "draft" and draft["currency"] == "CNY"
    assert draft["actions"] == ["activate", "edit", "cancel"]
    assert [(line["sku"], line["unit"], line["unit_factor"], line["unit_price"], line["qty"], line["unit_qty"], line["drawn"], line["remaining"])
            for line in draft["lines"]] == [("PEN", "carton", "12", "120", "120", "10", "0", "120"), ("RICE", "kg", "1", "8", None, None, "0", None)]
    # A draft is no agreement yet: no order draws it.
    refused = order(sales, draft["number"], [{"sku": "PEN", "qty": "1"}], expect=409)
    assert refused["error"] == "contract_not_active" and "draft" in refused["message"]
    contract = sales.post(f"{CONTRACTS}/{draft['number']}/activate", {"version": draft["version"]})
    assert contract["status"] == "active" and contract["actions"] == ["close", "cancel"] and not contract["expired"]

    # A line without a price takes the contract's, before the price list's 12: 10 a pen (120 a carton), rice at 8.
    so = order(sales, contract["number"], [{"sku": "PEN", "qty": "24"}, {"sku": "RICE", "qty": "5"}])
    assert so["contract"] == contract["number"] and so["contract_warnings"] == []
    assert [(line["sku"], line["unit_price"]) for line in so["lines"]] == [("PEN", "10"), ("RICE", "8")]
    assert sales.get("/api/v1/customers/CUS1/price", sku="PEN", qty="2", unit="carton", contract=contract["number"]) | {"vat_rate": "-"} == {
        "customer": "CUS1", "sku": "PEN", "qty": "24", "price_list": None, "unit_price": "120", "vat_rate": "-", "unit": "carton",
        "contract": contract["number"]}
    assert sales.get("/api/v1/customers/CUS1/price", sku="PEN", qty="2")["unit_price"] == "12"  # without the contract: the list

    # A draft order draws nothing yet; confirmed, it draws 24 pens, and 96 remain.
    assert (pen(sales.get(f"{CONTRACTS}/{contract['number']}"))["drawn"], pen(sales.get(f"{CONTRACTS}/{contract['number']}"))["pending"]) == ("0", "24")
    sales.post(f"/api/v1/sales-orders/{so['number']}/confirm", {"version": so["version"]})
    after = sales.get(f"{CONTRACTS}/{contract['number']}")
    assert (pen(after)["drawn"], pen(after)["remaining"], pen(after)["over"], pen(after)["pending"]) == ("24", "96", "0", "0")
    assert after["orders"] == [{"number": so["number"], "status": "confirmed", "counts": True, "created_at": so["created_at"], "warnings": 0,
                                "draws": [{"line": 1, "sku": "PEN", "qty": "24"}, {"line": 2, "sku": "RICE", "qty": "5"}]}]
    assert after["actions"] == ["close"]  # one an order drew is closed, not cancelled

    # Two cartons on the next order at the contract's 120 a carton; a price typed is kept.
    two = order(sales, contract["number"], [{"sku": "PEN", "qty": "2", "unit": "carton"}, {"sku": "RICE", "qty": "1", "unit_price": "8.5"}])
    assert [(line["unit"], line["unit_price"], line["qty"]) for line in two["lines"]] == [("carton", "120", "24"), ("kg", "8.5", "1")]
    assert two["contract_warnings"] == []
    # The customer's contracts valid today, with an item on them, for the order form's picker.
    assert [c["number"] for c in sales.get(CONTRACTS, customer="CUS1", status="active", valid_on=day(0), sku="PEN")["items"]] == [contract["number"]]
    assert sales.get(CONTRACTS, customer="CUS2")["items"] == [] and sales.get(CONTRACTS, valid_on=day(31))["items"] == []


def test_an_order_beyond_what_remains_or_below_the_agreed_price_is_warned_and_confirming_it_is_recorded(client, shop, as_role):
    sales, warehouse = shop["sales"], shop["warehouse"]
    contract = in_force(sales)["number"]
    confirmed(sales, contract, [{"sku": "PEN", "qty": "100"}])
    # 20 pens remain: 30 at 9 less 0 % goes beyond them, and below the agreed 10 a pen.
    so = order(sales, contract, [{"sku": "PEN", "qty": "30", "unit_price": "9"}])
    assert [(w["kind"], w["line"], w["sku"]) for w in so["contract_warnings"]] == [("below_contract_price", 1, "PEN"), ("over_quantity", 1, "PEN")]
    below, over = so["contract_warnings"]
    assert (below["price"], below["contract_price"], below["unit"]) == ("9", "10", "pcs")
    assert (over["agreed"], over["drawn"], over["remaining"], over["ordered"]) == ("120", "100", "20", "30")
    assert over["message_en"] == f"Line 1 (PEN): 30 pcs ordered, but only 20 pcs remain on contract {contract} (120 agreed, 100 drawn by other orders)."
    assert over["message_zh"] == f"第 1 行（PEN）订购 30 pcs，合同 {contract} 仅剩 20 pcs（约定 120，其他订单已执行 100）。"
    assert "below the 10 agreed" in below["message_en"]
    # A discount takes a line below the contract too; the warehouse is told of quantities, not of prices.
    assert [w["kind"] for w in sales.patch(f"/api/v1/sales-orders/{so['number']}", {"version": so["version"], "lines": [
        {"sku": "PEN", "qty": "20", "discount": "5"}]})["contract_warnings"]] == ["below_contract_price"]
    so = sales.patch(f"/api/v1/sales-orders/{so['number']}", {"version": so["version"] + 1, "lines": [{"sku": "PEN", "qty": "30", "unit_price": "9"}]})
    assert [w["kind"] for w in warehouse.get(f"/api/v1/sales-orders/{so['number']}")["contract_warnings"]] == ["over_quantity"]

    # Confirming is allowed; the order keeps what it was warned of and who confirmed it.
    done = sales.post(f"/api/v1/sales-orders/{so['number']}/confirm", {"version": so["version"]})
    assert done["status"] == "confirmed" and done["contract_exceeded_by"] == so_made_by(shop["admin"], so["number"])
    assert [(w["kind"], w["remaining"]) for w in done["contract_warnings"]] == [("below_contract_price", None), ("over_quantity", "20")]
    line = pen(sales.get(f"{CONTRACTS}/{contract}"))
    assert (line["drawn"], line["remaining"], line["over"]) == ("130", "0", "10")
    assert [o["warnings"] for o in sales.get(f"{CONTRACTS}/{contract}")["orders"]] == [0, 2]
    history = shop["admin"].get(f"/api/v1/history/so/{so['number']}")["items"]
    assert history[-1]["action"] == "so.confirm" and history[-1]["details"]["contract_warnings"] == ["below_contract_price", "over_quantity"]
    # What it was warned of stays as it was, whatever later orders draw.
    confirmed(sales, contract, [{"sku": "PEN", "qty": "5"}])
    assert sales.get(f"/api/v1/sales-orders/{so['number']}")["contract_warnings"][1]["drawn"] == "100"
    # An order within the contract is confirmed with nothing recorded.
    quiet = confirmed(sales, contract, [{"sku": "RICE", "qty": "40"}])
    assert quiet["contract_warnings"] == [] and quiet["contract_exceeded_by"] is None


def test_cancelling_an_order_or_the_rest_it_did_not_ship_gives_the_contract_back(client, shop):
    sales, warehouse = shop["sales"], shop["warehouse"]
    contract = in_force(sales)["number"]
    remaining = lambda: pen(sales.get(f"{CONTRACTS}/{contract}"))["remaining"]  # noqa: E731
    first = confirmed(sales, contract, [{"sku": "PEN", "qty": "50"}])
    assert remaining() == "70"
    sales.post(f"/api/v1/sales-orders/{first['number']}/cancel", {"version": first["version"], "reason": "客户取消 customer cancelled"})
    assert remaining() == "120"

    # 30 ordered, 20 picked: the rest cancelled when it ships gives 10 back.
    short = confirmed(sales, contract, [{"sku": "PEN", "qty": "30"}])
    # 40 ordered, 15 picked: the rest goes to a backorder, which draws it on the same contract.
    kept = confirmed(sales, contract, [{"sku": "PEN", "qty": "40"}])
    wave = warehouse.post("/api/v1/waves", {"warehouse": "WH1", "orders": [short["number"], kept["number"]]}, expect=201)
    for task in wave["tasks"]:
        qty = "20" if task["order"] == short["number"] else "15"
        warehouse.post(f"/api/v1/pick-tasks/{task['id']}/confirm", {"qty": qty, "location": task["location"], "short_reason": "不够 not enough"})
    warehouse.post(f"/api/v1/sales-orders/{short['number']}/ship", {"remainder": "cancel", "reason": "客户只要这些 that will do"})
    backorder = warehouse.post(f"/api/v1/sales-orders/{kept['number']}/ship", {"remainder": "backorder"})["backorders"][0]
    assert sales.get(f"/api/v1/sales-orders/{backorder}")["contract"] == contract
    assert remaining() == str(120 - 20 - 40)
    draws = {o["number"]: o["draws"][0]["qty"] for o in sales.get(f"{CONTRACTS}/{contract}")["orders"] if o["counts"]}
    assert draws == {short["number"]: "20", kept["number"]: "15", backorder: "25"}
    cancelled = sales.get(f"/api/v1/sales-orders/{backorder}")
    sales.post(f"/api/v1/sales-orders/{backorder}/cancel", {"version": cancelled["version"]})
    assert remaining() == str(120 - 20 - 15)


def test_a_closed_cancelled_or_ended_contract_is_not_drawn(client, shop, db):
    sales = shop["sales"]
    contract = in_force(sales)
    waiting = order(sales, contract["number"], [{"sku": "PEN", "qty": "12"}])
    drawing = confirmed(sales, contract["number"], [{"sku": "PEN", "qty": "12"}])
    # Orders drew it: it is closed, not cancelled.
    refused = sales.post(f"{CONTRACTS}/{contract['number']}/cancel", {"version": contract["version"]}, expect=409)
    assert refused["error"] == "contract_drawn" and refused["details"]["orders"] == [drawing["number"]]
    closed = sales.post(f"{CONTRACTS}/{contract['number']}/close", {"version": contract["version"], "reason": "提前终止 ended early"})
    assert closed["status"] == "closed" and closed["actions"] == []
    assert order(sales, contract["number"], [{"sku": "PEN", "qty": "1"}], expect=409)["error"] == "contract_not_active"
    late = sales.post(f"/api/v1/sales-orders/{waiting['number']}/confirm", {"version": waiting["version"]}, expect=409)
    assert late["error"] == "contract_not_active" and "closed" in late["message"]
    assert pen(sales.get(f"{CONTRACTS}/{closed['number']}"))["drawn"] == "12"  # what was drawn stays drawn
    sales.post(f"{CONTRACTS}/{closed['number']}/close", {}, expect=409)

    # A draft nobody drew is cancelled; cancelled, it is not drawn either.
    draft = sales.post(CONTRACTS, {"customer": "CUS1", "valid_from": day(0), "valid_to": day(9), "lines": [{"sku": "PEN", "unit_price": "9"}]},
                       expect=201)
    assert sales.post(f"{CONTRACTS}/{draft['number']}/cancel", {"version": draft["version"], "reason": "写错了 wrong terms"})["status"] == "cancelled"
    assert order(sales, draft["number"], [{"sku": "PEN", "qty": "1"}], expect=409)["error"] == "contract_not_active"

    # One that ended yesterday is no longer named by a new order; an order named while it ran is still confirmed, warned.
    ending = in_force(sales)
    named = order(sales, ending["number"], [{"sku": "PEN", "qty": "12"}])
    with db.write() as session:
        session.execute(update(SalesContract).where(SalesContract.number == ending["number"]).values(valid_to=local_today() - dt.timedelta(days=1)))
    assert sales.get(f"{CONTRACTS}/{ending['number']}")["expired"] is True
    refused = order(sales, ending["number"], [{"sku": "PEN", "qty": "1"}], expect=409)
    assert refused["error"] == "contract_expired" and day(-1) in refused["message"]
    assert sales.get(CONTRACTS, customer="CUS1", status="active", valid_on=day(0))["items"] == []
    assert [w["kind"] for w in sales.get(f"/api/v1/sales-orders/{named['number']}")["contract_warnings"]] == ["outside_validity"]
    done = sales.post(f"/api/v1/sales-orders/{named['number']}/confirm", {"version": named["version"]})
    assert done["status"] == "confirmed" and [w["kind"] for w in done["contract_warnings"]] == ["outside_validity"]
    assert done["contract_warnings"][0]["valid_to"] == day(-1)

    # Not in force yet: from next week; and one already over cannot be put into force.
    later = sales.post(CONTRACTS, {"customer": "CUS1", "valid_from": day(7), "valid_to": day(30), "lines": [{"sku": "PEN", "unit_price": "9"}]},
                       expect=201)
    later = sales.post(f"{CONTRACTS}/{later['number']}/activate", {"version": later["version"]})
    assert order(sales, later["number"], [{"sku": "PEN", "qty": "1"}], expect=409)["error"] == "contract_not_yet_valid"
    over = sales.post(CONTRACTS, {"customer": "CUS1", "valid_from": day(-30), "valid_to": day(-1), "lines": [{"sku": "PEN", "unit_price": "9"}]},
                      expect=201)
    assert sales.post(f"{CONTRACTS}/{over['number']}/activate", {"version": over["version"]}, expect=409)["error"] == "contract_expired"


def test_an_order_draws_only_its_own_customers_contract_in_its_currency(client, shop, as_role):
    sales = shop["sales"]
    contract = in_force(sales)["number"]
    other = sales.post("/api/v1/sales-orders", {"customer": "CUS2", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1", "unit_price": "10"}],
                                                "contract": contract}, expect=422)
    assert other["error"] == "partner_mismatch" and other["details"]["field"] == "contract" and "CUS1" in other["message"]
    assert order(sales, contract, [{"sku": "PEN", "qty": "1"}], expect=422, currency="USD")["error"] == "currency_mismatch"
    assert order(sales, "SC-1999-00001", [{"sku": "PEN", "qty": "1"}], expect=422)["error"] == "unknown_reference"
    # A contract in dollars: an order naming it is in dollars without saying so.
    Api(client, as_role("finance")).put("/api/v1/exchange-rates", {"currency": "USD", "on": day(0), "rate": "7.2"})
    dollars = in_force(sales, currency="USD", lines=[{"sku": "PEN", "unit_price": "1.5"}])
    so = order(sales, dollars["number"], [{"sku": "PEN", "qty": "10"}])
    assert (so["currency"], so["exchange_rate"], so["lines"][0]["unit_price"]) == ("USD", "7.2", "1.5")
    # A draft names, changes or drops its contract; a confirmed order's is frozen.
    plain = order(sales, None, [{"sku": "PEN", "qty": "2"}])
    assert plain["contract"] is None and plain["lines"][0]["unit_price"] == "12"
    named = sales.patch(f"/api/v1/sales-orders/{plain['number']}", {"version": plain["version"], "contract": contract, "lines": [{"sku": "PEN", "qty": "2"}]})
    assert named["contract"] == contract and named["lines"][0]["unit_price"] == "10"
    dropped = sales.patch(f"/api/v1/sales-orders/{plain['number']}", {"version": named["version"], "contract": ""})
    assert dropped["contract"] is None and dropped["contract_warnings"] == []
    done = confirmed(sales, contract, [{"sku": "PEN", "qty": "1"}])
    assert sales.patch(f"/api/v1/sales-orders/{done['number']}", {"version": done["version"], "contract": ""}, expect=409)["error"] == "frozen_field"


@pytest.mark.parametrize("change,status,code", [
    ({"valid_from": day(10), "valid_to": day(9)}, 422, "invalid_range"),
    ({"lines": [{"sku": "PEN", "unit_price": "10"}, {"sku": "PEN", "unit": "carton", "unit_price": "110"}]}, 422, "duplicate_line"),
    ({"lines": [{"sku": "PEN", "unit": "pallet", "unit_price": "10"}]}, 422, "unknown_unit"),
    ({"lines": [{"sku": "PEN", "unit_price": "10", "qty": "0"}]}, 422, "invalid"),
    ({"lines": [{"sku": "RICE", "unit_price": "10", "qty": "1.23456"}]}, 422, "invalid"),
    ({"lines": [{"sku": "PEN", "unit_price": "-1"}]}, 422, "invalid"),
    ({"lines": [{"sku": "NOPE", "unit_price": "1"}]}, 422, "unknown_sku"),
    ({"lines": []}, 400, "invalid_request"),
    ({"customer": "NOBODY"}, 422, "unknown_reference"),
    ({"currency": "XYZ"}, 422, "unknown_currency"),
    ({"valid_to": "next month"}, 400, "invalid_request"),
])
def test_a_contract_with_bad_terms_is_refused_naming_what_is_wrong_and_nothing_is_written(client, shop, change, status, code):
    sales = shop["sales"]
    body = {"customer": "CUS1", "valid_from": day(0), "valid_to": day(30), "lines": [{"sku": "PEN", "unit_price": "10"}], **change}
    refused = sales.post(CONTRACTS, body, expect=status)
    assert refused["error"] == code, refused
    if code == "duplicate_line":
        assert refused["details"]["field"] == "lines[1].sku" and "line 1" in refused["message"]
    assert sales.get(CONTRACTS)["total"] == 0


def test_a_draft_contract_changes_until_it_is_in_force_and_its_history_names_each_step(client, shop, as_role):
    sales, admin = shop["sales"], shop["admin"]
    draft = sales.post(CONTRACTS, {"customer": "CUS1", "valid_from": day(0), "valid_to": day(30), "lines": [{"sku": "PEN", "unit_price": "10"}]},
                       expect=201)
    changed = sales.patch(f"{CONTRACTS}/{draft['number']}", {"version": draft["version"], "valid_to": day(90), "lines": [
        {"sku": "RICE", "unit_price": "7", "qty": "100"}, {"sku": "PEN", "unit": "carton", "unit_price": "115", "qty": "5"}]})
    assert changed["version"] == 2 and changed["valid_to"] == day(90)
    assert [(line["line"], line["sku"], line["qty"]) for line in changed["lines"]] == [(1, "RICE", "100"), (2, "PEN", "60")]
    stale = sales.patch(f"{CONTRACTS}/{draft['number']}", {"version": 1, "note": "x"}, expect=409)
    assert stale["error"] == "stale_version"
    sales.patch(f"{CONTRACTS}/{draft['number']}", {"version": 2, "valid_from": day(91)}, expect=422)  # after its end
    active = sales.post(f"{CONTRACTS}/{draft['number']}/activate", {"version": 2})
    frozen = sales.patch(f"{CONTRACTS}/{draft['number']}", {"version": active["version"], "lines": [{"sku": "PEN", "unit_price": "1"}]}, expect=409)
    assert frozen["error"] == "frozen_field"
    sales.post(f"{CONTRACTS}/{draft['number']}/activate", {"version": active["version"]}, expect=409)
    sales.post(f"{CONTRACTS}/{draft['number']}/close", {"version": active["version"]})
    told = [(e["action"], e["said_en"], e["said_zh"]) for e in admin.get(f"/api/v1/history/sales_contract/{draft['number']}")["items"]]
    assert told == [("sales_contract.create", "create", "创建"), ("sales_contract.update", "change", "修改"),
                    ("sales_contract.activate", "put into force", "生效"), ("sales_contract.close", "close", "关闭")]
    # Reading contracts needs prices: a warehouse worker is refused, even one that is not there.
    worker = Api(client, as_role("warehouse"))
    assert worker.get(f"{CONTRACTS}/{draft['number']}", expect=403)["details"]["permission"] == "prices.read"
    assert worker.get(f"{CONTRACTS}/SC-1999-00001", expect=403)["error"] == "forbidden"
    assert sales.get(f"{CONTRACTS}/SC-1999-00001", expect=404)["error"] == "not_found"
    assert Api(client, as_role("warehouse")).post(CONTRACTS, {"customer": "CUS1", "valid_from": day(0), "valid_to": day(1), "lines": [
        {"sku": "PEN", "unit_price": "1"}]}, expect=403)["details"]["permission"] == "sales.contracts"


# At the desk --------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_salesperson_writes_a_contract_at_the_desk_draws_it_down_and_is_warned_going_beyond_it(browser, client, live_server, shop, db):
    from tests.test_desk_sales import at_desk, go
    from tests.test_office import cells, use_language

    sales = shop["sales"]
    add_user(db, "sally", ["sales"])
    context, page = at_desk(browser, live_server, "sally", "sales-contracts")
    try:
        use_language(page, "en")
        # The contract: pens at 120 a carton, ten cartons, until the end of 2099.
        page.get_by_role("link", name="New contract").click()
        form = page.locator("#contract-form")
        form.get_by_label("Customer", exact=True).fill("CUS1")
        assert form.get_by_label("Valid from").input_value() == day(0)
        form.get_by_label("Valid to").fill("2099-12-31")
        form.get_by_label("SKU 1", exact=True).fill("PEN")
        form.get_by_label("SKU 1", exact=True).press("Tab")
        form.locator("[aria-label='Unit 1'] option[value=carton]").wait_for(state="attached")
        form.get_by_label("Unit 1", exact=True).select_option("carton")
        form.get_by_label("Agreed price 1", exact=True).fill("120")
        form.get_by_label("Agreed quantity 1", exact=True).fill("10")
        form.get_by_role("button", name="Create the contract").click()
        page.locator("#contract-lines tr[data-sku=PEN]").wait_for()
        number = page.locator("#app h3").inner_text().split(" · ")[0]
        page.get_by_role("button", name="Put into force").click()
        page.locator(".facts [data-field=status] dd", has_text="In force").wait_for()
        assert cells(page, "#contract-lines tbody tr")[0][4:9] == ["120.00 CNY", "10 carton = 120 pcs", "0 pcs", "120 pcs", "—"]
        assert sales.get(f"{CONTRACTS}/{number}")["status"] == "active"

        # An order for CUS1 draws it: the picker offers the customer's contract, and the pen takes the contract's 10.
        go(page, "#/office/sales-orders/new")
        form = page.locator("#so-form")
        form.get_by_label("Customer", exact=True).fill("CUS1")
        form.get_by_label("Customer", exact=True).press("Tab")
        form.get_by_label("Warehouse").select_option("WH1")
        form.locator(f"[name=contract] option[value='{number}']").wait_for(state="attached")
        form.get_by_label("Contract").select_option(number)
        form.get_by_label("SKU 1", exact=True).fill("PEN")
        form.get_by_label("Quantity 1", exact=True).fill("24")
        form.get_by_label("Quantity 1", exact=True).press("Tab")
        page.wait_for_function("() => document.querySelector('[aria-label=\"Unit price 1\"]').value === '10'")
        assert f"Contract price 10.00 ({number})" in form.locator("tr[data-row='1'] [data-field=price-hint]").inner_text()
        form.get_by_role("button", name="Create the sales order").click()
        page.locator("#so-lines tr[data-sku=PEN]").wait_for()
        assert page.locator(".facts [data-field=contract] dd").inner_text() == number
        assert page.locator("#contract-warnings").count() == 0
        page.get_by_role("button", name="Confirm").click()
        page.locator(".facts [data-field=status] dd", has_text="Confirmed").wait_for()
        first = page.locator("#app h3").inner_text().split(" · ")[0]

        # The contract now has 96 pens left, drawn by that order.
        page.locator(".facts [data-field=contract] a").click()
        page.locator("#contract-orders tr[data-so]").first.wait_for()
        assert page.locator("#contract-lines tr[data-sku=PEN] [data-field=remaining]").inner_text() == "96 pcs"
        assert page.locator("#contract-lines tr[data-sku=PEN] [data-field=drawn]").inner_text() == "24 pcs"
        assert [r[0] for r in cells(page, "#contract-orders tbody tr")] == [first]

        # 100 more is beyond it: the draft says so, and may still be confirmed; the order keeps the warning and who confirmed it.
        go(page, "#/office/sales-orders/new")
        form = page.locator("#so-form")
        form.get_by_label("Customer", exact=True).fill("CUS1")
        form.get_by_label("Customer", exact=True).press("Tab")
        form.get_by_label("Warehouse").select_option("WH1")
        form.locator(f"[name=contract] option[value='{number}']").wait_for(state="attached")
        form.get_by_label("Contract").select_option(number)
        form.get_by_label("SKU 1", exact=True).fill("PEN")
        form.get_by_label("Quantity 1", exact=True).fill("100")
        form.get_by_label("Quantity 1", exact=True).press("Tab")
        page.wait_for_function("() => document.querySelector('[aria-label=\"Unit price 1\"]').value === '10'")
        form.get_by_role("button", name="Create the sales order").click()
        warning = page.locator("#contract-warnings li[data-kind=over_quantity]")
        warning.wait_for()
        assert f"100 pcs ordered, but only 96 pcs remain on contract {number}" in warning.inner_text()
        assert "may still be confirmed" in page.locator("#contract-warnings [data-field=hint]").inner_text()
        page.get_by_role("button", name="Confirm").click()
        page.locator(".facts [data-field=contract-exceeded] dd", has_text="sally").wait_for()
        assert page.locator("#contract-warnings h4").inner_text() == "What the contract warned of when the order was confirmed"
        second = page.locator("#app h3").inner_text().split(" · ")[0]
        assert sales.get(f"/api/v1/sales-orders/{second}")["contract_exceeded_by"] == "sally"

        page.locator(".facts [data-field=contract] a").click()
        page.locator(f"#contract-orders tr[data-so='{second}']").wait_for()
        assert page.locator("#contract-lines tr[data-sku=PEN] [data-field=remaining]").inner_text() == "0 pcs"
        assert page.locator("#contract-lines tr[data-sku=PEN] [data-field=over]").inner_text() == "4 pcs"
        use_language(page, "zh")
        page.locator(".facts [data-field=status] dd", has_text="生效中").wait_for()
        assert page.evaluate("[...globalThis.cangkuMissingText]") == []
    finally:
        context.close()
