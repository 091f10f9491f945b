"""Import a real store list through the pages, then build a custom region from it."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import Region, Store
from tests.browser.conftest import snap

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, base, email, password):
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_import_a_real_store_list_and_make_a_region(live_server, new_page, owner, org, password):
    page = new_page()
    log_in(page, live_server.url, owner.email, password)

    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Stores & Regions"
    ).click()
    expect(page.get_by_role("heading", name="No stores yet")).to_be_visible()
    snap(page, "stores-empty")
    page.get_by_role("button", name="Import a store list").click()
    page.get_by_label("CSV file").set_input_files(
        str(settings.DEMO_DATA_DIR / "dunnhumby_stores.csv")
    )
    page.get_by_role("button", name="Upload and preview").click()

    # The preview: a title row passed over; the stores listed twice with the same values
    # (they differ only in a column Shelfshare does not keep) are repeats, not errors.
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.get_by_text("header on line 2")).to_be_visible()
    expect(page.get_by_text("2 lines repeat an earlier line")).to_be_visible()
    expect(page.get_by_role("heading", name="Rows with errors")).to_have_count(0)
    snap(page, "import-preview")
    page.get_by_role("button", name=re.compile(r"^Import \d+ stores$")).click()
    expect(page.get_by_text(re.compile(r"Imported: \d+ new"))).to_be_visible()
    snap(page, "import-result")
    count = Store.objects.for_org(org).count()
    assert count > 70

    # A region by rule, then a store picked by filter.
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Stores & Regions"
    ).click()
    expect(page.get_by_text(f"{count} of {count} stores")).to_be_visible()
    page.get_by_label("State / region").select_option("KY")
    page.get_by_role("button", name="Filter").click()
    snap(page, "stores-filtered")
    page.get_by_role("link", name="Custom regions").click()
    page.get_by_role("button", name="New region").first.click()
    page.get_by_label("Name").fill("Ohio")
    page.get_by_label("Rule: states").fill("oh")
    page.get_by_role("button", name="Create region").click()
    ohio = Store.objects.for_org(org).filter(state="OH").count()
    expect(page.get_by_text(f"{ohio} stores · rule: state OH")).to_be_visible()
    page.get_by_label("State / region").select_option("KY")
    page.get_by_role("button", name="Filter").click()
    kentucky = Store.objects.for_org(org).filter(state="KY").count()
    page.get_by_role("button", name=f"Add all {kentucky} matching stores").click()
    expect(page.get_by_text(f"{kentucky} stores were added to Ohio")).to_be_visible()
    snap(page, "region-detail")
    region = Region.objects.get(organization=org, name="Ohio")
    assert region.effective_stores().count() == ohio + kentucky
