"""The pages around the order plan: vendor and item rules, stock pools on the connections
page, a planner's override of an item. Owners and admins change them (each rebuilds the
plan once committed); members read; another master's ids are 404; GETs change nothing."""

import csv
import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from aggregation import plans, rollups
from aggregation.models import ItemOverride, MasterAccount, PlanRow, ReplenishmentRule
from tests.aggregation.test_plan_inputs import Shop
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def master():
    master = MasterAccount.objects.create(organization=OrganizationFactory(name="Pages Group"))
    shop = Shop(master, "Liquor Shop")
    shop.product("100", vendor_name="Luxco-St Louis", case_pack=6)
    other = Shop(master, "Second Shop")
    today = datetime.date.today()
    for days_ago in range(1, 29):
        shop.sell("100", today - datetime.timedelta(days=days_ago), 5)
        other.sell("100", today - datetime.timedelta(days=days_ago), 3)
    shop.stock("100", 10)
    rollups.refresh(master)
    plans.rebuild(master)
    return master


def client_for(master, role):
    user = UserFactory()
    MembershipFactory(user=user, organization=master.organization, role=role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(master):
    return client_for(master, Membership.Role.OWNER)


@pytest.fixture
def member(master):
    return client_for(master, Membership.Role.MEMBER)


def test_an_owner_adds_a_vendor_rule_and_the_plan_follows(
    owner, master, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            reverse("aggregation:rules"),
            {"vendor_name": "luxco-st louis", "lead_time_days": 14, "case_pack": 12},
        )
    assert response.status_code == 302
    row = PlanRow.objects.get(master=master, item="100")
    liquor = next(part for part in row.parts if part["label"] == "Liquor Shop")
    assert (liquor["lead_time_days"], liquor["case_pack"]) == (14, 12)
    assert liquor["order_quantity"] % 12 == 0
    page = owner.get(reverse("aggregation:rules")).text
    assert "vendor luxco-st louis" in page and "14 d" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"vendor_name": "Luxco", "sku": "100", "lead_time_days": 3}, "not both"),
        ({"lead_time_days": 3}, "not both"),
        ({"vendor_name": "Luxco"}, "Give a lead time, a minimum order or a case pack"),
    ],
)
def test_a_rule_must_say_for_what_and_what(owner, master, data, message):
    page = owner.post(reverse("aggregation:rules"), data).text
    assert message in page
    assert not ReplenishmentRule.objects.exists()


def test_a_second_rule_for_the_same_item_is_refused(owner, master):
    owner.post(reverse("aggregation:rules"), {"sku": "100", "minimum_order": 24})
    page = owner.post(reverse("aggregation:rules"), {"sku": "100", "minimum_order": 48}).text
    assert "There is already a rule for 100" in page
    assert ReplenishmentRule.objects.get().minimum_order == 24


def test_members_read_rules_but_do_not_change_them(member, master):
    rule = ReplenishmentRule.objects.create(master=master, sku="100", minimum_order=24)
    assert "item 100" in member.get(reverse("aggregation:rules")).text
    assert (
        member.post(reverse("aggregation:rules"), {"sku": "200", "minimum_order": 1}).status_code
        == 404
    )
    assert member.post(reverse("aggregation:rule_delete", args=[rule.pk])).status_code == 404
    assert ReplenishmentRule.objects.count() == 1


def test_deleting_a_rule_takes_a_post_and_another_masters_rule_is_404(owner, master):
    rule = ReplenishmentRule.objects.create(master=master, sku="100", minimum_order=24)
    elsewhere = MasterAccount.objects.create(organization=OrganizationFactory(name="Elsewhere"))
    foreign = ReplenishmentRule.objects.create(master=elsewhere, sku="100", minimum_order=24)
    assert owner.get(reverse("aggregation:rule_delete", args=[rule.pk])).status_code == 405
    assert owner.post(reverse("aggregation:rule_delete", args=[foreign.pk])).status_code == 404
    owner.post(reverse("aggregation:rule_delete", args=[rule.pk]))
    assert list(ReplenishmentRule.objects.values_list("master_id", flat=True)) == [elsewhere.pk]


def test_accounts_put_in_one_stock_pool_are_planned_together(
    owner, master, django_capture_on_commit_callbacks
):
    connections = list(master.connections.order_by("child__name"))
    with django_capture_on_commit_callbacks(execute=True):
        for connection in connections:
            owner.post(
                reverse("aggregation:connection_pool", args=[connection.pk]),
                {"stock_pool": " Leeds   warehouse "},
            )
    (part,) = PlanRow.objects.get(master=master, item="100").parts
    assert part["pooled"] and part["label"] == "Liquor Shop + Second Shop"
    assert master.connections.filter(stock_pool="Leeds warehouse").count() == 2
    assert 'value="Leeds warehouse"' in owner.get(reverse("aggregation:connections")).text


def test_a_member_cannot_set_a_stock_pool(member, master):
    connection = master.connections.first()
    response = member.post(
        reverse("aggregation:connection_pool", args=[connection.pk]), {"stock_pool": "x"}
    )
    assert response.status_code == 404
    assert not master.connections.exclude(stock_pool="").exists()


def test_a_planner_overrides_an_item_and_removes_the_override(
    owner, master, django_capture_on_commit_callbacks
):
    url = reverse("aggregation:item_override", args=["100"])
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(url, {"manual_daily": "20", "note": "promotion"})
    row = PlanRow.objects.get(master=master, item="100")
    assert row.forecast_lead_time == pytest.approx(20 * master.lead_time_days)
    page = owner.get(reverse("aggregation:item", args=["100"])).text
    assert "a manual forecast of 20.00 a day for the item" in page and "(promotion)" in page
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(url, {"action": "remove"})
    assert not ItemOverride.objects.exists()
    assert PlanRow.objects.get(master=master, item="100").forecast_lead_time == pytest.approx(
        8 * master.lead_time_days
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Give a manual forecast, a date range to exclude, or both."),
        ({"exclude_from": "2026-11-01"}, "Give both dates of the range to exclude, or neither."),
        ({"exclude_from": "2026-11-09", "exclude_to": "2026-11-01"}, "ends before it starts"),
        ({"manual_daily": "-3"}, "A forecast is 0 or more units a day."),
    ],
)
def test_a_bad_override_says_why_and_saves_nothing(owner, master, data, message):
    response = owner.post(reverse("aggregation:item_override", args=["100"]), data, follow=True)
    assert message in response.text
    assert not ItemOverride.objects.exists()


def test_a_member_cannot_override_and_get_changes_nothing(member, owner, master):
    url = reverse("aggregation:item_override", args=["100"])
    assert member.post(url, {"manual_daily": "5"}).status_code == 404
    assert owner.get(url).status_code == 405
    assert not ItemOverride.objects.exists()
    assert "Override this item" not in member.get(reverse("aggregation:item", args=["100"])).text
    assert Decimal("0") == sum((o.manual_daily or 0) for o in ItemOverride.objects.all())


def test_the_export_says_what_the_plan_was_computed_with_and_rounds_as_the_page(owner, master):
    response = owner.get(reverse("aggregation:plan_export"))
    lines = list(csv.reader(b"".join(response.streaming_content).decode("utf-8-sig").splitlines()))
    blank = lines.index([])
    preamble = {line[0]: line[1] for line in lines[:blank]}
    master.refresh_from_db()
    assert preamble["Order plan"] == "Pages Group"
    assert preamble["As of"].startswith(master.plan_computed_at.astimezone().strftime("%Y-%m-%d"))
    assert preamble["Lead time (days)"] == str(master.lead_time_days)
    assert preamble["Service level"] == str(float(master.service_level))
    assert "Sales through" in preamble
    header, row = lines[blank + 1], lines[blank + 2]
    shown = dict(zip(header, row, strict=True))
    plan_row = PlanRow.objects.get(master=master, item="100")
    assert shown["Safety stock"] == f"{plan_row.safety_stock:.1f}"
    assert shown["Order-up-to level"] == f"{plan_row.order_up_to:.1f}"
    assert shown["Order quantity"] == str(plan_row.order_quantity)
    assert shown["Accounts"] == plan_row.accounts


def test_the_draft_page_polls_until_the_worker_has_worked_it_out(owner, master):
    # The job is queued on commit; the test's transaction never commits, so it has not run.
    owner.post(reverse("aggregation:settings"), {
        "lead_time_days": 10, "review_period_days": 7, "service_level": "0.95", "history_days": 180,
        "minimum_order": 0, "case_pack": 1, "reporting_currency": "USD",
        "version": master.version})  # fmt: skip
    page = owner.get(reverse("aggregation:settings_draft")).text
    assert "Working out the plan with these settings" in page and 'hx-trigger="every 2s"' in page
    assert "Apply these settings" not in page
    from aggregation.jobs import preview_plan_settings

    preview_plan_settings(master.pk)
    partial = owner.get(reverse("aggregation:settings_draft"), headers={"HX-Request": "true"}).text
    assert (
        partial.lstrip().startswith('<div id="draft-summary"') and "Apply these settings" in partial
    )
    assert "would order differently" in partial
