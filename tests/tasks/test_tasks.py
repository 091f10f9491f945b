"""Tasks and visits through the access policy: who sees which tasks, who may work them,
campaigns, emails after commit, photos only for those who see the task, check-in."""

import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from core.models import OutboxEmail
from partners.models import Partnership
from tasks import services
from tasks.models import Campaign, Task, TaskPhoto, Visit
from tests.factories import MembershipFactory, RegionFactory

pytestmark = pytest.mark.django_db


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tasks(shop):
    """One open task per store of the shop (stores 1-2 are the merchandiser's)."""
    _, made = services.create_tasks(
        owner=shop["retailer"], actor=shop["owner"], stores=shop["stores"],
        fields=services.TaskFields(title="Build the endcap display", instructions="Use the new signs."),
    )  # fmt: skip
    return {task.store.number: task for task in made}


def listed(page, tasks):
    return sorted(number for number, task in tasks.items() if f'id="task-{task.pk}"' in page.text)


def jpeg(name="shelf.jpg", size=(64, 48)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_the_owner_sees_every_task_and_the_campaign(shop, tasks):
    client = as_user(shop["owner"])
    page = client.get(reverse("tasks:index"))
    assert listed(page, tasks) == ["1", "2", "3"]
    campaign = Campaign.objects.get()
    assert (
        "Build the endcap display" in client.get(reverse("tasks:campaign", args=[campaign.pk])).text
    )


def test_the_merchandising_partner_sees_exactly_the_geography_and_loses_it_at_once(shop, tasks):
    client = as_user(shop["rep"])
    url = reverse("tasks:list", args=[shop["retailer"].pk])
    assert listed(client.get(url), tasks) == ["1", "2"]
    assert client.get(reverse("tasks:detail", args=[tasks["3"].pk])).status_code == 404
    # The campaign is the owner's own business.
    assert (
        client.get(reverse("tasks:campaign", args=[Campaign.objects.get().pk])).status_code == 404
    )
    # A geography edit: store 2 removed, its task gone at once.
    shop["merch_share"].stores.remove(shop["stores"][1])
    assert listed(client.get(url), tasks) == ["1"]
    assert client.get(reverse("tasks:detail", args=[tasks["2"].pk])).status_code == 404
    # Unapproved: everything is a 404.
    Partnership.objects.filter(pk=shop["merch_share"].pk).update(
        status=Partnership.Status.UNAPPROVED
    )
    assert client.get(url).status_code == 404
    assert client.get(reverse("tasks:detail", args=[tasks["1"].pk])).status_code == 404


@pytest.mark.parametrize("who", ["vendor_user", "outsider"])
def test_a_vendor_share_and_an_outsider_see_no_tasks(shop, tasks, who):
    client = as_user(shop[who])
    assert client.get(reverse("tasks:list", args=[shop["retailer"].pk])).status_code == 404
    for task in tasks.values():
        assert client.get(reverse("tasks:detail", args=[task.pk])).status_code == 404
        response = client.post(
            reverse("tasks:detail", args=[task.pk]),
            {"status": "done", "percent": 100, "version": 0},
        )
        assert response.status_code == 404
    assert not Task.objects.filter(status="done").exists()


def test_a_partner_update_with_a_photo_reaches_the_owner_attributed(shop, tasks):
    task = tasks["1"]
    rep = as_user(shop["rep"])
    response = rep.post(
        reverse("tasks:detail", args=[task.pk]),
        {
            "status": "in_progress",
            "percent": 40,
            "note": "Half the endcap is up",
            "version": task.version,
            "photos": [jpeg()],
        },
        follow=True,
    )
    assert "Update saved" in response.text
    task.refresh_from_db()
    assert (task.status, task.percent_done) == ("in_progress", 40)
    photo = TaskPhoto.objects.get()
    assert (
        photo.update.actor == shop["rep"]
        and photo.update.actor_organization == shop["merchandiser"]
    )
    # The owner's open task page, as polled, gets the entry and the new status.
    owner = as_user(shop["owner"])
    fragment = owner.get(reverse("tasks:timeline", args=[task.pk]), {"since": 0}).text
    assert (
        "Ray Rep" in fragment and "(FieldForce)" in fragment and "Half the endcap is up" in fragment
    )
    assert "40% done" in fragment and reverse("tasks:photo", args=[photo.pk]) in fragment
    feed = owner.get(reverse("tasks:activity"), {"since": 0}).text
    assert "Ray Rep" in feed and "open → in progress" in feed
    # The photo: the owner and the partner get it; the vendor and an outsider get a 404.
    assert owner.get(reverse("tasks:photo", args=[photo.pk]))["Content-Type"] == "image/jpeg"
    assert rep.get(reverse("tasks:photo", args=[photo.pk])).status_code == 200
    for who in ("vendor_user", "outsider"):
        assert as_user(shop[who]).get(reverse("tasks:photo", args=[photo.pk])).status_code == 404
    # Losing the store hides the photo too.
    shop["merch_share"].stores.remove(shop["stores"][0])
    assert rep.get(reverse("tasks:photo", args=[photo.pk])).status_code == 404


def test_a_refused_photo_saves_nothing(shop, tasks):
    task = tasks["1"]
    fake = SimpleUploadedFile("shelf.jpg", b"this is not an image", content_type="image/jpeg")
    response = as_user(shop["rep"]).post(
        reverse("tasks:detail", args=[task.pk]),
        {"status": "done", "percent": 100, "photos": [fake], "version": task.version},
    )
    assert (
        response.status_code == 200
        and "shelf.jpg is not a JPEG, PNG or WebP image" in response.text
    )
    task.refresh_from_db()
    assert task.status == "open" and not task.updates.exists() and not TaskPhoto.objects.exists()


def test_cannot_complete_needs_a_reason_and_emails_the_owner_after_commit(
    shop, tasks, django_capture_on_commit_callbacks
):
    task = tasks["2"]
    rep = as_user(shop["rep"])
    response = rep.post(
        reverse("tasks:detail", args=[task.pk]),
        {"status": "cannot_complete", "percent": 0, "version": task.version},
    )
    assert "Say why the task cannot be completed" in response.text
    with django_capture_on_commit_callbacks(execute=True):
        rep.post(
            reverse("tasks:detail", args=[task.pk]),
            {
                "status": "cannot_complete",
                "percent": 0,
                "reason": "The endcap fixture is broken",
                "version": task.version,
            },
        )
    sent = [m for m in mail.outbox if "Cannot complete" in m.subject]
    assert [m.to for m in sent] == [[shop["owner"].email]]
    assert "The endcap fixture is broken" in sent[0].body and "Ray Rep (FieldForce)" in sent[0].body
    assert OutboxEmail.objects.get(template="task_cannot_complete").status == "sent"


def test_nothing_is_sent_for_a_rolled_back_update(shop, tasks, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(services.TaskRefused),
    ):
        services.post_update(
                task_id=tasks["1"].pk, viewer=shop["vendor"], actor=shop["vendor_user"],
                status="cannot_complete", reason="no",
            )  # fmt: skip
    assert callbacks == [] and mail.outbox == []


def test_the_campaign_completes_once_and_tells_the_owner(
    shop, tasks, django_capture_on_commit_callbacks
):
    MembershipFactory(organization=shop["retailer"], user__email="second@heartland.test")
    with django_capture_on_commit_callbacks(execute=True):
        for number in ("1", "2"):
            services.post_update(task_id=tasks[number].pk, viewer=shop["merchandiser"], actor=shop["rep"],
                                 status="done")  # fmt: skip
        assert Campaign.objects.get().completed_at is None  # store 3 still open
        services.post_update(task_id=tasks["3"].pk, viewer=shop["retailer"], actor=shop["owner"],
                             status="cannot_complete", reason="Store closed for works")  # fmt: skip
        # The owner reopens and closes it again: the campaign is not announced twice.
        services.post_update(
            task_id=tasks["3"].pk, viewer=shop["retailer"], actor=shop["owner"], status="open"
        )
        services.post_update(
            task_id=tasks["3"].pk, viewer=shop["retailer"], actor=shop["owner"], status="done"
        )
    completed = [m for m in mail.outbox if m.subject.startswith("Campaign completed")]
    assert sorted(m.to[0] for m in completed) == sorted(
        [shop["owner"].email, "second@heartland.test"]
    )
    assert "2 of 3 done, 1 cannot complete" in completed[0].body


def test_a_partner_may_not_reopen_a_closed_task(shop, tasks):
    services.post_update(
        task_id=tasks["1"].pk, viewer=shop["retailer"], actor=shop["owner"], status="done"
    )
    with pytest.raises(services.TaskRefused, match="This task is closed"):
        services.post_update(
            task_id=tasks["1"].pk, viewer=shop["merchandiser"], actor=shop["rep"], status="open"
        )


def test_a_campaign_over_a_region_from_the_page(shop):
    region = RegionFactory(organization=shop["retailer"], name="North")
    region.stores.add(shop["stores"][0], shop["stores"][2])
    response = as_user(shop["owner"]).post(
        reverse("tasks:new"),
        {"title": "Reset the cooler", "target": "region", "region": region.pk, "priority": "high",
         "due_date": "2026-12-01", "skus": "VEND-1"},
        follow=True,
    )  # fmt: skip
    assert "Campaign created: 2 tasks, one per store." in response.text
    campaign = Campaign.objects.get()
    assert campaign.region == region
    assert sorted(t.store.number for t in campaign.tasks.all()) == ["1", "3"]
    assert all(
        list(t.products.values_list("sku", flat=True)) == ["VEND-1"] for t in campaign.tasks.all()
    )


def test_a_store_list_creates_tasks_at_its_own_stores_and_lists_the_strangers(shop):
    upload = SimpleUploadedFile("stores.csv", b"Store number\n1\n2\n999\n", content_type="text/csv")
    response = as_user(shop["owner"]).post(
        reverse("tasks:new"),
        {"title": "Count", "target": "list", "priority": "normal", "store_list": upload},
        follow=True,
    )
    assert "1 number matched none of your stores and was left out: 999" in response.text
    assert sorted(Task.objects.values_list("store__number", flat=True)) == ["1", "2"]


def test_a_store_list_of_strangers_only_creates_nothing(shop):
    upload = SimpleUploadedFile("stores.csv", b"Store number\n998\n999\n", content_type="text/csv")
    response = as_user(shop["owner"]).post(
        reverse("tasks:new"),
        {"title": "Count", "target": "list", "priority": "normal", "store_list": upload},
    )
    assert "None of the numbers in the store list is one of your stores: 998, 999" in response.text
    assert not Task.objects.exists()


def test_check_in_by_location_lists_the_nearest_shared_stores_and_flags_far_ones(
    shop, tasks, settings
):
    settings.VISIT_RADIUS_METERS = 300
    _, second, third = shop["stores"]
    for store, (lat, lon) in zip(
        shop["stores"], [(36.3320, -94.1185), (36.3725, -94.2088), (36.0, -94.0)], strict=True
    ):
        store.latitude, store.longitude = Decimal(str(lat)), Decimal(str(lon))
        store.save()
    rep = as_user(shop["rep"])
    page = rep.get(reverse("tasks:visit_start"), {"lat": "36.3330", "lon": "-94.1185"})
    assert "#1" in page.text and "111 m away" in page.text
    assert "#2 " not in page.text.split("Pick the store")[0]  # 8 km away: not near
    # Store 3 is not shared for merchandising: not listed at all, and a check-in is refused.
    assert f'value="{third.pk}"' not in page.text
    refused = rep.post(reverse("tasks:check_in"), {"store": third.pk}, follow=True)
    assert "only at a store shared with you" in refused.text and not Visit.objects.exists()
    # Checking in at store 2 from store 1's car park: allowed, flagged.
    response = rep.post(reverse("tasks:check_in"), {"store": second.pk, "lat": "36.3330", "lon": "-94.1185"},
                        follow=True)  # fmt: skip
    visit = Visit.objects.get()
    assert visit.is_far and visit.distance_m > 8000
    assert "flagged as far from the store" in response.text
    assert "Build the endcap display" in response.text  # the store's open task, on the visit page
    assert "Vendor Whiskey" in response.text  # and its shared stock


def test_visits_are_listed_for_both_sides_and_nobody_else(shop, tasks):
    visit = services.check_in(
        viewer=shop["merchandiser"], user=shop["rep"], store_id=shop["stores"][0].pk
    )
    for who in ("rep", "owner"):
        page = as_user(shop[who]).get(reverse("tasks:visits"))
        assert reverse("tasks:visit", args=[visit.pk]) in page.text
        assert as_user(shop[who]).get(reverse("tasks:visit", args=[visit.pk])).status_code == 200
    for who in ("vendor_user", "outsider"):
        assert (
            reverse("tasks:visit", args=[visit.pk])
            not in as_user(shop[who]).get(reverse("tasks:visits")).text
        )
        assert as_user(shop[who]).get(reverse("tasks:visit", args=[visit.pk])).status_code == 404
    # Check-out records the time in store; only the visitor checks out.
    assert (
        as_user(shop["owner"])
        .post(reverse("tasks:check_out", args=[visit.pk]), follow=True)
        .status_code
        == 200
    )
    visit.refresh_from_db()
    assert visit.checked_out_at is None
    as_user(shop["rep"]).post(reverse("tasks:check_out", args=[visit.pk]))
    visit.refresh_from_db()
    assert visit.checked_out_at is not None and visit.minutes_in_store == 0


def test_the_visit_page_gathers_every_owner_sharing_the_place(shop, tasks):
    """Another retailer shares its store at the same address with the same merchandiser:
    the visit page shows both owners' open tasks."""
    from tests.factories import OrganizationFactory, PartnershipFactory, StoreFactory

    other = OrganizationFactory(name="Prairie Grocers", is_retailer=True)
    here = shop["stores"][0]
    here.latitude, here.longitude = Decimal("36.332000"), Decimal("-94.118500")
    here.save()
    twin = StoreFactory(
        organization=other,
        number="77",
        latitude=Decimal("36.332100"),
        longitude=Decimal("-94.118600"),
    )
    share = PartnershipFactory(organization=other, partner=shop["merchandiser"], status="active",
                               scope=Partnership.Scope.MERCHANDISING)  # fmt: skip
    share.stores.add(twin)
    services.create_tasks(
        owner=other, actor=None, stores=[twin], fields=services.TaskFields(title="Check the prices")
    )
    visit = services.check_in(viewer=shop["merchandiser"], user=shop["rep"], store_id=here.pk)
    page = as_user(shop["rep"]).get(reverse("tasks:visit", args=[visit.pk])).text
    assert "Build the endcap display" in page and "Check the prices" in page
    assert "Prairie Grocers" in page and "its store #77 here" in page


def test_an_oversized_photo_is_refused_as_it_arrives(shop, tasks, settings):
    settings.TASK_PHOTO_MAX_BYTES = 2_000
    big = jpeg("big.jpg", size=(800, 600))
    assert big.size > 2_000
    response = as_user(shop["rep"]).post(
        reverse("tasks:detail", args=[tasks["1"].pk]),
        {"status": "done", "percent": 100, "photos": [big], "version": 0},
    )
    assert "big.jpg is" in response.text and "photos can be at most" in response.text
    assert not TaskPhoto.objects.exists() and Task.objects.get(pk=tasks["1"].pk).status == "open"
