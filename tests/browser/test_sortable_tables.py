"""A list that shows every row sorts in the browser when a column's header is pressed:
numbers as numbers (2, 13, 100, not 100, 13, 2), and pressing again reverses it."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Membership
from tests.browser.conftest import snap
from tests.browser.test_journey_inventory_real_time import logged_in_page
from tests.factories import MembershipFactory, OrganizationFactory, RegionFactory, StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_regions_table_sorts_its_store_counts_as_numbers(live_server, new_page, password):
    retailer = OrganizationFactory(name="Sorting Mart")
    owner = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    stores = [StoreFactory(organization=retailer) for _ in range(100)]
    counts = {"North": 13, "East": 2, "West": 100, "South": 0}
    for name, count in counts.items():
        RegionFactory(organization=retailer, name=name).stores.add(*stores[:count])

    page = logged_in_page(new_page, live_server.url, owner, password)
    page.goto(live_server.url + reverse("accounts:regions"))
    table = page.locator("table.sortable")

    def names():
        return table.locator("tbody tr td:first-child").all_inner_texts()

    header = table.get_by_role("columnheader", name="Stores")
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert names() == sorted(counts, key=counts.get)
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    assert names() == sorted(counts, key=counts.get, reverse=True)
    snap(page, "regions-sorted-by-stores")

    table.get_by_role("columnheader", name="Region").get_by_role("button").click()
    assert names() == sorted(counts)
    expect(header).not_to_have_attribute("aria-sort", "descending")
