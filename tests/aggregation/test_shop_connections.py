"""Shop connections through the pages: Add Account offers Shopify and WooCommerce, checks
the address, stores the credentials encrypted and loads the new child at once; the
credentials are never shown again (not on the edit page, not in admin); a failed load
says on the connections page what to fix."""

import pytest
from django.db import connection as db
from django.urls import reverse

from aggregation import connectors
from aggregation.forms import SAVED, shopify_address
from aggregation.models import Connection, LoadRun
from aggregation.shopify import REFUSED
from inventory.models import Product
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs_run_at_commit(monkeypatch):
    """The pages queue their jobs on commit; a test's transaction never commits."""
    from django.db import transaction

    monkeypatch.setattr(
        transaction, "on_commit", lambda callback, using=None, robust=False: callback()
    )


@pytest.fixture
def shop(fake_shopify):
    fake_shopify.add_location(101, "Des Moines store", "Des Moines", "IA")
    product = fake_shopify.add_product(
        1, "Prairie honey", "Luxco", "Pantry", [("Default Title", "HG-001", "8.50", "4.00")]
    )
    fake_shopify.set_level(101, product["_variants"][0], available=12, incoming=3)
    return fake_shopify


def add_shopify(client, shop, token=None, **fields):
    return client.post(
        reverse("aggregation:add_account"),
        {"connection": "shopify", "master_name": "Heartland Group", "child_name": "Heartland Shopify",
         "currency": "USD", "shop_url": shop.url, "access_token": token or shop.token, **fields},
        follow=True,
    )  # fmt: skip


def raw_credentials(pk):
    """The credentials column as the database holds it."""
    with db.cursor() as cursor:
        cursor.execute("SELECT credentials FROM aggregation_connection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_add_account_offers_every_kind_of_connection(owner_client):
    page = owner_client.get(reverse("aggregation:add_account")).text
    for label in ("CSV files", "Existing account", "Shopify", "WooCommerce"):
        assert f">{label}</a>" in page
    shopify = owner_client.get(reverse("aggregation:add_account"), {"kind": "shopify"}).text
    assert "Admin API access token" in shopify and "read_locations" in shopify
    woo = owner_client.get(reverse("aggregation:add_account"), {"kind": "woocommerce"}).text
    assert "Consumer key" in woo and "Consumer secret" in woo


def test_a_shopify_connection_is_added_encrypted_and_loaded_at_once(owner_client, shop):
    page = add_shopify(owner_client, shop)
    assert "Heartland Shopify is now connected to Heartland Group" in page.text
    connection = Connection.objects.get(child__name="Heartland Shopify")
    assert connection.kind == "shopify" and connection.shop_url == shop.url
    # At rest the token is sealed: the column holds neither it nor any part of it.
    sealed = raw_credentials(connection.pk)
    assert sealed and shop.token not in sealed and "shpat" not in sealed
    assert connection.credential_values() == {"access_token": shop.token}
    # The load ran: the shop's product and stock are the child's.
    assert LoadRun.objects.get().status == "done"
    assert Product.objects.for_org(connection.child).get().sku == "HG-001"
    listing = owner_client.get(reverse("aggregation:connections")).text
    assert "Shopify" in listing and "127.0.0.1" in listing and "products 1 new;" in listing
    assert shop.token not in listing


def test_the_edit_page_never_shows_the_saved_token_and_keeps_it_when_left_empty(owner_client, shop):
    add_shopify(owner_client, shop)
    connection = Connection.objects.get(child__name="Heartland Shopify")
    url = reverse("aggregation:connection_edit", args=[connection.pk])
    page = owner_client.get(url).text
    assert SAVED in page and shop.token not in page and raw_credentials(connection.pk) not in page
    assert owner_client.post(url, {"shop_url": shop.url, "access_token": ""}).status_code == 302
    connection.refresh_from_db()
    assert connection.credential_values() == {"access_token": shop.token}
    # A refused save shows the form again, still without the token.
    refused = owner_client.post(url, {"shop_url": "http://10.0.0.5", "access_token": "shpat_new"})
    assert "not its own domain" in refused.text and "shpat_new" not in refused.text
    owner_client.post(url, {"shop_url": shop.url, "access_token": "shpat_replaced"})
    connection.refresh_from_db()
    assert connection.credential_values() == {"access_token": "shpat_replaced"}


def test_a_revoked_token_is_shown_on_the_connections_page_with_what_to_fix(
    owner_client, shop, monkeypatch
):
    add_shopify(owner_client, shop)
    shop.token = "shpat_after_revoking"
    run = owner_client.post(reverse("aggregation:load"), follow=True).text
    assert "Done, with errors" in run and "Heartland Shopify" in run
    page = owner_client.get(reverse("aggregation:connections")).text
    assert REFUSED.split(":")[0] in page and "read_products, read_inventory" in page
    connection = Connection.objects.get(child__name="Heartland Shopify")
    assert reverse("aggregation:connection_edit", args=[connection.pk]) in page


def test_an_unreachable_shop_says_its_address_could_not_be_reached(owner_client, shop):
    import socket

    add_shopify(owner_client, shop)
    connection = Connection.objects.get(child__name="Heartland Shopify")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    Connection.objects.filter(pk=connection.pk).update(shop_url=f"http://127.0.0.1:{port}")
    with pytest.raises(connectors.LoadFailed) as failed:
        connectors.load(Connection.objects.get(pk=connection.pk), None)
    assert "could not be reached (the connection was refused)" in str(failed.value)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("heartland-goods", "https://heartland-goods.myshopify.com"),
        ("Heartland-Goods.myshopify.com", "https://heartland-goods.myshopify.com"),
        (
            "https://heartland-goods.myshopify.com/admin/products",
            "https://heartland-goods.myshopify.com",
        ),
        (
            "https://admin.shopify.com/store/heartland-goods/orders",
            "https://heartland-goods.myshopify.com",
        ),
    ],
)
def test_a_shopify_address_is_read_from_what_people_paste(typed, stored, settings, monkeypatch):
    monkeypatch.setattr("aggregation.sources._public", lambda host: True)  # no DNS in tests
    assert shopify_address(typed) == stored


@pytest.mark.parametrize(
    ("kind", "address", "message"),
    [
        ("shopify", "www.heartland-goods.com", "not its own domain"),
        ("woocommerce", "http://shop.heartland.example", "must start with https://"),
        ("woocommerce", "https://user:pw@shop.heartland.example", "without a user, password"),
        ("woocommerce", "https://169.254.169.254", "is not a public internet address"),
        ("woocommerce", "shop.heartland.example", "Enter the full address"),
    ],
)
def test_an_address_that_cannot_be_a_shops_is_refused_with_why(
    owner_client, kind, address, message
):
    fields = {
        "shopify": {"access_token": "shpat_x"},
        "woocommerce": {"consumer_key": "ck_x", "consumer_secret": "cs_x"},
    }
    page = owner_client.post(
        reverse("aggregation:add_account"),
        {"connection": kind, "child_name": "Heartland Web", "currency": "USD", "shop_url": address,
         **fields[kind]},
    )  # fmt: skip
    assert message in page.text
    assert not Connection.objects.filter(child__name="Heartland Web").exists()


def test_http_to_localhost_needs_the_setting(settings):
    from aggregation.sources import AddressRefused, check_address

    settings.CONNECTOR_ALLOW_HTTP_LOCALHOST = False
    with pytest.raises(AddressRefused):
        check_address("http://127.0.0.1:8081")
    settings.CONNECTOR_ALLOW_HTTP_LOCALHOST = True
    assert check_address("http://127.0.0.1:8081/") == "http://127.0.0.1:8081"


def test_admin_shows_whether_credentials_are_saved_never_them(client, owner_client, shop):
    add_shopify(owner_client, shop)
    connection = Connection.objects.get(child__name="Heartland Shopify")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:aggregation_connection_change", args=[connection.pk])).text
    assert "saved (encrypted)" in page and shop.url in page
    assert shop.token not in page and raw_credentials(connection.pk) not in page


def test_credentials_sealed_under_another_key_ask_to_be_entered_again(owner_client, shop, settings):
    add_shopify(owner_client, shop)
    settings.CONNECTOR_CREDENTIALS_KEY = ["0" * 43 + "="]  # the server's key changed
    connection = Connection.objects.get(child__name="Heartland Shopify")
    with pytest.raises(connectors.LoadFailed) as failed:
        connectors.load(connection, None)
    assert "enter them again" in str(failed.value)


def test_a_member_cannot_edit_a_connection(member_client, owner_client, shop, org):
    add_shopify(owner_client, shop)
    connection = Connection.objects.get(child__name="Heartland Shopify")
    from accounts.models import Membership

    Membership.objects.create(
        user=Membership.objects.get(organization=org, role="member").user,
        organization=connection.master.organization,
        role="member",
    )
    url = reverse("aggregation:connection_edit", args=[connection.pk])
    member_client.post(
        reverse("accounts:organization_switch"), {"organization": connection.master.organization_id}
    )
    assert member_client.get(url).status_code == 404
