"""The forms of Load Data: Add Account's kinds of connection (CSV files, an existing
account, a Shopify or WooCommerce shop), the order plan's filter, the master's settings,
its exchange rates and product-matching decisions."""

import re
from urllib.parse import urlsplit

import django_filters
from django import forms
from django.db.models import Q

from accounts.currencies import CurrencyFormField
from aggregation.models import (
    Connection,
    ExchangeRate,
    ItemOverride,
    MasterAccount,
    MatchDecision,
    PlanRow,
    ReplenishmentRule,
)
from aggregation.sources import LOCAL_HOSTS, AddressRefused, check_address
from core.limits import DAYS_MAX, QUANTITY_MAX
from core.versions import VersionedForm
from inventory.models import normalize_sku


class CsvConnectionForm(forms.Form):
    child_name = forms.CharField(label="Name of the new account", max_length=200)
    currency = CurrencyFormField(
        label="Its currency", help_text="The currency of the prices and sales in its files."
    )
    stores = forms.FileField(label="Store list (CSV)", required=False)
    products = forms.FileField(label="Products (CSV)", required=False)
    stock = forms.FileField(label="Stock levels (CSV)", required=False)
    sales = forms.FileField(label="Sales history (CSV)", required=False)


SAVED = "saved — enter new to replace"
SHOPIFY_HANDLE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


class ShopConnectionForm(forms.Form):
    """A shop's connection: the new account's name and currency (when adding), the shop's
    address and its credentials. Editing (`connection`), the saved credentials are never
    shown again: their fields stay empty, and left empty they are kept."""

    child_name = forms.CharField(label="Name of the new account", max_length=200)
    currency = CurrencyFormField(
        label="Its currency", help_text="The currency the shop sells in (its prices and orders)."
    )
    secret_fields = ()

    def __init__(self, *args, connection=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connection = connection
        if connection is None:
            return
        del self.fields["child_name"], self.fields["currency"]
        self.initial.setdefault("shop_url", connection.shop_url)
        for name in self.secret_fields:
            field = self.fields[name]
            field.required = False
            if connection.has_credentials:
                field.widget.attrs["placeholder"] = SAVED
                field.help_text = f"{SAVED.capitalize()}. {field.help_text}"

    def clean(self):
        data = super().clean()
        entered = [name for name in self.secret_fields if data.get(name)]
        if self.connection is not None and entered and len(entered) < len(self.secret_fields):
            for name in set(self.secret_fields) - set(entered):
                self.add_error(name, "Enter this too: the new credentials go together.")
        if self.connection is not None and not entered and not self.connection.has_credentials:
            for name in self.secret_fields:
                self.add_error(name, "This field is required.")
        return data

    def credentials(self) -> dict:
        """The credentials entered; empty when editing and none were (keep the saved ones)."""
        values = {name: self.cleaned_data[name].strip() for name in self.secret_fields}
        return values if all(values.values()) else {}


def _secret(label, help_text):
    return forms.CharField(
        label=label, max_length=255, strip=True, help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )  # fmt: skip


class ShopifyConnectionForm(ShopConnectionForm):
    kind = Connection.Kind.SHOPIFY
    shop_url = forms.CharField(
        label="Shop address", max_length=255,
        help_text="Its myshopify.com address, as in the shop admin's address: your-shop.myshopify.com.",
    )  # fmt: skip
    access_token = _secret(
        "Admin API access token",
        "In the Shopify admin: Settings → Apps and sales channels → Develop apps → Create an app. "
        "Give it the Admin API scopes read_products, read_inventory, read_orders and "
        "read_locations (read_all_orders too for sales older than 60 days), install it and copy "
        "its access token (it starts with shpat_).",
    )
    secret_fields = ("access_token",)

    def clean_shop_url(self):
        return shopify_address(self.cleaned_data["shop_url"])


class WooCommerceConnectionForm(ShopConnectionForm):
    kind = Connection.Kind.WOOCOMMERCE
    shop_url = forms.CharField(
        label="Site address", max_length=255,
        help_text="The WordPress site's address, starting with https://.",
    )  # fmt: skip
    consumer_key = _secret(
        "Consumer key",
        "In WordPress: WooCommerce → Settings → Advanced → REST API → Add key, with Read "
        "permission. It starts with ck_.",
    )
    consumer_secret = _secret("Consumer secret", "Shown with the key; it starts with cs_.")
    secret_fields = ("consumer_key", "consumer_secret")

    def clean_shop_url(self):
        return _checked(self.cleaned_data["shop_url"])


SHOP_FORMS = {form.kind: form for form in (ShopifyConnectionForm, WooCommerceConnectionForm)}


def shopify_address(value: str) -> str:
    """https://{shop}.myshopify.com from what people paste: the shop's name, its
    myshopify.com domain, an admin address (old or admin.shopify.com/store/{shop})."""
    text = value.strip()
    if "://" in text and urlsplit(text).hostname in LOCAL_HOSTS:
        return _checked(text)  # a local fake shop (tests, development)
    parts = urlsplit(text if "://" in text else f"https://{text}")
    host = (parts.hostname or "").lower()
    if host == "admin.shopify.com" and parts.path.startswith("/store/"):
        handle = parts.path.split("/")[2].lower()
    elif host.endswith(".myshopify.com"):
        handle = host.removesuffix(".myshopify.com")
    elif "." not in host:
        handle = host
    else:
        raise forms.ValidationError(
            "Enter the shop's myshopify.com address (your-shop.myshopify.com), not its own "
            "domain: Shopify's Admin API answers only there."
        )
    if not SHOPIFY_HANDLE.match(handle):
        raise forms.ValidationError(f"{handle!r} is not a Shopify shop name.")
    return _checked(f"https://{handle}.myshopify.com")


def _checked(url: str) -> str:
    try:
        return check_address(url)
    except AddressRefused as refused:
        raise forms.ValidationError(str(refused)) from None


class AccountConnectionForm(forms.Form):
    account_name = forms.CharField(label="Account name", max_length=200)
    email = forms.EmailField(label="Email of one of its owners")
    password = forms.CharField(label="That owner's password", widget=forms.PasswordInput)


SORTS = {
    "": ("Red first", ["-short", "sku"]),
    "sku": ("SKU", ["sku", "item"]),
    "-sku": ("SKU, Z to A", ["-sku", "item"]),
    "name": ("Item name", ["name", "item"]),
    "-name": ("Item name, Z to A", ["-name", "item"]),
    "-order": ("Largest order", ["-order_quantity", "sku", "item"]),
    "order": ("Smallest order", ["order_quantity", "sku", "item"]),
    "account": ("Account", ["accounts", "sku", "item"]),
    "vendor": ("Vendor", ["vendor", "sku", "item"]),
    "category": ("Category", ["category", "sku", "item"]),
}
# The number columns a header sorts by, each both ways (lowest first, then highest first).
for _key, _label, _field in [
    ("on_hand", "On hand", "on_hand"),
    ("on_order", "On order", "on_order"),
    ("forecast_lead", "Forecast, lead time", "forecast_lead_time"),
    ("forecast_cover", "Forecast, lead + review", "forecast_period"),
    ("safety", "Safety stock", "safety_stock"),
    ("reorder", "Reorder point", "reorder_point"),
    ("order_up_to", "Order-up-to", "order_up_to"),
]:
    SORTS[_key] = (f"{_label}, lowest first", [_field, "sku", "item"])
    SORTS[f"-{_key}"] = (f"{_label}, highest first", [f"-{_field}", "sku", "item"])


class MatchDecisionForm(forms.Form):
    """The Merge and Keep apart buttons of the Product matching page."""

    kind = forms.ChoiceField(choices=MatchDecision.Kind.choices)
    key = forms.CharField(max_length=255, strip=False)
    action = forms.ChoiceField(choices=MatchDecision.Action.choices)


class PlanFilter(django_filters.FilterSet):
    """The order plan's rows: by SKU or name, account, vendor, category; red (short) ones
    first unless another order is chosen. Choices come from the master's own plan."""

    q = django_filters.CharFilter(label="SKU or name", method="search")
    account = django_filters.ChoiceFilter(
        label="Account", method="of_account", empty_label="Every account"
    )
    vendor = django_filters.ChoiceFilter(label="Vendor", empty_label="Every vendor")
    category = django_filters.ChoiceFilter(label="Category", empty_label="Every category")
    sort = django_filters.ChoiceFilter(
        label="Sort by", method="sort_by", empty_label=None,
        choices=[(key, label) for key, (label, _) in SORTS.items() if key],
    )  # fmt: skip
    short = django_filters.BooleanFilter(
        label="Red only", method="only_short", widget=forms.CheckboxInput
    )
    worse = django_filters.BooleanFilter(
        label="Forecast worse than naive", method="only_worse", widget=forms.CheckboxInput
    )

    class Meta:
        model = PlanRow
        fields = []

    def __init__(self, data=None, *args, master=None, **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)
        rows = PlanRow.objects.filter(master=master)
        self.filters["account"].extra["choices"] = [
            (str(c.child_id), c.child.name) for c in master.connections.select_related("child")
        ]
        for name in ("vendor", "category"):
            values = (
                rows.exclude(**{name: ""}).order_by(name).values_list(name, flat=True).distinct()
            )
            self.filters[name].extra["choices"] = [(value, value) for value in values[:500]]
        self.filters["sort"].extra["choices"] = [("", "Red first")] + self.filters["sort"].extra[
            "choices"
        ]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.order_by(*SORTS.get(self.form.cleaned_data.get("sort") or "", SORTS[""])[1])

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value))

    def of_account(self, queryset, name, value):
        return queryset.filter(account_ids__contains=f"|{int(value)}|") if value else queryset

    def sort_by(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def only_short(self, queryset, name, value):
        return queryset.filter(short=True) if value else queryset

    def only_worse(self, queryset, name, value):
        return queryset.filter(worse_than_naive=True) if value else queryset


def _bounded(form, name, low, high, message):
    value = form.cleaned_data[name]
    if value is not None and not low <= value <= high:
        raise forms.ValidationError(message)
    return value


class MasterSettingsForm(VersionedForm, forms.ModelForm):
    """The order plan settings, carrying the master's version as the page showed it: the
    draft they make is refused if another planner changed the settings meanwhile."""

    class Meta:
        model = MasterAccount
        fields = [
            "lead_time_days",
            "review_period_days",
            "service_level",
            "history_days",
            "minimum_order",
            "case_pack",
            "reporting_currency",
        ]

    def clean_reporting_currency(self):
        value = self.cleaned_data["reporting_currency"]
        rates = self.instance.exchange_rates.count() if self.instance.pk else 0
        if rates and value != self.instance.reporting_currency:
            # The rates say how many units of the old currency one unit is worth: in any
            # other currency they would be wrong numbers, not missing ones.
            raise forms.ValidationError(
                f"The {rates} exchange rate{'s are' if rates != 1 else ' is'} in "
                f"{self.instance.reporting_currency}: delete {'them' if rates != 1 else 'it'} "
                f"on the Exchange rates page first, then change the reporting currency."
            )
        return value

    def clean_service_level(self):
        value = self.cleaned_data["service_level"]
        if not 0.5 <= value < 1:
            raise forms.ValidationError(
                "Give a service level from 0.5 to 0.999, e.g. 0.95 for 95%."
            )
        return value

    def clean_history_days(self):
        value = self.cleaned_data["history_days"]
        if not 14 <= value <= 1095:
            raise forms.ValidationError("Read between 14 days and 3 years of history.")
        return value

    def clean_case_pack(self):
        return _bounded(
            self, "case_pack", 1, QUANTITY_MAX,
            f"A case holds 1 to {QUANTITY_MAX:,} units (1: order single units).",
        )  # fmt: skip

    def clean_lead_time_days(self):
        return _bounded(
            self, "lead_time_days", 0, DAYS_MAX, f"Give a lead time of 0 to {DAYS_MAX} days."
        )

    def clean_review_period_days(self):
        return _bounded(
            self, "review_period_days", 1, DAYS_MAX,
            f"Give a review period of 1 to {DAYS_MAX} days.",
        )  # fmt: skip

    def clean_minimum_order(self):
        return _bounded(
            self, "minimum_order", 0, QUANTITY_MAX,
            f"Give a minimum order of 0 to {QUANTITY_MAX:,} units (0: none).",
        )  # fmt: skip


class ItemOverrideForm(forms.ModelForm):
    class Meta:
        model = ItemOverride
        fields = ["manual_daily", "exclude_from", "exclude_to", "note"]
        widgets = {
            "exclude_from": forms.DateInput(attrs={"type": "date"}),
            "exclude_to": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {
            "manual_daily": "Manual forecast (units a day, the whole item)",
            "exclude_from": "Exclude sales from",
            "exclude_to": "to",
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("exclude_from"), data.get("exclude_to")
        if bool(start) != bool(end):
            raise forms.ValidationError("Give both dates of the range to exclude, or neither.")
        if start and end and start > end:
            raise forms.ValidationError("The range to exclude ends before it starts.")
        manual = data.get("manual_daily")
        if manual is not None and manual < 0:
            self.add_error("manual_daily", "A forecast is 0 or more units a day.")
        elif manual is not None and manual > QUANTITY_MAX:
            self.add_error("manual_daily", f"A forecast is at most {QUANTITY_MAX:,} units a day.")
        if manual is None and not start:
            raise forms.ValidationError("Give a manual forecast, a date range to exclude, or both.")
        return data


class ExchangeRateForm(forms.ModelForm):
    class Meta:
        model = ExchangeRate
        fields = ["currency", "valid_from", "rate"]
        labels = {"valid_from": "Valid from", "rate": "Rate"}
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            # Text, not a number input: the page, not the browser, says what is wrong.
            "rate": forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        }
        error_messages = {
            "valid_from": {"invalid": "Give the date as YYYY-MM-DD, e.g. 2026-01-01."},
            "rate": {"invalid": "Give the rate as a number with a decimal point, e.g. 1.27."},
        }

    def __init__(self, *args, master, **kwargs):
        self.master = master
        super().__init__(*args, **kwargs)
        reporting = master.reporting_currency
        self.fields[
            "currency"
        ].help_text = f"The currency converted into {reporting}, the reporting currency."
        self.fields["rate"].help_text = f"How many {reporting} one unit of the currency is worth."
        self.fields["valid_from"].help_text = "The rate applies to money from this day on."
        # Only year-month-day: 02/01/2026 is a different day in Iowa and in Leeds.
        self.fields["valid_from"].input_formats = ["%Y-%m-%d"]

    def clean_currency(self):
        currency = self.cleaned_data["currency"]
        if currency == self.master.reporting_currency:
            raise forms.ValidationError(
                f"{currency} is the reporting currency: its money needs no rate. "
                "Pick the currency a child sells in."
            )
        return currency

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        if rate <= 0:
            raise forms.ValidationError("A rate is more than zero, e.g. 1.27.")
        return rate

    def clean(self):
        cleaned = super().clean()
        currency, valid_from = cleaned.get("currency"), cleaned.get("valid_from")
        if (
            currency
            and valid_from
            and self.master.exchange_rates.filter(currency=currency, valid_from=valid_from).exists()
        ):
            raise forms.ValidationError(
                f"There is already a {currency} rate from {valid_from:%Y-%m-%d}: delete it "
                "first to change it."
            )
        return cleaned


class ReplenishmentRuleForm(forms.ModelForm):
    """A vendor's or an item's own lead time, MOQ and case pack (empty: the next rule's)."""

    class Meta:
        model = ReplenishmentRule
        fields = ["vendor_name", "sku", "lead_time_days", "minimum_order", "case_pack"]
        labels = {"vendor_name": "Vendor", "sku": "or one item's SKU"}
        widgets = {"vendor_name": forms.TextInput(attrs={"list": "vendors"})}

    def __init__(self, *args, master, **kwargs):
        self.master = master
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        vendor, sku = (data.get("vendor_name") or "").strip(), (data.get("sku") or "").strip()
        if bool(vendor) == bool(sku):
            raise forms.ValidationError("Name a vendor or an item's SKU, not both.")
        if all(data.get(f) is None for f in ("lead_time_days", "minimum_order", "case_pack")):
            raise forms.ValidationError("Give a lead time, a minimum order or a case pack.")
        if data.get("case_pack") is not None and not 1 <= data["case_pack"] <= QUANTITY_MAX:
            self.add_error("case_pack", f"A case holds 1 to {QUANTITY_MAX:,} units.")
        if data.get("lead_time_days") is not None and data["lead_time_days"] > DAYS_MAX:
            self.add_error("lead_time_days", f"Give a lead time of 0 to {DAYS_MAX} days.")
        if data.get("minimum_order") is not None and data["minimum_order"] > QUANTITY_MAX:
            self.add_error("minimum_order", f"Give a minimum order of at most {QUANTITY_MAX:,}.")
        data["vendor_name"] = vendor
        data["sku"] = normalize_sku(sku) if sku else ""
        rules = self.master.rules.filter(vendor_name__iexact=vendor, sku=data["sku"])
        if rules.exists():
            raise forms.ValidationError(
                f"There is already a rule for {sku or vendor}: delete it first to change it."
            )
        return data


class StockPoolForm(forms.ModelForm):
    class Meta:
        model = Connection
        fields = ["stock_pool"]
        labels = {"stock_pool": "Stock pool"}
