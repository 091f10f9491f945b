"""What every feature app shares: the history of imports, the email outbox, the abstract
"attributed change" that inventory adjustments and task updates both are, and the
abstract "edited record" of stores, regions, geographies and plan settings.
Tenant-owned rows point at ``settings.TENANT_MODEL`` by name, so this lowest app imports
none above it."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.tenancy import OrgQuerySet
from core.versions import person, stale_message


class ImportBatch(models.Model):
    """One uploaded file going through upload → preview → confirm → apply; kept as history."""

    class Status(models.TextChoices):
        NEEDS_MAPPING = "needs_mapping", "Needs column mapping"
        READY = "ready", "Ready to import"
        QUEUED = "queued", "Waiting to import"
        APPLYING = "applying", "Importing"
        APPLIED = "applied", "Imported"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    OPEN = (Status.NEEDS_MAPPING, Status.READY)
    RUNNING = (Status.QUEUED, Status.APPLYING)

    organization = models.ForeignKey(
        settings.TENANT_MODEL, on_delete=models.CASCADE, related_name="import_batches"
    )
    kind = models.CharField(max_length=40)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="imports/%Y/%m/")
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveIntegerField(default=0)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=5, blank=True)
    header = models.JSONField(default=list, blank=True)
    header_line = models.PositiveIntegerField(default=1)
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.READY)
    options = models.JSONField(default=dict, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    to_create = models.PositiveIntegerField(default=0)
    to_update = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    details = models.JSONField(
        default=dict,
        blank=True,
        help_text="The preview beyond its counts: each column with sample values as read, how "
        "its numbers and dates are written, changes per field, notes.",
    )
    staged_rows = models.FileField(
        upload_to="imports/staged/",
        blank=True,
        help_text="The rows the preview read, as they will be stored (PostgreSQL only): "
        "applying writes them with set-based SQL instead of reading the file again. Deleted "
        "once the import is applied, cancelled or failed.",
    )
    valid_only = models.BooleanField(default=False)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the import was confirmed, then when a worker began writing it: "
        "an import running far longer than this is failed by the stuck-import sweep.",
    )
    job_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the broker took the job that applies this import. A queued import "
        "without one (the broker was down, or the process died after its commit) is sent "
        "again by the sweep.",
    )
    message = models.TextField(blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "import batches"

    def __str__(self):
        return f"{self.get_kind_display()} import {self.file_name}"

    def get_absolute_url(self):
        return reverse("accounts:import_detail", args=[self.pk])

    def get_kind_display(self):
        from core.imports.registry import importer_for

        importer = importer_for(self.kind)
        return importer.label if importer else self.kind

    @property
    def is_open(self):
        return self.status in self.OPEN

    @property
    def delimiter_name(self):
        from core.imports.reading import DELIMITER_NAMES

        return DELIMITER_NAMES.get(self.delimiter, "comma")

    @property
    def is_running(self):
        return self.status in self.RUNNING

    @property
    def from_rows(self):
        """Rows a program sent (the API, a shop connector), not a file someone uploaded:
        the page names their rows as the API does, from 0 (core/imports/rows.py)."""
        return bool((self.options or {}).get("rows"))


class AttributedChange(models.Model):
    """A change to one organization's data, made by a user of that organization or of a
    partner: who made it, for which organization, and when. Inventory adjustments and task
    updates are such changes; the owner's Activity feed reads them."""

    organization = models.ForeignKey(
        settings.TENANT_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The data owner.",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_organization = models.ForeignKey(
        settings.TENANT_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        help_text="Who made it.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "-created_at"])]


class OutboxEmail(models.Model):
    """The outbox: one row per email to send, written in the same transaction as the change
    that causes it, and sent by a job queued once that transaction commits (core/outbox.py).

    `key` names the news, the template and the address, and is unique: a retried job finds
    the row and never sends twice, while one person told two different things about the
    same change (a member of both sides gets the record of a request and the approve link)
    gets both.

    An email about a row of a higher app (a partnership change, an invitation) names it by
    `kind` and `subject_id`, not by a foreign key: the app registered for that kind builds
    the template context when the email is sent, so links are signed then and a secret
    (a password reset token) is never stored. Other news carries its values in `context`."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        GAVE_UP = "gave_up", "Failed"
        NOT_SENT = "not_sent", "Not sent (no longer applies)"

    key = models.CharField(max_length=400, unique=True)
    kind = models.CharField(
        max_length=40, blank=True,
        help_text="What the email is about (partnership_event, invitation, password_reset); "
        "empty when the context holds everything.",
    )  # fmt: skip
    subject_id = models.BigIntegerField(
        null=True, blank=True, help_text="The id of the row of that kind the email is about."
    )
    context = models.JSONField(
        default=dict, blank=True,
        help_text="Values the templates need, fixed when the row is written (task news). "
        "Never a secret.",
    )  # fmt: skip
    template = models.CharField(max_length=80)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.EmailField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "subject_id"]),
            # The sweep looks for the few rows not yet sent among every email ever sent.
            models.Index(fields=["status"]),
        ]

    def __str__(self):
        return f"{self.template} to {self.email} ({self.get_status_display()})"


class EditedRecord(models.Model):
    """A record people edit on forms while others may too: its `version` goes up with
    every change, and the last change is kept in words, so that a form read at an older
    version is refused with who changed what and when."""

    # Database defaults too: rows written by older code (or an older migration state)
    # start at version 0 with no change recorded, rather than being refused.
    version = models.PositiveIntegerField(
        default=0, db_default=0, editable=False,
        help_text="Goes up with every change (core/versions.py).",
    )  # fmt: skip
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False, help_text="Who made the last change; empty for an import.",
    )  # fmt: skip
    changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    change = models.CharField(
        max_length=300, blank=True, default="", db_default="", editable=False,
        help_text="The last change in words, after the person's name: 'changed the city to Ames'.",
    )  # fmt: skip

    class Meta:
        abstract = True

    def record_change(self, *, actor, change: str) -> list[str]:
        """Set the version and the words of a change about to be saved; the fields to
        save with it."""
        self.version += 1
        self.changed_by = actor
        self.changed_at = timezone.now()
        self.change = change[:300]
        return ["version", "changed_by", "changed_at", "change"]

    def last_change(self) -> str:
        """Who changed what and when, for a refused save."""
        if self.changed_at is None:
            return "Someone else changed it; your change was not saved — review and save again."
        # An import writes no words; a person's words outlive their account.
        who = "Someone" if self.change else "An import"
        if self.changed_by_id:
            who = person(self.changed_by)
        return stale_message(who, self.change or "changed it", self.changed_at)


class IdempotentRequest(models.Model):
    """An API write sent with an Idempotency-Key: the answer it got, so the same request
    sent again (a client retrying after a timeout) gets that answer and writes nothing.
    `status` 0 means it is being written now."""

    organization = models.ForeignKey(
        settings.TENANT_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255)
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self):
        return f"{self.method} {self.path} ({self.key})"
