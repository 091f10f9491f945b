"""Master and child accounts: a master rolls up the stock and sales of its children (its
connections), forecasts demand per SKU and plans orders.

The rollup tables hold one row per (master, child, normalized SKU) for stock and per
(master, child, SKU, day) for sales; a master's figure is the sum over its children.
They are written only by aggregation/rollups.py, with set-based SQL, inside one
transaction per refresh."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from accounts.currencies import DEFAULT_CURRENCY, CurrencyField
from accounts.models import Organization
from core.models import EditedRecord


class MasterAccount(EditedRecord):
    """A master account and its order plan settings. Its `version` counts the changes of its
    settings and of their draft (core/models.py): a draft is applied only as it was shown."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="master_account"
    )
    lead_time_days = models.PositiveSmallIntegerField(
        "lead time (days)",
        default=7,
        help_text="Days from placing an order to having it on the shelf.",
    )
    review_period_days = models.PositiveSmallIntegerField(
        "review period (days)", default=7, help_text="Days between two order reviews."
    )
    service_level = models.DecimalField(
        max_digits=4, decimal_places=3, default=0.95,
        help_text="The share of order cycles that should not run out (0.5 to 0.999).",
    )  # fmt: skip
    history_days = models.PositiveSmallIntegerField(
        default=180,
        help_text="Days of sales history the forecast reads, ending on each account's last sales date.",
    )
    minimum_order = models.PositiveIntegerField(
        "minimum order quantity (MOQ)",
        default=0,
        help_text="The least an order of an item may be, in units; 0 for no minimum.",
    )
    case_pack = models.PositiveIntegerField(
        default=1,
        help_text="Orders are rounded up to whole cases of this many units, unless a vendor's or a "
        "product's own case pack says otherwise.",
    )
    reporting_currency = CurrencyField(
        default=DEFAULT_CURRENCY,
        help_text="Money of every child is shown in this currency, converted with the "
        "exchange rates.",
    )
    refreshed_at = models.DateTimeField(null=True, blank=True)
    plan_computed_at = models.DateTimeField(null=True, blank=True)
    # A rebuild asked for (a settings change, a planner's decision) and not yet done: the
    # sweep re-queues one that a lost worker dropped, unless its last try failed.
    plan_requested_at = models.DateTimeField(null=True, blank=True)
    plan_failed_at = models.DateTimeField(null=True, blank=True)
    plan_settings = models.JSONField(
        default=dict, blank=True, help_text="The settings the live plan was computed with."
    )
    draft_settings = models.JSONField(
        default=dict, blank=True, help_text="Settings being previewed, not yet applied."
    )
    draft_summary = models.JSONField(
        default=dict, blank=True, help_text="What the draft settings would change in the plan."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "master account"

    def __str__(self):
        return self.organization.name

    def child_ids(self):
        return list(self.connections.values_list("child_id", flat=True))


class Connection(models.Model):
    """A child account of a master and where its data comes from (its connector)."""

    class Kind(models.TextChoices):
        CSV = "csv", "CSV files"
        ACCOUNT = "account", "Existing account"
        SHOPIFY = "shopify", "Shopify"
        WOOCOMMERCE = "woocommerce", "WooCommerce"

    SHOPS = (Kind.SHOPIFY, Kind.WOOCOMMERCE)  # read over the shop's API (aggregation/sources.py)

    master = models.ForeignKey(MasterAccount, on_delete=models.CASCADE, related_name="connections")
    child = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="connection",
        help_text="A child belongs to at most one master.",
    )  # fmt: skip
    kind = models.CharField(max_length=20, choices=Kind)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_loaded_at = models.DateTimeField(null=True, blank=True)
    last_load_summary = models.CharField(
        max_length=500, blank=True, help_text="What the last successful load wrote."
    )
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    stock_pool = models.CharField(
        max_length=60,
        blank=True,
        help_text="Accounts with the same pool name share their stock (one warehouse): their needs "
        "are planned together. Empty: this account's stock is its own.",
    )
    # A shop's connection (Shopify, WooCommerce): where its API is and how to sign in.
    shop_url = models.URLField(
        "shop address", max_length=255, blank=True,
        help_text="The shop's base address: https://{shop}.myshopify.com for Shopify, the "
        "WordPress site's address for WooCommerce.",
    )  # fmt: skip
    credentials = models.TextField(
        blank=True,
        editable=False,
        help_text="The shop's access token or key and secret, encrypted (aggregation/credentials.py).",
    )
    synced_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The shop's time when the last successful load began: the next load asks for "
        "what changed since then (less a few minutes). Empty: the next load reads everything.",
    )

    class Meta:
        ordering = ["child__name"]

    def __str__(self):
        return f"{self.child} → {self.master}"

    @property
    def reads_a_shop(self) -> bool:
        return self.kind in self.SHOPS

    @property
    def shop_host(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.shop_url).netloc if self.shop_url else ""

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials)

    def set_credentials(self, values: dict[str, str]) -> None:
        from aggregation.credentials import seal

        self.credentials = seal(values)

    def credential_values(self) -> dict[str, str]:
        """The unsealed credentials; raises credentials.Unreadable when the key changed."""
        from aggregation.credentials import unseal

        return unseal(self.credentials)


def source_path(instance, filename):
    return f"connections/{instance.connection.child_id}/{instance.kind}-{filename}"


class SourceFile(models.Model):
    """A file a CSV connection loads from, in import order (stores, products, stock, sales)."""

    ORDER = ["stores", "products", "stock", "sales"]

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=20, choices=[(k, k.title()) for k in ORDER])
    file = models.FileField(upload_to=source_path, max_length=255)
    original_name = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind"], name="one_source_file_per_kind")
        ]

    def __str__(self):
        return f"{self.kind}: {self.original_name}"


class LoadRun(models.Model):
    """One "Load data from all connections": every child reloaded, then the rollups.

    A job claims the run (claimed_at, claimed_by) for as long as its hard time limit: a run
    still running after that was left by a worker that died, and is taken over, re-queued or
    failed (aggregation/loading.py)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Loading"
        DONE = "done", "Done"
        DONE_WITH_ERRORS = "done_with_errors", "Done, with errors"
        FAILED = "failed", "Stopped"

    master = models.ForeignKey(MasterAccount, on_delete=models.CASCADE, related_name="load_runs")
    status = models.CharField(max_length=20, choices=Status, default=Status.QUEUED)
    total = models.PositiveIntegerField(
        default=0, help_text="Children to load, plus the rollup refresh."
    )
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=dict, blank=True, help_text="Child name → its error.")
    loaded = models.JSONField(
        default=list, blank=True,
        help_text="Connections this run has loaded (or failed): a run taken over resumes after them.",
    )  # fmt: skip
    message = models.TextField(
        blank=True, db_default="", help_text="What happened to the run, for its page."
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, db_default=0, help_text="Jobs that have claimed this run."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(
        max_length=255,
        blank=True,
        db_default="",
        help_text="The Celery worker that claimed the run.",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now, db_default=Now())
    job_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the broker took the job of this run's last queueing. A queued run "
        "without one (the broker was down, or the process died after its commit) is sent "
        "again by the sweep.",
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"load {self.pk} of {self.master}"

    def get_absolute_url(self):
        return reverse("aggregation:load_run", args=[self.pk])

    @property
    def is_running(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self):
        return round(100 * self.done / self.total) if self.total else 100


class ExchangeRate(models.Model):
    """1 unit of `currency` is worth `rate` units of the master's reporting currency from
    `valid_from` on, until the next rate of that currency. Money dated before a currency's
    first rate has no rate: it is shown apart, never summed."""

    master = models.ForeignKey(
        MasterAccount, on_delete=models.CASCADE, related_name="exchange_rates"
    )
    currency = CurrencyField()
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["master", "currency", "valid_from"], name="exchange_rate_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gt=0),
                name="exchange_rate_positive",
                violation_error_message="A rate is more than zero.",
            ),
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate_display} from {self.valid_from}"

    @property
    def rate_display(self):
        """1.27 rather than 1.27000000."""
        return format(self.rate.normalize(), "f") if self.rate is not None else ""


class RollupStock(models.Model):
    # Rollup rows are derived, written millions at a time by the refresh: no database
    # foreign key (checking one is a lookup per row at commit: 14 s of a 31 s first refresh
    # of 2.85M rows); Django still deletes them with their master or child (CASCADE), and
    # the refresh removes rows of children that left. No index of master alone either: the
    # unique constraint's index starts with it.
    master = models.ForeignKey(MasterAccount, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False, db_index=False)  # fmt: skip
    child = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                              db_constraint=False)  # fmt: skip
    sku = models.CharField("normalized SKU", max_length=64)
    name = models.CharField(max_length=255)
    on_hand = models.BigIntegerField()
    on_order = models.BigIntegerField()
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["master", "child", "sku"], name="rollup_stock_unique")
        ]
        indexes = [models.Index(fields=["master", "sku"])]

    def __str__(self):
        return f"{self.sku}: {self.on_hand} at {self.child_id}"


class RollupSales(models.Model):
    master = models.ForeignKey(
        MasterAccount,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )  # fmt: skip (RollupStock says why)
    child = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                              db_constraint=False)  # fmt: skip
    sku = models.CharField("normalized SKU", max_length=64)
    date = models.DateField()
    quantity = models.DecimalField(max_digits=14, decimal_places=2)
    retail_amount = models.DecimalField(max_digits=16, decimal_places=2)
    # Demand: the units sold at a price. The rest of `quantity` is what each cleansing rule
    # removed (aggregation/rollups.py DEMAND_RULES), as positive units.
    demand = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    returned = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    unpriced = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "rollup sales"
        constraints = [
            models.UniqueConstraint(
                fields=["master", "child", "sku", "date"], name="rollup_sales_unique"
            )
        ]
        indexes = [models.Index(fields=["master", "sku", "date"])]

    def __str__(self):
        return f"{self.sku} {self.date}: {self.quantity}"


class StockoutDay(models.Model):
    """A day a SKU had no stock in any child, as seen by a refresh: the forecast does not
    read that day's (zero) sales as zero demand."""

    master = models.ForeignKey(
        MasterAccount,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )  # fmt: skip (RollupStock says why)
    child = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                              db_constraint=False)  # fmt: skip
    sku = models.CharField(max_length=64)
    date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["master", "child", "sku", "date"], name="stockout_day_unique"
            )
        ]

    def __str__(self):
        return f"{self.sku} out of stock on {self.date}"


class ReplenishmentRule(models.Model):
    """A vendor's or a product's own lead time, minimum order and case pack; what a rule
    leaves empty comes from the next one: product, then vendor, then the product's case pack
    from its file, then the master's settings."""

    master = models.ForeignKey(MasterAccount, on_delete=models.CASCADE, related_name="rules")
    vendor_name = models.CharField(
        max_length=200, blank=True, help_text="Every product of this vendor (as the files name it)."
    )
    sku = models.CharField(
        "SKU", max_length=64, blank=True, help_text="One item of the plan (its normalized SKU)."
    )
    lead_time_days = models.PositiveSmallIntegerField("lead time (days)", null=True, blank=True)
    minimum_order = models.PositiveIntegerField("minimum order (MOQ)", null=True, blank=True)
    case_pack = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["vendor_name", "sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["master", "vendor_name", "sku"], name="replenishment_rule_unique"
            ),
            models.CheckConstraint(
                condition=(models.Q(vendor_name="") & ~models.Q(sku=""))
                | (~models.Q(vendor_name="") & models.Q(sku="")),
                name="replenishment_rule_vendor_or_sku",
            ),
        ]

    def __str__(self):
        return f"rule for {self.sku or self.vendor_name}"


class PlanRow(models.Model):
    """The order plan of a master, one row per item (products matched across accounts),
    rebuilt after each refresh (aggregation/plans.py): the pages and the export read it,
    never recompute it. Each account's need is planned from its own stock and demand
    (`parts`); the row's figures are their sums."""

    master = models.ForeignKey(MasterAccount, on_delete=models.CASCADE, related_name="plan_rows")
    item = models.CharField("item key", max_length=80)
    sku = models.CharField("normalized SKU", max_length=64)
    name = models.CharField(max_length=255)
    vendor = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=120, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    account_ids = models.CharField(
        max_length=500, default="", help_text="The accounts selling or stocking the item: |id|id|."
    )
    accounts = models.CharField(max_length=500, default="", help_text="Their names, for the page.")
    on_hand = models.BigIntegerField()
    on_order = models.BigIntegerField()
    method = models.CharField(max_length=60)
    mean_daily = models.FloatField()
    sigma = models.FloatField()
    forecast_lead_time = models.FloatField()
    forecast_period = models.FloatField()
    safety_stock = models.FloatField()
    reorder_point = models.FloatField()
    order_up_to = models.FloatField(default=0)
    order_quantity = models.BigIntegerField()
    short = models.BooleanField(
        help_text="On hand plus on order is below the forecast demand over the lead time."
    )
    history_from = models.DateField(null=True, blank=True)
    history_to = models.DateField(null=True, blank=True)
    days_used = models.PositiveIntegerField(default=0)
    wape = models.FloatField(null=True, blank=True)
    bias = models.FloatField(null=True, blank=True)
    naive_wape = models.FloatField(null=True, blank=True)
    naive_bias = models.FloatField(null=True, blank=True)
    worse_than_naive = models.BooleanField(default=False)
    parts = models.JSONField(
        default=list, help_text="Each account's (or stock pool's) plan, worked out."
    )
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["sku"]
        constraints = [models.UniqueConstraint(fields=["master", "item"], name="plan_row_unique")]
        indexes = [models.Index(fields=["master", "short"])]

    def __str__(self):
        return f"{self.item}: order {self.order_quantity}"


class ItemOverride(models.Model):
    """A planner's word on one item: a manual forecast, or dates whose sales are not demand
    (a promotion, a one-off order). Applied by the next plan rebuild."""

    master = models.ForeignKey(MasterAccount, on_delete=models.CASCADE, related_name="overrides")
    item = models.CharField("item key", max_length=80)
    manual_daily = models.DecimalField(
        "manual forecast (units a day)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    exclude_from = models.DateField(null=True, blank=True)
    exclude_to = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["master", "item"], name="item_override_unique")
        ]

    def __str__(self):
        return f"override of {self.item}"


class MatchDecision(models.Model):
    """A person's answer to a product-matching conflict of a master (aggregation/matching.py):
    merge its products into one item, or keep them apart. One per conflict; undo deletes it,
    and the conflict is held again."""

    class Kind(models.TextChoices):
        SAME_SKU = "same_sku", "Same SKU, different names"
        SAME_NAME = "same_name", "Same name, different SKUs"

    class Action(models.TextChoices):
        MERGE = "merge", "Merge"
        APART = "apart", "Keep apart"

    master = models.ForeignKey(
        MasterAccount, on_delete=models.CASCADE, related_name="match_decisions"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    key = models.CharField(max_length=255, help_text="The normalized SKU, or the normalized name.")
    action = models.CharField(max_length=10, choices=Action)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["master", "kind", "key"], name="match_decision_unique")
        ]

    def __str__(self):
        return f"{self.get_action_display()}: {self.key}"
