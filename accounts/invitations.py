"""Invitation links: signed, expiring, bound to the invited address, dead once used."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.models import Invitation, Membership

SALT = "shelfshare.invitation"


def make_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=SALT)


@dataclass
class LinkCheck:
    invitation: Invitation | None
    problem: str = ""  # empty when the link may be used
    title: str = ""


def check_token(token: str) -> LinkCheck:
    """Say whether an invitation link can be used, and if not, why, in the user's words."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.INVITATION_MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        return LinkCheck(
            None,
            "This invitation link has expired. Ask the colleague who invited you "
            "to send a new one.",
            "Invitation expired",
        )
    except signing.BadSignature:
        return LinkCheck(
            None,
            "This invitation link is not valid. Check that you opened the whole link "
            "from the email, or ask for a new invitation.",
            "Invitation link not valid",
        )
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(pk=data.get("i"), email__iexact=data.get("e", ""))
        .first()
    )
    if invitation is None or invitation.revoked_at:
        return LinkCheck(
            None,
            "This invitation was withdrawn. Ask the organization for a new one.",
            "Invitation withdrawn",
        )
    if invitation.accepted_at:
        return LinkCheck(
            invitation,
            "This invitation has already been used. Log in to reach the organization.",
            "Invitation already used",
        )
    return LinkCheck(invitation)


def accept_invitation(*, invitation: Invitation, user) -> Membership:
    """Join the user to the organization. Safe against a double submit: one membership."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_open:
            raise ValueError("This invitation has already been used.")
        membership, _ = Membership.objects.get_or_create(
            user=user, organization=locked.organization, defaults={"role": locked.role}
        )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
    return membership
