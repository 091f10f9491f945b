"""Inventory: one set of pages for the owner and for partners, all through the access
policy (partners/access.py). The policy says which stores and products; the views
never decide that themselves, and redacted fields are never put in the context."""

from django import forms
from django.contrib import messages
from django.db.models import Q, Sum
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.exports import csv_response
from accounts.models import Organization, Region
from accounts.tenancy import organization_required
from inventory import services
from inventory.models import Adjustment, Product, SalesLine, Stock
from partners.access import access_for, owners_sharing_with

PAGE_SIZE = 50
STOCK_COLUMNS = [
    # (key, label, field needed to see it)
    ("store", "Store", None),
    ("sku", "SKU", None),
    ("name", "Product", None),
    ("vendor", "Vendor", None),
    ("category", "Category", None),
    ("on_hand", "On hand", None),
    ("on_order", "On order", None),
    ("unit_cost", "Unit cost", "unit_cost"),
    ("retail_price", "Retail price", "retail_price"),
    ("current_price", "Markdown price", "current_price"),
]


def _access_or_404(request, organization_id):
    owner = Organization.objects.filter(pk=organization_id).first()
    if owner is None:
        raise Http404("No such inventory.")
    access = access_for(viewer=request.organization, owner=owner)
    if not access.sees_anything:
        raise Http404("No such inventory.")  # the same answer as for an id that does not exist
    return access


class StockFilter(forms.Form):
    q = forms.CharField(label="SKU or name", required=False)
    store = forms.CharField(label="Store #", required=False)
    region = forms.ModelChoiceField(
        queryset=Region.objects.none(), required=False, empty_label="All regions"
    )
    vendor = forms.CharField(label="Vendor", required=False)
    category = forms.CharField(label="Category", required=False)

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        if access.is_owner:
            self.fields["region"].queryset = Region.objects.for_org(access.owner)
        else:
            del self.fields["region"]  # the owner's regions are the owner's own business

    def apply(self, queryset):
        data = self.cleaned_data
        if data.get("q"):
            q = data["q"].strip()
            queryset = queryset.filter(Q(product__sku__iexact=q) | Q(product__name__icontains=q))
        if data.get("store"):
            queryset = queryset.filter(store__number=data["store"].strip().lstrip("#"))
        if data.get("region"):
            queryset = queryset.filter(store__in=data["region"].effective_stores().values("pk"))
        if data.get("vendor"):
            queryset = queryset.filter(
                Q(product__vendor_name__icontains=data["vendor"])
                | Q(product__vendor_organization__name__icontains=data["vendor"])
            )
        if data.get("category"):
            queryset = queryset.filter(product__category__icontains=data["category"])
        return queryset


def visible_stock(access):
    """The stock rows the viewer may see: stores and products by the access policy."""
    queryset = Stock.objects.filter(organization=access.owner)
    if not access.is_owner:
        queryset = queryset.filter(store__in=access.stores.values("pk"))
        product_q = access.product_q
        if product_q:
            queryset = queryset.filter(product__in=Product.objects.filter(product_q).values("pk"))
    return queryset


def _rows(access, stocks):
    """Plain dicts for the template, built only from fields the viewer may see."""
    rows = []
    for s in stocks:
        row = {
            "id": s.pk,
            "store": s.store.number,
            "store_name": s.store.name or s.store.city,
            "product_id": s.product_id,
            "sku": s.product.sku,
            "name": s.product.name,
            "vendor": s.product.vendor_display,
            "category": s.product.category,
            "on_hand": s.on_hand,
            "on_order": s.on_order,
            "unit_cost": s.product.unit_cost,
            "retail_price": s.product.retail_price,
            "current_price": s.current_price,
        }
        rows.append(access.redact(row))
    return rows


def _columns(access):
    return [
        (key, label)
        for key, label, field in STOCK_COLUMNS
        if field is None or access.can_see_field(field)
    ]


@organization_required()
def index(request):
    """Own inventory, or the chooser of owners sharing with us."""
    organization = request.organization
    if Stock.objects.filter(organization=organization).exists() or organization.is_retailer:
        return stock_page(request, organization.pk)
    return shared(request)


@organization_required()
def shared(request):
    owners = owners_sharing_with(request.organization)
    return render(request, "inventory/shared.html", {"owners": owners})


@organization_required()
def stock_page(request, organization_id):
    access = _access_or_404(request, organization_id)
    stock_filter = StockFilter(request.GET or None, access=access)
    queryset = visible_stock(access)
    if stock_filter.is_valid():
        queryset = stock_filter.apply(queryset)
    # Keyset pagination: (store, product) ids after the cursor; no COUNT of the whole set.
    after = request.GET.get("after", "")
    if after:
        try:
            store_id, product_id = (int(x) for x in after.split("."))
        except ValueError:
            store_id = product_id = 0
        queryset = queryset.filter(
            Q(store_id__gt=store_id) | Q(store_id=store_id, product_id__gt=product_id)
        )
    page = list(
        queryset.select_related("store", "product", "product__vendor_organization").order_by(
            "store_id", "product_id"
        )[: PAGE_SIZE + 1]
    )
    has_next = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("after", None)
    next_query = None
    if has_next:
        query["after"] = f"{page[-1].store_id}.{page[-1].product_id}"
        next_query = query.urlencode()
    context = {
        "access": access,
        "owner": access.owner,
        "filter": stock_filter,
        "columns": _columns(access),
        "rows": _rows(access, page),
        "next_query": next_query,
        "first_page": not after,
        "filter_query": request.GET.copy().urlencode() if request.GET else "",
        "may_adjust": access.may_adjust_stock,
    }
    if access.is_owner:
        items = list(_adjustments(access.owner).order_by("-pk")[:10])
        context["activity_items"] = items
        context["activity_latest"] = items[0].pk if items else 0
    return render(request, "inventory/stock.html", context)


def _adjustments(owner):
    return Adjustment.objects.for_org(owner).select_related(
        "store", "product", "actor", "actor_organization"
    )


@organization_required()
def totals(request, organization_id):
    """Totals load after the page (htmx), so the table never waits for a sum over every row."""
    access = _access_or_404(request, organization_id)
    stock_filter = StockFilter(request.GET or None, access=access)
    queryset = visible_stock(access)
    if stock_filter.is_valid():
        queryset = stock_filter.apply(queryset)
    figures = queryset.aggregate(on_hand=Sum("on_hand"), on_order=Sum("on_order"))
    return render(request, "inventory/stock.html#totals", {"figures": figures, "access": access})


@organization_required()
def export(request, organization_id):
    access = _access_or_404(request, organization_id)
    stock_filter = StockFilter(request.GET or None, access=access)
    queryset = visible_stock(access)
    if stock_filter.is_valid():
        queryset = stock_filter.apply(queryset)
    columns = _columns(access)
    stocks = queryset.select_related("store", "product", "product__vendor_organization").order_by(
        "store_id", "product_id"
    )

    def rows():
        for chunk_start in range(0, 10**9, 2000):
            chunk = list(stocks[chunk_start : chunk_start + 2000])
            if not chunk:
                return
            for row in _rows(access, chunk):
                yield [row.get(key) for key, _ in columns]

    return csv_response(f"inventory-{access.owner.slug}", [label for _, label in columns], rows())


@organization_required()
def product(request, organization_id, product_id):
    """A product's stock by store and its sales history, as far as the viewer may see."""
    access = _access_or_404(request, organization_id)
    item = (
        Product.objects.filter(organization=access.owner, pk=product_id)
        .filter(access.product_q)
        .select_related("vendor_organization")
        .first()
    )
    if item is None:
        raise Http404("No such product.")
    stocks = (
        visible_stock(access)
        .filter(product=item)
        .select_related("store", "product", "product__vendor_organization")
        .order_by("store_id")
    )
    sales = SalesLine.objects.filter(organization=access.owner, product=item)
    if not access.is_owner:
        sales = sales.filter(store__in=access.stores.values("pk"))
    sales = sales.select_related("store").order_by("-date", "-pk")[:200]
    sales_rows = [
        access.redact(
            {
                "date": line.date,
                "store": line.store.number,
                "quantity": line.quantity,
                "retail_amount": line.retail_amount,
                "cost_amount": line.cost_amount,
                "gross_profit": line.gross_profit,
                "customer_reference": line.customer_reference,
            }
        )
        for line in sales
    ]
    product_row = access.redact(
        {"sku": item.sku, "name": item.name, "vendor": item.vendor_display, "category": item.category,
         "unit_cost": item.unit_cost, "retail_price": item.retail_price}
    )  # fmt: skip
    return render(
        request,
        "inventory/product.html",
        {
            "access": access,
            "owner": access.owner,
            "product": product_row,
            "stock_rows": _rows(access, stocks[:500]),
            "columns": [
                c for c in _columns(access) if c[0] not in ("sku", "name", "vendor", "category")
            ],
            "sales": sales_rows,
            "sales_columns": [
                (k, label)
                for k, label in [
                    ("date", "Date"),
                    ("store", "Store"),
                    ("quantity", "Quantity"),
                    ("retail_amount", "Sales"),
                    ("cost_amount", "Cost"),
                    ("gross_profit", "Gross profit"),
                    ("customer_reference", "Customer"),
                ]
                if access.can_see_field(k)
            ],
        },
    )


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label="Reason", choices=Adjustment.Kind.choices)
    on_hand = forms.IntegerField(label="New quantity on hand", min_value=0, required=False)
    price = forms.DecimalField(label="New selling price (markdown)", min_value=0, decimal_places=2,
                               max_digits=12, required=False)  # fmt: skip
    note = forms.CharField(label="Note", max_length=500, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Adjustment.Kind.MARKDOWN and cleaned.get("price") is None:
            self.add_error("price", "A markdown needs the new selling price.")
        if cleaned.get("kind") != Adjustment.Kind.MARKDOWN and cleaned.get("on_hand") is None:
            self.add_error("on_hand", "Give the new quantity on hand.")
        return cleaned


@organization_required()
def adjust(request, stock_id):
    stock = (
        Stock.objects.select_related("store", "product", "organization").filter(pk=stock_id).first()
    )
    if stock is None:
        raise Http404("No such stock.")
    access = access_for(viewer=request.organization, owner=stock.organization)
    if not visible_stock(access).filter(pk=stock.pk).exists():
        raise Http404("No such stock.")
    if not access.stores_for("adjust").filter(pk=stock.store_id).exists():
        return HttpResponseForbidden(
            render(
                request,
                "403.html",
                {"exception": "This share is read-only: you cannot change stock."},
            ).content
        )
    form = AdjustmentForm(request.POST or None, initial={"on_hand": stock.on_hand})
    if request.method == "POST" and form.is_valid():
        try:
            services.stock_adjust(
                stock_id=stock.pk, viewer=request.organization, actor=request.user, kind=form.cleaned_data["kind"],
                on_hand=form.cleaned_data["on_hand"], price=form.cleaned_data["price"], note=form.cleaned_data["note"],
            )  # fmt: skip
        except services.AdjustmentRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"Saved: {stock.product.sku} at store {stock.store.number}.")
            return redirect(
                reverse("inventory:stock", args=[stock.organization_id])
                + f"?store={stock.store.number}"
            )
    row = _rows(access, [stock])[0]
    return render(
        request, "inventory/adjust.html", {"form": form, "row": row, "owner": stock.organization}
    )


@organization_required()
def activity(request):
    """The owner's feed of adjustments, polled by htmx every few seconds."""
    since = request.GET.get("since", "")
    since = int(since) if since.isdigit() else 0
    items = list(_adjustments(request.organization).filter(pk__gt=since).order_by("-pk")[:20])
    # The rows they changed, re-read now, so the table shows the new figures too.
    changed = Stock.objects.filter(
        organization=request.organization,
        pk__in=Stock.objects.filter(
            Q(*[Q(store_id=a.store_id, product_id=a.product_id) for a in items], _connector=Q.OR)
        ).values("pk")
        if items
        else [],
    ).select_related("store", "product", "product__vendor_organization")
    access = access_for(viewer=request.organization, owner=request.organization)
    return render(
        request,
        "inventory/activity.html",
        {
            "items": items,
            "latest": items[0].pk if items else since,
            "polling": True,
            "changed_rows": _rows(access, changed),
            "columns": _columns(access),
            "may_adjust": True,
            "owner": request.organization,
        },
    )
