"""Real-world-shaped files (tests/imports/corpus/) uploaded through the import pages: each
test reads back what was stored and compares it with values written out here by hand.

A count of rows proves little: a sales file with decimal commas was once stored 100 times
too large with 0 errors in the preview. These tests check the values.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Store
from inventory.models import Product, SalesLine, Stock
from tests.factories import OrganizationFactory, ProductFactory, StockFactory, StoreFactory
from tests.imports.conftest import CORPUS
from tests.imports.corpus.make_corpus import FILES

pytestmark = pytest.mark.django_db

D = Decimal
day = datetime.date


@pytest.fixture
def catalogue(org):
    """The stores and products the sales files name."""
    for number in ("101", "102"):
        StoreFactory(organization=org, number=number)
    for sku in ("A-100", "B-200", "C-300"):
        ProductFactory(organization=org, sku=sku)


def sales(org):
    return list(
        SalesLine.objects.filter(organization=org)
        .order_by("date", "store__number", "product__sku")
        .values_list("date", "store__number", "product__sku", "quantity", "retail_amount")
    )


def products(org):
    return list(
        Product.objects.for_org(org)
        .order_by("sku")
        .values_list("sku", "name", "vendor_name", "category", "unit_cost", "retail_price")
    )


def exact(rows):
    """Decimals as their text too, so 1234.560 or 45.06000 would show as a difference."""
    return [tuple(str(v) if isinstance(v, Decimal) else v for v in row) for row in rows]


def samples(batch, field):
    column = next(c for c in batch.details["columns"] if c["field"] == field)
    return column["samples"]


def test_the_corpus_files_are_what_the_script_writes():
    on_disk = {path.name: path.read_bytes() for path in CORPUS.glob("*.csv")}
    assert on_disk == FILES


# -- Money written with decimal commas and grouped thousands ---------------------------


def test_semicolon_sales_file_with_decimal_commas_keeps_the_cents(upload, confirm, org, catalogue):
    batch = upload("sales", "sales_semicolon_decimal_comma.csv")
    assert (batch.delimiter, batch.error_count, batch.to_create) == (";", 0, 7), batch.errors
    assert ["45,06", "45.06"] in samples(batch, "retail_amount")
    confirm(batch)
    assert batch.status == "applied", batch.message
    assert exact(sales(org)) == [
        (day(2024, 1, 31), "101", "A-100", "3.00", "45.06"),
        (day(2024, 2, 1), "101", "B-200", "12.00", "1234.56"),
        (day(2024, 2, 2), "102", "A-100", "10.00", "1234.56"),  # 1 234,56 with a no-break space
        (day(2024, 2, 15), "102", "C-300", "1.00", "0.99"),
        (day(2024, 2, 16), "101", "C-300", "-2.00", "-1.98"),
        (day(2024, 2, 20), "101", "A-100", "25.00", "1234.50"),  # a narrow no-break space
        (day(2024, 2, 21), "102", "B-200", "1000.00", "12345678.90"),
    ]


PRODUCTS_FR = [
    ("A-100", "Café moulu 500 g", "Torréfaction Dupont", "Épicerie", "45.06", "59.90"),
    ("B-200", "Machine à expresso", "Cafés Martin", "Électroménager", "1234.56", "1599.00"),
    ("C-300", "Tasse", "Cafés Martin", "Vaisselle", "0.45", "0.99"),
    ("D-400", "Torréfacteur pro", "Torréfaction Dupont", "Électroménager", "12345.67", "15000.00"),
]


def test_products_with_decimal_commas_and_spaces_grouping_thousands(upload, confirm, org):
    batch = upload("products", "products_decimal_comma.csv")
    assert (batch.error_count, batch.to_create) == (0, 4), batch.errors
    confirm(batch)
    assert exact(products(org)) == PRODUCTS_FR


def test_french_excel_products_in_windows_1252_with_no_break_spaces(upload, confirm, org):
    batch = upload("products", "products_fr_excel_cp1252.csv")
    assert batch.encoding == "Windows-1252"
    assert (batch.error_count, batch.to_create) == (0, 3), batch.errors
    confirm(batch)
    assert exact(products(org)) == [
        PRODUCTS_FR[0],
        PRODUCTS_FR[1],
        ("C-300", "Tasse à café", "Cafés Martin", "Vaisselle", "0.45", "0.99"),
    ]


def test_products_with_thousands_commas_and_decimal_points(upload, confirm, org):
    batch = upload("products", "products_thousands_point.csv")
    assert (batch.delimiter, batch.error_count, batch.to_create) == (",", 0, 4), batch.errors
    assert ["1,234.56", "1234.56"] in samples(batch, "unit_cost")
    confirm(batch)
    assert exact(products(org)) == [
        ("A-100", "Ground coffee 500 g", "Dupont Roasters", "Grocery", "45.06", "59.90"),
        ("B-200", "Espresso machine", "Martin Coffee", "Appliances", "1234.56", "1599.00"),
        ("C-300", "Cup", "Martin Coffee", "Tableware", "0.45", "0.99"),
        ("D-400", "Pro roaster", "Dupont Roasters", "Appliances", "12345.67", "15000.00"),
    ]


# -- Dates day-first, month-first, and undecided --------------------------------------

SALES_DATES = [day(2023, 12, 25), day(2024, 1, 13), day(2024, 3, 2)]


@pytest.mark.parametrize("name", ["sales_day_first.csv", "sales_month_first.csv"])
def test_the_date_order_is_decided_by_a_day_above_12(upload, confirm, org, catalogue, name):
    batch = upload("sales", name)
    assert (batch.error_count, batch.details["ambiguous_dates"]) == (0, [])
    confirm(batch)
    assert batch.status == "applied", batch.message
    assert [(d, sku, amount) for d, _store, sku, _q, amount in exact(sales(org))] == [
        (SALES_DATES[0], "A-100", "30.00"),
        (SALES_DATES[1], "A-100", "10.00"),
        (SALES_DATES[2], "B-200", "20.00"),
    ]


@pytest.mark.parametrize(
    ("choice", "dates"),
    [
        ("dmy", [day(2024, 4, 3), day(2024, 6, 5), day(2024, 12, 11)]),
        ("mdy", [day(2024, 3, 4), day(2024, 5, 6), day(2024, 11, 12)]),
    ],
)
def test_ambiguous_dates_import_only_once_the_order_is_chosen(
    upload, confirm, owner_client, org, catalogue, choice, dates
):
    batch = upload("sales", "sales_ambiguous_dates.csv")
    assert batch.details["ambiguous_dates"] == ["date"]
    # The samples do not pretend to know the date before the user says.
    date_column = next(c for c in batch.details["columns"] if c["field"] == "date")
    assert {stored for _raw, stored in date_column["samples"]} == {"(choose how dates are written)"}
    page = confirm(batch)
    assert "Choose how the dates in Date are written" in page.text
    assert batch.status == "ready"
    assert sales(org) == []

    owner_client.post(
        reverse("accounts:import_reading", args=[batch.pk]), {"field": "date", "choice": choice}
    )
    batch.refresh_from_db()
    assert batch.details["ambiguous_dates"] == []
    date_column = next(c for c in batch.details["columns"] if c["field"] == "date")
    assert all(stored.startswith("2024-") for _raw, stored in date_column["samples"])
    confirm(batch)
    assert batch.status == "applied", batch.message
    assert [(d, sku) for d, _store, sku, _q, _a in sales(org)] == list(
        zip(dates, ["A-100", "B-200", "A-100"], strict=True)
    )


# -- Encodings ------------------------------------------------------------------------

WORLD_STORES = [
    ("1", "北京王府井店", "北京", "CN"),
    ("2", "東京銀座ショップ", "東京", "JP"),
    ("3", "متجر دبي مول", "دبي", "AE"),
    ("4", "Café Zürich", "Zürich", "CH"),
    ("5", "São Paulo Centro", "São Paulo", "BR"),
    ("6", "Kraków Główny", "Kraków", "PL"),
    ("7", "서울 강남점", "서울", "KR"),
    ("8", "Москва Центр", "Москва", "RU"),
]


def stores(org, *fields):
    return list(Store.objects.for_org(org).by_number().values_list("number", *fields))


def test_utf8_names_in_every_script_are_stored_exactly(upload, confirm, org):
    batch = upload("stores", "stores_world_utf8.csv")
    assert (batch.encoding, batch.error_count) == ("UTF-8", 0), batch.errors
    confirm(batch)
    assert stores(org, "name", "city", "country") == WORLD_STORES


def test_one_latin1_line_in_a_utf8_file_is_that_lines_error_only(upload, confirm, org):
    batch = upload("stores", "stores_world_utf8_one_latin1_line.csv")
    assert batch.encoding == "UTF-8"
    assert batch.error_count == 1
    assert batch.errors[0]["line"] == 5  # 4,Café Zürich,... in Latin-1 bytes
    assert "not valid UTF-8" in batch.errors[0]["message"]
    confirm(batch, mode="valid_only")
    assert batch.status == "applied", batch.message
    assert stores(org, "name", "city", "country") == [s for s in WORLD_STORES if s[0] != "4"]


def test_windows_1252_file_keeps_its_accents_and_euro_sign(upload, confirm, org):
    batch = upload("stores", "stores_windows1252.csv")
    assert (batch.encoding, batch.error_count) == ("Windows-1252", 0), batch.errors
    confirm(batch)
    assert stores(org, "name", "city", "country") == [
        ("10", "Café de Flore", "Paris", "FR"),
        ("11", "Zürich Hauptbahnhof", "Zürich", "CH"),
        ("12", "Crème & Brûlée", "Montréal", "CA"),
        ("13", "Feinkost an der Straße", "München", "DE"),
        ("14", "Œufs & Co — 1 € Shop", "Liège", "BE"),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "stores_windows1252_short.csv",
            [("70", "Loja São João", "Porto", "PT"), ("71", "Shop Élysée", "Paris", "FR")],
        ),
        (
            "stores_windows1252_capitals.csv",
            [("72", "CARNICERÍA NÚÑEZ", "MADRID", "ES"), ("73", "PROMOÇÃO", "LISBOA", "PT")],
        ),
    ],
)
def test_a_short_windows_1252_file_is_not_taken_for_another_encoding(
    upload, confirm, org, name, expected
):
    batch = upload("stores", name)
    assert (batch.encoding, batch.error_count) == ("Windows-1252", 0), batch.errors
    confirm(batch)
    assert stores(org, "name", "city", "country") == expected


# -- Postal codes and phones ----------------------------------------------------------


def test_postal_codes_of_each_country_and_international_phones(upload, confirm, owner_client, org):
    batch = upload("stores", "stores_postal_codes.csv")
    assert batch.error_count == 0, batch.errors
    assert ["501", "00501"] in samples(batch, "postal_code")
    page = owner_client.get(reverse("accounts:import_detail", args=[batch.pk]))
    assert "2 US ZIP codes had lost their leading zeros" in page.text
    assert "501 is stored as 00501" in page.text
    confirm(batch)
    assert stores(org, "postal_code", "country", "phone") == [
        ("20", "00501", "US", "+1 631 555 0100"),
        ("21", "02116", "US", "(617) 555-0199"),
        ("22", "5001", "CH", "+41 62 555 12 12"),
        ("23", "1000", "BE", "+32 2 555 12 12"),
        ("24", "SW1A 1AA", "GB", "+44 20 7946 0958"),
        ("25", "K1A 0B1", "CA", "+1 613 555 0142"),
        ("26", "100-0001", "JP", "+81 3 5555 1234"),
        ("27", "01310-100", "BR", "+55 11 5555 1234"),
        ("28", "100000", "CN", "+86 10 1234 5678"),
        ("29", "2000", "AU", "+61 2 5555 1234"),
        ("30", "01067", "DE", "+49 351 555 1234"),
        ("31", "D02 X285", "IE", "+353 1 555 1234"),
        ("32", "1012 JS", "NL", "+31 20 555 1234"),
    ]


# -- A key repeated with other values -------------------------------------------------


def test_a_sku_repeated_with_another_name_is_an_error_and_nothing_is_written(upload, confirm, org):
    batch = upload("products", "products_repeated_sku.csv")
    assert batch.error_count == 1
    [error] = batch.errors
    assert (error["line"], error["column"]) == (4, "Name")
    assert "also on line 2" in error["message"]
    assert "'Coffee 500 g' there and 'Coffee 1 kg' here" in error["message"]
    page = confirm(batch)
    assert "nothing was imported" in page.text
    assert products(org) == []


def test_a_store_number_repeated_with_another_city_is_an_error_and_nothing_is_written(
    upload, confirm, org
):
    batch = upload("stores", "stores_repeated_number.csv")
    assert batch.error_count == 1
    [error] = batch.errors
    assert (error["line"], error["column"]) == (4, "City")
    assert "also on line 2" in error["message"]
    assert "'Springfield' there and 'Shelbyville' here" in error["message"]
    confirm(batch)
    assert batch.status == "ready"
    assert stores(org) == []


# -- Our own exports, imported back ---------------------------------------------------


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def all_values(queryset):
    return list(queryset.order_by("pk").values())


def test_the_stores_export_imports_back_unchanged(upload, confirm, owner_client, org):
    StoreFactory(organization=org, number="1", name="Bruxelles Centre", city="Bruxelles",
                 state="", postal_code="1000", country="BE", phone="+32 2 555 12 12",
                 latitude=D("50.846557"), longitude=D("4.351697"))  # fmt: skip
    StoreFactory(organization=org, number="2", name="王府井", city="北京", state="",
                 postal_code="100000", country="CN", phone="+86 10 1234 5678",
                 latitude=D("39.913818"), longitude=D("116.363625"))  # fmt: skip
    StoreFactory(organization=org, number="10", name="Holtsville", city="Holtsville",
                 state="NY", postal_code="00501", country="US", phone="(631) 555-0100",
                 latitude=D("40.815400"), longitude=D("-73.045600"), is_open=False)  # fmt: skip
    StoreFactory(organization=org, number="11", name="-Outlet-", city="Zürich", state="ZH",
                 postal_code="8001", country="CH", phone="")  # fmt: skip
    # A name that itself starts with an apostrophe before a trigger keeps it both ways.
    StoreFactory(organization=org, number="12", name="'=Quoted", city="Gent", state="",
                 postal_code="9000", country="BE", phone="")  # fmt: skip
    before = all_values(Store.objects.for_org(org))

    data = download(owner_client, reverse("accounts:stores_export"))
    assert b"'+32 2 555 12 12" in data and b"'-Outlet-" in data and b"''=Quoted" in data
    batch = upload("stores", "stores-export.csv", data)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 0, 5), batch.errors
    assert batch.error_count == 0
    page = owner_client.get(reverse("accounts:import_detail", args=[batch.pk]))
    assert "there is nothing to import" in page.text
    confirm(batch)
    assert (batch.created_count, batch.updated_count) == (0, 0)
    assert all_values(Store.objects.for_org(org)) == before


@pytest.fixture
def inventory(org):
    vendor = OrganizationFactory(name="Rösterei Müller", is_retailer=False, is_vendor=True)
    brussels = StoreFactory(organization=org, number="1", country="BE", phone="+32 2 555 12 12")
    beijing = StoreFactory(organization=org, number="2", country="CN", phone="+86 10 1234 5678")
    formula = ProductFactory(organization=org, sku="EQ-1", name="=1+1 Bundle", vendor_name="Acme",
                             category="Bundles", unit_cost=D("1234.56"), retail_price=D("1999.00"))  # fmt: skip
    coffee = ProductFactory(organization=org, sku="KAF-500", name="Kaffee Crème 500 g",
                            vendor_name=vendor.name, vendor_organization=vendor,
                            category="Café", unit_cost=D("4.06"), retail_price=D("5.99"))  # fmt: skip
    tea = ProductFactory(organization=org, sku="TEA-1", name="茶 Oolong", vendor_name="",
                         category="", unit_cost=None, retail_price=None)  # fmt: skip
    StockFactory(organization=org, store=brussels, product=formula, on_hand=3, on_order=0)
    StockFactory(organization=org, store=brussels, product=coffee, on_hand=1200, on_order=24,
                 current_price=D("4.99"))  # fmt: skip
    StockFactory(organization=org, store=beijing, product=coffee, on_hand=0, on_order=0)
    StockFactory(organization=org, store=beijing, product=tea, on_hand=2, on_order=5)


@pytest.mark.parametrize("kind", ["products", "stock"])
def test_the_inventory_export_imports_back_unchanged(
    upload, confirm, owner_client, org, inventory, kind
):
    before = (all_values(Product.objects.for_org(org)), all_values(Stock.objects.for_org(org)))

    data = download(owner_client, reverse("inventory:export", args=[org.pk]))
    assert b"'=1+1 Bundle" in data
    batch = upload(kind, "inventory-export.csv", data)
    assert batch.status == "ready", batch.header
    assert batch.error_count == 0, batch.errors
    assert (batch.to_create, batch.to_update) == (0, 0), batch.details["changed_rows"]
    confirm(batch)
    assert (batch.created_count, batch.updated_count) == (0, 0)
    after = (all_values(Product.objects.for_org(org)), all_values(Stock.objects.for_org(org)))
    assert after == before
