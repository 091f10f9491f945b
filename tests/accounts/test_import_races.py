"""A stale request (new columns, a recount) racing a confirm never undoes the confirm."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Store
from core.imports import service
from core.imports.registry import importer_for
from core.models import ImportBatch

pytestmark = pytest.mark.django_db

FILE = b"Store Number,Name\n1,One\n2,Two\n"


@pytest.fixture
def batch(owner_client):
    owner_client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("s.csv", FILE)},
    )
    return ImportBatch.objects.get()


@pytest.fixture
def confirm_meanwhile(monkeypatch, owner):
    """While the stale request reads the file for its preview, someone confirms the import."""
    real = service.load_table

    def load_table(batch, importer):
        fresh = ImportBatch.objects.get(pk=batch.pk)
        if fresh.status == ImportBatch.Status.READY:
            service.confirm(batch=fresh, importer=importer, user=owner, valid_only=False)
        return real(batch, importer)

    monkeypatch.setattr(service, "load_table", load_table)


def assert_still_applied(batch, org):
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("applied", 2)
    assert Store.objects.for_org(org).count() == 2


@pytest.mark.parametrize("step", ["set_mapping", "refresh_preview"])
def test_a_stale_preview_cannot_put_a_confirmed_import_back_to_ready(
    batch, org, confirm_meanwhile, step
):
    stale = ImportBatch.objects.get(pk=batch.pk)  # read before the confirm
    importer = importer_for("stores")
    with pytest.raises(service.ImportRefused, match="already been started or cancelled"):
        if step == "set_mapping":
            service.set_mapping(batch=stale, importer=importer, mapping={"number": 0})
        else:
            service.refresh_preview(batch=stale, importer=importer)
    assert_still_applied(batch, org)
    assert stale.status == "applied"  # the caller sees the batch as it is now


def test_the_mapping_page_says_the_import_was_started_meanwhile(
    owner_client, batch, org, confirm_meanwhile
):
    response = owner_client.post(
        reverse("accounts:import_mapping", args=[batch.pk]), {"map_number": "0"}, follow=True
    )
    assert "This import has already been started or cancelled; nothing was changed." in (
        response.text
    )
    assert_still_applied(batch, org)
    # Confirming again is refused: the file is not imported twice.
    again = owner_client.post(
        reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"}, follow=True
    )
    assert "This file has already been imported." in again.text


def test_the_recount_says_the_import_was_started_meanwhile(
    owner_client, batch, org, confirm_meanwhile
):
    response = owner_client.post(reverse("accounts:import_refresh", args=[batch.pk]), follow=True)
    assert "This import has already been started or cancelled; nothing was changed." in (
        response.text
    )
    assert_still_applied(batch, org)
