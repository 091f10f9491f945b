from django.contrib import admin

from inventory.models import Adjustment, Product, SalesLine, Stock


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "sku",
        "name",
        "organization",
        "vendor_display",
        "category",
        "unit_cost",
        "retail_price",
    ]
    list_filter = ["organization", "category", "vendor_organization"]
    search_fields = ["sku", "name", "vendor_name", "category", "organization__name"]
    list_select_related = ["organization", "vendor_organization"]
    autocomplete_fields = ["organization", "vendor_organization"]
    readonly_fields = ["sku_normalized"]


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = [
        "product",
        "store",
        "organization",
        "on_hand",
        "on_order",
        "current_price",
        "updated_at",
    ]
    list_filter = ["organization", "updated_at"]
    search_fields = ["product__sku", "product__name", "store__number", "organization__name"]
    list_select_related = ["product", "store", "organization"]
    raw_id_fields = ["store", "product", "organization"]
    show_full_result_count = False  # millions of rows: no COUNT(*) on every page


@admin.register(SalesLine)
class SalesLineAdmin(admin.ModelAdmin):
    list_display = [
        "date",
        "product",
        "store",
        "organization",
        "quantity",
        "retail_amount",
        "cost_amount",
    ]
    list_filter = ["organization", "date"]
    search_fields = ["product__sku", "store__number", "source_ref", "customer_reference"]
    list_select_related = ["product", "store", "organization"]
    raw_id_fields = ["store", "product", "organization"]
    date_hierarchy = "date"
    show_full_result_count = False


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    """History of stock changes: read-only."""

    list_display = ["created_at", "kind", "product", "store", "organization", "actor", "actor_organization",
                    "on_hand_before", "on_hand_after", "price_after"]  # fmt: skip
    list_filter = ["kind", "organization", "actor_organization", "created_at"]
    search_fields = ["product__sku", "store__number", "actor__email", "note"]
    list_select_related = ["product", "store", "organization", "actor", "actor_organization"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
