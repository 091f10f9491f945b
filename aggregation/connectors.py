"""Where a child account's data comes from. A connector loads a child from its source;
"Load data from all connections" calls each child's connector, then refreshes the rollups.

    CsvConnector          the files uploaded with the connection, through the import machinery
    AccountConnector      an account already on Shelfshare: its data is already there
    ShopifyConnector      a Shopify shop's Admin GraphQL API (aggregation/shopify.py)
    WooCommerceConnector  a WooCommerce shop's REST API (aggregation/woocommerce.py)

Other inventory-system and e-commerce connectors plug in here: a class with `kind` and
`load(connection, user)`, registered in CONNECTORS."""

import logging
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from aggregation.credentials import Unreadable
from aggregation.models import Connection, SourceFile
from aggregation.shopify import ShopifyReader
from aggregation.sources import LoadFailed
from aggregation.woocommerce import WooCommerceReader
from core.imports.registry import importer_for
from core.imports.rows import RowsRejected, import_rows
from core.imports.service import import_file
from core.models import ImportBatch

log = logging.getLogger(__name__)

# An incremental load asks for what changed since the last one's start, less this: a record
# saved while that load was reading may carry a time just before its start.
SYNC_OVERLAP = timedelta(minutes=5)
BATCH_ROWS = 5_000  # rows per import: each is one transaction and one ImportBatch


class Connector:
    kind = ""

    def load(self, connection: Connection, user) -> str:
        """Bring the child's data up to date; return a one-line summary or raise LoadFailed."""
        raise NotImplementedError


class CsvConnector(Connector):
    kind = Connection.Kind.CSV

    def load(self, connection, user):
        files = {f.kind: f for f in connection.files.all()}
        if not files:
            raise LoadFailed("No files are attached to this connection.")
        summary = []
        for kind in SourceFile.ORDER:
            source = files.get(kind)
            if source is None:
                continue
            try:
                path = source.file.path
            except (ValueError, NotImplementedError) as error:
                raise LoadFailed(
                    f"{source.original_name}: the file is missing ({error})."
                ) from error
            try:
                batch = import_file(
                    organization=connection.child, user=user, importer=importer_for(kind), path=_existing(path, source),
                    valid_only=True, options={"default_store": "1"} if kind == "sales" else None,
                )  # fmt: skip
            except OSError as error:
                raise LoadFailed(f"{source.original_name}: {error.strerror or error}.") from error
            if batch.status != ImportBatch.Status.APPLIED:
                reason = batch.message or "; ".join(e.get("message", "") for e in batch.errors[:3])
                raise LoadFailed(
                    f"{source.original_name} ({kind}): {reason or 'the import failed'}"
                )
            summary.append(f"{kind} {batch.created_count} new, {batch.updated_count} updated")
        return "; ".join(summary)


def _existing(path, source):
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise LoadFailed(f"{source.original_name}: the stored file is missing; upload it again.")
    return path


class AccountConnector(Connector):
    kind = Connection.Kind.ACCOUNT

    def load(self, connection, user):
        return "an account on Shelfshare: its own imports keep it up to date"


class ShopConnector(Connector):
    """A shop read over its API: its stores, products, stock and sales, in that order, go
    through the importers' own rules (core.imports.rows, valid rows only: a product
    without a SKU is skipped and counted, not a failed load). A load that ends well
    records the shop's time at its start (synced_until); the next asks only for what
    changed since. One that fails records nothing, so the next reads that span again:
    the rows are keyed (SKU, store and SKU, order and line), so reading twice is harmless."""

    reader = None
    KINDS = ("stores", "products", "stock", "sales")

    def __init__(self, sleep=time.sleep):
        self.sleep = sleep  # injectable: the tests count the waits instead of waiting

    def load(self, connection, user):
        since = connection.synced_until - SYNC_OVERLAP if connection.synced_until else None
        try:
            reader = self.reader(connection, since=since, sleep=self.sleep)
        except Unreadable:
            raise LoadFailed(
                "The saved credentials can no longer be read (the server's encryption key "
                "changed): enter them again on the connection."
            ) from None
        started_at = reader.open()
        counts = {
            kind: _write(connection, user, kind, getattr(reader, kind)()) for kind in self.KINDS
        }
        Connection.objects.filter(pk=connection.pk).update(synced_until=started_at)
        return _summary(counts, since)


class ShopifyConnector(ShopConnector):
    kind = Connection.Kind.SHOPIFY
    reader = ShopifyReader


class WooCommerceConnector(ShopConnector):
    kind = Connection.Kind.WOOCOMMERCE
    reader = WooCommerceReader


def _write(connection, user, kind, rows) -> dict:
    """Write `rows` through the `kind` importer, BATCH_ROWS at a time; returns the counts."""
    counts = {"created": 0, "updated": 0, "skipped": 0}
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_ROWS:
            _add(counts, _import(connection, user, kind, batch))
            batch = []
    if batch:
        _add(counts, _import(connection, user, kind, batch))
    return counts


def _import(connection, user, kind, rows) -> ImportBatch:
    try:
        return import_rows(
            organization=connection.child, user=user, importer=importer_for(kind), rows=rows,
            source=f"{connection.get_kind_display()} {kind}", valid_only=True,
        )  # fmt: skip
    except RowsRejected as refused:
        raise LoadFailed(f"{kind}: {refused.message}") from refused


def _add(counts, batch):
    counts["created"] += batch.created_count
    counts["updated"] += batch.updated_count
    counts["skipped"] += batch.skipped_count


SAID = {"created": "new", "updated": "updated", "skipped": "skipped"}


def _summary(counts, since) -> str:
    """One line for the connections page: "Everything: stores 5 new; products 16 new,
    1 skipped; …", the skipped rows being on the account's Imports page."""
    parts = []
    for kind, count in counts.items():
        said = [f"{count[key]} {word}" for key, word in SAID.items() if count[key]]
        parts.append(f"{kind} {', '.join(said) or 'unchanged'}")
    text = f"{'Changes since the last load' if since else 'Everything'}: {'; '.join(parts)}."
    if any(count["skipped"] for count in counts.values()):
        text += " Skipped rows are listed on the account's Imports page."
    return text


CONNECTORS = {
    c.kind: c() for c in (CsvConnector, AccountConnector, ShopifyConnector, WooCommerceConnector)
}


def load(connection, user):
    """Load one child; record success or the error on the connection."""
    try:
        summary = CONNECTORS[connection.kind].load(connection, user)
    except LoadFailed as error:
        Connection.objects.filter(pk=connection.pk).update(
            last_error=str(error), last_error_at=timezone.now()
        )
        raise
    except SoftTimeLimitExceeded:
        raise  # the whole load is out of time: not this child's error
    except Exception as error:
        # Ours, not the source's: the page says so, the log says what (the run goes on).
        log.exception("loading connection %s (%s) failed", connection.pk, connection.kind)
        message = f"The load failed on our side: {type(error).__name__}."
        Connection.objects.filter(pk=connection.pk).update(
            last_error=message, last_error_at=timezone.now()
        )
        raise LoadFailed(message) from error
    Connection.objects.filter(pk=connection.pk).update(
        last_loaded_at=timezone.now(), last_error="", last_load_summary=summary[:500]
    )
    return summary
