from django.contrib import admin

from core.admin import ReadOnlyMixin
from tasks.models import Campaign, Task, TaskPhoto, TaskUpdate, Visit


class TaskUpdateInline(admin.TabularInline):
    model = TaskUpdate
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "actor",
        "actor_organization",
        "status_before",
        "status_after",
        "percent_after",
        "note",
    ]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "region", "task_count", "created_at", "completed_at"]
    list_filter = ["completed_at", "created_at"]
    search_fields = ["title", "organization__name"]
    list_select_related = ["organization", "region"]
    raw_id_fields = ["organization", "region", "created_by"]

    @admin.display(description="tasks")
    def task_count(self, obj):
        return obj.tasks.count()


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "organization",
        "store",
        "status",
        "percent_done",
        "due_date",
        "priority",
        "campaign",
    ]
    list_filter = ["status", "priority", "due_date"]
    search_fields = ["title", "organization__name", "store__number", "store__name"]
    list_select_related = ["organization", "store", "campaign"]
    raw_id_fields = ["organization", "store", "campaign", "created_by", "products"]
    inlines = [TaskUpdateInline]


@admin.register(TaskUpdate)
class TaskUpdateAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The timeline is history: read-only."""

    list_display = [
        "task",
        "actor",
        "actor_organization",
        "status_before",
        "status_after",
        "percent_after",
        "created_at",
    ]
    list_filter = ["status_after", "created_at"]
    search_fields = ["task__title", "actor__email", "actor_organization__name", "note"]
    list_select_related = ["task__store", "actor", "actor_organization"]


@admin.register(TaskPhoto)
class TaskPhotoAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["pk", "update", "content_type", "width", "height", "size", "created_at"]
    list_filter = ["content_type", "created_at"]
    search_fields = ["update__task__title"]
    list_select_related = ["update__task__store"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Visits are a record of who was where: read-only."""

    list_display = [
        "user",
        "organization",
        "store",
        "owner",
        "checked_in_at",
        "checked_out_at",
        "distance_m",
        "is_far",
    ]
    list_filter = ["is_far", "method", "checked_in_at"]
    search_fields = [
        "user__email",
        "organization__name",
        "owner__name",
        "store__number",
        "store__name",
    ]
    list_select_related = ["user", "organization", "store", "owner"]
