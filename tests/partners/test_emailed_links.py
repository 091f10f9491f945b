import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from partners import services
from partners.links import make_token
from partners.models import Partnership, PartnershipEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        partnership = services.partnership_request(
            requester=world["retailer"], actor=world["requester_admin"], partner=world["partner"],
            scope=Partnership.Scope.MERCHANDISING,
        )  # fmt: skip
    partnership.stores.add(*world["stores"][:3])
    message = next(m for m in mail.outbox if m.to == [world["partner_admin"].email])
    link = re.search(r"http://testserver(/partners/respond/\S+/)", message.body).group(1)
    return partnership, link


def state(partnership):
    partnership.refresh_from_db()
    return partnership.status, PartnershipEvent.objects.filter(partnership=partnership).count()


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_scanners_open_it_three_times_then_the_admin_approves(world, pending):
    partnership, link = pending
    before = state(partnership)
    scanner = Client()
    for _ in range(3):
        page = scanner.get(link)
        assert page.status_code == 200
        assert "Log in to see the request" in page.text
    admin = logged_in(world["partner_admin"])
    page = admin.get(link)
    assert "Partner request from Heartland Mart" in page.text
    assert "merchandising partner" in page.text and "Stores shared: 3" in page.text
    assert state(partnership) == before  # opening changed nothing
    response = admin.post(link, {"action": "approve"}, follow=True)
    assert "Approved" in response.text
    assert state(partnership) == ("active", 2)


def test_not_logged_in_logs_in_and_comes_back(world, pending):
    _partnership, link = pending
    client = Client()
    login_url = f"{reverse('accounts:login')}?next={link}"
    assert login_url in client.get(link).text
    response = client.post(
        login_url, {"username": world["partner_admin"].email, "password": PASSWORD, "next": link}
    )
    assert response["Location"] == link
    assert "Approve" in client.get(link).text


def test_a_second_post_is_refused_with_a_clear_page(world, pending):
    partnership, link = pending
    admin = logged_in(world["partner_admin"])
    admin.post(link, {"action": "approve"})
    before = state(partnership)
    again = admin.post(link, {"action": "decline"})
    assert again.status_code == 410
    assert "This request is active" in again.text and "Nothing was changed" in again.text
    assert state(partnership) == before


def test_a_post_after_the_requester_cancelled_is_refused(world, pending):
    partnership, link = pending
    services.partnership_transition(
        partnership=partnership,
        action="cancel",
        actor=world["requester_admin"],
        organization=world["retailer"],
    )
    before = state(partnership)
    response = logged_in(world["partner_admin"]).post(link, {"action": "approve"})
    assert response.status_code == 410
    assert "This request is cancelled" in response.text
    assert state(partnership) == before


def test_an_expired_link_is_refused(world, pending, settings):
    partnership, link = pending
    settings.PARTNER_LINK_MAX_AGE = timedelta(seconds=-1)
    before = state(partnership)
    for method in ("get", "post"):
        response = getattr(logged_in(world["partner_admin"]), method)(link, {"action": "approve"})
        assert response.status_code == 400
        assert "This link has expired" in response.text
    assert state(partnership) == before


@pytest.mark.parametrize(
    "tamper", [lambda t: t[:-3] + "abc", lambda t: "x" + t, lambda t: "nonsense"]
)
def test_a_tampered_link_is_refused(world, pending, tamper):
    partnership, link = pending
    token = link.split("/")[-2]
    url = reverse("partners:respond", args=[tamper(token)])
    before = state(partnership)
    response = logged_in(world["partner_admin"]).post(url, {"action": "approve"})
    assert response.status_code == 400
    assert "This link is not valid" in response.text
    assert state(partnership) == before


def test_another_users_post_is_refused(world, pending):
    partnership, link = pending
    before = state(partnership)
    for actor in ("partner_member", "requester_admin", "outsider"):
        response = logged_in(world[actor]).post(link, {"action": "approve"})
        assert response.status_code == 403
        assert "This link was sent to someone else" in response.text
    assert state(partnership) == before


def test_a_link_for_a_member_who_is_no_longer_admin_cannot_approve(world, pending):
    partnership, _ = pending
    world["partner_member"].memberships.update(role="member")
    link = reverse(
        "partners:respond", args=[make_token(partnership, world["partner_member"].email)]
    )
    member = logged_in(world["partner_member"])
    assert "Only owners and admins" in member.get(link).text
    response = member.post(link, {"action": "approve"})
    assert response.status_code == 409
    assert state(partnership) == ("pending", 1)


def test_an_invited_partner_joins_creates_its_organization_then_approves(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        partnership = services.partnership_request(
            requester=world["retailer"], actor=world["requester_admin"], company_name="New Vendor Co",
            email="boss@newvendor.example", scope=Partnership.Scope.VENDOR,
        )  # fmt: skip
    invite = next(m for m in mail.outbox if m.to == ["boss@newvendor.example"])
    link = re.search(r"http://testserver(/partners/join/\S+/)", invite.body).group(1)
    client = Client()
    page = client.get(link)
    assert 'value="New Vendor Co"' in page.text
    assert state(partnership) == ("pending", 1)
    response = client.post(
        link,
        {"full_name": "Boss", "password1": "vendor-passphrase-1", "password2": "vendor-passphrase-1",
         "organization_name": "New Vendor Co", "kinds": ["vendor"]},
        follow=True,
    )  # fmt: skip
    assert "New Vendor Co has joined" in response.text
    partnership.refresh_from_db()
    # Joined, not yet approved: the request waits on its page with Approve and Decline.
    assert partnership.status == "pending" and partnership.partner.name == "New Vendor Co"
    assert partnership.partner.memberships.get().user.email == "boss@newvendor.example"
    assert "Approve" in response.text and "Decline" in response.text
    # The link is spent.
    assert Client().get(link).status_code == 410
    client.post(reverse("partners:transition", args=[partnership.pk, "approve"]))
    assert state(partnership) == ("active", 2)
