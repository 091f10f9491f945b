"""Cache-Control: what a signed-in user sees, and every export, is never kept by a cache."""

import pytest
from django.urls import reverse

from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_a_signed_in_page_is_no_store_and_a_public_one_is_left_alone(client, owner_client):
    cache_control = owner_client.get(reverse("home"))["Cache-Control"]
    assert {"no-store", "private"} <= {part.strip() for part in cache_control.split(",")}
    assert "Cache-Control" not in client.get(reverse("accounts:password_reset_done"))


def test_a_csv_export_is_no_store(owner_client, org):
    StoreFactory(organization=org, number="7")
    response = owner_client.get(reverse("accounts:stores_export"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content)  # the rows are there all the same
