"""Putting a job on the queue from a request, so that a broker that is down never fails it.

A request first saves its change and the rows that record the work to do (outbox emails,
an import batch, a load run); the job is only the messenger. So once the transaction has
committed, a broker that cannot take the job is logged and the request answers as usual:
the user's change is saved, and the beat sweeps (core.retry_outbox_emails for emails)
queue again what is left undone.

    enqueue_on_commit(send_outbox_email, row.pk)

Publishing tries once, and once more on a fresh connection (a pooled connection the broker
closed meanwhile), then gives up: no back-off, and no result subscription (the job's rows
in the database are its result, nobody reads Celery's). Each connection attempt waits at
most CELERY_BROKER_CONNECTION_TIMEOUT seconds (config/settings.py), and after a failure
the process does not try again for PAUSE_AFTER_FAILURE seconds.

An import batch and a load run also record when the broker took their job (`job_sent_at`,
set by enqueue_recorded): a row still queued without it a minute after its commit was never
sent (the broker was down, or the process died between the commit and the publish), and
the sweeps send it again (core.fail_stuck_imports, aggregation.recover_stuck_runs). A row
whose job was sent is left alone until the stuck limit: its job is waiting in the broker,
and sending it again would only pile up copies behind a busy queue. The jobs take their
row conditionally, so a copy sent twice (the sweep racing a slow publish) does nothing.

In-process (eager) mode has no broker to fail: the job runs inside the call, and its own
errors propagate as they always did.
"""

import logging
import time
from datetime import timedelta
from functools import partial

from celery import Task
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)

# After a failed publish this process leaves the broker alone for this many seconds: a
# request queueing several jobs (three emails) waits out a connect timeout once, not three
# times, and so do the requests right after it.
PAUSE_AFTER_FAILURE = 10.0
_paused_until = 0.0

# One retry, at once: enough for a stale pooled connection, never a wait on a dead broker.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}


def enqueue(task: Task, *args, **kwargs) -> bool:
    """Queue `task(*args, **kwargs)` now. False (and a log line) when the broker could not
    take it; True when it is queued, or has run in-process."""
    global _paused_until
    if task.app.conf.task_always_eager:
        task.apply_async(args, kwargs)
        return True
    if time.monotonic() < _paused_until:
        logger.warning(
            "Not queueing %s%r: the broker was unreachable moments ago. The work is kept in "
            "the database; a sweep queues it again.",
            task.name, args,
        )  # fmt: skip
        return False
    try:
        task.apply_async(
            args, kwargs, ignore_result=True, retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except _broker_errors(task) as error:
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
        logger.warning(
            "Could not queue %s%r: the broker is unreachable (%s: %s). The work is kept in "
            "the database; a sweep queues it again.",
            task.name, args, type(error).__name__, error,
        )  # fmt: skip
        return False
    return True


def enqueue_on_commit(task: Task, *args, **kwargs) -> None:
    """Queue `task(*args, **kwargs)` once the current transaction commits (at once outside
    one); a rolled-back change queues nothing, and a broker that is down fails nothing."""
    transaction.on_commit(partial(enqueue, task, *args, **kwargs))


# A queued row without job_sent_at this long after it was queued was never sent: the publish
# happens right after the commit, so only a broker that was down or a process that died
# leaves one so long.
RESEND_UNSENT_AFTER = timedelta(minutes=1)


def enqueue_recorded(task: Task, *args, sent) -> bool:
    """enqueue(task, *args) and, once the broker has taken it, record so on the rows of `sent`
    (a queryset of a model with `job_sent_at`). Returns enqueue's answer."""
    if not enqueue(task, *args):
        return False
    sent.update(job_sent_at=timezone.now())
    return True


def send_unsent(task: Task, unsent) -> int:
    """Send again `task(pk)` for each row of `unsent` (the sweeps' queued rows without
    job_sent_at), recording each the broker takes. Returns how many it took."""
    model = unsent.model
    sent = 0
    for pk in unsent.values_list("pk", flat=True):
        if enqueue_recorded(task, pk, sent=model.objects.filter(pk=pk)):
            sent += 1
    return sent


def enqueue_recorded_on_commit(task: Task, *args, sent) -> None:
    """enqueue_recorded once the current transaction commits: a row left without
    job_sent_at is one the sweep sends again."""
    transaction.on_commit(partial(enqueue_recorded, task, *args, sent=sent))


def _broker_errors(task: Task) -> tuple[type[BaseException], ...]:
    # kombu wraps most transport errors in its OperationalError; the transport's own
    # connection and channel errors (redis-py's, a socket's) may still come through.
    connection = task.app.connection_for_write()
    return (KombuError, OSError, *connection.connection_errors, *connection.channel_errors)
