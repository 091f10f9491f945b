"""What every app's admin shares, and the admin of the import history and the outbox."""

from django.contrib import admin

from core.models import IdempotentRequest, ImportBatch, OutboxEmail


class ReadOnlyMixin:
    """History and outbox rows are facts: staff read them, never edit them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Import history: read-only; the upload pages are where imports are made."""

    list_display = ["file_name", "kind", "organization", "uploaded_by", "created_at", "status",
                    "total_rows", "created_count", "updated_count", "error_count"]  # fmt: skip
    list_filter = ["kind", "status", "valid_only", "created_at"]
    search_fields = ["file_name", "organization__name", "uploaded_by__email"]
    list_select_related = ["organization", "uploaded_by"]


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Every email the platform sent or will send; staff may only ask for a failed one to be
    tried again now."""

    list_display = ["template", "email", "status", "attempts", "created_at", "sent_at",
                    "short_error"]  # fmt: skip
    list_filter = ["status", "kind", "template", "created_at"]
    search_fields = ["email", "key", "last_error"]
    actions = ["retry_now"]

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description="Send the selected failed emails again now")
    def retry_now(self, request, queryset):
        from core.jobs import send_outbox_email
        from core.queue import enqueue

        failed = [OutboxEmail.Status.FAILED, OutboxEmail.Status.GAVE_UP]
        ids = list(queryset.filter(status__in=failed).values_list("pk", flat=True))
        OutboxEmail.objects.filter(pk__in=ids).update(status=OutboxEmail.Status.FAILED)
        queued = sum(enqueue(send_outbox_email, pk) for pk in ids)
        message = f"Queued {queued} email(s) again."
        if queued < len(ids):
            # The rows stay FAILED: the outbox sweep sends them once the broker is back.
            message += f" {len(ids) - queued} wait for the broker, which is unreachable."
        self.message_user(request, message)


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """API writes sent with an Idempotency-Key and the answers kept for their retries
    (a day). Read-only: changing one would change what a retry is told."""

    list_display = ["key", "organization", "method", "path", "status", "created_at"]
    list_filter = ["status", "method", "created_at"]
    search_fields = ["key", "path", "organization__name"]
    list_select_related = ["organization"]
