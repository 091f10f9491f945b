"""Ten people signing up with one company name at the same moment: one organization, and
nine forms that say the name is taken. Never a 500."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 10


def race(post):
    """Run `post(i)` in RACERS threads released together; their responses."""
    barrier = threading.Barrier(RACERS)
    responses = [None] * RACERS

    def run(i):
        try:
            barrier.wait()
            responses[i] = post(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def signup(i, name):
    return Client(raise_request_exception=False).post(
        reverse("accounts:signup"),
        {
            "full_name": f"Racer {i}",
            "email": f"racer{i}@acme.test",
            "password1": "race-passphrase-1",
            "password2": "race-passphrase-1",
            "organization_name": name,
            "kinds": ["retailer"],
        },
    )


@pytest.mark.parametrize(
    "names",
    [
        ["Acme Racing"] * RACERS,
        # Look-alikes race too: one key, one organization.
        ["Acme Racing", "ACME RACING", "Acme\u200b Racing", "\uff21cme Racing", "acme racing"] * 2,
    ],
    ids=["same name", "look-alikes"],
)
def test_racing_sign_ups_with_one_name_make_one_organization_and_nine_form_errors(names):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL, where inserts wait for each other")
    responses = race(lambda i: signup(i, names[i]))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (RACERS - 1) + [302], statuses
    for response in responses:
        if response.status_code == 200:
            assert "is already on Shelfshare" in response.text
    assert Organization.objects.count() == 1
    assert Organization.objects.get().name_key == "acme racing"
    # The losers' users were rolled back with their organizations.
    assert User.objects.count() == 1
