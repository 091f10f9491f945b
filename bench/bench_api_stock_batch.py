"""A 10,000-row stock batch through the API, on PostgreSQL, served by gunicorn.

Data (generated with COPY once and kept): one retailer with 100 stores x 1,000 products,
stocked at stores 11-100 (90,000 rows). A write token posts
POST /api/v1/organizations/{id}/stock as JSON over HTTP, timed from the first byte sent
to the last byte of the answer:

* a first import: 10,000 new rows (stores 1-10, deleted again before each trial);
* five updates of 10,000 stored rows (stores 11-20), alternating between two sets of
  values so that every run changes every row (none is a no-op).

Target (issue 16): the median of the five updates at least 20,000 rows/s end to end.
"""

import json
import os
import random
import statistics
import time
import urllib.request

from bench.common import copy_rows, gunicorn, machine_seconds, setup_django

STORES, PRODUCTS, UNSTOCKED = 100, 1000, 10
ROWS, RUNS, TARGET = 10_000, 5, 20_000
RETAILER = "Bench API Retailer"
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))


def build():
    """Create (once) the retailer, its stores, products and stock; return it."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Organization, Store
    from inventory.models import Product, Stock

    retailer = Organization.objects.filter(name=RETAILER).first()
    wanted = (STORES - UNSTOCKED) * PRODUCTS
    stocked = Stock.objects.filter(
        organization=retailer, store__number__in=[str(i) for i in range(UNSTOCKED + 1, STORES + 1)]
    )
    if retailer is None or stocked.count() < wanted:
        if retailer is not None:
            retailer.delete()
        started = time.perf_counter()
        retailer = Organization.objects.create(name=RETAILER, is_retailer=True)
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor
            copy_rows(raw, "accounts_store",
                      ["organization_id", "number", "name", "banner", "address", "city", "state", "postal_code",
                       "country", "phone", "is_open", "created_at", "updated_at"],
                      ((retailer.pk, str(i), f"Store {i}", "Bench", "", f"Town {i % 97}", "AR", "72756", "US", "",
                        True, now, now) for i in range(1, STORES + 1)))  # fmt: skip
            copy_rows(raw, "inventory_product",
                      ["organization_id", "sku", "sku_normalized", "name", "vendor_name", "category", "unit_cost",
                       "retail_price", "unit", "created_at", "updated_at"],
                      ((retailer.pk, f"API{i:05d}", f"API{i:05d}", f"Product {i}", f"Vendor {i % 40}",
                        f"Category {i % 25}", 4, 6, "", now, now) for i in range(1, PRODUCTS + 1)))  # fmt: skip
            stores = dict(Store.objects.filter(organization=retailer).values_list("number", "pk"))
            products = list(
                Product.objects.filter(organization=retailer)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            copy_rows(raw, "inventory_stock",
                      ["organization_id", "store_id", "product_id", "on_hand", "on_order", "updated_at"],
                      ((retailer.pk, stores[str(s)], p, (s * 7 + p) % 50, 0, now)
                       for s in range(UNSTOCKED + 1, STORES + 1) for p in products))  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_store, inventory_product, inventory_stock")
        print(f"  generated data in {time.perf_counter() - started:.1f} s")
    return retailer


def stock_rows(stores, values_seed, plus=0):
    """ROWS rows over `stores` x every product, with on_hand (from 100, plus `plus`) and
    on_order from the seed."""
    rng = random.Random(values_seed)
    return [
        {"store": str(s), "sku": f"API{p:05d}", "on_hand": rng.randrange(100, 1000) + plus,
         "on_order": rng.randrange(0, 50)}
        for s in stores for p in range(1, PRODUCTS + 1)
    ][:ROWS]  # fmt: skip


def send(url, key, body):
    """POST one batch; (seconds from sending to the whole answer, the answer)."""
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )  # fmt: skip
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        answer = response.read()
    took = time.perf_counter() - started
    return took, json.loads(answer)


def main():
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    setup_django()
    from django.db import connection

    from accounts.api_tokens import token_create
    from accounts.models import ApiToken
    from inventory.models import Stock

    retailer = build()
    # A fresh first import each time: the rows of the unstocked stores go again.
    fresh_stores = [str(i) for i in range(1, UNSTOCKED + 1)]
    Stock.objects.filter(organization=retailer, store__number__in=fresh_stores).delete()
    # Production runs autovacuum; these machines have it off, so the dead rows of earlier
    # runs (120,000 a run) would pile up in the table and its indexes and slow each run
    # more than the last. Start from a vacuumed table, as autovacuum keeps it.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) inventory_stock")
    ApiToken.objects.filter(organization=retailer).delete()
    _token, key = token_create(
        organization=retailer, actor=None, name="bench writer", scope=ApiToken.Scope.WRITE
    )
    try:
        measure(retailer, key)
    finally:
        _forget_batches(retailer)


def measure(retailer, key):
    """The first import and the five timed updates, through gunicorn; prints the figures."""
    from django.db.models import Sum

    from accounts.models import Store
    from inventory.models import Stock

    with gunicorn("api-stock-batch", workers=WORKERS, args=["--timeout", "300"]) as server:
        url = f"{server}/api/v1/organizations/{retailer.pk}/stock"
        _wait(f"{server}/api/v1/me", key)
        # Warm the workers up with full batches (stores 91-100), as a server that has been
        # taking batches is: imports done, memory grown.
        warm_stores = range(STORES - 9, STORES + 1)
        for plus in range(2 * WORKERS):
            send(url, key, json.dumps({"rows": stock_rows(warm_stores, 9, plus)}).encode())

        print(
            f"  data: {STORES} stores x {PRODUCTS:,} products; gunicorn {WORKERS} workers; "
            f"{ROWS:,}-row batches as JSON over HTTP"
        )
        first_body = json.dumps({"rows": stock_rows(range(1, UNSTOCKED + 1), 1)}).encode()
        took, answer = send(url, key, first_body)
        assert answer.get("created") == ROWS, answer
        print(
            f"  first import (all new)      {took * 1000:7.0f} ms  {ROWS / took:9,.0f} rows/s  "
            f"({len(first_body) / 1e6:.2f} MB)"
        )

        update_stores = range(UNSTOCKED + 1, UNSTOCKED + 11)
        # Two sets of values that differ in every row, and from what is stored (0 on hand).
        Stock.objects.filter(
            organization=retailer, store__number__in=[str(s) for s in update_stores]
        ).update(on_hand=0)
        bodies = [
            json.dumps({"rows": stock_rows(update_stores, 2, plus)}).encode() for plus in (0, 1)
        ]
        times = []
        for run in range(RUNS):
            took, answer = send(url, key, bodies[run % 2])
            assert answer.get("updated") == ROWS, answer
            times.append(took)
            print(
                f"  update run {run + 1}                {took * 1000:7.0f} ms  {ROWS / took:9,.0f} rows/s"
            )
        # What was sent is what is stored.
        expected = sum(row["on_hand"] for row in json.loads(bodies[(RUNS - 1) % 2])["rows"])
        stored = Stock.objects.filter(
            organization=retailer, store__in=Store.objects.filter(
                organization=retailer, number__in=[str(s) for s in update_stores]
            ),
        ).aggregate(total=Sum("on_hand"))["total"]  # fmt: skip
        assert stored == expected, (stored, expected)
        median = statistics.median(times)
        rate = ROWS / median
        print(
            f"  median of {RUNS} updates {median * 1000:.0f} ms = {rate:,.0f} rows/s; "
            f"target >= {TARGET:,} rows/s: {'PASS' if rate >= TARGET else 'MISS'}"
        )
        print(f"  machine: a fixed Python loop took {machine_seconds():.3f} s (median of 5)")


def _forget_batches(retailer):
    """The batches' records and their kept files (each batch keeps its rows as CSV)."""
    from core.models import ImportBatch

    for batch in ImportBatch.objects.filter(organization=retailer):
        batch.file.delete(save=False)
        batch.delete()


def _wait(url, key):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    for _ in range(60):
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer")


if __name__ == "__main__":
    main()
