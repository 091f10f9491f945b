"""The forms of Load Data: Add Account's two kinds of connection, the order plan's filter
and the master's settings."""

import django_filters
from django import forms
from django.db.models import Q

from aggregation.models import ItemOverride, MasterAccount, PlanRow


class CsvConnectionForm(forms.Form):
    child_name = forms.CharField(label="Name of the new account", max_length=200)
    stores = forms.FileField(label="Store list (CSV)", required=False)
    products = forms.FileField(label="Products (CSV)", required=False)
    stock = forms.FileField(label="Stock levels (CSV)", required=False)
    sales = forms.FileField(label="Sales history (CSV)", required=False)


class AccountConnectionForm(forms.Form):
    account_name = forms.CharField(label="Account name", max_length=200)
    email = forms.EmailField(label="Email of one of its owners")
    password = forms.CharField(label="That owner's password", widget=forms.PasswordInput)


SORTS = {
    "": ("Red first", ["-short", "sku"]),
    "sku": ("SKU", ["sku", "item"]),
    "name": ("Item name", ["name", "item"]),
    "-order": ("Largest order", ["-order_quantity", "sku", "item"]),
    "account": ("Account", ["accounts", "sku", "item"]),
    "vendor": ("Vendor", ["vendor", "sku", "item"]),
    "category": ("Category", ["category", "sku", "item"]),
}


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


class MasterSettingsForm(forms.ModelForm):
    class Meta:
        model = MasterAccount
        fields = [
            "lead_time_days",
            "review_period_days",
            "service_level",
            "history_days",
            "minimum_order",
            "case_pack",
        ]

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
        value = self.cleaned_data["case_pack"]
        if value < 1:
            raise forms.ValidationError("A case holds at least 1 unit (1: order single units).")
        return value


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
        if manual is None and not start:
            raise forms.ValidationError("Give a manual forecast, a date range to exclude, or both.")
        return data
