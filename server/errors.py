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


def check_version(kind_en: str, kind_zh: str, key: str, current: int, expected: int | None) -> None:
    """An edit made on an older version of a record is refused, saying so."""
    if expected is not None and expected != current:
        raise Conflict(
            f"{kind_en} {key} was changed by someone else (you had version {expected}, it is now {current}); reload and try again.",
            f"{kind_zh} {key} 已被他人修改（您的版本 {expected}，当前版本 {current}），请刷新后重试。",
            code="stale_version",
            current_version=current,
        )
