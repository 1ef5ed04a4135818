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
    # biip lets AIs 30 and 7004 go empty; GS1 gives every element at least one character, so an empty one is no GS1.
    if message is None or not message.element_strings or not all(es.value for es in message.element_strings):
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


# Building element strings for labels -----------------------------------------------------------------

# The AIs labels carry: (name en, name zh, fixed length or None, max length, numeric, has a check digit, is a date).
_AIS: dict[str, tuple[str, str, int | None, int, bool, bool, bool]] = {
    "00": ("SSCC", "系列货运包装箱代码", 18, 18, True, True, False),
    "01": ("GTIN", "全球贸易项目代码", 14, 14, True, True, False),
    "02": ("GTIN of contained items", "所含贸易项目代码", 14, 14, True, True, False),
    "10": ("batch/lot", "批号", None, 20, False, False, False),
    "11": ("production date", "生产日期", 6, 6, True, False, True),
    "15": ("best before date", "保质期", 6, 6, True, False, True),
    "17": ("expiry date", "有效期", 6, 6, True, False, True),
    "21": ("serial number", "序列号", None, 20, False, False, False),
    "30": ("variable count", "可变数量", None, 8, True, False, False),
    "37": ("count of trade items", "贸易项目数量", None, 8, True, False, False),
}
# GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1).
_CSET82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")


class GS1Error(ValueError):
    """An element string that would not scan as what it claims: a bad check digit, a lot too long, a date that is none."""

    def __init__(self, en: str, zh: str, *, ai: str | None = None) -> None:
        super().__init__(en)
        self.en, self.zh, self.ai = en, zh, ai


def check_digit(payload: str) -> str:
    """The GS1 mod-10 check digit of `payload` (weights 3 and 1 from the right): GTIN-8/12/13/14, SSCC, GLN."""
    if not payload.isdigit():
        raise GS1Error(f"{payload!r} is not all digits.", f"{payload!r} 不全是数字。")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return str(-total % 10)


def valid_check_digit(code: str) -> bool:
    return len(code) > 1 and code.isdigit() and check_digit(code[:-1]) == code[-1]


def sscc(extension: int, company_prefix: str, serial_reference: int) -> str:
    """An SSCC: extension digit, GS1 company prefix, serial reference padded to 16 digits in all, and its check digit."""
    if not 0 <= extension <= 9 or not company_prefix.isdigit() or not 6 <= len(company_prefix) <= 12:
        raise GS1Error("An SSCC needs an extension digit 0–9 and a GS1 company prefix of 6–12 digits.",
                       "SSCC 需要 0–9 的扩展位和 6–12 位的 GS1 厂商识别代码。", ai="00")
    width = 16 - len(company_prefix)
    if not 0 <= serial_reference < 10**width:
        raise GS1Error(f"The serial reference must fit in {width} digits with this company prefix.",
                       f"使用此厂商识别代码时，系列号须在 {width} 位以内。", ai="00")
    payload = f"{extension}{company_prefix}{serial_reference:0{width}d}"
    return payload + check_digit(payload)


def _date(ai: str, value: str) -> None:
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    # GS1 General Specifications 7.12: the century is the one that puts the year within -49..+50 years of now.
    this = dt.date.today().year
    year = this - this % 100 + yy
    if year - this > 50:
        year -= 100
    elif this - year >= 50:
        year += 100
    if not 1 <= mm <= 12:
        raise ValueError
    if dd != 0:  # day 00 means the end of the month
        dt.date(year, mm, dd)


def check_element(ai: str, value: str) -> str:
    """`value` for `ai`, checked against the AI's format; GS1Error says what is wrong, in words a person understands."""
    if ai not in _AIS:
        raise GS1Error(f"Application identifier ({ai}) is not one labels print.", f"标签不支持应用标识符 ({ai})。", ai=ai)
    name_en, name_zh, fixed, longest, numeric, checked, date = _AIS[ai]
    where_en, where_zh = f"({ai}) {name_en}", f"({ai}) {name_zh}"
    if not value:
        raise GS1Error(f"{where_en} is empty.", f"{where_zh} 为空。", ai=ai)
    if numeric and not value.isdigit():
        raise GS1Error(f"{where_en} must be digits only, not {value!r}.", f"{where_zh} 只能是数字，而不是 {value!r}。", ai=ai)
    if fixed is not None and len(value) != fixed:
        raise GS1Error(f"{where_en} must be exactly {fixed} digits; {value!r} has {len(value)}.",
                       f"{where_zh} 必须正好 {fixed} 位；{value!r} 有 {len(value)} 位。", ai=ai)
    if len(value) > longest:
        raise GS1Error(f"{where_en} may be at most {longest} characters; {value!r} has {len(value)}.",
                       f"{where_zh} 最多 {longest} 个字符；{value!r} 有 {len(value)} 个。", ai=ai)
    if not numeric and not set(value) <= _CSET82:
        bad = "".join(sorted(set(value) - _CSET82))
        raise GS1Error(f"{where_en} may hold only letters, digits and GS1 punctuation; {bad!r} is not allowed.",
                       f"{where_zh} 只能包含字母、数字和 GS1 允许的符号；不允许 {bad!r}。", ai=ai)
    if checked and not valid_check_digit(value):
        raise GS1Error(f"{where_en} {value} has a wrong check digit (it should end in {check_digit(value[:-1])}).",
                       f"{where_zh} {value} 的校验位错误（应为 {check_digit(value[:-1])}）。", ai=ai)
    if date:
        try:
            _date(ai, value)
        except ValueError:
            raise GS1Error(f"{where_en} {value} is not a date (YYMMDD).", f"{where_zh} {value} 不是有效日期（YYMMDD）。", ai=ai) from None
    return value


@dataclasses.dataclass(frozen=True)
class ElementString:
    """Checked GS1 elements in encoding order: fixed-length AIs first, so only variable ones need a separator."""

    elements: tuple[tuple[str, str], ...]

    @property
    def hri(self) -> str:
        """The human-readable interpretation printed under a symbol: (01)09506000134352(17)261231(10)ABC123."""
        return "".join(f"({ai}){value}" for ai, value in self.elements)

    def data(self, separator: str = GS_SEPARATOR) -> str:
        """The encoded data without the leading FNC1: a variable-length element not last is followed by `separator`."""
        parts = []
        for n, (ai, value) in enumerate(self.elements):
            parts.append(ai + value)
            if _AIS[ai][2] is None and n < len(self.elements) - 1:
                parts.append(separator)
        return "".join(parts)


def element_string(elements: dict[str, str] | list[tuple[str, str]]) -> ElementString:
    """Check each element and order them for encoding; an empty list or a repeated AI is refused."""
    pairs = list(elements.items()) if isinstance(elements, dict) else list(elements)
    if not pairs:
        raise GS1Error("A GS1 label needs at least one element.", "GS1 标签至少需要一个数据元素。")
    seen = [ai for ai, _ in pairs]
    if len(set(seen)) != len(seen):
        raise GS1Error("An application identifier appears twice.", "应用标识符重复出现。")
    checked = [(ai, check_element(ai, str(value))) for ai, value in pairs]
    checked.sort(key=lambda p: (_AIS[p[0]][2] is None, list(_AIS).index(p[0])))
    return ElementString(tuple(checked))


def gs1_date(day: dt.date) -> str:
    return day.strftime("%y%m%d")


# The AIs whose value biip reads as a YYMMDD date, with a time after it where one follows, refusing the scan when it is none
# (biip's GS1ElementString._with_date_and_datetime).
_DATED = frozenset({"11", "12", "13", "15", "16", "17", "4324", "4325", "4326", "7003", "7006", "7007", "7011", "8008"})


def ai_table() -> dict[str, dict[str, object]]:
    """Every GS1 application identifier as biip knows it (pattern, separator, whether it starts with a date): the table the
    app's local resolver (pwa/gs1-ais.json) parses scans with, so the phone and the server read a scan alike."""
    from biip.gs1_application_identifiers import _GS1_APPLICATION_IDENTIFIERS

    return {
        ai.ai: {"pattern": ai.pattern, "separator": ai.separator_required, "date": ai.ai in _DATED, "title": ai.data_title}
        for ai in sorted(_GS1_APPLICATION_IDENTIFIERS.values(), key=lambda a: a.ai)
    }


if __name__ == "__main__":  # python -m labels.gs1 > pwa/gs1-ais.json
    import json
    import sys

    json.dump(ai_table(), sys.stdout, ensure_ascii=False, indent=0, sort_keys=True)
    sys.stdout.write("\n")
