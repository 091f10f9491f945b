"""A Shopify child account loads through the Admin GraphQL API of a fake shop
(tests/aggregation/fakes/shopify.py): what is stored is what the shop served, page after
page; its cost-based throttling is waited out exactly; a 500 is tried again; a revoked
token says what to fix and writes nothing; a second load asks only for what changed."""

import datetime
import itertools
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

import pytest

from aggregation import connectors
from aggregation.connectors import ShopifyConnector
from aggregation.models import Connection, MasterAccount
from aggregation.shopify import REFUSED
from inventory.models import Product, SalesLine, Stock
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def master(org):
    return MasterAccount.objects.create(organization=org)


@pytest.fixture
def connection(master, fake_shopify):
    connection = Connection(
        master=master, child=OrganizationFactory(name="Heartland Shopify"),
        kind=Connection.Kind.SHOPIFY, shop_url=fake_shopify.url,
    )  # fmt: skip
    connection.set_credentials({"access_token": fake_shopify.token})
    connection.save()
    return connection


def stock_the_shop(shop):
    """5 locations, 12 products (one with 5 variants, one variant without a SKU), their
    levels at every location (some oversold), 14 orders (online and in-store, one a test,
    one cancelled, one with a custom line)."""
    cities = [
        ("Des Moines", "IA"),
        ("Omaha", "NE"),
        ("Kansas City", "MO"),
        ("Wichita", "KS"),
        ("Tulsa", "OK"),
    ]
    for index, (city, state) in enumerate(cities):
        shop.add_location(
            101 + index,
            f"{city} store",
            city,
            state,
            address1=f"{index + 1} Main St",
            zip_code=f"5{index}001",
        )
    variants = []
    for pid in range(1, 13):
        options = [
            ("Default Title", f"HG-{pid:03}", f"{pid * 1.25 + 2:.2f}", f"{pid * 0.5 + 1:.2f}")
        ]
        if pid == 3:
            options = [
                (size, f"HG-003-{size}", "19.99", "8.40") for size in ("S", "M", "L", "XL", "XXL")
            ]
        if pid == 7:
            options.append(("Gift wrap", None, "3.00", None))  # no SKU: skipped and counted
        product = shop.add_product(
            pid,
            f"Prairie item {pid}",
            "Luxco" if pid % 2 else "Sazerac",
            f"Category {pid % 3}",
            options,
        )
        variants += product["_variants"]
    for location in shop.locations:
        number = int(location["legacyResourceId"])
        for variant in variants:
            if variant["sku"]:
                pid = int(variant["id"].rsplit("/", 1)[1]) // 1000
                shop.set_level(
                    number, variant, available=(pid * 7 + number) % 23 - 2, incoming=pid % 4
                )
    for oid in range(1001, 1015):
        lines = [
            (sku_of((oid + k) % 12 + 1), k + 1, f"{(k + 1) * 4.5:.2f}") for k in range(oid % 4 + 1)
        ]
        if oid == 1005:
            lines.append((None, 1, "5.00"))  # a custom line: no SKU
        shop.add_order(
            oid, f"2026-02-{oid % 28 + 1:02}T{(oid * 5) % 24:02}:30:00Z", lines,
            retail_location=101 + oid % 5 if oid % 2 == 0 else None,
            test=oid == 1013, cancelled=oid == 1014,
        )  # fmt: skip


def sku_of(pid):
    return "HG-003-M" if pid == 3 else f"HG-{pid:03}"


# -- What the shop served, mapped by hand --------------------------------------------------


def expected_products(shop):
    rows = {}
    for product in shop.products:
        for variant in product["_variants"]:
            if not variant["sku"]:
                continue
            name = (
                product["title"]
                if variant["title"] == "Default Title"
                else f"{product['title']} - {variant['title']}"
            )
            cost = variant["inventoryItem"]["unitCost"]
            rows[variant["sku"]] = (name, product["vendor"], product["productType"], Decimal(variant["price"]),
                                    Decimal(cost["amount"]) if cost else None)  # fmt: skip
    return rows


def expected_stock(shop):
    rows = {}
    for location, levels in shop.levels.items():
        for level in levels:
            q = level["_quantities"]
            rows[(location, level["item"]["sku"])] = (max(q["available"], 0), max(q["incoming"], 0))
    return rows


def expected_sales(shop, zeroed=()):
    """`zeroed`: orders cancelled after a load stored them: their lines are kept at 0."""
    zone = zoneinfo.ZoneInfo(shop.timezone)
    rows = {}
    for order in shop.orders:
        if order["test"] or (order["cancelledAt"] and order["name"] not in zeroed):
            continue
        processed = datetime.datetime.fromisoformat(order["processedAt"]).astimezone(zone).date()
        store = order["retailLocation"]["legacyResourceId"] if order["retailLocation"] else "101"
        for line in order["_lines"]:
            if not line["sku"]:
                continue
            amount = Decimal(line["discountedTotalSet"]["shopMoney"]["amount"])
            # Net of refunds: what is left of the line, its total in the same proportion.
            left = line["currentQuantity"]
            if left != line["quantity"]:
                amount = (amount * left / line["quantity"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
            quantity, amount = (0, "0") if order["cancelledAt"] else (left, amount)
            reference = f"{order['name']}/{line['id'].rsplit('/', 1)[1]}"
            rows[reference] = (processed, store, line["sku"], Decimal(quantity), Decimal(amount))
    return rows


# -- What was stored -----------------------------------------------------------------------


def stored_products(child):
    return {
        p.sku: (p.name, p.vendor_name, p.category, p.retail_price, p.unit_cost)
        for p in Product.objects.for_org(child)
    }


def stored_stock(child):
    rows = Stock.objects.for_org(child).select_related("store", "product")
    return {(s.store.number, s.product.sku): (s.on_hand, s.on_order) for s in rows}


def stored_sales(child):
    rows = SalesLine.objects.for_org(child).select_related("store", "product")
    return {
        s.source_ref.split("|")[3]: (
            s.date,
            s.store.number,
            s.product.sku,
            s.quantity,
            s.retail_amount,
        )
        for s in rows
    }


def load(connection, clock, user=None):
    connection.refresh_from_db()
    return ShopifyConnector(sleep=clock.sleep).load(connection, user)


# -- Tests ---------------------------------------------------------------------------------


def test_a_load_stores_what_the_shop_served_over_three_pages_of_everything(
    connection, fake_shopify, clock, small_pages
):
    stock_the_shop(fake_shopify)
    summary = load(connection, clock)

    child = connection.child
    assert stored_products(child) == expected_products(fake_shopify)
    assert stored_stock(child) == expected_stock(fake_shopify)
    assert stored_sales(child) == expected_sales(fake_shopify)
    stores = {s.number: (s.name, s.city, s.state, s.country) for s in child.stores.all()}
    assert stores == {
        lo["legacyResourceId"]: (
            lo["name"],
            lo["address"]["city"],
            lo["address"]["provinceCode"],
            "US",
        )
        for lo in fake_shopify.locations
    }
    # Every list came in at least three pages, each asked for after the last one's end.
    for name in ("Locations", "Products", "Orders"):
        pages = fake_shopify.queries(name)
        assert len(pages) >= 3, name
        assert pages[0]["after"] is None and all(p["after"] for p in pages[1:])
    levels = [v for v in fake_shopify.queries("InventoryLevels") if v["id"].endswith("/101")]
    assert len(levels) >= 3
    assert fake_shopify.queries("ProductVariants") and fake_shopify.queries("OrderLines")
    # The variant without a SKU and the custom line are skipped and counted, not a failure.
    assert summary.startswith("Everything: stores 5 new; products 16 new, 1 skipped; stock ")
    assert "; sales 30 new, 1 skipped." in summary and "Imports page" in summary
    connection.refresh_from_db()
    assert connection.synced_until == clock.now.replace(microsecond=0)


def test_a_throttled_query_waits_what_the_bucket_needs_then_succeeds(
    connection, fake_shopify, clock
):
    stock_the_shop(fake_shopify)
    fake_shopify.bucket.available = 40.0  # a bucket almost empty: the first list is refused

    load(connection, clock)

    throttled = [entry for entry in fake_shopify.log if entry[2] == "THROTTLED"]
    assert throttled, "the fake never throttled"
    for _name, _variables, _status, cost in throttled:
        status = cost["throttleStatus"]
        wait = (cost["requestedQueryCost"] - status["currentlyAvailable"]) / status["restoreRate"]
        assert any(w == pytest.approx(wait) for w in clock.waits)
    # After each wait the same query went through.
    assert len(fake_shopify.queries("Locations")) == 1
    assert stored_stock(connection.child) == expected_stock(fake_shopify)


def test_a_low_bucket_is_waited_for_before_a_query_so_shopify_does_not_throttle_it(
    connection, fake_shopify, clock, small_pages
):
    stock_the_shop(fake_shopify)
    fake_shopify.bucket.maximum = fake_shopify.bucket.available = 200.0
    fake_shopify.bucket.restore_rate = 10.0
    fake_shopify.bucket.refund = False  # every query costs what it asked for

    load(connection, clock)

    # A query's cost is known once it has been answered: only a first may be throttled.
    answered = set()
    for name, _variables, status, _cost in fake_shopify.log:
        assert not (status == "THROTTLED" and name in answered), f"{name} was throttled again"
        if status == 200:
            answered.add(name)
    assert clock.waits, "the connector never waited for the bucket"
    # Each wait is what the query cost last time less what the bucket held, at its rate.
    answered = [entry for entry in fake_shopify.log if entry[2] == 200]
    for (name, _, _, before), (next_name, _, _, _) in itertools.pairwise(answered):
        if name == next_name:
            held = before["throttleStatus"]["currentlyAvailable"]
            short = before["requestedQueryCost"] - held
            if short > 0:
                assert short / 10.0 in [pytest.approx(w) for w in clock.waits]
    assert stored_products(connection.child) == expected_products(fake_shopify)


def test_a_server_error_is_tried_again_after_a_pause(connection, fake_shopify, clock):
    stock_the_shop(fake_shopify)
    fake_shopify.fail_next = [500, 503]
    load(connection, clock)
    assert clock.waits[:2] == [1.0, 2.0]  # exponential back-off
    assert stored_products(connection.child) == expected_products(fake_shopify)


def test_a_429_waits_what_retry_after_says(connection, fake_shopify, clock):
    stock_the_shop(fake_shopify)
    fake_shopify.fail_next = [429]
    load(connection, clock)
    assert clock.waits[0] == 2.0  # the fake's Retry-After


def test_a_shop_that_keeps_failing_is_reported_after_the_last_retry(
    connection, fake_shopify, clock, settings
):
    settings.CONNECTOR_RETRIES = 2
    fake_shopify.fail_next = [500] * 3
    with pytest.raises(connectors.LoadFailed) as failed:
        ShopifyConnector(sleep=clock.sleep).load(connection, None)
    assert "500 Internal Server Error 3 times in a row" in str(failed.value)
    assert clock.waits == [1.0, 2.0]


def test_a_revoked_token_says_what_to_fix_and_writes_nothing(
    connection, fake_shopify, clock, monkeypatch
):
    stock_the_shop(fake_shopify)
    fake_shopify.token = "shpat_a_new_one"  # the old token was revoked
    monkeypatch.setitem(connectors.CONNECTORS, "shopify", ShopifyConnector(sleep=clock.sleep))
    with pytest.raises(connectors.LoadFailed):
        connectors.load(connection, None)
    connection.refresh_from_db()
    assert connection.last_error == REFUSED
    assert "read_products, read_inventory, read_orders, read_locations" in connection.last_error
    assert connection.synced_until is None and connection.last_loaded_at is None
    child = connection.child
    assert not child.stores.exists() and not Product.objects.for_org(child).exists()
    assert clock.waits == []  # a refusal is not tried again


def test_a_second_load_asks_only_for_what_changed_and_applies_it(
    connection, fake_shopify, clock, small_pages
):
    stock_the_shop(fake_shopify)
    clock.advance(days=1)
    load(connection, clock)
    first_load_at = clock.now
    fake_shopify.log.clear()

    clock.advance(hours=6)
    product = fake_shopify.products[4]
    variant = product["_variants"][0]
    variant["price"] = "99.50"
    fake_shopify.stamp(product)  # Shopify updates a product when a variant changes
    fake_shopify.set_level(102, variant, available=77, incoming=5)
    order = fake_shopify.orders[2]
    fake_shopify.edit_quantity(order, 0, 9)
    cancelled = fake_shopify.orders[3]
    fake_shopify.cancel(cancelled)
    fake_shopify.add_order(
        1020, "2026-03-02T14:00:00Z", [("HG-001", 2, "7.00")], retail_location=103
    )

    summary = load(connection, clock)

    since = (first_load_at - connectors.SYNC_OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    for name in ("Products", "Orders", "InventoryLevels"):
        asked = fake_shopify.queries(name)
        assert asked and all(v["query"] == f"updated_at:>'{since}'" for v in asked), name
    assert len(fake_shopify.queries("Products")) == 1  # one changed product: one page
    assert summary.startswith("Changes since the last load")
    child = connection.child
    assert stored_products(child)[variant["sku"]][3] == Decimal("99.50")
    assert stored_stock(child)[("102", variant["sku"])] == (77, 5)
    assert stored_products(child) == expected_products(fake_shopify)
    assert stored_stock(child) == expected_stock(fake_shopify)
    assert stored_sales(child) == expected_sales(fake_shopify, zeroed=[cancelled["name"]])


def test_a_partial_refund_after_a_load_leaves_the_line_net_of_it(
    connection, fake_shopify, clock, small_pages
):
    stock_the_shop(fake_shopify)
    order = fake_shopify.add_order(
        1030, "2026-03-02T15:00:00Z", [("HG-002", 3, "20.00"), ("HG-004", 2, "9.99")],
        retail_location=102,
    )  # fmt: skip
    clock.advance(days=1)
    load(connection, clock)
    child = connection.child
    assert stored_sales(child)["#1030/103001"][3:] == (Decimal(3), Decimal("20.00"))

    clock.advance(hours=2)
    fake_shopify.refund(order, 0, 1)  # one of three units back
    fake_shopify.refund(order, 1, 2)  # the whole second line back, the order not cancelled
    load(connection, clock)

    sales = stored_sales(child)
    assert sales["#1030/103001"][3:] == (Decimal(2), Decimal("13.33"))
    assert sales["#1030/103002"][3:] == (Decimal(0), Decimal("0.00"))
    assert sales == expected_sales(fake_shopify)


def test_a_shop_in_another_currency_than_the_account_loads_nothing_and_says_so(
    connection, fake_shopify, clock, monkeypatch
):
    stock_the_shop(fake_shopify)
    fake_shopify.currency = "EUR"  # the account keeps USD: EUR amounts would read as dollars
    monkeypatch.setitem(connectors.CONNECTORS, "shopify", ShopifyConnector(sleep=clock.sleep))
    with pytest.raises(connectors.LoadFailed):
        connectors.load(connection, None)
    connection.refresh_from_db()
    assert connection.last_error == (
        f"The Shopify shop {fake_shopify.url} keeps its prices and sales in EUR, and Heartland "
        "Shopify keeps its money in USD: nothing was loaded, as the amounts would be read as "
        "USD. Connect the shop to an account kept in EUR, or, if all of Heartland Shopify's "
        "data is in EUR, set its currency in Settings → Organization."
    )
    child = connection.child
    assert not child.stores.exists() and not Product.objects.for_org(child).exists()
    assert not SalesLine.objects.for_org(child).exists() and connection.synced_until is None

    child.currency = "EUR"
    child.save(update_fields=["currency"])
    connectors.load(connection, None)
    assert stored_sales(child) == expected_sales(fake_shopify)
