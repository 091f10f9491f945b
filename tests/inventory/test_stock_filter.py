"""The stock list's filter: the rows shown, the totals and the export each hold exactly the
stock rows a plain reading of the filter picks, for the owner and (within its geography)
for a merchandising partner."""

import csv
import io
import random
import re

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import ProductFactory, RegionFactory, StockFactory, StoreFactory

VENDORS = ["Prairie Spirits", "Cornbelt", ""]
CATEGORIES = ["Whiskey", "Vodka", "Gin"]


@pytest.fixture
def world(shop):
    rng = random.Random(7)
    owner = shop["retailer"]
    extra = [StoreFactory(organization=owner, number=str(n), state="IA") for n in (4, 5)]
    stores = shop["stores"] + extra
    region = RegionFactory(organization=owner, name="Iowa", rule_states=["IA"])
    rows = []
    for number in range(12):
        product = ProductFactory(
            organization=owner, sku=f"F-{number:02d}", name=f"{CATEGORIES[number % 3]} no. {number}",
            vendor_name=VENDORS[number % 3], category=CATEGORIES[number % 3],
        )  # fmt: skip
        for store in rng.sample(stores, 3):
            on_hand = rng.randint(0, 40)
            StockFactory(organization=owner, store=store, product=product, on_hand=on_hand)
            rows.append({
                "store": store.number, "sku": product.sku, "name": product.name,
                "vendor": product.vendor_name, "category": product.category, "on_hand": on_hand,
                "iowa": store.state == "IA",
            })  # fmt: skip
    # The shop fixture's own two products at stores 1-3 count too.
    for (number, sku), stock in shop["stock"].items():
        product = stock.product
        rows.append({
            "store": number, "sku": sku, "name": product.name, "vendor": product.vendor_display,
            "category": product.category, "on_hand": stock.on_hand, "iowa": False,
        })  # fmt: skip
    return {**shop, "rows": rows, "region": region}


def shown(client, owner, params):
    """(store, sku) of every row on every page, following Next page."""
    url = reverse("inventory:stock", args=[owner.pk])
    found, query = [], dict(params)
    while True:
        page = client.get(url, query)
        assert page.status_code == 200
        found += re.findall(
            r'<tr id="stock-\d+"><td[^>]*>([^<]+)</td><td[^>]*><a [^>]+>([^<]+)</a>', page.text
        )
        after = re.search(r"[?&]after=([0-9.]+)", page.text)
        if not after:
            return sorted(found)
        query["after"] = after.group(1)


def picked(rows, params, stores=None):
    def keep(r):
        if stores is not None and r["store"] not in stores:
            return False
        q = params.get("q", "").strip().lower()
        if q and not (r["sku"].lower() == q or q in r["name"].lower()):
            return False
        if params.get("vendor") and params["vendor"].lower() not in (r["vendor"] or "").lower():
            return False
        if (
            params.get("category")
            and params["category"].lower() not in (r["category"] or "").lower()
        ):
            return False
        if params.get("store") and r["store"] != params["store"].lstrip("#"):
            return False
        return not (params.get("region") and not r["iowa"])

    return [r for r in rows if keep(r)]


CASES = [
    {},
    {"q": "F-03"},
    {"q": "vodka"},
    {"vendor": "corn"},
    {"category": "gin", "vendor": "prairie"},
    {"store": "#4"},
    {"store": "999"},
    {"q": "whiskey", "store": "2"},
]


@pytest.mark.parametrize("params", [*CASES, "region"], ids=str)
def test_the_owner_sees_exactly_the_rows_the_filter_picks(world, params):
    if params == "region":
        params = {"region": world["region"].pk}
    client, owner = client_for(world["owner"]), world["retailer"]
    expected = picked(world["rows"], params)
    assert shown(client, owner, params) == sorted((r["store"], r["sku"]) for r in expected)
    totals = client.get(reverse("inventory:totals", args=[owner.pk]), params).text
    assert f"<strong>{sum(r['on_hand'] for r in expected)}</strong> on hand" in totals
    export = client.get(reverse("inventory:export", args=[owner.pk]), params)
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert sorted((line[0], line[1]) for line in lines[1:]) == sorted(
        (r["store"], r["sku"]) for r in expected
    )


@pytest.mark.parametrize("params", CASES, ids=str)
def test_a_partner_sees_the_rows_the_filter_picks_within_its_geography(world, params):
    client, owner = client_for(world["rep"]), world["retailer"]
    expected = picked(world["rows"], params, stores={"1", "2"})
    assert shown(client, owner, params) == sorted((r["store"], r["sku"]) for r in expected)
    # The owner's regions are not the partner's to filter by, and an id in the query is ignored.
    page = client.get(reverse("inventory:stock", args=[owner.pk]), {"region": world["region"].pk})
    assert 'name="region"' not in page.text
