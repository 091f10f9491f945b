from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Membership, Organization, Region, Store, User
from core.models import ImportBatch
from demo.management.commands.seed_demo import PASSWORD
from partners.models import Partnership

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True  # seed_demo is for development sites


def snapshot():
    return (
        sorted(
            Organization.objects.values_list(
                "name", "network", "is_retailer", "is_merchandiser", "is_vendor"
            )
        ),
        sorted(Membership.objects.values_list("user__email", "organization__name", "role")),
        Store.objects.count(),
        sorted(Region.objects.values_list("name", "rule_states")),
        ImportBatch.objects.count(),
        sorted(
            __import__("partners.models").models.PartnershipEvent.objects.values_list(
                "to_status", flat=True
            )
        ),
        User.objects.count(),
        __import__("tasks.models").models.Task.objects.count(),
    )


def test_seed_demo_builds_the_demo_world_and_can_run_twice(capsys):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first

    retailer = Organization.objects.get(name="Heartland Mart")
    assert retailer.is_retailer and retailer.stores.count() >= 100
    store = retailer.stores.get(number="1")  # Walmart #1, Rogers AR, from the real file
    assert (store.city, store.state, store.postal_code) == ("Rogers", "AR", "72756")
    assert Organization.objects.filter(is_merchandiser=True).count() == 1
    vendors = Organization.objects.filter(is_vendor=True)
    assert sorted(vendors.values_list("network", flat=True)) == [
        "member",
        "none",
        "sales_rep_direct",
    ]

    # The stores came through the import machinery, and its history shows it.
    batch = ImportBatch.objects.get(organization=retailer, kind="stores")
    assert (batch.status, batch.created_count) == ("applied", retailer.stores.count())
    arkansas = Region.objects.get(organization=retailer, name="Arkansas")
    assert arkansas.effective_stores().count() == retailer.stores.filter(state="AR").count() > 0
    pilot = Region.objects.get(organization=retailer, name="Northwest Arkansas pilot")
    assert pilot.effective_stores().count() == 6

    # Partnerships in every state the demo needs, with their history.
    shares = {p.partner.name: p for p in Partnership.objects.filter(organization=retailer)}
    assert {name: p.status for name, p in shares.items()} == {
        "FieldForce Merchandising": "active",
        "Diageo Americas": "active",
        "Jim Beam Brands": "pending",
        "Luxco-St Louis": "unapproved",
    }
    assert shares["FieldForce Merchandising"].effective_stores().count() > 6
    assert [e.to_status for e in shares["Luxco-St Louis"].events.all()] == [
        "pending",
        "active",
        "unapproved",
    ]

    # The catalogue, stock and 90 days of sales, from the Iowa file; vendors on the platform.
    from inventory.models import Product, SalesLine, Stock

    products = Product.objects.for_org(retailer)
    assert products.count() == 1175
    diageo = Organization.objects.get(name="Diageo Americas")
    assert products.filter(vendor_organization=diageo).count() > 100
    days = SalesLine.objects.filter(organization=retailer).values("date").distinct().count()
    assert days >= 90
    assert Stock.objects.filter(organization=retailer).count() > 1000
    # Tasks: a campaign over the pilot region, tasks in several states, photos, visits.
    from tasks.models import Campaign, TaskPhoto, Visit

    campaign = Campaign.objects.get(organization=retailer)
    assert campaign.region == pilot and campaign.tasks.count() == 6
    statuses = set(campaign.tasks.values_list("status", flat=True))
    assert {"done", "in_progress", "cannot_complete", "open"} <= statuses
    photo = TaskPhoto.objects.first()
    assert (
        photo is not None
        and photo.file.size > 1000
        and photo.update.actor.email == "rep@fieldforce.example"
    )
    assert (
        Visit.objects.filter(
            organization__name="FieldForce Merchandising", checked_out_at__isnull=False
        ).count()
        == 4
    )
    # A master over three children from different real files, with overlapping SKUs.
    from aggregation.models import MasterAccount, PlanRow, RollupStock

    master = MasterAccount.objects.get(organization__name="Heartland Group")
    children = sorted(master.connections.values_list("child__name", flat=True))
    assert children == ["Heartland Mart", "Heartland Online", "Heartland Online Outlet"]
    assert all(
        not c.last_error and c.last_loaded_at for c in master.connections.exclude(kind="account")
    )
    shared = (
        RollupStock.objects.filter(master=master)
        .values("sku")
        .annotate(n=Count("child"))
        .filter(n__gt=1)
    )
    assert shared.count() > 100
    assert PlanRow.objects.filter(master=master, method__startswith="holt-winters").count() > 1000
    # Dollars in Iowa, pounds online, and one dated pound rate: the money can be converted.
    currencies = dict(master.connections.values_list("child__name", "child__currency"))
    assert currencies == {"Heartland Mart": "USD", "Heartland Online": "GBP",
                          "Heartland Online Outlet": "GBP"}  # fmt: skip
    assert (master.reporting_currency, master.organization.currency) == ("USD", "USD")
    from aggregation.money import combine_rollup_sales, rate_gaps

    assert list(master.exchange_rates.values_list("currency", "rate")) == [("GBP", Decimal("1.27"))]
    assert rate_gaps(master) == []
    money = combine_rollup_sales(master)
    assert set(money.per_currency) == {"GBP", "USD"} and money.total is not None

    printed = capsys.readouterr().out
    assert PASSWORD in printed
    for user in User.objects.filter(is_staff=False):
        assert user.email in printed
        assert user.check_password(PASSWORD)
    # It says what it does while it runs, with what the demo then holds...
    assert "  Stores of Heartland Mart from walmart_store_openings_1962_2006.csv...\n" in printed
    assert f"    {retailer.stores.count()} stores (" in printed
    assert "    1175 products, " in printed
    assert "Heartland Group, owned by owner@heartland.example, over Heartland Mart, " in printed
    # ...and ends with every login and its organizations, the master account's owner too.
    listing = printed.rsplit("Every demo login uses the password:", 1)[1].splitlines()[1:]
    logins = dict(line.split(None, 1) for line in listing if line.strip())
    assert logins["owner@heartland.example"] == (
        "Hannah Hart: owner of Heartland Group (master account); owner of Heartland Mart"
    )
    assert logins["rep@fieldforce.example"] == "Ray Rep: member of FieldForce Merchandising"
    assert logins["admin@shelfshare.example"] == "Platform Admin: staff, Django admin at /admin/"
    assert len(logins) == User.objects.count()


def test_seed_demo_says_where_the_data_should_be(settings, tmp_path):
    settings.DEMO_DATA_DIR = tmp_path
    with pytest.raises(Exception, match="DEMO_DATA_DIR"):
        call_command("seed_demo")
    assert not Organization.objects.exists()


def test_seed_demo_refuses_to_run_on_a_production_site(settings):
    settings.DEBUG = False
    with pytest.raises(Exception, match="runs only with DEBUG on"):
        call_command("seed_demo")
    assert not User.objects.exists()
