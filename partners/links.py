"""Emailed links for partnership requests: signed, expiring, bound to their recipient,
dead once the request has left PENDING. Opening one changes nothing."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from partners.models import Partnership

SALT = "shelfshare.partnership-link"


def make_token(partnership: Partnership, email: str) -> str:
    return signing.dumps({"p": partnership.pk, "e": email.lower()}, salt=SALT, compress=True)


@dataclass
class LinkCheck:
    partnership: Partnership | None
    email: str = ""
    title: str = ""
    problem: str = ""


def check_token(token: str) -> LinkCheck:
    try:
        data = signing.loads(
            token, salt=SALT, max_age=settings.PARTNER_LINK_MAX_AGE.total_seconds()
        )
    except signing.SignatureExpired:
        return LinkCheck(
            None,
            title="This link has expired",
            problem="Links in partner request emails work for "
            f"{settings.PARTNER_LINK_MAX_AGE.days} days. Log in and open 3rd Party "
            "Connections to see the request.",
        )
    except signing.BadSignature:
        return LinkCheck(
            None,
            title="This link is not valid",
            problem="Check that you opened the whole link from the email, or log in and open "
            "3rd Party Connections.",
        )
    partnership = (
        Partnership.objects.select_related("organization", "partner")
        .filter(pk=data.get("p"))
        .first()
    )
    if partnership is None:
        return LinkCheck(
            None, title="This request no longer exists", problem="There is nothing to approve."
        )
    if partnership.status != Partnership.Status.PENDING:
        status = Partnership.Status(partnership.status).label.lower()
        return LinkCheck(
            partnership,
            data.get("e", ""),
            title=f"This request is {'active' if status == 'active' else status}",
            problem=f"The request from {partnership.organization.name} is no longer waiting for a "
            f"decision: it is {status}. Nothing was changed.",
        )
    return LinkCheck(partnership, data.get("e", ""))
