"""partners/access.py against the "Who sees what" table of PRODUCT.md."""

import pytest

from partners.access import access_for, owners_sharing_with
from partners.models import Partnership
from tests.factories import OrganizationFactory, PartnershipFactory, RegionFactory, StoreFactory

pytestmark = pytest.mark.django_db

Status = Partnership.Status
Scope = Partnership.Scope


def numbers(queryset):
    return sorted(queryset.values_list("number", flat=True), key=int)


@pytest.fixture
def share(world):
    def make(
        status=Status.ACTIVE, scope=Scope.MERCHANDISING, partner=None, stores=(), regions=(), **kw
    ):
        p = PartnershipFactory(
            organization=world["retailer"],
            partner=partner or world["partner"],
            status=status,
            scope=scope,
            **kw,
        )
        p.stores.add(*stores)
        p.regions.add(*regions)
        return p

    return make


def test_the_owner_sees_everything_and_may_change_everything(world):
    access = access_for(viewer=world["retailer"], owner=world["retailer"])
    assert numbers(access.stores) == ["1", "2", "3", "4", "5"]
    assert access.may_adjust_stock and access.may_update_tasks and not access.hidden_fields


@pytest.mark.parametrize(
    "status", [Status.PENDING, Status.CANCELLED, Status.DECLINED, Status.UNAPPROVED]
)
def test_nothing_is_visible_unless_active(world, share, status):
    share(status=status, stores=world["stores"])
    access = access_for(viewer=world["partner"], owner=world["retailer"])
    assert not access.sees_anything
    assert numbers(access.stores) == []
    assert not access.may_adjust_stock
    assert owners_sharing_with(world["partner"]) == []


def test_nothing_is_visible_with_an_empty_geography(world, share):
    share()
    access = access_for(viewer=world["partner"], owner=world["retailer"])
    assert not access.sees_anything and not access.may_adjust_stock
    assert owners_sharing_with(world["partner"]) == []


def test_a_merchandising_partner_sees_exactly_the_geography(world, share):
    partnership = share(stores=world["stores"][:2])
    access = access_for(viewer=world["partner"], owner=world["retailer"])
    assert numbers(access.stores) == ["1", "2"]
    assert access.may_adjust_stock and access.may_update_tasks
    assert access.hidden_fields == {"gross_profit"}
    assert access.product_q.children == []  # every product
    assert owners_sharing_with(world["partner"]) == [world["retailer"]]
    # Removing a store hides it at once; unapproving hides everything at once.
    partnership.stores.remove(world["stores"][0])
    assert numbers(access_for(viewer=world["partner"], owner=world["retailer"]).stores) == ["2"]
    Partnership.objects.filter(pk=partnership.pk).update(status=Status.UNAPPROVED)
    assert not access_for(viewer=world["partner"], owner=world["retailer"]).sees_anything


def test_a_regions_new_store_is_visible_to_the_partner_at_once(world, share):
    region = RegionFactory(organization=world["retailer"], rule_states=["TX"])
    share(regions=[region])
    assert not access_for(viewer=world["partner"], owner=world["retailer"]).sees_anything
    StoreFactory(organization=world["retailer"], number="99", state="TX")
    assert numbers(access_for(viewer=world["partner"], owner=world["retailer"]).stores) == ["99"]
    picked = RegionFactory(organization=world["retailer"])
    share(scope=Scope.VENDOR, regions=[picked])
    picked.stores.add(world["stores"][4])
    assert numbers(access_for(viewer=world["partner"], owner=world["retailer"]).stores) == [
        "5",
        "99",
    ]


def test_every_store_includes_stores_added_later(world, share):
    share(all_stores=True)
    StoreFactory(organization=world["retailer"], number="6")
    assert numbers(access_for(viewer=world["partner"], owner=world["retailer"]).stores) == [
        "1", "2", "3", "4", "5", "6"
    ]  # fmt: skip


def test_a_vendor_share_is_read_only_cost_only_and_its_own_products_only(world, share):
    vendor = OrganizationFactory(name="Prairie Spirits", is_retailer=False, is_vendor=True)
    share(partner=vendor, scope=Scope.VENDOR, stores=world["stores"][:3])
    access = access_for(viewer=vendor, owner=world["retailer"])
    assert numbers(access.stores) == ["1", "2", "3"]
    assert not access.may_adjust_stock and not access.may_update_tasks
    assert {
        "retail_price",
        "markdown_price",
        "gross_profit",
        "customer_reference",
    } <= access.hidden_fields
    assert access.can_see_field("unit_cost")
    assert access.product_q.children == [("vendor_organization", vendor)]  # never another vendor's
    assert access.redact({"unit_cost": 1, "retail_price": 2, "customer_reference": "x"}) == {
        "unit_cost": 1
    }


def test_another_owners_stores_never_leak(world, share):
    share(stores=world["stores"])
    other_owner = world["outsider_org"]
    StoreFactory(organization=other_owner, number="1")
    assert not access_for(viewer=world["partner"], owner=other_owner).sees_anything
    # A store of another organization put into the geography is never shared.
    partnership = Partnership.objects.get()
    partnership.stores.add(StoreFactory(organization=other_owner, number="77"))
    assert "77" not in numbers(access_for(viewer=world["partner"], owner=world["retailer"]).stores)


def test_an_outsider_sees_nothing(world, share):
    share(stores=world["stores"])
    access = access_for(viewer=world["outsider_org"], owner=world["retailer"])
    assert not access.sees_anything and not access.may_adjust_stock
    assert access.product_q.children == [("pk__in", [])]
