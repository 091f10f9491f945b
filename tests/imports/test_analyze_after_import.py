"""A large import ANALYZEs the tables it wrote when they changed by a tenth since their last
ANALYZE (autovacuum's rule, which autovacuum applies later if at all): a table just filled
is planned from real counts, and a batch of updates to a big table does not sample it
again each time. PostgreSQL only: SQLite has no planner statistics to keep."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.imports import service
from core.imports.registry import importer_for
from core.imports.rows import import_rows
from inventory.models import Stock
from tests.factories import ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db


def analyzed_stock(send):
    with CaptureQueriesContext(connection) as queries:
        batch = send()
    assert batch.status == "applied", batch.message
    return any(q["sql"] == 'ANALYZE "inventory_stock"' for q in queries.captured_queries)


def test_updates_of_a_small_share_keep_the_statistics_and_a_fill_renews_them(org, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    monkeypatch.setattr(service, "ANALYZE_AFTER_ROWS", 10)
    stores = [StoreFactory(organization=org, number=str(n)) for n in (1, 2, 3)]
    products = [ProductFactory(organization=org, sku=f"AN-{n:03d}") for n in range(150)]
    Stock.objects.bulk_create(
        Stock(organization=org, store=store, product=product, on_hand=1)
        for store in stores[:2]
        for product in products
    )
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "inventory_stock"')  # 300 rows, nothing changed since

    def send(rows):
        return lambda: import_rows(
            organization=org, user=None, importer=importer_for("stock"), rows=rows, source="t"
        )

    # 20 of 300 rows changed: under a tenth, the statistics still hold.
    updates = [{"store": "1", "sku": p.sku, "on_hand": 5} for p in products[:20]]
    assert not analyzed_stock(send(updates))
    # 40 new rows for store 3: with the 20 before, a fifth of the table changed.
    fill = [{"store": "3", "sku": p.sku, "on_hand": 5} for p in products[:40]]
    assert analyzed_stock(send(fill))
    # Fewer rows than ANALYZE_AFTER_ROWS never analyze, however small the table.
    assert not analyzed_stock(send([{"store": "3", "sku": products[0].sku, "on_hand": 6}]))
