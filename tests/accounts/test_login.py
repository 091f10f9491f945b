import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def attempt(client, email, password, address="10.0.0.1"):
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def test_log_in_with_email_in_any_case_then_log_out(client, owner):
    response = attempt(client, "OWNER@heartland.test", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    # Logging out is a POST; a GET is refused and keeps the session.
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(client, owner):
    response = attempt(client, "owner@heartland.test", "wrong")
    assert response.status_code == 200
    assert "do not match an account" in response.text


def test_failed_logins_are_throttled_per_account_and_address(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "owner@heartland.test", "guess", address="203.0.113.9")
    # From the attacker's address, even the right password is refused now.
    locked = attempt(client, "owner@heartland.test", PASSWORD, address="203.0.113.9")
    assert locked.status_code == 429
    assert "Too many failed log-in attempts" in locked.text
    # The real user, from their own address, still gets in.
    assert (
        attempt(client, "owner@heartland.test", PASSWORD, address="198.51.100.7").status_code == 302
    )


def test_throttling_one_account_does_not_lock_another(client, owner):
    other = UserFactory(email="other@heartland.test")
    for _ in range(10):
        attempt(client, owner.email, "guess", address="203.0.113.9")
    assert attempt(client, other.email, PASSWORD, address="203.0.113.9").status_code == 302


def test_login_redirects_back_to_the_page_asked_for(client, owner):
    response = client.post(
        reverse("accounts:login") + "?next=/account/members/",
        {"username": owner.email, "password": PASSWORD, "next": "/account/members/"},
    )
    assert response["Location"] == "/account/members/"
