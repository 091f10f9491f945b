"""Paginated lists sort by their columns on the server (core/sorting.py): numbers as numbers,
store numbers as numbers though stored as text, choices in their own order, both ways, across
pages; the expected orders are worked out here from the rows, in plain Python."""

import datetime
import re

import pytest
from django.urls import reverse

from accounts.models import Membership
from aggregation.models import Connection, MasterAccount, PlanRow
from tasks.models import Task, Visit
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory, StoreFactory

pytestmark = pytest.mark.django_db

NUMBERS = ["2", "13", "100", "7", "21", "1"]
PRIORITY = {"low": 0, "normal": 1, "high": 2}


@pytest.fixture
def world():
    retailer = OrganizationFactory(name="Sorted Mart")
    owner = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    stores = [StoreFactory(organization=retailer, number=n) for n in NUMBERS]
    priorities = ["high", "low", "normal", "low", "high", "normal"]
    progress, days = [5, 40, 100, 0, 9, 70], [3, 1, 12, 2, 30, 7]
    tasks = []
    for i, store in enumerate(stores):
        task = Task.objects.create(
            organization=retailer, store=store, title=f"Task {i}", priority=priorities[i],
            percent_done=progress[i], status=Task.Status.IN_PROGRESS if i % 2 else Task.Status.OPEN,
            due_date=datetime.date(2026, 12, 1) + datetime.timedelta(days=days[i]),
        )  # fmt: skip
        tasks.append(task)
    return {"retailer": retailer, "owner": owner, "stores": stores, "tasks": tasks}


def task_ids(page):
    return [int(pk) for pk in re.findall(r'<tr id="task-(\d+)"', page)]


def listed(client, world, sort):
    url = reverse("tasks:list", args=[world["retailer"].pk])
    return task_ids(client.get(url, {"sort": sort, "status": ""}).text)


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("store", lambda t: int(t.store.number)),
        ("progress", lambda t: t.percent_done),
        ("priority", lambda t: PRIORITY[t.priority]),
        ("due", lambda t: t.due_date),
    ],
)
def test_the_task_list_sorts_by_each_column_both_ways(world, sort, key):
    client = client_for(world["owner"])
    ascending = [t.pk for t in sorted(world["tasks"], key=lambda t: (key(t), t.pk))]
    descending = [t.pk for t in sorted(world["tasks"], key=lambda t: (key(t), t.pk), reverse=True)]
    assert listed(client, world, sort) == ascending
    assert listed(client, world, f"-{sort}") == descending


def test_a_sorted_header_says_so_and_links_to_the_other_way(world):
    client = client_for(world["owner"])
    page = client.get(
        reverse("tasks:list", args=[world["retailer"].pk]), {"sort": "store", "status": ""}
    ).text
    header = re.search(r'<th scope="col" aria-sort="ascending"><a href="([^"]+)"', page)
    assert header and "sort=-store" in header.group(1) and "status=" in header.group(1)
    assert page.count('aria-sort="') == 1  # only the column sorted by


def test_an_unknown_sort_is_the_default_not_an_error(world):
    client = client_for(world["owner"])
    by_due = [t.pk for t in sorted(world["tasks"], key=lambda t: (t.due_date, t.pk))]
    assert listed(client, world, "store__organization__name") == by_due
    assert listed(client, world, "-") == by_due


def test_the_sort_holds_across_pages(world, monkeypatch):
    monkeypatch.setattr("tasks.views.PAGE_SIZE", 4)
    client = client_for(world["owner"])
    url = reverse("tasks:list", args=[world["retailer"].pk])
    first = client.get(url, {"sort": "-store", "status": ""}).text
    assert "sort=-store" in re.search(r'href="\?([^"]*page=2)"', first).group(1)
    second = client.get(url, {"sort": "-store", "status": "", "page": 2}).text
    by_number = sorted(world["tasks"], key=lambda t: int(t.store.number), reverse=True)
    assert task_ids(first) + task_ids(second) == [t.pk for t in by_number]


def test_visits_sort_by_time_in_the_store_with_open_visits_last(world):
    user, retailer = world["owner"], world["retailer"]
    start = datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)
    minutes = [45, 5, None, 120]
    for store, length in zip(world["stores"], minutes, strict=False):
        Visit.objects.create(
            user=user, organization=retailer, owner=retailer, store=store, checked_in_at=start,
            checked_out_at=start + datetime.timedelta(minutes=length) if length else None,
        )  # fmt: skip
    page = client_for(user).get(reverse("tasks:visits"), {"sort": "time"}).text
    shown = re.findall(
        r"<td[^>]*>(\d+) min</td>|<td[^>]*><strong>(in the store now)</strong>", page
    )
    assert [a or b for a, b in shown] == ["5", "45", "120", "in the store now"]


def test_the_order_plan_sorts_by_each_number_column(world):
    owner = world["owner"]
    group = OrganizationFactory(name="Sorted Group")
    MembershipFactory(organization=group, user=owner, role=Membership.Role.OWNER)
    master = MasterAccount.objects.create(organization=group)
    Connection.objects.create(master=master, child=world["retailer"], kind=Connection.Kind.ACCOUNT)
    on_hand = [9, 100, 0, 25, 3]
    for i, units in enumerate(on_hand):
        PlanRow.objects.create(
            master=master, item=f"I{i}", sku=f"SKU{i}", name=f"Item {i}", on_hand=units,
            on_order=0, method="x", mean_daily=0, sigma=0, forecast_lead_time=0,
            forecast_period=0, safety_stock=[2.5, 0.5, 10, 1, 7][i], reorder_point=0,
            order_quantity=0, short=False, computed_at="2026-01-01T00:00Z",
        )  # fmt: skip
    client = client_for(owner)
    client.post(reverse("accounts:organization_switch"), {"organization": group.pk})

    def skus(sort):
        page = client.get(reverse("aggregation:plan"), {"sort": sort}).text
        return re.findall(r'id="plan-(I\d)"', page)

    order = sorted(range(5), key=lambda i: on_hand[i])
    assert skus("on_hand") == [f"I{i}" for i in order]
    assert skus("-on_hand") == [f"I{i}" for i in reversed(order)]
    assert skus("-safety") == ["I2", "I4", "I0", "I3", "I1"]
