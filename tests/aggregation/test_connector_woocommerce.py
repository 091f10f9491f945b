"""A WooCommerce child account loads through the REST API v3 of a fake site
(tests/aggregation/fakes/woocommerce.py): what is stored is what the site served, page
after page, at the account's one store; a 429 waits what Retry-After says; a 500 is tried
again; revoked keys say what to fix and write nothing; a second load asks only for what
was modified since the first."""

from decimal import Decimal

import pytest

from aggregation import connectors
from aggregation.connectors import WooCommerceConnector
from aggregation.models import Connection, MasterAccount
from aggregation.sources import LoadFailed
from aggregation.woocommerce import REFUSED
from inventory.models import Product, SalesLine, Stock
from tests.factories import OrganizationFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(org, fake_woocommerce):
    connection = Connection(
        master=MasterAccount.objects.create(organization=org),
        child=OrganizationFactory(name="Heartland Woo"),
        kind=Connection.Kind.WOOCOMMERCE,
        shop_url=fake_woocommerce.url,
    )
    connection.set_credentials(
        {"consumer_key": fake_woocommerce.key, "consumer_secret": fake_woocommerce.secret}
    )
    connection.save()
    return connection


def stock_the_site(site):
    """10 simple products (one without a SKU, one not stock-managed, one oversold), a
    variable product with 5 sized variations, a grouped product, and 24 orders in
    various states."""
    import datetime

    for pid in range(1, 11):
        stock = None if pid == 4 else (-3 if pid == 5 else pid * 3)
        sku = "" if pid == 9 else f"WC-{pid:03}"
        site.add_product(
            pid, f"Cornhusker item {pid}", sku, f"{pid + 0.99:.2f}", stock, f"Aisle {pid % 3}"
        )
    shirt = site.add_product(20, "Harvest tee", "WC-TEE", "18.00", None, "Apparel", "variable")
    for index, size in enumerate(("S", "M", "L", "XL", "XXL"), start=1):
        site.add_variation(shirt, 200 + index, [size], f"WC-TEE-{size}", "18.00", index * 2)
    site.add_product(30, "Gift set", "", "", None, "Gifts", "grouped")
    statuses = ["completed", "processing", "on-hold", "pending", "cancelled"]
    for oid in range(501, 525):
        created = datetime.datetime(2026, 2, oid % 27 + 1, (oid * 7) % 24, 15, tzinfo=datetime.UTC)
        lines = [(sku_of(oid + k), k + 1, f"{(k + 1) * 3.25:.2f}") for k in range(oid % 3 + 1)]
        site.add_order(oid, created, statuses[oid % 5] if oid % 3 else "completed", lines)


def sku_of(n):
    return ["WC-001", "WC-002", "WC-TEE-M", "WC-007", "WC-TEE-XL"][n % 5]


def expected_products(site):
    rows = {}
    for product in site.products:
        category = product["categories"][0]["name"]
        if product["type"] == "simple" and product["sku"]:
            rows[product["sku"]] = (product["name"], category, Decimal(product["regular_price"]))
        for variation in site.variations.get(product["id"], []):
            name = f"{product['name']} - {variation['attributes'][0]['option']}"
            rows[variation["sku"]] = (name, category, Decimal(variation["regular_price"]))
    return rows


def expected_stock(site, store="1"):
    items = [p for p in site.products if p["type"] == "simple"]
    items += [v for vs in site.variations.values() for v in vs]
    return {
        (store, item["sku"]): max(item["stock_quantity"], 0)
        for item in items
        if item["sku"] and item["manage_stock"] is True
    }


def expected_sales(site, store="1", zeroed=()):
    rows = {}
    for order in site.orders:
        undone = order["id"] in zeroed
        if order["status"] not in ("completed", "processing") and not undone:
            continue
        # What the order's refunds gave back of each line (units, amount).
        back = {}
        for refund in site.refunds.get(order["id"], []):
            for item in refund["line_items"]:
                line_id = int(item["meta_data"][0]["value"])
                units, amount = back.get(line_id, (0, Decimal(0)))
                back[line_id] = (units - item["quantity"], amount - Decimal(item["total"]))
        for line in order["line_items"]:
            units, amount = back.get(line["id"], (0, Decimal(0)))
            quantity, total = line["quantity"] - units, Decimal(line["total"]) - amount
            quantity, total = (0, "0") if undone else (quantity, total)
            rows[f"#{order['number']}/{line['id']}"] = (
                order["date_created"][:10], store, line["sku"], Decimal(quantity), Decimal(total),
            )  # fmt: skip
    return rows


def stored_products(child):
    return {p.sku: (p.name, p.category, p.retail_price) for p in Product.objects.for_org(child)}


def stored_stock(child):
    rows = Stock.objects.for_org(child).select_related("store", "product")
    return {(s.store.number, s.product.sku): s.on_hand for s in rows}


def stored_sales(child):
    rows = SalesLine.objects.for_org(child).select_related("store", "product")
    return {s.source_ref.split("|")[3]: sales_row(s) for s in rows}


def sales_row(line):
    return (
        line.date.isoformat(),
        line.store.number,
        line.product.sku,
        line.quantity,
        line.retail_amount,
    )


def load(connection, clock):
    connection.refresh_from_db()
    return WooCommerceConnector(sleep=clock.sleep).load(connection, None)


def test_a_load_stores_what_the_site_served_at_its_one_store(
    connection, fake_woocommerce, clock, small_pages
):
    stock_the_site(fake_woocommerce)
    summary = load(connection, clock)

    child = connection.child
    assert [(s.number, s.name) for s in child.stores.all()] == [("1", "127.0.0.1")]
    assert stored_products(child) == expected_products(fake_woocommerce)
    assert stored_stock(child) == expected_stock(fake_woocommerce)
    assert stored_sales(child) == expected_sales(fake_woocommerce)
    # Pages of 4: products and orders in at least three, each with WooCommerce's headers.
    for path in ("/products", "/orders"):
        pages = [p for p in fake_woocommerce.requests(path) if p.get("per_page") == "4"]
        assert [p["page"] for p in pages] == [str(n) for n in range(1, len(pages) + 1)]
        assert len(pages) >= 3
    assert [p["page"] for p in fake_woocommerce.requests("/products/20/variations")] == ["1", "2"]
    assert all(p["status"] == "completed,processing" for p in fake_woocommerce.requests("/orders"))
    assert "; products 14 new, 1 skipped;" in summary  # the product without a SKU


def test_an_account_with_a_store_keeps_everything_at_that_store(
    connection, fake_woocommerce, clock
):
    StoreFactory(organization=connection.child, number="44", name="Lincoln warehouse")
    stock_the_site(fake_woocommerce)
    load(connection, clock)
    assert list(connection.child.stores.values_list("number", flat=True)) == ["44"]
    assert stored_stock(connection.child) == expected_stock(fake_woocommerce, store="44")
    assert stored_sales(connection.child) == expected_sales(fake_woocommerce, store="44")


def test_a_429_waits_what_retry_after_says_and_a_500_backs_off(connection, fake_woocommerce, clock):
    stock_the_site(fake_woocommerce)
    fake_woocommerce.fail_next = [429, 500, 502]
    load(connection, clock)
    assert clock.waits == [3.0, 2.0, 4.0]  # Retry-After, then 1, 2, 4… seconds by attempt
    assert stored_products(connection.child) == expected_products(fake_woocommerce)


def test_a_retry_after_too_long_is_not_waited_for(connection, fake_woocommerce, clock):
    fake_woocommerce.fail_next = [429]
    fake_woocommerce.retry_after = "3600"
    with pytest.raises(connectors.LoadFailed) as failed:
        load(connection, clock)
    assert "asked us to wait 3600 seconds" in str(failed.value) and clock.waits == []


def test_revoked_keys_say_what_to_fix_and_write_nothing(
    connection, fake_woocommerce, clock, monkeypatch
):
    stock_the_site(fake_woocommerce)
    fake_woocommerce.key = "ck_a_new_one"
    monkeypatch.setitem(
        connectors.CONNECTORS, "woocommerce", WooCommerceConnector(sleep=clock.sleep)
    )
    with pytest.raises(connectors.LoadFailed):
        connectors.load(connection, None)
    connection.refresh_from_db()
    assert connection.last_error == REFUSED
    assert "WooCommerce → Settings → Advanced → REST API" in connection.last_error
    assert connection.last_loaded_at is None and connection.synced_until is None
    assert not connection.child.stores.exists()
    assert not Product.objects.for_org(connection.child).exists()


def test_a_host_that_drops_the_authorization_header_gets_the_keys_as_parameters(
    connection, fake_woocommerce, clock
):
    stock_the_site(fake_woocommerce)
    fake_woocommerce.drops_authorization = True
    load(connection, clock)
    assert stored_products(connection.child) == expected_products(fake_woocommerce)
    # The keys never appear in what the connection shows.
    connection.refresh_from_db()
    assert fake_woocommerce.secret not in connection.last_load_summary + connection.last_error


def test_a_second_load_asks_only_for_what_was_modified_and_applies_it(
    connection, fake_woocommerce, clock, small_pages
):
    import datetime

    stock_the_site(fake_woocommerce)
    clock.advance(days=1)
    load(connection, clock)
    first_load_at = clock.now
    fake_woocommerce.log.clear()

    clock.advance(hours=3)
    product = fake_woocommerce.products[1]
    product.update(regular_price="7.49", stock_quantity=41)
    fake_woocommerce.stamp(product)
    order = next(o for o in fake_woocommerce.orders if o["status"] == "completed")
    order["line_items"][0]["quantity"] = 12
    fake_woocommerce.stamp(order)
    cancelled = next(o for o in fake_woocommerce.orders if o["status"] == "processing")
    cancelled["status"] = "cancelled"
    fake_woocommerce.stamp(cancelled)
    fake_woocommerce.add_order(
        900,
        datetime.datetime(2026, 3, 3, 8, tzinfo=datetime.UTC),
        "completed",
        [("WC-002", 2, "6.00")],
    )

    summary = load(connection, clock)

    since = (first_load_at - connectors.SYNC_OVERLAP).strftime("%Y-%m-%dT%H:%M:%S")
    for path in ("/products", "/orders"):
        pages = [p for p in fake_woocommerce.requests(path) if p.get("per_page") == "4"]
        assert pages and all(
            p["modified_after"] == since and p["dates_are_gmt"] == "true" for p in pages
        )
    assert len([p for p in fake_woocommerce.requests("/products") if p.get("per_page") == "4"]) == 1
    assert summary.startswith("Changes since the last load")
    child = connection.child
    assert stored_products(child)["WC-002"][2] == Decimal("7.49")
    assert stored_stock(child)[("1", "WC-002")] == 41
    assert stored_products(child) == expected_products(fake_woocommerce)
    assert stored_stock(child) == expected_stock(fake_woocommerce)
    assert stored_sales(child) == expected_sales(fake_woocommerce, zeroed=[cancelled["id"]])


def test_a_partial_refund_after_a_load_leaves_the_lines_net_of_it(
    connection, fake_woocommerce, clock, small_pages
):
    import datetime

    stock_the_site(fake_woocommerce)
    order = fake_woocommerce.add_order(
        950, datetime.datetime(2026, 3, 4, 16, tzinfo=datetime.UTC), "completed",
        [("WC-001", 3, "13.50"), ("WC-002", 2, "8.00")],
    )  # fmt: skip
    clock.advance(days=1)
    load(connection, clock)
    child = connection.child
    assert stored_sales(child)["#950/9501"][3:] == (Decimal(3), Decimal("13.50"))

    clock.advance(hours=2)
    # One of three units back; then 1.00 off the other line, no unit returned.
    fake_woocommerce.refund(order, [(0, 1, Decimal("4.50"))])
    fake_woocommerce.refund(order, [(1, 0, Decimal("1.00"))])
    assert order["status"] == "completed"
    load(connection, clock)

    sales = stored_sales(child)
    assert sales["#950/9501"][3:] == (Decimal(2), Decimal("9.00"))
    assert sales["#950/9502"][3:] == (Decimal(2), Decimal("7.00"))
    assert sales == expected_sales(fake_woocommerce)
    # Only the order with refunds had them asked for.
    asked = {path for path, _params, _status in fake_woocommerce.log if path.endswith("/refunds")}
    assert asked == {"/wp-json/wc/v3/orders/950/refunds"}


def test_a_refund_line_that_cannot_be_read_stops_the_load_saying_which_order(
    connection, fake_woocommerce, clock
):
    import datetime

    order = fake_woocommerce.add_order(
        960, datetime.datetime(2026, 3, 4, 16, tzinfo=datetime.UTC), "completed",
        [("WC-001", 3, "13.50")],
    )  # fmt: skip
    fake_woocommerce.refund(order, [(0, 1, Decimal("4.50"))])
    fake_woocommerce.refunds[960][0]["line_items"][0]["total"] = "four fifty"
    with pytest.raises(LoadFailed) as failed:
        load(connection, clock)
    assert str(failed.value).startswith(
        "WooCommerce order #960 has a refund whose line cannot be read (quantity -1, total "
        "'four fifty'), so its sales would be wrong"
    )
    assert not SalesLine.objects.for_org(connection.child).exists()
    connection.refresh_from_db()
    assert connection.synced_until is None


def test_a_store_in_another_currency_than_the_account_loads_nothing_and_says_so(
    connection, fake_woocommerce, clock
):
    stock_the_site(fake_woocommerce)
    fake_woocommerce.currency = "GBP"
    with pytest.raises(LoadFailed) as failed:
        load(connection, clock)
    assert str(failed.value).startswith(
        f"The WooCommerce store {fake_woocommerce.url} keeps its prices and sales in GBP, and "
        f"{connection.child.name} keeps its money in USD: nothing was loaded"
    )
    child = connection.child
    assert not Product.objects.for_org(child).exists()
    assert not SalesLine.objects.for_org(child).exists()


def test_an_order_paid_in_another_currency_stops_the_load_naming_it(
    connection, fake_woocommerce, clock
):
    import datetime

    stock_the_site(fake_woocommerce)
    fake_woocommerce.add_order(
        970, datetime.datetime(2026, 3, 4, 16, tzinfo=datetime.UTC), "completed",
        [("WC-001", 1, "11.00")], currency="EUR",
    )  # fmt: skip
    with pytest.raises(LoadFailed) as failed:
        load(connection, clock)
    assert str(failed.value).startswith(
        "WooCommerce order #970 keeps its prices and sales in EUR, and "
    )
    assert (
        not SalesLine.objects.for_org(connection.child)
        .filter(source_ref__contains="#970/")
        .exists()
    )
    connection.refresh_from_db()
    assert connection.synced_until is None
