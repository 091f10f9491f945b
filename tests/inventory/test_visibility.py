import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import Adjustment, Stock
from partners.models import Partnership
from tests.factories import PartnershipFactory
from tests.shop import (
    CUSTOMER_SENTINEL,
    MARKDOWN_SENTINEL,
    RETAIL_SENTINEL,
    SALES_SENTINEL,
)

pytestmark = pytest.mark.django_db


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def stock_page(client, shop, **params):
    return client.get(reverse("inventory:stock", args=[shop["retailer"].pk]), params)


def stores_listed(page, shop):
    return sorted(
        s.number for s in shop["stores"] for pk in [shop["stock"][(s.number, "VEND-1")].pk]
        if f'id="stock-{pk}"' in page.text
    )  # fmt: skip


def test_the_merchandising_partner_sees_exactly_the_geography(shop):
    client = as_user(shop["rep"])
    page = stock_page(client, shop)
    assert page.status_code == 200
    assert stores_listed(page, shop) == ["1", "2"]
    assert "OTHER-VENDOR-PRODUCT" in page.text  # every product
    # A store removed from the geography: gone at once.
    shop["merch_share"].stores.remove(shop["stores"][1])
    assert stores_listed(stock_page(client, shop), shop) == ["1"]
    # Unapproved: the whole inventory is a 404, like any other tenant's.
    Partnership.objects.filter(pk=shop["merch_share"].pk).update(status="unapproved")
    assert stock_page(client, shop).status_code == 404


def test_the_vendor_sees_its_own_products_in_every_shared_store(shop):
    page = stock_page(as_user(shop["vendor_user"]), shop)
    assert stores_listed(page, shop) == ["1", "2", "3"]
    assert "OTHER-VENDOR-PRODUCT" not in page.text and "Vendor Whiskey" in page.text
    assert "Retail price" not in page.text and "Unit cost" in page.text
    theirs = shop["theirs"]
    url = reverse("inventory:product", args=[shop["retailer"].pk, theirs.pk])
    assert as_user(shop["vendor_user"]).get(url).status_code == 404


def test_outsiders_get_404(shop):
    client = as_user(shop["outsider"])
    assert stock_page(client, shop).status_code == 404
    stock = shop["stock"][("1", "VEND-1")]
    assert client.get(reverse("inventory:adjust", args=[stock.pk])).status_code == 404
    assert (
        client.post(
            reverse("inventory:adjust", args=[stock.pk]), {"kind": "count", "on_hand": 1}
        ).status_code
        == 404
    )


def test_a_partner_adjustment_reaches_the_owner_with_attribution(shop):
    stock = shop["stock"][("1", "VEND-1")]
    rep = as_user(shop["rep"])
    response = rep.post(
        reverse("inventory:adjust", args=[stock.pk]),
        {"kind": "count", "on_hand": "7", "note": "shelf recount", "version": stock.version},
        follow=True,
    )
    assert "Saved: VEND-1 at store 1" in response.text
    stock.refresh_from_db()
    assert stock.on_hand == 7
    adjustment = Adjustment.objects.get()
    assert (adjustment.actor, adjustment.actor_organization) == (shop["rep"], shop["merchandiser"])
    # The owner's feed, as polled, carries it and the changed row.
    feed = as_user(shop["owner"]).get(
        reverse("inventory:activity"), {"since": 0}, headers={"HX-Request": "true"}
    )
    assert "Ray Rep" in feed.text and "(FieldForce)" in feed.text and "on hand 20 → 7" in feed.text
    assert f'id="stock-{stock.pk}" hx-swap-oob="true"' in feed.text
    assert "shelf recount" in feed.text
    # And a markdown.
    stock.refresh_from_db()
    rep.post(
        reverse("inventory:adjust", args=[stock.pk]),
        {"kind": "markdown", "price": "3.99", "version": stock.version},
    )
    stock.refresh_from_db()
    assert str(stock.current_price) == "3.99"


def test_a_partner_cannot_adjust_outside_its_geography(shop):
    stock = shop["stock"][("3", "VEND-1")]
    response = as_user(shop["rep"]).post(
        reverse("inventory:adjust", args=[stock.pk]), {"kind": "count", "on_hand": 1}
    )
    assert response.status_code == 404
    assert Stock.objects.get(pk=stock.pk).on_hand == 20


def test_a_vendor_post_to_change_stock_is_refused_and_changes_nothing(shop):
    stock = shop["stock"][("1", "VEND-1")]
    client = as_user(shop["vendor_user"])
    for data in ({"kind": "count", "on_hand": 1}, {"kind": "markdown", "price": "1.00"}):
        response = client.post(reverse("inventory:adjust", args=[stock.pk]), data)
        assert response.status_code == 403
        assert b"read-only" in response.content
    stock.refresh_from_db()
    assert stock.on_hand == 20 and str(stock.current_price) == "876543.21"
    assert not Adjustment.objects.exists()


def test_both_scopes_apply_each_to_its_own_stores(shop):
    """The vendor is also a merchandising partner for store 1 only: there it sees every
    product at retail and may adjust; in stores 2-3 it stays a vendor share (own products,
    cost only, read-only)."""
    both = PartnershipFactory(
        organization=shop["retailer"], partner=shop["vendor"], status=Partnership.Status.ACTIVE,
        scope=Partnership.Scope.MERCHANDISING,
    )  # fmt: skip
    both.stores.add(shop["stores"][0])
    client = as_user(shop["vendor_user"])
    page = stock_page(client, shop)
    theirs_rows = [
        n for n in ("1", "2", "3") if f'id="stock-{shop["stock"][(n, "OTHER-1")].pk}"' in page.text
    ]
    assert theirs_rows == ["1"]  # another vendor's product only where merchandising applies
    assert page.text.count(RETAIL_SENTINEL) == 1  # the retail price at store 1, nowhere else
    assert page.text.count(MARKDOWN_SENTINEL) == 1
    own_at_2 = shop["stock"][("2", "VEND-1")]
    own_at_1 = shop["stock"][("1", "VEND-1")]
    assert reverse("inventory:adjust", args=[own_at_1.pk]) in page.text
    assert reverse("inventory:adjust", args=[own_at_2.pk]) not in page.text
    refused = client.post(
        reverse("inventory:adjust", args=[own_at_2.pk]), {"kind": "count", "on_hand": 1}
    )
    assert refused.status_code == 403 and Stock.objects.get(pk=own_at_2.pk).on_hand == 20
    # The export and the product page follow the same per-store rules.
    export = client.get(reverse("inventory:export", args=[shop["retailer"].pk]))
    body = b"".join(export.streaming_content).decode() if export.streaming else export.text
    assert body.count(RETAIL_SENTINEL) == 1 and body.count("OTHER-VENDOR-PRODUCT") == 1
    product = client.get(reverse("inventory:product", args=[shop["retailer"].pk, shop["ours"].pk]))
    assert product.text.count(SALES_SENTINEL) == 1  # store 1's sales line only
    assert product.text.count(CUSTOMER_SENTINEL) == 1
    # An empty merchandising geography is not live: back to a plain vendor share.
    both.stores.clear()
    page = stock_page(client, shop)
    assert RETAIL_SENTINEL not in page.text and "OTHER-VENDOR-PRODUCT" not in page.text
