"""A master's full rollup refresh and order plan rebuild on PostgreSQL, at scale.

Data (generated once with COPY, reused while the counts match): a master with 3 child
accounts of one store each, each with the same 50,000 SKUs (so 50,000 items of 3 parts
each). Every (child, SKU) has stock in its store (1 in 40 out of stock) and sells on
about 1 day in 10 of the last 180, one sales line a selling day (about 2.7 million lines;
1 in 50 a return, 1 in 70 at no price). Rates differ per SKU (0.5 to 6 units a day sold).

Each trial, in a fresh process (peak memory is its own), empties the master's rollups and
plan (then VACUUM ANALYZE: the first load's empty tables), and times:

- refresh_s: `rollups.refresh(master)`, every child and SKU, from empty;
- plan_s: `plans.rebuild(master)` (the score job it queues on commit is kept out);
- total_s: the two together. Target: at most 60 s;
- score_s: the backtest job `plans.score(master)` on its own (no target);
- peak_rss_mb: the trial's peak resident memory, reported (no target).

BENCH_TRIALS sets the trials (default 3); the figures are their medians.
"""

import os
import sys
import time

import numpy as np

from bench.common import copy_rows, peak_rss_mb, report, setup_django, trials

CHILDREN, SKUS, DAYS = 3, 50_000, 180
SELLING_SHARE = 0.1  # a (child, SKU) sells on about one day in ten
RETURN_EVERY, UNPRICED_EVERY = 50, 70
TRIALS = int(os.environ.get("BENCH_TRIALS", "3"))
TARGET_S = 60
SEED = 50
MASTER_NAME = "Bench Plan Master"
CHILD_NAME = "Bench Plan Child {}"
# How each child writes SKU number i: one item, three spellings, one normalized SKU.
SKU_SPELLINGS = ["P{:06d}", "p-{:06d}", "P {:06d}"]


def expected_sales_lines():
    return int(_selling_days(0).sum() + _selling_days(1).sum() + _selling_days(2).sum())


def _selling_days(number):
    """A (SKU x day) matrix of whether child `number`'s SKU sells that day: seeded."""
    rng = np.random.default_rng(SEED + number)
    return rng.random((SKUS, DAYS)) < SELLING_SHARE


def build():
    """The master and its children, generated once; return the master account."""
    from accounts.models import Organization
    from aggregation.models import MasterAccount
    from inventory.models import Product, SalesLine, Stock

    master = MasterAccount.objects.filter(organization__name=MASTER_NAME).first()
    children = list(Organization.objects.filter(connection__master=master)) if master else []
    expected = {
        "products": CHILDREN * SKUS,
        "stock": CHILDREN * SKUS,
        "sales": expected_sales_lines(),
    }
    found = {
        "products": Product.objects.filter(organization__in=children).count(),
        "stock": Stock.objects.filter(organization__in=children).count(),
        "sales": SalesLine.objects.filter(organization__in=children).count(),
    }
    if master is None or len(children) != CHILDREN or found != expected:
        _drop()
        master = _generate()
    return master


def _drop():
    """Remove a partial or outdated data set; the big tables by SQL, not the ORM's collector."""
    from django.db import connection

    from accounts.models import Organization

    names = [MASTER_NAME] + [CHILD_NAME.format(n) for n in range(1, CHILDREN + 1)]
    ids = list(Organization.objects.filter(name__in=names).values_list("pk", flat=True))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM aggregation_planrow WHERE master_id IN "
            "(SELECT id FROM aggregation_masteraccount WHERE organization_id = ANY(%s))",
            [ids],
        )
        for table in ("rollupstock", "rollupsales", "stockoutday"):
            cursor.execute(f"DELETE FROM aggregation_{table} WHERE child_id = ANY(%s)", [ids])  # noqa: S608
        for table in ("salesline", "stock", "product"):
            cursor.execute(f"DELETE FROM inventory_{table} WHERE organization_id = ANY(%s)", [ids])  # noqa: S608
    Organization.objects.filter(pk__in=ids).delete()


def _generate():
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Organization, Store
    from aggregation.models import Connection, MasterAccount
    from inventory.models import Product, normalize_sku

    started = time.perf_counter()
    now = timezone.now()
    today = timezone.localdate()
    rates = np.random.default_rng(SEED).uniform(0.5, 6.0, size=SKUS)
    with transaction.atomic(), connection.cursor() as cursor:
        master = MasterAccount.objects.create(
            organization=Organization.objects.create(name=MASTER_NAME, is_retailer=True)
        )
        raw = cursor.cursor
        for number in range(1, CHILDREN + 1):
            child = Organization.objects.create(name=CHILD_NAME.format(number), is_retailer=True)
            Connection.objects.create(master=master, child=child, kind=Connection.Kind.CSV)
            store = Store.objects.create(organization=child, number="1", name="Warehouse")
            spelling = SKU_SPELLINGS[number - 1]
            copy_rows(raw, "inventory_product",
                      ["organization_id", "sku", "sku_normalized", "name", "vendor_name", "category",
                       "unit_cost", "retail_price", "unit", "created_at", "updated_at"],
                      ((child.pk, spelling.format(i), normalize_sku(spelling.format(i)), f"Product {i}",
                        f"Vendor {i % 60}", f"Category {i % 30}", 4, 5 + i % 20, "", now, now)
                       for i in range(SKUS)))  # fmt: skip
            products = list(
                Product.objects.filter(organization=child)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            copy_rows(raw, "inventory_stock",
                      ["organization_id", "store_id", "product_id", "on_hand", "on_order", "updated_at"],
                      ((child.pk, store.pk, product, 0 if i % 40 == 0 else (i * 7 + number) % 90,
                        (i % 4) * 12, now) for i, product in enumerate(products)))  # fmt: skip
            copy_rows(raw, "inventory_salesline",
                      ["organization_id", "date", "store_id", "product_id", "quantity", "retail_amount",
                       "cost_amount", "customer_reference", "source_ref"],
                      _sales_lines(child.pk, number, store.pk, products, rates, today))  # fmt: skip
    # VACUUM as well as ANALYZE: the first read of rows just copied in would otherwise set
    # their hint bits and write every page back, inside whichever trial came first.
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE accounts_store, inventory_product, inventory_stock, inventory_salesline"
        )
    print(f"  generated data in {time.perf_counter() - started:.1f} s")
    return master


def _sales_lines(organization_id, number, store_id, products, rates, today):
    """One line per selling day of each SKU: a day's units, on a selling day, are about
    ten days' worth of the SKU's rate (so the daily average is the rate)."""
    import datetime

    selling = _selling_days(number - 1)
    quantities = np.random.default_rng(SEED + 10 + number).poisson(
        rates[:, None] * 10, selling.shape
    )
    dates = [today - datetime.timedelta(days=day) for day in range(DAYS)]
    for n, (i, day) in enumerate(zip(*np.nonzero(selling), strict=True), start=1):
        quantity = max(1, int(quantities[i, day]))
        if n % RETURN_EVERY == 0:
            quantity = -1
        amount = 0 if n % UNPRICED_EVERY == 0 else quantity * (5 + int(i) % 20)
        yield (organization_id, dates[day], store_id, products[i], quantity, amount,
               quantity * 4, "", f"p{n}")  # fmt: skip


def _empty(master):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM aggregation_planrow WHERE master_id = %s", [master.pk])
        for table in ("rollupstock", "rollupsales", "stockoutday"):
            cursor.execute(f"DELETE FROM aggregation_{table} WHERE master_id = %s", [master.pk])  # noqa: S608
        cursor.execute(
            "VACUUM ANALYZE aggregation_rollupstock, aggregation_rollupsales, "
            "aggregation_stockoutday, aggregation_planrow"
        )


def trial():
    from unittest import mock

    setup_django()
    from aggregation import plans, rollups
    from aggregation.models import MasterAccount, PlanRow

    master = MasterAccount.objects.get(organization__name=MASTER_NAME)
    _empty(master)

    started = time.perf_counter()
    rollups.refresh(master)
    refreshed = time.perf_counter() - started
    master = MasterAccount.objects.get(pk=master.pk)
    # The rebuild queues the score job on commit (run in-process here, without a broker):
    # whatever queues it, the job's work is plans.score, kept out and timed on its own.
    score = plans.score
    with mock.patch.object(plans, "score", return_value=0):
        started = time.perf_counter()
        rows = plans.rebuild(master)
        planned = time.perf_counter() - started
    assert rows == SKUS, f"{rows} plan rows, not {SKUS}"
    started = time.perf_counter()
    scored = score(master)
    scoring = time.perf_counter() - started
    assert scored == SKUS
    assert PlanRow.objects.filter(master=master, wape__isnull=False).exists()
    print(
        f"refresh_s={refreshed:.3f} plan_s={planned:.3f} total_s={refreshed + planned:.3f} "
        f"score_s={scoring:.3f} peak_rss_mb={peak_rss_mb():.1f}"
    )


def main():
    setup_django()
    build()
    print(
        f"  data: {CHILDREN} children x {SKUS:,} SKUs, {CHILDREN * SKUS:,} stock rows, "
        f"{expected_sales_lines():,} sales lines over {DAYS} days (each SKU sells on about "
        f"1 day in {round(1 / SELLING_SHARE)})"
    )
    results = trials("bench.bench_plan", runs=TRIALS)
    return report(
        f"Full refresh and plan rebuild, {SKUS:,} SKUs x {CHILDREN} children x {DAYS} days",
        results,
        {"total_s": TARGET_S},
    )


if __name__ == "__main__":
    if "--trial" in sys.argv:
        trial()
    else:
        main()
