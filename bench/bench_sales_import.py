"""Import a generated 1,000,000-line sales file through the import machinery on PostgreSQL.

Target (issue 12): at most 60 s, peak memory under 300 MB, on these 2-core machines.
Time covers reading, preview and apply (upload → preview → confirm(inline=True)), every
line a new sale; memory is the process's peak resident size, Django and all. The same
file is then imported again (every line unchanged, nothing written), also timed; the
peak covers both imports.

Data (created once with COPY, reused): one retailer with 500 stores and 10,000
products. The file (seeded, the same every time: 90 days in date order, 1-24 bottles,
one invoice line per sale) is written to a temporary folder by the parent process,
which also keeps the sums of its quantities and amounts; each trial deletes the lines
a previous trial left, imports, and checks the count and the sums in the database.

The trial sets IMPORT_MAX_BYTES (256 MB) and IMPORT_MAX_ROWS (2,000,000) for itself
only, so the file is accepted whatever the settings say; the engine's defaults are
raised separately (they were 10 MB and 200,000 rows). The trial runs with DEBUG off,
as a worker does, so Django does not keep the SQL of every query it ran.

BENCH_SALES_LINES sets the file's lines (default 1,000,000; e.g. 100000 for a quick
run), BENCH_TRIALS the trials (default 3). A trial whose resident size passes
BENCH_MAX_RSS_MB (default 4,000) stops itself rather than exhaust the machine. Runs
on one database take turns, trial by trial (an advisory lock).
"""

import datetime
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import copy_rows, peak_rss_mb, report, setup_django, trials

LINES = int(os.environ.get("BENCH_SALES_LINES", "1000000"))
TRIALS = int(os.environ.get("BENCH_TRIALS", "3"))
MAX_RSS_MB = int(os.environ.get("BENCH_MAX_RSS_MB", "4000"))
ORGANIZATION = "Bench Sales Retailer"
STORES, PRODUCTS, DAYS = 500, 10_000, 90
FIRST_DAY = datetime.date(2025, 1, 6)
HEADER = "Date,Store Number,Item Number,Bottles Sold,Sale (Dollars),Unit Cost,Invoice/Item Number,Customer"


def store_number(i):
    return str(2000 + i)


def item_number(i):
    return str(10000 + i)


def cost_cents(i):
    """A product's unit cost, $3.00 to $42.99; it sells at 150 %."""
    return 300 + (i * 7919) % 4000


def dollars(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def generate(path, lines=LINES, seed=12):
    """Write the sales file; return its line count and the sums the database must show."""
    rng = random.Random(seed)
    days = [(FIRST_DAY + datetime.timedelta(days=d)).isoformat() for d in range(DAYS)]
    quantity_sum = retail_sum = cost_sum = 0
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(HEADER + "\n")
        chunk = []
        for n in range(lines):
            product = rng.randrange(1, PRODUCTS + 1)
            quantity = rng.randint(1, 24)
            cost = cost_cents(product)
            retail = (cost * 3 + 1) // 2
            quantity_sum += quantity
            retail_sum += quantity * retail
            cost_sum += quantity * cost
            customer = f"C{rng.randrange(1, 40_000):06d}" if rng.random() < 0.3 else ""
            chunk.append(
                f"{days[n * DAYS // lines]},{store_number(rng.randrange(1, STORES + 1))},"
                f"{item_number(product)},{quantity},{dollars(quantity * retail)},{dollars(cost)},"
                f"INV-{n + 1:011d},{customer}\n"
            )
            if len(chunk) == 10_000:
                file.write("".join(chunk))
                chunk.clear()
        file.write("".join(chunk))
    return {
        "lines": lines,
        "quantity": quantity_sum,
        "retail_cents": retail_sum,
        "cost_cents": cost_sum,
    }


def build():
    """The retailer with its stores and products, made once with COPY."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Organization, Store
    from inventory.models import Product

    organization = Organization.objects.filter(name=ORGANIZATION).first()
    if (
        organization is not None
        and Store.objects.filter(organization=organization).count() == STORES
        and Product.objects.filter(organization=organization).count() == PRODUCTS
    ):
        return organization
    if organization is not None:
        _forget_sales(organization)
        organization.delete()
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        organization = Organization.objects.create(name=ORGANIZATION, is_retailer=True)
        raw = cursor.cursor
        copy_rows(raw, "accounts_store",
                  ["organization_id", "number", "name", "banner", "address", "city", "state", "postal_code",
                   "country", "phone", "is_open", "created_at", "updated_at"],
                  ((organization.pk, store_number(i), f"Store {i}", "Bench", f"{i} Main St", f"Town {i % 97}",
                    "IA", "50309", "US", "", True, now, now) for i in range(1, STORES + 1)))  # fmt: skip
        copy_rows(raw, "inventory_product",
                  ["organization_id", "sku", "sku_normalized", "name", "vendor_name", "category", "unit_cost",
                   "retail_price", "unit", "created_at", "updated_at"],
                  ((organization.pk, item_number(i), item_number(i), f"Product {i}", f"Vendor {i % 60}",
                    f"Category {i % 30}", cost_cents(i) / 100, (cost_cents(i) * 3 + 1) // 2 / 100, "", now, now)
                   for i in range(1, PRODUCTS + 1)))  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_store, inventory_product")
    return organization


def _lock():
    """Hold the benchmark's lock until this process ends (or _unlock): two runs on one
    database would otherwise delete each other's lines and batches mid-import."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [ORGANIZATION])


def _unlock():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [ORGANIZATION])


def _forget_sales(organization):
    """Delete the organization's sales lines (by SQL: a million rows) and import batches."""
    from django.db import connection

    from core.models import ImportBatch

    for batch in ImportBatch.objects.filter(organization=organization):
        batch.file.delete(save=False)
        batch.delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM inventory_salesline WHERE organization_id = %s", [organization.pk]
        )
        deleted = cursor.rowcount
    if deleted:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE inventory_salesline")


def _guard_memory():
    """Stop the trial if it grows past MAX_RSS_MB: a figure is not worth a frozen machine."""
    page_mb = os.sysconf("SC_PAGE_SIZE") / 1024 / 1024

    def watch():
        while True:
            with open("/proc/self/statm") as statm:
                rss_mb = int(statm.read().split()[1]) * page_mb
            if rss_mb > MAX_RSS_MB:
                sys.stderr.write(f"resident size {rss_mb:.0f} MB passed {MAX_RSS_MB} MB: stopped\n")
                sys.stderr.flush()
                os._exit(3)
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()


def _import(organization, path):
    """upload → preview → confirm(inline=True); return the batch, the two times and the
    CPU time this process spent (the rest is waiting: on PostgreSQL, or for a core).

    Each step gets its own importer, as the upload and confirm requests do: an importer
    keeps what its walk over the file needed, which must not count against the apply."""
    from django.core.files import File

    from core.imports.registry import importer_for
    from core.imports.service import confirm, start_import

    started, cpu_started = time.perf_counter(), time.process_time()
    with open(path, "rb") as handle:
        batch = start_import(
            organization=organization,
            user=None,
            importer=importer_for("sales"),
            uploaded_file=File(handle, name=path.name),
        )
    previewed = time.perf_counter()
    assert batch.error_count == 0, batch.errors[:5]
    confirm(batch=batch, importer=importer_for("sales"), user=None, valid_only=False, inline=True)
    finished, cpu = time.perf_counter(), time.process_time() - cpu_started
    batch.refresh_from_db()
    return batch, previewed - started, finished - previewed, cpu


def trial():
    _guard_memory()
    setup_django()
    from django.conf import settings
    from django.db.models import Count, Sum

    from core.models import ImportBatch
    from inventory.models import SalesLine

    settings.IMPORT_MAX_BYTES = 256 * 1024 * 1024
    settings.IMPORT_MAX_ROWS = 2_000_000
    # As in production: with DEBUG on, Django keeps every query's SQL in connection.queries,
    # and the importer's lookup of existing lines is one query naming every line.
    settings.DEBUG = False

    own_folder = None
    if os.environ.get("BENCH_SALES_FILE"):
        path = Path(os.environ["BENCH_SALES_FILE"])
        expected = json.loads(path.with_suffix(".json").read_text())
    else:  # run on its own: make the file here, before anything is measured
        own_folder = tempfile.mkdtemp(prefix="bench-sales-")
        path = Path(own_folder) / f"sales-{LINES}.csv"
        expected = generate(path)
    lines = expected["lines"]
    _lock()
    organization = build()
    _forget_sales(organization)

    batch, preview, apply, cpu = _import(organization, path)
    assert batch.status == ImportBatch.Status.APPLIED, batch.message
    assert batch.created_count == lines, (batch.created_count, lines)
    first_peak = peak_rss_mb()

    # An independent check: what the database holds, against the sums made with the file.
    found = SalesLine.objects.filter(organization=organization).aggregate(
        lines=Count("pk"),
        quantity=Sum("quantity"),
        retail=Sum("retail_amount"),
        cost=Sum("cost_amount"),
    )
    assert found["lines"] == lines, (
        f"{found['lines']:,} sales lines in the database, {lines:,} in the file"
    )
    assert found["quantity"] == expected["quantity"], (found["quantity"], expected["quantity"])
    assert found["retail"] * 100 == expected["retail_cents"], (
        found["retail"],
        expected["retail_cents"],
    )
    assert found["cost"] * 100 == expected["cost_cents"], (found["cost"], expected["cost_cents"])

    # The same file again: every line unchanged, nothing written.
    again, again_preview, again_apply, _cpu = _import(organization, path)
    assert again.status == ImportBatch.Status.APPLIED, again.message
    assert (again.unchanged, again.created_count, again.updated_count) == (lines, 0, 0), (
        again.unchanged, again.created_count, again.updated_count,
    )  # fmt: skip
    assert SalesLine.objects.filter(organization=organization).count() == lines

    peak = peak_rss_mb()
    _forget_sales(organization)
    if own_folder:
        shutil.rmtree(own_folder)
    print(
        f"import_seconds={preview + apply:.3f} preview_seconds={preview:.3f} apply_seconds={apply:.3f} "
        f"import_cpu_seconds={cpu:.3f} "
        f"lines_per_second={lines / (preview + apply):.0f} "
        f"reimport_seconds={again_preview + again_apply:.3f} reimport_preview_seconds={again_preview:.3f} "
        f"first_import_peak_rss_mb={first_peak:.1f} peak_rss_mb={peak:.1f}"
    )


def main():
    setup_django()
    with tempfile.TemporaryDirectory(prefix="bench-sales-") as folder:
        path = Path(folder) / f"sales-{LINES}.csv"
        started = time.perf_counter()
        expected = generate(path)
        path.with_suffix(".json").write_text(json.dumps(expected))
        print(
            f"  file: {LINES:,} lines, {path.stat().st_size / 1024 / 1024:.1f} MB "
            f"(generated in {time.perf_counter() - started:.1f} s)"
        )
        started = time.perf_counter()
        _lock()
        build()
        _unlock()
        print(
            f"  data: {STORES} stores, {PRODUCTS:,} products (ready in {time.perf_counter() - started:.1f} s)"
        )
        # The trials inherit these: the file, and a folder for the uploads they store.
        os.environ["BENCH_SALES_FILE"] = str(path)
        os.environ["MEDIA_ROOT"] = str(Path(folder) / "media")
        try:
            results = trials("bench.bench_sales_import", runs=TRIALS)
        finally:
            del os.environ["BENCH_SALES_FILE"], os.environ["MEDIA_ROOT"]
    return report(
        f"Sales import, {LINES:,} new lines, PostgreSQL",
        results,
        {"import_seconds": 60, "peak_rss_mb": 300},
    )


if __name__ == "__main__":
    if "--trial" in sys.argv:
        trial()
    else:
        main()
