"""An amount written out in words, as a money document states its total: 人民币大写 in Chinese, words in English."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import cn2an
from num2words import num2words

CENT = Decimal("0.01")


def in_capitals(amount: Decimal, currency_zh: str = "人民币") -> str:
    """The amount in Chinese capital numerals after its currency's name: 人民币 壹佰贰拾叁元肆角伍分, 美元 壹佰元整,
    人民币 负伍角 (a credit note). 元角分 stand for the currency's unit and its hundredths whatever the currency."""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{currency_zh} {cn2an.an2cn(f'{cents:f}', 'rmb')}"


def in_english(amount: Decimal, currency_en: str = "Chinese yuan") -> str:
    """The amount in English words after its currency's name, the hundredths as a fraction, as a cheque writes it:
    "Chinese yuan one hundred and twenty-three and 45/100 only"; "US dollar minus twelve and 50/100 only" (a credit note)."""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    whole, fraction = divmod(abs(cents), 1)
    words = num2words(int(whole), lang="en")
    sign = "minus " if cents < 0 else ""
    hundredths = f" and {int(fraction * 100):02d}/100" if fraction else ""
    return f"{currency_en} {sign}{words}{hundredths} only"
