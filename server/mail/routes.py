"""E-mailing a document's PDF: the e-mail it would go with, sending it, and the e-mails sent of it.

A document is named as printed documents are (purchase_order, invoice, delivery_note, statement) and by its number; a statement by its
partner's code, with the period, side and currency its PDF takes (`from`, `to`, `side`, `currency`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from server.api import ERRORS, ErrorBody, get, post
from server.auth.permissions import Actor
from server.db import Database
from server.mail import services
from server.mail.schemas import DocumentEmailList, DocumentEmailOut, EmailDraftOut, EmailRequest
from server.reports.statement import StatementParams
from server.schemas import Limit, Offset

Kind = Annotated[str, PathParameter(description=f"what is sent: {', '.join(services.KINDS)} / 单据类型")]
Number = Annotated[str, PathParameter(max_length=64, description="the document's number; a statement's partner code / 单据号（对账单：往来单位编码）")]
Side = Annotated[Literal["customer", "supplier"] | None, QueryParameter(description="A statement: customer or supplier, for a partner that is both / 客户或供应商")]
From = Annotated[dt.date | None, QueryParameter(name="from", description="A statement: from (inclusive; the 1st of this month by default) / 起始日期")]
To = Annotated[dt.date | None, QueryParameter(name="to", description="A statement: to (inclusive; today by default) / 截止日期")]
Currency = Annotated[str | None, QueryParameter(pattern=r"^[A-Z]{3}$", description="A statement: currency (the partner's by default) / 币种")]
Language = Annotated[Literal["zh", "en"] | None, QueryParameter(description="The e-mail's language (default: from Accept-Language) / 邮件语言")]
SENDING_ERRORS = {**ERRORS, 502: ResponseSpec(data_container=ErrorBody, description="The mail server did not take the e-mail (recorded as failed)")}


def _statement(kind: str, number: str, date_from: dt.date | None, date_to: dt.date | None, currency: str | None) -> StatementParams | None:
    return StatementParams(partner=number, from_=date_from, to=date_to, currency=currency) if kind == "statement" else None


class EmailController(Controller):
    path = "/api/v1/documents"
    tags = ["printing"]

    @get("/{kind:str}/{number:str}/email", summary="The e-mail a document would go with / 邮件草稿")
    def email_draft(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], kind: Kind,
                    number: Number, side: Side = None, date_from: From = None, date_to: To = None, currency: Currency = None,
                    language: Language = None) -> EmailDraftOut:
        """What sending this document by e-mail would send, for the person to change first: the partner's address (or its
        contacts'), the subject, the language, the addresses on file, and whether this server sends e-mail at all. For those
        who may print the document with its prices (a statement: who reads the books)."""
        actor.require(services.email_kind(kind).permission)
        with db.read() as session:
            document = services.addressed(session, kind, number, _statement(kind, number, date_from, date_to, currency), side or "")
            return services.draft(session, actor, request.app.state.settings, document, language or actor.language)

    @post("/{kind:str}/{number:str}/email", summary="Send a document by e-mail / 通过电子邮件发送单据", responses=SENDING_ERRORS)
    async def email_document(self, request: Request[Any, Any, Any], db: NamedDependency[Database], actor: NamedDependency[Actor], kind: Kind,
                             number: Number, data: JSONBody[EmailRequest], side: Side = None, date_from: From = None, date_to: To = None,
                             currency: Currency = None) -> Response[DocumentEmailOut]:
        """Sends the document's PDF — the one its print button opens, in the language asked — attached to a short letter
        and your message, to `to` and `cc` (the partner's address on file when `to` is left out), and records it on the
        document and in its history. Addresses and subject are refused (422, naming the field) when they are not single
        addresses and one line; 409 `email_not_configured` when this server sends no e-mail; 502 `email_not_sent` when the
        mail server did not take it (the attempt is recorded as failed). A repeat with the same Idempotency-Key sends nothing
        again and answers the first e-mail."""
        sent, new = await services.email_document(
            db, request.app.state.settings, actor, kind, number, data, statement=_statement(kind, number, date_from, date_to, currency),
            side=side or "", key=request.headers.get("idempotency-key"),
        )
        return Response(sent, status_code=201 if new else 200)

    @get("/{kind:str}/{number:str}/emails", summary="E-mails sent of a document / 邮件发送记录")
    def document_emails(self, db: NamedDependency[Database], actor: NamedDependency[Actor], kind: Kind, number: Number,
                        limit: Limit = 100, offset: Offset = 0) -> DocumentEmailList:
        """Every e-mail of the document, newest first — who sent it, to whom, when, and whether the mail server took it (and
        why not). A statement's are its partner's, of every period."""
        actor.require(services.email_kind(kind).permission)
        with db.read() as session:
            rows, total = services.emails_of(session, kind, number, limit, offset)
            return DocumentEmailList(items=[services.email_out(session, row) for row in rows], total=total)
