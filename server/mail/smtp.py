"""Handing an e-mail to the company's mail server (CANGKU_SMTP_*) with the standard library's smtplib.

The mail server is the settings'; nothing in a request names it. A server that cannot be reached, refuses the sign-in or
refuses every recipient is one answer, `email_not_sent` (502), with the server's reason: the request was fine, the mail
server is what stands in the way.
"""

from __future__ import annotations

import dataclasses
import logging
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage

from server.errors import CangkuError, Conflict, InvalidInput
from server.mail import letters
from server.settings import Settings

log = logging.getLogger("cangku")

USUAL_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class NotConfigured(Conflict):
    """The server has no mail server set up: nothing a person at the desk can change, an administrator can."""

    code = "email_not_configured"


class NotSent(CangkuError):
    """The mail server did not take the e-mail (unreachable, refused the sign-in or the recipients): a bad gateway."""

    status_code = 502
    code = "email_not_sent"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The mail server did not take the e-mail ({reason}); nothing was sent. The attempt is recorded on the document.",
            f"邮件服务器未接收此邮件（{reason}），邮件未发出；本次尝试已记录在单据上。",
            reason=reason,
        )
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    security: str  # starttls | ssl | none
    username: str
    password: str = dataclasses.field(repr=False)
    sender: Address
    timeout: float

    @classmethod
    def of(cls, settings: Settings) -> MailServer:
        """The mail server the settings name, or 409 `email_not_configured` saying what is missing."""
        if not settings.smtp_host:
            raise NotConfigured("E-mail is not set up on this server: an administrator sets CANGKU_SMTP_HOST and CANGKU_SMTP_FROM.",
                                "此服务器未设置电子邮件：请管理员设置 CANGKU_SMTP_HOST 和 CANGKU_SMTP_FROM。")
        try:
            sender = letters.sender(settings.smtp_from)
        except InvalidInput:
            raise NotConfigured(f"E-mail is not set up on this server: CANGKU_SMTP_FROM ({settings.smtp_from!r}) is not a sender address.",
                                f"此服务器的电子邮件设置不完整：CANGKU_SMTP_FROM（“{settings.smtp_from}”）不是有效的发件人地址。") from None
        return cls(host=settings.smtp_host, port=settings.smtp_port or USUAL_PORTS[settings.smtp_security], security=settings.smtp_security,
                   username=settings.smtp_username, password=settings.smtp_password, sender=sender, timeout=settings.smtp_timeout_seconds)

    def send(self, message: EmailMessage) -> dict[str, str]:
        """Hand the message over (blocking: run it off the event loop). Answers the recipients the server refused while taking
        it for the others; raises NotSent when it took it for no one."""
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if self.username:
                    client.login(self.username, self.password)
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise NotSent(_refusals(error.recipients) or "every recipient was refused") from None
        except (smtplib.SMTPException, OSError, UnicodeError, ValueError) as error:
            log.warning("mail server %s:%s did not take an e-mail: %s", self.host, self.port, error)
            raise NotSent(_reason(error)) from None
        return {address: _said(code, text) for address, (code, text) in refused.items()}


def _said(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}".strip()


def _refusals(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address}: {_said(code, text)}" for address, (code, text) in recipients.items())


def _reason(error: Exception) -> str:
    """The mail server's own words (its reply code and text), or what stood in the way of reaching it."""
    if isinstance(error, smtplib.SMTPResponseException):
        return _said(error.smtp_code, error.smtp_error)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the mail server closed the connection"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "no answer in time"
    return str(error) or type(error).__name__
