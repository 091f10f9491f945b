"""The sentinel values of tests/shop.py never leave the server through the API either:
every endpoint in the schema, discovered from it, read and written as a vendor's token and
as a merchandiser's, at the owner and at the caller's own organization, each list with
its filters and its next page."""

import json

import pytest

from tests.api.test_every_endpoint import call, concrete, operations, schema_of
from tests.shop import (
    CUSTOMER_SENTINEL,
    GROSS_PROFIT_SENTINEL,
    MARKDOWN_SENTINEL,
    RETAIL_SENTINEL,
    SALES_SENTINEL,
)

pytestmark = pytest.mark.django_db

FILTERS = [
    {},
    {"limit": 1},
    {"q": "VEND-1"},
    {"store": "1"},
    {"vendor": "Prairie"},
    {"sku": "VEND-1"},
]


def everything_seen(client, shop, viewer):
    schema = schema_of(client)
    seen = {}
    for template, method in operations(schema):
        for organization in (shop["retailer"], viewer):
            path = concrete(template, shop).replace(
                f"/{shop['retailer'].pk}/", f"/{organization.pk}/", 1
            )
            if method != "get":
                seen[(method, path)] = call(client, method, path, shop).content.decode()
                continue
            for params in FILTERS:
                response = client.get(path, params)
                assert response.status_code < 500, path
                seen[(path, str(params))] = response.content.decode()
                cursor = response.json().get("next_cursor") if response.status_code == 200 else None
                if isinstance(cursor, str):
                    more = client.get(path, {**params, "cursor": cursor})
                    seen[(path, str(params), "next")] = more.content.decode()
    return seen


def test_the_walk_reaches_the_shared_stock_at_cost(api, shop):
    seen = everything_seen(api["vendor"], shop, shop["vendor"])
    stock = seen[(f"/api/v1/organizations/{shop['retailer'].pk}/stock", "{}")]
    assert "Vendor Whiskey" in stock and "12.34" in stock
    assert json.loads(stock)["items"], "the vendor sees its products' stock"


def test_a_vendor_token_never_receives_retail_markdown_profit_or_customers(api, shop):
    seen = everything_seen(api["vendor"], shop, shop["vendor"])
    for sentinel in (RETAIL_SENTINEL, MARKDOWN_SENTINEL, SALES_SENTINEL, GROSS_PROFIT_SENTINEL,
                     CUSTOMER_SENTINEL, "OTHER-VENDOR-PRODUCT"):  # fmt: skip
        leaks = [key for key, text in seen.items() if sentinel in text]
        assert leaks == [], f"{sentinel} reached the vendor at {leaks}"
    # Left out, not sent empty: the keys are not there at all.
    for key, text in seen.items():
        for field in (
            "retail_price",
            "current_price",
            "retail_amount",
            "gross_profit",
            "customer_reference",
        ):
            assert f'"{field}"' not in text or key[0].endswith("/organizations"), (field, key)


def test_a_merchandiser_token_sees_retail_prices_but_never_gross_profit(api, shop):
    seen = everything_seen(api["merchandiser"], shop, shop["merchandiser"])
    assert RETAIL_SENTINEL in "".join(seen.values())
    leaks = [key for key, text in seen.items() if GROSS_PROFIT_SENTINEL in text]
    assert leaks == []


def test_the_owners_token_sees_gross_profit_and_customers(api, shop):
    sales = api["read"].get(f"/api/v1/organizations/{shop['retailer'].pk}/sales").content.decode()
    assert GROSS_PROFIT_SENTINEL in sales and CUSTOMER_SENTINEL in sales
