"""A load run whose worker died is taken over, re-queued or stopped, never left "Loading"
for good; pressing the button again never brings back a stuck run; plan rebuilds a lost
worker dropped are asked for again. Jobs run in-process here; tests/test_jobs_worker.py
kills a real worker."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from aggregation import connectors, loading, plans
from aggregation.jobs import load_all_connections, recover_stuck_runs
from aggregation.models import Connection, LoadRun, MasterAccount
from config.celery import app
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Jobs are queued on commit and a test's transaction never commits: this runs them
    when the block ends, as a worker would right after the commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def master(org):
    master = MasterAccount.objects.create(organization=org)
    for name in ("Prairie Grocers", "Heartland Online", "River Mart"):
        Connection.objects.create(
            master=master, child=OrganizationFactory(name=name), kind=Connection.Kind.ACCOUNT
        )
    return master


@pytest.fixture
def loads(monkeypatch):
    """The children loaded, in order (each load does nothing else)."""
    loaded = []
    monkeypatch.setattr(connectors, "load", lambda connection, user: loaded.append(connection.pk))
    return loaded


def lost_run(master, *, attempts=1, loaded=(), minutes_ago=None, worker="celery@gone"):
    """A run its worker claimed and then died in: RUNNING, its lease long past."""
    minutes_ago = minutes_ago or django_settings.LONG_JOB_TIME_LIMIT / 60 + 5
    return LoadRun.objects.create(
        master=master, total=4, status="running", attempts=attempts, done=len(loaded),
        loaded=list(loaded), claimed_by=worker,
        claimed_at=timezone.now() - timedelta(minutes=minutes_ago),
    )  # fmt: skip


def child_ids(master):
    return list(master.connections.order_by("pk").values_list("pk", flat=True))


def test_a_redelivered_job_takes_over_a_lost_run_and_resumes_it(master, loads):
    first, *rest = child_ids(master)
    run = lost_run(master, loaded=[first])

    load_all_connections.delay(run.pk)  # the broker gives the job back

    run.refresh_from_db()
    assert loads == rest  # the child loaded before the worker died is not loaded again
    assert (run.status, run.done, run.total, run.attempts) == ("done", 4, 4, 2)
    assert run.message == loading.RESTARTED and run.finished_at is not None


def test_a_job_delivered_twice_leaves_a_run_under_way_alone(master, loads):
    run = lost_run(master, minutes_ago=1)  # claimed a minute ago: its worker may be working

    load_all_connections.delay(run.pk)

    run.refresh_from_db()
    assert loads == [] and (run.status, run.attempts) == ("running", 1)


def test_a_worker_that_lost_its_claim_stops_writing(master, monkeypatch):
    run = LoadRun.objects.create(master=master, total=4)

    def taken_over(connection, user):
        # Meanwhile the run was given to another job (as after a lost lease).
        LoadRun.objects.filter(pk=run.pk).update(claimed_at=timezone.now() + timedelta(1))

    monkeypatch.setattr(connectors, "load", taken_over)
    load_all_connections.delay(run.pk)
    run.refresh_from_db()
    assert (run.status, run.done) == ("running", 0)  # left to the job that holds it


def test_pressing_load_again_re_queues_a_lost_run_instead_of_showing_it(
    owner_client, master, loads, committed
):
    run = lost_run(master)

    with committed():
        response = owner_client.post(reverse("aggregation:load"))
    assert response.url == run.get_absolute_url()  # the same run, queued again, not stuck

    run.refresh_from_db()
    assert LoadRun.objects.count() == 1 and run.status == "done" and len(loads) == 3
    page = owner_client.get(response.url).text
    assert "Done" in page and loading.RESTARTED in page


def test_pressing_load_again_after_the_last_attempt_starts_a_new_run(
    owner_client, master, loads, committed
):
    stuck = lost_run(master, attempts=loading.MAX_ATTEMPTS)

    with committed():
        owner_client.post(reverse("aggregation:load"))

    stuck.refresh_from_db()
    assert (stuck.status, stuck.message) == ("failed", loading.WORKER_LOST)
    new = LoadRun.objects.exclude(pk=stuck.pk).get()
    assert new.status == "done" and len(loads) == 3


def test_the_sweep_re_queues_lost_runs_and_the_run_ends_done(master, loads, committed):
    run = lost_run(master)

    with committed():
        swept = recover_stuck_runs.delay().get()
    assert swept == {"stopped": 0, "requeued": 1, "sent": 0, "plan_rebuilds": 0}

    run.refresh_from_db()
    assert (run.status, run.attempts, run.message) == ("done", 2, loading.RESTARTED)


def test_the_sweep_stops_a_run_lost_too_often_and_the_page_offers_to_load_again(
    owner_client, master, loads
):
    recent = lost_run(master, minutes_ago=1)  # a claim still valid: not touched
    run = lost_run(master, attempts=loading.MAX_ATTEMPTS, loaded=child_ids(master)[:1])

    assert recover_stuck_runs.delay().get()["stopped"] == 1

    run.refresh_from_db()
    recent.refresh_from_db()
    assert run.status == "failed" and recent.status == "running" and loads == []
    page = owner_client.get(run.get_absolute_url()).text
    assert "This load stopped: the worker was lost." in page
    assert "1 of 4 steps were done" in page
    assert "Load again</button>" in page
    assert 'hx-trigger="every 1s"' not in page  # the page stops polling
    assert "last load: stopped" in owner_client.get(reverse("aggregation:connections")).text


def test_a_run_no_worker_took_is_stopped_after_the_limit(master, settings, owner_client):
    settings.JOB_STUCK_AFTER_MINUTES = 30
    waiting = LoadRun.objects.create(
        master=master, total=4, queued_at=timezone.now() - timedelta(minutes=31)
    )
    fresh = LoadRun.objects.create(master=master, total=4)

    recover_stuck_runs.delay()

    waiting.refresh_from_db()
    fresh.refresh_from_db()
    assert (waiting.status, fresh.status) == ("failed", "queued")
    assert waiting.message == "This load stopped: no worker took it within 30 minutes."
    assert waiting.message in owner_client.get(waiting.get_absolute_url()).text


def test_a_worker_restarting_under_its_name_takes_back_its_runs_at_once(master, loads, committed):
    mine = lost_run(master, minutes_ago=1, worker="celery@shop-1")
    others = lost_run(master, minutes_ago=1, worker="celery@shop-2")

    with committed():
        assert loading.recover_after_restart("celery@shop-1") == (0, 1)

    mine.refresh_from_db()
    others.refresh_from_db()
    assert (mine.status, others.status) == ("done", "running")


def test_a_load_over_its_time_limit_stops_and_says_so(master, monkeypatch, settings):
    settings.LONG_JOB_SOFT_TIME_LIMIT = 1200

    def slow(self, connection, user):
        raise SoftTimeLimitExceeded  # in the middle of a child's import, say

    monkeypatch.setattr(connectors.AccountConnector, "load", slow)
    run = LoadRun.objects.create(master=master, total=4)
    load_all_connections.delay(run.pk)
    run.refresh_from_db()
    assert (run.status, run.message) == (
        "failed",
        "This load stopped: it took longer than 20 minutes.",
    )
    assert run.errors == {}  # not blamed on the child it was loading


def test_a_load_that_breaks_stops_instead_of_loading_forever(master, monkeypatch):
    def broken_refresh(master, **kwargs):
        raise RuntimeError("the rollup tables are gone")

    monkeypatch.setattr(loading.rollups, "refresh", broken_refresh)
    run = LoadRun.objects.create(master=master, total=4)
    load_all_connections.delay(run.pk)
    run.refresh_from_db()
    assert (run.status, run.message) == ("failed", loading.BROKE)


# -- Plan rebuilds ---------------------------------------------------------------------


def test_a_rebuild_dropped_by_a_lost_worker_is_asked_for_again(master, owner_client, committed):
    long_ago = timezone.now() - timedelta(seconds=django_settings.LONG_JOB_TIME_LIMIT + 60)
    MasterAccount.objects.filter(pk=master.pk).update(
        plan_requested_at=long_ago, plan_computed_at=long_ago - timedelta(hours=1)
    )
    assert "being recomputed" in owner_client.get(reverse("aggregation:plan")).text

    with committed():
        assert recover_stuck_runs.delay().get()["plan_rebuilds"] == 1

    master.refresh_from_db()
    assert master.plan_computed_at >= master.plan_requested_at > long_ago
    assert not plans.rebuild_pending(master)
    assert recover_stuck_runs.delay().get()["plan_rebuilds"] == 0  # nothing left to redo


def test_a_rebuild_asked_for_recently_or_that_failed_is_not_asked_for_again(
    master, monkeypatch, committed
):
    now = timezone.now()
    MasterAccount.objects.filter(pk=master.pk).update(plan_requested_at=now)
    assert plans.requeue_dropped_rebuilds(timedelta(minutes=20)) == 0  # its job may be running

    def broken(master, today=None):
        raise RuntimeError("bad rollup row")

    monkeypatch.setattr(plans, "rebuild", broken)
    with pytest.raises(RuntimeError), committed():
        plans.request_rebuild(master.pk)  # in-process, the failure reaches the caller
    master.refresh_from_db()
    assert master.plan_failed_at >= master.plan_requested_at
    assert plans.requeue_dropped_rebuilds(timedelta(0)) == 0  # it would only fail again


def test_settings_changes_record_their_rebuild_request(master, committed):
    from aggregation import services

    with committed():
        services.set_stock_pool(connection=master.connections.first(), pool="North warehouse")
        master.refresh_from_db()
        assert master.plan_requested_at and not master.plan_computed_at  # until the commit
    master.refresh_from_db()
    assert master.plan_requested_at and master.plan_computed_at >= master.plan_requested_at


class WorkerKilled(BaseException):
    """The worker dies (SIGKILL): no handler of the job runs."""


def test_a_refresh_whose_worker_died_before_its_plan_rebuild_leaves_the_rebuild_asked_for(
    master, monkeypatch, owner_client
):
    from aggregation.jobs import refresh_rollups
    from inventory.models import Stock
    from tests.factories import ProductFactory, StoreFactory

    child = master.connections.first().child
    Stock.objects.create(
        organization=child,
        store=StoreFactory(organization=child),
        product=ProductFactory(organization=child, sku="A-1"),
        on_hand=7,
    )

    def killed(master, today=None):
        raise WorkerKilled

    real_rebuild = plans.rebuild
    monkeypatch.setattr(plans, "rebuild", killed)
    with pytest.raises(WorkerKilled):
        refresh_rollups(master.pk)  # the refresh commits, then the worker dies
    master.refresh_from_db()
    assert master.refreshed_at and plans.rebuild_pending(master)
    assert master.plan_failed_at is None  # not a failure: the rebuild never ran
    assert "being recomputed" in owner_client.get(reverse("aggregation:plan")).text
    assert plans.requeue_dropped_rebuilds(timedelta(0)) == 1  # the sweep, after the lease

    # The job given back finds nothing to refresh and still rebuilds the plan.
    monkeypatch.setattr(plans, "rebuild", real_rebuild)
    assert refresh_rollups(master.pk)["stock_written"] == 0
    master.refresh_from_db()
    assert master.plan_computed_at >= master.plan_requested_at
    assert not plans.rebuild_pending(master)


# -- Queues and the schedule -----------------------------------------------------------


def test_every_job_has_its_queue_and_the_sweep_is_in_the_beat_schedule():
    app.loader.import_default_modules()  # every app's jobs.py, as a worker loads them
    ours = {name for name in app.tasks if name.split(".")[0] in ("core", "aggregation")}
    routed = {job for jobs in django_settings.JOB_QUEUES.values() for job in jobs}
    assert ours == routed, "route every job in JOB_QUEUES (config/settings.py)"
    assert django_settings.CELERY_TASK_ROUTES["core.send_outbox_email"] == {"queue": "emails"}
    assert django_settings.CELERY_TASK_ROUTES["core.apply_import"] == {"queue": "imports"}
    assert django_settings.CELERY_TASK_ROUTES["aggregation.load_all_connections"] == {
        "queue": "rollups"
    }
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"aggregation.recover_stuck_runs", "core.fail_stuck_imports"} <= scheduled


def test_long_jobs_have_long_limits_and_the_broker_waits_longer_than_they_run():
    app.loader.import_default_modules()
    for name in (
        "core.apply_import",
        "aggregation.load_all_connections",
        "aggregation.refresh_rollups",
        "aggregation.rebuild_plan",
    ):
        job = app.tasks[name]
        assert job.soft_time_limit == django_settings.LONG_JOB_SOFT_TIME_LIMIT, name
        assert job.time_limit == django_settings.LONG_JOB_TIME_LIMIT > job.soft_time_limit, name
    visibility = django_settings.BROKER_VISIBILITY_TIMEOUT
    assert visibility > django_settings.LONG_JOB_TIME_LIMIT
    assert visibility < django_settings.JOB_STUCK_AFTER_MINUTES * 60
    assert visibility < django_settings.IMPORT_STUCK_AFTER_MINUTES * 60


@pytest.mark.django_db(transaction=True)
def test_two_rebuilds_of_one_plan_at_once_end_with_one_plan(org, monkeypatch):
    import threading

    from django.db import connection

    from aggregation import rollups
    from aggregation.models import PlanRow
    from tests.factories import ProductFactory, StockFactory, StoreFactory

    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL, where row locks mean something")
    master = MasterAccount.objects.create(organization=org)
    child = OrganizationFactory(name="Heartland Online")
    Connection.objects.create(master=master, child=child, kind=Connection.Kind.ACCOUNT)
    store = StoreFactory(organization=child)
    for sku in ("71053", "85123A"):
        StockFactory(
            organization=child, store=store, product=ProductFactory(organization=child, sku=sku)
        )
    rollups.refresh(master)
    barrier = threading.Barrier(2)
    real_compute = plans.compute

    def compute_then_meet(master, today=None):
        computed = real_compute(master, today)
        barrier.wait()  # both write at once, as a duplicate delivery would
        return computed

    monkeypatch.setattr(plans, "compute", compute_then_meet)
    errors = []

    def rebuild():
        try:
            plans.rebuild(MasterAccount.objects.get(pk=master.pk))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=rebuild) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(PlanRow.objects.filter(master=master).values_list("item", flat=True)) == [
        "71053",
        "85123A",
    ]
