import pytest

from accounts.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, StoreFactory, UserFactory


@pytest.fixture
def world(db):
    """A retailer (the requester), a merchandiser (the partner), an outsider, staff."""
    retailer = OrganizationFactory(name="Heartland Mart", is_retailer=True)
    partner = OrganizationFactory(name="FieldForce", is_retailer=False, is_merchandiser=True)
    outsider = OrganizationFactory(name="Elsewhere", is_retailer=True)
    people = {
        "requester_admin": MembershipFactory(
            organization=retailer, role=Membership.Role.ADMIN
        ).user,
        "requester_member": MembershipFactory(
            organization=retailer, role=Membership.Role.MEMBER
        ).user,
        "partner_admin": MembershipFactory(organization=partner, role=Membership.Role.OWNER).user,
        "partner_member": MembershipFactory(organization=partner, role=Membership.Role.MEMBER).user,
        "outsider": MembershipFactory(organization=outsider, role=Membership.Role.OWNER).user,
        "platform_admin": UserFactory(is_staff=True, is_superuser=True),
    }
    stores = [StoreFactory(organization=retailer, number=str(n), state="AR") for n in range(1, 6)]
    return {
        "retailer": retailer,
        "partner": partner,
        "outsider_org": outsider,
        "stores": stores,
        **people,
    }
