"""The Exchange rates page of a master: owners and admins add and delete dated rates, with a
confirmation step; members read them; another master's rate is a 404."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Membership
from aggregation.models import Connection, ExchangeRate, MasterAccount
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

RATES = reverse("aggregation:rates")


@pytest.fixture
def master(org):
    """The test organization is the master (USD) of a GBP child."""
    master = MasterAccount.objects.create(organization=org, reporting_currency="USD")
    child = OrganizationFactory(name="Heartland Online", currency="GBP")
    Connection.objects.create(master=master, child=child, kind=Connection.Kind.CSV)
    return master


@pytest.fixture
def gbp_rate(master):
    return ExchangeRate.objects.create(
        master=master, currency="GBP", valid_from=datetime.date(2026, 1, 1), rate=Decimal("1.27")
    )


def add(client, **overrides):
    data = {"currency": "GBP", "valid_from": "2026-01-01", "rate": "1.27"} | overrides
    return client.post(RATES, data, follow=True)


def test_the_owner_adds_a_rate(owner_client, owner, master):
    page = add(owner_client)
    assert "Added: 1 GBP = 1.27 USD from 2026-01-01." in page.text
    rate = ExchangeRate.objects.get(master=master)
    assert (rate.currency, rate.valid_from, rate.rate, rate.created_by) == (
        "GBP",
        datetime.date(2026, 1, 1),
        Decimal("1.27"),
        owner,
    )
    assert "1 GBP = 1.27 USD" in owner_client.get(RATES).text


def test_an_admin_adds_a_rate_too(org, master):
    admin = MembershipFactory(organization=org, role=Membership.Role.ADMIN).user
    add(client_for(admin), rate="1.3")
    assert ExchangeRate.objects.filter(master=master, rate=Decimal("1.3")).exists()


def test_the_page_warns_about_a_childs_currency_without_a_rate(owner_client, master):
    page = owner_client.get(RATES).text
    assert "Heartland Online sells in GBP: add a GBP rate, or its money is shown apart." in page
    assert 'value="GBP" selected' in page  # the form proposes the missing currency


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"currency": "XYZ"}, "XYZ is not a currency code we know"),
        ({"currency": "USD"}, "USD is the reporting currency: its money needs no rate."),
        ({"rate": "0"}, "A rate is more than zero"),
        ({"rate": "-1.2"}, "A rate is more than zero"),
        ({"rate": "1,27"}, "Give the rate as a number with a decimal point"),
        ({"rate": "1.123456789"}, "no more than 8 decimal places"),
        ({"valid_from": "01/31/2026"}, "Give the date as YYYY-MM-DD"),
    ],
)
def test_a_bad_rate_is_refused_with_a_clear_message(owner_client, master, data, message):
    page = add(owner_client, **data)
    assert message in page.text
    assert not ExchangeRate.objects.exists()


def test_a_second_rate_for_the_same_day_is_refused(owner_client, gbp_rate):
    page = add(owner_client, rate="1.31")
    assert "There is already a GBP rate from 2026-01-01: delete it first" in page.text
    assert list(ExchangeRate.objects.values_list("rate", flat=True)) == [Decimal("1.27")]


def test_the_owner_deletes_a_rate_after_confirming(owner_client, gbp_rate):
    url = reverse("aggregation:rate_delete", args=[gbp_rate.pk])
    confirm = owner_client.get(url)
    assert "Delete the GBP rate from 2026-01-01?" in confirm.text
    assert ExchangeRate.objects.exists()  # a GET only asks
    page = owner_client.post(url, follow=True)
    assert "Deleted the GBP rate from 2026-01-01." in page.text
    assert not ExchangeRate.objects.exists()


def test_a_member_reads_the_rates_but_cannot_change_them(member_client, gbp_rate):
    page = member_client.get(RATES)
    assert page.status_code == 200
    assert "1 GBP = 1.27 USD" in page.text and "Add the rate" not in page.text
    assert "Delete" not in page.text
    assert add(member_client, valid_from="2026-06-01").status_code == 403
    url = reverse("aggregation:rate_delete", args=[gbp_rate.pk])
    assert member_client.get(url).status_code == 404
    assert member_client.post(url).status_code == 404
    assert ExchangeRate.objects.count() == 1


def test_get_never_changes_anything(owner_client, gbp_rate):
    owner_client.get(RATES, {"currency": "EUR", "valid_from": "2026-02-01", "rate": "1.1"})
    owner_client.get(reverse("aggregation:rate_delete", args=[gbp_rate.pk]))
    assert list(ExchangeRate.objects.values_list("currency", flat=True)) == ["GBP"]


def test_another_masters_rate_is_a_404(owner_client, master):
    other = MasterAccount.objects.create(organization=OrganizationFactory(name="Elsewhere Group"))
    theirs = ExchangeRate.objects.create(
        master=other, currency="EUR", valid_from=datetime.date(2026, 1, 1), rate=Decimal("1.1")
    )
    url = reverse("aggregation:rate_delete", args=[theirs.pk])
    assert owner_client.get(url).status_code == 404
    assert owner_client.post(url).status_code == 404
    assert ExchangeRate.objects.filter(pk=theirs.pk).exists()
    assert "EUR" not in owner_client.get(RATES).text.split("<h1")[1].split("Add a rate")[0]


def test_an_account_that_is_not_a_master_has_no_rates(owner_client, org):
    page = owner_client.get(RATES)
    assert "Heartland Test Mart is not a master account" in page.text
