"""Who is told of each partnership change, through the outbox (core/outbox.py).

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

from django.conf import settings
from django.urls import reverse

from accounts.models import Membership, User
from core.emails import absolute_url, duration_text
from core.outbox import queue_emails
from partners import links
from partners.models import Partnership, PartnershipEvent

Status = Partnership.Status
# The outbox kind of these emails; their subject is the PartnershipEvent.
KIND = "partnership_event"


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


def queue_for(event):
    people = {}
    for template, user, email in recipients(event):
        people.setdefault(template, []).append((user, email))
    for template, pairs in people.items():
        # Keys read "event:<id>:<template>:<address>", as they did before the outbox moved.
        queue_emails(
            key=f"event:{event.pk}", template=template, people=pairs, kind=KIND, subject_id=event.pk
        )


def event_context(*, subject_id: int, template: str, email: str) -> dict:
    """The templates' values for an email about one partnership change, made when it is
    sent (registered for KIND in PartnersConfig.ready). A deleted partnership takes its
    events with it: the outbox then marks the email not sent."""
    event = PartnershipEvent.objects.select_related(
        "partnership__organization", "partnership__partner", "actor"
    ).get(pk=subject_id)
    partnership = event.partnership
    context = {
        "partnership": partnership,
        "event": event,
        "scope_lines": partnership.scope_description(),
        "store_count": partnership.effective_stores().count(),
        "page_link": absolute_url(partnership.get_absolute_url()),
        "link_lifetime": duration_text(settings.PARTNER_LINK_MAX_AGE),
    }
    if template == "partnership_requested":
        token = links.make_token(partnership, email)
        context["link"] = absolute_url(reverse("partners:respond", args=[token]))
    elif template == "partnership_invited":
        token = links.make_token(partnership, email)
        context["link"] = absolute_url(reverse("partners:join", args=[token]))
    return context
