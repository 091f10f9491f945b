"""The master's settings page and money: its reporting currency, the link to the exchange
rates, and which children's money is shown apart for want of a rate."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aggregation.models import Connection, ExchangeRate, MasterAccount, RollupSales
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

SETTINGS = reverse("aggregation:settings")
PLAN_SETTINGS = {"lead_time_days": 7, "review_period_days": 7, "service_level": "0.95",
                 "history_days": 180, "minimum_order": 0, "case_pack": 1,
                 "version": 0}  # fmt: skip


@pytest.fixture
def master(org):
    master = MasterAccount.objects.create(organization=org, reporting_currency="USD")
    for name, currency in [("Heartland Mart", "USD"), ("Heartland Online", "GBP")]:
        child = OrganizationFactory(name=name, currency=currency)
        Connection.objects.create(master=master, child=child, kind=Connection.Kind.CSV)
    return master


def test_the_settings_show_the_reporting_currency_and_the_children_without_a_rate(
    owner_client, master
):
    page = owner_client.get(SETTINGS).text
    assert "Reporting currency: <strong>USD</strong>" in page
    assert reverse("aggregation:rates") in page
    assert "Heartland Online sells in GBP: add a GBP rate, or its money is shown apart." in page
    assert "Heartland Mart sells in" not in page


def test_a_rate_from_after_the_first_sale_is_still_a_gap(owner_client, master):
    online = master.connections.get(child__name="Heartland Online").child
    RollupSales.objects.create(
        master=master, child=online, sku="1", date=datetime.date(2026, 8, 24), quantity=1,
        retail_amount=Decimal("2.55"), refreshed_at=timezone.now(),
    )  # fmt: skip
    rate = ExchangeRate.objects.create(
        master=master, currency="GBP", valid_from=datetime.date(2026, 9, 1), rate=Decimal("1.27")
    )
    page = owner_client.get(SETTINGS).text
    assert (
        "Heartland Online's sales go back to 2026-08-24, and the first GBP rate is from "
        "2026-09-01" in page
    )
    rate.valid_from = datetime.date(2026, 1, 1)
    rate.save()
    page = owner_client.get(SETTINGS).text
    assert "shown apart" not in page and "(1 rate)" in page


def test_the_owner_changes_the_reporting_currency(owner_client, master):
    response = owner_client.post(SETTINGS, PLAN_SETTINGS | {"reporting_currency": "GBP"})
    assert response.status_code == 302
    master.refresh_from_db()
    assert master.reporting_currency == "GBP"
    assert master.organization.currency == "GBP"  # a master's own currency follows it
    page = owner_client.get(SETTINGS).text
    assert "Heartland Mart sells in USD: add a USD rate" in page
    assert "Heartland Online sells in" not in page


def test_an_unknown_reporting_currency_is_refused(owner_client, master):
    page = owner_client.post(SETTINGS, PLAN_SETTINGS | {"reporting_currency": "EURO"}).text
    assert "EURO is not a currency code we know" in page
    master.refresh_from_db()
    assert master.reporting_currency == "USD"


def test_the_reporting_currency_stays_while_rates_are_in_it(owner_client, master):
    """A rate says how many dollars a pound is worth: in euros it would be a wrong number."""
    ExchangeRate.objects.create(
        master=master, currency="GBP", valid_from=datetime.date(2026, 1, 1), rate=Decimal("1.27")
    )
    page = owner_client.post(SETTINGS, PLAN_SETTINGS | {"reporting_currency": "EUR"}).text
    assert "The 1 exchange rate is in USD: delete it on the Exchange rates page first" in page
    master.refresh_from_db()
    assert master.reporting_currency == "USD"
    # Saving the other settings with the same currency is fine.
    response = owner_client.post(SETTINGS, PLAN_SETTINGS | {"reporting_currency": "USD"})
    assert response.status_code == 302


def test_members_do_not_see_the_settings(member_client, master):
    assert member_client.get(SETTINGS).status_code == 404
