"""The vendor analytics page (sell-through and aging) and the vendor home's glance, on
PostgreSQL, on a retailer far bigger than the demo.

Data (generated with COPY once and kept): 400 stores x 3,000 products (1,200,000 stock
rows), one product in ten the bench vendor's, and 91 days of sales (20 lines a store a
day: 728,000 lines); a vendor share of every store. Timed in-process through Django's
test client (the whole view: queries, figures, template), median of BENCH_TRIALS runs
(default 7) after a warm-up. Target: the page's median under 1 s, the glance under 0.3 s.
"""

import datetime
import os
import random
import statistics
import time

from bench.common import copy_rows, setup_django

STORES, PRODUCTS, DAYS, LINES = 400, 3000, 91, 20
VENDOR_EVERY = 10  # one product in ten is the bench vendor's
TRIALS = int(os.environ.get("BENCH_TRIALS", "7"))


def build():
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Organization, Store
    from inventory.models import Product, Stock
    from partners.models import Partnership

    retailer = Organization.objects.filter(name="Bench Analytics Retailer").first()
    if (
        retailer is not None
        and Stock.objects.filter(organization=retailer).count() == STORES * PRODUCTS
    ):
        return retailer, Organization.objects.get(name="Bench Analytics Vendor")
    if retailer is not None:
        retailer.delete()
    started = time.perf_counter()
    retailer = Organization.objects.create(name="Bench Analytics Retailer", is_retailer=True)
    vendor = Organization.objects.get_or_create(
        name="Bench Analytics Vendor", defaults={"is_vendor": True}
    )[0]
    now = timezone.now()
    today = timezone.localdate()
    rng = random.Random(7)
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        copy_rows(raw, "accounts_store",
                  ["organization_id", "number", "name", "banner", "address", "city", "state", "postal_code",
                   "country", "phone", "is_open", "created_at", "updated_at"],
                  ((retailer.pk, str(i), f"Store {i}", "Bench", "", f"Town {i % 97}", "AR", "72756", "US", "",
                    True, now, now) for i in range(1, STORES + 1)))  # fmt: skip
        copy_rows(raw, "inventory_product",
                  ["organization_id", "sku", "sku_normalized", "name", "vendor_name", "vendor_organization_id",
                   "category", "unit_cost", "retail_price", "unit", "created_at", "updated_at"],
                  ((retailer.pk, f"SKU{i:05d}", f"SKU{i:05d}", f"Product {i}", f"Vendor {i % 40}",
                    vendor.pk if i % VENDOR_EVERY == 0 else None, f"Category {i % 25}", 4, 6, "", now, now)
                   for i in range(1, PRODUCTS + 1)))  # fmt: skip
        stores = list(
            Store.objects.filter(organization=retailer).order_by("pk").values_list("pk", flat=True)
        )
        products = list(
            Product.objects.filter(organization=retailer)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        copy_rows(raw, "inventory_stock",
                  ["organization_id", "store_id", "product_id", "on_hand", "on_order", "updated_at",
                   "first_seen_at", "last_received_on"],
                  ((retailer.pk, s, p, (s * 7 + p) % 50, 0, now, now - datetime.timedelta(days=400),
                    None if (s + p) % 9 == 0 else today - datetime.timedelta(days=(s * 13 + p) % 300))
                   for s in stores for p in products))  # fmt: skip
        copy_rows(raw, "inventory_salesline",
                  ["organization_id", "date", "store_id", "product_id", "quantity", "retail_amount", "cost_amount",
                   "customer_reference", "source_ref"],
                  ((retailer.pk, today - datetime.timedelta(days=d + 10), s,
                    products[rng.randrange(PRODUCTS)], rng.randint(1, 6), 12, 8, "", f"va{d}-{s}-{k}")
                   for d in range(DAYS) for s in stores for k in range(LINES)))  # fmt: skip
    Partnership.objects.create(
        organization=retailer, partner=vendor, scope="vendor", status="active", all_stores=True
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  generated data in {time.perf_counter() - started:.1f} s")
    return retailer, vendor


def timed(function, runs):
    function()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def main():
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Membership
    from inventory.analytics import glance
    from inventory.models import SalesLine, Stock

    retailer, vendor = build()
    user = get_user_model().objects.filter(email="rep@bench-analytics.example").first()
    if user is None:
        user = get_user_model().objects.create_user("rep@bench-analytics.example", "bench-pw-1")
    Membership.objects.get_or_create(user=user, organization=vendor)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    vendor_stock = Stock.objects.filter(organization=retailer, product__vendor_organization=vendor)
    print(
        f"  {Stock.objects.filter(organization=retailer).count():,} stock rows "
        f"({vendor_stock.count():,} the vendor's), "
        f"{SalesLine.objects.filter(organization=retailer).count():,} sales lines"
    )

    def page():
        response = client.get("/inventory/sell-through/")
        assert response.status_code == 200, response.status_code

    def export():
        response = client.get("/inventory/sell-through/export.csv", {"by": "product"})
        b"".join(response.streaming_content)

    with CaptureQueriesContext(connection) as captured:
        page()
    print(f"  page: {len(captured)} queries")
    for name, function, target in (
        ("page", page, 1.0),
        ("export by product", export, 1.0),
        ("glance", lambda: glance(vendor), 0.3),
    ):
        median, worst = timed(function, TRIALS)
        verdict = "ok" if median <= target else "SLOW"
        print(f"  {name}: median {median * 1000:.0f} ms, worst {worst * 1000:.0f} ms "
              f"over {TRIALS} runs (target {target * 1000:.0f} ms) {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
