"""Refreshing a master's rollups: set-based SQL, one transaction, one refresh per master
at a time.

    refresh(master)                          every child, every SKU
    refresh(master, child_ids=[c])           one child (after its load)
    refresh(master, child_ids=[c], skus=[...])  one child's SKUs (after a small import)

Each table is brought up to date with one INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO
UPDATE that writes only rows whose figures changed (IS DISTINCT FROM), and one DELETE of
rows whose source is gone. On PostgreSQL the two are one statement (STOCK_REFRESH,
SALES_REFRESH) that computes the children's figures once for both; elsewhere (SQLite) they
are two, and the DELETEs name the product first with CROSS JOIN, so SQLite looks rows up by
SKU, then by (organization, product, date), instead of scanning an organization's sales per
rollup row. The master's row is locked first (SELECT ... FOR UPDATE), so two refreshes of
one master run one after the other; readers see the old rollup until the transaction
commits, never half of a new one. Children that left the master are removed from its
rollups by every refresh."""

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

# PostgreSQL: the upsert and the delete of one table in one statement. `fresh` (the
# children's figures) is computed once and read by both; the DELETE sees the rollup as it
# was before the statement (one snapshot for all its parts), so it skips the rows the INSERT
# adds, and the two touch different rows (keys in `fresh`, keys not in it). As two
# statements, the DELETE read the children's rows a second time, and, planned with the
# statistics of a table the same transaction had just filled, probed them once per rollup
# row: over 5 minutes for a first refresh of 1,000,000 sales rows (bench/bench_rollup.py).
STOCK_REFRESH = """
WITH fresh AS MATERIALIZED (
    SELECT s.organization_id AS child_id, p.sku_normalized AS sku, MAX(p.name) AS name,
           SUM(s.on_hand) AS on_hand, SUM(s.on_order) AS on_order
    FROM inventory_stock s JOIN inventory_product p ON p.id = s.product_id
    WHERE {children} {skus}
    GROUP BY s.organization_id, p.sku_normalized
), written AS (
    INSERT INTO aggregation_rollupstock (master_id, child_id, sku, name, on_hand, on_order, refreshed_at)
    SELECT %s, child_id, sku, name, on_hand, on_order, %s FROM fresh
    ON CONFLICT (master_id, child_id, sku) DO UPDATE SET
        name = excluded.name, on_hand = excluded.on_hand, on_order = excluded.on_order,
        refreshed_at = excluded.refreshed_at
    WHERE aggregation_rollupstock.on_hand IS DISTINCT FROM excluded.on_hand
       OR aggregation_rollupstock.on_order IS DISTINCT FROM excluded.on_order
       OR aggregation_rollupstock.name IS DISTINCT FROM excluded.name
    RETURNING 1
), deleted AS (
    DELETE FROM aggregation_rollupstock r
    WHERE r.master_id = %s AND {rollup_children} {rollup_skus}
      AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.child_id = r.child_id AND f.sku = r.sku)
    RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM deleted)
"""

SALES_REFRESH = """
WITH fresh AS MATERIALIZED (
    SELECT l.organization_id AS child_id, p.sku_normalized AS sku, l.date,
           SUM(l.quantity) AS quantity, SUM(l.retail_amount) AS retail_amount
    FROM inventory_salesline l JOIN inventory_product p ON p.id = l.product_id
    WHERE {children} {skus}
    GROUP BY l.organization_id, p.sku_normalized, l.date
), written AS (
    INSERT INTO aggregation_rollupsales (master_id, child_id, sku, date, quantity, retail_amount, refreshed_at)
    SELECT %s, child_id, sku, date, quantity, retail_amount, %s FROM fresh
    ON CONFLICT (master_id, child_id, sku, date) DO UPDATE SET
        quantity = excluded.quantity, retail_amount = excluded.retail_amount,
        refreshed_at = excluded.refreshed_at
    WHERE aggregation_rollupsales.quantity IS DISTINCT FROM excluded.quantity
       OR aggregation_rollupsales.retail_amount IS DISTINCT FROM excluded.retail_amount
    RETURNING 1
), deleted AS (
    DELETE FROM aggregation_rollupsales r
    WHERE r.master_id = %s AND {rollup_children} {rollup_skus}
      AND NOT EXISTS (
        SELECT 1 FROM fresh f WHERE f.child_id = r.child_id AND f.sku = r.sku AND f.date = r.date)
    RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM deleted)
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
                if connection.vendor == "postgresql":
                    _refresh_tables_in_one_statement_each(
                        cursor, result, master.pk, now, targets, skus
                    )
                else:
                    _refresh_tables(cursor, result, master.pk, now, targets, skus)
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


def _refresh_tables(cursor, result, master_id, now, targets, skus):
    result.stock_written = _run(
        cursor, STOCK_UPSERT, [master_id, now], targets, skus, "s.organization_id"
    )
    result.stock_deleted = _run(
        cursor, STOCK_DELETE, [master_id], targets, skus, "child_id", sku_column="sku"
    )
    result.sales_written = _run(
        cursor, SALES_UPSERT, [master_id, now], targets, skus, "l.organization_id"
    )
    result.sales_deleted = _run(
        cursor, SALES_DELETE, [master_id], targets, skus, "child_id", sku_column="sku"
    )


def _refresh_tables_in_one_statement_each(cursor, result, master_id, now, targets, skus):
    result.stock_written, result.stock_deleted = _refresh_table(
        cursor, STOCK_REFRESH, master_id, now, targets, skus, "s.organization_id"
    )
    result.sales_written, result.sales_deleted = _refresh_table(
        cursor, SALES_REFRESH, master_id, now, targets, skus, "l.organization_id"
    )


def _refresh_table(cursor, template, master_id, now, children, skus, child_column):
    """Run a PostgreSQL *_REFRESH statement; return (rows written, rows deleted)."""
    params = []
    children_sql = _in(child_column, children, params)
    skus_sql = "" if skus is None else "AND " + _in("p.sku_normalized", skus, params)
    params += [master_id, now, master_id]
    rollup_children = _in("r.child_id", children, params)
    rollup_skus = "" if skus is None else "AND " + _in("r.sku", skus, params)
    sql = template.format(
        children=children_sql,
        skus=skus_sql,
        rollup_children=rollup_children,
        rollup_skus=rollup_skus,
    )
    cursor.execute(sql, params)
    written, deleted = cursor.fetchone()
    return written, deleted


def master_of(organization_id):
    """The master account an organization is a child of, or None."""
    return MasterAccount.objects.filter(connections__child_id=organization_id).first()
