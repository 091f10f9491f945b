"""Partner Permissions, a vendor not on Shelfshare: the retailer requests by the rep's
email, the rep joins through the emailed link, approves, and sees that vendor's stock
and sales, at cost only. Emails are read from Django's locmem outbox (jobs run in-process
in the tests)."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Membership
from inventory.models import Product
from partners.models import Partnership
from tests.browser.conftest import snap
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    SalesLineFactory,
    StockFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

REP_PASSWORD = "vendor-journey-passphrase-2026"


def log_in(page, email_address, password):
    page.get_by_label("Email").fill(email_address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def no_sideways_scroll(page):
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"


def test_request_a_catalogue_vendor_the_rep_joins_approves_and_sees_its_data(
    live_server, new_page, password
):
    retailer = OrganizationFactory(name="Heartland Mart", is_retailer=True)
    owner = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    store = StoreFactory(organization=retailer, number="7", city="Ames", state="IA")
    theirs = [
        ProductFactory(organization=retailer, sku="PX-1", name="Proximo Reposado",
                       vendor_name="Proximo", unit_cost=Decimal("11.25"), retail_price=Decimal("19.99")),
        ProductFactory(organization=retailer, sku="PX-2", name="Proximo Blanco",
                       vendor_name="PROXIMO ", unit_cost=Decimal("9.50"), retail_price=Decimal("17.49")),
    ]  # fmt: skip
    other = ProductFactory(organization=retailer, sku="BR-1", name="Brown Forman Bourbon",
                           vendor_name="Brown-Forman Corporation")  # fmt: skip
    for product in [*theirs, other]:
        StockFactory(organization=retailer, store=store, product=product, on_hand=12)
    SalesLineFactory(organization=retailer, store=store, product=theirs[0], quantity=3,
                     retail_amount=Decimal("59.97"), cost_amount=Decimal("33.75"))  # fmt: skip

    # The retailer clears the Network Partner filter and finds Proximo, not on Shelfshare.
    shop = new_page()
    shop.goto(f"{live_server.url}/partners/permissions/")
    log_in(shop, owner.email, password)
    expect(shop.get_by_role("heading", name="Partner Permissions")).to_be_visible()
    shop.get_by_role("button", name="Clear", exact=True).click()
    row = shop.locator("tr", has_text="Proximo")
    expect(row.get_by_text("Not on Shelfshare")).to_be_visible()
    expect(row.get_by_role("cell", name="2", exact=True)).to_be_visible()  # both spellings
    row.get_by_role("button", name="Request").click()
    row.get_by_label("Rep's email").fill("not an email")
    row.get_by_role("button", name="Send invitation").click()
    expect(row.get_by_text("Enter a valid email address")).to_be_visible()
    assert not Partnership.objects.exists()
    row.get_by_label("Rep's email").fill("rep@proximo.example")
    row.get_by_role("button", name="Send invitation").click()
    expect(row.get_by_role("button", name="Cancel Request")).to_be_visible()
    expect(row.get_by_text("invited rep@proximo.example")).to_be_visible()
    snap(shop, "catalogue-vendor-1-invited")

    # The rep follows the link in the email, joins and lands on the request.
    invite = next(m for m in mail.outbox if m.to == ["rep@proximo.example"])
    assert invite.subject == "Heartland Mart invites Proximo to partner on Shelfshare"
    path = re.search(r"https?://[^/\s]+(/partners/join/\S+/)", invite.body).group(1)
    rep = new_page(viewport={"width": 390, "height": 844})
    rep.goto(live_server.url + path)
    expect(
        rep.get_by_role("heading", name="Heartland Mart wants to partner with you")
    ).to_be_visible()
    no_sideways_scroll(rep)
    rep.get_by_label("Your name").fill("Paz Proximo")
    rep.get_by_label("Password", exact=True).fill(REP_PASSWORD)
    rep.get_by_label("Password again").fill(REP_PASSWORD)
    expect(rep.get_by_label("Company name")).to_have_value("Proximo")
    rep.get_by_label("Vendor (we supply products)").check()
    snap(rep, "catalogue-vendor-2-join")
    rep.get_by_role("button", name="Join Shelfshare").click()
    expect(rep.get_by_text("Proximo has joined")).to_be_visible()
    assert Partnership.objects.get().status == "pending"
    no_sideways_scroll(rep)
    snap(rep, "catalogue-vendor-3-to-approve")
    rep.get_by_role("button", name="Approve").click()
    expect(rep.get_by_text("Approved: Heartland Mart now shares its data with you")).to_be_visible()
    vendor = Partnership.objects.get().partner
    assert set(Product.objects.filter(vendor_organization=vendor)) == set(theirs)

    # The rep sees Proximo's stock and sales, at cost; no other vendor's, no retail prices.
    rep.goto(f"{live_server.url}/inventory/o/{retailer.pk}/")
    expect(rep.get_by_text("Proximo Reposado").first).to_be_visible()
    expect(rep.get_by_text("Proximo Blanco").first).to_be_visible()
    content = rep.content()
    assert "Brown Forman Bourbon" not in content
    assert "11.25" in content and "19.99" not in content and "17.49" not in content
    no_sideways_scroll(rep)
    snap(rep, "catalogue-vendor-4-stock-at-cost")
    rep.goto(f"{live_server.url}/inventory/o/{retailer.pk}/products/{theirs[0].pk}/")
    content = rep.content()
    assert "33.75" in content and "59.97" not in content
    snap(rep, "catalogue-vendor-5-sales-at-cost")

    # The retailer's row is now the vendor on Shelfshare, active, with Unapprove.
    shop.reload()
    vendor_row = shop.locator(f"#vendor-{vendor.pk}")
    expect(vendor_row.get_by_text("On Shelfshare")).to_be_visible()
    expect(vendor_row.get_by_role("button", name="Unapprove")).to_be_visible()
    snap(shop, "catalogue-vendor-6-active")
