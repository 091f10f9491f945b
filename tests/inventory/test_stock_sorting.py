"""The inventory sorts by any column its viewer sees, page after page through the keyset
cursor, in the order a plain sort of the visible rows gives; a column the viewer may not
see does not sort (its order would tell them the hidden values), and a cursor that does not
read is the first page, never an error."""

import html
import re
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from django.urls import reverse

from inventory.models import Stock
from tests.conftest import client_for
from tests.factories import ProductFactory, StockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(shop):
    """More rows, with repeated values (ties), missing prices and a markdown or two."""
    retailer, stores = shop["retailer"], shop["stores"]
    for i in range(7):
        product = ProductFactory(
            organization=retailer, sku=f"SKU-{i}", name=f"Item {7 - i}", category=f"C{i % 3}",
            vendor_organization=shop["vendor"],
            unit_cost=None if i == 3 else Decimal(f"{i % 4}.50"),
        )  # fmt: skip
        for j, store in enumerate(stores):
            StockFactory(
                organization=retailer, store=store, product=product, on_hand=(i * 7 + j * 3) % 10,
                on_order=i % 2, current_price=Decimal("1.99") if (i + j) % 4 == 0 else None,
            )  # fmt: skip
    return shop


def walk(client, url, params):
    """Every row's id, following Next page to the end."""
    ids, query = [], dict(params)
    for _ in range(50):
        page = client.get(url, query).text
        ids += [int(pk) for pk in re.findall(r'<tr id="stock-(\d+)"', page)]
        following = re.search(r'href="\?([^"]+)"[^>]*>Next page', page)
        if not following:
            return ids
        query = dict(parse_qsl(html.unescape(following.group(1)), keep_blank_values=True))
    raise AssertionError("the pages never end")


def plain_order(rows, value, descending, by_product=False):
    """A stock column's ties go by store, then product; a product column's by product, then
    store (the product's rows together)."""
    if by_product:
        keyed = sorted(rows, key=lambda s: (value(s), s.product_id, s.store_id), reverse=descending)
    else:
        keyed = sorted(rows, key=lambda s: (value(s), s.store_id, s.product_id), reverse=descending)
    return [s.pk for s in keyed]


COLUMNS = {
    "on_hand": lambda s: s.on_hand,
    "on_order": lambda s: s.on_order,
    "current_price": lambda s: s.current_price if s.current_price is not None else -1,
    "sku": lambda s: s.product.sku,
    "name": lambda s: s.product.name,
    "category": lambda s: s.product.category,
    "unit_cost": lambda s: s.product.unit_cost if s.product.unit_cost is not None else -1,
}
PRODUCT_COLUMNS = {"sku", "name", "category", "unit_cost"}


@pytest.mark.parametrize("column", sorted(COLUMNS))
@pytest.mark.parametrize("descending", [False, True])
def test_the_owner_walks_every_row_in_the_order_of_a_plain_sort(
    stocked, column, descending, monkeypatch
):
    monkeypatch.setattr("inventory.views.PAGE_SIZE", 4)
    client = client_for(stocked["owner"])
    url = reverse("inventory:stock", args=[stocked["retailer"].pk])
    rows = Stock.objects.filter(organization=stocked["retailer"]).select_related("product")
    sort = f"-{column}" if descending else column
    expected = plain_order(rows, COLUMNS[column], descending, column in PRODUCT_COLUMNS)
    assert walk(client, url, {"sort": sort}) == expected


def test_a_partner_walks_only_its_stores_in_order(stocked, monkeypatch):
    monkeypatch.setattr("inventory.views.PAGE_SIZE", 3)
    client = client_for(stocked["rep"])
    url = reverse("inventory:stock", args=[stocked["retailer"].pk])
    shared = [s.pk for s in stocked["stores"][:2]]
    rows = Stock.objects.filter(organization=stocked["retailer"], store_id__in=shared)
    assert walk(client, url, {"sort": "-on_hand"}) == plain_order(
        rows, lambda s: s.on_hand, descending=True
    )


def test_a_vendor_walks_its_products_by_name_through_a_filter(stocked, monkeypatch):
    """Products the viewer sees none of are passed over, batch after batch."""
    monkeypatch.setattr("inventory.views.PAGE_SIZE", 2)
    client = client_for(stocked["vendor_user"])
    url = reverse("inventory:stock", args=[stocked["retailer"].pk])
    rows = Stock.objects.filter(
        organization=stocked["retailer"], product__vendor_organization=stocked["vendor"],
        product__category="C1",
    ).select_related("product")  # fmt: skip
    expected = plain_order(rows, lambda s: s.product.name, True, by_product=True)
    assert len(expected) > 2
    assert walk(client, url, {"sort": "-name", "category": "C1"}) == expected


def test_a_column_the_viewer_may_not_see_does_not_sort(stocked):
    """The vendor sees its products at cost: no retail or markdown price, so no order by them."""
    client = client_for(stocked["vendor_user"])
    url = reverse("inventory:stock", args=[stocked["retailer"].pk])
    by_default = walk(client, url, {})
    assert walk(client, url, {"sort": "-retail_price"}) == by_default
    assert walk(client, url, {"sort": "current_price"}) == by_default
    page = client.get(url, {"sort": "unit_cost"}).text
    assert 'aria-sort="ascending"><a href="?sort=-unit_cost" class="sort">Unit cost' in page
    assert "Retail price" not in page


@pytest.mark.parametrize("after_value", ["NaN", "not-a-number", "9" * 40, "", "-1e999999"])
def test_a_cursor_that_does_not_read_is_the_first_page(stocked, after_value):
    client = client_for(stocked["owner"])
    url = reverse("inventory:stock", args=[stocked["retailer"].pk])
    first = client.get(url, {"sort": "on_hand"})
    odd = client.get(url, {"sort": "on_hand", "after": "1.1", "after_value": after_value})
    assert odd.status_code == 200
    ids = re.findall(r'<tr id="stock-(\d+)"', odd.text)
    assert ids == re.findall(r'<tr id="stock-(\d+)"', first.text) != []
