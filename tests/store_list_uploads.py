"""Uploading a CSV store list the way a user does: from the region's or partnership's page
to the import preview, then "Import" (or "Import the valid rows only") there."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import ImportBatch


def upload_store_list(client, url, data, *, confirm=True, version=None):
    """(the preview page, the batch or None when the file was refused). `version` is
    the region's or geography's as its page showed it."""
    before = ImportBatch.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    fields = {"file": SimpleUploadedFile("list.csv", data)}
    if version is not None:
        fields["version"] = version
    page = client.post(url, fields, follow=True)
    batch = ImportBatch.objects.filter(pk__gt=before).order_by("-pk").first()
    if confirm and batch is not None and batch.status == ImportBatch.Status.READY:
        mode = "valid_only" if batch.error_count else "all"
        client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": mode})
        batch.refresh_from_db()
    return page, batch
