"""One CSV store list component, one behaviour, wherever a store list is uploaded: a custom
region, a partnership's geography, a task campaign. The owner's stores named in the list
apply; numbers matching none of them (another organization's store included) are listed
back; a list that names none of them changes nothing and says so."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.store_lists import read_store_list
from core.imports.reading import ImportRejected
from tasks.models import Task
from tests.conftest import client_for
from tests.factories import RegionFactory, StoreFactory

LIST = b"Store #,Note\n3,yes\n1,yes\n99,theirs\n12345,typo\n1,again\n"
STRANGERS = b"Store #\n99\n12345\n"


def upload(data):
    return SimpleUploadedFile("list.csv", data, content_type="text/csv")


@pytest.fixture
def world(shop):
    StoreFactory(organization=shop["outsider"].memberships.get().organization, number="99")
    return shop


def test_the_component_returns_our_stores_and_the_unknown_numbers_in_file_order(world):
    store_list = read_store_list(world["retailer"], upload(LIST))
    assert [s.number for s in store_list.stores] == ["1", "3"]
    assert store_list.unknown == ["99", "12345"]
    assert store_list.unknown_message() == (
        "2 numbers matched none of your stores and were left out: 99, 12345"
    )


def test_a_list_naming_none_of_our_stores_is_refused(world):
    with pytest.raises(ImportRejected, match=r"None of the numbers .* 99, 12345"):
        read_store_list(world["retailer"], upload(STRANGERS))


def test_a_region_takes_the_known_stores_and_lists_the_rest(world):
    region = RegionFactory(organization=world["retailer"])
    page = client_for(world["owner"]).post(
        reverse("accounts:region_upload", args=[region.pk]), {"file": upload(LIST)}
    )
    assert "<li>99</li>" in page.text and "<li>12345</li>" in page.text
    assert sorted(region.stores.values_list("number", flat=True)) == ["1", "3"]


def test_a_geography_takes_the_known_stores_and_lists_the_rest(world):
    partnership = world["merch_share"]
    partnership.stores.clear()
    page = client_for(world["owner"]).post(
        reverse("partners:geography_upload", args=[partnership.pk]),
        {"file": upload(LIST)},
        follow=True,
    )
    assert "2 numbers matched none of your stores and were left out: 99, 12345" in page.text
    assert sorted(partnership.stores.values_list("number", flat=True)) == ["1", "3"]


def test_a_campaign_takes_the_known_stores_and_lists_the_rest(world):
    page = client_for(world["owner"]).post(
        reverse("tasks:new"),
        {"title": "Count", "target": "list", "priority": "normal", "store_list": upload(LIST)},
        follow=True,
    )
    assert "2 numbers matched none of your stores and were left out: 99, 12345" in page.text
    assert sorted(Task.objects.values_list("store__number", flat=True)) == ["1", "3"]


@pytest.mark.parametrize("where", ["region", "geography", "campaign"])
def test_a_list_of_strangers_changes_nothing_anywhere(world, where):
    client = client_for(world["owner"])
    region = RegionFactory(organization=world["retailer"])
    partnership = world["merch_share"]
    before = set(partnership.stores.values_list("pk", flat=True))
    url, data = {
        "region": (
            reverse("accounts:region_upload", args=[region.pk]),
            {"file": upload(STRANGERS)},
        ),
        "geography": (
            reverse("partners:geography_upload", args=[partnership.pk]),
            {"file": upload(STRANGERS)},
        ),
        "campaign": (
            reverse("tasks:new"),
            {
                "title": "Count",
                "target": "list",
                "priority": "normal",
                "store_list": upload(STRANGERS),
            },
        ),
    }[where]
    page = client.post(url, data, follow=True)
    assert "None of the numbers in the store list is one of your stores: 99, 12345" in page.text
    assert not region.stores.exists()
    assert set(partnership.stores.values_list("pk", flat=True)) == before
    assert not Task.objects.exists()
