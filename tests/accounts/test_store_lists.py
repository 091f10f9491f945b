"""One behaviour wherever a CSV store list is uploaded: a custom region, a partnership's
geography, a task campaign. The owner's stores named in the list apply; numbers matching
none of them (another organization's store included) are listed back; a list that names
none of them changes nothing and says so. Region and geography lists go through the
import preview (and its history); a campaign's list is read with the task form."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.store_lists import read_store_list
from core.imports.reading import ImportRejected
from tasks.models import Task
from tests.conftest import client_for
from tests.factories import RegionFactory, StoreFactory
from tests.store_list_uploads import upload_store_list

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
    url = reverse("accounts:region_upload", args=[region.pk])
    page, batch = upload_store_list(client_for(world["owner"]), url, LIST)
    assert "99 is not one of your stores" in page.text
    assert "12345 is not one of your stores" in page.text
    assert (batch.status, batch.created_count, batch.skipped_count) == ("applied", 2, 2)
    assert sorted(region.stores.values_list("number", flat=True)) == ["1", "3"]


def test_a_geography_takes_the_known_stores_and_lists_the_rest(world):
    partnership = world["merch_share"]
    partnership.stores.clear()
    url = reverse("partners:geography_upload", args=[partnership.pk])
    page, batch = upload_store_list(client_for(world["owner"]), url, LIST)
    assert "99 is not one of your stores" in page.text
    assert "12345 is not one of your stores" in page.text
    assert (batch.status, batch.created_count, batch.skipped_count) == ("applied", 2, 2)
    assert sorted(partnership.stores.values_list("number", flat=True)) == ["1", "3"]


def test_region_and_geography_lists_are_in_the_import_history(world):
    client = client_for(world["owner"])
    region = RegionFactory(organization=world["retailer"], name="North")
    upload_store_list(client, reverse("accounts:region_upload", args=[region.pk]), LIST)
    upload_store_list(
        client, reverse("partners:geography_upload", args=[world["merch_share"].pk]), LIST
    )
    history = client.get(reverse("accounts:imports")).text
    assert "Region store list" in history and "Partnership store list" in history


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
    if where == "campaign":
        page = client.post(
            reverse("tasks:new"),
            {
                "title": "Count",
                "target": "list",
                "priority": "normal",
                "store_list": upload(STRANGERS),
            },
        )
        assert "None of the numbers in the store list is one of your stores: 99, 12345" in page.text
    else:
        url = {
            "region": reverse("accounts:region_upload", args=[region.pk]),
            "geography": reverse("partners:geography_upload", args=[partnership.pk]),
        }[where]
        page, batch = upload_store_list(client, url, STRANGERS, confirm=False)
        # Every line is an error: the preview says so and offers nothing to import.
        assert (batch.status, batch.to_create, batch.error_count) == ("ready", 0, 2)
        assert "Import the valid rows only" not in page.text
    assert not region.stores.exists()
    assert set(partnership.stores.values_list("pk", flat=True)) == before
    assert not Task.objects.exists()


@pytest.mark.parametrize("where", ["region", "geography", "campaign"])
def test_a_list_of_one_bare_number_is_that_store(world, where):
    # A file of one line, "3": a store list of one store, not a header with no rows.
    client = client_for(world["owner"])
    region = RegionFactory(organization=world["retailer"])
    partnership = world["merch_share"]
    partnership.stores.clear()
    if where == "campaign":
        client.post(
            reverse("tasks:new"),
            {
                "title": "Count",
                "target": "list",
                "priority": "normal",
                "store_list": upload(b"3\n"),
            },
        )
        assert list(Task.objects.values_list("store__number", flat=True)) == ["3"]
        return
    url = {
        "region": reverse("accounts:region_upload", args=[region.pk]),
        "geography": reverse("partners:geography_upload", args=[partnership.pk]),
    }[where]
    _page, batch = upload_store_list(client, url, b"3\n")
    assert (batch.status, batch.created_count, batch.error_count) == ("applied", 1, 0)
    target = region if where == "region" else partnership
    assert list(target.stores.values_list("number", flat=True)) == ["3"]


@pytest.mark.parametrize("where", ["region", "geography"])
def test_cancelling_a_store_list_returns_to_where_it_was_uploaded(world, where):
    client = client_for(world["owner"])
    region = RegionFactory(organization=world["retailer"], name="North")
    partnership = world["merch_share"]
    partnership.stores.clear()
    upload_url, back_url = {
        "region": (reverse("accounts:region_upload", args=[region.pk]), region.get_absolute_url()),
        "geography": (
            reverse("partners:geography_upload", args=[partnership.pk]),
            reverse("partners:geography", args=[partnership.pk]),
        ),
    }[where]
    _page, batch = upload_store_list(client, upload_url, LIST, confirm=False)
    response = client.post(reverse("accounts:import_cancel", args=[batch.pk]), follow=True)
    assert response.redirect_chain == [(back_url, 302)]
    assert response.status_code == 200
    assert "The import was cancelled; nothing was written." in response.text
    batch.refresh_from_db()
    assert batch.status == "cancelled"
    assert not region.stores.exists() and not partnership.stores.exists()


def test_the_result_of_a_store_list_says_added_not_new(world):
    # Stores 3 and 1 are added; the second "1" is already in by then; 99 and 12345 are errors.
    client = client_for(world["owner"])
    region = RegionFactory(organization=world["retailer"])
    _page, batch = upload_store_list(
        client, reverse("accounts:region_upload", args=[region.pk]), LIST, confirm=False
    )
    done = client.post(
        reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "valid_only"}, follow=True
    )
    assert "Imported: 2 stores added, 1 already in. 2 rows with errors were left out." in done.text
    assert "Updated" not in done.text
