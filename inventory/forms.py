"""The inventory's forms: the stock filter and a stock adjustment."""

import django_filters
from django import forms
from django.db import connection
from django.db.models import Q

from accounts.models import Region, Store
from core.limits import PRICE_MAX, QUANTITY_MAX
from core.versions import VersionedForm
from inventory.models import Adjustment, Product
from inventory.services import price_problem

PRODUCT_IDS_LIMIT = 5000


def product_conditions(q=None, vendor=None, category=None) -> Q:
    """A Q on products: an exact SKU or part of the name, part of the vendor's name, part
    of the category. The stock list's filter and the API's product list both use it."""
    product_q = Q()
    if q:
        q = q.strip()
        product_q &= Q(sku__iexact=q) | Q(name__icontains=q)
    if vendor:
        product_q &= Q(vendor_name__icontains=vendor) | Q(
            vendor_organization__name__icontains=vendor
        )
    if category:
        product_q &= Q(category__icontains=category)
    return product_q


class StockFilter(django_filters.FilterSet):
    """The stock list's filter. The product conditions (SKU or name, vendor, category) are
    applied together as one list of product ids, not as a filter each: see `_products`."""

    q = django_filters.CharFilter(label="SKU or name")
    store = django_filters.CharFilter(label="Store #")
    region = django_filters.ModelChoiceFilter(
        label="Region", queryset=Region.objects.none(), empty_label="All regions"
    )
    vendor = django_filters.CharFilter(label="Vendor")
    category = django_filters.CharFilter(label="Category")
    out = django_filters.BooleanFilter(label="Out of stock only", widget=forms.CheckboxInput)

    def __init__(self, data=None, queryset=None, *, access, **kwargs):
        super().__init__(data if data is not None else {}, queryset, **kwargs)
        self.owner = access.owner
        self.product_q = Q()
        if access.is_owner:
            self.filters["region"].queryset = Region.objects.for_org(access.owner)
        else:
            del self.filters["region"]  # the owner's regions are the owner's own business

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        product_q = product_conditions(data.get("q"), data.get("vendor"), data.get("category"))
        self.product_q = product_q  # the inventory sorted by a product's column reads it
        if product_q:
            queryset = queryset.filter(self._products(product_q))
        if data.get("store"):
            # The store's id first (one small query), so the stock query is one index range.
            number = data["store"].strip().lstrip("#")
            store_id = (
                Store.objects.filter(organization=self.owner, number=number)
                .values_list("pk", flat=True)
                .first()
            )
            queryset = queryset.filter(store_id=store_id) if store_id else queryset.none()
        if data.get("region"):
            queryset = queryset.filter(store__in=data["region"].effective_stores().values("pk"))
        if data.get("out"):
            # Stock-outs: nothing on hand (or less, after a count short of the books).
            queryset = queryset.filter(on_hand__lte=0)
        return queryset

    def _products(self, product_q):
        """The matching products' ids first, as a list: the planner cannot estimate a
        '%text%' search and, guessing a handful of products, reads every stock row of each
        match; given the ids it walks the stock in page order instead. A search matching
        very many products stays a subquery."""
        products = Product.objects.filter(product_q, organization=self.owner)
        ids = list(products.values_list("pk", flat=True)[: PRODUCT_IDS_LIMIT + 1])
        if len(ids) > PRODUCT_IDS_LIMIT:
            return Q(product__in=products.values("pk"))
        if connection.vendor == "postgresql":
            return Q(product_id__any=ids)  # one array parameter, not a thousand
        return Q(product_id__in=ids)


class AdjustmentForm(VersionedForm):
    """A change to one stock row, carrying the row's version as the page showed it."""

    kind = forms.ChoiceField(label="Reason", choices=Adjustment.Kind.choices)
    on_hand = forms.IntegerField(
        label="New quantity on hand", min_value=0, max_value=QUANTITY_MAX, required=False
    )
    price = forms.DecimalField(
        label="New selling price", min_value=0, max_value=PRICE_MAX, decimal_places=2,
        max_digits=12, required=False,
        help_text="For a markdown (at most the retail price) or a price increase.",
    )  # fmt: skip
    note = forms.CharField(label="Note", max_length=500, required=False)
    field_order = ["kind", "on_hand", "price", "note"]

    def __init__(self, *args, stock, **kwargs):
        super().__init__(*args, **kwargs)
        self.retail_price = stock.product.retail_price

    def clean(self):
        cleaned = super().clean()
        kind, price = cleaned.get("kind"), cleaned.get("price")
        if kind in Adjustment.PRICE_KINDS:
            if price is None and "price" not in self.errors:
                self.add_error("price", "Give the new selling price.")
            elif price is not None:
                problem = price_problem(kind, price, self.retail_price)
                if problem:
                    self.add_error("price", problem)
        elif kind and cleaned.get("on_hand") is None and "on_hand" not in self.errors:
            self.add_error("on_hand", "Give the new quantity on hand.")
        return cleaned


class SellThroughForm(forms.Form):
    """The vendor analytics page's period and retailer. Every field may be left out: the
    page then shows 13 weeks ending on the latest sale, across every retailer."""

    weeks = forms.TypedChoiceField(
        label="Period",
        coerce=int,
        required=False,
        choices=[(w, f"Last {w} weeks") for w in (4, 13, 26, 52)],
    )
    end = forms.DateField(
        label="Ending on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: the latest sale you can see.",
    )
    retailer = forms.TypedChoiceField(
        label="Retailer", coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, accesses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["retailer"].choices = [("", "All retailers")] + [
            (a.owner.pk, a.owner.name) for a in accesses
        ]
