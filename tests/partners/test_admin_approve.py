"""Platform staff approve pending requests from Django admin, recorded as approved by staff."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from core.models import OutboxEmail
from partners.models import Partnership, PartnershipEvent
from tests.factories import PartnershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:partners_partnership_changelist")


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def approve_in_admin(user, *partnerships):
    return logged_in(user).post(
        CHANGELIST,
        {"action": "approve_selected", "_selected_action": [p.pk for p in partnerships]},
    )


def test_staff_approve_a_pending_request(world):
    partnership = PartnershipFactory(organization=world["retailer"], partner=world["partner"])
    response = approve_in_admin(world["platform_admin"], partnership)
    partnership.refresh_from_db()
    assert partnership.status == "active"
    assert PartnershipEvent.objects.get(partnership=partnership).by_staff
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(t.startswith("Approved 1 request(s)") for t in texts), texts


def test_staff_cannot_approve_an_invited_partner_not_on_the_platform(world):
    invited = PartnershipFactory(
        organization=world["retailer"],
        partner=None,
        invited_company_name="Brand New Co",
        invited_email="boss@brandnew.example",
    )
    response = approve_in_admin(world["platform_admin"], invited)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(
        "Brand New Co (invited) is not on Shelfshare yet" in t
        and "boss@brandnew.example" in t
        and "Nothing was changed" in t
        for t in texts
    ), texts
    assert not any(t.startswith("Approved") for t in texts), texts
    invited.refresh_from_db()
    assert (invited.status, invited.partner, invited.approved_at) == ("pending", None, None)
    assert not PartnershipEvent.objects.exists() and not OutboxEmail.objects.exists()


def test_the_approve_action_needs_the_change_permission(world):
    partnership = PartnershipFactory(organization=world["retailer"], partner=world["partner"])
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_partnership"))
    page = logged_in(viewer).get(CHANGELIST)
    assert page.status_code == 200 and "approve_selected" not in page.text
    approve_in_admin(viewer, partnership)
    partnership.refresh_from_db()
    assert partnership.status == Partnership.Status.PENDING
