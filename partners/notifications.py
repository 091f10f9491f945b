"""Who is told of each partnership change, through the outbox.

Rows are written in the same transaction as the change, and each row's job is
queued only once it commits: a rolled-back change sends nothing.

  requested   every user of the requester (a record), the partner's admins (approve link),
              or the invited address (join link) for a partner not on the platform yet
  approved    every user of the requester
  cancelled   the partner's admins           (the requester cancelled),
              or the invited address for a partner not on the platform yet
  declined    every user of the requester    (the partner declined)
  unapproved  the partner's admins           (the requester stopped sharing)
"""

from accounts.models import Membership, User
from partners.models import Notification, Partnership

Status = Partnership.Status


def _everyone(organization):
    return list(User.objects.filter(memberships__organization=organization, is_active=True))


def _admins(organization):
    return list(
        User.objects.filter(
            memberships__organization=organization,
            memberships__role__in=Membership.MANAGERS,
            is_active=True,
        )
    )


def recipients(event):
    """[(template, user or None, email)] for one event."""
    partnership = event.partnership
    requester, partner = partnership.organization, partnership.partner
    to = event.to_status
    result = []
    if to == Status.PENDING:
        result += [("partnership_requested_record", u, u.email) for u in _everyone(requester)]
        if partner is not None:
            result += [("partnership_requested", u, u.email) for u in _admins(partner)]
        else:
            result.append(("partnership_invited", None, partnership.invited_email))
    elif to in (Status.ACTIVE, Status.DECLINED):
        template = "partnership_approved" if to == Status.ACTIVE else "partnership_declined"
        result += [(template, u, u.email) for u in _everyone(requester)]
    elif to == Status.CANCELLED and partner is None:
        result.append(("partnership_invitation_cancelled", None, partnership.invited_email))
    elif to in (Status.CANCELLED, Status.UNAPPROVED) and partner is not None:
        template = "partnership_cancelled" if to == Status.CANCELLED else "partnership_unapproved"
        result += [(template, u, u.email) for u in _admins(partner)]
    return result


def notification_key(event, template, email):
    return f"event:{event.pk}:{template}:{email.lower()}"


def queue_for(event):
    from partners.jobs import send_notification

    rows = [
        Notification(
            key=notification_key(event, template, email),
            event=event,
            template=template,
            recipient=user,
            email=email,
        )
        for template, user, email in recipients(event)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    for pk in Notification.objects.filter(event=event).values_list("pk", flat=True):
        send_notification.delay_on_commit(pk)


def queue_emails(*, key: str, template: str, people, context: dict) -> None:
    """Outbox rows for news that is not a partnership change (a task that cannot be
    completed, a finished campaign): `people` are (user, email) pairs; `key` names the
    news, so writing it twice never sends twice. Sent after the transaction commits."""
    from partners.jobs import send_notification

    keys = {f"{key}:{template}:{email.lower()}": (user, email) for user, email in people}
    Notification.objects.bulk_create(
        [
            Notification(key=k, template=template, recipient=user, email=email, context=context)
            for k, (user, email) in keys.items()
        ],
        ignore_conflicts=True,
    )
    for pk in Notification.objects.filter(
        key__in=list(keys), status=Notification.Status.PENDING
    ).values_list("pk", flat=True):
        send_notification.delay_on_commit(pk)
