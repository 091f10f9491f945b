"""An import that wrote its rows says so whatever fails after its commit, and an import
whose worker died while writing is written by the job delivered again."""

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Store
from aggregation import plans
from aggregation.models import Connection, MasterAccount, RollupStock
from core.imports import service
from core.imports.registry import importer_for
from core.imports.signals import import_applied
from core.models import ImportBatch
from inventory.models import Stock
from tests.factories import ImportBatchFactory, OrganizationFactory, ProductFactory, StoreFactory


def import_stock(child, user, content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stock.csv"
        path.write_bytes(content)
        return service.import_file(
            organization=child, user=user, importer=importer_for("stock"), path=path
        )


@pytest.mark.django_db(transaction=True)  # the import's own transaction commits
def test_a_plan_rebuild_failing_after_commit_never_makes_an_import_say_nothing_was_written(
    org, owner, monkeypatch, caplog
):
    master = MasterAccount.objects.create(organization=org)
    child = OrganizationFactory(name="Heartland Online")
    Connection.objects.create(master=master, child=child, kind=Connection.Kind.ACCOUNT)
    StoreFactory(organization=child, number="1")
    ProductFactory(organization=child, sku="71053")

    def broken_rebuild(master, today=None):
        raise ValueError("on order must not be negative")

    monkeypatch.setattr(plans, "rebuild", broken_rebuild)

    first = import_stock(child, owner, b"store,sku,on_hand,on_order\n1,71053,3,0\n")
    second = import_stock(child, owner, b"store,sku,on_hand,on_order\n1,71053,5,0\n")

    for batch in (first, second):
        assert (batch.status, batch.message) == ("applied", ""), batch.message
    assert (first.created_count, second.updated_count) == (1, 1)
    assert Stock.objects.get(organization=child).on_hand == 5
    # The refresh itself ran; the rebuild after it failed and was logged.
    assert RollupStock.objects.get(master=master, child=child, sku="71053").on_hand == 5
    assert "on order must not be negative" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_any_work_run_on_the_imports_commit_that_fails_leaves_it_applied(org, caplog):
    def fragile_listener(sender, batch, rows, **kwargs):
        transaction.on_commit(lambda: 1 / 0)  # not robust: raises out of the commit

    import_applied.connect(fragile_listener)
    try:
        batch = ImportBatchFactory(organization=org, status="queued")
        service.apply_batch(batch.pk)
    finally:
        import_applied.disconnect(fragile_listener)

    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.message) == ("applied", 1, "")
    assert Store.objects.filter(organization=org, number="1").exists()
    assert "work after its commit failed" in caplog.text


@pytest.mark.django_db
def test_an_import_left_writing_by_a_dead_worker_is_written_by_the_job_delivered_again(org):
    lease = timedelta(seconds=django_settings.LONG_JOB_TIME_LIMIT)
    lost = ImportBatchFactory(
        organization=org, status="applying", started_at=timezone.now() - lease - timedelta(1)
    )
    from core.jobs import apply_import

    apply_import.delay(lost.pk)

    lost.refresh_from_db()
    assert (lost.status, lost.created_count) == ("applied", 1)
    assert lost.started_at > timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db
def test_an_import_being_written_is_left_to_its_worker(org):
    writing = ImportBatchFactory(
        organization=org, status="applying", started_at=timezone.now() - timedelta(minutes=1)
    )
    service.apply_batch(writing.pk)
    writing.refresh_from_db()
    assert writing.status == "applying" and not Store.objects.exists()


@pytest.mark.django_db
def test_an_import_over_its_time_limit_says_nothing_was_written(org, monkeypatch, settings):
    from celery.exceptions import SoftTimeLimitExceeded

    settings.LONG_JOB_SOFT_TIME_LIMIT = 1200

    def too_slow(*args):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(service, "_apply_rows", too_slow)
    batch = ImportBatchFactory(organization=org, status="queued")
    with pytest.raises(SoftTimeLimitExceeded):  # the job calling it is out of time too
        service.apply_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "took longer than 20 minutes" in batch.message and "nothing was written" in batch.message
