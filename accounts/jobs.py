"""Background jobs of the accounts app. They take ids and return quietly if the row is gone."""

from celery import shared_task
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.invitations import make_token
from accounts.models import Invitation, User
from core.emails import absolute_url, send_templated_email

RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="accounts.send_invitation_email", **RETRY)
def send_invitation_email(invitation_id: int) -> None:
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id, accepted_at=None, revoked_at=None)
        .first()
    )
    if invitation is None:
        return
    link = absolute_url(reverse("accounts:invitation_accept", args=[make_token(invitation)]))
    send_templated_email(
        "invitation",
        to=[invitation.email],
        context={"invitation": invitation, "link": link},
    )


@shared_task(name="accounts.send_password_reset_email", **RETRY)
def send_password_reset_email(user_id: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    send_templated_email(
        "password_reset", to=[user.email], context={"user": user, "link": absolute_url(path)}
    )
