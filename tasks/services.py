"""Writes of the tasks app: creating tasks (one or a campaign), posting updates, visits.
Every write by a partner is checked against partners/access.py under a row lock."""

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Store
from core.emails import absolute_url
from core.limits import NOTE_MAX_LENGTH
from core.outbox import queue_emails
from core.versions import change_words, check_version, not_saved, person
from partners.access import access_for, accesses_for
from tasks import geo
from tasks.models import Campaign, Task, TaskPhoto, TaskUpdate, Visit


class TaskRefused(Exception):
    """str(exc) tells the user what to do instead."""


@dataclass
class TaskFields:
    title: str
    instructions: str = ""
    due_date: object = None
    priority: str = "normal"


@transaction.atomic
def create_tasks(
    *, owner, actor, stores, fields: TaskFields, products=(), region=None, campaign_title=""
):
    """One task per store. More than one store makes a campaign, followed as a whole."""
    stores = list(stores)
    if not stores:
        raise TaskRefused("Pick at least one store: the region or list has none.")
    if any(store.organization_id != owner.pk for store in stores):
        raise TaskRefused("Tasks can only be set for your own stores.")
    campaign = None
    if len(stores) > 1:
        campaign = Campaign.objects.create(
            organization=owner,
            title=campaign_title or fields.title,
            region=region,
            created_by=actor,
        )
    tasks = Task.objects.bulk_create(
        [
            Task(
                organization=owner,
                store=store,
                campaign=campaign,
                created_by=actor,
                title=fields.title,
                instructions=fields.instructions,
                due_date=fields.due_date,
                priority=fields.priority,
            )
            for store in stores
        ]
    )
    if products:
        links = Task.products.through
        links.objects.bulk_create(
            [
                links(task_id=task.pk, product_id=product.pk)
                for task in tasks
                for product in products
            ]
        )
    return campaign, tasks


@transaction.atomic
def post_update(
    *, task_id, viewer, actor, note="", percent=None, status=None, reason="", photos=(), visit=None,
    version=None,
):  # fmt: skip
    """A timeline entry on a task by the owner or a merchandising partner whose geography
    holds its store; photos are CleanPhoto objects (tasks/photos.py).

    Only what is given changes: no status or percent keeps the task's own. `version` is
    the task's as the form showed it: an update posted over a newer one is refused whole
    (StaleVersion), with who changed what and when."""
    task = Task.objects.select_for_update().select_related("store", "organization").get(pk=task_id)
    access = access_for(viewer=viewer, owner=task.organization)
    if not access.may_work_tasks_at(task.store_id):
        raise TaskRefused("You may not work on tasks in this store.")
    check_version(task, version, lambda task: not_saved(last_task_change(task)))
    if not task.is_open and not access.is_owner:
        raise TaskRefused("This task is closed. Ask the store's owner to reopen it.")
    if len(note) > NOTE_MAX_LENGTH:
        raise TaskRefused(f"Keep the note to {NOTE_MAX_LENGTH:,} characters.")
    if status in (None, task.status) and not reason.strip():
        reason = task.cannot_complete_reason  # a note on a blocked task keeps its reason
    status = status or task.status
    if status not in Task.Status.values:
        raise TaskRefused("Pick a status: open, in progress, done or cannot complete.")
    if status == Task.Status.CANNOT_COMPLETE and not reason.strip():
        raise TaskRefused("Say why the task cannot be completed.")
    percent = task.percent_done if percent is None else percent
    if not 0 <= percent <= 100:
        raise TaskRefused("Progress is a percentage from 0 to 100.")
    if status == Task.Status.DONE:
        percent = 100
    elif status == Task.Status.OPEN and percent > 0:
        status = Task.Status.IN_PROGRESS  # work has started
    if not (note.strip() or photos or status != task.status or percent != task.percent_done):
        raise TaskRefused("Add a note, a photo, progress or a new status.")
    update = TaskUpdate.objects.create(
        task=task, organization=task.organization, actor=actor, actor_organization=viewer,
        visit=visit, note=note.strip(), percent_before=task.percent_done, percent_after=percent,
        status_before=task.status, status_after=status,
    )  # fmt: skip
    for photo in photos:
        record = TaskPhoto(update=update, content_type=photo.content_type, width=photo.width,
                           height=photo.height, size=len(photo.content))  # fmt: skip
        record.file.save(f"photo.{photo.extension}", ContentFile(photo.content), save=True)
    task.status, task.percent_done = status, percent
    task.cannot_complete_reason = reason.strip() if status == Task.Status.CANNOT_COMPLETE else ""
    task.version += 1  # the row is locked: no one else adds one meanwhile
    task.save(
        update_fields=["status", "percent_done", "cannot_complete_reason", "updated_at", "version"]
    )
    if status == Task.Status.CANNOT_COMPLETE and update.status_changed:
        _tell_owner(task, "task_cannot_complete", key=f"task-update:{update.pk}", update=update)
    if task.campaign_id and not task.is_open:
        _complete_campaign_if_done(task)
    return update


def last_task_change(task) -> str:
    """Who changed a task last, what and when, from its timeline: "Ray Rep changed status
    to In progress 40% at 10:42"."""
    last = task.updates.select_related("actor").order_by("-pk").first()
    if last is None:
        return change_words("Someone", "changed this task", task.updated_at)
    if last.status_changed:
        what = f"changed status to {last.get_status_after_display()} {last.percent_after}%"
    elif last.percent_before != last.percent_after:
        what = f"changed progress to {last.percent_after}%"
    elif last.photos.exists():
        what = "added photos"
    else:
        what = "added a note"
    return change_words(person(last.actor), what, last.created_at)


def _complete_campaign_if_done(task):
    campaign_id = task.campaign_id
    if Task.objects.filter(campaign_id=campaign_id, status__in=Task.OPEN).exists():
        return
    # A conditional update: of two last tasks closing together, one completes the campaign.
    if Campaign.objects.filter(pk=campaign_id, completed_at__isnull=True).update(
        completed_at=timezone.now()
    ):
        _tell_owner(task, "campaign_completed", key=f"campaign:{campaign_id}")


def _tell_owner(task, template, *, key, update=None):
    owner = task.organization
    people = [
        (m.user, m.user.email)
        for m in Membership.objects.filter(organization=owner, user__is_active=True).select_related(
            "user"
        )
    ]
    campaign = task.campaign
    counts = {}
    if campaign is not None:
        counts = dict(campaign.tasks.values_list("status").annotate(n=Count("pk")).order_by())
    actor = update.actor if update else None
    context = {
        "owner_name": owner.name,
        "task_title": task.title,
        "store": f"#{task.store.number} {task.store.name or task.store.city}".strip(),
        "reason": task.cannot_complete_reason,
        "actor_name": (actor.get_full_name() or actor.email) if actor else "",
        "actor_organization": update.actor_organization.name
        if update and update.actor_organization
        else "",
        "campaign_title": campaign.title if campaign else "",
        "done": counts.get(Task.Status.DONE, 0),
        "cannot_complete": counts.get(Task.Status.CANNOT_COMPLETE, 0),
        "total": sum(counts.values()),
        "page_link": absolute_url(
            reverse("tasks:campaign", args=[campaign.pk])
            if template == "campaign_completed"
            else task.get_absolute_url()
        ),
    }
    queue_emails(key=key, template=template, people=people, context=context)


def visitable_stores(viewer):
    """Stores `viewer`'s reps may check in at: their own and, for every owner sharing with
    them, the merchandising geography. Returns {owner_id: access} and a Store queryset."""
    accesses = {viewer.pk: access_for(viewer=viewer, owner=viewer)}
    ids = set()
    for access in accesses_for(viewer):
        task_ids = access.task_store_ids()
        if task_ids:
            accesses[access.owner.pk] = access
            ids |= task_ids
    stores = Store.objects.filter(pk__in=sorted(ids)) | Store.objects.filter(organization=viewer)
    return accesses, stores.select_related("organization")


@transaction.atomic
def check_in(*, viewer, user, store_id, latitude=None, longitude=None):
    _, stores = visitable_stores(viewer)
    store = stores.filter(pk=store_id).first()
    if store is None:
        raise TaskRefused("You can check in only at a store shared with you for merchandising.")
    distance = None
    if latitude is not None and longitude is not None and store.latitude is not None:
        distance = round(geo.distance_m(latitude, longitude, store.latitude, store.longitude))
    # Close any visit this user left open: one store at a time.
    Visit.objects.filter(user=user, checked_out_at__isnull=True).update(
        checked_out_at=timezone.now()
    )
    return Visit.objects.create(
        store=store, owner=store.organization, organization=viewer, user=user,
        method=Visit.Method.LOCATION if latitude is not None else Visit.Method.PICKED,
        latitude=latitude, longitude=longitude, distance_m=distance,
        is_far=distance is not None and distance > settings.VISIT_RADIUS_METERS,
    )  # fmt: skip


def check_out(*, visit, user):
    if visit.user_id != user.pk:
        raise TaskRefused("Only the person who checked in can check out.")
    updated = Visit.objects.filter(pk=visit.pk, checked_out_at__isnull=True).update(
        checked_out_at=timezone.now()
    )
    if not updated:
        raise TaskRefused("This visit is already checked out.")
    visit.refresh_from_db()
    return visit
