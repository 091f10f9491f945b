"""The forms of Load Data: Add Account's two kinds of connection, the order plan's filter,
the master's settings and its exchange rates."""

import django_filters
from django import forms
from django.db.models import Q

from accounts.currencies import CurrencyFormField
from aggregation.models import ExchangeRate, MasterAccount, PlanRow


class CsvConnectionForm(forms.Form):
    child_name = forms.CharField(label="Name of the new account", max_length=200)
    currency = CurrencyFormField(
        label="Its currency", help_text="The currency of the prices and sales in its files."
    )
    stores = forms.FileField(label="Store list (CSV)", required=False)
    products = forms.FileField(label="Products (CSV)", required=False)
    stock = forms.FileField(label="Stock levels (CSV)", required=False)
    sales = forms.FileField(label="Sales history (CSV)", required=False)


class AccountConnectionForm(forms.Form):
    account_name = forms.CharField(label="Account name", max_length=200)
    email = forms.EmailField(label="Email of one of its owners")
    password = forms.CharField(label="That owner's password", widget=forms.PasswordInput)


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
        fields = [
            "lead_time_days",
            "review_period_days",
            "service_level",
            "history_days",
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
