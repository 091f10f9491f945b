"""The rolling-origin backtest: how the forecast would have done over each history's
last four weeks, against the seasonal-naive forecast (the demand a week earlier)."""

import random

import pytest

from aggregation import forecast as forecasting
from aggregation.forecast import Backtest, backtest_many, forecast

WEEK = 7
WEEKLY_PATTERN = [30.0, 20.0, 25.0, 40.0, 55.0, 80.0, 30.0]  # mean 40


def backtest_one(history, season_length=WEEK, weeks=4):
    """The backtest as the module doc says it, one history and one origin at a time."""
    first = next((day for day, value in enumerate(history) if value is not None), None)
    if first is None or len(history) - first < (weeks + 2) * season_length:
        return None
    sold = error = signed = naive_error = naive_signed = 0.0
    days = 0
    for week in range(weeks, 0, -1):
        origin = len(history) - week * season_length
        predicted = forecast(history[:origin], season_length, season_length).forecast
        for step in range(season_length):
            day = origin + step
            actual, naive = history[day], history[day - season_length]
            if actual is None or naive is None:
                continue
            sold += actual
            error += abs(actual - predicted[step])
            signed += predicted[step] - actual
            naive_error += abs(actual - naive)
            naive_signed += naive - actual
            days += 1
    if sold <= 0:
        return None
    return Backtest(
        wape=error / sold,
        bias=signed / sold,
        naive_wape=naive_error / sold,
        naive_bias=naive_signed / sold,
        days=days,
        worse_than_naive=error > naive_error,
    )


def assert_same_backtest(got, want):
    if want is None:
        assert got is None
        return
    assert got.wape == pytest.approx(want.wape, rel=1e-9, abs=1e-9)
    assert got.bias == pytest.approx(want.bias, rel=1e-9, abs=1e-9)
    assert got.naive_wape == pytest.approx(want.naive_wape, rel=1e-9, abs=1e-9)
    assert got.naive_bias == pytest.approx(want.naive_bias, rel=1e-9, abs=1e-9)
    assert got.days == want.days
    # Only a real difference decides: sums in another order may split a dead heat.
    if abs(want.wape - want.naive_wape) > 1e-9:
        assert got.worse_than_naive == want.worse_than_naive


def test_a_constant_history_is_forecast_exactly():
    (result,) = backtest_many([[10.0] * 42])
    assert result == Backtest(
        wape=0.0, bias=0.0, naive_wape=0.0, naive_bias=0.0, days=28, worse_than_naive=False
    )


def test_a_steady_weekly_pattern_is_forecast_exactly_by_both():
    (result,) = backtest_many([[WEEKLY_PATTERN[day % WEEK] for day in range(8 * WEEK)]])
    assert result == Backtest(
        wape=0.0, bias=0.0, naive_wape=0.0, naive_bias=0.0, days=28, worse_than_naive=False
    )


def test_a_pattern_the_model_has_to_learn_is_worse_than_naive():
    """A flat first week, then the weekly pattern: last week's demand is exactly right from
    week two on, while the model starts with no day-of-week effects and learns them slowly."""
    history = [40.0] * WEEK + [WEEKLY_PATTERN[day % WEEK] for day in range(WEEK, 6 * WEEK)]
    (result,) = backtest_many([history])
    assert result.naive_wape == 0.0
    assert result.naive_bias == 0.0
    assert result.wape > 0.05
    assert result.worse_than_naive
    assert result.days == 28


def test_errors_and_unknown_days_by_hand():
    """Ten a day for six weeks; the last day sells 20, and day 33 was out of stock."""
    history = [10.0] * 42
    history[41] = 20.0
    history[33] = None
    (result,) = backtest_many([history])
    # Every training history is flat at 10 (day 33 unknown changes nothing), so every
    # forecast is 10. Day 33 has no actual and day 40 no naive (day 33): 26 days, 270
    # sold; both forecasts miss the last day by 10, low.
    assert result.days == 26
    assert result.wape == pytest.approx(10 / 270)
    assert result.bias == pytest.approx(-10 / 270)
    assert result.naive_wape == pytest.approx(10 / 270)
    assert result.naive_bias == pytest.approx(-10 / 270)
    assert not result.worse_than_naive


def test_over_forecasting_shows_as_positive_bias():
    """Ten a day, then nothing in the last week: both forecasts said 10 for those 7 days."""
    (result,) = backtest_many([[10.0] * 35 + [0.0] * 7])
    # 21 days of 10 sold (days 14 to 34), 70 forecast and not sold.
    assert result.wape == pytest.approx(70 / 210)
    assert result.bias == pytest.approx(70 / 210)
    assert result.naive_wape == pytest.approx(70 / 210)
    assert result.naive_bias == pytest.approx(70 / 210)


def test_six_weeks_from_the_first_observed_day_are_needed():
    six_weeks = [5.0] * 42
    assert backtest_many(
        [six_weeks[1:], [None] * 5 + six_weeks[5:], [None] * 5 + six_weeks, [], [None] * 50]
    ) == [None, None, backtest_many([six_weeks])[0], None, None]


def test_nothing_sold_on_the_compared_days_gives_no_backtest():
    assert backtest_many([[5.0] * 14 + [0.0] * 28, [5.0] * 14 + [None] * 28]) == [None, None]


def random_history(rng):
    length = rng.choice([30, 41, 42, 43, 50, 70, 120, 180])
    rate = rng.choice([0.2, 1, 5, 30])
    weekly = [rng.uniform(0.5, 1.5) for _ in range(WEEK)]
    values = [
        float(sum(rng.random() < rate * weekly[day % WEEK] / 60 for _ in range(60)))
        for day in range(length)
    ]
    out_of_stock = rng.choice([0, 0.05, 0.3])
    lead = rng.choice([0, 0, 3, 10])
    return [None] * lead + [None if rng.random() < out_of_stock else value for value in values]


def test_backtest_many_is_the_plain_loop():
    rng = random.Random(31)
    histories = [random_history(rng) for _ in range(150)]
    results = backtest_many(histories)
    assert sum(result is not None for result in results) > 100
    assert any(result.worse_than_naive for result in results if result)
    for history, got in zip(histories, results, strict=True):
        assert_same_backtest(got, backtest_one(history))


def test_other_seasons_and_weeks_across_batches(monkeypatch):
    monkeypatch.setattr(forecasting, "BATCH_SIZE", 9)
    rng = random.Random(8)
    histories = [random_history(rng) for _ in range(40)]
    for history, got in zip(histories, backtest_many(histories, 5, weeks=3), strict=True):
        assert_same_backtest(got, backtest_one(history, 5, weeks=3))


@pytest.mark.parametrize(("season_length", "weeks"), [(1, 4), (7, 0)])
def test_bad_arguments_are_refused(season_length, weeks):
    with pytest.raises(ValueError):
        backtest_many([[1.0] * 60], season_length=season_length, weeks=weeks)
