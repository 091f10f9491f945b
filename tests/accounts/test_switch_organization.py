import pytest
from django.urls import reverse

from accounts.tenancy import SESSION_KEY
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_the_menu_lists_my_organizations_and_switching_changes_the_current_one(
    owner_client, owner, org
):
    second = OrganizationFactory(name="Second Shop")
    MembershipFactory(user=owner, organization=second, role="member")
    home = owner_client.get(reverse("home"))
    assert f"<h1>{org.name}</h1>" in home.text
    assert f'<option value="{second.pk}"' in home.text

    response = owner_client.post(
        reverse("accounts:organization_switch"),
        {"organization": second.pk, "next": "/account/members/"},
    )
    assert response["Location"] == "/account/members/"
    assert owner_client.session[SESSION_KEY] == second.pk
    assert "<h1>Second Shop</h1>" in owner_client.get(reverse("home")).text


def test_switching_to_an_organization_i_am_not_in_is_404(owner_client, org, other_org):
    response = owner_client.post(
        reverse("accounts:organization_switch"), {"organization": other_org.pk}
    )
    assert response.status_code == 404
    assert owner_client.session[SESSION_KEY] == org.pk


def test_switching_is_a_post(owner_client, org):
    assert owner_client.get(reverse("accounts:organization_switch")).status_code == 405


def test_a_stale_session_choice_falls_back_to_a_real_membership(
    owner_client, owner, org, other_org
):
    session = owner_client.session
    session[SESSION_KEY] = other_org.pk  # e.g. removed from that organization since
    session.save()
    assert f"<h1>{org.name}</h1>" in owner_client.get(reverse("home")).text


def test_next_never_leaves_the_site(owner_client, org):
    response = owner_client.post(
        reverse("accounts:organization_switch"), {"organization": org.pk, "next": "//evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_switching_on_an_object_page_goes_home(owner_client, owner, org):
    from tests.factories import StoreFactory

    second = OrganizationFactory(name="Second Shop")
    MembershipFactory(user=owner, organization=second, role="owner")
    store = StoreFactory(organization=org)
    response = owner_client.post(
        reverse("accounts:organization_switch"),
        {"organization": second.pk, "next": reverse("accounts:store_edit", args=[store.pk])},
    )
    assert response["Location"] == reverse("home")  # the store page would be a 404 there
    response = owner_client.post(
        reverse("accounts:organization_switch"),
        {"organization": org.pk, "next": "/account/stores/?q=x"},
    )
    assert response["Location"] == "/account/stores/?q=x"
