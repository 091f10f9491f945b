"""The import preview as a person uses it: sample values and per-field changes, choosing
how a file writes its dates and numbers, cancelling at each step, and the region and
partnership store lists that go through the same preview and its history."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Store
from core.models import ImportBatch
from inventory.models import SalesLine
from partners.models import Partnership
from tests.browser.conftest import snap
from tests.factories import PartnershipFactory, ProductFactory, RegionFactory, StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)

IMPORT_BUTTON = re.compile(r"^Import ")


def log_in(page, base, email, password):
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def csv_file(name, text):
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def upload(page, base, kind, name, text):
    page.goto(f"{base}/account/imports/{kind}/upload/")
    page.get_by_label("CSV file").set_input_files(csv_file(name, text))
    page.get_by_role("button", name="Upload and preview").click()


def reading_form(page, label):
    """The form of one column in "How the file writes numbers and dates"."""
    group = page.get_by_role("group", name=re.compile(f"^{label} "))
    return page.locator("form").filter(has=group)


def snap_narrow(new_page, base, user, password, url, name):
    """The same page on a phone, 390 px wide."""
    phone = new_page(viewport={"width": 390, "height": 844})
    log_in(phone, base, user.email, password)
    phone.goto(url)
    expect(phone.get_by_role("heading", name="Preview")).to_be_visible()
    snap(phone, name)
    return phone


def stores_of(org):
    return {
        s.number: (s.name, s.city, s.phone) for s in Store.objects.for_org(org).order_by("number")
    }


# -- 1. Sample values and per-field changes ---------------------------------------------

BELGIAN_STORES = (
    "Store Number,Name,City,Phone\n"
    "101,Grand Place,Brussels,+32 2 555 10 10\n"
    "102,Meir,Antwerpen,+32 3 555 20 20\n"
    "103,Korenmarkt,Gent,+32 9 555 30 30\n"
    "104,Place Saint-Lambert,Liège,+32 2 555 12 12\n"
    "105,Grote Markt,Leuven,+32 16 555 50 50\n"
    "106,Markt,Brugge,+32 50 555 60 60\n"
)


def test_the_preview_shows_sample_values_and_what_the_update_changes(
    live_server, new_page, owner, org, password
):
    StoreFactory(organization=org, number="101", name="Grand Place", city="Brussels",
                 phone="+32 2 555 10 10")  # fmt: skip
    StoreFactory(organization=org, number="102", name="Meir", city="Antwerp",
                 phone="+32 3 555 20 20")  # fmt: skip
    StoreFactory(organization=org, number="103", name="Korenmarkt", city="Ghent",
                 phone="+32 9 555 30 30")  # fmt: skip
    StoreFactory(organization=org, number="104", name="Place Saint-Lambert", city="Liège",
                 phone="+32 4 555 40 40")  # fmt: skip
    page = new_page()
    log_in(page, live_server.url, owner.email, password)
    upload(page, live_server.url, "stores", "belgium.csv", BELGIAN_STORES)

    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    counts = page.get_by_role("region", name="Preview")
    expect(counts.get_by_role("article").filter(has_text="Will be created")).to_contain_text("2")
    expect(counts.get_by_role("article").filter(has_text="Will be updated")).to_contain_text("3")
    expect(counts.get_by_role("article").filter(has_text="Unchanged")).to_contain_text("1")
    expect(counts.get_by_role("article").filter(has_text="Rows with errors")).to_contain_text("0")

    # Each column with its values as written and as they will be stored: a phone that
    # starts with "+" is a phone, not a formula, and is kept as written.
    samples = page.get_by_role("table").filter(has_text="Values: in the file → as stored")
    expect(samples.get_by_role("row", name=re.compile("^Phone "))).to_contain_text(
        "+32 2 555 12 12 → +32 2 555 12 12"
    )
    expect(samples.get_by_role("row", name=re.compile("^City "))).to_contain_text("Liège → Liège")

    expect(page.get_by_role("heading", name="What the update changes")).to_be_visible()
    expect(page.get_by_text("City: 2 stores · Phone: 1 store")).to_be_visible()
    changes = page.get_by_role("table").filter(has_text="Before → after")
    expect(changes.get_by_role("row")).to_have_count(4)  # the header and three stores
    expect(changes.get_by_role("row", name=re.compile(r"^3 102 "))).to_contain_text(
        "City: Antwerp → Antwerpen"
    )
    expect(changes.get_by_role("row", name=re.compile(r"^4 103 "))).to_contain_text(
        "City: Ghent → Gent"
    )
    expect(changes.get_by_role("row", name=re.compile(r"^5 104 "))).to_contain_text(
        "Phone: +32 4 555 40 40 → +32 2 555 12 12"
    )
    snap(page, "import-preview-changes")
    phone = snap_narrow(
        new_page, live_server.url, owner, password, page.url, "import-preview-changes-390"
    )
    # Nothing wider than the phone's screen but the tables, which scroll in their frame.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Import 5 stores").click()
    expect(page.get_by_text("Imported: 2 new and 3 updated stores, 1 unchanged.")).to_be_visible()
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    assert stores_of(org) == {
        "101": ("Grand Place", "Brussels", "+32 2 555 10 10"),
        "102": ("Meir", "Antwerpen", "+32 3 555 20 20"),
        "103": ("Korenmarkt", "Gent", "+32 9 555 30 30"),
        "104": ("Place Saint-Lambert", "Liège", "+32 2 555 12 12"),
        "105": ("Grote Markt", "Leuven", "+32 16 555 50 50"),
        "106": ("Markt", "Brugge", "+32 50 555 60 60"),
    }


# -- 2. How the file writes dates and numbers -------------------------------------------

AMBIGUOUS_SALES = (
    "Date,Store Number,SKU,Quantity,Sales Amount\n"
    "03/04/2026,101,COFFEE-1KG,2,24.00\n"
    "05/06/2026,102,TEA-100,1,4.50\n"
)


@pytest.fixture
def shop_for_sales(org):
    StoreFactory(organization=org, number="101")
    StoreFactory(organization=org, number="102")
    ProductFactory(organization=org, sku="COFFEE-1KG", name="Coffee beans 1 kg")
    ProductFactory(organization=org, sku="TEA-100", name="Green tea, 100 bags")


def sales_dates(org):
    return sorted(
        (line.date, line.store.number, line.product.sku, line.retail_amount)
        for line in SalesLine.objects.filter(organization=org).select_related("store", "product")
    )


@pytest.mark.parametrize(
    ("order", "stored"),
    [
        ("day first", [datetime.date(2026, 4, 3), datetime.date(2026, 6, 5)]),
        ("month first", [datetime.date(2026, 3, 4), datetime.date(2026, 5, 6)]),
    ],
)
def test_the_user_says_how_an_ambiguous_date_column_is_written(
    live_server, new_page, owner, org, password, shop_for_sales, order, stored
):
    page = new_page()
    log_in(page, live_server.url, owner.email, password)
    upload(page, live_server.url, "sales", "sales-april.csv", AMBIGUOUS_SALES)

    dates = reading_form(page, "Date")
    expect(dates).to_contain_text("the file does not say — choose before importing")
    expect(dates).to_contain_text(
        "“03/04/2026” reads as 3 April 2026 (day first) or 4 March 2026 (month first)."
    )
    expect(
        page.get_by_text("Choose how the dates are written (above) before importing.")
    ).to_be_visible()
    expect(page.get_by_role("button", name=IMPORT_BUTTON)).to_have_count(0)
    snap(page, f"import-dates-ambiguous-{order.replace(' ', '-')}")
    phone = snap_narrow(
        new_page, live_server.url, owner, password, page.url, "import-dates-ambiguous-390"
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    dates.get_by_role("radio", name=re.compile(f"^{order}")).check()
    dates.get_by_role("button", name="Read it this way").click()
    expect(page.get_by_text(f"Date is now read as {order}.")).to_be_visible()
    expect(reading_form(page, "Date")).to_contain_text("as you chose")
    expect(
        reading_form(page, "Date").get_by_role("radio", name=re.compile(f"^{order}"))
    ).to_be_checked()
    samples = page.get_by_role("table").filter(has_text="Values: in the file → as stored")
    expect(samples.get_by_role("row", name=re.compile("^Date "))).to_contain_text(
        f"03/04/2026 → {stored[0].isoformat()}"
    )
    snap(page, f"import-dates-chosen-{order.replace(' ', '-')}")
    assert SalesLine.objects.filter(organization=org).count() == 0

    page.get_by_role("button", name="Import 2 sales lines").click()
    expect(page.get_by_text("Imported: 2 new and 0 updated sales lines")).to_be_visible()
    assert sales_dates(org) == [
        (stored[0], "101", "COFFEE-1KG", Decimal("24.00")),
        (stored[1], "102", "TEA-100", Decimal("4.50")),
    ]


def test_a_decimal_comma_file_stores_its_amounts_in_cents(
    live_server, new_page, owner, org, password, shop_for_sales
):
    page = new_page()
    log_in(page, live_server.url, owner.email, password)
    upload(
        page,
        live_server.url,
        "sales",
        "ventes.csv",
        "Date;Store Number;SKU;Quantity;Sales Amount\n"
        "2026-04-03;101;COFFEE-1KG;1;12,50\n"
        "2026-04-03;102;TEA-100;300;1.234,50\n",
    )

    amounts = reading_form(page, "Sales amount")
    expect(amounts).to_contain_text("decided by the file's values")
    # Quantities 1 and 300 read the same with a point or a comma: nothing to decide.
    expect(reading_form(page, "Quantity")).to_contain_text("every value reads the same either way")
    expect(amounts.get_by_role("radio", name=re.compile("^decimal comma"))).to_be_checked()
    samples = page.get_by_role("table").filter(has_text="Values: in the file → as stored")
    amount_row = samples.get_by_role("row", name=re.compile("^Sales Amount "))
    expect(amount_row).to_contain_text("12,50 → 12.50")
    expect(amount_row).to_contain_text("1.234,50 → 1234.50")
    snap(page, "import-decimal-comma")

    page.get_by_role("button", name="Import 2 sales lines").click()
    expect(page.get_by_text("Imported: 2 new and 0 updated sales lines")).to_be_visible()
    assert sales_dates(org) == [
        (datetime.date(2026, 4, 3), "101", "COFFEE-1KG", Decimal("12.50")),
        (datetime.date(2026, 4, 3), "102", "TEA-100", Decimal("1234.50")),
    ]


# -- 3. Cancel at each step ---------------------------------------------------------------


def latest_batch(org):
    return ImportBatch.objects.filter(organization=org).latest("pk")


def test_cancel_on_the_column_mapping_step(live_server, new_page, owner, org, password):
    page = new_page()
    log_in(page, live_server.url, owner.email, password)
    upload(page, live_server.url, "stores", "unknown-columns.csv", "Foo,Bar\n101,Grand Place\n")

    expect(
        page.get_by_text("We could not tell which column holds the store number")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Preview")).to_have_count(0)
    snap(page, "import-mapping-step")
    page.get_by_role("button", name="Cancel import").click()

    expect(page.get_by_role("heading", name="Import stores")).to_be_visible()
    expect(page.get_by_text("The import was cancelled; nothing was written.")).to_be_visible()
    assert latest_batch(org).status == ImportBatch.Status.CANCELLED
    assert stores_of(org) == {}


def test_cancel_on_the_ready_step(live_server, new_page, owner, org, password):
    page = new_page()
    log_in(page, live_server.url, owner.email, password)
    upload(
        page,
        live_server.url,
        "stores",
        "two-stores.csv",
        "Store Number,Name\n101,Grand Place\n102,Meir\n",
    )

    expect(page.get_by_role("button", name="Import 2 stores")).to_be_visible()
    page.get_by_role("button", name="Cancel import").click()

    expect(page.get_by_role("heading", name="Import stores")).to_be_visible()
    expect(page.get_by_text("The import was cancelled; nothing was written.")).to_be_visible()
    # The cancelled upload stays in the history, marked so.
    expect(page.get_by_role("row", name=re.compile("two-stores.csv"))).to_contain_text("Cancelled")
    assert latest_batch(org).status == ImportBatch.Status.CANCELLED
    assert stores_of(org) == {}


def test_cancel_after_choosing_how_numbers_are_read(live_server, new_page, owner, org, password):
    page = new_page()
    log_in(page, live_server.url, owner.email, password)
    # A semicolon file is taken to write decimal commas, but "50.847" read with a comma is
    # 50847, no latitude: the column's range decides it is a decimal point.
    upload(
        page,
        live_server.url,
        "stores",
        "coordinates.csv",
        "Store Number;Name;Latitude;Longitude\n101;Grand Place;50.847;4.352\n",
    )
    latitude = reading_form(page, "Latitude")
    expect(latitude).not_to_contain_text("the file does not say")
    expect(latitude.get_by_role("radio", name=re.compile("^decimal point"))).to_be_checked()
    expect(page.get_by_text("50.847 → 50.847000")).to_be_visible()

    # The user may still choose otherwise; the preview then says what that does.
    latitude.get_by_role("radio", name=re.compile("^decimal comma")).check()
    latitude.get_by_role("button", name="Read it this way").click()
    expect(page.get_by_text("Latitude is now read as decimal comma.")).to_be_visible()
    expect(page.get_by_role("cell", name="50.847 is out of range (-90 to 90)")).to_be_visible()
    snap(page, "import-number-chosen")
    page.get_by_role("button", name="Cancel import").click()

    expect(page.get_by_text("The import was cancelled; nothing was written.")).to_be_visible()
    batch = latest_batch(org)
    assert batch.status == ImportBatch.Status.CANCELLED
    assert batch.options["readings"] == {"latitude": "comma"}
    assert stores_of(org) == {}


def test_cancel_a_region_store_list_goes_back_to_the_region(
    live_server, new_page, owner, org, password
):
    StoreFactory(organization=org, number="101")
    region = RegionFactory(organization=org, name="Brussels and around")
    page = new_page()
    log_in(page, live_server.url, owner.email, password)
    page.goto(f"{live_server.url}{region.get_absolute_url()}")
    page.get_by_label("CSV store list").set_input_files(csv_file("brussels.csv", "101\n"))
    page.get_by_role("button", name="Upload store list").click()
    expect(page.get_by_role("button", name="Import 1 store")).to_be_visible()
    page.get_by_role("button", name="Cancel import").click()

    # Store lists are not offered on the Imports page: cancelling returns to the region.
    expect(page.get_by_role("heading", name="Brussels and around")).to_be_visible()
    expect(page.get_by_text("The import was cancelled; nothing was written.")).to_be_visible()
    assert latest_batch(org).status == ImportBatch.Status.CANCELLED
    assert list(region.stores.values_list("number", flat=True)) == []


# -- 4. Region and partnership store lists in the import history --------------------------


def test_region_and_geography_store_lists_go_through_the_preview_and_its_history(
    live_server, new_page, owner, org, password
):
    for number in ("101", "102", "103", "104", "105"):
        StoreFactory(organization=org, number=number, name=f"Store {number}")
    region = RegionFactory(organization=org, name="Brussels and around")
    partnership = PartnershipFactory(
        organization=org, partner__name="Fieldforce Merchandising", status=Partnership.Status.ACTIVE
    )
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Import the ... valid rows ...?" → Yes
    log_in(page, live_server.url, owner.email, password)

    # A custom region's store list, with a number that is none of our stores.
    page.goto(f"{live_server.url}{region.get_absolute_url()}")
    page.get_by_label("CSV store list").set_input_files(
        csv_file("brussels.csv", "Store Number\n101\n102\n999\n")
    )
    page.get_by_role("button", name="Upload store list").click()
    expect(page.get_by_role("link", name="← Region Brussels and around")).to_be_visible()
    counts = page.get_by_role("region", name="Preview")
    expect(counts.get_by_role("article").filter(has_text="Will be added")).to_contain_text("2")
    expect(counts.get_by_role("article").filter(has_text="Rows with errors")).to_contain_text("1")
    # A store list only adds stores: there is no "updated" count to show.
    expect(counts.get_by_role("article").filter(has_text="updated")).to_have_count(0)
    expect(
        page.get_by_role("row", name="4 Store number 999 is not one of your stores")
    ).to_be_visible()
    snap(page, "import-region-list-preview")
    page.get_by_role("button", name="Import the valid rows only").click()
    expect(
        page.get_by_text("Imported: 2 stores added, 0 already in. 1 row with errors was left out.")
    ).to_be_visible()
    assert set(region.stores.values_list("number", flat=True)) == {"101", "102"}

    # A partnership's geography, from its page: a bare column of numbers.
    page.goto(f"{live_server.url}{partnership.get_absolute_url()}")
    page.get_by_role("link", name="Choose the stores").click()
    expect(page.get_by_role("heading", name="Geography / Items")).to_be_visible()
    page.get_by_label("CSV store list").set_input_files(csv_file("fieldforce.csv", "103\n104\n"))
    page.get_by_role("button", name="Upload store list").click()
    expect(
        page.get_by_role("link", name="← Geography shared with Fieldforce Merchandising")
    ).to_be_visible()
    page.get_by_role("button", name="Import 2 stores").click()
    expect(page.get_by_text("Imported: 2 stores added, 0 already shared.")).to_be_visible()
    partnership.refresh_from_db()
    assert set(partnership.effective_stores().values_list("number", flat=True)) == {"103", "104"}

    # Both are in the history of imports, with their files.
    page.get_by_role("link", name="← Geography shared with Fieldforce Merchandising").click()
    expect(page.get_by_role("row", name=re.compile("^103 "))).to_be_visible()
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Stores & Regions"
    ).click()
    page.get_by_role("navigation", name="Stores and regions").get_by_role(
        "link", name="Imports"
    ).click()
    history = page.get_by_role("table")
    expect(
        history.get_by_role("row", name=re.compile("Region store list brussels.csv"))
    ).to_contain_text("Imported (valid rows only)")
    expect(
        history.get_by_role("row", name=re.compile("Partnership store list fieldforce.csv"))
    ).to_be_visible()
    snap(page, "import-history-store-lists")
    assert sorted(
        ImportBatch.objects.filter(organization=org).values_list("kind", "file_name", "status")
    ) == [
        ("geography_stores", "fieldforce.csv", "applied"),
        ("region_stores", "brussels.csv", "applied"),
    ]
