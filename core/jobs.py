"""Background jobs of core: the import engine and the email outbox. They take ids, return
quietly if the row is gone, and are safe to run twice. Their queues are set in
config/settings.py (JOB_QUEUES): emails, imports, and the sweeps on default."""

from celery import shared_task
from django.conf import settings

from core import outbox


@shared_task(
    name="core.apply_import",
    acks_late=True,
    soft_time_limit=settings.LONG_JOB_SOFT_TIME_LIMIT,
    time_limit=settings.LONG_JOB_TIME_LIMIT,
)
def apply_import(batch_id: int) -> None:
    """Apply a confirmed import. Taking the batch is conditional, so a rerun does nothing;
    delivered again after its worker died, it writes the batch again."""
    from core.imports.service import apply_batch

    apply_batch(batch_id)


@shared_task(name="core.fail_stuck_imports")
def fail_stuck_imports() -> int:
    """The import sweep (Celery beat, every minute): fail imports stuck queued or writing,
    send the job of queued imports the broker never took (it was down), and delete staged
    rows no import will use, and the API's Idempotency-Keys past their day. Returns how
    many imports were failed."""
    from core.api import forget_old_idempotency_keys
    from core.imports.service import (
        fail_stuck_batches,
        forget_stale_staged_rows,
        send_unsent_batches,
    )

    failed = fail_stuck_batches()
    send_unsent_batches()
    forget_stale_staged_rows()
    forget_old_idempotency_keys()
    return failed


@shared_task(name="core.send_outbox_email", bind=True, max_retries=outbox.MAX_ATTEMPTS)
def send_outbox_email(self, outbox_email_id: int) -> None:
    """Send one outbox email. Taking the row is conditional, so a rerun sends nothing."""
    try:
        outbox.send(outbox_email_id)
    except outbox.RetryLater as later:
        if self.request.is_eager:
            # In-process (no broker), the sweep below retries it; never fail the web request.
            return
        raise self.retry(countdown=later.countdown, exc=later.__cause__) from later.__cause__


@shared_task(name="core.retry_outbox_emails")
def retry_outbox_emails() -> int:
    """Requeue what the outbox has not delivered (run by Celery beat every minute)."""
    due = outbox.due_for_sending()
    for pk in due:
        send_outbox_email.delay(pk)
    return len(due)
