"""Finance reports: the trial balance (more to come: AR/AP ageing, gross profit)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.auth.permissions import Actor
from server.finance.services import trial_balance as book_totals
from server.reports.framework import Column, Params, Report, Row


class TrialBalanceParams(Params, kw_only=True):
    pass


def trial_balance(session: Session, actor: Actor, params: TrialBalanceParams) -> list[Row]:
    lines, _debit, _credit = book_totals(session, actor)
    return [
        {
            "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "kind": r.kind,
            "debit": r.debit, "credit": r.credit, "balance": r.debit - r.credit,
        }
        for r in lines
    ]


TRIAL_BALANCE = Report(
    name="trial_balance",
    title_zh="试算平衡表",
    title_en="Trial balance",
    permission="finance.read",
    params=TrialBalanceParams,
    columns=(
        Column("code", "科目编码", "Account"),
        Column("name_zh", "科目名称（中文）", "Account name (Chinese)"),
        Column("name_en", "科目名称（英文）", "Account name (English)"),
        Column("kind", "类别", "Kind"),
        Column("debit", "借方", "Debit", "money", total=True),
        Column("credit", "贷方", "Credit", "money", total=True),
        Column("balance", "余额（借-贷）", "Balance (debit − credit)", "money", total=True),
    ),
    rows=trial_balance,
)
