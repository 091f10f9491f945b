"""After a child's import, refresh its master's rollups for what the import changed."""

from functools import partial

from django.db import transaction

from core.queue import enqueue
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
    # Robust: the import has committed by then, so a refresh (or the plan rebuild after it)
    # that fails is logged and never reported as the import's failure; a broker that is
    # down fails nothing either (core/queue.py).
    transaction.on_commit(
        partial(enqueue, refresh_rollups, master.pk, child_ids=[batch.organization_id], skus=skus),
        robust=True,
    )
