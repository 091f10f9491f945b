"""Invitation links: signed, expiring, bound to the invited address, dead once used."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Invitation, Membership, User
from core.links import LinkCheck, LinkExpired, LinkNotValid, make_link_token, read_link_token

SALT = "shelfshare.invitation"
EXPIRED = "This invitation link has expired. Ask the colleague who invited you to send a new one."


class InvitationUsed(Exception):
    pass


def make_token(invitation: Invitation) -> str:
    return make_link_token({"i": invitation.pk, "e": invitation.email}, salt=SALT)


def check_token(token: str) -> LinkCheck:
    """Say whether an invitation link can be used, and if not, why, in the user's words.
    The check's object is the invitation."""
    try:
        data = read_link_token(token, salt=SALT, max_age=settings.INVITATION_MAX_AGE)
    except LinkExpired:
        return LinkCheck(title="Invitation expired", problem=EXPIRED)
    except LinkNotValid:
        return LinkCheck(
            title="Invitation link not valid",
            problem="This invitation link is not valid. Check that you opened the whole link "
            "from the email, or ask for a new invitation.",
        )
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(pk=data.get("i"), email__iexact=data.get("e", ""))
        .first()
    )
    if invitation is None or invitation.revoked_at:
        return LinkCheck(
            title="Invitation withdrawn",
            problem="This invitation was withdrawn. Ask the organization for a new one.",
        )
    if invitation.accepted_at:
        return LinkCheck(
            invitation,
            invitation.email,
            title="Invitation already used",
            problem="This invitation has already been used. Log in to reach the organization.",
        )
    if invitation.expires_at < timezone.now():
        # The invitation's own age counts too, whenever its email went out.
        return LinkCheck(title="Invitation expired", problem=EXPIRED)
    return LinkCheck(invitation, invitation.email)


def accept_invitation(
    *, invitation: Invitation, user=None, new_user: dict | None = None
) -> Membership:
    """Join the user (or a new user made from `new_user`) to the organization.

    The invitation row is locked first, so a double submit makes one user and one
    membership; the loser gets InvitationUsed."""
    from accounts.services import user_create

    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_open:
            raise InvitationUsed
        if user is None:
            if User.objects.filter(email__iexact=locked.email).exists():
                raise InvitationUsed
            user = user_create(email=locked.email, **new_user)
        membership, _ = Membership.objects.get_or_create(
            user=user, organization=locked.organization, defaults={"role": locked.role}
        )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
    return membership
