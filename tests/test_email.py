"""Documents by e-mail, on SQLite and PostgreSQL, to a real SMTP server on 127.0.0.1 (aiosmtpd): a purchaser sends an
approved purchase order to its supplier, a finance clerk an invoice or a customer's statement to the customer — the
same PDF the print button gives, attached to a short letter in the chosen language — and each e-mail is recorded on
the document (who, to whom, when, whether the mail server took it) and in its history. What is typed never reaches the
mail server as a header it was not meant to be: a line break in an address or a subject is refused, and nothing is
sent or written. A mail server that is down is said so, and the attempt recorded as failed."""

from __future__ import annotations

import email
import email.policy
import io
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pypdf import PdfReader

from server.errors import InvalidInput
from server.mail import letters
from server.settings import Settings
from server.testing import free_port
from tests.desk import open_desk
from tests.helpers import add_user, post_move
from tests.stories import Api, customer_and_areas
from tests.test_desk_purchasing import no_text_missing, nothing_overflows
from tests.test_printed_documents import ordered_from_sup1, shipped_to_cus1

SENDER = "仓库 Cangku <erp@cangku.example>"


class Inbox:
    """What the local mail server received: each message with its envelope's recipients. Addresses on `refuse` are
    refused at RCPT, as a mail server refuses a mailbox it does not know."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def only(self) -> tuple[list[str], EmailMessage]:
        assert len(self.received) == 1, self.received
        return self.received[0]


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    """A mail server on a free local port for the test's length."""
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def settings(tmp_path, smtp) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(data_dir=tmp_path, database_url=None, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none",
                    smtp_from=SENDER, smtp_timeout_seconds=5)


def attached(message: EmailMessage) -> tuple[str, list[str]]:
    """The one attachment's file name and its pages' text (it must be a PDF)."""
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    return part.get_filename(), [page.extract_text() for page in PdfReader(io.BytesIO(part.get_content())).pages]


def body_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def invoiced_cus1(client, as_role, price: str = "5") -> str:  # type: ignore[no-untyped-def]
    """A posted invoice to CUS1 for 3 PEN at `price`."""
    customer_and_areas(Api(client, as_role("admin")))
    post_move(client, as_role("warehouse"), "PEN", 3, "SUPPLIER", "B1", unit_cost="1")
    number, _ = shipped_to_cus1(client, as_role, [("PEN", "3", price)])
    return Api(client, as_role("finance")).post(f"/api/v1/sales-orders/{number}/invoice", {}, expect=201)["number"]


def history_actions(api: Api, kind: str, number: str) -> list[tuple[str, str, str]]:
    return [(e["action"], e["said_en"], e["said_zh"]) for e in api.get(f"/api/v1/history/{kind}/{number}")["items"]]


# Sending -------------------------------------------------------------------------------------------------------------


def test_a_purchaser_emails_an_approved_purchase_order_to_the_supplier_with_its_pdf_attached(client, world, as_role, smtp):
    number = ordered_from_sup1(client, as_role, [{"sku": "PEN", "qty": "10", "unit_price": "10.95"}])
    Api(client, as_role("admin")).patch("/api/v1/partners/SUP1", {"email": "orders@sup1.example"})
    purchaser = Api(client, as_role("purchaser"))

    draft = purchaser.get(f"/api/v1/documents/purchase_order/{number}/email", language="zh")
    assert draft["configured"] is True and draft["sender"] == SENDER
    assert draft["to"] == ["orders@sup1.example"] and draft["cc"] == [] and draft["language"] == "zh"
    assert draft["subject"] == f"采购订单 {number} - 仓库示范贸易有限公司"

    sent = purchaser.post(f"/api/v1/documents/purchase_order/{number}/email",
                          {"cc": ["王经理 <boss@cangku.example>"], "message": "请于下周一前发货。\n谢谢！", "language": "zh"}, expect=201)
    assert (sent["outcome"], sent["to"], sent["cc"], sent["sent_by"]) == ("sent", ["orders@sup1.example"], ["王经理 <boss@cangku.example>"], "purchaser1")
    assert sent["attachment"] == f"{number}.pdf" and sent["error"] == "" and sent["message_id"].endswith("@cangku.example>")

    recipients, message = smtp.only()
    assert recipients == ["orders@sup1.example", "boss@cangku.example"]
    assert message["Subject"] == draft["subject"] and message["From"] == SENDER and message["To"] == "orders@sup1.example"
    assert message["Cc"] == "王经理 <boss@cangku.example>" and message["Message-ID"] == sent["message_id"]
    body = body_of(message)
    assert f"附件是我司的采购订单 {number}" in body and "请于下周一前发货。\n谢谢！" in body and "purchaser1" in body
    name, [page] = attached(message)
    assert name == f"{number}.pdf"
    assert "采购订单" in page and number in page and "供应商一" in page and "123.74" in page  # the PDF with its prices, as printed

    listed = purchaser.get(f"/api/v1/documents/purchase_order/{number}/emails")
    assert listed["total"] == 1 and listed["items"] == [sent]
    assert history_actions(purchaser, "po", number)[-1] == ("document.email", "send by e-mail", "发送邮件")
    entry = Api(client, as_role("admin")).get(f"/api/v1/history/po/{number}")["items"][-1]
    assert entry["details"]["to"] == ["orders@sup1.example"] and entry["details"]["outcome"] == "sent"


def test_an_invoice_goes_to_the_customers_contacts_in_english_with_the_clerks_subject(client, world, as_role, smtp):
    number = invoiced_cus1(client, as_role)
    Api(client, as_role("admin")).patch("/api/v1/partners/CUS1", {"contacts": [
        {"name": "Wang Fang", "role": "Accounts payable", "email": "wang@cus1.example"},
        {"name": "李娜", "role": "采购", "email": "li@cus1.example"},
        {"name": "No mail", "role": "", "email": "not an address"}]})
    finance = Api(client, as_role("finance"))
    draft = finance.get(f"/api/v1/documents/invoice/{number}/email", language="en")
    assert draft["to"] == ["Wang Fang <wang@cus1.example>", "李娜 <li@cus1.example>"]
    assert [c["role"] for c in draft["contacts"]] == ["Accounts payable", "采购"]
    assert draft["subject"] == f"Invoice {number} from Cangku Demo Trading Co., Ltd."

    sent = finance.post(f"/api/v1/documents/invoice/{number}/email", {"subject": "Your invoice for November", "language": "en"}, expect=201)
    assert sent["to"] == draft["to"] and sent["language"] == "en"
    recipients, message = smtp.only()
    assert recipients == ["wang@cus1.example", "li@cus1.example"] and message["Subject"] == "Your invoice for November"
    assert f"Please find attached our invoice {number} (PDF)." in body_of(message) and "Kind regards" in body_of(message)
    name, [page] = attached(message)
    assert name == f"{number}.pdf" and "Sales invoice" in page and number in page and "16.95" in page  # 3 × 5 + 13 % VAT
    assert history_actions(finance, "invoice", number)[-1][0] == "document.email"


def test_a_customers_statement_for_a_period_is_emailed_and_recorded_on_the_customer(client, world, as_role, smtp):
    number = invoiced_cus1(client, as_role)
    finance = Api(client, as_role("finance"))
    invoice_date = finance.get(f"/api/v1/invoices/{number}")["invoice_date"]
    period = {"from": invoice_date[:8] + "01", "to": invoice_date}
    path = "/api/v1/documents/statement/CUS1/email?" + "&".join(f"{k}={v}" for k, v in period.items())
    response = client.post(path, headers=finance.headers, json={"to": ["ap@cus1.example"], "language": "zh"})
    assert response.status_code == 201, response.text
    sent = response.json()
    assert (sent["kind"], sent["number"], sent["period_from"], sent["period_to"]) == ("statement", "CUS1", period["from"], period["to"])
    assert sent["subject"] == f"客户对账单 CUS1 {period['from']} – {period['to']} - 仓库示范贸易有限公司"

    _, message = smtp.only()
    assert "请核对" in body_of(message) and "签字盖章后回传" in body_of(message)
    name, [page] = attached(message)
    assert name == f"statement-CUS1-{period['to']}.pdf" and "客户对账单" in page and number in page and "16.95" in page
    assert finance.get("/api/v1/documents/statement/CUS1/emails")["items"] == [sent]
    audited = Api(client, as_role("admin")).get("/api/v1/audit", action="document.email")["items"]
    assert [(e["target_type"], e["target_id"], e["details"]["period_from"]) for e in audited] == [("partner", "CUS1", period["from"])]


def test_a_shipped_orders_delivery_note_goes_to_the_customer_and_is_recorded_on_the_order(client, world, as_role, smtp):
    customer_and_areas(Api(client, as_role("admin")))
    post_move(client, as_role("warehouse"), "PEN", 3, "SUPPLIER", "B1", unit_cost="1")
    number, _ = shipped_to_cus1(client, as_role, [("PEN", "3", "5")])
    Api(client, as_role("admin")).patch("/api/v1/partners/CUS1", {"email": "receiving@cus1.example"})
    sales = Api(client, as_role("sales"))

    draft = sales.get(f"/api/v1/documents/delivery_note/{number}/email", language="zh")
    assert draft["to"] == ["receiving@cus1.example"] and draft["subject"] == f"送货单 {number} - 仓库示范贸易有限公司"
    sent = sales.post(f"/api/v1/documents/delivery_note/{number}/email", {"message": "请签收后回传。", "language": "zh"}, expect=201)
    assert (sent["kind"], sent["number"], sent["outcome"], sent["to"]) == ("delivery_note", number, "sent", ["receiving@cus1.example"])
    assert sent["attachment"] == f"{number}-delivery-note.pdf"

    recipients, message = smtp.only()
    assert recipients == ["receiving@cus1.example"] and message["Subject"] == draft["subject"]
    assert f"附件是我司的送货单 {number}" in body_of(message) and "请签收后回传。" in body_of(message)
    name, [page] = attached(message)
    printed = client.get(f"/api/v1/sales-orders/{number}/delivery-note.pdf", headers=sales.headers, params={"lang": "zh"})
    assert name == printed.headers["content-disposition"].split('filename="')[1].rstrip('"')
    assert "送货单" in page and number in page and "客户一" in page and "收货人签收" in page  # the PDF the print link opens
    assert sales.get(f"/api/v1/documents/delivery_note/{number}/emails")["items"] == [sent]
    assert history_actions(sales, "so", number)[-1] == ("document.email", "send by e-mail", "发送邮件")


def test_a_delivery_note_is_not_sent_before_its_order_ships_nor_by_who_may_not_see_prices(client, world, as_role, smtp):
    customer_and_areas(Api(client, as_role("admin")))
    sales = Api(client, as_role("sales"))
    order = sales.post("/api/v1/sales-orders", {"customer": "CUS1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1", "unit_price": "5"}]},
                       expect=201)
    refused = sales.post(f"/api/v1/documents/delivery_note/{order['number']}/email", {"to": ["a@cus1.example"]}, expect=409)
    assert refused["error"] == "wrong_state" and "发货后才能发送送货单" in refused["details"]["message_zh"]
    assert "once it has shipped" in refused["details"]["message_en"]
    missing = sales.post("/api/v1/documents/delivery_note/SO-1999-00001/email", {"to": ["a@cus1.example"]}, expect=404)
    assert missing["error"] == "not_found"
    forbidden = client.post(f"/api/v1/documents/delivery_note/{order['number']}/email", headers=as_role("warehouse"), json={"to": ["a@cus1.example"]})
    assert forbidden.status_code == 403
    assert smtp.received == [] and sales.get(f"/api/v1/documents/delivery_note/{order['number']}/emails")["total"] == 0


def test_sending_again_with_the_same_idempotency_key_sends_nothing_more(client, world, as_role, smtp):
    number = invoiced_cus1(client, as_role)
    finance = as_role("finance")
    headers = {**finance, "Idempotency-Key": "mail-1"}
    first = client.post(f"/api/v1/documents/invoice/{number}/email", headers=headers, json={"to": ["ap@cus1.example"]})
    again = client.post(f"/api/v1/documents/invoice/{number}/email", headers=headers, json={"to": ["ap@cus1.example"]})
    assert (first.status_code, again.status_code) == (201, 200) and again.json() == first.json()
    assert len(smtp.received) == 1


def test_a_recipient_the_mail_server_refuses_is_named_on_the_record_while_the_others_get_it(client, world, as_role, smtp):
    number = invoiced_cus1(client, as_role)
    smtp.refuse.add("gone@cus1.example")
    sent = Api(client, as_role("finance")).post(f"/api/v1/documents/invoice/{number}/email",
                                                {"to": ["ap@cus1.example"], "cc": ["gone@cus1.example"]}, expect=201)
    assert sent["outcome"] == "sent" and "gone@cus1.example: 550 5.1.1 No such mailbox here" in sent["error"]
    assert smtp.only()[0] == ["ap@cus1.example"]


# Refused before anything is sent -------------------------------------------------------------------------------------


INJECTIONS = [
    ({"to": ["buyer@cus1.example\r\nBcc: spy@evil.example"]}, "invalid_email", "to"),
    ({"to": ["buyer@cus1.example"], "cc": ["boss@cus1.example\nBcc: spy@evil.example"]}, "invalid_email", "cc"),
    ({"to": ["buyer@cus1.example"], "subject": "Invoice\r\nBcc: spy@evil.example"}, "invalid_email", "subject"),
    ({"to": ["buyer@cus1.example"], "subject": "Invoice\u2028Bcc: spy@evil.example"}, "invalid_email", "subject"),
    ({"to": ["buyer@cus1.example, spy@evil.example"]}, "invalid_email", "to"),
    ({"to": ["buyer@cus1.example <spy@evil.example>"]}, "invalid_email", "to"),
    ({"to": ["not an address"]}, "invalid_email", "to"),
    ({"to": ["buyer@cus1.example"], "message": "hello\x00"}, "invalid_email", "message"),
    ({"to": []}, "no_recipients", "to"),
    ({"to": [f"r{n}@cus1.example" for n in range(15)], "cc": [f"c{n}@cus1.example" for n in range(6)]}, "too_many_recipients", "to"),
]


@pytest.mark.parametrize("body,code,field", INJECTIONS, ids=[f"{code}-{field}-{n}" for n, (_, code, field) in enumerate(INJECTIONS)])
def test_a_line_break_or_a_second_address_where_one_belongs_is_refused_and_nothing_is_sent_or_written(client, world, as_role, smtp,
                                                                                                         body, code, field):
    number = invoiced_cus1(client, as_role)
    finance = Api(client, as_role("finance"))
    for lang in ("en", "zh-CN"):
        response = client.post(f"/api/v1/documents/invoice/{number}/email", headers={**finance.headers, "Accept-Language": lang}, json=body)
        assert response.status_code == 422, response.text
        refusal = response.json()
        assert refusal["error"] == code and refusal["details"]["field"] == field
        assert refusal["details"]["message_en"] != refusal["details"]["message_zh"]
    assert smtp.received == []
    assert finance.get(f"/api/v1/documents/invoice/{number}/emails")["total"] == 0
    assert all(action[0] != "document.email" for action in history_actions(finance, "invoice", number))


def test_a_purchase_order_not_yet_approved_is_not_sent(client, world, as_role, smtp):
    number = ordered_from_sup1(client, as_role, [{"sku": "PEN", "qty": "1", "unit_price": "1"}])
    purchaser = Api(client, as_role("purchaser"))
    draft = purchaser.post("/api/v1/purchase-orders", {"supplier": "SUP1", "warehouse": "WH1", "lines": [{"sku": "PEN", "qty": "1", "unit_price": "1"}]},
                           expect=201)
    refused = purchaser.post(f"/api/v1/documents/purchase_order/{draft['number']}/email", {"to": ["orders@sup1.example"]}, expect=409)
    assert refused["error"] == "wrong_state" and "审批通过后才能发送" in refused["details"]["message_zh"]
    missing = purchaser.post("/api/v1/documents/purchase_order/PO-1999-00001/email", {"to": ["orders@sup1.example"]}, expect=404)
    assert missing["error"] == "not_found"
    unknown = purchaser.post(f"/api/v1/documents/receipt/{number}/email", {"to": ["orders@sup1.example"]}, expect=404)
    assert unknown["error"] == "unknown_kind" and unknown["details"]["kinds"] == ["purchase_order", "invoice", "delivery_note", "statement"]
    assert smtp.received == []


def test_a_partner_without_an_address_on_file_needs_one_typed(client, world, as_role, smtp):
    number = invoiced_cus1(client, as_role)
    finance = Api(client, as_role("finance"))
    assert finance.get(f"/api/v1/documents/invoice/{number}/email")["to"] == []
    refused = finance.post(f"/api/v1/documents/invoice/{number}/email", {}, expect=422)
    assert refused["error"] == "no_recipients" and refused["details"]["field"] == "to"
    assert smtp.received == [] and finance.get(f"/api/v1/documents/invoice/{number}/emails")["total"] == 0


def test_only_who_may_print_the_document_with_its_prices_may_email_it_or_read_its_emails(client, world, as_role, smtp):
    invoice = invoiced_cus1(client, as_role)
    po = ordered_from_sup1(client, as_role, [{"sku": "PEN", "qty": "1", "unit_price": "1"}])
    for role, path in (("warehouse", f"invoice/{invoice}"), ("warehouse", f"purchase_order/{po}"), ("viewer", f"purchase_order/{po}"),
                       ("sales", "statement/CUS1"), ("purchaser", "statement/CUS1"), ("warehouse", "invoice/INV-1999-00001")):
        headers = as_role(role)
        sent = client.post(f"/api/v1/documents/{path}/email", headers=headers, json={"to": ["a@cus1.example"]})
        assert sent.status_code == 403 and sent.json()["error"] == "forbidden", (role, path)
        assert client.get(f"/api/v1/documents/{path}/emails", headers=headers).status_code == 403
        assert client.get(f"/api/v1/documents/{path}/email", headers=headers).status_code == 403
    assert smtp.received == []
    sales = Api(client, as_role("sales"))
    assert sales.post(f"/api/v1/documents/invoice/{invoice}/email", {"to": ["a@cus1.example"]}, expect=201)["sent_by"].startswith("sales")


# When the mail server is not there ------------------------------------------------------------------------------------


def test_a_mail_server_that_is_down_is_said_so_and_the_attempt_is_recorded_as_failed(app, client, world, as_role, smtp, settings):
    number = invoiced_cus1(client, as_role)
    app.state.settings = settings.with_overrides(smtp_port=free_port())  # nothing listens there
    finance = Api(client, as_role("finance"))
    response = client.post(f"/api/v1/documents/invoice/{number}/email", headers={**finance.headers, "Accept-Language": "zh-CN"},
                           json={"to": ["ap@cus1.example"], "message": "见附件"})
    assert response.status_code == 502, response.text
    refusal = response.json()
    assert refusal["error"] == "email_not_sent" and "邮件未发出" in refusal["message"] and refusal["details"]["reason"] == "connection refused"
    [failed] = finance.get(f"/api/v1/documents/invoice/{number}/emails")["items"]
    assert (failed["outcome"], failed["error"], failed["to"], failed["message"]) == ("failed", "connection refused", ["ap@cus1.example"], "见附件")
    assert history_actions(finance, "invoice", number)[-1] == ("document.email_failed", "e-mail not sent", "邮件未发出")
    assert smtp.received == []


def test_a_mail_server_that_refuses_the_sign_in_is_said_so(app, client, world, as_role, smtp, settings):
    def authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"cangku", b"right")
        return AuthResult(success=ok, handled=False)

    port = free_port()
    guarded = Controller(smtp, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False)
    guarded.start()
    try:
        number = invoiced_cus1(client, as_role)
        finance = as_role("finance")
        for password, status in (("wrong", 502), ("right", 201)):
            app.state.settings = settings.with_overrides(smtp_port=port, smtp_username="cangku", smtp_password=password)
            response = client.post(f"/api/v1/documents/invoice/{number}/email", headers=finance, json={"to": ["ap@cus1.example"]})
            assert response.status_code == status, response.text
        assert client.get(f"/api/v1/documents/invoice/{number}/emails", headers=finance).json()["items"][1]["error"].startswith("535")
        assert len(smtp.received) == 1
    finally:
        guarded.stop()


def test_a_server_without_email_set_up_says_so_and_sends_nothing(app, client, world, as_role, smtp, settings):
    number = invoiced_cus1(client, as_role)
    app.state.settings = settings.with_overrides(smtp_host="")
    finance = Api(client, as_role("finance"))
    assert finance.get(f"/api/v1/documents/invoice/{number}/email")["configured"] is False
    refused = finance.post(f"/api/v1/documents/invoice/{number}/email", {"to": ["ap@cus1.example"]}, expect=409)
    assert refused["error"] == "email_not_configured" and "CANGKU_SMTP_HOST" in refused["message"]
    app.state.settings = settings.with_overrides(smtp_from="not an address")
    assert finance.post(f"/api/v1/documents/invoice/{number}/email", {"to": ["ap@cus1.example"]}, expect=409)["error"] == "email_not_configured"
    assert smtp.received == [] and finance.get(f"/api/v1/documents/invoice/{number}/emails")["total"] == 0


# Addresses, as typed ---------------------------------------------------------------------------------------------------


def test_an_address_may_carry_a_name_but_is_one_address_on_one_line():
    assert str(letters.address("  李四 <li@example.com> ", "to")) == "李四 <li@example.com>"
    assert letters.address("li@例子.中国", "cc").domain == "例子.中国"
    for typed in ("li@example", "li", "@example.com", "li@@example.com", "li@example..com", "a@example.com, b@example.com",
                  "a@example.com <b@example.com>", "li@example.com\r\nBcc: x@example.com", "li@example.com\x00"):
        with pytest.raises(InvalidInput):
            letters.address(typed, "to")


def test_the_smtp_settings_come_from_the_environment(monkeypatch):
    from server.settings import load_settings

    monkeypatch.setenv("CANGKU_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("CANGKU_SMTP_SECURITY", "SSL")
    monkeypatch.setenv("CANGKU_SMTP_FROM", "仓库 <erp@example.com>")
    monkeypatch.setenv("CANGKU_SMTP_TIMEOUT", "2.5")
    loaded = load_settings()
    assert (loaded.smtp_host, loaded.smtp_port, loaded.smtp_security, loaded.smtp_from, loaded.smtp_timeout_seconds) == (
        "mail.example.com", None, "ssl", "仓库 <erp@example.com>", 2.5)
    monkeypatch.setenv("CANGKU_SMTP_SECURITY", "tls")
    with pytest.raises(ValueError, match="CANGKU_SMTP_SECURITY"):
        load_settings()


# At the desk -------------------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_at_the_desk_a_clerk_emails_an_invoice_and_sees_it_listed_as_sent(browser, client, live_server, world, as_role, db, smtp):
    number = invoiced_cus1(client, as_role)
    Api(client, as_role("admin")).patch("/api/v1/partners/CUS1", {"email": "ap@cus1.example"})
    add_user(db, "fiona", ["finance"])
    context, page = open_desk(browser, live_server, "fiona")
    try:
        page.evaluate(f"location.hash = '#/office/invoices/{number}'")
        page.get_by_role("button", name="E-mail").click()
        dialog = page.get_by_role("dialog", name="E-mail")
        to = dialog.get_by_label("To")
        to.wait_for()
        page.wait_for_function("() => document.querySelector('dialog [name=to]')?.value")
        assert to.input_value() == "ap@cus1.example"
        assert dialog.get_by_label("Subject").input_value() == f"Invoice {number} from Cangku Demo Trading Co., Ltd."
        dialog.get_by_label("Cc").fill("boss@cangku.example")
        dialog.get_by_label("Message").fill("Payment within 15 days, please.")
        dialog.get_by_role("button", name="Send").click()
        sent = page.locator("#document-emails tr[data-outcome=sent]")
        sent.wait_for()
        assert "ap@cus1.example" in sent.inner_text() and "fiona" in sent.inner_text()
        recipients, message = smtp.only()
        assert recipients == ["ap@cus1.example", "boss@cangku.example"] and "Payment within 15 days, please." in body_of(message)
        assert attached(message)[0] == f"{number}.pdf"
        assert page.locator("dialog[open]").count() == 0
        nothing_overflows(page)
        no_text_missing(page)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])
def test_at_the_desk_a_salesperson_emails_a_shipped_orders_delivery_note_from_the_order(browser, client, live_server, world, as_role, db, smtp):
    customer_and_areas(Api(client, as_role("admin")))
    post_move(client, as_role("warehouse"), "PEN", 3, "SUPPLIER", "B1", unit_cost="1")
    number, _ = shipped_to_cus1(client, as_role, [("PEN", "3", "5")])
    Api(client, as_role("admin")).patch("/api/v1/partners/CUS1", {"email": "receiving@cus1.example"})
    add_user(db, "sally", ["sales"])
    context, page = open_desk(browser, live_server, "sally")
    try:
        page.evaluate(f"location.hash = '#/office/sales-orders/{number}'")
        page.get_by_role("button", name="E-mail").click()
        dialog = page.get_by_role("dialog", name="E-mail")
        dialog.get_by_label("To").wait_for()
        page.wait_for_function("() => document.querySelector('dialog [name=to]')?.value")
        assert dialog.get_by_label("To").input_value() == "receiving@cus1.example"
        assert dialog.get_by_label("Subject").input_value() == f"Delivery note {number} from Cangku Demo Trading Co., Ltd."
        dialog.get_by_role("button", name="Send").click()
        sent = page.locator("#document-emails tr[data-outcome=sent]")
        sent.wait_for()
        assert "receiving@cus1.example" in sent.inner_text() and "sally" in sent.inner_text()
        assert page.get_by_text("Sent by e-mail").count() == 1
        assert attached(smtp.only()[1])[0] == f"{number}-delivery-note.pdf"
        nothing_overflows(page)
        no_text_missing(page)
    finally:
        context.close()
