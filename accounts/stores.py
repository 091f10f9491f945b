"""Stores & Regions: the filter set, table and forms of the stores and custom regions pages."""

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Count, Q
from django.utils.html import format_html

from accounts.models import Region, Store

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
    q = django_filters.CharFilter(label="Search", method="search")
    state = django_filters.ChoiceFilter(
        label="State / region", choices=[], empty_label="All states"
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
        fields = ["q", "state", "banner", "region", "is_open"]

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["state"].extra["choices"] = _distinct_values("state")(request)
        self.filters["banner"].extra["choices"] = _distinct_values("banner")(request)

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
    postal_code = tables.Column(verbose_name="Postal code")
    is_open = tables.Column(verbose_name="Status")

    class Meta:
        model = Store
        fields = ["number", "name", "banner", "city", "state", "postal_code", "is_open"]
        attrs = {"class": "striped"}
        empty_text = "No stores match. Clear the filters, add a store, or import a store list."
        order_by = ("number",)

    def render_is_open(self, value):
        return (
            "Open" if value else format_html('<span class="badge badge-closed">{}</span>', "Closed")
        )

    def order_number(self, queryset, is_descending):
        queryset = queryset.by_number()
        return (queryset.reverse() if is_descending else queryset), True


class StoreForm(forms.ModelForm):
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


class RegionForm(forms.ModelForm):
    rule_states_text = forms.CharField(
        label="Rule: states",
        required=False,
        help_text="Comma-separated, e.g. AR, MO. Every store in them joins.",
    )
    rule_banners_text = forms.CharField(
        label="Rule: banners",
        required=False,
        help_text="Comma-separated banner names, exactly as on the stores.",
    )
    rule_postal_prefixes_text = forms.CharField(
        label="Rule: postal-code prefixes",
        required=False,
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
