"""The store list's Country filter, and a State filter that lists the chosen country's states.

"11" is Beijing in China and Seoul in South Korea: picking one never shows the other,
on the page, in its CSV export, or when a region adds the matching stores.
"""

import csv
import html
import io
import re

import pytest
from django.urls import reverse

from tests.factories import RegionFactory, StoreFactory

pytestmark = pytest.mark.django_db

STORES = [
    # number, name, country, state
    ("101", "Rogers", "US", "AR"),
    ("102", "Dallas", "US", "TX"),
    ("201", "Beijing", "CN", "11"),
    ("202", "Shanghai", "CN", "31"),
    ("301", "Seoul", "KR", "11"),
    ("302", "Busan", "KR", "26"),
]


@pytest.fixture
def world_stores(org):
    for number, name, country, state in STORES:
        StoreFactory(organization=org, number=number, name=name, country=country, state=state)


def listed(client, **params):
    """The store numbers the stores page lists."""
    page = client.get(reverse("accounts:stores"), params)
    assert page.status_code == 200
    return re.findall(r'<a href="/account/stores/\d+/">([^<]+)</a>', page.text)


def select(text, name):
    """The <select name=...> of a page: its options as (value, label, selected)."""
    found = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', text, re.S)
    if found is None:
        return None
    options = re.findall(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', found.group(1))
    return [(html.unescape(v), html.unescape(label), "selected" in a) for v, a, label in options]


def labels(text, name):
    return [label for _, label, _ in select(text, name)]


def picked(text, name):
    return [label for _, label, chosen in select(text, name) if chosen]


def exported(client, **params):
    response = client.get(reverse("accounts:stores_export"), params)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = csv.reader(io.StringIO(text))
    assert header[0] == "Store number"
    return [row[0] for row in rows]


def test_the_country_filter_narrows_the_list(owner_client, world_stores):
    page = owner_client.get(reverse("accounts:stores")).text
    assert labels(page, "country") == ["All countries", "China", "South Korea", "United States"]
    assert listed(owner_client, country="CN") == ["201", "202"]
    assert listed(owner_client, country="KR") == ["301", "302"]
    assert listed(owner_client, country="us") == ["101", "102"]  # as typed in a link


def test_the_list_says_each_stores_country(owner_client, world_stores):
    page = owner_client.get(reverse("accounts:stores"), {"state": "KR:11"}).text
    assert 'sort=country"' in page
    row = re.search(r"<tr[^>]*>\s*<td[^>]*><a[^>]*>301</a>.*?</tr>", page, re.S).group(0)
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[4:6] == ["11", "South Korea"]


def test_a_country_without_a_known_name_is_shown_by_its_code(owner_client, org, world_stores):
    StoreFactory(organization=org, number="401", country="ZW", state="HA")
    page = owner_client.get(reverse("accounts:stores")).text
    assert labels(page, "country")[-1] == "ZW"
    assert "HA · ZW" in labels(page, "state")
    assert listed(owner_client, country="ZW") == ["401"]


def test_the_state_list_offers_only_the_chosen_countrys_states(owner_client, world_stores):
    page = owner_client.get(reverse("accounts:stores"), {"country": "CN"}).text
    assert labels(page, "state") == ["All states", "11", "31"]
    assert picked(page, "country") == ["China"]
    korea = owner_client.get(reverse("accounts:stores"), {"country": "KR"}).text
    assert labels(korea, "state") == ["All states", "11", "26"]


def test_without_a_country_each_state_says_its_country(owner_client, world_stores):
    page = owner_client.get(reverse("accounts:stores")).text
    assert labels(page, "state") == [
        "All states",
        "11 · China",
        "31 · China",
        "11 · South Korea",
        "26 · South Korea",
        "AR · United States",
        "TX · United States",
    ]
    assert '<optgroup label="China">' in page


def test_beijing_is_never_seoul(owner_client, world_stores):
    assert listed(owner_client, state="CN:11") == ["201"]
    assert listed(owner_client, state="KR:11") == ["301"]
    assert listed(owner_client, country="CN", state="CN:11") == ["201"]
    # A bare code is read within the chosen country, and shown as picked.
    page = owner_client.get(reverse("accounts:stores"), {"country": "KR", "state": "11"}).text
    assert picked(page, "state") == ["11"]
    assert listed(owner_client, country="KR", state="11") == ["301"]
    # A code only one country uses still works from a link made before the Country filter.
    assert listed(owner_client, state="TX") == ["102"]
    page = owner_client.get(reverse("accounts:stores"), {"state": "TX"}).text
    assert picked(page, "state") == ["TX · United States"]


def test_the_export_holds_exactly_the_filtered_stores(owner_client, world_stores):
    assert exported(owner_client, state="CN:11") == ["201"]
    assert exported(owner_client, country="KR") == ["301", "302"]
    assert exported(owner_client, country="KR", state="KR:26") == ["302"]
    assert exported(owner_client, country="CN", state="KR:26") == []
    assert exported(owner_client) == ["101", "102", "201", "202", "301", "302"]


def test_the_page_links_its_export_with_the_filter(owner_client, world_stores):
    page = owner_client.get(reverse("accounts:stores"), {"country": "CN", "state": "CN:11"})
    assert "/account/stores/export.csv?country=CN&amp;state=CN%3A11" in page.text


def test_a_one_country_organization_sees_no_country_select(owner_client, org):
    StoreFactory(organization=org, number="1", state="AR")
    StoreFactory(organization=org, number="2", state="TX")
    page = owner_client.get(reverse("accounts:stores")).text
    assert select(page, "country") is None
    assert "All countries" not in page
    assert 'sort=country"' not in page  # no column that always says the same
    assert labels(page, "state") == ["All states", "AR", "TX"]
    # Old links with a bare state keep working, and show the state as picked.
    assert listed(owner_client, state="AR") == ["1"]
    assert picked(owner_client.get(reverse("accounts:stores"), {"state": "AR"}).text, "state") == [
        "AR"
    ]
    assert exported(owner_client, state="TX") == ["2"]
    # ?country= is still understood: its own country, or no stores for another.
    assert listed(owner_client, country="US", state="AR") == ["1"]
    assert listed(owner_client, country="CN") == []


def test_the_state_fragment_lists_the_countrys_states(owner_client, world_stores):
    url = reverse("accounts:store_filter_states")
    fragment = owner_client.get(url, {"country": "CN"}, headers={"HX-Request": "true"}).text
    assert 'id="store-filter-state"' in fragment
    assert "<form" not in fragment
    assert labels(fragment, "state") == ["All states", "11", "31"]
    every = owner_client.get(url, {"country": ""}, headers={"HX-Request": "true"}).text
    assert "11 · South Korea" in labels(every, "state")


def test_the_state_fragment_keeps_a_state_only_in_its_country(owner_client, world_stores):
    url = reverse("accounts:store_filter_states")
    same = owner_client.get(url, {"country": "CN", "state": "CN:11"}).text
    assert picked(same, "state") == ["11"]
    wider = owner_client.get(url, {"country": "", "state": "CN:11"}).text
    assert picked(wider, "state") == ["11 · China"]
    # Beijing's "11" does not become Seoul's: the list starts over, without an error.
    other = owner_client.get(url, {"country": "KR", "state": "CN:11"}).text
    assert picked(other, "state") == ["All states"]
    assert "field-error" not in other


def test_the_country_select_asks_for_the_state_fragment(owner_client, world_stores):
    page = owner_client.get(reverse("accounts:stores")).text
    country = re.search(r'<select name="country"[^>]*>', page).group(0)
    assert f'hx-get="{reverse("accounts:store_filter_states")}"' in country
    assert 'hx-target="#store-filter-state"' in country


@pytest.mark.parametrize(
    "params",
    [
        {"country": "ZZ"},
        {"country": "CN", "state": "KR:26"},
        {"country": "CN", "state": "26"},
        {"state": "11"},  # Beijing or Seoul? Neither
        {"state": "XX:99"},
        {"state": "CN:"},
        {"country": "CN", "state": "<b>"},
    ],
)
def test_a_bad_choice_lists_no_stores_and_says_so(owner_client, world_stores, params):
    page = owner_client.get(reverse("accounts:stores"), params)
    assert page.status_code == 200
    assert listed(owner_client, **params) == []
    assert "0 of 6 stores" in page.text
    assert "Select a valid choice." in page.text
    assert 'aria-invalid="true"' in page.text
    assert exported(owner_client, **params) == []


def test_a_bad_country_for_a_one_country_organization_is_said_too(owner_client, org):
    StoreFactory(organization=org, number="1", state="AR")
    page = owner_client.get(reverse("accounts:stores"), {"country": "CN"}).text
    assert "Country: Select a valid choice. CN is not one of the available choices." in page


def test_a_region_adds_the_stores_of_one_countrys_state(owner_client, org, world_stores):
    region = RegionFactory(organization=org, name="Beijing")
    page = owner_client.get(reverse("accounts:region_detail", args=[region.pk]), {"state": "CN:11"})
    assert "Add all 1 matching store" in page.text
    owner_client.post(reverse("accounts:region_add_matching", args=[region.pk]), {"state": "CN:11"})
    assert [s.number for s in region.stores.all()] == ["201"]
    owner_client.post(
        reverse("accounts:region_add_matching", args=[region.pk]),
        {"country": "CN", "state": "KR:26"},
    )
    assert [s.number for s in region.stores.all()] == ["201"]


def test_the_state_fragment_is_the_organizations_own(owner_client, world_stores, other_org):
    StoreFactory(organization=other_org, number="900", country="JP", state="13")
    fragment = owner_client.get(reverse("accounts:store_filter_states"), {"country": "JP"}).text
    assert "13" not in labels(fragment, "state")
