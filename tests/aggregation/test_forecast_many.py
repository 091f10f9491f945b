"""forecast_many() forecasts a whole order plan at once and must give, SKU by SKU, what
forecast() gives: the same method and weights (ties to the smallest weights), the same
fitted values, forecast and mean daily demand, and sigma within rounding. The tests
allow 1e-9 on the figures and nothing on the method and params."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregation import forecast as forecasting
from aggregation.forecast import (
    HOLT,
    HOLT_WINTERS,
    NO_FORECAST,
    SIMPLE_LEVEL,
    forecast,
    forecast_many,
)

HORIZON = 14


def near(value):
    return pytest.approx(value, rel=1e-9, abs=1e-9)


def assert_same_forecast(got, want):
    assert got.method == want.method
    assert got.params == want.params
    assert [fit is None for fit in got.fitted] == [fit is None for fit in want.fitted]
    assert [fit for fit in got.fitted if fit is not None] == near(
        [fit for fit in want.fitted if fit is not None]
    )
    assert got.forecast == near(want.forecast)
    assert got.sigma == near(want.sigma)
    assert got.mean_daily == near(want.mean_daily)


def assert_same_as_one_by_one(histories, horizon=HORIZON):
    many = forecast_many(histories, horizon)
    assert len(many) == len(histories)
    for history, got in zip(histories, many, strict=True):
        assert_same_forecast(got, forecast(history, horizon))


# Demand: whole units mostly, sometimes fractions (split cases, weights), sometimes None.
quantities = st.one_of(
    st.integers(min_value=0, max_value=60).map(float),
    st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False),
)
days = st.one_of(st.none(), quantities, quantities, quantities)
gappy = st.lists(days, max_size=120)
constant = st.builds(
    lambda value, length, lead: [None] * lead + [value] * length,
    quantities,
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=0, max_value=10),
)
one_or_two_days = st.lists(st.one_of(st.none(), st.none(), st.none(), quantities), max_size=20)
all_unknown = st.integers(min_value=0, max_value=30).map(lambda length: [None] * length)
histories = st.lists(st.one_of(gappy, constant, one_or_two_days, all_unknown), max_size=12)


@settings(max_examples=100, deadline=None)
@given(histories)
def test_forecast_many_is_forecast_for_every_history(histories):
    assert_same_as_one_by_one(histories)


def random_history(rng):
    """Mostly Poisson-like demand with gaps, and the odd awkward one."""
    length = rng.choice([0, 1, 2, 3, 6, 13, 14, 15, 27, 60, 120, 180])
    kind = rng.random()
    if kind < 0.1:
        values = [float(rng.choice([0, 3]))] * length
    elif kind < 0.2:
        week = [rng.randint(0, 20) for _ in range(7)]
        values = [float(week[day % 7]) for day in range(length)]
    elif kind < 0.3:
        values = [round(rng.uniform(0, 40), 3) for _ in range(length)]
    else:
        rate = rng.choice([0.3, 2, 8, 40])
        values = [float(sum(rng.random() < rate / 50 for _ in range(50))) for _ in range(length)]
    out_of_stock = rng.choice([0, 0, 0.05, 0.4, 1])
    return [None if rng.random() < out_of_stock else value for value in values]


def test_a_few_hundred_random_skus():
    rng = random.Random(2024)
    histories = [random_history(rng) for _ in range(400)]
    methods = {result.method for result in forecast_many(histories, HORIZON)}
    assert methods == {HOLT_WINTERS, HOLT, SIMPLE_LEVEL, NO_FORECAST}
    assert_same_as_one_by_one(histories)


def test_batches_and_grid_blocks_do_not_change_a_forecast(monkeypatch):
    """Many small batches and grid blocks, with rows of several lengths in each."""
    monkeypatch.setattr(forecasting, "BATCH_SIZE", 7)
    monkeypatch.setattr(forecasting, "GRID_CELLS", 3 * len(forecasting.HOLT_WINTERS_LANES[0]))
    rng = random.Random(7)
    assert_same_as_one_by_one([random_history(rng) for _ in range(60)], horizon=30)


def test_results_come_back_in_the_order_of_the_histories():
    histories = [[5.0] * 30, [], [1.0, 2.0], [None] * 4, [3.0] * 10]
    result = forecast_many(histories, horizon=2)
    assert [r.method for r in result] == [
        HOLT_WINTERS,
        NO_FORECAST,
        SIMPLE_LEVEL,
        NO_FORECAST,
        HOLT,
    ]
    assert [len(r.fitted) for r in result] == [30, 0, 2, 4, 10]


def test_no_histories_no_forecasts():
    assert forecast_many([], horizon=7) == []


@pytest.mark.parametrize(("horizon", "season_length"), [(-1, 7), (7, 1)])
def test_bad_arguments_are_refused(horizon, season_length):
    with pytest.raises(ValueError):
        forecast_many([[1.0, 2.0, 3.0]], horizon=horizon, season_length=season_length)


def test_another_season_length():
    rng = random.Random(5)
    histories = [random_history(rng) for _ in range(80)]
    many = forecast_many(histories, horizon=9, season_length=4)
    for history, got in zip(histories, many, strict=True):
        assert_same_forecast(got, forecast(history, horizon=9, season_length=4))
