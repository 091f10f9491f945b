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
    assert "paused for 15 minutes" in locked.text
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


def test_behind_a_proxy_the_forwarded_address_is_counted(client, owner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("accounts:login"),
            {"username": owner.email, "password": "guess"},
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",  # a spoofed entry, then the attacker
        )
    # The real user comes through the same proxy from their own address and gets in.
    response = client.post(
        reverse("accounts:login"),
        {"username": owner.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 302


def test_without_trusted_proxies_a_forwarded_header_is_ignored(client, owner, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("accounts:login"),
            {"username": owner.email, "password": "guess"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",  # rotating a header does not dodge the limit
        )
    locked = attempt(client, owner.email, PASSWORD, address="203.0.113.9")
    assert locked.status_code == 429


def test_a_password_reset_lifts_the_pause(
    client, owner, settings, django_capture_on_commit_callbacks
):
    import re

    from django.core import mail

    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, owner.email, "guess", address="203.0.113.9")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": owner.email})
    link = re.search(r"http://testserver(/account/password-reset/\S+/)", mail.outbox[0].body).group(
        1
    )
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "fresh-passphrase-99", "new_password2": "fresh-passphrase-99"},
    )
    response = attempt(client, owner.email, "fresh-passphrase-99", address="203.0.113.9")
    assert response.status_code == 302
