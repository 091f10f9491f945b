"""Two people (or one double click) accepting one invitation at once: one wins, no 500."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.invitations import make_token
from accounts.models import Membership, User
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_double_submitted_join_makes_one_user_and_one_membership(org):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL, where row locks mean something")
    invitation = InvitationFactory(organization=org, email="racer@heartland.test")
    url = reverse("accounts:invitation_accept", args=[make_token(invitation)])
    data = {
        "full_name": "Racer",
        "password1": "race-passphrase-1",
        "password2": "race-passphrase-1",
    }
    barrier = threading.Barrier(4)
    statuses = []

    def join():
        client = Client()
        barrier.wait()
        try:
            statuses.append(client.post(url, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=join) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The winner goes home (302). A loser that read the invitation before the winner
    # committed goes back to the link (302), one that read it after gets the "already
    # used" page (410): which depends on timing, never a 500 and never a second user.
    assert len(statuses) == 4 and set(statuses) <= {302, 410} and 302 in statuses, statuses
    assert User.objects.filter(email="racer@heartland.test").count() == 1
    assert Membership.objects.filter(user__email="racer@heartland.test").count() == 1
