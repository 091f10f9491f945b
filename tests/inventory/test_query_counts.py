"""Every inventory page runs a bounded number of queries: the same whether it shows 3 rows
or 50, and whether 2 stores are shared or 40."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ProductFactory, SalesLineFactory, StockFactory, StoreFactory

pytestmark = pytest.mark.django_db


def grow(shop, stores=40, products=30):
    retailer = shop["retailer"]
    new_stores = [StoreFactory(organization=retailer) for _ in range(stores)]
    new_products = [
        ProductFactory(organization=retailer, vendor_organization=shop["vendor"])
        for _ in range(products)
    ]
    for store in new_stores[:10]:
        for product in new_products:
            StockFactory(organization=retailer, store=store, product=product)
    for store in new_stores[:20]:
        SalesLineFactory(organization=retailer, store=store, product=shop["ours"])
        StockFactory(organization=retailer, store=store, product=shop["ours"])
    shop["merch_share"].stores.add(*new_stores)


def queries(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
        if response.streaming:
            b"".join(response.streaming_content)  # an export's queries run as it streams
    assert response.status_code == 200
    return len(captured)


PAGES = {
    "stock": lambda s: (reverse("inventory:stock", args=[s["retailer"].pk]), {}),
    "stock-filtered-next": lambda s: (
        reverse("inventory:stock", args=[s["retailer"].pk]),
        {"q": "Product", "after": "0.0"},
    ),
    "totals": lambda s: (reverse("inventory:totals", args=[s["retailer"].pk]), {}),
    "product": lambda s: (reverse("inventory:product", args=[s["retailer"].pk, s["ours"].pk]), {}),
    "export": lambda s: (reverse("inventory:export", args=[s["retailer"].pk]), {}),
    "activity": lambda s: (reverse("inventory:activity"), {"since": "0"}),
}
CASES = [
    (who, page)
    for who in ("owner", "rep", "vendor_user")
    for page in PAGES
    if page != "activity" or who == "owner"
]


@pytest.mark.parametrize(("who", "page"), CASES, ids=[f"{w}-{p}" for w, p in CASES])
def test_query_count_does_not_grow_with_rows_or_stores(shop, who, page):
    client = Client()
    client.force_login(shop[who])
    url, params = PAGES[page](shop)
    client.get(url, params)  # warm up: the session and caches of a first request
    small = queries(client, url, params)
    grow(shop)
    large = queries(client, url, params)
    assert large == small, f"{url}: {small} queries with little data, {large} with more"
    assert large <= 15
