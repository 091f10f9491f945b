"""Stores & Regions: the filter set, table and forms of the stores and custom regions pages."""

import re

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from accounts.countries import country_name
from accounts.models import Region, Store
from core.limits import RULE_ITEMS_MAX, RULE_TEXT_MAX_LENGTH
from core.versions import VersionedForm

STORE_EXPORT_FIELDS = [
    ("number", "Store number"), ("name", "Name"), ("banner", "Banner"), ("address", "Address"),
    ("city", "City"), ("state", "State"), ("postal_code", "Postal code"), ("country", "Country"),
    ("latitude", "Latitude"), ("longitude", "Longitude"), ("phone", "Phone"), ("is_open", "Open"),
]  # fmt: skip


def _distinct_values(field):
    def choices(request):
        values = (
            Store.objects.for_org(request.organization)
            .exclude(**{field: ""})
            .order_by(field)
            .values_list(field, flat=True)
            .distinct()
        )
        return [(v, v) for v in values]

    return choices


def _natural(text):
    """Sort key: "2" before "11", as people read state numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


class CountryStates:
    """The countries and states of an organization's stores, and the pair a State filter
    value names.

    A state code means something only within its country: "11" is Beijing in China and
    Seoul in South Korea. With stores in several countries a State option names its pair,
    "CN:11"; with stores in one country the bare code ("AR") is enough. A bare code is
    understood wherever it names one pair, so links made before the Country filter work.
    """

    def __init__(self, organization):
        rows = list(
            Store.objects.for_org(organization)
            .order_by()
            .values_list("country", "state")
            .distinct()
        )
        self.pairs = {(country, state) for country, state in rows if country and state}
        self.countries = sorted(
            {country for country, _ in rows if country}, key=lambda c: (country_name(c), c)
        )
        self.several = len(self.countries) > 1

    def country_choices(self):
        return [(code, country_name(code)) for code in self.countries]

    def known(self, country):
        """The country whose states are listed: "" (every country) unless it is one of ours."""
        return country if country in self.countries else ""

    def value(self, pair):
        country, state = pair
        return f"{country}:{state}" if self.several else state

    def state_choices(self, country):
        country = self.known(country)
        pairs = sorted(
            (p for p in self.pairs if not country or p[0] == country),
            key=lambda p: (_natural(p[1]), p[0]),
        )
        if country or not self.several:
            return [(self.value(p), p[1]) for p in pairs]
        # Every country's states in one list: grouped, and each labelled with its country
        # so the closed select still says which "11" was picked.
        groups = {}
        for pair in pairs:
            label = f"{pair[1]} · {country_name(pair[0])}"
            groups.setdefault(pair[0], []).append((self.value(pair), label))
        return [(country_name(c), groups[c]) for c in self.countries if c in groups]

    def pair(self, value, country):
        """The (country, state) that a State value names in the chosen country (or in any
        country when none is chosen); None when it names none, or several."""
        country = self.known(country)
        in_scope = {p for p in self.pairs if not country or p[0] == country}
        code, colon, state = value.partition(":")
        if colon and (code.upper(), state) in in_scope:
            return (code.upper(), state)
        named = [p for p in in_scope if p[1] == value]
        return named[0] if len(named) == 1 else None


class RegionFilter(django_filters.ModelChoiceFilter):
    """Filter a Store queryset by one of the request organization's regions."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", lambda request: Region.objects.for_org(request.organization))
        kwargs.setdefault("label", "Region")
        kwargs.setdefault("empty_label", "All regions")
        kwargs.setdefault("method", self.in_region)
        super().__init__(*args, **kwargs)

    @staticmethod
    def in_region(queryset, name, region):
        if region is None:
            return queryset
        return queryset.filter(region.store_q()).distinct()


class StoreFilter(django_filters.FilterSet):
    """The store list's filter, also used by its CSV export and a region's "add matching
    stores". The Country filter shows only when the stores are in several countries; the
    State filter lists the states of the chosen country (see CountryStates)."""

    q = django_filters.CharFilter(label="Search", method="search")
    country = django_filters.ChoiceFilter(label="Country", choices=[], empty_label="All countries")
    state = django_filters.ChoiceFilter(
        label="State / region", choices=[], empty_label="All states", method="in_state"
    )
    banner = django_filters.ChoiceFilter(label="Banner", choices=[], empty_label="All banners")
    region = RegionFilter()
    is_open = django_filters.BooleanFilter(
        label="Status",
        widget=forms.Select(
            choices=[("", "Open and closed"), ("true", "Open"), ("false", "Closed")]
        ),
    )

    class Meta:
        model = Store
        fields = ["q", "country", "state", "banner", "region", "is_open"]

    def __init__(self, data=None, *args, request, **kwargs):
        self.places = CountryStates(request.organization)
        super().__init__(self._normalized(data), *args, request=request, **kwargs)
        country = self.filters["country"]
        country.extra["choices"] = self.places.country_choices()
        if self.places.several:
            # With JavaScript the State list follows the country at once; without, the
            # Filter button brings the page back with the country's states.
            attrs = {
                "hx-get": reverse("accounts:store_filter_states"),
                "hx-target": "#store-filter-state",
                "hx-swap": "outerHTML",
                "hx-include": "closest form",
            }
            country.extra["widget"] = forms.Select(attrs=attrs)
        else:
            # One country is no choice to offer, but ?country= is still understood.
            country.extra["widget"] = forms.HiddenInput
        self.filters["state"].extra["choices"] = self.places.state_choices(
            self.data.get("country", "")
        )
        self.filters["banner"].extra["choices"] = _distinct_values("banner")(request)

    def _normalized(self, data):
        """Country codes in capitals, and a State value written as its option's value, so
        that "?state=AR" (a link from before the Country filter) shows AR as picked."""
        if not data or not (data.get("country") or data.get("state")):
            return data
        data = data.copy()
        data["country"] = data.get("country", "").strip().upper()
        state = data.get("state", "").strip()
        pair = self.places.pair(state, data["country"]) if state else None
        if pair:
            data["state"] = self.places.value(pair)
        return data

    @property
    def qs(self):
        # An invalid choice (a state not in the chosen country, an unknown country) matches
        # no stores. django-filter would leave it out and list, export or add every store.
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return super().qs

    def in_state(self, queryset, name, value):
        country, state = self.places.pair(value, self.data.get("country", ""))
        if not self.places.several:
            return queryset.filter(state=state)
        return queryset.filter(country=country, state=state)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__iexact=value.lstrip("#"))
            | Q(name__icontains=value)
            | Q(city__icontains=value)
            | Q(number__istartswith=value.lstrip("#"))
        )


class StoreTable(tables.Table):
    number = tables.Column(
        verbose_name="Store #", linkify=("accounts:store_edit", {"store_id": tables.A("pk")})
    )
    name = tables.Column()
    banner = tables.Column(verbose_name="Banner")
    city = tables.Column()
    state = tables.Column(verbose_name="State")
    country = tables.Column(verbose_name="Country")
    postal_code = tables.Column(verbose_name="Postal code")
    is_open = tables.Column(verbose_name="Status")

    class Meta:
        model = Store
        fields = ["number", "name", "banner", "city", "state", "country", "postal_code", "is_open"]
        attrs = {"class": "striped"}
        empty_text = "No stores match. Clear the filters, add a store, or import a store list."
        order_by = ("number",)

    def render_country(self, value):
        return country_name(value)

    def render_is_open(self, value):
        return (
            "Open" if value else format_html('<span class="badge badge-closed">{}</span>', "Closed")
        )

    def order_number(self, queryset, is_descending):
        queryset = queryset.by_number()
        return (queryset.reverse() if is_descending else queryset), True


class StoreForm(VersionedForm, forms.ModelForm):
    """A store, carrying its version as the page showed it (core/versions.py)."""

    class Meta:
        model = Store
        fields = ["number", "name", "banner", "address", "city", "state", "postal_code",
                  "country", "latitude", "longitude", "phone"]  # fmt: skip
        help_texts = {"country": "Two-letter code, e.g. US."}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        clash = Store.objects.for_org(self.organization).filter(number=number)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"Store {number} already exists.")
        return number

    def clean_latitude(self):
        value = self.cleaned_data.get("latitude")
        if value is not None and not -90 <= value <= 90:
            raise forms.ValidationError("Latitude is between -90 and 90.")
        return value

    def clean_longitude(self):
        value = self.cleaned_data.get("longitude")
        if value is not None and not -180 <= value <= 180:
            raise forms.ValidationError("Longitude is between -180 and 180.")
        return value

    def clean_country(self):
        return self.cleaned_data["country"].strip().upper()

    def save(self, commit=True):
        self.instance.organization = self.organization
        return super().save(commit)


def split_list(value):
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


# Each rule list: its form field, its store field (whose length bounds an item).
RULES = {
    "rule_states_text": "state",
    "rule_banners_text": "banner",
    "rule_postal_prefixes_text": "postal_code",
}


class RegionForm(VersionedForm, forms.ModelForm):
    """A region's name and rule, carrying its version as the page showed it. A rule is
    bounded: so many characters, so many items, each no longer than the store field it
    matches (core/limits.py)."""

    rule_states_text = forms.CharField(
        label="Rule: states",
        required=False,
        max_length=RULE_TEXT_MAX_LENGTH,
        help_text="Comma-separated, e.g. AR, MO. Every store in them joins.",
    )
    rule_banners_text = forms.CharField(
        label="Rule: banners",
        required=False,
        max_length=RULE_TEXT_MAX_LENGTH,
        help_text="Comma-separated banner names, exactly as on the stores.",
    )
    rule_postal_prefixes_text = forms.CharField(
        label="Rule: postal-code prefixes",
        required=False,
        max_length=RULE_TEXT_MAX_LENGTH,
        help_text="Comma-separated, e.g. 727, 728.",
    )

    class Meta:
        model = Region
        fields = ["name", "description"]

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        region = self.instance
        self.fields["rule_states_text"].initial = ", ".join(region.rule_states)
        self.fields["rule_banners_text"].initial = ", ".join(region.rule_banners)
        self.fields["rule_postal_prefixes_text"].initial = ", ".join(region.rule_postal_prefixes)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        clash = Region.objects.for_org(self.organization).filter(name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"A region named {name} already exists.")
        return name

    def clean(self):
        cleaned = super().clean()
        for name, store_field in RULES.items():
            items = split_list(cleaned.get(name) or "")
            longest = Store._meta.get_field(store_field).max_length
            label = self.fields[name].label.removeprefix("Rule: ")
            if len(items) > RULE_ITEMS_MAX:
                self.add_error(
                    name, f"At most {RULE_ITEMS_MAX} {label} in a rule (this has {len(items):,})."
                )
            elif any(len(item) > longest for item in items):
                self.add_error(name, f"Each of the {label} is at most {longest} characters.")
        return cleaned

    def save(self, commit=True):
        region = self.instance
        region.organization = self.organization
        region.rule_states = [
            s.upper() if len(s) <= 3 else s
            for s in split_list(self.cleaned_data["rule_states_text"])
        ]
        region.rule_banners = split_list(self.cleaned_data["rule_banners_text"])
        region.rule_postal_prefixes = split_list(self.cleaned_data["rule_postal_prefixes_text"])
        return super().save(commit)


def regions_with_counts(organization):
    """Each region with its count of effective stores (picked plus rule)."""
    regions = list(Region.objects.for_org(organization).annotate(picked=Count("stores")))
    for region in regions:
        region.store_count = region.effective_stores().count() if region.has_rule else region.picked
    return regions


class StoreListUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV store list", help_text="A column of store numbers; other columns are ignored."
    )
