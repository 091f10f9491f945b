"""The owner sets a campaign over a region; the partner's rep checks in at one of its
stores, sees the task, uploads a photo and marks it done; the owner's open task page
shows the update without a reload."""

import io

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from tasks.models import Campaign, Task, TaskPhoto, Visit
from tests.browser.conftest import snap
from tests.browser.test_journey_inventory_real_time import logged_in_page
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_campaign_check_in_photo_done_seen_live(live_server, new_page, shop, password, tmp_path):
    region = RegionFactory(organization=shop["retailer"], name="Bentonville area")
    region.stores.add(shop["stores"][0], shop["stores"][1])

    owner_page = logged_in_page(new_page, live_server.url, shop["owner"], password)
    owner_page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Tasks").click()
    expect(owner_page.get_by_role("heading", name="No tasks yet")).to_be_visible()
    snap(owner_page, "tasks-empty")
    owner_page.get_by_role("button", name="New task").first.click()
    owner_page.get_by_label("Title").fill("Build the holiday endcap")
    owner_page.get_by_label("Instructions").fill(
        "Front the new gift packs; photo of the finished endcap."
    )
    owner_page.get_by_label("Every store of a custom region").check()
    owner_page.get_by_label("Custom region", exact=True).select_option(label="Bentonville area")
    snap(owner_page, "tasks-new")
    owner_page.get_by_role("button", name="Create").click()
    expect(owner_page.get_by_text("Campaign created: 2 tasks, one per store.")).to_be_visible()
    snap(owner_page, "tasks-campaign")
    campaign = Campaign.objects.get()
    task = Task.objects.get(campaign=campaign, store=shop["stores"][0])
    owner_page.goto(live_server.url + reverse("tasks:detail", args=[task.pk]))
    expect(owner_page.get_by_text("No updates yet")).to_be_visible()

    rep_page = logged_in_page(new_page, live_server.url, shop["rep"], password)
    rep_page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Tasks").click()
    rep_page.get_by_role("button", name="Check in at a store").click()
    snap(rep_page, "visit-start")
    rep_page.get_by_role("button", name="Check in at store 1").click()
    expect(rep_page.get_by_text("Checked in at store 1.")).to_be_visible()
    expect(rep_page.get_by_role("heading", name="Heartland Mart")).to_be_visible()
    snap(rep_page, "visit-page")
    rep_page.get_by_role("link", name="Build the holiday endcap").click()

    photo = tmp_path / "endcap.jpg"
    Image.new("RGB", (320, 240), (30, 110, 80)).save(photo, "JPEG")
    rep_page.get_by_label("Status").select_option("done")
    rep_page.get_by_label("Note").fill("Endcap built, gift packs fronted")
    rep_page.get_by_label("Photos (JPEG, PNG or WebP)").set_input_files(str(photo))
    rep_page.get_by_role("button", name="Save update").click()
    expect(rep_page.get_by_text("Update saved")).to_be_visible()
    snap(rep_page, "task-after-update")
    update = task.updates.get()
    assert (
        update.visit == Visit.objects.get() and TaskPhoto.objects.filter(update=update).count() == 1
    )

    # The owner did not reload: the timeline and the status change by themselves.
    entry = owner_page.locator(f"#update-{update.pk}")
    expect(entry).to_contain_text("Ray Rep", timeout=5_000)
    expect(entry).to_contain_text("(FieldForce)")
    expect(entry).to_contain_text("Endcap built, gift packs fronted")
    expect(entry.get_by_role("img")).to_be_visible()
    expect(owner_page.locator("#task-status")).to_contain_text("Done")
    expect(owner_page.get_by_text("No updates yet")).to_be_hidden()
    snap(owner_page, "task-owner-live")
    # The photo the owner sees is the cleaned one, served by the app.
    image = owner_page.request.get(
        live_server.url + reverse("tasks:photo", args=[update.photos.get().pk])
    )
    assert image.status == 200 and Image.open(io.BytesIO(image.body())).size == (320, 240)
