"""Refreshing a master's rollups: set-based SQL, one transaction, one refresh per master
at a time.

    refresh(master)                          every child, every SKU
    refresh(master, child_ids=[c])           one child (after its load)
    refresh(master, child_ids=[c], skus=[...])  one child's SKUs (after a small import)

Each table is brought up to date with one INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO
UPDATE that writes only rows whose figures changed (IS DISTINCT FROM), and one DELETE of
rows whose source is gone. On PostgreSQL the two are one statement per table that computes
the children's figures once for both; on SQLite they are two. Each table (STOCK, SALES) is
described once, as a Rollup, and its statements are built from that.

The master's row is locked first (SELECT ... FOR UPDATE), so two refreshes of one master
run one after the other; readers see the old rollup until the transaction commits, never
half of a new one. Children that left the master are removed from its rollups by every
refresh."""

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


@dataclass(frozen=True)
class Rollup:
    """One rollup table, described once; its statements are built from this."""

    table: str
    source: str  # the children's rows, with its alias: "inventory_stock s"
    keys: tuple  # key columns besides master, child and SKU, named alike in both tables
    values: dict  # rollup column -> aggregate over the source rows

    @property
    def alias(self):
        return self.source.split()[-1]

    def fresh(self):
        """The children's figures: child_id, sku, keys, values."""
        keys = "".join(f", {self.alias}.{key}" for key in self.keys)
        values = ", ".join(
            f"{expression} AS {column}" for column, expression in self.values.items()
        )
        return (
            f"SELECT {self.alias}.organization_id AS child_id, p.sku_normalized AS sku{keys}, {values}\n"
            f"FROM {self.source} JOIN inventory_product p ON p.id = {self.alias}.product_id\n"
            f"WHERE {{children}} {{skus}}\n"
            f"GROUP BY {self.alias}.organization_id, p.sku_normalized{keys}"
        )

    def upsert(self, rows):
        """Write `rows` (a subquery or CTE of fresh()); only rows whose figures changed."""
        columns = ", ".join(["child_id", "sku", *self.keys, *self.values])
        conflict = ", ".join(["master_id", "child_id", "sku", *self.keys])
        updates = ", ".join(f"{column} = excluded.{column}" for column in self.values)
        changed = " OR ".join(
            f"{self.table}.{column} IS DISTINCT FROM excluded.{column}" for column in self.values
        )
        return (
            f"INSERT INTO {self.table} (master_id, {columns}, refreshed_at)\n"
            f"SELECT %s, {columns}, %s FROM {rows} WHERE true\n"  # WHERE: SQLite's upsert needs one
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}, refreshed_at = excluded.refreshed_at\n"
            f"WHERE {changed}"
        )

    def delete_stale(self):
        """SQLite: one DELETE of rows whose source is gone. It names the product first with
        CROSS JOIN, so SQLite looks rows up by SKU, then by (organization, product, ...),
        instead of scanning an organization's rows once per rollup row."""
        keys = "".join(f" AND {self.alias}.{key} = {self.table}.{key}" for key in self.keys)
        return (
            f"DELETE FROM {self.table} WHERE master_id = %s AND {{children}} {{skus}}\n"  # noqa: S608 (identifiers are constants; values are parameters)
            f"AND NOT EXISTS (SELECT 1 FROM inventory_product p CROSS JOIN {self.source}\n"
            f"  WHERE {self.alias}.product_id = p.id AND p.sku_normalized = {self.table}.sku\n"
            f"    AND {self.alias}.organization_id = {self.table}.child_id{keys})"
        )

    def insert_all(self):
        """PostgreSQL: the children's figures into a rollup that has none of their rows."""
        columns = ", ".join(["child_id", "sku", *self.keys, *self.values])
        return (
            f"INSERT INTO {self.table} (master_id, {columns}, refreshed_at)\n"
            f"SELECT %s, {columns}, %s FROM ({self.fresh()}) AS fresh"
        )

    def refresh_in_one_statement(self):
        """PostgreSQL: one statement per table whose every step is a set operation, so its
        plan cannot turn quadratic whatever the statistics say (a table filled in bulk by
        the same transaction has none yet; autovacuum has not run).

        `fresh` (the children's figures) and `current` (the rollup's rows) are each read
        once. `fresh EXCEPT current` is what is new or changed, and only that is upserted:
        a refresh with nothing to do writes nothing and locks nothing. The stale rows are
        the keys found in `current` alone: one grouping of both sets' keys, which keeps
        the rollup row's id; they are deleted by id, from an array worked out once. EXCEPT
        and GROUP BY are hashed or sorted set operations, never a loop per row.

        Two plans this replaced went quadratic on wrong statistics: a NOT EXISTS anti-join
        (73 s per refresh of the demo master, writing nothing), and a DELETE ... USING the
        stale keys, planned as a nested loop over the rollup's rows that walked the whole
        hashed EXCEPT again for each of them (a full refresh after 1M rollup rows were
        written without ANALYZE did not finish in 4 minutes)."""
        columns = ", ".join(["child_id", "sku", *self.keys, *self.values])
        keys = ", ".join(["child_id", "sku", *self.keys])
        return (
            f"WITH fresh AS MATERIALIZED ({self.fresh()}),\n"  # noqa: S608 (identifiers are constants; values are parameters)
            f"current AS MATERIALIZED (SELECT r.id, {columns} FROM {self.table} r\n"
            f"  WHERE r.master_id = %s AND {{rollup_children}} {{rollup_skus}}),\n"
            f"changed AS (SELECT {columns} FROM fresh EXCEPT SELECT {columns} FROM current),\n"
            f"stale AS (SELECT max(id) AS id FROM (SELECT id, {keys} FROM current\n"
            f"  UNION ALL SELECT NULL::bigint, {keys} FROM fresh) AS keyed\n"
            f"  GROUP BY {keys} HAVING count(*) = count(id)),\n"  # in `current` alone
            f"written AS ({self.upsert('changed')} RETURNING 1),\n"
            f"deleted AS (DELETE FROM {self.table} r\n"
            f"  WHERE r.id = ANY(ARRAY(SELECT id FROM stale)) RETURNING 1)\n"
            f"SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM deleted)"
        )


STOCK = Rollup(
    table="aggregation_rollupstock",
    source="inventory_stock s",
    keys=(),
    values={"name": "MAX(p.name)", "on_hand": "SUM(s.on_hand)", "on_order": "SUM(s.on_order)"},
)
# Demand cleansing: which sales lines are demand. Every line stays in `quantity` and
# `retail_amount` (sales reporting); demand counts only units sold at a price. The rules,
# in order, and the rollup column that counts the units each removed:
#   returned  a negative quantity: a return or a cancelled order line
#   unpriced  a zero (or negative) amount: stock adjustments booked as sales ("found",
#             "CHECK", "???"), free samples, replacements
# Fees and adjustment codes (postage, discounts, manual lines: inventory/imports.py
# NON_PRODUCT_CODES) never become products, so they are not in the rollup at all.
DEMAND_RULES = {
    "demand": "SUM(CASE WHEN l.quantity > 0 AND l.retail_amount > 0 THEN l.quantity ELSE 0 END)",
    "returned": "SUM(CASE WHEN l.quantity < 0 THEN -l.quantity ELSE 0 END)",
    "unpriced": "SUM(CASE WHEN l.quantity > 0 AND l.retail_amount <= 0 THEN l.quantity ELSE 0 END)",
}
SALES = Rollup(
    table="aggregation_rollupsales",
    source="inventory_salesline l",
    keys=("date",),
    values={"quantity": "SUM(l.quantity)", "retail_amount": "SUM(l.retail_amount)", **DEMAND_RULES},
)

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
    """SQLite: an upsert and a delete per table."""
    for rollup, written, deleted in ((STOCK, "stock_written", "stock_deleted"),
                                     (SALES, "sales_written", "sales_deleted")):  # fmt: skip
        upsert = rollup.upsert(f"({rollup.fresh()}) AS fresh")
        setattr(
            result,
            written,
            _run(
                cursor, upsert, [master_id, now], targets, skus, f"{rollup.alias}.organization_id"
            ),
        )
        setattr(
            result,
            deleted,
            _run(cursor, rollup.delete_stale(), [master_id], targets, skus, "child_id", "sku"),
        )


def _refresh_tables_in_one_statement_each(cursor, result, master_id, now, targets, skus):
    result.stock_written, result.stock_deleted = _refresh_table(
        cursor, STOCK, master_id, now, targets, skus
    )
    result.sales_written, result.sales_deleted = _refresh_table(
        cursor, SALES, master_id, now, targets, skus
    )


def _refresh_table(cursor, rollup, master_id, now, children, skus):
    """Run one table's PostgreSQL refresh statement; return (rows written, rows deleted).

    When the rollup has no row yet for these children (and SKUs), a first load or a newly
    connected child, every fresh row is new and nothing is stale: a plain INSERT ... SELECT
    writes the same rows without the comparison with the (empty) current rows and without
    ON CONFLICT's check of every row against the unique index. The master's row lock keeps
    any other refresh of this master from writing in between."""
    params, checked = [master_id], [master_id]
    rollup_children = _in("r.child_id", children, checked)
    rollup_skus = "" if skus is None else "AND " + _in("r.sku", skus, checked)
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {rollup.table} r "  # noqa: S608 (identifiers are constants; values are parameters)
        f"WHERE r.master_id = %s AND {rollup_children} {rollup_skus})",
        checked,
    )
    if not cursor.fetchone()[0]:
        params.append(now)
        children_sql = _in(f"{rollup.alias}.organization_id", children, params)
        skus_sql = "" if skus is None else "AND " + _in("p.sku_normalized", skus, params)
        cursor.execute(rollup.insert_all().format(children=children_sql, skus=skus_sql), params)
        written, deleted = max(cursor.rowcount, 0), 0
    else:
        params = []
        children_sql = _in(f"{rollup.alias}.organization_id", children, params)
        skus_sql = "" if skus is None else "AND " + _in("p.sku_normalized", skus, params)
        params += checked
        params += [master_id, now]
        sql = rollup.refresh_in_one_statement().format(
            children=children_sql,
            skus=skus_sql,
            rollup_children=rollup_children,
            rollup_skus=rollup_skus,
        )
        cursor.execute(sql, params)
        written, deleted = cursor.fetchone()
    if written + deleted >= ANALYZE_AFTER_ROWS:
        # Fresh statistics for the plan and the pages that read the rollup; autovacuum
        # would take them only after this transaction, if it runs at all.
        cursor.execute(f"ANALYZE {rollup.table}")
    return written, deleted


ANALYZE_AFTER_ROWS = 5000


def master_of(organization_id):
    """The master account an organization is a child of, or None."""
    return MasterAccount.objects.filter(connections__child_id=organization_id).first()
