"""Daily demand forecasts for the master account's order plan.

The history is one number a day, oldest first. A day marked `None` is a day
the item was out of stock: what sold that day says nothing about demand, so it
must not count as zero. The smoothing recursions skip such a day: the model's
own one-step prediction stands in for the observation, which carries the level,
trend and seasonal state forward unchanged; the day also counts in no error,
sigma or mean. Days before the first observed day are ignored altogether.

The method depends on how much history there is, counted from the first
observed day:

- at least two full weeks (two seasons of `season_length` days, 7 by default,
  the second not out of stock throughout): additive Holt-Winters with a weekly
  season (level, trend and day-of-week effects). Initial level: the mean of the
  first week; initial trend: the mean of the second week minus the mean of the
  first, divided by 7; initial day-of-week effects: each day of the first week
  minus that week's mean (means over observed days only; an out-of-stock day in
  the first week starts with no effect). These are the "simple" initial values
  of Hyndman and Athanasopoulos, Forecasting: principles and practice, 7.6.
- otherwise, at least three observed days: Holt's linear trend (level and
  trend). Initial level: the first observed value; initial trend: the second
  observed value minus the first (per day, when days lie between them).
- otherwise, one or two observed days: a simple level, the mean of the observed
  days, for every future day.
- no observed day at all: no forecast (zeros).

The smoothing weights are chosen by a small grid search that minimises the
sum of squared one-step-ahead errors over the observed days: alpha (level) in
0.1, 0.2, ..., 0.9; beta (trend) in 0, 0.05, 0.1, 0.2, 0.3; gamma (day of week,
Holt-Winters only) in 0.05, 0.1, 0.2, 0.3. Ties go to the first combination in
that order (the smallest weights), so the same history always gives the same
forecast. Forecasts below zero are raised to zero.

The demand variability used for safety stock (`sigma`) is the standard
deviation of the one-step-ahead errors on observed days; with fewer than two
such errors, or for a simple level, it is the standard deviation of the
observed demand itself.

`forecast_many(histories, horizon)` gives forecast() of every history, computed
together: numpy arrays of (series, weight combinations) for the grid search and of
series for the chosen weights, in batches of a few thousand series so memory stays
bounded. 150,000 histories of 180 days take well under a minute, where a loop over
forecast() takes several. Its methods, weights, fitted values, forecasts and mean
daily demand are forecast()'s to the last bit; sigma agrees to within rounding.

How good is the forecast? `backtest_many(histories)` replays it over the last four
weeks of each history, each time without the days being forecast (a rolling
origin): 28, 21, 14 and 7 days before the end, forecast() is fitted on the history
before that day, by the rules above, and forecasts the next 7 days. Each of those
days whose demand is known (not None) is compared with the forecast and with the
seasonal-naive forecast, the demand of the same weekday a week earlier; a day whose
week-earlier demand is unknown is left out, so both are judged on the same days.
Per history:

- wape = sum |actual - forecast| / sum actual, the weighted absolute percentage
  error: 0.25 means the forecast missed by a quarter of what sold;
- bias = sum (forecast - actual) / sum actual: above zero, the forecast ran high;
- naive_wape and naive_bias: the same for the seasonal-naive forecast;
- days: the number of days compared;
- worse_than_naive: wape > naive_wape, a forecast that did worse than repeating
  last week.

A history with less than six weeks of data, counted from its first observed day
(four weeks to test, and two before them so that even the first forecast learns
from two weeks), has no backtest (None); nor has one whose compared days sold
nothing. With another season_length, a "week" is a season: origins every
season_length days, forecasting season_length days, naive from one season before;
`weeks` sets how many origins.

The recursions are those of statsmodels' `ExponentialSmoothing` with additive
trend and additive season, so with the same weights and initial values the two
give the same fitted values. One difference: statsmodels (up to its fix for
issue 9538) uses a season-old day-of-week effect for forecasts exactly 7, 14,
... days ahead; here the latest effect is used, as in the textbook formula.
"""

import math
import statistics
from dataclasses import dataclass

import numpy as np

HOLT_WINTERS = "holt-winters additive (weekly)"
HOLT = "holt linear trend"
SIMPLE_LEVEL = "simple level"
NO_FORECAST = "none"

ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
BETAS = (0.0, 0.05, 0.1, 0.2, 0.3)
GAMMAS = (0.05, 0.1, 0.2, 0.3)

# Holt needs two observed days to start its trend and a third to learn anything.
MIN_DAYS_FOR_TREND = 3
# The sample standard deviation needs two values.
MIN_ERRORS_FOR_SIGMA = 2


@dataclass(frozen=True)
class Forecast:
    method: str
    # alpha, beta, gamma and the initial values actually used: for the README and the UI.
    params: dict
    # One-step-ahead fitted values over the history; None on the days the history is None.
    fitted: list[float | None]
    # The next `horizon` days, never negative.
    forecast: list[float]
    # Standard deviation of daily demand, for safety stock.
    sigma: float
    # Mean daily demand over the observed days.
    mean_daily: float


@dataclass(frozen=True)
class Backtest:
    """How the forecast did over a history's last weeks (see the module doc)."""

    # sum |actual - forecast| / sum actual
    wape: float
    # sum (forecast - actual) / sum actual; above zero, the forecast ran high.
    bias: float
    # The same for the seasonal-naive forecast (the demand a week earlier).
    naive_wape: float
    naive_bias: float
    # Days compared: demand known, and known a week earlier.
    days: int
    worse_than_naive: bool


def holt(
    history: list[float | None],
    alpha: float,
    beta: float,
    initial_level: float,
    initial_trend: float,
    horizon: int,
) -> tuple[list[float | None], list[float]]:
    """Holt's linear trend with fixed weights: (fitted, forecast).

    `initial_level` and `initial_trend` are the state before the first day, as
    statsmodels' `initialization_method="known"` takes them. The forecast is not
    clipped at zero.
    """
    level, trend = initial_level, initial_trend
    fitted: list[float | None] = []
    for observed in history:
        predicted = level + trend
        fitted.append(None if observed is None else predicted)
        if observed is None:
            # The prediction stands in for the missing day: alpha * (predicted)
            # + (1 - alpha) * (level + trend) is the prediction again.
            level = predicted
            continue
        new_level = alpha * observed + (1 - alpha) * predicted
        trend = beta * (new_level - level) + (1 - beta) * trend
        level = new_level
    return fitted, [level + step * trend for step in range(1, horizon + 1)]


def holt_winters_additive(
    history: list[float | None],
    alpha: float,
    beta: float,
    gamma: float,
    season_length: int,
    initial_level: float,
    initial_trend: float,
    initial_seasonals: list[float],
    horizon: int,
) -> tuple[list[float | None], list[float]]:
    """Additive Holt-Winters with fixed weights: (fitted, forecast).

    `initial_seasonals[i]` is the effect of day i of the first season. The
    seasonal update uses the level and trend before the day, as statsmodels does:
    s = gamma * (y - level - trend) + (1 - gamma) * s. The forecast is not
    clipped at zero.
    """
    if len(initial_seasonals) != season_length:
        raise ValueError(
            f"Expected {season_length} initial seasonal values, got {len(initial_seasonals)}."
        )
    level, trend = initial_level, initial_trend
    # seasonals[t] is the effect applied to day t; each day writes the one for day t + m.
    seasonals = list(initial_seasonals)
    fitted: list[float | None] = []
    for day, observed in enumerate(history):
        seasonal = seasonals[day]
        predicted = level + trend + seasonal
        fitted.append(None if observed is None else predicted)
        if observed is None:
            # With the prediction as the observation every update returns its old value.
            level = level + trend
            seasonals.append(seasonal)
            continue
        new_level = alpha * (observed - seasonal) + (1 - alpha) * (level + trend)
        seasonals.append(gamma * (observed - level - trend) + (1 - gamma) * seasonal)
        trend = beta * (new_level - level) + (1 - beta) * trend
        level = new_level
    days = len(history)
    forecast = [
        level + step * trend + seasonals[days + (step - 1) % season_length]
        for step in range(1, horizon + 1)
    ]
    return fitted, forecast


def forecast(history: list[float | None], horizon: int, season_length: int = 7) -> Forecast:
    """Forecast the next `horizon` days of demand from a daily history (see the module doc)."""
    _check_arguments(horizon, season_length)
    history = [None if value is None else float(value) for value in history]
    first = next((day for day, value in enumerate(history) if value is not None), None)
    if first is None:
        return Forecast(
            method=NO_FORECAST,
            params={},
            fitted=[None] * len(history),
            forecast=[0.0] * horizon,
            sigma=0.0,
            mean_daily=0.0,
        )
    skipped = [None] * first
    series = history[first:]
    observed = [value for value in series if value is not None]
    mean_daily = statistics.fmean(observed)

    second_season = series[season_length : 2 * season_length]
    if len(series) >= 2 * season_length and any(value is not None for value in second_season):
        method = HOLT_WINTERS
        params, fitted, future = _fit_holt_winters(series, season_length, horizon)
    elif len(observed) >= MIN_DAYS_FOR_TREND:
        method = HOLT
        params, fitted, future = _fit_holt(series, horizon)
    else:
        method = SIMPLE_LEVEL
        params = {"level": mean_daily}
        fitted = [None if value is None else mean_daily for value in series]
        future = [mean_daily] * horizon

    errors = [value - fit for value, fit in zip(series, fitted, strict=True) if value is not None]
    if method != SIMPLE_LEVEL and len(errors) >= MIN_ERRORS_FOR_SIGMA:
        sigma = statistics.stdev(errors)
    else:
        sigma = statistics.stdev(observed) if len(observed) >= 2 else 0.0
    return Forecast(
        method=method,
        params=params,
        fitted=skipped + fitted,
        forecast=[max(0.0, value) for value in future],
        sigma=sigma,
        mean_daily=mean_daily,
    )


def _fit_holt(series, horizon):
    """Grid-searched Holt on a series that starts on an observed day."""
    days = [day for day, value in enumerate(series) if value is not None]
    first, second = days[0], days[1]
    initial_level = series[first]
    initial_trend = (series[second] - series[first]) / (second - first)
    alpha, beta = _best_holt(series, initial_level, initial_trend)
    fitted, future = holt(series, alpha, beta, initial_level, initial_trend, horizon)
    params = {
        "alpha": alpha,
        "beta": beta,
        "initial_level": initial_level,
        "initial_trend": initial_trend,
    }
    return params, fitted, future


def _fit_holt_winters(series, season_length, horizon):
    """Grid-searched additive Holt-Winters on a series that starts on an observed day."""
    first_season = series[:season_length]
    first_mean = _mean_observed(first_season)
    second_mean = _mean_observed(series[season_length : 2 * season_length])
    initial_level = first_mean
    initial_trend = (second_mean - first_mean) / season_length
    initial_seasonals = [0.0 if value is None else value - first_mean for value in first_season]
    alpha, beta, gamma = _best_holt_winters(
        series, season_length, initial_level, initial_trend, initial_seasonals
    )
    fitted, future = holt_winters_additive(
        series,
        alpha,
        beta,
        gamma,
        season_length,
        initial_level,
        initial_trend,
        initial_seasonals,
        horizon,
    )
    params = {
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
        "season_length": season_length,
        "initial_level": initial_level,
        "initial_trend": initial_trend,
        "initial_seasonals": initial_seasonals,
    }
    return params, fitted, future


def _mean_observed(values):
    observed = [value for value in values if value is not None]
    return statistics.fmean(observed) if observed else None


def _check_arguments(horizon, season_length):
    if horizon < 0:
        raise ValueError("The horizon cannot be negative.")
    if season_length < 2:
        raise ValueError("A season needs at least two days.")


# Histories per batch of forecast_many(): bounds its arrays whatever the number of
# histories (2,000 x 180 days x 8 bytes is under 3 MB an array).
BATCH_SIZE = 2000
# Series x lanes per pass of the grid search (256 Holt-Winters series x 180 lanes): 370 KB
# an array, so the handful of arrays it touches every day stay in the processor's cache.
# With 2,000 series at a time the same work took about a third longer.
GRID_CELLS = 256 * 180


def forecast_many(
    histories: list[list[float | None]], horizon: int, season_length: int = 7
) -> list[Forecast]:
    """forecast(history, horizon, season_length) for every history, computed in batches.

    The same methods, weights, fitted values, forecasts and mean_daily; sigma agrees to
    within rounding (numpy instead of statistics.stdev). A NaN counts as None.
    """
    _check_arguments(horizon, season_length)
    results: list[Forecast | None] = [None] * len(histories)
    # Histories of similar length share a batch, so little of a batch is padding.
    order = sorted(range(len(histories)), key=lambda index: len(histories[index]))
    for start in range(0, len(order), BATCH_SIZE):
        indexes = order[start : start + BATCH_SIZE]
        batch = _Batch.from_histories([histories[index] for index in indexes], season_length)
        for index, result in zip(indexes, _forecast_batch(batch, horizon), strict=True):
            results[index] = result
    return results


def backtest_many(
    histories: list[list[float | None]], season_length: int = 7, weeks: int = 4
) -> list[Backtest | None]:
    """A rolling-origin backtest of forecast() on every history (see the module doc)."""
    _check_arguments(0, season_length)
    if weeks < 1:
        raise ValueError("A backtest needs at least one week.")
    needed = (weeks + 2) * season_length
    tested = [index for index, history in enumerate(histories) if _data_days(history) >= needed]
    results: list[Backtest | None] = [None] * len(histories)
    # Each history gives `weeks` training series: one batch of them per forecast_many()
    # call keeps the prefixes and their forecasts in memory a batch at a time.
    per_call = max(1, BATCH_SIZE // weeks)
    for start in range(0, len(tested), per_call):
        indexes = tested[start : start + per_call]
        chunk = [histories[index] for index in indexes]
        for index, result in zip(
            indexes, _backtest_chunk(chunk, season_length, weeks), strict=True
        ):
            results[index] = result
    return results


def _data_days(history):
    """Days from the first observed day to the end of the history."""
    first = next((day for day, value in enumerate(history) if value is not None), len(history))
    return len(history) - first


def _backtest_chunk(histories, season_length, weeks):
    tested = weeks * season_length
    # Origins oldest first: the forecasts then lie end to end over the tested days.
    training = [
        history[: len(history) - tested + week * season_length]
        for history in histories
        for week in range(weeks)
    ]
    forecasts = forecast_many(training, horizon=season_length, season_length=season_length)
    predicted = np.array([result.forecast for result in forecasts]).reshape(len(histories), tested)
    # The tested days and the season before each: its seasonal-naive forecast.
    recent = np.array([history[-tested - season_length :] for history in histories], dtype=float)
    return _scores(recent[:, season_length:], predicted, recent[:, :tested])


def _scores(actual, predicted, naive):
    """Backtests from (histories, days) arrays; NaN where a demand is unknown."""
    compared = ~np.isnan(actual) & ~np.isnan(naive)
    actual = np.where(compared, actual, 0.0)
    predicted = np.where(compared, predicted, 0.0)
    naive = np.where(compared, naive, 0.0)
    sold = actual.sum(axis=1)
    weight = np.where(sold > 0, sold, 1.0)  # rows that sold nothing get None below
    wape = np.abs(actual - predicted).sum(axis=1) / weight
    bias = (predicted - actual).sum(axis=1) / weight
    naive_wape = np.abs(actual - naive).sum(axis=1) / weight
    naive_bias = (naive - actual).sum(axis=1) / weight
    return [
        Backtest(w, b, nw, nb, days, w > nw) if total > 0 else None
        for w, b, nw, nb, days, total in zip(
            wape.tolist(),
            bias.tolist(),
            naive_wape.tolist(),
            naive_bias.tolist(),
            compared.sum(axis=1).tolist(),
            sold.tolist(),
            strict=True,
        )
    ]


@dataclass(frozen=True)
class _Batch:
    """Histories as arrays, one row each, shifted to start on the history's first observed
    day, which is day 0 of its first season as in forecast(). A row shorter than the
    batch is padded with days not observed, which no recursion below lets count."""

    # (rows, days) demand; 0.0 on days not observed, so sums can ignore the mask.
    values: np.ndarray
    # (rows, days) True on observed days only.
    observed: np.ndarray
    # Days before the first observed day, and days from it to the end of the history.
    skipped: np.ndarray
    days: np.ndarray
    season_length: int

    @classmethod
    def from_histories(cls, histories, season_length):
        lengths = np.array([len(history) for history in histories], dtype=int)
        width = max(1, int(lengths.max(initial=0)))
        raw = np.full((len(histories), width), np.nan)
        for row, history in enumerate(histories):
            raw[row, : len(history)] = history  # None becomes NaN
        known = ~np.isnan(raw)
        skipped = np.where(known.any(axis=1), known.argmax(axis=1), lengths)
        days = lengths - skipped
        columns = np.minimum(skipped[:, None] + np.arange(width), width - 1)
        values = np.take_along_axis(raw, columns, axis=1)
        observed = (np.arange(width) < days[:, None]) & ~np.isnan(values)
        return cls(np.where(observed, values, 0.0), observed, skipped, days, season_length)

    def take(self, rows):
        """The given rows, cut to the longest of them."""
        width = max(1, int(self.days[rows].max(initial=0)))
        return _Batch(
            self.values[rows, :width],
            self.observed[rows, :width],
            self.skipped[rows],
            self.days[rows],
            self.season_length,
        )


def _forecast_batch(batch, horizon):
    counts = batch.observed.sum(axis=1)
    mean_daily = _exact_row_sums(batch.values) / np.maximum(counts, 1)
    methods = _methods(batch, counts)
    results = [None] * len(counts)
    fits = {
        HOLT_WINTERS: _holt_winters_rows,
        HOLT: _holt_rows,
        SIMPLE_LEVEL: _simple_level_rows,
        NO_FORECAST: _no_forecast_rows,
    }
    for method, fit in fits.items():
        rows = np.flatnonzero(methods == method)
        if rows.size:
            forecasts = fit(batch.take(rows), horizon, mean_daily[rows])
            for row, result in zip(rows.tolist(), forecasts, strict=True):
                results[row] = result
    return results


def _methods(batch, counts):
    """Each row's method, by the rules of forecast()."""
    m = batch.season_length
    seasonal = (batch.days >= 2 * m) & batch.observed[:, m : 2 * m].any(axis=1)
    return np.select(
        [seasonal, counts >= MIN_DAYS_FOR_TREND, counts >= 1],
        [HOLT_WINTERS, HOLT, SIMPLE_LEVEL],
        NO_FORECAST,
    )


def _holt_winters_rows(batch, horizon, mean_daily):
    m = batch.season_length
    first_season, second_season = batch.observed[:, :m], batch.observed[:, m : 2 * m]
    first_mean = _exact_row_sums(batch.values[:, :m]) / first_season.sum(axis=1)
    second_mean = _exact_row_sums(batch.values[:, m : 2 * m]) / second_season.sum(axis=1)
    level = first_mean
    trend = (second_mean - first_mean) / m
    seasonals = np.where(first_season, batch.values[:, :m] - first_mean[:, None], 0.0)
    alpha, beta, gamma = _grid_search(batch, level, trend, seasonals, HOLT_WINTERS_LANES)
    fitted, future = _run_holt_winters(batch, alpha, beta, gamma, level, trend, seasonals, horizon)
    params = [
        {
            "alpha": a,
            "beta": b,
            "gamma": g,
            "season_length": m,
            "initial_level": lv,
            "initial_trend": tr,
            "initial_seasonals": s,
        }
        for a, b, g, lv, tr, s in zip(
            alpha.tolist(),
            beta.tolist(),
            gamma.tolist(),
            level.tolist(),
            trend.tolist(),
            seasonals.tolist(),
            strict=True,
        )
    ]
    return _model_results(HOLT_WINTERS, batch, params, fitted, future, mean_daily)


def _holt_rows(batch, horizon, mean_daily):
    # Day 0 is the first observed day; Holt's rows have at least two more.
    second = batch.observed[:, 1:].argmax(axis=1) + 1
    level = batch.values[:, 0]
    trend = (batch.values[np.arange(len(second)), second] - level) / second
    alpha, beta = _grid_search(batch, level, trend, None, HOLT_LANES)
    fitted, future = _run_holt(batch, alpha, beta, level, trend, horizon)
    params = [
        {"alpha": a, "beta": b, "initial_level": lv, "initial_trend": tr}
        for a, b, lv, tr in zip(
            alpha.tolist(), beta.tolist(), level.tolist(), trend.tolist(), strict=True
        )
    ]
    return _model_results(HOLT, batch, params, fitted, future, mean_daily)


def _simple_level_rows(batch, horizon, mean_daily):
    sigma = _stdev_rows(batch.values, batch.observed)
    fitted = _fitted_lists(batch, np.broadcast_to(mean_daily[:, None], batch.values.shape))
    return [
        Forecast(
            method=SIMPLE_LEVEL,
            params={"level": mean},
            fitted=fit,
            forecast=[mean] * horizon,
            sigma=spread,
            mean_daily=mean,
        )
        for mean, fit, spread in zip(mean_daily.tolist(), fitted, sigma.tolist(), strict=True)
    ]


def _no_forecast_rows(batch, horizon, mean_daily):
    return [
        Forecast(
            method=NO_FORECAST,
            params={},
            fitted=[None] * length,
            forecast=[0.0] * horizon,
            sigma=0.0,
            mean_daily=0.0,
        )
        for length in (batch.skipped + batch.days).tolist()
    ]


def _model_results(method, batch, params, fitted, future, mean_daily):
    # Holt and Holt-Winters rows have at least two observed days, so two errors for sigma.
    sigma = _stdev_rows(batch.values - fitted, batch.observed)
    return [
        Forecast(
            method=method,
            params=param,
            fitted=fit,
            forecast=ahead,
            sigma=spread,
            mean_daily=mean,
        )
        for param, fit, ahead, spread, mean in zip(
            params,
            _fitted_lists(batch, fitted),
            # max(0.0, value) as forecast() writes it: a value only when above zero.
            np.where(future > 0.0, future, 0.0).tolist(),
            sigma.tolist(),
            mean_daily.tolist(),
            strict=True,
        )
    ]


def _fitted_lists(batch, fitted):
    """Per row, the fitted values as forecast() lists them: None before the first observed
    day and on days not observed."""
    # Converting to objects in numpy makes the Python floats in C, a row at a time.
    cells = np.where(batch.observed, fitted, None).tolist()
    return [
        [None] * skipped + row[:days]
        for skipped, days, row in zip(
            batch.skipped.tolist(), batch.days.tolist(), cells, strict=True
        )
    ]


def _exact_row_sums(values):
    """Row sums rounded once, as math.fsum rounds them: the initial values and means must
    be those of forecast() (statistics.fmean) to the last bit, or a near tie in the grid
    search could go the other way."""
    sums = values.sum(axis=1)
    # Whole numbers (sales quantities, mostly) add up exactly in any order while every
    # partial sum stays below 2**53; only the other rows need math.fsum.
    whole = np.all(values == np.trunc(values), axis=1)
    exact = whole & (np.abs(values).sum(axis=1) < 2.0**53)
    for row in np.flatnonzero(~exact).tolist():
        sums[row] = math.fsum(values[row].tolist())
    return sums


def _stdev_rows(values, observed):
    """Each row's sample standard deviation over its observed days; 0 with fewer than two."""
    counts = observed.sum(axis=1)
    means = np.where(observed, values, 0.0).sum(axis=1) / np.maximum(counts, 1)
    deviations = np.where(observed, values - means[:, None], 0.0)
    variances = (deviations * deviations).sum(axis=1) / np.maximum(counts - 1, 1)
    return np.where(counts >= MIN_ERRORS_FOR_SIGMA, np.sqrt(variances), 0.0)


def _grid_search(batch, level, trend, seasonals, lanes):
    """Each row's best weights, one array per weight, a cache-sized block of rows at a time."""
    best = np.empty(len(level), dtype=int)
    rows = max(1, GRID_CELLS // lanes[0].size)
    for start in range(0, len(level), rows):
        block = slice(start, start + rows)
        days = int(batch.days[block].max())
        sse = _grid_sse(
            batch.values[block, :days],
            batch.observed[block, :days],
            level[block],
            trend[block],
            None if seasonals is None else seasonals[block],
            lanes,
        )
        best[block] = _best_lanes(sse)
    return tuple(weights[best] for weights in lanes)


# The two functions below are holt() and holt_winters_additive() for every row at once,
# each row with its own weights: the same operations in the same order, so the same
# fitted values and forecasts to the last bit. A day not observed inside a series carries
# level + trend; the padding after a shorter series changes nothing.


def _run_holt(batch, alpha, beta, level, trend, horizon):
    fitted = np.empty(batch.values.shape)
    for day in range(batch.values.shape[1]):
        value, seen, inside = batch.values[:, day], batch.observed[:, day], day < batch.days
        predicted = level + trend
        fitted[:, day] = predicted
        new_level = alpha * value + (1 - alpha) * predicted
        new_trend = beta * (new_level - level) + (1 - beta) * trend
        trend = np.where(seen, new_trend, trend)
        level = np.where(seen, new_level, np.where(inside, predicted, level))
    steps = np.arange(1, horizon + 1)
    return fitted, level[:, None] + steps * trend[:, None]


def _run_holt_winters(batch, alpha, beta, gamma, level, trend, seasonals, horizon):
    m = batch.season_length
    # ring[:, t % m] holds the effect for day t; each day leaves there the one for t + m.
    ring = seasonals.copy()
    fitted = np.empty(batch.values.shape)
    for day in range(batch.values.shape[1]):
        value, seen, inside = batch.values[:, day], batch.observed[:, day], day < batch.days
        seasonal = ring[:, day % m].copy()
        carried = level + trend
        fitted[:, day] = carried + seasonal
        new_level = alpha * (value - seasonal) + (1 - alpha) * carried
        new_seasonal = gamma * (value - level - trend) + (1 - gamma) * seasonal
        new_trend = beta * (new_level - level) + (1 - beta) * trend
        ring[:, day % m] = np.where(seen, new_seasonal, seasonal)
        trend = np.where(seen, new_trend, trend)
        level = np.where(seen, new_level, np.where(inside, carried, level))
    steps = np.arange(1, horizon + 1)
    effects = np.take_along_axis(ring, (batch.days[:, None] + steps - 1) % m, axis=1)
    return fitted, level[:, None] + steps * trend[:, None] + effects


# The grid searches run every weight combination at once, as numpy arrays of shape (series,
# lanes), one lane per combination and one row per series: forecast() passes one row,
# forecast_many() a batch. The recursions are holt() and holt_winters_additive() rewritten
# in error-correction form, which is the same algebra:
#   e = y - (level + trend + seasonal)
#   level' = level + trend + alpha e;  trend' = trend + alpha beta e;  seasonal' = seasonal + gamma e
# It takes 12 array passes a day instead of 19, and an unknown day is simply e = 0: every
# update then adds zero, which leaves exactly the state the component form gives such a
# day (level + trend, the same trend and effects). Both callers share this code, so their
# sums of squares, and so their chosen weights, are the same to the last bit (and on
# 19,000 random histories the same as the component form's). np.argmin takes the first
# minimum in (alpha, beta, gamma) order: ties go to the smallest weights.


def _weight_lanes(*weights):
    """Every combination of the weights, one lane each, in the order ties are broken."""
    return tuple(grid.ravel() for grid in np.meshgrid(*weights, indexing="ij"))


HOLT_LANES = _weight_lanes(ALPHAS, BETAS)
HOLT_WINTERS_LANES = _weight_lanes(ALPHAS, BETAS, GAMMAS)


def _best_holt(series, initial_level, initial_trend):
    values, observed = _one_row(series)
    sse = _grid_sse(values, observed, [initial_level], [initial_trend], None, HOLT_LANES)
    best = _best_lanes(sse)[0]
    return tuple(float(weights[best]) for weights in HOLT_LANES)


def _best_holt_winters(series, season_length, initial_level, initial_trend, initial_seasonals):
    values, observed = _one_row(series)
    seasonals = np.asarray([initial_seasonals], dtype=float)
    sse = _grid_sse(
        values, observed, [initial_level], [initial_trend], seasonals, HOLT_WINTERS_LANES
    )
    best = _best_lanes(sse)[0]
    return tuple(float(weights[best]) for weights in HOLT_WINTERS_LANES)


def _one_row(series):
    """A series with None days as the (values, observed) rows the grid search reads."""
    observed = np.array([[value is not None for value in series]])
    values = np.array([[0.0 if value is None else value for value in series]], dtype=float)
    return values, observed


def _grid_sse(values, observed, initial_level, initial_trend, initial_seasonals, lanes):
    """Sums of squared one-step errors, shape (series, lanes).

    `values` and `observed` have one row per series, day 0 its first observed day; values
    on days not observed (unknown, or after a shorter series' end) are ignored. Holt when
    `initial_seasonals` is None, additive Holt-Winters with one season per row otherwise.
    """
    alpha, beta = lanes[0], lanes[1]
    alpha_beta = alpha * beta
    rows, days = values.shape
    shape = (rows, alpha.size)
    level = np.empty(shape)
    level[:] = np.asarray(initial_level, dtype=float)[:, None]
    trend = np.empty(shape)
    trend[:] = np.asarray(initial_trend, dtype=float)[:, None]
    if initial_seasonals is None:
        ring = None
    else:
        gamma = lanes[2]
        # A ring of the season's effects: day t reads slot t % m and leaves there the effect of t + m.
        ring = [np.repeat(column[:, None], alpha.size, axis=1) for column in initial_seasonals.T]
    weight = observed.astype(float)
    sse, predicted, error, scratch = (np.zeros(shape) for _ in range(4))
    for day in range(days):
        value, seen = values[:, day, None], weight[:, day, None]
        np.add(level, trend, out=predicted)
        if ring is None:
            np.subtract(value, predicted, out=error)
        else:
            seasonal = ring[day % len(ring)]
            np.add(predicted, seasonal, out=error)
            np.subtract(value, error, out=error)
        error *= seen
        np.multiply(error, error, out=scratch)
        sse += scratch
        np.multiply(alpha, error, out=scratch)
        np.add(predicted, scratch, out=level)
        np.multiply(alpha_beta, error, out=scratch)
        trend += scratch
        if ring is not None:
            np.multiply(gamma, error, out=scratch)
            seasonal += scratch
    return sse


def _best_lanes(sse):
    """Each row's lane of least error. Sums that differ only by floating-point noise count
    as ties, which go to the first lane: the smallest weights."""
    return np.argmin(np.round(sse, 9), axis=1)
