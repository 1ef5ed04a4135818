"""The exception hierarchy of the domain, each error with a code, an HTTP status and a message in zh-CN and en."""

from __future__ import annotations

from typing import Any


class CangkuError(Exception):
    """A business or request error a person can act on."""

    status_code = 400
    code = "bad_request"

    def __init__(self, en: str, zh: str | None = None, *, code: str | None = None, **details: Any) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh or en
        if code:
            self.code = code
        self.details = details

    def message(self, lang: str = "en") -> str:
        return self.zh if lang.startswith("zh") else self.en

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in a report worker process and raised again in the server: the same class, messages, code and details.
        return _rebuilt, (type(self), self.en, self.zh, self.code, self.details)


def _rebuilt(cls: type[CangkuError], en: str, zh: str, code: str, details: dict[str, Any]) -> CangkuError:
    error = cls.__new__(cls)
    Exception.__init__(error, en)
    error.en, error.zh, error.code, error.details = en, zh, code, details
    return error


class MalformedRequest(CangkuError):
    """The request cannot be read: not JSON, nested too deep, a control character in its path."""

    code = "invalid_request"


class RequestTooLarge(CangkuError):
    status_code = 413
    code = "too_large"


class UnsupportedMediaType(CangkuError):
    status_code = 415
    code = "unsupported_media_type"


class InvalidInput(CangkuError):
    status_code = 422
    code = "invalid"


class UnknownReference(InvalidInput):
    """The request names something (a SKU, a location, a lot) that does not exist."""

    code = "unknown_reference"


class NotFound(CangkuError):
    status_code = 404
    code = "not_found"


class Conflict(CangkuError):
    status_code = 409
    code = "conflict"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class NotAuthenticated(CangkuError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(CangkuError):
    status_code = 403
    code = "forbidden"


class TooManyAttempts(CangkuError):
    status_code = 429
    code = "too_many_attempts"


class Unavailable(CangkuError):
    """Nothing is wrong with the request; the server cannot answer it right now. Nothing was written: try again shortly."""

    status_code = 503
    code = "unavailable"


def check_version(kind_en: str, kind_zh: str, key: str, current: int, expected: int | None) -> None:
    """An edit made on an older version of a record is refused, saying so."""
    if expected is not None and expected != current:
        raise Conflict(
            f"{kind_en} {key} was changed by someone else (you had version {expected}, it is now {current}); reload and try again.",
            f"{kind_zh} {key} 已被他人修改（您的版本 {expected}，当前版本 {current}），请刷新后重试。",
            code="stale_version",
            current_version=current,
        )


# Every code an error answer may carry (`error` in the body, `code` of a refused sync operation): one enumerated list,
# documented in the API schema. tests/test_api_contract.py finds every code the source raises and checks it is here.
ERROR_CODES: tuple[str, ...] = (
    "already_approved_by_you", "already_disposed", "already_in_wave", "already_inspected", "already_picked", "already_refunded", "already_replaced", "already_reversed",
    "ambiguous_serial", "backup_failed", "bad_bands", "bad_check_digit", "bad_credentials", "bad_cursor", "bad_discount",
    "bad_label_data", "bad_label_format", "bad_page_token", "bad_parent", "bad_pick_qty", "bad_print_request", "bad_request",
    "bad_slot", "bad_totp", "bad_vat_rate", "below_cost", "bill_mismatch", "blind_count", "client_of_another_user", "close_checklist",
    "comment_required", "common_password", "conflict", "contract_drawn", "contract_expired", "contract_not_active",
    "contract_not_yet_valid", "control_character", "count_overlap", "credit_limit_exceeded", "csrf_failed", "currency_mismatch",
    "database_unavailable", "delivery_not_found", "device_revoked", "disk_full", "document_move", "draft_invoice", "duplicate_barcode",
    "duplicate_category", "duplicate_in_file", "duplicate_line", "duplicate_location", "duplicate_lot", "duplicate_partner",
    "duplicate_price", "duplicate_price_list", "duplicate_printer", "duplicate_serial", "duplicate_sku", "duplicate_user",
    "email_not_configured", "email_not_sent", "empty_file", "empty_package", "expiry_mismatch", "feed_busy", "file_too_large",
    "forbidden", "frozen_field", "has_receipts", "idempotency_key_reused", "import_refused", "inactive_category", "inactive_item",
    "inactive_location", "inactive_partner", "inspection_mismatch", "insufficient_stock", "internal_error", "invalid", "invalid_email",
    "invalid_export", "invalid_parameter", "invalid_payload", "invalid_range", "invalid_request", "invalid_sort", "job_already_ran",
    "location_required", "lot_expiry_differs", "lot_mismatch", "lot_not_tracked", "lot_required", "lot_required_for_date",
    "metrics_forbidden", "missing_area", "no_exchange_rate", "no_lines", "no_orders", "no_packages", "no_quarantine", "no_recipients", "no_return",
    "no_role", "no_scope", "not_a_note", "not_a_transfer", "not_a_warehouse", "not_authenticated", "not_counted", "not_found",
    "not_on_order", "not_packed", "not_payable", "not_picked", "not_quarantine", "not_refunded", "not_reservable", "not_shipped", "not_sold", "nothing_received",
    "nothing_to_apply", "nothing_to_invoice", "nothing_to_pick", "nothing_to_print", "nothing_to_recount", "nothing_to_ship",
    "op_id_taken", "open_ticket", "opening_exists", "outside_count", "outside_warehouse", "over_allocation", "over_receipt", "over_return",
    "over_shipment", "overlapping_bands", "own_document", "partner_mismatch", "period_closed", "period_not_ended", "pick_cancelled", "price_required",
    "printer_address_invalid", "printer_address_link_local", "printer_address_loopback", "printer_host_unknown", "printer_inactive",
    "printer_port_refused", "printer_unreachable", "qty_required", "quote_expired", "rate_of_company_currency", "reason_required",
    "receipt_or_po", "recount_pending", "replacement_not_shipped", "replay_what", "report_too_large", "reservation_closed", "reservation_mismatch", "resolution_mismatch", "return_exists", "return_not_received",
    "reversal_of_reversal", "role_cannot_approve", "same_location", "schema_mismatch", "schema_version", "scope_not_allowed",
    "self_deactivate", "seq_reused", "serial_in_stock", "serial_not_counted", "serial_not_here", "serial_or_lot", "serials_mismatch",
    "serials_not_tracked", "session_expired", "shop_order_differs", "shop_order_not_found", "short_shipment", "sold_to_another_customer", "stale_version",
    "supplier_required", "too_deep", "too_large", "too_large_to_store", "too_many_attempts", "too_many_labels", "too_many_recipients",
    "totp_enabled", "totp_not_setup", "totp_required", "totp_used", "unavailable", "undecided_lines", "unknown_account",
    "unknown_category", "unknown_currency", "unknown_device", "unknown_dock", "unknown_event_type", "unknown_import_kind",
    "unknown_kind", "unknown_line", "unknown_location", "unknown_lot", "unknown_operation", "unknown_partner", "unknown_reference",
    "unknown_report", "unknown_role", "unknown_scope", "unknown_sku", "unknown_unit", "unknown_warehouse", "unreachable_rule", "unreadable_file",
    "unsupported_format", "unsupported_media_type", "virtual_location", "warehouse_mismatch", "warehouse_not_allowed", "weak_password",
    "webhook_address_invalid", "webhook_address_local", "webhook_host_unknown", "webhook_https_required", "webhook_not_found",
    "webhook_port_refused", "webhook_url_invalid", "wrong_approver_role", "wrong_bin", "wrong_location", "wrong_lot",
    "wrong_partner_kind", "wrong_state", "wrong_warehouse",
)
