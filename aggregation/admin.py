from django.contrib import admin

from aggregation.models import (
    Connection,
    ExchangeRate,
    ItemOverride,
    LoadRun,
    MasterAccount,
    MatchDecision,
    PlanRow,
    ReplenishmentRule,
    RollupSales,
    RollupStock,
    SourceFile,
    StockoutDay,
)
from core.admin import ReadOnlyMixin


class ConnectionInline(admin.TabularInline):
    model = Connection
    extra = 0
    fields = ["child", "kind", "last_loaded_at", "last_error"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MasterAccount)
class MasterAccountAdmin(admin.ModelAdmin):
    list_display = ["organization", "child_count", "reporting_currency", "lead_time_days", "review_period_days",
                    "service_level", "refreshed_at"]  # fmt: skip
    search_fields = ["organization__name"]
    list_filter = ["reporting_currency", "refreshed_at"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization"]
    inlines = [ConnectionInline]

    @admin.display(description="children")
    def child_count(self, obj):
        return obj.connections.count()


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = [
        "child",
        "master",
        "kind",
        "shop_url",
        "last_loaded_at",
        "short_error",
        "created_at",
    ]
    list_filter = ["kind", "last_loaded_at"]
    search_fields = ["child__name", "master__organization__name", "shop_url", "last_error"]
    list_select_related = ["child", "master__organization"]
    raw_id_fields = ["master", "child", "created_by"]
    # The sealed credentials are never shown, not even encrypted: only whether there are any.
    # The owner enters new ones on the connection's page.
    readonly_fields = ["credentials_saved"]

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.display(description="credentials")
    def credentials_saved(self, obj):
        return "saved (encrypted)" if obj.has_credentials else "none"


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "valid_from", "rate", "reporting_currency", "master", "created_by",
                    "created_at"]  # fmt: skip
    list_filter = ["currency", "valid_from", "master__reporting_currency"]
    search_fields = ["currency", "master__organization__name", "created_by__email"]
    list_select_related = ["master__organization", "created_by"]
    raw_id_fields = ["master", "created_by"]
    date_hierarchy = "valid_from"

    @admin.display(description="into", ordering="master__reporting_currency")
    def reporting_currency(self, obj):
        return obj.master.reporting_currency


@admin.register(SourceFile)
class SourceFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "connection", "uploaded_at"]
    list_filter = ["kind", "uploaded_at"]
    search_fields = ["original_name", "connection__child__name"]
    list_select_related = ["connection__child", "connection__master__organization"]
    raw_id_fields = ["connection"]


@admin.register(LoadRun)
class LoadRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "master",
        "status",
        "done",
        "total",
        "failed",
        "attempts",
        "claimed_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["master__organization__name"]
    list_select_related = ["master__organization"]


@admin.register(RollupStock)
class RollupStockAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Written only by the refresh jobs."""

    list_display = ["sku", "name", "child", "master", "on_hand", "on_order", "refreshed_at"]
    list_filter = ["refreshed_at"]
    search_fields = ["sku", "name", "child__name"]
    list_select_related = ["child", "master__organization"]


@admin.register(RollupSales)
class RollupSalesAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["sku", "date", "child", "master", "quantity", "demand", "returned", "unpriced",
                    "retail_amount"]  # fmt: skip
    list_filter = ["date"]
    search_fields = ["sku", "child__name"]
    list_select_related = ["child", "master__organization"]


@admin.register(StockoutDay)
class StockoutDayAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["sku", "date", "child", "master"]
    list_filter = ["date"]
    search_fields = ["sku", "child__name"]
    list_select_related = ["child", "master__organization"]


@admin.register(PlanRow)
class PlanRowAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Rebuilt by the jobs after each refresh."""

    list_display = ["sku", "name", "accounts", "master", "on_hand", "on_order", "order_up_to",
                    "order_quantity", "short", "worse_than_naive", "method", "history_to", "computed_at"]  # fmt: skip
    list_filter = ["short", "worse_than_naive", "method", "computed_at"]
    search_fields = ["sku", "item", "name", "vendor", "category"]
    list_select_related = ["master__organization"]


@admin.register(ReplenishmentRule)
class ReplenishmentRuleAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "master",
        "vendor_name",
        "sku",
        "lead_time_days",
        "minimum_order",
        "case_pack",
    ]
    list_filter = ["master"]
    search_fields = ["vendor_name", "sku"]
    list_select_related = ["master__organization"]


@admin.register(ItemOverride)
class ItemOverrideAdmin(admin.ModelAdmin):
    list_display = ["item", "master", "manual_daily", "exclude_from", "exclude_to", "note", "created_by",
                    "created_at"]  # fmt: skip
    list_filter = ["master", "created_at"]
    search_fields = ["item", "note"]
    list_select_related = ["master__organization", "created_by"]


@admin.register(MatchDecision)
class MatchDecisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Product matching decisions, taken by the master's owners and admins on the Product
    matching page; staff read them."""

    list_display = ["key", "kind", "action", "master", "decided_by", "decided_at"]
    list_filter = ["kind", "action", "decided_at"]
    search_fields = ["key", "master__organization__name", "decided_by__email"]
    list_select_related = ["master__organization", "decided_by"]
    date_hierarchy = "decided_at"
