"""The forms of Load Data: Add Account's two kinds of connection, the order plan's filter,
the master's settings and product-matching decisions."""

import django_filters
from django import forms
from django.db.models import Q

from aggregation.models import MasterAccount, MatchDecision, PlanRow


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


class MatchDecisionForm(forms.Form):
    """The Merge and Keep apart buttons of the Product matching page."""

    kind = forms.ChoiceField(choices=MatchDecision.Kind.choices)
    key = forms.CharField(max_length=255, strip=False)
    action = forms.ChoiceField(choices=MatchDecision.Action.choices)


class PlanFilter(django_filters.FilterSet):
    """The order plan's rows: red (short) ones first, then by SKU."""

    q = django_filters.CharFilter(label="SKU or name", method="search")
    short = django_filters.BooleanFilter(
        label="Red only", method="only_short", widget=forms.CheckboxInput
    )

    class Meta:
        model = PlanRow
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).order_by("-short", "sku")

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value))

    def only_short(self, queryset, name, value):
        return queryset.filter(short=True) if value else queryset


class MasterSettingsForm(forms.ModelForm):
    class Meta:
        model = MasterAccount
        fields = ["lead_time_days", "review_period_days", "service_level", "history_days"]

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
