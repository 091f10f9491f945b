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
