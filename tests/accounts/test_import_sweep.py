"""Imports stuck queued or writing (a lost job, a dead worker) are failed by a sweep, and
the import page says so instead of "Importing…" forever."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Store
from config.celery import app
from core.imports import service
from core.jobs import fail_stuck_imports
from core.models import ImportBatch
from tests.factories import ImportBatchFactory

pytestmark = pytest.mark.django_db

STOPPED = "The import had not finished after 30 minutes, so it was stopped."


def started(org, status, minutes_ago):
    return ImportBatchFactory(
        organization=org,
        status=status,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_imports_stuck_for_longer_than_the_setting_are_failed(org, owner_client):
    queued = started(org, "queued", 31)
    applying = started(org, "applying", 45)
    recent = started(org, "applying", 5)
    ready = started(org, "ready", 600)  # waiting for the user's confirm is not stuck
    applied = started(org, "applied", 600)

    assert fail_stuck_imports() == 2

    for batch in (queued, applying, recent, ready, applied):
        batch.refresh_from_db()
    assert (queued.status, applying.status) == ("failed", "failed")
    assert STOPPED in queued.message and "Upload the file again" in queued.message
    assert (recent.status, ready.status, applied.status) == ("applying", "ready", "applied")
    page = owner_client.get(applying.get_absolute_url())
    assert "Nothing was imported." in page.text and STOPPED in page.text
    assert 'hx-trigger="every 1s"' not in page.text  # the page stops polling


def test_the_limit_is_a_setting(org, settings):
    settings.IMPORT_STUCK_AFTER_MINUTES = 120
    batch = started(org, "applying", 45)
    assert fail_stuck_imports() == 0
    batch.refresh_from_db()
    assert batch.status == "applying"
    settings.IMPORT_STUCK_AFTER_MINUTES = 10
    assert fail_stuck_imports() == 1
    batch.refresh_from_db()
    assert "after 10 minutes" in batch.message


def test_a_lost_job_delivered_after_the_sweep_imports_nothing(
    owner_client, org, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 0  # through a job
    owner_client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile("s.csv", b"Store Number,Name\n1,One\n")},
    )
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        owner_client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"})
    batch.refresh_from_db()
    assert batch.status == "queued" and batch.started_at is not None
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=batch.started_at - timedelta(hours=1))
    assert fail_stuck_imports() == 1
    queued[0]()  # the job finally arrives
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert not Store.objects.exists()


def test_the_sweep_is_in_the_beat_schedule():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "core.fail_stuck_imports" in tasks
    assert "core.fail_stuck_imports" in app.tasks


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_finishes_after_the_sweep_failed_it_writes_nothing(
    org, monkeypatch, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL, where it means something")
    batch = ImportBatchFactory(
        organization=org,
        status="queued",
        file=SimpleUploadedFile("s.csv", b"Store Number,Name\n1,One\n2,Two\n"),
    )
    real_write = service._apply_rows

    def slow_write(*args):
        counts = real_write(*args)
        # Meanwhile, on another connection, the sweep finds the import stuck.
        settings.IMPORT_STUCK_AFTER_MINUTES = 0

        def sweep():
            try:
                ImportBatch.objects.filter(pk=batch.pk).update(
                    started_at=timezone.now() - timedelta(minutes=1)
                )
                fail_stuck_imports()
            finally:
                connection.close()

        thread = threading.Thread(target=sweep)
        thread.start()
        thread.join()
        return counts

    monkeypatch.setattr(service, "_apply_rows", slow_write)
    service.apply_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "failed" and "had not finished" in batch.message
    assert not Store.objects.exists()  # the rows written were rolled back
