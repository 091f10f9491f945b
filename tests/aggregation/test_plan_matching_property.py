"""For any products of any children and any set of matching decisions, the plan counts each
account's product exactly once: every product with stock or sales is in one plan row, each
row's stock is the sum of its products' stock, and the plan's total is the children's total.
Built through the database: refresh, rebuild, read the plan rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregation import matching, plans, rollups
from aggregation.models import MasterAccount, MatchDecision, PlanRow
from inventory.models import Product, SalesLine, Stock
from tests.aggregation.test_plan_inputs import Shop
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

SKUS = ["A1", "B2", "C3"]
NAMES = ["Red lamp", "RED LAMP!", "Blue vase", "Whisky 70cl"]
TODAY = datetime.date(2026, 12, 1)

product = st.tuples(
    st.sampled_from(SKUS), st.sampled_from(NAMES), st.integers(-5, 50), st.integers(0, 9)
)
child = st.lists(product, max_size=3, unique_by=lambda p: p[0])


class Rollback(Exception):
    pass


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(children=st.lists(child, min_size=1, max_size=3), choices=st.data())
def test_the_plan_counts_every_product_once_whatever_the_decisions(children, choices):
    try:
        with transaction.atomic():
            check(children, choices)
            raise Rollback
    except Rollback:
        pass


def check(children, choices):
    master = MasterAccount.objects.create(organization=OrganizationFactory())
    shops = []
    for index, products in enumerate(children):
        shop = Shop(master, f"Shop {index} {master.pk}")
        for sku, name, on_hand, sold in products:
            shop.product(sku, name=name)
            shop.stock(sku, on_hand)
            if sold:
                shop.sell(sku, TODAY - datetime.timedelta(days=2), sold)
        shops.append(shop)
    found = matching.matching_for(master)
    for conflict in found.conflicts:
        action = choices.draw(st.sampled_from([None, "merge", "apart"]))
        if action:
            MatchDecision.objects.create(
                master=master, kind=conflict.kind, key=conflict.key, action=action
            )
    rollups.refresh(master)
    plans.rebuild(master, today=TODAY)

    item_of = matching.matching_for(master).item_of
    stocked = {
        (s.organization_id, s.product.sku_normalized): s.on_hand
        for s in Stock.objects.filter(organization__connection__master=master).select_related(
            "product"
        )
    }
    rows = list(PlanRow.objects.filter(master=master))
    seen = [tuple(member) for row in rows for part in row.parts for member in part["members"]]
    # Every product is in the plan once, in the row of its item.
    assert sorted(seen) == sorted(stocked)
    for row in rows:
        members = [tuple(member) for part in row.parts for member in part["members"]]
        assert {item_of[member] for member in members} == {row.item}
        assert row.on_hand == sum(max(stocked[m], 0) for m in members)  # one account each
        assert row.on_hand == sum(part["on_hand"] for part in row.parts)
        assert row.order_quantity == sum(part["order_quantity"] for part in row.parts)
    # Nothing lost, nothing twice: the plan's stock is the children's stock.
    assert sum(row.on_hand for row in rows) == sum(max(v, 0) for v in stocked.values())
    # Every product that sold is in a part with history.
    sold = SalesLine.objects.filter(organization__connection__master=master)
    for member in sold.values_list("organization_id", "product__sku_normalized"):
        part = next(p for row in rows for p in row.parts if list(member) in p["members"])
        assert part["days_used"] > 0
    # A "merge" decision that was applied puts its products in one row.
    for conflict in matching.matching_for(master).conflicts:
        if conflict.action == "merge" and conflict.applied:
            keys = {item_of[(c, s)] for c, s, _ in conflict.members}
            assert len(keys) == 1, conflict
    assert Product.objects.filter(organization__connection__master=master).count() == len(stocked)
    assert Decimal(0) <= sum(Decimal(row.on_order) for row in rows)
