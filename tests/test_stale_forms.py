"""No lost updates: every form that edits a shared record carries the version it was read
at, and a save over a newer change is refused whole, saying who changed what and when.

Each test reads a page (its version), lets someone else change the record, then posts
the first page's form: nothing is written, the message names the other change, and
the form comes back at the new version so that saving again is a save over what the
user now sees.
"""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from aggregation.models import Connection, MasterAccount
from core.imports.registry import importer_for
from core.imports.service import confirm, start_import
from core.versions import MISSING, when
from inventory.models import Adjustment, Stock
from tasks import services as task_services
from tasks.models import Task
from tests.factories import MembershipFactory, OrganizationFactory, RegionFactory

pytestmark = pytest.mark.django_db

NOT_SAVED = "your change was not saved — review and save again."


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def version_in(html):
    """The version a page's form carries."""
    return int(re.search(r'name="version" value="(\d+)"', html).group(1))


def refusal(html):
    return html.split('class="form-errors" role="alert">', 1)[1].split("</div>", 1)[0]


@pytest.fixture
def ann(shop):
    """A second manager of the retailer, beside the owner."""
    return MembershipFactory(
        organization=shop["retailer"], role=Membership.Role.ADMIN, user__full_name="Ann Admin"
    ).user


# -- Tasks --------------------------------------------------------------------------------


@pytest.fixture
def task(shop):
    _, (made,) = task_services.create_tasks(
        owner=shop["retailer"], actor=shop["owner"], stores=[shop["stores"][0]],
        fields=task_services.TaskFields(title="Build the endcap"),
    )  # fmt: skip
    return made


def test_a_stale_note_does_not_undo_a_partners_progress(shop, task):
    owner, rep = as_user(shop["owner"]), as_user(shop["rep"])
    url = reverse("tasks:detail", args=[task.pk])
    owner_page = owner.get(url).text  # Open 0%, version 0
    rep.post(
        url, {"status": "in_progress", "percent": 40, "version": version_in(rep.get(url).text)}
    )

    refused = owner.post(
        url,
        {"status": "open", "percent": 0, "note": "Any news?", "version": version_in(owner_page)},
    )
    assert refused.status_code == 200
    update = task.updates.get()
    assert refusal(refused.text).strip() == (
        f"<p>Ray Rep changed status to In progress 40% at {when(update.created_at)}; {NOT_SAVED}</p>"
    )
    task.refresh_from_db()
    assert (task.status, task.percent_done, task.updates.count()) == ("in_progress", 40, 1)
    # The form now shows the task as it is, keeps the note, and carries the new version.
    assert '<option value="in_progress" selected>' in refused.text
    assert 'name="percent" value="40"' in refused.text and "Any news?" in refused.text
    assert version_in(refused.text) == task.version

    # Saving again adds the note and leaves the rep's status and progress.
    owner.post(url, {"status": "in_progress", "percent": 40, "note": "Any news?",
                     "version": task.version})  # fmt: skip
    task.refresh_from_db()
    last = task.updates.order_by("-pk").first()
    assert (task.status, task.percent_done, last.note) == ("in_progress", 40, "Any news?")
    assert (last.status_before, last.status_after, last.percent_before, last.percent_after) == (
        "in_progress", "in_progress", 40, 40,
    )  # fmt: skip


def test_an_update_changes_only_the_fields_the_user_touched(shop, task):
    task_services.post_update(task_id=task.pk, viewer=shop["merchandiser"], actor=shop["rep"],
                              status="in_progress", percent=40)  # fmt: skip
    # A note alone, even from code that passes no status or progress, keeps them.
    task_services.post_update(task_id=task.pk, viewer=shop["retailer"], actor=shop["owner"],
                              note="Looks good", version=1)  # fmt: skip
    task.refresh_from_db()
    assert (task.status, task.percent_done, task.version) == ("in_progress", 40, 2)


def test_the_open_task_page_warns_before_saving_once_the_task_changed(shop, task):
    owner, rep = as_user(shop["owner"]), as_user(shop["rep"])
    url = reverse("tasks:detail", args=[task.pk])
    version = version_in(owner.get(url).text)
    poll = reverse("tasks:timeline", args=[task.pk])
    assert "task-form-warning" not in owner.get(poll, {"since": 0, "version": version}).text
    rep.post(url, {"status": "in_progress", "percent": 40, "version": version})
    fragment = owner.get(poll, {"since": 0, "version": version}).text
    assert 'id="task-form-warning" hx-swap-oob="true"' in fragment
    assert "This task changed while you were on this page:" in fragment
    assert "Ray Rep changed status to In progress 40% at" in fragment
    # The next poll keeps asking about the version the form was read at.
    assert f"version={version}" in fragment


def test_a_task_form_without_a_version_is_refused(shop, task):
    response = as_user(shop["owner"]).post(
        reverse("tasks:detail", args=[task.pk]), {"status": "done", "percent": 100}
    )
    assert MISSING in refusal(response.text)
    task.refresh_from_db()
    assert task.status == "open" and not task.updates.exists()


# -- Stock ---------------------------------------------------------------------------------


def test_a_stale_count_does_not_replace_a_newer_one(shop):
    stock = shop["stock"][("1", "VEND-1")]
    url = reverse("inventory:adjust", args=[stock.pk])
    owner, rep = as_user(shop["owner"]), as_user(shop["rep"])
    owner_version = version_in(owner.get(url).text)
    rep.post(url, {"kind": "count", "on_hand": 7, "version": version_in(rep.get(url).text)})

    refused = owner.post(url, {"kind": "count", "on_hand": 9, "version": owner_version})
    assert refused.status_code == 200
    adjustment = Adjustment.objects.get()
    assert refusal(refused.text).strip() == (
        f"<p>Ray Rep changed on hand to 7 (count correction) at {when(adjustment.created_at)}; "
        f"{NOT_SAVED}</p>"
    )
    stock.refresh_from_db()
    assert (stock.on_hand, Adjustment.objects.count()) == (7, 1)
    # The owner's 9 is still in the form, at the new version: one more click saves it.
    assert 'name="on_hand" value="9"' in refused.text
    assert (
        owner.post(
            url, {"kind": "count", "on_hand": 9, "version": version_in(refused.text)}
        ).status_code
        == 302
    )
    stock.refresh_from_db()
    assert stock.on_hand == 9


def test_a_stale_markdown_does_not_replace_a_newer_price(shop):
    stock = shop["stock"][("1", "OTHER-1")]  # retail 6.00
    url = reverse("inventory:adjust", args=[stock.pk])
    owner, rep = as_user(shop["owner"]), as_user(shop["rep"])
    version = stock.version
    rep.post(url, {"kind": "markdown", "price": "4.99", "version": version})
    refused = owner.post(url, {"kind": "markdown", "price": "5.49", "version": version})
    assert "Ray Rep changed the selling price to 4.99 (markdown) at" in refused.text
    stock.refresh_from_db()
    assert stock.current_price == Decimal("4.99")


def test_a_count_read_before_a_stock_import_is_refused(shop):
    stock = shop["stock"][("1", "VEND-1")]
    url = reverse("inventory:adjust", args=[stock.pk])
    owner = as_user(shop["owner"])
    version = version_in(owner.get(url).text)
    importer = importer_for("stock")
    batch = start_import(
        organization=shop["retailer"], user=shop["owner"], importer=importer,
        uploaded_file=SimpleUploadedFile("stock.csv", b"Store,SKU,On hand\n1,VEND-1,30\n"),
    )  # fmt: skip
    confirm(batch=batch, importer=importer, user=shop["owner"], valid_only=False, inline=True)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.version) == (30, version + 1)

    refused = owner.post(url, {"kind": "count", "on_hand": 9, "version": version})
    assert "A stock import set on hand to 30" in refusal(refused.text)
    assert Stock.objects.get(pk=stock.pk).on_hand == 30


# -- Geography -------------------------------------------------------------------------------


def test_removing_every_store_over_a_newer_geography_is_refused(shop, ann):
    share = shop["merch_share"]
    url = reverse("partners:geography", args=[share.pk])
    owner, admin = as_user(shop["owner"]), as_user(ann)
    owner_version = version_in(owner.get(url).text)
    admin.post(reverse("partners:geography_all", args=[share.pk]),
               {"all_stores": "on", "version": version_in(admin.get(url).text)})  # fmt: skip

    page = owner.post(reverse("partners:geography_remove", args=[share.pk]),
                      {"kind": "everything", "version": owner_version}, follow=True).text  # fmt: skip
    share.refresh_from_db()
    assert f"Ann Admin shared every store at {when(share.changed_at)}; {NOT_SAVED}" in page
    assert share.all_stores and share.stores.count() == 2


def test_the_every_store_switch_needs_the_pages_version(shop):
    share = shop["merch_share"]
    page = (
        as_user(shop["owner"])
        .post(reverse("partners:geography_all", args=[share.pk]), {"all_stores": "on"}, follow=True)
        .text
    )
    assert MISSING in page
    share.refresh_from_db()
    assert not share.all_stores and share.version == 0


def test_a_store_list_upload_read_before_a_change_is_refused(shop, ann):
    share = shop["merch_share"]
    admin = as_user(ann)
    admin.post(
        reverse("partners:geography_all", args=[share.pk]), {"all_stores": "on", "version": 0}
    )
    page = (
        as_user(shop["owner"])
        .post(
            reverse("partners:geography_upload", args=[share.pk]),
            {"file": SimpleUploadedFile("list.csv", b"Store #\n3\n"), "version": 0},
            follow=True,
        )
        .text
    )
    assert "Ann Admin shared every store at" in page
    assert not share.stores.filter(number="3").exists()


# -- Order plan settings ----------------------------------------------------------------------


@pytest.fixture
def master(shop, ann):
    organization = OrganizationFactory(name="Heartland Group")
    for user in (shop["owner"], ann):
        MembershipFactory(organization=organization, user=user, role=Membership.Role.OWNER)
    master = MasterAccount.objects.create(organization=organization)
    Connection.objects.create(master=master, child=shop["retailer"], kind=Connection.Kind.ACCOUNT)
    return master


def in_master(user, master):
    client = as_user(user)
    client.post(reverse("accounts:organization_switch"), {"organization": master.organization_id})
    return client


SETTINGS = {"lead_time_days": 7, "review_period_days": 7, "service_level": "0.95",
            "history_days": 180, "minimum_order": 0, "case_pack": 1, "reporting_currency": "USD"}  # fmt: skip


def test_plan_settings_read_before_another_planners_draft_are_refused(shop, ann, master):
    owner, admin = in_master(shop["owner"], master), in_master(ann, master)
    url = reverse("aggregation:settings")
    owner_version = version_in(owner.get(url).text)
    admin.post(url, SETTINGS | {"lead_time_days": 14, "version": version_in(admin.get(url).text)})

    refused = owner.post(url, SETTINGS | {"case_pack": 6, "version": owner_version})
    master.refresh_from_db()
    assert refusal(refused.text).strip() == (
        f"<p>Ann Admin saved draft settings (lead time (days) 14) at {when(master.changed_at)}; "
        f"{NOT_SAVED}</p>"
    )
    assert master.draft_settings["lead_time_days"] == 14 and master.draft_settings["case_pack"] == 1
    assert version_in(refused.text) == master.version


def test_a_draft_is_applied_only_as_its_page_showed_it(shop, ann, master):
    owner, admin = in_master(shop["owner"], master), in_master(ann, master)
    owner.post(reverse("aggregation:settings"), SETTINGS | {"lead_time_days": 14, "version": 0})
    draft_page = owner.get(reverse("aggregation:settings_draft")).text
    shown = version_in(draft_page)
    # Ann replaces the draft while the owner looks at the first one.
    admin.post(reverse("aggregation:settings"), SETTINGS | {"lead_time_days": 60, "version": shown})
    poll = owner.get(reverse("aggregation:settings_draft"), {"version": shown},
                     headers={"HX-Request": "true"}).text  # fmt: skip
    assert "Ann Admin saved draft settings (lead time (days) 60) at" in poll

    page = owner.post(reverse("aggregation:settings_draft"),
                      {"action": "apply", "version": shown}, follow=True).text  # fmt: skip
    assert "Ann Admin saved draft settings (lead time (days) 60) at" in page
    master.refresh_from_db()
    assert master.lead_time_days == 7 and master.draft_settings["lead_time_days"] == 60


# -- Stores and regions -----------------------------------------------------------------------


def store_data(store, **changes):
    fields = ("number", "name", "banner", "address", "city", "state", "postal_code", "country",
              "phone")  # fmt: skip
    return {name: getattr(store, name) for name in fields} | changes


def test_a_store_edit_over_a_newer_one_is_refused(shop, ann):
    store = shop["stores"][0]
    name = store.name
    url = reverse("accounts:store_edit", args=[store.pk])
    owner, admin = as_user(shop["owner"]), as_user(ann)
    owner_version = version_in(owner.get(url).text)
    admin.post(url, store_data(store, city="Ames", version=version_in(admin.get(url).text)))

    refused = owner.post(url, store_data(store, name="Main St.", version=owner_version))
    store.refresh_from_db()
    assert "Ann Admin changed the city to Ames" in refusal(refused.text)
    assert f"at {when(store.changed_at)}; {NOT_SAVED}" in refusal(refused.text)
    assert (store.name, store.city) == (name, "Ames")
    assert 'value="Main St."' in refused.text and version_in(refused.text) == store.version


def test_a_store_edit_read_before_a_store_import_is_refused(shop):
    store = shop["stores"][0]
    url = reverse("accounts:store_edit", args=[store.pk])
    owner = as_user(shop["owner"])
    version = version_in(owner.get(url).text)
    importer = importer_for("stores")
    batch = start_import(
        organization=shop["retailer"], user=shop["owner"], importer=importer,
        uploaded_file=SimpleUploadedFile("stores.csv", b"Store Number,City\n1,Bentonville\n"),
    )  # fmt: skip
    confirm(batch=batch, importer=importer, user=shop["owner"], valid_only=False, inline=True)
    refused = owner.post(url, store_data(store, name="Main St.", version=version))
    assert "An import changed it at" in refusal(refused.text)
    store.refresh_from_db()
    assert store.city == "Bentonville" and store.name != "Main St."


def test_closing_a_store_over_a_newer_change_is_refused(shop, ann):
    store = shop["stores"][0]
    owner_version = store.version
    as_user(ann).post(
        reverse("accounts:store_open_close", args=[store.pk]), {"version": store.version}
    )
    page = as_user(shop["owner"]).post(reverse("accounts:store_open_close", args=[store.pk]),
                                       {"version": owner_version}, follow=True).text  # fmt: skip
    assert "Ann Admin closed it at" in page
    store.refresh_from_db()
    assert store.is_open is False  # closed once, not reopened by the stale toggle


def test_a_region_edit_over_a_newer_one_is_refused(shop, ann):
    region = RegionFactory(organization=shop["retailer"], name="Ozarks")
    url = reverse("accounts:region_edit", args=[region.pk])
    owner, admin = as_user(shop["owner"]), as_user(ann)
    owner_version = version_in(owner.get(url).text)
    admin.post(url, {"name": "Ozarks", "rule_states_text": "AR, MO",
                     "version": version_in(admin.get(url).text)})  # fmt: skip

    refused = owner.post(url, {"name": "Ozark Hills", "version": owner_version})
    region.refresh_from_db()
    assert "Ann Admin changed the rule: states to AR, MO" in refusal(refused.text)
    assert (region.name, region.rule_states) == ("Ozarks", ["AR", "MO"])


def test_a_region_store_removal_read_before_a_change_is_refused(shop, ann):
    region = RegionFactory(organization=shop["retailer"], name="Ozarks")
    region.stores.add(*shop["stores"][:2])
    detail = reverse("accounts:region_detail", args=[region.pk])
    version = version_in(as_user(shop["owner"]).get(detail).text)
    as_user(ann).post(reverse("accounts:region_remove_store", args=[region.pk, shop["stores"][0].pk]),
                      {"version": version})  # fmt: skip
    page = as_user(shop["owner"]).post(
        reverse("accounts:region_remove_store", args=[region.pk, shop["stores"][1].pk]),
        {"version": version}, follow=True,
    ).text  # fmt: skip
    assert "Ann Admin removed store 1 at" in page
    assert list(region.stores.values_list("number", flat=True)) == ["2"]


def test_a_task_reads_its_version_from_the_database_not_the_page(shop, task):
    """The version is the server's: a form that sends a higher one is refused too."""
    response = as_user(shop["owner"]).post(
        reverse("tasks:detail", args=[task.pk]), {"status": "done", "percent": 100, "version": 5}
    )
    assert NOT_SAVED in refusal(response.text)
    assert Task.objects.get(pk=task.pk).status == "open"


def test_a_change_on_another_day_says_the_day():
    import datetime

    from django.utils import timezone

    moment = timezone.now() - datetime.timedelta(days=3)
    local = timezone.localtime(moment)
    assert when(moment) == f"{local:%H:%M} on {local:%b} {local.day}"
    now = timezone.now()
    assert when(now) == f"{timezone.localtime(now):%H:%M}"
