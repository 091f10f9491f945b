"""20 racing approve/cancel/decline calls on one pending request, on PostgreSQL:
exactly one transition, one history row, one set of emails, no 500."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.models import OutboxEmail
from partners.models import Partnership, PartnershipEvent
from tests.factories import PartnershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_racing_decisions_make_exactly_one_transition(world):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL, where it means something")
    partnership = PartnershipFactory(organization=world["retailer"], partner=world["partner"])
    plan = [
        ("partner_admin", "approve"),
        ("requester_admin", "cancel"),
        ("partner_admin", "decline"),
    ] * 7
    plan = plan[:20]
    barrier = threading.Barrier(len(plan))
    statuses, lock = [], threading.Lock()

    def decide(actor, action):
        client = Client()
        client.force_login(world[actor])
        barrier.wait()
        try:
            response = client.post(reverse("partners:transition", args=[partnership.pk, action]))
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=step) for step in plan]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(set(statuses)) == [302], statuses  # every caller answered; nobody got a 500
    partnership.refresh_from_db()
    assert partnership.status in ("active", "cancelled", "declined")
    transitions = PartnershipEvent.objects.filter(partnership=partnership).exclude(from_status="")
    assert transitions.count() == 1
    event = transitions.get()
    assert event.to_status == partnership.status
    notifications = OutboxEmail.objects.filter(
        kind="partnership_event", subject_id__in=partnership.events.values("pk")
    )
    assert set(notifications.values_list("subject_id", flat=True)) == {event.pk}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        notifications.values_list("email", flat=True)
    )
    assert len(mail.outbox) == notifications.count() > 0
    assert Partnership.objects.count() == 1
