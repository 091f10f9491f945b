"""Background work of master accounts: rollup refreshes, "Load data from all
connections" and plan rebuilds, on the `rollups` queue (config/settings.py JOB_QUEUES).

Each is safe to run twice. A refresh and a rebuild compute everything again from the
children's rows, so a second run writes nothing new; a load run is claimed conditionally
and taken over only once its worker is known lost (aggregation/loading.py). The long ones
have the long time limits, which the broker's visibility timeout and the sweeps follow."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from aggregation import loading, plans, rollups
from aggregation.models import MasterAccount

log = logging.getLogger(__name__)

LONG = {
    "soft_time_limit": settings.LONG_JOB_SOFT_TIME_LIMIT,
    "time_limit": settings.LONG_JOB_TIME_LIMIT,
}


@shared_task(name="aggregation.refresh_rollups", acks_late=True, **LONG)
def refresh_rollups(master_id: int, child_ids=None, skus=None) -> dict:
    """Refresh the master's rollups, then rebuild its plan if they changed.

    A refresh that changes the rollups records that the plan needs a rebuild
    (plan_requested_at) in its own transaction, so a worker killed after the refresh's
    commit but before the rebuild ended leaves a request the sweep asks for again
    (plans.requeue_dropped_rebuilds); the job delivered again then finds nothing to refresh
    and still rebuilds the pending plan. Killed before its commit, the refresh is rolled back
    with the worker's connection and the job given back does it all again."""
    master = MasterAccount.objects.filter(pk=master_id).first()
    if master is None:
        return {}
    with transaction.atomic():
        result = rollups.refresh(master, child_ids=child_ids, skus=skus)
        changed = (
            result.stock_written
            or result.stock_deleted
            or result.sales_written
            or result.sales_deleted
            or result.children_removed
        )
        if changed:
            MasterAccount.objects.filter(pk=master_id).update(plan_requested_at=timezone.now())
    log.info("rollups of master %s refreshed: %s", master_id, result)
    master.refresh_from_db()
    if changed or plans.rebuild_pending(master):
        _rebuild(master)
    return vars(result)


def _rebuild(master) -> int:
    """Rebuild the plan. A failure is recorded, so the sweep does not ask again for a
    rebuild that fails anyway."""
    try:
        return plans.rebuild(master)
    except Exception:
        MasterAccount.objects.filter(pk=master.pk).update(plan_failed_at=timezone.now())
        raise


@shared_task(name="aggregation.rebuild_plan", acks_late=True, **LONG)
def rebuild_plan(master_id: int) -> int:
    """Recompute the master's order plan (after its settings or a planner's decision)."""
    master = MasterAccount.objects.filter(pk=master_id).first()
    if master is None:
        return 0
    return _rebuild(master)


@shared_task(name="aggregation.score_forecasts", acks_late=True, **LONG)
def score_forecasts(master_id: int) -> int:
    """The forecast accuracy of each plan row (a backtest), after a rebuild."""
    master = MasterAccount.objects.filter(pk=master_id).first()
    return plans.score(master) if master else 0


@shared_task(name="aggregation.preview_plan_settings", acks_late=True, **LONG)
def preview_plan_settings(master_id: int) -> dict:
    """Work out what the master's draft settings would change, without touching the plan.
    A draft replaced or applied meanwhile is left alone (the newer one has its own job)."""
    master = MasterAccount.objects.filter(pk=master_id).first()
    if master is None or not master.draft_settings:
        return {}
    draft = dict(master.draft_settings)
    summary = plans.what_changes(master, draft)
    MasterAccount.objects.filter(pk=master_id, draft_settings=draft).update(draft_summary=summary)
    return summary


@shared_task(name="aggregation.refresh_all_rollups")
def refresh_all_rollups() -> int:
    """The schedule's full refresh (Celery beat), one job per master. It also redoes any
    refresh a lost worker dropped: a refresh is all from the children's rows."""
    ids = list(MasterAccount.objects.values_list("pk", flat=True))
    for pk in ids:
        refresh_rollups.delay(pk)
    return len(ids)


@shared_task(name="aggregation.load_all_connections", bind=True, acks_late=True, **LONG)
def load_all_connections(self, run_id: int) -> None:
    """Reload every child from its connection, then refresh the rollups and rebuild the
    plan (aggregation/loading.py). Delivered again after its worker died, it takes the run
    over and resumes it."""
    loading.run_load(run_id, worker=self.request.hostname or "")


@shared_task(name="aggregation.recover_stuck_runs")
def recover_stuck_runs() -> dict:
    """The sweep (Celery beat, every minute): re-queue or fail load runs whose worker was
    lost, fail runs no worker took, ask again for plan rebuilds a lost worker dropped."""
    return loading.recover_stuck_runs()


@worker_ready.connect
def recover_after_restart(sender, **kwargs):
    """A worker that starts under the name of one that died takes back its load runs at once."""
    worker = getattr(sender, "hostname", "")
    if not worker:
        return
    try:
        stopped, requeued = loading.recover_after_restart(worker)
    except Exception:
        log.exception("could not recover the load runs of %s", worker)
        return
    finally:
        # The worker's main process runs no jobs: it keeps no connection open.
        connections.close_all()
    if stopped or requeued:
        log.warning("%s restarted: %s load runs re-queued, %s stopped", worker, requeued, stopped)
