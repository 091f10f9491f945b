"""Demand forecasts for the order plan, checked against statsmodels' ExponentialSmoothing.

With the same fixed weights and known initial values, `holt` and
`holt_winters_additive` must give statsmodels' fitted values and forecasts.
statsmodels up to its fix for issue 9538 uses a season-old day-of-week effect
for forecasts exactly 7, 14, ... days ahead; those steps are checked against
statsmodels' own final components (level + h x trend + latest effect) instead.
"""

import math
import random
import statistics

import pytest
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from aggregation.forecast import (
    ALPHAS,
    BETAS,
    GAMMAS,
    HOLT,
    HOLT_WINTERS,
    NO_FORECAST,
    SIMPLE_LEVEL,
    forecast,
    holt,
    holt_winters_additive,
)

WEEK = 7
WEEKLY_PATTERN = [6.0, 4.0, 0.0, -1.0, -2.0, -5.0, -2.0]  # Monday .. Sunday, sums to 0


def close(actual, expected):
    """Within 1%, or 0.01 of a unit for values near zero."""
    return actual == pytest.approx(expected, rel=0.01, abs=0.01)


def trending_series(days=60, seed=7):
    rng = random.Random(seed)
    return [20 + 0.5 * day + rng.gauss(0, 2) for day in range(days)]


def weekly_series(weeks=10, seed=11):
    rng = random.Random(seed)
    return [
        30 + 0.2 * day + WEEKLY_PATTERN[day % WEEK] + rng.gauss(0, 1.5)
        for day in range(weeks * WEEK)
    ]


def simple_initial_values(series):
    level = statistics.fmean(series[:WEEK])
    trend = (statistics.fmean(series[WEEK : 2 * WEEK]) - level) / WEEK
    return level, trend, [value - level for value in series[:WEEK]]


@pytest.mark.parametrize(("alpha", "beta"), [(0.3, 0.1), (0.8, 0.05), (0.1, 0.0)])
def test_holt_matches_statsmodels(alpha, beta):
    series = trending_series()
    level, trend = series[0], series[1] - series[0]
    fitted, future = holt(series, alpha, beta, level, trend, horizon=14)

    result = ExponentialSmoothing(
        series, trend="add", initialization_method="known", initial_level=level, initial_trend=trend
    ).fit(smoothing_level=alpha, smoothing_trend=beta, optimized=False)

    assert len(fitted) == len(series)
    assert all(
        close(mine, theirs) for mine, theirs in zip(fitted, result.fittedvalues, strict=True)
    )
    assert all(
        close(mine, theirs) for mine, theirs in zip(future, result.forecast(14), strict=True)
    )


@pytest.mark.parametrize(
    ("alpha", "beta", "gamma"), [(0.3, 0.1, 0.2), (0.6, 0.0, 0.05), (0.1, 0.3, 0.3)]
)
def test_holt_winters_matches_statsmodels(alpha, beta, gamma):
    series = weekly_series()
    level, trend, seasonals = simple_initial_values(series)
    horizon = 3 * WEEK
    fitted, future = holt_winters_additive(
        series, alpha, beta, gamma, WEEK, level, trend, seasonals, horizon=horizon
    )

    result = ExponentialSmoothing(
        series,
        trend="add",
        seasonal="add",
        seasonal_periods=WEEK,
        initialization_method="known",
        initial_level=level,
        initial_trend=trend,
        initial_seasonal=seasonals,
    ).fit(smoothing_level=alpha, smoothing_trend=beta, smoothing_seasonal=gamma, optimized=False)

    assert len(fitted) == len(series)
    assert all(
        close(mine, theirs) for mine, theirs in zip(fitted, result.fittedvalues, strict=True)
    )
    theirs = list(result.forecast(horizon))
    last_level, last_trend = result.level[-1], result.trend[-1]
    for step, mine in enumerate(future, start=1):
        # The textbook forecast from statsmodels' own final state.
        latest_effect = result.season[-WEEK + (step - 1) % WEEK]
        assert close(mine, last_level + step * last_trend + latest_effect)
        if step % WEEK:
            assert close(mine, theirs[step - 1])


def test_a_missing_day_is_replaced_by_the_prediction():
    """A None day updates the state exactly as if the one-step prediction had been observed."""
    series = weekly_series()
    level, trend, seasonals = simple_initial_values(series)
    gappy = [None if 30 <= day < 37 else value for day, value in enumerate(series)]
    args = (0.4, 0.1, 0.2, WEEK, level, trend, seasonals)

    fitted, future = holt_winters_additive(gappy, *args, horizon=10)
    # Feed the predictions back in as if they were observations.
    filled = list(gappy)
    for day in range(30, 37):
        _, (filled[day],) = holt_winters_additive(filled[:day], *args, horizon=1)
    refitted, refuture = holt_winters_additive(filled, *args, horizon=10)

    assert all(fitted[day] is None for day in range(30, 37))
    assert future == pytest.approx(refuture)
    assert [fit for fit in fitted if fit is not None] == pytest.approx(
        [fit for day, fit in enumerate(refitted) if not 30 <= day < 37]
    )


def test_holt_carries_level_and_trend_over_a_missing_day():
    fitted, future = holt([10.0, None, None, 16.0], 0.5, 0.0, 8.0, 2.0, horizon=2)
    # Level 8, trend 2: predicts 10, observes 10; the gaps predict 12 and 14 and
    # keep them; day 4 predicts 16 and observes 16. Forecast: 18, 20.
    assert fitted == [10.0, None, None, 16.0]
    assert future == [18.0, 20.0]


def test_two_full_weeks_use_holt_winters():
    result = forecast(weekly_series(weeks=2), horizon=7)
    assert result.method == HOLT_WINTERS
    assert result.params["season_length"] == WEEK
    assert result.params["alpha"] in ALPHAS
    assert result.params["beta"] in BETAS
    assert result.params["gamma"] in GAMMAS
    assert len(result.params["initial_seasonals"]) == WEEK


def test_ten_days_use_holt():
    result = forecast(trending_series(days=10), horizon=7)
    assert result.method == HOLT
    assert set(result.params) == {"alpha", "beta", "initial_level", "initial_trend"}


def test_two_days_use_the_mean():
    result = forecast([8, 12], horizon=3)
    assert result.method == SIMPLE_LEVEL
    assert result.forecast == [10.0, 10.0, 10.0]
    assert result.mean_daily == 10.0
    assert result.sigma == pytest.approx(statistics.stdev([8, 12]))  # 2.83


@pytest.mark.parametrize("history", [[], [None] * 20])
def test_no_observed_day_gives_no_forecast(history):
    result = forecast(history, horizon=5)
    assert result.method == NO_FORECAST
    assert result.forecast == [0.0] * 5
    assert result.sigma == 0.0
    assert result.fitted == [None] * len(history)


def test_days_before_the_first_sale_do_not_count():
    series = weekly_series(weeks=2)
    assert forecast([None] * 5 + series, horizon=7).method == HOLT_WINTERS
    # 16 days in all, but only 11 from the first observed day.
    assert forecast([None] * 5 + series[:11], horizon=7).method == HOLT


def test_a_stock_out_week_does_not_pull_the_forecast_down():
    steady = [10.0] * 28
    out_of_stock = steady[:21] + [None] * 7
    recorded_as_zero = steady[:21] + [0.0] * 7

    kept = forecast(out_of_stock, horizon=14)
    pulled = forecast(recorded_as_zero, horizon=14)

    assert kept.forecast == pytest.approx([10.0] * 14)
    assert kept.mean_daily == 10.0
    assert kept.sigma == pytest.approx(0.0)
    assert kept.fitted[21:] == [None] * 7
    assert sum(pulled.forecast) < sum(kept.forecast) - 14
    assert pulled.mean_daily == 7.5


def test_a_stock_out_week_in_the_middle_leaves_a_seasonal_forecast_alone():
    series = weekly_series(weeks=8)
    gappy = series[:21] + [None] * 7 + series[28:]
    result = forecast(gappy, horizon=7)
    assert result.method == HOLT_WINTERS
    observed = [value for value in gappy if value is not None]
    assert result.mean_daily == pytest.approx(statistics.fmean(observed))
    # The week ahead still has the weekly shape: Monday above Saturday.
    monday, saturday = result.forecast[0], result.forecast[5]
    assert monday > saturday + 5


def test_forecasts_are_never_negative():
    falling = [60.0 - 4 * day for day in range(14)] + [4.0, 2.0]
    for history in (falling, falling[:10]):
        result = forecast(history, horizon=30)
        assert min(result.forecast) == 0.0
        assert all(value >= 0 for value in result.forecast)


def test_sigma_is_the_spread_of_one_step_errors():
    series = trending_series(days=12)
    result = forecast(series, horizon=7)
    errors = [value - fit for value, fit in zip(series, result.fitted, strict=True)]
    assert result.sigma == pytest.approx(statistics.stdev(errors))
    assert result.mean_daily == pytest.approx(statistics.fmean(series))


def test_the_grid_search_picks_the_smallest_squared_error():
    series = trending_series(days=12)
    result = forecast(series, horizon=0)
    level, trend = result.params["initial_level"], result.params["initial_trend"]

    def sse(alpha, beta):
        fitted, _ = holt(series, alpha, beta, level, trend, horizon=0)
        return math.fsum((value - fit) ** 2 for value, fit in zip(series, fitted, strict=True))

    best = min(sse(alpha, beta) for alpha in ALPHAS for beta in BETAS)
    assert sse(result.params["alpha"], result.params["beta"]) == best


def test_the_seasonal_grid_search_picks_the_smallest_squared_error():
    """Holt-Winters' weights against the squared errors of holt_winters_additive() itself,
    with out-of-stock days: the search runs another form of the same recursion."""
    series = weekly_series(weeks=5)
    series[9] = series[20] = series[21] = None
    result = forecast(series, horizon=0)
    params = result.params
    initial = (params["initial_level"], params["initial_trend"], params["initial_seasonals"])

    def sse(alpha, beta, gamma):
        fitted, _ = holt_winters_additive(series, alpha, beta, gamma, WEEK, *initial, horizon=0)
        return math.fsum(
            (value - fit) ** 2
            for value, fit in zip(series, fitted, strict=True)
            if value is not None
        )

    best = min(sse(a, b, g) for a in ALPHAS for b in BETAS for g in GAMMAS)
    assert sse(params["alpha"], params["beta"], params["gamma"]) == pytest.approx(best, rel=1e-12)


def test_the_same_history_gives_the_same_forecast():
    series = weekly_series(weeks=4)
    assert forecast(series, horizon=14) == forecast(list(series), horizon=14)


@pytest.mark.parametrize(("horizon", "season_length"), [(-1, 7), (7, 1)])
def test_bad_arguments_are_refused(horizon, season_length):
    with pytest.raises(ValueError):
        forecast([1.0, 2.0, 3.0], horizon=horizon, season_length=season_length)
