"""Products, stock per store, sales lines and the adjustments partners and owners make."""

import re

from django.db import models
from django.db.models.functions import Now, Upper
from django.utils import timezone

from accounts.models import Organization, Store
from core.models import AttributedChange
from core.tenancy import OrgQuerySet


def normalize_sku(sku: str) -> str:
    """SKUs match across accounts by this form: upper case, no spaces or punctuation,
    no leading zeros ("00123-a " and "123A" are one SKU)."""
    return re.sub(r"[^0-9A-Z]", "", sku.upper()).lstrip("0") or "0"


class Product(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="products"
    )
    sku = models.CharField("SKU", max_length=64)
    sku_normalized = models.CharField(max_length=64, db_index=True, editable=False)
    name = models.CharField(max_length=255)
    vendor_organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vendor_products",
        help_text="The vendor, when it is on Shelfshare: it may be given a vendor data share.",
    )
    vendor_name = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=120, blank=True)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    retail_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField(
        max_length=20,
        blank=True,
        help_text="What one counted unit is: bottle, each, kg. Empty: each.",
    )
    case_pack = models.PositiveIntegerField(
        null=True, blank=True, help_text="Units in a case, as ordered from the vendor."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "sku"], name="product_sku_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "vendor_organization"]),
            # The filters search UPPER(column) LIKE '%...%'. These indexes are for the
            # planner more than for lookups: PostgreSQL keeps statistics on an indexed
            # expression, and without them it guesses one matching product and picks a
            # plan that reads every stock row of every match.
            models.Index(Upper("name"), name="product_name_upper_idx"),
            models.Index(Upper("category"), name="product_category_upper_idx"),
            models.Index(Upper("vendor_name"), name="product_vendor_upper_idx"),
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"

    def save(self, *args, **kwargs):
        self.sku_normalized = normalize_sku(self.sku)
        super().save(*args, **kwargs)

    @property
    def vendor_display(self):
        return self.vendor_organization.name if self.vendor_organization_id else self.vendor_name


class Stock(models.Model):
    # No index of each key alone: (organization, store, product), (product, store) and the
    # unique (store, product) begin with each of them.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="stock", db_index=False)
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="stock", db_index=False
    )
    on_hand = models.IntegerField(default=0)
    on_order = models.IntegerField(default=0)
    current_price = models.DecimalField(
        "markdown price",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The selling price in this store when marked down; empty: the retail price.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=0,
        db_default=0,
        editable=False,
        help_text="Goes up with every adjustment and every import that changes the row "
        "(core/versions.py).",
    )
    # Inventory aging (inventory/analytics.py) counts days since the last receipt, or since
    # the row was first seen when no receipt is known. A stock file is a count, not a
    # delivery note, so a rise in on hand is not read as a receipt: only a file's "last
    # received" column and the adjustment reason Received set it.
    first_seen_at = models.DateTimeField(
        default=timezone.now,
        db_default=Now(),  # rows written by COPY (benchmarks) get one too
        editable=False,
        help_text="When the row was first stored; an import that updates it keeps it.",
    )
    last_received_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day stock last arrived: from a stock file's last-received column or "
        "an adjustment with the reason Received. Empty: no receipt known.",
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "product"], name="stock_store_product_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "store", "product"]),
            models.Index(fields=["product", "store"]),
            # The inventory sorted by on hand or on order walks these, a page at a time.
            models.Index(
                fields=["organization", "on_hand", "store", "product"], name="stock_on_hand_idx"
            ),
            models.Index(
                fields=["organization", "on_order", "store", "product"], name="stock_on_order_idx"
            ),
        ]

    def __str__(self):
        return f"{self.product_id}@{self.store_id}: {self.on_hand}"


class SalesLine(models.Model):
    # The biggest table (a million lines per import): every index and every foreign-key
    # check is paid on every line written. Each foreign key's lookups are served by one of
    # the indexes below, so none gets an index of its own: the organization by the unique
    # constraint's first column, a product's or a store's sales (and their deletion) by
    # (product, date), (store, date). The organization is also the store's, whose key the
    # database checks, so its own check would only be paid again (Django still deletes an
    # organization's lines with it).
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    date = models.DateField()
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="sales", db_index=False)
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="sales", db_index=False
    )
    quantity = models.DecimalField(max_digits=12, decimal_places=2)
    retail_amount = models.DecimalField(max_digits=14, decimal_places=2)
    cost_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    customer_reference = models.CharField(max_length=80, blank=True)
    source_ref = models.CharField(
        max_length=120,
        help_text="The line's identity in its source file, so a re-import changes nothing.",
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source_ref"], name="sales_source_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "date"], name="sales_product_date"),
            models.Index(fields=["store", "date"], name="sales_store_date"),
        ]

    def __str__(self):
        return f"{self.date} {self.product_id}@{self.store_id} x{self.quantity}"

    @property
    def gross_profit(self):
        if self.cost_amount is None:
            return None
        return self.retail_amount - self.cost_amount


class Adjustment(AttributedChange):
    """A change to the owner's stock or price, by the owner or a merchandising partner."""

    class Kind(models.TextChoices):
        COUNT = "count", "Count correction"
        MARKDOWN = "markdown", "Markdown"
        INCREASE = "increase", "Price increase"
        DAMAGE = "damage", "Damage"
        TRANSFER = "transfer", "Transfer"
        RECEIVED = "received", "Received (a delivery)"

    PRICE_KINDS = (Kind.MARKDOWN, Kind.INCREASE)

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="adjustments")
    kind = models.CharField(max_length=10, choices=Kind)
    on_hand_before = models.IntegerField()
    on_hand_after = models.IntegerField()
    price_before = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    price_after = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    def __str__(self):
        return f"{self.get_kind_display()} of {self.product_id}@{self.store_id}"
