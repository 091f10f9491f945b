import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.invitations import make_token
from accounts.models import Invitation, Membership, User
from tests.factories import PASSWORD, InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def invite(client, email="new.colleague@heartland.test", role="member"):
    return client.post(reverse("accounts:invite"), {"email": email, "role": role}, follow=True)


def link_from(message):
    return re.search(r"http://testserver(/account/invitations/accept/\S+/)", message.body).group(1)


def state():
    """What an invitation link could change: memberships, users, invitation states."""
    return (
        sorted(Membership.objects.values_list("user__email", "organization_id", "role")),
        User.objects.count(),
        sorted(Invitation.objects.values_list("pk", "accepted_at", "revoked_at")),
    )


def test_an_owner_invites_and_the_colleague_joins_with_a_password(
    client, owner_client, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(owner_client)
    assert "Invitation sent to new.colleague@heartland.test" in response.text
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.colleague@heartland.test"]
    assert org.name in message.subject
    assert message.alternatives[0][1] == "text/html"
    link = link_from(message)

    # Opening the link (a mail scanner would) changes nothing.
    before = state()
    for _ in range(3):
        page = client.get(link)
        assert page.status_code == 200
        assert f"Join {org.name}" in page.text
    assert state() == before

    response = client.post(
        link,
        {
            "full_name": "New Colleague",
            "password1": "another-long-passphrase",
            "password2": "another-long-passphrase",
        },
        follow=True,
    )
    assert f"You have joined {org.name}" in response.text
    membership = Membership.objects.get(user__email="new.colleague@heartland.test")
    assert (membership.organization, membership.role) == (org, Membership.Role.MEMBER)


def test_no_email_is_sent_when_the_invitation_is_rolled_back(
    owner_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite(owner_client)
    # The job is only queued on commit: one callback, and no mail until it runs.
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_an_expired_link_gives_a_clear_page_and_changes_nothing(client, org, settings):
    invitation = InvitationFactory(organization=org)
    token = make_token(invitation)
    settings.INVITATION_MAX_AGE = timedelta(seconds=-1)
    before = state()
    for method in (client.get, client.post):
        response = method(reverse("accounts:invitation_accept", args=[token]))
        assert response.status_code == 410
        assert "This invitation link has expired" in response.text
    assert state() == before


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
        lambda t: "x" + t,  # payload changed
        lambda t: "garbage",
    ],
)
def test_a_tampered_link_gives_a_clear_page_and_changes_nothing(client, org, tamper):
    invitation = InvitationFactory(organization=org)
    url = reverse("accounts:invitation_accept", args=[tamper(make_token(invitation))])
    before = state()
    for method in (client.get, client.post):
        response = method(
            url,
            {"full_name": "X", "password1": "long-passphrase-1", "password2": "long-passphrase-1"},
        )
        assert response.status_code == 400
        assert "This invitation link is not valid" in response.text
    assert state() == before


def test_a_used_link_cannot_be_used_again(client, org):
    invitation = InvitationFactory(organization=org, email="once@heartland.test")
    url = reverse("accounts:invitation_accept", args=[make_token(invitation)])
    data = {"full_name": "Once", "password1": "long-passphrase-1", "password2": "long-passphrase-1"}
    assert client.post(url, data).status_code == 302
    client.post(reverse("accounts:logout"))
    before = state()
    for method in (client.get, client.post):
        response = method(url, data)
        assert response.status_code == 410
        assert "already been used" in response.text
    assert state() == before


def test_the_link_is_bound_to_the_invited_address(client, org):
    invitation = InvitationFactory(organization=org, email="right@heartland.test")
    url = reverse("accounts:invitation_accept", args=[make_token(invitation)])
    someone_else = MembershipFactory(user__email="wrong@elsewhere.test").user
    client.force_login(someone_else)
    before = state()
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 403
        assert "This invitation is for right@heartland.test" in response.text
    assert state() == before
    assert not Membership.objects.filter(user=someone_else, organization=org).exists()


def test_a_withdrawn_invitation_is_dead(client, owner_client, org):
    invitation = InvitationFactory(organization=org)
    url = reverse("accounts:invitation_accept", args=[make_token(invitation)])
    owner_client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]))
    response = client.get(url)
    assert response.status_code == 400
    assert "withdrawn" in response.text


def test_an_existing_user_logs_in_and_comes_back_to_accept(client, org):
    user = UserFactory(email="has.account@elsewhere.test")
    invitation = InvitationFactory(organization=org, email=user.email)
    url = reverse("accounts:invitation_accept", args=[make_token(invitation)])
    page = client.get(url)
    assert "already has a Shelfshare account" in page.text
    login_url = f"{reverse('accounts:login')}?next={url}"
    assert login_url in page.text
    response = client.post(login_url, {"username": user.email, "password": PASSWORD, "next": url})
    assert response["Location"] == url
    response = client.post(url, follow=True)
    assert f"You have joined {org.name}" in response.text
    assert Membership.objects.filter(user=user, organization=org).exists()


def test_a_member_cannot_invite(member_client):
    response = member_client.post(
        reverse("accounts:invite"), {"email": "x@y.test", "role": "member"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_an_admin_cannot_invite_an_owner(client, admin_user):
    client.force_login(admin_user)
    invite(client, role="owner")
    assert not Invitation.objects.exists()


def test_a_new_invitation_replaces_the_open_one(owner_client):
    invite(owner_client, email="twice@heartland.test")
    invite(owner_client, email="twice@heartland.test")
    assert Invitation.objects.filter(email="twice@heartland.test", revoked_at=None).count() == 1


def test_invitations_show_when_they_expire(owner_client, org):
    InvitationFactory(organization=org, email="pending@heartland.test")
    page = owner_client.get(reverse("accounts:members"))
    assert "pending@heartland.test" in page.text
    expires = (timezone.now() + timedelta(days=7)).strftime("%b %-d, %Y")
    assert expires in page.text


def test_expired_invitations_leave_the_open_list_and_their_links_die(
    client, owner_client, org, settings
):
    invitation = InvitationFactory(organization=org, email="old@heartland.test")
    token = make_token(invitation)  # signed just now...
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - settings.INVITATION_MAX_AGE - timedelta(minutes=1)
    )  # ...but the invitation itself is older than the limit
    assert "old@heartland.test" not in owner_client.get(reverse("accounts:members")).text
    response = client.get(reverse("accounts:invitation_accept", args=[token]))
    assert response.status_code == 410
    assert "expired" in response.text
