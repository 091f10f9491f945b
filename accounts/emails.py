"""The emails of the accounts app, through the outbox (core/outbox.py): invitations and
password resets. Each is a row written in the transaction that asks for it; its link is
made when the email is sent (the builders below, registered in AccountsConfig.ready), so
no reset token or link is ever stored."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.invitations import make_token
from accounts.models import Invitation, User
from core.emails import absolute_url, duration_text
from core.outbox import NoLongerApplies, queue_emails

INVITATION_KIND = "invitation"
RESET_KIND = "password_reset"


def queue_invitation_email(*, invitation: Invitation) -> None:
    # A re-sent invitation is a new Invitation row, so its key (and its email) is new too.
    queue_emails(
        key=f"invitation:{invitation.pk}",
        template="invitation",
        people=[(None, invitation.email)],
        kind=INVITATION_KIND,
        subject_id=invitation.pk,
    )


def queue_password_reset_email(*, user: User) -> None:
    # Each request is told again: the time of asking makes its key new.
    queue_emails(
        key=f"password_reset:{user.pk}:{timezone.now():%Y%m%dT%H%M%S.%f}",
        template="password_reset",
        people=[(user, user.email)],
        kind=RESET_KIND,
        subject_id=user.pk,
    )


def invitation_context(*, subject_id: int, template: str, email: str) -> dict:
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=subject_id)
        .first()
    )
    if invitation is None or invitation.revoked_at:
        raise NoLongerApplies("The invitation was withdrawn before its email went out.")
    if invitation.accepted_at:
        raise NoLongerApplies("The invitation was accepted before its email went out.")
    link = absolute_url(reverse("accounts:invitation_accept", args=[make_token(invitation)]))
    return {"invitation": invitation, "link": link}


def password_reset_context(*, subject_id: int, template: str, email: str) -> dict:
    user = User.objects.filter(pk=subject_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        raise NoLongerApplies("The account is inactive or has no password to reset.")
    if user.email.lower() != email.lower():
        raise NoLongerApplies("The account's email address changed after the reset was asked.")
    # Made now, from the account as it is now: a password changed since the request makes
    # an older email's link useless, as it should.
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return {"user": user, "link": absolute_url(path), "link_lifetime": reset_link_lifetime()}


def reset_link_lifetime() -> str:
    return duration_text(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT))
