import csv
import io

import pytest
from django.urls import reverse

from accounts.models import Store
from core.exports import safe_cell
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def export_rows(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_an_empty_store_list_says_what_to_do_next(owner_client):
    page = owner_client.get(reverse("accounts:stores"))
    assert "No stores yet" in page.text
    assert "Import a store list" in page.text


def test_search_filter_and_paginate(owner_client, org, other_org):
    for i in range(60):
        StoreFactory(
            organization=org,
            number=str(i + 1),
            name=f"Shop {i + 1}",
            city="Rogers" if i < 5 else "Dallas",
            state="AR" if i < 5 else "TX",
        )
    StoreFactory(
        organization=other_org, number="900", name="Their Rogers store", city="Rogers", state="AR"
    )
    page = owner_client.get(reverse("accounts:stores"))
    assert "of 60 stores" in page.text
    assert page.text.count('href="/account/stores/') >= 50  # one page of 50
    rogers = owner_client.get(reverse("accounts:stores"), {"q": "rogers"})
    assert "5 of 60 stores" in rogers.text
    assert "Their Rogers store" not in rogers.text
    by_state = owner_client.get(reverse("accounts:stores"), {"state": "TX"})
    assert "55 of 60 stores" in by_state.text
    by_number = owner_client.get(reverse("accounts:stores"), {"q": "#42"})
    assert "Shop 42" in by_number.text


def test_numbers_sort_as_numbers(owner_client, org):
    for n in ["10", "9", "100", "1"]:
        StoreFactory(organization=org, number=n)
    page = owner_client.get(reverse("accounts:stores"), {"sort": "number"}).text
    positions = [page.index(f">{n}</a>") for n in ["1", "9", "10", "100"]]
    assert positions == sorted(positions)


def test_add_edit_and_close_a_store(owner_client, org):
    response = owner_client.post(
        reverse("accounts:store_create"),
        {
            "number": "77",
            "name": "New Shop",
            "country": "us",
            "latitude": "36.1",
            "longitude": "-94.2",
        },
        follow=True,
    )
    assert "Store 77 was added" in response.text
    store = Store.objects.get(organization=org, number="77")
    assert store.country == "US"
    duplicate = owner_client.post(
        reverse("accounts:store_create"), {"number": "77", "country": "US"}
    )
    assert "Store 77 already exists" in duplicate.text
    bad = owner_client.post(
        reverse("accounts:store_edit", args=[store.pk]),
        {"number": "77", "country": "US", "latitude": "999", "version": store.version},
    )
    assert Store.objects.get(pk=store.pk).latitude is not None
    assert (
        "Ensure that there are no more than 3 digits" in bad.text
        or "between -90 and 90" in bad.text
    )
    owner_client.post(
        reverse("accounts:store_open_close", args=[store.pk]), {"version": store.version}
    )
    store.refresh_from_db()
    assert store.is_open is False
    page = owner_client.get(reverse("accounts:stores"), {"is_open": "false"})
    assert "New Shop" in page.text and "Closed" in page.text


def test_members_see_stores_but_cannot_change_them(member_client, org):
    store = StoreFactory(organization=org, number="5")
    assert member_client.get(reverse("accounts:store_edit", args=[store.pk])).status_code == 200
    member_client.post(
        reverse("accounts:store_edit", args=[store.pk]), {"number": "6", "country": "US"}
    )
    store.refresh_from_db()
    assert store.number == "5"
    assert (
        member_client.post(reverse("accounts:store_open_close", args=[store.pk])).status_code == 403
    )
    assert member_client.get(reverse("accounts:store_create")).status_code == 403


def test_the_export_follows_the_filter_and_is_safe_in_a_spreadsheet(owner_client, org):
    StoreFactory(
        organization=org, number="1", name='=HYPERLINK("http://evil")', city="Rogers", state="AR"
    )
    StoreFactory(
        organization=org,
        number="2",
        name="+cmd|' /C calc'!A0",
        city="Rogers",
        state="AR",
        latitude="-33.5",
        longitude="-94.1",
    )
    StoreFactory(organization=org, number="3", name="@SUM(1)", city="Dallas", state="TX")
    StoreFactory(
        organization=org, number="4", name="-2+3", city="Dallas", state="TX", address="\tTabbed"
    )
    rows = export_rows(owner_client.get(reverse("accounts:stores_export")))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["Store number", "Name"]
    names = [r[1] for r in body]
    assert names == ['\'=HYPERLINK("http://evil")', "'+cmd|' /C calc'!A0", "'@SUM(1)", "'-2+3"]
    assert body[3][3] == "'\tTabbed"
    assert body[1][8] == "-33.500000"  # numbers stay numbers
    only_texas = export_rows(owner_client.get(reverse("accounts:stores_export"), {"state": "TX"}))
    assert [r[0] for r in only_texas[1:]] == ["3", "4"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (5, 5),
        (None, ""),
        (True, "yes"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_another_organizations_store_is_404(owner_client, other_org):
    theirs = StoreFactory(organization=other_org)
    assert owner_client.get(reverse("accounts:store_edit", args=[theirs.pk])).status_code == 404
    assert (
        owner_client.post(reverse("accounts:store_open_close", args=[theirs.pk])).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.is_open
