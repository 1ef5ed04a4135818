"""Every quantity, price and amount leaves the API as a plain decimal string: 12, 1.5, -3, 0 — never 1.2E+1, never
trailing zeros, never -0, whatever exponent the figure was computed with."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from server.schemas import fmt


@given(st.integers(min_value=-(10**24), max_value=10**24), st.integers(min_value=-12, max_value=8))
def test_a_figure_is_written_as_its_plain_decimal_value(digits, exponent):
    value = Decimal(digits).scaleb(exponent)
    text = fmt(value)
    assert Decimal(text) == value  # the same number
    assert "E" not in text and "e" not in text
    assert text == "0" or not text.startswith(("-0", "0")) or text.startswith(("0.", "-0."))
    if "." in text:
        assert not text.endswith(("0", "."))  # no trailing zeros
    assert text != "-0"


def test_the_figures_people_see():
    assert [fmt(Decimal(v)) for v in ("12.5000", "0.0000", "-0.0000", "100", "1E+3", "0.000001", "1E-7", "-3.1400", "10.000")] == [
        "12.5", "0", "0", "100", "1000", "0.000001", "0.0000001", "-3.14", "10",
    ]
    assert fmt(None) is None
