"""The Product matching page of a master: owners and admins merge or keep apart the
products of a conflict, and undo; members read; other organizations get 404."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from aggregation import jobs, services
from aggregation.matching import matching_for
from aggregation.models import Connection, MasterAccount, MatchDecision
from tests.factories import MembershipFactory, OrganizationFactory, ProductFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("aggregation:matching")
DECIDE = reverse("aggregation:matching_decide")


def make_master(organization):
    """`organization` becomes a master of two accounts whose SKU 22156 names two products,
    and whose SKU 85123A names one."""
    master = MasterAccount.objects.create(organization=organization)
    liquor = OrganizationFactory(name=f"{organization.name} Liquor")
    gifts = OrganizationFactory(name=f"{organization.name} Gifts")
    for child in (liquor, gifts):
        Connection.objects.create(master=master, child=child, kind=Connection.Kind.ACCOUNT)
    ProductFactory(organization=liquor, sku="22156", name="Wild Turkey 101")
    ProductFactory(organization=gifts, sku="22156", name="HEART DECORATION WITH PEARLS")
    ProductFactory(organization=liquor, sku="85123A", name="White hanging heart T-light holder")
    ProductFactory(organization=gifts, sku="85123-A", name="WHITE HANGING HEART T-LIGHT HOLDER")
    return master


@pytest.fixture
def master(org):
    return make_master(org)


@pytest.fixture
def jobs_queued(monkeypatch):
    """The plan rebuilds queued, by master id, instead of run."""
    queued = []
    # core.queue publishes through apply_async(args, kwargs, **options).
    monkeypatch.setattr(
        jobs.rebuild_plan, "apply_async", lambda args, kwargs, **options: queued.append(*args)
    )
    return queued


def decide(client, action, kind="same_sku", key="22156"):
    return client.post(DECIDE, {"kind": kind, "key": key, "action": action})


def item_keys(master):
    return set(matching_for(master).item_of.values())


def test_the_owner_sees_each_accounts_name_for_a_held_sku(owner_client, master):
    page = owner_client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "SKU 22156" in text and "Held apart" in text
    assert "Heartland Test Mart Liquor" in text and "Wild Turkey 101" in text
    assert "Heartland Test Mart Gifts" in text and "HEART DECORATION WITH PEARLS" in text
    assert "similarity 28" in text
    assert ">Merge</button>" in text and ">Keep apart</button>" in text
    assert "csrfmiddlewaretoken" in text
    assert "85123A" not in text  # names that agree are one item, not a conflict


def test_the_owner_merges_a_held_sku(owner_client, owner, master, jobs_queued):
    response = decide(owner_client, "merge")
    assert response.status_code == 302 and response["Location"] == PAGE
    decision = MatchDecision.objects.get(master=master)
    assert (decision.kind, decision.key, decision.action) == ("same_sku", "22156", "merge")
    assert decision.decided_by == owner
    assert "22156" in item_keys(master)
    page = owner_client.get(PAGE).content.decode()
    assert "SKU 22156: merged into one item" in page
    assert "Merged by" in page and ">Undo</button>" in page and ">Merge</button>" not in page


def test_the_owner_keeps_a_sku_apart_and_changes_their_mind(owner_client, master, jobs_queued):
    decide(owner_client, "apart")
    assert MatchDecision.objects.get(master=master).action == "apart"
    assert "22156" not in item_keys(master)
    assert "Kept apart by" in owner_client.get(PAGE).content.decode()
    decision = MatchDecision.objects.get(master=master)
    response = owner_client.post(reverse("aggregation:matching_undo", args=[decision.pk]))
    assert response.status_code == 302
    assert not MatchDecision.objects.exists()
    page = owner_client.get(PAGE).content.decode()
    assert "Decision on SKU 22156 undone" in page and "Held apart" in page


def test_an_admin_decides_too(admin_user, master, jobs_queued):
    from tests.conftest import client_for

    assert decide(client_for(admin_user), "merge").status_code == 302
    assert MatchDecision.objects.filter(master=master, action="merge").exists()


def test_a_decision_on_a_name_under_two_skus(owner_client, master, jobs_queued):
    liquor, gifts = (c.child for c in master.connections.order_by("child_id"))
    ProductFactory(organization=liquor, sku="100", name="Red Mug")
    ProductFactory(organization=gifts, sku="200", name="RED MUG")
    assert "The name “Red Mug”" in owner_client.get(PAGE).content.decode()
    decide(owner_client, "merge", kind="same_name", key="red mug")
    item_of = matching_for(master).item_of
    assert item_of[(liquor.pk, "100")] == item_of[(gifts.pk, "200")] == "100"


def test_the_decide_and_undo_urls_take_only_post(owner_client, master):
    decision = MatchDecision.objects.create(
        master=master, kind="same_sku", key="22156", action="merge"
    )
    assert owner_client.get(DECIDE).status_code == 405
    assert (
        owner_client.get(reverse("aggregation:matching_undo", args=[decision.pk])).status_code
        == 405
    )


def test_a_member_reads_the_page_without_buttons_and_cannot_decide(member_client, master):
    decision = MatchDecision.objects.create(
        master=master, kind="same_sku", key="22156", action="apart"
    )
    page = member_client.get(PAGE).content.decode()
    assert "SKU 22156" in page and "Owners and admins of Heartland Test Mart decide" in page
    assert "<button" not in page.split('id="main"')[1].split("</main>")[0]  # not one button
    assert decide(member_client, "merge").status_code == 404
    undo = reverse("aggregation:matching_undo", args=[decision.pk])
    assert member_client.post(undo).status_code == 404
    assert MatchDecision.objects.get().action == "apart"


def test_another_organizations_master_and_its_decisions_are_404(
    owner_client, outsider_client, master, other_org
):
    theirs = make_master(other_org)
    their_decision = MatchDecision.objects.create(
        master=theirs, kind="same_sku", key="22156", action="apart"
    )
    mine = MatchDecision.objects.create(master=master, kind="same_sku", key="22156", action="merge")
    assert (
        owner_client.post(
            reverse("aggregation:matching_undo", args=[their_decision.pk])
        ).status_code
        == 404
    )
    assert (
        outsider_client.post(reverse("aggregation:matching_undo", args=[mine.pk])).status_code
        == 404
    )
    assert MatchDecision.objects.count() == 2
    # Each master sees only its own accounts' products.
    assert "Heartland Test Mart Liquor" not in outsider_client.get(PAGE).content.decode()


def test_a_decision_queues_the_plan_rebuild_when_it_commits(
    owner_client, master, jobs_queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        decide(owner_client, "merge")
    assert jobs_queued == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert jobs_queued == [master.pk]

    decision = MatchDecision.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("aggregation:matching_undo", args=[decision.pk]))
    assert jobs_queued == [master.pk, master.pk]


def test_the_rebuild_job_rebuilds_the_plan_and_ignores_a_master_that_is_gone(master, monkeypatch):
    rebuilt = []
    monkeypatch.setattr(jobs.plans, "rebuild", lambda m: rebuilt.append(m.pk) or 7)
    assert jobs.rebuild_plan(master.pk) == 7 and rebuilt == [master.pk]
    assert jobs.rebuild_plan(master.pk + 1000) == 0 and rebuilt == [master.pk]


def test_nothing_is_stored_for_a_conflict_that_is_gone(owner_client, master, jobs_queued):
    response = decide(owner_client, "merge", key="85123A")  # its names agree: no conflict
    assert response.status_code == 302
    assert not MatchDecision.objects.exists() and jobs_queued == []
    assert "Nothing to decide there any more" in owner_client.get(PAGE).content.decode()


def test_a_decision_that_is_not_one_is_a_bad_request(owner_client, master):
    assert decide(owner_client, "maybe").status_code == 400
    assert owner_client.post(DECIDE, {}).status_code == 400
    assert not MatchDecision.objects.exists()


def test_a_decision_whose_products_changed_can_still_be_undone(owner_client, owner, master):
    services.decide_match(master=master, kind="same_sku", key="999", action="apart", user=owner)
    page = owner_client.get(PAGE).content.decode()
    assert "Decisions with nothing to decide now" in page and "SKU 999: keep apart" in page


def test_no_conflicts_says_what_that_means(owner_client, org):
    master = MasterAccount.objects.create(organization=org)
    child = OrganizationFactory()
    Connection.objects.create(master=master, child=child, kind=Connection.Kind.ACCOUNT)
    ProductFactory(organization=child, sku="1", name="Mug")
    page = owner_client.get(PAGE).content.decode()
    assert "No conflicts: every SKU shared by several accounts has matching names" in page


def test_the_plan_and_the_connections_link_to_the_page(owner_client, master):
    plan = owner_client.get(reverse("aggregation:plan")).content.decode()
    assert f'href="{PAGE}"' in plan and "Product matching (1 held)" in plan
    assert f'href="{PAGE}"' in owner_client.get(reverse("aggregation:connections")).content.decode()


def test_a_user_who_is_only_a_member_of_a_child_is_not_shown_the_masters_page(master):
    from tests.conftest import client_for

    child = master.connections.first().child
    user = MembershipFactory(organization=child, role=Membership.Role.OWNER).user
    page = client_for(user).get(PAGE).content.decode()
    assert "Wild Turkey 101" not in page
