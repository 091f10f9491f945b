"""Money across the children of a master: each child sells in its own currency, and an
amount is converted to the master's reporting currency only with the master's dated
exchange rates. Money is never summed across currencies without a rate: when a rate is
missing the total is None, and the page shows each currency's amount apart.

`combine` is pure (amounts and rates in, a `Combined` out); `combine_for_master` and
`combine_rollup_sales` load a master's rates once and call it.
"""

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Min, Sum

from accounts.currencies import CURRENCIES, format_money
from aggregation.models import ExchangeRate, RollupSales

ONE = Decimal(1)

money = format_money  # money(amount, currency) -> "£1,234.56"; also the `money` filter


@dataclass(frozen=True)
class Rate:
    """1 `currency` = `rate` reporting-currency units from `valid_from` on."""

    currency: str
    valid_from: datetime.date
    rate: Decimal


class RateTable:
    """A master's rates, looked up by (currency, day): the latest rate whose valid_from is
    on or before the day, or None."""

    def __init__(self, rates: Iterable[Rate | tuple[str, datetime.date, Decimal]] = ()):
        by_currency = defaultdict(list)
        for entry in rates:
            rate = entry if isinstance(entry, Rate) else Rate(*entry)
            by_currency[rate.currency].append(rate)
        self._rates = {
            code: sorted(found, key=lambda r: r.valid_from) for code, found in by_currency.items()
        }
        self._starts = {code: [r.valid_from for r in found] for code, found in self._rates.items()}

    @classmethod
    def from_mapping(cls, rates: Mapping[str, Iterable[tuple[datetime.date, Decimal]]]):
        """{"GBP": [(date(2026, 1, 1), Decimal("1.27")), ...]}"""
        return cls(Rate(code, day, rate) for code, dated in rates.items() for day, rate in dated)

    @classmethod
    def for_master(cls, master) -> "RateTable":
        """Every rate of the master, in one query."""
        return cls(
            Rate(*row)
            for row in ExchangeRate.objects.filter(master=master).values_list(
                "currency", "valid_from", "rate"
            )
        )

    def on(self, currency: str, day: datetime.date) -> Rate | None:
        starts = self._starts.get(currency)
        if not starts:
            return None
        index = bisect.bisect_right(starts, day)
        return self._rates[currency][index - 1] if index else None

    def currencies(self) -> set[str]:
        return set(self._rates)

    def first_day(self, currency: str) -> datetime.date | None:
        starts = self._starts.get(currency)
        return starts[0] if starts else None


@dataclass(frozen=True)
class Combined:
    """Amounts in several currencies, and their total in the reporting currency when every
    amount had a rate for its day."""

    reporting_currency: str
    per_currency: dict[str, Decimal]  # code -> the plain sum of that currency's amounts
    total: Decimal | None  # in the reporting currency; None when any rate is missing
    missing: list[str]  # sorted codes with an amount on a day that has no rate
    rates_used: list[Rate] = field(default_factory=list)  # sorted by currency, valid_from

    @property
    def is_complete(self) -> bool:
        return self.total is not None

    @property
    def single_currency(self) -> bool:
        return len(self.per_currency) <= 1


def combine(
    amounts: Iterable[tuple[str, Decimal, datetime.date]],
    reporting_currency: str,
    rates: RateTable | Mapping[str, Iterable[tuple[datetime.date, Decimal]]],
) -> Combined:
    """Sum (currency, amount, day) triples per currency, and in the reporting currency
    with the rate of each amount's day. The reporting currency needs no rate. The total is
    rounded once, at the end, to the reporting currency's minor units."""
    table = rates if isinstance(rates, RateTable) else RateTable.from_mapping(rates)
    per_currency: dict[str, Decimal] = {}
    converted = Decimal(0)
    missing: set[str] = set()
    used: set[Rate] = set()
    for currency, amount, day in amounts:
        amount = Decimal(amount)
        per_currency[currency] = per_currency.get(currency, Decimal(0)) + amount
        if currency == reporting_currency:
            converted += amount
            continue
        rate = table.on(currency, day)
        if rate is None:
            missing.add(currency)
            continue
        used.add(rate)
        converted += amount * rate.rate
    total = None
    if not missing:
        decimals = (
            CURRENCIES[reporting_currency].decimals if reporting_currency in CURRENCIES else 2
        )
        total = converted.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return Combined(
        reporting_currency=reporting_currency,
        per_currency=dict(sorted(per_currency.items())),
        total=total,
        missing=sorted(missing),
        rates_used=sorted(used, key=lambda r: (r.currency, r.valid_from)),
    )


def rate_on(master, currency: str, day: datetime.date) -> Decimal | None:
    """The master's rate of `currency` on `day`: 1 for its reporting currency, else the
    latest rate with valid_from on or before the day, or None."""
    if currency == master.reporting_currency:
        return ONE
    return (
        ExchangeRate.objects.filter(master=master, currency=currency, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )


def combine_for_master(master, amounts: Iterable[tuple[str, Decimal, datetime.date]]) -> Combined:
    """`combine` with the master's reporting currency and its rates (one query)."""
    return combine(amounts, master.reporting_currency, RateTable.for_master(master))


def combine_rollup_sales(master, queryset=None) -> Combined:
    """The retail amount of a master's rollup sales (all of them, or a filtered queryset of
    RollupSales such as one SKU over the history window), each child's money in the
    child's currency. Two queries: the amounts per (currency, day), and the rates."""
    if queryset is None:
        queryset = RollupSales.objects.filter(master=master)
    rows = (
        queryset.order_by()
        .values("child__currency", "date")
        .annotate(amount=Sum("retail_amount"))
        .values_list("child__currency", "amount", "date")
    )
    return combine_for_master(master, rows)


def child_currencies(master) -> dict[int, str]:
    """{child organization id: its currency} over the master's connections."""
    return dict(master.connections.values_list("child_id", "child__currency"))


@dataclass(frozen=True)
class RateGap:
    """A child whose money cannot be converted: its currency has no rate at all
    (`first_rate` None), or none yet on the first day of its sales in the rollups."""

    child: object  # accounts.models.Organization
    currency: str
    first_rate: datetime.date | None
    sales_since: datetime.date | None


def rate_gaps(master) -> list[RateGap]:
    """The children whose money is shown apart for want of a rate, by child name."""
    table = RateTable.for_master(master)
    since = dict(
        RollupSales.objects.filter(master=master)
        .order_by()
        .values("child_id")
        .annotate(first=Min("date"))
        .values_list("child_id", "first")
    )
    gaps = []
    for connection in master.connections.select_related("child"):
        child = connection.child
        if child.currency == master.reporting_currency:
            continue
        first_rate = table.first_day(child.currency)
        first_sale = since.get(child.pk)
        if first_rate is None or (first_sale is not None and first_sale < first_rate):
            gaps.append(RateGap(child, child.currency, first_rate, first_sale))
    return gaps
