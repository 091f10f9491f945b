"""The email outbox: every email the platform sends is a row (core.models.OutboxEmail)
written in the transaction of the change that causes it, and sent by a job queued once
that transaction commits (core/jobs.py). A rolled-back change sends nothing; a failed send
is retried with back-off; a retried or duplicated job never sends twice.

An email about a row of a higher app names it by kind and id. That app registers, in its
AppConfig.ready(), a builder for the kind:

    register_context("invitation", invitation_context)

and the builder makes the template context when the email is sent:
``builder(*, subject_id, template, email) -> dict``. It raises NoLongerApplies (or lets
the model's DoesNotExist out) when the email should not go: the row is then marked
"Not sent (no longer applies)" and never tried again.
"""

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F, Q
from django.utils import timezone

from core.emails import send_templated_email
from core.models import OutboxEmail
from core.queue import enqueue_on_commit

Status = OutboxEmail.Status
MAX_ATTEMPTS = 6
STUCK_AFTER = timedelta(minutes=10)
# A PENDING row is normally taken within seconds of its commit; one this old lost its job.
LOST_AFTER = timedelta(minutes=1)

ContextBuilder = Callable[..., dict]
_builders: dict[str, ContextBuilder] = {}


class NoLongerApplies(Exception):
    """Raised by a context builder: the email should not go out (what it is about is gone,
    or has changed so that the email would be wrong). The message says why, for staff."""


class RetryLater(Exception):
    """The attempt failed (the error is the cause) and another is due in `countdown` s."""

    def __init__(self, countdown: int):
        super().__init__(countdown)
        self.countdown = countdown


def register_context(kind: str, builder: ContextBuilder) -> None:
    _builders[kind] = builder


def queue_emails(
    *,
    key: str,
    template: str,
    people: Iterable[tuple],
    kind: str = "",
    subject_id: int | None = None,
    context: dict | None = None,
) -> None:
    """Outbox rows for one piece of news, sent after the transaction commits.

    `people` are (user or None, email) pairs. `key` names the news: writing it twice never
    sends twice, so it must differ for news that should be told again (a new invitation, a
    second reset request). News about a row of a registered kind gives `kind` and
    `subject_id`; other news gives the values its templates need in `context`, which is
    stored, so it never holds a secret."""
    from core.jobs import send_outbox_email

    keys = {f"{key}:{template}:{email.lower()}": (user, email) for user, email in people}
    OutboxEmail.objects.bulk_create(
        [
            OutboxEmail(
                key=k,
                kind=kind,
                subject_id=subject_id,
                context=context or {},
                template=template,
                recipient=user,
                email=email,
            )
            for k, (user, email) in keys.items()
        ],
        ignore_conflicts=True,
    )
    pending = OutboxEmail.objects.filter(key__in=list(keys), status=Status.PENDING)
    for pk in pending.values_list("pk", flat=True):
        enqueue_on_commit(send_outbox_email, pk)


def backoff(attempts: int) -> int:
    return 30 * 2 ** (attempts - 1)


def _claim(outbox_email_id):
    """Take the row for sending: one conditional UPDATE, so a second delivery of the same
    job (or a retry racing it) finds nothing to do. A row stuck in SENDING (a worker died
    mid-send) may be taken again after a while."""
    now = timezone.now()
    claimable = Q(status__in=[Status.PENDING, Status.FAILED]) | Q(
        status=Status.SENDING, claimed_at__lt=now - STUCK_AFTER
    )
    return OutboxEmail.objects.filter(claimable, pk=outbox_email_id).update(
        status=Status.SENDING, claimed_at=now
    )


def send(outbox_email_id: int) -> None:
    """Send one email if it is still to be sent; return quietly if the row is gone, taken or
    done. Raises RetryLater when the attempt failed and another is due."""
    if not _claim(outbox_email_id):
        return
    row = OutboxEmail.objects.get(pk=outbox_email_id)
    rows = OutboxEmail.objects.filter(pk=row.pk)
    try:
        send_templated_email(row.template, to=[row.email], context=_context(row))
    except NoLongerApplies as reason:
        # Not an attempt that failed: there is nothing to send, now or later.
        rows.update(status=Status.NOT_SENT, last_error=str(reason)[:2000])
        return
    except Exception as error:
        attempts = row.attempts + 1
        gave_up = attempts >= MAX_ATTEMPTS
        rows.update(
            status=Status.GAVE_UP if gave_up else Status.FAILED,
            attempts=attempts,
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        if gave_up:
            return
        # Back off: 30 s, 1 min, 2 min, 4 min, ...
        raise RetryLater(backoff(attempts)) from error
    rows.update(
        status=Status.SENT, attempts=row.attempts + 1, sent_at=timezone.now(), last_error=""
    )


def _context(row):
    context = {**row.context, "recipient_email": row.email}
    if not row.kind:
        return context
    builder = _builders.get(row.kind)
    if builder is None:
        # A programming error, not a property of the email: fail visibly, and retry.
        raise LookupError(f"No context builder is registered for {row.kind!r} emails.")
    try:
        context.update(builder(subject_id=row.subject_id, template=row.template, email=row.email))
    except ObjectDoesNotExist as gone:
        raise NoLongerApplies(f"The {row.kind.replace('_', ' ')} it was about is gone.") from gone
    return context


def due_for_sending() -> list[int]:
    """Ids of the emails the outbox has not delivered and should try now: failed emails
    whose back-off has passed, emails whose worker died mid-send, and emails whose job was
    never queued or was lost on the way."""
    now = timezone.now()
    _release_stuck(now)
    due = [
        row.pk
        for row in OutboxEmail.objects.filter(status=Status.FAILED).only(
            "pk", "attempts", "claimed_at"
        )
        if row.claimed_at is None
        or row.claimed_at + timedelta(seconds=backoff(row.attempts)) <= now
    ]
    due += OutboxEmail.objects.filter(
        status=Status.PENDING, created_at__lt=now - LOST_AFTER
    ).values_list("pk", flat=True)
    return due


def _release_stuck(now):
    """A row SENDING for longer than STUCK_AFTER lost its worker mid-send. That counts as a
    failed attempt, so a row that kills every worker that takes it is given up in the end;
    the others go back to FAILED, and their back-off (shorter than STUCK_AFTER) has passed."""
    stuck = Q(status=Status.SENDING, claimed_at__lt=now - STUCK_AFTER)
    error = "The worker stopped while sending; the email may not have gone out."
    OutboxEmail.objects.filter(stuck, attempts__gte=MAX_ATTEMPTS - 1).update(
        status=Status.GAVE_UP, attempts=F("attempts") + 1, last_error=error
    )
    OutboxEmail.objects.filter(stuck).update(
        status=Status.FAILED, attempts=F("attempts") + 1, last_error=error
    )
