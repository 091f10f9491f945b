from django.contrib import admin, messages
from django.db.models import Count

from core.admin import ReadOnlyMixin
from partners import services
from partners.models import Partnership, PartnershipEvent


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = PartnershipEvent
    extra = 0
    fields = ["created_at", "from_status", "to_status", "actor", "organization", "by_staff"]
    readonly_fields = fields


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organization", "partner_display", "scope", "status", "store_count",
                    "requested_at", "approved_at"]  # fmt: skip
    list_filter = ["status", "scope", "partner__network", "requested_at"]
    search_fields = ["organization__name", "partner__name", "invited_company_name", "invited_email"]
    list_select_related = ["organization", "partner"]
    readonly_fields = ["organization", "partner", "invited_company_name", "invited_email", "scope",
                       "status", "requested_by", "requested_at", "approved_at", "ended_at", "updated_at",
                       "all_stores"]  # fmt: skip
    exclude = ["stores", "regions"]
    inlines = [EventInline]
    actions = ["approve_selected"]

    def has_add_permission(self, request):
        return False  # the data owner requests, in the app

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(picked=Count("stores"))

    @admin.display(description="partner")
    def partner_display(self, obj):
        return obj.partner_name

    @admin.display(description="stores shared")
    def store_count(self, obj):
        return obj.effective_stores().count()

    @admin.action(
        description="Approve the selected pending requests (as platform staff)",
        permissions=["change"],
    )
    def approve_selected(self, request, queryset):
        approved, refused = 0, []
        for partnership in queryset:
            try:
                services.partnership_transition(
                    partnership=partnership, action="approve", actor=request.user,
                    organization=None, by_staff=True,
                )  # fmt: skip
                approved += 1
            except services.PartnershipError as error:
                refused.append(f"{partnership}: {error}")
        if approved:
            self.message_user(
                request, f"Approved {approved} request(s), recorded as approved by staff."
            )
        for line in refused:
            self.message_user(request, line, level=messages.WARNING)


@admin.register(PartnershipEvent)
class PartnershipEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "partnership",
        "from_status",
        "to_status",
        "actor",
        "organization",
        "by_staff",
        "created_at",
    ]
    list_filter = ["to_status", "by_staff", "created_at"]
    search_fields = [
        "partnership__organization__name",
        "partnership__partner__name",
        "actor__email",
    ]
    list_select_related = [
        "partnership__organization",
        "partnership__partner",
        "actor",
        "organization",
    ]
