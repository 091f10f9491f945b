import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Store
from core.imports.base import set_progress
from core.models import ImportBatch

pytestmark = pytest.mark.django_db

FILE = b"Store Number,Name\n" + b"".join(b"%d,Shop %d\n" % (i, i) for i in range(1, 31))


def test_a_large_file_is_imported_by_a_job_with_a_progress_bar(
    owner_client, org, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 10  # 30 rows: "large"
    owner_client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("s.csv", FILE)},
    )
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = owner_client.post(
            reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"}, follow=True
        )
    assert len(queued) == 1  # the job waits for the commit
    assert "Importing 30 rows in the background" in response.text
    assert 'hx-trigger="every 1s"' in response.text
    assert not Store.objects.exists()

    # The page polls a fragment that carries the bar.
    set_progress(batch.pk, 12, 30)
    fragment = owner_client.get(batch.get_absolute_url(), headers={"HX-Request": "true"})
    assert '<progress value="12" max="30">' in fragment.text
    assert "<html" not in fragment.text

    queued[0]()  # the worker runs the job
    done = owner_client.get(batch.get_absolute_url(), headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"
    page = owner_client.get(batch.get_absolute_url())
    assert "Result" in page.text
    assert Store.objects.for_org(org).count() == 30


def test_a_job_run_twice_imports_once(
    owner_client, org, settings, django_capture_on_commit_callbacks
):
    from core.jobs import apply_import

    settings.IMPORT_INLINE_MAX_ROWS = 10
    owner_client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("s.csv", FILE)},
    )
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"})
    apply_import(batch.pk)  # a retried delivery
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("applied", 30)
    assert Store.objects.for_org(org).count() == 30


def test_confirming_twice_is_refused(owner_client, org):
    owner_client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("s.csv", FILE)},
    )
    batch = ImportBatch.objects.get()
    owner_client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"})
    again = owner_client.post(
        reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"}, follow=True
    )
    assert "This file has already been imported." in again.text
    assert Store.objects.for_org(org).count() == 30


def test_history_lists_who_when_and_counts(owner_client, org, owner):
    owner_client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("mine.csv", FILE)},
    )
    page = owner_client.get(reverse("accounts:imports"))
    assert "mine.csv" in page.text and owner.email in page.text and "Ready to import" in page.text


def test_members_cannot_import(member_client):
    response = member_client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("s.csv", FILE)},
    )
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


def test_an_import_that_fails_mid_write_leaves_nothing_written(
    owner_client, org, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from core.imports import service, staging
    from tests.factories import StoreFactory

    StoreFactory(organization=org, number="1", name="Old name")
    before = list(Store.objects.for_org(org).values())
    settings.IMPORT_INLINE_MAX_ROWS = 10
    # 29 new stores and 1 update, written 10 at a time: by walking the file again (SQLite)
    # or from the rows the preview staged (PostgreSQL). It breaks after the second write.
    monkeypatch.setattr(service, "WRITE_CHUNK", 10)
    monkeypatch.setattr(staging, "MERGE_LINES", 10)
    real_progress = service.set_progress
    stored_when_it_broke = []

    def progress_then_break(batch_id, done, total):
        if done >= 20:
            stored_when_it_broke.append(Store.objects.for_org(org).count())
            raise RuntimeError("the database went away")
        real_progress(batch_id, done, total)

    monkeypatch.setattr(service, "set_progress", progress_then_break)
    owner_client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("s.csv", FILE)},
    )
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"})

    assert stored_when_it_broke[0] > 10  # two writes of stores were made before it broke...
    assert list(Store.objects.for_org(org).values()) == before  # ...and none of them stayed
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.applied_at) == ("failed", 0, None)
    page = owner_client.get(batch.get_absolute_url())
    assert "Nothing was imported." in page.text
    assert "The import failed on our side and nothing was written. Try again." in page.text
