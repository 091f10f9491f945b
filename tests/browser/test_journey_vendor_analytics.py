"""The demo vendor's sell-through and aging page at a laptop's and a phone's width: the
figures and charts show, and the page never scrolls sideways."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from partners.models import Partnership
from tests.browser.conftest import snap
from tests.browser.test_journey_stores_and_regions import log_in
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    PartnershipFactory,
    ProductFactory,
    SalesLineFactory,
    StockFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def vendor_rep(db):
    """A vendor with 30 stores x 12 products shared by a retailer, long names included."""
    vendor = OrganizationFactory(name="Prairie Distillers", is_retailer=False, is_vendor=True)
    rep = MembershipFactory(organization=vendor, role=Membership.Role.OWNER).user
    retailer = OrganizationFactory(name="Heartland Mart")
    stores = [
        StoreFactory(organization=retailer, number=str(n), name=f"North Little Rock Superstore {n}")
        for n in range(1, 31)
    ]
    products = [
        ProductFactory(organization=retailer, sku=f"4333{n}", vendor_organization=vendor,
                       name=f"Captain Morgan Original Spiced Rum Pet Traveler 750ml {n}")
        for n in range(12)
    ]  # fmt: skip
    last = datetime.date(2026, 11, 21)
    for i, store in enumerate(stores):
        for j, product in enumerate(products):
            StockFactory(organization=retailer, store=store, product=product, on_hand=(i * j) % 40,
                         last_received_on=last - datetime.timedelta(days=(i + j) * 9))  # fmt: skip
            SalesLineFactory(organization=retailer, store=store, product=product,
                             date=last - datetime.timedelta(days=(i * 7 + j) % 90),
                             quantity=Decimal(1 + (i + j) % 9), cost_amount=Decimal("123456.78"))  # fmt: skip
    PartnershipFactory(organization=retailer, partner=vendor, status=Partnership.Status.ACTIVE,
                       scope=Partnership.Scope.VENDOR, all_stores=True)  # fmt: skip
    return rep


@pytest.mark.parametrize("width", [1280, 390])
def test_the_vendor_page_fits_the_window(live_server, new_page, vendor_rep, password, width):
    page = new_page(viewport={"width": width, "height": 900})
    log_in(page, live_server.url, vendor_rep.email, password)
    page.goto(f"{live_server.url}/inventory/sell-through/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sell-through and aging")
    expect(page.locator("#period")).to_contain_text("21 Nov 2026")
    expect(page.locator("#weekly svg rect.bar").first).to_be_visible()
    expect(page.locator("#aging svg")).to_be_visible()
    expect(page.locator("#store-table tbody tr").first).to_be_visible()
    snap(page, f"vendor-analytics-{width}")
    scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= window, f"the page scrolls sideways at {width} px: {scroll} > {window}"
    # Every chart fits its column.
    widths = page.evaluate(
        "[...document.querySelectorAll('main svg')].map(s => s.getBoundingClientRect().right)"
    )
    assert max(widths) <= window

    page.get_by_label("Period", exact=True).select_option("4")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#period")).to_contain_text("4 weeks")
    scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= window
