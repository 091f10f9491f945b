""" "Load data from all connections", run so that a lost worker never leaves it stuck.

A run is QUEUED, then RUNNING once a job claims it, then DONE, DONE_WITH_ERRORS or FAILED.
A claim (claimed_at, claimed_by) is a lease as long as the job's hard time limit
(LONG_JOB_TIME_LIMIT): the job cannot run longer, so a run still RUNNING after its lease
was left by a worker that died (SIGKILL, out of memory, the machine went away). Then:

- the job delivered again (Redis gives an unacknowledged job back after the broker's
  visibility timeout, which is a little longer than the lease) takes the run over;
- a worker starting under the name of one that died re-queues that worker's runs at once
  (one name is one live worker at a time);
- the sweep (`recover_stuck_runs`, in the beat schedule) re-queues it;
- after MAX_ATTEMPTS claims the run is failed, and its page says so and offers to load
  again; so is a run that no worker took within JOB_STUCK_AFTER_MINUTES.

A queued run whose job the broker never took (it was down when the run was started or
re-queued, or the process died between the commit and the publish: `job_sent_at` is
empty) is sent again by the sweep (`send_unsent`) until that limit.

A run taken over resumes: the connections it already loaded (`loaded`) are not loaded
again, and loading one again would change nothing anyway (imports key their rows). Every
write of a run's progress is conditional on its claim, so a worker that lost its claim
stops instead of writing over its successor's."""

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from aggregation import connectors, plans, rollups
from aggregation.models import Connection, LoadRun

log = logging.getLogger(__name__)
Status = LoadRun.Status

MAX_ATTEMPTS = 3
RESTARTED = "The worker running this load was lost; the load was started again."
WORKER_LOST = "This load stopped: the worker was lost."
NEVER_STARTED = "This load stopped: no worker took it within {minutes} minutes."
TOO_LONG = "This load stopped: it took longer than {minutes} minutes."
BROKE = "This load stopped: it failed on our side."


class LostClaim(Exception):
    """Another job has taken the run over: this one must stop writing."""


def lease() -> timedelta:
    """How long a claim holds: the load job cannot run longer than this."""
    return timedelta(seconds=settings.LONG_JOB_TIME_LIMIT)


def claim(run_id: int, worker: str):
    """Claim a queued run, or take over one whose lease has passed. Returns the claim's time,
    or None when the run is someone else's (or over)."""
    now = timezone.now()
    runs = LoadRun.objects.filter(pk=run_id)
    taken = runs.filter(status=Status.QUEUED).update(
        status=Status.RUNNING, claimed_at=now, claimed_by=worker, attempts=F("attempts") + 1
    )
    if not taken:
        taken = runs.filter(
            status=Status.RUNNING, claimed_at__lt=now - lease(), attempts__lt=MAX_ATTEMPTS
        ).update(claimed_at=now, claimed_by=worker, attempts=F("attempts") + 1, message=RESTARTED)
        if taken:
            log.warning("load run %s: its worker was lost; taken over by %s", run_id, worker)
    return now if taken else None


def run_load(run_id: int, worker: str = "") -> None:
    """Reload every child from its connection, one after the other, then refresh the rollups
    and rebuild the plan. A child that fails is recorded with its error; the others still
    load. Safe to run twice: a run someone else holds is left alone."""
    claimed_at = claim(run_id, worker)
    if claimed_at is None:
        return
    mine = LoadRun.objects.filter(pk=run_id, status=Status.RUNNING, claimed_at=claimed_at)
    run = LoadRun.objects.select_related("master", "started_by").get(pk=run_id)
    try:
        _load(run, mine)
    except LostClaim:
        log.warning("load run %s was taken over by another worker; this one stops", run_id)
    except SoftTimeLimitExceeded:
        minutes = round(settings.LONG_JOB_SOFT_TIME_LIMIT / 60)
        _stop(mine, TOO_LONG.format(minutes=minutes))
    except Exception:
        log.exception("load run %s failed", run_id)
        _stop(mine, BROKE)


def _load(run, mine):
    errors, loaded = dict(run.errors), list(run.loaded)
    connections = (
        Connection.objects.filter(master=run.master).exclude(pk__in=loaded).select_related("child")
    )
    for connection in connections.order_by("pk"):
        try:
            connectors.load(connection, run.started_by)
        except connectors.LoadFailed as error:
            errors[connection.child.name] = str(error)
        loaded.append(connection.pk)
        _progress(mine, done=len(loaded), failed=len(errors), errors=errors, loaded=loaded)
    rollups.refresh(run.master)
    plans.rebuild(run.master)
    _progress(
        mine,
        done=F("total"),
        status=Status.DONE_WITH_ERRORS if errors else Status.DONE,
        finished_at=timezone.now(),
    )


def _progress(mine, **fields):
    if not mine.update(**fields):
        raise LostClaim


def _stop(runs, message):
    return runs.update(status=Status.FAILED, message=message, finished_at=timezone.now())


def recover(runs, *, lost=None) -> tuple[int, int]:
    """Among `runs`, fail those that will not finish and re-queue those whose worker was lost
    (`lost`: the runs known lost; by default, those whose lease has passed). Returns how many
    were failed and how many re-queued."""
    now = timezone.now()
    if lost is None:
        lost = runs.filter(claimed_at__lt=now - lease())
    lost = lost.filter(status=Status.RUNNING)
    minutes = settings.JOB_STUCK_AFTER_MINUTES
    stopped = _stop(lost.filter(attempts__gte=MAX_ATTEMPTS), WORKER_LOST) + _stop(
        runs.filter(status=Status.QUEUED, queued_at__lt=now - timedelta(minutes=minutes)),
        NEVER_STARTED.format(minutes=minutes),
    )
    return stopped, _requeue(lost.filter(attempts__lt=MAX_ATTEMPTS))


def _requeue(runs) -> int:
    from aggregation.jobs import load_all_connections
    from core.queue import enqueue_recorded_on_commit

    count = 0
    for run_id, claimed_at in runs.values_list("pk", "claimed_at"):
        with transaction.atomic():
            given_back = LoadRun.objects.filter(
                pk=run_id, status=Status.RUNNING, claimed_at=claimed_at
            ).update(
                status=Status.QUEUED, queued_at=timezone.now(), message=RESTARTED, job_sent_at=None
            )
            if given_back:
                enqueue_recorded_on_commit(
                    load_all_connections, run_id, sent=LoadRun.objects.filter(pk=run_id)
                )
                count += 1
    return count


def send_unsent(runs) -> int:
    """Among `runs`, send again the job of each queued run the broker never took. Those
    queued for longer than JOB_STUCK_AFTER_MINUTES are failed by recover() first. Returns
    how many the broker took."""
    from aggregation.jobs import load_all_connections
    from core.queue import RESEND_UNSENT_AFTER, send_unsent

    unsent = runs.filter(
        status=Status.QUEUED,
        job_sent_at__isnull=True,
        queued_at__lt=timezone.now() - RESEND_UNSENT_AFTER,
    )
    return send_unsent(load_all_connections, unsent)


def recover_stuck_runs() -> dict:
    """The sweep (Celery beat, every minute): load runs whose worker was lost are re-queued,
    or failed after MAX_ATTEMPTS; runs no worker took are failed; queued runs whose job the
    broker never took are sent; plan rebuilds asked for and dropped by a lost worker are
    asked for again."""
    stopped, requeued = recover(LoadRun.objects.all())
    sent = send_unsent(LoadRun.objects.all())
    rebuilds = plans.requeue_dropped_rebuilds(lease())
    if stopped or requeued or sent or rebuilds:
        log.warning(
            "stuck work: %s load runs stopped, %s re-queued, %s sent that waited for the "
            "broker; %s plan rebuilds re-queued",
            stopped, requeued, sent, rebuilds,
        )  # fmt: skip
    return {"stopped": stopped, "requeued": requeued, "sent": sent, "plan_rebuilds": rebuilds}


def recover_after_restart(worker: str) -> tuple[int, int]:
    """A worker starting under a name is the only one with that name, so the runs claimed
    under it belong to a worker that died: recover them now, not after their lease."""
    runs = LoadRun.objects.filter(claimed_by=worker)
    return recover(runs, lost=runs)
