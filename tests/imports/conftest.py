"""The import pages as a user presses them: shared by the corpus and the staged-apply tests."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import ImportBatch

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture
def upload(owner_client):
    """Upload a corpus file (or given bytes) on the import page; the batch it made."""

    def run(kind, name, data=None, **fields):
        data = (CORPUS / name).read_bytes() if data is None else data
        response = owner_client.post(
            reverse("accounts:import_upload", args=[kind]),
            {"file": SimpleUploadedFile(name, data, content_type="text/csv"), **fields},
        )
        assert response.status_code == 302, response.content[:2000]
        return ImportBatch.objects.latest("pk")

    return run


@pytest.fixture
def confirm(owner_client, django_capture_on_commit_callbacks):
    """Press the import button; the batch afterwards and the page the user lands on."""

    def press(batch, mode="all"):
        with django_capture_on_commit_callbacks(execute=True):
            page = owner_client.post(
                reverse("accounts:import_confirm", args=[batch.pk]), {"mode": mode}, follow=True
            )
        batch.refresh_from_db()
        return page

    return press
