"""The e-mail itself: addresses and subject checked as a person typed them, the short letter in the reader's language, and
the message put together by the standard library (email.message.EmailMessage), the PDF attached. Pure functions.

Nothing typed reaches a header unchecked: an address must be one address (a display name allowed), a subject one line;
a line break or any other control character in either is refused, never stripped, so what is sent is what was typed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid

from server.errors import InvalidInput

MAX_RECIPIENTS = 20  # To and Cc together
MAX_ADDRESS = 320
MAX_SUBJECT = 200
MAX_MESSAGE = 4000
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: none belongs in a header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# In the message (the body), new lines and tabs are text; the other controls are not.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9\u00a1-\uffff]([A-Za-z0-9\u00a1-\uffff-]{0,61}[A-Za-z0-9\u00a1-\uffff])?\.)+"
                     r"[A-Za-z\u00a1-\uffff][A-Za-z0-9\u00a1-\uffff-]*$")

FIELD_NAMES = {"to": ("收件人", "To"), "cc": ("抄送", "Cc"), "subject": ("主题", "Subject"), "message": ("附言", "Message"),
               "from": ("发件人", "From")}


def _refused(field: str, en: str, zh: str, **details: object) -> InvalidInput:
    zh_name, en_name = FIELD_NAMES[field]
    return InvalidInput(f"{en_name}: {en}", f"{zh_name}：{zh}", code="invalid_email", field=field, **details)


def address(text: str, field: str) -> Address:
    """One e-mail address as typed ("li@example.com", or "李 <li@example.com>"), or a 422 naming the field."""
    shown = text.strip()
    if _CONTROL.search(text):
        raise _refused(field, f"{shown!r} contains a line break or another control character.", f"{shown!r} 含有换行符或其他控制字符。",
                       address=shown)
    if not shown or len(shown) > MAX_ADDRESS:
        raise _refused(field, f"{shown[:80]!r} is not an e-mail address.", f"“{shown[:80]}”不是电子邮件地址。", address=shown[:80])
    found = getaddresses([shown])
    parsed = None
    if len(found) == 1 and found[0][1].count("@") == 1:
        try:
            parsed = Address(display_name=found[0][0], addr_spec=found[0][1])
        except (HeaderParseError, ValueError, IndexError):
            parsed = None
    if parsed is None or not parsed.username or not _DOMAIN.match(parsed.domain):
        raise _refused(field, f"{shown!r} is not one e-mail address (write one per entry, like li@example.com).",
                       f"“{shown}”不是一个有效的电子邮件地址（每项一个，如 li@example.com）。", address=shown)
    return parsed


def recipients(to: list[Address], cc: list[Address]) -> tuple[list[Address], list[Address]]:
    """To and Cc, each address once (To first), at least one To and at most MAX_RECIPIENTS in all."""
    seen: set[str] = set()

    def once(addresses: list[Address]) -> list[Address]:
        kept = []
        for parsed in addresses:
            if parsed.addr_spec.lower() not in seen:
                seen.add(parsed.addr_spec.lower())
                kept.append(parsed)
        return kept

    to, cc = once(to), once(cc)
    if not to:
        raise InvalidInput("To: say whom to send it to (the partner has no e-mail address on file).",
                           "收件人：请填写收件人（该往来单位未登记电子邮件地址）。", code="no_recipients", field="to")
    if len(to) + len(cc) > MAX_RECIPIENTS:
        raise InvalidInput(f"To: at most {MAX_RECIPIENTS} recipients, To and Cc together.", f"收件人：收件人和抄送合计最多 {MAX_RECIPIENTS} 个。",
                           code="too_many_recipients", field="to", limit=MAX_RECIPIENTS)
    return to, cc


def subject(text: str) -> str:
    """A subject as typed: one line, not empty, at most MAX_SUBJECT characters."""
    if _CONTROL.search(text):
        raise _refused("subject", "a line break or another control character cannot be in a subject.", "主题中不能含有换行符或其他控制字符。")
    if not text.strip() or len(text) > MAX_SUBJECT:
        raise _refused("subject", f"write a subject of at most {MAX_SUBJECT} characters.", f"请填写主题（最多 {MAX_SUBJECT} 个字符）。")
    return text.strip()


def message_text(text: str) -> str:
    """The sender's own words, several lines if they like: no control characters but new lines and tabs."""
    if _BODY_CONTROL.search(text) or len(text) > MAX_MESSAGE:
        raise _refused("message", f"at most {MAX_MESSAGE} characters, and no control characters.", f"最多 {MAX_MESSAGE} 个字符，且不能含有控制字符。")
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def sender(text: str) -> Address:
    """The configured sender (CANGKU_SMTP_FROM), checked as a typed address is."""
    return address(text, "from")


# The letter ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Letter:
    """What a document's e-mail says, in one language."""

    lang: str  # zh | en
    title_zh: str  # the document's name: 采购订单, Purchase order
    title_en: str
    reference: str  # the document's number, or a statement's partner and period
    company: str  # the company's name in that language
    signed: str  # who sends it: their display name, or user name
    statement: bool = False

    @property
    def title(self) -> str:
        return self.title_zh if self.lang == "zh" else self.title_en

    def subject(self) -> str:
        if self.lang == "zh":
            return f"{self.title} {self.reference} - {self.company}".strip(" -")
        return f"{self.title} {self.reference} from {self.company}".strip() if self.company else f"{self.title} {self.reference}"

    def body(self, message: str) -> str:
        """The short standard text, the sender's own words in the middle."""
        if self.lang == "zh":
            lead = (f"附件是我司与贵方的对账单（{self.reference}），请核对。如无误，请签字盖章后回传；如有不符，请注明不符之处。"
                    if self.statement else f"附件是我司的{self.title} {self.reference}（PDF），请查收。")
            parts = ["您好：", lead, message, f"此致\n{self.signed}\n{self.company}".rstrip()]
        else:
            lead = (f"Please find attached our statement of your account ({self.reference}). Please check it: if it agrees with your "
                    "books, sign and return it; if not, tell us where the figures differ." if self.statement
                    else f"Please find attached our {self.title.lower()} {self.reference} (PDF).")
            parts = ["Hello,", lead, message, f"Kind regards,\n{self.signed}\n{self.company}".rstrip()]
        return "\n\n".join(part for part in parts if part) + "\n"


def compose(*, sender: Address, to: list[Address], cc: list[Address], subject: str, body: str, pdf: bytes, file_name: str,
            at: dt.datetime) -> EmailMessage:
    """The e-mail, headers and MIME built by the standard library: a text part and the PDF attached under its name."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(at.astimezone(dt.UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain)
    # Chinese text in base64, which every mail server carries (8-bit bodies need the server's 8BITMIME); English as it is.
    message.set_content(body, cte=None if body.isascii() else "base64")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=file_name)
    return message
