"""What goes into the order plan: history that ends where each account's data ends,
demand without returns and unpriced lines, each account's own need (pooled only when the
accounts share stock), lead time, MOQ and case pack by product and vendor, a planner's
override. Each test builds children's raw rows, refreshes the rollups, rebuilds the plan
and checks the stored plan row against figures worked out here."""

import datetime
import math
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from aggregation import plans, rollups
from aggregation.forecast import backtest_many, forecast
from aggregation.models import Connection, ItemOverride, MasterAccount, PlanRow, ReplenishmentRule
from aggregation.planning import plan_line
from inventory.models import Product, SalesLine, Stock
from tests.factories import MembershipFactory, OrganizationFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)


class Shop:
    """A child account with one store, its products, stock and sales lines."""

    def __init__(self, master, name, pool=""):
        self.org = OrganizationFactory(name=name, is_retailer=True)
        self.store = StoreFactory(organization=self.org, number="1")
        Connection.objects.create(master=master, child=self.org, kind="csv", stock_pool=pool)
        self.products = {}
        self.lines = 0

    def product(self, sku, name="Lantern", **fields):
        if sku not in self.products:
            self.products[sku] = Product.objects.create(
                organization=self.org, sku=sku, name=name, **fields
            )
        return self.products[sku]

    def stock(self, sku, on_hand, on_order=0):
        Stock.objects.create(organization=self.org, store=self.store, product=self.product(sku),
                             on_hand=on_hand, on_order=on_order)  # fmt: skip

    def sell(self, sku, day, quantity, amount=None):
        self.lines += 1
        # As the column keeps it (SQLite would keep more digits of an unrounded Decimal).
        quantity = Decimal(quantity).quantize(Decimal("0.01"))
        SalesLine.objects.create(
            organization=self.org, store=self.store, product=self.product(sku), date=day,
            quantity=quantity, retail_amount=quantity * 2 if amount is None else Decimal(amount),
            source_ref=f"{self.org.pk}-{self.lines}",
        )  # fmt: skip

    def sell_daily(self, sku, first, last, per_day):
        day = first
        while day <= last:
            self.sell(sku, day, per_day(day) if callable(per_day) else per_day)
            day += datetime.timedelta(days=1)


@pytest.fixture
def master():
    group = OrganizationFactory(name="Plan Group")
    return MasterAccount.objects.create(organization=group, lead_time_days=7, review_period_days=7)


def rebuilt(master, item):
    rollups.refresh(master)
    plans.rebuild(master, today=TODAY)
    return PlanRow.objects.get(master=master, item=item)


def days_before(n):
    return TODAY - datetime.timedelta(days=n)


def test_history_ends_where_the_data_ends(master):
    """Ten a day, every day, until 9 days before today: about ten a day, not less."""
    shop = Shop(master, "Iowa Shop")
    shop.sell_daily("A1", days_before(69), days_before(9), 10)
    shop.stock("A1", 30)
    row = rebuilt(master, "A1")
    (part,) = row.parts
    assert part["end"] == days_before(9).isoformat()  # the shop's sales-through date
    assert part["start"] == days_before(69).isoformat()  # its first sale in the window
    assert part["days_used"] == 61
    assert part["mean_daily"] == pytest.approx(10)
    assert row.forecast_lead_time == pytest.approx(70, abs=1)  # 7 days x 10
    assert row.forecast_period == pytest.approx(140, abs=1)
    assert row.history_to == days_before(9)
    master.refresh_from_db()
    assert master.plan_settings["sales_through"] == {str(shop.org.pk): days_before(9).isoformat()}


def test_two_accounts_each_end_on_their_own_last_sales_date(master):
    early = Shop(master, "Early Shop")
    late = Shop(master, "Late Shop")
    early.sell_daily("A1", days_before(40), days_before(20), 4)
    late.sell_daily("A1", days_before(40), days_before(2), 6)
    row = rebuilt(master, "A1")
    ends = {part["label"]: part["end"] for part in row.parts}
    assert ends == {
        "Early Shop": days_before(20).isoformat(),
        "Late Shop": days_before(2).isoformat(),
    }
    means = {part["label"]: part["mean_daily"] for part in row.parts}
    assert means == {"Early Shop": pytest.approx(4), "Late Shop": pytest.approx(6)}
    assert row.mean_daily == pytest.approx(10)


def weekly(day):
    return [3, 5, 4, 6, 9, 12, 7][day.weekday()]


def test_returns_and_unpriced_lines_do_not_change_the_forecast(master):
    shop = Shop(master, "Gift Shop")
    shop.sell_daily("22156", days_before(50), days_before(1), weekly)
    shop.stock("22156", 20, 12)
    before = rebuilt(master, "22156")

    shop.sell("22156", days_before(30), -12)  # a return
    shop.sell("22156", days_before(10), "-390", "0")  # "???": a stock correction at no price
    shop.sell("22156", days_before(5), 66, "0")  # "found"
    shop.sell("22156", days_before(5), 3, "0")  # a free replacement
    after = rebuilt(master, "22156")
    fields = ["forecast_lead_time", "forecast_period", "sigma", "safety_stock", "reorder_point",
              "order_up_to", "order_quantity", "short", "mean_daily"]  # fmt: skip
    assert {f: getattr(after, f) for f in fields} == {f: getattr(before, f) for f in fields}
    (part,) = after.parts
    assert (part["returned"], part["unpriced"]) == (402, 69)

    # The item page says what was left out; the sales figures keep every line.
    user = UserFactory()
    MembershipFactory(user=user, organization=master.organization, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("aggregation:item", args=["22156"])).text
    assert "left out 402 returned or cancelled units and 69 units at no price" in page


def test_each_account_plans_its_own_need(master):
    """One shop's 63 units do not cover another shop that has none and needs 95."""
    full = Shop(master, "Full Shop")
    empty = Shop(master, "Empty Shop")
    full.sell_daily("85123A", days_before(28), days_before(1), 1)
    full.stock("85123A", 63)
    empty.sell_daily("85123A", days_before(28), days_before(1), lambda day: 95 / 14)
    empty.stock("85123A", 0)
    row = rebuilt(master, "85123A")
    parts = {part["label"]: part for part in row.parts}
    assert set(parts) == {"Full Shop", "Empty Shop"}
    # Worked out here, from each shop's own history and stock.
    for shop, on_hand in ((full, 63), (empty, 0)):
        history = [
            float(line.quantity)
            for line in SalesLine.objects.filter(organization=shop.org).order_by("date")
        ]
        expected = plan_line(on_hand=on_hand, on_order=0, forecast=forecast(history, horizon=14),
                             lead_time_days=7, review_period_days=7, service_level=0.95)  # fmt: skip
        part = parts[shop.org.name]
        assert part["order_quantity"] == expected.order_quantity
        assert part["short"] is expected.short
        assert part["safety_stock"] == pytest.approx(expected.safety_stock)
    assert parts["Empty Shop"]["order_quantity"] >= 95 and parts["Empty Shop"]["short"]
    assert parts["Full Shop"]["order_quantity"] == 0
    assert row.order_quantity == sum(part["order_quantity"] for part in row.parts)
    assert row.short  # an account is short


def test_accounts_sharing_stock_are_planned_together(master):
    full = Shop(master, "Full Shop", pool="Nottingham warehouse")
    empty = Shop(master, "Empty Shop", pool="nottingham warehouse ")  # the same pool
    full.sell_daily("85123A", days_before(28), days_before(1), 1)
    full.stock("85123A", 63)
    empty.sell_daily("85123A", days_before(28), days_before(1), 3)
    empty.stock("85123A", 0)
    row = rebuilt(master, "85123A")
    (part,) = row.parts
    assert part["pooled"] and part["on_hand"] == 63
    expected = plan_line(on_hand=63, on_order=0, forecast=forecast([4.0] * 28, horizon=14),
                         lead_time_days=7, review_period_days=7, service_level=0.95)  # fmt: skip
    assert part["order_quantity"] == expected.order_quantity == row.order_quantity
    assert part["forecast_period"] == pytest.approx(56)  # 14 days x (1 + 3)


def test_lead_time_moq_and_case_pack_come_from_product_then_vendor_then_file_then_master(master):
    master.minimum_order, master.case_pack = 5, 2
    master.save()
    shop = Shop(master, "Liquor Shop")
    shop.product("100", vendor_name="Luxco-St Louis", case_pack=12)
    shop.product("200", vendor_name="Luxco-St Louis", case_pack=6)
    shop.product("300", vendor_name="Diageo", case_pack=6)
    shop.product("400", vendor_name="Diageo")
    for sku in ("100", "200", "300", "400"):
        shop.sell_daily(sku, days_before(21), days_before(1), 8)
    ReplenishmentRule.objects.create(
        master=master, vendor_name="luxco-st louis", lead_time_days=14, case_pack=24
    )
    ReplenishmentRule.objects.create(master=master, sku="200", minimum_order=200)
    rollups.refresh(master)
    plans.rebuild(master, today=TODAY)
    settled = {
        row.item: (
            row.parts[0]["lead_time_days"],
            row.parts[0]["minimum_order"],
            row.parts[0]["case_pack"],
        )
        for row in PlanRow.objects.filter(master=master)
    }
    assert settled == {
        "100": (14, 5, 24),  # the vendor's rule (matched whatever its case) beats the file
        "200": (14, 200, 24),  # the product's MOQ, the vendor's lead time and case pack
        "300": (7, 5, 6),  # no rule: the file's case pack, the master's lead time and MOQ
        "400": (7, 5, 2),  # nothing but the master
    }
    row = PlanRow.objects.get(master=master, item="200")
    # 8 a day over 14 + 7 days = 168 + safety stock, nothing on hand: raised to the MOQ
    # of 200, then to whole cases of 24: 216.
    assert row.forecast_period == pytest.approx(168)
    assert row.order_quantity == 216


def test_a_manual_forecast_and_excluded_dates(master):
    shop = Shop(master, "Promo Shop")
    shop.sell_daily(
        "P1", days_before(42), days_before(1), lambda day: 50 if day >= days_before(7) else 5
    )
    ItemOverride.objects.create(
        master=master, item="P1", exclude_from=days_before(7), exclude_to=days_before(1)
    )
    row = rebuilt(master, "P1")
    assert row.parts[0]["mean_daily"] == pytest.approx(5)  # the promotion week is not demand
    assert row.parts[0]["days_used"] == 35
    ItemOverride.objects.filter(master=master, item="P1").update(manual_daily=Decimal("20"))
    row = rebuilt(master, "P1")
    assert row.forecast_lead_time == pytest.approx(140) and row.forecast_period == pytest.approx(
        280
    )
    assert row.parts[0]["manual"] is True


def test_a_manual_forecast_is_split_across_accounts_by_their_own_forecasts(master):
    small, large = Shop(master, "Small Shop"), Shop(master, "Large Shop")
    small.sell_daily("S1", days_before(28), days_before(1), 2)
    large.sell_daily("S1", days_before(28), days_before(1), 6)
    ItemOverride.objects.create(master=master, item="S1", manual_daily=Decimal("16"))
    row = rebuilt(master, "S1")
    per_day = {part["label"]: part["forecast_lead_time"] / 7 for part in row.parts}
    assert per_day == {"Small Shop": pytest.approx(4), "Large Shop": pytest.approx(12)}


def test_negative_stock_counts_plan_as_none_on_hand(master):
    shop = Shop(master, "Miscounted Shop")
    shop.sell_daily("N1", days_before(14), days_before(1), 3)
    shop.stock("N1", -8)
    row = rebuilt(master, "N1")
    assert row.on_hand == 0
    assert row.order_quantity == math.ceil(row.order_up_to)


def test_forecast_accuracy_is_scored_on_the_items_demand(master):
    shop = Shop(master, "Gift Shop")
    shop.sell_daily("22156", days_before(63), days_before(1), weekly)
    shop.sell("22156", days_before(20), -5)  # a return: not demand, not in the score
    rollups.refresh(master)
    plans.rebuild(master, today=TODAY)
    plans.score(master, today=TODAY)
    row = PlanRow.objects.get(master=master, item="22156")
    history = [float(weekly(days_before(n))) for n in range(63, 0, -1)]
    (expected,) = backtest_many([history])
    assert (row.wape, row.bias, row.naive_wape, row.naive_bias) == pytest.approx(
        (expected.wape, expected.bias, expected.naive_wape, expected.naive_bias)
    )
    assert expected.naive_wape == 0  # a pure weekly pattern: last week's day is exact
    assert row.worse_than_naive is expected.worse_than_naive
    worse = PlanRow.objects.filter(master=master, worse_than_naive=True).count()
    user = UserFactory()
    MembershipFactory(user=user, organization=master.organization, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("aggregation:plan"), {"worse": "on"}).text
    assert page.count('class="plan-item') == worse
