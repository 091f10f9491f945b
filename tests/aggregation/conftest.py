import pytest

from tests.aggregation.fakes import Clock, FakeServer
from tests.aggregation.fakes.shopify import FakeShopify
from tests.aggregation.fakes.woocommerce import FakeWooCommerce


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def fake_shopify(clock):
    """A fake Shopify shop on 127.0.0.1 (tests/aggregation/fakes/shopify.py); `.url`."""
    shop = FakeShopify(clock)
    with FakeServer(shop) as server:
        shop.url = server.url
        yield shop


@pytest.fixture
def fake_woocommerce(clock):
    """A fake WooCommerce site on 127.0.0.1 (tests/aggregation/fakes/woocommerce.py); `.url`."""
    shop = FakeWooCommerce(clock)
    with FakeServer(shop) as server:
        shop.url = server.url
        yield shop


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 2 to 5 rows, so a few dozen rows make at least three pages of everything."""
    from aggregation import shopify, woocommerce

    for name, size in {"LOCATIONS_PAGE": 2, "PRODUCTS_PAGE": 5, "VARIANTS_PAGE": 2, "LEVELS_PAGE": 5,
                       "ORDERS_PAGE": 5, "LINES_PAGE": 2, "MORE_PAGE": 2}.items():  # fmt: skip
        monkeypatch.setattr(shopify, name, size)
    monkeypatch.setattr(woocommerce, "PER_PAGE", 4)
