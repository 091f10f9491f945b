"""Refreshing a master's rollups: set-based SQL, one transaction, one refresh per master
at a time.

    refresh(master)                          every child, every SKU
    refresh(master, child_ids=[c])           one child (after its load)
    refresh(master, child_ids=[c], skus=[...])  one child's SKUs (after a small import)

(The DELETEs name the product first with CROSS JOIN: SQLite then looks rows up by SKU, then
by (organization, product, date), instead of scanning an organization's sales per rollup
row; PostgreSQL plans it as the same anti-join either way.)

Each table is brought up to date with one INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO
UPDATE that writes only rows whose figures changed (IS DISTINCT FROM), then one DELETE of
rows whose source is gone. The master's row is locked first (SELECT ... FOR UPDATE), so two
refreshes of one master run one after the other; readers see the old rollup until the
transaction commits, never half of a new one. Children that left the master are removed
from its rollups by every refresh."""

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from aggregation.models import MasterAccount, RollupSales, RollupStock, StockoutDay


@dataclass
class RefreshResult:
    stock_written: int = 0
    stock_deleted: int = 0
    sales_written: int = 0
    sales_deleted: int = 0
    children_removed: int = 0
    seconds: float = 0.0


def _in(column, values, params):
    """`column IN (...)`: one array parameter on PostgreSQL, placeholders elsewhere."""
    values = list(values)
    if connection.vendor == "postgresql":
        params.append(values)
        return f"{column} = ANY(%s)"
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values)) or 'NULL'})"


STOCK_UPSERT = """
INSERT INTO aggregation_rollupstock (master_id, child_id, sku, name, on_hand, on_order, refreshed_at)
SELECT %s, s.organization_id, p.sku_normalized, MAX(p.name), SUM(s.on_hand), SUM(s.on_order), %s
FROM inventory_stock s JOIN inventory_product p ON p.id = s.product_id
WHERE {children} {skus}
GROUP BY s.organization_id, p.sku_normalized
ON CONFLICT (master_id, child_id, sku) DO UPDATE SET
    name = excluded.name, on_hand = excluded.on_hand, on_order = excluded.on_order,
    refreshed_at = excluded.refreshed_at
WHERE aggregation_rollupstock.on_hand IS DISTINCT FROM excluded.on_hand
   OR aggregation_rollupstock.on_order IS DISTINCT FROM excluded.on_order
   OR aggregation_rollupstock.name IS DISTINCT FROM excluded.name
"""

STOCK_DELETE = """
DELETE FROM aggregation_rollupstock
WHERE master_id = %s AND {children} {skus}
  AND NOT EXISTS (
    SELECT 1 FROM inventory_product p CROSS JOIN inventory_stock s
    WHERE s.product_id = p.id
      AND p.sku_normalized = aggregation_rollupstock.sku
      AND s.organization_id = aggregation_rollupstock.child_id)
"""

SALES_UPSERT = """
INSERT INTO aggregation_rollupsales (master_id, child_id, sku, date, quantity, retail_amount, refreshed_at)
SELECT %s, l.organization_id, p.sku_normalized, l.date, SUM(l.quantity), SUM(l.retail_amount), %s
FROM inventory_salesline l JOIN inventory_product p ON p.id = l.product_id
WHERE {children} {skus}
GROUP BY l.organization_id, p.sku_normalized, l.date
ON CONFLICT (master_id, child_id, sku, date) DO UPDATE SET
    quantity = excluded.quantity, retail_amount = excluded.retail_amount,
    refreshed_at = excluded.refreshed_at
WHERE aggregation_rollupsales.quantity IS DISTINCT FROM excluded.quantity
   OR aggregation_rollupsales.retail_amount IS DISTINCT FROM excluded.retail_amount
"""

SALES_DELETE = """
DELETE FROM aggregation_rollupsales
WHERE master_id = %s AND {children} {skus}
  AND NOT EXISTS (
    SELECT 1 FROM inventory_product p CROSS JOIN inventory_salesline l
    WHERE l.product_id = p.id
      AND p.sku_normalized = aggregation_rollupsales.sku
      AND l.organization_id = aggregation_rollupsales.child_id
      AND l.date = aggregation_rollupsales.date)
"""

STOCKOUTS = """
INSERT INTO aggregation_stockoutday (master_id, child_id, sku, date)
SELECT master_id, child_id, sku, %s FROM aggregation_rollupstock
WHERE master_id = %s AND on_hand <= 0 AND {children} {skus}
ON CONFLICT (master_id, child_id, sku, date) DO NOTHING
"""


def refresh(master: MasterAccount, *, child_ids=None, skus=None) -> RefreshResult:
    started = time.perf_counter()
    result = RefreshResult()
    now = timezone.now()
    with transaction.atomic():
        # One refresh per master at a time: the second waits here for the first to commit.
        master = MasterAccount.objects.select_for_update().get(pk=master.pk)
        current = master.child_ids()
        for model in (RollupStock, RollupSales, StockoutDay):
            removed, _ = model.objects.filter(master=master).exclude(child_id__in=current).delete()
            result.children_removed += removed
        targets = current if child_ids is None else [c for c in child_ids if c in current]
        if targets:
            with connection.cursor() as cursor:
                result.stock_written = _run(
                    cursor, STOCK_UPSERT, [master.pk, now], targets, skus, "s.organization_id"
                )
                result.stock_deleted = _run(
                    cursor, STOCK_DELETE, [master.pk], targets, skus, "child_id", sku_column="sku"
                )
                result.sales_written = _run(
                    cursor, SALES_UPSERT, [master.pk, now], targets, skus, "l.organization_id"
                )
                result.sales_deleted = _run(
                    cursor, SALES_DELETE, [master.pk], targets, skus, "child_id", sku_column="sku"
                )
                _run(
                    cursor,
                    STOCKOUTS,
                    [timezone.localdate(), master.pk],
                    targets,
                    skus,
                    "child_id",
                    sku_column="sku",
                )
        MasterAccount.objects.filter(pk=master.pk).update(refreshed_at=now)
    result.seconds = time.perf_counter() - started
    return result


def _run(cursor, template, params, children, skus, child_column, sku_column="p.sku_normalized"):
    params = list(params)
    children_sql = _in(child_column, children, params)
    skus_sql = ""
    if skus is not None:
        skus_sql = "AND " + _in(sku_column, skus, params)
    cursor.execute(template.format(children=children_sql, skus=skus_sql), params)
    return max(cursor.rowcount, 0)


def master_of(organization_id):
    """The master account an organization is a child of, or None."""
    return MasterAccount.objects.filter(connections__child_id=organization_id).first()
