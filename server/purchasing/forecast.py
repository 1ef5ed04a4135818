"""Sales forecasts (销售预测): an item's demand per week or month, forecast by exponential smoothing (statsmodels).

Pure: a history of quantities in, a forecast out. Where the history comes from is `server.purchasing.demand`.

How a forecast is made, from the history since the item's first sale (the periods before it are not "no demand", they
are before the item sold at all):

- No sale in the whole history: no forecast (method `none`).
- Fewer than MIN_POINTS periods, or more than half of them without a sale (intermittent demand, which smoothing
  forecasts badly): the average of the periods there are, every future period the same (method `average`, with the
  reason: `short_history` or `sparse_history`).
- Otherwise statsmodels' ExponentialSmoothing, the model with the lowest AICc of: simple smoothing (level only,
  `smoothing`), Holt's linear trend (`holt`) and, only with two full seasons of history or more (104 weeks, 24 months),
  additive Holt-Winters with a yearly season (`holt_winters`). A model whose fit raises or answers a non-finite figure is
  passed over; none left, the average (reason `fit_failed`).

statsmodels works in floats: the history becomes floats on the way in, the forecast comes back as Decimals rounded to
the item's unit decimals, never below zero. The fits run one at a time under a lock, with the warnings they raise
(convergence, numerical) caught and logged rather than printed, so one fit's warning filter never meets another's.

Accuracy: with HOLDOUT more periods than MIN_POINTS, the same choice is made again on the history without its last
HOLDOUT periods and scored against them: the mean absolute error (MAE) and the mean absolute percentage error (MAPE, over
the periods that sold; none when none did). `error` is the spread of the chosen model's one-step errors over the history
(their root mean square; for an average, the population standard deviation of the periods): what safety stock is made
of (server.purchasing.plans).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import threading
import warnings
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

log = logging.getLogger("cangku")

Period = Literal["week", "month"]
PERIODS: tuple[Period, ...] = ("week", "month")
SEASON: dict[str, int] = {"week": 52, "month": 12}  # periods in a year: the season a yearly pattern repeats over
LOOKBACK: dict[str, int] = {"week": 104, "month": 36}  # periods of history read: two years of weeks, three of months
HOLDOUT: dict[str, int] = {"week": 4, "month": 3}  # the last periods kept back to score the forecast on
MIN_POINTS = 8  # fewer periods since the first sale: their average
PERIOD_DAYS: dict[str, Decimal] = {"week": Decimal(7), "month": Decimal("30.4375")}  # a month: 365.25 / 12 days
ZERO = Decimal(0)
HUNDRED = Decimal(100)
SHOWN = Decimal("0.01")  # the places MAE, MAPE and the error are kept to

METHODS = ("holt_winters", "holt", "smoothing", "average", "none")

_FITTING = threading.Lock()


@dataclasses.dataclass(frozen=True)
class Forecast:
    """What the history says of the periods to come."""

    method: str  # one of METHODS
    reason: str | None  # why the average was taken (short_history, sparse_history, fit_failed) or why none (no_history)
    values: list[Decimal]  # each future period's quantity, from the current one on
    points: int  # periods of history it rests on (since the first sale)
    error: Decimal | None  # the spread of one-step errors per period (none without a forecast)
    mae: Decimal | None = None  # on the held-out periods
    mape: Decimal | None = None  # per cent, on the held-out periods that sold
    season: int | None = None  # the season's length when the model has one

    @property
    def labelled(self) -> str:
        return f"{self.method} ({self.reason})" if self.reason else self.method


# The calendar ---------------------------------------------------------------------------------------------------------


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the week (a Monday) or month `day` falls in."""
    return day - dt.timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)


def add_periods(start: dt.date, period: str, n: int) -> dt.date:
    """The start of the period `n` periods after the one starting on `start` (before it when `n` is negative)."""
    if period == "week":
        return start + dt.timedelta(weeks=n)
    months = start.year * 12 + start.month - 1 + n
    return dt.date(months // 12, months % 12 + 1, 1)


def period_starts(first: dt.date, period: str, count: int) -> list[dt.date]:
    """`count` consecutive period starts from `first`, and the end of the last one: count + 1 dates."""
    return [add_periods(first, period, n) for n in range(count + 1)]


def demand_between(values: Sequence[Decimal], starts: Sequence[dt.date], begin: dt.date, end: dt.date) -> Decimal:
    """The forecast demand over the days [begin, end): each period's quantity spread evenly over its days, the days of the
    window counted. `starts` are the periods' starts and the end of the last (len(values) + 1 dates)."""
    total = ZERO
    for value, first, after in zip(values, starts, starts[1:], strict=False):
        days = (min(after, end) - max(first, begin)).days
        if days > 0:
            total += value * days / (after - first).days
    return total


# The forecast ---------------------------------------------------------------------------------------------------------


FLOAT_LIMIT = 1e12  # what a quantity column holds: a model running away beyond it is held there


def to_decimal(value: float, places: Decimal) -> Decimal:
    """A float from statsmodels as a Decimal to `places` (half up); not finite: 0."""
    finite = min(max(float(value), -FLOAT_LIMIT), FLOAT_LIMIT) if math.isfinite(value) else 0.0
    return Decimal(repr(finite)).quantize(places, rounding=ROUND_HALF_UP)


def unit_places(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def forecast(history: Sequence[Decimal], period: str, steps: int, decimals: int = 0) -> Forecast:
    """The next `steps` periods of demand after `history` (oldest first, one quantity per period, up to the current
    period), rounded to `decimals` places; with its accuracy on a holdout when the history is long enough."""
    places = unit_places(decimals)
    first = next((i for i, q in enumerate(history) if q > 0), None)
    if first is None:
        return Forecast("none", "no_history", [], 0, None)
    # A period whose returns outweigh its shipments had no demand (not a negative one).
    series = [max(q, ZERO) for q in history[first:]]
    chosen = _choose(series, period)
    values = [max(v, ZERO).quantize(places, rounding=ROUND_HALF_UP) for v in chosen.predict(steps)]
    mae = mape = None
    hold = HOLDOUT[period]
    if len(series) >= MIN_POINTS + hold:
        trained = _choose(series[:-hold], period)
        guessed = [max(v, ZERO) for v in trained.predict(hold)]
        actual = series[-hold:]
        mae = (sum((abs(a - g) for a, g in zip(actual, guessed, strict=True)), ZERO) / hold).quantize(SHOWN, rounding=ROUND_HALF_UP)
        sold = [(a, g) for a, g in zip(actual, guessed, strict=True) if a > 0]
        if sold:
            mape = (sum((abs(a - g) / a for a, g in sold), ZERO) * HUNDRED / len(sold)).quantize(SHOWN, rounding=ROUND_HALF_UP)
    return Forecast(chosen.method, chosen.reason, values, len(series), chosen.error.quantize(SHOWN, rounding=ROUND_HALF_UP), mae, mape,
                    chosen.season)


@dataclasses.dataclass(frozen=True)
class _Chosen:
    method: str
    reason: str | None
    predict: Callable[[int], list[Decimal]]  # unrounded
    error: Decimal
    season: int | None = None


def _average(series: Sequence[Decimal], reason: str) -> _Chosen:
    mean = sum(series, ZERO) / len(series)
    spread = (sum(((q - mean) ** 2 for q in series), ZERO) / len(series)).sqrt()
    return _Chosen("average", reason, lambda steps: [mean] * steps, spread)


def _choose(series: Sequence[Decimal], period: str) -> _Chosen:
    """The model for this history: the average of a short or sparse one, else the smoothing model of lowest AICc."""
    if len(series) < MIN_POINTS:
        return _average(series, "short_history")
    if sum(1 for q in series if q == 0) * 2 > len(series):
        return _average(series, "sparse_history")
    season = SEASON[period]
    candidates: list[tuple[str, dict[str, Any]]] = [("smoothing", {"trend": None}), ("holt", {"trend": "add"})]
    if len(series) >= 2 * season:
        candidates.append(("holt_winters", {"trend": "add", "seasonal": "add", "seasonal_periods": season}))
    y = [float(q) for q in series]
    fits = []
    for order, (method, options) in enumerate(candidates):
        fitted = _fit(y, options)
        if fitted is not None:
            fits.append((fitted[0], order, method, fitted[1], fitted[2]))
    if not fits:
        return _average(series, "fit_failed")
    _, _, method, predict, rmse = min(fits, key=lambda fit: (fit[0], fit[1]))  # equal AICc: the simpler model

    def in_decimals(steps: int) -> list[Decimal]:
        return [to_decimal(v, Decimal("0.000001")) for v in predict(steps)]

    return _Chosen(method, None, in_decimals, to_decimal(rmse, Decimal("0.000001")), season if method == "holt_winters" else None)


def _fit(y: list[float], options: dict[str, Any]) -> tuple[float, Callable[[int], list[float]], float] | None:
    """(AICc, a forecaster, the RMS of the one-step errors) of one model fitted to `y`, or None when it cannot be fitted."""
    from numpy.linalg import LinAlgError
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with _FITTING, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # every warning of the fit is caught here, none printed, none kept as "already shown"
        try:
            # No brute-force search for starting values: it costs ten times the fit and, on sales histories, finds the same optimum.
            result = ExponentialSmoothing(y, initialization_method="estimated", **options).fit(use_brute=False)
            aicc, sse = float(result.aicc), float(result.sse)
            ahead = [float(v) for v in result.forecast(1)]
        except (ValueError, ArithmeticError, LinAlgError, IndexError) as exc:
            log.debug("exponential smoothing %s could not be fitted: %s", options, exc)
            return None
    if caught:
        log.debug("exponential smoothing %s: %s", options, "; ".join(sorted({f"{w.category.__name__}: {w.message}" for w in caught})))
    if math.isnan(aicc) or not math.isfinite(sse) or not all(math.isfinite(v) for v in ahead):
        return None

    def predict(steps: int) -> list[float]:
        with _FITTING, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [float(v) for v in result.forecast(steps)]

    return aicc, predict, math.sqrt(max(sse, 0.0) / len(y))
