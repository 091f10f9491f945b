"""The inventory world: a retailer sharing with a merchandiser (stores 1-2) and a vendor
(every store), with sentinel values for the redaction tests. A fixture for every test
package (registered in tests/conftest.py)."""

from decimal import Decimal

import pytest

from accounts.models import Membership
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

RETAIL_SENTINEL = "987654.32"
MARKDOWN_SENTINEL = "876543.21"
SALES_SENTINEL = "555555.55"
GROSS_PROFIT_SENTINEL = "444444.44"  # 555555.55 - 111111.11
CUSTOMER_SENTINEL = "SENTINEL-CUSTOMER"


@pytest.fixture
def shop(db):
    """A retailer sharing with a merchandiser (stores 1-2) and a vendor (every store)."""
    retailer = OrganizationFactory(name="Heartland Mart", is_retailer=True)
    merchandiser = OrganizationFactory(name="FieldForce", is_retailer=False, is_merchandiser=True)
    vendor = OrganizationFactory(name="Prairie Spirits", is_retailer=False, is_vendor=True)
    other_vendor = OrganizationFactory(name="Cornbelt", is_retailer=False, is_vendor=True)
    people = {
        "owner": MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user,
        "rep": MembershipFactory(
            organization=merchandiser, role=Membership.Role.MEMBER, user__full_name="Ray Rep"
        ).user,
        "vendor_user": MembershipFactory(organization=vendor, role=Membership.Role.OWNER).user,
        "outsider": MembershipFactory(role=Membership.Role.OWNER).user,
    }
    stores = [StoreFactory(organization=retailer, number=str(n)) for n in (1, 2, 3)]
    ours = ProductFactory(organization=retailer, sku="VEND-1", name="Vendor Whiskey", vendor_organization=vendor,
                          unit_cost=Decimal("12.34"), retail_price=Decimal(RETAIL_SENTINEL))  # fmt: skip
    theirs = ProductFactory(organization=retailer, sku="OTHER-1", name="OTHER-VENDOR-PRODUCT",
                            vendor_organization=other_vendor)  # fmt: skip
    stock = {}
    for store in stores:
        for product in (ours, theirs):
            stock[(store.number, product.sku)] = StockFactory(
                organization=retailer, store=store, product=product, on_hand=20,
                current_price=Decimal(MARKDOWN_SENTINEL) if product is ours else None,
            )  # fmt: skip
    for store in stores:
        SalesLineFactory(
            organization=retailer, store=store, product=ours, retail_amount=Decimal(SALES_SENTINEL),
            cost_amount=Decimal("111111.11"), customer_reference=CUSTOMER_SENTINEL,
        )  # fmt: skip
    merch_share = PartnershipFactory(
        organization=retailer, partner=merchandiser, status=Partnership.Status.ACTIVE,
        scope=Partnership.Scope.MERCHANDISING,
    )  # fmt: skip
    merch_share.stores.add(stores[0], stores[1])
    vendor_share = PartnershipFactory(
        organization=retailer, partner=vendor, status=Partnership.Status.ACTIVE,
        scope=Partnership.Scope.VENDOR, all_stores=True,
    )  # fmt: skip
    return {
        "retailer": retailer, "merchandiser": merchandiser, "vendor": vendor, "stores": stores,
        "ours": ours, "theirs": theirs, "stock": stock, "merch_share": merch_share,
        "vendor_share": vendor_share, **people,
    }  # fmt: skip
