"""One line of the master account's order plan: how much to order of an item.

Given the stock position, a demand forecast (`aggregation.forecast`), the
supplier's lead time, the review period (days until the next order is placed)
and the service level (the chance of not running out during the lead time):

- safety stock = z(service level) x sigma of daily demand x sqrt(lead time)
- reorder point = mean daily demand x lead time + safety stock
- order quantity = max(0, forecast over lead time + review period
  + safety stock - on hand - on order), rounded up to a whole unit
- short ("red") when the forecast demand over the lead time exceeds on hand:
  the shelf runs out before anything ordered today can arrive.

z is the standard normal quantile of the service level (0.95 gives 1.6449).
"""

import math
import statistics
from dataclasses import dataclass
from decimal import Decimal

from aggregation.forecast import Forecast

# Order quantities are rounded up, but float sums such as 160 + 19.74 - 179.74
# leave a few 1e-14 behind; those are not a unit to order.
_ROUNDING_DIGITS = 9


@dataclass(frozen=True)
class PlanLine:
    on_hand: float
    on_order: float
    # Sum of the forecast over the lead time.
    forecast_lead_time: float
    # Sum of the forecast over the lead time plus the review period.
    forecast_period: float
    safety_stock: float
    reorder_point: float
    # Rounded up to a whole unit.
    order_quantity: float
    # The forecast demand over the lead time exceeds on hand.
    short: bool


def z_for_service_level(service_level: float) -> float:
    """The standard normal quantile: 0.95 gives 1.6449, 0.5 gives 0."""
    if not _is_number(service_level) or not 0 < service_level < 1:
        raise ValueError("The service level must be strictly between 0 and 1 (for example 0.95).")
    return statistics.NormalDist().inv_cdf(service_level)


def plan_line(
    *,
    on_hand: float,
    on_order: float,
    forecast: Forecast,
    lead_time_days: int,
    review_period_days: int,
    service_level: float,
) -> PlanLine:
    z = z_for_service_level(service_level)
    _check_days("lead time", lead_time_days)
    _check_days("review period", review_period_days)
    _check_quantity("on hand", on_hand)
    _check_quantity("on order", on_order)
    on_hand, on_order = float(on_hand), float(on_order)
    period_days = lead_time_days + review_period_days
    if len(forecast.forecast) < period_days:
        raise ValueError(
            f"The forecast covers {len(forecast.forecast)} days; the plan needs {period_days} "
            "(lead time plus review period)."
        )

    forecast_lead_time = math.fsum(forecast.forecast[:lead_time_days])
    forecast_period = math.fsum(forecast.forecast[:period_days])
    safety_stock = z * forecast.sigma * math.sqrt(lead_time_days)
    reorder_point = forecast.mean_daily * lead_time_days + safety_stock
    shortfall = forecast_period + safety_stock - on_hand - on_order
    order_quantity = float(max(0, math.ceil(round(shortfall, _ROUNDING_DIGITS))))
    return PlanLine(
        on_hand=on_hand,
        on_order=on_order,
        forecast_lead_time=forecast_lead_time,
        forecast_period=forecast_period,
        safety_stock=safety_stock,
        reorder_point=reorder_point,
        order_quantity=order_quantity,
        short=forecast_lead_time > on_hand,
    )


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
