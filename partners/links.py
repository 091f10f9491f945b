"""Emailed links for partnership requests: signed, expiring, bound to their recipient,
dead once the request has left PENDING. Opening one changes nothing."""

from django.conf import settings

from core.emails import duration_text
from core.links import LinkCheck, LinkExpired, LinkNotValid, make_link_token, read_link_token
from partners.models import Partnership

SALT = "shelfshare.partnership-link"


def make_token(partnership: Partnership, email: str) -> str:
    return make_link_token({"p": partnership.pk, "e": email.lower()}, salt=SALT, compress=True)


def check_token(token: str) -> LinkCheck:
    """Say whether a partner request link can be used, and if not, why. The check's object
    is the partnership, its email the address the link was sent to."""
    try:
        data = read_link_token(token, salt=SALT, max_age=settings.PARTNER_LINK_MAX_AGE)
    except LinkExpired:
        return LinkCheck(
            title="This link has expired",
            problem="Links in partner request emails work for "
            f"{duration_text(settings.PARTNER_LINK_MAX_AGE)}. Log in and open 3rd Party "
            "Connections to see the request.",
        )
    except LinkNotValid:
        return LinkCheck(
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
            title="This request no longer exists", problem="There is nothing to approve."
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
