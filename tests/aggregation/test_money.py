"""Money across children in different currencies: never summed without the master's dated
rate, converted with the rate of each amount's day when there is one."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.currencies import format_money
from aggregation.models import Connection, ExchangeRate, MasterAccount, RollupSales
from aggregation.money import (
    Rate,
    RateTable,
    combine,
    combine_for_master,
    combine_rollup_sales,
    rate_gaps,
    rate_on,
)
from tests.factories import OrganizationFactory

D = Decimal
JAN_1 = datetime.date(2026, 1, 1)
JUN_1 = datetime.date(2026, 6, 1)


def day(month, dom=15):
    return datetime.date(2026, month, dom)


# -- combine: pure ---------------------------------------------------------------------


def test_a_gbp_child_and_a_usd_child_are_never_summed_without_a_rate():
    amounts = [("USD", D("100.00"), day(3)), ("GBP", D("50.00"), day(3))]
    combined = combine(amounts, "USD", {})
    assert combined.total is None
    assert combined.per_currency == {"GBP": D("50.00"), "USD": D("100.00")}
    assert combined.missing == ["GBP"]
    assert combined.rates_used == []


def test_with_a_rate_the_total_is_the_hand_computed_conversion():
    amounts = [
        ("USD", D("100.00"), day(3)),
        ("GBP", D("50.00"), day(3)),
        ("GBP", D("10.01"), day(4)),
    ]
    combined = combine(amounts, "USD", {"GBP": [(JAN_1, D("1.27"))]})
    # 100.00 + (50.00 + 10.01) * 1.27 = 100.00 + 76.2127 = 176.2127 → 176.21
    assert combined.total == D("176.21")
    assert combined.per_currency == {"GBP": D("60.01"), "USD": D("100.00")}
    assert combined.missing == []
    assert combined.rates_used == [Rate("GBP", JAN_1, D("1.27"))]


def test_each_amount_uses_the_rate_of_its_own_day():
    rates = {"GBP": [(JAN_1, D("1.25")), (JUN_1, D("1.30"))]}
    amounts = [("GBP", D("100"), day(5, 31)), ("GBP", D("100"), JUN_1), ("GBP", D("100"), day(9))]
    combined = combine(amounts, "USD", rates)
    assert combined.total == D("125") + D("130") + D("130")
    assert [r.valid_from for r in combined.rates_used] == [JAN_1, JUN_1]


def test_an_amount_dated_before_the_first_rate_is_missing_and_nothing_is_summed():
    rates = {"GBP": [(JUN_1, D("1.30"))]}
    amounts = [("GBP", D("100"), day(5, 31)), ("GBP", D("100"), day(7)), ("USD", D("1"), day(7))]
    combined = combine(amounts, "USD", rates)
    assert combined.total is None
    assert combined.missing == ["GBP"]
    assert combined.per_currency == {"GBP": D("200"), "USD": D("1")}


def test_the_reporting_currency_needs_no_rate():
    combined = combine([("EUR", D("3.50"), day(2)), ("EUR", D("1.25"), day(8))], "EUR", {})
    assert combined.total == D("4.75") and combined.missing == [] and combined.single_currency


def test_missing_currencies_are_listed_sorted_once():
    amounts = [("JPY", D("1000"), day(2)), ("GBP", D("1"), day(2)), ("JPY", D("5"), day(3))]
    assert combine(amounts, "USD", {}).missing == ["GBP", "JPY"]


def test_the_total_is_rounded_once_to_the_reporting_currencys_minor_units():
    amounts = [("USD", D("0.004"), day(2))] * 3  # 0.012 → 0.01, not 3 * 0.00
    assert combine(amounts, "USD", {}).total == D("0.01")
    yen = combine([("USD", D("10.00"), day(2))], "JPY", {"USD": [(JAN_1, D("151.557"))]})
    assert yen.total == D("1516")


def test_nothing_to_combine_is_a_zero_total():
    combined = combine([], "USD", {})
    assert combined.total == D("0.00") and combined.per_currency == {}


def test_a_rate_table_takes_the_latest_rate_on_or_before_the_day():
    table = RateTable([("GBP", JUN_1, D("1.30")), ("GBP", JAN_1, D("1.25"))])
    assert table.on("GBP", day(1, 1)).rate == D("1.25")
    assert table.on("GBP", day(5, 31)).rate == D("1.25")
    assert table.on("GBP", JUN_1).rate == D("1.30")
    assert table.on("GBP", datetime.date(2025, 12, 31)) is None
    assert table.on("EUR", JUN_1) is None


@pytest.mark.parametrize(
    ("amount", "code", "written"),
    [
        (D("1234.56"), "GBP", "£1,234.56"),
        (D("1234.56"), "USD", "$1,234.56"),
        (D("1234.56"), "CHF", "1,234.56 CHF"),
        (D("1234.5"), "EUR", "€1,234.50"),
        (D("1234.5"), "JPY", "¥1,235"),
        (D("-3"), "GBP", "-£3.00"),
        (D("1.2345"), "KWD", "1.235 KWD"),
        (None, "USD", "—"),
    ],
)
def test_money_is_written_the_way_people_read_it(amount, code, written):
    assert format_money(amount, code) == written


# -- with the database -----------------------------------------------------------------


@pytest.fixture
def master(db):
    master = MasterAccount.objects.create(
        organization=OrganizationFactory(name="Heartland Group"), reporting_currency="USD"
    )
    ExchangeRate.objects.create(master=master, currency="GBP", valid_from=JAN_1, rate=D("1.25"))
    ExchangeRate.objects.create(master=master, currency="GBP", valid_from=JUN_1, rate=D("1.30"))
    return master


def test_rate_on_picks_the_latest_rate_valid_on_the_day(master):
    assert rate_on(master, "GBP", day(5, 31)) == D("1.25")
    assert rate_on(master, "GBP", JUN_1) == D("1.30")
    assert rate_on(master, "GBP", day(12)) == D("1.30")
    assert rate_on(master, "GBP", datetime.date(2025, 12, 31)) is None
    assert rate_on(master, "EUR", day(12)) is None
    assert rate_on(master, "USD", datetime.date(1990, 1, 1)) == 1


def test_rate_on_reads_only_its_own_masters_rates(master):
    other = MasterAccount.objects.create(organization=OrganizationFactory(name="Elsewhere Group"))
    ExchangeRate.objects.create(master=other, currency="EUR", valid_from=JAN_1, rate=D("1.1"))
    assert rate_on(master, "EUR", day(3)) is None


def test_combine_for_master_reads_the_rates_in_one_query(master, django_assert_num_queries):
    with django_assert_num_queries(1):
        combined = combine_for_master(master, [("GBP", D("10"), day(7)), ("USD", D("1"), day(7))])
    assert combined.total == D("14.00") and combined.reporting_currency == "USD"


def _child(master, name, currency):
    child = OrganizationFactory(name=name, currency=currency)
    Connection.objects.create(master=master, child=child, kind=Connection.Kind.CSV)
    return child


def _sale(master, child, date, amount):
    RollupSales.objects.create(
        master=master, child=child, sku="85123A", date=date, quantity=1, retail_amount=amount,
        refreshed_at=timezone.now(),
    )  # fmt: skip


def test_rollup_sales_of_a_usd_and_a_gbp_child_are_converted_or_shown_apart(master):
    mart = _child(master, "Heartland Mart", "USD")
    online = _child(master, "Heartland Online", "GBP")
    _sale(master, mart, day(7), D("20.00"))
    _sale(master, online, day(7), D("10.00"))
    _sale(master, online, day(7, 16), D("4.00"))
    combined = combine_rollup_sales(master)
    assert combined.per_currency == {"GBP": D("14.00"), "USD": D("20.00")}
    assert combined.total == D("20.00") + D("14.00") * D("1.30")
    _sale(master, online, datetime.date(2025, 12, 1), D("1.00"))  # before the first GBP rate
    combined = combine_rollup_sales(master)
    assert combined.total is None and combined.missing == ["GBP"]
    assert combined.per_currency == {"GBP": D("15.00"), "USD": D("20.00")}
    assert [gap.child for gap in rate_gaps(master)] == [online]


def test_rate_gaps_name_children_whose_currency_has_no_rate(master):
    _child(master, "Heartland Mart", "USD")
    outlet = _child(master, "Heartland Outlet", "EUR")
    _child(master, "Heartland Online", "GBP")
    gaps = rate_gaps(master)
    assert [(g.child, g.currency, g.first_rate) for g in gaps] == [(outlet, "EUR", None)]
