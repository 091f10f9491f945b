"""The replenishment model of the order plan: periodic review, order-up-to.

Every review period R an account looks at an item and orders enough to last until the
order after next can arrive, that is over the lead time L plus the review period. With the
item's daily demand forecast (`aggregation.forecast`) and sigma, the standard deviation of its
one-step (daily) forecast errors:

- forecast over L       = the sum of the next L days of the forecast
- forecast over L + R   = the sum of the next L + R days
- safety stock    SS    = z · sigma · √(L + R)
- reorder point         = forecast over L + SS
- order-up-to level S   = forecast over (L + R) + SS
- need                  = S - on hand - on order
- order quantity        = 0 when the need is 0 or less; otherwise the need, raised to the
                          minimum order quantity (MOQ) if below it, then rounded up to
                          whole case packs
- short                 = on hand + on order is below the forecast over L: the shelf runs
                          out before anything ordered today can arrive

z is the standard normal quantile of the service level (0.95 gives 1.6449). The safety
stock covers L + R because that is the span the order must last: demand can surprise
anywhere in it, not only during the lead time.

`plan_line` works one line out (the item page shows it with the item's own numbers);
`plan_lines` does the same for every line of a plan at once, as numpy vectors.
"""

import math
import statistics
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from aggregation.forecast import Forecast

# Order quantities are rounded up, but float sums such as 160 + 19.74 - 179.74
# leave a few 1e-14 behind; those are not a unit to order.
_ROUNDING_DIGITS = 9


@dataclass(frozen=True)
class PlanLine:
    on_hand: float
    on_order: float
    lead_time_days: int
    review_period_days: int
    z: float
    sigma: float
    # Sum of the forecast over the lead time, and over the lead time plus the review period.
    forecast_lead_time: float
    forecast_period: float
    safety_stock: float
    reorder_point: float
    order_up_to: float
    # S - on hand - on order, before the MOQ and the case pack.
    need: float
    case_pack: int
    minimum_order: int
    order_quantity: int
    short: bool


def z_for_service_level(service_level: float) -> float:
    """The standard normal quantile: 0.95 gives 1.6449, 0.5 gives 0."""
    if not _is_number(service_level) or not 0 < service_level < 1:
        raise ValueError("The service level must be strictly between 0 and 1 (for example 0.95).")
    return statistics.NormalDist().inv_cdf(service_level)


def order_quantity(need: float, case_pack: int = 1, minimum_order: int = 0) -> int:
    """0 for no need; else the need, at least the MOQ, rounded up to whole case packs."""
    need = round(need, _ROUNDING_DIGITS)
    if need <= 0:
        return 0
    wanted = max(need, minimum_order)
    return math.ceil(round(wanted / case_pack, _ROUNDING_DIGITS)) * case_pack


def plan_line(
    *,
    on_hand: float,
    on_order: float,
    forecast: Forecast,
    lead_time_days: int,
    review_period_days: int,
    service_level: float,
    case_pack: int = 1,
    minimum_order: int = 0,
) -> PlanLine:
    z = z_for_service_level(service_level)
    _check_days("lead time", lead_time_days)
    _check_days("review period", review_period_days)
    _check_quantity("on hand", on_hand)
    _check_quantity("on order", on_order)
    _check_pack(case_pack, minimum_order)
    on_hand, on_order = float(on_hand), float(on_order)
    period_days = lead_time_days + review_period_days
    if len(forecast.forecast) < period_days:
        raise ValueError(
            f"The forecast covers {len(forecast.forecast)} days; the plan needs {period_days} "
            "(lead time plus review period)."
        )
    forecast_lead_time = math.fsum(forecast.forecast[:lead_time_days])
    forecast_period = math.fsum(forecast.forecast[:period_days])
    safety_stock = z * forecast.sigma * math.sqrt(period_days)
    order_up_to = forecast_period + safety_stock
    need = order_up_to - on_hand - on_order
    return PlanLine(
        on_hand=on_hand,
        on_order=on_order,
        lead_time_days=lead_time_days,
        review_period_days=review_period_days,
        z=z,
        sigma=forecast.sigma,
        forecast_lead_time=forecast_lead_time,
        forecast_period=forecast_period,
        safety_stock=safety_stock,
        reorder_point=forecast_lead_time + safety_stock,
        order_up_to=order_up_to,
        need=need,
        case_pack=case_pack,
        minimum_order=minimum_order,
        order_quantity=order_quantity(need, case_pack, minimum_order),
        short=on_hand + on_order < round(forecast_lead_time, _ROUNDING_DIGITS),
    )


def plan_lines(*, on_hand, on_order, forecasts, sigma, lead_time, review_period, z, case_pack,
               minimum_order) -> dict:  # fmt: skip
    """`plan_line` for many lines at once. Every argument is a numpy vector with one value
    per line, except `forecasts`: a matrix, one row per line, of at least max(L + R) days.
    Returns the PlanLine fields as vectors (same names)."""
    lines = len(on_hand)
    period = lead_time + review_period
    running = np.concatenate([np.zeros((lines, 1)), np.cumsum(forecasts, axis=1)], axis=1)
    rows = np.arange(lines)
    forecast_lead_time = running[rows, lead_time]
    forecast_period = running[rows, period]
    safety_stock = z * sigma * np.sqrt(period)
    order_up_to = forecast_period + safety_stock
    need = order_up_to - on_hand - on_order
    rounded_need = np.round(need, _ROUNDING_DIGITS)
    wanted = np.maximum(rounded_need, minimum_order)
    cases = np.ceil(np.round(wanted / case_pack, _ROUNDING_DIGITS))
    order = np.where(rounded_need > 0, cases * case_pack, 0).astype(np.int64)
    return {
        "forecast_lead_time": forecast_lead_time,
        "forecast_period": forecast_period,
        "safety_stock": safety_stock,
        "reorder_point": forecast_lead_time + safety_stock,
        "order_up_to": order_up_to,
        "need": need,
        "order_quantity": order,
        "short": on_hand + on_order < np.round(forecast_lead_time, _ROUNDING_DIGITS),
    }


def _is_number(value) -> bool:
    # Stock counts come from IntegerFields, sums of sales from DecimalFields.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    return math.isfinite(value)


def _check_days(name, days):
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise ValueError(f"The {name} must be a whole number of days, 0 or more.")


def _check_quantity(name, quantity):
    if not _is_number(quantity) or quantity < 0:
        raise ValueError(f"The {name} quantity must be a number, 0 or more.")


def _check_pack(case_pack, minimum_order):
    if not isinstance(case_pack, int) or isinstance(case_pack, bool) or case_pack < 1:
        raise ValueError("The case pack must be a whole number of units, 1 or more.")
    if not isinstance(minimum_order, int) or isinstance(minimum_order, bool) or minimum_order < 0:
        raise ValueError("The minimum order must be a whole number of units, 0 or more.")
