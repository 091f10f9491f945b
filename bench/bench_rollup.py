"""Master-account rollups on PostgreSQL: full refreshes, and refreshes after imports.

Data (generated once with COPY, reused while the counts match): a master with 5 child
accounts, each with 20 stores x 10,000 products (every SKU in every child, written
differently per child but normalized the same), stock for every store x product
(1,000,000 rows) and 600,000 sales lines over 180 days (3,000,000 in all), a few of them
returns (negative) or at no price, so the demand columns have something to leave out.

1. A full refresh from empty rollups, against the same aggregation written by hand as
   plain INSERT ... SELECT ... GROUP BY statements (the floor set-based SQL can reach),
   the same columns (demand, returned and unpriced with the same CASE expressions).
   Target: refresh / hand-made <= 1.2.
2. A full refresh with nothing changed (the hourly beat's): it writes nothing. Target:
   at most the full refresh from empty (1.), ideally far less. The first one runs right
   after the hand-made statements wrote the rollup rows, with no ANALYZE since: where the
   tables hold other masters' rows too, the statistics say this master has next to none
   (a DELETE ... USING planned from them walked a hashed EXCEPT once per rollup row and
   did not finish in 4 minutes).
3. A refresh of one child's ~70 SKUs after a small import (50 stock rows changed, 200
   sales lines added): it must write only what changed. Target: < 2 s. The same refresh
   again must write nothing.
4. A refresh of one child's 2,000 SKUs right after a bulk write of them, with no fresh
   statistics (COPY, no ANALYZE: a write under the import's ANALYZE threshold, or a
   connector's): 1,000 SKUs already known get their stock counted again in every store
   and a day of sales; 1,000 new SKUs arrive with stock in every store and sales on one
   day in ten. The refresh the import asks for (aggregation/signals.py) must not turn
   quadratic. Target: < 2 s. The bulk write is undone after each run (no ANALYZE
   either), so every run meets the same statistics.

Medians of 3 runs, each figure printed with its runs and the machine line.
"""

import datetime
import statistics
import time

from bench.common import copy_rows, machine_seconds, setup_django

CHILDREN, STORES, PRODUCTS, DAYS = 5, 20, 10_000, 180
SALES_PER_CHILD = 600_000
# Every RETURN_EVERY-th line is a return, every UNPRICED_EVERY-th one at no price.
RETURN_EVERY, UNPRICED_EVERY = 41, 67
RUNS = 3
RATIO_TARGET = 1.2
SMALL_TARGET = BULK_TARGET = 2.0
# The bulk import of one child: known SKUs recounted, new SKUs (numbered after PRODUCTS).
BULK_KNOWN, BULK_NEW = 1_000, 1_000
BULK_REF = "bench-bulk-import-"
MASTER_NAME = "Bench Rollup Master"
CHILD_NAME = "Bench Rollup Child {}"
# How each child writes SKU number i: one product, five spellings, one normalized SKU.
SKU_SPELLINGS = ["SKU{:05d}", "sku-{:05d}", "SKU {:05d}", "Sku{:05d} ", "sku_{:05d}"]
SMALL_IMPORT_REF = "bench-small-import-"

# The reference: what refresh(master) computes into empty tables, with nothing else —
# no ON CONFLICT, no IS DISTINCT FROM, no DELETE of stale rows, no lock. Same joins,
# same filters, same GROUP BY, same columns; the stockout days too, since the refresh
# writes them from the fresh stock rollup.
HAND_MADE = [
    """
INSERT INTO aggregation_rollupstock (master_id, child_id, sku, name, on_hand, on_order, refreshed_at)
SELECT %(master)s, s.organization_id, p.sku_normalized, MAX(p.name), SUM(s.on_hand), SUM(s.on_order),
       %(now)s
FROM inventory_stock s JOIN inventory_product p ON p.id = s.product_id
WHERE s.organization_id = ANY(%(children)s)
GROUP BY s.organization_id, p.sku_normalized
""",
    """
INSERT INTO aggregation_rollupsales (master_id, child_id, sku, date, quantity, retail_amount, demand,
                                     returned, unpriced, refreshed_at)
SELECT %(master)s, l.organization_id, p.sku_normalized, l.date, SUM(l.quantity), SUM(l.retail_amount),
       SUM(CASE WHEN l.quantity > 0 AND l.retail_amount > 0 THEN l.quantity ELSE 0 END),
       SUM(CASE WHEN l.quantity < 0 THEN -l.quantity ELSE 0 END),
       SUM(CASE WHEN l.quantity > 0 AND l.retail_amount <= 0 THEN l.quantity ELSE 0 END),
       %(now)s
FROM inventory_salesline l JOIN inventory_product p ON p.id = l.product_id
WHERE l.organization_id = ANY(%(children)s)
GROUP BY l.organization_id, p.sku_normalized, l.date
""",
    """
INSERT INTO aggregation_stockoutday (master_id, child_id, sku, date)
SELECT master_id, child_id, sku, %(today)s FROM aggregation_rollupstock
WHERE master_id = %(master)s AND on_hand <= 0
""",
]
EMPTY_ROLLUPS = [
    "DELETE FROM aggregation_rollupstock WHERE master_id = %s",
    "DELETE FROM aggregation_rollupsales WHERE master_id = %s",
    "DELETE FROM aggregation_stockoutday WHERE master_id = %s",
]


def build():
    """The master and its children, generated once; return (master account, children)."""
    from accounts.models import Organization
    from aggregation.models import MasterAccount
    from inventory.models import Product, SalesLine, Stock

    master = MasterAccount.objects.filter(organization__name=MASTER_NAME).first()
    children = list(
        Organization.objects.filter(connection__master=master).order_by("name") if master else []
    )
    _undo_small_imports(children)
    _undo_bulk_import(children)
    expected = {
        "products": CHILDREN * PRODUCTS,
        "stock": CHILDREN * STORES * PRODUCTS,
        "sales": CHILDREN * SALES_PER_CHILD,
        "returns": CHILDREN * len(range(0, SALES_PER_CHILD, RETURN_EVERY)),
    }
    found = {
        "products": Product.objects.filter(organization__in=children).count(),
        "stock": Stock.objects.filter(organization__in=children).count(),
        "sales": SalesLine.objects.filter(organization__in=children).count(),
        "returns": SalesLine.objects.filter(organization__in=children, quantity__lt=0).count(),
    }
    if master is None or len(children) != CHILDREN or found != expected:
        _drop()
        master, children = _generate()
    return master, children


def _drop():
    """Remove a partial or outdated data set; the big tables by SQL, not the ORM's collector."""
    from django.db import connection

    from accounts.models import Organization

    names = [MASTER_NAME] + [CHILD_NAME.format(n) for n in range(1, CHILDREN + 1)]
    ids = list(Organization.objects.filter(name__in=names).values_list("pk", flat=True))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM aggregation_rollupstock WHERE child_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM aggregation_rollupsales WHERE child_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM aggregation_stockoutday WHERE child_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM inventory_salesline WHERE organization_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM inventory_stock WHERE organization_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM inventory_product WHERE organization_id = ANY(%s)", [ids])
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
    with transaction.atomic(), connection.cursor() as cursor:
        master = MasterAccount.objects.create(
            organization=Organization.objects.create(name=MASTER_NAME, is_retailer=True)
        )
        children = []
        raw = cursor.cursor
        for number in range(1, CHILDREN + 1):
            child = Organization.objects.create(name=CHILD_NAME.format(number), is_retailer=True)
            Connection.objects.create(master=master, child=child, kind=Connection.Kind.CSV)
            children.append(child)
            spelling = SKU_SPELLINGS[number - 1]
            copy_rows(raw, "accounts_store",
                      ["organization_id", "number", "name", "banner", "address", "city", "state",
                       "postal_code", "country", "phone", "is_open", "created_at", "updated_at"],
                      ((child.pk, str(s), f"Store {s}", "Bench", "", "Bentonville", "AR", "72712", "US",
                        "", True, now, now) for s in range(1, STORES + 1)))  # fmt: skip
            copy_rows(raw, "inventory_product",
                      ["organization_id", "sku", "sku_normalized", "name", "vendor_name", "category",
                       "unit_cost", "retail_price", "unit", "created_at", "updated_at"],
                      ((child.pk, spelling.format(i), normalize_sku(spelling.format(i)), f"Product {i}",
                        f"Vendor {i % 40}", f"Category {i % 25}", 4, _price(i), "", now, now)
                       for i in range(1, PRODUCTS + 1)))  # fmt: skip
            stores = list(
                Store.objects.filter(organization=child).order_by("pk").values_list("pk", flat=True)
            )
            products = list(
                Product.objects.filter(organization=child)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            # Every 97th product is out of stock everywhere: the refresh records stockout days.
            copy_rows(raw, "inventory_stock",
                      ["organization_id", "store_id", "product_id", "on_hand", "on_order", "updated_at"],
                      ((child.pk, store, product, 0 if p % 97 == 0 else (s * 7 + p) % 50, (p % 3) * 6, now)
                       for s, store in enumerate(stores) for p, product in enumerate(products)))  # fmt: skip
            copy_rows(raw, "inventory_salesline",
                      ["organization_id", "date", "store_id", "product_id", "quantity", "retail_amount",
                       "cost_amount", "customer_reference", "source_ref"],
                      _sales_lines(child.pk, number, stores, products, today))  # fmt: skip
    # VACUUM as well as ANALYZE: the first read of rows just copied in would otherwise set
    # their hint bits and write every page back, inside whichever run came first.
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE accounts_store, inventory_product, inventory_stock, inventory_salesline"
        )
    print(f"  generated data in {time.perf_counter() - started:.1f} s")
    return master, children


def _price(i):
    return 5 + i % 20


def _sales_lines(organization_id, number, stores, products, today):
    """600,000 lines over 180 days, ~3,333 a day: each day about 1,100 SKUs sell in about
    three stores each, so the rollup adds up several lines per (SKU, day). One in 41 is a
    return, one in 67 at no price."""
    for n in range(SALES_PER_CHILD):
        day, k = n % DAYS, n // DAYS
        p = ((k // 3) * 37 + day * 101 + number * 13) % PRODUCTS
        quantity = 1 + n % 5
        if n % RETURN_EVERY == 0:
            quantity = -quantity
        amount = 0 if n % UNPRICED_EVERY == 0 else quantity * _price(p + 1)
        yield (
            organization_id, today - datetime.timedelta(days=day), stores[k % STORES],
            products[p], quantity, amount, quantity * 4, "", f"r{n}",
        )  # fmt: skip


def _empty(master):
    """Empty the master's rollups, then vacuum, so every timed run starts from the same tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in EMPTY_ROLLUPS:
            cursor.execute(statement, [master.pk])
        cursor.execute(
            "VACUUM ANALYZE aggregation_rollupstock, aggregation_rollupsales, aggregation_stockoutday"
        )


def _hand_made(master, children):
    from django.db import connection, transaction
    from django.utils import timezone

    params = {
        "master": master.pk,
        "children": [c.pk for c in children],
        "now": timezone.now(),
        "today": timezone.localdate(),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in HAND_MADE:
            cursor.execute(statement, params)


def _checksum(master):
    """Row counts and sums of the master's rollups: the refresh and the reference must agree."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT (count(*), sum(on_hand), sum(on_order))::text
                      FROM aggregation_rollupstock WHERE master_id = %(m)s),
                   (SELECT (count(*), sum(quantity), sum(retail_amount), sum(demand),
                            sum(returned), sum(unpriced))::text
                      FROM aggregation_rollupsales WHERE master_id = %(m)s),
                   (SELECT count(*) FROM aggregation_stockoutday WHERE master_id = %(m)s)
            """,
            {"m": master.pk},
        )
        return cursor.fetchone()


def time_full_refresh(master, children):
    """1. From empty rollups, against the hand-made statements; returns (passed, median)."""
    from aggregation import rollups

    refreshes, references, sums = [], [], set()
    for _ in range(RUNS):
        _empty(master)
        started = time.perf_counter()
        rollups.refresh(master)
        refreshes.append(time.perf_counter() - started)
        sums.add(_checksum(master))
        _empty(master)
        started = time.perf_counter()
        _hand_made(master, children)
        references.append(time.perf_counter() - started)
        sums.add(_checksum(master))
    assert len(sums) == 1, f"the refresh and the hand-made SQL disagree: {sums}"
    stock, sales, stockouts = sums.pop()
    print(f"  rollup: stock (rows, on hand, on order) {stock}; sales (rows, quantity, retail, "
          f"demand, returned, unpriced) {sales}; {stockouts} stockout days")  # fmt: skip
    refresh, reference = statistics.median(refreshes), statistics.median(references)
    ratio = refresh / reference
    passed = ratio <= RATIO_TARGET
    print(f"  full refresh from empty: median {refresh:.2f} s; the hand-made statements: median "
          f"{reference:.2f} s; ratio {ratio:.2f} (target <= {RATIO_TARGET}): {_verdict(passed)}")  # fmt: skip
    print(f"    runs: refresh {_seconds(refreshes)}; hand-made {_seconds(references)}")
    return passed, refresh


def time_unchanged_refresh(master, first):
    """2. The beat's full refresh when nothing changed, after a full refresh (and its
    ANALYZE); target: at most the refresh from empty (`first`, its median)."""
    from aggregation import rollups

    # Right after the hand-made statements wrote the master's rollup rows, with no ANALYZE:
    # the statistics describe the tables without them (and, where other masters have rows,
    # as in a database where bench_plan ran, say this master has next to none).
    started = time.perf_counter()
    result = rollups.refresh(master)
    stale = time.perf_counter() - started
    print(f"  full refresh, nothing changed, right after the rollup was written in bulk with no "
          f"ANALYZE: {stale:.2f} s, {_written(result)} rows written (target <= {first:.2f} s): "
          f"{_verdict(stale <= first)}")  # fmt: skip
    times, written = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        result = rollups.refresh(master)
        times.append(time.perf_counter() - started)
        written.append(_written(result))
    median = statistics.median(times)
    passed = stale <= first and median <= first and not any(written)
    print(f"  full refresh, nothing changed: median {median:.2f} s, {max(written)} rows written "
          f"(target <= the refresh from empty, {first:.2f} s, and nothing written): "
          f"{_verdict(passed)}")  # fmt: skip
    print(f"    runs: {_seconds(times)}; {median / first:.2f} x the refresh from empty")
    return passed


def time_small_refresh(master, child):
    """3. A small import of one child, by SQL, then the refresh its import signal asks for."""
    from aggregation import rollups

    times, again_times, written, again_written = [], [], [], []
    for run in range(RUNS):
        skus = _small_import(child, run)
        started = time.perf_counter()
        result = rollups.refresh(master, child_ids=[child.pk], skus=skus)
        times.append(time.perf_counter() - started)
        written.append((result.stock_written, result.sales_written))
        started = time.perf_counter()
        again = rollups.refresh(master, child_ids=[child.pk], skus=skus)
        again_times.append(time.perf_counter() - started)
        again_written.append(_written(again))
    median = statistics.median(times)
    stock, sales = written[-1]
    passed = median < SMALL_TARGET and not any(again_written)
    print(f"  refresh after a small import of one child ({len(skus)} SKUs): median {median:.2f} s, "
          f"{stock} stock rows and {sales} sales rows written (target < {SMALL_TARGET} s, and "
          f"nothing written again): {_verdict(passed)}")  # fmt: skip
    print(f"    runs: {_seconds(times)}; rows written (stock, sales): {written}")
    print(f"  the same refresh again, nothing changed: median {statistics.median(again_times):.2f} s, "
          f"{max(again_written)} rows written; runs: {_seconds(again_times)}")  # fmt: skip
    return passed


def time_bulk_refresh(master, children):
    """4. A bulk write of one child's 2,000 SKUs with no fresh statistics, then the refresh
    of those SKUs; each run undoes its write (and leaves the statistics as they were)."""
    from aggregation import rollups

    child = children[0]
    times, again_times, written, again_written = [], [], [], []
    for run in range(RUNS):
        skus, rows = _bulk_import(child, run)
        started = time.perf_counter()
        result = rollups.refresh(master, child_ids=[child.pk], skus=skus)
        times.append(time.perf_counter() - started)
        written.append((result.stock_written, result.sales_written))
        started = time.perf_counter()
        again = rollups.refresh(master, child_ids=[child.pk], skus=skus)
        again_times.append(time.perf_counter() - started)
        again_written.append(_written(again))
        _undo_bulk_import(children)
        rollups.refresh(master, child_ids=[child.pk], skus=skus)  # the rollup as before
    median = statistics.median(times)
    passed = median < BULK_TARGET and not any(again_written)
    print(f"  refresh after a bulk write of one child's {len(skus):,} SKUs ({rows:,} rows copied, "
          f"no ANALYZE): median {median:.2f} s (target < {BULK_TARGET} s, and nothing written "
          f"again): {_verdict(passed)}")  # fmt: skip
    print(f"    runs: {_seconds(times)}; rows written (stock, sales): {written}")
    print(f"  the same refresh again, nothing changed: median {statistics.median(again_times):.2f} s, "
          f"{max(again_written)} rows written; runs: {_seconds(again_times)}")  # fmt: skip
    return passed


def _bulk_import(child, run):
    """Write one child's 2,000 SKUs in bulk, as COPY, with no ANALYZE after: BULK_KNOWN known
    SKUs get every store's stock counted again (other counts each run) and today's sales in three
    stores; BULK_NEW new SKUs get products, stock in every store and sales on one day in ten of
    the 180 (two stores a day). Returns (the normalized SKUs, rows written)."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Store
    from inventory.models import Product, normalize_sku

    now, today = timezone.now(), timezone.localdate()
    stores = list(
        Store.objects.filter(organization=child).order_by("pk").values_list("pk", flat=True)
    )
    known = [f"SKU{1 + i * (PRODUCTS // BULK_KNOWN):05d}" for i in range(BULK_KNOWN)]
    new = [f"SKU{PRODUCTS + 1 + i:05d}" for i in range(BULK_NEW)]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        copy_rows(raw, "inventory_product",
                  ["organization_id", "sku", "sku_normalized", "name", "vendor_name", "category",
                   "unit_cost", "retail_price", "unit", "created_at", "updated_at"],
                  ((child.pk, sku, normalize_sku(sku), f"New product {sku}", "Vendor 1", "New", 4, 9,
                    "", now, now) for sku in new))  # fmt: skip
        ids = dict(
            Product.objects.filter(organization=child, sku_normalized__in=known + new).values_list(
                "sku_normalized", "pk"
            )
        )
        # The recount: every store's row of the known SKUs, rewritten from a copied table.
        cursor.execute(
            "CREATE TEMP TABLE bench_recount (store_id bigint, product_id bigint, on_hand int)"
        )
        copy_rows(raw, "bench_recount", ["store_id", "product_id", "on_hand"],
                  ((store, ids[sku], 1 + (s + p + run) % 40) for s, store in enumerate(stores)
                   for p, sku in enumerate(known)))  # fmt: skip
        cursor.execute(
            "UPDATE inventory_stock s SET on_hand = r.on_hand, updated_at = %s "
            "FROM bench_recount r WHERE s.store_id = r.store_id AND s.product_id = r.product_id",
            [now],
        )
        recounted = cursor.rowcount
        cursor.execute("DROP TABLE bench_recount")
        copy_rows(raw, "inventory_stock",
                  ["organization_id", "store_id", "product_id", "on_hand", "on_order", "updated_at"],
                  ((child.pk, store, ids[sku], (s + p) % 30, 6, now)
                   for s, store in enumerate(stores) for p, sku in enumerate(new)))  # fmt: skip
        lines = list(_bulk_sales(child.pk, stores, ids, known, new, today))
        copy_rows(raw, "inventory_salesline",
                  ["organization_id", "date", "store_id", "product_id", "quantity", "retail_amount",
                   "cost_amount", "customer_reference", "source_ref"], lines)  # fmt: skip
    return sorted(known + new), len(new) + recounted + len(new) * len(stores) + len(lines)


def _bulk_sales(organization_id, stores, ids, known, new, today):
    n = 0
    for p, sku in enumerate(known):
        for k in range(3):
            n += 1
            yield (organization_id, today, stores[(p + k) % STORES], ids[sku], 2, 18, 8, "",
                   f"{BULK_REF}{n}")  # fmt: skip
    for p, sku in enumerate(new):
        for day in range(p % 10, DAYS, 10):
            for k in range(2):
                n += 1
                yield (organization_id, today - datetime.timedelta(days=day),
                       stores[(p + day + k) % STORES], ids[sku], 1 + (p + day) % 3,
                       9 * (1 + (p + day) % 3), 4, "", f"{BULK_REF}{n}")  # fmt: skip


def _undo_bulk_import(children):
    """Remove what bulk imports added (their new products, with their stock and sales, and
    their sales of known SKUs), then VACUUM without ANALYZE: the dead rows go, the planner's
    statistics stay those of the data set. (The recounted stock stays: no count changes.)"""
    from django.db import connection

    ids = [c.pk for c in children]
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM inventory_salesline WHERE organization_id = ANY(%s) AND source_ref LIKE %s",
            [ids, BULK_REF + "%"],
        )
        sales = cursor.rowcount
        cursor.execute(
            "DELETE FROM inventory_stock WHERE product_id IN (SELECT id FROM inventory_product "
            "WHERE organization_id = ANY(%s) AND category = 'New')",
            [ids],
        )
        cursor.execute(
            "DELETE FROM inventory_product WHERE organization_id = ANY(%s) AND category = 'New'",
            [ids],
        )
        if sales or cursor.rowcount:
            cursor.execute("VACUUM inventory_salesline, inventory_stock, inventory_product")


def _small_import(child, run):
    """Change 50 stock rows (50 SKUs) and add 200 sales lines for today (20 other SKUs);
    return the normalized SKUs touched."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Store
    from inventory.models import Product

    stores = list(
        Store.objects.filter(organization=child).order_by("pk").values_list("pk", flat=True)
    )
    products = dict(Product.objects.filter(organization=child).values_list("sku_normalized", "pk"))
    stock_skus = [f"SKU{run * 1000 + j * 17 + 1:05d}" for j in range(50)]
    sales_skus = [f"SKU{run * 1000 + 900 + j * 3 + 1:05d}" for j in range(20)]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE inventory_stock s SET on_hand = s.on_hand + 1, updated_at = %s
            FROM unnest(%s::bigint[], %s::bigint[]) AS t(store_id, product_id)
            WHERE s.store_id = t.store_id AND s.product_id = t.product_id
            """,
            [
                timezone.now(),
                [stores[j % STORES] for j in range(50)],
                [products[s] for s in stock_skus],
            ],
        )
        assert cursor.rowcount == 50
        cursor.executemany(
            "INSERT INTO inventory_salesline (organization_id, date, store_id, product_id, quantity,"
            " retail_amount, cost_amount, customer_reference, source_ref)"
            " VALUES (%s, %s, %s, %s, 2, 20, 8, '', %s)",
            [
                (child.pk, timezone.localdate(), stores[k % STORES], products[sales_skus[k % 20]],
                 f"{SMALL_IMPORT_REF}{run}-{k}")
                for k in range(200)
            ],
        )  # fmt: skip
    return sorted(set(stock_skus) | set(sales_skus))


def _undo_small_imports(children):
    """Remove the sales lines earlier small imports added, so the data set's counts hold.
    (Their stock changes stay: a few units more on hand changes no count.)"""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM inventory_salesline WHERE organization_id = ANY(%s) AND source_ref LIKE %s",
            [[c.pk for c in children], SMALL_IMPORT_REF + "%"],
        )


def _written(result):
    return result.stock_written + result.sales_written + result.stock_deleted + result.sales_deleted


def _seconds(values):
    return ", ".join(f"{v:.2f}" for v in values)


def _verdict(passed):
    return "ok" if passed else "MISSED"


def main():
    setup_django()
    master, children = build()
    print(
        f"  data: {CHILDREN} children x {STORES} stores x {PRODUCTS:,} products: "
        f"{CHILDREN * STORES * PRODUCTS:,} stock rows, {CHILDREN * SALES_PER_CHILD:,} sales lines"
    )
    print(f"  machine: a fixed Python loop took {machine_seconds():.3f} s (median of 5)")
    try:
        passed, first = time_full_refresh(master, children)
        passed &= time_unchanged_refresh(master, first)
        passed &= time_small_refresh(master, children[0])
        passed &= time_bulk_refresh(master, children)
    finally:
        _undo_small_imports(children)
        _undo_bulk_import(children)
    return passed


if __name__ == "__main__":
    main()
