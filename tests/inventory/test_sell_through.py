"""Vendor analytics (seed 002): the page's and the exports' figures, recomputed here from
the stock and sales rows by a plain implementation (loops over every row, the geography
read from the partnerships themselves), must be what the vendor is shown.

The world is awkward on purpose: a product with no sales, a store with nothing on hand, a
product never received, another vendor's sales, a retailer sharing only some stores, a
return, a sale before the period, and a cancelled and an unapproved share."""

import csv
import datetime
import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from inventory.analytics import glance
from inventory.models import SalesLine, Stock
from partners.models import Partnership
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    PartnershipFactory,
    ProductFactory,
    SalesLineFactory,
    StockFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

LAST_SALE = datetime.date(2026, 11, 20)
BUCKETS = [("0-30 days", 0, 30), ("31-60 days", 31, 60), ("61-90 days", 61, 90),
           ("91-180 days", 91, 180), ("over 180 days", 181, 10**6)]  # fmt: skip


# -- the world ---------------------------------------------------------------------------
@pytest.fixture
def world():
    vendor = OrganizationFactory(name="Prairie Distillers", is_retailer=False, is_vendor=True)
    other_vendor = OrganizationFactory(name="Cornfield Brands", is_retailer=False, is_vendor=True)
    user = MembershipFactory(organization=vendor, role=Membership.Role.OWNER).user
    today = timezone.localdate()

    def retailer(name, stores, status=Partnership.Status.ACTIVE, shared=None):
        org = OrganizationFactory(name=name, is_retailer=True)
        made = [StoreFactory(organization=org, number=str(n), name=f"{name} {n}") for n in stores]
        share = PartnershipFactory(
            organization=org, partner=vendor, status=status, scope=Partnership.Scope.VENDOR,
            all_stores=shared is None,
        )  # fmt: skip
        if shared is not None:
            share.stores.add(*[s for s in made if int(s.number) in shared])
        return org, made

    def stock(store, product, on_hand, received_days_ago=None, first_seen_days_ago=0):
        row = StockFactory(organization=store.organization, store=store, product=product,
                           on_hand=on_hand, current_price=Decimal("876543.21"))  # fmt: skip
        Stock.objects.filter(pk=row.pk).update(
            first_seen_at=timezone.now() - datetime.timedelta(days=first_seen_days_ago),
            last_received_on=None
            if received_days_ago is None
            else today - datetime.timedelta(days=received_days_ago),
        )

    def sale(store, product, quantity, cost, date=LAST_SALE):
        SalesLineFactory(organization=store.organization, store=store, product=product, date=date,
                         quantity=Decimal(quantity), cost_amount=cost,
                         retail_amount=Decimal("555555.55"))  # fmt: skip

    # A: shares stores 1 and 2 of three with the vendor.
    a, (a1, a2, a3) = retailer("Alpha Mart", (1, 2, 3), shared={1, 2})
    rum = ProductFactory(organization=a, sku="RUM", name="Prairie Rum", vendor_organization=vendor,
                         unit_cost=Decimal("5.00"), retail_price=Decimal("987654.32"))  # fmt: skip
    gin = ProductFactory(organization=a, sku="GIN", name="Prairie Gin (no sales)",
                         vendor_organization=vendor)  # fmt: skip
    rye = ProductFactory(organization=a, sku="RYE", name="Prairie Rye (never received)",
                         vendor_organization=vendor)  # fmt: skip
    theirs = ProductFactory(organization=a, sku="OTHER", name="OTHER-VENDOR-PRODUCT",
                            vendor_organization=other_vendor)  # fmt: skip
    stock(a1, rum, 30, received_days_ago=10, first_seen_days_ago=400)
    stock(a2, rum, 0, received_days_ago=45)  # a store with nothing on hand
    stock(a1, gin, 12, received_days_ago=100)
    stock(a2, gin, 7, received_days_ago=200)
    stock(a1, rye, 9, first_seen_days_ago=75)  # never received: first seen counts
    stock(a2, rye, 4, first_seen_days_ago=31)
    stock(a3, rum, 500, received_days_ago=1)  # a store not shared with the vendor
    stock(a1, theirs, 800, received_days_ago=1)  # another vendor's product
    sale(a1, rum, 20, Decimal("100.00"))
    sale(a1, rum, -2, Decimal("-10.00"), date=LAST_SALE - datetime.timedelta(days=3))  # a return
    sale(a2, rum, 6, Decimal("30.00"), date=LAST_SALE - datetime.timedelta(days=40))
    sale(a1, rye, 3, None, date=LAST_SALE - datetime.timedelta(days=80))  # no cost on the line
    sale(a1, rum, 50, Decimal("250.00"), date=LAST_SALE - datetime.timedelta(days=120))  # too early
    sale(a3, rum, 999, Decimal("4995.00"))  # store not shared
    sale(a1, theirs, 777, Decimal("7777.00"))  # another vendor's product

    # B: shares every store.
    b, (b1, b2) = retailer("Beta Liquor", (7, 13))
    vodka = ProductFactory(
        organization=b, sku="VOD", name="Prairie Vodka", vendor_organization=vendor
    )
    stock(b1, vodka, 40, received_days_ago=61)
    stock(b2, vodka, 5, received_days_ago=95)
    sale(b1, vodka, 8, Decimal("64.00"), date=LAST_SALE - datetime.timedelta(days=1))
    sale(b2, vodka, 12, Decimal("96.00"), date=LAST_SALE - datetime.timedelta(days=20))

    # C and D: a cancelled request and an unapproved share show nothing.
    for name, status in (("Cancelled Co", Partnership.Status.CANCELLED),
                         ("Unapproved Co", Partnership.Status.UNAPPROVED)):  # fmt: skip
        org, (store,) = retailer(name, (1,), status=status)
        product = ProductFactory(organization=org, sku="HIDDEN", vendor_organization=vendor)
        stock(store, product, 66, received_days_ago=5)
        sale(store, product, 33, Decimal("33.00"), date=LAST_SALE + datetime.timedelta(days=5))

    return {"vendor": vendor, "user": user, "a": a, "b": b, "today": today}


# -- the plain implementation ------------------------------------------------------------
def plain_figures(vendor, today, weeks=13, end=None, retailer=None):
    """Every figure by (retailer, store), (retailer, product), retailer and in total, from
    every row of the tables, with nothing but loops and the partnerships' own fields."""
    shared = set()  # (retailer id, store id)
    for p in Partnership.objects.all():
        if p.partner_id != vendor.pk or p.scope != "vendor" or p.status != "active":
            continue
        if retailer is not None and p.organization_id != retailer.pk:
            continue
        stores = p.organization.stores.all() if p.all_stores else p.stores.all()
        shared |= {(p.organization_id, s.pk) for s in stores}

    def counts(row):
        return (row.organization_id, row.store_id) in shared and (
            row.product.vendor_organization_id == vendor.pk
        )

    sales = [line for line in SalesLine.objects.all() if counts(line)]
    stock = [row for row in Stock.objects.all() if counts(row)]
    if end is None:
        end = max(line.date for line in sales)
    start = end - datetime.timedelta(days=weeks * 7 - 1)

    def blank():
        return {"units": Decimal(0), "cost": Decimal(0), "on_hand": 0,
                **{label: 0 for label, *_ in BUCKETS}}  # fmt: skip

    groups = defaultdict(blank)
    for line in sales:
        if not start <= line.date <= end:
            continue
        for key in (("store", line.store.number), ("product", line.product.sku),
                    ("retailer", line.organization_id), ("total",)):  # fmt: skip
            groups[key]["units"] += line.quantity
            groups[key]["cost"] += line.cost_amount or 0
    for row in stock:
        received = row.last_received_on or timezone.localtime(row.first_seen_at).date()
        age = max(0, (today - received).days)
        for key in (("store", row.store.number), ("product", row.product.sku),
                    ("retailer", row.organization_id), ("total",)):  # fmt: skip
            groups[key]["on_hand"] += row.on_hand
            for label, low, high in BUCKETS:
                if low <= age <= high:
                    groups[key][label] += row.on_hand
    for figures in groups.values():
        sold, on_hand = figures["units"], figures["on_hand"]
        figures["sell_through"] = (
            tenth(float(sold) / float(sold + on_hand) * 100) if sold + on_hand > 0 else None
        )
        figures["weeks_of_supply"] = tenth(on_hand / (float(sold) / weeks)) if sold > 0 else None
        figures["old"] = figures["91-180 days"] + figures["over 180 days"]
    return groups, start, end


def tenth(value):
    """Rounded to a tenth, half up, as the page and the export show it."""
    return Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# -- reading what the vendor is shown ----------------------------------------------------
class Page(HTMLParser):
    """The page's tables by id (rows of cell texts, with their tr's data-key) and the text
    of every element with an id."""

    def __init__(self, html):
        super().__init__()
        self.tables, self.texts = {}, {}
        self._table, self._row, self._cell, self._ids = None, None, None, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = {"key": attrs.get("data-key"), "cells": []}
            self.tables[self._table].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        if "id" in attrs:
            self._ids.append((tag, attrs["id"], []))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row["cells"].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None
        if self._ids and self._ids[-1][0] == tag:
            _, name, parts = self._ids.pop()
            self.texts[name] = " ".join("".join(parts).split())

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        for _tag, _name, parts in self._ids:
            parts.append(data)


def number(text):
    text = text.replace(",", "").replace("$", "").replace("%", "").strip()
    return None if text.startswith("—") or text == "" else Decimal(text)


def shown(figures, key):
    return figures[key]


def page_rows(page, table_id, several):
    """{data-key: (units, cost, on hand, sell-through, weeks of supply, over 90)}."""
    offset = 2 if several else 1
    rows = {}
    for row in page.tables[table_id][1:]:
        cells = row["cells"][offset:]
        rows[row["key"]] = tuple(number(c) for c in cells[:6])
    return rows


def expected_row(figures):
    return (
        figures["units"], figures["cost"], Decimal(figures["on_hand"]),
        shown(figures, "sell_through"), shown(figures, "weeks_of_supply"), Decimal(figures["old"]),
    )  # fmt: skip


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    header_at = next(i for i, line in enumerate(lines) if line and line[0] == "Retailer")
    return lines[:header_at], lines[header_at], lines[header_at + 1 :]


# -- the tests ---------------------------------------------------------------------------
def test_the_page_shows_what_a_plain_recount_of_the_rows_gives(world):
    expected, _start, end = plain_figures(world["vendor"], world["today"])
    response = client_of(world["user"]).get(reverse("inventory:sell_through"))
    assert response.status_code == 200
    page = Page(response.text)
    assert end == LAST_SALE and f"{end:%-d %b %Y}" in page.texts["period"]
    assert "ending on the latest sale you can see" in page.texts["period"]
    total = expected[("total",)]
    assert number(page.texts["total-units"]) == total["units"]
    assert number(page.texts["total-cost"]) == total["cost"]
    assert number(page.texts["total-sell-through"]) == shown(total, "sell_through")
    assert number(page.texts["total-weeks"]) == shown(total, "weeks_of_supply")
    assert number(page.texts["total-on-hand"]) == total["on_hand"]
    aging = {row["cells"][0]: number(row["cells"][1]) for row in page.tables["aging-table"][1:]}
    assert aging == {label: total[label] for label, *_ in BUCKETS}

    by_retailer = {
        row["cells"][0]: tuple(number(c) for c in row["cells"][1:7])
        for row in page.tables["retailer-table"][1:]
    }
    assert by_retailer == {
        "Alpha Mart": expected_row(expected[("retailer", world["a"].pk)]),
        "Beta Liquor": expected_row(expected[("retailer", world["b"].pk)]),
    }
    stores = page_rows(page, "store-table", several=True)
    assert stores == {key[1]: expected_row(f) for key, f in expected.items() if key[0] == "store"}
    products = page_rows(page, "product-table", several=True)
    assert products == {
        key[1]: expected_row(f) for key, f in expected.items() if key[0] == "product"
    }
    # The awkward rows are there, and what must not count does not.
    assert products["GIN"][0] == 0 and products["GIN"][4] is None  # no sales: no supply
    assert "nothing sold in the period" in response.text
    assert set(stores) == {"1", "2", "7", "13"}  # not store 3 of Alpha Mart
    assert "Cancelled Co" not in response.text and "Unapproved Co" not in response.text
    assert "HIDDEN" not in response.text and "OTHER-VENDOR-PRODUCT" not in response.text


def test_one_retailer_and_another_period_match_the_plain_recount(world):
    end = LAST_SALE - datetime.timedelta(days=10)
    expected, _start, _end = plain_figures(
        world["vendor"], world["today"], weeks=4, end=end, retailer=world["a"]
    )
    response = client_of(world["user"]).get(
        reverse("inventory:sell_through"),
        {"retailer": world["a"].pk, "weeks": 4, "end": end.isoformat()},
    )
    page = Page(response.text)
    stores = page_rows(page, "store-table", several=False)
    assert stores == {key[1]: expected_row(f) for key, f in expected.items() if key[0] == "store"}
    products = page_rows(page, "product-table", several=False)
    assert products == {
        key[1]: expected_row(f) for key, f in expected.items() if key[0] == "product"
    }
    assert number(page.texts["total-units"]) == expected[("total",)]["units"]
    assert "Beta Liquor 7" not in response.text


@pytest.mark.parametrize("by", ["store", "product"])
def test_the_exports_match_the_plain_recount_and_are_spreadsheet_safe(world, by):
    # A store name a spreadsheet would run as a formula.
    world["a"].stores.filter(number="1").update(name="=HYPERLINK(1)")
    expected, start, end = plain_figures(world["vendor"], world["today"])
    response = client_of(world["user"]).get(reverse("inventory:sell_through_export"), {"by": by})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    preamble, header, rows = csv_rows(response)
    assert [f"{start.isoformat()} to {end.isoformat()} (13 weeks)"] == [
        line[1] for line in preamble if line and line[0] == "Period"
    ]
    figures_at = header.index("Units sold")
    found = {}
    for line in rows:
        key = line[1]
        values = dict(zip(header[figures_at:], line[figures_at:], strict=True))
        found[key] = values
        f = expected[(by, key)]
        assert Decimal(values["Units sold"]) == f["units"]
        assert Decimal(values["Cost sold"]) == f["cost"]
        assert int(values["On hand"]) == f["on_hand"]
        assert (Decimal(values["Sell-through %"]) if values["Sell-through %"] else None) == shown(
            f, "sell_through"
        )
        assert (Decimal(values["Weeks of supply"]) if values["Weeks of supply"] else None) == shown(
            f, "weeks_of_supply"
        )
        for label, *_ in BUCKETS:
            assert int(values[f"On hand aged {label}"]) == f[label]
    assert set(found) == {key[1] for key in expected if key[0] == by}
    text = "\n".join(",".join(line) for line in rows)
    if by == "store":
        assert "'=HYPERLINK(1)" in text  # shown as text, never run
    for line in rows:
        for cell in line:
            assert (
                not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                or cell.lstrip("-").replace(".", "").isdigit()
            ), f"{cell!r} would run as a formula"


def test_glance_gives_the_plain_totals_for_the_default_period(world):
    expected, _start, end = plain_figures(world["vendor"], world["today"])
    total = expected[("total",)]
    figures = glance(world["vendor"])
    assert figures["retailers"] == 2
    assert figures["period"].end == end and figures["period"].weeks == 13
    assert figures["units_sold"] == total["units"]
    assert tenth(figures["sell_through"]) == total["sell_through"]
    assert tenth(figures["weeks_of_supply"]) == total["weeks_of_supply"]
    old_share = total["old"] / sum(total[label] for label, *_ in BUCKETS) * 100
    assert figures["old_share"] == pytest.approx(old_share)


def test_glance_snippet_links_to_the_page(world, rf):
    from django.template.loader import render_to_string

    html = render_to_string("inventory/_vendor_glance.html", {"glance": glance(world["vendor"])})
    assert reverse("inventory:sell_through") in html and "2 retailers" in html


def test_glance_of_an_organization_nobody_shares_with(db):
    figures = glance(OrganizationFactory(is_vendor=True))
    assert figures["retailers"] == 0 and figures["units_sold"] == 0
    assert figures["sell_through"] is None and figures["weeks_of_supply"] is None


def test_a_retailer_that_does_not_share_with_the_vendor_is_a_404(world):
    client = client_of(world["user"])
    cancelled = Partnership.objects.get(status=Partnership.Status.CANCELLED).organization
    for retailer_id in (cancelled.pk, OrganizationFactory().pk, 999999, "x"):
        for name in ("inventory:sell_through", "inventory:sell_through_export"):
            response = client.get(reverse(name), {"retailer": retailer_id})
            assert response.status_code == 404, (name, retailer_id)


def test_a_retailer_or_anyone_without_a_vendor_share_sees_an_empty_page(world, shop):
    for user in (shop["owner"], shop["rep"], shop["outsider"]):
        response = client_of(user).get(reverse("inventory:sell_through"))
        assert response.status_code == 200
        assert "No retailer shares its data with you yet" in response.text
        assert "555555.55" not in response.text and "Prairie Rum" not in response.text


def test_a_received_adjustment_restarts_the_age(world):
    from inventory import services

    stock = Stock.objects.get(product__sku="RYE", store__number="1")
    owner = MembershipFactory(organization=stock.organization, role=Membership.Role.OWNER).user
    services.stock_adjust(stock_id=stock.pk, viewer=stock.organization, actor=owner,
                          kind="received", on_hand=20)  # fmt: skip
    stock.refresh_from_db()
    assert stock.last_received_on == timezone.localdate() and stock.on_hand == 20
    expected, *_ = plain_figures(world["vendor"], world["today"])
    page = Page(client_of(world["user"]).get(reverse("inventory:sell_through")).text)
    aging = {row["cells"][0]: number(row["cells"][1]) for row in page.tables["aging-table"][1:]}
    assert aging["0-30 days"] == expected[("total",)]["0-30 days"]


def test_the_page_costs_the_same_queries_with_more_rows(world, django_assert_max_num_queries):
    client = client_of(world["user"])
    url = reverse("inventory:sell_through")
    client.get(url)
    with django_assert_max_num_queries(30):
        client.get(url)
    retailer = world["b"]
    stores = [StoreFactory(organization=retailer) for _ in range(20)]
    products = [
        ProductFactory(organization=retailer, vendor_organization=world["vendor"])
        for _ in range(10)
    ]
    for store in stores:
        for product in products:
            StockFactory(organization=retailer, store=store, product=product)
            SalesLineFactory(organization=retailer, store=store, product=product, date=LAST_SALE)
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(30):
        response = client.get(reverse("inventory:sell_through_export"), {"by": "product"})
        b"".join(response.streaming_content)


@pytest.mark.parametrize(("sort", "column"), [("sell_through", 3), ("-weeks", 4), ("old", 5)])
def test_the_store_and_product_tables_sort_by_a_figure_both_ways(world, sort, column):
    """Each table sorts by its own parameter, on the server (the page shows 25 of them);
    the figures shown go in order, and a missing one (—) comes last."""
    expected, _start, _end = plain_figures(world["vendor"], world["today"])
    client = client_of(world["user"])
    for kind in ("store", "product"):
        page = Page(client.get(reverse("inventory:sell_through"), {f"{kind}_sort": sort}).text)
        shown_values = [row[column] for row in page_rows(page, f"{kind}-table", True).values()]
        present = [v for v in shown_values if v is not None]
        assert present == sorted(present, reverse=sort.startswith("-"))
        assert shown_values == present + [None] * (len(shown_values) - len(present))
        figures = {key[1]: expected_row(f) for key, f in expected.items() if key[0] == kind}
        assert sorted(map(str, shown_values)) == sorted(str(f[column]) for f in figures.values())
