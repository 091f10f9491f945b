"""Merchandising tasks the data owner sets for its stores, the updates partners (and the
owner) post on them with photos as proof of work, and store visits by partners' reps."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, Region, Store
from core.limits import INSTRUCTIONS_MAX_LENGTH, NOTE_MAX_LENGTH
from core.models import AttributedChange
from core.tenancy import OrgQuerySet
from inventory.models import Product


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"


class Campaign(models.Model):
    """Tasks created together for many stores (a region or a store list): one task per
    store, followed as a whole."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="campaigns"
    )
    title = models.CharField(max_length=200)
    region = models.ForeignKey(
        Region, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The region it was created for, if any (its stores then).",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When its last open task was closed."
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("tasks:campaign", args=[self.pk])


class TaskQuerySet(OrgQuerySet):
    def open(self):
        return self.filter(status__in=Task.OPEN)

    def overdue(self, today=None):
        return self.open().filter(due_date__lt=today or timezone.localdate())


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANNOT_COMPLETE = "cannot_complete", "Cannot complete"

    OPEN = (Status.OPEN, Status.IN_PROGRESS)
    CLOSED = (Status.DONE, Status.CANNOT_COMPLETE)

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="tasks", help_text="The data owner."
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="tasks")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True, max_length=INSTRUCTIONS_MAX_LENGTH)
    due_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority, default=Priority.NORMAL)
    products = models.ManyToManyField(Product, blank=True, related_name="tasks")
    status = models.CharField(max_length=20, choices=Status, default=Status.OPEN)
    percent_done = models.PositiveSmallIntegerField(default=0)
    cannot_complete_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=0,
        db_default=0,
        editable=False,
        help_text="Goes up with every update (core/versions.py); the timeline says who and what.",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["organization", "store", "status"]),
            models.Index(fields=["organization", "status", "due_date"]),
        ]

    def __str__(self):
        return f"{self.title} (store {self.store.number})"

    def get_absolute_url(self):
        return reverse("tasks:detail", args=[self.pk])

    @property
    def is_open(self):
        return self.status in self.OPEN

    @property
    def is_overdue(self):
        return self.is_open and self.due_date is not None and self.due_date < timezone.localdate()


class Visit(models.Model):
    """A partner's rep (or an owner's own user) in a store: check-in, check-out."""

    class Method(models.TextChoices):
        PICKED = "picked", "Picked from the list"
        LOCATION = "location", "By location"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="visits")
    owner = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", help_text="The store's owner."
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="visits", help_text="The visitor's."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visits"
    )
    method = models.CharField(max_length=10, choices=Method, default=Method.PICKED)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    distance_m = models.PositiveIntegerField(
        null=True, blank=True, help_text="From the browser's location to the store at check-in."
    )
    is_far = models.BooleanField(
        default=False, help_text="Checked in farther from the store than the check-in radius."
    )
    checked_in_at = models.DateTimeField(default=timezone.now)
    checked_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-checked_in_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-checked_in_at"]),
            models.Index(fields=["owner", "-checked_in_at"]),
        ]

    def __str__(self):
        return f"{self.user} at store {self.store.number}"

    def get_absolute_url(self):
        return reverse("tasks:visit", args=[self.pk])

    @property
    def minutes_in_store(self):
        if self.checked_out_at is None:
            return None
        return round((self.checked_out_at - self.checked_in_at).total_seconds() / 60)


class TaskUpdate(AttributedChange):
    """One entry of a task's timeline: a note, progress, a status change, photos."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="updates")
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="updates"
    )
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    percent_before = models.PositiveSmallIntegerField()
    percent_after = models.PositiveSmallIntegerField()
    status_before = models.CharField(max_length=20, choices=Task.Status)
    status_after = models.CharField(max_length=20, choices=Task.Status)

    def __str__(self):
        return f"{self.task_id}: {self.status_before} → {self.status_after}"

    @property
    def status_changed(self):
        return self.status_before != self.status_after


def photo_path(instance, filename):
    # Never the uploader's name: a random one, under the owner's folder.
    return f"task-photos/{instance.update.organization_id}/{uuid.uuid4().hex}{filename[filename.rfind('.') :]}"


class TaskPhoto(models.Model):
    """A photo as proof of work: checked and re-encoded without metadata (tasks/photos.py),
    served only through a view that asks the access policy."""

    update = models.ForeignKey(TaskUpdate, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path, max_length=255)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"photo {self.pk} of update {self.update_id}"

    def get_absolute_url(self):
        return reverse("tasks:photo", args=[self.pk])
