from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Q
from django.utils import timezone

from accounts.api_tokens import token_revoke
from accounts.models import ApiToken, Invitation, Membership, Organization, Region, Store, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "organization"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "organization_list",
        "is_staff",
        "is_active",
        "last_login",
        "date_joined",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active", "memberships__role"]
    search_fields = ["email", "full_name", "memberships__organization__name"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["full_name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__organization")

    @admin.display(description="organizations")
    def organization_list(self, obj):
        return ", ".join(m.organization.name for m in obj.memberships.all())


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "kinds_display",
        "network",
        "currency",
        "member_count",
        "store_count",
        "created_at",
    ]
    list_filter = [
        "network",
        "currency",
        "is_retailer",
        "is_merchandiser",
        "is_vendor",
        "created_at",
    ]
    search_fields = ["name", "slug", "currency", "memberships__user__email"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=Count("memberships", distinct=True),
                store_count=Count("stores", distinct=True),
            )
        )

    @admin.display(description="kinds")
    def kinds_display(self, obj):
        return ", ".join(obj.kinds) or "-"

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    @admin.display(description="stores", ordering="store_count")
    def store_count(self, obj):
        return obj.store_count


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization__network", "created_at"]
    search_fields = ["user__email", "user__full_name", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "organization",
        "role",
        "invited_by",
        "created_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = [
        "role",
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email", "organization__name", "invited_by__email"]
    list_select_related = ["organization", "invited_by"]
    readonly_fields = ["created_at", "accepted_at", "accepted_by", "invited_by"]
    autocomplete_fields = ["organization"]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "name",
        "organization",
        "banner",
        "city",
        "state",
        "postal_code",
        "is_open",
    ]
    list_filter = ["is_open", "state", "banner", "country"]
    search_fields = ["number", "name", "city", "postal_code", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "picked_count", "describe_rule", "updated_at"]
    list_filter = ["organization", "updated_at"]
    search_fields = ["name", "description", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    raw_id_fields = ["stores"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(picked=Count("stores"))

    @admin.display(description="picked stores", ordering="picked")
    def picked_count(self, obj):
        return obj.picked


class ApiTokenStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "live":
            return queryset.filter(Q(expires_at=None) | Q(expires_at__gt=now), revoked_at=None)
        if self.value() == "expired":
            return queryset.filter(revoked_at=None, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.exclude(revoked_at=None)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff read tokens and revoke them; nothing else. A token is created only on the API
    tokens page, the one place that can show its key; the digest is never shown."""

    list_display = ["name", "organization", "scope", "shown_prefix", "created_at",
                    "last_used_at", "expires_at", "revoked_at"]  # fmt: skip
    list_filter = ["scope", ApiTokenStatusFilter]
    search_fields = ["name", "prefix", "organization__name"]
    list_select_related = ["organization"]
    fields = ["organization", "name", "scope", "prefix", "created_by", "created_at",
              "last_used_at", "expires_at", "revoked_at", "revoked_by"]  # fmt: skip
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        """Revoking changes a token: staff who may change tokens, though the form may not."""
        return request.user.has_perm("accounts.change_apitoken")

    @admin.display(description="key", ordering="prefix")
    def shown_prefix(self, obj):
        return f"{obj.key_start}…"

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = sum(token_revoke(token=token, actor=request.user) for token in queryset)
        already = queryset.count() - revoked
        message = f"Revoked {revoked} token(s)."
        if already:
            message += f" {already} had been revoked already."
        self.message_user(request, message)
