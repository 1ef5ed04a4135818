"""Pure GS1 rules shared by the scan resolver and label printing: GTIN normalisation and element strings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import biip
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin

GS_SEPARATOR = "\x1d"
_SYMBOLOGY_PREFIXES = ("]C1", "]d2", "]Q3", "]e0", "]J1")


@dataclasses.dataclass(frozen=True)
class GS1Data:
    """What a GS1 element string carries, by AI: 00 SSCC, 01 GTIN, 10 lot, 17 expiry, 21 serial, 30/37 count."""

    elements: dict[str, str]
    gtin: str | None = None
    lot: str | None = None
    expiry: dt.date | None = None
    serial: str | None = None
    qty: Decimal | None = None
    sscc: str | None = None


def gtin14(code: str) -> str | None:
    """The 14-digit form of a valid GTIN-8/12/13/14 (check digit verified), else None."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return None
    try:
        return Gtin.parse(code).as_gtin_14()
    except Exception:  # noqa: BLE001 - biip raises ParseError subclasses; any failure means "not a GTIN"
        return None


def looks_like_gs1(code: str) -> bool:
    return code.startswith(_SYMBOLOGY_PREFIXES) or code.startswith("(") or GS_SEPARATOR in code or (
        code.isdigit() and len(code) > 14
    )


def parse_gs1(code: str) -> GS1Data | None:
    """Parse a scanned GS1-128 / DataMatrix / QR element string, raw or in (AI) human-readable form.

    Returns None when the text is not a GS1 element string (the scanner contract: "not mine").
    """
    message: GS1Message | None
    try:
        if code.startswith("("):
            message = GS1Message.parse_hri(code)
        else:
            result = biip.parse(code)
            message = result.gs1_message
    except Exception:  # noqa: BLE001 - an unparseable string is simply not GS1
        return None
    if message is None or not message.element_strings:
        return None
    elements: dict[str, str] = {}
    fields: dict[str, object] = {}
    for es in message.element_strings:
        ai = es.ai.ai
        elements[ai] = es.value
        if ai == "01" and es.gtin is not None:
            fields["gtin"] = es.gtin.as_gtin_14()
        elif ai == "00":
            fields["sscc"] = es.value
        elif ai == "10":
            fields["lot"] = es.value
        elif ai == "17" and es.date is not None:
            fields["expiry"] = es.date
        elif ai == "21":
            fields["serial"] = es.value
        elif ai in ("30", "37"):
            fields["qty"] = Decimal(es.value)
    return GS1Data(elements=elements, **fields)  # type: ignore[arg-type]


def with_check_digit(payload: str) -> str:
    """Append the GS1 mod-10 check digit: 12 digits make an EAN-13, 13 a GTIN-14, 17 an SSCC."""
    from biip.checksums import gs1_standard_check_digit

    return payload + str(gs1_standard_check_digit(payload))
