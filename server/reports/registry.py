"""Every report the API serves, by name: add a new one here."""

from __future__ import annotations

from typing import Any

from server.reports.ageing import AP_AGEING, AR_AGEING
from server.reports.analysis import COLLECTION_ANALYSIS, SALES_ANALYSIS, STOCK_TURNOVER
from server.reports.documents import GROSS_PROFIT, PURCHASE_SUMMARY, SALES_DETAIL
from server.reports.finance import TRIAL_BALANCE
from server.reports.framework import Report
from server.reports.movement import STOCK_VALUE, TOP_MOVERS
from server.reports.scorecard import SUPPLIER_SCORECARD
from server.reports.statement import CUSTOMER_STATEMENT, SUPPLIER_STATEMENT
from server.reports.statements import BALANCE_SHEET, INCOME_STATEMENT
from server.reports.stock import EXPIRING, SLOW_MOVING, STOCK_ALERTS, STOCK_BALANCE, STOCK_LEDGER, STOCK_VALUATION

REPORTS: dict[str, Report[Any]] = {
    report.name: report
    for report in (
        STOCK_BALANCE, STOCK_VALUATION, STOCK_LEDGER, SLOW_MOVING, EXPIRING, STOCK_ALERTS, STOCK_VALUE, TOP_MOVERS, STOCK_TURNOVER, TRIAL_BALANCE,
        BALANCE_SHEET, INCOME_STATEMENT, PURCHASE_SUMMARY, SALES_DETAIL, GROSS_PROFIT, SALES_ANALYSIS, COLLECTION_ANALYSIS, AR_AGEING, AP_AGEING, CUSTOMER_STATEMENT,
        SUPPLIER_STATEMENT, SUPPLIER_SCORECARD,
    )
}
