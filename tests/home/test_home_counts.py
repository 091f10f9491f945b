"""The home's figures on awkward data: each counts only the organization's own rows (or
what is shared with it now), on the right day, in a fixed number of queries."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from aggregation.models import Connection, MasterAccount, PlanRow
from home.sections import retailer_section, sections_for, start_of_day
from inventory.models import Adjustment
from partners.models import Partnership
from tasks.models import Task, TaskUpdate
from tests.factories import (
    ImportBatchFactory,
    MembershipFactory,
    OrganizationFactory,
    PartnershipFactory,
    StockFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 6)


def adjust(owner, by, kind="count", when=None, store=None):
    stock = StockFactory(organization=owner, **({"store": store} if store else {}))
    adjustment = Adjustment.objects.create(
        organization=owner, actor_organization=by, store=stock.store, product=stock.product,
        kind=kind, on_hand_before=5, on_hand_after=4,
    )  # fmt: skip
    if when:
        Adjustment.objects.filter(pk=adjustment.pk).update(created_at=when)
    return adjustment


def task(owner, due=None, status=Task.Status.OPEN, store=None):
    return Task.objects.create(
        organization=owner, store=store or StoreFactory(organization=owner), title="Face",
        due_date=due, status=status,
    )  # fmt: skip


def update(owner, by, when=None):
    t = task(owner)
    row = TaskUpdate.objects.create(
        task=t, organization=owner, actor_organization=by, percent_before=0, percent_after=10,
        status_before="open", status_after="in_progress",
    )  # fmt: skip
    if when:
        TaskUpdate.objects.filter(pk=row.pk).update(created_at=when)


@pytest.fixture
def retailer():
    return OrganizationFactory(name="Heartland Test")


@pytest.fixture
def partner():
    return OrganizationFactory(name="Field Test", is_retailer=False, is_merchandiser=True)


def test_partner_activity_today_counts_only_partners_changes_of_today(retailer, partner):
    morning = start_of_day(TODAY) + datetime.timedelta(minutes=1)
    adjust(retailer, partner, "count", morning)
    adjust(retailer, partner, "damage", morning)
    adjust(retailer, partner, "markdown", morning)
    update(retailer, partner, morning)
    # Not counted: the retailer's own changes, yesterday's, a departed partner's (no
    # organization left), and the partner's changes in another owner's data.
    adjust(retailer, retailer, "markdown", morning)
    adjust(retailer, partner, "markdown", start_of_day(TODAY) - datetime.timedelta(seconds=1))
    adjust(retailer, None, "count", morning)
    update(retailer, retailer, morning)
    adjust(OrganizationFactory(), partner, "count", morning)

    section = retailer_section(retailer, TODAY)

    assert section["activity"] == {"adjustments": 2, "markdowns": 1, "task_updates": 1}
    assert section["activity_total"] == 4


def test_tasks_overdue_due_today_and_this_week_are_open_own_tasks(retailer):
    task(retailer, TODAY - datetime.timedelta(days=1))
    task(retailer, TODAY - datetime.timedelta(days=30), Task.Status.IN_PROGRESS)
    task(retailer, TODAY)
    task(retailer, TODAY + datetime.timedelta(days=6))
    task(retailer, TODAY + datetime.timedelta(days=7))  # beyond the week
    task(retailer, None)  # no due date
    task(retailer, TODAY - datetime.timedelta(days=1), Task.Status.DONE)
    task(retailer, TODAY, Task.Status.CANNOT_COMPLETE)
    task(OrganizationFactory(), TODAY - datetime.timedelta(days=1))  # another tenant's

    tasks = retailer_section(retailer, TODAY)["tasks"]

    assert tasks == {"overdue": 2, "due_today": 1, "due_week": 1}


def test_stock_outs_are_rows_at_zero_or_below_in_own_stores(retailer):
    store = StoreFactory(organization=retailer)
    StockFactory(organization=retailer, store=store, on_hand=0)
    StockFactory(organization=retailer, store=store, on_hand=-3)  # counted short of the books
    StockFactory(organization=retailer, on_hand=0)
    StockFactory(organization=retailer, on_hand=1)
    StockFactory(organization=OrganizationFactory(), on_hand=0)

    assert retailer_section(retailer, TODAY)["stock_outs"] == {"items": 3, "stores": 2}


def test_the_stock_out_link_lists_exactly_those_rows(retailer):
    owner = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    out = StockFactory(organization=retailer, on_hand=0)
    kept = StockFactory(organization=retailer, on_hand=4)
    client = Client()
    client.force_login(owner)
    page = client.get(reverse("inventory:stock", args=[retailer.pk]), {"out": "on"})
    assert page.status_code == 200
    assert out.product.sku in page.text and kept.product.sku not in page.text


def test_requests_waiting_both_ways(retailer, partner):
    PartnershipFactory(organization=retailer, partner=partner)
    PartnershipFactory(
        organization=retailer, partner=OrganizationFactory(is_vendor=True),
        scope=Partnership.Scope.VENDOR,
    )  # fmt: skip
    PartnershipFactory(organization=retailer, partner=None, invited_company_name="New Co",
                       invited_email="rep@new.example")  # fmt: skip
    PartnershipFactory(organization=OrganizationFactory(), partner=retailer)
    PartnershipFactory(organization=retailer, partner=partner, status="active",
                       scope=Partnership.Scope.VENDOR)  # fmt: skip
    PartnershipFactory(organization=retailer, partner=partner, status="cancelled")
    PartnershipFactory(organization=OrganizationFactory(), partner=partner)  # not ours

    membership = MembershipFactory(organization=retailer)
    section = dict(sections_for(membership, today=TODAY))["requests"]

    assert (section["outgoing"], section["incoming"]) == (3, 1)
    assert sum(1 for row in section["rows"] if row.incoming) == 1


def test_last_imports_are_own_newest_first(retailer):
    ImportBatchFactory(organization=retailer, file_name="old.csv")
    ImportBatchFactory(organization=retailer, file_name="new.csv")
    ImportBatchFactory(organization=OrganizationFactory(), file_name="theirs.csv")

    names = [b.file_name for b in retailer_section(retailer, TODAY)["imports"]]

    assert names == ["new.csv", "old.csv"]


def share(owner, partner, stores, **kwargs):
    partnership = PartnershipFactory(organization=owner, partner=partner, status="active", **kwargs)
    partnership.stores.add(*stores)
    return partnership


def test_merchandiser_sees_todays_tasks_only_in_stores_shared_now(partner):
    owners = [OrganizationFactory(name=f"Owner {i}") for i in range(2)]
    shared = [StoreFactory(organization=o) for o in owners]
    for owner, store in zip(owners, shared, strict=True):
        share(owner, partner, [store])
        task(owner, TODAY, store=store)
        task(owner, TODAY - datetime.timedelta(days=2), store=store)
        task(owner, TODAY + datetime.timedelta(days=2), store=store)  # later: open, not today
    unshared = StoreFactory(organization=owners[0])
    task(owners[0], TODAY, store=unshared)
    ended = OrganizationFactory(name="Ended")
    gone = StoreFactory(organization=ended)
    PartnershipFactory(organization=ended, partner=partner, status="unapproved").stores.add(gone)
    task(ended, TODAY, store=gone)
    vendor_only = OrganizationFactory(name="Vendor share only")
    vendor_store = StoreFactory(organization=vendor_only)
    share(vendor_only, partner, [vendor_store], scope=Partnership.Scope.VENDOR)
    task(vendor_only, TODAY, store=vendor_store)

    section = dict(sections_for(MembershipFactory(organization=partner), today=TODAY))[
        "merchandiser"
    ]

    assert [(r["store_id"], r["tasks"], r["overdue"]) for r in section["by_store"]] == [
        (shared[0].pk, 2, 1),
        (shared[1].pk, 2, 1),
    ]
    assert section["due_today"] == 4
    assert section["open_count"] == 6


def test_merchandiser_recent_adjustments_are_its_reps_in_stores_still_shared(partner):
    owner = OrganizationFactory()
    store = StoreFactory(organization=owner)
    share(owner, partner, [store])
    mine = adjust(owner, partner, store=store)
    adjust(owner, owner, store=store)  # the owner's own
    adjust(owner, partner)  # in a store no longer shared
    adjust(OrganizationFactory(), partner)  # an owner that shares nothing now

    section = dict(sections_for(MembershipFactory(organization=partner), today=TODAY))[
        "merchandiser"
    ]

    assert [a.pk for a in section["adjustments"]] == [mine.pk]


def test_nearest_shared_stores_come_with_a_location_only(partner):
    owner = OrganizationFactory()
    near = StoreFactory(organization=owner, latitude="36.372900", longitude="-94.208800")
    far = StoreFactory(organization=owner, latitude="40.000000", longitude="-94.000000")
    share(owner, partner, [near, far])
    membership = MembershipFactory(organization=partner)

    without = dict(sections_for(membership, today=TODAY))["merchandiser"]
    located = dict(sections_for(membership, lat=36.37, lon=-94.21, today=TODAY))["merchandiser"]

    assert without["nearest"] is None and without["store_count"] == 2
    assert [store.pk for store, _ in located["nearest"]] == [near.pk]


def test_vendor_sees_each_retailer_once_with_its_latest_share():
    vendor = OrganizationFactory(is_retailer=False, is_vendor=True)
    first, second = OrganizationFactory(name="A Mart"), OrganizationFactory(name="B Mart")
    PartnershipFactory(organization=first, partner=vendor, scope="vendor", status="unapproved")
    PartnershipFactory(organization=first, partner=vendor, scope="vendor", status="active")
    PartnershipFactory(organization=second, partner=vendor, scope="vendor")
    PartnershipFactory(organization=OrganizationFactory(), partner=vendor)  # merchandising

    section = dict(sections_for(MembershipFactory(organization=vendor), today=TODAY))["vendor"]

    assert [(s.organization.name, s.status) for s in section["retailers"]] == [
        ("A Mart", "active"),
        ("B Mart", "pending"),
    ]
    assert section["active"] == 1


def plan_row(master, item, short, order):
    return PlanRow.objects.create(
        master=master, item=item, sku=item, name=item, on_hand=1, on_order=0, method="mean",
        mean_daily=1, sigma=0, forecast_lead_time=1, forecast_period=1, safety_stock=0,
        reorder_point=1, order_quantity=order, short=short, computed_at=timezone.now(),
    )  # fmt: skip


def test_master_counts_red_items_of_its_own_plan_and_each_connection():
    group = OrganizationFactory(name="Group")
    master = MasterAccount.objects.create(organization=group)
    Connection.objects.create(master=master, child=OrganizationFactory(), kind="csv",
                              last_error="Bad file", last_error_at=timezone.now())  # fmt: skip
    Connection.objects.create(master=master, child=OrganizationFactory(), kind="account")
    plan_row(master, "A", True, 12)
    plan_row(master, "B", True, 0)
    plan_row(master, "C", False, 30)
    other = MasterAccount.objects.create(organization=OrganizationFactory())
    plan_row(other, "D", True, 5)

    sections = sections_for(MembershipFactory(organization=group), today=TODAY)

    assert [name for name, _ in sections] == ["master"]  # a master owns no stores itself
    section = sections[0][1]
    assert section["red"] == {"items": 2, "to_order": 1}
    assert [r.item for r in section["red_rows"]] == ["A", "B"]
    assert section["errors"] == 1 and len(section["connections"]) == 2
    assert section["held"] == 0


def test_an_organization_of_several_kinds_gets_each_section_in_order():
    everything = OrganizationFactory(is_retailer=True, is_merchandiser=True, is_vendor=True)
    sections = sections_for(MembershipFactory(organization=everything), today=TODAY)
    assert [name for name, _ in sections] == ["requests", "retailer", "merchandiser", "vendor"]


def test_the_home_page_reads_a_fixed_number_of_queries(
    retailer, partner, django_assert_max_num_queries
):
    """However many partners, tasks, stores and imports: no query per row."""
    retailer.is_merchandiser = retailer.is_vendor = True
    retailer.save()
    owner = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    client = Client()
    client.force_login(owner)

    def grow(n):
        for i in range(n):
            other = OrganizationFactory(name=f"Sharing owner {n}-{i}")
            store = StoreFactory(organization=other, latitude="36.37", longitude="-94.2")
            share(other, retailer, [store])
            task(other, TODAY, store=store)
            adjust(other, retailer, store=store)
            PartnershipFactory(organization=other, partner=retailer, scope="vendor")
            PartnershipFactory(organization=retailer, partner=OrganizationFactory())
            adjust(retailer, partner)
            update(retailer, partner)
            task(retailer, TODAY)
            ImportBatchFactory(organization=retailer)
            StockFactory(organization=retailer, on_hand=0)

    grow(1)
    client.get("/", {"lat": "36.37", "lon": "-94.2"})  # warm the session and caches
    with django_assert_max_num_queries(30) as few:
        assert client.get("/", {"lat": "36.37", "lon": "-94.2"}).status_code == 200
    grow(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/", {"lat": "36.37", "lon": "-94.2"})
    assert page.status_code == 200
