"""Order plan lines, worked by hand.

The running example: service level 0.95, so z = 1.6449; sigma of daily demand 4;
lead time 9 days, so sqrt(lead time) = 3; a flat forecast of 10 a day; review
period 7 days.

    safety stock   = 1.6449 x 4 x 3          = 19.74
    reorder point  = 10 x 9 + 19.74          = 109.74
    lead time      = 9 days x 10             = 90
    period         = (9 + 7) days x 10       = 160
    order quantity = max(0, 160 + 19.74 - on hand - on order), rounded up
"""

import math
from decimal import Decimal

import pytest

from aggregation.forecast import Forecast, forecast
from aggregation.planning import PlanLine, plan_line, z_for_service_level

Z_95 = 1.6449  # the standard normal quantile at 0.95, to four decimals
SAFETY_STOCK = 19.74  # 1.6449 x 4 x 3, to two decimals


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


def test_safety_stock_and_reorder_point():
    result = line()
    # 1.6449 x 4 x sqrt(9) = 1.6449 x 12 = 19.74
    assert result.safety_stock == pytest.approx(SAFETY_STOCK, abs=0.005)
    # 10 a day x 9 days + 19.74 = 109.74
    assert result.reorder_point == pytest.approx(90 + SAFETY_STOCK, abs=0.005)
    # 9 days x 10; (9 + 7) days x 10
    assert result.forecast_lead_time == 90
    assert result.forecast_period == 160


@pytest.mark.parametrize(
    ("on_hand", "on_order", "order_quantity"),
    [
        (50, 30, 100),  # 160 + 19.74 - 50 - 30 = 99.74, rounded up to 100
        (120, 40, 20),  # 160 + 19.74 - 120 - 40 = 19.74, rounded up to 20
        (0, 0, 180),  # 160 + 19.74 = 179.74, rounded up to 180
        (150, 40, 0),  # 160 + 19.74 - 150 - 40 = -10.26: nothing to order
    ],
)
def test_order_quantity(on_hand, on_order, order_quantity):
    result = line(on_hand=on_hand, on_order=on_order)
    assert result.order_quantity == order_quantity
    assert result.on_hand == on_hand
    assert result.on_order == on_order


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


@pytest.mark.parametrize(("on_hand", "short"), [(89, True), (90, False), (200, False)])
def test_short_when_the_lead_time_demand_exceeds_on_hand(on_hand, short):
    # The lead time needs 9 days x 10 = 90; stock on order does not help before it arrives.
    assert line(on_hand=on_hand, on_order=500).short is short


def test_no_lead_time_needs_no_safety_stock():
    result = line(lead_time_days=0, on_hand=0, on_order=0)
    # sqrt(0) = 0; the period is the review period alone: 7 x 10 = 70.
    assert result.safety_stock == 0
    assert result.reorder_point == 0
    assert result.forecast_lead_time == 0
    assert result.forecast_period == 70
    assert result.order_quantity == 70
    assert result.short is False


def test_stock_counts_from_the_database_are_accepted():
    result = line(on_hand=Decimal("50"), on_order=30)
    assert result.order_quantity == 100
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
    ],
)
def test_invalid_inputs_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        line(**overrides)
