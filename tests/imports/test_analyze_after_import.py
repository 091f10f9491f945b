"""A large import ANALYZEs the tables it wrote when they grew by a tenth since their last
ANALYZE: a table just filled is planned from real counts, and batches of updates, which
change no count the plans rest on, do not sample it again each time (autovacuum samples
their values). PostgreSQL only: SQLite has no planner statistics to keep."""

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


def test_updates_keep_the_statistics_and_a_fill_renews_them(org, monkeypatch):
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

    # Every one of the 300 rows updated: as many rows, joining the same stores and products.
    updates = [{"store": str(s), "sku": p.sku, "on_hand": 5} for s in (1, 2) for p in products]
    assert not analyzed_stock(send(updates))
    # 20 new rows for store 3: the table grew by a fifteenth, under a tenth.
    assert not analyzed_stock(
        send([{"store": "3", "sku": p.sku, "on_hand": 5} for p in products[:20]])
    )
    # 40 new rows at once: the table grew by more than a tenth.
    fill = [{"store": "3", "sku": p.sku, "on_hand": 5} for p in products[20:60]]
    assert analyzed_stock(send(fill))
    # Fewer rows than ANALYZE_AFTER_ROWS never analyze, however small the table.
    assert not analyzed_stock(send([{"store": "3", "sku": products[0].sku, "on_hand": 6}]))
