"""Two people on one task: the partner's rep saves progress while the owner's page is
open. The owner's page warns without a reload; the owner's save is refused, saying who
changed what and when; nothing the rep did is overwritten, and saving again adds the
owner's note only."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tasks import services
from tasks.models import Task
from tests.browser.conftest import snap
from tests.browser.test_journey_inventory_real_time import logged_in_page

pytestmark = pytest.mark.django_db(transaction=True)

NOT_SAVED = "your change was not saved — review and save again."


def test_the_second_save_on_a_task_is_told_and_overwrites_nothing(
    live_server, new_page, shop, password
):
    _, (task,) = services.create_tasks(
        owner=shop["retailer"], actor=shop["owner"], stores=[shop["stores"][0]],
        fields=services.TaskFields(title="Reset the gin endcap"),
    )  # fmt: skip
    url = live_server.url + reverse("tasks:detail", args=[task.pk])
    owner_page = logged_in_page(new_page, live_server.url, shop["owner"], password)
    owner_page.goto(url)
    expect(owner_page.get_by_text("No updates yet")).to_be_visible()

    rep_page = logged_in_page(new_page, live_server.url, shop["rep"], password)
    rep_page.goto(url)
    rep_page.get_by_label("Status").select_option("in_progress")
    rep_page.get_by_label("Progress (%)").fill("40")
    rep_page.get_by_role("button", name="Save update").click()
    expect(rep_page.get_by_text("Update saved")).to_be_visible()

    # The owner's page, not reloaded, warns above its form.
    warning = owner_page.locator("#task-form-warning")
    expect(warning).to_contain_text("This task changed while you were on this page", timeout=6_000)
    expect(warning).to_contain_text("Ray Rep changed status to In progress 40% at")
    snap(owner_page, "task-conflict-warning-1280")

    # The owner saves anyway, a note with the status and progress the page first showed.
    owner_page.get_by_label("Note").fill("Any news from the store?")
    owner_page.get_by_role("button", name="Save update").click()
    refusal = owner_page.locator(".form-errors[role=alert]").first
    expect(refusal).to_contain_text("Ray Rep changed status to In progress 40% at")
    expect(refusal).to_contain_text(NOT_SAVED)
    task.refresh_from_db()
    assert (task.status, task.percent_done, task.updates.count()) == ("in_progress", 40, 1)
    # The form shows the task as it is now, with the owner's note kept.
    expect(owner_page.get_by_label("Status")).to_have_value("in_progress")
    expect(owner_page.get_by_label("Progress (%)")).to_have_value("40")
    expect(owner_page.get_by_label("Note")).to_have_value("Any news from the store?")
    refusal.scroll_into_view_if_needed()
    snap(owner_page, "task-conflict-refused-1280")
    owner_page.set_viewport_size({"width": 390, "height": 844})
    refusal.scroll_into_view_if_needed()
    snap(owner_page, "task-conflict-refused-390")

    # Reviewed: saving again adds the note and keeps the rep's status and progress.
    owner_page.get_by_role("button", name="Save update").click()
    expect(owner_page.get_by_text("Update saved")).to_be_visible()
    task = Task.objects.get(pk=task.pk)
    last = task.updates.order_by("-pk").first()
    assert (task.status, task.percent_done, last.note) == (
        "in_progress",
        40,
        "Any news from the store?",
    )
    assert (last.status_before, last.status_after) == ("in_progress", "in_progress")
