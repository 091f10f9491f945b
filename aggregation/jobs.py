"""Background work of master accounts: rollup refreshes, "Load data from all
connections" and plan rebuilds. Run by Celery workers (in-process without a broker)."""

import logging

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from aggregation import connectors, plans, rollups
from aggregation.models import Connection, LoadRun, MasterAccount

log = logging.getLogger(__name__)


@shared_task(name="aggregation.refresh_rollups", acks_late=True)
def refresh_rollups(master_id: int, child_ids=None, skus=None) -> dict:
    master = MasterAccount.objects.filter(pk=master_id).first()
    if master is None:
        return {}
    result = rollups.refresh(master, child_ids=child_ids, skus=skus)
    log.info("rollups of master %s refreshed: %s", master_id, result)
    if (
        result.stock_written
        or result.stock_deleted
        or result.sales_written
        or result.sales_deleted
        or (result.children_removed)
    ):
        plans.rebuild(master)
    return vars(result)


@shared_task(name="aggregation.rebuild_plan", acks_late=True)
def rebuild_plan(master_id: int) -> int:
    """Recompute the master's order plan (after its settings or a planner's decision)."""
    master = MasterAccount.objects.filter(pk=master_id).first()
    return plans.rebuild(master) if master else 0


@shared_task(name="aggregation.score_forecasts", acks_late=True)
def score_forecasts(master_id: int) -> int:
    """The forecast accuracy of each plan row (a backtest), after a rebuild."""
    master = MasterAccount.objects.filter(pk=master_id).first()
    return plans.score(master) if master else 0


@shared_task(name="aggregation.preview_plan_settings", acks_late=True)
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
    """The schedule's full refresh (Celery beat), one job per master."""
    ids = list(MasterAccount.objects.values_list("pk", flat=True))
    for pk in ids:
        refresh_rollups.delay(pk)
    return len(ids)


@shared_task(name="aggregation.load_all_connections", acks_late=True)
def load_all_connections(run_id: int) -> None:
    """Reload every child from its connection, one after the other, then refresh the
    rollups. A child that fails is recorded with its error; the others still load."""
    taken = LoadRun.objects.filter(pk=run_id, status=LoadRun.Status.QUEUED).update(
        status=LoadRun.Status.RUNNING
    )
    if not taken:
        return
    run = LoadRun.objects.select_related("master", "started_by").get(pk=run_id)
    errors = {}
    for connection in Connection.objects.filter(master=run.master).select_related("child"):
        try:
            connectors.load(connection, run.started_by)
        except connectors.LoadFailed as error:
            errors[connection.child.name] = str(error)
            LoadRun.objects.filter(pk=run_id).update(
                done=F("done") + 1, failed=F("failed") + 1, errors=errors
            )
        else:
            LoadRun.objects.filter(pk=run_id).update(done=F("done") + 1)
    rollups.refresh(run.master)
    plans.rebuild(run.master)
    LoadRun.objects.filter(pk=run_id).update(
        done=F("done") + 1,
        status=LoadRun.Status.DONE_WITH_ERRORS if errors else LoadRun.Status.DONE,
        finished_at=timezone.now(),
    )
