"""Invitation and password reset emails go through the outbox: a row written with the
request, sent after the commit, its link made only when it is sent."""

import re

import pytest
from django.core import mail, serializers
from django.db import transaction
from django.urls import reverse

from accounts import services
from accounts.invitations import accept_invitation
from accounts.models import Invitation
from core.jobs import send_outbox_email
from core.models import OutboxEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def invite(org, owner, email="new.colleague@heartland.test"):
    return services.invite(organization=org, actor=owner, email=email, role="member")


def test_an_invitation_email_is_an_outbox_row_sent_after_the_commit(
    owner, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = invite(org, owner, email="New.Colleague@heartland.test")
    row = OutboxEmail.objects.get()
    assert (row.kind, row.subject_id, row.template, row.email, row.status) == (
        "invitation", invitation.pk, "invitation", "new.colleague@heartland.test", "pending",
    )  # fmt: skip
    assert row.context == {}  # the link is made when the email is sent
    assert mail.outbox == [] and len(callbacks) == 1

    callbacks[0]()  # the commit
    row.refresh_from_db()
    assert row.status == "sent"
    assert [m.to for m in mail.outbox] == [["new.colleague@heartland.test"]]
    assert "/account/invitations/accept/" in mail.outbox[0].body


def test_a_rolled_back_invitation_sends_nothing(owner, org, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invite(org, owner)
        raise RuntimeError("something later failed")
    assert callbacks == [] and mail.outbox == []
    assert not Invitation.objects.exists() and not OutboxEmail.objects.exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("revoke", "The invitation was withdrawn before its email went out."),
        ("accept", "The invitation was accepted before its email went out."),
    ],
)
def test_an_invitation_withdrawn_or_taken_up_before_its_email_goes_out_is_not_sent(
    owner, org, change, reason, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = invite(org, owner)
    if change == "revoke":
        services.invitation_revoke(invitation=invitation, actor=owner)
    else:
        accept_invitation(
            invitation=invitation, new_user={"password": "a-long-passphrase", "full_name": "N"}
        )
    for callback in callbacks:
        callback()
    row = OutboxEmail.objects.get()
    assert (row.status, row.last_error, row.attempts) == ("not_sent", reason, 0)
    assert mail.outbox == []


def test_an_invitation_sent_again_is_emailed_again_and_a_retried_job_is_not(
    owner, org, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            invite(org, owner, email="twice@heartland.test")
    assert [m.to for m in mail.outbox] == [["twice@heartland.test"]] * 2
    for row in OutboxEmail.objects.all():
        send_outbox_email(row.pk)  # a duplicate delivery of each job
    assert len(mail.outbox) == 2
    assert list(OutboxEmail.objects.values_list("status", flat=True)) == ["sent", "sent"]


# -- Password reset ----------------------------------------------------------------------------


def ask_for_reset(client, email):
    return client.post(reverse("accounts:password_reset"), {"email": email})


def test_a_password_reset_row_holds_no_token_and_no_link(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="forgetful@heartland.test")
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_reset(client, user.email)
    row = OutboxEmail.objects.get()
    assert (row.kind, row.subject_id, row.recipient, row.status, row.context) == (
        "password_reset", user.pk, user, "sent", {},
    )  # fmt: skip
    path = re.search(r"http://testserver(/account/password-reset/\S+/)", mail.outbox[0].body)
    token = path.group(1).strip("/").split("/")[-1]
    stored = serializers.serialize("json", OutboxEmail.objects.all())
    assert token not in stored and "password-reset/" not in stored


@pytest.mark.parametrize("change", ["deactivated", "password made unusable", "address changed"])
def test_an_account_that_may_no_longer_reset_gets_no_email(
    client, change, django_capture_on_commit_callbacks
):
    user = UserFactory(email="forgetful@heartland.test")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ask_for_reset(client, user.email)
    if change == "deactivated":
        user.is_active = False
    elif change == "address changed":
        user.email = "elsewhere@heartland.test"
    else:
        user.set_unusable_password()
    user.save()
    for callback in callbacks:
        callback()
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == ("not_sent", 0) and row.last_error
    assert mail.outbox == []


def test_an_inactive_account_is_not_even_queued(client, django_capture_on_commit_callbacks):
    UserFactory(email="gone@heartland.test", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_reset(client, "gone@heartland.test")
    assert not OutboxEmail.objects.exists() and mail.outbox == []


def test_a_second_reset_request_is_emailed_again_and_a_retried_job_is_not(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="forgetful@heartland.test")
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            ask_for_reset(client, user.email)
    assert [m.to for m in mail.outbox] == [[user.email]] * 2
    for row in OutboxEmail.objects.all():
        send_outbox_email(row.pk)
    assert len(mail.outbox) == 2
