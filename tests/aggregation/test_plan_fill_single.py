"""The plan fills parts of one member many at a time (numpy over a window's parts); each
part must come out exactly as the part-at-a-time fill makes it: the same history (NaN on
the same unknown days, the same floats), start, days used and removed units. Windows that
start before the matrix's first day, empty windows, stockout days and items that never
sold included. No database: the demand matrix is made here."""

import datetime
import math

import numpy as np
import pytest

from aggregation.plans import Part, _DemandMatrix

FIRST = datetime.date(2026, 6, 1)


def matrix(seed, members, days):
    rng = np.random.default_rng(seed)
    demand = np.zeros((members, days))
    sells = rng.random((members, days)) < rng.uniform(0.0, 0.6, size=(members, 1))
    demand[sells] = rng.integers(1, 9, size=sells.sum()).astype(float)
    demand[rng.random(members) < 0.1] = 0.0  # never sold
    out = (rng.random((members, days)) < 0.15) & (demand == 0)
    made = _DemandMatrix.__new__(_DemandMatrix)
    made.index = {(1, f"S{n}"): n for n in range(members)}
    made.first = FIRST
    made.demand = demand
    made.out = out
    made.removed = rng.integers(0, 5, size=(members, 2)).astype(float)
    return made


def parts(seed, members, days):
    rng = np.random.default_rng(seed + 1)
    made = []
    for n in range(members):
        start = FIRST + datetime.timedelta(days=int(rng.integers(-20, days)))
        end = start + datetime.timedelta(days=int(rng.integers(-1, days)))
        made.append(
            Part(
                item=f"S{n}", members=[(1, f"S{n}")], child_ids=[1], label="", start=start, end=end
            )
        )
    return made


def same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("seed", range(8))
def test_many_at_a_time_is_one_at_a_time(seed):
    members, days = 300, 60
    demand = matrix(seed, members, days)
    together, alone = parts(seed, members, days), parts(seed, members, days)
    assert all(demand.fills_as_one(part) for part in together)
    demand.fill_single(together, chunk=97)
    for part in alone:
        demand.fill([part], None)
    for a, b in zip(together, alone, strict=True):
        assert (a.start, a.end, a.removed) == (b.start, b.end, b.removed)
        assert len(a.history) == len(b.history)
        assert all(same(x, y) for x, y in zip(a.history, b.history, strict=True))
        assert a.days_used == sum(value == value for value in b.history)
