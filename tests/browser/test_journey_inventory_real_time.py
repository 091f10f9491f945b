"""A merchandising partner's adjustment reaches the owner's open inventory page, without
a reload, within 5 seconds, attributed to the partner's user and organization; the
vendor's view of the same inventory is read-only and at cost."""

import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from inventory.models import Adjustment
from tests.browser.conftest import snap
from tests.shop import MARKDOWN_SENTINEL, RETAIL_SENTINEL

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in_page(new_page, base, user, password):
    page = new_page()
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
    return page


def test_the_owner_sees_a_partner_adjustment_within_five_seconds(
    live_server, new_page, shop, password
):
    owner_page = logged_in_page(new_page, live_server.url, shop["owner"], password)
    owner_page.goto(live_server.url + reverse("inventory:index"))
    stock = shop["stock"][("1", "VEND-1")]
    owner_row = owner_page.locator(f"#stock-{stock.pk}")
    expect(owner_row).to_contain_text("20")
    expect(owner_page.get_by_text("No adjustments yet")).to_be_visible()
    snap(owner_page, "inventory-owner")

    rep_page = logged_in_page(new_page, live_server.url, shop["rep"], password)
    rep_page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Inventory"
    ).click()
    rep_page.get_by_role("link", name="Heartland Mart").click()
    expect(rep_page.get_by_role("heading", name="Inventory of Heartland Mart")).to_be_visible()
    snap(rep_page, "inventory-merchandiser")
    rep_page.locator(f"#stock-{stock.pk}").get_by_role("link", name="Adjust").click()
    rep_page.get_by_label("Reason").select_option("count")
    rep_page.get_by_label("New quantity on hand").fill("7")
    rep_page.get_by_label("Note").fill("shelf recount")
    snap(rep_page, "inventory-adjust")
    rep_page.get_by_role("button", name="Save").click()
    expect(rep_page.get_by_text("Saved: VEND-1 at store 1")).to_be_visible()
    saved_at = time.monotonic()
    assert Adjustment.objects.get().actor == shop["rep"]

    # No reload on the owner's side: the feed and the row change by themselves.
    item = owner_page.locator(".activity-item").first
    expect(item).to_contain_text("Ray Rep", timeout=5_000)
    expect(item).to_contain_text("(FieldForce)")
    expect(item).to_contain_text("on hand 20 → 7")
    expect(owner_row.locator("td").nth(5)).to_have_text("7", timeout=5_000)
    assert time.monotonic() - saved_at <= 5
    snap(owner_page, "inventory-owner-after-partner-adjustment")


def test_the_vendor_sees_its_products_at_cost_and_cannot_adjust(
    live_server, new_page, shop, password
):
    page = logged_in_page(new_page, live_server.url, shop["vendor_user"], password)
    page.goto(live_server.url + reverse("inventory:stock", args=[shop["retailer"].pk]))
    expect(page.get_by_text("read-only, at cost")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Unit cost")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Retail price")).to_have_count(0)
    expect(page.get_by_role("link", name="Adjust")).to_have_count(0)
    page.get_by_role("button", name="Show totals").click()
    expect(page.get_by_text("Totals for the filter: 60 on hand")).to_be_visible()
    assert RETAIL_SENTINEL not in page.content() and MARKDOWN_SENTINEL not in page.content()
    snap(page, "inventory-vendor")
    page.get_by_role("link", name="VEND-1").first.click()
    expect(page.get_by_role("heading", name="Sales history")).to_be_visible()
    assert RETAIL_SENTINEL not in page.content()
    snap(page, "inventory-vendor-product")
