"""What every app's admin shares, and the admin of the import history."""

from django.contrib import admin

from core.models import ImportBatch


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
