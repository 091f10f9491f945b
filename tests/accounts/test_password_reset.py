import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_password_reset_by_email(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="forgetful@heartland.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:password_reset"), {"email": "Forgetful@heartland.test"}
        )
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    link = re.search(r"http://testserver(/account/password-reset/\S+/)", mail.outbox[0].body).group(
        1
    )
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.text
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("brand-new-passphrase")
    # The link works once.
    assert "This link no longer works" in client.get(link, follow=True).text


def test_an_unknown_address_looks_the_same_and_sends_nothing(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "nobody@nowhere.test"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def reset(client, email, address="198.51.100.7"):
    return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_one_address_gets_a_few_emails_an_hour_and_the_page_never_says_so(
    client, settings, django_capture_on_commit_callbacks
):
    UserFactory(email="forgetful@heartland.test")
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    with django_capture_on_commit_callbacks(execute=True):
        answers = [reset(client, "forgetful@heartland.test") for _ in range(6)]
        answers += [reset(client, "Forgetful@Heartland.test", address="192.0.2.1")]
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("accounts:password_reset_done"))
    }
    assert len(mail.outbox) == 3  # from any client, in any case: one mailbox, one count
    # Another address is counted apart.
    other = UserFactory(email="other@heartland.test")
    with django_capture_on_commit_callbacks(execute=True):
        reset(client, other.email)
    assert mail.outbox[-1].to == [other.email]


def test_one_client_may_ask_for_a_few_addresses_then_is_told_to_wait(
    client, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 4
    UserFactory(email="known@heartland.test")
    for n in range(4):
        assert reset(client, f"guess{n}@heartland.test").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        refused = reset(client, "known@heartland.test")
    assert refused.status_code == 429
    assert "Too many password reset requests from your network" in refused.text
    assert mail.outbox == []
    # Said the same whether or not an account uses the address.
    assert reset(client, "nobody@heartland.test").status_code == 429
    # Another client is not held back.
    with django_capture_on_commit_callbacks(execute=True):
        assert reset(client, "known@heartland.test", address="192.0.2.1").status_code == 302
    assert len(mail.outbox) == 1


def test_with_the_cache_down_a_reset_still_goes_out(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr("core.throttle.cache.add", unreachable)
    UserFactory(email="forgetful@heartland.test")
    with django_capture_on_commit_callbacks(execute=True):
        assert reset(client, "forgetful@heartland.test").status_code == 302
    assert len(mail.outbox) == 1


def test_the_email_and_pages_say_how_long_the_link_works_from_the_settings(
    client, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_TIMEOUT = 2 * 60 * 60
    UserFactory(email="o'brien&co@heartland.test", full_name="Ann")
    with django_capture_on_commit_callbacks(execute=True):
        response = reset(client, "o'brien&co@heartland.test")
    (message,) = mail.outbox
    assert "account (o'brien&co@heartland.test)" in message.body  # as typed, not &#x27;
    assert "open this link within 2 hours:" in message.body
    assert "within 2 hours" in message.alternatives[0][0]
    assert "It works once and for 2 hours." in client.get(response["Location"]).text
    expired = client.get(
        reverse("accounts:password_reset_confirm", args=["MQ", "set-password"]), follow=True
    )
    assert "expire after 2 hours" in expired.text
