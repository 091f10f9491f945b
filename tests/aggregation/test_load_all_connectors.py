""" "Load data from all connections" through a real Celery worker (Redis and PostgreSQL): a
master with a Shopify child, a WooCommerce child and a Shopify child whose token was
revoked. The run ends "Done, with errors" naming the failing child and what to fix; the
two others are loaded with what their fake shops served, and the master's rollup is the
plain sum of its children's stock.

The fake shops run in this process; the worker reaches them over 127.0.0.1 (it runs with
DEBUG on, which allows plain http to a local shop)."""

import time
from collections import Counter

import pytest
from django.db import connection as db
from django.urls import reverse

from aggregation.models import Connection, LoadRun, MasterAccount, RollupStock
from aggregation.shopify import REFUSED
from inventory.models import Stock, normalize_sku
from tests.aggregation.fakes import Clock, FakeServer
from tests.aggregation.fakes.shopify import FakeShopify
from tests.aggregation.test_connector_shopify import expected_products as shopify_products
from tests.aggregation.test_connector_shopify import expected_sales as shopify_sales
from tests.aggregation.test_connector_shopify import expected_stock as shopify_stock
from tests.aggregation.test_connector_shopify import stock_the_shop, stored_products, stored_sales
from tests.aggregation.test_connector_shopify import stored_stock as shopify_stored_stock
from tests.aggregation.test_connector_woocommerce import expected_products as woo_products
from tests.aggregation.test_connector_woocommerce import expected_sales as woo_sales
from tests.aggregation.test_connector_woocommerce import expected_stock as woo_stock
from tests.aggregation.test_connector_woocommerce import stock_the_site
from tests.aggregation.test_connector_woocommerce import stored_products as woo_stored_products
from tests.aggregation.test_connector_woocommerce import stored_sales as woo_stored_sales
from tests.aggregation.test_connector_woocommerce import stored_stock as woo_stored_stock
from tests.conftest import jobs_through, start_worker, stop_worker, worker_env
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.worker
DEADLINE = 180  # generous: CI machines are slow; the wait ends as soon as the run does


def shop_child(master, name, kind, url, credentials):
    connection = Connection(
        master=master, child=OrganizationFactory(name=name), kind=kind, shop_url=url
    )
    connection.set_credentials(credentials)
    connection.save()
    return connection


@pytest.fixture
def revoked_shopify():
    """A second Shopify shop, whose token was revoked: it answers 401."""
    shop = FakeShopify(Clock())
    with FakeServer(shop) as server:
        shop.url = server.url
        yield shop


def test_one_failing_connector_among_three_does_not_stop_the_others(
    transactional_db, settings, tmp_path, worker_id, client, owner, org,
    fake_shopify, fake_woocommerce, revoked_shopify,
):  # fmt: skip
    if db.vendor != "postgresql":
        pytest.skip("the real worker needs PostgreSQL: set DATABASE_URL")
    settings.MEDIA_ROOT = tmp_path / "media"
    stock_the_shop(fake_shopify)
    fake_shopify.bucket.maximum = fake_shopify.bucket.available = 2000.0  # no waits here
    stock_the_site(fake_woocommerce)
    revoked_shopify.add_location(1, "Nowhere", "Ames", "IA")
    master = MasterAccount.objects.create(organization=org)
    shopify = shop_child(
        master, "Heartland Shopify", "shopify", fake_shopify.url,
        {"access_token": fake_shopify.token},
    )  # fmt: skip
    woo = shop_child(
        master, "Heartland Woo", "woocommerce", fake_woocommerce.url,
        {"consumer_key": fake_woocommerce.key, "consumer_secret": fake_woocommerce.secret},
    )  # fmt: skip
    revoked = shop_child(
        master, "Heartland Outlet", "shopify", revoked_shopify.url,
        {"access_token": "shpat_revoked_long_ago"},
    )  # fmt: skip

    prefix = f"shelfshare-conn-{worker_id}-"
    env = worker_env(
        db.settings_dict, prefix=prefix, mail_dir=tmp_path, media_dir=settings.MEDIA_ROOT
    )
    worker = start_worker(
        name=f"shelfshare-conn-{worker_id}", env=env, log_path=tmp_path / "worker.log",
        extra_args=["--purge"],
    )  # fmt: skip
    try:
        with jobs_through(prefix):
            client.force_login(owner)
            run_url = client.post(reverse("aggregation:load")).url
            run = LoadRun.objects.get(pk=run_url.rstrip("/").split("/")[-1])
            deadline = time.monotonic() + DEADLINE
            while run.status in ("queued", "running") and time.monotonic() < deadline:
                time.sleep(0.2)
                run.refresh_from_db()
    finally:
        stop_worker(worker)

    assert (run.status, run.done, run.total, run.failed) == ("done_with_errors", 4, 4, 1), (
        run.message,
        (tmp_path / "worker.log").read_text()[-3000:],
    )
    assert run.claimed_by.startswith(f"shelfshare-conn-{worker_id}@")  # the worker ran it
    assert run.errors == {"Heartland Outlet": REFUSED}
    page = client.get(run_url).text
    assert "Done, with errors" in page and "Heartland Outlet" in page
    revoked.refresh_from_db()
    assert revoked.last_error == REFUSED and not Stock.objects.for_org(revoked.child).exists()

    # The other two hold what their shops served.
    assert stored_products(shopify.child) == shopify_products(fake_shopify)
    assert shopify_stored_stock(shopify.child) == shopify_stock(fake_shopify)
    assert stored_sales(shopify.child) == shopify_sales(fake_shopify)
    assert woo_stored_products(woo.child) == woo_products(fake_woocommerce)
    assert woo_stored_stock(woo.child) == woo_stock(fake_woocommerce)
    assert woo_stored_sales(woo.child) == woo_sales(fake_woocommerce)
    for child in (shopify, woo):
        child.refresh_from_db()
        assert child.last_error == "" and child.last_loaded_at and child.synced_until

    # The master's rollup is the plain sum of its children's stock, SKU by SKU.
    children_stock = Counter()
    for stock in Stock.objects.filter(organization__connection__master=master).select_related(
        "product"
    ):
        children_stock[normalize_sku(stock.product.sku)] += stock.on_hand
    rollup = Counter()
    for row in RollupStock.objects.filter(master=master):
        rollup[row.sku] += row.on_hand
    assert +rollup == +children_stock and sum(rollup.values()) > 0
