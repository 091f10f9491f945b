"""One page for every emailed link that cannot be used (an invitation, a partner request):
it says what went wrong and offers the way on, by whether the reader is logged in."""

import pytest
from django.urls import reverse

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

LINKS = [
    ("accounts:invitation_accept", "Go to Home", "home"),
    ("partners:respond", "3rd Party Connections", "partners:connections"),
    ("partners:join", "3rd Party Connections", "partners:connections"),
]


@pytest.mark.parametrize(("name", "label", "back"), LINKS)
def test_a_broken_link_says_so_and_offers_the_way_on(client, owner, name, label, back):
    url = reverse(name, args=["not-a-real-token"])
    anonymous = client.get(url)
    assert anonymous.status_code == 400
    assert "not valid" in anonymous.text
    assert f'href="{reverse("accounts:login")}"' in anonymous.text
    logged_in = client_for(owner).get(url)
    assert (
        f'<a href="{reverse(back)}" role="button" class="secondary">{label}</a>' in logged_in.text
    )
