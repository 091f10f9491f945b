"""The stored stock a chunk of rows is compared with: read at once for a few stores and
products, streamed for many, the same rows either way."""

import pytest

from inventory import imports
from inventory.imports import StockImporter
from inventory.models import Stock
from tests.factories import ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("at_once", [0, 20_000], ids=["streamed", "at once"])
def test_only_the_pairs_asked_for_come_back(org, monkeypatch, at_once):
    monkeypatch.setattr(imports, "STOCK_READ_AT_ONCE", at_once)
    stores = [StoreFactory(organization=org) for _ in range(3)]
    products = [ProductFactory(organization=org) for _ in range(3)]
    Stock.objects.bulk_create(
        Stock(organization=org, store=store, product=product, on_hand=i * 10 + j)
        for i, store in enumerate(stores)
        for j, product in enumerate(products)
    )
    # Two pairs of a 2 x 2 cross product: the other two are stored but not asked for.
    keys = [(stores[0].pk, products[0].pk), (stores[1].pk, products[1].pk)]
    found = StockImporter().existing(org, keys)
    assert {key: row["on_hand"] for key, row in found.items()} == {keys[0]: 0, keys[1]: 11}
