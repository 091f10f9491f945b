"""An organization's settings: its name and the currency it sells in. Everyone in it reads
them; owners and admins change them."""

import pytest
from django.urls import reverse

from aggregation.models import Connection, MasterAccount
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

SETTINGS = reverse("accounts:organization_settings")


def test_an_organization_sells_in_us_dollars_until_told_otherwise(owner_client, org):
    page = owner_client.get(SETTINGS).text
    assert "USD · US dollar" in page
    assert '<option value="USD" selected>' in page


def test_the_owner_changes_the_currency(owner_client, org):
    page = owner_client.post(SETTINGS, {"name": org.name, "currency": "GBP"}, follow=True).text
    assert "Saved. Heartland Test Mart sells in GBP." in page
    org.refresh_from_db()
    assert org.currency == "GBP"


def test_an_admin_changes_it_too(admin_user, org):
    from tests.conftest import client_for

    client_for(admin_user).post(SETTINGS, {"name": org.name, "currency": "eur"})
    org.refresh_from_db()
    assert org.currency == "EUR"


def test_the_owner_renames_the_organization_as_names_are_stored(owner_client, org):
    page = owner_client.post(
        SETTINGS, {"name": "  Heartland\u200b  Mart\u202e ", "currency": "USD"}, follow=True
    ).text
    assert "Saved. Heartland Mart sells in USD." in page
    org.refresh_from_db()
    assert (org.name, org.name_key) == ("Heartland Mart", "heartland mart")


def test_a_rename_to_another_organizations_look_alike_is_refused(owner_client, org):
    OrganizationFactory(name="Elsewhere Retail")
    page = owner_client.post(
        SETTINGS,
        {
            "name": "\uff25\uff2c\uff33\uff25\uff37\uff28\uff25\uff32\uff25 retail",
            "currency": "USD",
        },
    ).text
    assert "Elsewhere Retail is already on Shelfshare: choose another name." in page
    org.refresh_from_db()
    assert org.name == "Heartland Test Mart"


def test_an_unknown_code_is_refused(owner_client, org):
    page = owner_client.post(SETTINGS, {"currency": "UKP"}).text
    assert "UKP is not a currency code we know" in page
    org.refresh_from_db()
    assert org.currency == "USD"


def test_a_member_reads_the_currency_but_cannot_change_it(member_client, org):
    page = member_client.get(SETTINGS).text
    assert "USD · US dollar" in page and "<select" not in page.split('id="main"')[1]
    assert member_client.post(SETTINGS, {"currency": "GBP"}).status_code == 403
    org.refresh_from_db()
    assert org.currency == "USD"


def test_get_never_changes_anything(owner_client, org):
    owner_client.get(SETTINGS, {"currency": "GBP"})
    org.refresh_from_db()
    assert org.currency == "USD"


def test_a_child_account_says_which_master_converts_its_money(owner_client, org):
    master = MasterAccount.objects.create(
        organization=OrganizationFactory(name="Heartland Group"), reporting_currency="EUR"
    )
    Connection.objects.create(master=master, child=org, kind=Connection.Kind.ACCOUNT)
    page = owner_client.get(SETTINGS).text
    assert "part of the master account Heartland Group, which shows its money in EUR" in page


def test_a_master_account_points_to_its_reporting_currency(owner_client, org):
    MasterAccount.objects.create(organization=org, reporting_currency="GBP")
    page = owner_client.get(SETTINGS).text
    assert "shows its children's money in GBP, its reporting currency" in page
    assert reverse("aggregation:settings") in page
    assert owner_client.post(SETTINGS, {"currency": "EUR"}).status_code == 403
