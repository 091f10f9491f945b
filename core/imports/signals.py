"""Signals other apps listen to, so accounts need not know them."""

from django.dispatch import Signal

# Sent inside the import's transaction once its rows are written:
# sender=the importer class, batch=ImportBatch, rows=[row dicts created or updated].
import_applied = Signal()
