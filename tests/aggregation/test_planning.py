"""Order plan lines of the periodic-review, order-up-to model, worked by hand.

The running example: service level 0.95, so z = 1.6449; sigma of the daily forecast error
4; lead time L = 9 days and review period R = 7 days, so sqrt(L + R) = sqrt(16) = 4; a
flat forecast of 10 a day.

    forecast over L        = 9 days x 10                 = 90
    forecast over L + R    = 16 days x 10                = 160
    safety stock SS        = 1.6449 x 4 x 4              = 26.32
    reorder point          = 90 + 26.32                  = 116.32
    order-up-to S          = 160 + 26.32                 = 186.32
    need                   = 186.32 - on hand - on order
    order                  = need, at least the MOQ, rounded up to cases; 0 if need <= 0
    short                  = on hand + on order < 90
"""

import math
from decimal import Decimal

import numpy as np
import pytest

from aggregation.forecast import Forecast, forecast
from aggregation.planning import (
    PlanLine,
    order_quantity,
    plan_line,
    plan_lines,
    z_for_service_level,
)

Z_95 = 1.6449  # the standard normal quantile at 0.95, to four decimals
SAFETY_STOCK = 26.32  # 1.6449 x 4 x 4, to two decimals
ORDER_UP_TO = 160 + SAFETY_STOCK


def flat_forecast(per_day=10.0, days=30, sigma=4.0, mean_daily=10.0):
    return Forecast(
        method="test",
        params={},
        fitted=[],
        forecast=[per_day] * days,
        sigma=sigma,
        mean_daily=mean_daily,
    )


def line(on_hand=50, on_order=30, **overrides) -> PlanLine:
    arguments = {
        "forecast": flat_forecast(),
        "lead_time_days": 9,
        "review_period_days": 7,
        "service_level": 0.95,
    }
    arguments.update(overrides)
    return plan_line(on_hand=on_hand, on_order=on_order, **arguments)


def test_z_for_common_service_levels():
    assert z_for_service_level(0.95) == pytest.approx(Z_95, abs=1e-4)
    assert z_for_service_level(0.99) == pytest.approx(2.3263, abs=1e-4)
    assert z_for_service_level(0.5) == 0.0


def test_safety_stock_covers_lead_time_plus_review_period():
    result = line()
    # 1.6449 x 4 x sqrt(9 + 7) = 1.6449 x 16 = 26.32
    assert result.safety_stock == pytest.approx(SAFETY_STOCK, abs=0.005)
    assert result.forecast_lead_time == 90
    assert result.forecast_period == 160


def test_reorder_point_and_order_up_to_use_the_forecast_and_the_same_safety_stock():
    # A forecast that is not the mean: 12 a day for the first 9 days, then 6 a day, while
    # the history's mean was 10. The reorder point reads the forecast, not the mean.
    shaped = Forecast("test", {}, [], [12.0] * 9 + [6.0] * 21, sigma=4.0, mean_daily=10.0)
    result = line(forecast=shaped)
    # forecast over L = 9 x 12 = 108; over L + R = 108 + 7 x 6 = 150
    assert (result.forecast_lead_time, result.forecast_period) == (108, 150)
    assert result.reorder_point == pytest.approx(108 + SAFETY_STOCK, abs=0.005)
    assert result.order_up_to == pytest.approx(150 + SAFETY_STOCK, abs=0.005)


@pytest.mark.parametrize(
    ("on_hand", "on_order", "order"),
    [
        (50, 30, 107),  # 186.32 - 50 - 30 = 106.32, rounded up to 107
        (120, 40, 27),  # 186.32 - 120 - 40 = 26.32, rounded up to 27
        (0, 0, 187),  # 186.32, rounded up to 187
        (150, 40, 0),  # 186.32 - 190 = -3.68: nothing to order
    ],
)
def test_order_is_order_up_to_minus_on_hand_and_on_order(on_hand, on_order, order):
    result = line(on_hand=on_hand, on_order=on_order)
    assert result.need == pytest.approx(ORDER_UP_TO - on_hand - on_order, abs=0.005)
    assert result.order_quantity == order
    assert (result.on_hand, result.on_order) == (on_hand, on_order)


@pytest.mark.parametrize(
    ("case_pack", "minimum_order", "order"),
    [
        (12, 0, 108),  # 106.32 -> 9 cases of 12 (8 cases = 96 would be short)
        (1, 50, 107),  # the need is above the MOQ: the MOQ changes nothing
        (1, 150, 150),  # raised to the MOQ of 150
        (12, 150, 156),  # raised to 150, then to 13 whole cases of 12
        (6, 0, 108),  # 106.32 / 6 = 17.7 -> 18 cases = 108
    ],
)
def test_case_pack_and_minimum_order(case_pack, minimum_order, order):
    result = line(on_hand=50, on_order=30, case_pack=case_pack, minimum_order=minimum_order)
    assert result.order_quantity == order


def test_no_need_orders_nothing_whatever_the_minimum_order():
    # 186.32 - 150 - 40 < 0: a minimum applies to an order, it does not make one.
    assert line(on_hand=150, on_order=40, minimum_order=50, case_pack=12).order_quantity == 0


def test_an_exact_case_is_not_rounded_up_again():
    # Need exactly 24 (no variability, 160 - 100 - 36), cases of 12: two cases, not three.
    result = line(on_hand=100, on_order=36, forecast=flat_forecast(sigma=0.0), case_pack=12)
    assert result.order_quantity == 24
    assert order_quantity(24.000000000001, case_pack=12) == 24  # float dust is not a case


def test_an_exact_cover_orders_nothing():
    # No variability: safety stock 0; 160 - 100 - 60 = 0 exactly.
    result = line(on_hand=100, on_order=60, forecast=flat_forecast(sigma=0.0))
    assert result.safety_stock == 0
    assert result.order_quantity == 0
    # 160 - 100 - 59 = 1
    assert line(on_hand=100, on_order=59, forecast=flat_forecast(sigma=0.0)).order_quantity == 1


def test_float_dust_is_not_a_unit():
    # 0.1 a day over 16 days is 1.6; 1.2 on hand and 0.4 on order cover it, though in
    # floats 1.6 - 1.2 - 0.4 leaves 1.1e-16, which a bare ceil() would make one unit.
    result = line(on_hand=1.2, on_order=0.4, forecast=flat_forecast(per_day=0.1, sigma=0.0))
    assert result.order_quantity == 0


@pytest.mark.parametrize(
    ("on_hand", "on_order", "short"),
    [(89, 0, True), (90, 0, False), (60, 29, True), (60, 30, False), (10, 100, False)],
)
def test_short_counts_units_on_order(on_hand, on_order, short):
    # The lead time needs 9 days x 10 = 90: short when on hand + on order is below it.
    assert line(on_hand=on_hand, on_order=on_order).short is short


def test_a_short_line_always_orders():
    # Short means on hand + on order < forecast over L <= S - SS: the need is positive.
    for on_hand in range(0, 90):
        result = line(on_hand=on_hand, on_order=0)
        assert result.short and result.order_quantity > 0


def test_no_lead_time_still_covers_the_review_period():
    result = line(lead_time_days=0, on_hand=0, on_order=0)
    # SS = 1.6449 x 4 x sqrt(0 + 7) = 17.41; S = 7 x 10 + 17.41 = 87.41
    assert result.safety_stock == pytest.approx(1.6449 * 4 * math.sqrt(7), abs=0.005)
    assert result.forecast_lead_time == 0
    assert result.reorder_point == pytest.approx(result.safety_stock)
    assert result.forecast_period == 70
    assert result.order_quantity == 88
    assert result.short is False


def test_stock_counts_from_the_database_are_accepted():
    result = line(on_hand=Decimal("50"), on_order=30)
    assert result.order_quantity == 107
    assert isinstance(result.on_hand, float)


def test_a_line_from_a_real_forecast():
    # Steady 10 a day with a stock-out week: the forecast stays 10 a day, sigma 0.
    history = [10.0] * 21 + [None] * 7
    result = line(on_hand=40, on_order=0, forecast=forecast(history, horizon=16))
    # 160 + 0 - 40 = 120; 90 needed over the lead time, 40 on hand: short.
    assert result.order_quantity == 120
    assert result.short is True


def test_no_history_orders_nothing():
    result = line(on_hand=0, on_order=0, forecast=forecast([], horizon=16))
    assert result.order_quantity == 0
    assert result.safety_stock == 0
    assert result.short is False


def test_the_vector_plan_equals_line_by_line():
    rng = np.random.default_rng(5)
    count = 400
    lead = rng.integers(0, 15, count)
    review = rng.integers(1, 10, count)
    packs = rng.choice([1, 1, 6, 12, 24], count)
    moqs = rng.choice([0, 0, 10, 48], count)
    forecasts = rng.gamma(2.0, 3.0, (count, 30)) * (rng.random((count, 1)) > 0.1)
    sigma = rng.gamma(2.0, 1.5, count)
    on_hand = rng.integers(0, 120, count).astype(float)
    on_order = rng.choice([0, 0, 12, 24], count).astype(float)
    z = z_for_service_level(0.95)
    vectors = plan_lines(on_hand=on_hand, on_order=on_order, forecasts=forecasts, sigma=sigma,
                         lead_time=lead, review_period=review, z=z, case_pack=packs.astype(float),
                         minimum_order=moqs.astype(float))  # fmt: skip
    for i in range(count):
        one = plan_line(
            on_hand=on_hand[i], on_order=on_order[i],
            forecast=Forecast("test", {}, [], list(forecasts[i]), float(sigma[i]), 0.0),
            lead_time_days=int(lead[i]), review_period_days=int(review[i]), service_level=0.95,
            case_pack=int(packs[i]), minimum_order=int(moqs[i]),
        )  # fmt: skip
        assert vectors["order_quantity"][i] == one.order_quantity
        assert bool(vectors["short"][i]) is one.short
        for name in (
            "forecast_lead_time",
            "forecast_period",
            "safety_stock",
            "reorder_point",
            "order_up_to",
        ):
            assert vectors[name][i] == pytest.approx(getattr(one, name), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"service_level": 0}, "service level"),
        ({"service_level": 1}, "service level"),
        ({"service_level": 1.5}, "service level"),
        ({"service_level": -0.1}, "service level"),
        ({"service_level": math.nan}, "service level"),
        ({"service_level": True}, "service level"),
        ({"lead_time_days": -1}, "lead time"),
        ({"lead_time_days": 2.5}, "lead time"),
        ({"review_period_days": -1}, "review period"),
        ({"on_hand": -1}, "on hand"),
        ({"on_hand": math.inf}, "on hand"),
        ({"on_order": -5}, "on order"),
        ({"on_order": None}, "on order"),
        ({"forecast": flat_forecast(days=10)}, "covers 10 days"),
        ({"case_pack": 0}, "case pack"),
        ({"minimum_order": -1}, "minimum order"),
    ],
)
def test_invalid_inputs_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        line(**overrides)
