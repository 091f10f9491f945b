"""The task list's filter (a django-filter FilterSet): each filter, alone and combined, shows
exactly the tasks a plain reading of the same rule picks from the whole list; a partner's
list has no owner-only filters and can never widen to stores it does not work."""

import datetime
import re

import pytest
from django.urls import reverse

from tasks.models import Campaign, Task, TaskUpdate
from tests.conftest import client_for
from tests.factories import RegionFactory

TODAY = datetime.date(2026, 12, 1)
S = Task.Status


@pytest.fixture
def tasks(shop, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    owner, stores = shop["retailer"], shop["stores"]
    north = RegionFactory(organization=owner, name="North")
    north.stores.add(stores[0], stores[2])
    spring = Campaign.objects.create(organization=owner, title="Spring reset")
    plan = [
        # title, store index, status, due (days from today), campaign, worked by the partner
        ("Count the cooler", 0, S.OPEN, -2, None, False),
        ("Reset the endcap", 1, S.IN_PROGRESS, 3, spring, True),
        ("Price check", 2, S.DONE, -5, spring, True),
        ("Clean the shelf", 0, S.CANNOT_COMPLETE, 1, None, False),
        ("Build the display", 2, S.OPEN, None, spring, False),
        ("Fix the tags", 1, S.OPEN, 10, None, False),
    ]
    rows = []
    for title, index, status, due, campaign, worked in plan:
        task = Task.objects.create(
            organization=owner, store=stores[index], title=title, status=status, campaign=campaign,
            due_date=TODAY + datetime.timedelta(days=due) if due is not None else None,
        )  # fmt: skip
        if worked:
            TaskUpdate.objects.create(
                task=task, organization=owner, actor=shop["rep"],
                actor_organization=shop["merchandiser"], percent_before=0, percent_after=50,
                status_before=S.OPEN, status_after=status,
            )  # fmt: skip
        rows.append({
            "title": title, "store": stores[index].number, "status": status, "due": task.due_date,
            "campaign": campaign, "worked": worked, "region": stores[index] in (stores[0], stores[2]),
        })  # fmt: skip
    return {"rows": rows, "north": north, "spring": spring, **shop}


def listed(client, owner, **params):
    page = client.get(reverse("tasks:list", args=[owner.pk]), params)
    assert page.status_code == 200
    return sorted(re.findall(r'<tr id="task-\d+">\s*<td><a href="[^"]+">([^<]+)</a>', page.text))


def expect(rows, rule):
    return sorted(r["title"] for r in rows if rule(r))


def is_open(row):
    return row["status"] in (S.OPEN, S.IN_PROGRESS)


def test_each_filter_shows_exactly_the_tasks_its_rule_picks(tasks):
    client, owner, rows = client_for(tasks["owner"]), tasks["retailer"], tasks["rows"]
    cases = [
        ({}, is_open),
        ({"status": "all"}, lambda r: True),
        ({"status": S.DONE}, lambda r: r["status"] == S.DONE),
        ({"q": "the"}, lambda r: is_open(r) and "the" in r["title"].lower()),
        ({"store": "#2"}, lambda r: is_open(r) and r["store"] == "2"),
        ({"region": tasks["north"].pk}, lambda r: is_open(r) and r["region"]),
        ({"due_before": "2026-12-04"},
         lambda r: is_open(r) and r["due"] and r["due"] <= TODAY + datetime.timedelta(days=3)),
        ({"overdue": "on"}, lambda r: is_open(r) and r["due"] and r["due"] < TODAY),
        ({"campaign": tasks["spring"].pk, "status": "all"}, lambda r: r["campaign"] == tasks["spring"]),
        ({"partner": tasks["merchandiser"].pk, "status": "all"}, lambda r: r["worked"]),
        ({"store": "1", "status": "all", "q": "clean"},
         lambda r: r["store"] == "1" and "clean" in r["title"].lower()),
    ]  # fmt: skip
    for params, rule in cases:
        assert listed(client, owner, **params) == expect(rows, rule), params


def test_a_partner_has_no_owner_only_filters_and_sees_only_its_stores(tasks):
    client, owner, rows = client_for(tasks["rep"]), tasks["retailer"], tasks["rows"]
    page = client.get(reverse("tasks:list", args=[owner.pk]))
    for owner_only in ('name="region"', 'name="campaign"', 'name="partner"'):
        assert owner_only not in page.text
    # The merchandiser works stores 1 and 2 only; a region id in the query changes nothing.
    in_geography = lambda r: r["store"] in ("1", "2")  # noqa: E731
    assert listed(client, owner, status="all") == expect(rows, in_geography)
    assert listed(client, owner, status="all", region=tasks["north"].pk) == expect(
        rows, in_geography
    )
    assert listed(client, owner, store="3", status="all") == []


def test_a_bad_value_is_ignored_not_a_500(tasks):
    client, owner, rows = client_for(tasks["owner"]), tasks["retailer"], tasks["rows"]
    assert listed(client, owner, due_before="not a date", status="nonsense") == expect(
        rows, is_open
    )
