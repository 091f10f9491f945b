"""Sets of stores: picked stores plus custom regions. One component, reused wherever
a set of stores is asked for (regions now; partnership geographies, task creation
and inventory filters later)."""

import django_filters
from django import forms
from django.db.models import Q

from accounts.models import Region, Store


def stores_in(organization, *, stores=(), regions=()):
    """The organization's stores that are picked or in any of the regions, as they are now."""
    q = Q(pk__in=[s.pk if hasattr(s, "pk") else s for s in stores])
    for region in regions:
        q |= region.store_q()
    return Store.objects.for_org(organization).filter(q).distinct()


class StoreChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, store):
        return f"#{store.number} {store.name} · {store.city}, {store.state}".strip(" ·,")


class StoresOrRegionsMixin(forms.Form):
    """Form fields `stores` and `regions`, scoped to one organization.

    An id of another organization's store or region is a validation error, never
    a way in."""

    stores = StoreChoiceField(queryset=Store.objects.none(), required=False)
    regions = forms.ModelMultipleChoiceField(queryset=Region.objects.none(), required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["stores"].queryset = Store.objects.for_org(organization)
        self.fields["regions"].queryset = Region.objects.for_org(organization)

    def selected_stores(self):
        return stores_in(
            self.organization,
            stores=self.cleaned_data.get("stores") or (),
            regions=self.cleaned_data.get("regions") or (),
        )


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
