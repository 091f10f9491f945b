"""The broker is down: a user's change is saved, the user is told so at once, and the
emails about it go out once the broker is back (the outbox sweep), each exactly once."""

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from core.jobs import retry_outbox_emails
from core.models import OutboxEmail
from partners.models import Partnership
from tests.conftest import client_for, wait_for_files
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

# The change commits for real, so its on-commit enqueue runs inside the request.
pytestmark = pytest.mark.django_db(transaction=True)

QUICK = 3.0  # seconds: a request may try the broker once, never wait for it


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def page(client, url):
    """The page's text, without the CSRF token (masked anew on every page)."""
    return re.sub(r"[A-Za-z0-9]{64}", "<token>", client.get(url).text)


def sweep_once_the_broker_is_back(back):
    """Beat's sweep, a minute later: it takes what the outbox still holds."""
    back()
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    return retry_outbox_emails()


@pytest.fixture
def requester():
    retailer = OrganizationFactory(name="Heartland Mart", is_retailer=True)
    partner = OrganizationFactory(name="FieldForce", is_retailer=False, is_merchandiser=True)
    MembershipFactory(organization=partner, role=Membership.Role.OWNER, user__email="lead@ff.test")
    return MembershipFactory(
        organization=retailer, role=Membership.Role.OWNER, user__email="owner@hm.test"
    ).user, partner


def test_a_partner_request_and_its_cancel_are_kept_and_told_once_the_broker_is_back(
    broker_down, requester
):
    owner, partner = requester
    client = client_for(owner)
    response, took = timed(
        lambda: client.post(
            reverse("partners:new_request"),
            {"partner": partner.pk, "scope": "merchandising"},
            follow=True,
        )
    )
    assert response.status_code == 200 and took < QUICK
    assert "Request sent to FieldForce" in response.text
    partnership = Partnership.objects.get()
    assert partnership.status == "pending"

    response, took = timed(
        lambda: client.post(
            reverse("partners:transition", args=[partnership.pk, "cancel"]), follow=True
        )
    )
    assert response.status_code == 200 and took < QUICK
    assert "Request cancelled." in response.text
    partnership.refresh_from_db()
    assert partnership.status == "cancelled"

    waiting = sorted(OutboxEmail.objects.values_list("template", "email", "status"))
    assert waiting == [
        ("partnership_cancelled", "lead@ff.test", "pending"),
        ("partnership_requested", "lead@ff.test", "pending"),
        ("partnership_requested_record", "owner@hm.test", "pending"),
    ]
    assert mail.outbox == []

    assert sweep_once_the_broker_is_back(broker_down) == 3
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("lead@ff.test", "Heartland Mart asks FieldForce to partner on Shelfshare"),
        ("lead@ff.test", "Heartland Mart cancelled its partner request"),
        ("owner@hm.test", "You asked FieldForce to partner with Heartland Mart"),
    ]
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {"sent"}
    # The next sweep finds nothing: each email went exactly once.
    assert retry_outbox_emails() == 0
    assert len(mail.outbox) == 3


def test_password_reset_answers_the_same_quickly_for_any_email(broker_down, client):
    UserFactory(email="forgetful@hm.test")
    url = reverse("accounts:password_reset")
    known, known_took = timed(lambda: client.post(url, {"email": "forgetful@hm.test"}))
    unknown, unknown_took = timed(lambda: client.post(url, {"email": "nobody@hm.test"}))
    assert known_took < QUICK and unknown_took < QUICK
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.status_code == 302
    assert page(client, known["Location"]) == page(client, unknown["Location"])
    assert list(OutboxEmail.objects.values_list("email", "status")) == [
        ("forgetful@hm.test", "pending")
    ]

    assert sweep_once_the_broker_is_back(broker_down) == 1
    assert [m.to for m in mail.outbox] == [["forgetful@hm.test"]]
    assert "/account/password-reset/" in mail.outbox[0].body
    assert retry_outbox_emails() == 0
    assert len(mail.outbox) == 1


@pytest.mark.worker
def test_through_a_real_worker_the_sweep_sends_what_waited_for_the_broker(
    real_worker, broker_down, requester, settings
):
    owner, partner = requester
    response, took = timed(
        lambda: client_for(owner).post(
            reverse("partners:new_request"), {"partner": partner.pk, "scope": "merchandising"}
        )
    )
    assert response.status_code == 302 and took < QUICK
    assert OutboxEmail.objects.filter(status="pending").count() == 2

    broker_down(settings.CELERY_BROKER_URL)  # Redis again; the worker was listening all along
    OutboxEmail.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert retry_outbox_emails() == 2
    files = wait_for_files(real_worker, count=2)
    assert len(files) == 2
    deadline = time.monotonic() + 30
    while OutboxEmail.objects.exclude(status="sent").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {"sent"}
    assert retry_outbox_emails() == 0
    time.sleep(1)
    assert len(list(real_worker.glob("*.log"))) == 2
