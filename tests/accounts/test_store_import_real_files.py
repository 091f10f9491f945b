"""Each real store list in demo/data imports through the web page, unedited."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Store
from core.models import ImportBatch

pytestmark = pytest.mark.django_db


def upload(client, path):
    data = Path(path).read_bytes()
    response = client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile(Path(path).name, data, content_type="text/csv")},
    )
    assert response.status_code == 302, response.content[:2000]
    return ImportBatch.objects.latest("pk"), response["Location"]


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    """Press an import button; a job queued on commit runs (in-process) as it would."""

    def press(client, batch, mode="all"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("accounts:import_confirm", args=[batch.pk]), {"mode": mode}, follow=True
            )

    return press


def data_file(name):
    return settings.DEMO_DATA_DIR / name


def test_walmart_openings_import_whole(owner_client, org, confirm):
    batch, location = upload(owner_client, data_file("walmart_store_openings_1962_2006.csv"))
    assert batch.status == "ready"
    assert (batch.total_rows, batch.to_create, batch.error_count) == (2992, 2992, 0)
    preview = owner_client.get(location)
    assert "Will be created" in preview.text
    assert "Import 2992 stores" in preview.text
    confirm(owner_client, batch)  # more rows than the inline limit: a job (in-process here)
    batch.refresh_from_db()
    assert batch.status == "applied"
    assert Store.objects.for_org(org).count() == 2992
    store = Store.objects.get(organization=org, number="1")
    assert (store.address, store.city, store.state, store.postal_code) == (
        "2110 WEST WALNUT",
        "Rogers",
        "AR",
        "72756",
    )
    assert str(store.latitude) == "36.342235"
    assert store.banner == "Supercenter"  # the type_store column, taken as the banner


def test_target_latin1_file_imports_with_its_accents(owner_client, org, confirm):
    batch, _ = upload(owner_client, data_file("target_stores.csv"))
    assert batch.encoding == "Windows-1252"
    assert batch.error_count == 0, batch.errors[:5]
    confirm(owner_client, batch)
    stores = Store.objects.for_org(org)
    assert stores.count() == 1829
    oxford = stores.get(number="2153")
    assert (oxford.name, oxford.city, oxford.state, oxford.postal_code, oxford.country) == (
        "Oxford",
        "Oxford",
        "AL",
        "36203-3459",
        "US",
    )
    assert oxford.phone == "(256) 231-2900"


def test_dunnhumby_title_row_and_duplicates_are_handled_row_by_row(owner_client, org, confirm):
    batch, location = upload(owner_client, data_file("dunnhumby_stores.csv"))
    assert batch.header_line == 2  # the title line above the header was passed over
    assert batch.header[:2] == ["STORE_ID", "STORE_NAME"]
    # Stores 4503 and 17627 are listed twice, differing only in a column Shelfshare does not
    # keep (SEG_VALUE_NAME): the same store twice, counted as repeats, not errors.
    assert (batch.error_count, batch.details["repeats"]) == (0, 2)
    page = owner_client.get(location)
    assert "2 lines repeat an earlier line" in page.text


def test_the_same_file_twice_changes_nothing(owner_client, org, confirm):
    path = data_file("target_stores.csv")
    first, _ = upload(owner_client, path)
    confirm(owner_client, first)
    before = list(Store.objects.for_org(org).order_by("pk").values())
    second, location = upload(owner_client, path)
    assert (second.to_create, second.to_update, second.unchanged) == (0, 0, 1829)
    assert "nothing to import" in owner_client.get(location).text
    assert list(Store.objects.for_org(org).order_by("pk").values()) == before
