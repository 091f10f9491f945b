"""A worker killed with SIGKILL in the middle of an import and of a rollup refresh (issue 14;
the load run is tests/test_jobs_worker.py). The kill lands while the worker's transaction is
writing: the test waits until another session holds a write lock on the table being written
(PostgreSQL's pg_locks), then kills. Nothing half-written is left (the dead worker's
transaction is rolled back), and after a restart the work ends done, with every stored value
checked against values the test computes itself.

The workers get short time limits through their environment (the lease of a claim, and
Redis's visibility timeout, which gives the killed job back)."""

import datetime
import signal
import time
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from tests.conftest import jobs_through, start_worker, stop_worker, worker_env

pytestmark = pytest.mark.worker

LIMITS = {
    "LONG_JOB_SOFT_TIME_LIMIT": "20",  # several times what each job here takes
    "LONG_JOB_TIME_LIMIT": "24",  # the lease of a claim
    "BROKER_VISIBILITY_TIMEOUT": "28",
}
# Generous: CI machines are slow and busy. Each wait polls and ends as soon as it can.
DEADLINE = 180


def wait_for(condition, *, timeout=DEADLINE, every=0.02, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def writers(table):
    """The other sessions of this database whose open transaction holds a write lock on
    `table`: they have started writing to it and not committed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_class t ON t.oid = l.relation "
            "JOIN pg_database d ON d.oid = l.database "
            "WHERE d.datname = current_database() AND t.relname = %s "
            "AND l.mode = 'RowExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid()",
            [table],
        )
        return [pid for (pid,) in cursor.fetchall()]


def running(fragment):
    """The other sessions of this database running a statement that contains `fragment`
    (within its first 1024 bytes: PostgreSQL shows no more of it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND pid <> pg_backend_pid() AND query LIKE %s",
            [f"%{fragment}%"],
        )
        return [pid for (pid,) in cursor.fetchall()]


def sessions_alive(pids):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids])
        return cursor.fetchone()[0]


class Workers:
    """Celery workers with short limits on their own queues; each start has its own name
    (a worker restarting under a dead one's name would recover its load runs at once, which
    these tests do not need)."""

    def __init__(self, tmp_path, worker_id, media_dir):
        self.tmp_path, self.worker_id = tmp_path, worker_id
        self.prefix = f"shelfshare-faults-{worker_id}-"
        self.env = worker_env(
            connection.settings_dict, prefix=self.prefix, mail_dir=tmp_path,
            media_dir=media_dir, **LIMITS,
        )  # fmt: skip
        self.started = []

    def start(self):
        number = len(self.started) + 1
        process = start_worker(
            name=f"shelfshare-faults{number}-{self.worker_id}",
            env=self.env,
            log_path=self.tmp_path / f"worker{number}.log",
            extra_args=["--purge"] if number == 1 else [],
        )
        self.started.append(process)
        return process

    def kill_when(self, process, sessions, what):
        """SIGKILL `process` as soon as `sessions()` names a database session (the worker's,
        at the point to kill it), then wait until PostgreSQL has ended that session: its
        transaction is rolled back."""
        pids = wait_for(sessions, what=what)
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.log.close()
        # The server ends the session once it sees the client gone (after the statement it
        # runs, if any).
        wait_for(lambda: not sessions_alive(pids), what="the end of the killed worker's session")

    def stop_all(self):
        for process in self.started:
            if process.poll() is None:
                stop_worker(process)


@pytest.fixture
def workers(transactional_db, settings, tmp_path, worker_id):
    if connection.vendor != "postgresql":
        pytest.skip("the real worker needs PostgreSQL: set DATABASE_URL")
    settings.MEDIA_ROOT = tmp_path / "media"
    pool = Workers(tmp_path, worker_id, settings.MEDIA_ROOT)
    try:
        with jobs_through(pool.prefix):
            yield pool
    finally:
        pool.stop_all()


# -- An import -------------------------------------------------------------------------

STATES = ["AR", "MO", "OK", "TX", "KS"]
STORES = 100_000


def store_file(count):
    """A stores file, and the values each store must have once it is imported, as the test
    reads them from the file's own lines."""
    lines = [
        (str(n), f"Shop {n}", f"Town {n % 97}", STATES[n % len(STATES)], f"{(n * 37) % 100000:05d}")
        for n in range(1, count + 1)
    ]
    header = "Store Number,Name,City,State,Postal Code\n"
    data = (header + "".join(",".join(line) + "\n" for line in lines)).encode()
    return data, set(lines)


def test_an_import_whose_worker_is_killed_mid_write_is_written_whole_after_a_restart(
    workers, client, owner, org, settings
):
    """The worker is killed while its transaction writes the stores. Nothing is left half
    written; the job Redis gives back (after its visibility timeout) takes the batch over
    once the dead worker's lease has passed, and writes every row."""
    from accounts.models import Store
    from core.models import ImportBatch

    settings.IMPORT_INLINE_MAX_ROWS = 100
    data, expected = store_file(STORES)
    client.force_login(owner)
    client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("stores.csv", data)},
    )
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.to_create, batch.error_count) == ("ready", STORES, 0)
    first = workers.start()
    response = client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"})
    assert response.status_code == 302

    workers.kill_when(first, lambda: writers("accounts_store"), "a write of the stores")
    batch.refresh_from_db()
    assert batch.status == "applying", f"killed too late: the import is {batch.status}"
    assert not Store.objects.exists()  # nothing half-written

    workers.start()  # another name: the batch is taken over only once its lease has passed

    def ended():
        batch.refresh_from_db()
        return batch.status in ("applied", "failed")

    wait_for(ended, what="the end of the import")
    stored = set(
        Store.objects.for_org(org).values_list("number", "name", "city", "state", "postal_code")
    )
    if batch.status == "failed":  # also an answer, if it says so and wrote nothing
        assert "try again" in batch.message.lower() or "upload the file again" in batch.message
        assert stored == set()
        return
    assert (batch.created_count, batch.error_count) == (STORES, 0)
    assert stored == expected
    page = client.get(batch.get_absolute_url()).text
    assert "Nothing was imported" not in page


# -- A rollup refresh ------------------------------------------------------------------

CHILDREN, PRODUCTS, DAYS = 4, 2000, 20
FIRST_DAY = datetime.date(2026, 9, 1)


def children_with_sales(master):
    """CHILDREN children of `master`, each with one store, PRODUCTS products (SKUs written
    differently per child, one normalized SKU) with stock, and a sales line per product and
    day for DAYS days, some of them returns or at no price. Written with COPY."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Store
    from aggregation.models import Connection
    from bench.common import copy_rows
    from inventory.models import Product, normalize_sku
    from tests.factories import OrganizationFactory

    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        for number in range(CHILDREN):
            child = OrganizationFactory(name=f"Shop {number}")
            Connection.objects.create(master=master, child=child, kind=Connection.Kind.CSV)
            store = Store.objects.create(organization=child, number="1", name="Main")
            spelling = ["SKU{:05d}", "sku-{:05d}", "Sku {:05d}", "sku_{:05d}"][number]
            copy_rows(raw, "inventory_product",
                      ["organization_id", "sku", "sku_normalized", "name", "vendor_name", "category",
                       "unit_cost", "retail_price", "unit", "created_at", "updated_at"],
                      ((child.pk, spelling.format(i), normalize_sku(spelling.format(i)),
                        f"Product {i}", "", "", 4, 9, "", now, now)
                       for i in range(PRODUCTS)))  # fmt: skip
            products = list(
                Product.objects.filter(organization=child)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            copy_rows(raw, "inventory_stock",
                      ["organization_id", "store_id", "product_id", "on_hand", "on_order", "updated_at"],
                      ((child.pk, store.pk, product, (i * 7 + number) % 50, i % 4, now)
                       for i, product in enumerate(products)))  # fmt: skip
            copy_rows(raw, "inventory_salesline",
                      ["organization_id", "date", "store_id", "product_id", "quantity", "retail_amount",
                       "customer_reference", "source_ref"],
                      ((child.pk, FIRST_DAY + datetime.timedelta(days=day), store.pk, product,
                        -1 if (i + day) % 41 == 0 else (i + day + number) % 9 + 1,
                        0 if (i + day) % 67 == 0 else Decimal((i + day) % 50) + Decimal("0.25"),
                        "", f"{number}-{i}-{day}")
                       for i, product in enumerate(products) for day in range(DAYS)))  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_product, inventory_stock, inventory_salesline")


def clean_rollups(master):
    """The rollups a clean full refresh makes, worked out in Python from the children's rows:
    {(child, sku): (name, on_hand, on_order)} and {(child, sku, day): (quantity, retail,
    demand, returned, unpriced)}."""
    from inventory.models import SalesLine, Stock

    children = master.child_ids()
    stock = {}
    rows = Stock.objects.filter(organization_id__in=children).values_list(
        "organization_id", "product__sku_normalized", "product__name", "on_hand", "on_order"
    )
    for child, sku, name, on_hand, on_order in rows:
        old_name, old_hand, old_order = stock.get((child, sku), ("", 0, 0))
        stock[child, sku] = (max(old_name, name), old_hand + on_hand, old_order + on_order)
    sales = defaultdict(lambda: [Decimal(0)] * 5)
    rows = SalesLine.objects.filter(organization_id__in=children).values_list(
        "organization_id", "product__sku_normalized", "date", "quantity", "retail_amount"
    )
    for child, sku, day, quantity, retail in rows:
        figures = sales[child, sku, day]
        figures[0] += quantity
        figures[1] += retail
        if quantity < 0:
            figures[3] -= quantity
        elif retail <= 0:
            figures[4] += quantity
        else:
            figures[2] += quantity
    return stock, {key: tuple(figures) for key, figures in sales.items()}


def stored_rollups(master):
    from aggregation.models import RollupSales, RollupStock

    stock = {
        (child, sku): (name, on_hand, on_order)
        for child, sku, name, on_hand, on_order in RollupStock.objects.filter(
            master=master
        ).values_list("child_id", "sku", "name", "on_hand", "on_order")
    }
    sales = {
        (child, sku, day): tuple(values)
        for child, sku, day, *values in RollupSales.objects.filter(master=master).values_list(
            "child_id", "sku", "date", "quantity", "retail_amount", "demand", "returned", "unpriced"
        )
    }
    return stock, sales


def test_a_rollup_refresh_whose_worker_is_killed_mid_way_ends_equal_to_a_clean_refresh(
    workers, org
):
    """The rollups hold rows of a SKU the children no longer have (stale). The worker is
    killed while its refresh writes the sales rollup, after the stock one: both stay as
    they were, nothing half-written.
    After a restart, the job Redis gives back refreshes them; the rollups then equal what a
    clean refresh makes, worked out here in Python, the stale rows are gone, and the plan
    was rebuilt from them (no rebuild is left pending for the sweep)."""
    from django.utils import timezone

    from aggregation import plans
    from aggregation.jobs import refresh_all_rollups
    from aggregation.models import MasterAccount, RollupSales, RollupStock

    master = MasterAccount.objects.create(organization=org)
    children_with_sales(master)
    child = master.child_ids()[0]
    RollupStock.objects.create(master=master, child_id=child, sku="GONE1", name="Gone",
                               on_hand=5, on_order=0, refreshed_at=timezone.now())  # fmt: skip
    RollupSales.objects.create(master=master, child_id=child, sku="GONE1", date=FIRST_DAY,
                               quantity=2, retail_amount=3, demand=2, returned=0, unpriced=0,
                               refreshed_at=timezone.now())  # fmt: skip
    before = stored_rollups(master)
    expected = clean_rollups(master)
    assert len(expected[1]) == CHILDREN * PRODUCTS * DAYS

    first = workers.start()
    refresh_all_rollups.delay()  # what beat sends: a refresh job per master
    # Mid-way: the stock rollup is written (not committed), the sales one is being written.
    workers.kill_when(
        first,
        lambda: running("WITH fresh AS MATERIALIZED (SELECT l.organization_id"),
        "the refresh writing the sales rollup",
    )
    master.refresh_from_db()
    assert master.refreshed_at is None, "killed too late: the refresh committed"
    assert stored_rollups(master) == before  # nothing half-written

    workers.start()

    def rebuilt():  # the plan is rebuilt after the refresh, from the rollups it wrote
        master.refresh_from_db()
        return master.plan_computed_at and master.refreshed_at

    wait_for(rebuilt, every=0.2, what="the refresh and the plan rebuild after it")
    stock, sales = stored_rollups(master)
    assert ((child, "GONE1") in stock, (child, "GONE1", FIRST_DAY) in sales) == (False, False)
    assert stock == expected[0]
    assert sales == expected[1]
    assert master.plan_computed_at >= master.refreshed_at
    assert not plans.rebuild_pending(master)
