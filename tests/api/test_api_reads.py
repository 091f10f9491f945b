"""Lists through the API: every row once across its pages, in order, with the pages'
filters; a bad cursor or limit named; a token past its rate slowed down."""

import pytest

from inventory.models import SalesLine, Stock
from tests.api.conftest import ApiClient, make_token
from tests.factories import ProductFactory, SalesLineFactory, StockFactory

pytestmark = pytest.mark.django_db


def walk(client, path, params=None):
    """Every item of a list, page after page."""
    items, cursor, pages = [], None, 0
    while True:
        response = client.get(path, {**(params or {}), **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return items, pages


@pytest.fixture
def big_shop(shop):
    for n in range(12):
        product = ProductFactory(
            organization=shop["retailer"], sku=f"BULK-{n:02}", vendor_name="Bulk Co"
        )
        for store in shop["stores"]:
            StockFactory(organization=shop["retailer"], store=store, product=product, on_hand=n)
            SalesLineFactory(organization=shop["retailer"], store=store, product=product)
    return shop


def test_stock_pages_hold_every_row_once_in_store_then_product_order(api, big_shop):
    shop = big_shop
    items, pages = walk(
        api["read"], f"/api/v1/organizations/{shop['retailer'].pk}/stock", {"limit": 7}
    )
    expected = list(
        Stock.objects.filter(organization=shop["retailer"])
        .order_by("store_id", "product_id")
        .values_list("store__number", "product__sku", "on_hand")
    )
    assert [(i["store"], i["sku"], i["on_hand"]) for i in items] == expected
    assert pages == -(-len(expected) // 7)


def test_a_merchandisers_pages_hold_only_its_stores(api, big_shop):
    shop = big_shop
    items, _ = walk(
        api["merchandiser"], f"/api/v1/organizations/{shop['retailer'].pk}/stock", {"limit": 5}
    )
    expected = Stock.objects.filter(organization=shop["retailer"], store__number__in=["1", "2"])
    assert sorted(i["id"] for i in items) == sorted(expected.values_list("pk", flat=True))


def test_the_stock_filters_are_the_pages_filters(api, big_shop):
    shop = big_shop
    path = f"/api/v1/organizations/{shop['retailer'].pk}/stock"
    by_vendor, _ = walk(api["read"], path, {"vendor": "bulk", "store": "2"})
    assert {(i["store"], i["sku"]) for i in by_vendor} == {("2", f"BULK-{n:02}") for n in range(12)}
    out, _ = walk(api["read"], path, {"out": "true"})
    assert {(i["store"], i["sku"]) for i in out} == {(s.number, "BULK-00") for s in shop["stores"]}
    assert walk(api["read"], path, {"q": "bulk-03"})[0][0]["sku"] == "BULK-03"


def test_sales_pages_and_date_filters(api, big_shop):
    shop = big_shop
    path = f"/api/v1/organizations/{shop['retailer'].pk}/sales"
    items, _ = walk(api["read"], path, {"limit": 10})
    assert sorted(i["id"] for i in items) == sorted(
        SalesLine.objects.filter(organization=shop["retailer"]).values_list("pk", flat=True)
    )
    line = SalesLine.objects.filter(organization=shop["retailer"]).first()
    day = line.date.isoformat()
    on_day, _ = walk(api["read"], path, {"date_from": day, "date_to": day})
    assert {i["id"] for i in on_day} == set(
        SalesLine.objects.filter(organization=shop["retailer"], date=line.date).values_list(
            "pk", flat=True
        )
    )
    bad = api["read"].get(path, {"date_from": "30/11/2026"})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["field"] == "date_from"


def test_a_cursor_this_api_did_not_give_and_a_limit_out_of_range_are_named(api, shop):
    path = f"/api/v1/organizations/{shop['retailer'].pk}/stock"
    bad = api["read"].get(path, {"cursor": "not-a-cursor"})
    assert bad.status_code == 400
    assert bad.json()["error"] | {"message": ""} == {
        "status": 400, "code": "bad_cursor", "message": "",
        "errors": [{"field": "cursor", "message": "not a cursor of this list"}],
    }  # fmt: skip
    too_many = api["read"].get(path, {"limit": 5000})
    assert too_many.status_code == 422
    assert too_many.json()["error"]["errors"][0]["field"] == "limit"


def test_a_token_past_its_rate_gets_429_with_retry_after(shop, settings):
    settings.API_RATE_LIMIT = 3
    client = ApiClient(make_token(shop["retailer"]))
    answers = [client.get("/api/v1/me").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/api/v1/me")
    assert limited["Retry-After"] == str(settings.API_RATE_WINDOW)
    assert limited.json()["error"]["code"] == "rate_limited"
    # Another token of the same organization has its own count.
    assert ApiClient(make_token(shop["retailer"])).get("/api/v1/me").status_code == 200


def test_organizations_lists_the_owners_that_share_with_the_token(api, shop):
    body = api["vendor"].get("/api/v1/organizations").json()
    assert [(o["name"], o["relation"]) for o in body["items"]] == [
        ("Prairie Spirits", "own"), ("Heartland Mart", "shares with you"),
    ]  # fmt: skip
    assert "retail_price" in body["items"][1]["hidden_fields"]
