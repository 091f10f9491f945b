"""Partnership emails, sent from the outbox by workers, never inside a web request."""

from datetime import timedelta

from celery import shared_task
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.emails import absolute_url, send_templated_email
from partners import links
from partners.models import Notification

Status = Notification.Status
MAX_ATTEMPTS = 6
STUCK_AFTER = timedelta(minutes=10)
# A PENDING row is normally taken within seconds of its commit; one this old lost its job.
LOST_AFTER = timedelta(minutes=1)


def backoff(attempts):
    return 30 * 2 ** (attempts - 1)


def _claim(notification_id):
    """Take the row for sending: one conditional UPDATE, so a second delivery of the same
    job (or a retry racing it) finds nothing to do. A row stuck in SENDING (a worker died
    mid-send) may be taken again after a while."""
    now = timezone.now()
    claimable = Q(status__in=[Status.PENDING, Status.FAILED]) | Q(
        status=Status.SENDING, claimed_at__lt=now - STUCK_AFTER
    )
    return Notification.objects.filter(claimable, pk=notification_id).update(
        status=Status.SENDING, claimed_at=now
    )


@shared_task(name="partners.send_notification", bind=True, max_retries=MAX_ATTEMPTS)
def send_notification(self, notification_id: int) -> None:
    if not _claim(notification_id):
        return
    notification = Notification.objects.select_related(
        "event__partnership__organization", "event__partnership__partner", "event__actor"
    ).get(pk=notification_id)
    try:
        send_templated_email(
            notification.template, to=[notification.email], context=_context(notification)
        )
    except Exception as error:
        attempts = notification.attempts + 1
        gave_up = attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification.pk).update(
            status=Status.GAVE_UP if gave_up else Status.FAILED,
            attempts=attempts,
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        if gave_up or self.request.is_eager:
            # In-process (no broker), the sweep below retries it; never fail the web request.
            return
        # Back off: 30 s, 1 min, 2 min, 4 min, ...
        raise self.retry(countdown=backoff(attempts), exc=error) from error
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.SENT,
        attempts=notification.attempts + 1,
        sent_at=timezone.now(),
        last_error="",
    )


def _context(notification):
    event = notification.event
    if event is None:
        return {**notification.context, "recipient_email": notification.email}
    partnership = event.partnership
    context = {
        "partnership": partnership,
        "event": event,
        "recipient_email": notification.email,
        "scope_lines": partnership.scope_description(),
        "store_count": partnership.effective_stores().count(),
        "page_link": absolute_url(partnership.get_absolute_url()),
    }
    if notification.template == "partnership_requested":
        token = links.make_token(partnership, notification.email)
        context["link"] = absolute_url(reverse("partners:respond", args=[token]))
    elif notification.template == "partnership_invited":
        token = links.make_token(partnership, notification.email)
        context["link"] = absolute_url(reverse("partners:join", args=[token]))
    return context


@shared_task(name="partners.retry_failed_notifications")
def retry_failed_notifications() -> int:
    """Requeue what the outbox has not delivered (run by Celery beat every minute): failed
    emails whose back-off has passed, emails whose worker died mid-send, and emails whose
    job was never queued or was lost on the way."""
    now = timezone.now()
    _release_stuck(now)
    due = [
        n.pk
        for n in Notification.objects.filter(status=Status.FAILED).only(
            "pk", "attempts", "claimed_at"
        )
        if n.claimed_at is None or n.claimed_at + timedelta(seconds=backoff(n.attempts)) <= now
    ]
    due += Notification.objects.filter(
        status=Status.PENDING, created_at__lt=now - LOST_AFTER
    ).values_list("pk", flat=True)
    for pk in due:
        send_notification.delay(pk)
    return len(due)


def _release_stuck(now):
    """A row SENDING for longer than STUCK_AFTER lost its worker mid-send. That counts as a
    failed attempt, so a row that kills every worker that takes it is given up in the end;
    the others go back to FAILED, and their back-off (shorter than STUCK_AFTER) has passed."""
    stuck = Q(status=Status.SENDING, claimed_at__lt=now - STUCK_AFTER)
    error = "The worker stopped while sending; the email may not have gone out."
    Notification.objects.filter(stuck, attempts__gte=MAX_ATTEMPTS - 1).update(
        status=Status.GAVE_UP, attempts=F("attempts") + 1, last_error=error
    )
    Notification.objects.filter(stuck).update(
        status=Status.FAILED, attempts=F("attempts") + 1, last_error=error
    )
