"""After a child's import, refresh its master's rollups for what the import changed."""

from core.queue import enqueue_on_commit
from inventory.models import Product, normalize_sku

ROLLED_UP = {"products", "stock", "sales"}


def changed_skus(rows):
    """Normalized SKUs the rows touch, or None when a row does not say (refresh the child)."""
    skus, product_ids = set(), set()
    for row in rows:
        if "product_id" in row:
            product_ids.add(row["product_id"])
        elif "sku" in row:
            skus.add(normalize_sku(row["sku"]))
        else:
            return None
    if product_ids:
        skus |= set(
            Product.objects.filter(pk__in=product_ids).values_list("sku_normalized", flat=True)
        )
    return sorted(skus)


def refresh_after_import(sender, batch, rows, **kwargs):
    from aggregation.jobs import refresh_rollups
    from aggregation.rollups import master_of

    if batch.kind not in ROLLED_UP or not rows:
        return
    master = master_of(batch.organization_id)
    if master is None:
        return
    skus = changed_skus(rows)
    enqueue_on_commit(refresh_rollups, master.pk, child_ids=[batch.organization_id], skus=skus)
