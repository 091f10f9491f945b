"""Forecast a whole order plan at once (forecast_many) against a loop over forecast().

Data (seeded, the same every time, made in each trial before anything is timed): 150,000
SKU histories of 180 days, 50,000 SKUs x 3 accounts. Daily demand is Poisson with a
weekly pattern (weekends busier), each SKU at its own rate (mean about 4 a day, from
well under 1 to over 20); 3% of days are out of stock (None).

1. forecast_many on 50,000 histories, and forecast() in a loop on 2,000 of them,
   extrapolated to 50,000. The loop's 2,000 results must equal forecast_many's.
2. forecast_many on all 150,000 in one call. Target: < 30 s.

No database. The horizon is 28 days (lead time + review period). BENCH_TRIALS sets the
trials (default 3), each in a fresh process so peak memory is its own.
"""

import os
import sys
import time

import numpy as np

from bench.common import peak_rss_mb, report, trials

SKUS, ACCOUNTS, DAYS, HORIZON = 50_000, 3, 180, 28
LOOPED = 2_000
OUT_OF_STOCK = 0.03
TRIALS = int(os.environ.get("BENCH_TRIALS", "3"))
SEED = 180
# Monday .. Sunday
WEEKLY_PATTERN = np.array([0.8, 0.8, 0.9, 1.0, 1.1, 1.4, 1.0])


def histories():
    """SKUS x ACCOUNTS histories of DAYS days, oldest first, None on out-of-stock days."""
    rng = np.random.default_rng(SEED)
    count = SKUS * ACCOUNTS
    rates = rng.gamma(0.8, 5.0, size=count)
    weekly = WEEKLY_PATTERN[np.arange(DAYS) % 7]
    demand = rng.poisson(rates[:, None] * weekly)
    # Index a table of Python floats, None last: the lists share a few objects, as a
    # history of whole-unit sales made with float() nearly does, and build in C.
    table = np.array([float(n) for n in range(demand.max() + 1)] + [None], dtype=object)
    demand[rng.random(demand.shape) < OUT_OF_STOCK] = len(table) - 1
    return table[demand].tolist()


def trial():
    from aggregation.forecast import forecast, forecast_many

    data = histories()
    accounts = data[:SKUS]

    started = time.perf_counter()
    many = forecast_many(accounts, HORIZON)
    many_50k = time.perf_counter() - started

    started = time.perf_counter()
    looped = [forecast(history, HORIZON) for history in accounts[:LOOPED]]
    loop_50k = (time.perf_counter() - started) * SKUS / LOOPED
    for one, batched in zip(looped, many, strict=False):
        assert (one.method, one.params, one.forecast) == (
            batched.method,
            batched.params,
            batched.forecast,
        ), "forecast_many and forecast() disagree"
    del many, looped

    started = time.perf_counter()
    everything = forecast_many(data, HORIZON)
    many_150k = time.perf_counter() - started
    assert len(everything) == SKUS * ACCOUNTS
    print(
        f"many_50k_s={many_50k:.3f} loop_50k_s={loop_50k:.3f} speedup={loop_50k / many_50k:.1f} "
        f"many_150k_s={many_150k:.3f} peak_rss_mb={peak_rss_mb():.1f}"
    )


def main():
    print(
        f"  data: {SKUS * ACCOUNTS:,} histories ({SKUS:,} SKUs x {ACCOUNTS} accounts) x {DAYS} days, "
        f"{OUT_OF_STOCK:.0%} out-of-stock days, horizon {HORIZON} days; the loop runs on {LOOPED:,} "
        f"and is extrapolated to {SKUS:,}"
    )
    results = trials("bench.bench_forecast", runs=TRIALS)
    return report(
        f"Forecast, {SKUS * ACCOUNTS:,} histories of {DAYS} days, no database",
        results,
        {"many_150k_s": 30},
    )


if __name__ == "__main__":
    if "--trial" in sys.argv:
        trial()
    else:
        main()
