"""The left menu and the buttons offer what the member may use, by the rules the views ask
(accounts/abilities.py): each link shown opens, each link hidden would be refused."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from aggregation.models import Connection, MasterAccount
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


def menu_of(user, client=None):
    if client is None:
        client = Client()
        client.force_login(user)
    page = client.get("/")
    nav = page.text[page.text.index('id="sidebar"') : page.text.index("sidebar-foot")]
    return client, dict(re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav))


def member(role=Role.MEMBER, **kinds):
    return MembershipFactory(organization=OrganizationFactory(**kinds), role=role).user


@pytest.mark.parametrize(
    ("kinds", "role", "shown", "hidden"),
    [
        ({}, Role.OWNER, {"Tasks", "Partner Permissions", "Add Account", "API Tokens"},
         {"Sell-through"}),
        ({}, Role.MEMBER, {"Tasks", "Partner Permissions"},
         {"Add Account", "Sell-through", "API Tokens"}),
        ({"is_retailer": False, "is_vendor": True}, Role.OWNER,
         {"Add Account", "Sell-through", "API Tokens"}, {"Tasks", "Partner Permissions"}),
        ({"is_retailer": False, "is_merchandiser": True}, Role.MEMBER, {"Tasks"},
         {"Partner Permissions", "Add Account", "API Tokens"}),
    ],
)  # fmt: skip
def test_every_link_shown_opens_and_every_link_hidden_is_refused(kinds, role, shown, hidden):
    client, links = menu_of(member(role, **kinds))
    names = set(links.values())
    assert shown <= names and not (hidden & names)
    for url in links:
        assert client.get(url, follow=True).status_code == 200, url
    refused = {
        "Partner Permissions": "partners:permissions",
        "Add Account": "aggregation:add_account",
        "API Tokens": "accounts:api_tokens",
    }
    for name in hidden & set(refused):
        assert client.get(reverse(refused[name])).status_code == 403


def test_a_vendor_is_not_offered_a_request_and_cannot_make_one():
    vendor = member(Role.OWNER, is_retailer=False, is_vendor=True)
    client = Client()
    client.force_login(vendor)
    assert "New Partner Request" not in client.get(reverse("partners:connections")).text
    assert client.get(reverse("partners:new_request")).status_code == 403
    other = OrganizationFactory(is_vendor=True)
    refused = client.post(reverse("partners:permissions_request"), {"vendor": other.pk})
    assert refused.status_code == 403


def test_a_master_account_has_load_data_and_its_inventory_is_the_rollup():
    user = member(Role.MEMBER)
    group = OrganizationFactory(name="Test Group")
    MembershipFactory(organization=group, user=user, role=Role.MEMBER)
    master = MasterAccount.objects.create(organization=group)
    Connection.objects.create(master=master, child=OrganizationFactory(), kind="csv")
    client = Client()
    client.force_login(user)
    client.post(reverse("accounts:organization_switch"), {"organization": group.pk})
    _, links = menu_of(user, client)
    names = set(links.values())
    assert {"Connections", "Order Plan"} <= names
    assert not names & {"Tasks", "Stores & Regions", "Add Account"}
    assert links[reverse("aggregation:stock")] == "Inventory"
    page = client.get(reverse("inventory:index"), follow=True)
    assert page.redirect_chain[-1][0] == reverse("aggregation:stock")
    assert "No stock yet" not in page.text and "No rolled-up stock yet" in page.text
