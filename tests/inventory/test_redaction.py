"""Sentinel values seeded in the owner's data; every URL a partner can reach, discovered
from the URL patterns (pages, CSV exports and htmx fragments): redacted values never
leave the server."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import TENANT_FACTORIES
from tests.shop import (
    CUSTOMER_SENTINEL,
    GROSS_PROFIT_SENTINEL,
    MARKDOWN_SENTINEL,
    RETAIL_SENTINEL,
    SALES_SENTINEL,
)
from tests.test_every_url import PATTERNS, SAMPLE_VALUES, model_for_kwarg

pytestmark = pytest.mark.django_db


def url_for(name, pattern, shop, viewer_org):
    """Point every kwarg at something the viewer can reach: the owner's inventory, the
    vendor's product and stock, the partnership; anything else, the viewer's own."""
    special = {
        "organization_id": shop["retailer"].pk,
        "product_id": shop["ours"].pk,
        "stock_id": shop["stock"][("1", "VEND-1")].pk,
        "partnership_id": shop["vendor_share"].pk
        if viewer_org == shop["vendor"]
        else shop["merch_share"].pk,
    }
    kwargs = {}
    for kwarg in pattern.pattern.converters:
        if kwarg in special:
            kwargs[kwarg] = special[kwarg]
        elif model_for_kwarg(kwarg):
            kwargs[kwarg] = TENANT_FACTORIES[model_for_kwarg(kwarg)](viewer_org).pk
        else:
            kwargs[kwarg] = SAMPLE_VALUES[kwarg]
    return reverse(name, kwargs=kwargs)


def body(response):
    # Photos are binary; the sentinels are ASCII, so a lossy decode still finds them.
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def everything_seen_by(user, shop, viewer_org):
    client = Client()
    client.force_login(user)
    seen = {}
    for name, pattern in PATTERNS:
        url = url_for(name, pattern, shop, viewer_org)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            seen[(url, bool(headers))] = body(response)
    # Filtered views and the next page too.
    inventory = reverse("inventory:stock", args=[shop["retailer"].pk])
    for params in ({"q": "VEND-1"}, {"store": "1"}, {"vendor": "Prairie"}, {"after": "0.0"}):
        seen[(inventory, str(params))] = body(client.get(inventory, params))
        seen[("export", str(params))] = body(
            client.get(reverse("inventory:export", args=[shop["retailer"].pk]), params)
        )
    seen.update(vendor_analytics_seen(client, shop))
    return seen


def vendor_analytics_seen(client, shop):
    """The vendor analytics page and both its exports, for every retailer and for one."""
    seen = {}
    page = reverse("inventory:sell_through")
    export = reverse("inventory:sell_through_export")
    for params in ({}, {"retailer": shop["retailer"].pk, "weeks": "52"}):
        seen[(page, str(params))] = body(client.get(page, params))
        for by in ("store", "product"):
            seen[(export, by, str(params))] = body(client.get(export, {**params, "by": by}))
    return seen


def test_the_walk_reaches_vendor_analytics_at_cost(shop):
    client = Client()
    client.force_login(shop["vendor_user"])
    seen = vendor_analytics_seen(client, shop)
    assert all("Heartland Mart" in text for text in seen.values())
    assert all("Vendor Whiskey" in text for key, text in seen.items() if "store" not in key)
    assert "$111,111.11" in seen[(reverse("inventory:sell_through"), "{}")]  # cost per store


def test_vendor_analytics_never_shows_a_store_outside_the_vendor_share(shop):
    share = shop["vendor_share"]
    share.all_stores = False
    share.save()
    share.stores.add(*shop["stores"][:2])
    hidden = shop["stores"][2]
    hidden.name = "NON-SHARED-STORE"
    hidden.save()
    shop["stock"][("3", "VEND-1")].__class__.objects.filter(store=hidden).update(on_hand=7373)
    client = Client()
    client.force_login(shop["vendor_user"])
    for key, text in vendor_analytics_seen(client, shop).items():
        assert "NON-SHARED-STORE" not in text and "7373" not in text, key
        assert "Heartland Mart" in text, key  # the shared stores still show


def test_the_walk_reaches_the_shared_pages(shop):
    seen = everything_seen_by(shop["vendor_user"], shop, shop["vendor"])
    pages = "".join(seen.values())
    assert "Vendor Whiskey" in pages and "12.34" in pages  # it did see the shared data, at cost


def test_a_vendor_never_receives_retail_markdown_profit_or_customers(shop):
    seen = everything_seen_by(shop["vendor_user"], shop, shop["vendor"])
    for sentinel in (RETAIL_SENTINEL, MARKDOWN_SENTINEL, SALES_SENTINEL, GROSS_PROFIT_SENTINEL, CUSTOMER_SENTINEL,
                     "OTHER-VENDOR-PRODUCT"):  # fmt: skip
        leaks = [key for key, text in seen.items() if sentinel in text]
        assert leaks == [], f"{sentinel} reached the vendor at {leaks}"


def test_a_merchandising_partner_sees_retail_prices_but_never_gross_profit(shop):
    seen = everything_seen_by(shop["rep"], shop, shop["merchandiser"])
    pages = "".join(seen.values())
    assert RETAIL_SENTINEL in pages
    leaks = [key for key, text in seen.items() if GROSS_PROFIT_SENTINEL in text]
    assert leaks == []


def test_the_owner_sees_gross_profit(shop):
    client = Client()
    client.force_login(shop["owner"])
    page = client.get(reverse("inventory:product", args=[shop["retailer"].pk, shop["ours"].pk]))
    assert GROSS_PROFIT_SENTINEL in page.text and CUSTOMER_SENTINEL in page.text
